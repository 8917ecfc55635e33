/*
 * shard.c: parsing --shard (K/N, or the CI system's variables), the
 * longest-processing-time-first split, and what a part tells the console
 * and the report.
 */
#include "shard.h"
#include "common/strbuf.h"
#include "reporters/stats.h"
#include "reporters/xmlout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal digits only (no sign, no space), at most 9 of them. */
static int parse_count(const char *s, size_t len, long *out)
{
    long v = 0;

    if (!len || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int shard_parse(const char *s, struct shard *sh, struct isotest_err *e)
{
    const char *slash = strchr(s, '/');
    long k, n;

    if (!strcmp(s, "auto"))
        return shard_from_env(sh, e);
    if (!slash || parse_count(s, (size_t)(slash - s), &k) < 0 ||
        parse_count(slash + 1, strlen(slash + 1), &n) < 0)
        return err_set(e,
                       "invalid value '%s' for --shard: expected K/N (part "
                       "K of N, e.g. 2/4) or auto",
                       s);
    if (n < 1 || n > SHARD_MAX)
        return err_set(e,
                       "invalid value '%s' for --shard: N, the number of "
                       "parts, must be from 1 to %d",
                       s, SHARD_MAX);
    if (k < 1 || k > n)
        return err_set(e,
                       "invalid value '%s' for --shard: K must be from 1 "
                       "to N (%ld)",
                       s, n);
    sh->index = (int)k;
    sh->total = (int)n;
    return 0;
}

/* One CI system's pair of variables; `base` is its first index. */
struct ci_vars {
    const char *index, *total;
    int base;
};

static const struct ci_vars ci_vars[] = {
    {"ISOTEST_SHARD_INDEX", "ISOTEST_SHARD_TOTAL", 1}, /* GitHub matrix */
    {"CI_NODE_INDEX", "CI_NODE_TOTAL", 1},             /* GitLab */
    {"BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", 0},
};

static const char *env(const char *name)
{
    const char *v = getenv(name);

    return v && *v ? v : NULL;
}

static int from_pair(const struct ci_vars *c, const char *idx, const char *tot,
                     struct shard *sh, struct isotest_err *e)
{
    long k, n;

    if (!tot)
        return err_set(e, "--shard auto: %s is set ('%s') but %s is not",
                       c->index, idx, c->total);
    if (parse_count(tot, strlen(tot), &n) < 0 || n < 1 || n > SHARD_MAX)
        return err_set(e,
                       "--shard auto: invalid %s '%s': expected a number of "
                       "parts from 1 to %d",
                       c->total, tot, SHARD_MAX);
    /* A job without parallelism may carry the total alone (GitLab: 1). */
    if (!idx && n == 1) {
        *sh = (struct shard){1, 1};
        return 0;
    }
    if (!idx)
        return err_set(e, "--shard auto: %s is set ('%s') but %s is not",
                       c->total, tot, c->index);
    if (parse_count(idx, strlen(idx), &k) < 0 || k < c->base ||
        k > n - 1 + c->base)
        return err_set(e,
                       "--shard auto: invalid %s '%s' for %s '%s': expected "
                       "%d to %ld",
                       c->index, idx, c->total, tot, c->base, n - 1 + c->base);
    *sh = (struct shard){(int)(k + 1 - c->base), (int)n};
    return 0;
}

int shard_from_env(struct shard *sh, struct isotest_err *e)
{
    for (size_t i = 0; i < sizeof(ci_vars) / sizeof(*ci_vars); i++) {
        const char *idx = env(ci_vars[i].index), *tot = env(ci_vars[i].total);
        if (idx || tot)
            return from_pair(&ci_vars[i], idx, tot, sh, e);
    }
    err_set(e, "--shard auto: no CI shard variables are set "
               "(ISOTEST_SHARD_INDEX and ISOTEST_SHARD_TOTAL, 1-based, as a "
               "GitHub Actions workflow sets them from its matrix; GitLab's "
               "CI_NODE_INDEX and CI_NODE_TOTAL; Buildkite's "
               "BUILDKITE_PARALLEL_JOB and BUILDKITE_PARALLEL_JOB_COUNT)");
    return err_hint(e, "name the part with --shard K/N, or set those "
                       "variables in the job");
}

double shard_default_ms(const double *ms, size_t n)
{
    double *known = xcalloc(n ? n : 1, sizeof(*known));
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        if (ms[i] >= 0)
            known[k++] = ms[i];
    double d = k ? stats_median(known, k) : SHARD_DEFAULT_MS;
    free(known);
    return d;
}

struct item {
    const char *id;
    long long us; /* whole microseconds: sums are exact everywhere */
    size_t index;
};

static int cmp_item(const void *a, const void *b)
{
    const struct item *x = a, *y = b;
    int c;

    if (x->us != y->us)
        return x->us > y->us ? -1 : 1;
    c = strcmp(x->id, y->id);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static long long to_us(double ms)
{
    return ms > 0 ? llround(ms * 1000.0) : 0;
}

int *shard_assign(const char *const *ids, const double *ms, size_t n, int total,
                  double *load)
{
    struct item *it = xcalloc(n ? n : 1, sizeof(*it));
    long long *sum = xcalloc(total > 0 ? (size_t)total : 1, sizeof(*sum));
    int *part = xcalloc(n ? n : 1, sizeof(*part));
    double dflt = shard_default_ms(ms, n);

    for (size_t i = 0; i < n; i++)
        it[i] = (struct item){ids[i], to_us(ms[i] >= 0 ? ms[i] : dflt), i};
    qsort(it, n, sizeof(*it), cmp_item);
    for (size_t i = 0; i < n; i++) {
        int best = 0;
        for (int s = 1; s < total; s++)
            if (sum[s] < sum[best])
                best = s;
        sum[best] += it[i].us;
        part[it[i].index] = best;
    }
    for (int s = 0; load && s < total; s++)
        load[s] = (double)sum[s] / 1000.0;
    free(it);
    free(sum);
    return part;
}

/* The durations of cl's cases in h; -1 where it knows none. */
static double *durations(const struct case_list *cl, const struct history *h)
{
    double *ms = xcalloc(cl->n ? cl->n : 1, sizeof(*ms));

    for (size_t i = 0; i < cl->n; i++)
        ms[i] = h ? history_lookup(h, cl->v[i].id, cl->v[i].classname,
                                   cl->v[i].name)
                  : -1;
    return ms;
}

void shard_apply(struct case_list *cl, const struct history *h, struct shard sh,
                 struct shard_plan *p)
{
    memset(p, 0, sizeof(*p));
    p->sh = sh;
    p->suite_cases = cl->n;
    if (!sh.total)
        return;
    if (cl->n)
        snprintf(p->suite, sizeof(p->suite), "%s", cl->v[0].suite);
    const char **ids = xcalloc(cl->n ? cl->n : 1, sizeof(*ids));
    double *ms = durations(cl, h);
    double *load = xcalloc((size_t)sh.total, sizeof(*load));
    for (size_t i = 0; i < cl->n; i++)
        ids[i] = cl->v[i].id;
    int *part = shard_assign(ids, ms, cl->n, sh.total, load);
    p->default_ms = shard_default_ms(ms, cl->n);
    /* The other parts' cases go to a list of their own, to be freed. */
    struct case_list drop = {.notes = STRBUF_INIT};
    drop.v = xcalloc(cl->n ? cl->n : 1, sizeof(*drop.v));
    size_t keep = 0;
    for (size_t i = 0; i < cl->n; i++) {
        if (ms[i] >= 0)
            p->default_median = true;
        if (part[i] != sh.index - 1) {
            drop.v[drop.n++] = cl->v[i];
            continue;
        }
        p->unknown += ms[i] < 0;
        cl->v[keep++] = cl->v[i];
    }
    cl->n = keep;
    case_list_release(&drop);
    p->cases = keep;
    p->expected_ms = load[sh.index - 1];
    snprintf(p->label, sizeof(p->label), "%d/%d", sh.index, sh.total);
    snprintf(p->expected_text, sizeof(p->expected_text), "%.1f",
             p->expected_ms);
    free(ids);
    free(ms);
    free(load);
    free(part);
}

char *shard_describe(const struct shard_plan *p, const char *history)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addf(&sb, "shard %s: %zu case%s, expected %.1f s (history: %s",
                p->label, p->cases, p->cases == 1 ? "" : "s",
                p->expected_ms / 1000.0, history ? history : "none");
    if (p->unknown)
        strbuf_addf(&sb,
                    "; %zu without a recorded duration, counted as "
                    "%.0f ms each, %s",
                    p->unknown, p->default_ms,
                    p->default_median ? "the median of the known ones"
                                      : "none being known");
    strbuf_addch(&sb, ')');
    return strbuf_detach(&sb, NULL);
}

size_t shard_properties(const struct shard_plan *p,
                        struct junit_property out[2])
{
    if (!p->sh.total)
        return 0;
    out[0] = (struct junit_property){"isotest.shard", p->label};
    out[1] =
        (struct junit_property){"isotest.shard_expected_ms", p->expected_text};
    return 2;
}

int shard_write_empty(const char *path, const struct shard_plan *p,
                      double wall_ms, struct isotest_err *e)
{
    char ts[RUN_STAMP_TS], host[RUN_STAMP_HOST], secs[32];
    struct junit_property props[2];
    struct xmlout o;
    size_t n = shard_properties(p, props);

    run_info_stamp(ts, host);
    stats_fmt_seconds(secs, wall_ms);
    xmlout_init(&o);
    xmlout_start(&o, "testsuites");
    xmlout_attr(&o, "name", "isotest");
    xmlout_attr(&o, "tests", "0");
    xmlout_attr(&o, "failures", "0");
    xmlout_attr(&o, "errors", "0");
    xmlout_attr(&o, "time", secs);
    xmlout_start(&o, "testsuite");
    xmlout_attr(&o, "name", p->suite[0] ? p->suite : "isotest");
    xmlout_attr(&o, "tests", "0");
    xmlout_attr(&o, "failures", "0");
    xmlout_attr(&o, "errors", "0");
    xmlout_attr(&o, "skipped", "0");
    xmlout_attr(&o, "time", "0.000");
    xmlout_attr(&o, "timestamp", ts);
    xmlout_attr(&o, "hostname", host);
    xmlout_start(&o, "properties");
    xmlout_property(&o, "isotest.version", ISOTEST_VERSION);
    for (size_t i = 0; i < n; i++)
        xmlout_property(&o, props[i].name, props[i].value);
    xmlout_end(&o);
    xmlout_end(&o);
    xmlout_end(&o);
    return xmlout_save(&o, path, e);
}
