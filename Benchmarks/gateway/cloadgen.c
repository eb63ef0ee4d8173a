/*
 * cloadgen: WebSocket load generator for the gateway benchmark, the C counterpart of loadgen.py.
 *
 * Keeps N WebSocket clients connected to /ws, optionally steers after every state message, and
 * measures for every state message its latency: the time its last byte arrived minus the server's
 * "server_time_ms" stamp (same machine, same clock), and its size. Prints one JSON line with the
 * same keys as loadgen.py. Tokens come from the file that `loadgen.py --prepare` writes.
 *
 * The load generator shares the cores with the server under test, so it keeps its CPU cost low.
 * Each thread runs one epoll loop over its share of the clients and parses frame headers
 * incrementally. It keeps only the first bytes of each message and drops the rest of a large
 * payload with recv(MSG_TRUNC), which on TCP sockets discards the bytes without copying them
 * (tcp(7), since Linux 2.4).
 *
 * Build: cc -O2 -Wall -Wextra -o cloadgen cloadgen.c -lpthread
 */
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

/* The stamp is among the first members of a state message (loadgen.py searches as many bytes). */
#define STAMP_SEARCH_BYTES 200
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

/* Same pacing and timing as loadgen.py, so that run.sh's metrics sampler lines up with both tools. */
static const double CONNECT_INTERVAL_S = 0.0025; /* 400 connection attempts per second over all threads */
static const double HANDSHAKE_RETRY_S = 1.0;     /* the server rejects handshakes over its rate limit with HTTP 503 */
static const double START_DELAY_S = 1.0;         /* loadgen.py's time for its worker processes to start */
static const double WARMUP_AFTER_RAMP_S = 5.0;
static const double LATE_FAILURE_S = 0.5; /* errors this close to the end are the clients' own closing */
static const double CLOSE_GRACE_S = 1.0;  /* time for the server to reply to our close frames */

enum { OP_CONTINUATION = 0x0, OP_TEXT = 0x1, OP_BINARY = 0x2, OP_CLOSE = 0x8, OP_PING = 0x9, OP_PONG = 0xA };
enum { CLOSE_NORMAL = 1000, CLOSE_PROTOCOL_ERROR = 1002 };

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

    /* masked frames not yet accepted by the socket */
    unsigned char *outbox;
    size_t outbox_bytes;
    size_t outbox_capacity;
};

struct sample {
    double latency_ms;
    uint64_t message_bytes;
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
    uint64_t random_state;

    struct sample *samples;
    size_t sample_count;
    size_t sample_capacity;
    long frames_before_warmup;
    long failed_clients;
    double first_failure_at_s;
    char first_failure[FAILURE_TEXT_BYTES];
    pthread_t thread;
};

static void die(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fputs("cloadgen: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(1);
}

static void *allocate(size_t bytes)
{
    void *memory = calloc(1, bytes ? bytes : 1);
    if (!memory)
        die("out of memory allocating %zu bytes", bytes);
    return memory;
}

static double now_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- options ---- */

static void print_usage(FILE *stream)
{
    fputs("Usage: cloadgen [options]\n"
          "WebSocket load generator for the gateway benchmark; prints one JSON line.\n"
          "  --base URL            server URL, http://HOST:PORT (default http://127.0.0.1:8080)\n"
          "  --clients N           WebSocket clients to keep connected (default 100)\n"
          "  --seconds S           measured seconds after the warm-up (default 20)\n"
          "  --warmup S            seconds before measuring (default: 5 s after the last connect)\n"
          "  --tokens FILE         JSON file of [token, ship id] pairs from loadgen.py --prepare\n"
          "  --no-auth             reference gateway: connect with the token \"none\"\n"
          "  --steer               send a steer message after every state message\n"
          "  --view-radius-m R     view radius about Earth, m (0: the server's default view)\n"
          "  --label L             label of the output line (default galaxy)\n"
          "  --threads T           epoll threads sharing the clients (default 1)\n"
          "  --help                print this help\n",
          stream);
}

static void reject_option(const char *format, ...) __attribute__((format(printf, 1, 2), noreturn));

static void reject_option(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fputs("cloadgen: ", stderr);
    vfprintf(stderr, format, arguments);
    fputs("\n(run cloadgen --help for the options)\n", stderr);
    va_end(arguments);
    exit(2);
}

static long parse_long_option(const char *name, const char *text, long minimum, long maximum)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || value < minimum || value > maximum)
        reject_option("invalid %s '%s': expected an integer from %ld to %ld", name, text, minimum, maximum);
    return value;
}

/* Parse a finite number that is at least `minimum`, or above it if `minimum_allowed` is false. */
static double parse_double_option(const char *name, const char *text, double minimum, bool minimum_allowed)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    bool in_range = minimum_allowed ? value >= minimum : value > minimum;
    if (errno || end == text || *end != '\0' || !isfinite(value))
        reject_option("invalid %s '%s': expected a finite number", name, text);
    if (!in_range)
        reject_option("invalid %s '%s': expected a number %s %g", name, text,
                      minimum_allowed ? "of at least" : "above", minimum);
    return value;
}

