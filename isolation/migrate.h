/*
 * migrate: a folder of migrations, in version order, and applying them.
 *
 * Call sequence: migrate_load() reads every *.sql of the folder (not
 * *.down.sql) into memory, ordered by version as golang-migrate and `ls -v`
 * order them (a number compares as a number: 2_x before 10_y); then
 * migrate_apply() on a connection, as often as needed; migrate_release().
 *
 * Each file is sent as one simple-query message, so it runs as one implicit
 * transaction unless it manages its own.  A failure names the file, the
 * line, and PostgreSQL's message and SQLSTATE.
 *
 * A loaded set is read-only and may be shared by threads.
 */
#ifndef ISOTEST_MIGRATE_H
#define ISOTEST_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common/err.h"

struct migration {
    char *path; /* as found: <dir>/<name> */
    char *name; /* the file name */
    char *sql;  /* its content */
    size_t len;
};

struct migrate_set {
    struct migration *v;
    size_t n;
    char *dir;
};

/* Compare two file names by version ("ls -v" order). */
int migrate_version_cmp(const char *a, const char *b);

/* -1 with e set: folder missing or unreadable, no .sql file in it. */
int migrate_load(struct migrate_set *ms, const char *dir,
                 struct isotest_err *e);
void migrate_release(struct migrate_set *ms);

/*
 * Apply every migration in order on conn, each file as one message.  On
 * failure, e says "migration 'FILE' line N: ..." (the line found from the
 * server's error position, or by replaying the file statement by statement
 * in a transaction that is rolled back).
 */
int migrate_apply(const struct migrate_set *ms, PGconn *conn,
                  struct isotest_err *e);

/*
 * The same, calling cancelled(arg) (may be NULL) every 20 ms while a
 * migration runs: when it returns true, the running statement is
 * cancelled (PQcancel) and e says "interrupted while applying migration
 * 'FILE'".  Should the server not stop within 5 s, the connection is left
 * busy: close it, and drop its database.
 */
int migrate_apply_cancelable(const struct migrate_set *ms, PGconn *conn,
                             bool (*cancelled)(void *arg), void *arg,
                             struct isotest_err *e);

/*
 * 1-based line of the 1-based character position `pos` in the UTF-8 text
 * (PostgreSQL reports positions in characters, not bytes).
 */
int migrate_line_of(const char *text, size_t len, long pos);

/*
 * The start offsets of the SQL statements in text (quotes, dollar quotes,
 * comments understood).  Returns the count; the caller frees *starts.
 */
size_t migrate_split(const char *text, size_t len, size_t **starts);

#endif
