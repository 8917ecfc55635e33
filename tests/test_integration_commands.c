/*
 * test_integration_commands.c: command cases (executables under PATH and
 * --list/--each) run by the isotest binary against a real PostgreSQL --
 * timeouts, crashes, huge and binary output, skips, the environment a case
 * gets, listing commands, Ctrl-C/SIGTERM, --keep-failed with `isotest
 * clean`, --filter, --fail-fast and `isotest list`'s notes.
 *
 * Each test starts a private server (helpers.h) and passes it with --db, so
 * that the catalog can be inspected afterwards; the SIGTERM test uses the
 * embedded server instead and checks that its run folder is gone.  Runs
 * pass --no-history, so that no .isotest-history lands in the fixtures.
 *
 * Fixtures: tests/fixtures/cmd_*, one folder per behaviour.  Scripts that
 * must not outlive their run write their pids (and their children's) to the
 * file named by $CMD_PIDS, a file in the test's scratch folder.
 *
 * Layout: helpers (summary line, JUnit testcases, pids, running isotest in
 * the background), then the tests in the order of the issue.
 */
#define _GNU_SOURCE /* waitid() with WNOWAIT */
#include "helpers.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"

#define FX FIXTURES "/"
#define PSQL_HINT "sandbox kept; open it with: "

extern char **environ;

TestSuite(commands, .fini = itest_teardown, .timeout = 150);

/* ---- helpers ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static void assert_code(const struct itest_result *r, int want)
{
    cr_assert_eq(r->code, want,
                 "exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s", r->code,
                 want, r->out, r->err);
}

/* "run --db <ci> --no-history" followed by args: a run on our server. */
static void run_on(struct itest_result *r, const char *ci,
                   const char *const *args, const char *const *env)
{
    size_t n = 0;

    while (args[n])
        n++;
    const char **v = xcalloc(n + 5, sizeof(*v));
    v[0] = "run";
    v[1] = "--db";
    v[2] = ci;
    v[3] = "--no-history";
    memcpy(v + 4, args, n * sizeof(*v));
    itest_run(r, v, env);
    free(v);
}

static char *read_text(const char *path)
{
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(fs_read_file(path, &text, &len, &e) == 0, "%s", e.msg);
    return text;
}

/* The pids a run's scripts wrote, one per line; *n gets their count. */
static pid_t *read_pids(const char *path, size_t *n)
{
    char *text = read_text(path);
    pid_t *v = xcalloc(1, sizeof(*v));

    *n = 0;
    for (char *p = text; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        cr_assert(end != p && pid > 1, "bad line in %s:\n%s", path, text);
        v = xrealloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = (pid_t)pid;
        p = end;
        while (*p == '\n')
            p++;
    }
    free(text);
    return v;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "re");
    size_t n = 0;
    int ch;

    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/*
 * Is the process still there?  A zombie is not: the orphaned children of a
 * killed case are reparented to PID 1, which in a container may never reap
 * them, so kill(pid, 0) alone would see the dead as alive.
 */
static bool pid_alive(pid_t pid)
{
    if (kill(pid, 0) < 0)
        return errno != ESRCH;
    char *path = xasprintf("/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    char buf[512] = "";
    free(path);
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return !(paren && (paren[2] == 'Z' || paren[2] == 'X'));
}

/*
 * Every pid in the file is gone.  A SIGKILL sent just before isotest exited
 * takes effect asynchronously, so each process gets two seconds to vanish.
 */
static void assert_pids_gone(const char *path, size_t want)
{
    size_t n;
    pid_t *v = read_pids(path, &n);

    cr_assert_eq(n, want, "%zu pids in %s, expected %zu", n, path, want);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 100 && pid_alive(v[i]); k++)
            sleep_ms(20);
        bool alive = pid_alive(v[i]);
        if (alive)
            kill(v[i], SIGKILL); /* do not leave it to the next test */
        cr_assert(!alive, "process %ld of the case survived the run",
                  (long)v[i]);
    }
    free(v);
}

