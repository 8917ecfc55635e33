/*
 * console: what a person (or a CI log) sees while and after a run.
 *
 * Call sequence: console_new(), console_case_done() as cases finish
 * (console_case_retry() when a failed try is run again) and
 * console_progress() now and then (live mode only redraws one line),
 * console_summary() once, console_free().
 *
 * Live mode (a terminal) keeps one progress line at the bottom and prints
 * failures above it; otherwise every finished case gets one line.  The
 * summary lists the failures with their details, the cases that passed on
 * a retry ("Flaky cases"), the five slowest cases, the timing facts, and
 * ends with exactly "N passed, N failed, N skipped", followed by
 * ", N flaky" when a case passed on a retry (errors and timeouts count as
 * failed; flaky cases count as passed too).
 *
 * Not thread-safe: the caller serialises calls (the pool holds its lock).
 */
#ifndef ISOTEST_CONSOLE_H
#define ISOTEST_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "result.h"

struct console;

struct console *console_new(FILE *out, bool live, size_t total);
void console_free(struct console *c);

void console_case_done(struct console *c, const struct test_result *r);
/* r's try just failed and is run again: a "RETRY" line, in either mode. */
void console_case_retry(struct console *c, const struct test_result *r);
void console_progress(struct console *c, size_t running, double elapsed_ms);
/* Clear the live line (before other output goes to the terminal). */
void console_clear(struct console *c);
void console_summary(struct console *c, const struct test_result *results,
                     size_t n, const struct run_info *info);

#endif
