/*
 * test_integration_sqlexec.c: plain SQL cases run over isotest's own
 * connection instead of psql (runner/sqlexec.h), against a real server.
 *
 * What must hold: the error names the file and the line the server points
 * at; statements commit one by one as under psql -f (VACUUM and CREATE
 * INDEX CONCURRENTLY work); files using psql's own features still run
 * through psql; rows come out as psql -t -A prints them, so TAP decides;
 * a timeout cancels the statement and leaves no sandbox; notices reach
 * the report; output is capped; --always-psql turns all of it off.
 *
 * Each test writes its suite into its scratch folder and runs isotest on a
 * private server with --db.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

TestSuite(sqlexec, .fini = itest_teardown, .timeout = 150);

/* Write SUITE/cases/<name> (the suite is the scratch folder). */
static void put_case(const char *name, const char *text)
{
    char *dir = itest_tmpfile("cases");
    char *path = xasprintf("%s/%s", dir, name);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_mkdirs(dir, 0755, &e), 0, "%s", e.msg);
    cr_assert_eq(fs_write_atomic(path, text, strlen(text), &e), 0, "%s", e.msg);
    free(path);
    free(dir);
}

/* run --db CI --no-history --junit SUITE/report.xml [extra] SUITE */
static char *run_suite(struct itest_result *r, const char *ci,
                       const char *extra1, const char *extra2)
{
    char *junit = itest_tmpfile("report.xml");
    const char *args[12];
    int n = 0;

    args[n++] = "run";
    args[n++] = "--db";
    args[n++] = ci;
    args[n++] = "--no-history";
    args[n++] = "--junit";
    args[n++] = junit;
    if (extra1)
        args[n++] = extra1;
    if (extra2)
        args[n++] = extra2;
    args[n++] = itest_tmpdir();
    args[n] = NULL;
    itest_run(r, args, NULL);
    cr_assert(r->code == 0 || r->code == 1,
              "exit code %d\nstdout:\n%s\nstderr:\n%s", r->code, r->out,
              r->err);
    return junit;
}

/* The failing statement spans lines 4 to 6; the server points at line 5. */
static const char BAD_SQL[] = "-- a comment\n"
                              "SELECT 1;\n"
                              "\n"
                              "SELECT *\n"
                              "  FROM no_such_table\n"
                              "  WHERE true;\n"
                              "SELECT 1/0;\n";