/* "NAME=value" in new memory. */
static char *env_kv(const char *name, const char *value)
{
    return xasprintf("%s=%s", name, value);
}

/* This process's environment without PG* variables (owned by environ). */
static const char **env_without_pg(const char *const *extra)
{
    size_t n = 0, k = 0;

    for (char **p = environ; *p; p++)
        n++;
    for (const char *const *x = extra; x && *x; x++)
        n++;
    const char **v = xcalloc(n + 1, sizeof(*v));
    for (char **p = environ; *p; p++)
        if (strncmp(*p, "PG", 2))
            v[k++] = *p;
    for (const char *const *x = extra; x && *x; x++)
        v[k++] = *x;
    return v;
}

/* Run a shell command line (no PG* variables); stdout+stderr together. */
static int run_shell(const char *cmd, char **output)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    const char **envp = env_without_pg(NULL);
    struct proc_spec spec = {.argv = argv, .envp = envp, .merge_stderr = true};
    struct proc p;
    struct proc_status st;
    struct strbuf out = STRBUF_INIT, none = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run sh: %s", e.msg);
    free(envp);
    cr_assert(
        proc_capture(&p, &out, &none, 30000, SIGTERM, 1000, NULL, &st, &e) == 0,
        "%s", e.msg);
    strbuf_release(&none);
    *output = strbuf_detach(&out, NULL);
    return st.exited && !st.timed_out ? st.code : -1;
}

/* ---- running isotest in the background (for signals) ------------------- */

/*
 * Start build/isotest without waiting for it, with the environment
 * itest_run() gives it: no PG* variables, ISOTEST_CACHE_DIR at the tests'
 * embedded cache, then `env`.  isotest gets a process group of its own.
 */
static void bg_start(struct proc *p, const char *const *args,
                     const char *const *env)
{
    const char *bin = getenv("ISOTEST_BIN");
    size_t n = 0, k = 0;

    if (!bin || !*bin)
        bin = "build/isotest";
    while (args[n])
        n++;
    const char **argv = xcalloc(n + 2, sizeof(*argv));
    argv[0] = bin;
    memcpy(argv + 1, args, n * sizeof(*argv));

    const char *more[16];
    more[k++] = "ISOTEST_CACHE_DIR=/tmp/isotest-test-cache/embedded";
    for (const char *const *x = env; x && *x; x++) {
        cr_assert(k < 15);
        more[k++] = *x;
    }
    more[k] = NULL;
    const char **envp = env_without_pg(more);

    struct proc_spec spec = {.argv = argv, .envp = envp};
    struct isotest_err e = ISOTEST_ERR_INIT;
    cr_assert(proc_start(p, &spec, &e) == 0, "cannot run '%s': %s", bin, e.msg);
    free(argv);
    free(envp);
}

/* Wait for the run to end and collect what it printed after `err_pre`. */
static void bg_finish(struct proc *p, struct itest_result *r,
                      const char *err_pre)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (err_pre)
        strbuf_addstr(&errb, err_pre);
    cr_assert(
        proc_capture(p, &out, &errb, 120000, SIGKILL, 1000, NULL, &st, &e) == 0,
        "%s", e.msg);
    r->code = st.exited && !st.timed_out ? st.code : -1;
    r->out = strbuf_detach(&out, NULL);
    r->err = strbuf_detach(&errb, NULL);
}

/* Has the background isotest exited?  (It stays waitable.) */
static bool bg_exited(const struct proc *p)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == p->pid;
}

/* Wait until `path` has `lines` lines: every case is running. */
static void bg_wait_lines(struct proc *p, const char *path, size_t lines)
{
    for (int i = 0; count_lines(path) < lines; i++) {
        if (bg_exited(p) || i > 1800) {
            struct itest_result r;
            kill(p->pid, SIGKILL);
            bg_finish(p, &r, NULL);
            cr_assert_fail(
                "the cases did not all start (%zu of %zu pid lines); "
                "isotest: exit code %d\nstdout:\n%s\nstderr:\n%s",
                count_lines(path), lines, r.code, r.out, r.err);
        }
        sleep_ms(50);
    }
}

