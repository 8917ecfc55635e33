/*
 * test_integration_retries.c: --retries, --fail-on-flaky, --tap and the
 * GitHub Actions annotations, on a real server.
 *
 * Fixtures: tests/fixtures/flaky_retry (flaky.sh fails on its first try
 * and passes on the second, checking that its sandbox is a fresh one;
 * always.sh fails on every try), flaky_interrupt (a retry that hangs) and
 * flaky_lines (SQL cases failing on a known line, in process and through
 * psql).  The scripts count their tries in files of the scratch folder
 * named by $FLAKY_DIR, which the run's environment passes on to them.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "runner/tap.h"

#define FX FIXTURES "/"

TestSuite(retries, .fini = itest_teardown, .timeout = 150);

/* How many times `needle` occurs in `text`. */
static size_t occurrences(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/*
 * The file's lines (sandbox names, one per try): `want` of them, all
 * different, each named in the JUnit report.
 */
static void assert_tries(const char *tries, size_t want, const char *junit)
{
    char *text = itest_read_file(tries);
    char *report = itest_read_file(junit);
    char *lines[8];
    size_t n = 0;

    for (char *p = text, *nl; *p && n < 8; p = nl + 1) {
        nl = strchr(p, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        lines[n++] = p;
    }
    cr_assert_eq(n, want, "%zu tries, expected %zu:\n%s", n, want, text);
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++)
            cr_assert_str_neq(lines[i], lines[k], "two tries in one sandbox");
        /* A try's first line ends with it; the case's has its times next. */
        char *named = xasprintf("sandbox=%s\n", lines[i]);
        char *last = xasprintf("sandbox=%s acquire_ms=", lines[i]);
        cr_assert(strstr(report, named) || strstr(report, last),
                  "%s not in the report", lines[i]);
        free(named);
        free(last);
    }
    free(report);
    free(text);
}

/*
 * A case that passes on its second try: the run passes, the case is
 * flaky in the console, the JUnit report and the history; with
 * --fail-on-flaky the same run fails, and `--tap -` makes stdout pure TAP.
 */
Test(retries, flaky_case_passes_on_a_retry)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    char *hist = itest_tmpfile("history");
    char *dir = itest_tmpsubdir("one");
    char *tries = xasprintf("%s/flaky.tries", dir);
    char *env = xasprintf("FLAKY_DIR=%s", dir);
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--db", ci, "--history", hist, "--retries", "2",
                   "--junit", junit, "--filter", "*/flaky.sh",
                   FX "flaky_retry"),
              ARGV(env));
    itest_assert_exit(&r, 0, "a run whose case passed on a retry");
    char *last = itest_last_line(r.out);
    cr_assert_str_eq(last, "1 passed, 0 failed, 0 skipped, 1 flaky");
    free(last);
    cr_assert(strstr(r.out, "RETRY   flaky_retry/flaky.sh (try 1: exit code "
                            "1)\n"),
              "%s", r.out);
    cr_assert(strstr(r.out, "\nFlaky cases (passed on a retry):\n"
                            "  flaky_retry/flaky.sh  passed on try 2; try 1: "
                            "exit code 1\n"),
              "%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 1);
    cr_assert_eq(jc.failures + jc.errors, 0);
    itest_assert_case(junit, "flaky.sh", "passed", NULL);
    char *report = itest_read_file(junit);
    cr_assert_eq(occurrences(report, "<flakyFailure type=\"failed\" "
                                     "message=\"exit code 1\">"),
                 1, "%s", report);
    cr_assert(strstr(report, "tries=2 total_ms="), "%s", report);
    free(report);
    assert_tries(tries, 2, junit);
    char *h = itest_read_file(hist);
    cr_assert(strstr(h, "\nflaky_retry/flaky.sh\t") && strstr(h, "\tflaky\n"),
              "no flaky mark in the history:\n%s", h);
    free(h);
    itest_result_release(&r);

    /* Again (fresh tries), reading that history: --fail-on-flaky fails. */
    char *dir2 = itest_tmpsubdir("two");
    char *env2 = xasprintf("FLAKY_DIR=%s", dir2);
    itest_run(&r,
              ARGV("run", "--db", ci, "--history", hist, "--retries", "2",
                   "--fail-on-flaky", "--tap", "-", "--filter", "*/flaky.sh",
                   FX "flaky_retry"),
              ARGV(env2));
    itest_assert_exit(&r, 1, "--fail-on-flaky with a flaky case");
    cr_assert_str_eq(r.out, "TAP version 14\n1..1\n"
                            "ok 1 - flaky_retry/flaky.sh\n"
                            "# flaky: passed on try 2\n");
    struct tap_result t;
    tap_parse(r.out, strlen(r.out), &t);
    cr_assert(tap_passed(&t));
    tap_release(&t);
    /* The console went to stderr (notes may follow its summary there). */
    last = itest_line_starting(r.err, "1 passed, ");
    cr_assert_str_eq(last ? last : "(none)",
                     "1 passed, 0 failed, 0 skipped, 1 flaky", "%s", r.err);
    free(last);
    cr_assert(strstr(r.err, "--fail-on-flaky: this case fails the run\n"), "%s",
              r.err);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(env2);
    free(dir2);
    free(env);
    free(tries);
    free(dir);
    free(hist);
    free(junit);
}

