/* HTTP requests: collect method, path, headers and body, hand them to the application, then write
 * the response it gives with gw_http_respond, in place, in chunks. */
#include <stdlib.h>
#include <string.h>

#include "gw_internal.h"

static const char *method_name(int method) {
    switch (method) {
    case LWSHUMETH_GET:
        return "GET";
    case LWSHUMETH_POST:
        return "POST";
    case LWSHUMETH_OPTIONS:
        return "OPTIONS";
    case LWSHUMETH_PUT:
        return "PUT";
    case LWSHUMETH_PATCH:
        return "PATCH";
    case LWSHUMETH_DELETE:
        return "DELETE";
    case LWSHUMETH_HEAD:
        return "HEAD";
    default:
        return "OTHER";
    }
}

void gw_http_reset(gw_session *s) {
    s->body_length = 0;
    s->delivered = 0;
    s->chunked = 0;
    s->body_too_large = 0;
    s->response_ready = 0;
    s->response_sent = 0;
    s->headers_sent = 0;
    free(s->response);
    free(s->extra_headers);
    s->response = NULL;
    s->extra_headers = NULL;
}

static void deliver(gw_server *server, gw_session *s) {
    /* lws may report a body completion for a request already delivered without one. */
    if (s->delivered) {
        return;
    }
    s->delivered = 1;
    if (s->chunked) {
        const char *message = "{\"error\":{\"code\":\"length_required\",\"message\":\"send the request body "
                              "with Content-Length; chunked request bodies are not supported\"}}";
        gw_http_respond(server, s->id, 411, "application/json", (const uint8_t *)message, strlen(message), NULL);
        return;
    }
    if (s->body_too_large) {
        char message[160];
        int length = snprintf(message, sizeof(message),
                              "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body exceeds the "
                              "limit of %zu bytes\"}}",
                              server->config.max_body_bytes);
        gw_http_respond(server, s->id, 413, "application/json", (const uint8_t *)message, (size_t)length, NULL);
        return;
    }
    gw_http_request request = {s->id, s->method, s->path, s->query, s->authorization, s->remote,
                               s->body, s->body_length};
    pthread_mutex_lock(&server->lock);
    server->stats.http_requests++;
    pthread_mutex_unlock(&server->lock);
    server->callbacks.on_http(server->callbacks.context, &request);
}

void gw_copy_query(struct lws *wsi, char *query, size_t size) {
    size_t used = 0;
    query[0] = '\0';
    for (int k = 0; used + 1 < size; k++) {
        char argument[1024];
        if (lws_hdr_copy_fragment(wsi, argument, sizeof(argument), WSI_TOKEN_HTTP_URI_ARGS, k) < 0) {
            break;
        }
        int n = snprintf(query + used, size - used, "%s%s", k ? "&" : "", argument);
        used = n < 0 ? used : (used + (size_t)n < size ? used + (size_t)n : size - 1);
    }
}

static int begin_request(gw_server *server, gw_session *s, struct lws *wsi) {
    gw_register(server, s, wsi, GW_KIND_HTTP);
    gw_http_reset(s);
    char *uri = NULL;
    int uri_length = 0;
    int method = lws_http_get_uri_and_method(wsi, &uri, &uri_length);
    snprintf(s->method, sizeof(s->method), "%s", method_name(method));
    snprintf(s->path, sizeof(s->path), "%.*s", uri_length > 0 ? uri_length : 0, uri ? uri : "");
    s->query[0] = s->authorization[0] = s->remote[0] = '\0';
    gw_copy_query(wsi, s->query, sizeof(s->query));
    lws_hdr_copy(wsi, s->authorization, sizeof(s->authorization), WSI_TOKEN_HTTP_AUTHORIZATION);
    lws_get_peer_simple(wsi, s->remote, sizeof(s->remote));
    int may_have_body = method == LWSHUMETH_POST || method == LWSHUMETH_PUT || method == LWSHUMETH_PATCH;
    if (may_have_body && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
        /* libwebsockets 4.1 never completes a chunked request body here, so it is refused at once. */
        s->chunked = 1;
        deliver(server, s);
        return 0;
    }
    if (may_have_body && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
        char length_text[32] = "";
        lws_hdr_copy(wsi, length_text, sizeof(length_text), WSI_TOKEN_HTTP_CONTENT_LENGTH);
        unsigned long long declared = strtoull(length_text, NULL, 10);
        if (declared > server->config.max_body_bytes) {
            s->body_too_large = 1;
            deliver(server, s);
            return 0;
        }
        if (declared > 0) {
            return 0; /* wait for LWS_CALLBACK_HTTP_BODY_COMPLETION */
        }
    }
    deliver(server, s);
    return 0;
}

