/*
 * cluster.c: initdb, the data-folder cache, starting and stopping the
 * embedded server, and reclaiming the leftovers of dead runs.
 *
 * Cache protocol: <cache>/cluster-<key> is a cleanly shut down data folder.
 * Readers copy it under a shared lock on <cache>/cluster-<key>.lock; a
 * writer copies its folder to a temporary name outside the lock, then takes
 * the lock exclusively only for the two renames that swap it in.
 */
#define _GNU_SOURCE /* F_OFD_SETLK: locks that belong to one descriptor */
#include "cluster.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLUSTER_FORMAT "1" /* bump when the initdb options change */
#define RUN_PREFIX "isotest-run-"
#define PORT "5432" /* the socket folder is private, so no clash */

struct cluster {
    char *bindir;
    char *rundir;
    char *datadir;
    char *sockdir;
    char *logpath;
    char *conninfo;
    char *cache_path; /* NULL: no cache */
    pid_t pid;
    int lock_fd;
    bool run_as;
    uid_t uid;
    gid_t gid;
    bool from_cache;
};

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
    struct strbuf looked = STRBUF_INIT;

    if (hint || env) {
        const char *d = hint ? hint : env;
        if (is_file(d, "postgres") && is_file(d, "initdb"))
            return xstrdup(d);
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
    err_set(e, "PostgreSQL server binaries (initdb, postgres) not found "
               "(looked in %s)", looked.buf);
    err_hint(e, "install them (Debian: apt-get install postgresql-15), set "
                "ISOTEST_PG_BINDIR, or point isotest at a server with --db");
    strbuf_release(&looked);
    return NULL;
}