/* A case that fails every try: three tries, each in its own sandbox. */
Test(retries, failing_case_fails_every_try)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    char *dir = itest_tmpsubdir("tries");
    char *tries = xasprintf("%s/always.tries", dir);
    char *env = xasprintf("FLAKY_DIR=%s", dir);
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci,
                 ARGV("--retries", "2", "--junit", junit, "--filter",
                      "*/always.sh", FX "flaky_retry"),
                 ARGV(env));
    itest_assert_exit(&r, 1, "a case that fails every try");
    itest_assert_summary(&r, "0 passed, 1 failed, 0 skipped");
    cr_assert_eq(occurrences(r.out, "RETRY   flaky_retry/always.sh"), 2, "%s",
                 r.out);
    cr_assert(strstr(r.out, "    failed on every one of 3 tries\n"), "%s",
              r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.failures, 1);
    itest_assert_case(junit, "always.sh", "failure", "exit code 4");
    char *report = itest_read_file(junit);
    cr_assert_eq(occurrences(report, "<rerunFailure type=\"failed\" "
                                     "message=\"exit code 4\">"),
                 2, "%s", report);
    cr_assert_eq(occurrences(report, "<flaky"), 0);
    cr_assert(strstr(report, "tries=3 total_ms="), "%s", report);
    free(report);
    assert_tries(tries, 3, junit);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(env);
    free(tries);
    free(dir);
    free(junit);
}

/* Ctrl-C while a retry runs ends it like any case; no try follows. */
Test(retries, interrupt_stops_retries)
{
    const char *ci = itest_cluster_start();
    char *dir = itest_tmpsubdir("tries");
    char *tries = xasprintf("%s/hang.tries", dir);
    char *pids = xasprintf("%s/pids", dir);
    char *env = xasprintf("FLAKY_DIR=%s", dir);
    struct itest_bg b;
    struct itest_result r;

    itest_bg_start(&b, "run",
                   ARGV("run", "--db", ci, "--no-history", "--retries", "5",
                        FX "flaky_interrupt"),
                   ARGV(env));
    for (int i = 0; itest_count_lines(pids) < 1; i++) {
        cr_assert(itest_bg_alive(&b), "the run ended before its retry hung");
        cr_assert(i < ITEST_WAIT_S * 20, "no retry after %d s", ITEST_WAIT_S);
        itest_sleep_ms(50);
    }
    cr_assert(kill(b.pid, SIGINT) == 0);
    itest_bg_finish(&b, &r);
    itest_assert_exit(&r, 130, "a run interrupted during a retry");
    cr_assert_eq(itest_count_lines(tries), 2, "a try started after Ctrl-C");
    itest_assert_pids_gone(pids, 1);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    itest_bg_release(&b);
    free(env);
    free(pids);
    free(tries);
    free(dir);
}

/*
 * Under GitHub Actions each failed case is an ::error command naming its
 * file and the line that failed, whether isotest or psql ran it.
 */
Test(retries, github_annotations_name_the_line)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(FX "flaky_lines"),
                 ARGV("GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=/nowhere"));
    itest_assert_exit(&r, 1, "two failing SQL cases");
    itest_assert_summary(&r, "0 passed, 2 failed, 0 skipped");
    static const char *const want[] = {
        "::error file=" FX "flaky_lines/in_process.sql,line=4,"
        "title=flaky_lines/in_process::" FX
        "flaky_lines/in_process.sql:4: ERROR: ",
        "::error file=" FX "flaky_lines/through_psql.sql,line=6,"
        "title=flaky_lines/through_psql::" FX
        "flaky_lines/through_psql.sql:6: ERROR: "};
    for (size_t i = 0; i < 2; i++) {
        char *line = itest_line_starting(r.out, want[i]);
        cr_assert_not_null(line, "no '%s' in\n%s", want[i], r.out);
        cr_assert(strstr(line, "does not exist"), "%s", line);
        free(line);
    }
    cr_assert_eq(occurrences(r.out, "\n::error "), 2, "%s", r.out);
    itest_result_release(&r);
}
