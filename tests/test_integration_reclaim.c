/*
 * test_integration_reclaim.c: isotest on a server it shares with other
 * runs -- run ids and the run lock.
 *
 *   - a dead run's databases (SIGKILL mid-run in every isolation mode,
 *     also during the template build) are reclaimed by the next run and
 *     by `isotest clean`; `clean --dry-run` only lists them;
 *   - a live run's are never touched, whether the run is a real one or a
 *     session holding its lock;
 *   - two runs at once build one template.
 *
 * Each test starts a private server (helpers.h) and passes --db.  Runs
 * that must be alive, or be killed mid-run, are started in the background
 * (itest_bg_start); itest_bg_kill() SIGKILLs a run and then its case
 * processes, which a real SIGKILL would leave running.
 *
 * Fixtures (tests/fixtures/safe_*):
 *   safe_sleep            two SQL cases in pg_sleep(20): a run to kill
 *   safe_wait             two command cases that hold their sandbox until
 *                         the file $SAFE_RELEASE exists: a live run
 *   safe_quick            one passing SQL case, no migrations
 *   safe_slow_migration   a migration that takes a second
 *   safe_slow_build       a migration that is slow while a marker database
 *                         exists (same hash either way)
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define SLEEP FIXTURES "/safe_sleep"
#define WAIT FIXTURES "/safe_wait"
#define QUICK FIXTURES "/safe_quick"
#define SLOW_MIGRATION FIXTURES "/safe_slow_migration"
#define SLOW_BUILD FIXTURES "/safe_slow_build"

TestSuite(reclaim, .fini = itest_teardown, .timeout = 180);

/* ---- a run killed mid-run ----------------------------------------------- */

/*
 * Start isotest on safe_sleep in `mode` and wait until both its cases
 * sleep in its databases (sessions of runs in `skip` do not count) and it
 * holds its lock on a session in database "postgres".  Returns the run id.
 */
static char *start_sleeping_run(struct itest_bg *b, const char *ci,
                                const char *mode, const char *const *skip)
{
    itest_bg_start(b, mode,
                   ARGV("run", "--db", ci, "--isolation", mode, "-j", "2",
                        "--no-history", SLEEP),
                   NULL);
    char *id = itest_wait_for_run(ci, b, skip, 2, "pg_sleep(20)");
    char *holder = itest_run_lock_holder(ci, id);
    cr_assert_str_eq(holder ? holder : "(no holder)", "postgres",
                     "run %s's lock is held in '%s'", id,
                     holder ? holder : "(no holder)");
    free(holder);
    return id;
}

/*
 * Test 1.  A killed run A, a live run B: `clean --dry-run` lists only A's
 * databases and drops nothing; the next run C drops A's and leaves B's,
 * which then passes.
 */
Test(reclaim, killed_run_reclaimed_live_run_untouched)
{
    const char *ci = itest_cluster_start();
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("SAFE_RELEASE=%s", release);
    struct itest_bg a, b;
    struct itest_result r;

    /* A: two cases asleep in two sandboxes. */
    char *ida = start_sleeping_run(&a, ci, "database", NULL);
    cr_assert_geq(itest_run_db_count(ci, ida), 2);

    /* B starts while A lives: its reclaim must leave A alone. */
    itest_bg_start(&b, "b",
                   ARGV("run", "--db", ci, "-j", "2", "--no-history", WAIT),
                   ARGV(release_env));
    char *idb = itest_wait_for_sandboxes(ci, &b, ida, 2);
    cr_assert_geq(itest_run_db_count(ci, ida), 2,
                  "B's start dropped live run A's sandboxes");

    itest_bg_kill(&a);
    itest_wait_lock_released(ci, ida);
    char *a_dbs = itest_run_db_names(ci, ida);
    cr_assert_geq(itest_run_db_count(ci, ida), 2,
                  "A's sandboxes vanished with A: %s", a_dbs);
    char *b_dbs = itest_run_db_names(ci, idb);

    /* clean --dry-run: lists A's, not B's, drops nothing. */
    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean --dry-run");
    itest_assert_each_listed(a_dbs, "would drop database ", r.out,
                             "clean --dry-run");
    cr_assert(!strstr(r.out, idb) && !strstr(r.err, idb),
              "clean --dry-run names live run B (%s):\n%s\n%s", idb, r.out,
              r.err);
    cr_assert(!strstr(r.out, "dropped database"),
              "clean --dry-run dropped:\n%s", r.out);
    char *now = itest_run_db_names(ci, ida);
    cr_assert_str_eq(now, a_dbs, "after clean --dry-run");
    free(now);
    itest_result_release(&r);

    /* C: reclaims A's at its start, leaves B's. */
    itest_run(&r, ARGV("run", "--db", ci, "--no-history", QUICK), NULL);
    itest_assert_exit(&r, 0, "run C");
    itest_assert_each_listed(a_dbs, "dropped database ", r.err,
                             "run C's reclaim");
    cr_assert(!strstr(r.out, idb) && !strstr(r.err, idb),
              "run C names live run B (%s):\n%s\n%s", idb, r.out, r.err);
    itest_result_release(&r);
    cr_assert_eq(itest_run_db_count(ci, ida), 0, "A's databases left: %s",
                 itest_run_db_names(ci, ida));
    now = itest_run_db_names(ci, idb);
    cr_assert_str_eq(now, b_dbs, "live run B's databases changed");
    free(now);
    char *holder = itest_run_lock_holder(ci, idb);
    cr_assert(holder, "live run B lost its lock");
    free(holder);

    /* B was never disturbed. */
    itest_write_file(release, "", 0644);
    itest_bg_finish(&b, &r);
    itest_assert_exit(&r, 0, "run B");
    cr_assert(strstr(r.out, "2 passed, 0 failed, 0 skipped"), "run B:\n%s\n%s",
              r.out, r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);

    itest_bg_release(&a);
    itest_bg_release(&b);
    free(a_dbs);
    free(b_dbs);
    free(ida);
    free(idb);
    free(release_env);
    free(release);
}

