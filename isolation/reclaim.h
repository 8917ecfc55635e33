/*
 * reclaim: finding and dropping what dead runs left on a server.
 *
 * A run holds the advisory lock (IDENT_LOCK_CLASS, runid) for as long as it
 * lives.  A database named isotest_<runid>_... whose lock no session holds
 * belongs to a dead run and is dropped; a live run's objects, on this
 * machine or another, are never touched.  Databases a run kept on purpose
 * (--keep-failed) carry a comment with the time they were kept and are
 * dropped only once older than `keep_age_s`.
 *
 * Call from one thread with the maintenance connection.
 */
#ifndef ISOTEST_RECLAIM_H
#define ISOTEST_RECLAIM_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "common/strbuf.h"

/* The comment on a kept sandbox: this prefix, then the epoch seconds. */
#define RECLAIM_KEPT_PREFIX "isotest kept at "

/* Take the run's lock on conn (a session lock, held until it closes). */
int reclaim_lock_run(PGconn *conn, const char *runid, struct isotest_err *e);

/* Mark a sandbox database as kept on purpose (for keep_age_s). */
int reclaim_mark_kept(PGconn *conn, const char *dbname, struct isotest_err *e);

struct reclaim_stats {
    int dropped;
    int failed;
    int kept_young; /* kept sandboxes not old enough yet */
};

/*
 * Drop the databases of dead runs.  Each one dropped (or, with dry_run,
 * that would be) is listed in `log`, one per line; failures too, with the
 * server's reason, and counted in st->failed while the rest go on.
 * Returns -1 only when the server could not be asked at all.
 */
int reclaim_dead(PGconn *conn, bool dry_run, double keep_age_s,
                 struct strbuf *log, struct reclaim_stats *st,
                 struct isotest_err *e);

#endif
