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
    for (gw_session **w = &server->work; *w; w = &(*w)->work_next) {
        if (*w == session) {
            *w = session->work_next;
            break;
        }
    }
    session->registered = 0;
    gw_free_queue(session);
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
    if (!session->on_work_list) {
        session->on_work_list = 1;
        session->work_next = server->work;
        server->work = session;
    }
}

/* Wakes the service loop once however many threads ask before it runs. */
void gw_wake(gw_server *server) {
    if (!atomic_exchange(&server->wake_pending, 1)) {
        lws_cancel_service(server->context);
    }
}

void gw_free_queue(gw_session *session) {
    gw_message *m = session->head;
    while (m) {
        gw_message *next = m->next;
        free(m);
        m = next;
    }
    session->head = session->tail = NULL;
    session->queued_bytes = 0;
    session->pending_since = 0;
}

gw_message *gw_pop_locked(gw_session *session) {
    gw_message *m = session->head;
    if (m) {
        session->head = m->next;
        if (!session->head) {
            session->tail = NULL;
        }
        session->queued_bytes -= m->length;
    }
    return m;
}

/* Drops every queued replaceable message; returns how many. */
static int drop_replaceable_locked(gw_session *session) {
    int dropped = 0;
    gw_message **link = &session->head;
    session->tail = NULL;
    while (*link) {
        gw_message *m = *link;
        if (m->replaceable) {
            *link = m->next;
            session->queued_bytes -= m->length;
            free(m);
            dropped++;
        } else {
            session->tail = m;
            link = &m->next;
        }
    }
    return dropped;
}

int gw_send(gw_server *server, uint64_t id, const uint8_t *data, size_t length, int replaceable) {
    gw_message *m = malloc(sizeof(gw_message) + LWS_PRE + length);
    if (!m) {
        return -1;
    }
    m->next = NULL;
    m->length = length;
    m->replaceable = replaceable;
    memcpy(m->bytes + LWS_PRE, data, length);
    int result = 0;
    pthread_mutex_lock(&server->lock);
    gw_session *s = gw_find_locked(server, id);
    if (!s || s->kind != GW_KIND_WS || s->close_requested || s->drop_requested) {
        pthread_mutex_unlock(&server->lock);
        free(m);
        return -1;
    }
    if (replaceable) {
        server->stats.frames_replaced += (uint64_t)drop_replaceable_locked(s);
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
        pending |= m->replaceable;
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

void gw_process_work(gw_server *server) {
    atomic_store(&server->wake_pending, 0);
    double now = gw_now();
    pthread_mutex_lock(&server->lock);
    if (now - server->last_scan > 0.5) {
        server->last_scan = now;
        scan_for_stalls_locked(server, now);
        keepalive_locked(server, now);
    }
    gw_session *list = server->work;
    server->work = NULL;
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
}
