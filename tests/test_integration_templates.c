/*
 * test_integration_templates.c: the templates' retirement policy, and
 * Ctrl-C while a template is built.
 *
 *   - a run that builds a new template (its migrations changed) retires
 *     the superseded templates of its suite, and says so; another
 *     suite's template stays, and so does one a live run clones from;
 *     clean's summary line states its own rule (--keep-templates); with
 *     --schema-from the suite is the database dumped, not the temporary
 *     folder the dump goes to;
 *   - SIGINT or SIGTERM during a slow migration, or while waiting for
 *     another run's build of the same template, ends the run with
 *     128 + signal long before the migration would end, leaving no
 *     isotest_ database but the templates that were there before, no
 *     advisory lock, and on the embedded server no run folder.
 *
 * Each test starts a private server (helpers.h) or uses the embedded one.
 * Waits are bounded (the slow migration sleeps 60 s, a run must end well
 * before that), never timed.
 *
 * Fixtures: tests/fixtures/tpl_slow (a migration that sleeps 60 s, one
 * case), tests/fixtures/tpl_hold (a case that holds its sandbox until
 * the file $TPL_RELEASE exists: a live run), tests/fixtures/tpl_schema_from
 * (a case that reads table t1 of the dumped schema).  The suites whose
 * migrations change are written into the test's scratch folder.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define SLOW FIXTURES "/tpl_slow"
#define HOLD FIXTURES "/tpl_hold"
#define SCHEMA_FROM FIXTURES "/tpl_schema_from"
#define SLOW_MARKER "pg_sleep(60)"
/* Well below the slow migration's 60 s. */
#define STOP_BOUND_S 20

TestSuite(templates, .fini = itest_teardown, .timeout = 180);

/* A suite in the scratch folder whose one migration creates `table`. */
static char *write_suite(const char *name, const char *table)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *suite = itest_tmpfile(name);
    char *mig = xasprintf("%s/migrations", suite);

    cr_assert(fs_mkdirs(mig, 0755, &e) == 0, "%s", e.msg);
    char *path = xasprintf("%s/001_t.sql", mig);
    char *sql = xasprintf("CREATE TABLE %s (x integer);\n", table);
    itest_write_file(path, sql, 0644);
    free(path);
    free(sql);
    path = xasprintf("%s/ok.sql", suite);
    itest_write_file(path, "SELECT 1;\n", 0644);
    free(path);
    free(mig);
    return suite;
}

/* Run the suite on ci (exit 0); its template's name, and r kept. */
static char *run_suite(const char *ci, const char *suite,
                       struct itest_result *r)
{
    char *junit = xasprintf("%s/report.xml", suite);

    itest_run_db(r, ci, ARGV("--junit", junit, suite), NULL);
    itest_assert_exit(r, 0, suite);
    char *name = itest_junit_property(junit, "isotest.template_name");
    cr_assert(name, "no template name in %s", junit);
    free(junit);
    return name;
}

/* The templates on ci are exactly the n of want (in any order). */
static void assert_templates(const char *ci, const char *const *want, size_t n)
{
    char *have = itest_db_names(ci, "isotest\\_tpl\\_%");
    long count = itest_db_count(ci, "isotest\\_tpl\\_%");

    cr_assert_eq(count, (long)n, "templates: %s; expected %zu", have, n);
    for (size_t i = 0; i < n; i++)
        cr_assert(strstr(have, want[i]), "%s is gone; templates: %s", want[i],
                  have);
    free(have);
}

