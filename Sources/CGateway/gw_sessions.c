/* Session table, outgoing queues and the work list the service thread drains after each wake. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw_internal.h"

double gw_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void gw_register(gw_server *server, gw_session *session, struct lws *wsi, int kind) {
    if (session->registered) {
        session->kind = kind;
        return;
    }
    pthread_mutex_lock(&server->lock);
    session->id = ++server->next_id;
    session->wsi = wsi;
    session->loop = lws_context_user(lws_get_context(wsi));
    session->kind = kind;
    session->registered = 1;
    size_t bucket = session->id % GW_BUCKETS;
    session->bucket_next = server->buckets[bucket];
    server->buckets[bucket] = session;
    pthread_mutex_unlock(&server->lock);
}

void gw_unregister(gw_server *server, gw_session *session) {
    if (!session->registered) {
        return;
    }
    pthread_mutex_lock(&server->lock);
    gw_session **link = &server->buckets[session->id % GW_BUCKETS];
    while (*link && *link != session) {
        link = &(*link)->bucket_next;
    }
    if (*link) {
        *link = session->bucket_next;
    }
    for (gw_session **w = &session->loop->work; *w; w = &(*w)->work_next) {
        if (*w == session) {
            *w = session->work_next;
            break;
        }
    }
    session->registered = 0;
    gw_free_queue_locked(server, session);
    free(session->response);
    free(session->extra_headers);
    session->response = NULL;
    session->extra_headers = NULL;
    pthread_mutex_unlock(&server->lock);
    free(session->rx);
    free(session->body);
    session->rx = NULL;
    session->body = NULL;
}

gw_session *gw_find_locked(gw_server *server, uint64_t id) {
    for (gw_session *s = server->buckets[id % GW_BUCKETS]; s; s = s->bucket_next) {
        if (s->id == id) {
            return s;
        }
    }
    return NULL;
}

void gw_schedule_locked(gw_server *server, gw_session *session) {
    (void)server;
    if (!session->on_work_list) {
        gw_loop *loop = session->loop;
        session->on_work_list = 1;
        session->work_next = loop->work;
        loop->work = session;
        atomic_store(&loop->has_work, 1);
    }
}

/* Wakes a service loop once however many threads ask before it runs. */
void gw_wake_loop(gw_loop *loop) {
    if (!atomic_exchange(&loop->wake_pending, 1)) {
        pthread_mutex_lock(&loop->server->lock); /* the context may be going away during a stop */
        if (loop->context) {
            lws_cancel_service(loop->context);
        }
        pthread_mutex_unlock(&loop->server->lock);
    }
}

/* Wakes every loop that has work waiting. */
void gw_wake(gw_server *server) {
    for (int k = 0; k < server->loop_count; k++) {
        if (atomic_load(&server->loops[k].has_work)) {
            gw_wake_loop(&server->loops[k]);
        }
    }
}

gw_shared *gw_shared_create(const uint8_t *data, size_t length) {
    gw_shared *shared = malloc(sizeof(gw_shared) + length);
    if (!shared) {
        return NULL;
    }
    atomic_init(&shared->references, 1);
    shared->length = length;
    if (length > 0) {
        memcpy(shared->bytes, data, length);
    }
    return shared;
}

const uint8_t *gw_shared_data(const gw_shared *shared) { return shared->bytes; }

void gw_shared_release(gw_shared *shared) {
    if (shared && atomic_fetch_sub(&shared->references, 1) == 1) {
        free(shared);
    }
}

void gw_free_message(gw_message *message) {
    for (size_t k = 0; k < message->segment_count; k++) {
        gw_shared_release(message->segments[k].shared);
    }
    free(message);
}

/* Rounds up to the alignment of any object, so that segments and copied parts can follow the
 * message header in one allocation. */
static size_t aligned(size_t size) {
    size_t alignment = _Alignof(max_align_t);
    return (size + alignment - 1) / alignment * alignment;
}

/* Builds a message from its parts: copies the private parts and takes a reference on the shared
 * buffer of every shared part. */