static struct options parse_options(int argc, char **argv)
{
    struct options options = {
        .base_url = "http://127.0.0.1:8080",
        .clients = 100,
        .seconds = 20,
        .warmup_s = -1,
        .label = "galaxy",
        .threads = 1,
    };
    enum { OPT_BASE = 256, OPT_CLIENTS, OPT_SECONDS, OPT_WARMUP, OPT_TOKENS, OPT_NO_AUTH, OPT_STEER,
           OPT_VIEW_RADIUS, OPT_LABEL, OPT_THREADS, OPT_HELP };
    static const struct option long_options[] = {
        {"base", required_argument, NULL, OPT_BASE},
        {"clients", required_argument, NULL, OPT_CLIENTS},
        {"seconds", required_argument, NULL, OPT_SECONDS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"tokens", required_argument, NULL, OPT_TOKENS},
        {"no-auth", no_argument, NULL, OPT_NO_AUTH},
        {"steer", no_argument, NULL, OPT_STEER},
        {"view-radius-m", required_argument, NULL, OPT_VIEW_RADIUS},
        {"label", required_argument, NULL, OPT_LABEL},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int option;
    opterr = 0;
    /* The leading ':' makes getopt_long return ':' for an option that lacks its value. */
    while ((option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
        switch (option) {
        case OPT_BASE: options.base_url = optarg; break;
        case OPT_CLIENTS: options.clients = parse_long_option("--clients", optarg, 1, 1000000); break;
        case OPT_SECONDS: options.seconds = parse_double_option("--seconds", optarg, 0, false); break;
        case OPT_WARMUP: options.warmup_s = parse_double_option("--warmup", optarg, 0, true); break;
        case OPT_TOKENS: options.tokens_path = optarg; break;
        case OPT_NO_AUTH: options.no_auth = true; break;
        case OPT_STEER: options.steer = true; break;
        case OPT_VIEW_RADIUS: options.view_radius_m = parse_double_option("--view-radius-m", optarg, -DBL_MAX, true); break;
        case OPT_LABEL: options.label = optarg; break;
        case OPT_THREADS: options.threads = (int)parse_long_option("--threads", optarg, 1, THREADS_MAX); break;
        case OPT_HELP: print_usage(stdout); exit(0);
        case ':': reject_option("option %s needs a value", argv[optind - 1]);
        default: reject_option("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        reject_option("unexpected argument '%s'", argv[optind]);
    if (!options.no_auth && !options.tokens_path)
        reject_option("--tokens FILE is required unless --no-auth is given "
                      "(create the file with loadgen.py --prepare)");
    return options;
}

/* ---- base URL ---- */

/* Resolve --base (http://HOST[:PORT][/PATH]) into the address to connect to and the /ws request
 * target, as loadgen.py derives ws://HOST:PORT/PATH/ws from it. */
static struct endpoint resolve_endpoint(const char *base_url)
{
    struct endpoint endpoint = {0};
    static const char scheme[] = "http://";
    if (strncmp(base_url, scheme, strlen(scheme)) != 0)
        reject_option("invalid --base '%s': expected http://HOST:PORT (TLS is not supported)", base_url);
    const char *authority = base_url + strlen(scheme);
    size_t authority_bytes = strcspn(authority, "/?#");
    const char *base_path = authority + authority_bytes;
    if (authority_bytes == 0 || authority_bytes >= sizeof endpoint.host_header)
        reject_option("invalid --base '%s': missing or overlong host", base_url);
    if (strlen(base_path) + 4 > sizeof endpoint.path || strpbrk(base_path, "?#"))
        reject_option("invalid --base '%s': the path must be short and without query or fragment", base_url);
    memcpy(endpoint.host_header, authority, authority_bytes);
    snprintf(endpoint.path, sizeof endpoint.path, "%s/ws", base_path);

    char host[256] = {0};
    const char *port = "80";
    const char *host_start = endpoint.host_header;
    const char *host_end;
    if (host_start[0] == '[') { /* IPv6 literal, e.g. [::1]:8080 */
        host_start++;
        host_end = strchr(host_start, ']');
        if (!host_end)
            reject_option("invalid --base '%s': unclosed '[' in the host", base_url);
        if (host_end[1] == ':')
            port = host_end + 2;
        else if (host_end[1] != '\0')
            reject_option("invalid --base '%s': unexpected text after the IPv6 address", base_url);
    } else {
        host_end = strchr(host_start, ':');
        if (host_end)
            port = host_end + 1;
        else
            host_end = host_start + strlen(host_start);
    }
    memcpy(host, host_start, (size_t)(host_end - host_start));

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *results = NULL;
    int status = getaddrinfo(host, port, &hints, &results);
    if (status != 0)
        reject_option("failed to resolve --base host '%s' port '%s': %s", host, port, gai_strerror(status));
    memcpy(&endpoint.address, results->ai_addr, results->ai_addrlen);
    endpoint.address_bytes = results->ai_addrlen;
    freeaddrinfo(results);
    return endpoint;
}

/* ---- tokens file ---- */

struct json_cursor {
    const char *text;
    const char *at;
    const char *path;
};

static void reject_tokens_file(const struct json_cursor *cursor, const char *expected) __attribute__((noreturn));

static void reject_tokens_file(const struct json_cursor *cursor, const char *expected)
{
    die("invalid tokens file %s at byte %ld: expected %s (the file is a JSON list of [token, ship id] "
        "pairs written by loadgen.py --prepare)",
        cursor->path, (long)(cursor->at - cursor->text), expected);
}

static void skip_json_space(struct json_cursor *cursor)
{
    while (*cursor->at == ' ' || *cursor->at == '\t' || *cursor->at == '\n' || *cursor->at == '\r')
        cursor->at++;
}

static bool take_json_char(struct json_cursor *cursor, char expected)
{
    skip_json_space(cursor);
    if (*cursor->at != expected)
        return false;
    cursor->at++;
    return true;
}

static void expect_json_char(struct json_cursor *cursor, char expected)
{
    char description[8];
    snprintf(description, sizeof description, "'%c'", expected);
    if (!take_json_char(cursor, expected))
        reject_tokens_file(cursor, description);
}

/* Parse a JSON string without \u escapes, which hex tokens never need. */
static char *parse_json_string(struct json_cursor *cursor)
{
    expect_json_char(cursor, '"');
    size_t capacity = 128, length = 0;
    char *text = allocate(capacity);
    while (*cursor->at != '"') {
        char c = *cursor->at++;
        if (c == '\0')
            reject_tokens_file(cursor, "the end of a string");
        if (c == '\\') {
            c = *cursor->at++;
            if (c != '"' && c != '\\' && c != '/')
                reject_tokens_file(cursor, "a token without escapes other than \\\" \\\\ \\/");
        }
        if (length + 2 > capacity) {
            capacity *= 2;
            text = realloc(text, capacity);
            if (!text)
                die("out of memory reading the tokens file");
        }
        text[length++] = c;
    }
    cursor->at++;
    text[length] = '\0';
    return text;
}

/* Parse the ship id: an integer, or null when the server returned no ship. */
static long long parse_ship_id(struct json_cursor *cursor)
{
    skip_json_space(cursor);
    if (strncmp(cursor->at, "null", 4) == 0) {
        cursor->at += 4;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    long long ship_id = strtoll(cursor->at, &end, 10);
    if (errno || end == cursor->at)
        reject_tokens_file(cursor, "a ship id (integer or null)");
    cursor->at = end;
    return ship_id;
}

static char *read_whole_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        die("failed to open tokens file %s: %s (create it with loadgen.py --prepare)", path, strerror(errno));
    size_t capacity = 1 << 16, length = 0;
    char *text = allocate(capacity);
    size_t got;
    while ((got = fread(text + length, 1, capacity - length - 1, file)) > 0) {
        length += got;
        if (length + 1 == capacity) {
            capacity *= 2;
            text = realloc(text, capacity);
            if (!text)
                die("out of memory reading %s", path);
        }
    }
    if (ferror(file))
        die("failed to read tokens file %s: %s", path, strerror(errno));
    fclose(file);
    text[length] = '\0';
    return text;
}

/* Load the first `count` players of the tokens file, a JSON list of [token, ship id or null]. */
static struct player *load_players(const char *path, long count)
{
    char *text = read_whole_file(path);
    struct json_cursor cursor = {.text = text, .at = text, .path = path};
    struct player *players = allocate(sizeof *players * (size_t)count);
    long loaded = 0;
    expect_json_char(&cursor, '[');
    if (!take_json_char(&cursor, ']')) {
        do {
            expect_json_char(&cursor, '[');
            char *token = parse_json_string(&cursor);
            expect_json_char(&cursor, ',');
            long long ship_id = parse_ship_id(&cursor);
            expect_json_char(&cursor, ']');
            if (loaded < count)
                players[loaded] = (struct player){.token = token, .ship_id = ship_id};
            else
                free(token);
            loaded++;
        } while (take_json_char(&cursor, ','));
        expect_json_char(&cursor, ']');
    }
    free(text);
    if (loaded < count)
        die("tokens file %s has %ld tokens but --clients is %ld; register more players with "
            "loadgen.py --prepare --clients %ld --tokens %s",
            path, loaded, count, count, path);
    return players;
}

static struct player *anonymous_players(long count)
{
    struct player *players = allocate(sizeof *players * (size_t)count);
    for (long k = 0; k < count; k++)
        players[k] = (struct player){.token = "none", .ship_id = 0};
    return players;
}

/* ---- text helpers ---- */

/* Write `value` as Python's repr (and so json.dumps) writes a float: the shortest digits that
 * read back as the same double, fixed notation for exponents -4 to 15, else 1.5e+16 style. The
 * view message must match loadgen.py's byte for byte. */
static void format_python_float(double value, char *text, size_t size)
{
    char scientific[40];
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(scientific, sizeof scientific, "%.*e", digits - 1, value);
        if (strtod(scientific, NULL) == value)
            break;
    }
    const char *sign = value < 0 ? "-" : "";
    const char *mantissa = scientific + (value < 0 ? 1 : 0);
    const char *exponent_text = strchr(mantissa, 'e');
    int exponent = atoi(exponent_text + 1);
    char significant[24];
    size_t significant_count = 0;
    for (const char *p = mantissa; p < exponent_text; p++)
        if (isdigit((unsigned char)*p))
            significant[significant_count++] = *p;
    significant[significant_count] = '\0';

    if (exponent < -4 || exponent >= 16) {
        snprintf(text, size, "%s%c%s%se%c%02d", sign, significant[0], significant_count > 1 ? "." : "",
                 significant + 1, exponent < 0 ? '-' : '+', abs(exponent));
        return;
    }
    char fixed[48];
    size_t length = 0;
    if (exponent < 0) {
        length += (size_t)snprintf(fixed, sizeof fixed, "0.");
        for (int k = -1; k > exponent; k--)
            fixed[length++] = '0';
        length += (size_t)snprintf(fixed + length, sizeof fixed - length, "%s", significant);
    } else {
        for (int k = 0; k <= exponent; k++)
            fixed[length++] = (size_t)k < significant_count ? significant[k] : '0';
        fixed[length++] = '.';
        if ((size_t)exponent + 1 < significant_count)
            length += (size_t)snprintf(fixed + length, sizeof fixed - length, "%s", significant + exponent + 1);
        else
            fixed[length++] = '0';
        fixed[length] = '\0';
    }
    snprintf(text, size, "%s%s", sign, fixed);
}

/* Percent-encode as Python's urllib.parse.quote does by default (letters, digits, "_.-~/" kept). */
static void percent_encode(const char *text, char *encoded, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t length = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && length + 4 < size; p++) {
        if (isalnum(*p) || strchr("_.-~/", *p)) {
            encoded[length++] = (char)*p;
        } else {
            encoded[length++] = '%';
            encoded[length++] = hex[*p >> 4];
            encoded[length++] = hex[*p & 15];
        }
    }
    encoded[length] = '\0';
}

static void base64_encode(const unsigned char *data, size_t bytes, char *encoded)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t length = 0;
    for (size_t k = 0; k < bytes; k += 3) {
        uint32_t group = (uint32_t)data[k] << 16;
        if (k + 1 < bytes)
            group |= (uint32_t)data[k + 1] << 8;
        if (k + 2 < bytes)
            group |= data[k + 2];
        encoded[length++] = alphabet[(group >> 18) & 63];
        encoded[length++] = alphabet[(group >> 12) & 63];
        encoded[length++] = k + 1 < bytes ? alphabet[(group >> 6) & 63] : '=';
        encoded[length++] = k + 2 < bytes ? alphabet[group & 63] : '=';
    }
    encoded[length] = '\0';
}

/* Find `"NAME":` in `text` and parse the non-negative integer after it, skipping the whitespace
 * that JSON allows there and, if `in_list`, a '[' that opens a list. */
static bool find_json_integer(const unsigned char *text, size_t bytes, const char *quoted_name, bool in_list,
                              long long *value)
{
    size_t name_bytes = strlen(quoted_name);
    const unsigned char *at = memmem(text, bytes, quoted_name, name_bytes);
    if (!at)
        return false;
    const unsigned char *end = text + bytes;
    at += name_bytes;
    while (at < end && isspace(*at))
        at++;
    if (in_list) {
        if (at == end || *at != '[')
            return false;
        at++;
        while (at < end && isspace(*at))
            at++;
    }
    if (at == end || !isdigit(*at))
        return false;
    long long parsed = 0;
    while (at < end && isdigit(*at) && parsed < LLONG_MAX / 10 - 9)
        parsed = parsed * 10 + (*at++ - '0');
    *value = parsed;
    return true;
}

/* Append `text` to `out` as a JSON string literal. */
static void print_json_string(FILE *out, const char *text)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* ---- randomness for handshake keys and frame masks ---- */

static uint64_t next_random(uint64_t *state)
{
    /* xorshift64*: masks only need to vary between frames, not to be secret from ourselves. */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

static uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return seed | 1; /* xorshift needs a nonzero state */
}

/* ---- per-client output ---- */

static void record_failure(struct worker *worker, double now, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Count a failed client, as loadgen.py does, unless the error came in the last half second,
 * where it belongs to the clients' own shutdown. */
static void record_failure(struct worker *worker, double now, const char *format, ...)
{
    if (now >= worker->config->stop_at_s - LATE_FAILURE_S)
        return;
    worker->failed_clients++;
    if (worker->failed_clients == 1) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(worker->first_failure, sizeof worker->first_failure, format, arguments);
        va_end(arguments);
        worker->first_failure_at_s = now;
    }
}

static void update_interest(struct worker *worker, struct client *client, uint32_t events)
{
    if (client->epoll_events == events)
        return;
    struct epoll_event event = {.events = events, .data.ptr = client};
    if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_MOD, client->fd, &event) != 0)
        die("epoll_ctl(MOD) failed for client %ld: %s", client->slot, strerror(errno));
    client->epoll_events = events;
}