Test(sqlexec, error_names_the_line_the_server_points_at)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    put_case("bad.sql", BAD_SQL);
    char *junit = run_suite(&r, ci, NULL, NULL);
    itest_assert_summary(&r, "0 passed, 1 failed, 0 skipped");
    itest_assert_case(junit, "bad", "failure",
                      "cases/bad.sql:5: ERROR: relation \"no_such_table\" "
                      "does not exist (SQLSTATE 42P01)");
    /* ON_ERROR_STOP: the division by zero after it never ran. */
    struct itest_case c;
    itest_junit_case(junit, "bad", &c);
    cr_assert(!strstr(c.err, "division by zero"), "ran on: %s", c.err);
    cr_assert(strstr(c.err, "LOCATION:"), "not verbose: %s", c.err);
    itest_case_release(&c);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, always_psql_runs_the_file_through_psql)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    put_case("bad.sql", BAD_SQL);
    char *junit = run_suite(&r, ci, "--always-psql", NULL);
    /* psql names the line where the statement ended. */
    itest_assert_case(junit, "bad", "failure",
                      "cases/bad.sql:6: ERROR: relation \"no_such_table\" "
                      "does not exist (SQLSTATE 42P01)");
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, statements_commit_one_by_one)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    /* Each of these fails inside a transaction block. */
    put_case("outside.sql",
             "CREATE TABLE t (a int);\n"
             "INSERT INTO t SELECT generate_series(1, 100);\n"
             "VACUUM t;\n"
             "CREATE INDEX CONCURRENTLY t_a ON t (a);\n"
             "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
             "BEGIN ATOMIC\n"
             "  SELECT 1;\n"
             "  SELECT CASE WHEN true THEN 2 END;\n"
             "END;\n"
             "DO $$ BEGIN IF f() <> 2 THEN RAISE EXCEPTION 'f() = %', f(); "
             "END IF; END $$;\n");
    char *junit = run_suite(&r, ci, NULL, NULL);
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_assert_case(junit, "outside", "passed", NULL);
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, psql_features_still_go_to_psql)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    put_case("vars.sql", "\\set expected 2\n"
                         "CREATE TABLE v AS SELECT :expected AS n;\n"
                         "DO $$ BEGIN IF (SELECT n FROM v) <> 2 THEN "
                         "RAISE EXCEPTION 'n'; END IF; END $$;\n");
    put_case("copy.sql", "CREATE TABLE t (a int);\n"
                         "COPY t FROM STDIN;\n"
                         "1\n"
                         "2\n"
                         "\\.\n"
                         "DO $$ BEGIN IF (SELECT count(*) FROM t) <> 2 THEN "
                         "RAISE EXCEPTION 'count'; END IF; END $$;\n");
    char *junit = run_suite(&r, ci, NULL, NULL);
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, rows_are_printed_as_psql_prints_them)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    /* TAP decides: the plan and the results come out as rows. */
    put_case("tap_pass.sql", "SELECT '1..2';\n"
                             "SELECT 'ok 1 - first';\n"
                             "SELECT 'ok ' || 2 || ' - second';\n");
    put_case("tap_fail.sql", "SELECT '1..2';\n"
                             "SELECT 'ok 1 - first';\n"
                             "SELECT 'not ok 2 - second';\n");
    put_case("rows.sql", "SELECT 1 AS a, NULL AS b, 'x y' AS c\n"
                         "UNION ALL SELECT 2, 'n', '';\n");
    char *junit = run_suite(&r, ci, NULL, NULL);
    itest_assert_summary(&r, "2 passed, 1 failed, 0 skipped");
    itest_assert_case(junit, "tap_pass", "passed", NULL);
    itest_assert_case(junit, "tap_fail", "failure", NULL);
    struct itest_case c;
    itest_junit_case(junit, "rows", &c);
    cr_assert(strstr(c.out, "1||x y\n2|n|\n"), "rows: '%s'", c.out);
    itest_case_release(&c);
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, timeout_cancels_the_statement)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    put_case("hang.sql", "SELECT 1;\nSELECT pg_sleep(60);\n");
    char *junit = run_suite(&r, ci, "--timeout", "1");
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped, 1 timed out");
    itest_assert_case(junit, "hang", "error", "timed out after 1 s");
    /* The cancelled backend is gone with its sandbox. */
    itest_assert_no_sandboxes(ci);
    char *n = itest_sql_value(ci, "SELECT count(*) FROM pg_stat_activity "
                                  "WHERE query LIKE '%pg_sleep(60)%' "
                                  "AND pid <> pg_backend_pid()");
    cr_assert_str_eq(n, "0", "%s sessions still sleep", n);
    free(n);
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, notices_and_errors_reach_the_report)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    put_case("noisy.sql", "DO $$ BEGIN RAISE NOTICE 'hello from the case'; "
                          "END $$;\n"
                          "SELECT 1/0;\n");
    char *junit = run_suite(&r, ci, NULL, NULL);
    itest_assert_case(junit, "noisy", "failure",
                      "cases/noisy.sql:2: ERROR: division by zero "
                      "(SQLSTATE 22012)");
    struct itest_case c;
    itest_junit_case(junit, "noisy", &c);
    cr_assert(strstr(c.err, "cases/noisy.sql:1: NOTICE:  00000: hello from "
                            "the case"),
              "notice: %s", c.err);
    itest_case_release(&c);
    free(junit);
    itest_result_release(&r);
}

Test(sqlexec, big_output_is_capped)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    /* 20 MB of rows, kept to 4 KiB. */
    put_case("big.sql", "SELECT repeat('x', 1000) "
                        "FROM generate_series(1, 20000);\n");
    char *junit = run_suite(&r, ci, "--output-cap", "4096");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    struct itest_case c;
    itest_junit_case(junit, "big", &c);
    cr_assert(c.out_len < 8192, "system-out holds %zu bytes", c.out_len);
    cr_assert(strstr(c.out, "xxxx"), "no output kept");
    itest_case_release(&c);
    free(junit);
    itest_result_release(&r);
}
