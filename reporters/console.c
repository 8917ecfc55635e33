/*
 * console.c: progress lines and the final summary.
 */
#include "console.h"
#include "common/strbuf.h"
#include "stats.h"
#include "xmlsafe.h"

#include <stdlib.h>
#include <string.h>

struct console {
    FILE *out;
    bool live;
    bool line_shown; /* a live line is on screen */
    size_t total, done, failed;
};

struct console *console_new(FILE *out, bool live, size_t total)
{
    struct console *c = xcalloc(1, sizeof(*c));

    c->out = out;
    c->live = live;
    c->total = total;
    return c;
}

void console_free(struct console *c)
{
    free(c);
}

void console_clear(struct console *c)
{
    if (c->live && c->line_shown) {
        fputs("\r\033[K", c->out);
        c->line_shown = false;
    }
}

static void draw(struct console *c, size_t running, double elapsed_ms)
{
    char secs[32];

    fprintf(c->out, "\r\033[K[%zu/%zu] running %zu, failed %zu, %s s", c->done,
            c->total, running, c->failed, stats_fmt_seconds(secs, elapsed_ms));
    fflush(c->out);
    c->line_shown = true;
}

static const char *label(const struct test_result *r)
{
    if (!r->done)
        return "NOT RUN";
    if (result_flaky(r))
        return "FLAKY";
    switch (r->outcome) {
    case OUTCOME_PASSED: return "ok";
    case OUTCOME_FAILED: return "FAIL";
    case OUTCOME_ERROR: return "ERROR";
    case OUTCOME_TIMEOUT: return "TIMEOUT";
    case OUTCOME_SKIPPED: return "skip";
    }
    return "?";
}

void console_case_done(struct console *c, const struct test_result *r)
{
    c->done++;
    if (outcome_is_failure(r->outcome))
        c->failed++;
    if (c->live) {
        if (outcome_is_failure(r->outcome)) {
            console_clear(c);
            fprintf(c->out, "%-7s %s\n", label(r), r->id);
        }
        return;
    }
    if (result_flaky(r))
        fprintf(c->out, "%-7s %s (%.0f ms, passed on try %zu)\n", label(r),
                r->id, r->time_ms, r->nretried + 1);
    else
        fprintf(c->out, "%-7s %s (%.0f ms)\n", label(r), r->id, r->time_ms);
    fflush(c->out);
}

/* The first line of a message (else the outcome), fit for a terminal. */
static char *one_line(const char *message, enum outcome o)
{
    const char *m = message ? message : outcome_name(o);

    return xmlsafe_text(m, strcspn(m, "\n"));
}

void console_case_retry(struct console *c, const struct test_result *r)
{
    char *msg = one_line(r->message, r->outcome);

    console_clear(c);
    fprintf(c->out, "%-7s %s (try %zu: %s)\n", "RETRY", r->id, r->nretried + 1,
            msg);
    fflush(c->out);
    free(msg);
}

void console_progress(struct console *c, size_t running, double elapsed_ms)
{
    if (c->live)
        draw(c, running, elapsed_ms);
}

/* Print text indented, at most max_lines lines, sanitised for a terminal. */
static void indented(FILE *out, const char *text, size_t len, int max_lines)
{
    char *safe = xmlsafe_text(text, len);
    int lines = 0;
    const char *p = safe;

    while (*p && lines < max_lines) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "    %.*s\n", (int)n, p);
        lines++;
        p = nl ? nl + 1 : p + n;
    }
    if (*p)
        fputs("    [...]\n", out);
    free(safe);
}

/* The last max_lines lines of text, indented. */
static void tail(FILE *out, const char *text, size_t len, int max_lines)
{
    size_t start = len;
    int lines = 0;

    while (start > 0) {
        if (text[start - 1] == '\n' && start != len && ++lines >= max_lines)
            break;
        start--;
    }
    indented(out, text + start, len - start, max_lines);
}

static int cmp_slow(const void *a, const void *b)
{
    const struct test_result *x = *(const struct test_result *const *)a;
    const struct test_result *y = *(const struct test_result *const *)b;

    return x->time_ms < y->time_ms ? 1 : x->time_ms > y->time_ms ? -1 : 0;
}

static void failures(FILE *out, const struct test_result *r, size_t n)
{
    fputs("\nFailures:\n", out);
    for (size_t i = 0; i < n; i++) {
        if (r[i].done && !outcome_is_failure(r[i].outcome))
            continue;
        fprintf(out, "\n%s %s  (%s)\n", label(&r[i]), r[i].id,
                r[i].file ? r[i].file : "");
        if (!r[i].done) {
            fputs("    not run: the run was interrupted\n", out);
            continue;
        }
        if (r[i].message)
            indented(out, r[i].message, strlen(r[i].message), 5);
        if (r[i].detail) {
            indented(out, r[i].detail, strlen(r[i].detail), 60);
        } else {
            /* The end of the output says most (pytest, go test). */
            if (r[i].err.len) {
                fputs("    stderr (last lines):\n", out);
                tail(out, r[i].err.data, r[i].err.len, 20);
            }
            if (r[i].out.len) {
                fputs("    stdout (last lines):\n", out);
                tail(out, r[i].out.data, r[i].out.len, 20);
            }
        }
        if (r[i].nretried)
            fprintf(out, "    failed on every one of %zu tries\n",
                    r[i].nretried + 1);
        if (r[i].hint)
            fprintf(out, "    %s\n", r[i].hint);
    }
}

