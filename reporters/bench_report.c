/*
 * bench_report.c: medians, then the text, JSON and JUnit outputs of a
 * benchmark, in that order.
 */
#include "bench_report.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "stats.h"
#include "xmlout.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The median of one double field (at offset) over a row's runs. */
static double median_of(const struct bench_row *r, size_t offset)
{
    double *v = xcalloc(r->repeat > 0 ? (size_t)r->repeat : 1, sizeof(*v));

    for (int i = 0; i < r->repeat; i++)
        v[i] = *(const double *)((const char *)&r->runs[i] + offset);
    double m = stats_median(v, r->repeat > 0 ? (size_t)r->repeat : 0);
    free(v);
    return m;
}

static long median_failed(const struct bench_row *r)
{
    double *v = xcalloc(r->repeat > 0 ? (size_t)r->repeat : 1, sizeof(*v));

    for (int i = 0; i < r->repeat; i++)
        v[i] = (double)r->runs[i].failed;
    double m = stats_median(v, r->repeat > 0 ? (size_t)r->repeat : 0);
    free(v);
    return (long)(m + 0.5);
}

/* The serial isolated run: isolated at -j 1. */
static bool is_reference(const struct bench_row *r)
{
    return r->jobs == 1 && strcmp(r->isolation, "none");
}

void bench_report_medians(struct bench_row *rows, size_t n)
{
    double ref = 0;

    for (size_t i = 0; i < n; i++) {
        struct bench_row *r = &rows[i];
        r->wall_ms = median_of(r, offsetof(struct bench_run, wall_ms));
        r->overhead_p50_ms =
            median_of(r, offsetof(struct bench_run, cycle_p50_ms));
        r->overhead_p95_ms =
            median_of(r, offsetof(struct bench_run, cycle_p95_ms));
        r->wait_p50_ms = median_of(r, offsetof(struct bench_run, wait_p50_ms));
        r->wait_p95_ms = median_of(r, offsetof(struct bench_run, wait_p95_ms));
        r->failed = median_failed(r);
        r->cases = r->repeat > 0 ? r->runs[0].tests : 0;
    }
    for (size_t i = 0; i < n && !ref; i++)
        if (is_reference(&rows[i]))
            ref = rows[i].wall_ms;
    for (size_t i = 0; i < n; i++) {
        struct bench_row *r = &rows[i];
        r->speedup = r->wall_ms > 0 && ref > 0 ? ref / r->wall_ms : 0;
        r->efficiency = r->speedup / r->jobs;
    }
}

static void table(struct strbuf *sb, const struct bench_row *rows, size_t n)
{
    char secs[32];

    strbuf_addf(sb, "\n%-28s %5s %12s %9s %10s %13s %13s %9s\n",
                "configuration", "jobs", "wall median", "speedup", "efficiency",
                "overhead p50", "overhead p95", "failed");
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        char label[64];
        snprintf(label, sizeof(label), "%s%s", r->name,
                 !strcmp(r->isolation, "none") && r->jobs == 1
                     ? " (the old way)"
                     : "");
        strbuf_addf(sb,
                    "%-28s %5d %10s s %8.2fx %9.0f%% %10.1f ms %10.1f ms "
                    "%4ld/%-4ld\n",
                    label, r->jobs, stats_fmt_seconds(secs, r->wall_ms),
                    r->speedup, r->efficiency * 100, r->overhead_p50_ms,
                    r->overhead_p95_ms, r->failed, r->cases);
    }
    strbuf_addstr(sb, "\nspeedup: against the serial isolated run; "
                      "efficiency: speedup / jobs; overhead: sandbox acquire "
                      "+ release per case;\nfailed: median over the runs (a "
                      "shared database in parallel is expected to fail "
                      "cases).\n");
}

/* Which cases failed, per configuration: the first run with failures. */
static void failed_cases(struct strbuf *sb, const struct bench_row *rows,
                         size_t n)
{
    bool header = false;

    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < rows[i].repeat; k++) {
            const struct bench_run *f = &rows[i].runs[k];
            if (!f->failed)
                continue;
            if (!header)
                strbuf_addstr(sb, "\nfailed cases (the first run of each "
                                  "configuration that had any):\n");
            header = true;
            strbuf_addf(sb, "  %s, run %d: %ld of %ld:", rows[i].name, k + 1,
                        f->failed, f->tests);
            for (size_t j = 0; j < f->nnamed && j < 5; j++)
                strbuf_addf(sb, "%s %s", j ? "," : "", f->failed_names[j]);
            if (f->failed > 5)
                strbuf_addstr(sb, ", ...");
            strbuf_addch(sb, '\n');
            break;
        }
    }
}

void bench_report_text(struct strbuf *sb, const struct bench_row *rows,
                       size_t n)
{
    table(sb, rows, n);
    failed_cases(sb, rows, n);
}

static void json_str(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_addf(sb, "\\%c", *p);
        else if (*p < 0x20)
            strbuf_addf(sb, "\\u%04x", *p);
        else
            strbuf_addch(sb, (char)*p);
    }
    strbuf_addch(sb, '"');
}

