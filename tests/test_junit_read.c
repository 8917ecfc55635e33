/*
 * test_junit_read.c: the one JUnit reader (reporters/junit_read.h).
 *
 * Covers: good reports (table: <testsuites> and bare <testsuite> roots,
 * root counts, wall time present or not, suites and cases in document
 * order, nested suites, a case outside any suite ignored); every field of
 * a case, absent attributes included, and its texts (file, message,
 * detail, system-out and system-err joined, CDATA); outcomes and their
 * messages from the children (table: failure, error, skipped and their
 * mixes); properties (first match,
 * several <properties> blocks, no value, no name, a suite out of range);
 * errors naming the path with r left empty (table: missing file, a
 * folder, empty, not XML, truncated, mismatched tags, XML that is not
 * JUnit); a report written by junit_write() read back; many cases.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit.h"
#include "reporters/junit_read.h"
#include "unit_tmp.h"

#define EPS 1e-9

UNIT_TMP_FOLDER("/tmp/isotest-junit-read-XXXXXX")

/* tmp/report.xml holding text; the caller frees the path returned. */
static char *put(const char *text)
{
    char *path = xasprintf("%s/report.xml", tmp);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

/* Load text, which must be accepted. */
static void load_text(struct junit_report *r, const char *text)
{
    char *path = put(text);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(junit_read_load(r, path, &e), 0, "%s", e.msg);
    cr_assert_null(e.msg);
    free(path);
}

#define XML "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

/* ---- good reports ---- */

struct good_case {
    char label[24];
    char text[600];
    long tests, failures, errors;
    bool timed;
    double time_ms;
    size_t nsuites, ncases;
    char first_suite[16];
    char last_case[16];
};

ParameterizedTestParameters(junit_read, good)
{
    static struct good_case cases[] = {
        {"isotest_shape",
         XML "<testsuites name=\"isotest\" tests=\"3\" failures=\"1\" "
             "errors=\"1\" time=\"12.345\">\n"
             "<testsuite name=\"shop\"><testcase classname=\"shop\" "
             "name=\"a\" time=\"0.25\"/></testsuite>\n"
             "<testsuite name=\"other\"><testcase name=\"b\"/>"
             "<testcase name=\"c\"/></testsuite></testsuites>\n",
         3, 1, 1, true, 12345, 2, 3, "shop", "c"},
        {"bare_testsuite",
         "<testsuite name=\"solo\" tests=\"2\" failures=\"2\" time=\"9\">"
         "<testcase name=\"x\"/><testcase name=\"y\"/></testsuite>",
         2, 2, 0, false, 0, 1, 2, "solo", "y"},
        {"no_attributes", "<testsuites><testsuite/></testsuites>", 0, 0, 0,
         false, 0, 1, 0, "", ""},
        {"empty_root", "<testsuites/>", 0, 0, 0, false, 0, 0, 0, "", ""},
        {"time_zero", "<testsuites time=\"0\"/>", 0, 0, 0, true, 0, 0, 0, "",
         ""},
        {"bad_numbers",
         "<testsuites tests=\"x\" failures=\"-2\" time=\"soon\"/>", 0, -2, 0,
         true, 0, 0, 0, "", ""},
        {"nested_suites",
         "<testsuites><testsuite name=\"outer\"><testcase name=\"o\"/>"
         "<testsuite name=\"inner\"><testcase name=\"i\"/></testsuite>"
         "<testcase name=\"o2\"/></testsuite></testsuites>",
         0, 0, 0, false, 0, 2, 3, "outer", "o2"},
        {"case_outside_suite",
         "<testsuites><testcase name=\"stray\"/><testsuite name=\"s\">"
         "<testcase name=\"in\"/></testsuite></testsuites>",
         0, 0, 0, false, 0, 1, 1, "s", "in"},
        {"comments_and_text",
         "<!-- by hand -->\n<testsuites>\n  text <testsuite name=\"s\">"
         "<!-- x --><testcase name=\"t\"/></testsuite></testsuites>",
         0, 0, 0, false, 0, 1, 1, "s", "t"},
    };

    return cr_make_param_array(struct good_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct good_case *c, junit_read, good, .init = make_tmp,
                  .fini = remove_tmp)
{
    struct junit_report r;

    load_text(&r, c->text);
    cr_assert_eq(r.tests, c->tests, "%s: tests %ld", c->label, r.tests);
    cr_assert_eq(r.failures, c->failures, "%s: failures", c->label);
    cr_assert_eq(r.errors, c->errors, "%s: errors", c->label);
    cr_assert_eq(r.timed, c->timed, "%s: timed", c->label);
    cr_assert_float_eq(r.time_ms, c->time_ms, 1e-6, "%s: time %g", c->label,
                       r.time_ms);
    cr_assert_eq(r.nsuites, c->nsuites, "%s: %zu suites", c->label, r.nsuites);
    cr_assert_eq(r.ncases, c->ncases, "%s: %zu cases", c->label, r.ncases);
    if (c->nsuites)
        cr_assert_str_eq(r.suites[0].name ? r.suites[0].name : "",
                         c->first_suite, "%s", c->label);
    if (c->ncases)
        cr_assert_str_eq(r.cases[c->ncases - 1].name, c->last_case, "%s",
                         c->label);
    junit_read_release(&r);
    cr_assert_eq(r.ncases, 0);
    cr_assert_null(r.cases);
    junit_read_release(&r); /* twice is harmless */
}

Test(junit_read, case_fields, .init = make_tmp, .fini = remove_tmp)
{
    struct junit_report r;

    load_text(&r, "<testsuites>"
                  "<testsuite name=\"a\"><testcase classname=\"shop.tap\" "
                  "name=\"t&amp;1\" time=\"1.5\"/></testsuite>"
                  "<testsuite name=\"b\"><testcase time=\"0\"/>"
                  "<testcase classname=\"\" name=\"untimed\"/></testsuite>"
                  "</testsuites>");
    cr_assert_eq(r.ncases, 3);
    const struct junit_case *c = r.cases;
    cr_assert_str_eq(c[0].classname, "shop.tap");
    cr_assert_str_eq(c[0].name, "t&1");
    cr_assert(c[0].timed);
    cr_assert_float_eq(c[0].time_ms, 1500, EPS);
    cr_assert_eq(c[0].suite, 0);
    cr_assert_eq(c[0].outcome, JUNIT_PASSED);
    cr_assert_null(c[1].classname);
    cr_assert_null(c[1].name);
    cr_assert(c[1].timed);
    cr_assert_float_eq(c[1].time_ms, 0, EPS);
    cr_assert_eq(c[1].suite, 1);
    cr_assert_str_eq(c[2].classname, "");
    cr_assert_not(c[2].timed);
    cr_assert_eq(c[2].suite, 1);
    for (size_t i = 0; i < 3; i++) {
        cr_assert_null(c[i].file);
        cr_assert_null(c[i].message);
        cr_assert_null(c[i].detail);
        cr_assert_null(c[i].out);
        cr_assert_null(c[i].err);
    }
    junit_read_release(&r);
}

/* What pytest and isotest put in and under a testcase. */
Test(junit_read, case_texts, .init = make_tmp, .fini = remove_tmp)
{
    struct junit_report r;

    load_text(&r, "<testsuites><testsuite name=\"s\">"
                  "<testcase classname=\"t.test_a\" name=\"test_x\" "
                  "file=\"t/test_a.py\" time=\"0.1\">"
                  "<failure message=\"assert 1 == 2\">def test_x():\n"
                  "&gt;   assert 1 == 2</failure>"
                  "<system-out>one\n</system-out><system-err>e</system-err>"
                  "<system-out>two &amp; <![CDATA[<three>]]></system-out>"
                  "</testcase>"
                  "<testcase name=\"empty\"><skipped/><system-out/>"
                  "</testcase></testsuite></testsuites>");
    cr_assert_eq(r.ncases, 2);
    const struct junit_case *c = r.cases;
    cr_assert_str_eq(c[0].file, "t/test_a.py");
    cr_assert_eq(c[0].outcome, JUNIT_FAILURE);
    cr_assert_str_eq(c[0].message, "assert 1 == 2");
    cr_assert_str_eq(c[0].detail, "def test_x():\n>   assert 1 == 2");
    cr_assert_str_eq(c[0].out, "one\ntwo & <three>");
    cr_assert_str_eq(c[0].err, "e");
    cr_assert_eq(c[1].outcome, JUNIT_SKIPPED);
    cr_assert_null(c[1].message);
    cr_assert_null(c[1].detail, "an empty element is no text");
    cr_assert_null(c[1].out, "an empty element is no text");
    cr_assert_null(c[1].err);
    junit_read_release(&r);
}

Test(junit_read, nested_case_belongs_to_innermost_suite, .init = make_tmp,
     .fini = remove_tmp)
{
    struct junit_report r;

    load_text(&r, "<testsuite name=\"outer\"><testcase name=\"o\"/>"
                  "<testsuite name=\"inner\"><testcase name=\"i\"/>"
                  "</testsuite><testcase name=\"o2\"/></testsuite>");
    cr_assert_eq(r.nsuites, 2);
    cr_assert_str_eq(r.suites[1].name, "inner");
    cr_assert_eq(r.cases[0].suite, 0);
    cr_assert_eq(r.cases[1].suite, 1);
    cr_assert_eq(r.cases[2].suite, 0);
    junit_read_release(&r);
}

/* ---- outcomes ---- */

struct outcome_case {
    char children[120];
    enum junit_outcome want;
    char message[8]; /* of the deciding element; "" for none */
};

ParameterizedTestParameters(junit_read, outcome)
{
    static struct outcome_case cases[] = {
        {"", JUNIT_PASSED, ""},
        {"<system-out>failure</system-out><system-err/>", JUNIT_PASSED, ""},
        {"<failure message=\"no\">not ok 1</failure>", JUNIT_FAILURE, "no"},
        {"<error type=\"timeout\" message=\"t\"/>", JUNIT_ERROR, "t"},
        {"<skipped message=\"s\"/>", JUNIT_SKIPPED, "s"},
        {"<failure message=\"f\"/><error message=\"e\"/>", JUNIT_ERROR, "e"},
        {"<error message=\"e\"/><failure message=\"f\"/>", JUNIT_ERROR, "e"},
        {"<skipped message=\"s\"/><failure message=\"f\"/>", JUNIT_FAILURE,
         "f"},
        {"<failure message=\"f\"/><skipped/>", JUNIT_FAILURE, "f"},
        {"<failure message=\"1\"/><failure message=\"2\"/>", JUNIT_FAILURE,
         "1"},
        {"<error/><skipped message=\"s\"/>", JUNIT_ERROR, ""},
        {"<properties><failure/></properties>", JUNIT_PASSED, ""},
    };

    return cr_make_param_array(struct outcome_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct outcome_case *c, junit_read, outcome, .init = make_tmp,
                  .fini = remove_tmp)
{
    char *text = xasprintf("<testsuites><testsuite name=\"s\"><testcase "
                           "name=\"t\">%s</testcase></testsuite></testsuites>",
                           c->children);
    struct junit_report r;

    load_text(&r, text);
    cr_assert_eq(r.ncases, 1);
    cr_assert_eq(r.cases[0].outcome, c->want, "<testcase>%s</testcase>: %d",
                 c->children, (int)r.cases[0].outcome);
    if (c->message[0])
        cr_assert_str_eq(r.cases[0].message, c->message, "<testcase>%s",
                         c->children);
    else
        cr_assert_null(r.cases[0].message, "<testcase>%s", c->children);
    junit_read_release(&r);
    free(text);
}

/* ---- properties ---- */

Test(junit_read, properties, .init = make_tmp, .fini = remove_tmp)
{
    struct junit_report r;

    load_text(&r, "<testsuites><testsuite name=\"one\">"
                  "<properties><property name=\"a\" value=\"1\"/>"
                  "<property name=\"a\" value=\"second\"/>"
                  "<property name=\"novalue\"/>"
                  "<property value=\"noname\"/>"
                  "<other name=\"b\" value=\"not a property\"/></properties>"
                  "<testcase name=\"t\"/>"
                  "<properties><property name=\"b\" value=\"&lt;2&gt;\"/>"
                  "</properties></testsuite>"
                  "<testsuite name=\"two\"/></testsuites>");
    cr_assert_eq(r.nsuites, 2);
    cr_assert_eq(r.suites[0].nprops, 4, "%zu properties", r.suites[0].nprops);
    cr_assert_str_eq(junit_read_property(&r, 0, "a"), "1");
    cr_assert_str_eq(junit_read_property(&r, 0, "b"), "<2>");
    cr_assert_null(junit_read_property(&r, 0, "novalue"));
    cr_assert_null(junit_read_property(&r, 0, "missing"));
    cr_assert_null(junit_read_property(&r, 0, ""));
    cr_assert_null(junit_read_property(&r, 1, "a"));
    cr_assert_null(junit_read_property(&r, 2, "a"));
    cr_assert_null(junit_read_property(&r, (size_t)-1, "a"));
    junit_read_release(&r);
}

/* ---- errors ---- */

enum make { MAKE_TEXT, MAKE_NOTHING, MAKE_FOLDER };

struct error_case {
    char label[24];
    enum make make;
    char text[80];
    char want[64]; /* in the message, besides the path */
};

ParameterizedTestParameters(junit_read, errors)
{
    static struct error_case cases[] = {
        {"missing", MAKE_NOTHING, "", "No such file"},
        {"folder", MAKE_FOLDER, "", "cannot read JUnit report"},
        {"empty", MAKE_TEXT, "", "is not XML"},
        {"not_xml", MAKE_TEXT, "not XML at all\n",
         "is not a JUnit report: it is not XML (line 1"},
        {"truncated", MAKE_TEXT, "<testsuites><testsuite name=\"x\">\n",
         "is not XML"},
        {"mismatched", MAKE_TEXT, "<testsuites></testsuite>\n", "is not XML"},
        {"two_roots", MAKE_TEXT, "<testsuites/><testsuites/>", "is not XML"},
        {"html", MAKE_TEXT, "<html><body/></html>",
         "is not a JUnit report: its root element is <html>"},
        {"testcase_root", MAKE_TEXT, "<testcase name=\"t\"/>",
         "is not a JUnit report"},
        {"other_xml", MAKE_TEXT, XML "<history><case/></history>",
         "is not a JUnit report"},
    };

    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, junit_read, errors, .init = make_tmp,
                  .fini = remove_tmp)
{
    char *path = xasprintf("%s/report.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct junit_report r;

    if (c->make == MAKE_TEXT)
        free(put(c->text));
    else if (c->make == MAKE_FOLDER)
        cr_assert_eq(mkdir(path, 0700), 0);
    cr_assert_eq(junit_read_load(&r, path, &e), -1, "%s: accepted", c->label);
    cr_assert_not_null(e.msg, "%s: no message", c->label);
    cr_assert_not_null(strstr(e.msg, path), "%s: '%s' does not name '%s'",
                       c->label, e.msg, path);
    cr_assert_not_null(strstr(e.msg, c->want), "%s: '%s' does not say '%s'",
                       c->label, e.msg, c->want);
    cr_assert_not(strchr(e.msg, '\n'), "%s: '%s' is not one line", c->label,
                  e.msg);
    cr_assert_eq(r.nsuites, 0);
    cr_assert_eq(r.ncases, 0);
    cr_assert_null(r.suites);
    cr_assert_null(r.cases);
    junit_read_release(&r);
    isotest_err_release(&e);
    free(path);
}

/* ---- what junit_write() writes ---- */

static struct test_result res(const char *suite, const char *name,
                              enum outcome o, double ms)
{
    struct test_result r = {.id = name,
                            .suite = suite,
                            .classname = suite,
                            .name = name,
                            .done = true,
                            .outcome = o,
                            .time_ms = ms,
                            .prev_ms = -1};

    return r;
}

Test(junit_read, reads_what_junit_write_writes, .init = make_tmp,
     .fini = remove_tmp)
{
    struct test_result rs[] = {
        res("shop", "ok", OUTCOME_PASSED, 12.3456),
        res("shop", "fails", OUTCOME_FAILED, 1500),
        res("shop.tap", "errs", OUTCOME_ERROR, 1),
        res("shop.tap", "hangs", OUTCOME_TIMEOUT, 2),
        res("shop", "skips", OUTCOME_SKIPPED, 0),
        res("shop", "never", OUTCOME_PASSED, 0),
    };
    static const enum junit_outcome want[] = {JUNIT_PASSED,  JUNIT_FAILURE,
                                              JUNIT_ERROR,   JUNIT_ERROR,
                                              JUNIT_SKIPPED, JUNIT_ERROR};
    enum { N = sizeof(rs) / sizeof(*rs) };
    rs[5].done = false;
    for (size_t i = 0; i < N; i++)
        rs[i].suite = "shop"; /* one suite: the report keeps this order */
    struct run_info ri = {.isotest_version = "0.2.0",
                          .isolation = "schema",
                          .jobs = 3,
                          .server_version = "15.18",
                          .template_hash = "0123",
                          .wall_ms = 2500.25};
    struct junit_property extra[] = {{"ci.job", "42"}};
    char *path = xasprintf("%s/report.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct junit_report r;

    cr_assert_eq(junit_write(path, rs, N, &ri, extra, 1, &e), 0, "%s", e.msg);
    cr_assert_eq(junit_read_load(&r, path, &e), 0, "%s", e.msg);
    cr_assert_eq(r.tests, N);
    cr_assert_eq(r.failures, 1);
    cr_assert_eq(r.errors, 3);
    cr_assert(r.timed);
    cr_assert_float_eq(r.time_ms, 2500, EPS); /* milliseconds kept */
    cr_assert_eq(r.ncases, N);
    for (size_t i = 0; i < N; i++) {
        cr_assert_str_eq(r.cases[i].name, rs[i].name);
        cr_assert_str_eq(r.cases[i].classname, rs[i].classname);
        cr_assert_eq(r.cases[i].outcome, want[i], "case %s", rs[i].name);
        cr_assert(r.cases[i].timed);
    }
    cr_assert_float_eq(r.cases[0].time_ms, 12, EPS);
    cr_assert_float_eq(r.cases[1].time_ms, 1500, EPS);
    for (size_t k = 0; k < r.nsuites; k++) {
        cr_assert_str_eq(junit_read_property(&r, k, "isotest.jobs"), "3");
        cr_assert_str_eq(junit_read_property(&r, k, "isotest.isolation"),
                         "schema");
        cr_assert_str_eq(junit_read_property(&r, k, "ci.job"), "42");
    }
    junit_read_release(&r);
    free(path);
}

Test(junit_read, many_cases_keep_their_order, .init = make_tmp,
     .fini = remove_tmp)
{
    enum { N = 1000 };
    struct strbuf sb = STRBUF_INIT;
    struct junit_report r;

    strbuf_addstr(&sb, "<testsuites>");
    for (int s = 0; s < 10; s++) {
        strbuf_addf(&sb, "<testsuite name=\"s%d\">", s);
        for (int i = 0; i < N / 10; i++)
            strbuf_addf(&sb, "<testcase name=\"c%d\" time=\"%d\"/>",
                        s * (N / 10) + i, i);
        strbuf_addstr(&sb, "</testsuite>");
    }
    strbuf_addstr(&sb, "</testsuites>");
    load_text(&r, sb.buf);
    cr_assert_eq(r.nsuites, 10);
    cr_assert_eq(r.ncases, N);
    for (size_t i = 0; i < N; i++) {
        char want[16];
        snprintf(want, sizeof(want), "c%zu", i);
        cr_assert_str_eq(r.cases[i].name, want);
        cr_assert_eq(r.cases[i].suite, i / (N / 10));
    }
    junit_read_release(&r);
    strbuf_release(&sb);
}
