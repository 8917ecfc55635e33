/*
 * test_integration_pgtap.c: pgTAP xUnit test functions as cases
 * (--pgtap-functions, --pgtap-batch) and plain SQL cases that call
 * runtests() (TAP 14 subtests), against a real server.
 *
 * Fixtures: tests/fixtures/pgtap_funcs (migrations creating pgtap, a
 * table, a startup, a setup and a teardown function, nine test functions:
 * one fails an assertion, one dies, one skips; two SQL cases calling
 * runtests(), one with the failing function among its own) and
 * tests/fixtures/pgtap_funcs_poison (functions that end their session or
 * leave session state behind, for batch mode).  Runs pass --no-history,
 * so cases start in id order.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define SUITE FIXTURES "/pgtap_funcs"
#define POISON FIXTURES "/pgtap_funcs_poison"

TestSuite(pgtap, .fini = itest_teardown, .timeout = 150);

/* The verdicts every mode must give the pgtap_funcs suite. */
static void assert_suite_verdicts(const char *junit)
{
    struct itest_junit jc;
    struct itest_case c;

    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 11, "tests %ld", jc.tests);
    itest_assert_case(junit, "test_deposit", "passed", NULL);
    itest_assert_case(junit, "test_schema", "passed", NULL);
    itest_assert_case(junit, "test_owner_names", "passed", NULL);
    itest_assert_case(junit, "test_negative_refused", "passed", NULL);
    /* setup's rows and startup's row are there; nothing of other tests. */
    itest_assert_case(junit, "test_setup_rows", "passed", NULL);
    itest_assert_case(junit, "test_changes_rolled_back", "passed", NULL);
    itest_assert_case(junit, "test_wrong_balance", "failure",
                      "1 of 1 TAP tests failed in "
                      "public.test_wrong_balance()");
    itest_assert_case(junit, "test_dies", "failure",
                      "public.test_dies() died: P0001: boom in test_dies");
    itest_assert_case(junit, "test_later", "skipped",
                      "skipped: not written yet");
    itest_assert_case(junit, "runtests_passing", "passed", NULL);
    itest_assert_case(junit, "runtests_failing", "failure",
                      "1 of 3 TAP tests failed");

    /* teardown ran after the test, on the test's own rows. */
    itest_junit_case(junit, "test_changes_rolled_back", &c);
    cr_assert(strstr(c.out, "# teardown removed 3 accounts"), "%s", c.out);
    itest_case_release(&c);

    /* A failing function's diagnostics, in its subtest, in the report. */
    char *xml = itest_read_file(junit);
    /* (In schema mode the subtest names the sandbox's schema.) */
    cr_assert(strstr(xml, ".test_wrong_balance()\n"
                          "    not ok 1 - bob has 42\n"
                          "    # Failed test 1: &quot;bob has 42&quot;\n"
                          "    #         have: 5\n"
                          "    #         want: 42\n"),
              "no diagnostics in\n%s", xml);
    cr_assert(strstr(xml, "classname=\"pgtap_funcs.public\" "
                          "name=\"test_deposit\""),
              "no classname in\n%s", xml);
    free(xml);
}

static void run_suite(const char *mode, const char *const *extra)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    const char *args[16] = {"--pgtap-functions", "--isolation", mode, "-j", "2",
                            "--junit",           junit};
    size_t n = 7;
    struct itest_result r;

    for (; extra && *extra; extra++)
        args[n++] = *extra;
    args[n++] = SUITE;
    args[n] = NULL;
    itest_run_db(&r, ci, args, NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "7 passed, 3 failed, 1 skipped");
    cr_assert(strstr(r.out, "FAIL    pgtap_funcs/public.test_wrong_balance "),
              "no FAIL line with the function's id in\n%s", r.out);
    assert_suite_verdicts(junit);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(junit);
}

Test(pgtap, functions_in_database_mode)
{
    run_suite("database", NULL);
}

Test(pgtap, functions_in_schema_mode)
{
    run_suite("schema", NULL);
}

Test(pgtap, functions_in_batch_mode)
{
    run_suite("database", ARGV("--pgtap-batch", "100"));
}

/* The sandboxes of the report's cases, one "name" a line, in order. */
static char *sandboxes_of(const char *junit, const char *const *names)
{
    size_t len = 0;
    char *all = calloc(1, 1);

    for (; *names; names++) {
        struct itest_case c;
        itest_junit_case(junit, *names, &c);
        const char *s = strstr(c.out, "sandbox=");
        cr_assert_not_null(s, "no sandbox for %s in\n%s", *names, c.out);
        size_t n = strcspn(s + 8, " \n");
        all = realloc(all, len + n + 2);
        memcpy(all + len, s + 8, n);
        len += n;
        all[len++] = '\n';
        all[len] = '\0';
        itest_case_release(&c);
    }
    return all;
}