/* Read the run's stderr until `needle` shows (the signal was taken). */
static char *bg_read_err_until(struct proc *p, const char *needle)
{
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];

    for (int i = 0; !strstr(sb.buf, needle); i++) {
        cr_assert(i < 600, "'%s' never came on stderr:\n%s", needle, sb.buf);
        struct pollfd pf = {.fd = p->err_fd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        ssize_t n = read(p->err_fd, buf, sizeof(buf));
        cr_assert(n > 0, "isotest closed stderr before '%s':\n%s", needle,
                  sb.buf);
        strbuf_add(&sb, buf, (size_t)n);
    }
    return strbuf_detach(&sb, NULL);
}

/* ---- 1, 2: timeouts ---------------------------------------------------- */

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
    char *pids_env = env_kv("CMD_PIDS", pids);
    struct itest_result r;
    struct itest_junit jc;

    run_on(&r, ci,
           ARGV("--timeout", "1", "-j", "3", "--junit", junit, FX "cmd_hang"),
           ARGV(pids_env));
    assert_code(&r, 1);
    itest_assert_summary(&r, "0 passed, 3 failed, 0 skipped");
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

    assert_pids_gone(pids, 6);
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
    char *pids_env = env_kv("CMD_PIDS", pids);
    struct itest_result r;

    run_on(&r, ci, ARGV(FX "cmd_leftover"), ARGV(pids_env));
    assert_code(&r, 0);
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    assert_pids_gone(pids, 2);
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

    run_on(&r, ci,
           ARGV("--isolation", mode, "--timeout", "1", "--junit", junit,
                FX "cmd_sqlhang"),
           NULL);
    assert_code(&r, 1);
    itest_assert_summary(&r, "0 passed, 1 failed, 0 skipped");
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

/* ---- 3-6: how a case ends, what it prints ------------------------------ */

Test(commands, segfault_names_the_signal)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    run_on(&r, ci, ARGV("--junit", junit, FX "cmd_segv"), NULL);
    assert_code(&r, 1);
    itest_assert_summary(&r, "0 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "ERROR   cmd_segv/segv.sh"), "no ERROR in\n%s",
              r.out);
    cr_assert(strstr(r.out, "killed by SIGSEGV (exit code 139)"),
              "no signal name in\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.errors, 1);
    itest_assert_case(junit, "segv.sh", "error", "killed by SIGSEGV (exit code 139)");
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

    run_on(&r, ci, ARGV("--junit", junit, FX "cmd_bigout"), NULL);
    assert_code(&r, 0);
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

    run_on(&r, ci,
           ARGV("--output-cap", "4096", "--junit", junit, FX "cmd_bigout"),
           NULL);
    assert_code(&r, 0);
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

    run_on(&r, ci, ARGV("--junit", junit, FX "cmd_binary"), NULL);
    assert_code(&r, 1);
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

    run_on(&r, ci, ARGV("--junit", junit, FX "cmd_skip"), NULL);
    assert_code(&r, 0);
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

/* ---- 7: the environment of a case -------------------------------------- */

/*
 * cmd_env/env_check.sh checks its own environment (see the script); isotest
 * runs with variables that must not reach it.  On failure the script's
 * stderr, shown by isotest, says what was wrong.
 */
static void env_check(const char *ci, const char *mode, const char *password)
{
    char *junit = itest_tmpfile("report.xml");
    char *mode_env = env_kv("CMD_MODE", mode);
    char *pw_env = password ? env_kv("CMD_PASSWORD", password) : NULL;
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
    assert_code(&r, 0);
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 1);

    struct itest_case c;
    itest_junit_case(junit, "env_check.sh", &c);
    cr_assert(strstr(c.out, "DATABASE_URL=postgresql://"), "system-out:\n%s",
              c.out);
    itest_case_release(&c);
    if (password) {
        char *xml = read_text(junit);
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

/* ---- 8: --list and --each ---------------------------------------------- */

/*
 * Each id reaches the template as one shell word, quotes, spaces and $(...)
 * included: the template passes only when {} expands to exactly an id.
 */
Test(commands, listing_runs_each_id)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    run_on(&r, ci,
           ARGV("--junit", junit, "--list",
                "printf 'a\\n\\nb c\\n  \\nit'\\''s\\n$(false);x\\n'", "--each",
                "test {} = a || test {} = 'b c' || test {} = \"it's\" || "
                "test {} = '$(false);x'"),
           NULL);
    assert_code(&r, 0);
    itest_assert_summary(&r, "4 passed, 0 failed, 0 skipped");
    cr_assert(strstr(r.out, "list/a ") && strstr(r.out, "list/b c ") &&
                  strstr(r.out, "list/it's ") &&
                  strstr(r.out, "list/$(false);x "),
              "case ids missing from\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 4);
    itest_assert_case(junit, "a", "passed", NULL);
    itest_assert_case(junit, "b c", "passed", NULL);
    itest_assert_case(junit, "it's", "passed", NULL);
    itest_assert_case(junit, "$(false);x", "passed", NULL);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);

    /* A failing id fails its case only. */
    run_on(&r, ci,
           ARGV("--list", "printf 'a\\nx\\n'", "--each", "test {} != x"), NULL);
    assert_code(&r, 1);
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "FAIL    list/x"), "no FAIL line in\n%s", r.out);
    itest_result_release(&r);
}

