/* Server lifecycle and the libwebsockets protocol callback that routes to HTTP and WebSocket code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "gw_internal.h"

static void begin_shutdown_locked(gw_server *server) {
    for (size_t b = 0; b < GW_BUCKETS; b++) {
        for (gw_session *s = server->buckets[b]; s; s = s->bucket_next) {
            if (s->kind == GW_KIND_WS && !s->close_requested) {
                s->close_requested = 1;
                s->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
                snprintf(s->close_reason, sizeof(s->close_reason), "server shutting down");
                gw_schedule_locked(server, s);
            }
        }
    }
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len) {
    struct lws_context *context = lws_get_context(wsi);
    gw_loop *loop = context ? lws_context_user(context) : NULL;
    gw_server *server = loop ? loop->server : NULL;
    gw_session *session = user;
    if (!server) {
        return 0;
    }
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (atomic_load(&server->stopping)) {
            pthread_mutex_lock(&server->lock);
            begin_shutdown_locked(server);
            pthread_mutex_unlock(&server->lock);
        }
        gw_process_work(loop);
        return 0;
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        return session ? gw_http_callback(server, session, wsi, reason, in, len) : 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_RECEIVE_PONG:
    case LWS_CALLBACK_SERVER_WRITEABLE:
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL:
        return session ? gw_ws_callback(server, session, wsi, reason, in, len) : 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

/* Creates loop k's context: a server vhost without a listening socket of its own, since the
 * accept thread hands it its connections. */
static int create_loop(gw_server *server, int k, char *error, size_t error_size) {
    gw_loop *loop = &server->loops[k];
    loop->server = server;
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = server->protocols;
    info.user = loop;
    info.retry_and_idle_policy = &server->idle_policy;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    info.timeout_secs = 30;
    loop->context = lws_create_context(&info);
    loop->vhost = loop->context ? lws_get_vhost_by_name(loop->context, "default") : NULL;
    if (!loop->vhost) {
        snprintf(error, error_size, "cannot create service loop %d of %d", k + 1, server->loop_count);
        return -1;
    }
    return 0;
}

static void destroy_loops(gw_server *server) {
    for (int k = 0; k < server->loop_count; k++) {
        gw_loop *loop = &server->loops[k];
        /* Taken under the lock, so that no other thread wakes a context being destroyed. */
        pthread_mutex_lock(&server->lock);
        struct lws_context *context = loop->context;
        loop->context = NULL;
        pthread_mutex_unlock(&server->lock);
        if (context) {
            lws_sul_schedule(context, 0, &loop->keepalive_timer, NULL, LWS_SET_TIMER_USEC_CANCEL);
            lws_context_destroy(context);
        }
        pthread_mutex_lock(&server->lock);
        int *adopt = loop->adopt;
        size_t adopt_count = loop->adopt_count;
        loop->adopt = NULL;
        loop->adopt_count = loop->adopt_capacity = 0;
        pthread_mutex_unlock(&server->lock);
        for (size_t a = 0; a < adopt_count; a++) {
            close(adopt[a]);
        }
        free(adopt);
    }
}

gw_server *gw_create(const gw_config *config, const gw_callbacks *callbacks, char *error, size_t error_size) {
    gw_server *server = calloc(1, sizeof(gw_server));
    if (!server) {
        snprintf(error, error_size, "out of memory");
        return NULL;
    }
    server->config = *config;
    server->callbacks = *callbacks;
    server->tokens = config->handshake_burst;
    server->tokens_updated = gw_now();
    server->listen_fd = -1;
    server->greet_epoll = server->greet_wake = -1;
    /* One mark per possible descriptor; a socket beyond the table simply takes its handshake token in
     * the upgrade filter. */
    struct rlimit descriptors;
    size_t marks = getrlimit(RLIMIT_NOFILE, &descriptors) == 0 && descriptors.rlim_cur != RLIM_INFINITY
                       ? (size_t)descriptors.rlim_cur
                       : 65536;
    marks = marks > (1u << 20) ? (1u << 20) : marks;
    server->handshake_marks = calloc(marks, 1);
    server->handshake_mark_count = server->handshake_marks ? marks : 0;
    server->loop_count = config->service_threads < 1 ? 1 : config->service_threads;
    if (server->loop_count > GW_MAX_LOOPS) {
        server->loop_count = GW_MAX_LOOPS;
    }
    pthread_mutex_init(&server->lock, NULL);
    /* One protocol serves HTTP and WebSocket alike: clients that name no subprotocol bind to the
     * first entry, so /ws upgrades and plain requests reach the same callback. */
    server->protocols[0].name = "galaxy";
    server->protocols[0].callback = callback;
    server->protocols[0].per_session_data_size = sizeof(gw_session);
    server->protocols[0].rx_buffer_size = 65536;
    server->protocols[0].tx_packet_size = 256 * 1024;
    /* lws's own keepalive ping shares one buffer with the pong it owes a client (lws 4.1): when a
     * client's ping and the server's fall due together, the client gets a pong with the wrong payload
     * and drops the connection. The transport pings and hangs up itself (gw_sessions.c), so lws's
     * timers are pushed out of reach. */
    server->idle_policy.secs_since_valid_ping = UINT16_MAX;
    server->idle_policy.secs_since_valid_hangup = UINT16_MAX;

    lws_set_log_level(LLL_ERR, NULL);
    int failed = gw_listen(server, error, error_size) < 0;
    for (int k = 0; k < server->loop_count && !failed; k++) {
        failed = create_loop(server, k, error, error_size) < 0;
    }
    if (failed) {
        destroy_loops(server);
        if (server->listen_fd >= 0) {
            close(server->listen_fd);
        }
        pthread_mutex_destroy(&server->lock);
        free(server->handshake_marks);
        free(server);
        return NULL;
    }
    return server;
}

