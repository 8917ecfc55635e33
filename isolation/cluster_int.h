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
    char **settings;  /* "NAME=VALUE", copies of the options' */
    size_t n_settings;
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
 * Where the data folder for the server in bindir, started with
 * opts->settings, is cached: <cache>/cluster-<key>, the cache folder
 * created if missing (two sets of settings never share a data folder).  NULL
 * when opts->no_cache, or there is no cache folder to use.  The caller frees
 * it.
 */
char *cluster_cache_path(const struct cluster_options *opts,
                         const char *bindir);

#define CLUSTER_PORT "5432" /* the socket folder is private, so no clash */

/*
 * The postgres command line (cluster_settings.c): postgres -D ... -p ...
 * -c sockopt, isotest's settings, then c->settings.  The array is the
 * caller's to free; its strings are the arguments', c's or static.
 */
const char **cluster_server_argv(const struct cluster *c, const char *postgres,
                                 const char *sockopt);

/*
 * When the server log `log` names one of c->settings (quoted, as the
 * server quotes a parameter it refuses), set e to say so with the
 * server's message; else leave e as it is.
 */
void cluster_refused_setting(const struct cluster *c, const char *log,
                             struct isotest_err *e);

/* `pg_config --bindir`, trimmed; NULL with e naming pg_config. */
char *cluster_pg_config_bindir(const char *pg_config, struct isotest_err *e);

/*
 * Copy the cached data folder to c->datadir (owned by c's user).  Returns
 * 0 when copied, 1 when there is no cache yet, -1 with e set.
 */
int cluster_cache_restore(struct cluster *c, struct isotest_err *e);

/* Store c->datadir, cleanly shut down, as the cached data folder. */
int cluster_cache_save(struct cluster *c, struct isotest_err *e);

#endif