static void assert_listing_refused(const char *ci, const char *const *args,
                                   const char *needle)
{
    struct itest_result r;

    run_on(&r, ci, args, NULL);
    assert_code(&r, 2);
    cr_assert(strstr(r.err, "isotest: error: "), "no error line:\n%s", r.err);
    cr_assert(strstr(r.err, needle), "'%s' not in the error:\n%s", needle,
              r.err);
    cr_assert(!strstr(r.out, " passed, "), "a summary was printed:\n%s", r.out);
    itest_result_release(&r);
}

Test(commands, listing_errors)
{
    const char *ci = itest_cluster_start();

    assert_listing_refused(
        ci,
        ARGV("--list", "sh -c \"echo boom >&2; exit 3\"", "--each", "true {}"),
        "boom");
    assert_listing_refused(
        ci,
        ARGV("--list", "sh -c \"echo boom >&2; exit 3\"", "--each", "true {}"),
        "exit code 3");
    assert_listing_refused(ci, ARGV("--list", "true", "--each", "true {}"),
                           "printed no test ids");
    assert_listing_refused(
        ci, ARGV("--list", "printf '\\n   \\n'", "--each", "true {}"),
        "printed no test ids");
    assert_listing_refused(ci, ARGV("--list", "echo a", "--each", "true"),
                           "no '{}'");
    assert_listing_refused(ci, ARGV("--list", "echo a"), "--list needs --each");
    assert_listing_refused(ci, ARGV("--each", "true {}"),
                           "--each needs --list");
    itest_assert_no_sandboxes(ci);
}

