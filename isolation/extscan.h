/*
 * extscan: the CREATE EXTENSION and CREATE SCHEMA statements of
 * migrations, found by reading their SQL (quotes, dollar quotes and
 * comments understood, as common/sqlscan splits statements).
 *
 * Two uses.  The template build creates an extension isotest adds itself
 * (pgtap, --extension) before the migrations only when no migration
 * creates it: a migration written `CREATE EXTENSION pgtap` then makes it,
 * and isotest adds it afterwards only when still missing.  Schema mode
 * replays the migrations once per case in one database, which already
 * holds the template's extensions and their schemas: extscan_rerunnable()
 * makes those statements `... IF NOT EXISTS` for that replay.
 *
 * Pure functions; thread-safe.
 */
#ifndef ISOTEST_EXTSCAN_H
#define ISOTEST_EXTSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "migrate.h"

enum extscan_kind { EXTSCAN_EXTENSION, EXTSCAN_SCHEMA };

struct extscan_create {
    enum extscan_kind kind;
    char *name;         /* as the server reads it: unquoted, folded */
    size_t insert_at;   /* where " IF NOT EXISTS" would go */
    bool if_not_exists; /* already written so */
    bool rerunnable;    /* IF NOT EXISTS may be added (a bare CREATE
                           SCHEMA name: not one with schema elements) */
};

/*
 * The CREATE EXTENSION / CREATE SCHEMA statements of sql, in order.
 * Returns the count; the caller frees *out with extscan_free().
 */
size_t extscan_find(const char *sql, size_t len, struct extscan_create **out);
void extscan_free(struct extscan_create *v, size_t n);

/* Does some migration of ms (may be NULL) create extension `name`? */
bool extscan_creates_extension(const struct migrate_set *ms, const char *name);

/*
 * sql with " IF NOT EXISTS" added to every rerunnable CREATE EXTENSION
 * and CREATE SCHEMA that lacks it; lines keep their numbers.  The caller
 * frees the result; *outlen is its length.
 */
char *extscan_rerunnable(const char *sql, size_t len, size_t *outlen);

/*
 * A copy of `in` whose migrations went through extscan_rerunnable()
 * (same paths and names).  Release it with migrate_release().
 */
void extscan_rerunnable_set(const struct migrate_set *in,
                            struct migrate_set *out);

#endif
