/* The output JSON line, merged over all threads' samples. */
#include "cloadgen.h"

static int compare_doubles(const void *left, const void *right)
{
    double a = *(const double *)left, b = *(const double *)right;
    return (a > b) - (a < b);
}

static int compare_stamps(const void *left, const void *right)
{
    long long a = ((const struct sample *)left)->stamp_ms, b = ((const struct sample *)right)->stamp_ms;
    return (a > b) - (a < b);
}

/* Prints when the last client of each tick had its message: the latest latency of every tick that all
 * clients received inside the window, as median and maximum over those ticks. This is the fan-out's
 * completion seen by the clients, counted from the end of the tick. Sorts `samples` by tick. */
static void print_last_delivery(struct sample *samples, size_t count, long clients)
{
    qsort(samples, count, sizeof *samples, compare_stamps);
    double *last_ms = allocate(sizeof *last_ms * (count / (size_t)clients + 1));
    size_t ticks = 0;
    for (size_t start = 0, end; start < count; start = end) {
        double latest_ms = samples[start].latency_ms;
        for (end = start + 1; end < count && samples[end].stamp_ms == samples[start].stamp_ms; end++)
            latest_ms = samples[end].latency_ms > latest_ms ? samples[end].latency_ms : latest_ms;
        if ((long)(end - start) == clients)
            last_ms[ticks++] = latest_ms;
    }
    qsort(last_ms, ticks, sizeof *last_ms, compare_doubles);
    printf(", \"complete_ticks\": %zu", ticks);
    if (ticks > 0)
        printf(", \"last_delivery_median_ms\": %.3f, \"last_delivery_max_ms\": %.3f", last_ms[ticks / 2], last_ms[ticks - 1]);
    free(last_ms);
}

static void print_summary_start(const struct options *options)
{
    printf("{\"bench\": \"gateway_latency\", \"label\": ");
    print_json_string(stdout, options->label);
    printf(", \"clients\": %ld, \"workers\": %d, \"client\": \"c\"", options->clients, options->threads);
    if (options->deflate)
        printf(", \"encoding\": \"deflate\"");
    if (options->binary)
        printf(", \"encoding\": \"binary\"");
}

/* Prints the --deflate counts over all threads, and nothing without --deflate. */
static void print_deflate_counts(const struct options *options, const struct worker *workers)
{
    if (!options->deflate)
        return;
    long checked = 0, errors = 0, passed = 0;
    uint64_t inflated_bytes = 0;
    for (int t = 0; t < options->threads; t++) {
        checked += workers[t].deflate_checked;
        errors += workers[t].deflate_errors;
        passed += workers[t].deflate_passed;
        inflated_bytes += workers[t].passed_inflated_bytes;
    }
    printf(", \"deflate_checked\": %ld, \"deflate_errors\": %ld, \"mean_inflated_bytes\": ", checked, errors);
    if (passed > 0)
        printf("%.2f", (double)inflated_bytes / (double)passed);
    else
        printf("null");
}

static void print_failures(long failed_clients, const char *first_failure)
{
    printf(", \"failed_clients\": %ld, \"first_failure\": ", failed_clients);
    if (first_failure)
        print_json_string(stdout, first_failure);
    else
        printf("null");
}

/* Print the JSON line over all threads' samples; returns the process exit status. */
int summarize(const struct options *options, struct worker *workers)
{
    size_t frames = 0;
    long frames_before_warmup = 0, failed_clients = 0;
    const struct worker *first_failed = NULL;
    for (int t = 0; t < options->threads; t++) {
        frames += workers[t].sample_count;
        frames_before_warmup += workers[t].frames_before_warmup;
        failed_clients += workers[t].failed_clients;
        if (workers[t].failed_clients && (!first_failed || workers[t].first_failure_at_s < first_failed->first_failure_at_s))
            first_failed = &workers[t];
    }
    const char *first_failure = first_failed ? first_failed->first_failure : NULL;
    print_summary_start(options);
    if (frames == 0) {
        printf(", \"error\": \"no state frames measured after the warm-up\", \"frames_before_warmup\": %ld",
               frames_before_warmup);
        print_deflate_counts(options, workers);
        print_failures(failed_clients, first_failure);
        printf("}\n");
        fflush(stdout);
        fprintf(stderr, "cloadgen: no state messages arrived in the measured window (%ld before the warm-up, "
                        "%ld failed clients%s%s)\n",
                frames_before_warmup, failed_clients, first_failure ? ", first failure: " : "",
                first_failure ? first_failure : "");
        return 1;
    }
    double *latencies_ms = allocate(sizeof *latencies_ms * frames);
    uint64_t total_bytes = 0;
    size_t count = 0;
    for (int t = 0; t < options->threads; t++) {
        for (size_t k = 0; k < workers[t].sample_count; k++) {
            latencies_ms[count++] = workers[t].samples[k].latency_ms;
            total_bytes += workers[t].samples[k].message_bytes;
        }
    }
    qsort(latencies_ms, frames, sizeof *latencies_ms, compare_doubles);
    /* loadgen.py's percentile: the sample at index floor(p * n), at most the last one. */
    size_t p50_index = (size_t)(0.50 * (double)frames), p99_index = (size_t)(0.99 * (double)frames);
    printf(", \"frames\": %zu, \"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f, \"latency_max_ms\": %.3f, "
           "\"mean_frame_bytes\": %.2f",
           frames, latencies_ms[p50_index < frames ? p50_index : frames - 1],
           latencies_ms[p99_index < frames ? p99_index : frames - 1], latencies_ms[frames - 1],
           (double)total_bytes / (double)frames);
    struct sample *all = allocate(sizeof *all * frames);
    size_t at = 0;
    for (int t = 0; t < options->threads; t++) {
        memcpy(all + at, workers[t].samples, sizeof *all * workers[t].sample_count);
        at += workers[t].sample_count;
    }
    print_last_delivery(all, frames, options->clients);
    print_deflate_counts(options, workers);
    print_failures(failed_clients, first_failure);
    printf("}\n");
    free(all);
    free(latencies_ms);
    return 0;
}
