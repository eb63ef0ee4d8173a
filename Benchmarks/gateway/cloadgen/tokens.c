/* Players to connect as: read from the tokens file of loadgen.py --prepare, or anonymous. */
#include "cloadgen.h"

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
struct player *load_players(const char *path, long count)
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

struct player *anonymous_players(long count)
{
    struct player *players = allocate(sizeof *players * (size_t)count);
    for (long k = 0; k < count; k++)
        players[k] = (struct player){.token = "none", .ship_id = 0};
    return players;
}
