/*
 * test_integration_commands.c: command cases (executables found under the
 * suite's folder) run by the isotest binary against a real PostgreSQL --
 * how a case ends and what it prints: timeouts (of scripts, and of SQL
 * cases, cancelled on the server), a crash, huge and binary output, exit
 * code 77 as a skip, and the environment a case gets.
 *
 * Each test starts a private server (helpers.h) and passes it with --db, so
 * that the catalog can be inspected afterwards.  Runs pass --no-history, so
 * that no .isotest-history lands in the fixtures.
 *
 * Fixtures: tests/fixtures/cmd_*, one folder per behaviour.  Scripts that
 * must not outlive their run write their pids (and their children's) to the
 * file named by $CMD_PIDS, a file in the test's scratch folder.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define FX FIXTURES "/"

TestSuite(commands, .fini = itest_teardown, .timeout = 150);

/* ---- timeouts ----------------------------------------------------------- */

/*
 * Three hanging scripts (a foreground sleep, a background one, one that
 * ignores SIGTERM) with --timeout 1: each is a TIMEOUT error, and neither
 * the scripts nor their sleeps survive the run, nor do their sandboxes.
 */
Test(commands, hanging_scripts_time_out)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(
        &r, ci,
        ARGV("--timeout", "1", "-j", "3", "--junit", junit, FX "cmd_hang"),
        ARGV(pids_env));
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped, 3 timed out");
    static const char *const names[] = {"background.sh", "forever.sh",
                                        "stubborn.sh"};
    for (size_t i = 0; i < 3; i++) {
        char *line = xasprintf("TIMEOUT cmd_hang/%s", names[i]);
        cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
        free(line);
        itest_assert_case(junit, names[i], "error", "timed out after 1 s");
    }
    cr_assert(strstr(r.out, "timed out after 1 s"), "no message in\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 3);
    cr_assert_eq(jc.errors, 3);

    /* What a case printed before it hung is kept. */
    struct itest_case c;
    itest_junit_case(junit, "forever.sh", &c);
    cr_assert(strstr(c.out, "forever started"), "system-out:\n%s", c.out);
    cr_assert_str_eq(c.type ? c.type : "", "timeout");
    itest_case_release(&c);

    itest_assert_pids_gone(pids, 6);
    itest_assert_no_sandboxes(ci);
    free(pids_env);
    free(pids);
    free(junit);
    itest_result_release(&r);
}

/*
 * A case that passes but leaves a background process behind: the process
 * is ended with the case (it would otherwise hold the case's pipes and,
 * in a real suite, a connection to the sandbox).
 */
Test(commands, leftover_background_process_is_ended)
{
    const char *ci = itest_cluster_start();
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(FX "cmd_leftover"), ARGV(pids_env));
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_assert_pids_gone(pids, 2);
    itest_assert_no_sandboxes(ci);
    free(pids_env);
    free(pids);
    itest_result_release(&r);
}

/* A SQL case stuck in pg_sleep: cancelled on the server, sandbox dropped. */
static void sql_hang_in_mode(const char *mode)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci,
                 ARGV("--isolation", mode, "--timeout", "1", "--junit", junit,
                      FX "cmd_sqlhang"),
                 NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped, 1 timed out");
    cr_assert(strstr(r.out, "TIMEOUT cmd_sqlhang/hang"), "no TIMEOUT in\n%s",
              r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.errors, 1);
    itest_assert_case(junit, "hang", "error", "timed out after 1 s");

    /* psql got SIGINT and cancelled the query; the server said so. */
    struct itest_case c;
    itest_junit_case(junit, "hang", &c);
    cr_assert(strstr(c.err, "canceling statement due to user request"),
              "the query was not cancelled on the server; system-err:\n%s",
              c.err);
    itest_case_release(&c);

    char *left = itest_sql_value(
        ci, "SELECT count(*) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND query LIKE '%pg_sleep(300)%'");
    cr_assert_str_eq(left, "0", "%s session(s) still run pg_sleep", left);
    free(left);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

Test(commands, sql_hang_is_cancelled_database_mode)
{
    sql_hang_in_mode("database");
}

Test(commands, sql_hang_is_cancelled_schema_mode)
{
    sql_hang_in_mode("schema");
}

/* ---- how a case ends, what it prints ------------------------------------ */

