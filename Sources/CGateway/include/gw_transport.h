/*
 * HTTP and WebSocket transport for the Galaxy gateway, over libwebsockets 4.1.
 *
 * The transport listens on its own socket. An accept thread deals the
 * accepted connections out in turn to service_threads service loops. Each
 * loop is a libwebsockets context on a thread of its own, because this
 * libwebsockets build serves one context from one thread only. A loop owns
 * its connections for their lifetime. Other threads hand work to a loop through the thread-safe
 * gw_send, gw_close and gw_http_respond, which queue under a lock and wake
 * that loop. Callbacks into the application (gw_callbacks) run on the
 * service threads, possibly on several at once, never with the transport's
 * lock held, and must not block: they may call gw_send, gw_close and
 * gw_http_respond directly. Callbacks for one connection come from one
 * thread, in order. At shutdown, connections still open get their close
 * callbacks on the gw_run thread, after every loop has stopped.
 *
 * Outgoing WebSocket messages wait in a per-connection queue. A message sent
 * as replaceable (a full-state frame) drops any older replaceable message
 * that has not started to go out, so a slow reader keeps at most one waiting
 * state frame, one partly sent, and its acks and events. A message may be made
 * of several parts. A part can be a range of a reference-counted shared buffer
 * (gw_shared) that many connections' messages point into without copying.
 * Each message goes out as one WebSocket frame in one sendmsg call; bytes the
 * socket does not take wait in libwebsockets' output buffer. A connection whose queue has not drained
 * for slow_timeout_s, or whose queue exceeds max_queue_bytes, is dropped
 * and counted as a slow consumer; a stalled socket cannot take a close frame.
 *
 * Incoming messages are reassembled up to max_message_bytes; a message that
 * announces or reaches more is refused with close code 1009 as soon as the
 * size is known, before any payload of that size is buffered.
 */
#ifndef GW_TRANSPORT_H
#define GW_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gw_server gw_server;

typedef struct gw_config {
    int port;                    /* TCP port; 0 picks a free one (see gw_port) */
    const char *bind_address;    /* e.g. "127.0.0.1"; NULL for all interfaces */
    size_t max_message_bytes;    /* largest incoming WebSocket message */
    size_t max_body_bytes;       /* largest HTTP request body */
    size_t max_queue_bytes;      /* outgoing bytes queued per connection before it is dropped */
    double slow_timeout_s;       /* seconds a queue may stay undrained before the connection is dropped */
    double handshakes_per_s;     /* WebSocket handshake token bucket: refill rate */
    double handshake_burst;      /* and capacity */
    uint16_t ping_interval_s;    /* idle seconds before the server pings */
    uint16_t hangup_interval_s;  /* idle seconds (no pong or data) before it hangs up */
    int service_threads;         /* service loops, each owning a share of the connections; 0 means 1 */
} gw_config;

/* A complete HTTP request. Strings are NUL-terminated and valid only during
 * the callback; `authorization` and `query` are "" when absent. */
typedef struct gw_http_request {
    uint64_t request_id;
    const char *method; /* GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD */
    const char *path;
    const char *query;
    const char *authorization;
    const char *remote_address;
    const uint8_t *body;
    size_t body_length;
} gw_http_request;

/* on_ws_open result for an upgrade whose token has no result yet: 503 `token_check_pending`. */
#define GW_UPGRADE_RETRY 1503

typedef struct gw_callbacks {
    void *context;
    /* Must lead to exactly one gw_http_respond for request_id, now or later. */
    void (*on_http)(void *context, const gw_http_request *request);
    /* WebSocket upgrade on `path`: return 0 to accept, an HTTP status (401, 404, ...) to refuse it,
     * or GW_UPGRADE_RETRY for a 503 `token_check_pending`, after which the client should retry. */
    int (*on_ws_open)(void *context, uint64_t connection_id, const char *path, const char *query,
                      const char *remote_address);
    void (*on_ws_message)(void *context, uint64_t connection_id, const uint8_t *data, size_t length, int is_binary);
    /* Called once per accepted WebSocket when it is gone, whatever the reason. */
    void (*on_ws_closed)(void *context, uint64_t connection_id);
    /* Optional. A new connection's request line is `GET /ws?QUERY`: the connection waits, off the
     * service loops, until gw_greeting_done(ticket). Do the checks on_ws_open will need (such as the
     * token's store lookup) on a thread of your own, then call it from any thread. Calls after the
     * first for a ticket are ignored. Without a call the connection moves on after 30 s. */
    void (*on_ws_greeting)(void *context, uint64_t ticket, const char *query);
} gw_callbacks;

typedef struct gw_stats {
    uint64_t connections_total;      /* WebSocket connections accepted */
    uint64_t disconnections_total;
    uint64_t connections_active;
    uint64_t handshakes_rejected;    /* by the rate limit */
    uint64_t slow_consumer_drops;
    uint64_t oversize_closes;        /* 1009 */
    uint64_t frames_replaced;        /* state frames dropped for newer ones */
    uint64_t bytes_sent;
    uint64_t partial_writes;         /* messages the socket took only in part; libwebsockets sends the rest */
    uint64_t http_requests;
    uint64_t idle_hangups;           /* silent past hangup_interval_s */
    uint64_t fanouts_completed;      /* broadcasts to at least one client whose every message was written or dropped */
    uint64_t last_fanout_us;         /* the last such broadcast, gw_frame_begin to its last byte written */
} gw_stats;