static char *default_cache_dir(void)
{
    const char *v;

    if ((v = getenv("ISOTEST_CACHE_DIR")) && *v)
        return xstrdup(v);
    if ((v = getenv("XDG_CACHE_HOME")) && *v)
        return xasprintf("%s/isotest", v);
    if ((v = getenv("HOME")) && *v)
        return xasprintf("%s/.cache/isotest", v);
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

/*
 * The cache key: the server binary's identity, so a package upgrade gets a
 * fresh cluster, plus our own format version.
 */
static char *cache_key(const char *bindir)
{
    char *bin = xasprintf("%s/postgres", bindir);
    struct stat st;
    uint64_t h = 1469598103934665603ULL;
    char buf[512];

    memset(&st, 0, sizeof(st));
    stat(bin, &st);
    snprintf(buf, sizeof(buf), "%s|%lld|%lld|%s", bin, (long long)st.st_size,
             (long long)st.st_mtime, CLUSTER_FORMAT);
    for (const char *p = buf; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    free(bin);
    return xasprintf("cluster-%016llx", (unsigned long long)h);
}

static int lock_file(const char *path, short type, bool wait, struct isotest_err *e)
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
    const char *argv[] = {initdb, "-D", c->datadir, "-U", "postgres",
                          "-A", "trust", "-E", "UTF8", "--no-locale",
                          "--no-sync", "--no-instructions",
                          /* 1 MB WAL segments: a smaller folder to copy */
                          "--wal-segsize=1", NULL};
    struct proc_spec spec = {.argv = argv, .out_path = c->logpath,
                             .run_as = c->run_as, .uid = c->uid,
                             .gid = c->gid, .cwd = c->rundir};
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
    const char *argv[] = {
        postgres, "-D", c->datadir, "-p", PORT,
        "-c", sockopt,
        "-c", "listen_addresses=",
        "-c", "unix_socket_permissions=0700",
        /* Speed over durability: the cluster is thrown away. */
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
        "-c", "wal_level=minimal",
        "-c", "max_wal_senders=0",
        "-c", "autovacuum=off",
        "-c", "max_connections=300",
        "-c", "max_locks_per_transaction=256",
        "-c", "checkpoint_timeout=1d",
        "-c", "max_wal_size=1GB",
        "-c", "min_wal_size=4MB",
        "-c", "logging_collector=off",
        /*
         * Loaded once into the postmaster instead of into every backend
         * that runs a DO block or a PL/pgSQL function: ~1 ms per case.
         */
        "-c", "shared_preload_libraries=plpgsql",
        /* Segments in the data folder: gone with it, even after SIGQUIT. */
        "-c", "dynamic_shared_memory_type=mmap",
        NULL};
    struct proc_spec spec = {.argv = argv, .out_path = c->logpath,
                             .new_session = true, .run_as = c->run_as,
                             .uid = c->uid, .gid = c->gid, .cwd = c->rundir};
    struct proc p;
    int r = proc_start(&p, &spec, e);

    free(postgres);
    free(sockopt);
    if (r < 0)
        return -1;
    c->pid = p.pid;

    /* Ready in ~10 ms; pg_ctl -w would poll every 100 ms. */
    const char *keys[] = {"host", "port", "user", "dbname", NULL};
    const char *vals[] = {c->sockdir, PORT, "postgres", "postgres", NULL};
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
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    free(c->bindir);
    free(c->rundir);
    free(c->datadir);
    free(c->sockdir);
    free(c->logpath);
    free(c->conninfo);
    free(c->cache_path);
    free(c);
}

static int copy_from_cache(struct cluster *c, struct isotest_err *e)
{
    char *lockpath = xasprintf("%s.lock", c->cache_path);
    int fd = lock_file(lockpath, F_RDLCK, true, e);
    int r = 1; /* 1: no cache yet */
    struct stat st;

    free(lockpath);
    if (fd < 0)
        return -1;
    if (stat(c->cache_path, &st) == 0 && S_ISDIR(st.st_mode)) {
        r = fs_copy_tree(c->cache_path, c->datadir, c->run_as, c->uid, c->gid,
                         e);
        if (r < 0) {
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            fs_remove_tree(c->datadir, &ignore);
            isotest_err_release(&ignore);
        }
    }
    close(fd);
    return r;
}

struct cluster *cluster_start(const struct cluster_options *opts,
                              struct isotest_err *e)
{
    struct cluster *c = xcalloc(1, sizeof(*c));
    const char *base = opts->base_dir ? opts->base_dir : default_base_dir();

    c->lock_fd = -1;
    c->bindir = cluster_find_bindir(opts->bindir, e);
    if (!c->bindir) {
        cluster_free(c);
        return NULL;
    }
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postgres");
        if (!pw) {
            err_set(e, "running as root, and PostgreSQL refuses to: no "
                       "'postgres' account to run the embedded server as");
            err_hint(e, "create one (useradd --system postgres) or run "
                        "isotest as an unprivileged user");
            cluster_free(c);
            return NULL;
        }
        c->run_as = true;
        c->uid = pw->pw_uid;
        c->gid = pw->pw_gid;
    }

    char *tmpl = xasprintf("%s/" RUN_PREFIX "XXXXXX", base);
    if (!mkdtemp(tmpl)) {
        err_errno(e, errno, "cannot create a folder in '%s'", base);
        free(tmpl);
        cluster_free(c);
        return NULL;
    }
    c->rundir = tmpl;
    c->datadir = xasprintf("%s/data", c->rundir);
    c->sockdir = xasprintf("%s/sock", c->rundir);
    c->logpath = xasprintf("%s/server.log", c->rundir);
    c->conninfo = xasprintf("host=%s port=" PORT " user=postgres",
                            c->sockdir);
    char *lockpath = xasprintf("%s/lock", c->rundir);
    c->lock_fd = lock_file(lockpath, F_WRLCK, false, e);
    free(lockpath);
    if (c->lock_fd < 0)
        goto fail;
    if (mkdir(c->sockdir, 0700) < 0) {
        err_errno(e, errno, "cannot create '%s'", c->sockdir);
        goto fail;
    }
    if (c->run_as && (chown(c->rundir, c->uid, c->gid) < 0 ||
                      chown(c->sockdir, c->uid, c->gid) < 0)) {
        err_errno(e, errno, "cannot chown '%s'", c->rundir);
        goto fail;
    }

    if (!opts->no_cache) {
        char *dir = opts->cache_dir ? xstrdup(opts->cache_dir)
                                    : default_cache_dir();
        if (dir) {
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            if (fs_mkdirs(dir, 0700, &ignore) == 0) {
                char *key = cache_key(c->bindir);
                c->cache_path = xasprintf("%s/%s", dir, key);
                free(key);
            }
            isotest_err_release(&ignore);
            free(dir);
        }
    }
    int cached = c->cache_path ? copy_from_cache(c, e) : 1;
    if (cached < 0)
        goto fail;
    c->from_cache = cached == 0;
    if (!c->from_cache && run_initdb(c, e) < 0)
        goto fail;
    if (start_server(c, e) < 0)
        goto fail;
    return c;

fail:;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    if (c->pid > 0) {
        kill(c->pid, SIGQUIT);
        waitpid(c->pid, NULL, 0);
    }
    fs_remove_tree(c->rundir, &ignore);
    isotest_err_release(&ignore);
    cluster_free(c);
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
    if (c->pid > 0) {
        kill(c->pid, SIGQUIT);
        reap_server(c->pid, 3000);
    }
    fs_remove_tree(c->rundir, &ignore);
    isotest_err_release(&ignore);
}

