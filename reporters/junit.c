/*
 * junit.c: the JUnit report, built in memory (xmlout.h) and written at
 * once.  Layout: properties, one testcase, per-suite totals, the whole
 * document.
 *
 * Times: every `time` above a testcase is wall time (the root's, the
 * run's; a suite's, from its first case's start to its last case's end),
 * as Jenkins shows a suite's time and as a parallel run is felt; the sum
 * of a suite's case times is its isotest.case_time_s property.
 */
#include "junit.h"
#include "common/strbuf.h"
#include "stats.h"
#include "xmlout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct suite_totals {
    const char *name;
    size_t tests, failures, errors, skipped;
    double case_ms;           /* the sum of its case times */
    double first_ms, last_ms; /* its cases' span; first > last: none ran */
};

static void attr_size(struct xmlout *o, const char *name, size_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%zu", v);
    xmlout_attr(o, name, buf);
}

static void attr_time(struct xmlout *o, const char *name, double ms)
{
    char buf[32];

    xmlout_attr(o, name, stats_fmt_seconds(buf, ms));
}

static void property_ms(struct xmlout *o, const char *name, double ms)
{
    char buf[32];

    /* %.2f follows LC_NUMERIC; main never changes it from "C". */
    snprintf(buf, sizeof(buf), "%.2f", ms);
    xmlout_property(o, name, buf);
}

static void sandbox_properties(struct xmlout *o, const struct stats_run *s,
                               const struct run_info *info)
{
    char buf[64];

    property_ms(o, "isotest.sandbox_acquire_p50_ms", s->acquire_p50_ms);
    property_ms(o, "isotest.sandbox_acquire_p95_ms", s->acquire_p95_ms);
    property_ms(o, "isotest.sandbox_release_p50_ms", s->release_p50_ms);
    property_ms(o, "isotest.sandbox_release_p95_ms", s->release_p95_ms);
    property_ms(o, "isotest.sandbox_cycle_p50_ms", s->cycle_p50_ms);
    property_ms(o, "isotest.sandbox_cycle_p95_ms", s->cycle_p95_ms);
    property_ms(o, "isotest.sandbox_cycle_mean_ms", s->cycle_mean_ms);
    property_ms(o, "isotest.wall_ms", info->wall_ms);
    property_ms(o, "isotest.case_time_sum_ms", s->case_sum_ms);
    property_ms(o, "isotest.case_time_mean_ms", s->case_mean_ms);
    property_ms(o, "isotest.start_to_first_case_ms", info->start_to_first_ms);
    snprintf(buf, sizeof(buf), "%.2f", s->speedup);
    xmlout_property(o, "isotest.speedup", buf);
}

/* Against the last run: only when there was one. */
static void comparison_properties(struct xmlout *o, const struct test_result *r,
                                  size_t n, const struct run_info *info)
{
    struct strbuf slower = STRBUF_INIT;
    char buf[64];

    property_ms(o, "isotest.previous_wall_ms", info->prev_wall_ms);
    snprintf(buf, sizeof(buf), "%+.1f",
             (info->wall_ms / info->prev_wall_ms - 1.0) * 100.0);
    xmlout_property(o, "isotest.wall_change_pct", buf);
    for (size_t i = 0; i < n; i++)
        if (result_slower(&r[i], info))
            strbuf_addf(&slower, "%s%s", slower.len ? " " : "", r[i].id);
    xmlout_property(o, "isotest.slower_cases", slower.buf);
    strbuf_release(&slower);
}

static void properties(struct xmlout *o, const struct test_result *r, size_t n,
                       const struct stats_run *s, const struct run_info *info,
                       const struct junit_property *extra, size_t n_extra,
                       const struct suite_totals *suite)
{
    char buf[64];

    xmlout_start(o, "properties");
    xmlout_property(o, "isotest.version", info->isotest_version);
    xmlout_property(o, "isotest.isolation", info->isolation);
    snprintf(buf, sizeof(buf), "%d", info->jobs);
    xmlout_property(o, "isotest.jobs", buf);
    xmlout_property(o, "isotest.server_version", info->server_version);
    xmlout_property(o, "isotest.template_hash", info->template_hash);
    xmlout_property(o, "isotest.template_reused",
                    info->template_reused ? "true" : "false");
    sandbox_properties(o, s, info);
    xmlout_property(o, "isotest.interrupted",
                    info->interrupted ? "true" : "false");
    if (info->prev_wall_ms > 0)
        comparison_properties(o, r, n, info);
    for (size_t i = 0; i < n_extra; i++)
        xmlout_property(o, extra[i].name, extra[i].value);
    /* The suite's own: the testsuite's time is its wall time. */
    xmlout_property(o, "isotest.case_time_s",
                    stats_fmt_seconds(buf, suite->case_ms));
    xmlout_end(o);
}

