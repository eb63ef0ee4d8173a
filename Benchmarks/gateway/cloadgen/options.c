/* Command-line options, and the server address and /ws path derived from --base. */
#include "cloadgen.h"

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
          "  --deflate             request state messages as raw DEFLATE (encoding=deflate), read the\n"
          "                        stamp of each and check each client's 1st, 51st, ... in full\n"
          "  --binary              request binary state messages (encoding=binary) and check their layout\n"
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

struct options parse_options(int argc, char **argv)
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
           OPT_VIEW_RADIUS, OPT_LABEL, OPT_THREADS, OPT_DEFLATE, OPT_BINARY, OPT_HELP };
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
        {"deflate", no_argument, NULL, OPT_DEFLATE},
        {"binary", no_argument, NULL, OPT_BINARY},
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
        case OPT_DEFLATE: options.deflate = true; break;
        case OPT_BINARY: options.binary = true; break;
        case OPT_HELP: print_usage(stdout); exit(0);
        case ':': reject_option("option %s needs a value", argv[optind - 1]);
        default: reject_option("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        reject_option("unexpected argument '%s'", argv[optind]);
    if (options.deflate && options.binary)
        reject_option("--deflate and --binary request different encodings; give one");
    if (!options.no_auth && !options.tokens_path)
        reject_option("--tokens FILE is required unless --no-auth is given "
                      "(create the file with loadgen.py --prepare)");
    return options;
}

/* ---- base URL ---- */

/* Resolve --base (http://HOST[:PORT][/PATH]) into the address to connect to and the /ws request
 * target, as loadgen.py derives ws://HOST:PORT/PATH/ws from it. */
struct endpoint resolve_endpoint(const char *base_url)
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
