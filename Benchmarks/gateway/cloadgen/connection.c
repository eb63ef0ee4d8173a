/* Connecting a client, its HTTP upgrade handshake, and reading its socket. */
#include "cloadgen.h"

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
    client->compressed_message = false;
    client->binary_messages = 0;
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
    const struct options *options = &worker->config->options;
    const char *encoding = "";
    if (options->deflate)
        encoding = "&encoding=deflate";
    else if (options->binary)
        encoding = "&encoding=binary";
    int request_bytes = snprintf(request, sizeof request,
                                 "GET %s?token=%s%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                                 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                                 endpoint->path, token, encoding, endpoint->host_header, key);
    client->state = CLIENT_HANDSHAKE;
    if (!reserve_outbox(worker, client, (size_t)request_bytes))
        return;
    memcpy(client->outbox + client->outbox_bytes, request, (size_t)request_bytes);
    client->outbox_bytes += (size_t)request_bytes;
    flush_outbox(worker, client);
}

void start_connect(struct worker *worker, struct client *client, double now)
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

void handle_event(struct worker *worker, struct client *client, uint32_t events)
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
