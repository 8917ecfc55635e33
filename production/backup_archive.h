/*
 * backup_archive: one backup on disk -- which format it is, whether its
 * signature reads, whether it is byte for byte what its manifest
 * describes, and loading it into a database.
 *
 *   custom     pg_dump -Fc; the signature check is `pg_restore --list`
 *   directory  pg_dump -Fd; likewise
 *   plain      pg_dump -Fp, gzip-compressed; the signature check is the
 *              gzip header, the dump's first line once decompressed, and
 *              `gzip -t` (the stream's CRC and length)
 *
 * backup_load() restores with pg_restore, or pipes `gzip -dc` into psql
 * (the pipe is the psql child's stdin, opened through /dev/fd).  A
 * failure quotes the program's own message.  Nothing here prints; the
 * programs run as children watched by the signal registry (main thread).
 */
#ifndef ISOTEST_BACKUP_ARCHIVE_H
#define ISOTEST_BACKUP_ARCHIVE_H

#include <stdbool.h>

#include "backup_manifest.h"
#include "common/err.h"
#include "common/strbuf.h"

/*
 * The format of the backup at path: its manifest's when there is one
 * (m may be NULL), else what its name or content says.
 */
enum backup_format backup_format_of(const char *path,
                                    const struct backup_manifest *m);

/*
 * Does the backup read as its format?  0 with a line about it in detail
 * ("custom format, 12 TOC entries"); -1 with e quoting the program that
 * could not read it.
 */
int backup_signature(const char *path, enum backup_format f,
                     struct strbuf *detail, struct isotest_err *e);

/*
 * Is it the backup the manifest describes (size, SHA-256; per file for
 * a directory)?  0 with detail; -1 with e saying what differs, or that
 * it could not be read.
 */
int backup_checksum(const char *path, const struct backup_manifest *m,
                    struct strbuf *detail, struct isotest_err *e);

struct backup_load_spec {
    const char *path;
    enum backup_format format;
    const char *dbarg;       /* pg_restore -d / psql -d: a conninfo */
    const char *const *envp; /* the children's environment */
    bool target;             /* over a real database: --clean
                                --if-exists, one transaction, owners
                                and privileges kept */
    int jobs;                /* pg_restore -j when not `target` */
};

/* 0 when it restored; -1 with e quoting pg_restore or psql. */
int backup_load(const struct backup_load_spec *s, struct isotest_err *e);

#endif
