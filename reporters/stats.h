/*
 * stats: the few statistics the reports print.  Pure and thread-safe.
 */
#ifndef ISOTEST_STATS_H
#define ISOTEST_STATS_H

#include <stddef.h>

/*
 * The p-th percentile (0..100) of v[0..n), linear interpolation between
 * closest ranks; v is not modified.  0 when n is 0.
 */
double stats_percentile(const double *v, size_t n, double p);
double stats_median(const double *v, size_t n);
double stats_sum(const double *v, size_t n);

/*
 * Seconds with a dot and exactly three decimals ("1.234"), whatever the
 * locale: formatted from integer milliseconds, never through printf's %f.
 * Negative values print as "0.000".  Returns buf.
 */
char *stats_fmt_seconds(char buf[32], double ms);

#endif
