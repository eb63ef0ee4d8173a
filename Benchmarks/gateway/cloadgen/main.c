/* Entry point: parses the options, loads the players, runs the worker threads and prints the summary. */
#include "cloadgen.h"

/* Raise the soft descriptor limit to fit one socket per client, as run.sh's `ulimit -n` does. */
static void raise_descriptor_limit(long clients)
{
    rlim_t needed = (rlim_t)clients + SPARE_FILE_DESCRIPTORS;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed)
        return;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
        die("--clients %ld needs %lu file descriptors but the hard limit is %lu; raise it (ulimit -Hn)", clients,
            (unsigned long)needed, (unsigned long)limit.rlim_max);
    limit.rlim_cur = needed;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        die("failed to raise the file descriptor limit to %lu: %s", (unsigned long)needed, strerror(errno));
}

int main(int argc, char **argv)
{
    static struct run_config config;
    config.options = parse_options(argc, argv);
    const struct options *options = &config.options;
    config.endpoint = resolve_endpoint(options->base_url);
    config.players = options->no_auth ? anonymous_players(options->clients)
                                      : load_players(options->tokens_path, options->clients);
    format_python_float(options->view_radius_m, config.view_message_radius, sizeof config.view_message_radius);
    raise_descriptor_limit(options->clients);
    signal(SIGPIPE, SIG_IGN);

    double ramp_s = (double)options->clients * CONNECT_INTERVAL_S;
    double warmup_s = options->warmup_s >= 0 ? options->warmup_s : ramp_s + WARMUP_AFTER_RAMP_S;
    config.start_s = now_s() + START_DELAY_S;
    config.warm_until_s = config.start_s + warmup_s;
    config.stop_at_s = config.warm_until_s + options->seconds;

    struct worker *workers = allocate(sizeof *workers * (size_t)options->threads);
    for (int t = 0; t < options->threads; t++)
        init_worker(&workers[t], t, &config);
    for (int t = 0; t < options->threads; t++) {
        int status = pthread_create(&workers[t].thread, NULL, run_worker, &workers[t]);
        if (status != 0)
            die("failed to start thread %d: %s", t, strerror(status));
    }
    for (int t = 0; t < options->threads; t++)
        pthread_join(workers[t].thread, NULL);
    return summarize(options, workers);
}
