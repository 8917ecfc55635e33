/*
 * html.c: the timeline and benchmark pages.
 */
#include "html.h"
#include "bench_report.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "stats.h"
#include "xmlsafe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void html_escape(struct strbuf *sb, const char *s)
{
    char *safe = xmlsafe_text(s, strlen(s));

    for (const char *p = safe; *p; p++) {
        switch (*p) {
        case '<': strbuf_addstr(sb, "&lt;"); break;
        case '>': strbuf_addstr(sb, "&gt;"); break;
        case '&': strbuf_addstr(sb, "&amp;"); break;
        case '"': strbuf_addstr(sb, "&quot;"); break;
        case '\'': strbuf_addstr(sb, "&#39;"); break;
        default: strbuf_addch(sb, *p);
        }
    }
    free(safe);
}

static void head(struct strbuf *sb, const char *title)
{
    strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                      "<meta charset=\"utf-8\"><title>");
    html_escape(sb, title);
    strbuf_addstr(sb,
                  "</title><style>"
                  "body{font:14px system-ui,sans-serif;margin:24px;"
                  "color:#222;background:#fff}"
                  "h1{font-size:20px}table{border-collapse:collapse;"
                  "margin:16px 0}td,th{padding:4px 10px;border-bottom:"
                  "1px solid #ddd;text-align:right}th:first-child,"
                  "td:first-child{text-align:left}"
                  ".legend span{display:inline-block;width:12px;height:12px;"
                  "margin:0 4px 0 12px;vertical-align:middle}"
                  "svg text{font:12px system-ui,sans-serif}"
                  "</style></head><body>\n<h1>");
    html_escape(sb, title);
    strbuf_addstr(sb, "</h1>\n");
}

static const char *color(const struct test_result *r)
{
    if (!r->done)
        return "#999999";
    switch (r->outcome) {
    case OUTCOME_PASSED: return "#3a9d5d";
    case OUTCOME_SKIPPED: return "#c9b037";
    case OUTCOME_TIMEOUT: return "#8e44ad";
    default: return "#d64541";
    }
}

int html_timeline(const char *path, const struct test_result *r, size_t n,
                  const struct run_info *info, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;
    int workers = info->jobs > 0 ? info->jobs : 1;
    double end = info->wall_ms > 0 ? info->wall_ms : 1;
    const int left = 90, width = 1000, row = 26, top = 30;
    char secs[32], tmp[32];

    for (size_t i = 0; i < n; i++)
        if (r[i].done && r[i].start_ms + r[i].time_ms > end)
            end = r[i].start_ms + r[i].time_ms;
    head(&sb, "isotest run timeline");
    strbuf_addf(&sb,
                "<p>%zu cases, %d workers, isolation %s; wall %s s. Each bar "
                "is a case from its start to its end (sandbox time "
                "excluded); gaps are idle workers.</p>\n",
                n, workers, info->isolation, stats_fmt_seconds(secs, end));
    strbuf_addstr(&sb, "<p class=\"legend\"><span style=\"background:"
                       "#3a9d5d\"></span>passed<span style=\"background:"
                       "#d64541\"></span>failed/error<span style=\""
                       "background:#8e44ad\"></span>timeout<span style=\""
                       "background:#c9b037\"></span>skipped</p>\n");
    int h = top + workers * row + 30;
    strbuf_addf(&sb,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" role=\"img\" aria-label=\"timeline\">\n",
                left + width + 50, h);
    /* Time axis: ten ticks. */
    for (int t = 0; t <= 10; t++) {
        double x = left + width * t / 10.0;
        strbuf_addf(&sb,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    "stroke=\"#eee\"/><text x=\"%.1f\" y=\"%d\" "
                    "text-anchor=\"middle\">%s s</text>\n",
                    x, top - 5, x, top + workers * row, x,
                    top + workers * row + 18,
                    stats_fmt_seconds(tmp, end * t / 10.0));
    }
    for (int w = 0; w < workers; w++)
        strbuf_addf(&sb, "<text x=\"4\" y=\"%d\">worker %d</text>\n",
                    top + w * row + 17, w);
    for (size_t i = 0; i < n; i++) {
        if (!r[i].done || r[i].worker < 0 || r[i].worker >= workers)
            continue;
        double x = left + width * r[i].start_ms / end;
        double wd = width * r[i].time_ms / end;
        if (wd < 1)
            wd = 1;
        strbuf_addf(&sb,
                    "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.5\">"
                    "<title>",
                    x, top + r[i].worker * row + 3, wd, row - 6, color(&r[i]));
        html_escape(&sb, r[i].id);
        strbuf_addf(&sb, ": %s, %.1f ms from %.1f ms</title></rect>\n",
                    outcome_name(r[i].outcome), r[i].time_ms, r[i].start_ms);
    }
    strbuf_addstr(&sb, "</svg>\n</body></html>\n");
    int rc = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return rc;
}

