/*
 * test_integration_regress.c: the pg_regress workflow against a real
 * server -- results files, their labels in failures, --results-dir,
 * --ignore-space-change, and `isotest accept`.
 *
 * Every test copies its fixture suite into its scratch folder first (runs
 * write results/ beside expected/, and accept writes expected files):
 * tests/fixtures/regress_space (sql/ cases whose expected output differs
 * from psql's in trailing blanks, runs of blanks, a missing final newline,
 * and two real differences) and tests/fixtures/regress_accept (alpha
 * passes, beta's expected output is wrong, sql/sub/gamma has no expected
 * file yet).  Runs pass --db and --no-history.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

TestSuite(regress, .fini = itest_teardown, .timeout = 150);

/* What psql prints for the two cases that fail in regress_accept. */
#define BETA_OUT                                                               \
    "-- expected/beta.out says \"three\": the row holds \"two\".\n"            \
    "SELECT word FROM words WHERE id = 2;\n"                                   \
    " word \n------\n two\n(1 row)\n\n"
#define GAMMA_OUT                                                              \
    "-- A new test: no expected/sub/gamma.out yet.\n"                          \
    "SELECT count(*) AS words FROM words;\n"                                   \
    " words \n-------\n     3\n(1 row)\n\n"

/* The fixture suite `name`, copied into the scratch folder; freed by caller. */
static char *copy_suite(const char *name)
{
    char *src = xasprintf("%s/%s", FIXTURES, name);
    char *dst = itest_tmpfile(name);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_copy_tree(src, dst, false, 0, 0, &e), 0, "%s", e.msg);
    free(src);
    return dst;
}

/* Assert suite/rel holds exactly `want`. */
static void assert_file(const char *suite, const char *rel, const char *want)
{
    char *path = xasprintf("%s/%s", suite, rel);
    char *text = itest_read_file(path);

    cr_assert_str_eq(text, want, "%s holds:\n%s", path, text);
    free(text);
    free(path);
}

static bool exists(const char *suite, const char *rel)
{
    char *path = xasprintf("%s/%s", suite, rel);
    bool there = access(path, F_OK) == 0;

    free(path);
    return there;
}

/* stdout holds the line "<indent><prefix><suite>/<rel>". */
static void assert_label(const struct itest_result *r, const char *prefix,
                         const char *suite, const char *rel)
{
    char *line = xasprintf("    %s%s/%s\n", prefix, suite, rel);

    cr_assert_not_null(strstr(r->out, line), "no '%s' in\n%s", line, r->out);
    free(line);
}

/*
 * psql's blanks against hand-written expected files: exact fails all but
 * one; --ignore-space-change passes trailing blanks, runs of blanks and a
 * missing final newline, and still fails a changed value and a blank that
 * is gone ("a b" against "ab").
 */
Test(regress, ignore_space_change)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_suite("regress_space");
    char *junit = itest_tmpfile("space.xml");
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--junit", junit, suite), NULL);
    itest_assert_exit(&r, 1, "the exact run");
    itest_assert_summary(&r, "1 passed, 5 failed, 0 skipped");
    itest_assert_case(junit, "exact", "passed", NULL);
    itest_assert_case(junit, "trailing", "failure", "output differs from");
    itest_assert_case(junit, "runs", "failure", "output differs from");
    itest_assert_case(junit, "final", "failure", "output differs from");
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV("--ignore-space-change", "--junit", junit, suite),
                 NULL);
    itest_assert_exit(&r, 1, "the run with --ignore-space-change");
    itest_assert_summary(&r, "4 passed, 2 failed, 0 skipped");
    itest_assert_case(junit, "trailing", "passed", NULL);
    itest_assert_case(junit, "runs", "passed", NULL);
    itest_assert_case(junit, "final", "passed", NULL);
    itest_assert_case(junit, "real", "failure", "/expected/real.out");
    itest_assert_case(junit, "joined", "failure", "/expected/joined.out");
    /* Still a readable unified diff, of what differs beyond blanks. */
    assert_label(&r, "--- ", suite, "expected/real.out");
    assert_label(&r, "+++ ", suite, "results/real.out");
    cr_assert_not_null(strstr(r.out, "    -   3\n    +   2\n"), "%s", r.out);
    cr_assert_not_null(strstr(r.out, "    - ab\n    + a b\n"), "%s", r.out);
    /* The results file is the output as psql printed it. */
    assert_file(suite, "results/final.out",
                "-- Its expected output lacks the final newline.\n"
                "SELECT 7 AS n;\n n \n---\n 7\n(1 row)\n\n-- end\n");
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(junit);
    free(suite);
}