/* One configuration's object, without the separator after it. */
static void json_row(struct strbuf *sb, const struct bench_row *r)
{
    strbuf_addstr(sb, "    {\"name\": ");
    json_str(sb, r->name);
    strbuf_addstr(sb, ", \"isolation\": ");
    json_str(sb, r->isolation);
    strbuf_addf(sb,
                ", \"jobs\": %d, \"runs\": %d, \"wall_ms_median\": %.1f, "
                "\"speedup\": %.3f, \"efficiency\": %.3f, "
                "\"overhead_p50_ms\": %.2f, \"overhead_p95_ms\": %.2f, "
                "\"wait_p50_ms\": %.2f, \"wait_p95_ms\": %.2f, "
                "\"failed\": %ld, \"cases\": %ld, \"wall_ms\": [",
                r->jobs, r->repeat, r->wall_ms, r->speedup, r->efficiency,
                r->overhead_p50_ms, r->overhead_p95_ms, r->wait_p50_ms,
                r->wait_p95_ms, r->failed, r->cases);
    for (int k = 0; k < r->repeat; k++)
        strbuf_addf(sb, "%s%.1f", k ? ", " : "", r->runs[k].wall_ms);
    /* Per run, the failed cases the run named. */
    strbuf_addstr(sb, "], \"failed_cases\": [");
    for (int k = 0; k < r->repeat; k++) {
        const struct bench_run *f = &r->runs[k];
        strbuf_addstr(sb, k ? ", [" : "[");
        for (size_t j = 0; j < f->nnamed; j++) {
            if (j)
                strbuf_addstr(sb, ", ");
            json_str(sb, f->failed_names[j]);
        }
        strbuf_addch(sb, ']');
    }
    strbuf_addstr(sb, "]}");
}

int bench_report_json(const char *path, const struct bench_row *rows, size_t n,
                      const char *server_version, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "{\n  \"isotest_version\": ");
    json_str(&sb, ISOTEST_VERSION);
    strbuf_addstr(&sb, ",\n  \"server_version\": ");
    json_str(&sb, server_version);
    strbuf_addstr(&sb, ",\n  \"configurations\": [\n");
    for (size_t i = 0; i < n; i++) {
        json_row(&sb, &rows[i]);
        strbuf_addstr(&sb, i + 1 < n ? ",\n" : "\n");
    }
    strbuf_addstr(&sb, "  ]\n}\n");
    int r = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return r;
}

static void prop(struct xmlout *o, const char *name, const char *fmt, double v)
{
    char buf[64];

    snprintf(buf, sizeof(buf), fmt, v);
    xmlout_property(o, name, buf);
}

static void junit_properties(struct xmlout *o, const struct bench_row *r)
{
    xmlout_start(o, "properties");
    prop(o, "bench.jobs", "%.0f", r->jobs);
    xmlout_property(o, "bench.isolation", r->isolation);
    prop(o, "bench.wall_ms_median", "%.1f", r->wall_ms);
    prop(o, "bench.speedup", "%.3f", r->speedup);
    prop(o, "bench.efficiency", "%.3f", r->efficiency);
    prop(o, "bench.overhead_p50_ms", "%.2f", r->overhead_p50_ms);
    prop(o, "bench.overhead_p95_ms", "%.2f", r->overhead_p95_ms);
    prop(o, "bench.wait_p50_ms", "%.2f", r->wait_p50_ms);
    prop(o, "bench.wait_p95_ms", "%.2f", r->wait_p95_ms);
    prop(o, "bench.failed_cases", "%.0f", (double)r->failed);
    prop(o, "bench.cases", "%.0f", (double)r->cases);
    xmlout_end(o);
}

/*
 * One run is one testcase.  Its failed cases are a figure of the
 * configuration, not a failure of the bench: listed in system-out, so a
 * CI page shows them, and not marked.
 */
static void junit_run(struct xmlout *o, const struct bench_row *r, int k)
{
    const struct bench_run *f = &r->runs[k];
    char buf[96];

    xmlout_start(o, "testcase");
    snprintf(buf, sizeof(buf), "bench.%s", r->isolation);
    xmlout_attr(o, "classname", buf);
    snprintf(buf, sizeof(buf), "%s run %d", r->name, k + 1);
    xmlout_attr(o, "name", buf);
    xmlout_attr(o, "time", stats_fmt_seconds(buf, f->wall_ms));
    if (f->failed) {
        struct strbuf so = STRBUF_INIT;
        strbuf_addf(&so, "%ld of %ld cases failed:", f->failed, f->tests);
        for (size_t j = 0; j < f->nnamed; j++)
            strbuf_addf(&so, "\n%s", f->failed_names[j]);
        if ((size_t)f->failed > f->nnamed)
            strbuf_addf(&so, "\n(and %zu more)", (size_t)f->failed - f->nnamed);
        xmlout_start(o, "system-out");
        xmlout_text(o, so.buf, so.len);
        xmlout_end(o);
        strbuf_release(&so);
    }
    xmlout_end(o);
}

int bench_report_junit(const char *path, const struct bench_row *rows, size_t n,
                       struct isotest_err *e)
{
    struct xmlout o;
    char buf[32];

    xmlout_init(&o);
    xmlout_start(&o, "testsuites");
    xmlout_attr(&o, "name", "isotest bench");
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        xmlout_start(&o, "testsuite");
        xmlout_attr(&o, "name", r->name);
        snprintf(buf, sizeof(buf), "%d", r->repeat);
        xmlout_attr(&o, "tests", buf);
        xmlout_attr(&o, "failures", "0");
        xmlout_attr(&o, "errors", "0");
        xmlout_attr(&o, "time", stats_fmt_seconds(buf, r->wall_ms));
        junit_properties(&o, r);
        for (int k = 0; k < r->repeat; k++)
            junit_run(&o, r, k);
        xmlout_end(&o);
    }
    xmlout_end(&o);
    return xmlout_save(&o, path, e);
}
