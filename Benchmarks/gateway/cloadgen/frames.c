/* Received data after the handshake: frame parsing, and the messages and control frames it completes. */
#include "cloadgen.h"

static void protocol_error(struct worker *worker, struct client *client, double now, const char *reason);

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

static void record_sample(struct worker *worker, double latency_ms, uint64_t message_bytes, long long stamp_ms)
{
    if (worker->sample_count == worker->sample_capacity) {
        worker->sample_capacity = worker->sample_capacity ? worker->sample_capacity * 2 : 4096;
        worker->samples = realloc(worker->samples, worker->sample_capacity * sizeof *worker->samples);
        if (!worker->samples)
            die("out of memory for %zu latency samples", worker->sample_capacity);
    }
    worker->samples[worker->sample_count++] = (struct sample){latency_ms, message_bytes, stamp_ms};
}

/* --binary: true if the state message came as a binary frame whose length matches its layout, a 4-byte
 * head length, the head, a 4-byte record count and whole 72-byte records. Fails the client if not. */
static bool binary_layout_fits(struct worker *worker, struct client *client, double arrival_s)
{
    char reason[160];
    if (!client->binary_message) {
        protocol_error(worker, client, arrival_s, "text state message although encoding=binary was requested");
        return false;
    }
    const unsigned char *h = client->head;
    uint64_t head_length = client->head_bytes < 4 ? UINT64_MAX / 2
                                                   : h[0] | (uint64_t)h[1] << 8 | (uint64_t)h[2] << 16 | (uint64_t)h[3] << 24;
    if (8 + head_length > client->message_bytes || (client->message_bytes - 8 - head_length) % BINARY_RECORD_BYTES) {
        snprintf(reason, sizeof reason, "binary state message of %llu bytes does not fit its %llu-byte head and records",
                 (unsigned long long)client->message_bytes, (unsigned long long)head_length);
        protocol_error(worker, client, arrival_s, reason);
        return false;
    }
    return true;
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
    if (config->options.deflate && !client->compressed_message) {
        /* A server without compressed state ignores the parameter, and its text messages would
         * otherwise be measured as compressed ones. */
        protocol_error(worker, client, arrival_s, "text state message although encoding=deflate was requested");
        return;
    }
    if (config->options.binary && !binary_layout_fits(worker, client, arrival_s))
        return;
    if (arrival_s < config->warm_until_s)
        worker->frames_before_warmup++;
    else if (arrival_s < config->stop_at_s)
        record_sample(worker, arrival_s * 1000.0 - (double)stamp_ms, client->message_bytes, stamp_ms);
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

void finish_frame(struct worker *worker, struct client *client, double arrival_s)
{
    client->in_payload = false;
    if (client->frame_opcode >= OP_CLOSE) {
        handle_control_frame(worker, client, arrival_s);
    } else if (client->frame_final) {
        client->in_message = false;
        if (client->compressed_message && !finish_compressed_message(worker, client, arrival_s))
            return;
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
        /* The whole welcome prefix is kept to find the ship id in it, later messages only the stamp's. */
        size_t keep_limit = client->messages == 0 ? WELCOME_KEEP_BYTES : STAMP_SEARCH_BYTES;
        if (opcode != OP_CONTINUATION) {
            client->in_message = true;
            client->head_bytes = 0;
            client->message_bytes = 0;
            client->binary_message = opcode == OP_BINARY;
            client->compressed_message = worker->config->options.deflate && opcode == OP_BINARY;
            if (client->compressed_message)
                start_inflate(client, keep_limit);
        }
        if (!client->compressed_message) { /* a compressed message's head is filled by inflate_payload */
            size_t room = keep_limit > client->head_bytes ? keep_limit - client->head_bytes : 0;
            client->keep_left_bytes = payload_bytes < room ? (size_t)payload_bytes : room;
        }
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
    } else if (client->inflating) {
        inflate_payload(worker, client, data, take, arrival_s);
        if (client->fd < 0)
            return bytes; /* the stream was invalid and the client failed */
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

void parse_frames(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
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
 * control frame, the kept head of a message or the input of inflate() is still to come. */
size_t discardable_bytes(const struct client *client)
{
    if (client->state < CLIENT_OPEN || !client->in_payload || client->frame_opcode >= OP_CLOSE ||
        client->keep_left_bytes > 0 || client->inflating || client->payload_left_bytes < READ_CHUNK_BYTES)
        return 0;
    return client->payload_left_bytes < DISCARD_BUFFER_BYTES ? (size_t)client->payload_left_bytes
                                                             : DISCARD_BUFFER_BYTES;
}
