/* Per-client output: queueing and sending masked frames, closing and failing clients. */
#include "cloadgen.h"

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

void update_interest(struct worker *worker, struct client *client, uint32_t events)
{
    if (client->epoll_events == events)
        return;
    struct epoll_event event = {.events = events, .data.ptr = client};
    if (epoll_ctl(worker->epoll_fd, EPOLL_CTL_MOD, client->fd, &event) != 0)
        die("epoll_ctl(MOD) failed for client %ld: %s", client->slot, strerror(errno));
    client->epoll_events = events;
}

/* Close the client's socket. A later connection follows only if `state` is CLIENT_WAITING. */
void close_client(struct worker *worker, struct client *client, enum client_state state)
{
    if (client->fd >= 0) {
        close(client->fd); /* also removes it from the epoll set */
        client->fd = -1;
        worker->open_fds--;
    }
    end_inflate(client);
    client->outbox_bytes = 0;
    client->state = state;
}

void fail_client(struct worker *worker, struct client *client, double now, const char *reason)
{
    record_failure(worker, now, "client %ld: %s", client->slot, reason);
    close_client(worker, client, CLIENT_DONE);
}

/* Send as much of the outbox as the socket accepts, and watch for EPOLLOUT while some is left.
 * Returns false if the client failed. */
bool flush_outbox(struct worker *worker, struct client *client)
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

bool reserve_outbox(struct worker *worker, struct client *client, size_t extra_bytes)
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
bool send_frame(struct worker *worker, struct client *client, int opcode, const void *payload,
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

bool send_text(struct worker *worker, struct client *client, const char *text)
{
    return send_frame(worker, client, OP_TEXT, text, strlen(text));
}

/* Number client messages 1, 2, 3, ... on each connection, as loadgen.py does. */
long long next_seq(struct client *client)
{
    return ++client->seq;
}

bool send_close(struct worker *worker, struct client *client, int code)
{
    unsigned char payload[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    return send_frame(worker, client, OP_CLOSE, payload, sizeof payload);
}
