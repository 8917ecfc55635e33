/*
 * test_junit.c: the JUnit XML report (reporters/junit.h).
 *
 * One report holds every kind of result (passed, failed with message and
 * detail, error, timeout, skipped, never started) in two suites given in
 * non-alphabetical order, plus captured output with colour sequences, NUL
 * bytes, invalid UTF-8 and a cut.  The file is read back with libxml2 and
 * checked element by element, then validated against the Jenkins schema,
 * reporters/junit-10.xsd.  Also: an empty run, write failures that leave no
 * temporary file, and a long file path.  (Writing in one go, atomically:
 * test_xmlout.c; cases run again, --retries: test_junit_retries.c.)
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit.h"
#include "unit_tmp.h"

#define XSD "reporters/junit-10.xsd"
#define FFFD "\xef\xbf\xbd" /* U+FFFD */

UNIT_TMP_FOLDER("/tmp/isotest-junit-XXXXXX")

static struct run_info info(void)
{
    struct run_info ri = {.isotest_version = "0.1.0",
                          .isolation = "database",
                          .jobs = 4,
                          .server_version = "15.18",
                          .template_hash = "0123456789abcdef",
                          .template_name = "isotest_tpl_0123456789abcdef",
                          .template_reused = true,
                          .wall_ms = 2500.25,
                          .start_to_first_ms = 80,
                          .interrupted = true,
                          .timestamp = "2026-01-02T03:04:05",
                          .hostname = "ci-runner"};

    return ri;
}

static struct test_result result(const char *suite, const char *name,
                                 const char *file, enum outcome o,
                                 double time_ms, const char *message)
{
    struct test_result r = {.id = name,
                            .suite = suite,
                            .classname = suite,
                            .name = name,
                            .file = file,
                            .done = true,
                            .outcome = o,
                            .worker = 1,
                            .start_ms = 10,
                            .time_ms = time_ms,
                            .acquire_ms = 3,
                            .release_ms = 2,
                            .prev_ms = -1,
                            .sandbox = xstrdup("isotest_deadbeef_1"),
                            .message = message ? xstrdup(message) : NULL};

    return r;
}

/* Output with what breaks naive XML: ESC, NUL, invalid UTF-8. */
static const char dirty_out[] = "\x1b[31mred\x1b[0m\0after\xff\xc0 end\n";

enum { N_RESULTS = 7 };

/* Suites appear as zeta first, then alpha: the report keeps that order. */
static void make_results(struct test_result *r)
{
    r[0] = result("zeta", "passes", "zeta/passes.sql", OUTCOME_PASSED, 0.4999,
                  NULL);
    r[1] = result("alpha", "fails", "alpha/fails.sql", OUTCOME_FAILED,
                  1234.5678, "1 of 2 TAP tests failed");
    r[1].detail = xstrdup("not ok 2 - b\n#   got: 1\n");
    r[2] = result("zeta", "errs", "zeta/errs.sql", OUTCOME_ERROR, 12,
                  "psql exited with code 2");
    r[3] = result("alpha", "hangs", "alpha/hangs.sql", OUTCOME_TIMEOUT, 1000,
                  "timed out after 1 s");
    r[4] = result("zeta", "skips", "zeta/skips.sh", OUTCOME_SKIPPED, 5,
                  "skipped (exit code 77)");
    r[5] = result("alpha", "never", "alpha/never.sql", OUTCOME_PASSED, 0, NULL);
    r[5].done = false;
    r[6] = result("zeta", "noisy", "zeta/noisy.sh", OUTCOME_PASSED, 250, NULL);
    r[6].out.len = sizeof(dirty_out) - 1;
    r[6].out.data = xmalloc(r[6].out.len + 1);
    memcpy(r[6].out.data, dirty_out, r[6].out.len + 1);
    r[6].out.dropped = 12345;
    r[6].err.data = xstrdup("warn\x01ing\n");
    r[6].err.len = strlen(r[6].err.data);
}

static void release_results(struct test_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        result_release(&r[i]);
}

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
    for (xmlNodePtr c = xmlFirstElementChild(n); c;
         c = xmlNextElementSibling(c))
        if (!strcmp((const char *)c->name, name))
            return c;
    return NULL;
}

