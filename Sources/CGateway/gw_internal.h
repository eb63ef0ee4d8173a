/* Internals shared by the gateway transport's files. */
#ifndef GW_INTERNAL_H
#define GW_INTERNAL_H

#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>

#include "gw_transport.h"

#define GW_BUCKETS 4096
#define GW_WRITES_PER_CALLBACK 8 /* frames written to one connection per writable callback, at most */
#define GW_MAX_LOOPS 16

typedef struct gw_loop gw_loop;
typedef struct gw_greeting gw_greeting;

enum { GW_KIND_NONE = 0, GW_KIND_HTTP = 1, GW_KIND_WS = 2 };
enum { GW_HANDSHAKE_UNCHECKED = 0, GW_HANDSHAKE_ADMITTED = 1, GW_HANDSHAKE_REJECTED = 2 };

/* Reference-counted buffer of `length` bytes. It is read-only once created, so several service loops can
 * send from it at the same time. */
struct gw_shared {
    atomic_size_t references;
    size_t length;
    unsigned char bytes[];
};

/* One part of a queued message: bytes in the message's own allocation or in a shared buffer. */
typedef struct gw_segment {
    unsigned char *data;
    size_t length;
    gw_shared *shared; /* NULL when the bytes live in the message's own allocation */
} gw_segment;

/* An outgoing WebSocket message of one or more segments, sent as one frame. `started` is locked: once
 * the message is being written, it is no longer replaceable. */
typedef struct gw_message {
    struct gw_message *next;
    uint64_t frame; /* the broadcast it belongs to (gw_frame_begin), or 0 */
    size_t length; /* payload bytes over all segments */
    int replaceable;
    int binary;
    int started;
    size_t segment_count;
    gw_segment *segments; /* inside this allocation, followed by the copied parts' storage */
} gw_message;

/* Per-connection state; lws allocates it zeroed as the protocol's session data. Fields marked
 * "locked" are shared with other threads under gw_server.lock. */
typedef struct gw_session {
    uint64_t id;
    struct lws *wsi;
    gw_loop *loop; /* the service loop that owns the connection */
    int kind;
    int registered;
    struct gw_session *bucket_next; /* locked */
    struct gw_session *work_next;   /* locked: list of sessions the service thread must visit */
    int on_work_list;               /* locked */

    /* WebSocket output (locked). */
    gw_message *head, *tail;
    size_t queued_bytes;
    double pending_since; /* monotonic seconds since the queue last went non-empty; 0 when empty */
    int close_requested;
    uint16_t close_code;
    char close_reason[100];
    int drop_requested;
    int accepted;

    /* Keepalive (locked, since the scan runs on any loop's thread): see keepalive_locked in gw_sessions.c. */
    double last_heard; /* monotonic seconds of the last frame of any kind from the client */
    double last_ping;  /* monotonic seconds of the last ping sent */
    int ping_due;

    /* WebSocket input (service thread). */
    unsigned char *rx;
    size_t rx_length, rx_capacity;
    int rx_binary;

    /* HTTP request (service thread) and response (locked until response_ready). */
    char method[8];
    char path[1024];
    char query[1024];
    char authorization[1024];
    char remote[64];
    unsigned char *body;
    size_t body_length, body_capacity;
    int body_too_large;
    int delivered; /* the current request went to the application already */
    int chunked;   /* the body came with Transfer-Encoding, which is not read */
    int response_ready;
    int status;
    char content_type[64];
    char *extra_headers;
    unsigned char *response; /* LWS_PRE + response_length */
    size_t response_length, response_sent;
    int headers_sent;
} gw_session;

/* The broadcast being sent: how many of its messages are still queued. */
typedef struct gw_fanout {
    uint64_t frame;     /* current broadcast, counting from 1 */
    double started;     /* monotonic seconds at gw_frame_begin */
    size_t queued;      /* its messages */
    size_t outstanding; /* those not yet settled */
    int queuing;        /* between gw_frame_begin and gw_frame_end */
    int finished;       /* its duration has been recorded */
} gw_fanout;

/* One service loop: a libwebsockets context and the thread that services it. */
struct gw_loop {
    struct gw_server *server;
    struct lws_context *context;
    struct lws_vhost *vhost;
    gw_session *work;                       /* locked: sessions this loop must visit */
    int *adopt;                             /* locked: accepted sockets waiting to join this loop */
    size_t adopt_count, adopt_capacity;     /* locked */
    atomic_int has_work;                    /* work or adopt is non-empty */
    atomic_int wake_pending;
    lws_sorted_usec_list_t keepalive_timer; /* runs the scans while nothing else wakes the loop */
    pthread_t thread;
    int thread_started;
};

