/* The greeter: where an accepted connection waits for its request line before a service loop takes it.
 *
 * libwebsockets runs the WebSocket upgrade filter on the service loop's thread and needs its decision at
 * once. A token the application has not seen lately would then be looked up in the store on that
 * thread, and a slow or frozen database would stall the frames of every client the loop serves. So the
 * greeter peeks at the request line (MSG_PEEK, leaving the bytes for libwebsockets to read). For
 * `GET /ws?...` it passes the query to on_ws_greeting, which looks the token up on a thread of the
 * application's. Only when the application calls gw_greeting_done does the connection go to a service
 * loop, whose upgrade filter then finds the result in memory. Any other request goes to a loop as soon
 * as its request line is in. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_internal.h"

#define GREET_PEEK_BYTES 4096      /* a request line longer than this goes to libwebsockets unread */
#define GREET_LINE_SECONDS 10.0    /* wait for the request line at most this long */
#define GREET_CHECK_SECONDS 30.0   /* past the store's own connect and statement timeouts */
#define GREET_MAX_WAITING 4096     /* beyond this, connections skip the greeter */

struct gw_greeting {
    uint64_t ticket;
    int fd;
    int checking; /* handed to on_ws_greeting; no longer in the epoll set */
    double deadline;
};

/* Removes greeting `k` (locked) and returns its socket. */
static int take_locked(gw_server *server, size_t k) {
    int fd = server->greetings[k].fd;
    server->greetings[k] = server->greetings[--server->greeting_count];
    return fd;
}

static long find_locked(gw_server *server, uint64_t ticket) {
    for (size_t k = 0; k < server->greeting_count; k++) {
        if (server->greetings[k].ticket == ticket) {
            return (long)k;
        }
    }
    return -1;
}

void gw_greet(gw_server *server, int fd) {
    if (!server->callbacks.on_ws_greeting || server->greet_epoll < 0) {
        gw_hand_over(server, fd);
        return;
    }
    pthread_mutex_lock(&server->lock);
    if (server->greeting_count == server->greeting_capacity) {
        size_t capacity = server->greeting_capacity ? 2 * server->greeting_capacity : 64;
        gw_greeting *grown = capacity <= GREET_MAX_WAITING ? realloc(server->greetings, capacity * sizeof(*grown)) : NULL;
        if (!grown) {
            pthread_mutex_unlock(&server->lock);
            gw_hand_over(server, fd);
            return;
        }
        server->greetings = grown;
        server->greeting_capacity = capacity;
    }
    uint64_t ticket = ++server->next_ticket;
    server->greetings[server->greeting_count++] =
        (gw_greeting){.ticket = ticket, .fd = fd, .checking = 0, .deadline = gw_now() + GREET_LINE_SECONDS};
    pthread_mutex_unlock(&server->lock);
    /* Edge-triggered: peeking leaves the bytes unread, so a level-triggered set would report them again
     * at once; an edge comes with each new arrival instead. */
    struct epoll_event event = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u64 = ticket};
    if (epoll_ctl(server->greet_epoll, EPOLL_CTL_ADD, fd, &event) < 0) {
        gw_greeting_done(server, ticket);
    }
}

/* Removes a greeting and hands its socket to a service loop, or closes it when `close_socket` is set or
 * the transport is stopping. */
static void finish(gw_server *server, uint64_t ticket, int close_socket) {
    pthread_mutex_lock(&server->lock);
    long k = find_locked(server, ticket);
    if (k < 0) {
        pthread_mutex_unlock(&server->lock);
        return;
    }
    int fd = take_locked(server, (size_t)k);
    if (server->greet_epoll >= 0) {
        epoll_ctl(server->greet_epoll, EPOLL_CTL_DEL, fd, NULL); /* fails harmlessly once checking */
    }
    close_socket = close_socket || server->greet_closed || atomic_load(&server->stopping);
    pthread_mutex_unlock(&server->lock);
    if (close_socket) {
        close(fd);
    } else {
        gw_hand_over(server, fd);
    }
}

void gw_greeting_done(gw_server *server, uint64_t ticket) { finish(server, ticket, 0); }

/* Finds `GET /ws?QUERY ` in the request line and copies QUERY into `query`. Returns 1 if found. */
static int websocket_query(const char *line, size_t length, char *query, size_t size) {
    static const char prefix[] = "GET /ws?";
    size_t p = sizeof(prefix) - 1;
    if (length < p || memcmp(line, prefix, p) != 0) {
        return 0;
    }
    size_t end = p;
    while (end < length && line[end] != ' ' && line[end] != '\r' && line[end] != '\n') {
        end++;
    }
    if (end - p >= size) {
        return 0; /* longer than libwebsockets would take anyway */
    }
    memcpy(query, line + p, end - p);
    query[end - p] = '\0';
    return 1;
}

/* Looks at a greeting's bytes so far and hands it on once its request line is complete. `hangup` means
 * the client has closed its side or the socket failed. */
