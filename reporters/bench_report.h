/*
 * bench_report: the outputs of `isotest bench` -- the table and the list
 * of failed cases (as text for the caller to print), the JSON file and
 * the JUnit file.  The HTML page is html_bench() (html.h).
 *
 * Call sequence: the caller fills one struct bench_row per configuration
 * (name, isolation, jobs, runs, repeat), calls bench_report_medians() once
 * for the figures, then any of the writers.  The runs stay the caller's;
 * a row only borrows them.  Pure apart from the files; thread-safe.
 */
#ifndef ISOTEST_BENCH_REPORT_H
#define ISOTEST_BENCH_REPORT_H

#include <stddef.h>

#include "common/err.h"

struct strbuf;

/* One measured run of a configuration, as its JUnit report gave it. */
struct bench_run {
    double wall_ms;
    double cycle_p50_ms, cycle_p95_ms; /* sandbox acquire + release */
    double wait_p50_ms, wait_p95_ms;   /* sandbox acquire */
    long tests, failed;                /* failed: failures + errors */
    char server_version[32];
    char **failed_names; /* case ids, the first nnamed of failed */
    size_t nnamed;
};

struct bench_row {
    /* Filled by the caller. */
    const char *name; /* "database -j 4" */
    const char *isolation;
    int jobs;
    const struct bench_run *runs; /* borrowed */
    int repeat;                   /* runs measured */

    /* Filled by bench_report_medians(): medians over the runs. */
    double wall_ms;
    double speedup;    /* against the serial isolated run */
    double efficiency; /* speedup / jobs */
    double overhead_p50_ms;
    double overhead_p95_ms;
    double wait_p50_ms; /* time a case waited for its sandbox */
    double wait_p95_ms;
    long failed; /* failed + errors, median run */
    long cases;  /* of the first run */
};

/*
 * The medians of every row; speedups against the first isolated row at
 * -j 1 (all 0 when there is none).
 */
void bench_report_medians(struct bench_row *rows, size_t n);

/* The table, then the failed cases of each row's first failing run. */
void bench_report_text(struct strbuf *sb, const struct bench_row *rows,
                       size_t n);

/* -1 with e naming the path; the file is written atomically. */
int bench_report_json(const char *path, const struct bench_row *rows, size_t n,
                      const char *server_version, struct isotest_err *e);
int bench_report_junit(const char *path, const struct bench_row *rows, size_t n,
                       struct isotest_err *e);

#endif