/*
 * Results files for a pass and for failures, holding the actual output;
 * the failures' diffs labelled with files a user can open; --results-dir
 * mirrors the suite below DIR and leaves the suite alone.
 */
Test(regress, results_files)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_suite("regress_accept");
    char *junit = itest_tmpfile("results.xml");
    struct itest_result r;
    struct itest_case beta;

    itest_run_db(&r, ci, ARGV("--junit", junit, suite), NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 2 failed, 0 skipped");
    char *alpha = xasprintf("%s/expected/alpha.out", suite);
    char *alpha_text = itest_read_file(alpha);
    assert_file(suite, "results/alpha.out", alpha_text);
    assert_file(suite, "results/beta.out", BETA_OUT);
    assert_file(suite, "results/sub/gamma.out", GAMMA_OUT);
    itest_junit_case(junit, "beta", &beta);
    cr_assert_not_null(strstr(beta.out, BETA_OUT), "system-out:\n%s", beta.out);
    itest_case_release(&beta);

    assert_label(&r, "--- ", suite, "expected/beta.out");
    assert_label(&r, "+++ ", suite, "results/beta.out");
    cr_assert_not_null(strstr(r.out, "    - three\n    + two\n"), "%s", r.out);
    char *missing = xasprintf("expected file %s/expected/sub/gamma.out is "
                              "missing; `isotest accept` creates it from "
                              "%s/results/sub/gamma.out",
                              suite, suite);
    cr_assert_not_null(strstr(r.out, missing), "no '%s' in\n%s", missing,
                       r.out);
    assert_label(&r, "--- ", suite, "expected/sub/gamma.out");
    assert_label(&r, "+++ ", suite, "results/sub/gamma.out");
    free(missing);
    itest_result_release(&r);

    /* --results-dir: DIR/<suite>/results/..., nothing beside expected/. */
    char *results = xasprintf("%s/results", suite);
    struct isotest_err e = ISOTEST_ERR_INIT;
    cr_assert_eq(fs_remove_tree(results, &e), 0, "%s", e.msg);
    char *dir = itest_tmpfile("out");
    itest_run_db(&r, ci, ARGV("--results-dir", dir, suite), NULL);
    itest_assert_exit(&r, 1, "the run with --results-dir");
    itest_assert_summary(&r, "1 passed, 2 failed, 0 skipped");
    cr_assert(!exists(suite, "results"), "results/ written in the suite");
    assert_file(dir, "regress_accept/results/alpha.out", alpha_text);
    assert_file(dir, "regress_accept/results/beta.out", BETA_OUT);
    assert_file(dir, "regress_accept/results/sub/gamma.out", GAMMA_OUT);
    assert_label(&r, "--- ", suite, "expected/beta.out");
    assert_label(&r, "+++ ", dir, "regress_accept/results/beta.out");
    itest_result_release(&r);

    /* accept reads them from there. */
    itest_run(&r, ARGV("accept", "--results-dir", dir, suite), NULL);
    itest_assert_exit(&r, 0, "accept --results-dir");
    assert_file(suite, "expected/sub/gamma.out", GAMMA_OUT);
    assert_file(suite, "expected/beta.out", BETA_OUT);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    free(dir);
    free(results);
    free(alpha_text);
    free(alpha);
    free(junit);
    free(suite);
}

/*
 * The workflow: a new sql/sub/gamma.sql fails (no expected file), accept
 * creates its expected file and fixes beta's, and the next run passes.
 */
