/*
 * cluster_cache.c: the cache of initdb'd data folders, which lets a run
 * skip initdb (and find the templates of the previous one).
 *
 * Cache protocol: <cache>/cluster-<key> is a cleanly shut down data folder.
 * Readers copy it under a shared lock on <cache>/cluster-<key>.lock; a
 * writer copies its folder to a temporary name outside the lock, then takes
 * the lock exclusively only for the two renames that swap it in.
 */
#include "cluster_int.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLUSTER_FORMAT "1" /* bump when the initdb options change */

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

/*
 * The cache key: the server binary's identity, so a package upgrade gets a
 * fresh cluster, plus our own format version, plus the server settings
 * asked for (a data folder started with other settings is another one).
 */
static char *cache_key(const char *bindir, const struct cluster_options *opts)
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
    /* Each setting and its end: ("a=b", "c") and ("a=bc") differ. */
    for (size_t i = 0; i < opts->n_settings; i++) {
        for (const char *p = opts->settings[i];; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ULL;
            if (!*p)
                break;
        }
    }
    free(bin);
    return xasprintf("cluster-%016llx", (unsigned long long)h);
}

char *cluster_cache_path(const struct cluster_options *opts, const char *bindir)
{
    char *path = NULL;

    if (opts->no_cache)
        return NULL;
    char *dir =
        opts->cache_dir ? xstrdup(opts->cache_dir) : default_cache_dir();
    if (dir) {
        /* No usable cache folder is no error: the run goes without. */
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        if (fs_mkdirs(dir, 0700, &ignore) == 0) {
            char *key = cache_key(bindir, opts);
            path = xasprintf("%s/%s", dir, key);
            free(key);
        }
        isotest_err_release(&ignore);
        free(dir);
    }
    return path;
}

int cluster_cache_restore(struct cluster *c, struct isotest_err *e)
{
    char *lockpath = xasprintf("%s.lock", c->cache_path);
    int fd = cluster_lock_file(lockpath, F_RDLCK, true, e);
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

int cluster_cache_save(struct cluster *c, struct isotest_err *e)
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
        int fd = cluster_lock_file(lockpath, F_WRLCK, true, e);
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
