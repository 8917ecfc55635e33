/*
 * test_integration_run.c: whole runs of the isotest binary against a real
 * PostgreSQL -- the three isolation modes, database-level state carried
 * into sandboxes, template reuse, the embedded server, failure reports,
 * examples/shop, and `isotest list`.
 *
 * Each test starts a private server (helpers.h) and points isotest at it
 * with --db, except the embedded-server test.  Fixtures live in
 * tests/fixtures: basic/ passes in every mode, failing/ holds one case of
 * each way to fail (plus one pass and one skip).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

#define BASIC FIXTURES "/basic"
#define FAILING FIXTURES "/failing"
#define BASIC_CASES 5
/* Created by the migration when missing; made first here (roles are
   cluster-wide, and concurrent CREATE ROLE in schema mode would race). */
#define READER "isotest_fixture_reader"

TestSuite(run, .fini = itest_teardown, .timeout = 150);

/* A private server with the fixture's role in place. */
static const char *server_for_basic(void)
{
    const char *ci = itest_cluster_start();

    itest_sql(ci, "CREATE ROLE " READER " NOLOGIN");
    return ci;
}

/* The summary line, read back into numbers. */
static void read_summary(const struct itest_result *r, int *passed, int *failed,
                         int *skipped)
{
    char *line = itest_summary_line(r);

    cr_assert(sscanf(line, "%d passed, %d failed, %d skipped", passed, failed,
                     skipped) == 3);
    free(line);
}

static void run_basic_in_mode(const char *mode)
{
    const char *ci = server_for_basic();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--isolation", mode, "-j",
                   "2", "--junit", junit, BASIC),
              NULL);
    cr_assert_eq(r.code, 0, "exit code %d in %s mode\n%s\n%s", r.code, mode,
                 r.out, r.err);
    itest_assert_summary(&r, "5 passed, 0 failed, 0 skipped");

    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, BASIC_CASES);
    cr_assert_eq(jc.failures, 0);
    cr_assert_eq(jc.errors, 0);
    cr_assert_eq(jc.skipped, 0);
    char *iso = itest_junit_property(junit, "isotest.isolation");
    cr_assert_str_eq(iso ? iso : "", mode);
    free(iso);

    /*
     * The sandboxes were named isotest_<runid>_..., so the check below
     * covers them and, in schema and none mode, the run's own database
     * (isotest_<runid>_schemas, isotest_<runid>_shared).
     */
    char *runid = itest_junit_runid(junit);
    cr_assert(runid, "no isotest_<runid>_ sandbox name in the report");
    free(runid);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

Test(run, isolation_database)
{
    run_basic_in_mode("database");
}

Test(run, isolation_schema)
{
    run_basic_in_mode("schema");
}

Test(run, isolation_none)
{
    run_basic_in_mode("none");
}

/*
 * ALTER DATABASE ... SET and GRANT ... ON DATABASE in a migration are not
 * copied by CREATE DATABASE ... TEMPLATE; isotest must replay them.  Six
 * command cases (a listing command) each check their own sandbox.
 */
Test(run, template_settings_in_every_sandbox)
{
    static const char *const modes[] = {"database", "schema", "none"};
    const char *ci = server_for_basic();

    for (size_t i = 0; i < 3; i++) {
        struct itest_result r;
        itest_run(&r,
                  ARGV("run", "--no-history", "--db", ci, "--isolation",
                       modes[i], "-j", "3", "--migrations", BASIC "/migrations",
                       "--list", "printf 'a\\nb\\nc\\nd\\ne\\nf\\n'", "--each",
                       "psql -X -q -v ON_ERROR_STOP=1 -f " BASIC
                       "/cases/database_settings.sql # {}"),
                  NULL);
        cr_assert_eq(r.code, 0, "%s mode: exit code %d\n%s\n%s", modes[i],
                     r.code, r.out, r.err);
        itest_assert_summary(&r, "6 passed, 0 failed, 0 skipped");
        itest_result_release(&r);
    }
    /* And the template itself carries them, for later runs to read. */
    char *tz =
        itest_sql_value(ci, "SELECT array_to_string(s.setconfig, ',') "
                            "FROM pg_db_role_setting s JOIN pg_database d "
                            "ON d.oid = s.setdatabase "
                            "WHERE d.datname LIKE 'isotest\\_tpl\\_%'");
    cr_assert(tz && strstr(tz, "TimeZone=Asia/Tokyo"), "template settings: %s",
              tz ? tz : "(none)");
    free(tz);
    itest_assert_no_sandboxes(ci);
}

Test(run, template_reused_on_second_run)
{
    const char *ci = server_for_basic();
    char *junit1 = itest_tmpfile("first.xml");
    char *junit2 = itest_tmpfile("second.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--junit", junit1, BASIC),
              NULL);
    cr_assert_eq(r.code, 0, "first run: %s\n%s", r.out, r.err);
    itest_result_release(&r);
    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--junit", junit2, BASIC),
              NULL);
    cr_assert_eq(r.code, 0, "second run: %s\n%s", r.out, r.err);
    itest_result_release(&r);
    itest_junit_check(junit2, &jc);
    cr_assert_eq(jc.tests, BASIC_CASES);

    char *first = itest_junit_property(junit1, "isotest.template_reused");
    char *second = itest_junit_property(junit2, "isotest.template_reused");
    cr_assert_str_eq(first ? first : "", "false");
    cr_assert_str_eq(second ? second : "", "true");

    char *name1 = itest_junit_property(junit1, "isotest.template_name");
    char *name2 = itest_junit_property(junit2, "isotest.template_name");
    cr_assert(name1 && name2 && !strcmp(name1, name2),
              "template names differ: %s, %s", name1, name2);
    char *tpls = itest_db_names(ci, "isotest\\_tpl\\_%");
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 1,
                 "templates on the server: %s", tpls);
    cr_assert_str_eq(tpls, name1, "templates on the server: %s", tpls);
    itest_assert_no_sandboxes(ci);

    free(tpls);
    free(name1);
    free(name2);
    free(first);
    free(second);
    free(junit1);
    free(junit2);
}