Test(regress, accept_then_pass)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_suite("regress_accept");
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(suite), NULL);
    itest_assert_exit(&r, 1, "the first run");
    itest_assert_summary(&r, "1 passed, 2 failed, 0 skipped");
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", suite), NULL);
    itest_assert_exit(&r, 0, "accept");
    char *want = xasprintf(
        "accepted %s/results/beta.out -> %s/expected/beta.out\n"
        "accepted %s/results/sub/gamma.out -> %s/expected/sub/gamma.out (new)\n"
        "2 expected files written (1 new, 1 updated)\n",
        suite, suite, suite, suite);
    cr_assert_str_eq(r.out, want);
    free(want);
    assert_file(suite, "expected/beta.out", BETA_OUT);
    assert_file(suite, "expected/sub/gamma.out", GAMMA_OUT);
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV(suite), NULL);
    itest_assert_exit(&r, 0, "the run after accept");
    itest_assert_summary(&r, "3 passed, 0 failed, 0 skipped");
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", suite), NULL);
    itest_assert_exit(&r, 0, "accept with nothing to accept");
    cr_assert_str_eq(r.out, "nothing to accept: all 3 results files match "
                            "the expected output\n");
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    free(suite);
}

/* accept --filter writes only the matching cases' expected files. */
Test(regress, accept_filter)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_suite("regress_accept");
    char *beta = xasprintf("%s/expected/beta.out", suite);
    char *beta_before = itest_read_file(beta);
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(suite), NULL);
    itest_assert_exit(&r, 1, "the first run");
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", "--filter", "*/sub/*", suite), NULL);
    itest_assert_exit(&r, 0, "accept --filter");
    cr_assert_null(strstr(r.out, "beta"), "beta accepted:\n%s", r.out);
    cr_assert_not_null(strstr(r.out, "1 expected file written (1 new, 0 "
                                     "updated)\n"),
                       "%s", r.out);
    assert_file(suite, "expected/beta.out", beta_before);
    assert_file(suite, "expected/sub/gamma.out", GAMMA_OUT);
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", "--filter", "no/such/*", suite), NULL);
    itest_assert_exit(&r, 0, "accept --filter matching nothing");
    cr_assert_str_eq(r.out, "nothing to accept: no expected-output case "
                            "matches the --filter given\n");
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV(suite), NULL);
    itest_assert_exit(&r, 1, "the run after accept --filter");
    itest_assert_summary(&r, "2 passed, 1 failed, 0 skipped");
    cr_assert_not_null(strstr(r.out, "FAIL    regress_accept/sql/beta"), "%s",
                       r.out);
    itest_result_release(&r);
    free(beta_before);
    free(beta);
    free(suite);
}

/*
 * What accept refuses (exit 2, the PATH named, nothing written), and a
 * suite that was never run: nothing to accept, exit 0.
 */
Test(regress, accept_refuses_and_says_nothing)
{
    char *suite = copy_suite("regress_accept");
    char *missing = itest_tmpfile("no-such-suite");
    char *plain = itest_tmpsubdir("plain");
    char *plain_sql = xasprintf("%s/one.sql", plain);
    struct itest_result r;

    itest_write_file(plain_sql, "SELECT 1;\n", 0644);
    itest_run(&r, ARGV("accept", suite, missing), NULL);
    itest_assert_exit(&r, 2, "accept of a missing PATH");
    cr_assert_not_null(strstr(r.err, missing), "%s", r.err);
    cr_assert_str_eq(r.out, "");
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", plain), NULL);
    itest_assert_exit(&r, 2, "accept of a folder without expected output");
    char *want = xasprintf("isotest: error: '%s' is not a suite with expected "
                           "output",
                           plain);
    cr_assert(!strncmp(r.err, want, strlen(want)), "%s", r.err);
    free(want);
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", "--results-dir", plain_sql, suite), NULL);
    itest_assert_exit(&r, 2, "accept --results-dir FILE");
    cr_assert_not_null(strstr(r.err, "not a folder"), "%s", r.err);
    itest_result_release(&r);

    itest_run(&r, ARGV("accept", suite), NULL);
    itest_assert_exit(&r, 0, "accept before any run");
    cr_assert_str_eq(r.out, "nothing to accept: no results file yet for the "
                            "3 cases (run the suite first)\n");
    itest_result_release(&r);
    cr_assert(!exists(suite, "expected/sub"), "accept wrote without results");
    cr_assert(!exists(suite, "results"));
    free(plain_sql);
    free(plain);
    free(missing);
    free(suite);
}
