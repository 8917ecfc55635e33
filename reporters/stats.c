/*
 * stats.c: percentiles and locale-proof time formatting.
 */
#include "stats.h"
#include "common/strbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y ? 1 : 0;
}

double stats_percentile(const double *v, size_t n, double p)
{
    if (!n)
        return 0;
    double *s = malloc(n * sizeof(*s));
    if (!s)
        return 0;
    memcpy(s, v, n * sizeof(*s));
    qsort(s, n, sizeof(*s), cmp_double);
    if (p < 0)
        p = 0;
    if (p > 100)
        p = 100;
    double rank = p / 100.0 * (double)(n - 1);
    size_t lo = (size_t)floor(rank);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double r = s[lo] + (s[hi] - s[lo]) * (rank - (double)lo);
    free(s);
    return r;
}

double stats_median(const double *v, size_t n)
{
    return stats_percentile(v, n, 50);
}

double stats_sum(const double *v, size_t n)
{
    double s = 0;

    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s;
}

void stats_collect(struct stats_run *s, const struct test_result *r, size_t n,
                   double wall_ms)
{
    double *acq = xcalloc(n ? n : 1, sizeof(double));
    double *rel = xcalloc(n ? n : 1, sizeof(double));
    double *cyc = xcalloc(n ? n : 1, sizeof(double));
    size_t k = 0;

    memset(s, 0, sizeof(*s));
    for (size_t i = 0; i < n; i++) {
        if (!result_ran(&r[i]))
            continue;
        acq[k] = r[i].acquire_ms;
        rel[k] = r[i].release_ms;
        cyc[k] = r[i].acquire_ms + r[i].release_ms;
        s->case_sum_ms += r[i].time_ms;
        k++;
    }
    s->ran = k;
    s->acquire_p50_ms = stats_median(acq, k);
    s->acquire_p95_ms = stats_percentile(acq, k, 95);
    s->release_p50_ms = stats_median(rel, k);
    s->release_p95_ms = stats_percentile(rel, k, 95);
    s->cycle_p50_ms = stats_median(cyc, k);
    s->cycle_p95_ms = stats_percentile(cyc, k, 95);
    s->cycle_mean_ms = k ? stats_sum(cyc, k) / (double)k : 0;
    s->case_mean_ms = k ? s->case_sum_ms / (double)k : 0;
    s->speedup = wall_ms > 0 ? s->case_sum_ms / wall_ms : 0;
    free(acq);
    free(rel);
    free(cyc);
}

char *stats_fmt_seconds(char buf[32], double ms)
{
    /* Past ~285,000 years (or not a number) llround has no answer. */
    if (!(ms > 0))
        ms = 0;
    if (ms > 9e15)
        ms = 9e15;
    long long total = llround(ms);

    snprintf(buf, 32, "%lld.%03lld", total / 1000, total % 1000);
    return buf;
}
