/*
 * cmd_exec.c: `isotest exec [options] -- COMMAND...`, a test framework
 * run with a sandbox per test handed out over a local socket.
 *
 * The session (server, template, clone pool) is opened as for `run`; the
 * socket (sockserver.h) goes into a private folder whose path the
 * command finds in ISOTEST_SOCKET; when the command ends, every sandbox
 * still out is dropped and, with --junit, the framework's own report is
 * merged with what the socket saw into isotest's report (exec_report.c).
 * The exit code is the command's (128 + N when signal N ended it), or 2
 * when isotest could not set up.
 */
#define _GNU_SOURCE /* F_OFD_SETLK: a lock that belongs to one descriptor */
#include "commands.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "exec_report.h"
#include "signals.h"
#include "sockserver.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

static const char usage[] =
    "usage: isotest exec [options] -- COMMAND [ARG...]\n"
    "\n"
    "Runs COMMAND (a test framework) with a sandbox per test: the\n"
    "framework's processes ask the socket named by $ISOTEST_SOCKET for\n"
    "one (the pytest plugin, libisotest's client, or the protocol in the\n"
    "README).  Every sandbox still out when COMMAND ends is dropped.\n"
    "\n"
    "  --db URL              server (default: PG* environment, else an\n"
    "                        embedded throwaway server)\n"
    "  --migrations DIR      migrations for the template (default:\n"
    "                        ./migrations when it exists)\n"
    "  --isolation MODE      database (default) or schema\n"
    "  --pool N              clones kept ready (default: online CPUs)\n"
    "  --clone-strategy S    FILE_COPY (default on 15+) or WAL_LOG\n"
    "  --extension NAME      create it in the template (repeatable)\n"
    "  --junit FILE          one report: the framework's JUnit (written to\n"
    "                        $ISOTEST_FRAMEWORK_JUNIT) with each test's\n"
    "                        sandbox and its acquire/release times\n"
    "  --no-cache            do not use the embedded server's cache\n"
    "\n"
    "Exit code: COMMAND's, or 2 when isotest could not set up.\n";

struct exec_options {
    bool help, no_cache;
    const char *db, *migrations, *junit, *strategy;
    enum isotest_isolation mode;
    int pool;
    const char **extensions;
    size_t nextensions;
};

static int add_extension(const struct opt_spec *s, const char *as,
                         const char *v, void *field, void *dst,
                         struct isotest_err *e)
{
    struct exec_options *o = dst;

    (void)s, (void)as, (void)field, (void)e;
    o->extensions =
        xrealloc(o->extensions, (o->nextensions + 1) * sizeof(*o->extensions));
    o->extensions[o->nextensions++] = v;
    return 0;
}