/*
 * Test 2.  `isotest clean` with no live run drops what killed runs left,
 * in every mode: sandboxes, isotest_<runid>_schemas, isotest_<runid>_shared.
 * All three are alive until killed together: a run started after one was
 * killed would reclaim its databases first.
 */
Test(reclaim, clean_drops_killed_runs)
{
    static const char *const modes[] = {"database", "schema", "none"};
    const char *ci = itest_cluster_start();
    struct strbuf all = STRBUF_INIT;
    char *ids[4] = {NULL, NULL, NULL, NULL};
    struct itest_bg runs[3];
    struct itest_result r;

    for (size_t i = 0; i < 3; i++)
        ids[i] = start_sleeping_run(&runs[i], ci, modes[i], (const char **)ids);
    for (size_t i = 0; i < 3; i++) {
        itest_bg_kill(&runs[i]);
        itest_bg_release(&runs[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        itest_wait_lock_released(ci, ids[i]);
        char *names = itest_run_db_names(ci, ids[i]);
        strbuf_addf(&all, "%s%s", all.len ? ", " : "", names);
        free(names);
    }
    cr_assert(strstr(all.buf, "_schemas") && strstr(all.buf, "_shared"),
              "killed runs left: %s", all.buf);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    itest_assert_each_listed(all.buf, "dropped database ", r.out, "clean");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(itest_run_db_count(ci, ids[i]), 0, "%s mode: left %s",
                     modes[i], itest_run_db_names(ci, ids[i]));
        free(ids[i]);
    }
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);

    /* Nothing left: a second clean drops nothing. */
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "second clean");
    cr_assert(!strstr(r.out, "dropped database"), "second clean:\n%s", r.out);
    itest_result_release(&r);
    strbuf_release(&all);
}

/*
 * A run killed while building the template leaves isotest_<runid>_tplbuild
 * and no template; the next run reclaims it and builds the template.
 */
Test(reclaim, killed_during_template_build)
{
    const char *ci = itest_cluster_start();
    struct itest_bg a;
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE safe_slow_build_marker");
    itest_bg_start(&a, "build",
                   ARGV("run", "--db", ci, "--no-history", SLOW_BUILD), NULL);
    char *id = itest_wait_for_run(ci, &a, NULL, 1, "pg_sleep(CASE");
    char *build = xasprintf("isotest_%s_tplbuild", id);
    char *names = itest_run_db_names(ci, id);
    cr_assert_str_eq(names, build, "while building: %s", names);
    free(names);
    /* A live run's template build is not clean's to drop. */
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean during a template build");
    cr_assert(!strstr(r.out, build), "clean touched a live build:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, build), 1);
    itest_bg_kill(&a);
    itest_wait_lock_released(ci, id);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 0,
                 "a half-built template is visible");
    itest_sql(ci, "DROP DATABASE safe_slow_build_marker");

    itest_run(&r, ARGV("run", "--db", ci, "--no-history", SLOW_BUILD), NULL);
    itest_assert_exit(&r, 0, "the run after the killed build");
    char *line = xasprintf("dropped database %s\n", build);
    cr_assert(strstr(r.err, line), "'%s' not in\n%s", line, r.err);
    free(line);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 1);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);

    itest_bg_release(&a);
    free(build);
    free(id);
}

