/* WebSocket connections: handshake filter, message reassembly with the size limit, queued writes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "gw_internal.h"

#define GW_PARTS_PER_CALL 1024 /* maximum iovecs in one sendmsg on Linux (UIO_MAXIOV) */

/* Refills the handshake token bucket, shared by every loop, for the time since its last use. */
static void refill_handshake_tokens_locked(gw_server *server) {
    double now = gw_now();
    server->tokens += (now - server->tokens_updated) * server->config.handshakes_per_s;
    if (server->tokens > server->config.handshake_burst) {
        server->tokens = server->config.handshake_burst;
    }
    server->tokens_updated = now;
}

int gw_take_handshake_token(gw_server *server) {
    pthread_mutex_lock(&server->lock);
    refill_handshake_tokens_locked(server);
    int granted = server->tokens >= 1.0;
    if (granted) {
        server->tokens -= 1.0;
    } else {
        server->stats.handshakes_rejected++;
    }
    pthread_mutex_unlock(&server->lock);
    return granted;
}

void gw_mark_handshake(gw_server *server, int fd, unsigned char mark) {
    pthread_mutex_lock(&server->lock);
    if (fd >= 0 && (size_t)fd < server->handshake_mark_count) {
        server->handshake_marks[fd] = mark;
    }
    pthread_mutex_unlock(&server->lock);
}

/* Returns the greeter's decision on the handshake limit for this socket, and clears it. */
static unsigned char take_handshake_mark(gw_server *server, int fd) {
    unsigned char mark = GW_HANDSHAKE_UNCHECKED;
    pthread_mutex_lock(&server->lock);
    if (fd >= 0 && (size_t)fd < server->handshake_mark_count) {
        mark = server->handshake_marks[fd];
        server->handshake_marks[fd] = GW_HANDSHAKE_UNCHECKED;
    }
    pthread_mutex_unlock(&server->lock);
    return mark;
}

