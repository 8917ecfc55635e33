/*
 * test_proc.c: child processes (isolation/proc.h).
 *
 * Covers: captured stdout/stderr and exit code, merged stderr, death by a
 * signal, signal names, the output cap, the timeout (the whole group ends;
 * SIGKILL when INT and TERM are ignored), a background grandchild holding
 * the pipes (in the group, and escaped from it), exec, cwd, stdin and
 * output-file failures naming what failed, the stop flag, a `sh -c`
 * wrapper dying of the signal its command handles, envp with PATH
 * search, stdin_path, out_path, proc_wait and proc_run.
 *
 * No assertion is about time: a deadline is only a bound on waiting.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/proc.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-proc-XXXXXX")

/* Start `sh -c script` and capture it; buffers are the caller's. */
static int sh_capture(const char *script, struct strbuf *out,
                      struct strbuf *errb, long timeout_ms,
                      const atomic_int *stop, struct proc_status *st,
                      pid_t *pid, struct isotest_err *e)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct proc_spec spec = {.argv = argv};
    struct proc p;

    if (proc_start(&p, &spec, e) < 0)
        return -1;
    if (pid)
        *pid = p.pid;
    int r = proc_capture(&p, out, errb, timeout_ms, SIGTERM, 200, stop, st, e);
    cr_assert_eq(p.pid, 0, "pid is cleared once reaped");
    return r;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/*
 * Is pid gone?  A killed process may stay a zombie until its parent (init,
 * for an orphan) reaps it, so a zombie counts as gone; waits at most ~10 s.
 */
static bool gone(pid_t pid)
{
    for (int i = 0; i < 500; i++) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return true;
        char path[64], state = '?';
        snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
        FILE *f = fopen(path, "re");
        if (f) {
            /* "pid (comm) S ...": comm may hold spaces, so find ") ". */
            char line[512];
            if (fgets(line, sizeof(line), f)) {
                char *rp = strrchr(line, ')');
                if (rp && rp[1] == ' ')
                    state = rp[2];
            }
            fclose(f);
            if (state == 'Z' || state == 'X')
                return true;
        }
        nap_ms(20);
    }
    return false;
}

static pid_t read_pid(const char *path)
{
    char *text;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    long v = strtol(text, NULL, 10);
    free(text);
    cr_assert_gt(v, 0);
    return (pid_t)v;
}

Test(proc, captures_output_and_exit_code)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(sh_capture("echo out; echo err >&2; exit 3", &out, &errb, 0,
                            NULL, &st, NULL, &e),
                 0, "%s", e.msg);
    cr_assert_str_eq(out.buf, "out\n");
    cr_assert_str_eq(errb.buf, "err\n");
    cr_assert(st.exited);
    cr_assert_eq(st.code, 3);
    cr_assert(!st.timed_out);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, merged_stderr)
{
    const char *argv[] = {"/bin/sh", "-c", "echo one; echo two >&2", NULL};
    struct proc_spec spec = {.argv = argv, .merge_stderr = true};
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    cr_assert_eq(p.err_fd, -1);
    cr_assert_eq(proc_capture(&p, &out, &errb, 0, SIGTERM, 100, NULL, &st, &e),
                 0);
    cr_assert_str_eq(out.buf, "one\ntwo\n");
    cr_assert_eq(errb.len, 0);
    cr_assert(st.exited && st.code == 0);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, death_by_signal)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(
        sh_capture("kill -SEGV $$", &out, &errb, 0, NULL, &st, NULL, &e), 0,
        "%s", e.msg);
    cr_assert(!st.exited, "a signal is not an exit");
    cr_assert_eq(st.code, SIGSEGV);
    cr_assert(!st.timed_out);
    strbuf_release(&out);
    strbuf_release(&errb);
}

struct sig_case {
    int sig;
    char name[16];
};