/* Close the client's socket. A later connection follows only if `state` is CLIENT_WAITING. */
static void close_client(struct worker *worker, struct client *client, enum client_state state)
{
    if (client->fd >= 0) {
        close(client->fd); /* also removes it from the epoll set */
        client->fd = -1;
        worker->open_fds--;
    }
    client->outbox_bytes = 0;
    client->state = state;
}

static void fail_client(struct worker *worker, struct client *client, double now, const char *reason)
{
    record_failure(worker, now, "client %ld: %s", client->slot, reason);
    close_client(worker, client, CLIENT_DONE);
}

/* Send as much of the outbox as the socket accepts, and watch for EPOLLOUT while some is left.
 * Returns false if the client failed. */
static bool flush_outbox(struct worker *worker, struct client *client)
{
    size_t sent_bytes = 0;
    while (sent_bytes < client->outbox_bytes) {
        ssize_t sent = send(client->fd, client->outbox + sent_bytes, client->outbox_bytes - sent_bytes,
                            MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent > 0) {
            sent_bytes += (size_t)sent;
        } else if (sent < 0 && errno == EINTR) {
            continue;
        } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            char reason[FAILURE_TEXT_BYTES];
            snprintf(reason, sizeof reason, "send failed: %s", sent < 0 ? strerror(errno) : "no progress");
            fail_client(worker, client, now_s(), reason);
            return false;
        }
    }
    memmove(client->outbox, client->outbox + sent_bytes, client->outbox_bytes - sent_bytes);
    client->outbox_bytes -= sent_bytes;
    uint32_t events = EPOLLIN | (client->outbox_bytes ? EPOLLOUT : 0);
    if (client->state != CLIENT_CONNECTING)
        update_interest(worker, client, events);
    return true;
}