static const char *status_text(int status) {
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

/* The error body of a refused upgrade, in the HTTP API's format. The gateway refuses with 400 only for an
 * unknown or repeated `encoding`. */
static const char *refusal_body(int status) {
    switch (status) {
    case 400:
        return "{\"error\":{\"code\":\"invalid_request\",\"message\":\"encoding: expected one of json, deflate or "
               "binary, given once\"}}";
    case 401:
        return "{\"error\":{\"code\":\"unauthorized\",\"message\":\"missing, unknown or expired token\"}}";
    case 404:
        return "{\"error\":{\"code\":\"not_found\",\"message\":\"WebSocket upgrades are served at /ws\"}}";
    case 503:
        return "{\"error\":{\"code\":\"store_unavailable\",\"message\":\"the account store is unreachable; "
               "retry after 1 s\"}}";
    default:
        return "{\"error\":{\"code\":\"refused\",\"message\":\"upgrade refused\"}}";
    }
}

/* Bodies of the 503s the transport gives before the application gets the upgrade. */
static const char handshake_limit_body[] =
    "{\"error\":{\"code\":\"rate_limited\",\"message\":\"too many handshakes at once; retry after 1 s\"}}";
static const char stopping_body[] =
    "{\"error\":{\"code\":\"shutting_down\",\"message\":\"the server is stopping; retry after 1 s\"}}";
static const char retry_body[] =
    "{\"error\":{\"code\":\"token_check_pending\",\"message\":\"the token is being looked up; retry after 1 s\"}}";

/* Rejects an upgrade with a plain HTTP/1.1 status and a JSON error body (and Retry-After for 503),
 * written whole because lws labels responses at this stage HTTP/1.0, which WebSocket clients reject. */
static int refuse_upgrade(struct lws *wsi, int status, const char *body) {
    unsigned char buffer[LWS_PRE + 512];
    int length = snprintf((char *)buffer + LWS_PRE, sizeof(buffer) - LWS_PRE,
                          "HTTP/1.1 %d %s\r\n%sconnection: close\r\ncontent-type: application/json\r\n"
                          "content-length: %zu\r\n\r\n%s",
                          status, status_text(status), status == 503 ? "retry-after: 1\r\n" : "", strlen(body), body);
    lws_write(wsi, buffer + LWS_PRE, (size_t)length, LWS_WRITE_HTTP_HEADERS);
    return -1;
}

static int filter_upgrade(gw_server *server, gw_session *session, struct lws *wsi) {
    /* The greeter takes the handshake token of a `GET /ws?...` request before the token lookup, so a
     * rejected handshake costs no lookup. Other upgrades take their token here. */
    if (atomic_load(&server->stopping)) {
        return refuse_upgrade(wsi, 503, stopping_body);
    }
    unsigned char mark = take_handshake_mark(server, lws_get_socket_fd(wsi));
    int admitted = mark == GW_HANDSHAKE_ADMITTED || (mark == GW_HANDSHAKE_UNCHECKED && gw_take_handshake_token(server));
    if (!admitted) {
        return refuse_upgrade(wsi, 503, handshake_limit_body);
    }
    gw_register(server, session, wsi, GW_KIND_WS);
    char path[1024] = "", query[1024] = "", remote[64] = "";
    lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
    gw_copy_query(wsi, query, sizeof(query));
    lws_get_peer_simple(wsi, remote, sizeof(remote));
    int status = server->callbacks.on_ws_open(server->callbacks.context, session->id, path, query, remote);
    if (status != 0) {
        gw_unregister(server, session);
        if (status == GW_UPGRADE_RETRY) {
            return refuse_upgrade(wsi, 503, retry_body);
        }
        return refuse_upgrade(wsi, status, refusal_body(status));
    }
    /* Under the lock, because the keepalive scan may run on another loop's thread: it must never see
     * an accepted session without its times. */
    pthread_mutex_lock(&server->lock);
    session->last_heard = session->last_ping = gw_now();
    session->accepted = 1;
    server->stats.connections_total++;
    server->stats.connections_active++;
    pthread_mutex_unlock(&server->lock);
    return 0;
}

static int close_with(struct lws *wsi, uint16_t code, const char *reason) {
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
    return -1;
}

/* Appends a fragment; refuses (1009) as soon as the announced or received size passes the limit. */
static void heard(gw_server *server, gw_session *s);

static int receive(gw_server *server, gw_session *s, struct lws *wsi, const void *in, size_t len) {
    heard(server, s);
    size_t remaining = lws_remaining_packet_payload(wsi);
    size_t limit = server->config.max_message_bytes;
    if (s->rx_length + len > limit || remaining > limit - s->rx_length - len) {
        pthread_mutex_lock(&server->lock);
        server->stats.oversize_closes++;
        pthread_mutex_unlock(&server->lock);
        return close_with(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message exceeds the size limit");
    }
    if (s->rx_length == 0) {
        s->rx_binary = lws_frame_is_binary(wsi);
    }
    if (s->rx_length + len > s->rx_capacity) {
        size_t capacity = s->rx_capacity ? s->rx_capacity : 4096;
        while (capacity < s->rx_length + len) {
            capacity *= 2;
        }
        unsigned char *grown = realloc(s->rx, capacity);
        if (!grown) {
            return close_with(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, "out of memory");
        }
        s->rx = grown;
        s->rx_capacity = capacity;
    }
    memcpy(s->rx + s->rx_length, in, len);
    s->rx_length += len;
    if (lws_is_final_fragment(wsi) && remaining == 0) {
        size_t length = s->rx_length;
        s->rx_length = 0;
        server->callbacks.on_ws_message(server->callbacks.context, s->id, s->rx, length, s->rx_binary);
    }
    return 0;
}

/* Notes that the client is alive (any frame, a pong included), for the keepalive scan. */
static void heard(gw_server *server, gw_session *s) {
    pthread_mutex_lock(&server->lock);
    s->last_heard = gw_now();
    pthread_mutex_unlock(&server->lock);
}

/* Sends the ping the keepalive scan requested, if any, from a buffer of its own, between two messages.
 * Returns 1 if it sent one, 0 if none was due, or -1 on a socket error. */
static int write_ping_if_due(gw_server *server, gw_session *s, struct lws *wsi) {
    pthread_mutex_lock(&server->lock);
    int due = s->ping_due;
    s->ping_due = 0;
    pthread_mutex_unlock(&server->lock);
    if (!due) {
        return 0;
    }
    unsigned char frame[LWS_PRE + 8];
    memcpy(frame + LWS_PRE, "galaxy", 6);
    return lws_write(wsi, frame + LWS_PRE, 6, LWS_WRITE_PING) < 0 ? -1 : 1;
}

/* Writes the header of one unmasked, final WebSocket frame (RFC 6455, section 5.2) carrying
 * `length` payload bytes. Returns the header's size. */
static size_t frame_header(unsigned char header[10], int binary, size_t length) {
    header[0] = 0x80 | (binary ? 0x2 : 0x1);
    if (length < 126) {
        header[1] = (unsigned char)length;
        return 2;
    }
    if (length <= 0xffff) {
        header[1] = 126;
        header[2] = (unsigned char)(length >> 8);
        header[3] = (unsigned char)length;
        return 4;
    }
    header[1] = 127;
    for (int k = 0; k < 8; k++) {
        header[2 + k] = (unsigned char)((uint64_t)length >> (56 - 8 * k));
    }
    return 10;
}

/* Returns part k of a message as sent: the frame header for k = 0, then the segments in order. */
static struct iovec wire_part(const gw_message *m, unsigned char *header, size_t header_length, size_t k) {
    if (k == 0) {
        return (struct iovec){header, header_length};
    }
    return (struct iovec){m->segments[k - 1].data, m->segments[k - 1].length};
}

/* Sends a whole message as one WebSocket frame: our header and every segment in one sendmsg call
 * (another per 1,024 parts), which saves system calls and packets over one send per segment. What the
 * socket does not take goes to lws's output buffer through lws_write(LWS_WRITE_HTTP), which adds no
 * framing. lws sends that buffer before any other frame, pongs included, so nothing lands inside this
 * one. The caller makes sure the buffer is empty beforehand. Returns 0 when the socket took the whole
 * message, 1 when lws keeps the rest, and -1 on a socket error. */
static int write_message(struct lws *wsi, const gw_message *m) {
    unsigned char header[10];
    size_t header_length = frame_header(header, m->binary, m->length);
    size_t total = m->segment_count + 1;
    struct iovec parts[GW_PARTS_PER_CALL];
    size_t next = 0; /* the first part not yet handed to the socket */
    size_t skip = 0; /* bytes of that part the socket already took */
    while (next < total) {
        size_t count = total - next < GW_PARTS_PER_CALL ? total - next : GW_PARTS_PER_CALL;
        size_t batch_length = 0;
        for (size_t k = 0; k < count; k++) {
            parts[k] = wire_part(m, header, header_length, next + k);
            batch_length += parts[k].iov_len;
        }
        struct msghdr message = {.msg_iov = parts, .msg_iovlen = count};
        ssize_t sent = sendmsg((int)lws_get_socket_fd(wsi), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            return -1;
        }
        size_t sent_bytes = sent < 0 ? 0 : (size_t)sent;
        if (sent_bytes == batch_length) {
            next += count;
            continue;
        }
        skip = sent_bytes;
        break;
    }
    if (next == total) {
        return 0;
    }
    for (size_t k = next; k < total; k++) {
        struct iovec part = wire_part(m, header, header_length, k);
        if (skip >= part.iov_len) {
            skip -= part.iov_len;
            continue;
        }
        if (lws_write(wsi, (unsigned char *)part.iov_base + skip, part.iov_len - skip, LWS_WRITE_HTTP) < 0) {
            return -1;
        }
        skip = 0;
    }
    return 1;
}

/* Sends the head message. Returns 1 if more output is waiting, 0 if the queue is empty, or -1 to
 * close the connection (an error, or a requested close once the queue drained). */
static int write_one(gw_server *server, gw_session *s, struct lws *wsi) {
    pthread_mutex_lock(&server->lock);
    gw_message *m = s->head;
    int closing = s->close_requested && !s->head;
    uint16_t code = s->close_code;
    char reason[sizeof(s->close_reason)];
    memcpy(reason, s->close_reason, sizeof(reason));
    if (m) {
        m->started = 1; /* from here on a newer state frame queues behind it instead of replacing it */
    }
    pthread_mutex_unlock(&server->lock);
    if (!m) {
        return closing ? close_with(wsi, code, reason) : 0;
    }
    int written = write_message(wsi, m);
    if (written < 0) {
        return -1;
    }

    pthread_mutex_lock(&server->lock);
    server->stats.partial_writes += (uint64_t)written;
    gw_pop_locked(server, s);
    if (!s->head) {
        s->pending_since = 0; /* caught up */
    }
    server->stats.bytes_sent += m->length;
    int more = s->head != NULL || s->close_requested;
    pthread_mutex_unlock(&server->lock);
    gw_free_message(m);
    return more;
}

/* Writes queued frames until lws reports the socket choked or GW_WRITES_PER_CALLBACK frames went out,
 * then requests another writable callback if output remains. Several writes per callback save a poll
 * over every connection per frame, and the cap keeps one fast reader from delaying the others. */
static int write_next(gw_server *server, gw_session *s, struct lws *wsi) {
    int ping = write_ping_if_due(server, s, wsi);
    if (ping < 0) {
        return -1;
    }
    /* write_message needs an empty lws buffer, or its bytes would go out before the rest of the ping. */
    if (ping && lws_send_pipe_choked(wsi)) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    for (int k = 1;; k++) {
        int result = write_one(server, s, wsi);
        if (result <= 0) {
            return result;
        }
        if (k == GW_WRITES_PER_CALLBACK || lws_send_pipe_choked(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
}

int gw_ws_callback(gw_server *server, gw_session *s, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                   size_t len) {
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return filter_upgrade(server, s, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        /* Messages queued during the handshake (the welcome) could not be scheduled before now. */
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return receive(server, s, wsi, in, len);
    case LWS_CALLBACK_RECEIVE_PONG:
        heard(server, s);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return write_next(server, s, wsi);
    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WS_SERVER_DROP_PROTOCOL: {
        /* Either may come first and the session memory is freed after the drop; the first one
         * reports the close and unregisters, the second finds nothing left to do. */
        pthread_mutex_lock(&server->lock);
        int accepted = s->accepted;
        s->accepted = 0;
        if (accepted) {
            server->stats.disconnections_total++;
            server->stats.connections_active--;
        }
        pthread_mutex_unlock(&server->lock);
        uint64_t id = s->id;
        gw_unregister(server, s);
        if (accepted) {
            server->callbacks.on_ws_closed(server->callbacks.context, id);
        }
        return 0;
    }
    default:
        return 0;
    }
}
