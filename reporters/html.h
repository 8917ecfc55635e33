/*
 * html: self-contained HTML pages with inline SVG (no scripts, no fetches),
 * readable in any browser and in a headless screenshot.
 *
 *   html_timeline()  one row per worker, one bar per case (start, length,
 *                    outcome), so idle workers and long tails show
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

#endif