/* ---- 9: Ctrl-C and SIGTERM --------------------------------------------- */

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
    char *pids_env = env_kv("CMD_PIDS", pids);
    char **before = ci ? NULL : itest_run_dirs();
    struct itest_result r;
    struct itest_junit jc;
    struct proc p;

    if (ci)
        bg_start(&p,
                 ARGV("run", "--db", ci, "--no-history", "-j", "8", "--junit",
                      junit, "--list", "seq 10", "--each",
                      FX "cmd_interrupt/sleeper.sh {}"),
                 ARGV(pids_env));
    else
        bg_start(&p,
                 ARGV("run", "--no-history", "-j", "8", "--junit", junit,
                      "--list", "seq 10", "--each",
                      FX "cmd_interrupt/sleeper.sh {}"),
                 ARGV(pids_env));
    bg_wait_lines(&p, pids, 16);
    cr_assert(kill(p.pid, sig) == 0);
    bg_finish(&p, &r, NULL);

    assert_code(&r, 128 + sig);
    itest_assert_summary(&r, "0 passed, 10 failed, 0 skipped");
    cr_assert(strstr(r.err, "interrupted"), "no note on stderr:\n%s", r.err);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 10, "%ld testcases in the report", jc.tests);
    cr_assert_eq(jc.errors, 10, "%ld errors in the report", jc.errors);
    char *prop = itest_junit_property(junit, "isotest.interrupted");
    cr_assert_str_eq(prop ? prop : "", "true");
    free(prop);
    assert_pids_gone(pids, 16);
    if (ci)
        itest_assert_no_sandboxes(ci);
    else
        itest_assert_no_new_run_dirs(before);

    itest_strv_free(before);
    free(pids_env);
    free(pids);
    free(junit);
    itest_result_release(&r);
}

Test(commands, ctrl_c_ends_the_run)
{
    interrupt_run(itest_cluster_start(), SIGINT);
}

Test(commands, sigterm_ends_the_run_embedded_server)
{
    interrupt_run(NULL, SIGTERM);
}

/*
 * Two cases that ignore SIGTERM: the first Ctrl-C cannot end them within
 * the grace period, the second ends isotest at once, SIGKILLing them.  What
 * it left is for `isotest clean`, which then finds the run dead.
 */
Test(commands, second_ctrl_c_ends_at_once)
{
    const char *ci = itest_cluster_start();
    char *pids = itest_tmpfile("pids");
    char *pids_env = env_kv("CMD_PIDS", pids);
    struct itest_result r;
    struct proc p;

    bg_start(&p,
             ARGV("run", "--db", ci, "--no-history", "-j", "2", "--list",
                  "seq 2", "--each", FX "cmd_interrupt/stubborn.sh {}"),
             ARGV(pids_env));
    bg_wait_lines(&p, pids, 4);
    cr_assert(kill(p.pid, SIGINT) == 0);
    char *pre = bg_read_err_until(&p, "interrupted");
    cr_assert(kill(p.pid, SIGINT) == 0);
    bg_finish(&p, &r, pre);
    free(pre);

    assert_code(&r, 130);
    cr_assert(strstr(r.err, "second interrupt"), "stderr:\n%s", r.err);
    assert_pids_gone(pids, 4);

    /* The dead run's lock goes with its session, which may take a moment. */
    for (int i = 0;; i++) {
        struct itest_result c;
        itest_run(&c, ARGV("clean", "--db", ci), NULL);
        assert_code(&c, 0);
        itest_result_release(&c);
        char *left = itest_sql_value(
            ci, "SELECT count(*) FROM pg_database WHERE datname LIKE "
                "'isotest\\_%' AND datname NOT LIKE 'isotest\\_tpl\\_%'");
        bool clean = !strcmp(left, "0");
        free(left);
        if (clean || i >= 20)
            break;
        sleep_ms(250);
    }
    itest_assert_no_sandboxes(ci);
    free(pids_env);
    free(pids);
    itest_result_release(&r);
}

/* ---- 10: --keep-failed and isotest clean ------------------------------- */

/* The psql command printed beside the failure, e.g. "psql -h ... -d db". */
static char *kept_command(const struct itest_result *r)
{
    const char *p = strstr(r->out, PSQL_HINT);

    cr_assert(p, "no '" PSQL_HINT "' in\n%s", r->out);
    p += strlen(PSQL_HINT);
    cr_assert(!strstr(p, PSQL_HINT), "more than one sandbox kept:\n%s", r->out);
    return xstrndup(p, strcspn(p, "\n"));
}

/* The database named by "-d NAME" in the command (checked to be plain). */
static char *kept_db(const char *cmd)
{
    const char *d = strstr(cmd, " -d ");

    cr_assert(d, "no -d in '%s'", cmd);
    d += 4;
    size_t n = strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789_");
    cr_assert(n > 8 && !strncmp(d, "isotest_", 8), "-d '%s'", d);
    return xstrndup(d, n);
}