/* Creates the listening server; NULL on failure with a message in error. */
gw_server *gw_create(const gw_config *config, const gw_callbacks *callbacks, char *error, size_t error_size);

/* Runs the service loops until gw_stop: the first on the calling thread, the
 * others on threads of their own, and the accept thread. Then closes every
 * WebSocket with 1001, waits up to 2 s for the close frames to go out and
 * destroys the libwebsockets contexts. Returns 0, or -1 when its threads
 * could not start (the transport then stops at once). A loop that fails
 * stops the whole transport. */
int gw_run(gw_server *server);

/* Asks gw_run to finish and waits (up to 5 s) until it has. Thread-safe, but
 * never call it on the service thread. */
void gw_stop(gw_server *server);

/* Frees the server after gw_run has returned. */
void gw_destroy(gw_server *server);

/* Lets a connection held for on_ws_greeting go on to a service loop. Thread-safe; a ticket that
 * has already moved on, or a stopped server, is ignored. */
void gw_greeting_done(gw_server *server, uint64_t ticket);

/* Port actually bound. */
int gw_port(const gw_server *server);

/* Flags of gw_send and gw_send_parts. A replaceable message is a state frame, as the top of this file
 * describes. A binary one goes out as a binary WebSocket message instead of text. */
#define GW_SEND_REPLACEABLE 1
#define GW_SEND_BINARY 2

/* Queues a message. Returns 0, or -1 if the connection is gone, or -2
 * if it was dropped for exceeding max_queue_bytes. */
int gw_send(gw_server *server, uint64_t connection_id, const uint8_t *data, size_t length, int flags);

/* A reference-counted, immutable byte buffer that messages of many connections can share. The
 * transport keeps a reference for every queued part that points into it. */
typedef struct gw_shared gw_shared;

/* Copies `length` bytes into a new shared buffer holding one reference; NULL when out of memory. */
gw_shared *gw_shared_create(const uint8_t *data, size_t length);

/* First byte of the shared buffer's contents; parts point into [data, data + length). */
const uint8_t *gw_shared_data(const gw_shared *shared);

/* Drops one reference; the buffer is freed with the last one. Thread-safe. */
void gw_shared_release(gw_shared *shared);

/* One part of a message: `length` bytes at `data`. With `shared` NULL the bytes are copied when
 * queued; otherwise `data` must lie inside that shared buffer, which is referenced, not copied. */
typedef struct gw_part {
    const uint8_t *data;
    size_t length;
    gw_shared *shared;
} gw_part;

/* Queues a message made of `count` parts in order, with the flags and results of gw_send. The
 * client receives it as one message: a WebSocket frame per part, the first a text (or binary) frame
 * and the others continuations. Parts of length 0 are skipped. */
int gw_send_parts(gw_server *server, uint64_t connection_id, const gw_part *parts, size_t count, int flags);

/* Compresses `length` bytes at `data` as raw DEFLATE in blocks of `block_bytes` (the last may be
 * shorter), each ended by a full flush. So a block's output starts on a byte boundary and refers to no
 * earlier block, and any run of whole blocks can be spliced into another DEFLATE stream at a byte
 * boundary. No block is final. `offsets` must hold one entry per block plus one; offsets[b] is where
 * block b starts in the output and the last entry is its length. Returns the output, which the caller
 * frees with free(), and its length in *out_length; NULL on failure. `level` is zlib's, 1 to 9. */
uint8_t *gw_deflate_blocks(const uint8_t *data, size_t length, size_t block_bytes, int level, size_t *offsets,
                           size_t *out_length);

/* Brackets the queuing of one broadcast's messages (the replaceable ones sent in between). Once
 * gw_frame_end has run and each of those messages has been written or dropped, the time since
 * gw_frame_begin is recorded as the fan-out's duration in gw_stats. Messages to clients that still
 * have an older state frame queued are left out, since those clients are behind. A new
 * gw_frame_begin stops timing the previous broadcast. Call both from one thread. */
void gw_frame_begin(gw_server *server);
void gw_frame_end(gw_server *server);

/* 1 if a replaceable message for the connection is still waiting to start. */
int gw_replaceable_pending(gw_server *server, uint64_t connection_id);

/* Closes a WebSocket after its queued messages, with a close code and reason. */
int gw_close(gw_server *server, uint64_t connection_id, uint16_t code, const char *reason);

/* Sends the response to an HTTP request. extra_headers is NULL or "Name: value\r\n" lines. */
int gw_http_respond(gw_server *server, uint64_t request_id, int status, const char *content_type,
                    const uint8_t *body, size_t length, const char *extra_headers);

void gw_get_stats(gw_server *server, gw_stats *out);

#ifdef __cplusplus
}
#endif

#endif
