/*
 * test_junit_retries.c: cases run again (--retries) in the JUnit report
 * (reporters/junit.h), and the result helpers the pool uses for them
 * (result_push_try() and friends, reporters/result.h).
 *
 * A case that failed, errored and then passed is a passing testcase with
 * one flakyFailure and one flakyError; a case that failed every try keeps
 * its failure, with a rerunFailure and a rerunError for the earlier
 * tries.  Each try element carries its message and type, its detail as
 * stackTrace, and its own output, the first line naming its sandbox; the
 * report is validated against reporters/junit-10.xsd.  The checks are
 * XPath expressions over the report read back.
 */
#include <criterion/criterion.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit.h"
#include "unit_tmp.h"

#define XSD "reporters/junit-10.xsd"

UNIT_TMP_FOLDER("/tmp/isotest-junit-retries-XXXXXX")

static struct test_result result(const char *name, enum outcome o)
{
    struct test_result r = {.id = name,
                            .suite = "s",
                            .classname = "s",
                            .name = name,
                            .file = name,
                            .done = true,
                            .outcome = o,
                            .worker = 1,
                            .prev_ms = -1};

    return r;
}

/*
 * One failed try the way the pool makes it: the result filled, then
 * moved into retried[] by result_push_try() for the next try.
 */
static void failed_try(struct test_result *r, enum outcome o, const char *msg,
                       const char *sandbox, const char *out)
{
    r->outcome = o;
    r->start_ms = 10 + 100 * (double)r->nretried;
    r->time_ms = 40;
    r->message = xstrdup(msg);
    r->detail = xasprintf("detail of %s", sandbox);
    r->sandbox = xstrdup(sandbox);
    r->out.data = xstrdup(out);
    r->out.len = strlen(out);
    r->err.data = xstrdup("try's stderr\n");
    r->err.len = strlen(r->err.data);
    result_push_try(r);
    cr_assert_null(r->message);
    cr_assert_null(r->sandbox);
    cr_assert_eq(r->out.len, 0);
}

/* The last try: it passed, or failed like the ones before. */
static void last_try(struct test_result *r, enum outcome o, double ms,
                     const char *sandbox)
{
    r->outcome = o;
    r->start_ms = 300;
    r->time_ms = ms;
    r->sandbox = xstrdup(sandbox);
    if (o != OUTCOME_PASSED)
        r->message = xstrdup("exit code 4");
}

static void validate(xmlDocPtr doc)
{
    cr_assert(access(XSD, R_OK) == 0,
              "%s not found: the tests run from the repository root", XSD);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(XSD);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    cr_assert_not_null(schema, "cannot parse %s", XSD);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    cr_assert_eq(rc, 0, "the report is not valid against %s", XSD);
}

/* The string value of an XPath expression over doc. */
static char *xpath(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);

    cr_assert_not_null(o, "bad XPath %s", expr);
    xmlChar *v = xmlXPathCastToString(o);
    char *s = xstrdup((const char *)v);
    xmlFree(v);
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return s;
}

static void expect(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath(doc, expr);

    cr_expect_str_eq(got, want, "%s", expr);
    free(got);
}

/* The text of expr starts with want. */
static void expect_prefix(xmlDocPtr doc, const char *expr, const char *want)
{
    char *got = xpath(doc, expr);

    cr_expect_eq(strncmp(got, want, strlen(want)), 0, "%s is\n%s", expr, got);
    free(got);
}

static void check_flaky(xmlDocPtr doc)
{
    expect(doc,
           "count(//testcase[@name='flaky']/*[self::failure or "
           "self::error or self::skipped or self::rerunFailure or "
           "self::rerunError])",
           "0");
    expect(doc, "string(//testcase[@name='flaky']/@time)", "0.020");
    expect(doc, "count(//testcase[@name='flaky']/flakyFailure)", "1");
    expect(doc, "count(//testcase[@name='flaky']/flakyError)", "1");
    expect(doc, "string(//testcase[@name='flaky']/flakyFailure/@type)",
           "failed");
    expect(doc, "string(//testcase[@name='flaky']/flakyFailure/@message)",
           "exit code 1");
    expect(doc, "string(//testcase[@name='flaky']/flakyError/@type)", "error");
    expect(doc, "string(//testcase[@name='flaky']/flakyFailure/stackTrace)",
           "detail of isotest_deadbeef_2");
    expect(doc, "string(//testcase[@name='flaky']/flakyFailure/system-out)",
           "[isotest] try=1 start_ms=10.0 time_ms=40.0 "
           "sandbox=isotest_deadbeef_2\nfirst try\n");
    expect(doc, "string(//testcase[@name='flaky']/flakyError/system-out)",
           "[isotest] try=2 start_ms=110.0 time_ms=40.0 "
           "sandbox=isotest_deadbeef_3\nsecond try\n");
    expect(doc, "string(//testcase[@name='flaky']/flakyError/system-err)",
           "try's stderr\n");
    expect_prefix(doc, "string(//testcase[@name='flaky']/system-out)",
                  "[isotest] file=flaky worker=1 start_ms=300.0 "
                  "sandbox=isotest_deadbeef_5 acquire_ms=0.00 "
                  "release_ms=0.00 tries=3 total_ms=100.0 id=flaky\n");
}