static size_t count_children(xmlNodePtr n, const char *name)
{
    size_t k = 0;

    for (xmlNodePtr c = xmlFirstElementChild(n); c;
         c = xmlNextElementSibling(c))
        if (!strcmp((const char *)c->name, name))
            k++;
    return k;
}

static void assert_attr(xmlNodePtr n, const char *name, const char *want)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);

    cr_assert_not_null(v, "<%s> has no %s attribute", n->name, name);
    cr_assert_str_eq((const char *)v, want, "<%s %s>", n->name, name);
    xmlFree(v);
}

static void assert_has_attr(xmlNodePtr n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);

    cr_assert_not_null(v, "<%s> has no %s attribute", n->name, name);
    xmlFree(v);
}

static void assert_time_attr(xmlNodePtr n)
{
    regex_t re;
    xmlChar *v = xmlGetProp(n, BAD_CAST "time");

    cr_assert_not_null(v, "<%s> has no time", n->name);
    cr_assert_eq(regcomp(&re, "^[0-9]+\\.[0-9]{3}$", REG_EXTENDED | REG_NOSUB),
                 0);
    int rc = regexec(&re, (const char *)v, 0, NULL, 0);
    regfree(&re);
    cr_assert_eq(rc, 0, "<%s time=\"%s\">", n->name, v);
    xmlFree(v);
}

static xmlNodePtr testcase(xmlNodePtr suite, const char *name)
{
    for (xmlNodePtr c = xmlFirstElementChild(suite); c;
         c = xmlNextElementSibling(c)) {
        if (strcmp((const char *)c->name, "testcase"))
            continue;
        xmlChar *v = xmlGetProp(c, BAD_CAST "name");
        bool same = v && !strcmp((const char *)v, name);
        xmlFree(v);
        if (same)
            return c;
    }
    cr_assert_fail("no testcase '%s'", name);
    return NULL;
}

/* The text of element `name` under n; the caller frees it with free(). */
static char *text_of(xmlNodePtr n, const char *name)
{
    xmlNodePtr c = child(n, name);

    cr_assert_not_null(c, "<%s> has no <%s>", n->name, name);
    xmlChar *v = xmlNodeGetContent(c);
    char *s = xstrdup((const char *)v);
    xmlFree(v);
    return s;
}

static void validate_against_xsd(xmlDocPtr doc)
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

static const char *const property_names[] = {
    "isotest.version",
    "isotest.isolation",
    "isotest.jobs",
    "isotest.server_version",
    "isotest.template_hash",
    "isotest.template_reused",
    "isotest.sandbox_acquire_p50_ms",
    "isotest.sandbox_acquire_p95_ms",
    "isotest.sandbox_release_p50_ms",
    "isotest.sandbox_release_p95_ms",
    "isotest.sandbox_cycle_p50_ms",
    "isotest.sandbox_cycle_p95_ms",
    "isotest.sandbox_cycle_mean_ms",
    "isotest.wall_ms",
    "isotest.case_time_sum_ms",
    "isotest.case_time_mean_ms",
    "isotest.start_to_first_case_ms",
    "isotest.speedup",
    "isotest.interrupted",
    "ci.job",
};

/* Only with a previous run to compare with. */
static const char *const comparison_properties[] = {
    "isotest.previous_wall_ms",
    "isotest.wall_change_pct",
    "isotest.slower_cases",
};

/* The value of property `name` in <properties>; NULL when absent. */
static char *property(xmlNodePtr props, const char *name)
{
    for (xmlNodePtr c = xmlFirstElementChild(props); c;
         c = xmlNextElementSibling(c)) {
        xmlChar *n = xmlGetProp(c, BAD_CAST "name");
        bool same = n && !strcmp((const char *)n, name);
        xmlFree(n);
        if (same) {
            xmlChar *v = xmlGetProp(c, BAD_CAST "value");
            char *s = xstrdup(v ? (const char *)v : "(no value)");
            xmlFree(v);
            return s;
        }
    }
    return NULL;
}