struct gw_server {
    gw_config config;
    gw_callbacks callbacks;
    pthread_mutex_t lock;
    gw_session *buckets[GW_BUCKETS]; /* locked */
    uint64_t next_id;                /* locked */
    gw_loop loops[GW_MAX_LOOPS];
    int loop_count;
    size_t next_loop;                /* locked: the loop the next connection goes to */
    int listen_fd;                   /* locked, except that the accept thread reads it, which is safe because it closes only after that thread ends */
    int listen_shut;                 /* locked */
    pthread_t accept_thread;
    int accept_started;
    int greet_epoll, greet_wake;     /* the greeter's epoll set and its wake-up eventfd, or -1 */
    pthread_t greet_thread;
    int greet_started;
    int greet_closed;                /* locked: the transport is stopping, so sockets are closed, not handed over */
    gw_greeting *greetings;          /* locked: connections in the greeter */
    size_t greeting_count, greeting_capacity; /* locked */
    uint64_t next_ticket;            /* locked */
    atomic_int stopping;
    atomic_int finished;
    double tokens, tokens_updated;   /* locked: handshake bucket */
    unsigned char *handshake_marks;  /* locked: GW_HANDSHAKE_* by socket descriptor, cleared on accept */
    size_t handshake_mark_count;
    double last_scan;                /* locked */
    gw_stats stats;                  /* locked */
    gw_fanout fanout;                /* locked */
    int port;
    struct lws_protocols protocols[2];
    lws_retry_bo_t idle_policy;
};

double gw_now(void);

/* Copies the request's query string into `query`, truncated to `size` - 1 bytes. libwebsockets keeps
 * each argument as a separate fragment, so they are joined again with '&'. */
void gw_copy_query(struct lws *wsi, char *query, size_t size);

/* Session table and queues (gw_sessions.c); functions named *_locked expect the lock held. */
void gw_register(gw_server *server, gw_session *session, struct lws *wsi, int kind);
void gw_unregister(gw_server *server, gw_session *session);
gw_session *gw_find_locked(gw_server *server, uint64_t id);
void gw_schedule_locked(gw_server *server, gw_session *session);
void gw_wake(gw_server *server);
void gw_wake_loop(gw_loop *loop);
void gw_free_queue_locked(gw_server *server, gw_session *session);
void gw_free_message(gw_message *message);
gw_message *gw_pop_locked(gw_server *server, gw_session *session);

/* Fan-out timing (gw_fanout.c): a queued message of the current broadcast is settled once, when its
 * last byte is written or when it is dropped unsent. */
void gw_fanout_count_locked(gw_server *server, gw_message *message);
void gw_fanout_settle_locked(gw_server *server, gw_message *message);
void gw_process_work(gw_loop *loop);

/* Listening socket and accept thread (gw_listener.c). */
int gw_listen(gw_server *server, char *error, size_t error_size);
int gw_start_accepting(gw_server *server);
void gw_refuse_connections(gw_server *server);
void gw_stop_accepting(gw_server *server);
/* Queues an accepted socket on the next loop in turn and wakes that loop. Thread-safe. */
void gw_hand_over(gw_server *server, int fd);

/* The greeter (gw_greeter.c): accepted sockets wait there for their request line. */
void gw_greet(gw_server *server, int fd);
int gw_start_greeting(gw_server *server);
void gw_stop_greeting(gw_server *server);

/* HTTP (gw_http.c). */
int gw_http_callback(gw_server *server, gw_session *session, struct lws *wsi, enum lws_callback_reasons reason,
                     void *in, size_t len);
void gw_http_reset(gw_session *session);

/* WebSocket (gw_websocket.c). */
/* Takes a token from the handshake bucket, shared by every loop; returns 1 if the handshake may
 * proceed, and counts a rejection otherwise. */
int gw_take_handshake_token(gw_server *server);
/* Records the greeter's decision on the handshake limit for a socket (a GW_HANDSHAKE_* value), which the
 * upgrade filter then uses instead of taking a second token. */
void gw_mark_handshake(gw_server *server, int fd, unsigned char mark);
int gw_ws_callback(gw_server *server, gw_session *session, struct lws *wsi, enum lws_callback_reasons reason,
                   void *in, size_t len);

#endif
