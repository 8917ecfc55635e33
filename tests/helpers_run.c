/*
 * helpers_run.c: running the isotest binary (to completion, or in the
 * background to be signalled or killed) and other programs (processes:
 * helpers_proc.c).  See helpers.h for the contract.
 *
 * Layout: environments; isotest in the foreground and what it printed;
 * other programs; isotest in the background.
 */
#define _GNU_SOURCE /* PR_SET_CHILD_SUBREAPER */
#include "helpers.h"

#include "common/proc.h"
#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* isotest's own embedded runs get a cache of their own. */
#define EMBEDDED_CACHE "ISOTEST_CACHE_DIR=/tmp/isotest-test-cache/embedded"
#define RUN_TIMEOUT_MS 120000

extern char **environ;

/* ---- environments ------------------------------------------------------- */

/* Is the variable of `entry` ("NAME=value") set by one of `env`? */
static bool env_has(const char *entry, const char *const *env)
{
    const char *eq = strchr(entry, '=');
    size_t n = eq ? (size_t)(eq - entry) : strlen(entry);

    for (const char *const *x = env; x && *x; x++)
        if (!strncmp(*x, entry, n) && (*x)[n] == '=')
            return true;
    return false;
}

/*
 * This process's environment minus every PG* variable (they would point
 * the child at some other server) and minus what `env` sets; then, for
 * isotest, ISOTEST_CACHE_DIR unless `env` sets it; then `env`.  The
 * strings are borrowed; the caller frees the array.
 */
static const char **child_env(const char *const *env, bool for_isotest)
{
    static const char *const cache[] = {EMBEDDED_CACHE, NULL};
    size_t n = 0, cap = 2;

    for (char **p = environ; *p; p++)
        cap++;
    for (const char *const *x = env; x && *x; x++)
        cap++;
    const char **envp = xcalloc(cap, sizeof(*envp));
    for (char **p = environ; *p; p++)
        if (strncmp(*p, "PG", 2) && !env_has(*p, env) &&
            !(for_isotest && env_has(*p, cache)))
            envp[n++] = *p;
    if (for_isotest && !env_has(cache[0], env))
        envp[n++] = cache[0];
    for (const char *const *x = env; x && *x; x++)
        envp[n++] = *x;
    return envp;
}

/* argv for isotest: the binary, then `args`; the caller frees the array. */
static const char **isotest_argv(const char *const *args)
{
    const char *bin = getenv("ISOTEST_BIN");
    size_t nargs = 0;

    if (!bin || !*bin)
        bin = "build/isotest";
    cr_assert(access(bin, X_OK) == 0,
              "isotest binary '%s' not found (set ISOTEST_BIN)", bin);
    while (args[nargs])
        nargs++;
    const char **argv = xcalloc(nargs + 2, sizeof(*argv));
    argv[0] = bin;
    memcpy(argv + 1, args, nargs * sizeof(*argv));
    return argv;
}

/* ---- isotest in the foreground ------------------------------------------ */

void itest_run(struct itest_result *r, const char *const *args,
               const char *const *env)
{
    const char **argv = isotest_argv(args);
    const char **envp = child_env(env, true);
    struct proc_spec spec = {.argv = argv, .envp = envp};
    struct proc p;
    struct proc_status ps;
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run '%s': %s", argv[0],
              e.msg);
    cr_assert(proc_capture(&p, &out, &errb, RUN_TIMEOUT_MS, SIGTERM, 5000, NULL,
                           &ps, &e) == 0,
              "cannot read the output of '%s': %s", argv[0], e.msg);
    if (ps.timed_out)
        strbuf_addf(&errb, "\n[itest] killed after %d s\n",
                    RUN_TIMEOUT_MS / 1000);
    r->code = ps.exited && !ps.timed_out ? ps.code : -1;
    r->out = strbuf_detach(&out, NULL);
    r->err = strbuf_detach(&errb, NULL);
    free(argv);
    free(envp);
}

void itest_run_db(struct itest_result *r, const char *ci,
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

void itest_result_release(struct itest_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

void itest_assert_exit(const struct itest_result *r, int code, const char *what)
{
    cr_assert_eq(r->code, code,
                 "%s: exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s",
                 what, r->code, code, r->out, r->err);
}

char *itest_summary_line(const struct itest_result *r)
{
    const char *best = NULL;
    int a, b, c;
    char tail;

    for (const char *p = r->out; *p;) {
        if (sscanf(p, "%d passed, %d failed, %d skipped%c", &a, &b, &c,
                   &tail) == 4 &&
            (tail == '\n' || tail == ','))
            best = p;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    cr_assert(best, "no summary line in the output:\n%s\n%s", r->out, r->err);
    return xstrndup(best, (size_t)(strchr(best, '\n') - best));
}

void itest_assert_summary(const struct itest_result *r, const char *want)
{
    char *line = itest_summary_line(r);

    cr_assert_str_eq(line, want, "summary '%s', expected '%s'\n%s\n%s", line,
                     want, r->out, r->err);
    free(line);
}

char *itest_last_line(const char *text)
{
    size_t end = strlen(text);

    while (end && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start && text[start - 1] != '\n')
        start--;
    return xstrndup(text + start, end - start);
}

char *itest_line_starting(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);

    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= n && !strncmp(p, prefix, n))
            return xstrndup(p, len);
        p = nl ? nl + 1 : p + len;
    }
    return NULL;
}

