/* Helpers for every file: fatal errors, allocation, the clock, text encoding and randomness. */
#include "cloadgen.h"

/* ---- errors, allocation and the clock ---- */

void die(const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    fputs("cloadgen: ", stderr);
    vfprintf(stderr, format, arguments);
    fputc('\n', stderr);
    va_end(arguments);
    exit(1);
}

void *allocate(size_t bytes)
{
    void *memory = calloc(1, bytes ? bytes : 1);
    if (!memory)
        die("out of memory allocating %zu bytes", bytes);
    return memory;
}

double now_s(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- text helpers ---- */

/* Write `value` as Python's repr (and so json.dumps) writes a float: the shortest digits that
 * read back as the same double, fixed notation for exponents -4 to 15, else 1.5e+16 style. The
 * view message must match loadgen.py's byte for byte. */
void format_python_float(double value, char *text, size_t size)
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
void percent_encode(const char *text, char *encoded, size_t size)
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

void base64_encode(const unsigned char *data, size_t bytes, char *encoded)
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
bool find_json_integer(const unsigned char *text, size_t bytes, const char *quoted_name, bool in_list,
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
void print_json_string(FILE *out, const char *text)
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

uint64_t next_random(uint64_t *state)
{
    /* xorshift64*: masks only need to vary between frames, not to be secret from ourselves. */
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545F4914F6CDD1DULL;
}

uint64_t random_seed(void)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    return seed | 1; /* xorshift needs a nonzero state */
}