static bool reserve_outbox(struct worker *worker, struct client *client, size_t extra_bytes)
{
    size_t needed = client->outbox_bytes + extra_bytes;
    if (needed > OUTBOX_MAX_BYTES) {
        fail_client(worker, client, now_s(), "the server stopped reading: over 1 MiB of client messages unsent");
        return false;
    }
    if (needed <= client->outbox_capacity)
        return true;
    size_t capacity = client->outbox_capacity ? client->outbox_capacity : 512;
    while (capacity < needed)
        capacity *= 2;
    unsigned char *outbox = realloc(client->outbox, capacity);
    if (!outbox)
        die("out of memory for client %ld's output", client->slot);
    client->outbox = outbox;
    client->outbox_capacity = capacity;
    return true;
}

/* Queue one final frame and send it. Clients must mask what they send (RFC 6455 section 5.3). */
static bool send_frame(struct worker *worker, struct client *client, int opcode, const void *payload,
                       size_t payload_bytes)
{
    if (!reserve_outbox(worker, client, FRAME_HEADER_MAX_BYTES + payload_bytes))
        return false;
    unsigned char *frame = client->outbox + client->outbox_bytes;
    size_t header_bytes = 0;
    frame[header_bytes++] = (unsigned char)(0x80 | opcode);
    if (payload_bytes < 126) {
        frame[header_bytes++] = (unsigned char)(0x80 | payload_bytes);
    } else if (payload_bytes < 65536) {
        frame[header_bytes++] = 0x80 | 126;
        frame[header_bytes++] = (unsigned char)(payload_bytes >> 8);
        frame[header_bytes++] = (unsigned char)payload_bytes;
    } else {
        frame[header_bytes++] = 0x80 | 127;
        for (int shift = 56; shift >= 0; shift -= 8)
            frame[header_bytes++] = (unsigned char)((uint64_t)payload_bytes >> shift);
    }
    uint32_t mask = (uint32_t)next_random(&worker->random_state);
    unsigned char *mask_bytes = frame + header_bytes;
    memcpy(mask_bytes, &mask, 4);
    header_bytes += 4;
    const unsigned char *source = payload;
    for (size_t k = 0; k < payload_bytes; k++)
        frame[header_bytes + k] = source[k] ^ mask_bytes[k & 3];
    client->outbox_bytes += header_bytes + payload_bytes;
    return flush_outbox(worker, client);
}

static bool send_text(struct worker *worker, struct client *client, const char *text)
{
    return send_frame(worker, client, OP_TEXT, text, strlen(text));
}

/* Number client messages 1, 2, 3, ... on each connection, as loadgen.py does. */
static long long next_seq(struct client *client)
{
    return ++client->seq;
}

static bool send_close(struct worker *worker, struct client *client, int code)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    return send_frame(worker, client, OP_CLOSE, payload, sizeof payload);
}

/* ---- messages ---- */

/* The welcome is the first message: take the ship id from it if the tokens file had none, and
 * ask for the configured view, as loadgen.py does. */
static void handle_welcome(struct worker *worker, struct client *client)
{
    const struct run_config *config = worker->config;
    if (!client->ship_id)
        find_json_integer(client->head, client->head_bytes, "\"ships\":", true, &client->ship_id);
    if (config->options.view_radius_m > 0 && client->state == CLIENT_OPEN) {
        char message[256];
        snprintf(message, sizeof message,
                 "{\"type\": \"view\", \"seq\": %lld, \"focus\": {\"body\": \"Earth\"}, \"radius_m\": %s}",
                 next_seq(client), config->view_message_radius);
        send_text(worker, client, message);
    }
}

