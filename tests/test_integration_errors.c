/*
 * test_integration_errors.c: runs that cannot happen.  Each must end with
 * exit code 2, an "isotest: error:" line on stderr that names the value at
 * fault, and nothing left behind: no isotest_ database other than a
 * template on the server, no new /dev/shm/isotest-run-* folder.
 *
 * Errors found before a server is needed (usage, paths, migrations folder,
 * server binaries) run without --db, so a needless or leaked embedded
 * server would show as a run folder; errors that need a server get a
 * private one (helpers.h) whose catalog is checked afterwards.  Also here:
 * --version and --help, the two ways to exit 0 without running.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define BASIC FIXTURES "/basic"

TestSuite(errors, .fini = itest_teardown, .timeout = 150);

/* Exit code 2, an error line, and every needle in the error output. */
static void assert_refused(const struct itest_result *r,
                           const char *const *needles)
{
    cr_assert_eq(r->code, 2,
                 "exit code %d, expected 2\nstdout:\n%s\nstderr:\n%s", r->code,
                 r->out, r->err);
    /* Notes (files skipped and why) may come first. */
    cr_assert(!strncmp(r->err, "isotest: error: ", 16) ||
                  strstr(r->err, "\nisotest: error: "),
              "no line starting 'isotest: error: ' on stderr:\n%s", r->err);
    for (const char *const *n = needles; *n; n++)
        cr_assert(strstr(r->err, *n), "'%s' not in the error:\n%s", *n, r->err);
    cr_assert(!strstr(r->out, " passed, "), "a summary was printed:\n%s",
              r->out);
}

/* A refused run that must not leave an embedded server's folder behind. */
static void assert_refused_cleanly(const char *const *args,
                                   const char *const *env,
                                   const char *const *needles)
{
    char **before = itest_run_dirs();
    struct itest_result r;

    itest_run(&r, args, env);
    assert_refused(&r, needles);
    itest_assert_no_new_run_dirs(before);
    itest_strv_free(before);
    itest_result_release(&r);
}

/* Nothing of a failed template build may remain. */
static void assert_no_template(const char *ci)
{
    char *tpl = itest_db_names(ci, "isotest\\_tpl\\_%");
    char *build = itest_db_names(ci, "isotest\\_%\\_tplbuild");

    cr_assert_str_empty(tpl, "half-built template left: %s", tpl);
    cr_assert_str_empty(build, "template build database left: %s", build);
    itest_assert_no_sandboxes(ci);
    free(tpl);
    free(build);
}

Test(errors, path_does_not_exist)
{
    assert_refused_cleanly(ARGV("run", FIXTURES "/no_such_suite"), NULL,
                           ARGV("'" FIXTURES "/no_such_suite'"));
}

Test(errors, migrations_folder_without_sql)
{
    assert_refused_cleanly(
        ARGV("run", FIXTURES "/err_no_migration_sql"), NULL,
        ARGV("err_no_migration_sql/migrations'", "no .sql file"));
}

Test(errors, migration_syntax_error)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r, ARGV("run", "--db", ci, FIXTURES "/err_syntax"), NULL);
    assert_refused(&r, ARGV("002_broken.sql", "line 6",
                            "syntax error at or near \"CREAT\""));
    assert_no_template(ci);
    itest_result_release(&r);

    /* The embedded server is removed after the failure too. */
    assert_refused_cleanly(ARGV("run", FIXTURES "/err_syntax"), NULL,
                           ARGV("002_broken.sql", "line 6"));
}

Test(errors, migration_runtime_error)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r, ARGV("run", "--db", ci, FIXTURES "/err_runtime"), NULL);
    assert_refused(&r, ARGV("001_seed.sql", "line 8",
                            "duplicate key value violates unique constraint"));
    assert_no_template(ci);
    itest_result_release(&r);
}

/* The same inside BEGIN ... COMMIT: the transaction is left aborted. */
Test(errors, migration_runtime_error_in_transaction)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r, ARGV("run", "--db", ci, FIXTURES "/err_runtime_tx"), NULL);
    assert_refused(&r, ARGV("001_seed.sql", "line 8",
                            "duplicate key value violates unique constraint"));
    assert_no_template(ci);
    itest_result_release(&r);
}

Test(errors, server_unreachable)
{
    assert_refused_cleanly(
        ARGV("run", "--db", "host=/nonexistent port=1", BASIC), NULL,
        ARGV("'/nonexistent:1'"));
}