static void check_properties(xmlNodePtr suite)
{
    xmlNodePtr props = child(suite, "properties");

    cr_assert_not_null(props);
    for (size_t i = 0; i < sizeof(property_names) / sizeof(*property_names);
         i++) {
        char *v = property(props, property_names[i]);
        cr_assert_not_null(v, "property %s missing", property_names[i]);
        free(v);
    }
    for (size_t i = 0; i < 3; i++) {
        char *v = property(props, comparison_properties[i]);
        cr_assert_null(v, "%s without a previous run",
                       comparison_properties[i]);
    }
    /* Every done case took 3 + 2 ms of sandbox work. */
    char *cyc = property(props, "isotest.sandbox_cycle_mean_ms");
    cr_assert_str_eq(cyc, "5.00");
    free(cyc);
    char *jobs = property(props, "isotest.jobs");
    char *mode = property(props, "isotest.isolation");
    char *intr = property(props, "isotest.interrupted");
    char *job = property(props, "ci.job");
    cr_assert_str_eq(jobs, "4");
    cr_assert_str_eq(mode, "database");
    cr_assert_str_eq(intr, "true");
    cr_assert_str_eq(job, "42");
    free(jobs);
    free(mode);
    free(intr);
    free(job);
}

static void check_suite_attrs(xmlNodePtr s, const char *name, const char *tests,
                              const char *failures, const char *errors,
                              const char *skipped)
{
    assert_attr(s, "name", name);
    assert_attr(s, "tests", tests);
    assert_attr(s, "failures", failures);
    assert_attr(s, "errors", errors);
    assert_attr(s, "skipped", skipped);
    assert_time_attr(s);
    check_properties(s);
    for (xmlNodePtr c = xmlFirstElementChild(s); c;
         c = xmlNextElementSibling(c)) {
        if (strcmp((const char *)c->name, "testcase"))
            continue;
        assert_has_attr(c, "name");
        assert_has_attr(c, "classname");
        assert_time_attr(c);
    }
}

/* <testcase>'s single outcome element, checked by name, type, message. */
static void check_outcome(xmlNodePtr tc, const char *elem, const char *type,
                          const char *message)
{
    static const char *const all[] = {"failure", "error", "skipped"};

    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(count_children(tc, all[i]),
                     elem && !strcmp(elem, all[i]) ? 1 : 0,
                     "<%s> in this testcase", all[i]);
    if (!elem)
        return;
    xmlNodePtr o = child(tc, elem);
    assert_attr(o, "type", type);
    assert_attr(o, "message", message);
}

/* The testcases of make_results(), zeta and alpha. */
static void check_testcases(xmlNodePtr zeta, xmlNodePtr alpha)
{
    xmlNodePtr tc = testcase(zeta, "passes");
    assert_attr(tc, "classname", "zeta");
    assert_attr(tc, "time", "0.000");
    check_outcome(tc, NULL, NULL, NULL);
    char *so = text_of(tc, "system-out");
    cr_assert_eq(strncmp(so, "[isotest] file=zeta/passes.sql worker=1 ", 40), 0,
                 "%s", so);
    cr_assert_not_null(strstr(so, "sandbox=isotest_deadbeef_1"));
    free(so);

    tc = testcase(alpha, "fails");
    assert_attr(tc, "time", "1.235");
    check_outcome(tc, "failure", "failed", "1 of 2 TAP tests failed");
    char *detail = text_of(tc, "failure");
    cr_assert_str_eq(detail, "not ok 2 - b\n#   got: 1\n");
    free(detail);

    check_outcome(testcase(zeta, "errs"), "error", "error",
                  "psql exited with code 2");
    check_outcome(testcase(alpha, "hangs"), "error", "timeout",
                  "timed out after 1 s");
    check_outcome(testcase(zeta, "skips"), "skipped", "skipped",
                  "skipped (exit code 77)");
    tc = testcase(alpha, "never");
    cr_assert_eq(count_children(tc, "error"), 1);
    assert_attr(child(tc, "error"), "type", "interrupted");

    tc = testcase(zeta, "noisy");
    check_outcome(tc, NULL, NULL, NULL);
    so = text_of(tc, "system-out");
    cr_assert_not_null(strstr(so, "\nred"), "colour codes gone: %s", so);
    cr_assert_not_null(strstr(so, FFFD "after"), "NUL replaced: %s", so);
    cr_assert_not_null(strstr(so, "after" FFFD FFFD " end\n"),
                       "bad bytes replaced: %s", so);
    cr_assert_not_null(strstr(so, "[isotest] 12345 more bytes were cut"), "%s",
                       so);
    free(so);
    char *se = text_of(tc, "system-err");
    cr_assert_str_eq(se, "warn" FFFD "ing\n");
    free(se);
}

