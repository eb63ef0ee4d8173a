/*
 * cloadgen: WebSocket load generator for the gateway benchmark, the C counterpart of loadgen.py.
 *
 * Keeps N WebSocket clients connected to /ws, optionally steers after every state message, and
 * measures for every state message its latency: the time its last byte arrived minus the server's
 * "server_time_ms" stamp (same machine, same clock), and its size. Prints one JSON line with the
 * same keys as loadgen.py. Tokens come from the file that `loadgen.py --prepare` writes.
 *
 * With --deflate the clients request encoding=deflate, and the server sends each state message as a
 * binary message holding a raw DEFLATE stream (RFC 1951, no zlib or gzip header). A client then
 * inflates only the message's first bytes to read the stamp. It inflates its first binary message and
 * every DEFLATE_CHECK_INTERVAL-th one after it in full, to check that the stream ends with a final
 * block at the end of the payload and that the text is a state object. The output line then also has
 * "encoding", "deflate_checked" (sampled messages checked), "deflate_errors" (messages that failed to
 * inflate or failed the check) and "mean_inflated_bytes" (over the sampled messages that passed, warm-up
 * included). "mean_frame_bytes" remains the payload size on the wire, which is then the compressed size.
 *
 * With --binary the clients request encoding=binary: each state message is a binary message of a
 * length-prefixed JSON head and 72-byte ship records (docs/protocol.md). A client reads the stamp in
 * the head and checks every such message's length against the layout: 8 bytes of lengths, the head,
 * and whole records. The output line then has "encoding": "binary".
 *
 * The load generator shares the cores with the server under test, so it keeps its CPU cost low.
 * Each thread runs one epoll loop over its share of the clients and parses frame headers
 * incrementally. It keeps only the first bytes of each message and drops the rest of a large
 * payload with recv(MSG_TRUNC), which on TCP sockets discards the bytes without copying them
 * (tcp(7), since Linux 2.4).
 *
 * Files:
 *   cloadgen.h    limits, shared types, and the functions that other files call
 *   util.c        fatal errors, allocation, the clock, text encoding, randomness
 *   options.c     command-line options and --base
 *   tokens.c      players from the tokens file
 *   output.c      sending frames, closing and failing clients
 *   frames.c      parsing received frames, handling the messages they complete
 *   inflate.c     inflating and checking the binary state messages of --deflate
 *   connection.c  connecting, the upgrade handshake, reading sockets
 *   worker.c      one epoll loop per thread
 *   summary.c     the output JSON line
 *   main.c        main()
 *
 * Build, in this folder: cc -O2 -Wall -Wextra -o cloadgen *.c -lpthread -lm -lz
 */
#ifndef CLOADGEN_H
#define CLOADGEN_H

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
/* Makes z_stream.next_in a pointer to const, so received data goes to inflate() without a cast. */
#define ZLIB_CONST
#include <zlib.h>

/* The stamp is among the first members of a state message (loadgen.py searches as many bytes). */
#define STAMP_SEARCH_BYTES 200
/* Bytes of one ship record in a binary state message (docs/protocol.md). */
#define BINARY_RECORD_BYTES 72
/* The welcome lists "ships" right after "type" and "player", well inside this prefix. */
#define WELCOME_KEEP_BYTES 1024
#define CONTROL_PAYLOAD_MAX_BYTES 125
#define FRAME_HEADER_MAX_BYTES 14
/* Reads that may contain frame headers are this small, so that a large payload behind a header
 * is mostly dropped by recv(MSG_TRUNC) and not copied. */