Test(errors, wrong_password)
{
    static const char right[] = "Correct-Horse-42";
    static const char wrong[] = "Wrong-Battery-17";
    const char *ci = itest_password_server_start(right);
    char *bad = xasprintf("%s password=%s", ci, wrong);
    char *good = xasprintf("%s password=%s", ci, right);
    struct itest_result r;

    itest_run(&r, ARGV("run", "--no-history", "--db", bad, BASIC), NULL);
    assert_refused(&r, ARGV("authentication failed", "postgres"));
    cr_assert(!strstr(r.out, wrong) && !strstr(r.err, wrong),
              "the password shows in the output:\n%s\n%s", r.out, r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(good);

    /* Control: the right password works, and does not show either. */
    itest_run(&r, ARGV("run", "--no-history", "--db", good, BASIC), NULL);
    cr_assert_eq(r.code, 0, "with the right password: exit code %d\n%s\n%s",
                 r.code, r.out, r.err);
    cr_assert(!strstr(r.out, right) && !strstr(r.err, right),
              "the password shows in the output:\n%s\n%s", r.out, r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(good);
    free(bad);
    free(good);
}

Test(errors, role_without_createdb)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE itest_nocreatedb LOGIN");
    char *as_role = xasprintf("host=%s port=5432 user=itest_nocreatedb",
                              itest_cluster_sockdir());
    itest_run(&r, ARGV("run", "--no-history", "--db", as_role, BASIC), NULL);
    assert_refused(&r, ARGV("itest_nocreatedb", "ALTER ROLE", "CREATEDB"));
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(as_role);
}

/*
 * CI asked for a report it will not get: the run must not end with exit
 * code 0, and the error must be isotest's own line naming the path.
 */
Test(errors, junit_report_unwritable)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--junit", "/nonexistent/dir/report.xml",
                   BASIC),
              NULL);
    assert_refused(&r, ARGV("'/nonexistent/dir/report.xml'"));
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
}

Test(errors, jobs_zero)
{
    assert_refused_cleanly(ARGV("run", "-j", "0", BASIC), NULL,
                           ARGV("'0'", "-j"));
}

Test(errors, jobs_not_a_number)
{
    assert_refused_cleanly(ARGV("run", "-j", "abc", BASIC), NULL,
                           ARGV("'abc'", "-j"));
}

Test(errors, suite_without_cases)
{
    assert_refused_cleanly(ARGV("run", FIXTURES "/no_cases"), NULL,
                           ARGV("no test cases", "'" FIXTURES "/no_cases'"));
}

Test(errors, server_binaries_missing)
{
    assert_refused_cleanly(ARGV("run", BASIC),
                           ARGV("ISOTEST_PG_BINDIR=/nonexistent"),
                           ARGV("'/nonexistent'"));
}

Test(errors, unknown_option)
{
    assert_refused_cleanly(ARGV("run", "--no-such-option", BASIC), NULL,
                           ARGV("'--no-such-option'"));
}

Test(errors, version)
{
    struct itest_result r;

    itest_run(&r, ARGV("--version"), NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s", r.code, r.err);
    cr_assert(!strncmp(r.out, "isotest ", 8), "--version printed '%s'", r.out);
    itest_result_release(&r);
}

Test(errors, run_help)
{
    struct itest_result r;

    itest_run(&r, ARGV("run", "--help"), NULL);
    cr_assert_eq(r.code, 0, "exit code %d\n%s", r.code, r.err);
    cr_assert(strstr(r.out, "usage: isotest run"), "--help printed '%s'",
              r.out);
    cr_assert(strstr(r.out, "--isolation"), "--help printed '%s'", r.out);
    itest_result_release(&r);
}

/*
 * The server dies mid-run: one error naming it and quoting libpq once, the
 * case that was running says "server lost", the cases not started say so
 * in one line each, exit 2, and no second error from the clean-up.
 */
Test(errors, lost_server_is_one_error)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("lost.xml");
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("-j", "2", "--junit", junit, FIXTURES "/lost_server"),
                 NULL);
    itest_assert_exit(&r, 2, "a run whose server died");
    const char *lost = strstr(r.err, "isotest: error: lost the server: ");
    cr_assert(lost, "no lost-server error:\n%s", r.err);
    cr_assert_null(strstr(lost + 1, "isotest: error:"),
                   "more than one error:\n%s", r.err);
    /* libpq's words differ with the moment it looked; its frame does not. */
    cr_assert(strstr(lost, "connection to server on socket"),
              "libpq's words are not quoted:\n%s", r.err);
    cr_assert(strstr(r.err, "isotest clean"), "no hint:\n%s", r.err);
    itest_assert_case(junit, "b_long", "error", "server lost");
    static const char *const later[] = {"c_short", "d_short", "e_short",
                                        "f_short", "g_short"};
    /* The first may have started before the loss was known. */
    for (size_t i = 0; i < 5; i++)
        itest_assert_case(junit, later[i], "error",
                          i ? "not run: the server "
                              "was lost"
                            : "lost");
    cr_assert_null(strstr(r.out, "server closed the connection"),
                   "libpq's text repeated on the console:\n%s", r.out);
    free(junit);
    itest_result_release(&r);
}
