/*
 * backup_manifest: what isotest writes beside a backup, and reads back.
 *
 *   <backup>.json           the manifest `backup create` writes: which
 *                           database, when, the dump's format, size and
 *                           SHA-256 (per file too for a directory), the
 *                           server and pg_dump versions, the roles that
 *                           own objects, and the exact row count of every
 *                           table taken in the dump's own snapshot;
 *   <backup>.verified.json  the verdict of the last `backup verify`.
 *
 * A manifest carries "kind": "isotest-backup" and the backup's own file
 * name: that is what lets pruning prove a file is one of isotest's
 * backups.  No password ever goes into either file (nothing here knows
 * one).  Both are written durably (backup_store.h: temporary name, fsync,
 * rename).  backup_digest() hashes a backup (libcrypto's EVP SHA-256).
 *
 * Strings in the structs are owned by them (free with the _release
 * functions).  Thread-safe for distinct structs.
 */
#ifndef ISOTEST_BACKUP_MANIFEST_H
#define ISOTEST_BACKUP_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

enum backup_format { BACKUP_CUSTOM, BACKUP_PLAIN, BACKUP_DIRECTORY };

/* "custom", "plain", "directory"; parse returns -1 for anything else. */
const char *backup_format_name(enum backup_format f);
int backup_format_parse(const char *s, enum backup_format *f);
/* ".dump", ".sql.gz", ".dir" */
const char *backup_format_ext(enum backup_format f);

struct backup_table {
    char *schema, *name;
    long long rows;
    long long bytes; /* its size when listed (to share out work); not
                        in the manifest */
};
void backup_tables_free(struct backup_table *t, size_t n);

/* One file of a directory-format backup. */
struct backup_member {
    char *name;
    long long size;
    char sha256[65];
};

/* The size and SHA-256 of a backup (a directory: of its file list). */
struct backup_digest {
    long long size;
    char sha256[65];
    struct backup_member *files; /* directory format only */
    size_t nfiles;
};

/*
 * Hash the backup at path: a file, or a directory's regular files in
 * name order (the digest of their "SHA256  NAME" lines).  With sync, each
 * file is fsync()ed too.  -1 with e naming the file.
 */
int backup_digest(const char *path, bool sync, struct backup_digest *d,
                  struct isotest_err *e);
void backup_digest_release(struct backup_digest *d);

struct backup_manifest {
    char *file; /* the backup's base name */
    enum backup_format format;
    char *database;   /* as the server names it */
    char *created_at; /* ISO 8601, UTC */
    char *snapshot;
    char *server_version;
    char *pg_dump_version;
    struct backup_digest digest;
    char **roles; /* roles the database's objects name */
    size_t nroles;
    struct backup_table *tables; /* in schema, name order */
    size_t ntables;
};

/* "<backup>.json" and "<backup>.verified.json"; the caller frees them. */
char *backup_manifest_path(const char *backup);
char *backup_verdict_path(const char *backup);

int backup_manifest_write(const char *path, const struct backup_manifest *m,
                          struct isotest_err *e);
/*
 * 1 with m filled; 0 when there is no such file; -1 with e when it
 * cannot be read or is not an isotest backup manifest.
 */
int backup_manifest_read(const char *path, struct backup_manifest *m,
                         struct isotest_err *e);
void backup_manifest_release(struct backup_manifest *m);

/* Sum of the table row counts. */
long long backup_manifest_rows(const struct backup_manifest *m);

/* The verdict of a verification. */
struct backup_verdict {
    char *file;
    char *verified_at; /* ISO 8601, UTC */
    char *result;      /* "passed", "failed", "incomplete" */
    char *message;     /* the first failure or gap, or NULL */
    int passed, failed, skipped, errors;
};

int backup_verdict_write(const char *path, const struct backup_verdict *v,
                         struct isotest_err *e);
/* As backup_manifest_read(). */
int backup_verdict_read(const char *path, struct backup_verdict *v,
                        struct isotest_err *e);
void backup_verdict_release(struct backup_verdict *v);

/* "2024-01-31T12:00:00Z" for t, into buf (at least 21 bytes). */
const char *backup_iso_time(long long t, char *buf, size_t size);
/* The seconds since the epoch of such a string; -1 when it is not one. */
long long backup_iso_parse(const char *s);

#endif
