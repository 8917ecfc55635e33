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

void html_page_start(struct strbuf *sb, const char *title)
{
    strbuf_addstr(sb, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
                      "<meta charset=\"utf-8\"><meta name=\"color-scheme\" "
                      "content=\"light\"><title>");
    html_escape(sb, title);
    strbuf_addstr(sb, "</title><style>"
                      "body{font:14px system-ui,sans-serif;margin:24px;"
                      "color:#222;background:#fff}"
                      "h1{font-size:20px}table{border-collapse:collapse;"
                      "margin:16px 0}td,th{padding:4px 10px;border-bottom:"
                      "1px solid #ddd;text-align:right}th:first-child,"
                      "td:first-child{text-align:left}"
                      "svg text{font:12px system-ui,sans-serif;fill:#111}"
                      "svg text.bar{font-size:11px}svg{max-width:100%;"
                      "height:auto}td.msg{text-align:left;white-space:pre-wrap}"
                      ".chip{display:inline-block;width:12px;height:12px;"
                      "margin:0 4px 0 12px;vertical-align:middle;border:1.5px "
                      "solid}.chip.setup{background:repeating-linear-gradient("
                      "45deg,#f2f2f2 0 3px,#aaa 3px 5px);border-color:#888}"
                      "*{-webkit-print-color-adjust:exact;print-color-adjust:"
                      "exact}@media print{body{margin:0}}"
                      "</style></head><body>\n<h1>");
    html_escape(sb, title);
    strbuf_addstr(sb, "</h1>\n");
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

    html_page_start(&sb, title);
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
