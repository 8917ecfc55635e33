/*
 * html_timeline.c: the run as a timeline page (html_timeline(), html.h).
 * Layout: geometry and colours, the set-up band, one bar per try of a
 * case (its name drawn on it where it fits), the axis, then the table of
 * failures under the drawing.
 *
 * Made for paper as much as for a screen: light fills with a dark
 * outline per outcome, black text, no script, and the page keeps its
 * colours when printed.
 */
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "html.h"
#include "stats.h"

#include <stdio.h>
#include <string.h>

/* The drawing's geometry, in SVG user units (px at 100%). */
enum { LEFT = 80, WIDTH = 1000, ROW = 28, TOP = 44, BAR = 22 };

/*
 * 11px system-ui averages under 6.5px a character; 7 keeps a label
 * inside its bar on every common font, 8 is the padding.
 */
#define CHAR_PX 7.0
#define PAD_PX 8.0

struct style {
    const char *fill, *stroke, *label;
};

static struct style style_of(bool done, enum outcome o)
{
    if (!done)
        return (struct style){"#e5e5e5", "#666666", "not run"};
    switch (o) {
    case OUTCOME_PASSED: return (struct style){"#bfe5c9", "#1e7a3c", "passed"};
    case OUTCOME_SKIPPED:
        return (struct style){"#f6e7a6", "#8a6d00", "skipped"};
    case OUTCOME_TIMEOUT:
        return (struct style){"#dcc6ea", "#6c2b91", "timeout"};
    case OUTCOME_FAILED: return (struct style){"#f6c1bd", "#b0211a", "failed"};
    default: return (struct style){"#f6c1bd", "#b0211a", "error"};
    }
}

struct timeline {
    struct strbuf *sb;
    double end; /* ms at the right edge */
    int workers;
};

static double x_of(const struct timeline *t, double ms)
{
    return LEFT + WIDTH * ms / t->end;
}

/* The label that fits in w px: the id, else its last part, else none. */
static const char *fitting_label(const char *id, double w)
{
    const char *last = strrchr(id, '/');

    if (strlen(id) * CHAR_PX + PAD_PX <= w)
        return id;
    last = last ? last + 1 : id;
    if (strlen(last) * CHAR_PX + PAD_PX <= w)
        return last;
    return NULL;
}

/* One bar: a case's try from `from` for `ms`, on its worker's row. */
static void bar(struct timeline *t, const struct test_result *r, double from,
                double ms, struct style st, const char *try_note)
{
    double x = x_of(t, from), w = WIDTH * ms / t->end;
    int y = TOP + r->worker * ROW + (ROW - BAR) / 2;
    char secs[32], at[32];

    if (w < 1)
        w = 1;
    strbuf_addf(t->sb,
                "<g><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"><title>",
                x, y, w, BAR, st.fill, st.stroke,
                strcmp(st.label, "passed") ? "1.5" : "0.8");
    html_escape(t->sb, r->id);
    strbuf_addf(t->sb, "%s: %s, %s s from %s s</title></rect>", try_note,
                st.label, stats_fmt_seconds(secs, ms),
                stats_fmt_seconds(at, from));
    const char *label = fitting_label(r->id, w);
    if (label) {
        strbuf_addf(t->sb, "<text x=\"%.1f\" y=\"%d\" class=\"bar\">",
                    x + PAD_PX / 2, y + BAR / 2 + 4);
        html_escape(t->sb, label);
        strbuf_addstr(t->sb, "</text>");
    }
    strbuf_addstr(t->sb, "</g>\n");
}

/* Each try of the case: earlier ones (--retries) first, then the last. */
static void case_bars(struct timeline *t, const struct test_result *r)
{
    char note[48];

    if (!r->done || r->worker < 0 || r->worker >= t->workers)
        return;
    for (size_t k = 0; k < r->nretried; k++) {
        const struct test_try *tr = &r->retried[k];
        snprintf(note, sizeof(note), " (try %zu)", k + 1);
        bar(t, r, tr->start_ms + tr->acquire_ms, tr->time_ms,
            style_of(true, tr->outcome), note);
    }
    if (r->nretried)
        snprintf(note, sizeof(note), " (try %zu)", r->nretried + 1);
    else
        note[0] = '\0';
    bar(t, r, r->start_ms + r->acquire_ms, r->time_ms,
        style_of(true, r->outcome), note);
}

/* Server start and template: before the first case, across every row. */
static void setup_band(struct timeline *t, double setup_ms)
{
    char secs[32];
    double w = WIDTH * setup_ms / t->end;

    if (setup_ms <= 0)
        return;
    strbuf_addf(t->sb,
                "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
                "fill=\"url(#setup)\" stroke=\"#888888\"><title>set-up: "
                "server start, template, first sandbox</title></rect>\n",
                LEFT, TOP, w < 1 ? 1 : w, t->workers * ROW);
    strbuf_addf(t->sb,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"#444444\"/><text x=\"%d\" y=\"%d\" "
                "class=\"setup\">set-up (server start, template): %s s"
                "</text>\n",
                LEFT, TOP - 14, LEFT, TOP, LEFT + 4, TOP - 18,
                stats_fmt_seconds(secs, setup_ms));
}