/* Cases that passed on a retry: how many tries, the first failure. */
static size_t flaky(FILE *out, const struct test_result *r, size_t n,
                    const struct run_info *info)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!result_flaky(&r[i]))
            continue;
        if (!k++)
            fputs("\nFlaky cases (passed on a retry):\n", out);
        const struct test_try *t = &r[i].retried[0];
        char *msg = one_line(t->message, t->outcome);
        fprintf(out, "  %s  passed on try %zu; try 1: %s\n", r[i].id,
                r[i].nretried + 1, msg);
        free(msg);
    }
    if (k && info->fail_on_flaky)
        fprintf(out, "--fail-on-flaky: %s the run\n",
                k == 1 ? "this case fails" : "these cases fail");
    return k;
}

static void slowest(FILE *out, const struct test_result *r, size_t n)
{
    const struct test_result **sorted = xcalloc(n ? n : 1, sizeof(*sorted));
    size_t ran = 0;

    for (size_t i = 0; i < n; i++)
        if (result_ran(&r[i]))
            sorted[ran++] = &r[i];
    if (ran > 1) {
        qsort(sorted, ran, sizeof(*sorted), cmp_slow);
        fputs("\nSlowest cases:\n", out);
        for (size_t i = 0; i < ran && i < 5; i++)
            fprintf(out, "  %8.1f ms  %s\n", sorted[i]->time_ms, sorted[i]->id);
    }
    free(sorted);
}

static void comparison(FILE *out, const struct test_result *r, size_t n,
                       const struct run_info *info)
{
    char now[32], before[32];
    size_t shown = 0;

    fprintf(out, "\nAgainst the last run (%s): wall %s s, was %s s (%+.0f%%)\n",
            info->prev_source ? info->prev_source : "history",
            stats_fmt_seconds(now, info->wall_ms),
            stats_fmt_seconds(before, info->prev_wall_ms),
            (info->wall_ms / info->prev_wall_ms - 1.0) * 100.0);
    for (size_t i = 0; i < n; i++) {
        if (!result_slower(&r[i], info))
            continue;
        if (!shown++)
            fputs("Cases that got slower:\n", out);
        fprintf(out, "  %8.1f ms  was %8.1f ms  %s\n", r[i].time_ms,
                r[i].prev_ms, r[i].id);
    }
    if (!shown)
        fputs("No case got markedly slower.\n", out);
}

static void figures(FILE *out, const struct test_result *r, size_t n,
                    const struct run_info *info)
{
    struct stats_run s;
    char wall[32], casesum[32];

    stats_collect(&s, r, n, info->wall_ms);
    fprintf(out,
            "\nisolation %s, %d jobs, server %s; wall %s s, case time %s s "
            "(%.2fx); sandbox acquire p50 %.1f ms p95 %.1f ms, release p50 "
            "%.1f ms p95 %.1f ms\n",
            info->isolation, info->jobs, info->server_version,
            stats_fmt_seconds(wall, info->wall_ms),
            stats_fmt_seconds(casesum, s.case_sum_ms), s.speedup,
            s.acquire_p50_ms, s.acquire_p95_ms, s.release_p50_ms,
            s.release_p95_ms);
}

void console_summary(struct console *c, const struct test_result *r, size_t n,
                     const struct run_info *info)
{
    size_t passed = 0, failed = 0, skipped = 0;
    FILE *out = c->out;

    console_clear(c);
    for (size_t i = 0; i < n; i++) {
        if (!r[i].done || outcome_is_failure(r[i].outcome))
            failed++;
        else if (r[i].outcome == OUTCOME_SKIPPED)
            skipped++;
        else
            passed++;
    }
    if (failed)
        failures(out, r, n);
    size_t nflaky = flaky(out, r, n, info);
    slowest(out, r, n);
    if (info->prev_wall_ms > 0)
        comparison(out, r, n, info);
    figures(out, r, n, info);
    if (info->interrupted)
        fputs("interrupted: cases not run are reported as errors\n", out);
    if (info->report_path)
        fprintf(out, "JUnit report: %s\n", info->report_path);
    /* CI reads the line's start: the flaky count only ever comes last. */
    fprintf(out, "%zu passed, %zu failed, %zu skipped", passed, failed,
            skipped);
    if (nflaky)
        fprintf(out, ", %zu flaky", nflaky);
    fputc('\n', out);
    fflush(out);
}
