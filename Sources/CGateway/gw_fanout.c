/* Fan-out timing: from the start of a broadcast until the last of its messages has left its queue.
 * The application's broadcast time ends once every message is queued. The sockets take the bytes
 * later, so only the transport can record when the last client has been served. */
#include "gw_internal.h"

static void finish_if_done_locked(gw_server *server) {
    gw_fanout *f = &server->fanout;
    if (f->frame != 0 && !f->queuing && f->outstanding == 0 && !f->finished) {
        f->finished = 1;
        if (f->queued == 0) {
            return; /* no client: nothing was fanned out */
        }
        server->stats.fanouts_completed++;
        server->stats.last_fanout_us = (uint64_t)((gw_now() - f->started) * 1e6);
    }
}

void gw_frame_begin(gw_server *server) {
    pthread_mutex_lock(&server->lock);
    gw_fanout *f = &server->fanout;
    f->frame++;
    f->started = gw_now();
    f->queued = f->outstanding = 0;
    f->queuing = 1;
    f->finished = 0;
    pthread_mutex_unlock(&server->lock);
}

void gw_frame_end(gw_server *server) {
    pthread_mutex_lock(&server->lock);
    server->fanout.queuing = 0;
    finish_if_done_locked(server);
    pthread_mutex_unlock(&server->lock);
}

void gw_fanout_count_locked(gw_server *server, gw_message *message) {
    if (server->fanout.queuing) {
        message->frame = server->fanout.frame;
        server->fanout.queued++;
        server->fanout.outstanding++;
    }
}

void gw_fanout_settle_locked(gw_server *server, gw_message *message) {
    if (message->frame != 0 && message->frame == server->fanout.frame) {
        server->fanout.outstanding--;
        finish_if_done_locked(server);
    }
    message->frame = 0;
}