#define EX(field) offsetof(struct exec_options, field)
static const struct opt_spec specs[] = {
    {"--help", "-h", OPT_FLAG, EX(help), 0, 0, NULL},
    {"--no-cache", NULL, OPT_FLAG, EX(no_cache), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, EX(db), 0, 0, opt_set_string},
    {"--migrations", NULL, OPT_VALUE, EX(migrations), 0, 0, opt_set_string},
    {"--junit", NULL, OPT_VALUE, EX(junit), 0, 0, opt_set_string},
    {"--clone-strategy", NULL, OPT_VALUE, EX(strategy), 0, 0, opt_set_strategy},
    {"--isolation", NULL, OPT_VALUE, EX(mode), 0, 0, opt_set_isolation},
    {"--pool", NULL, OPT_VALUE, EX(pool), 0, 256, opt_set_int},
    {"--extension", NULL, OPT_VALUE, EX(extensions), 0, 0, add_extension},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef EX

/* Options before "--"; *cmd points at the command after it. */
static int parse(int argc, char **argv, struct exec_options *o, char ***cmd,
                 struct isotest_err *e)
{
    int dash = 1;
    const char **rest = NULL;
    size_t nrest = 0;

    memset(o, 0, sizeof(*o));
    o->pool = -1;
    while (dash < argc && strcmp(argv[dash], "--"))
        dash++;
    int r = options_scan(dash, argv, specs, o, false, &rest, &nrest, e);
    if (r == 0 && nrest)
        r = err_set(e,
                    "unexpected argument '%s' (the command goes after "
                    "--)",
                    rest[0]);
    free(rest);
    *cmd = dash + 1 < argc ? argv + dash + 1 : NULL;
    if (r == 0 && !o->help && !*cmd)
        r = err_set(e, "no command given: isotest exec [options] -- "
                       "COMMAND...");
    if (r == 0 && o->mode == ISOTEST_NONE)
        r = err_set(e, "--isolation none gives every test the same "
                       "database: exec hands out database or schema "
                       "sandboxes");
    return r;
}

/* The command's environment: ours, and where to find the socket. */
static char **command_env(const struct isotest_session *s, const char *sock,
                          const char *framework_junit)
{
    const struct isotest_session_info *si = isotest_session_info(s);
    size_t n = 0, k = 0;

    for (char **p = environ; *p; p++)
        n++;
    char **env = xcalloc(n + 5, sizeof(*env));
    for (char **p = environ; *p; p++)
        if (strncmp(*p, "ISOTEST_SOCKET=", 15) &&
            strncmp(*p, "ISOTEST_RUN_ID=", 15) &&
            strncmp(*p, "ISOTEST_FRAMEWORK_JUNIT=", 24))
            env[k++] = xstrdup(*p);
    env[k++] = xasprintf("ISOTEST_SOCKET=%s", sock);
    env[k++] = xasprintf("ISOTEST_RUN_ID=%s", si->runid);
    if (framework_junit)
        env[k++] = xasprintf("ISOTEST_FRAMEWORK_JUNIT=%s", framework_junit);
    env[k] = NULL;
    return env;
}

/* Take the terminal back: SIGTTOU blocked, as a shell does. */
static void take_terminal(void)
{
    sigset_t ttou, old;

    sigemptyset(&ttou);
    sigaddset(&ttou, SIGTTOU);
    pthread_sigmask(SIG_BLOCK, &ttou, &old);
    tcsetpgrp(0, getpgrp());
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Run the command to its end; its exit code, 128 + N after signal N. */
static int run_command(char **cmd, char **env, struct isotest_err *e)
{
    posix_spawnattr_t attr;
    pid_t pid;
    int st;

    fflush(NULL);
    posix_spawnattr_init(&attr);
    /*
     * Its own process group (a timeout or a second Ctrl-C ends all of it);
     * the signals isotest blocks in its threads are unblocked for it.
     */
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr,
                             POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
    int r = posix_spawnp(&pid, cmd[0], NULL, &attr, cmd, env);
    posix_spawnattr_destroy(&attr);
    if (r != 0)
        return err_errno(e, r, "cannot run '%s'", cmd[0]);
    signals_watch_child(pid);
    /*
     * On a terminal, the command's group is the foreground while it runs
     * (pytest --pdb, input()), and isotest's again after: a background
     * group that reads the terminal is stopped.
     */
    bool fg = isatty(0) && tcgetpgrp(0) == getpgrp();
    if (fg)
        tcsetpgrp(0, pid);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (fg)
        take_terminal();
    signals_watch_child(0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * The folders of exec are isotest-exec-XXXXXX in TMPDIR, each with a file
 * `lock` that its exec holds locked while it lives (an open file
 * description lock: it goes with the process, kill -9 included).  A folder
 * whose lock can be taken belongs to a dead exec and is removed.
 */
static const char *tmp_base(void)
{
    const char *tmp = getenv("TMPDIR");

    return tmp && *tmp ? tmp : "/tmp";
}

/* Lock dir/lock; the descriptor (kept open for the lock's life), or -1. */
static int lock_dir(const char *dir, bool wait)
{
    char *path = xasprintf("%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

    free(path);
    if (fd >= 0 && fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) < 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

static void reap_dead_dirs(void)
{
    const char *base = tmp_base();
    DIR *d = opendir(base);
    struct dirent *de;

    if (!d)
        return;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "isotest-exec-", 13))
            continue;
        char *dir = xasprintf("%s/%s", base, de->d_name);
        char *lock = xasprintf("%s/lock", dir);
        int fd = access(lock, F_OK) == 0 ? lock_dir(dir, false) : -1;
        if (fd >= 0) {
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            fs_remove_tree(dir, &ignore);
            isotest_err_release(&ignore);
            close(fd);
        }
        free(lock);
        free(dir);
    }
    closedir(d);
}

/* A private folder for the socket and the framework's report, locked. */
static char *make_dir(int *lock_fd, struct isotest_err *e)
{
    char *dir = xasprintf("%s/isotest-exec-XXXXXX", tmp_base());

    reap_dead_dirs();
    if (!mkdtemp(dir)) {
        err_errno(e, errno, "cannot create a folder for the socket");
        free(dir);
        return NULL;
    }
    *lock_fd = lock_dir(dir, true);
    return dir;
}

static struct isotest_session *open_session(const struct exec_options *o,
                                            struct isotest_err *e)
{
    struct isotest_options so = ISOTEST_OPTIONS_INIT;
    struct stat st;

    so.db = o->db;
    so.migrations = o->migrations;
    if (!so.migrations && stat("migrations", &st) == 0 && S_ISDIR(st.st_mode))
        so.migrations = "migrations";
    so.isolation = o->mode;
    so.pool = o->pool;
    so.clone_strategy = o->strategy;
    so.no_cache = o->no_cache;
    so.extensions = o->extensions;
    so.n_extensions = o->nextensions;
    so.cancelled = signals_cancelled; /* Ctrl-C during the open */
    return isotest_session_open(&so, e);
}

/* With the session open: socket, command, report.  The exit code. */
static int serve_command(struct isotest_session *s,
                         const struct exec_options *o, char **cmd,
                         const char *dir, struct isotest_err *e)
{
    double t0 = now_ms();
    char *fw = o->junit ? xasprintf("%s/framework.xml", dir) : NULL;
    struct sockserver *ss = sockserver_start(s, dir, e);
    int code = EXIT_CANNOT;

    if (ss && isotest_session_warm(s, 1, e) == 0) {
        char **env = command_env(s, sockserver_path(ss), fw);
        code = run_command(cmd, env, e);
        if (code < 0)
            code = EXIT_CANNOT;
        char **p = env;
        while (*p)
            free(*p++);
        free(env);
    }
    if (ss) {
        sockserver_stop(ss);
        if (o->junit && code != EXIT_CANNOT) {
            size_t n;
            const struct sock_record *recs = sockserver_records(ss, &n);
            struct exec_report_in in = {.session = s,
                                        .framework_junit = fw,
                                        .out = o->junit,
                                        .records = recs,
                                        .nrecords = n,
                                        .command_code = code,
                                        .wall_ms = now_ms() - t0};
            if (exec_report(&in, e) < 0)
                code = EXIT_CANNOT;
        }
        sockserver_free(ss);
    }
    if (fw)
        unlink(fw);
    free(fw);
    return code;
}

int cmd_exec(int argc, char **argv)
{
    struct exec_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char **cmd;

    if (parse(argc, argv, &o, &cmd, &e) < 0 || o.help) {
        if (o.help)
            fputs(usage, stdout);
        else
            cmd_print_error(NULL, &e);
        free(o.extensions);
        return o.help ? 0 : EXIT_CANNOT;
    }
    if (o.junit && fs_check_writable(o.junit, "report", &e) < 0) {
        cmd_print_error(NULL, &e);
        free(o.extensions);
        return EXIT_CANNOT;
    }
    int lock_fd = -1;
    char *dir = make_dir(&lock_fd, &e);
    struct isotest_session *s = dir ? open_session(&o, &e) : NULL;
    int code = EXIT_CANNOT;
    if (s) {
        signals_watch_session(s);
        code = serve_command(s, &o, cmd, dir, &e);
    }
    if (e.msg)
        cmd_print_error(s, &e);
    struct cmd_closing c = {
        .s = s, .flags = signals_interrupted() ? ISOTEST_CLOSE_ABORT : 0};
    signals_cleanup(cmd_close_session, &c);
    if (dir) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        fs_remove_tree(dir, &ignore);
        isotest_err_release(&ignore);
    }
    if (lock_fd >= 0)
        close(lock_fd);
    free(dir);
    free(o.extensions);
    return code;
}
