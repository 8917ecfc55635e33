/*
 * runcase: running one test case in its sandbox and judging the outcome.
 *
 * A SQL case runs through psql, the way its authors ran it: with an
 * expected-output file as pg_regress does (psql -X -a -q, input on stdin,
 * stderr with stdout, pg_regress's environment), otherwise as pg_prove does
 * (-X -q -t -A, ON_ERROR_STOP, the file with -f so errors name its line);
 * TAP output, when there is any, decides.  A command case is a child
 * process: exit 0 passes, 77 skips, other codes fail, a signal is an error.
 *
 * Every child runs in its own process group with a clean environment: all
 * inherited PG* variables removed, then the ones that point into its
 * sandbox set.  Thread-safe: workers call runcase_run() concurrently.
 */
#ifndef ISOTEST_RUNCASE_H
#define ISOTEST_RUNCASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "discover.h"
#include "result.h"
#include "sandbox.h"
#include "target.h"

struct runcase_ctx {
    const struct target *target;
    enum sandbox_mode mode;
    const char *psql;   /* path to psql */
    const char *tmpdir; /* for the actual output of expected-output cases */
    double timeout_s;
    size_t output_cap;
    const atomic_int *stop; /* non-zero: end the case now (interrupt) */
    bool always_psql;       /* no plain SQL case in process (sqlexec.h) */
};

/*
 * Run case c in sandbox sb; fill r's outcome, timings, message, detail and
 * captured output.  *pid_slot holds the child's pid while it runs (for an
 * emergency kill from the signal thread), else 0.
 */
void runcase_run(const struct runcase_ctx *ctx, const struct test_case *c,
                 const struct sandbox *sb, int worker, atomic_int *pid_slot,
                 struct test_result *r);

/*
 * The environment for a child in sandbox sb: the parent's minus PG*,
 * DATABASE_URL and ISOTEST_*, plus the sandbox's.  `extra` (may be NULL)
 * is a NULL-terminated list of "NAME=value" added last.  Free with
 * runcase_env_free().
 */
char **runcase_env(const struct target *t, const struct sandbox *sb,
                   const char *case_id, int worker, const char *const *extra);
void runcase_env_free(char **env);

/*
 * postgresql:// URL for the sandbox; a socket folder goes in ?host=.
 * The caller frees it.
 */
char *runcase_database_url(const char *host, const char *port,
                           const char *user, const char *password,
                           const char *dbname, const char *options);

/* The command that opens a kept sandbox in psql.  The caller frees it. */
char *runcase_psql_command(const struct target *t, const struct sandbox *sb);

#endif