static gw_message *make_message(const gw_part *parts, size_t count, int flags) {
    size_t segments = 0, storage = 0;
    for (size_t k = 0; k < count; k++) {
        if (parts[k].length == 0) {
            continue;
        }
        segments++;
        if (!parts[k].shared) {
            storage += aligned(parts[k].length);
        }
    }

    size_t header = aligned(sizeof(gw_message)) + aligned(segments * sizeof(gw_segment));
    /* A message with no bytes at all still goes out, as one empty text frame. */
    size_t total = header + storage;
    gw_message *m = malloc(total);
    if (!m) {
        return NULL;
    }

    memset(m, 0, sizeof(gw_message));
    m->replaceable = (flags & GW_SEND_REPLACEABLE) != 0;
    m->binary = (flags & GW_SEND_BINARY) != 0;
    m->segments = (gw_segment *)((unsigned char *)m + aligned(sizeof(gw_message)));
    unsigned char *next_storage = (unsigned char *)m + header;
    if (segments == 0) {
        m->segments[0] = (gw_segment){next_storage, 0, NULL};
        m->segment_count = 1;
        return m;
    }

    for (size_t k = 0; k < count; k++) {
        const gw_part *part = &parts[k];
        if (part->length == 0) {
            continue;
        }
        gw_segment *segment = &m->segments[m->segment_count++];
        segment->length = part->length;
        segment->shared = part->shared;
        if (part->shared) {
            atomic_fetch_add(&part->shared->references, 1);
            segment->data = (unsigned char *)part->data;
        } else {
            segment->data = next_storage;
            memcpy(segment->data, part->data, part->length);
            next_storage += aligned(part->length);
        }
        m->length += part->length;
    }
    return m;
}

void gw_free_queue_locked(gw_server *server, gw_session *session) {
    gw_message *m = session->head;
    while (m) {
        gw_message *next = m->next;
        gw_fanout_settle_locked(server, m);
        gw_free_message(m);
        m = next;
    }
    session->head = session->tail = NULL;
    session->queued_bytes = 0;
    session->pending_since = 0;
}

gw_message *gw_pop_locked(gw_server *server, gw_session *session) {
    gw_message *m = session->head;
    if (m) {
        gw_fanout_settle_locked(server, m);
        session->head = m->next;
        if (!session->head) {
            session->tail = NULL;
        }
        session->queued_bytes -= m->length;
    }
    return m;
}

/* Drops every queued replaceable message that has not started to go out; returns how many. */
static int drop_replaceable_locked(gw_server *server, gw_session *session) {
    int dropped = 0;
    gw_message **link = &session->head;
    session->tail = NULL;
    while (*link) {
        gw_message *m = *link;
        if (m->replaceable && !m->started) {
            *link = m->next;
            session->queued_bytes -= m->length;
            gw_fanout_settle_locked(server, m);
            gw_free_message(m);
            dropped++;
        } else {
            session->tail = m;
            link = &m->next;
        }
    }
    return dropped;
}

int gw_send(gw_server *server, uint64_t id, const uint8_t *data, size_t length, int flags) {
    gw_part part = {data, length, NULL};
    return gw_send_parts(server, id, &part, 1, flags);
}

int gw_send_parts(gw_server *server, uint64_t id, const gw_part *parts, size_t count, int flags) {
    gw_message *m = make_message(parts, count, flags);
    if (!m) {
        return -1;
    }
    int replaceable = m->replaceable;
    size_t length = m->length;
    int result = 0;
    pthread_mutex_lock(&server->lock);
    gw_session *s = gw_find_locked(server, id);
    if (!s || s->kind != GW_KIND_WS || s->close_requested || s->drop_requested) {
        pthread_mutex_unlock(&server->lock);
        gw_free_message(m);
        return -1;
    }
    /* A client still sending or holding an older state frame is behind, so its frame is not timed:
     * one stalled reader would otherwise keep every fan-out from completing. */
    int behind = 0;
    for (gw_message *queued = s->head; queued; queued = queued->next) {
        behind |= queued->replaceable;
    }
    if (replaceable) {
        server->stats.frames_replaced += (uint64_t)drop_replaceable_locked(server, s);
    }
    /* pending_since marks when the client last caught up. Replacing a queued frame is no progress,
     * so it keeps its time; only a write that empties the queue resets it. */
    if (s->pending_since == 0) {
        s->pending_since = gw_now();
    }
    if (s->tail) {
        s->tail->next = m;
    } else {
        s->head = m;
    }
    s->tail = m;
    s->queued_bytes += length;
    if (replaceable && !behind) {
        gw_fanout_count_locked(server, m);
    }
    if (s->queued_bytes > server->config.max_queue_bytes) {
        s->drop_requested = 1;
        server->stats.slow_consumer_drops++;
        result = -2;
    }
    gw_schedule_locked(server, s);
    pthread_mutex_unlock(&server->lock);
    gw_wake(server);
    return result;
}