/* No --db and no PG* variables: isotest starts and removes its own server. */
Test(run, embedded_server_by_default)
{
    char **before = itest_run_dirs();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--no-history", "-j", "2", "--junit", junit, BASIC),
              NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s\n%s", r.code, r.out, r.err);
    itest_assert_summary(&r, "5 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, BASIC_CASES);
    char *embedded = itest_junit_property(junit, "isotest.embedded_server");
    cr_assert_str_eq(embedded ? embedded : "", "true");
    itest_assert_no_new_run_dirs(before);

    free(embedded);
    itest_strv_free(before);
    free(junit);
    itest_result_release(&r);
}

Test(run, failures_are_reported)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "-j", "2", "--junit",
                   junit, FAILING),
              NULL);
    cr_assert_eq(r.code, 1, "exit code %d\n%s\n%s", r.code, r.out, r.err);
    itest_assert_summary(&r, "1 passed, 3 failed, 1 skipped");

    /* SQL error: file, line and SQLSTATE. */
    cr_assert(strstr(r.out, FAILING "/sql_error.sql:4:"), "no file:line in\n%s",
              r.out);
    cr_assert(strstr(r.out, "SQLSTATE 42P01"), "no SQLSTATE in\n%s", r.out);
    cr_assert(strstr(r.out, "no_such_table"), "no message in\n%s", r.out);
    /* TAP failure: the test's name and pgTAP's diagnostics. */
    cr_assert(strstr(r.out, "not ok 2 - item two is called deux"),
              "no failing TAP line in\n%s", r.out);
    cr_assert(strstr(r.out, "have: two") && strstr(r.out, "want: deux"),
              "no TAP diagnostics in\n%s", r.out);
    /* Expected-output mismatch: a unified diff. */
    cr_assert(strstr(r.out, "@@ "), "no unified diff in\n%s", r.out);
    cr_assert(strstr(r.out, "-  2 | three") && strstr(r.out, "+  2 | two"),
              "the diff does not show the changed row:\n%s", r.out);

    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 5);
    cr_assert_eq(jc.failures, 3);
    cr_assert_eq(jc.errors, 0);
    cr_assert_eq(jc.skipped, 1);
    /* The report carries the same details for CI to show. */
    char *xml = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;
    cr_assert(fs_read_file(junit, &xml, &len, &e) == 0, "%s", e.msg);
    cr_assert(strstr(xml, "sql_error.sql:4:") && strstr(xml, "42P01") &&
                  strstr(xml, "want: deux") && strstr(xml, "@@ "),
              "failure details missing from the report:\n%s", xml);
    free(xml);
    itest_assert_no_sandboxes(ci);

    free(junit);
    itest_result_release(&r);
}

/*
 * examples/shop is the realistic suite: isolated it passes; sharing one
 * database (--isolation none) its cases collide.
 */
Test(run, shop_isolated_passes_shared_collides)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;
    int passed, failed, skipped;

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--isolation", "database",
                   "-j", "4", "examples/shop"),
              NULL);
    cr_assert_eq(r.code, 0, "database mode: exit code %d\n%s\n%s", r.code,
                 r.out, r.err);
    read_summary(&r, &passed, &failed, &skipped);
    cr_assert(passed > 0 && failed == 0, "database mode: %d passed, %d failed",
              passed, failed);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--isolation", "none",
                   "-j", "4", "examples/shop"),
              NULL);
    cr_assert_eq(r.code, 1, "none mode: exit code %d\n%s\n%s", r.code, r.out,
                 r.err);
    read_summary(&r, &passed, &failed, &skipped);
    cr_assert(failed > 0, "none mode: no case failed");
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
}

/*
 * The summary is the last line of the console output, with or without a
 * JUnit report: CI scripts read it with `tail -n 1`.
 */
Test(run, summary_is_the_last_line)
{
    const char *ci = server_for_basic();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    itest_run(&r, ARGV("run", "--no-history", "--db", ci, BASIC), NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s\n%s", r.code, r.out, r.err);
    char *last = itest_last_line(r.out);
    cr_assert_str_eq(last, "5 passed, 0 failed, 0 skipped");
    free(last);
    itest_result_release(&r);

    itest_run(&r,
              ARGV("run", "--no-history", "--db", ci, "--junit", junit, BASIC),
              NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s\n%s", r.code, r.out, r.err);
    last = itest_last_line(r.out);
    cr_assert_str_eq(last, "5 passed, 0 failed, 0 skipped",
                     "with --junit the last line is '%s'", last);
    free(last);
    free(junit);
    itest_result_release(&r);
}

Test(run, list_prints_case_ids)
{
    struct itest_result r;

    itest_run(&r, ARGV("list", BASIC, FAILING), NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s", r.code, r.err);
    cr_assert_str_eq(r.out, "basic/cases/database_settings\n"
                            "basic/cases/place_order\n"
                            "basic/cases/seed_data\n"
                            "basic/regress/sql/price_list\n"
                            "basic/tap/products\n"
                            "failing/passes\n"
                            "failing/regress/sql/item_names\n"
                            "failing/skip_me.sh\n"
                            "failing/sql_error\n"
                            "failing/tap_failure\n");
    itest_result_release(&r);
}
