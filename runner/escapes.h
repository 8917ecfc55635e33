/*
 * escapes: what a run's cases changed on the server outside their
 * sandboxes.  A sandbox isolates a database or a schema; roles, role
 * settings, databases, tablespaces and the contents of the `postgres` and
 * `template1` databases are the server's, shared by every database (a
 * table created in template1 lands in every later database made from it).
 *
 * escapes_snapshot() reads that state (on the maintenance connection's
 * server, plus one short query each in postgres and template1: a CREATE
 * DATABASE from template1 fails while a session is connected to it, so
 * these sessions last one query); escapes_diff() names what differs.
 * Other isotest runs' databases (isotest_...) are never escapes.
 *
 * Call sequence: escapes_snapshot() before the cases and after, then
 * escapes_diff(), then escapes_release() on both.
 */
#ifndef ISOTEST_ESCAPES_H
#define ISOTEST_ESCAPES_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "isotest.h"

struct escapes {
    char **v; /* sorted lines, one per object and its attributes */
    size_t n;
};

int escapes_snapshot(const struct isotest_session *s, struct escapes *out,
                     struct isotest_err *e);

/*
 * escapes_snapshot() in a thread of its own, so that it overlaps other
 * start-up work (the pool's first clones): start, then finish, which
 * waits for it and returns what escapes_snapshot() returned (e set).
 * Without a thread the snapshot is taken in finish.
 */
struct escapes_job {
    const struct isotest_session *s;
    struct escapes *out;
    struct isotest_err e;
    int r;
    bool threaded;
    pthread_t thread;
};
void escapes_snapshot_start(struct escapes_job *j,
                            const struct isotest_session *s,
                            struct escapes *out);
int escapes_snapshot_finish(struct escapes_job *j, struct isotest_err *e);

/*
 * One line per difference, "  added: ..." or "  removed: ...", into out;
 * how many.
 */
size_t escapes_diff(const struct escapes *before, const struct escapes *after,
                    struct strbuf *out);

void escapes_release(struct escapes *x);

#endif