static void record_sample(struct worker *worker, double latency_ms, uint64_t message_bytes)
{
    if (worker->sample_count == worker->sample_capacity) {
        worker->sample_capacity = worker->sample_capacity ? worker->sample_capacity * 2 : 4096;
        worker->samples = realloc(worker->samples, worker->sample_capacity * sizeof *worker->samples);
        if (!worker->samples)
            die("out of memory for %zu latency samples", worker->sample_capacity);
    }
    worker->samples[worker->sample_count++] = (struct sample){latency_ms, message_bytes};
}

/* A whole message arrived at `arrival_s`, the time of the read that brought its last byte. */
static void complete_message(struct worker *worker, struct client *client, double arrival_s)
{
    const struct run_config *config = worker->config;
    client->messages++;
    if (client->messages == 1) {
        handle_welcome(worker, client);
        return;
    }
    long long stamp_ms;
    if (!find_json_integer(client->head, client->head_bytes, "\"server_time_ms\":", false, &stamp_ms))
        return; /* an ack, error, event or pong */
    if (arrival_s < config->warm_until_s)
        worker->frames_before_warmup++;
    else if (arrival_s < config->stop_at_s)
        record_sample(worker, arrival_s * 1000.0 - (double)stamp_ms, client->message_bytes);
    if (config->options.steer && client->ship_id && client->state == CLIENT_OPEN) {
        char message[160];
        snprintf(message, sizeof message, "{\"type\": \"steer\", \"seq\": %lld, \"ship_id\": %lld, \"throttle\": 0.0}",
                 next_seq(client), client->ship_id);
        send_text(worker, client, message);
    }
}

static void handle_control_frame(struct worker *worker, struct client *client, double now)
{
    if (client->frame_opcode == OP_PING) {
        if (client->state == CLIENT_OPEN) /* nothing may follow our close frame */
            send_frame(worker, client, OP_PONG, client->control_payload, client->control_bytes);
        return;
    }
    if (client->frame_opcode != OP_CLOSE)
        return; /* an unsolicited pong */
    if (client->state == CLIENT_CLOSING) { /* the server's reply to our close frame */
        close_client(worker, client, CLIENT_DONE);
        return;
    }
    int code = client->control_bytes >= 2 ? client->control_payload[0] << 8 | client->control_payload[1] : 0;
    char reason[FAILURE_TEXT_BYTES] = "server closed the connection without a status code";
    if (code)
        snprintf(reason, sizeof reason, "server closed the connection with code %d", code);
    /* RFC 6455 section 5.5.1 requires echoing a close frame that we did not start. */
    if (send_close(worker, client, code ? code : CLOSE_NORMAL))
        fail_client(worker, client, now, reason);
}

/* ---- frame parser ---- */

static size_t frame_header_bytes(const unsigned char *header, size_t bytes_so_far)
{
    if (bytes_so_far < 2)
        return 2;
    size_t length_code = header[1] & 0x7F;
    size_t bytes = 2;
    if (length_code == 126)
        bytes = 4;
    else if (length_code == 127)
        bytes = 10;
    if (header[1] & 0x80)
        bytes += 4; /* masking key, which a server must not send but the parser still has to skip */
    return bytes;
}

static void protocol_error(struct worker *worker, struct client *client, double now, const char *reason)
{
    char text[FAILURE_TEXT_BYTES];
    snprintf(text, sizeof text, "protocol error: %s", reason);
    if (send_close(worker, client, CLOSE_PROTOCOL_ERROR))
        fail_client(worker, client, now, text);
}

static void finish_frame(struct worker *worker, struct client *client, double arrival_s)
{
    client->in_payload = false;
    if (client->frame_opcode >= OP_CLOSE) {
        handle_control_frame(worker, client, arrival_s);
    } else if (client->frame_final) {
        client->in_message = false;
        complete_message(worker, client, arrival_s);
    }
}

/* Return why a server frame header breaks RFC 6455, or NULL if it is valid here. */
static const char *frame_header_error(const struct client *client, bool final, int opcode, uint64_t payload_bytes)
{
    if (client->header[0] & 0x70)
        return "reserved bits set without a negotiated extension";
    if (client->header[1] & 0x80)
        return "server frame is masked";
    if (opcode >= OP_CLOSE) {
        if (opcode != OP_CLOSE && opcode != OP_PING && opcode != OP_PONG)
            return "unknown control opcode";
        if (!final || payload_bytes > CONTROL_PAYLOAD_MAX_BYTES)
            return "fragmented or oversized control frame";
        return NULL;
    }
    if (opcode != OP_CONTINUATION && opcode != OP_TEXT && opcode != OP_BINARY)
        return "unknown data opcode";
    if (opcode == OP_CONTINUATION && !client->in_message)
        return "continuation frame outside a message";
    if (opcode != OP_CONTINUATION && client->in_message)
        return "new message before the previous one ended";
    return NULL;
}

/* Start the frame whose header is complete in client->header. A message may be split into a text
 * frame without FIN and continuation frames; control frames may come between them. */
static void start_frame(struct worker *worker, struct client *client, double arrival_s)
{
    const unsigned char *header = client->header;
    client->header_bytes = 0;
    bool final = header[0] & 0x80;
    int opcode = header[0] & 0x0F;
    uint64_t payload_bytes = header[1] & 0x7F;
    if (payload_bytes == 126) {
        payload_bytes = (uint64_t)header[2] << 8 | header[3];
    } else if (payload_bytes == 127) {
        payload_bytes = 0;
        for (int k = 2; k < 10; k++)
            payload_bytes = payload_bytes << 8 | header[k];
    }
    const char *error = frame_header_error(client, final, opcode, payload_bytes);
    if (error) {
        protocol_error(worker, client, arrival_s, error);
        return;
    }

    client->frame_opcode = opcode;
    client->frame_final = final;
    client->payload_left_bytes = payload_bytes;
    client->in_payload = true;
    client->keep_left_bytes = 0;
    if (opcode >= OP_CLOSE) {
        client->control_bytes = 0;
    } else {
        if (opcode != OP_CONTINUATION) {
            client->in_message = true;
            client->head_bytes = 0;
            client->message_bytes = 0;
        }
        /* The whole welcome prefix is kept to find the ship id in it, later messages only the stamp's. */
        size_t keep_limit = client->messages == 0 ? WELCOME_KEEP_BYTES : STAMP_SEARCH_BYTES;
        size_t room = keep_limit > client->head_bytes ? keep_limit - client->head_bytes : 0;
        client->keep_left_bytes = payload_bytes < room ? (size_t)payload_bytes : room;
        client->message_bytes += payload_bytes;
    }
    if (payload_bytes == 0)
        finish_frame(worker, client, arrival_s);
}

