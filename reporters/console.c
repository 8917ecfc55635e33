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
    bool color;
    bool line_shown; /* a live line is on screen */
    size_t total, done, failed;
    double stuck_ms;
    size_t width;           /* the terminal's columns; 0: unknown */
    const char **announced; /* ids that had their "still running" line */
    size_t nannounced;
};

#define GREEN "\033[32m"
#define RED "\033[31m"
#define YELLOW "\033[33m"
#define RESET "\033[0m"

struct console *console_new(FILE *out, bool live, size_t total)
{
    struct console *c = xcalloc(1, sizeof(*c));

    c->out = out;
    c->live = live;
    c->total = total;
    c->stuck_ms = 60000;
    return c;
}

void console_free(struct console *c)
{
    if (c)
        free(c->announced);
    free(c);
}

bool console_want_color(enum console_color mode, bool tty, const char *no_color)
{
    if (mode != CONSOLE_COLOR_AUTO)
        return mode == CONSOLE_COLOR_ALWAYS;
    return tty && !(no_color && *no_color);
}

void console_set_color(struct console *c, bool on)
{
    c->color = on;
}

void console_set_width(struct console *c, size_t columns)
{
    c->width = columns;
}

void console_set_stuck_after(struct console *c, double ms)
{
    c->stuck_ms = ms;
}

void console_summary_line(struct strbuf *sb, const struct result_counts *n)
{
    strbuf_addf(sb, "%zu passed, %zu failed, %zu skipped", n->passed, n->failed,
                n->skipped);
    if (n->errors)
        strbuf_addf(sb, ", %zu error%s", n->errors, n->errors == 1 ? "" : "s");
    if (n->timed_out)
        strbuf_addf(sb, ", %zu timed out", n->timed_out);
    if (n->not_run)
        strbuf_addf(sb, ", %zu not run", n->not_run);
    if (n->flaky)
        strbuf_addf(sb, ", %zu flaky", n->flaky);
}

void console_clear(struct console *c)
{
    if (c->live && c->line_shown) {
        fputs("\r\033[K", c->out);
        c->line_shown = false;
    }
}

static int cmp_running(const void *a, const void *b)
{
    const struct console_running *x = a, *y = b;

    return x->ms < y->ms ? 1 : x->ms > y->ms ? -1 : 0;
}

/* The names of the (at most 3) longest running cases past the threshold. */
#define NAMED_MAX 3
static void draw(struct console *c, size_t running, double elapsed_ms,
                 const struct console_running *cases, size_t n)
{
    struct console_running top[NAMED_MAX];
    size_t ntop = 0, more = 0;
    char secs[32];

    for (size_t i = 0; i < n; i++) {
        if (cases[i].ms < CONSOLE_NAME_AFTER_MS)
            continue;
        if (ntop < NAMED_MAX) {
            top[ntop++] = cases[i];
            qsort(top, ntop, sizeof(*top), cmp_running);
        } else if (cases[i].ms > top[NAMED_MAX - 1].ms) {
            top[NAMED_MAX - 1] = cases[i];
            qsort(top, ntop, sizeof(*top), cmp_running);
            more++;
        } else {
            more++;
        }
    }
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "[%zu/%zu] running %zu, failed %zu, %s s", c->done,
                c->total, running, c->failed,
                stats_fmt_seconds(secs, elapsed_ms));
    for (size_t i = 0; i < ntop; i++)
        strbuf_addf(&sb, "%s%s (%.0f s)", i ? ", " : "; running: ", top[i].id,
                    top[i].ms / 1000);
    if (more)
        strbuf_addf(&sb, " and %zu more", more);
    /* A line that wraps cannot be redrawn: cut it (not inside a UTF-8
     * character) short of the last column. */
    size_t len = sb.len;
    if (c->width > 1 && len > c->width - 1) {
        len = c->width - 1;
        while (len > 0 && ((unsigned char)sb.buf[len] & 0xC0) == 0x80)
            len--;
    }
    fprintf(c->out, "\r\033[K%.*s", (int)len, sb.buf);
    strbuf_release(&sb);
    fflush(c->out);
    c->line_shown = true;
}

