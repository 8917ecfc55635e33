/*
 * test_integration_reports.c: one id spelling across a run's outputs,
 * the HTML timeline, and the messages that quote the culprit.
 *
 *   ids_everywhere         console, JUnit (id= on the first system-out
 *                          line, valid against the XSD, wall-time suite
 *                          time and isotest.case_time_s), history and
 *                          the HTML page (names on bars, failure table)
 *   filter_without_suite   --filter 'tap/x*' for run and list matches
 *                          ids under the suite's tap/ folder
 *   bad_db_value           libpq's words for a --db that does not parse
 *   compare_with_not_junit a file that is not a JUnit report, one missing
 *   history_not_saved      a warning with a hint, the exit code the cases'
 *   history_older_spelling an old "classname::name" history is read and
 *                          rewritten with ids
 *
 * Fixture: tests/fixtures/ids_report/ids (ok, tap/bad fails, tap/slow
 * sleeps 0.4 s).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define SUITE FIXTURES "/ids_report/ids"

TestSuite(reports, .fini = itest_teardown, .timeout = 150);

Test(reports, ids_everywhere)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("r.xml"), *html = itest_tmpfile("t.html");
    char *hist = itest_tmpfile("hist");
    struct itest_result r;
    struct itest_junit jc;
    struct itest_case c;

    itest_run(&r,
              ARGV("run", "--db", ci, "-j", "2", "--junit", junit, "--html",
                   html, "--history", hist, SUITE),
              NULL);
    itest_assert_exit(&r, 1, "a run with a failing case");
    itest_assert_summary(&r, "2 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "ids/tap/bad"), "%s", r.out);

    itest_junit_check(junit, &jc); /* valid against the XSD */
    cr_assert_eq(jc.tests, 3);
    itest_junit_case(junit, "slow", &c);
    char *first = strndup(c.out, strcspn(c.out, "\n"));
    size_t fl = strlen(first);
    cr_assert(fl > 16 && !strcmp(first + fl - 16, " id=ids/tap/slow"),
              "first line: %s", first);
    free(first);
    itest_case_release(&c);
    char *sum = itest_junit_property(junit, "isotest.case_time_s");
    cr_assert_not_null(sum);
    cr_assert_geq(strtod(sum, NULL), 0.4, "case time sum %s", sum);
    free(sum);
    char *xml = itest_read_file(junit);
    const char *st = strstr(xml, "<testsuite name=\"ids\"");
    cr_assert_not_null(st);
    st = strstr(st, " time=\"");
    cr_assert(st && strtod(st + 7, NULL) >= 0.4, "suite time");
    free(xml);

    char *h = itest_read_file(hist);
    cr_assert(strstr(h, "\nids/tap/slow\t") && strstr(h, "\nids/ok\t") &&
                  !strstr(h, "::"),
              "history:\n%s", h);
    free(h);

    char *page = itest_read_file(html);
    cr_assert_not_null(strstr(page, "class=\"bar\">ids/tap/slow</text>"),
                       "no name on the slow bar:\n%s", page);
    cr_assert_not_null(strstr(page, "set-up (server start, template): "));
    cr_assert_not_null(strstr(page, "<h2>Failures (1)</h2>"));
    const char *row = strstr(page, "<tr><td>ids/tap/bad</td>");
    cr_assert_not_null(row, "no failure row:\n%s", page);
    cr_assert(strstr(row, "failed</td>") && strstr(row, "division by zero"),
              "%s", row);
    cr_assert_null(strstr(page, "<script"));
    free(page);
    itest_result_release(&r);
    free(junit);
    free(html);
    free(hist);
}

Test(reports, filter_without_suite)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--filter", "tap/*", SUITE), NULL);
    itest_assert_exit(&r, 1, "the tap cases, one failing");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    cr_assert_null(strstr(r.out, "ids/ok"), "%s", r.out);
    itest_result_release(&r);

    itest_run(&r, ARGV("list", "--filter", "tap/s*", SUITE), NULL);
    itest_assert_exit(&r, 0, "list");
    cr_assert_str_eq(r.out, "ids/tap/slow\n");
    itest_result_release(&r);
    /* The whole id still selects. */
    itest_run(&r, ARGV("list", "--filter", "ids/tap/b*", SUITE), NULL);
    cr_assert_str_eq(r.out, "ids/tap/bad\n");
    itest_result_release(&r);
}

