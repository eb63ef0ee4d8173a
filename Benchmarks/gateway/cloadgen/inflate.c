/* --deflate: inflating the head of each binary state message, and checking sampled ones in full. */
#include "cloadgen.h"

void start_inflate(struct client *client, size_t head_limit_bytes)
{
    end_inflate(client);
    client->inflater = (z_stream){0};
    int status = inflateInit2(&client->inflater, -MAX_WBITS); /* negative: raw DEFLATE, no zlib header */
    if (status != Z_OK)
        die("inflateInit2 failed for client %ld: %s", client->slot, zError(status));
    client->inflating = true;
    client->checking_message = client->binary_messages % DEFLATE_CHECK_INTERVAL == 0;
    client->binary_messages++;
    client->stream_ended = false;
    client->head_limit_bytes = head_limit_bytes;
    client->last_inflated_byte = 0;
}

void end_inflate(struct client *client)
{
    if (!client->inflating)
        return;
    inflateEnd(&client->inflater);
    client->inflating = false;
}

/* Count the message as a deflate error and fail the client, closing with 1007 (invalid payload data). */
static void reject_compressed_message(struct worker *worker, struct client *client, double arrival_s,
                                      const char *problem)
{
    worker->deflate_errors++;
    if (client->checking_message)
        worker->deflate_checked++;
    end_inflate(client);
    char reason[FAILURE_TEXT_BYTES];
    snprintf(reason, sizeof reason, "binary message %ld: %s", client->binary_messages, problem);
    if (send_close(worker, client, CLOSE_INVALID_PAYLOAD))
        fail_client(worker, client, arrival_s, reason);
}

static bool head_is_full(const struct client *client)
{
    return client->head_bytes == client->head_limit_bytes;
}

/* Inflate the input set in client->inflater: into head until it is full, then, for a checked message
 * only, into the worker's scratch buffer. Returns false if the client failed. */
static bool run_inflate(struct worker *worker, struct client *client, double arrival_s)
{
    z_stream *stream = &client->inflater;
    for (;;) {
        bool into_head = !head_is_full(client);
        unsigned char *output = into_head ? client->head + client->head_bytes : worker->inflate_buffer;
        size_t room = into_head ? client->head_limit_bytes - client->head_bytes : INFLATE_BUFFER_BYTES;
        stream->next_out = output;
        stream->avail_out = (uInt)room;
        int status = inflate(stream, Z_NO_FLUSH);
        size_t produced = room - stream->avail_out;
        if (into_head)
            client->head_bytes += produced;
        if (produced > 0)
            client->last_inflated_byte = output[produced - 1];

        if (status == Z_STREAM_END) {
            client->stream_ended = true;
            return true;
        }
        if (status == Z_MEM_ERROR)
            die("out of memory inflating a message for client %ld", client->slot);
        if (status != Z_OK && status != Z_BUF_ERROR) {
            char problem[FAILURE_TEXT_BYTES / 2];
            snprintf(problem, sizeof problem, "inflate failed: %s", stream->msg ? stream->msg : zError(status));
            reject_compressed_message(worker, client, arrival_s, problem);
            return false;
        }
        /* A full output buffer may hide output that inflate() still holds, even with no input left, so
         * only a partly filled buffer or Z_BUF_ERROR (no progress possible) means the input is used up. */
        if (stream->avail_out > 0 || status == Z_BUF_ERROR || (head_is_full(client) && !client->checking_message))
            return true;
    }
}

void inflate_payload(struct worker *worker, struct client *client, const unsigned char *data, size_t bytes,
                     double arrival_s)
{
    static const char *const trailing_data = "the payload continues after the final block of the DEFLATE stream";
    if (client->stream_ended) { /* only a checked message is still inflating after the end */
        reject_compressed_message(worker, client, arrival_s, trailing_data);
        return;
    }
    client->inflater.next_in = data;
    client->inflater.avail_in = (uInt)bytes;
    if (!run_inflate(worker, client, arrival_s))
        return;
    if (client->checking_message && client->stream_ended && client->inflater.avail_in > 0) {
        reject_compressed_message(worker, client, arrival_s, trailing_data);
        return;
    }
    /* The stamp is in the head, so the rest of an unchecked message can be dropped unread. */
    if (!client->checking_message && (client->stream_ended || head_is_full(client)))
        end_inflate(client);
}

static bool check_inflated_text(struct worker *worker, struct client *client, double arrival_s)
{
    static const char state_start[] = "{\"type\":\"state\"";
    size_t start_bytes = sizeof state_start - 1;
    if (client->head_bytes < start_bytes || memcmp(client->head, state_start, start_bytes) != 0) {
        reject_compressed_message(worker, client, arrival_s,
                                  "the inflated text does not start with {\"type\":\"state\"");
        return false;
    }
    if (client->last_inflated_byte != '}') {
        reject_compressed_message(worker, client, arrival_s, "the inflated text does not end with '}'");
        return false;
    }
    worker->deflate_checked++;
    worker->deflate_passed++;
    worker->passed_inflated_bytes += client->inflater.total_out;
    return true;
}

/* End the inflation of a complete binary message and check the message if it is a sample. Returns
 * false if the client failed. */
bool finish_compressed_message(struct worker *worker, struct client *client, double arrival_s)
{
    if (!client->inflating)
        return true; /* an unchecked message whose head was inflated */
    if (!client->stream_ended) {
        reject_compressed_message(worker, client, arrival_s, "the DEFLATE stream ends without a final block");
        return false;
    }
    if (client->checking_message && !check_inflated_text(worker, client, arrival_s))
        return false;
    end_inflate(client);
    return true;
}
