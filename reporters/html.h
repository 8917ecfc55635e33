/*
 * html: self-contained HTML pages with inline SVG (no scripts, no fetches),
 * readable in any browser and in a headless screenshot.
 *
 *   html_timeline()  one row per worker, one bar per case (start, length,
 *                    outcome), so idle workers and long tails show
 *   html_bench()     wall time and speedup per benchmark configuration
 *
 * Written to a temporary file and renamed.  Pure apart from the file;
 * thread-safe.
 */
#ifndef ISOTEST_HTML_H
#define ISOTEST_HTML_H

#include <stddef.h>

#include "common/err.h"
#include "result.h"

int html_timeline(const char *path, const struct test_result *r, size_t n,
                  const struct run_info *info, struct isotest_err *e);

struct bench_row {
    const char *name;   /* "database -j 4" */
    const char *isolation;
    int jobs;
    int repeat;         /* runs measured */
    double wall_ms;     /* median */
    double speedup;     /* against the serial isolated run */
    double efficiency;  /* speedup / jobs */
    double overhead_p50_ms;
    double overhead_p95_ms;
    double wait_p50_ms; /* time a case waited for its sandbox */
    double wait_p95_ms;
    long failed;        /* failed + errors, median run */
    long cases;
};

int html_bench(const char *path, const struct bench_row *rows, size_t n,
               const char *title, struct isotest_err *e);

/* Append s to sb, escaped for HTML text and attributes. */
struct strbuf;
void html_escape(struct strbuf *sb, const char *s);

#endif