static void captured(struct xmlout *o, const char *elem,
                     const struct captured *c, const char *prefix_line)
{
    if (!c->len && !c->dropped && !prefix_line)
        return;
    struct strbuf sb = STRBUF_INIT;
    if (prefix_line)
        strbuf_addstr(&sb, prefix_line);
    if (c->data)
        strbuf_add(&sb, c->data, c->len);
    if (c->dropped) {
        if (sb.len && sb.buf[sb.len - 1] != '\n')
            strbuf_addch(&sb, '\n');
        strbuf_addf(&sb, "[isotest] %zu more bytes were cut (output cap)\n",
                    c->dropped);
    }
    xmlout_start(o, elem);
    xmlout_text(o, sb.buf, sb.len);
    xmlout_end(o);
    strbuf_release(&sb);
}

/*
 * A try that was run again (--retries), as the schema's rerunType: a
 * flakyFailure or flakyError when the case passed in the end, else a
 * rerunFailure or rerunError; its detail as the stackTrace, its output
 * with a first line naming the try and its sandbox.
 */
static void retried_try(struct xmlout *o, const struct test_result *r, size_t k)
{
    const struct test_try *t = &r->retried[k];
    bool failure = t->outcome == OUTCOME_FAILED;
    const char *elem = result_flaky(r) ? failure ? "flakyFailure" : "flakyError"
                       : failure       ? "rerunFailure"
                                       : "rerunError";
    struct strbuf line = STRBUF_INIT;

    xmlout_start(o, elem);
    xmlout_attr(o, "type", outcome_name(t->outcome));
    xmlout_attr(o, "message",
                t->message ? t->message : outcome_name(t->outcome));
    if (t->detail) {
        xmlout_start(o, "stackTrace");
        xmlout_text(o, t->detail, strlen(t->detail));
        xmlout_end(o);
    }
    strbuf_addf(&line,
                "[isotest] try=%zu start_ms=%.1f time_ms=%.1f sandbox=%s\n",
                k + 1, t->start_ms, t->time_ms, t->sandbox ? t->sandbox : "");
    captured(o, "system-out", &t->out, line.buf);
    captured(o, "system-err", &t->err, NULL);
    xmlout_end(o);
    strbuf_release(&line);
}

static void testcase(struct xmlout *o, const struct test_result *r)
{
    struct strbuf line = STRBUF_INIT;

    xmlout_start(o, "testcase");
    xmlout_attr(o, "classname", r->classname);
    xmlout_attr(o, "name", r->name);
    attr_time(o, "time", r->time_ms);
    if (!r->done) {
        xmlout_start(o, "error");
        xmlout_attr(o, "type", "interrupted");
        xmlout_attr(o, "message", "not run: the run was interrupted");
        xmlout_end(o);
    } else if (r->outcome != OUTCOME_PASSED) {
        const char *elem = r->outcome == OUTCOME_FAILED    ? "failure"
                           : r->outcome == OUTCOME_SKIPPED ? "skipped"
                                                           : "error";
        xmlout_start(o, elem);
        xmlout_attr(o, "type", outcome_name(r->outcome));
        xmlout_attr(o, "message",
                    r->message ? r->message : outcome_name(r->outcome));
        if (r->detail)
            xmlout_text(o, r->detail, strlen(r->detail));
        xmlout_end(o);
    }
    for (size_t k = 0; k < r->nretried; k++)
        retried_try(o, r, k);
    strbuf_addf(&line,
                "[isotest] file=%s worker=%d start_ms=%.1f sandbox=%s "
                "acquire_ms=%.2f release_ms=%.2f",
                r->file ? r->file : "", r->worker, r->start_ms,
                r->sandbox ? r->sandbox : "", r->acquire_ms, r->release_ms);
    /* The testcase's time is the last try's; all of them took this. */
    if (r->nretried)
        strbuf_addf(&line, " tries=%zu total_ms=%.1f", r->nretried + 1,
                    result_total_ms(r));
    /*
     * The schema has no attribute for it: the id, last so that it may
     * hold blanks (junit_read_case_id() reads it back).
     */
    strbuf_addf(&line, " id=%s\n", r->id ? r->id : "");
    captured(o, "system-out", &r->out, line.buf);
    captured(o, "system-err", &r->err, NULL);
    xmlout_end(o);
    strbuf_release(&line);
}

