/*
 * schema_cache: schema mode's migrated schemas, made ahead once per
 * template and cloned once per run database.
 *
 * Replaying the migrations into a schema costs ~78 ms of server CPU for
 * examples/shop: too much per case.  The cache is a database,
 * isotest_tpl_<hash>_s<N>, built from template0 plus the template's
 * extensions and settings, holding SCHEMA_CACHE_SIZE schemas
 * isotest_prep_1..N, each with the migrations replayed into it.  A run
 * clones it (one CREATE DATABASE ... TEMPLATE) into a run database and
 * hands its schemas out by renaming them (ALTER SCHEMA ... RENAME TO
 * <sandbox name>: objects refer to their schema by OID, so tables,
 * sequences, defaults, views and triggers move with it; function bodies
 * are text, and resolve unqualified names through the case's
 * search_path).  A run that needs more clones the cache again.
 *
 * Call sequence: schema_cache_ensure() on the maintenance connection
 * after template_ensure() (it finds the cache, or builds it under the
 * template's build lock: concurrent runners build it once, and a build
 * that fails or dies leaves nothing a later run uses; the template's
 * shared "in use" lock, taken by template_ensure(), keeps
 * template_prune() off it), then schema_cache_clone() for each run
 * database.  template_prune() drops a cache with its template.
 *
 * The cache is keyed by the template's hash, which covers the
 * migrations, the extensions, the server version and TEMPLATE_FORMAT:
 * when what a build here does changes (extscan.h's rewriting, say), bump
 * TEMPLATE_FORMAT, or a later run would hand out schemas built the old
 * way.
 *
 * Functions are thread-safe on distinct connections.
 */
#ifndef ISOTEST_SCHEMA_CACHE_H
#define ISOTEST_SCHEMA_CACHE_H

#include <libpq-fe.h>

#include "common/err.h"
#include "ident.h"
#include "migrate.h"
#include "target.h"
#include "template.h"

/* Schemas per cache database, so per run database. */
#define SCHEMA_CACHE_SIZE 32u

/*
 * The cache's name for a template of hash `hash` (hex): isotest_tpl_
 * <16 hex>_s<N>.  Neither a template's name (template_prune() leaves it
 * to schema_cache_drop()) nor a run's object (reclaim leaves it).
 */
void schema_cache_name(char out[IDENT_BUFSZ], const char *hash);

/* The name of prepared schema i (1..SCHEMA_CACHE_SIZE) into out. */
void schema_cache_prep_name(char out[IDENT_BUFSZ], unsigned i);

/*
 * Find or build the cache of tpl into `cache` (its name).  `rerun` is the
 * migrations as schema mode replays them (NULL: none).  Returns 1 when it
 * built it, 0 when it found it; -1 with e set (a migration that cannot
 * run in a schema names its file and line).
 */
int schema_cache_ensure(const struct target *t, PGconn *maint,
                        const struct template *tpl,
                        const struct migrate_set *rerun, const char *runid,
                        char cache[IDENT_BUFSZ], struct isotest_err *e);

/*
 * CREATE DATABASE dbname TEMPLATE cache, and the template's settings and
 * privileges carried over to it.  On failure nothing is left.
 */
int schema_cache_clone(PGconn *maint, const struct template *tpl,
                       const char *cache, const char *dbname,
                       struct isotest_err *e);

/*
 * Drop the caches of template tpl_name (every size), for template_prune()
 * when it drops the template, under the same lock.
 */
int schema_cache_drop(PGconn *maint, const char *tpl_name,
                      struct isotest_err *e);

#endif