Test(reports, bad_db_value)
{
    struct itest_result r;

    itest_run(&r, ARGV("run", "--db", "not a url ===", SUITE), NULL);
    itest_assert_exit(&r, 2, "a --db that does not parse");
    cr_assert_not_null(strstr(r.err, "invalid --db value 'not a url ===': "
                                     "missing \"=\" after \"not\""),
                       "%s", r.err);
    itest_result_release(&r);

    itest_run(
        &r, ARGV("run", "--db", "postgresql://u:t0ps3cret@h/db?nope=1", SUITE),
        NULL);
    itest_assert_exit(&r, 2, "an unknown URL parameter");
    cr_assert_not_null(strstr(r.err, "invalid URI query parameter: \"nope\""),
                       "%s", r.err);
    cr_assert_null(strstr(r.err, "t0ps3cret"), "%s", r.err);
    cr_assert_null(strstr(r.out, "t0ps3cret"), "%s", r.out);
    itest_result_release(&r);
}

Test(reports, compare_with_not_junit)
{
    char *text = itest_tmpfile("notes.txt");
    char *missing = itest_tmpfile("missing.xml");
    struct itest_result r;

    itest_write_file(text, "root:x:0:0:root:/root:/bin/sh\n", 0644);
    itest_run(&r, ARGV("run", "--compare-with", text, SUITE), NULL);
    itest_assert_exit(&r, 2, "--compare-with a text file");
    char *want = xasprintf("--compare-with: '%s' is not a JUnit report", text);
    cr_assert_not_null(strstr(r.err, want), "%s", r.err);
    free(want);
    itest_result_release(&r);

    itest_run(&r, ARGV("run", "--compare-with", missing, SUITE), NULL);
    itest_assert_exit(&r, 2, "--compare-with a missing file");
    cr_assert(strstr(r.err, "cannot read") && strstr(r.err, missing), "%s",
              r.err);
    itest_result_release(&r);
    free(text);
    free(missing);
}

Test(reports, history_not_saved)
{
    const char *ci = itest_cluster_start();
    char *hist = itest_tmpfile("no/such/folder/hist");
    struct itest_result r;

    itest_run(
        &r, ARGV("run", "--db", ci, "--history", hist, "--filter", "ok", SUITE),
        NULL);
    itest_assert_exit(&r, 0, "a passing run whose history cannot be saved");
    cr_assert_not_null(strstr(r.err, "isotest: warning: cannot save the run "
                                     "history"),
                       "%s", r.err);
    cr_assert(strstr(r.err, hist), "the path is not named:\n%s", r.err);
    cr_assert(strstr(r.err, "hint: ") && strstr(r.err, "--history FILE") &&
                  strstr(r.err, "--no-history"),
              "%s", r.err);
    cr_assert_null(strstr(r.err, "error:"), "%s", r.err);
    itest_result_release(&r);
    free(hist);
}

Test(reports, history_older_spelling)
{
    const char *ci = itest_cluster_start();
    char *hist = itest_tmpfile("old-hist");
    struct itest_result r;

    /* As isotest wrote it before ids: classname::name. */
    itest_write_file(hist,
                     "# isotest history 1\nwall_ms\t900.0\n"
                     "ids::ok\t5.0\nids.tap::slow\t400.0\nids.tap::bad\t7.0\n",
                     0644);
    itest_run(
        &r, ARGV("run", "--db", ci, "--history", hist, "--filter", "ok", SUITE),
        NULL);
    itest_assert_exit(&r, 0, "the run");
    char *h = itest_read_file(hist);
    /* ok is rewritten under its id; the others keep what was known. */
    cr_assert(strstr(h, "\nids/ok\t") && !strstr(h, "ids::ok") &&
                  strstr(h, "\nids.tap::slow\t400.0\n"),
              "%s", h);
    free(h);
    itest_result_release(&r);
    free(hist);
}