/* Consume header bytes and return how many of `bytes` it used. */
static size_t take_header(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                          double arrival_s)
{
    size_t used = 0;
    for (;;) {
        size_t needed = frame_header_bytes(client->header, client->header_bytes);
        if (client->header_bytes == needed)
            break;
        if (used == bytes)
            return used;
        size_t take = needed - client->header_bytes;
        if (take > bytes - used)
            take = bytes - used;
        memcpy(client->header + client->header_bytes, data + used, take);
        client->header_bytes += take;
        used += take;
    }
    start_frame(worker, client, arrival_s);
    return used;
}

/* Consume payload bytes, copying only a control frame's payload and the first bytes of a message. */
static size_t take_payload(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                           double arrival_s)
{
    size_t take = client->payload_left_bytes < bytes ? (size_t)client->payload_left_bytes : bytes;
    if (client->frame_opcode >= OP_CLOSE) {
        memcpy(client->control_payload + client->control_bytes, data, take);
        client->control_bytes += take;
    } else if (client->keep_left_bytes) {
        size_t copied_bytes = take < client->keep_left_bytes ? take : client->keep_left_bytes;
        memcpy(client->head + client->head_bytes, data, copied_bytes);
        client->head_bytes += copied_bytes;
        client->keep_left_bytes -= copied_bytes;
    }
    client->payload_left_bytes -= take;
    if (client->payload_left_bytes == 0)
        finish_frame(worker, client, arrival_s);
    return take;
}

static void parse_frames(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                         double arrival_s)
{
    while (bytes > 0 && client->fd >= 0) {
        size_t used = client->in_payload ? take_payload(worker, client, data, bytes, arrival_s)
                                         : take_header(worker, client, data, bytes, arrival_s);
        data += used;
        bytes -= used;
    }
}

/* Bytes of the current payload that recv(MSG_TRUNC) may drop unread: none while a header, a
 * control frame or the kept head of a message is still to come. */
static size_t discardable_bytes(const struct client *client)
{
    if (client->state < CLIENT_OPEN || !client->in_payload || client->frame_opcode >= OP_CLOSE ||
        client->keep_left_bytes > 0 || client->payload_left_bytes < READ_CHUNK_BYTES)
        return 0;
    return client->payload_left_bytes < DISCARD_BUFFER_BYTES ? (size_t)client->payload_left_bytes
                                                             : DISCARD_BUFFER_BYTES;
}

/* ---- connection ---- */

static void reset_client_protocol(struct client *client)
{
    client->response_bytes = 0;
    client->status_line[0] = '\0';
    client->terminator_matched = 0;
    client->header_bytes = 0;
    client->in_payload = false;
    client->in_message = false;
    client->head_bytes = 0;
    client->keep_left_bytes = 0;
    client->messages = 0;
    client->seq = 0;
    client->ship_id = client->player->ship_id;
}

static void send_upgrade_request(struct worker *worker, struct client *client)
{
    const struct endpoint *endpoint = &worker->config->endpoint;
    unsigned char key_bytes[16];
    for (size_t k = 0; k < sizeof key_bytes; k += 8) {
        uint64_t random = next_random(&worker->random_state);
        memcpy(key_bytes + k, &random, 8);
    }
    char key[32];
    base64_encode(key_bytes, sizeof key_bytes, key);
    char token[1024];
    percent_encode(client->player->token, token, sizeof token);
    char request[2048];
    int request_bytes = snprintf(request, sizeof request,
                                 "GET %s?token=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                                 endpoint->path, token, endpoint->host_header, key);
    client->state = CLIENT_HANDSHAKE;
    if (!reserve_outbox(worker, client, (size_t)request_bytes))
        return;
    memcpy(client->outbox + client->outbox_bytes, request, (size_t)request_bytes);
    client->outbox_bytes += (size_t)request_bytes;
    flush_outbox(worker, client);
}

static void start_connect(struct worker *worker, struct client *client, double now)
{
    const struct endpoint *endpoint = &worker->config->endpoint;
    reset_client_protocol(client);
    int fd = socket(endpoint->address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        char reason[FAILURE_TEXT_BYTES];
        snprintf(reason, sizeof reason, "socket() failed: %s", strerror(errno));
        fail_client(worker, client, now, reason);
        return;
    }
    /* asyncio, which loadgen.py uses, sets TCP_NODELAY too, so steer messages leave at once. */
    int enabled = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &enabled, sizeof enabled);
    client->fd = fd;
    worker->open_fds++;
    client->state = CLIENT_CONNECTING;
    client->epoll_events = EPOLLOUT;
    struct epoll_event event = {.events = EPOLLOUT, .data.ptr = client};
    if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0)
        die("epoll_ctl(ADD) failed for client %ld: %s", client->slot, strerror(errno));
    if (connect(fd, (const struct sockaddr *)&endpoint->address, endpoint->address_bytes) == 0) {
        update_interest(worker, client, EPOLLIN);
        send_upgrade_request(worker, client);
    } else if (errno != EINPROGRESS) {
        char reason[FAILURE_TEXT_BYTES];
        snprintf(reason, sizeof reason, "connect failed: %s", strerror(errno));
        fail_client(worker, client, now, reason);
    }
}

static void finish_connect(struct worker *worker, struct client *client, double now)
{
    int error = 0;
    socklen_t error_bytes = sizeof error;
    if (getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &error, &error_bytes) != 0)
        error = errno;
    if (error) {
        char reason[FAILURE_TEXT_BYTES];
        snprintf(reason, sizeof reason, "connect failed: %s", strerror(error));
        fail_client(worker, client, now, reason);
        return;
    }
    update_interest(worker, client, EPOLLIN);
    send_upgrade_request(worker, client);
}

/* Read the HTTP response to the upgrade request and return the bytes it used. Any bytes after it
 * are frames. NOTE: Sec-WebSocket-Accept is not checked (loadgen.py does not check it either). */