#define READ_CHUNK_BYTES 4096
#define DISCARD_BUFFER_BYTES (256 * 1024)
#define HANDSHAKE_RESPONSE_MAX_BYTES 16384
#define STATUS_LINE_KEEP_BYTES 32
/* A server that stops reading gets at most this much queued client output before the client fails. */
#define OUTBOX_MAX_BYTES (1024 * 1024)
#define EPOLL_EVENTS_MAX 256
/* Maximum reads from one socket per readiness event, so one busy socket cannot stall the others. */
#define READS_PER_EVENT_MAX 64
#define FAILURE_TEXT_BYTES 256
#define THREADS_MAX 64
/* File descriptors beyond one per client: epoll instances, stdio, the tokens file. */
#define SPARE_FILE_DESCRIPTORS 64
/* Binary messages between two that --deflate inflates in full and checks, from each client's first. */
#define DEFLATE_CHECK_INTERVAL 50
/* Scratch output for the part of a checked message after its head, which is only counted. */
#define INFLATE_BUFFER_BYTES (64 * 1024)

/* Same pacing and timing as loadgen.py, so that run.sh's metrics sampler lines up with both tools. */
static const double CONNECT_INTERVAL_S = 0.0025; /* 400 connection attempts per second over all threads */
static const double HANDSHAKE_RETRY_S = 1.0;     /* the server rejects handshakes over its rate limit with HTTP 503 */
static const double START_DELAY_S = 1.0;         /* loadgen.py's time for its worker processes to start */
static const double WARMUP_AFTER_RAMP_S = 5.0;
static const double LATE_FAILURE_S = 0.5; /* errors this close to the end are the clients' own closing */
static const double CLOSE_GRACE_S = 1.0;  /* time for the server to reply to our close frames */

enum { OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA };
enum { CLOSE_NORMAL = 1000, CLOSE_PROTOCOL_ERROR = 1002, CLOSE_INVALID_PAYLOAD = 1007 };

struct options {
    const char *base_url;
    long clients;
    double seconds;
    double warmup_s; /* negative: default, 5 s after the last scheduled connection */
    const char *tokens_path;
    bool no_auth;
    bool steer;
    double view_radius_m;
    const char *label;
    int threads;
    bool deflate;
    bool binary;
};

/* One registered player: its session token and the id of its first ship (0: unknown). */
struct player {
    char *token;
    long long ship_id;
};

struct endpoint {
    struct sockaddr_storage address;
    socklen_t address_bytes;
    char host_header[256];
    char path[1024];
};

/* Everything the workers share, read-only once they run. Times are Unix seconds. */
struct run_config {
    struct options options;
    struct endpoint endpoint;
    struct player *players;
    char view_message_radius[64]; /* --view-radius-m as Python's json.dumps writes a float */
    double start_s;
    double warm_until_s;
    double stop_at_s;
};

enum client_state {
    CLIENT_WAITING,    /* not connected yet, or waiting to retry after HTTP 503 */
    CLIENT_CONNECTING, /* nonblocking connect in progress */
    CLIENT_HANDSHAKE,  /* upgrade request sent, reading the HTTP response */
    CLIENT_OPEN,
    CLIENT_CLOSING, /* close frame sent, reading until the server's close frame or EOF */
    CLIENT_DONE,
};

struct client {
    int fd;
    long slot;
    const struct player *player;
    long long ship_id;
    enum client_state state;
    double connect_at_s;
    uint32_t epoll_events; /* interest currently registered for fd */

    /* HTTP upgrade response */
    size_t response_bytes;
    char status_line[STATUS_LINE_KEEP_BYTES];
    int terminator_matched; /* bytes of "\r\n\r\n" matched so far */

    /* frame parser */
    unsigned char header[FRAME_HEADER_MAX_BYTES];
    size_t header_bytes;
    bool in_payload;
    uint64_t payload_left_bytes;
    int frame_opcode;
    bool frame_final;
    unsigned char control_payload[CONTROL_PAYLOAD_MAX_BYTES];
    size_t control_bytes;
    bool in_message;
    uint64_t message_bytes;
    unsigned char head[WELCOME_KEEP_BYTES]; /* first bytes of the current message */
    size_t head_bytes;
    size_t keep_left_bytes; /* bytes of the current frame still to copy into head */
    long messages;
    long long seq;

