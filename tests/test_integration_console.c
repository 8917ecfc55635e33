/*
 * test_integration_console.c: what the console says, run by the isotest
 * binary against a real PostgreSQL -- a SQL error once (its one line; the
 * verbose text in the JUnit report), each outcome counted apart in the
 * summary line, the reports' paths, colour only when asked for in a pipe,
 * a stuck case's line in a pipe, and the lines for slow set-up steps (a
 * template build, the wait for another run's build).
 *
 * Fixtures: tests/fixtures/console_out (a SQL error over isotest's own
 * connection and one through psql, a crash, a 3 s case, a pass) and
 * tests/fixtures/console_slowmig (a 3 s migration).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "isolation/ident.h"
#include "isotest.h"

#define FX FIXTURES "/"

TestSuite(console, .fini = itest_teardown, .timeout = 150);

static size_t count(const char *text, const char *what)
{
    size_t n = 0;

    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/*
 * Both SQL paths: the console says each error once, in one line with
 * file:line and SQLSTATE, without psql's LOCATION:; the JUnit report
 * keeps the verbose text.  --color=always colours a pipe.
 */
Test(console, sql_error_said_once)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--color=always", "--junit", junit, "--filter",
                      "*/in_process", "--filter", "*/through_psql",
                      FX "console_out"),
                 NULL);
    itest_assert_exit(&r, 1, "two failing SQL cases");
    itest_assert_summary(&r, "0 passed, 2 failed, 0 skipped");
    cr_assert_eq(count(r.out, "\"console_no_such_table\""), 1, "%s", r.out);
    cr_assert_eq(count(r.out, "\"console_missing_in_psql\""), 1, "%s", r.out);
    cr_assert(strstr(r.out, "in_process.sql:4: ERROR: relation "
                            "\"console_no_such_table\" does not exist "
                            "(SQLSTATE 42P01)\n"),
              "%s", r.out);
    cr_assert(strstr(r.out, "through_psql.sql:5: ERROR: relation "
                            "\"console_missing_in_psql\" does not exist "
                            "(SQLSTATE 42P01)\n"),
              "%s", r.out);
    cr_assert_null(strstr(r.out, "LOCATION:"), "%s", r.out);
    cr_assert(strstr(r.out, "\033[31mFAIL\033[0m"), "no colour:\n%s", r.out);

    itest_assert_case(junit, "in_process", "failure", "(SQLSTATE 42P01)");
    itest_assert_case(junit, "through_psql", "failure", "(SQLSTATE 42P01)");
    char *xml = itest_read_file(junit);
    /* The failure text and system-err of each: the verbose error. */
    cr_assert_geq(count(xml, "LOCATION:"), 4, "%s", xml);
    cr_assert(strstr(xml, "LINE 1: SELECT * FROM console_no_such_table;"), "%s",
              xml);
    free(xml);
    free(junit);
    itest_result_release(&r);
}

/*
 * A pass, two failures, a crash (an error) and a 3 s case past --timeout
 * 2: each counted apart; the reports' paths said; no colour in a pipe.
 */
Test(console, counts_each_outcome)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    char *html = itest_tmpfile("timeline.html");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci,
                 ARGV("--timeout", "2", "-j", "2", "--junit", junit, "--html",
                      html, FX "console_out"),
                 NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 2 failed, 0 skipped, 1 error, 1 timed "
                             "out");
    char *line = xasprintf("JUnit report: %s\n", junit);
    cr_assert(strstr(r.out, line), "%s", r.out);
    free(line);
    line = xasprintf("timeline: %s\n", html);
    cr_assert(strstr(r.out, line), "%s", r.out);
    free(line);
    cr_assert_null(strchr(r.out, '\033'), "colour in a pipe:\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 5);
    cr_assert_eq(jc.failures, 2);
    cr_assert_eq(jc.errors, 2, "a crash and a timeout: %ld", jc.errors);
    free(junit);
    free(html);
    itest_result_release(&r);
}

