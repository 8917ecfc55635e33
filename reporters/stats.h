/*
 * stats: the few statistics the reports print, and the one place that
 * computes a run's sandbox figures (the console summary and the JUnit
 * properties both show them).  Pure and thread-safe.
 */
#ifndef ISOTEST_STATS_H
#define ISOTEST_STATS_H

#include <stddef.h>

#include "result.h"

/*
 * The p-th percentile (0..100) of v[0..n), linear interpolation between
 * closest ranks; v is not modified.  0 when n is 0.
 */
double stats_percentile(const double *v, size_t n, double p);
double stats_median(const double *v, size_t n);
double stats_sum(const double *v, size_t n);

/*
 * A run's figures over the cases that ran (result_ran(): started and not
 * skipped); all 0 when none did.
 */
struct stats_run {
    size_t ran;
    double acquire_p50_ms, acquire_p95_ms; /* getting a sandbox */
    double release_p50_ms, release_p95_ms; /* dropping it */
    /* acquire + release of one case */
    double cycle_p50_ms, cycle_p95_ms, cycle_mean_ms;
    double case_sum_ms, case_mean_ms; /* the cases' own time */
    double speedup; /* case_sum_ms / wall_ms; 0 when wall_ms is not > 0 */
};

void stats_collect(struct stats_run *s, const struct test_result *r, size_t n,
                   double wall_ms);

/*
 * Seconds with a dot and exactly three decimals ("1.234"), whatever the
 * locale: formatted from integer milliseconds, never through printf's %f.
 * Negative values print as "0.000".  Returns buf.
 */
char *stats_fmt_seconds(char buf[32], double ms);

#endif