static void check_rerun(xmlDocPtr doc)
{
    expect(doc, "count(//testcase[@name='always']/failure)", "1");
    expect(doc, "string(//testcase[@name='always']/failure/@message)",
           "exit code 4");
    expect(doc, "string(//testcase[@name='always']/@time)", "1.500");
    expect(doc, "count(//testcase[@name='always']/rerunFailure)", "1");
    expect(doc, "count(//testcase[@name='always']/rerunError)", "1");
    expect(doc,
           "count(//testcase[@name='always']/*[starts-with(name(), "
           "'flaky')])",
           "0");
    expect(doc, "string(//testcase[@name='always']/rerunError/@type)",
           "timeout");
    expect_prefix(doc,
                  "string(//testcase[@name='always']/rerunError/"
                  "system-out)",
                  "[isotest] try=2 start_ms=110.0 time_ms=40.0 "
                  "sandbox=isotest_deadbeef_6\n");
    expect_prefix(doc, "string(//testcase[@name='always']/system-out)",
                  "[isotest] file=always worker=1 start_ms=300.0 "
                  "sandbox=isotest_deadbeef_7 acquire_ms=0.00 "
                  "release_ms=0.00 tries=3 total_ms=1580.0 id=always\n");
}

Test(junit_retries, flaky_and_rerun_elements, .init = make_tmp,
     .fini = remove_tmp)
{
    struct test_result r[3];
    struct run_info ri = {.isotest_version = "0.2.0",
                          .isolation = "database",
                          .jobs = 2,
                          .server_version = "15",
                          .template_hash = "0123",
                          .template_name = "isotest_tpl_0123",
                          .wall_ms = 2000};
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);

    r[0] = result("flaky", OUTCOME_PASSED);
    failed_try(&r[0], OUTCOME_FAILED, "exit code 1", "isotest_deadbeef_2",
               "first try\n");
    failed_try(&r[0], OUTCOME_ERROR, "killed by SIGSEGV (exit code 139)",
               "isotest_deadbeef_3", "second try\n");
    last_try(&r[0], OUTCOME_PASSED, 20, "isotest_deadbeef_5");
    r[1] = result("always", OUTCOME_FAILED);
    failed_try(&r[1], OUTCOME_FAILED, "exit code 4", "isotest_deadbeef_4",
               "a\n");
    failed_try(&r[1], OUTCOME_TIMEOUT, "timed out after 1 s",
               "isotest_deadbeef_6", "b\n");
    last_try(&r[1], OUTCOME_FAILED, 1500, "isotest_deadbeef_7");
    r[2] = result("plain", OUTCOME_PASSED);
    cr_assert(result_flaky(&r[0]));
    cr_assert(!result_flaky(&r[1]));
    cr_assert(!result_flaky(&r[2]));
    cr_assert_eq(result_total_ms(&r[0]), 100);
    cr_assert_eq(junit_write(path, r, 3, &ri, NULL, 0, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < 3; i++)
        result_release(&r[i]);
    cr_assert_null(r[0].retried);
    cr_assert_eq(r[0].nretried, 0);

    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    validate(doc);
    expect(doc, "string(//testsuite/@tests)", "3");
    expect(doc, "string(//testsuite/@failures)", "1");
    expect(doc, "string(//testsuite/@errors)", "0");
    check_flaky(doc);
    check_rerun(doc);
    /* A case tried once says nothing about tries. */
    expect(doc, "count(//testcase[@name='plain']/*[not(self::system-out)])",
           "0");
    expect(doc, "contains(//testcase[@name='plain']/system-out, 'tries=')",
           "false");
    xmlFreeDoc(doc);
    free(path);
}
