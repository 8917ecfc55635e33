/*
 * html: self-contained HTML pages with inline SVG (no scripts, no fetches),
 * readable in any browser and in a headless screenshot.
 *
 *   html_timeline()  one row per worker, one bar per case (start, length,
 *                    outcome, its id drawn on it when it fits), the
 *                    set-up before the first case as a labelled band, and
 *                    a table of the failed cases (id, outcome, message)
 *                    under it (html_timeline.c)
 *   html_bench()     wall time and speedup per benchmark configuration
 *
 * Built in memory and written with fs_write_atomic(), so a reader never
 * sees half a page.  Pure apart from the file; thread-safe.
 */
#ifndef ISOTEST_HTML_H
#define ISOTEST_HTML_H

#include <stddef.h>

#include "common/err.h"
#include "result.h"

int html_timeline(const char *path, const struct test_result *r, size_t n,
                  const struct run_info *info, struct isotest_err *e);

/* The rows after bench_report_medians() (bench_report.h). */
struct bench_row;
int html_bench(const char *path, const struct bench_row *rows, size_t n,
               const char *title, struct isotest_err *e);

/* Append s to sb, escaped for HTML text and attributes. */
struct strbuf;
void html_escape(struct strbuf *sb, const char *s);

/*
 * The start of a page, to <h1>title</h1>: light colours kept in print,
 * the style sheet both pages share.  The caller ends it with
 * "</body></html>".
 */
void html_page_start(struct strbuf *sb, const char *title);

#endif
