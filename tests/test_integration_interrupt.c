/*
 * test_integration_interrupt.c: Ctrl-C (SIGINT) and SIGTERM sent to the
 * isotest process, for `isotest run` and for `isotest bench`.
 *
 *   run     the first signal ends the running cases, reports every case
 *           (interrupted or never started) as an error, drops the
 *           sandboxes and stops the embedded server; the second ends
 *           isotest at once, SIGKILLing cases that ignore SIGTERM, and
 *           leaves what is left to `isotest clean`;
 *   bench   the first signal stops the running child run the same way and
 *           skips the remaining runs; after one signal or two, nothing of
 *           the bench is left: no postgres of its embedded server, no run
 *           folder, no sandbox on a named server, nothing in its TMPDIR.
 *
 * isotest is started in the background (itest_bg_start) and signalled by
 * pid, as a terminal's Ctrl-C or a CI runner would signal it (isotest is
 * the leader of its process group; its cases have groups of their own).
 * Tests with --db start a private server; the others use the embedded
 * server and check that its run folder is gone.
 *
 * Fixtures: tests/fixtures/cmd_interrupt (scripts that sleep 30 s, one
 * of them ignoring SIGTERM, writing their pids to $CMD_PIDS);
 * tests/fixtures/bench_interrupt (a migration and four cases that sleep
 * 0.3 s: a bench of it is mid-run seconds after it starts).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define FX FIXTURES "/"
#define BENCH_SUITE FIXTURES "/bench_interrupt"
/* What bench prints when a signal made it skip the rest. */
#define BENCH_SKIPPED                                                          \
    "isotest bench: interrupted: the remaining runs were skipped"

TestSuite(interrupt, .fini = itest_teardown, .timeout = 150);

/* Wait until `path` has `lines` lines: every case is running. */
static void wait_pid_lines(struct itest_bg *b, const char *path, size_t lines)
{
    for (int i = 0; itest_count_lines(path) < lines; i++) {
        bool ended = !itest_bg_alive(b);
        if (ended || i > 1800) {
            int status = b->status;
            itest_bg_kill(b);
            char *out = itest_read_file(b->out_path);
            char *err = itest_read_file(b->err_path);
            cr_assert_fail("the cases did not all start (%zu of %zu pid "
                           "lines); isotest %s (status %d)\nstdout:\n%s\n"
                           "stderr:\n%s",
                           itest_count_lines(path), lines,
                           ended ? "ended" : "was killed after 90 s",
                           ended ? status : -1, out, err);
        }
        itest_sleep_ms(50);
    }
}

/* ---- isotest run -------------------------------------------------------- */

/*
 * Ten cases that sleep 30 s with -j 8: once eight run (their pids are in
 * the file), isotest gets `sig`.  It must end them, report all ten as
 * errors (eight interrupted, two never started), drop every sandbox and
 * exit 128 + sig.  `ci` NULL: the embedded server, which must be gone too.
 */
static void interrupt_run(const char *ci, int sig)
{
    char *junit = itest_tmpfile("report.xml");
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    char **before = ci ? NULL : itest_run_dirs();
    struct itest_result r;
    struct itest_junit jc;
    struct itest_bg b;

    if (ci)
        itest_bg_start(&b, "run",
                       ARGV("run", "--db", ci, "--no-history", "-j", "8",
                            "--junit", junit, "--list", "seq 10", "--each",
                            FX "cmd_interrupt/sleeper.sh {}"),
                       ARGV(pids_env));
    else
        itest_bg_start(&b, "run",
                       ARGV("run", "--no-history", "-j", "8", "--junit", junit,
                            "--list", "seq 10", "--each",
                            FX "cmd_interrupt/sleeper.sh {}"),
                       ARGV(pids_env));
    wait_pid_lines(&b, pids, 16);
    cr_assert(kill(b.pid, sig) == 0);
    itest_bg_finish(&b, &r);

    itest_assert_exit(&r, 128 + sig, "the interrupted run");
    /* 8 cases running are ended (errors), the other 2 never start. */
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped, 8 errors, 2 "
                             "not run");
    cr_assert(strstr(r.err, "interrupted"), "no note on stderr:\n%s", r.err);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 10, "%ld testcases in the report", jc.tests);
    cr_assert_eq(jc.errors, 10, "%ld errors in the report", jc.errors);
    char *prop = itest_junit_property(junit, "isotest.interrupted");
    cr_assert_str_eq(prop ? prop : "", "true");
    free(prop);
    itest_assert_pids_gone(pids, 16);
    if (ci)
        itest_assert_no_sandboxes(ci);
    else
        itest_assert_no_new_run_dirs(before);

    itest_bg_release(&b);
    itest_strv_free(before);
    free(pids_env);
    free(pids);
    free(junit);
    itest_result_release(&r);
}