/* ---- other programs ----------------------------------------------------- */

int itest_run_tool(const char *const *argv, char **out, char **err)
{
    const char **envp = child_env(NULL, false);
    struct proc_spec spec = {.argv = argv, .envp = envp, .merge_stderr = !err};
    struct proc p;
    struct proc_status ps;
    struct strbuf o = STRBUF_INIT, eb = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run '%s': %s", argv[0],
              e.msg);
    free(envp);
    cr_assert(proc_capture(&p, &o, &eb, RUN_TIMEOUT_MS, SIGTERM, 1000, NULL,
                           &ps, &e) == 0,
              "cannot read the output of '%s': %s", argv[0], e.msg);
    *out = strbuf_detach(&o, NULL);
    if (err)
        *err = strbuf_detach(&eb, NULL);
    strbuf_release(&eb);
    return ps.exited && !ps.timed_out ? ps.code : -1;
}

/* ---- isotest in the background ------------------------------------------ */

/*
 * The runs teardown must kill when a test fails half-way (pids, not
 * struct itest_bg pointers: those point into the failed test's stack).
 */
static pid_t live_pids[8];

static void forget_pid(pid_t pid)
{
    for (size_t i = 0; i < sizeof(live_pids) / sizeof(*live_pids); i++)
        if (live_pids[i] == pid)
            live_pids[i] = 0;
}

/*
 * Make `fd` the descriptor `target`, kept across exec (dup2 clears
 * O_CLOEXEC on the copy; a descriptor that already is `target` is not
 * copied, so its flag is cleared here).  Async-signal-safe.
 */
static int onto(int fd, int target)
{
    return fd == target ? fcntl(fd, F_SETFD, 0) : dup2(fd, target);
}

/*
 * fork and exec with stdout and stderr going to files, which exist (empty)
 * when this returns: the test may read them at once.  The child is put in
 * a process group of its own, with the signals isotest relies on at their
 * defaults; it gets none of Criterion's descriptors (its pipes).
 */
static pid_t spawn(const char *const *argv, const char *const *envp,
                   const char *out_path, const char *err_path)
{
    int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

    cr_assert(o >= 0 && e >= 0 && in >= 0, "cannot open '%s' or '%s': %s",
              out_path, err_path, strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        /* Only async-signal-safe calls from here on. */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        sigaction(SIGINT, &dfl, NULL);
        sigaction(SIGTERM, &dfl, NULL);
        sigaction(SIGPIPE, &dfl, NULL);
        setpgid(0, 0);
        if (onto(in, 0) < 0 || onto(o, 1) < 0 || onto(e, 2) < 0)
            _exit(126);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        static const char msg[] = "[itest] exec failed\n";
        ssize_t w = write(2, msg, sizeof(msg) - 1);
        (void)w;
        _exit(127);
    }
    setpgid(pid, pid); /* no race with a signal sent to the group at once */
    close(o);
    close(e);
    close(in);
    return pid;
}

