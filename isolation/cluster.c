/*
 * cluster.c: initdb, starting and stopping the embedded server, and
 * reclaiming the leftovers of dead runs.  The data-folder cache is in
 * cluster_cache.c.
 */
#define _GNU_SOURCE /* F_OFD_SETLK: locks that belong to one descriptor */
#include "cluster_int.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "isotest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_PREFIX "isotest-run-"

static bool is_file(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    bool ok = access(p, X_OK) == 0;

    free(p);
    return ok;
}

char *cluster_find_bindir(const char *hint, struct isotest_err *e)
{
    const char *env = getenv("ISOTEST_PG_BINDIR");
    const char *pg_config = getenv("PG_CONFIG");
    struct strbuf looked = STRBUF_INIT;

    if (!hint && !(env && *env) && pg_config && *pg_config) {
        char *d = cluster_pg_config_bindir(pg_config, e);
        if (!d)
            return NULL;
        if (is_file(d, "postgres") && is_file(d, "initdb"))
            return d;
        err_set(e,
                "no PostgreSQL server binaries (postgres, initdb) in '%s' "
                "(the bindir of PG_CONFIG='%s')",
                d, pg_config);
        free(d);
        return NULL;
    }
    if (hint || (env && *env)) {
        const char *d = hint ? hint : env;
        if (is_file(d, "postgres") && is_file(d, "initdb")) {
            /* Absolute: the server starts in its run folder. */
            char *abs = realpath(d, NULL);
            return abs ? abs : xstrdup(d);
        }
        err_set(e, "no PostgreSQL server binaries (postgres, initdb) in '%s'",
                d);
        return NULL;
    }
    /* Debian and Ubuntu: /usr/lib/postgresql/<major>/bin; newest first. */
    DIR *d = opendir("/usr/lib/postgresql");
    int best = 0;
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            char *end;
            long v = strtol(de->d_name, &end, 10);
            if (*end || v <= best || v > 1000)
                continue;
            char *bin = xasprintf("/usr/lib/postgresql/%ld/bin", v);
            if (is_file(bin, "postgres") && is_file(bin, "initdb"))
                best = (int)v;
            free(bin);
        }
        closedir(d);
    }
    if (best)
        return xasprintf("/usr/lib/postgresql/%d/bin", best);
    strbuf_addstr(&looked, "/usr/lib/postgresql/*/bin");

    const char *path = getenv("PATH");
    if (path) {
        char *copy = xstrdup(path);
        char *save = NULL;
        for (char *dir = strtok_r(copy, ":", &save); dir;
             dir = strtok_r(NULL, ":", &save)) {
            if (*dir && is_file(dir, "postgres") && is_file(dir, "initdb")) {
                char *r = xstrdup(dir);
                free(copy);
                strbuf_release(&looked);
                return r;
            }
        }
        free(copy);
        strbuf_addstr(&looked, ", PATH");
    }
    err_set(e,
            "PostgreSQL server binaries (initdb, postgres) not found "
            "(looked in %s)",
            looked.buf);
    err_hint(e, "install them (Debian: apt-get install postgresql-15), set "
                "ISOTEST_PG_BINDIR or PG_CONFIG, name the folder with "
                "--pg-bindir, or point isotest at a server with --db");
    strbuf_release(&looked);
    return NULL;
}

static const char *default_base_dir(void)
{
    struct stat st;
    const char *t;

    if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    if ((t = getenv("TMPDIR")) && *t)
        return t;
    return "/tmp";
}

int cluster_lock_file(const char *path, short type, bool wait,
                      struct isotest_err *e)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET};

    if (fd < 0)
        return err_errno(e, errno, "cannot open '%s'", path);
    while (fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl) < 0) {
        if (errno == EINTR)
            continue;
        int saved = errno;
        close(fd);
        if (!wait && (saved == EAGAIN || saved == EACCES))
            return -2;
        return err_errno(e, saved, "cannot lock '%s'", path);
    }
    return fd;
}

static void log_tail(struct strbuf *sb, const char *logpath)
{
    char *text = NULL;
    size_t len = 0;
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (fs_read_file(logpath, &text, &len, &ignore) < 0) {
        isotest_err_release(&ignore);
        return;
    }
    size_t start = len > 1500 ? len - 1500 : 0;
    strbuf_addstr(sb, "\nserver log (last lines):\n");
    strbuf_add(sb, text + start, len - start);
    strbuf_rtrim(sb);
    free(text);
}