Test(interrupt, ctrl_c_ends_the_run)
{
    interrupt_run(itest_cluster_start(), SIGINT);
}

Test(interrupt, sigterm_ends_the_run_embedded_server)
{
    interrupt_run(NULL, SIGTERM);
}

/*
 * Two cases that ignore SIGTERM: the first Ctrl-C cannot end them within
 * the grace period, the second ends isotest at once, SIGKILLing them.  What
 * it left is for `isotest clean`, which then finds the run dead.
 */
Test(interrupt, second_ctrl_c_ends_at_once)
{
    const char *ci = itest_cluster_start();
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    struct itest_result r;
    struct itest_bg b;

    itest_bg_start(&b, "run",
                   ARGV("run", "--db", ci, "--no-history", "-j", "2", "--list",
                        "seq 2", "--each", FX "cmd_interrupt/stubborn.sh {}"),
                   ARGV(pids_env));
    wait_pid_lines(&b, pids, 4);
    cr_assert(kill(b.pid, SIGINT) == 0);
    itest_bg_wait_output(&b, true, "interrupted");
    cr_assert(kill(b.pid, SIGINT) == 0);
    itest_bg_finish(&b, &r);

    itest_assert_exit(&r, 130, "the run after a second SIGINT");
    cr_assert(strstr(r.err, "second interrupt"), "stderr:\n%s", r.err);
    itest_assert_pids_gone(pids, 4);

    /* The dead run's lock goes with its session, which may take a moment. */
    for (int i = 0;; i++) {
        struct itest_result c;
        itest_run(&c, ARGV("clean", "--db", ci), NULL);
        itest_assert_exit(&c, 0, "clean");
        itest_result_release(&c);
        char *left = itest_sql_value(
            ci, "SELECT count(*) FROM pg_database WHERE datname LIKE "
                "'isotest\\_%' AND datname NOT LIKE 'isotest\\_tpl\\_%'");
        bool clean = !strcmp(left, "0");
        free(left);
        if (clean || i >= 20)
            break;
        itest_sleep_ms(250);
    }
    itest_assert_no_sandboxes(ci);
    itest_bg_release(&b);
    free(pids_env);
    free(pids);
    itest_result_release(&r);
}

/* ---- isotest bench ------------------------------------------------------ */

/*
 * Start `isotest bench --jobs 1,2 --isolation database --repeat 3` on
 * bench_interrupt, on the server `db` (NULL: its embedded server), with
 * `tmpdir` as its TMPDIR, and wait until it prints its first
 * configuration line: the warm-up run is over and the measured runs have
 * begun (six of them, a second or so each).
 */
static void start_bench(struct itest_bg *b, const char *db, const char *tmpdir)
{
    char *tmpenv = xasprintf("TMPDIR=%s", tmpdir);

    if (db)
        itest_bg_start(b, "bench",
                       ARGV("bench", "--db", db, "--jobs", "1,2", "--isolation",
                            "database", "--repeat", "3", BENCH_SUITE),
                       ARGV(tmpenv));
    else
        itest_bg_start(b, "bench",
                       ARGV("bench", "--jobs", "1,2", "--isolation", "database",
                            "--repeat", "3", BENCH_SUITE),
                       ARGV(tmpenv));
    free(tmpenv);
    itest_bg_wait_output(b, false, "\n  database -j 1");
}

/* Wait at most `seconds` for the bench to end after its signal(s). */
static void finish_bench(struct itest_bg *b, struct itest_result *r,
                         int seconds, const char *what)
{
    if (!itest_bg_wait(b, r, seconds * 1000L)) {
        char *out = itest_read_file(b->out_path);
        char *err = itest_read_file(b->err_path);
        cr_assert_fail("bench still running %d s after %s\nstdout:\n%s\n"
                       "stderr:\n%s",
                       seconds, what, out, err);
    }
}

/*
 * What a bench on its embedded server left: processes naming its run
 * folder (postgres -D <folder>/data, child runs given its socket) are
 * stopped and the folder removed first -- a postgres left running must not
 * outlive the test, nor a folder count against the tests that check for
 * new run folders -- then the test fails if there was any, or if its
 * TMPDIR is not empty.
 */