static void examine(gw_server *server, uint64_t ticket, int hangup) {
    pthread_mutex_lock(&server->lock);
    long k = find_locked(server, ticket);
    int fd = k < 0 || server->greetings[k].checking ? -1 : server->greetings[k].fd;
    pthread_mutex_unlock(&server->lock);
    if (fd < 0) {
        return;
    }

    char line[GREET_PEEK_BYTES];
    ssize_t n = recv(fd, line, sizeof(line), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !hangup) {
        return;
    }

    int complete = n > 0 && memchr(line, '\n', (size_t)n) != NULL;
    if (!complete && (n <= 0 || hangup)) {
        finish(server, ticket, 1); /* gone, or half-closed, before a whole request line */
        return;
    }
    if (!complete && (size_t)n < sizeof(line)) {
        return; /* more of the line is on its way */
    }
    /* The request line is in, or longer than the buffer (libwebsockets will reject it). The handshake
     * limit applies before the lookup, so that a rejected handshake costs none. */

    char query[1024];
    int upgrade = complete && websocket_query(line, (size_t)n, query, sizeof(query));
    int admitted = upgrade && gw_take_handshake_token(server);
    if (upgrade) {
        gw_mark_handshake(server, fd, admitted ? GW_HANDSHAKE_ADMITTED : GW_HANDSHAKE_REJECTED);
    }
    if (admitted) {
        pthread_mutex_lock(&server->lock);
        k = find_locked(server, ticket);
        if (k >= 0) {
            server->greetings[k].checking = 1;
            server->greetings[k].deadline = gw_now() + GREET_CHECK_SECONDS;
            if (server->greet_epoll >= 0) {
                epoll_ctl(server->greet_epoll, EPOLL_CTL_DEL, fd, NULL);
            }
        }
        pthread_mutex_unlock(&server->lock);
        if (k >= 0) {
            server->callbacks.on_ws_greeting(server->callbacks.context, ticket, query);
        }
        return;
    }
    finish(server, ticket, 0);
}

/* Closes every connection that has not sent its request line by its deadline, as libwebsockets
 * would. A lookup past its deadline is handed on, and the upgrade filter then answers 503 `token_check_pending`. */
static void expire(gw_server *server) {
    double now = gw_now();
    for (;;) {
        uint64_t ticket = 0;
        int checking = 0;
        pthread_mutex_lock(&server->lock);
        for (size_t k = 0; k < server->greeting_count && !ticket; k++) {
            if (server->greetings[k].deadline < now) {
                ticket = server->greetings[k].ticket;
                checking = server->greetings[k].checking;
            }
        }
        pthread_mutex_unlock(&server->lock);
        if (!ticket) {
            return;
        }
        finish(server, ticket, !checking);
    }
}

static void *greet_connections(void *argument) {
    gw_server *server = argument;
    struct epoll_event events[64];
    while (!atomic_load(&server->stopping)) {
        int n = epoll_wait(server->greet_epoll, events, 64, 250);
        for (int e = 0; e < n; e++) {
            if (events[e].data.u64 == 0) {
                uint64_t count;
                (void)!read(server->greet_wake, &count, sizeof(count));
            } else {
                examine(server, events[e].data.u64, (events[e].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
            }
        }
        expire(server);
    }
    return NULL;
}

int gw_start_greeting(gw_server *server) {
    server->greet_epoll = epoll_create1(EPOLL_CLOEXEC);
    server->greet_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event wake = {.events = EPOLLIN, .data.u64 = 0}; /* tickets start at 1 */
    if (server->greet_epoll < 0 || server->greet_wake < 0 ||
        epoll_ctl(server->greet_epoll, EPOLL_CTL_ADD, server->greet_wake, &wake) < 0 ||
        pthread_create(&server->greet_thread, NULL, greet_connections, server) != 0) {
        gw_stop_greeting(server);
        return -1;
    }
    server->greet_started = 1;
    return 0;
}

/* Ends the greeter thread and closes the connections still waiting. From then on gw_greeting_done finds
 * nothing and gw_hand_over closes what it is given. */
void gw_stop_greeting(gw_server *server) {
    if (server->greet_started) {
        uint64_t one = 1;
        (void)!write(server->greet_wake, &one, sizeof(one));
        pthread_join(server->greet_thread, NULL);
        server->greet_started = 0;
    }
    pthread_mutex_lock(&server->lock);
    server->greet_closed = 1;
    for (size_t k = 0; k < server->greeting_count; k++) {
        close(server->greetings[k].fd);
    }
    free(server->greetings);
    server->greetings = NULL;
    server->greeting_count = server->greeting_capacity = 0;
    if (server->greet_epoll >= 0) {
        close(server->greet_epoll);
    }
    if (server->greet_wake >= 0) {
        close(server->greet_wake);
    }
    server->greet_epoll = server->greet_wake = -1;
    pthread_mutex_unlock(&server->lock);
}
