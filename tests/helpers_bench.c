/*
 * helpers_bench.c: checks of what `isotest bench` printed and wrote.  See
 * helpers_bench.h for the contract.
 *
 * Layout: what a configuration should be; the table; the JUnit report;
 * the JSON report; the HTML report.
 */
#include "helpers_bench.h"
#include "helpers_xml.h"

#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- what a configuration should be ------------------------------------- */

/* A shared database makes the fixture's twin cases collide. */
static bool collides(const struct itest_bench_want *w)
{
    return !strcmp(w->isolation, "none");
}

/* The serial isolated run, against which speedups are measured. */
static bool is_reference(const struct itest_bench_want *w)
{
    return w->jobs == 1 && strcmp(w->isolation, "none");
}

static const struct itest_bench_want *
find_want(const struct itest_bench_want *w, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(w[i].name, name))
            return &w[i];
    return NULL;
}

/* A name the test expects exactly once, else the test fails. */
static size_t want_index(const struct itest_bench_want *w, size_t n,
                         const char *name, bool *seen, const char *where)
{
    const struct itest_bench_want *x = find_want(w, n, name);

    cr_assert(x, "%s: unexpected configuration '%s'", where, name);
    size_t i = (size_t)(x - w);
    cr_assert(!seen[i], "%s: configuration '%s' twice", where, name);
    seen[i] = true;
    return i;
}

void itest_bench_check_table(const struct itest_result *r,
                             const struct itest_bench_want *w, size_t n,
                             int repeat)
{
    char *first =
        xasprintf("isotest bench: %zu configurations x %d runs", n, repeat);
    cr_assert(!strncmp(r->out, first, strlen(first)),
              "the output does not start with '%s':\n%s", first, r->out);
    free(first);

    char *head = itest_line_starting(r->out, "configuration ");
    cr_assert(head, "no table header in the output:\n%s", r->out);
    static const char *const columns[] = {
        "jobs",         "wall median",  "speedup", "efficiency",
        "overhead p50", "overhead p95", "failed"};
    for (size_t i = 0; i < sizeof(columns) / sizeof(*columns); i++)
        cr_assert(strstr(head, columns[i]), "no column '%s' in '%s'",
                  columns[i], head);
    free(head);

    /* Progress lines are indented; table rows start with the name. */
    for (size_t i = 0; i < n; i++) {
        char *prefix = xasprintf("%s ", w[i].name);
        char *row = itest_line_starting(r->out, prefix);
        cr_assert(row, "no table row for '%s':\n%s", w[i].name, r->out);
        bool old_way = collides(&w[i]) && w[i].jobs == 1;
        cr_assert(!!strstr(row, "(the old way)") == old_way,
                  "row '%s': '(the old way)' is for none -j 1 only", row);
        char *cases = xasprintf("/%d", ITEST_BENCH_CASES);
        cr_assert(strstr(row, cases), "row '%s' does not say '%s'", row, cases);
        free(cases);
        free(row);
        free(prefix);
    }
}

/* ---- JUnit -------------------------------------------------------------- */

static const char *const bench_properties[] = {"bench.jobs",
                                               "bench.isolation",
                                               "bench.wall_ms_median",
                                               "bench.speedup",
                                               "bench.efficiency",
                                               "bench.overhead_p50_ms",
                                               "bench.overhead_p95_ms",
                                               "bench.wait_p50_ms",
                                               "bench.wait_p95_ms",
                                               "bench.failed_cases",
                                               "bench.cases"};
#define NPROPS (sizeof(bench_properties) / sizeof(*bench_properties))

/* <property name=...> of a testsuite, copied, or NULL. */
static char *suite_property(xmlNode *suite, const char *name)
{
    for (xmlNode *ps = suite->children; ps; ps = ps->next) {
        if (!itest_xml_is(ps, "properties"))
            continue;
        for (xmlNode *p = ps->children; p; p = p->next) {
            if (!itest_xml_is(p, "property"))
                continue;
            char *k = itest_xml_attr(p, "name");
            bool hit = k && !strcmp(k, name);
            free(k);
            if (hit)
                return itest_xml_attr(p, "value");
        }
    }
    return NULL;
}

