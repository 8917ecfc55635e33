/*
 * test_html_timeline.c: the run's timeline page (reporters/html.h,
 * html_timeline()).
 *
 * Covers: a case's id drawn on its bar when it fits, its last part when
 * only that fits, none on a bar too narrow (the tooltip still names
 * it); the set-up band and its label; one bar per try of a retried
 * case; the failure table (failed, error, timeout, not run; id, outcome,
 * message escaped) and "No case failed."; no script, no fetch, colours
 * kept in print.
 */
#include <criterion/criterion.h>

#include <libxml/HTMLparser.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/html.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-html-XXXXXX")

static struct test_result res(const char *id, int worker, double start,
                              double ms, enum outcome o, const char *msg)
{
    struct test_result r = {.id = id,
                            .suite = "shop",
                            .classname = "shop",
                            .name = strrchr(id, '/') + 1,
                            .done = true,
                            .outcome = o,
                            .worker = worker,
                            .start_ms = start,
                            .time_ms = ms,
                            .acquire_ms = 1,
                            .prev_ms = -1,
                            .message = (char *)msg};

    return r;
}

/* The texts of every <tag> of the page, one a line. */
static void collect(xmlNode *n, const char *tag, struct strbuf *sb)
{
    for (; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            !strcmp((const char *)n->name, tag)) {
            xmlChar *t = xmlNodeGetContent(n);
            strbuf_addf(sb, "%s\n", (const char *)t);
            xmlFree(t);
        }
        collect(n->children, tag, sb);
    }
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

struct page {
    char *raw;
    struct strbuf texts, cells, titles;
};

static void load(struct page *pg, const char *path)
{
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_read_file(path, &pg->raw, &len, &e), 0, "%s", e.msg);
    htmlDocPtr doc = htmlReadFile(path, "UTF-8",
                                  HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                      HTML_PARSE_NOWARNING);
    cr_assert_not_null(doc);
    strbuf_init(&pg->texts, 0);
    strbuf_init(&pg->cells, 0);
    strbuf_init(&pg->titles, 0);
    xmlNode *root = xmlDocGetRootElement(doc);
    collect(root, "text", &pg->texts);
    collect(root, "td", &pg->cells);
    collect(root, "title", &pg->titles);
    xmlFreeDoc(doc);
}

static void page_release(struct page *pg)
{
    free(pg->raw);
    strbuf_release(&pg->texts);
    strbuf_release(&pg->cells);
    strbuf_release(&pg->titles);
}

Test(html_timeline, names_setup_and_failures, .init = make_tmp,
     .fini = remove_tmp)
{
    /* 1000 px for 1000 ms: a case of N ms is a bar of N px. */
    struct test_result r[] = {
        res("shop/tap/long_enough_for_its_id", 0, 100, 400, OUTCOME_PASSED,
            NULL),
        res("shop/tap/only_the_name_fits_here_not_the_rest", 1, 100, 300,
            OUTCOME_FAILED, "1 of 2 <TAP> tests failed"),
        res("shop/narrow", 0, 520, 5, OUTCOME_ERROR, "psql exited"),
        res("shop/slow", 1, 420, 500, OUTCOME_TIMEOUT, "timed out after 1 s"),
        res("shop/never", 0, 0, 0, OUTCOME_PASSED, NULL),
        res("shop/flaky", 0, 600, 200, OUTCOME_PASSED, NULL),
    };
    r[1].time_ms = 320; /* "only_the_name..." fits, the whole id not */
    r[4].done = false;
    struct test_try try1 = {
        .outcome = OUTCOME_FAILED, .start_ms = 530, .time_ms = 60};
    r[5].retried = &try1;
    r[5].nretried = 1;
    struct run_info ri = {.isolation = "database",
                          .jobs = 2,
                          .wall_ms = 1000,
                          .start_to_first_ms = 90};
    char *path = xasprintf("%s/t.html", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct page pg;

    cr_assert_eq(html_timeline(path, r, 6, &ri, &e), 0, "%s", e.msg);
    load(&pg, path);

    cr_assert(has_line(pg.texts.buf, "shop/tap/long_enough_for_its_id"), "%s",
              pg.texts.buf);
    cr_assert(has_line(pg.texts.buf, "only_the_name_fits_here_not_the_rest"),
              "%s", pg.texts.buf);
    cr_assert_null(strstr(pg.texts.buf, "narrow"), "a 5 px bar is labelled");
    cr_assert_not_null(strstr(pg.titles.buf, "shop/narrow: error"));
    cr_assert_not_null(strstr(pg.texts.buf, "set-up (server start, template)"
                                            ": 0.090 s"),
                       "%s", pg.texts.buf);
    cr_assert_not_null(strstr(pg.raw, "fill=\"url(#setup)\""));
    /* Two tries of the flaky case, each a bar. */
    cr_assert_not_null(strstr(pg.titles.buf, "shop/flaky (try 1): failed"));
    cr_assert_not_null(strstr(pg.titles.buf, "shop/flaky (try 2): passed"));

    /* The failure table: four rows, in the results' order. */
    cr_assert_not_null(strstr(pg.raw, "<h2>Failures (4)</h2>"));
    const char *want[] = {"shop/tap/only_the_name_fits_here_not_the_rest",
                          "failed",
                          "1 of 2 <TAP> tests failed",
                          "shop/narrow",
                          "error",
                          "psql exited",
                          "shop/slow",
                          "timeout",
                          "timed out after 1 s",
                          "shop/never",
                          "not run",
                          "not run: the run was interrupted"};
    for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
        cr_assert(has_line(pg.cells.buf, want[i]), "no cell '%s' in:\n%s",
                  want[i], pg.cells.buf);
    cr_assert_not_null(strstr(pg.raw, "1 of 2 &lt;TAP&gt; tests"));
    cr_assert(!has_line(pg.cells.buf, "shop/flaky"), "flaky is no failure");

    /* Paper: no script, light colours that print. */
    cr_assert_null(strstr(pg.raw, "<script"));
    cr_assert_not_null(strstr(pg.raw, "print-color-adjust:exact"));
    cr_assert_not_null(strstr(pg.raw, "content=\"light\""));
    page_release(&pg);
    free(path);
}

Test(html_timeline, no_failure_says_so, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[] = {
        res("shop/a", 0, 10, 20, OUTCOME_PASSED, NULL),
        res("shop/b", 0, 40, 20, OUTCOME_SKIPPED, "skipped (exit code 77)"),
    };
    struct run_info ri = {.isolation = "schema", .jobs = 1, .wall_ms = 100};
    char *path = xasprintf("%s/t.html", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct page pg;

    cr_assert_eq(html_timeline(path, r, 2, &ri, &e), 0, "%s", e.msg);
    load(&pg, path);
    cr_assert_not_null(strstr(pg.raw, "<h2>Failures (0)</h2>"));
    cr_assert_not_null(strstr(pg.raw, "<p>No case failed.</p>"));
    /* No set-up known: no band. */
    cr_assert_null(strstr(pg.raw, "url(#setup)\" stroke"));
    page_release(&pg);
    free(path);
}