Test(templates, new_build_retires_its_suites_superseded_templates)
{
    const char *ci = itest_cluster_start();
    char *a = write_suite("suite_a", "a1");
    char *b = write_suite("suite_b", "b1");
    struct itest_result r;

    char *a1 = run_suite(ci, a, &r);
    itest_result_release(&r);
    char *b1 = run_suite(ci, b, &r);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){a1, b1}, 2);

    /* The migrations change: a new template, a1 retired, b1 kept. */
    free(write_suite("suite_a", "a2"));
    char *a2 = run_suite(ci, a, &r);
    cr_assert_str_neq(a2, a1);
    cr_assert(strstr(r.err, "isotest: retired 1 superseded template of this "
                            "suite\n"),
              "no retire line:\n%s", r.err);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){a2, b1}, 2);

    /* An unchanged run reuses a2 and retires nothing. */
    char *again = run_suite(ci, a, &r);
    cr_assert_str_eq(again, a2);
    cr_assert_null(strstr(r.err, "retired"), "%s", r.err);
    itest_result_release(&r);

    /* A live run clones from a2 ... */
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("TPL_RELEASE=%s", release);
    char *mig = xasprintf("%s/migrations", a);
    char *live_junit = itest_tmpfile("live.xml");
    struct itest_bg live;
    itest_bg_start(&live, "live",
                   ARGV("run", "--db", ci, "--no-history", "--junit",
                        live_junit, "--migrations", mig, HOLD),
                   ARGV(release_env));
    free(itest_wait_for_sandboxes(ci, &live, "", 1));

    /* ... so a3's build leaves it. */
    free(write_suite("suite_a", "a3"));
    char *a3 = run_suite(ci, a, &r);
    cr_assert_null(strstr(r.err, "retired"), "%s", r.err);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){a2, a3, b1}, 3);

    itest_write_file(release, "", 0644);
    itest_bg_finish(&live, &r);
    itest_assert_exit(&r, 0, "the live run");
    itest_result_release(&r);
    char *used = itest_junit_property(live_junit, "isotest.template_name");
    cr_assert_str_eq(used ? used : "", a2);

    /* clean's summary states its own rule. */
    itest_run(&r,
              ARGV("clean", "--db", ci, "--dry-run", "--keep-templates", "1"),
              NULL);
    itest_assert_exit(&r, 0, "clean --dry-run --keep-templates 1");
    cr_assert(strstr(r.out, "would drop 2 templates: clean keeps the newest 1 "
                            "and any a live run uses (a run retires its own "
                            "suite's superseded ones)\n"),
              "%s", r.out);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){a2, a3, b1}, 3);
    itest_run(&r, ARGV("clean", "--db", ci, "--keep-templates", "-1"), NULL);
    itest_assert_exit(&r, 2, "clean --keep-templates -1");
    cr_assert(strstr(r.err, "invalid value '-1' for --keep-templates"), "%s",
              r.err);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){a2, a3, b1}, 3);

    itest_bg_release(&live);
    free(used);
    free(live_junit);
    free(mig);
    free(release_env);
    free(release);
    free(a3);
    free(again);
    free(a2);
    free(b1);
    free(a1);
    free(b);
    free(a);
}

/* A run with --schema-from src; its template's name. */
static char *run_schema_from(const char *ci, const char *src,
                             struct itest_result *r)
{
    char *junit = itest_tmpfile("schema_from.xml");

    itest_run_db(
        r, ci, ARGV("--schema-from", src, "--junit", junit, SCHEMA_FROM), NULL);
    itest_assert_exit(r, 0, "run --schema-from");
    char *name = itest_junit_property(junit, "isotest.template_name");
    cr_assert(name, "no template name in %s", junit);
    free(junit);
    return name;
}

/* The dumped database's schema changes: the new template retires the old. */
Test(templates, schema_from_suite_is_the_database_dumped)
{
    const char *ci = itest_cluster_start();
    char *src = xasprintf("%s dbname=tpl_src", ci);
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE tpl_src");
    itest_sql(src, "CREATE TABLE t1 (x integer)");
    char *first = run_schema_from(ci, src, &r);
    itest_result_release(&r);
    itest_sql(src, "CREATE TABLE t2 (x integer)");
    char *second = run_schema_from(ci, src, &r);
    cr_assert_str_neq(second, first);
    cr_assert(strstr(r.err, "isotest: retired 1 superseded template of this "
                            "suite\n"),
              "no retire line:\n%s", r.err);
    itest_result_release(&r);
    assert_templates(ci, (const char *const[]){second}, 1);

    free(second);
    free(first);
    free(src);
}

/* Wait at most STOP_BOUND_S for the run to end after its signal. */
static void finish_bounded(struct itest_bg *b, struct itest_result *r,
                           const char *what)
{
    if (!itest_bg_wait(b, r, STOP_BOUND_S * 1000L)) {
        char *out = itest_read_file(b->out_path);
        char *err = itest_read_file(b->err_path);
        cr_assert_fail("still running %d s after %s\nstdout:\n%s\n"
                       "stderr:\n%s",
                       STOP_BOUND_S, what, out, err);
    }
}