static int run_initdb(struct cluster *c, struct isotest_err *e)
{
    char *initdb = xasprintf("%s/initdb", c->bindir);
    const char *argv[] = {initdb, "-D", c->datadir, "-U", "postgres", "-A",
                          "trust", "-E", "UTF8", "--no-locale", "--no-sync",
                          "--no-instructions",
                          /* 1 MB WAL segments: a smaller folder to copy */
                          "--wal-segsize=1", NULL};
    struct proc_spec spec = {.argv = argv,
                             .out_path = c->logpath,
                             .run_as = c->run_as,
                             .uid = c->uid,
                             .gid = c->gid,
                             .cwd = c->rundir};
    struct proc p;
    struct proc_status st;
    int r = -1;

    if (proc_start(&p, &spec, e) == 0 && proc_wait(&p, &st, e) == 0) {
        if (st.exited && st.code == 0) {
            r = 0;
        } else {
            struct strbuf sb = STRBUF_INIT;
            strbuf_addf(&sb, "initdb failed (%s %d)",
                        st.exited ? "exit code" : "signal", st.code);
            log_tail(&sb, c->logpath);
            err_set(e, "%s", sb.buf);
            strbuf_release(&sb);
        }
    }
    free(initdb);
    return r;
}

static int start_server(struct cluster *c, struct isotest_err *e)
{
    char *postgres = xasprintf("%s/postgres", c->bindir);
    char *sockopt = xasprintf("unix_socket_directories=%s", c->sockdir);
    const char **argv = cluster_server_argv(c, postgres, sockopt);
    struct proc_spec spec = {.argv = argv,
                             .out_path = c->logpath,
                             .new_session = true,
                             .run_as = c->run_as,
                             .uid = c->uid,
                             .gid = c->gid,
                             .cwd = c->rundir};
    struct proc p;
    int r = proc_start(&p, &spec, e);

    free(postgres);
    free(sockopt);
    free(argv);
    if (r < 0)
        return -1;
    c->pid = p.pid;

    /* Ready in ~10 ms; pg_ctl -w would poll every 100 ms. */
    const char *keys[] = {"host", "port", "user", "dbname", NULL};
    const char *vals[] = {c->sockdir, CLUSTER_PORT, "postgres", "postgres",
                          NULL};
    long start = now_ms(), deadline = start + 60000;
    for (;;) {
        int status;
        pid_t w = waitpid(c->pid, &status, WNOHANG);
        if (w == c->pid) {
            struct strbuf sb = STRBUF_INIT;
            c->pid = 0;
            strbuf_addstr(&sb, "embedded server exited during start-up");
            log_tail(&sb, c->logpath);
            err_set(e, "%s", sb.buf);
            cluster_refused_setting(c, sb.buf, e);
            strbuf_release(&sb);
            return -1;
        }
        if (PQpingParams(keys, vals, 0) == PQPING_OK)
            return 0;
        if (now_ms() > deadline) {
            struct strbuf sb = STRBUF_INIT;
            strbuf_addstr(&sb, "embedded server not ready after 60 s");
            log_tail(&sb, c->logpath);
            err_set(e, "%s", sb.buf);
            strbuf_release(&sb);
            return -1;
        }
        /* A failed ping costs microseconds: look often while it is due. */
        struct timespec ts = {0, (now_ms() - start < 500 ? 1 : 20) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static void cluster_free(struct cluster *c)
{
    watch_disarm(&c->guard);
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c->bindir);
    free(c->rundir);
    free(c->datadir);
    free(c->sockdir);
    free(c->logpath);
    free(c->conninfo);
    free(c->cache_path);
    for (size_t i = 0; i < c->n_settings; i++)
        free(c->settings[i]);
    free(c->settings);
    free(c);
}

/*
 * Should this process die without stopping the server (SIGKILL), its guard
 * stops it (immediate shutdown; SIGKILL after 5 s) and removes the run
 * folder, as the next session's reclaim would, only at once.
 */
static int arm_guard(struct cluster *c, struct isotest_err *e)
{
    char pid[32];

    snprintf(pid, sizeof(pid), "%ld", (long)c->pid);
    const char *args[] = {pid, c->rundir, NULL};
    return watch_start(&c->guard,
                       "kill -QUIT \"$1\" 2>/dev/null; i=0; "
                       "while kill -0 \"$1\" 2>/dev/null && [ $i -lt 50 ]; "
                       "do sleep 0.1; i=$((i + 1)); done; "
                       "kill -KILL \"$1\" 2>/dev/null; rm -rf \"$2\"",
                       args, e);
}

/* Started by root, run the server as 'postgres' (it refuses root). */
static int choose_user(struct cluster *c, struct isotest_err *e)
{
    if (geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam("postgres");
    if (!pw) {
        err_set(e, "running as root, and PostgreSQL refuses to: no "
                   "'postgres' account to run the embedded server as");
        err_hint(e, "create one (useradd --system postgres) or run "
                    "isotest as an unprivileged user");
        return -1;
    }
    c->run_as = true;
    c->uid = pw->pw_uid;
    c->gid = pw->pw_gid;
    return 0;
}

/*
 * Create the private run folder under base, with its lock (held from now
 * on, so cluster_reclaim() leaves it alone) and its socket folder.  On
 * failure c->rundir is NULL when nothing was created.
 */
static int make_run_folder(struct cluster *c, const char *base,
                           struct isotest_err *e)
{
    char *tmpl = xasprintf("%s/" RUN_PREFIX "XXXXXX", base);
    if (!mkdtemp(tmpl)) {
        err_errno(e, errno, "cannot create a folder in '%s'", base);
        free(tmpl);
        return -1;
    }
    c->rundir = tmpl;
    c->datadir = xasprintf("%s/data", c->rundir);
    c->sockdir = xasprintf("%s/sock", c->rundir);
    c->logpath = xasprintf("%s/server.log", c->rundir);
    c->conninfo =
        xasprintf("host=%s port=" CLUSTER_PORT " user=postgres", c->sockdir);
    char *lockpath = xasprintf("%s/lock", c->rundir);
    c->lock_fd = cluster_lock_file(lockpath, F_WRLCK, false, e);
    free(lockpath);
    if (c->lock_fd < 0)
        return -1;
    if (mkdir(c->sockdir, 0700) < 0)
        return err_errno(e, errno, "cannot create '%s'", c->sockdir);
    if (c->run_as && (chown(c->rundir, c->uid, c->gid) < 0 ||
                      chown(c->sockdir, c->uid, c->gid) < 0))
        return err_errno(e, errno, "cannot chown '%s'", c->rundir);
    return 0;
}

/* Undo a start that failed part way, and free c. */
static void start_failed(struct cluster *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGQUIT);
        waitpid(c->pid, NULL, 0);
    }
    if (c->rundir) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        fs_remove_tree(c->rundir, &ignore);
        isotest_err_release(&ignore);
    }
    cluster_free(c);
}