ParameterizedTestParameters(proc, signame)
{
    static struct sig_case cases[] = {
        {SIGSEGV, "SIGSEGV"},
        {SIGKILL, "SIGKILL"},
        {SIGTERM, "SIGTERM"},
        {SIGINT, "SIGINT"},
        {SIGABRT, "SIGABRT"},
        {SIGBUS, "SIGBUS"},
        {SIGPIPE, "SIGPIPE"},
        {SIGHUP, "SIGHUP"},
        /* Not in the list of names: "signal N", as the header says. */
        {SIGWINCH, ""},
        {SIGCHLD, ""},
        {64, ""},
    };

    return cr_make_param_array(struct sig_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct sig_case *c, proc, signame)
{
    char want[32];

    if (c->name[0])
        snprintf(want, sizeof(want), "%s", c->name);
    else
        snprintf(want, sizeof(want), "signal %d", c->sig);
    cr_assert_str_eq(proc_signame(c->sig), want);
}

Test(proc, output_cap_counts_the_rest)
{
    struct strbuf out, errb;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    strbuf_init(&out, 1 << 20);
    strbuf_init(&errb, 1 << 20);
    cr_assert_eq(sh_capture("head -c 5242880 /dev/zero", &out, &errb, 0, NULL,
                            &st, NULL, &e),
                 0, "%s", e.msg);
    cr_assert(st.exited && st.code == 0, "the child is not blocked by the cap");
    cr_assert_eq(out.len, (size_t)1 << 20);
    cr_assert_eq(out.dropped, (size_t)(5 << 20) - (1 << 20));
    strbuf_release(&out);
    strbuf_release(&errb);
}

/* Wait (bounded) until the file at path holds a whole line. */
static void wait_for_line(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        char *text;
        size_t len;
        struct isotest_err e = ISOTEST_ERR_INIT;

        if (fs_read_file(path, &text, &len, &e) == 0) {
            bool done = len && text[len - 1] == '\n';
            free(text);
            if (done)
                return;
        }
        isotest_err_release(&e);
        nap_ms(20);
    }
    cr_assert_fail("'%s' was never written", path);
}

Test(proc, timeout_ends_the_child_and_its_group, .init = make_tmp,
     .fini = remove_tmp)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *pidfile = xasprintf("%s/sleep.pid", tmp);
    char *script =
        xasprintf("echo started; sleep 30 & echo $! > '%s'; wait", pidfile);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct proc_spec spec = {.argv = argv};
    struct proc p;

    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    pid_t pid = p.pid;
    /*
     * The deadline counts from proc_capture: start it only once the child
     * is waiting, so a slow machine (valgrind) cannot kill it earlier.
     */
    wait_for_line(pidfile);
    cr_assert_eq(
        proc_capture(&p, &out, &errb, 200, SIGTERM, 200, NULL, &st, &e), 0,
        "%s", e.msg);
    cr_assert(st.timed_out);
    cr_assert(!st.exited, "ended by a signal");
    cr_assert_str_eq(out.buf, "started\n", "output before the kill is kept");
    cr_assert(gone(pid));
    cr_assert(gone(read_pid(pidfile)), "the rest of the group is gone too");
    free(script);
    free(pidfile);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, escalates_to_sigkill_when_signals_are_ignored, .init = make_tmp,
     .fini = remove_tmp)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *ready = xasprintf("%s/ready", tmp);
    /* An ignored signal stays ignored across exec: sleep ignores both. */
    char *script =
        xasprintf("trap '' INT TERM; echo ready > '%s'; exec sleep 30", ready);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct proc_spec spec = {.argv = argv};
    struct proc p;

    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    pid_t pid = p.pid;
    wait_for_line(ready);
    cr_assert_eq(proc_capture(&p, &out, &errb, 100, SIGINT, 100, NULL, &st, &e),
                 0, "%s", e.msg);
    cr_assert(st.timed_out);
    cr_assert(!st.exited);
    cr_assert_eq(st.code, SIGKILL, "INT and TERM were ignored: %s",
                 proc_signame(st.code));
    cr_assert(gone(pid));
    free(script);
    free(ready);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, background_grandchild_does_not_hang_capture, .init = make_tmp,
     .fini = remove_tmp)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *pidfile = xasprintf("%s/grandchild.pid", tmp);
    char *script =
        xasprintf("sleep 30 & echo $! > '%s'; echo bye; exit 0", pidfile);

    /* Returning at all is the point: the sleep holds stdout and stderr. */
    cr_assert_eq(sh_capture(script, &out, &errb, 0, NULL, &st, NULL, &e), 0,
                 "%s", e.msg);
    cr_assert(st.exited && st.code == 0);
    cr_assert_str_eq(out.buf, "bye\n");
    pid_t grandchild = read_pid(pidfile);
    cr_assert(gone(grandchild), "grandchild %ld outlived the case",
              (long)grandchild);
    free(script);
    free(pidfile);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, escaped_grandchild_does_not_hang_capture, .init = make_tmp,
     .fini = remove_tmp)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *pidfile = xasprintf("%s/escaped.pid", tmp);
    /* setsid puts the sleep out of the case's process group. */
    char *script =
        xasprintf("setsid sh -c 'echo $$ > \"$1\"; exec sleep 30' sh '%s' & "
                  "while [ ! -s '%s' ]; do sleep 0.05; done; exit 0",
                  pidfile, pidfile);

    int r = sh_capture(script, &out, &errb, 0, NULL, &st, NULL, &e);
    pid_t escaped = read_pid(pidfile);
    kill(escaped, SIGKILL); /* ours to clean up: it left the group */
    cr_assert_eq(r, 0, "%s", e.msg);
    cr_assert(st.exited && st.code == 0);
    free(script);
    free(pidfile);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, exec_failure_names_the_program)
{
    static const char *const progs[] = {"/nonexistent/isotest-prog",
                                        "isotest-no-such-program-xyz"};

    for (size_t i = 0; i < 2; i++) {
        const char *argv[] = {progs[i], NULL};
        struct proc_spec spec = {.argv = argv};
        struct proc p;
        struct isotest_err e = ISOTEST_ERR_INIT;

        cr_assert_eq(proc_start(&p, &spec, &e), -1);
        cr_assert_not_null(e.msg);
        cr_assert_not_null(strstr(e.msg, progs[i]), "%s", e.msg);
        cr_assert_eq(p.pid, 0);
        isotest_err_release(&e);
    }
}