/* In a pipe, a case past the stuck threshold gets a line, once. */
Test(console, stuck_case_line_in_a_pipe)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--filter", "*/slow", FX "console_out"),
                 ARGV("ISOTEST_STUCK_AFTER=1"));
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    cr_assert_eq(count(r.out, "still running: console_out/slow ("), 1, "%s",
                 r.out);
    itest_result_release(&r);
}

/* A 3 s migration: the template build is named on stderr. */
Test(console, slow_template_build_is_named)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(FX "console_slowmig"), NULL);
    itest_assert_exit(&r, 0, "the run");
    cr_assert(strstr(r.err, "isotest: building template isotest_tpl_"), "%s",
              r.err);
    cr_assert(strstr(r.err, " (1 migration)...\n"), "%s", r.err);
    itest_result_release(&r);
}

/*
 * While the template's build lock is held (as by another run building
 * it), a run says it waits, and goes on once the lock is free.
 */
Test(console, wait_for_another_build_is_named)
{
    const char *ci = itest_cluster_start();
    const char *const *args = ARGV("run", "--db", ci, "--no-history",
                                   "--filter", "*/passes", FX "console_out");
    struct itest_result r;
    struct itest_bg b;

    itest_run(&r, args, NULL); /* builds the template */
    itest_assert_exit(&r, 0, "the first run");
    itest_result_release(&r);
    char *tpl = itest_db_names(ci, "isotest_tpl_%");
    cr_assert_eq(strlen(tpl), strlen(IDENT_TPL_PREFIX) + IDENT_TPL_HASH_LEN,
                 "one template expected: %s", tpl);
    /* template.c's build lock: the hash's first 32 bits. */
    char *lock =
        xasprintf("SELECT pg_advisory_lock(%d, %d)", (int)IDENT_TPL_LOCK_CLASS,
                  (int)ident_runid_key(tpl + strlen(IDENT_TPL_PREFIX)));
    PGconn *holder = PQconnectdb(ci);
    PGresult *res = PQexec(holder, lock);
    cr_assert_eq(PQresultStatus(res), PGRES_TUPLES_OK, "%s",
                 PQerrorMessage(holder));
    PQclear(res);

    itest_bg_start(&b, "waiter", args, NULL);
    itest_bg_wait_output(&b, true,
                         "isotest: waiting for another run's template "
                         "build...\n");
    PQfinish(holder); /* the lock goes with the session */
    itest_bg_finish(&b, &r);
    itest_assert_exit(&r, 0, "the run that waited");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_result_release(&r);
    itest_bg_release(&b);
    free(lock);
    free(tpl);
}

/* isotest_options.progress: each step of an open, NULL at its end. */
static void note_step(void *arg, const char *what)
{
    strbuf_addf(arg, "%s\n", what ? what : "(end)");
}

Test(console, library_tells_the_open_steps)
{
    const char *ci = itest_cluster_start();
    char *mig = itest_tmpsubdir("migrations");
    char *file = xasprintf("%s/001_t.sql", mig);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_options o = ISOTEST_OPTIONS_INIT;
    struct strbuf steps = STRBUF_INIT;

    itest_write_file(file, "CREATE TABLE t (id int);\n", 0644);
    o.db = ci;
    o.migrations = mig;
    o.progress = note_step;
    o.progress_arg = &steps;
    struct isotest_session *s = isotest_session_open(&o, &e);
    cr_assert(s, "%s", e.msg);
    cr_assert(strstr(steps.buf, "reclaiming what dead runs left\n"
                                "building template isotest_tpl_"),
              "%s", steps.buf);
    cr_assert(strstr(steps.buf, " (1 migration)\n"
                                "starting the clone pool\n(end)\n"),
              "%s", steps.buf);
    cr_assert_eq(isotest_session_close(s, 0, &e), 0, "%s", e.msg);
    strbuf_release(&steps);
    free(file);
    free(mig);
}