static size_t take_handshake(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                             double now)
{
    static const char terminator[] = "\r\n\r\n";
    size_t used = 0;
    while (used < bytes && client->terminator_matched < 4) {
        unsigned char c = data[used++];
        if (client->response_bytes < STATUS_LINE_KEEP_BYTES - 1) {
            client->status_line[client->response_bytes] = (char)c;
            client->status_line[client->response_bytes + 1] = '\0';
        }
        client->response_bytes++;
        if (c == terminator[client->terminator_matched])
            client->terminator_matched++;
        else
            client->terminator_matched = c == '\r' ? 1 : 0;
    }
    if (client->terminator_matched < 4) {
        if (client->response_bytes > HANDSHAKE_RESPONSE_MAX_BYTES)
            fail_client(worker, client, now, "upgrade response headers exceed 16 KiB");
        return used;
    }
    char status[8] = "?";
    sscanf(client->status_line, "%*s %7s", status);
    if (strcmp(status, "101") == 0) {
        client->state = CLIENT_OPEN;
        return used;
    }
    if (strcmp(status, "503") == 0 && now + HANDSHAKE_RETRY_S < worker->config->stop_at_s) {
        close_client(worker, client, CLIENT_WAITING);
        client->connect_at_s = now + HANDSHAKE_RETRY_S;
        worker->retries_waiting++;
        return used;
    }
    char reason[FAILURE_TEXT_BYTES];
    snprintf(reason, sizeof reason, "upgrade rejected with HTTP %s", status);
    fail_client(worker, client, now, reason);
    return used;
}

static void handle_end_of_stream(struct worker *worker, struct client *client, double now)
{
    if (client->state == CLIENT_CLOSING)
        close_client(worker, client, CLIENT_DONE);
    else if (client->state == CLIENT_HANDSHAKE)
        fail_client(worker, client, now, "server closed the connection during the WebSocket handshake");
    else
        fail_client(worker, client, now, "server closed the connection without a close frame");
}

/* Read what the socket has, dropping large payload stretches in the kernel. Each read's time is
 * the arrival time of the messages it completes. */
static void read_client(struct worker *worker, struct client *client)
{
    for (int reads = 0; reads < READS_PER_EVENT_MAX && client->fd >= 0; reads++) {
        size_t discard_bytes = discardable_bytes(client);
        size_t requested = discard_bytes ? discard_bytes : READ_CHUNK_BYTES;
        ssize_t got = recv(client->fd, worker->read_buffer, requested, discard_bytes ? MSG_TRUNC : 0);
        double now = now_s();
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return;
            char reason[FAILURE_TEXT_BYTES];
            snprintf(reason, sizeof reason, "receive failed: %s", strerror(errno));
            fail_client(worker, client, now, reason);
            return;
        }
        if (got == 0) {
            handle_end_of_stream(worker, client, now);
            return;
        }

        const unsigned char *data = worker->read_buffer;
        size_t bytes = (size_t)got;
        if (discard_bytes) {
            client->payload_left_bytes -= bytes;
            if (client->payload_left_bytes == 0)
                finish_frame(worker, client, now);
        } else {
            if (client->state == CLIENT_HANDSHAKE) {
                size_t used = take_handshake(worker, client, data, bytes, now);
                data += used;
                bytes -= used;
            }
            if (client->fd >= 0 && client->state >= CLIENT_OPEN)
                parse_frames(worker, client, data, bytes, now);
        }
        if ((size_t)got < requested)
            return; /* the socket is most likely drained, and epoll reports it again if not */
    }
}