/*
 * A session that holds a run's lock makes that run live, whatever the run
 * id: f00dcafe has its high bit set (a negative int4 key).
 */
Test(reclaim, lock_holder_protects_its_databases)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE isotest_f00dcafe_1");
    itest_sql(ci, "CREATE DATABASE isotest_f00dcafe_schemas");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_1");
    /* The lock as isotest takes it: pg_advisory_lock(int4, int4). */
    PGconn *holder = PQconnectdb(ci);
    cr_assert(PQstatus(holder) == CONNECTION_OK);
    PGresult *res = PQexec(holder, "SELECT pg_advisory_lock(" ITEST_LOCK_CLASS
                                   ", x'f00dcafe'::int4)");
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s",
              PQerrorMessage(holder));
    PQclear(res);
    char *db = itest_run_lock_holder(ci, "f00dcafe");
    cr_assert(db, "the lock does not show as objid %lu", 0xf00dcafeUL);
    free(db);

    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean --dry-run");
    cr_assert(strstr(r.out, "would drop database isotest_0badc0de_1\n"), "%s",
              r.out);
    cr_assert(!strstr(r.out, "f00dcafe"), "live run listed:\n%s", r.out);
    itest_result_release(&r);

    itest_run(&r, ARGV("run", "--db", ci, "--no-history", QUICK), NULL);
    itest_assert_exit(&r, 0, "run");
    cr_assert(!strstr(r.err, "f00dcafe"), "live run reclaimed:\n%s", r.err);
    itest_result_release(&r);
    cr_assert_eq(itest_run_db_count(ci, "0badc0de"), 0);
    cr_assert_eq(itest_run_db_count(ci, "f00dcafe"), 2,
                 "a live run's databases were dropped");

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean while the lock is held");
    cr_assert(!strstr(r.out, "f00dcafe"), "live run reclaimed:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_run_db_count(ci, "f00dcafe"), 2);

    /* The holder ends: the run is dead. */
    PQfinish(holder);
    itest_wait_lock_released(ci, "f00dcafe");
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean after the holder ended");
    itest_assert_each_listed("isotest_f00dcafe_1, isotest_f00dcafe_schemas",
                             "dropped database ", r.out, "clean");
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
}

/* ---- two runs at once --------------------------------------------------- */

/* Test 3.  Same fresh migrations, two runs together: one template. */
Test(reclaim, concurrent_runs_build_one_template)
{
    const char *ci = itest_cluster_start();
    char *junit[2] = {itest_tmpfile("x.xml"), itest_tmpfile("y.xml")};
    struct itest_bg runs[2];
    struct itest_result r;
    struct itest_junit jc;

    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 0);
    for (int i = 0; i < 2; i++)
        itest_bg_start(&runs[i], i ? "y" : "x",
                       ARGV("run", "--db", ci, "-j", "2", "--no-history",
                            "--junit", junit[i], SLOW_MIGRATION),
                       NULL);
    int reused = 0;
    char *names[2];
    for (int i = 0; i < 2; i++) {
        itest_bg_finish(&runs[i], &r);
        itest_assert_exit(&r, 0, i ? "run y" : "run x");
        itest_result_release(&r);
        itest_junit_check(junit[i], &jc);
        cr_assert_eq(jc.tests, 2);
        cr_assert_eq(jc.failures + jc.errors, 0);
        char *v = itest_junit_property(junit[i], "isotest.template_reused");
        cr_assert(v && (!strcmp(v, "true") || !strcmp(v, "false")),
                  "isotest.template_reused=%s", v ? v : "(none)");
        reused += !strcmp(v, "true");
        free(v);
        names[i] = itest_junit_property(junit[i], "isotest.template_name");
        cr_assert(names[i], "no isotest.template_name in %s", junit[i]);
        itest_bg_release(&runs[i]);
    }
    cr_assert_eq(reused, 1,
                 "%d of the two reports say the template was "
                 "reused; expected exactly one",
                 reused);
    cr_assert_str_eq(names[0], names[1]);
    char *tpls = itest_db_names(ci, "isotest\\_tpl\\_%");
    cr_assert_str_eq(tpls, names[0], "templates on the server: %s", tpls);
    itest_assert_no_sandboxes(ci);

    free(tpls);
    for (int i = 0; i < 2; i++) {
        free(names[i]);
        free(junit[i]);
    }
}