static int append_body(gw_server *server, gw_session *s, const void *in, size_t len) {
    if (s->body_too_large || s->body_length + len > server->config.max_body_bytes) {
        s->body_too_large = 1;
        return 0;
    }
    if (s->body_length + len > s->body_capacity) {
        size_t capacity = s->body_capacity ? s->body_capacity : 1024;
        while (capacity < s->body_length + len) {
            capacity *= 2;
        }
        unsigned char *grown = realloc(s->body, capacity);
        if (!grown) {
            return -1;
        }
        s->body = grown;
        s->body_capacity = capacity;
    }
    memcpy(s->body + s->body_length, in, len);
    s->body_length += len;
    return 0;
}

/* Adds "Name: value\r\n" lines to the header block. */
static int add_extra_headers(struct lws *wsi, const char *lines, unsigned char **p, unsigned char *end) {
    while (lines && *lines) {
        const char *colon = strchr(lines, ':');
        const char *eol = strstr(lines, "\r\n");
        if (!colon || !eol || colon > eol) {
            return 0;
        }
        char name[128];
        size_t name_length = (size_t)(colon - lines);
        if (name_length + 2 > sizeof(name)) {
            return -1;
        }
        for (size_t k = 0; k < name_length; k++) {
            char c = lines[k];
            name[k] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        name[name_length] = ':';
        name[name_length + 1] = '\0';
        const char *value = colon + 1;
        while (*value == ' ') {
            value++;
        }
        if (lws_add_http_header_by_name(wsi, (unsigned char *)name, (const unsigned char *)value,
                                        (int)(eol - value), p, end)) {
            return -1;
        }
        lines = eol + 2;
    }
    return 0;
}

static int write_response(gw_server *server, gw_session *s, struct lws *wsi) {
    pthread_mutex_lock(&server->lock);
    int ready = s->response_ready;
    pthread_mutex_unlock(&server->lock);
    if (!ready) {
        return 0;
    }
    if (!s->headers_sent) {
        unsigned char headers[LWS_PRE + 2048];
        unsigned char *start = headers + LWS_PRE, *p = start, *end = headers + sizeof(headers) - 1;
        if (lws_add_http_common_headers(wsi, (unsigned int)s->status, s->content_type, s->response_length, &p, end) ||
            add_extra_headers(wsi, s->extra_headers, &p, end) || lws_finalize_write_http_header(wsi, start, &p, end)) {
            return -1;
        }
        s->headers_sent = 1;
        if (s->response_length > 0) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    } else {
        size_t remaining = s->response_length - s->response_sent;
        size_t chunk = remaining > 65536 ? 65536 : remaining;
        int final = chunk == remaining;
        unsigned char *at = s->response + LWS_PRE + s->response_sent;
        if (lws_write(wsi, at, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0) {
            return -1;
        }
        s->response_sent += chunk;
        if (!final) {
            lws_callback_on_writable(wsi);
            return 0;
        }
    }
    pthread_mutex_lock(&server->lock);
    gw_http_reset(s);
    pthread_mutex_unlock(&server->lock);
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

int gw_http_respond(gw_server *server, uint64_t request_id, int status, const char *content_type,
                    const uint8_t *body, size_t length, const char *extra_headers) {
    unsigned char *copy = malloc(LWS_PRE + length + 1);
    char *headers = extra_headers ? strdup(extra_headers) : NULL;
    if (!copy) {
        free(headers);
        return -1;
    }
    if (length) {
        memcpy(copy + LWS_PRE, body, length);
    }
    pthread_mutex_lock(&server->lock);
    gw_session *s = gw_find_locked(server, request_id);
    if (!s || s->kind != GW_KIND_HTTP || s->response_ready) {
        pthread_mutex_unlock(&server->lock);
        free(copy);
        free(headers);
        return -1;
    }
    s->status = status;
    snprintf(s->content_type, sizeof(s->content_type), "%s", content_type ? content_type : "text/plain");
    s->response = copy;
    s->response_length = length;
    s->extra_headers = headers;
    s->response_ready = 1;
    gw_schedule_locked(server, s);
    pthread_mutex_unlock(&server->lock);
    gw_wake(server);
    return 0;
}

int gw_http_callback(gw_server *server, gw_session *s, struct lws *wsi, enum lws_callback_reasons reason,
                     void *in, size_t len) {
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return begin_request(server, s, wsi);
    case LWS_CALLBACK_HTTP_BODY:
        return append_body(server, s, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        deliver(server, s);
        return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return write_response(server, s, wsi);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        /* lws frees the session memory when it drops the protocol at the end of a transaction,
         * before any CLOSED_HTTP, so the table must forget the session here. */
        if (s->kind == GW_KIND_HTTP) {
            gw_unregister(server, s);
        }
        return 0;
    default:
        return 0;
    }
}
