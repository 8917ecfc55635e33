/*
 * caseenv: the environment of a case's child process (psql or the case's
 * own command), built in one order of precedence, each source winning
 * over the ones above it (README's table):
 *
 *   1. isotest's own environment, minus every PG*, DATABASE_URL and
 *      ISOTEST_* variable;
 *   2. pg_regress's session defaults, for expected-output cases only:
 *      PGTZ=PST8PDT, PGDATESTYLE="Postgres, MDY" and intervalstyle
 *      postgres_verbose (in PGOPTIONS), each only when neither the
 *      template sets that parameter at database level
 *      (isotest_session_db_setting()) nor the user sets it (by its
 *      variable, or with -c in their PGOPTIONS);
 *   3. the user's: --pass-env NAME (isotest's own value, when it has
 *      one), then --env NAME=VALUE, a later one replacing an earlier one;
 *   4. the sandbox's: PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD,
 *      PGAPPNAME, DATABASE_URL and ISOTEST_*; the user's values of these
 *      and of the variables that could point libpq elsewhere (PGHOSTADDR,
 *      PGSERVICE) are dropped.
 *
 * PGOPTIONS is merged, never replaced: pg_regress's intervalstyle, then
 * the user's, then the sandbox's (-c search_path in schema mode), so
 * that the server, where a later -c wins, sees the sandbox's last.
 *
 * Call sequence: caseenv_init() from the run's options, caseenv_settle()
 * once the template is known, then caseenv_build() per case (from any
 * thread: a settled caseenv is read-only), caseenv_release().
 */
#ifndef ISOTEST_CASEENV_H
#define ISOTEST_CASEENV_H

#include <stdbool.h>
#include <stddef.h>

#include "isotest.h"
#include "options.h"

struct runcase_sandbox;

struct caseenv {
    char **user; /* "NAME=value", one per name, in order; PGOPTIONS too */
    size_t nuser;
    /* The user variable the in-process SQL path cannot honour, or NULL. */
    const char *psql_only;
    bool regress[3]; /* PGTZ, PGDATESTYLE, intervalstyle: applies */
};

/*
 * The user's variables of o (--pass-env, --env) and, until
 * caseenv_settle() says otherwise, all of pg_regress's defaults except
 * those the user sets.  Reads isotest's environment: call it before
 * threads start.
 */
void caseenv_init(struct caseenv *ce, const struct run_options *o);

/*
 * Drop the pg_regress defaults whose parameter (TimeZone, DateStyle,
 * IntervalStyle) `db_setting` (called with arg) reports the template
 * sets at database level, by returning non-NULL.
 */
typedef const char *(*caseenv_lookup)(const void *arg, const char *param);
void caseenv_settle(struct caseenv *ce, caseenv_lookup db_setting,
                    const void *arg);
/* The same, asking the session's template. */
void caseenv_settle_session(struct caseenv *ce,
                            const struct isotest_session *s);

/* The user's value of NAME, or NULL.  ce may be NULL (no user values). */
const char *caseenv_user(const struct caseenv *ce, const char *name);

/*
 * The options a connection to sandbox_options's sandbox gets: the
 * merged PGOPTIONS value (above) without the "PGOPTIONS=", "" for none.
 * The caller frees it.
 */
char *caseenv_options(const struct caseenv *ce, const char *sandbox_options,
                      bool regress);

/*
 * The environment of a child of case `case_id` in sandbox sb: regress
 * says the case is an expected-output one; `extra` (may be NULL) is a
 * NULL-terminated list of "NAME=value" that isotest adds last (e.g.
 * ISOTEST_CASE_REPORT).  ce may be NULL.  Free with caseenv_free().
 */
char **caseenv_build(const struct caseenv *ce, const struct runcase_sandbox *sb,
                     const char *case_id, int worker, bool regress,
                     const char *const *extra);
void caseenv_free(char **env);

void caseenv_release(struct caseenv *ce);

#endif