Test(junit, full_report, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[N_RESULTS];
    struct run_info ri = info();
    struct junit_property extra[] = {{"ci.job", "42"}};
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);

    make_results(r);
    cr_assert_eq(junit_write(path, r, N_RESULTS, &ri, extra, 1, &e), 0, "%s",
                 e.msg);
    release_results(r, N_RESULTS);

    /* Raw bytes: nothing a consumer would choke on. */
    char *raw;
    size_t len;
    cr_assert_eq(fs_read_file(path, &raw, &len, &e), 0, "%s", e.msg);
    cr_assert_null(memchr(raw, '\0', len), "NUL byte in the report");
    cr_assert_null(memchr(raw, 0x1b, len), "ESC byte in the report");
    free(raw);

    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc, "the report is not well-formed XML");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_assert_str_eq((const char *)root->name, "testsuites");
    assert_attr(root, "tests", "7");
    assert_attr(root, "failures", "1");
    assert_attr(root, "errors", "3");
    assert_time_attr(root);
    assert_attr(root, "time", "2.500");

    cr_assert_eq(count_children(root, "testsuite"), 2);
    xmlNodePtr zeta = xmlFirstElementChild(root);
    xmlNodePtr alpha = xmlNextElementSibling(zeta);
    check_suite_attrs(zeta, "zeta", "4", "0", "1", "1");
    check_suite_attrs(alpha, "alpha", "3", "1", "2", "0");
    assert_attr(zeta, "time", "0.255"); /* wall: 10 ms to 265 ms */
    assert_attr(zeta, "timestamp", "2026-01-02T03:04:05");
    assert_attr(zeta, "hostname", "ci-runner");
    cr_assert_eq(count_children(zeta, "testcase"), 4);
    cr_assert_eq(count_children(alpha, "testcase"), 3);
    check_testcases(zeta, alpha);
    validate_against_xsd(doc);
    xmlFreeDoc(doc);
    free(path);
}

Test(junit, comparison_with_last_run, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[3];
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);

    ri.prev_wall_ms = 2000;
    ri.slower_ratio = 1.5;
    ri.slower_min_ms = 100;
    r[0] = result("s", "slower", "s/slower.sql", OUTCOME_PASSED, 900, NULL);
    r[0].prev_ms = 300;
    r[1] = result("s", "steady", "s/steady.sql", OUTCOME_PASSED, 310, NULL);
    r[1].prev_ms = 300;
    r[2] = result("s", "new", "s/new.sql", OUTCOME_PASSED, 5000, NULL);
    cr_assert_eq(junit_write(path, r, 3, &ri, NULL, 0, &e), 0, "%s", e.msg);
    release_results(r, 3);

    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    xmlNodePtr props =
        child(xmlFirstElementChild(xmlDocGetRootElement(doc)), "properties");
    char *prev = property(props, "isotest.previous_wall_ms");
    char *change = property(props, "isotest.wall_change_pct");
    char *slower = property(props, "isotest.slower_cases");
    cr_assert_not_null(prev);
    cr_assert_eq(strtod(prev, NULL), 2000);
    cr_assert_str_eq(change, "+25.0");
    cr_assert_str_eq(slower, "slower");
    free(prev);
    free(change);
    free(slower);
    validate_against_xsd(doc);
    xmlFreeDoc(doc);
    free(path);
}