int gw_port(const gw_server *server) { return server->port; }

/* Every 0.5 s: the stall and keepalive scans need to run even when no frame or request wakes the loop. */
static void keepalive_timer(lws_sorted_usec_list_t *timer) {
    gw_loop *loop = lws_container_of(timer, gw_loop, keepalive_timer);
    gw_process_work(loop);
    lws_sul_schedule(loop->context, 0, &loop->keepalive_timer, keepalive_timer, 500 * LWS_US_PER_MS);
}

static void gw_begin_stop(gw_server *server);

/* Services one loop until the server stops and every connection has closed, or 2 s after the stop. */
static void *run_loop(void *argument) {
    gw_loop *loop = argument;
    gw_server *server = loop->server;
    double deadline = 0;
    lws_sul_schedule(loop->context, 0, &loop->keepalive_timer, keepalive_timer, 500 * LWS_US_PER_MS);
    while (1) {
        if (lws_service(loop->context, 0) < 0) {
            break;
        }
        if (atomic_load(&server->stopping)) {
            if (deadline == 0) {
                deadline = gw_now() + 2.0;
            }
            pthread_mutex_lock(&server->lock);
            uint64_t active = server->stats.connections_active;
            pthread_mutex_unlock(&server->lock);
            if (active == 0 || gw_now() > deadline) {
                break;
            }
        }
    }
    /* A loop that fails on its own stops the whole transport, rather than leaving the accept
     * thread dealing connections to a loop that no thread services. */
    gw_begin_stop(server);
    return NULL;
}

int gw_run(gw_server *server) {
    int failed = 0;
    for (int k = 1; k < server->loop_count && !failed; k++) {
        gw_loop *loop = &server->loops[k];
        loop->thread_started = pthread_create(&loop->thread, NULL, run_loop, loop) == 0;
        failed = !loop->thread_started;
    }
    if (failed || gw_start_accepting(server) < 0) {
        fprintf(stderr, "galaxy gateway: failed to start the transport threads (out of threads or memory); stopping\n");
        failed = 1;
        gw_begin_stop(server);
    }
    run_loop(&server->loops[0]);
    gw_stop_accepting(server);
    for (int k = 1; k < server->loop_count; k++) {
        if (server->loops[k].thread_started) {
            pthread_join(server->loops[k].thread, NULL);
        }
    }
    /* Contexts go only after every loop has stopped, since any loop may wake any other. */
    destroy_loops(server);
    atomic_store(&server->finished, 1);
    return failed ? -1 : 0;
}

/* Sets the stop flag, refuses new connections and wakes every loop once. Thread-safe. */
static void gw_begin_stop(gw_server *server) {
    atomic_store(&server->stopping, 1);
    gw_refuse_connections(server);
    pthread_mutex_lock(&server->lock);
    for (int l = 0; l < server->loop_count; l++) {
        if (server->loops[l].context) {
            lws_cancel_service(server->loops[l].context);
        }
    }
    pthread_mutex_unlock(&server->lock);
}

void gw_stop(gw_server *server) {
    /* The service loops only wake for events, so keep waking them until they have finished. */
    for (int k = 0; k < 100 && !atomic_load(&server->finished); k++) {
        gw_begin_stop(server);
        usleep(50 * 1000);
    }
}

void gw_destroy(gw_server *server) {
    if (server) {
        pthread_mutex_destroy(&server->lock);
        free(server->handshake_marks);
        free(server);
    }
}
