/*
 * backup: `isotest backup create|verify|restore|list`, backups of a real
 * (production) database and the proof that they restore.
 *
 * The command's parts:
 *   backup_cmd.c       cmd_backup(): dispatch, --help, `list`
 *   backup_create.c    `create`, and backup_take() which restore's
 *                      safety backup uses too
 *   backup_verify.c    `verify`: the checks in order (backup_verify.h);
 *                      backup_verify_report.c: the per-table cases, the
 *                      JUnit report, the verdict file
 *   backup_sandbox.c   verify's restore into a libisotest sandbox, the
 *                      row counts there and the --check cases
 *   backup_restore.c   `restore`, over a real database
 * and the modules they stand on: backup_pg.h (--db, SQL, PostgreSQL's
 * programs), backup_archive.h (format, signature, checksum, loading),
 * backup_manifest.h (manifest and verdict files), backup_store.h (names,
 * durable writes, listing, pruning), backup_json.h.
 *
 * Read-only on production: create opens one REPEATABLE READ READ ONLY
 * transaction, exports its snapshot, counts every table's rows in it and
 * runs pg_dump --snapshot while it stays open; verify never connects to
 * the database a backup came from.  Only restore writes, and only to the
 * database it is told to replace, after a safety backup.
 *
 * The subcommands print (they are command code); the modules do not.
 * Main thread only.
 */
#ifndef ISOTEST_BACKUP_H
#define ISOTEST_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "backup_manifest.h"
#include "backup_pg.h"
#include "common/err.h"

/* The exit codes of every subcommand (runner/commands.h's). */
#define BACKUP_OK 0
#define BACKUP_FAILED 1 /* a check failed / the restore failed */
#define BACKUP_CANNOT 2 /* usage, no server, cannot read, refused */

extern const char backup_usage[];

int backup_cmd_create(int argc, char **argv);
int backup_cmd_verify(int argc, char **argv);
int backup_cmd_restore(int argc, char **argv);
int backup_cmd_list(int argc, char **argv);

/* What backup_take() is given. */
struct backup_take_spec {
    struct backup_db *db; /* connected: conn is its connection */
    PGconn *conn;         /* no transaction open */
    const char *dir;
    enum backup_format format;
    int jobs; /* pg_dump -j, directory format only */
};

/* What it made; free with backup_taken_release(). */
struct backup_taken {
    char *path;          /* the backup */
    char *manifest_path; /* its manifest */
    struct backup_manifest m;
    double ms;
};

/*
 * Take a backup of the database conn is connected to, into spec->dir:
 * snapshot, row counts, pg_dump, sync, rename into place, manifest.
 * -1 with e (pg_dump's own message when it failed); nothing is left
 * behind then.  Interrupted by a signal: -1 with e saying so.
 */
int backup_take(const struct backup_take_spec *spec, struct backup_taken *t,
                struct isotest_err *e);
void backup_taken_release(struct backup_taken *t);

/* "12.3 MB" into buf. */
const char *backup_human_size(long long bytes, char *buf, size_t size);
/* "3 h 12 min" (or "just now") for an age in seconds, into buf. */
const char *backup_human_age(long long secs, char *buf, size_t size);
/* Print "isotest: error: MSG" (and "hint: ..."), redacted with db (may
 * be NULL), and release e. */
void backup_print_error(const struct backup_db *db, struct isotest_err *e);
/* Does argv hold -h or --help? */
bool backup_wants_help(int argc, char **argv);

#endif