static void handle_event(struct worker *worker, struct client *client, uint32_t events)
{
    if (client->fd < 0)
        return; /* closed earlier in this batch of events */
    if (client->state == CLIENT_CONNECTING) {
        if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
            finish_connect(worker, client, now_s());
        return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
        read_client(worker, client);
    if (client->fd >= 0 && (events & EPOLLOUT))
        flush_outbox(worker, client);
}

/* ---- worker loop ---- */

static void connect_due_clients(struct worker *worker, double now)
{
    while (worker->next_to_connect < worker->client_count &&
           worker->clients[worker->next_to_connect].connect_at_s <= now)
        start_connect(worker, &worker->clients[worker->next_to_connect++], now);
    if (worker->retries_waiting == 0)
        return;
    for (size_t k = 0; k < worker->next_to_connect; k++) {
        struct client *client = &worker->clients[k];
        if (client->state == CLIENT_WAITING && client->connect_at_s <= now) {
            worker->retries_waiting--;
            start_connect(worker, client, now);
        }
    }
}

static double next_timer_s(const struct worker *worker)
{
    if (worker->closing)
        return worker->close_deadline_s;
    double next = worker->config->stop_at_s;
    if (worker->next_to_connect < worker->client_count && worker->clients[worker->next_to_connect].connect_at_s < next)
        next = worker->clients[worker->next_to_connect].connect_at_s;
    if (worker->retries_waiting) {
        for (size_t k = 0; k < worker->next_to_connect; k++) {
            const struct client *client = &worker->clients[k];
            if (client->state == CLIENT_WAITING && client->connect_at_s < next)
                next = client->connect_at_s;
        }
    }
    return next;
}

static bool all_clients_finished(const struct worker *worker)
{
    return worker->next_to_connect == worker->client_count && worker->open_fds == 0 && worker->retries_waiting == 0;
}

/* At the end of the window: send every open client's close frame (1000, normal closure) and give
 * up on clients that are not connected yet. */
static void begin_close(struct worker *worker, double now)
{
    worker->closing = true;
    worker->close_deadline_s = now + CLOSE_GRACE_S;
    for (size_t k = 0; k < worker->client_count; k++) {
        struct client *client = &worker->clients[k];
        if (client->state == CLIENT_OPEN) {
            client->state = CLIENT_CLOSING;
            send_close(worker, client, CLOSE_NORMAL);
        } else if (client->state != CLIENT_CLOSING) {
            close_client(worker, client, CLIENT_DONE);
        }
    }
}

static void *run_worker(void *argument)
{
    struct worker *worker = argument;
    struct epoll_event events[EPOLL_EVENTS_MAX];
    for (;;) {
        double now = now_s();
        if (!worker->closing && now >= worker->config->stop_at_s)
            begin_close(worker, now);
        if (worker->closing && (worker->open_fds == 0 || now >= worker->close_deadline_s))
            break;
        if (all_clients_finished(worker))
            break; /* every client failed before the end, as loadgen.py's workers stop then too */
        if (!worker->closing)
            connect_due_clients(worker, now);
        double wait_s = next_timer_s(worker) - now_s();
        int timeout_ms = wait_s <= 0 ? 0 : (int)ceil(wait_s * 1000.0);
        int ready = epoll_wait(worker->epoll_fd, events, EPOLL_EVENTS_MAX, timeout_ms);
        if (ready < 0 && errno != EINTR)
            die("epoll_wait failed in thread %d: %s", worker->index, strerror(errno));
        for (int k = 0; k < ready; k++)
            handle_event(worker, events[k].data.ptr, events[k].events);
    }
    for (size_t k = 0; k < worker->client_count; k++)
        close_client(worker, &worker->clients[k], CLIENT_DONE);
    return NULL;
}

/* Give thread `index` the clients whose slot modulo the thread count is `index`, in slot order. */
static void init_worker(struct worker *worker, int index, const struct run_config *config)
{
    long clients = config->options.clients;
    int threads = config->options.threads;
    worker->index = index;
    worker->config = config;
    worker->client_count = (size_t)((clients - index + threads - 1) / threads);
    worker->clients = allocate(sizeof *worker->clients * (worker->client_count ? worker->client_count : 1));
    for (size_t k = 0; k < worker->client_count; k++) {
        struct client *client = &worker->clients[k];
        client->fd = -1;
        client->slot = index + (long)k * threads;
        client->player = &config->players[client->slot];
        client->connect_at_s = config->start_s + (double)client->slot * CONNECT_INTERVAL_S;
        client->state = CLIENT_WAITING;
    }
    worker->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (worker->epoll_fd < 0)
        die("epoll_create1 failed: %s", strerror(errno));
    worker->read_buffer = allocate(DISCARD_BUFFER_BYTES);
    worker->random_state = random_seed();
}

/* ---- summary ---- */

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

static void print_summary_start(const struct options *options)
{
    printf("{\"bench\": \"gateway_latency\", \"label\": ");
    print_json_string(stdout, options->label);
    printf(", \"clients\": %ld, \"workers\": %d, \"client\": \"c\"", options->clients, options->threads);
}

static void print_failures(long failed_clients, const char *first_failure)
{
    printf(", \"failed_clients\": %ld, \"first_failure\": ", failed_clients);
    if (first_failure)
        print_json_string(stdout, first_failure);
    else
        printf("null");
}

/* Print the JSON line over all threads' samples; returns the process exit status. */
static int summarize(const struct options *options, struct worker *workers)
{
    size_t frames = 0;
    long frames_before_warmup = 0, failed_clients = 0;
    const struct worker *first_failed = NULL;
    for (int t = 0; t < options->threads; t++) {
        frames += workers[t].sample_count;
        frames_before_warmup += workers[t].frames_before_warmup;
        failed_clients += workers[t].failed_clients;
        if (workers[t].failed_clients && (!first_failed || workers[t].first_failure_at_s < first_failed->first_failure_at_s))
            first_failed = &workers[t];
    }
    const char *first_failure = first_failed ? first_failed->first_failure : NULL;
    print_summary_start(options);
    if (frames == 0) {
        printf(", \"error\": \"no state frames measured after the warm-up\", \"frames_before_warmup\": %ld",
               frames_before_warmup);
        print_failures(failed_clients, first_failure);
        printf("}\n");
        fflush(stdout);
        fprintf(stderr, "cloadgen: no state messages arrived in the measured window (%ld before the warm-up, "
                        "%ld failed clients%s%s)\n",
                frames_before_warmup, failed_clients, first_failure ? ", first failure: " : "",
                first_failure ? first_failure : "");
        return 1;
    }
    double *latencies_ms = allocate(sizeof *latencies_ms * frames);
    uint64_t total_bytes = 0;
    size_t count = 0;
    for (int t = 0; t < options->threads; t++) {
        for (size_t k = 0; k < workers[t].sample_count; k++) {
            latencies_ms[count++] = workers[t].samples[k].latency_ms;
            total_bytes += workers[t].samples[k].message_bytes;
        }
    }
    qsort(latencies_ms, frames, sizeof *latencies_ms, compare_doubles);
    /* loadgen.py's percentile: the sample at index floor(p * n), at most the last one. */
    size_t p50_index = (size_t)(0.50 * (double)frames), p99_index = (size_t)(0.99 * (double)frames);
    printf(", \"frames\": %zu, \"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f, \"latency_max_ms\": %.3f, "
           "\"mean_frame_bytes\": %.2f",
           frames, latencies_ms[p50_index < frames ? p50_index : frames - 1],
           latencies_ms[p99_index < frames ? p99_index : frames - 1], latencies_ms[frames - 1],
           (double)total_bytes / (double)frames);
    print_failures(failed_clients, first_failure);
    printf("}\n");
    free(latencies_ms);
    return 0;
}

/* ---- main ---- */

/* Raise the soft descriptor limit to fit one socket per client, as run.sh's `ulimit -n` does. */
static void raise_descriptor_limit(long clients)
{
    rlim_t needed = (rlim_t)clients + SPARE_FILE_DESCRIPTORS;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
        return;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
        die("--clients %ld needs %lu file descriptors but the hard limit is %lu; raise it (ulimit -Hn)", clients,
            (unsigned long)needed, (unsigned long)limit.rlim_max);
    limit.rlim_cur = needed;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("failed to raise the file descriptor limit to %lu: %s", (unsigned long)needed, strerror(errno));
}

int main(int argc, char **argv)
{
    static struct run_config config;
    config.options = parse_options(argc, argv);
    const struct options *options = &config.options;
    config.endpoint = resolve_endpoint(options->base_url);
    config.players = options->no_auth ? anonymous_players(options->clients)
                                      : load_players(options->tokens_path, options->clients);
    format_python_float(options->view_radius_m, config.view_message_radius, sizeof config.view_message_radius);
    raise_descriptor_limit(options->clients);
    signal(SIGPIPE, SIG_IGN);

    double ramp_s = (double)options->clients * CONNECT_INTERVAL_S;
    double warmup_s = options->warmup_s >= 0 ? options->warmup_s : ramp_s + WARMUP_AFTER_RAMP_S;
    config.start_s = now_s() + START_DELAY_S;
    config.warm_until_s = config.start_s + warmup_s;
    config.stop_at_s = config.warm_until_s + options->seconds;

    struct worker *workers = allocate(sizeof *workers * (size_t)options->threads);
    for (int t = 0; t < options->threads; t++)
        init_worker(&workers[t], t, &config);
    for (int t = 0; t < options->threads; t++) {
        int status = pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
        if (status != 0)
            die("failed to start thread %d: %s", t, strerror(status));
    }
    for (int t = 0; t < options->threads; t++)
        pthread_join(workers[t].thread, NULL);
    return summarize(options, workers);
}