static void axis(struct timeline *t)
{
    int bottom = TOP + t->workers * ROW;
    char secs[32];

    for (int k = 0; k <= 10; k++) {
        double x = LEFT + WIDTH * k / 10.0;
        strbuf_addf(t->sb,
                    "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" "
                    "stroke=\"#dddddd\"/><text x=\"%.1f\" y=\"%d\" "
                    "text-anchor=\"middle\">%s s</text>\n",
                    x, TOP, x, bottom, x, bottom + 16,
                    stats_fmt_seconds(secs, t->end * k / 10.0));
    }
    for (int w = 0; w < t->workers; w++)
        strbuf_addf(t->sb, "<text x=\"4\" y=\"%d\">worker %d</text>\n",
                    TOP + w * ROW + ROW / 2 + 4, w);
}

static bool failed(const struct test_result *r)
{
    return !r->done || outcome_is_failure(r->outcome);
}

/* Failed, errored, timed-out and never started cases, in id order. */
static void failure_table(struct strbuf *sb, const struct test_result *r,
                          size_t n)
{
    size_t nfailed = 0;
    char secs[32];

    for (size_t i = 0; i < n; i++)
        nfailed += failed(&r[i]);
    strbuf_addf(sb, "<h2>Failures (%zu)</h2>\n", nfailed);
    if (!nfailed) {
        strbuf_addstr(sb, "<p>No case failed.</p>\n");
        return;
    }
    strbuf_addstr(sb, "<table class=\"failures\"><tr><th>case</th>"
                      "<th>outcome</th><th>message</th><th>time</th>"
                      "<th>worker</th></tr>\n");
    for (size_t i = 0; i < n; i++) {
        if (!failed(&r[i]))
            continue;
        struct style st = style_of(r[i].done, r[i].outcome);
        strbuf_addstr(sb, "<tr><td>");
        html_escape(sb, r[i].id);
        strbuf_addf(sb,
                    "</td><td><span class=\"chip\" style=\"background:%s;"
                    "border-color:%s\"></span>%s</td><td class=\"msg\">",
                    st.fill, st.stroke, st.label);
        html_escape(sb, r[i].message ? r[i].message
                        : r[i].done  ? st.label
                                     : "not run: the run was interrupted");
        if (r[i].done)
            strbuf_addf(sb, "</td><td>%s s</td><td>%d</td></tr>\n",
                        stats_fmt_seconds(secs, r[i].time_ms), r[i].worker);
        else
            strbuf_addstr(sb, "</td><td></td><td></td></tr>\n");
    }
    strbuf_addstr(sb, "</table>\n");
}

static void legend(struct strbuf *sb)
{
    static const enum outcome shown[] = {OUTCOME_PASSED, OUTCOME_FAILED,
                                         OUTCOME_TIMEOUT, OUTCOME_SKIPPED};

    strbuf_addstr(sb, "<p class=\"legend\">");
    for (size_t i = 0; i < sizeof(shown) / sizeof(*shown); i++) {
        struct style st = style_of(true, shown[i]);
        strbuf_addf(sb,
                    "<span class=\"chip\" style=\"background:%s;"
                    "border-color:%s\"></span>%s",
                    st.fill, st.stroke,
                    shown[i] == OUTCOME_FAILED ? "failed/error" : st.label);
    }
    strbuf_addstr(sb, "<span class=\"chip setup\"></span>set-up</p>\n");
}

int html_timeline(const char *path, const struct test_result *r, size_t n,
                  const struct run_info *info, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;
    struct timeline t = {.sb = &sb,
                         .workers = info->jobs > 0 ? info->jobs : 1,
                         .end = info->wall_ms > 0 ? info->wall_ms : 1};
    char secs[32];

    for (size_t i = 0; i < n; i++) {
        double to = r[i].start_ms + r[i].acquire_ms + r[i].time_ms;
        if (r[i].done && to > t.end)
            t.end = to;
    }
    html_page_start(&sb, "isotest run timeline");
    strbuf_addf(&sb,
                "<p>%zu cases, %d workers, isolation %s; wall %s s. Each "
                "bar is a case, from its start to its end, named when the "
                "name fits (every name is in its bar's tooltip); the "
                "hatched band is the set-up before the first case; gaps "
                "are sandbox work or idle workers.</p>\n",
                n, t.workers, info->isolation, stats_fmt_seconds(secs, t.end));
    legend(&sb);
    int h = TOP + t.workers * ROW + 26;
    strbuf_addf(&sb,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
                "aria-label=\"timeline\">\n"
                "<defs><pattern id=\"setup\" width=\"8\" height=\"8\" "
                "patternUnits=\"userSpaceOnUse\" "
                "patternTransform=\"rotate(45)\"><rect width=\"8\" "
                "height=\"8\" fill=\"#f2f2f2\"/><line x1=\"0\" y1=\"0\" "
                "x2=\"0\" y2=\"8\" stroke=\"#aaaaaa\" stroke-width=\"3\"/>"
                "</pattern></defs>\n",
                LEFT + WIDTH + 40, h, LEFT + WIDTH + 40, h);
    axis(&t);
    setup_band(&t, info->start_to_first_ms);
    for (size_t i = 0; i < n; i++)
        case_bars(&t, &r[i]);
    strbuf_addstr(&sb, "</svg>\n");
    failure_table(&sb, r, n);
    strbuf_addstr(&sb, "</body></html>\n");
    int rc = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return rc;
}