static char *db_comment(const char *ci, const char *db)
{
    char *sql = xasprintf("SELECT shobj_description(oid, 'pg_database') "
                          "FROM pg_database WHERE datname = '%s'",
                          db); /* db is [a-z0-9_], see kept_db() */
    char *v = itest_sql_value(ci, sql);

    free(sql);
    return v;
}

/* Run with --keep-failed; returns the printed command, sets *db. */
static char *run_keep_failed(const char *ci, const char *mode, char **db)
{
    struct itest_result r;

    run_on(&r, ci,
           ARGV("--keep-failed", "--isolation", mode, "-j", "2", FX "cmd_keep"),
           NULL);
    assert_code(&r, 1);
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    char *cmd = kept_command(&r);
    *db = kept_db(cmd);
    cr_assert_eq(itest_db_count(ci, *db), 1, "database %s is gone", *db);
    char *comment = db_comment(ci, *db);
    cr_assert(comment && !strncmp(comment, "isotest kept at ", 16),
              "comment on %s: %s", *db, comment ? comment : "(none)");
    free(comment);
    itest_result_release(&r);
    return cmd;
}

/*
 * Database mode: only the failed case's database stays; the printed
 * command opens it (the case's table is there); `isotest clean` with the
 * default --keep-age leaves it, being young.
 */
Test(commands, keep_failed_database_mode)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "database", &db);

    /* The passing case's sandbox went; the failed one's alone is left. */
    char *left =
        itest_sql_value(ci, "SELECT string_agg(datname, ', ') FROM pg_database "
                            "WHERE datname LIKE 'isotest\\_%' "
                            "AND datname NOT LIKE 'isotest\\_tpl\\_%'");
    cr_assert_str_eq(left ? left : "", db, "databases left: %s", left);
    free(left);

    char *line = xasprintf("%s -X -q -t -A -c \"SELECT current_database() "
                           "|| ' ' || id FROM kept_marker\"",
                           cmd);
    char *out;
    int code = run_shell(line, &out);
    char *expected = xasprintf("%s cmd_keep/fails.sh\n", db);
    cr_assert(code == 0 && !strcmp(out, expected),
              "'%s' exited %d and printed:\n%s\nexpected:\n%s", line, code, out,
              expected);
    free(expected);
    free(out);
    free(line);

    struct itest_result r;
    itest_run(&r, ARGV("clean", "--db", ci, "--dry-run"), NULL);
    assert_code(&r, 0);
    cr_assert(strstr(r.out, "1 kept sandbox younger than --keep-age left"),
              "dry run:\n%s", r.out);
    itest_result_release(&r);
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_code(&r, 0);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 1, "clean dropped a young kept %s",
                 db);
    free(db);
    free(cmd);
}

/*
 * `isotest clean --keep-age 0` drops a kept sandbox at once; with
 * --dry-run it only names it.
 */
Test(commands, clean_keep_age_zero_drops_kept_sandbox)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "database", &db);
    struct itest_result r;

    itest_run(&r, ARGV("clean", "--db", ci, "--dry-run", "--keep-age", "0"),
              NULL);
    assert_code(&r, 0);
    char *line = xasprintf("would drop database %s\n", db);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    free(line);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 1, "--dry-run dropped %s", db);

    itest_run(&r, ARGV("clean", "--db", ci, "--keep-age", "0"), NULL);
    assert_code(&r, 0);
    line = xasprintf("dropped database %s\n", db);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    free(line);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 0, "%s is still there", db);
    itest_assert_no_sandboxes(ci);
    free(db);
    free(cmd);
}