static int save_to_cache(struct cluster *c, struct isotest_err *e)
{
    char *tmp = xasprintf("%s.new.%ld", c->cache_path, (long)getpid());
    char *old = xasprintf("%s.old.%ld", c->cache_path, (long)getpid());
    char *lockpath = xasprintf("%s.lock", c->cache_path);
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    int r = -1;

    fs_remove_tree(tmp, &ignore);
    if (fs_copy_tree(c->datadir, tmp, false, 0, 0, e) == 0) {
        /* postmaster.opts names this run's folder; harmless but stale. */
        char *opts = xasprintf("%s/postmaster.opts", tmp);
        unlink(opts);
        free(opts);
        int fd = lock_file(lockpath, F_WRLCK, true, e);
        if (fd >= 0) {
            bool had_old = rename(c->cache_path, old) == 0;
            if (rename(tmp, c->cache_path) == 0) {
                r = 0;
            } else {
                err_errno(e, errno, "cannot store '%s'", c->cache_path);
                if (had_old)
                    rename(old, c->cache_path);
            }
            close(fd);
            if (had_old && r == 0)
                fs_remove_tree(old, &ignore);
        }
    }
    fs_remove_tree(tmp, &ignore);
    isotest_err_release(&ignore);
    free(tmp);
    free(old);
    free(lockpath);
    return r;
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
    if (save && save_to_cache(c, e) < 0)
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

int cluster_reclaim(const struct cluster_options *opts, struct isotest_err *e)
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
        if (stat(dir, &st) < 0 || (st.st_uid != geteuid() &&
                                   geteuid() != 0)) {
            free(dir);
            free(lockpath);
            continue;
        }
        /* A folder that has no lock file yet may be a run starting now. */
        if (access(lockpath, F_OK) < 0 && time(NULL) - st.st_mtime < 60) {
            free(dir);
            free(lockpath);
            continue;
        }
        struct isotest_err e2 = ISOTEST_ERR_INIT;
        int fd = lock_file(lockpath, F_WRLCK, false, &e2);
        if (fd >= 0) {
            /* Nobody holds it: the run that made this folder is dead. */
            pid_t pm = run_postmaster(dir);
            if (pm > 0 && kill(pm, SIGQUIT) == 0) {
                long deadline = now_ms() + 5000;
                while (kill(pm, 0) == 0 && now_ms() < deadline) {
                    struct timespec ts = {0, 10 * 1000000L};
                    nanosleep(&ts, NULL);
                }
                if (kill(pm, 0) == 0)
                    kill(pm, SIGKILL);
            }
            close(fd);
            if (fs_remove_tree(dir, &e2) == 0)
                n++;
        }
        isotest_err_release(&e2);
        free(dir);
        free(lockpath);
    }
    closedir(d);
    return n;
}