/*
 * Batch mode: one sandbox serves the functions of a worker until one of
 * them breaks it; the next then gets a fresh one, and session state a
 * function left (an advisory lock, a setting) is gone for the next.
 */
Test(pgtap, batch_mode_drops_a_broken_sandbox)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--pgtap-functions", "--pgtap-batch", "10", "-j", "1",
                      "--junit", junit, POISON),
                 NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "3 passed, 0 failed, 0 skipped, 1 error");
    itest_assert_case(junit, "test_a_plain", "passed", NULL);
    itest_assert_case(junit, "test_b_kills_its_session", "error",
                      "the connection to the sandbox was lost");
    itest_assert_case(junit, "test_c_leaves_session_state", "passed", NULL);
    itest_assert_case(junit, "test_d_sees_a_clean_session", "passed", NULL);
    char *sb =
        sandboxes_of(junit, ARGV("test_a_plain", "test_b_kills_its_session",
                                 "test_c_leaves_session_state",
                                 "test_d_sees_a_clean_session"));
    char *nl1 = strchr(sb, '\n'), *nl2 = strchr(nl1 + 1, '\n');
    char *nl3 = strchr(nl2 + 1, '\n');
    cr_assert(!strncmp(sb, nl1 + 1, (size_t)(nl1 - sb)),
              "a and b not in one sandbox:\n%s", sb);
    cr_assert(strncmp(nl1 + 1, nl2 + 1, (size_t)(nl2 - nl1)),
              "c reused b's broken sandbox:\n%s", sb);
    cr_assert(!strncmp(nl2 + 1, nl3 + 1, (size_t)(nl3 - nl2)),
              "c and d not in one sandbox:\n%s", sb);
    char *xml = itest_read_file(junit);
    cr_assert(strstr(xml, "not reused after this function"), "%s", xml);
    itest_assert_no_sandboxes(ci);
    free(xml);
    free(sb);
    free(junit);
    itest_result_release(&r);
}

Test(pgtap, filter_selects_one_function)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--pgtap-functions", "--filter",
                      "pgtap_funcs/public.test_deposit", SUITE),
                 NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    cr_assert(strstr(r.out, "pgtap_funcs/public.test_deposit"), "%s", r.out);
    itest_result_release(&r);

    /* A pattern of its own: only the functions it names, SQL cases too. */
    itest_run_db(&r, ci,
                 ARGV("--pgtap-functions=^test_(dep|sch)", "--filter",
                      "*public*", SUITE),
                 NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    itest_result_release(&r);
}

/* `list` builds the template on the embedded server, as `run` would. */
Test(pgtap, list_shows_one_id_per_function)
{
    struct itest_result r;

    itest_run(&r,
              ARGV("list", "--pgtap-functions", "--filter", "*test_d*",
                   "--filter", "*/sql/*", SUITE),
              NULL);
    itest_assert_exit(&r, 0, "the listing");
    cr_assert_str_eq(r.out, "pgtap_funcs/public.test_deposit\n"
                            "pgtap_funcs/public.test_dies\n"
                            "pgtap_funcs/sql/runtests_failing\n"
                            "pgtap_funcs/sql/runtests_passing\n");
    itest_result_release(&r);
}

/* A plain SQL case calling runtests() is judged by its subtests. */
Test(pgtap, sql_case_calling_runtests)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--migrations", SUITE "/migrations", SUITE "/sql"), NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "ok      sql/runtests_passing"), "%s", r.out);
    cr_assert(strstr(r.out, "1 of 3 TAP tests failed"), "%s", r.out);
    cr_assert(!strstr(r.out, "planned"), "%s", r.out);
    itest_result_release(&r);
}

Test(pgtap, bad_pattern_is_refused)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--pgtap-functions=(", SUITE), NULL);
    itest_assert_exit(&r, 2, "the run");
    cr_assert(strstr(r.err, "isotest: error: invalid value '(' for "
                            "--pgtap-functions: ERROR: invalid regular "
                            "expression"),
              "%s", r.err);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV("--pgtap-functions=^nothing_", POISON), NULL);
    itest_assert_exit(&r, 2, "the run");
    cr_assert(strstr(r.err, "no pgTAP function matching '^nothing_'"), "%s",
              r.err);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
}