/* Schema mode: the command sets PGOPTIONS and lands in the kept schema. */
Test(commands, keep_failed_schema_mode)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "schema", &db);

    cr_assert(!strncmp(cmd, "PGOPTIONS='-c search_path=", 26),
              "no PGOPTIONS in '%s'", cmd);
    char *line = xasprintf("%s -X -q -t -A -c \"SELECT current_database() "
                           "|| ' ' || id FROM kept_marker\" -c \"SELECT "
                           "current_schema()\"",
                           cmd);
    char *out;
    int code = run_shell(line, &out);
    char *expected = xasprintf("%s cmd_keep/fails.sh\n", db);
    cr_assert(code == 0 && !strncmp(out, expected, strlen(expected)),
              "'%s' exited %d and printed:\n%s", line, code, out);
    /* The schema named in PGOPTIONS is where the table is. */
    const char *schema = cmd + 26;
    size_t n = strcspn(schema, ",");
    char *want_schema = xasprintf("%.*s\n", (int)n, schema);
    cr_assert_str_eq(out + strlen(expected), want_schema);
    free(want_schema);
    free(expected);
    free(out);
    free(line);
    free(db);
    free(cmd);
}

/* ---- 11: --filter and --fail-fast --------------------------------------- */

Test(commands, filter_selects_cases)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    run_on(&r, ci,
           ARGV("--filter", "cmd_select/a_*", "--filter", "*/c_pass.sh",
                "--junit", junit, FX "cmd_select"),
           NULL);
    assert_code(&r, 0);
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 2);
    itest_assert_case(junit, "a_pass.sh", "passed", NULL);
    itest_assert_case(junit, "c_pass.sh", "passed", NULL);
    cr_assert(!strstr(r.out, "b_fail") && !strstr(r.out, "d_pass"),
              "a case outside the filter ran:\n%s", r.out);
    itest_result_release(&r);

    /* The same selection for `isotest list`. */
    itest_run(&r, ARGV("list", "--filter", "*b_*", FX "cmd_select"), NULL);
    assert_code(&r, 0);
    cr_assert_str_eq(r.out, "cmd_select/b_fail.sh\n");
    itest_result_release(&r);

    run_on(&r, ci, ARGV("--filter", "nothing*", FX "cmd_select"), NULL);
    assert_code(&r, 2);
    cr_assert(strstr(r.err, "--filter"), "stderr:\n%s", r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    free(junit);
}

/* -j 1 runs in id order: a passes, b fails, c and d are never started. */
Test(commands, fail_fast_skips_the_rest)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    run_on(&r, ci,
           ARGV("--fail-fast", "-j", "1", "--junit", junit, FX "cmd_select"),
           NULL);
    assert_code(&r, 1);
    itest_assert_summary(&r, "1 passed, 1 failed, 2 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 4);
    cr_assert_eq(jc.failures, 1);
    cr_assert_eq(jc.skipped, 2);
    itest_assert_case(junit, "a_pass.sh", "passed", NULL);
    itest_assert_case(junit, "b_fail.sh", "failure", "exit code 1");
    itest_assert_case(junit, "c_pass.sh", "skipped", "--fail-fast");
    itest_assert_case(junit, "d_pass.sh", "skipped", "--fail-fast");
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/* ---- 12: isotest list -------------------------------------------------- */

/*
 * Only the executable is a case; a script that is not executable (by its
 * .sh name or its #! line) gets a note; other files are ignored silently.
 */
Test(commands, list_notes_non_executable_scripts)
{
    struct itest_result r;

    itest_run(&r, ARGV("list", FX "cmd_list"), NULL);
    assert_code(&r, 0);
    cr_assert_str_eq(r.out, "cmd_list/runs.sh\n");
    static const char *const noted[] = {"not_executable.sh", "no_extension"};
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(r.err, noted[i]);
        cr_assert(p, "no note about %s:\n%s", noted[i], r.err);
        size_t n = strcspn(p, "\n");
        char *line = xstrndup(p, n);
        cr_assert(strstr(line, "not executable"),
                  "the note on %s does not say it is not executable: %s",
                  noted[i], line);
        free(line);
    }
    cr_assert(!strstr(r.err, "notes.txt"), "a note about notes.txt:\n%s",
              r.err);
    itest_result_release(&r);
}
