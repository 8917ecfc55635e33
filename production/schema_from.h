/*
 * schema_from: a template from a live database's schema instead of from
 * migrations (`isotest run --schema-from URL`).
 *
 * schema_from_prepare() runs `pg_dump --schema-only --no-owner
 * --no-privileges` against URL (read-only: pg_dump reads in one
 * REPEATABLE READ READ ONLY transaction, and gets
 * default_transaction_read_only on top), drops the `\restrict KEY` and
 * `\unrestrict KEY` lines that pg_dump 15.18 and later add (random per
 * dump, and psql meta-commands), and writes the rest as the one migration
 * of a private temporary folder: a session given that folder builds a
 * template keyed by the dump's content, so an unchanged schema reuses it.
 * schema_from_release() removes the folder.
 *
 * The password never reaches pg_dump's command line: the connection
 * string it gets has none, and PGPASSWORD in its environment carries it.
 * A pg_dump failure is reported with pg_dump's own message (the password
 * redacted).
 *
 * Call sequence: schema_from_prepare(), use sf->dir, schema_from_release().
 * Main thread only (it may be interrupted by the signal registry's
 * first signal, which is passed on to pg_dump).
 */
#ifndef ISOTEST_SCHEMA_FROM_H
#define ISOTEST_SCHEMA_FROM_H

#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

struct schema_from {
    char *dir;   /* the migrations folder, or NULL */
    char *file;  /* its one migration */
    char *suite; /* what names its templates' suite: the database dumped
                    (without its password) and the schemas left out, not
                    the temporary folder (isotest_options.suite) */
};

/*
 * Dump url's schema (without the n schemas in exclude) into a new folder
 * under $TMPDIR (else /tmp).  -1 with e set; nothing is left behind then.
 */
int schema_from_prepare(struct schema_from *sf, const char *url,
                        const char *const *exclude, size_t n,
                        struct isotest_err *e);

/* Remove the folder (if any) and free sf's strings; idempotent. */
void schema_from_release(struct schema_from *sf);

/*
 * Drop the lines that start with "\restrict " or "\unrestrict " from a
 * dump, in place.  Returns the number of other lines starting with a
 * backslash (psql meta-commands a migration cannot hold).
 */
size_t schema_from_strip(struct strbuf *dump);

#endif
