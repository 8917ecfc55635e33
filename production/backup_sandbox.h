/*
 * backup_sandbox: where `backup verify` restores a backup -- a sandbox
 * database from libisotest (a session with no migrations, no pool, one
 * sandbox), named as isotest's sandboxes are, so that a crash leaves
 * nothing the next isotest session or `isotest clean` does not reclaim.
 *
 * Call sequence:
 *
 *     struct backup_sandbox bs;
 *     backup_sandbox_open(&bs, db, &e);        // session + sandbox
 *     backup_sandbox_roles(&bs, roles, n, ...) // plain dumps, embedded only
 *     backup_sandbox_restore(&bs, path, format, jobs, &e);
 *     backup_sandbox_tables(&bs, &t, &n, &e);  // exact row counts
 *     backup_sandbox_check(&bs, file, &result) // each --check case
 *     backup_sandbox_close(&bs, &e);           // drop, close, always
 *
 * Children get the environment `isotest run` gives a case (runcase.h):
 * PG* pointing into the sandbox, PGPASSWORD when the server needs one.
 * Messages are redacted with the session (isotest_redact).  Nothing here
 * prints.  Main thread only (children are watched by signals.h).
 */
#ifndef ISOTEST_BACKUP_SANDBOX_H
#define ISOTEST_BACKUP_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "backup_manifest.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "isotest.h"
#include "reporters/result.h"

/* Treat as opaque, but for the facts marked read-only. */
struct backup_sandbox {
    struct isotest_session *s;
    struct isotest_sandbox *sb;
    char **env;
    bool created_roles;
    /* read-only: */
    const char *name;           /* the sandbox database */
    const char *server_version; /* of the server it is on */
    bool embedded;
    double acquire_ms; /* creating it */
};

/*
 * Open a session on the server db names (NULL: the PG* variables, else
 * an embedded server) and take one sandbox.  -1 with e; nothing is left
 * open then.
 */
int backup_sandbox_open(struct backup_sandbox *bs, const char *db,
                        struct isotest_err *e);

/*
 * A plain dump says who owns what (ALTER ... OWNER TO): on an embedded
 * server, create the roles it names that are missing (NOLOGIN; the
 * server is thrown away afterwards); on a server the user named, only
 * list them in *note.  -1 with e when the server cannot be asked.
 */
int backup_sandbox_roles(struct backup_sandbox *bs, char *const *roles,
                         size_t n, struct strbuf *note, struct isotest_err *e);

/* Restore the backup into the sandbox (pg_restore -j jobs). */
int backup_sandbox_restore(struct backup_sandbox *bs, const char *path,
                           enum backup_format f, int jobs,
                           struct isotest_err *e);

/*
 * The sandbox's tables with their exact row counts (backup_pg.h),
 * counted over up to four connections at once (one thread each).
 */
int backup_sandbox_tables(struct backup_sandbox *bs, struct backup_table **t,
                          size_t *n, struct isotest_err *e);

/*
 * Run one SQL check with psql against the restored database and judge
 * it as `isotest run` judges a SQL case (exit code, TAP when printed):
 * sets r's outcome, message, detail and captured output.
 */
void backup_sandbox_check(struct backup_sandbox *bs, const char *file,
                          struct test_result *r);

/*
 * Drop the sandbox and close the session (an embedded server stops).
 * Safe on a struct whose open failed.  -1 with e when the drop failed
 * (the next session reclaims it); everything is freed either way.
 */
int backup_sandbox_close(struct backup_sandbox *bs, double *drop_ms,
                         struct isotest_err *e);

/* A copy of text without the sandbox server's password. */
char *backup_sandbox_redact(const struct backup_sandbox *bs, const char *text);

/*
 * The *.sql files under path (path itself when it is one), sorted;
 * free with backup_strv_free().  -1 with e when path cannot be read or
 * holds none.
 */
int backup_checks_find(const char *path, char ***files, size_t *n,
                       struct isotest_err *e);
void backup_strv_free(char **v, size_t n);

#endif