struct cluster *cluster_start(const struct cluster_options *opts,
                              struct isotest_err *e)
{
    struct cluster *c = xcalloc(1, sizeof(*c));
    const char *base = opts->base_dir ? opts->base_dir : default_base_dir();

    c->lock_fd = -1;
    c->guard = (struct watch)WATCH_INIT;
    c->settings = xcalloc(opts->n_settings + 1, sizeof(*c->settings));
    for (size_t i = 0; i < opts->n_settings; i++) {
        if (cluster_setting_check(opts->settings[i], e) < 0)
            goto fail;
        c->settings[c->n_settings++] = xstrdup(opts->settings[i]);
    }
    c->bindir = cluster_find_bindir(opts->bindir, e);
    if (!c->bindir || choose_user(c, e) < 0 || make_run_folder(c, base, e) < 0)
        goto fail;
    c->cache_path = cluster_cache_path(opts, c->bindir);
    int cached = c->cache_path ? cluster_cache_restore(c, e) : 1;
    if (cached < 0)
        goto fail;
    c->from_cache = cached == 0;
    if (!c->from_cache && run_initdb(c, e) < 0)
        goto fail;
    if (start_server(c, e) < 0 || arm_guard(c, e) < 0)
        goto fail;
    return c;

fail:
    start_failed(c);
    return NULL;
}

const char *cluster_conninfo(const struct cluster *c)
{
    return c->conninfo;
}

const char *cluster_sockdir(const struct cluster *c)
{
    return c->sockdir;
}

const char *cluster_bindir(const struct cluster *c)
{
    return c->bindir;
}

bool cluster_from_cache(const struct cluster *c)
{
    return c->from_cache;
}

void cluster_detach(struct cluster *c)
{
    if (c)
        cluster_free(c);
}

/* Wait for the postmaster to exit; SIGKILL it after `ms`. */
static void reap_server(pid_t pid, long ms)
{
    long deadline = now_ms() + ms;
    int status;

    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR))
            return;
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return;
        }
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

void cluster_abort(struct cluster *c)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (!c)
        return;
    watch_disarm(&c->guard);
    if (c->pid > 0) {
        kill(c->pid, SIGQUIT);
        reap_server(c->pid, 3000);
    }
    fs_remove_tree(c->rundir, &ignore);
    isotest_err_release(&ignore);
}