Test(proc, missing_cwd_is_named)
{
    const char *argv[] = {"/bin/true", NULL};
    const char *cwd = "/tmp/isotest-no-such-folder/deeper";
    struct proc_spec spec = {.argv = argv, .cwd = cwd};
    struct proc p;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_start(&p, &spec, &e), -1);
    cr_assert_not_null(strstr(e.msg, cwd), "%s", e.msg);
    isotest_err_release(&e);
}

Test(proc, missing_stdin_or_output_folder_is_named)
{
    const char *argv[] = {"/bin/true", NULL};
    const char *in = "/tmp/isotest-no-such-folder/input.sql";
    const char *log = "/tmp/isotest-no-such-folder/out.log";
    struct proc_spec a = {.argv = argv, .stdin_path = in};
    struct proc_spec b = {.argv = argv, .out_path = log};
    struct proc p;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_start(&p, &a, &e), -1);
    cr_assert_not_null(strstr(e.msg, in), "%s", e.msg);
    cr_assert_eq(proc_start(&p, &b, &e), -1);
    cr_assert_not_null(strstr(e.msg, log), "%s", e.msg);
    isotest_err_release(&e);
}

Test(proc, stop_flag_ends_the_child)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    atomic_int stop = 1;
    pid_t pid = 0;

    cr_assert_eq(sh_capture("sleep 30", &out, &errb, 0, &stop, &st, &pid, &e),
                 0, "%s", e.msg);
    cr_assert(!st.exited);
    cr_assert(!st.timed_out, "a stop is not a timeout");
    cr_assert(gone(pid));
    strbuf_release(&out);
    strbuf_release(&errb);
}

/*
 * The child is a `sh -c` wrapper that dies of the first signal; the command
 * under it handles that signal and still gets its grace to clean up.
 */
/* Set *stop once the file `ready` exists (the command is ready). */
struct stop_when {
    const char *ready;
    atomic_int *stop;
};

static void *stop_when_ready(void *arg)
{
    struct stop_when *w = arg;

    for (int i = 0; i < 6000 && access(w->ready, F_OK) != 0; i++)
        nap_ms(5);
    atomic_store(w->stop, 1);
    return NULL;
}