/* A property that must be there and read as a number. */
static double number_property(xmlNode *suite, const char *suite_name,
                              const char *name)
{
    char *v = suite_property(suite, name);
    char *end;

    cr_assert(v, "testsuite '%s' has no property '%s'", suite_name, name);
    double d = strtod(v, &end);
    cr_assert(*v && !*end && isfinite(d),
              "testsuite '%s': %s=\"%s\" is not a number", suite_name, name, v);
    free(v);
    return d;
}

void itest_bench_check_junit(const char *path, const struct itest_bench_want *w,
                             size_t n, int repeat)
{
    struct itest_junit jc;
    bool seen[16] = {false};
    size_t nsuites = 0;

    cr_assert(n <= sizeof(seen) / sizeof(*seen));
    itest_junit_check(path, &jc);
    cr_assert_eq(jc.tests, (long)n * repeat,
                 "%ld testcases, expected one per run (%zu x %d)", jc.tests, n,
                 repeat);

    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert(doc, "cannot parse '%s'", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    cr_assert(itest_xml_is(root, "testsuites"), "root of '%s' is <%s>", path,
              (const char *)root->name);
    for (xmlNode *s = root->children; s; s = s->next) {
        if (!itest_xml_is(s, "testsuite"))
            continue;
        nsuites++;
        char *name = itest_xml_attr(s, "name");
        if (!name)
            name = xstrdup("");
        const struct itest_bench_want *x =
            &w[want_index(w, n, name, seen, "JUnit")];

        for (size_t i = 0; i < NPROPS; i++) {
            char *v = suite_property(s, bench_properties[i]);
            cr_assert(v, "testsuite '%s' has no property '%s'", name,
                      bench_properties[i]);
            free(v);
        }
        char *iso = suite_property(s, "bench.isolation");
        cr_assert_str_eq(iso, x->isolation, "testsuite '%s': isolation %s",
                         name, iso);
        free(iso);
        cr_assert_eq(number_property(s, name, "bench.jobs"), x->jobs,
                     "testsuite '%s': bench.jobs", name);
        cr_assert_eq(number_property(s, name, "bench.cases"), ITEST_BENCH_CASES,
                     "testsuite '%s': bench.cases", name);
        double failed = number_property(s, name, "bench.failed_cases");
        if (collides(x))
            cr_assert(failed > 0 && failed <= ITEST_BENCH_CASES,
                      "testsuite '%s': bench.failed_cases=%g, expected the "
                      "twin cases to collide",
                      name, failed);
        else
            cr_assert(failed == 0, "testsuite '%s': bench.failed_cases=%g",
                      name, failed);
        double speedup = number_property(s, name, "bench.speedup");
        double eff = number_property(s, name, "bench.efficiency");
        cr_assert(speedup > 0, "testsuite '%s': speedup %g", name, speedup);
        cr_assert(fabs(eff - speedup / x->jobs) < 0.002,
                  "testsuite '%s': efficiency %g is not speedup %g / %d jobs",
                  name, eff, speedup, x->jobs);
        if (is_reference(x))
            cr_assert(speedup == 1.0, "'%s' is the reference, speedup %g", name,
                      speedup);
        cr_assert(number_property(s, name, "bench.wall_ms_median") > 0);
        for (size_t i = 0; i < NPROPS; i++)
            if (strcmp(bench_properties[i], "bench.isolation"))
                cr_assert(number_property(s, name, bench_properties[i]) >= 0,
                          "testsuite '%s': %s < 0", name, bench_properties[i]);

        /*
         * One testcase per run, named after the configuration; a run with
         * failed cases names them in its system-out, and is not itself
         * marked failed.
         */
        int runs = 0;
        for (xmlNode *tc = s->children; tc; tc = tc->next) {
            if (!itest_xml_is(tc, "testcase"))
                continue;
            runs++;
            xmlChar *tn = xmlGetProp(tc, BAD_CAST "name");
            char *want_name = xasprintf("%s run %d", name, runs);
            cr_assert_str_eq((const char *)tn, want_name, "testcase of '%s'",
                             name);
            free(want_name);
            xmlFree(tn);
            xmlChar *so = NULL;
            for (xmlNode *c = tc->children; c; c = c->next) {
                cr_assert(
                    !itest_xml_is(c, "failure") && !itest_xml_is(c, "error"),
                    "testsuite '%s': run %d is marked failed", name, runs);
                if (itest_xml_is(c, "system-out"))
                    so = xmlNodeGetContent(c);
            }
            if (collides(x))
                cr_assert(so && strstr((const char *)so, " cases failed:\n") &&
                              strstr((const char *)so, "/claim_slot_"),
                          "testsuite '%s': run %d does not name its failed "
                          "cases: %s",
                          name, runs, so ? (const char *)so : "(none)");
            else
                cr_assert(!so, "testsuite '%s': run %d has system-out: %s",
                          name, runs, (const char *)so);
            xmlFree(so);
        }
        cr_assert_eq(runs, repeat, "testsuite '%s': %d testcases for %d runs",
                     name, runs, repeat);
        free(name);
    }
    cr_assert_eq(nsuites, n, "%zu testsuites in '%s', expected %zu", nsuites,
                 path, n);
    xmlFreeDoc(doc);
}

/* ---- JSON --------------------------------------------------------------- */

/*
 * Python's json module is the strict parser; it also checks the shape
 * (every key, numbers where numbers belong, wall_ms one per run with
 * wall_ms_median its median) and prints one line per configuration:
 *   name|isolation|jobs|runs|speedup|efficiency|failed|cases|named|twins|empty
 * with integers printed as integers, so "%d" in C rejects a 2.0.  The last
 * three: failed cases named over all runs, how many of them are the twin
 * cases, and how many runs name none.
 */
static const char json_script[] =
    "import json, statistics, sys\n"
    "d = json.load(open(sys.argv[1]))\n"
    "assert isinstance(d.get('isotest_version'), str), 'isotest_version'\n"
    "assert isinstance(d.get('server_version'), str), 'server_version'\n"
    "assert isinstance(d.get('configurations'), list), 'configurations'\n"
    "num = ('wall_ms_median', 'speedup', 'efficiency', 'overhead_p50_ms',\n"
    "       'overhead_p95_ms', 'wait_p50_ms', 'wait_p95_ms')\n"
    "ints = ('jobs', 'runs', 'failed', 'cases')\n"
    "for c in d['configurations']:\n"
    "    n = c.get('name')\n"
    "    assert isinstance(n, str), 'name: %r' % (c,)\n"
    "    assert isinstance(c.get('isolation'), str), n + ': isolation'\n"
    "    for k in num:\n"
    "        assert type(c.get(k)) in (int, float), n + ': ' + k\n"
    "        assert c[k] >= 0, n + ': ' + k\n"
    "    for k in ints:\n"
    "        assert type(c.get(k)) is int, n + ': ' + k\n"
    "    w = c.get('wall_ms')\n"
    "    assert isinstance(w, list) and len(w) == c['runs'], n + ': wall_ms'\n"
    "    assert all(type(x) in (int, float) and x > 0 for x in w), n\n"
    "    fc = c.get('failed_cases')\n"
    "    assert isinstance(fc, list) and len(fc) == c['runs'], \\\n"
    "        n + ': failed_cases'\n"
    "    assert all(isinstance(r, list) and all(isinstance(x, str) for x in "
    "r)\n"
    "               for r in fc), n + ': failed_cases'\n"
    "    named = sum(len(r) for r in fc)\n"
    "    twins = sum(1 for r in fc for x in r if '/claim_slot_' in x)\n"
    "    empty = sum(1 for r in fc if not r)\n"
    "    m = statistics.median(w)\n"
    "    assert abs(m - c['wall_ms_median']) <= 0.11, \\\n"
    "        '%s: wall_ms_median %s, median of %s' % (n, "
    "c['wall_ms_median'], w)\n"
    "    print('%s|%s|%d|%d|%r|%r|%d|%d|%d|%d|%d' % (n, c['isolation'],\n"
    "          c['jobs'], c['runs'], c['speedup'], c['efficiency'],\n"
    "          c['failed'], c['cases'], named, twins, empty))\n";

void itest_bench_check_json(const char *path, const struct itest_bench_want *w,
                            size_t n, int repeat)
{
    const char *argv[] = {"python3", "-c", json_script, path, NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status ps;
    struct isotest_err e = ISOTEST_ERR_INIT;
    bool seen[16] = {false};
    size_t nconf = 0;

    cr_assert(n <= sizeof(seen) / sizeof(*seen));
    cr_assert(proc_run(argv, &out, &ps, &e) == 0, "cannot run python3: %s",
              e.msg);
    char *text = NULL;
    size_t len;
    fs_read_file(path, &text, &len, &e);
    cr_assert(ps.exited && ps.code == 0,
              "'%s' is not the expected JSON:\n%s\n%s", path, out.buf,
              text ? text : e.msg);
    free(text);

    for (char *p = out.buf; *p;) {
        char *nl = strchr(p, '\n');
        char *line = xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
        char name[64], iso[16];
        int jobs, runs, failed, cases, named, twins, empty, used = 0;
        double speedup, eff;
        cr_assert(sscanf(line, "%63[^|]|%15[^|]|%d|%d|%lf|%lf|%d|%d|%d|%d|%d%n",
                         name, iso, &jobs, &runs, &speedup, &eff, &failed,
                         &cases, &named, &twins, &empty, &used) == 11 &&
                      !line[used],
                  "configuration in '%s' reads '%s'", path, line);
        const struct itest_bench_want *x =
            &w[want_index(w, n, name, seen, "JSON")];
        nconf++;
        cr_assert_str_eq(iso, x->isolation, "'%s': isolation", name);
        cr_assert_eq(jobs, x->jobs, "'%s': jobs", name);
        cr_assert_eq(runs, repeat, "'%s': runs", name);
        cr_assert_eq(cases, ITEST_BENCH_CASES, "'%s': cases", name);
        if (collides(x)) {
            cr_assert(failed > 0 && failed <= ITEST_BENCH_CASES,
                      "'%s': failed=%d, expected the twin cases to collide",
                      name, failed);
            cr_assert(empty == 0 && named > 0 && twins == named,
                      "'%s': failed_cases names %d cases, %d of them twins, "
                      "%d runs none",
                      name, named, twins, empty);
        } else {
            cr_assert_eq(failed, 0, "'%s': failed=%d", name, failed);
            cr_assert_eq(named, 0, "'%s': failed_cases names %d", name, named);
        }
        cr_assert(speedup > 0, "'%s': speedup %g", name, speedup);
        cr_assert(fabs(eff - speedup / jobs) < 0.002,
                  "'%s': efficiency %g is not speedup %g / %d jobs", name, eff,
                  speedup, jobs);
        if (is_reference(x))
            cr_assert(speedup == 1.0, "'%s' is the reference, speedup %g", name,
                      speedup);
        free(line);
        p = nl ? nl + 1 : p + strlen(p);
    }
    cr_assert_eq(nconf, n, "%zu configurations in '%s', expected %zu", nconf,
                 path, n);
    strbuf_release(&out);
}

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_error_ptr;
#else
typedef xmlError *xml_error_ptr;
#endif

/* What the HTML parser reported, one line each. */
static void collect_error(void *ctx, xml_error_ptr err)
{
    struct strbuf *sb = ctx;

    /*
     * libxml2 before 2.14 parses HTML 4, which has no <svg>, <rect> or
     * <text>: inline SVG, valid HTML5, reads to it as unknown tags.
     */
    if (err->code == XML_HTML_UNKNOWN_TAG)
        return;
    strbuf_addf(sb, "line %d: %s", err->line,
                err->message ? err->message : "(no message)\n");
}

static void collect_text(xmlNode *n, const char *tag, struct strbuf *sb)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (itest_xml_is(n, tag)) {
            xmlChar *c = xmlNodeGetContent(n);
            strbuf_addf(sb, "%s\n", c ? (const char *)c : "");
            xmlFree(c);
        }
        collect_text(n->children, tag, sb);
    }
}

