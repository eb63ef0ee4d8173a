/* The listening socket and the accept thread that deals connections out to the service loops.
 *
 * The transport listens itself instead of letting libwebsockets do it. Several contexts sharing one
 * port would need SO_REUSEPORT. That option would also let a second server, started on the same port
 * by mistake, take half the connections instead of failing to start. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_internal.h"

/* Opens a listening socket on one resolved address. Returns it, or -1 with errno set. */
static int listen_on(const struct addrinfo *address) {
    int fd = socket(address->ai_family, address->ai_socktype | SOCK_CLOEXEC, address->ai_protocol);
    if (fd < 0) {
        return -1;
    }
    int on = 1, off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)); /* restart while old sockets sit in TIME_WAIT */
    if (address->ai_family == AF_INET6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)); /* "::" takes IPv4 clients too */
    }
    if (bind(fd, address->ai_addr, address->ai_addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int bound_port(int fd) {
    struct sockaddr_storage address;
    socklen_t length = sizeof(address);
    if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
        return -1;
    }
    if (address.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&address)->sin6_port);
    }
    return ntohs(((struct sockaddr_in *)&address)->sin_port);
}

/* Listens on `host`, a numeric address. Returns 0, or -1 with a message in `error`. */
static int listen_host(gw_server *server, const char *host, char *error, size_t error_size) {
    char service[16];
    snprintf(service, sizeof(service), "%d", server->config.port);
    struct addrinfo hints, *found = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    int status = getaddrinfo(host, service, &hints, &found);
    if (status != 0) {
        snprintf(error, error_size, "cannot listen on %s:%d: not a numeric IP address (%s)", host,
                 server->config.port, gai_strerror(status));
        return -1;
    }
    int fd = -1, failure = 0;
    for (struct addrinfo *a = found; a && fd < 0; a = a->ai_next) {
        fd = listen_on(a);
        failure = errno;
    }
    freeaddrinfo(found);
    if (fd < 0) {
        snprintf(error, error_size, "cannot listen on %s:%d: %s", host, server->config.port, strerror(failure));
        return -1;
    }
    server->listen_fd = fd;
    server->port = bound_port(fd);
    return 0;
}

int gw_listen(gw_server *server, char *error, size_t error_size) {
    if (server->config.bind_address) {
        return listen_host(server, server->config.bind_address, error, error_size);
    }
    /* Every interface: IPv6 and IPv4 on one socket, or IPv4 alone on a machine without IPv6. */
    if (listen_host(server, "::", error, error_size) == 0) {
        return 0;
    }
    return listen_host(server, "0.0.0.0", error, error_size);
}

void gw_hand_over(gw_server *server, int fd) {
    pthread_mutex_lock(&server->lock);
    if (server->greet_closed) {
        /* The transport is stopping and the loops' adopt lists may be gone. */
        pthread_mutex_unlock(&server->lock);
        close(fd);
        return;
    }
    gw_loop *loop = &server->loops[server->next_loop++ % (size_t)server->loop_count];
    if (loop->adopt_count == loop->adopt_capacity) {
        size_t capacity = loop->adopt_capacity ? 2 * loop->adopt_capacity : 16;
        int *grown = realloc(loop->adopt, capacity * sizeof(int));
        if (!grown) {
            pthread_mutex_unlock(&server->lock);
            close(fd);
            return;
        }
        loop->adopt = grown;
        loop->adopt_capacity = capacity;
    }
    loop->adopt[loop->adopt_count++] = fd;
    atomic_store(&loop->has_work, 1);
    pthread_mutex_unlock(&server->lock);
    gw_wake_loop(loop);
}

static void *accept_connections(void *argument) {
    gw_server *server = argument;
    while (!atomic_load(&server->stopping)) {
        int fd = accept4(server->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINVAL || errno == EBADF) {
                break; /* the socket was shut down (gw_refuse_connections) */
            }
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                usleep(10 * 1000); /* out of descriptors, so wait for closes rather than spin */
            }
            continue; /* EINTR or ECONNABORTED */
        }
        int on = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        /* The descriptor may carry the mark of an earlier connection that closed before its upgrade. */
        gw_mark_handshake(server, fd, GW_HANDSHAKE_UNCHECKED);
        gw_greet(server, fd);
    }
    return NULL;
}

int gw_start_accepting(gw_server *server) {
    if (server->callbacks.on_ws_greeting && gw_start_greeting(server) < 0) {
        return -1;
    }
    if (pthread_create(&server->accept_thread, NULL, accept_connections, server) != 0) {
        return -1;
    }
    server->accept_started = 1;
    return 0;
}

/* Shuts the listening socket down, which wakes the blocked accept; connections still in the backlog
 * are refused. Thread-safe and idempotent. */
void gw_refuse_connections(gw_server *server) {
    pthread_mutex_lock(&server->lock);
    if (server->listen_fd >= 0 && !server->listen_shut) {
        shutdown(server->listen_fd, SHUT_RDWR);
        server->listen_shut = 1;
    }
    pthread_mutex_unlock(&server->lock);
}

void gw_stop_accepting(gw_server *server) {
    gw_refuse_connections(server);
    if (server->accept_started) {
        pthread_join(server->accept_thread, NULL);
        server->accept_started = 0;
    }
    gw_stop_greeting(server);
    pthread_mutex_lock(&server->lock);
    if (server->listen_fd >= 0) {
        close(server->listen_fd);
        server->listen_fd = -1;
    }
    pthread_mutex_unlock(&server->lock);
}