static void assert_bench_left_nothing(const char *rundir, const char *tmpdir)
{
    char *procs = itest_stop_processes_naming(rundir);
    bool folder = access(rundir, F_OK) == 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (folder) {
        fs_remove_tree(rundir, &e);
        isotest_err_release(&e);
    }
    cr_assert_str_empty(procs,
                        "bench exited with processes of its server running "
                        "(stopped by the test):%s",
                        procs);
    cr_assert(!folder, "bench left its run folder '%s' (removed by the test)",
              rundir);
    itest_assert_empty_dir(tmpdir, "bench");
    free(procs);
}

/*
 * The first Ctrl-C: the running child run stops cleanly, the other runs
 * are skipped, bench says so and exits 130 having stopped its server.
 */
Test(interrupt, bench_ctrl_c_skips_the_remaining_runs)
{
    char *tmp = itest_tmpsubdir("tmp");
    struct itest_result r;
    struct itest_bg b;

    start_bench(&b, NULL, tmp);
    char *rundir = itest_server_dir_of(b.pid);
    cr_assert(rundir, "bench %ld has no embedded postgres as its child",
              (long)b.pid);
    cr_assert(kill(b.pid, SIGINT) == 0);
    finish_bench(&b, &r, 20, "SIGINT");

    assert_bench_left_nothing(rundir, tmp);
    itest_assert_exit(&r, 130, "bench after SIGINT");
    cr_assert(strstr(r.out, BENCH_SKIPPED), "no '%s' on stdout:\n%s\n%s",
              BENCH_SKIPPED, r.out, r.err);
    cr_assert(strstr(r.err, "interrupted"), "no note on stderr:\n%s", r.err);

    itest_bg_release(&b);
    itest_result_release(&r);
    free(rundir);
    free(tmp);
}

/*
 * A second Ctrl-C 0.2 s after the first: bench ends at once, with 130,
 * and still leaves nothing behind.
 */
Test(interrupt, bench_second_ctrl_c_leaves_nothing)
{
    char *tmp = itest_tmpsubdir("tmp");
    struct itest_result r;
    struct itest_bg b;

    start_bench(&b, NULL, tmp);
    char *rundir = itest_server_dir_of(b.pid);
    cr_assert(rundir, "bench %ld has no embedded postgres as its child",
              (long)b.pid);
    cr_assert(kill(b.pid, SIGINT) == 0);
    itest_sleep_ms(200);
    /* Not yet reaped: a bench that is already done is a zombie, no ESRCH. */
    cr_assert(kill(b.pid, SIGINT) == 0);
    finish_bench(&b, &r, 10, "two SIGINTs");

    assert_bench_left_nothing(rundir, tmp);
    itest_assert_exit(&r, 130, "bench after two SIGINTs");

    itest_bg_release(&b);
    itest_result_release(&r);
    free(rundir);
    free(tmp);
}

/* On a named server: the child run's sandboxes are dropped. */
Test(interrupt, bench_ctrl_c_on_a_named_server)
{
    const char *ci = itest_cluster_start();
    char *tmp = itest_tmpsubdir("tmp");
    struct itest_result r;
    struct itest_bg b;

    start_bench(&b, ci, tmp);
    cr_assert(kill(b.pid, SIGINT) == 0);
    finish_bench(&b, &r, 20, "SIGINT");

    itest_assert_exit(&r, 130, "bench after SIGINT");
    cr_assert(strstr(r.out, BENCH_SKIPPED), "no '%s' on stdout:\n%s\n%s",
              BENCH_SKIPPED, r.out, r.err);
    itest_assert_no_sandboxes(ci);
    itest_assert_empty_dir(tmp, "bench");

    itest_bg_release(&b);
    itest_result_release(&r);
    free(tmp);
}

/*
 * isotest killed outright (SIGKILL: no clean-up of its own): its guards
 * end the cases, even those that left their process group, and the
 * embedded server, and remove the server's folder.
 */
Test(interrupt, sigkill_leaves_no_server_and_no_case)
{
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    char **before = itest_run_dirs();
    struct itest_result r;
    struct itest_bg b;

    itest_bg_start(&b, "run",
                   ARGV("run", "--no-history", "-j", "2", "--list", "seq 2",
                        "--each", FX "cmd_interrupt/sleeper.sh {}"),
                   ARGV(pids_env));
    wait_pid_lines(&b, pids, 4);
    cr_assert(kill(b.pid, SIGKILL) == 0);
    itest_bg_finish(&b, &r);
    itest_assert_pids_gone(pids, 4);
    itest_assert_run_dirs_go(before, 15);

    itest_bg_release(&b);
    itest_result_release(&r);
    itest_strv_free(before);
    free(pids_env);
    free(pids);
}
