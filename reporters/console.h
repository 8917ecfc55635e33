/*
 * console: what a person (or a CI log) sees while and after a run.
 *
 * Call sequence: console_new(), console_case_done() as cases finish
 * (console_case_retry() when a failed try is run again) and
 * console_progress() now and then (live mode only redraws one line),
 * console_summary() once, console_free().
 *
 * Live mode (a terminal) keeps one progress line at the bottom and prints
 * failures above it; the line names the cases running for
 * CONSOLE_NAME_AFTER_MS or longer.  Otherwise every finished case gets one
 * line, and a case still running after the stuck threshold (60 s unless
 * console_set_stuck_after() says otherwise) gets a "still running" line,
 * once.  The summary lists the failures (a SQL error as its one line: the
 * verbose text is the reports'), the cases that passed on a retry ("Flaky
 * cases"), the five slowest cases, the timing facts, the reports' paths,
 * and ends with console_summary_line().
 *
 * Colour (console_set_color()): green ok, red FAIL/ERROR/TIMEOUT/NOT RUN,
 * yellow skip/FLAKY/RETRY; never in the summary line.
 *
 * Not thread-safe: the caller serialises calls (the pool holds its lock).
 */
#ifndef ISOTEST_CONSOLE_H
#define ISOTEST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "result.h"

#include "common/strbuf.h"

struct console;

struct console *console_new(FILE *out, bool live, size_t total);
void console_free(struct console *c);

/* --color's values. */
enum console_color {
    CONSOLE_COLOR_AUTO,
    CONSOLE_COLOR_ALWAYS,
    CONSOLE_COLOR_NEVER,
};
/*
 * Colour or not: `always` and `never` as told; `auto` on a terminal
 * unless no_color (the NO_COLOR variable, or NULL) is set and not empty
 * (no-color.org).  Pure.
 */
bool console_want_color(enum console_color mode, bool tty,
                        const char *no_color);
void console_set_color(struct console *c, bool on);
/* Live: the terminal's width, so that the line never wraps (0: unknown). */
void console_set_width(struct console *c, size_t columns);
/* Not live: "still running" after this long (default 60 s). */
void console_set_stuck_after(struct console *c, double ms);

/*
 * "N passed, N failed, N skipped", then ", N errors", ", N timed out",
 * ", N not run" and ", N flaky", each only when not 0 (CI reads the
 * line's start), appended to sb without a newline.
 */
void console_summary_line(struct strbuf *sb, const struct result_counts *n);

void console_case_done(struct console *c, const struct test_result *r);
/* r's try just failed and is run again: a "RETRY" line, in either mode. */
void console_case_retry(struct console *c, const struct test_result *r);
/* A case running now, and for how long. */
struct console_running {
    const char *id;
    double ms;
};
#define CONSOLE_NAME_AFTER_MS 5000.0
/*
 * Now and then: the live line redrawn; not live, a line for each case of
 * cases[0..n) past the stuck threshold that has not had one.
 */
void console_progress(struct console *c, size_t running, double elapsed_ms,
                      const struct console_running *cases, size_t n);
/* Clear the live line (before other output goes to the terminal). */
void console_clear(struct console *c);
void console_summary(struct console *c, const struct test_result *results,
                     size_t n, const struct run_info *info);

#endif
