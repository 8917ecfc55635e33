/*
 * junit.c: writing the JUnit report with libxml2's xmlTextWriter.
 */
#include "junit.h"
#include "stats.h"
#include "common/strbuf.h"
#include "xmlsafe.h"

#include <errno.h>
#include <libxml/xmlwriter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct suite_totals {
    const char *name;
    size_t tests, failures, errors, skipped;
    double time_ms;
};

/* Every write goes through here: sanitised, and the first failure kept. */
struct w {
    xmlTextWriterPtr x;
    int rc;
};

static void attr(struct w *w, const char *name, const char *value)
{
    if (w->rc < 0)
        return;
    char *safe = xmlsafe_text(value ? value : "", value ? strlen(value) : 0);
    if (xmlTextWriterWriteAttribute(w->x, BAD_CAST name, BAD_CAST safe) < 0)
        w->rc = -1;
    free(safe);
}

static void attr_size(struct w *w, const char *name, size_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%zu", v);
    attr(w, name, buf);
}

static void attr_time(struct w *w, const char *name, double ms)
{
    char buf[32];

    attr(w, name, stats_fmt_seconds(buf, ms));
}

static void start(struct w *w, const char *name)
{
    if (w->rc >= 0 && xmlTextWriterStartElement(w->x, BAD_CAST name) < 0)
        w->rc = -1;
}

static void end(struct w *w)
{
    if (w->rc >= 0 && xmlTextWriterEndElement(w->x) < 0)
        w->rc = -1;
}

static void text(struct w *w, const char *s, size_t len)
{
    if (w->rc < 0)
        return;
    char *safe = xmlsafe_text(s, len);
    if (xmlTextWriterWriteString(w->x, BAD_CAST safe) < 0)
        w->rc = -1;
    free(safe);
}

static void property(struct w *w, const char *name, const char *value)
{
    start(w, "property");
    attr(w, "name", name);
    attr(w, "value", value);
    end(w);
}

static void property_ms(struct w *w, const char *name, double ms)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%.2f", ms);
    /* %.1f follows LC_NUMERIC; main never changes it from "C". */
    property(w, name, buf);
}

static void properties(struct w *w, const struct test_result *r, size_t n,
                       const struct run_info *info,
                       const struct junit_property *extra, size_t n_extra)
{
    double *acq = malloc((n ? n : 1) * sizeof(double));
    double *rel = malloc((n ? n : 1) * sizeof(double));
    double *cyc = malloc((n ? n : 1) * sizeof(double));
    size_t k = 0;
    double sum = 0;
    char buf[64];

    for (size_t i = 0; i < n; i++) {
        if (!r[i].done || r[i].outcome == OUTCOME_SKIPPED)
            continue;
        acq[k] = r[i].acquire_ms;
        rel[k] = r[i].release_ms;
        cyc[k] = r[i].acquire_ms + r[i].release_ms;
        sum += r[i].time_ms;
        k++;
    }
    start(w, "properties");
    property(w, "isotest.version", info->isotest_version);
    property(w, "isotest.isolation", info->isolation);
    snprintf(buf, sizeof(buf), "%d", info->jobs);
    property(w, "isotest.jobs", buf);
    property(w, "isotest.server_version", info->server_version);
    property(w, "isotest.template_hash", info->template_hash);
    property(w, "isotest.template_reused",
             info->template_reused ? "true" : "false");
    property_ms(w, "isotest.sandbox_acquire_p50_ms", stats_median(acq, k));
    property_ms(w, "isotest.sandbox_acquire_p95_ms",
                stats_percentile(acq, k, 95));
    property_ms(w, "isotest.sandbox_release_p50_ms", stats_median(rel, k));
    property_ms(w, "isotest.sandbox_release_p95_ms",
                stats_percentile(rel, k, 95));
    property_ms(w, "isotest.sandbox_cycle_p50_ms", stats_median(cyc, k));
    property_ms(w, "isotest.sandbox_cycle_p95_ms",
                stats_percentile(cyc, k, 95));
    property_ms(w, "isotest.sandbox_cycle_mean_ms",
                k ? stats_sum(cyc, k) / (double)k : 0);
    property_ms(w, "isotest.wall_ms", info->wall_ms);
    property_ms(w, "isotest.case_time_sum_ms", sum);
    property_ms(w, "isotest.case_time_mean_ms", k ? sum / (double)k : 0);
    property_ms(w, "isotest.start_to_first_case_ms", info->start_to_first_ms);
    snprintf(buf, sizeof(buf), "%.2f",
             info->wall_ms > 0 ? sum / info->wall_ms : 0.0);
    property(w, "isotest.speedup", buf);
    property(w, "isotest.interrupted", info->interrupted ? "true" : "false");
    if (info->prev_wall_ms > 0) {
        property_ms(w, "isotest.previous_wall_ms", info->prev_wall_ms);
        snprintf(buf, sizeof(buf), "%+.1f",
                 (info->wall_ms / info->prev_wall_ms - 1.0) * 100.0);
        property(w, "isotest.wall_change_pct", buf);
        struct strbuf slower = STRBUF_INIT;
        for (size_t i = 0; i < n; i++)
            if (result_slower(&r[i], info))
                strbuf_addf(&slower, "%s%s", slower.len ? " " : "", r[i].id);
        property(w, "isotest.slower_cases", slower.buf);
        strbuf_release(&slower);
    }
    for (size_t i = 0; i < n_extra; i++)
        property(w, extra[i].name, extra[i].value);
    end(w);
    free(acq);
    free(rel);
    free(cyc);
}