    bool binary_message; /* the current message came as a binary frame */

    /* --deflate: the current message's raw DEFLATE stream */
    bool compressed_message; /* a binary message with --deflate, whose head is inflated, not copied */
    bool inflating;          /* `inflater` is initialized and takes the message's payload */
    bool checking_message;   /* the message is a sample, to inflate in full and check */
    bool stream_ended;       /* inflate() returned Z_STREAM_END */
    size_t head_limit_bytes; /* inflated bytes of the message to keep in head */
    unsigned char last_inflated_byte;
    long binary_messages;
    z_stream inflater;

    /* masked frames not yet accepted by the socket */
    unsigned char *outbox;
    size_t outbox_bytes;
    size_t outbox_capacity;
};

struct sample {
    double latency_ms;
    uint64_t message_bytes;
    long long stamp_ms; /* the message's server_time_ms, which names its tick */
};

struct worker {
    int index;
    const struct run_config *config;
    struct client *clients;
    size_t client_count;
    size_t next_to_connect; /* clients are in slot order, so connection times ascend */
    size_t retries_waiting;
    size_t open_fds;
    bool closing;
    double close_deadline_s;
    int epoll_fd;
    unsigned char *read_buffer;
    unsigned char *inflate_buffer; /* only with --deflate */
    uint64_t random_state;

    struct sample *samples;
    size_t sample_count;
    size_t sample_capacity;
    long frames_before_warmup;
    long deflate_checked;
    long deflate_errors;
    long deflate_passed;
    uint64_t passed_inflated_bytes;
    long failed_clients;
    double first_failure_at_s;
    char first_failure[FAILURE_TEXT_BYTES];
    pthread_t thread;
};

/* util.c */
void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));
void *allocate(size_t bytes);
double now_s(void);
void format_python_float(double value, char *text, size_t size);
void percent_encode(const char *text, char *encoded, size_t size);
void base64_encode(const unsigned char *data, size_t bytes, char *encoded);
bool find_json_integer(const unsigned char *text, size_t bytes, const char *quoted_name, bool in_list,
                       long long *value);
void print_json_string(FILE *out, const char *text);
uint64_t next_random(uint64_t *state);
uint64_t random_seed(void);

/* options.c */
struct options parse_options(int argc, char **argv);
struct endpoint resolve_endpoint(const char *base_url);

/* tokens.c */
struct player *load_players(const char *path, long count);
struct player *anonymous_players(long count);

/* output.c */
void update_interest(struct worker *worker, struct client *client, uint32_t events);
void close_client(struct worker *worker, struct client *client, enum client_state state);
void fail_client(struct worker *worker, struct client *client, double now, const char *reason);
bool flush_outbox(struct worker *worker, struct client *client);
bool reserve_outbox(struct worker *worker, struct client *client, size_t extra_bytes);
bool send_frame(struct worker *worker, struct client *client, int opcode, const void *payload,
                size_t payload_bytes);
bool send_text(struct worker *worker, struct client *client, const char *text);
long long next_seq(struct client *client);
bool send_close(struct worker *worker, struct client *client, int code);

/* frames.c */
void finish_frame(struct worker *worker, struct client *client, double arrival_s);
void parse_frames(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                  double arrival_s);
size_t discardable_bytes(const struct client *client);

/* inflate.c */
void start_inflate(struct client *client, size_t head_limit_bytes);
void end_inflate(struct client *client);
void inflate_payload(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                     double arrival_s);
bool finish_compressed_message(struct worker *worker, struct client *client, double arrival_s);

/* connection.c */
void start_connect(struct worker *worker, struct client *client, double now);
void handle_event(struct worker *worker, struct client *client, uint32_t events);

/* worker.c */
void *run_worker(void *argument);
void init_worker(struct worker *worker, int index, const struct run_config *config);

/* summary.c */
int summarize(const struct options *options, struct worker *workers);

#endif