static void bars(struct strbuf *sb, const struct bench_row *rows, size_t n,
                 const char *label, int which)
{
    const int left = 170, width = 600, row = 24;
    double max = 0;

    for (size_t i = 0; i < n; i++) {
        double v = which ? rows[i].speedup : rows[i].wall_ms;
        if (v > max)
            max = v;
    }
    if (max <= 0)
        max = 1;
    strbuf_addstr(sb, "<h2>");
    html_escape(sb, label);
    strbuf_addf(sb,
                "</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"%d\" height=\"%zu\" role=\"img\" aria-label=\"",
                left + width + 120, n * row + 10);
    html_escape(sb, label);
    strbuf_addstr(sb, "\">\n");
    for (size_t i = 0; i < n; i++) {
        double v = which ? rows[i].speedup : rows[i].wall_ms;
        double wd = width * v / max;
        int y = (int)i * row + 4;
        char secs[32];
        strbuf_addf(sb, "<text x=\"4\" y=\"%d\">", y + 15);
        html_escape(sb, rows[i].name);
        strbuf_addf(sb,
                    "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" "
                    "height=\"%d\" fill=\"%s\"/>"
                    "<text x=\"%.1f\" y=\"%d\">",
                    left, y, wd < 1 ? 1 : wd, row - 6,
                    rows[i].failed ? "#d64541"
                                   : (which ? "#2e86c1" : "#3a9d5d"),
                    left + wd + 6, y + 15);
        if (which)
            strbuf_addf(sb, "%.2fx", v);
        else
            strbuf_addf(sb, "%s s", stats_fmt_seconds(secs, v));
        strbuf_addstr(sb, "</text>\n");
    }
    strbuf_addstr(sb, "</svg>\n");
}

int html_bench(const char *path, const struct bench_row *rows, size_t n,
               const char *title, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;
    char secs[32];

    head(&sb, title);
    strbuf_addstr(&sb, "<table><tr><th>configuration</th><th>jobs</th>"
                       "<th>runs</th><th>wall (median)</th><th>speedup</th>"
                       "<th>efficiency</th><th>overhead p50</th>"
                       "<th>overhead p95</th><th>wait p50</th><th>wait p95</th>"
                       "<th>failed</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        strbuf_addstr(&sb, "<tr><td>");
        html_escape(&sb, rows[i].name);
        strbuf_addf(&sb,
                    "</td><td>%d</td><td>%d</td><td>%s s</td>"
                    "<td>%.2fx</td><td>%.0f%%</td><td>%.1f ms</td>"
                    "<td>%.1f ms</td><td>%.1f ms</td><td>%.1f ms</td>"
                    "<td>%ld of %ld</td></tr>\n",
                    rows[i].jobs, rows[i].repeat,
                    stats_fmt_seconds(secs, rows[i].wall_ms), rows[i].speedup,
                    rows[i].efficiency * 100, rows[i].overhead_p50_ms,
                    rows[i].overhead_p95_ms, rows[i].wait_p50_ms,
                    rows[i].wait_p95_ms, rows[i].failed, rows[i].cases);
    }
    strbuf_addstr(&sb, "</table>\n<p>Red bars: configurations in which "
                       "cases failed (a shared database in parallel is "
                       "expected to fail cases).</p>\n");
    bars(&sb, rows, n, "Wall time (median)", 0);
    bars(&sb, rows, n, "Speedup against the serial isolated run", 1);
    strbuf_addstr(&sb, "</body></html>\n");
    int rc = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return rc;
}