/* Not live: a case past the stuck threshold gets one line, once. */
static void stuck(struct console *c, const struct console_running *cases,
                  size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (cases[i].ms < c->stuck_ms)
            continue;
        bool seen = false;
        for (size_t k = 0; k < c->nannounced && !seen; k++)
            seen = c->announced[k] == cases[i].id;
        if (seen)
            continue;
        c->announced =
            xrealloc(c->announced, (c->nannounced + 1) * sizeof(*c->announced));
        c->announced[c->nannounced++] = cases[i].id;
        fprintf(c->out, "still running: %s (%.0f s)\n", cases[i].id,
                cases[i].ms / 1000);
        fflush(c->out);
    }
}

static const char *label_color(const struct test_result *r)
{
    if (!r->done)
        return RED;
    if (result_flaky(r))
        return YELLOW;
    switch (r->outcome) {
    case OUTCOME_PASSED: return GREEN;
    case OUTCOME_SKIPPED: return YELLOW;
    default: return RED;
    }
}

/* The label, coloured or not, padded to `width`. */
static void put_label(const struct console *c, FILE *out, const char *text,
                      const char *color, int width)
{
    if (c->color)
        fprintf(out, "%s%s%s", color, text, RESET);
    else
        fputs(text, out);
    for (int n = (int)strlen(text); n < width; n++)
        fputc(' ', out);
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
            put_label(c, c->out, label(r), label_color(r), 8);
            fprintf(c->out, "%s\n", r->id);
        }
        return;
    }
    put_label(c, c->out, label(r), label_color(r), 8);
    if (result_flaky(r))
        fprintf(c->out, "%s (%.0f ms, passed on try %zu)\n", r->id, r->time_ms,
                r->nretried + 1);
    else
        fprintf(c->out, "%s (%.0f ms)\n", r->id, r->time_ms);
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
    put_label(c, c->out, "RETRY", YELLOW, 8);
    fprintf(c->out, "%s (try %zu: %s)\n", r->id, r->nretried + 1, msg);
    fflush(c->out);
    free(msg);
}

void console_progress(struct console *c, size_t running, double elapsed_ms,
                      const struct console_running *cases, size_t n)
{
    if (c->live)
        draw(c, running, elapsed_ms, cases, n);
    else
        stuck(c, cases, n);
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

static void failures(const struct console *c, const struct test_result *r,
                     size_t n)
{
    FILE *out = c->out;

    fputs("\nFailures:\n", out);
    for (size_t i = 0; i < n; i++) {
        if (r[i].done && !outcome_is_failure(r[i].outcome))
            continue;
        fputc('\n', out);
        put_label(c, out, label(&r[i]), label_color(&r[i]), 0);
        fprintf(out, " %s  (%s)\n", r[i].id, r[i].file ? r[i].file : "");
        if (!r[i].done) {
            fputs("    not run: the run was interrupted\n", out);
            continue;
        }
        if (r[i].message)
            indented(out, r[i].message, strlen(r[i].message), 5);
        if (r[i].detail) {
            /* A SQL error's verbose text is the reports': said once. */
            size_t len =
                r[i].detail_short ? r[i].detail_short_len : strlen(r[i].detail);
            indented(out, r[i].detail, len, 60);
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
    struct result_counts counts;
    struct strbuf line = STRBUF_INIT;
    FILE *out = c->out;

    console_clear(c);
    result_count(r, n, &counts);
    if (counts.failed + counts.errors + counts.timed_out + counts.not_run)
        failures(c, r, n);
    flaky(out, r, n, info);
    slowest(out, r, n);
    if (info->prev_wall_ms > 0)
        comparison(out, r, n, info);
    figures(out, r, n, info);
    if (info->interrupted)
        fputs("interrupted: the cases not run are errors in the reports\n",
              out);
    if (info->report_path)
        fprintf(out, "JUnit report: %s\n", info->report_path);
    if (info->html_path)
        fprintf(out, "timeline: %s\n", info->html_path);
    console_summary_line(&line, &counts);
    fprintf(out, "%s\n", line.buf);
    fflush(out);
    strbuf_release(&line);
}
