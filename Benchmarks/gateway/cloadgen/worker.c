/* The epoll loop of one thread: connecting clients on schedule, dispatching events, closing at the end. */
#include "cloadgen.h"

static void connect_due_clients(struct worker *worker, double now)
{
    while (worker->next_to_connect < worker->client_count &&
           worker->clients[worker->next_to_connect].connect_at_s <= now)
        start_connect(worker, &worker->clients[worker->next_to_connect++], now);
    if (worker->retries_waiting == 0)
        return;
    for (size_t k = 0; k < worker->next_to_connect; k++) {
        struct client *client = &worker->clients[k];
        if (client->state == CLIENT_WAITING && client->connect_at_s <= now) {
            worker->retries_waiting--;
            start_connect(worker, client, now);
        }
    }
}

static double next_timer_s(const struct worker *worker)
{
    if (worker->closing)
        return worker->close_deadline_s;
    double next = worker->config->stop_at_s;
    if (worker->next_to_connect < worker->client_count && worker->clients[worker->next_to_connect].connect_at_s < next)
        next = worker->clients[worker->next_to_connect].connect_at_s;
    if (worker->retries_waiting) {
        for (size_t k = 0; k < worker->next_to_connect; k++) {
            const struct client *client = &worker->clients[k];
            if (client->state == CLIENT_WAITING && client->connect_at_s < next)
                next = client->connect_at_s;
        }
    }
    return next;
}

static bool all_clients_finished(const struct worker *worker)
{
    return worker->next_to_connect == worker->client_count && worker->open_fds == 0 && worker->retries_waiting == 0;
}

/* At the end of the window: send every open client's close frame (1000, normal closure) and give
 * up on clients that are not connected yet. */
static void begin_close(struct worker *worker, double now)
{
    worker->closing = true;
    worker->close_deadline_s = now + CLOSE_GRACE_S;
    for (size_t k = 0; k < worker->client_count; k++) {
        struct client *client = &worker->clients[k];
        if (client->state == CLIENT_OPEN) {
            client->state = CLIENT_CLOSING;
            send_close(worker, client, CLOSE_NORMAL);
        } else if (client->state != CLIENT_CLOSING) {
            close_client(worker, client, CLIENT_DONE);
        }
    }
}

void *run_worker(void *argument)
{
    struct worker *worker = argument;
    struct epoll_event events[EPOLL_EVENTS_MAX];
    for (;;) {
        double now = now_s();
        if (!worker->closing && now >= worker->config->stop_at_s)
            begin_close(worker, now);
        if (worker->closing && (worker->open_fds == 0 || now >= worker->close_deadline_s))
            break;
        if (all_clients_finished(worker))
            break; /* every client failed before the end, as loadgen.py's workers stop then too */
        if (!worker->closing)
            connect_due_clients(worker, now);
        double wait_s = next_timer_s(worker) - now_s();
        int timeout_ms = wait_s <= 0 ? 0 : (int)ceil(wait_s * 1000.0);
        int ready = epoll_wait(worker->epoll_fd, events, EPOLL_EVENTS_MAX, timeout_ms);
        if (ready < 0 && errno != EINTR)
            die("epoll_wait failed in thread %d: %s", worker->index, strerror(errno));
        for (int k = 0; k < ready; k++)
            handle_event(worker, events[k].data.ptr, events[k].events);
    }
    for (size_t k = 0; k < worker->client_count; k++)
        close_client(worker, &worker->clients[k], CLIENT_DONE);
    return NULL;
}

/* Give thread `index` the clients whose slot modulo the thread count is `index`, in slot order. */
void init_worker(struct worker *worker, int index, const struct run_config *config)
{
    long clients = config->options.clients;
    int threads = config->options.threads;
    worker->index = index;
    worker->config = config;
    worker->client_count = (size_t)((clients - index + threads - 1) / threads);
    worker->clients = allocate(sizeof *worker->clients * (worker->client_count ? worker->client_count : 1));
    for (size_t k = 0; k < worker->client_count; k++) {
        struct client *client = &worker->clients[k];
        client->fd = -1;
        client->slot = index + (long)k * threads;
        client->player = &config->players[client->slot];
        client->connect_at_s = config->start_s + (double)client->slot * CONNECT_INTERVAL_S;
        client->state = CLIENT_WAITING;
    }
    worker->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (worker->epoll_fd < 0)
        die("epoll_create1 failed: %s", strerror(errno));
    worker->read_buffer = allocate(DISCARD_BUFFER_BYTES);
    if (config->options.deflate)
        worker->inflate_buffer = allocate(INFLATE_BUFFER_BYTES);
    worker->random_state = random_seed();
}
