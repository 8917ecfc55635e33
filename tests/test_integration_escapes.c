/*
 * test_integration_escapes.c: changes the cases make outside their
 * sandboxes.  A role, a role setting, a database, a tablespace and tables
 * in postgres and template1 (tests/fixtures/escapes) are reported by name,
 * counted in the report, fail the run with --fail-on-escape and are not
 * looked for with --no-escape-check; on the embedded server what the cases
 * changed is never cached.  Each run on a server of its own.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define FX FIXTURES "/"

TestSuite(escapes, .fini = itest_teardown, .timeout = 180);

/*
 * A folder the server's account can reach, for the tablespace a case
 * makes (the tests' own scratch folder is private to this user).
 */
static char *reachable_dir(void)
{
    char *dir = xstrdup("/tmp/isotest-escape-XXXXXX");

    cr_assert(mkdtemp(dir) && chmod(dir, 0755) == 0, "cannot make %s", dir);
    return dir;
}

static void remove_dir(char *dir)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    fs_remove_tree(dir, &e);
    isotest_err_release(&e);
    free(dir);
}

/*
 * A role, a role setting, a database, a tablespace and tables in postgres
 * and template1: reported by name as a
 * warning (exit 0), counted in the report; --fail-on-escape fails the run;
 * --no-escape-check says nothing.  Each run on a server of its own.
 */
Test(escapes, are_reported)
{
    char *junit = itest_tmpfile("escapes.xml");
    char *ts = reachable_dir();
    char *ts_env = xasprintf("ESCAPE_TS_BASE=%s", ts);
    struct itest_result r;

    itest_run_db(&r, itest_cluster_start(),
                 ARGV("--junit", junit, FX "escapes"), ARGV(ts_env));
    itest_assert_exit(&r, 0, "a run whose cases escaped");
    itest_assert_summary(&r, "4 passed, 0 failed, 0 skipped");
    static const char *const seen[] = {
        "warning: the cases changed the server outside their sandboxes",
        "added:   role escapee_role\n", /* CREATE ROLE: no LOGIN */
        "added:   setting work_mem=3MB for role postgres",
        "added:   in database template1: table public.leaked_by_a_case",
        "added:   database escaped_db",
        "added:   tablespace escaped_ts",
        "added:   in database postgres: table public.leaked_in_postgres"};
    for (size_t i = 0; i < sizeof(seen) / sizeof(*seen); i++)
        cr_assert(strstr(r.err, seen[i]), "no '%s' in:\n%s", seen[i], r.err);
    char *n = itest_junit_property(junit, "isotest.escapes");
    cr_assert_str_eq(n ? n : "", "6");
    free(n);
    itest_result_release(&r);

    itest_run_db(&r, itest_cluster_start(),
                 ARGV("--fail-on-escape", FX "escapes"), ARGV(ts_env));
    itest_assert_exit(&r, 1, "--fail-on-escape");
    cr_assert(strstr(r.err, "isotest: error: the cases changed the server"),
              "%s", r.err);
    itest_result_release(&r);

    itest_run_db(&r, itest_cluster_start(),
                 ARGV("--no-escape-check", FX "escapes"), ARGV(ts_env));
    itest_assert_exit(&r, 0, "--no-escape-check");
    cr_assert_null(strstr(r.err, "outside their sandboxes"), "%s", r.err);
    itest_result_release(&r);
    free(junit);
    free(ts_env);
    remove_dir(ts);
}

/*
 * On the embedded server what the cases changed is not kept in its cache:
 * a second run from the same cache starts clean (CREATE ROLE would fail).
 */
Test(escapes, are_not_cached)
{
    char *cache = itest_tmpfile("cache");
    char *ts = reachable_dir();
    char *env = xasprintf("ISOTEST_CACHE_DIR=%s", cache);
    char *ts_env = xasprintf("ESCAPE_TS_BASE=%s", ts);
    struct itest_result r;

    for (int i = 0; i < 2; i++) {
        itest_run(&r, ARGV("run", "--no-history", FX "escapes"),
                  ARGV(env, ts_env));
        itest_assert_exit(&r, 0, "a run on the embedded server");
        itest_assert_summary(&r, "4 passed, 0 failed, 0 skipped");
        itest_result_release(&r);
    }
    free(env);
    free(ts_env);
    remove_dir(ts);
    free(cache);
}