static int count_elements(xmlNode *n, const char *tag)
{
    int k = 0;

    for (; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE)
            k += itest_xml_is(n, tag) + count_elements(n->children, tag);
    return k;
}

/* Whole lines of `lines` equal to `s`. */
static int count_equal_lines(const char *lines, const char *s)
{
    size_t n = strlen(s);
    int k = 0;

    for (const char *p = lines; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        k += len == n && !strncmp(p, s, n);
        p = nl ? nl + 1 : p + len;
    }
    return k;
}

/* Self-contained: nothing for a browser to fetch. */
static void assert_no_fetch(xmlNode *n)
{
    static const char *const tags[] = {"script", "link", "img", "iframe"};

    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < sizeof(tags) / sizeof(*tags); i++)
            cr_assert(!itest_xml_is(n, tags[i]), "the page has a <%s>",
                      tags[i]);
        cr_assert(!xmlHasProp(n, BAD_CAST "src") &&
                      !xmlHasProp(n, BAD_CAST "href"),
                  "<%s> refers to another file", (const char *)n->name);
        assert_no_fetch(n->children);
    }
}

void itest_bench_check_html(const char *path, const struct itest_bench_want *w,
                            size_t n)
{
    char *text = itest_read_file(path);
    struct strbuf errs = STRBUF_INIT;

    cr_assert(strstr(text, "<svg"), "no <svg in '%s'", path);

    xmlSetStructuredErrorFunc(&errs, collect_error);
    htmlDocPtr doc = htmlReadFile(path, "UTF-8", HTML_PARSE_NONET);
    xmlSetStructuredErrorFunc(NULL, NULL);
    cr_assert(doc, "cannot parse '%s' as HTML", path);
    cr_assert(errs.len == 0, "'%s' parses with errors:\n%s", path, errs.buf);

    xmlNode *root = xmlDocGetRootElement(doc);
    cr_assert(root && itest_xml_is(root, "html"), "'%s' has no <html>", path);
    assert_no_fetch(root);
    int svgs = count_elements(root, "svg");
    cr_assert_eq(svgs, 2, "%d <svg> in '%s', expected wall time and speedup",
                 svgs, path);

    /* Every configuration: a table row, and a bar label in each chart. */
    struct strbuf cells = STRBUF_INIT, labels = STRBUF_INIT;
    collect_text(root, "td", &cells);
    collect_text(root, "text", &labels);
    for (size_t i = 0; i < n; i++) {
        cr_assert(strstr(text, w[i].name), "'%s' not in '%s'", w[i].name, path);
        cr_assert_eq(count_equal_lines(cells.buf, w[i].name), 1,
                     "no table row for '%s' in '%s'", w[i].name, path);
        cr_assert_eq(count_equal_lines(labels.buf, w[i].name), 2,
                     "'%s' is not a bar in both charts of '%s'", w[i].name,
                     path);
    }
    cr_assert_eq(count_elements(root, "tr"), (int)n + 1,
                 "the table of '%s' is not one row per configuration", path);

    strbuf_release(&cells);
    strbuf_release(&labels);
    strbuf_release(&errs);
    xmlFreeDoc(doc);
    free(text);
}