static void captured(struct w *w, const char *elem, const struct captured *c,
                     const char *prefix_line)
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
    start(w, elem);
    text(w, sb.buf, sb.len);
    end(w);
    strbuf_release(&sb);
}

static void testcase(struct w *w, const struct test_result *r)
{
    struct strbuf line = STRBUF_INIT;

    start(w, "testcase");
    attr(w, "classname", r->classname);
    attr(w, "name", r->name);
    attr_time(w, "time", r->time_ms);
    if (!r->done) {
        start(w, "error");
        attr(w, "type", "interrupted");
        attr(w, "message", "not run: the run was interrupted");
        end(w);
    } else if (r->outcome != OUTCOME_PASSED) {
        const char *elem = r->outcome == OUTCOME_FAILED    ? "failure"
                           : r->outcome == OUTCOME_SKIPPED ? "skipped"
                                                           : "error";
        start(w, elem);
        attr(w, "type", outcome_name(r->outcome));
        attr(w, "message", r->message ? r->message : outcome_name(r->outcome));
        if (r->detail)
            text(w, r->detail, strlen(r->detail));
        end(w);
    }
    strbuf_addf(&line, "[isotest] file=%s worker=%d start_ms=%.1f sandbox=%s\n",
                r->file ? r->file : "", r->worker, r->start_ms,
                r->sandbox ? r->sandbox : "");
    captured(w, "system-out", &r->out, line.buf);
    captured(w, "system-err", &r->err, NULL);
    end(w);
    strbuf_release(&line);
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
            s[ns++].name = r[i].suite;
        }
        s[k].tests++;
        s[k].time_ms += r[i].time_ms;
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

int junit_write(const char *path, const struct test_result *results,
                size_t n, const struct run_info *info,
                const struct junit_property *extra, size_t n_extra,
                struct isotest_err *e)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    /*
     * Our own FILE, not xmlNewTextWriterFilename(): libxml2 would print
     * its own I/O errors, and library code never prints.
     */
    FILE *f = fopen(tmp, "we");
    if (!f) {
        int saved = errno;
        free(tmp);
        return err_errno(e, saved, "cannot write JUnit report '%s'", path);
    }
    xmlOutputBufferPtr ob = xmlOutputBufferCreateFile(f, NULL);
    struct w w = {ob ? xmlNewTextWriter(ob) : NULL, 0};
    struct suite_totals *suites = xcalloc(n ? n : 1, sizeof(*suites));
    size_t ns = collect_suites(results, n, suites);
    size_t tests = 0, failures = 0, errors = 0;

    if (!w.x) {
        if (ob)
            xmlOutputBufferClose(ob);
        fclose(f);
        unlink(tmp);
        free(tmp);
        free(suites);
        return err_set(e, "cannot write JUnit report '%s'", path);
    }
    xmlTextWriterSetIndent(w.x, 1);
    xmlTextWriterSetIndentString(w.x, BAD_CAST "  ");
    if (xmlTextWriterStartDocument(w.x, NULL, "UTF-8", NULL) < 0)
        w.rc = -1;
    for (size_t k = 0; k < ns; k++) {
        tests += suites[k].tests;
        failures += suites[k].failures;
        errors += suites[k].errors;
    }
    start(&w, "testsuites");
    attr(&w, "name", "isotest");
    attr_size(&w, "tests", tests);
    attr_size(&w, "failures", failures);
    attr_size(&w, "errors", errors);
    attr_time(&w, "time", info->wall_ms);
    for (size_t k = 0; k < ns; k++) {
        start(&w, "testsuite");
        attr(&w, "name", suites[k].name);
        attr_size(&w, "tests", suites[k].tests);
        attr_size(&w, "failures", suites[k].failures);
        attr_size(&w, "errors", suites[k].errors);
        attr_size(&w, "skipped", suites[k].skipped);
        attr_time(&w, "time", suites[k].time_ms);
        if (info->timestamp)
            attr(&w, "timestamp", info->timestamp);
        if (info->hostname)
            attr(&w, "hostname", info->hostname);
        properties(&w, results, n, info, extra, n_extra);
        for (size_t i = 0; i < n; i++)
            if (!strcmp(results[i].suite, suites[k].name))
                testcase(&w, &results[i]);
        end(&w);
    }
    end(&w);
    if (w.rc >= 0 && xmlTextWriterEndDocument(w.x) < 0)
        w.rc = -1;
    if (w.rc >= 0 && xmlTextWriterFlush(w.x) < 0)
        w.rc = -1;
    xmlFreeTextWriter(w.x); /* frees the buffer; the FILE is ours */
    if (fclose(f) != 0)
        w.rc = -1;
    free(suites);
    if (w.rc < 0) {
        unlink(tmp);
        free(tmp);
        return err_set(e, "cannot write JUnit report '%s'", path);
    }
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        free(tmp);
        return err_errno(e, saved, "cannot write JUnit report '%s'", path);
    }
    free(tmp);
    return 0;
}