void itest_bg_start(struct itest_bg *b, const char *tag,
                    const char *const *args, const char *const *env)
{
    /*
     * The case processes of a run we SIGKILL are orphaned: they must come
     * to this test process, which reaps them, and not to an ancestor that
     * does not expect them (Criterion's runner fails with "Could not spawn
     * test instance: Protocol error" when they reach it).
     */
    cr_assert(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == 0,
              "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));

    size_t slot = 0;
    while (slot < sizeof(live_pids) / sizeof(*live_pids) && live_pids[slot])
        slot++;
    cr_assert(slot < sizeof(live_pids) / sizeof(*live_pids),
              "too many background runs in one test");

    const char **argv = isotest_argv(args);
    const char **envp = child_env(env, true);
    char *o = xasprintf("bg-%s.out", tag), *e = xasprintf("bg-%s.err", tag);

    memset(b, 0, sizeof(*b));
    b->out_path = itest_tmpfile(o);
    b->err_path = itest_tmpfile(e);
    free(o);
    free(e);
    b->pid = spawn(argv, envp, b->out_path, b->err_path);
    live_pids[slot] = b->pid;
    free(argv);
    free(envp);
}

bool itest_bg_alive(struct itest_bg *b)
{
    if (!b->pid)
        return false;
    int status = 0;
    pid_t r = waitpid(b->pid, &status, WNOHANG);
    if (r == 0)
        return true;
    b->status = status;
    forget_pid(b->pid);
    b->pid = 0;
    return false;
}

bool itest_bg_wait(struct itest_bg *b, struct itest_result *r, long timeout_ms)
{
    for (long waited = 0; itest_bg_alive(b); waited += 20) {
        if (waited >= timeout_ms)
            return false;
        itest_sleep_ms(20);
    }
    r->code = WIFEXITED(b->status) ? WEXITSTATUS(b->status) : -1;
    r->out = itest_read_file(b->out_path);
    r->err = itest_read_file(b->err_path);
    return true;
}

void itest_bg_finish(struct itest_bg *b, struct itest_result *r)
{
    if (!itest_bg_wait(b, r, 120000)) {
        itest_bg_kill(b);
        cr_assert_fail("background isotest still running after 120 s");
    }
}

void itest_bg_wait_output(struct itest_bg *b, bool on_stderr,
                          const char *needle)
{
    const char *path = on_stderr ? b->err_path : b->out_path;

    for (int i = 0;; i++) {
        char *text = itest_read_file(path);
        bool found = strstr(text, needle) != NULL;
        if (!found && !itest_bg_alive(b)) {
            char *other =
                itest_read_file(on_stderr ? b->out_path : b->err_path);
            cr_assert_fail("isotest ended (status %d) before '%s' came on "
                           "its %s:\n%s\nits %s:\n%s",
                           b->status, needle, on_stderr ? "stderr" : "stdout",
                           text, on_stderr ? "stdout" : "stderr", other);
        }
        if (!found && i >= ITEST_WAIT_S * 20)
            cr_assert_fail("'%s' never came on the %s of isotest:\n%s", needle,
                           on_stderr ? "stderr" : "stdout", text);
        free(text);
        if (found)
            return;
        itest_sleep_ms(50);
    }
}

/*
 * The descendants of `root` (from /proc), parents before their children,
 * at most ITEST_MAX_TREE; how many.
 */
size_t itest_descendants_of(pid_t root, pid_t *out)
{
    static pid_t pids[8192], ppids[8192];
    size_t np = 0, n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;

    cr_assert(d, "cannot read /proc: %s", strerror(errno));
    while ((de = readdir(d)) && np < 8192) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char *path = xasprintf("/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "re");
        free(path);
        if (!f)
            continue;
        char line[1024];
        size_t len = fread(line, 1, sizeof(line) - 1, f);
        fclose(f);
        line[len] = '\0';
        /* pid (comm) state ppid ...: comm may hold spaces and ')'. */
        char *close_paren = strrchr(line, ')');
        char state;
        long ppid;
        if (close_paren &&
            sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2) {
            pids[np] = (pid_t)strtol(de->d_name, NULL, 10);
            ppids[np++] = (pid_t)ppid;
        }
    }
    closedir(d);
    /* Breadth first: out[] is its own queue. */
    size_t head = 0;
    for (pid_t parent = root;; parent = out[head++]) {
        for (size_t i = 0; i < np && n < ITEST_MAX_TREE; i++)
            if (ppids[i] == parent)
                out[n++] = pids[i];
        if (head == n)
            break;
    }
    return n;
}

/*
 * SIGKILL the run, then its case processes: they are in process groups
 * of their own, led by isotest's direct children.  Once isotest is gone
 * they are orphans, reparented to this process (the subreaper, see
 * itest_bg_start), which reaps them -- parents first, so that their own
 * children have come to us by the time we wait for those.
 */
static void kill_run(pid_t pid)
{
    pid_t tree[ITEST_MAX_TREE];
    size_t n = itest_descendants_of(pid, tree);

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        kill(-tree[i], SIGKILL);
        kill(tree[i], SIGKILL);
    }
    for (size_t i = 0; i < n; i++)
        waitpid(tree[i], NULL, 0); /* ECHILD when not ours: fine */
    forget_pid(pid);
}

void itest_bg_kill(struct itest_bg *b)
{
    if (b->pid)
        kill_run(b->pid);
    b->pid = 0;
}

void itest_bg_release(struct itest_bg *b)
{
    free(b->out_path);
    free(b->err_path);
    b->out_path = b->err_path = NULL;
}

void itest_bg_kill_all(void)
{
    for (size_t i = 0; i < sizeof(live_pids) / sizeof(*live_pids); i++)
        if (live_pids[i])
            kill_run(live_pids[i]);
}