Test(commands, segfault_names_the_signal)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "cmd_segv"), NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped, 1 error");
    cr_assert(strstr(r.out, "ERROR   cmd_segv/segv.sh"), "no ERROR in\n%s",
              r.out);
    cr_assert(strstr(r.out, "killed by SIGSEGV (exit code 139)"),
              "no signal name in\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.errors, 1);
    itest_assert_case(junit, "segv.sh", "error",
                      "killed by SIGSEGV (exit code 139)");
    struct itest_case c;
    itest_junit_case(junit, "segv.sh", &c);
    cr_assert(strstr(c.out, "about to crash"), "system-out:\n%s", c.out);
    itest_case_release(&c);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/*
 * 100 MB on stdout: the case passes, the report keeps the first MiB and
 * says how much was cut; stderr is captured apart.  With --output-cap 4096
 * the report keeps 4 KiB.
 */
Test(commands, huge_output_is_capped)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;
    struct itest_case c;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "cmd_bigout"), NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 1);
    itest_junit_case(junit, "flood.sh", &c);
    cr_assert_str_eq(c.outcome, "passed");
    cr_assert(c.out_len >= 1048576 && c.out_len < 2 * 1048576,
              "system-out holds %zu bytes", c.out_len);
    cr_assert(strstr(c.out, "[isotest] 98951424 more bytes were cut"),
              "no cut note (100000000 - 1048576 bytes) at the end of "
              "system-out:\n%s",
              c.out + (c.out_len > 300 ? c.out_len - 300 : 0));
    cr_assert(strstr(c.err, "flood done"), "system-err:\n%s", c.err);
    cr_assert(!strstr(c.out, "flood done"), "stderr went to system-out");
    itest_case_release(&c);
    itest_result_release(&r);

    itest_run_db(
        &r, ci, ARGV("--output-cap", "4096", "--junit", junit, FX "cmd_bigout"),
        NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_junit_check(junit, &jc);
    itest_junit_case(junit, "flood.sh", &c);
    cr_assert(c.out_len >= 4096 && c.out_len < 8192,
              "system-out holds %zu bytes with --output-cap 4096", c.out_len);
    cr_assert(strstr(c.out, "[isotest] 99995904 more bytes were cut"),
              "no cut note in\n%s", c.out + c.out_len - 200);
    itest_case_release(&c);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/*
 * ESC colour codes, control bytes, 0xFF 0xFE and a NUL on both streams:
 * the report stays valid XML, the text around them (even after the NUL)
 * is kept, and the outcomes follow the exit codes.
 */
Test(commands, binary_output_keeps_report_valid)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "cmd_binary"), NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "exit code 3"), "no exit code in\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 2);
    cr_assert_eq(jc.failures, 1);
    cr_assert_eq(jc.errors, 0);
    itest_assert_case(junit, "noisy_pass.sh", "passed", NULL);
    itest_assert_case(junit, "noisy_fail.sh", "failure", "exit code 3");

    static const char *const names[] = {"noisy_pass.sh", "noisy_fail.sh"};
    for (size_t i = 0; i < 2; i++) {
        struct itest_case c;
        itest_junit_case(junit, names[i], &c);
        cr_assert(strstr(c.out, "start red") && strstr(c.out, ": end"),
                  "%s: text lost around the noise in system-out:\n%s", names[i],
                  c.out);
        cr_assert(strstr(c.err, "start red") && strstr(c.err, ": end"),
                  "%s: text lost around the noise in system-err:\n%s", names[i],
                  c.err);
        cr_assert(!strchr(c.out, '\033') && !strchr(c.err, '\033'),
                  "%s: an ESC byte reached the report", names[i]);
        itest_case_release(&c);
    }
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

Test(commands, exit_77_skips)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "cmd_skip"), NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "0 passed, 0 failed, 1 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 1);
    cr_assert_eq(jc.skipped, 1);
    cr_assert_eq(jc.failures + jc.errors, 0);
    itest_assert_case(junit, "skip.sh", "skipped", "exit code 77");
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/*
 * A case's own report ($ISOTEST_CASE_REPORT): pytest's all-skipped JUnit
 * is a skip, a TAP report with a failure fails an exit 0, and a case that
 * writes none is judged by its exit code (and finds the path there).
 */
Test(commands, case_report_refines_the_exit_code)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "cmd_report"), NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 1 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 3);
    itest_assert_case(junit, "all_skipped.sh", "skipped",
                      "all 2 tests skipped: needs redis");
    itest_assert_case(junit, "tap_fails.sh", "failure",
                      "1 of 2 TAP tests failed");
    itest_assert_case(junit, "no_report.sh", "passed", NULL);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/* ---- the environment of a case ------------------------------------------ */

/*
 * cmd_env/env_check.sh checks its own environment (see the script); isotest
 * runs with variables that must not reach it.  On failure the script's
 * stderr, shown by isotest, says what was wrong.
 */
static void env_check(const char *ci, const char *mode, const char *password)
{
    char *junit = itest_tmpfile("report.xml");
    char *mode_env = xasprintf("CMD_MODE=%s", mode);
    char *pw_env = password ? xasprintf("CMD_PASSWORD=%s", password) : NULL;
    char *db =
        password ? xasprintf("%s password=%s", ci, password) : xstrdup(ci);
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--db", db, "--no-history", "--isolation", mode,
                   "--junit", junit, FX "cmd_env"),
              ARGV("PGFOO=bar", "PGCONNECT_TIMEOUT=7", "PGSSLMODE=disable",
                   "PGSERVICEFILE=/nonexistent/pg_service.conf",
                   "PGAPPNAME=leak",
                   "DATABASE_URL=postgresql://leak.invalid/leak",
                   "ISOTEST_SANDBOX=leak", "ISOTEST_TEST_ID=leak",
                   "ISOTEST_WORKER=leak", mode_env,
                   pw_env ? pw_env : "CMD_PASSWORD="));
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 1);

    struct itest_case c;
    itest_junit_case(junit, "env_check.sh", &c);
    cr_assert(strstr(c.out, "DATABASE_URL=postgresql://"), "system-out:\n%s",
              c.out);
    itest_case_release(&c);
    if (password) {
        char *xml = itest_read_file(junit);
        cr_assert(!strstr(xml, password), "the password is in the report");
        free(xml);
        cr_assert(!strstr(r.out, password) && !strstr(r.err, password),
                  "the password was printed");
    }
    itest_assert_no_sandboxes(db);
    free(db);
    free(pw_env);
    free(mode_env);
    free(junit);
    itest_result_release(&r);
}

Test(commands, environment_database_mode)
{
    env_check(itest_cluster_start(), "database", NULL);
}

Test(commands, environment_schema_mode)
{
    env_check(itest_cluster_start(), "schema", NULL);
}

/* With a password server, the case gets PGPASSWORD (and the URL has it). */
Test(commands, environment_with_password)
{
    env_check(itest_password_server_start("s3cret-pw"), "database",
              "s3cret-pw");
}