Test(junit, names_are_escaped_and_sanitised, .init = make_tmp,
     .fini = remove_tmp)
{
    static const char suite[] = "a<b&c\"d'e";
    struct test_result r;
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);

    ri.hostname = "host\x1b[1m\xff";
    r = result(suite, "name\x01]]>", "f.sql", OUTCOME_FAILED, 1,
               "message with\nnewline & <tag> \x1b[31mred\x1b[0m");
    cr_assert_eq(junit_write(path, &r, 1, &ri, NULL, 0, &e), 0, "%s", e.msg);
    result_release(&r);

    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc, "the report is not well-formed XML");
    xmlNodePtr s = xmlFirstElementChild(xmlDocGetRootElement(doc));
    assert_attr(s, "name", suite);
    assert_attr(s, "hostname", "host" FFFD);
    xmlNodePtr tc = testcase(s, "name" FFFD "]]>");
    assert_attr(child(tc, "failure"), "message",
                "message with\nnewline & <tag> red");
    validate_against_xsd(doc);
    xmlFreeDoc(doc);
    free(path);
}

Test(junit, empty_run, .init = make_tmp, .fini = remove_tmp)
{
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/empty.xml", tmp);

    cr_assert_eq(junit_write(path, NULL, 0, &ri, NULL, 0, &e), 0, "%s", e.msg);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    xmlNodePtr root = xmlDocGetRootElement(doc);
    cr_assert_str_eq((const char *)root->name, "testsuites");
    assert_attr(root, "tests", "0");
    cr_assert_eq(count_children(root, "testsuite"), 0);
    validate_against_xsd(doc);
    xmlFreeDoc(doc);
    free(path);
}

Test(junit, long_file_path_is_kept_whole, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r;
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);
    char file[1601];

    /* Paths up to PATH_MAX are ordinary; 1600 bytes is well within it. */
    memset(file, 'd', 1596);
    memcpy(file + 1596, ".sql", 5);
    r = result("s", "long", file, OUTCOME_PASSED, 1, NULL);
    r.out.data = xstrdup("first line of output\n");
    r.out.len = strlen(r.out.data);
    cr_assert_eq(junit_write(path, &r, 1, &ri, NULL, 0, &e), 0, "%s", e.msg);
    result_release(&r);

    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc);
    xmlNodePtr suite = xmlFirstElementChild(xmlDocGetRootElement(doc));
    char *so = text_of(testcase(suite, "long"), "system-out");
    char *want = xasprintf("[isotest] file=%s worker=1", file);
    char *nl = strchr(so, '\n');
    cr_expect_eq(strncmp(so, want, strlen(want)), 0,
                 "the file name was cut: first line has %zu bytes",
                 nl ? (size_t)(nl - so) : strlen(so));
    cr_expect_not_null(strstr(so, "sandbox=isotest_deadbeef_1 "
                                  "acquire_ms=3.00 release_ms=2.00 id=long\n"
                                  "first line of output\n"),
                       "the output must start on its own line");
    free(want);
    free(so);
    xmlFreeDoc(doc);
    free(path);
}

/* Names in folder dir, besides "." and "..". */
static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;

    cr_assert_not_null(d);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

Test(junit, missing_folder_fails_cleanly, .init = make_tmp, .fini = remove_tmp)
{
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/missing/report.xml", tmp);

    cr_assert_eq(junit_write(path, NULL, 0, &ri, NULL, 0, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, path), "%s", e.msg);
    cr_assert_eq(entries(tmp), 0, "something was left in %s", tmp);
    isotest_err_release(&e);
    free(path);
}

Test(junit, failed_rename_leaves_no_temp_file, .init = make_tmp,
     .fini = remove_tmp)
{
    struct run_info ri = info();
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.xml", tmp);

    /* A folder where the report should go: the final rename fails. */
    cr_assert_eq(mkdir(path, 0755), 0);
    cr_assert_eq(junit_write(path, NULL, 0, &ri, NULL, 0, &e), -1);
    cr_assert_not_null(strstr(e.msg, path), "%s", e.msg);
    cr_assert_eq(entries(tmp), 1, "a temporary file was left in %s", tmp);
    isotest_err_release(&e);
    free(path);
}
