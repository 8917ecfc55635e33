/*
 * ident: the names isotest gives to what it creates, and the one rule every
 * such name passes before it reaches SQL.
 *
 *   isotest_<runid>_<n>          a sandbox (database, or schema in schema mode)
 *   isotest_<runid>_schemas      the database that holds a run's schemas
 *   isotest_<runid>_schemas<N>   ... and the next ones (schema_cache.h)
 *   isotest_<runid>_schbuild     schema mode's cache while being built
 *   isotest_<runid>_shared       the shared database of --isolation none
 *   isotest_<runid>_tplbuild     a template while it is being built
 *   isotest_tpl_<hash>           a finished template, shared across runs
 *   isotest_tpl_<hash>_s<N>      schema mode's cache of N migrated schemas
 *
 * A run id is 8 lower-case hex digits; the runner holds the advisory lock
 * (IDENT_LOCK_CLASS, runid) for as long as it lives, which is how a later
 * run tells a live run's objects from a dead one's.
 *
 * All functions are pure and thread-safe.
 */
#ifndef ISOTEST_IDENT_H
#define ISOTEST_IDENT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "common/err.h"

#define IDENT_PREFIX "isotest_"         /* every object's name starts so */
#define IDENT_TPL_PREFIX "isotest_tpl_" /* ... a finished template's so */
#define IDENT_TPL_HASH_LEN 16           /* hex digits of its hash */
#define IDENT_MAX 63                    /* NAMEDATALEN - 1 */
#define IDENT_BUFSZ 64
#define IDENT_RUNID_LEN 8
#define IDENT_LOCK_CLASS 0x49534f54     /* "ISOT": first key of our locks */
#define IDENT_TPL_LOCK_CLASS 0x49534f55 /* building a template */
#define IDENT_TPL_USE_CLASS 0x49534f56  /* shared: a run clones from it */

/* Lower-case letters, digits and '_', not starting with a digit, 1..63. */
bool ident_valid(const char *name);

/* A new random run id into buf (IDENT_RUNID_LEN + 1 bytes). */
int ident_runid_new(char *buf, struct isotest_err *e);
bool ident_runid_valid(const char *runid);
/* The second advisory-lock key for a run id. */
int32_t ident_runid_key(const char *runid);

/* Writes "isotest_<runid>_<suffix>" into out; -1 if it would be invalid. */
int ident_run_object(char out[IDENT_BUFSZ], const char *runid,
                     const char *suffix, struct isotest_err *e);
/* "isotest_<runid>_<n>". */
int ident_sandbox(char out[IDENT_BUFSZ], const char *runid, unsigned n,
                  struct isotest_err *e);

/*
 * The same rules as SQL regular expressions (for `datname ~ ...`),
 * generated here so that C and SQL cannot disagree.  The caller frees
 * the result.  ident_run_regex(NULL) matches the objects of any run,
 * ident_run_regex(runid) those of one; ident_template_regex() finished
 * templates.  IDENT_RUNID_SQL is the SQL expression that takes the run
 * id out of such a name held in column `col`.
 */
char *ident_run_regex(const char *runid);
char *ident_template_regex(void);
#define IDENT_RUNID_SQL(col) "substr(" col ", " IDENT_RUNID_POS_STR ", 8)"
#define IDENT_RUNID_POS_STR "9" /* 1-based: strlen(IDENT_PREFIX) + 1 */

/*
 * Validate `name` and quote it with PQescapeIdentifier.  The caller frees
 * the result with PQfreemem().  NULL with e set when invalid.
 */
char *ident_quote(PGconn *conn, const char *name, struct isotest_err *e);

#endif
