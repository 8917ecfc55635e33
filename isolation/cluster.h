/*
 * cluster: the embedded throwaway PostgreSQL server.
 *
 * Call sequence: cluster_start() (reuses a cached initdb'd data folder when
 * there is one, else runs initdb), connect with cluster_conninfo(), then
 * cluster_stop() -- which, when asked to, first saves the data folder
 * (templates included) to the cache so the next run starts warm -- and the
 * run folder is removed.  cluster_abort() is for an emergency exit from
 * another thread: it stops the server at once and removes the folder.
 *
 * Layout: a private run folder (on tmpfs when /dev/shm exists) holding
 * data/, sock/ (the only way in: no TCP, listen_addresses is empty), log,
 * and lock (held for the owner's lifetime, so cluster_reclaim() can tell a
 * dead run's leftovers from a live one's).
 *
 * PostgreSQL refuses to run as root: started by root, the server runs as
 * the 'postgres' account.  Not thread-safe; call from the main thread.
 */
#ifndef ISOTEST_CLUSTER_H
#define ISOTEST_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

struct cluster;

struct cluster_options {
    const char *bindir;    /* NULL: ISOTEST_PG_BINDIR or a search */
    const char *cache_dir; /* NULL: ISOTEST_CACHE_DIR, XDG or ~/.cache */
    const char *base_dir;  /* NULL: /dev/shm when present, else TMPDIR */
    bool no_cache;         /* neither read nor write the cache */
    /*
     * Server settings, "NAME=VALUE" each, passed as -c NAME=VALUE after
     * isotest's own (so they win); part of the cache's key.
     */
    const char *const *settings;
    size_t n_settings;
};

/*
 * Find the server binaries: hint, $ISOTEST_PG_BINDIR, the --bindir of
 * the pg_config $PG_CONFIG names, /usr/lib/postgresql/<newest>/bin, then
 * PATH.  The caller frees the result.  NULL with e set (naming the folder
 * given, or where it looked) when not found.
 */
char *cluster_find_bindir(const char *hint, struct isotest_err *e);

/*
 * Check a server setting's form: "NAME=VALUE", NAME letters, digits, '_'
 * and '.'.  -1 with e naming it otherwise.  Pure; thread-safe.
 */
int cluster_setting_check(const char *setting, struct isotest_err *e);

/*
 * Returns NULL with e set; the error includes the server log's tail, and
 * names the setting the server refused when it was one of opts->settings.
 */
struct cluster *cluster_start(const struct cluster_options *opts,
                              struct isotest_err *e);

/* "host=<sockdir> port=5432 user=postgres"; owned by the cluster. */
const char *cluster_conninfo(const struct cluster *c);
const char *cluster_sockdir(const struct cluster *c);
const char *cluster_bindir(const struct cluster *c);
bool cluster_from_cache(const struct cluster *c);

/*
 * Stop the server and remove the run folder; with `save`, shut down cleanly
 * and store the data folder in the cache first.  Frees c in every case.
 */
int cluster_stop(struct cluster *c, bool save, struct isotest_err *e);

/*
 * Leave the server running (it holds sandboxes kept for debugging) and
 * free c.  The run folder's lock goes with this process, so the next run's
 * cluster_reclaim() stops the server and removes the folder.
 */
void cluster_detach(struct cluster *c);

/*
 * Emergency stop from another thread: immediate shutdown, a wait of up to
 * 3 s for the postmaster, and the run folder removed.  Nothing is freed;
 * the process is expected to exit next.
 */
void cluster_abort(struct cluster *c);

/*
 * Stop the servers and remove the run folders of dead isotest processes
 * under the base folder.  Returns how many it removed, or -1.
 */
int cluster_reclaim(const struct cluster_options *opts, struct isotest_err *e);

/*
 * The same, with dry_run only finding them; one line per folder in log
 * (may be NULL): "removed DIR[ and stop its server]", or "would remove".
 */
int cluster_reclaim_report(const struct cluster_options *opts, bool dry_run,
                           struct strbuf *log, struct isotest_err *e);

#endif