int gw_replaceable_pending(gw_server *server, uint64_t id) {
    int pending = 0;
    pthread_mutex_lock(&server->lock);
    gw_session *s = gw_find_locked(server, id);
    for (gw_message *m = s ? s->head : NULL; m; m = m->next) {
        pending |= m->replaceable && !m->started;
    }
    pthread_mutex_unlock(&server->lock);
    return pending;
}

int gw_close(gw_server *server, uint64_t id, uint16_t code, const char *reason) {
    pthread_mutex_lock(&server->lock);
    gw_session *s = gw_find_locked(server, id);
    if (!s || s->kind != GW_KIND_WS) {
        pthread_mutex_unlock(&server->lock);
        return -1;
    }
    s->close_requested = 1;
    s->close_code = code;
    snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason ? reason : "");
    gw_schedule_locked(server, s);
    pthread_mutex_unlock(&server->lock);
    gw_wake(server);
    return 0;
}

void gw_get_stats(gw_server *server, gw_stats *out) {
    pthread_mutex_lock(&server->lock);
    *out = server->stats;
    pthread_mutex_unlock(&server->lock);
}

/* Marks connections whose queue has not drained for slow_timeout_s for dropping. */
static void scan_for_stalls_locked(gw_server *server, double now) {
    for (size_t b = 0; b < GW_BUCKETS; b++) {
        for (gw_session *s = server->buckets[b]; s; s = s->bucket_next) {
            if (s->kind == GW_KIND_WS && s->head && !s->drop_requested &&
                now - s->pending_since > server->config.slow_timeout_s) {
                s->drop_requested = 1;
                server->stats.slow_consumer_drops++;
                gw_schedule_locked(server, s);
            }
        }
    }
}

/* Pings a client that has been silent for ping_interval_s (once per interval) and drops one silent
 * for hangup_interval_s. Any frame from the client, a pong included, counts as heard. */
static void keepalive_locked(gw_server *server, double now) {
    double ping_after = server->config.ping_interval_s, hangup_after = server->config.hangup_interval_s;
    for (size_t b = 0; b < GW_BUCKETS; b++) {
        for (gw_session *s = server->buckets[b]; s; s = s->bucket_next) {
            if (s->kind != GW_KIND_WS || !s->accepted || s->drop_requested) {
                continue;
            }
            if (hangup_after > 0 && now - s->last_heard > hangup_after) {
                s->drop_requested = 1;
                server->stats.idle_hangups++;
                gw_schedule_locked(server, s);
            } else if (ping_after > 0 && now - s->last_heard >= ping_after && now - s->last_ping >= ping_after) {
                s->ping_due = 1;
                s->last_ping = now;
                gw_schedule_locked(server, s);
            }
        }
    }
}

/* Processes a loop's work on its service thread after each wake. The scans, when due, cover every
 * connection but only mark and schedule. Then come this loop's scheduled sessions and new sockets. */
void gw_process_work(gw_loop *loop) {
    gw_server *server = loop->server;
    atomic_store(&loop->wake_pending, 0);
    double now = gw_now();
    pthread_mutex_lock(&server->lock);
    if (now - server->last_scan > 0.5) {
        server->last_scan = now;
        scan_for_stalls_locked(server, now);
        keepalive_locked(server, now);
    }
    gw_session *list = loop->work;
    loop->work = NULL;
    int *adopt = loop->adopt;
    size_t adopt_count = loop->adopt_count;
    loop->adopt = NULL;
    loop->adopt_count = loop->adopt_capacity = 0;
    atomic_store(&loop->has_work, 0);
    for (gw_session *s = list; s;) {
        gw_session *next = s->work_next;
        s->on_work_list = 0;
        s->work_next = NULL;
        if (s->drop_requested && s->kind == GW_KIND_WS) {
            /* A stalled socket cannot take a close frame: drop it. */
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        } else {
            lws_callback_on_writable(s->wsi);
        }
        s = next;
    }
    pthread_mutex_unlock(&server->lock);
    for (size_t k = 0; k < adopt_count; k++) {
        /* On failure lws has closed the socket already, so closing it here could close another one
         * that has since taken the same number. */
        lws_adopt_socket_vhost(loop->vhost, adopt[k]);
    }
    free(adopt);
    gw_wake(server); /* the scans may have scheduled other loops' connections */
}