/* Widen the suite's span to the case's, every try of it included. */
static void span(struct suite_totals *s, const struct test_result *r)
{
    if (!r->done)
        return;
    double from = r->nretried ? r->retried[0].start_ms : r->start_ms;
    double to = r->start_ms + r->acquire_ms + r->time_ms + r->release_ms;
    if (s->first_ms > s->last_ms) {
        s->first_ms = from;
        s->last_ms = to;
        return;
    }
    if (from < s->first_ms)
        s->first_ms = from;
    if (to > s->last_ms)
        s->last_ms = to;
}

static size_t collect_suites(const struct test_result *r, size_t n,
                             struct suite_totals *s)
{
    size_t ns = 0;

    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < ns; k++)
            if (!strcmp(s[k].name, r[i].suite))
                break;
        if (k == ns) {
            memset(&s[ns], 0, sizeof(s[ns]));
            s[ns].first_ms = 1.0;
            s[ns++].name = r[i].suite;
        }
        s[k].tests++;
        s[k].case_ms += r[i].time_ms;
        span(&s[k], &r[i]);
        if (!r[i].done)
            s[k].errors++;
        else if (r[i].outcome == OUTCOME_FAILED)
            s[k].failures++;
        else if (r[i].outcome == OUTCOME_ERROR ||
                 r[i].outcome == OUTCOME_TIMEOUT)
            s[k].errors++;
        else if (r[i].outcome == OUTCOME_SKIPPED)
            s[k].skipped++;
    }
    return ns;
}

/* <testsuites> and its totals. */
static void start_root(struct xmlout *o, const struct suite_totals *s,
                       size_t ns, const struct run_info *info)
{
    size_t tests = 0, failures = 0, errors = 0;

    for (size_t k = 0; k < ns; k++) {
        tests += s[k].tests;
        failures += s[k].failures;
        errors += s[k].errors;
    }
    xmlout_start(o, "testsuites");
    xmlout_attr(o, "name", "isotest");
    attr_size(o, "tests", tests);
    attr_size(o, "failures", failures);
    attr_size(o, "errors", errors);
    attr_time(o, "time", info->wall_ms);
}

static void start_suite(struct xmlout *o, const struct suite_totals *s,
                        const struct run_info *info)
{
    xmlout_start(o, "testsuite");
    xmlout_attr(o, "name", s->name);
    attr_size(o, "tests", s->tests);
    attr_size(o, "failures", s->failures);
    attr_size(o, "errors", s->errors);
    attr_size(o, "skipped", s->skipped);
    attr_time(o, "time",
              s->first_ms > s->last_ms ? 0 : s->last_ms - s->first_ms);
    if (info->timestamp)
        xmlout_attr(o, "timestamp", info->timestamp);
    if (info->hostname)
        xmlout_attr(o, "hostname", info->hostname);
}

int junit_write(const char *path, const struct test_result *results, size_t n,
                const struct run_info *info, const struct junit_property *extra,
                size_t n_extra, struct isotest_err *e)
{
    struct suite_totals *suites = xcalloc(n ? n : 1, sizeof(*suites));
    size_t ns = collect_suites(results, n, suites);
    struct stats_run st;
    struct xmlout o;

    stats_collect(&st, results, n, info->wall_ms);
    xmlout_init(&o);
    start_root(&o, suites, ns, info);
    for (size_t k = 0; k < ns; k++) {
        start_suite(&o, &suites[k], info);
        properties(&o, results, n, &st, info, extra, n_extra, &suites[k]);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(results[i].suite, suites[k].name))
                testcase(&o, &results[i]);
        xmlout_end(&o);
    }
    xmlout_end(&o);
    free(suites);
    return xmlout_save(&o, path, e);
}