int cluster_stop(struct cluster *c, bool save, struct isotest_err *e)
{
    int r = 0;

    if (!c)
        return 0;
    save = save && c->cache_path;
    if (c->pid > 0) {
        /* SIGINT: fast shutdown with a checkpoint; SIGQUIT: immediate. */
        kill(c->pid, save ? SIGINT : SIGQUIT);
        reap_server(c->pid, save ? 30000 : 5000);
        c->pid = 0;
    }
    if (save && cluster_cache_save(c, e) < 0)
        r = -1;
    struct isotest_err e2 = ISOTEST_ERR_INIT;
    if (fs_remove_tree(c->rundir, &e2) < 0 && r == 0) {
        err_set(e, "%s", e2.msg);
        r = -1;
    }
    isotest_err_release(&e2);
    cluster_free(c);
    return r;
}

/* The postmaster pid of a run folder, if its pid file names that folder. */
static pid_t run_postmaster(const char *rundir)
{
    char *pidfile = xasprintf("%s/data/postmaster.pid", rundir);
    char *datadir = xasprintf("%s/data", rundir);
    char *text = NULL;
    size_t len;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    pid_t pid = 0;

    if (fs_read_file(pidfile, &text, &len, &ignore) == 0) {
        char *nl = strchr(text, '\n');
        if (nl) {
            *nl = '\0';
            char *line2 = nl + 1;
            char *nl2 = strchr(line2, '\n');
            if (nl2)
                *nl2 = '\0';
            long v = strtol(text, NULL, 10);
            if (v > 1 && !strcmp(line2, datadir))
                pid = (pid_t)v;
        }
        free(text);
    }
    isotest_err_release(&ignore);
    free(pidfile);
    free(datadir);
    return pid;
}

/* Stop a dead run's postmaster: SIGQUIT, then SIGKILL after 5 s. */
static void stop_dead_postmaster(pid_t pm)
{
    if (pm <= 0 || kill(pm, SIGQUIT) != 0)
        return;
    long deadline = now_ms() + 5000;
    while (kill(pm, 0) == 0 && now_ms() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (kill(pm, 0) == 0)
        kill(pm, SIGKILL);
}

int cluster_reclaim_report(const struct cluster_options *opts, bool dry_run,
                           struct strbuf *log, struct isotest_err *e)
{
    const char *base = opts->base_dir ? opts->base_dir : default_base_dir();
    DIR *d = opendir(base);
    struct dirent *de;
    int n = 0;

    if (!d)
        return err_errno(e, errno, "cannot read '%s'", base);
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, RUN_PREFIX, strlen(RUN_PREFIX)) != 0)
            continue;
        char *dir = xasprintf("%s/%s", base, de->d_name);
        char *lockpath = xasprintf("%s/lock", dir);
        struct stat st;
        /* Only our own: another user's folders are theirs to reclaim. */
        bool mine =
            stat(dir, &st) == 0 && (st.st_uid == geteuid() || geteuid() == 0);
        /* A folder that has no lock file yet may be a run starting now. */
        bool young =
            mine && access(lockpath, F_OK) < 0 && time(NULL) - st.st_mtime < 60;
        struct isotest_err e2 = ISOTEST_ERR_INIT;
        int fd = mine && !young
                     ? cluster_lock_file(lockpath, F_WRLCK, false, &e2)
                     : -1;
        if (fd >= 0) {
            /* Nobody holds it: the run that made this folder is dead. */
            pid_t pm = run_postmaster(dir);
            if (!dry_run)
                stop_dead_postmaster(pm);
            close(fd);
            if (dry_run || fs_remove_tree(dir, &e2) == 0) {
                n++;
                if (log)
                    strbuf_addf(log, "%s %s%s\n",
                                dry_run ? "would remove" : "removed", dir,
                                pm > 0 ? " and stop its server" : "");
            }
        }
        isotest_err_release(&e2);
        free(dir);
        free(lockpath);
    }
    closedir(d);
    return n;
}

int cluster_reclaim(const struct cluster_options *opts, struct isotest_err *e)
{
    return cluster_reclaim_report(opts, false, NULL, e);
}

int isotest_clean_embedded(bool dry_run, char **log, struct isotest_err *e)
{
    struct cluster_options co = {0};
    struct strbuf sb = STRBUF_INIT;
    int n = cluster_reclaim_report(&co, dry_run, &sb, e);

    if (log)
        *log = strbuf_detach(&sb, NULL);
    else
        strbuf_release(&sb);
    return n;
}
