/*
 * cluster_int.h: what cluster.c and cluster_cache.c share; no other file
 * includes it (cluster.h is the module's interface).
 */
#ifndef ISOTEST_CLUSTER_INT_H
#define ISOTEST_CLUSTER_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "cluster.h"
#include "common/err.h"
#include "common/watch.h"

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
    struct watch guard; /* ends the server if this process dies first */
};

/*
 * Open (creating it) and lock path with an open-file-description lock of
 * `type` (F_RDLCK or F_WRLCK), waiting for it when `wait`.  Returns the
 * descriptor, which holds the lock until closed; -2 when !wait and another
 * holds it; -1 with e set on an error.
 */
int cluster_lock_file(const char *path, short type, bool wait,
                      struct isotest_err *e);

/*
 * Where the data folder for the server in bindir is cached:
 * <cache>/cluster-<key>, the cache folder created if missing.  NULL when
 * opts->no_cache, or there is no cache folder to use.  The caller frees it.
 */
char *cluster_cache_path(const struct cluster_options *opts,
                         const char *bindir);

/*
 * Copy the cached data folder to c->datadir (owned by c's user).  Returns
 * 0 when copied, 1 when there is no cache yet, -1 with e set.
 */
int cluster_cache_restore(struct cluster *c, struct isotest_err *e);

/* Store c->datadir, cleanly shut down, as the cached data folder. */
int cluster_cache_save(struct cluster *c, struct isotest_err *e);

#endif