Test(proc, group_keeps_its_grace_when_the_wrapper_dies, .init = make_tmp,
     .fini = remove_tmp)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    atomic_int stop = 0;
    char *ready = xasprintf("%s/ready", tmp);
    /* Builtins only in the handler, and `wait`, which a trap interrupts:
       no timing in it, even under valgrind. */
    char *script = xasprintf("sh -c 'trap \"echo cleaned; exit 0\" TERM; "
                             ": >%s; sleep 30 & wait'; true",
                             ready);
    struct stop_when w = {ready, &stop};
    pthread_t th;

    cr_assert_eq(pthread_create(&th, NULL, stop_when_ready, &w), 0);
    cr_assert_eq(sh_capture(script, &out, &errb, 0, &stop, &st, NULL, &e), 0,
                 "%s", e.msg);
    pthread_join(th, NULL);
    cr_assert(!st.timed_out, "a stop is not a timeout");
    cr_assert_str_eq(out.buf, "cleaned\n");
    free(script);
    free(ready);
    strbuf_release(&out);
    strbuf_release(&errb);
}

/* ...and a command under it that ignores the signal is killed after it. */
Test(proc, group_ignoring_the_signal_is_killed_after_the_wrapper)
{
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(sh_capture("sh -c 'trap \"\" TERM; sleep 30; echo late'; true",
                            &out, &errb, 100, NULL, &st, NULL, &e),
                 0, "%s", e.msg);
    cr_assert(st.timed_out);
    cr_assert_eq(out.len, 0, "the group was not killed: %s", out.buf);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, envp_replaces_environment_and_path_is_searched)
{
    const char *argv[] = {"sh", "-c", "echo \"$FOO/${HOME:-nohome}\"", NULL};
    const char *envp[] = {"FOO=bar", "PATH=/usr/bin:/bin", NULL};
    struct proc_spec spec = {.argv = argv, .envp = envp};
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    cr_assert_eq(proc_capture(&p, &out, &errb, 0, SIGTERM, 100, NULL, &st, &e),
                 0);
    cr_assert_str_eq(out.buf, "bar/nohome\n");
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, stdin_path_and_cwd, .init = make_tmp, .fini = remove_tmp)
{
    char *in = xasprintf("%s/input.txt", tmp);
    const char *argv[] = {"/bin/sh", "-c", "cat; pwd", NULL};
    struct proc_spec spec = {.argv = argv, .stdin_path = in, .cwd = tmp};
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    FILE *f = fopen(in, "we");

    cr_assert_not_null(f);
    fputs("from stdin\n", f);
    fclose(f);
    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    cr_assert_eq(proc_capture(&p, &out, &errb, 0, SIGTERM, 100, NULL, &st, &e),
                 0);
    char *real = realpath(tmp, NULL);
    char *want = xasprintf("from stdin\n%s\n", real);
    cr_assert_str_eq(out.buf, want);
    free(want);
    free(real);
    free(in);
    strbuf_release(&out);
    strbuf_release(&errb);
}

Test(proc, out_path_and_wait, .init = make_tmp, .fini = remove_tmp)
{
    char *log = xasprintf("%s/out.log", tmp);
    const char *argv[] = {"/bin/sh", "-c", "echo to-file; echo err >&2; exit 5",
                          NULL};
    struct proc_spec spec = {.argv = argv, .out_path = log};
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *text;
    size_t len;

    cr_assert_eq(proc_start(&p, &spec, &e), 0, "%s", e.msg);
    cr_assert_eq(p.out_fd, -1);
    cr_assert_eq(p.err_fd, -1);
    cr_assert_eq(proc_wait(&p, &st, &e), 0, "%s", e.msg);
    cr_assert(st.exited);
    cr_assert_eq(st.code, 5);
    cr_assert_eq(p.pid, 0);
    cr_assert_eq(fs_read_file(log, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_str_eq(text, "to-file\nerr\n");
    free(text);
    free(log);
}

Test(proc, run_collects_both_streams)
{
    const char *argv[] = {"/bin/sh", "-c", "echo hi; echo there >&2; exit 4",
                          NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_run(argv, &out, &st, &e), 0, "%s", e.msg);
    cr_assert_str_eq(out.buf, "hi\nthere\n");
    cr_assert(st.exited);
    cr_assert_eq(st.code, 4);
    cr_assert_eq(proc_run(argv, NULL, &st, &e), 0, "%s", e.msg);
    cr_assert_eq(st.code, 4);
    strbuf_release(&out);
}