/* No advisory lock is left on ci (a closed session's go at its exit). */
static void assert_no_locks_left(const char *ci)
{
    const char *sql = "SELECT count(*) FROM pg_locks WHERE locktype = "
                      "'advisory'";

    for (int i = 0;; i++) {
        char *n = itest_sql_value(ci, sql);
        bool none = !strcmp(n, "0");
        free(n);
        if (none)
            break;
        cr_assert(i < ITEST_WAIT_S * 20, "advisory locks left:\n%s",
                  itest_sql_rows(ci, "SELECT * FROM pg_locks WHERE locktype "
                                     "= 'advisory'"));
        itest_sleep_ms(50);
    }
}

/*
 * Run A builds the slow template; run B, on the same suite, waits for
 * A's build.  SIGINT ends B (130) while A goes on building; SIGTERM then
 * ends A (143).  Nothing of either is left: only the template that was
 * there before.
 */
Test(templates, ctrl_c_while_building_and_while_waiting)
{
    const char *ci = itest_cluster_start();
    char *other = write_suite("other", "o1");
    struct itest_result r;

    free(run_suite(ci, other, &r));
    itest_result_release(&r);
    char *before = itest_db_names(ci, "isotest\\_%");

    struct itest_bg a, b;
    itest_bg_start(&a, "a", ARGV("run", "--db", ci, "--no-history", SLOW),
                   NULL);
    free(itest_wait_for_run(ci, &a, NULL, 1, SLOW_MARKER));
    itest_bg_start(&b, "b", ARGV("run", "--db", ci, "--no-history", SLOW),
                   NULL);
    free(itest_wait_for_sql(ci, &b,
                            "SELECT pid FROM pg_locks WHERE locktype = "
                            "'advisory' AND NOT granted LIMIT 1",
                            "a run waiting for the build lock"));

    cr_assert(kill(b.pid, SIGINT) == 0);
    finish_bounded(&b, &r, "SIGINT while waiting");
    itest_assert_exit(&r, 130, "the waiting run after SIGINT");
    cr_assert(strstr(r.err, "interrupted while waiting for another run's "
                            "build of template"),
              "%s", r.err);
    itest_result_release(&r);
    cr_assert(itest_bg_alive(&a), "the building run ended with the other");

    cr_assert(kill(a.pid, SIGTERM) == 0);
    finish_bounded(&a, &r, "SIGTERM while building");
    itest_assert_exit(&r, 143, "the building run after SIGTERM");
    cr_assert(strstr(r.err, "interrupted while applying migration"), "%s",
              r.err);
    itest_result_release(&r);

    char *after = itest_db_names(ci, "isotest\\_%");
    cr_assert_str_eq(after, before, "databases left: %s; before: %s", after,
                     before);
    assert_no_locks_left(ci);

    itest_bg_release(&a);
    itest_bg_release(&b);
    free(after);
    free(before);
    free(other);
}

/* The embedded server's conninfo once it accepts connections. */
static char *embedded_conninfo(struct itest_bg *b)
{
    char *dir = NULL;

    for (int i = 0; !dir; i++) {
        cr_assert(itest_bg_alive(b), "the run ended before its server ran");
        cr_assert(i < ITEST_WAIT_S * 20, "no embedded server after %d s",
                  ITEST_WAIT_S);
        dir = itest_server_dir_of(b->pid);
        if (!dir)
            itest_sleep_ms(50);
    }
    char *ci = xasprintf("host=%s/sock port=5432 user=postgres "
                         "dbname=postgres",
                         dir);
    for (int i = 0; PQping(ci) != PQPING_OK; i++) {
        cr_assert(itest_bg_alive(b), "the run ended before its server ran");
        cr_assert(i < ITEST_WAIT_S * 20, "the server in %s never answered",
                  dir);
        itest_sleep_ms(50);
    }
    free(dir);
    return ci;
}

/* Ctrl-C during the build on the embedded server: no run folder left. */
Test(templates, ctrl_c_while_building_embedded)
{
    char **before = itest_run_dirs();
    struct itest_result r;
    struct itest_bg a;

    itest_bg_start(&a, "a", ARGV("run", "--no-history", SLOW), NULL);
    char *ci = embedded_conninfo(&a);
    free(itest_wait_for_run(ci, &a, NULL, 1, SLOW_MARKER));
    cr_assert(kill(a.pid, SIGINT) == 0);
    finish_bounded(&a, &r, "SIGINT while building");
    itest_assert_exit(&r, 130, "the building run after SIGINT");
    cr_assert(strstr(r.err, "interrupted while applying migration"), "%s",
              r.err);
    itest_assert_no_new_run_dirs(before);

    itest_result_release(&r);
    itest_bg_release(&a);
    itest_strv_free(before);
    free(ci);
}
