/*
 * runcase: running one test case in its sandbox and judging the outcome.
 *
 * A SQL case with an expected-output file runs through psql as pg_regress
 * runs it (psql -X -a -q, input on stdin, stderr with stdout, pg_regress's
 * environment).  Any other SQL case runs as pg_prove would run it (-X -q -t
 * -A, ON_ERROR_STOP, the file with -f so errors name its line): in this
 * process over libpq when the file needs nothing only psql has
 * (sqlexec.h), through psql otherwise; TAP output, when there is any,
 * decides.  A command case is a child
 * process: exit 0 passes, 77 skips, other codes fail, a signal is an error.
 *
 * Every child runs in its own process group with a clean environment: all
 * inherited PG* variables removed, then the user's and the ones that
 * point into its sandbox set (caseenv.h).  psql variables the user gives
 * (--set) go to every psql; the in-process path honours those it can
 * (sqlexec_vars_set()) and leaves a case whose variables or environment
 * it cannot honour to psql.  Thread-safe: workers call runcase_run()
 * concurrently.
 * A pgTAP function case (CASE_PGTAP_FUNC) does not come here: the pool
 * runs it with pgtap_run.h, which may keep its sandbox for the next one.
 */
#ifndef ISOTEST_RUNCASE_H
#define ISOTEST_RUNCASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "caseenv.h"
#include "common/strbuf.h"
#include "discover.h"
#include "isotest.h"
#include "reporters/result.h"

struct runcase_ctx {
    const struct isotest_session *session;
    const char *psql;         /* path to psql */
    const char *tmpdir;       /* for a command case's report file */
    const char *results_dir;  /* expected.h; NULL: results/ beside expected/ */
    bool ignore_space_change; /* compare expected output as diff -b does */
    double timeout_s;
    size_t output_cap;
    const atomic_int *stop;       /* non-zero: end the case now (interrupt) */
    bool always_psql;             /* no plain SQL case in process (sqlexec.h) */
    const struct caseenv *env;    /* the user's variables; may be NULL */
    const char *const *psql_vars; /* --set NAME=VALUE for every psql */
    size_t npsql_vars;
};

/*
 * Run case c in sandbox sb; fill r's outcome, timings, message, detail and
 * captured output.  *pid_slot holds the child's pid while it runs (for an
 * emergency kill from the signal thread), else 0.
 */
void runcase_run(const struct runcase_ctx *ctx, const struct test_case *c,
                 const struct isotest_sandbox *sb, int worker,
                 atomic_int *pid_slot, struct test_result *r);

/*
 * How a case reaches its sandbox: the strings libisotest gives for it
 * (isotest_sandbox_param() and friends), borrowed.  A plain struct, so
 * that what is built from it can be tested without a server.
 */
struct runcase_sandbox {
    const char *host, *port, *user;
    const char *password; /* NULL when the server needs none */
    const char *dbname;   /* the database to connect to */
    const char *name;     /* the sandbox: database, or schema */
    const char *options;  /* "" unless schema mode */
    const char *url;
};

void runcase_sandbox_of(const struct isotest_sandbox *sb,
                        struct runcase_sandbox *out);

/*
 * The environment for a child in sandbox sb with no user variables:
 * caseenv_build(NULL, sb, case_id, worker, false, extra).  Free with
 * runcase_env_free().
 */
char **runcase_env(const struct runcase_sandbox *sb, const char *case_id,
                   int worker, const char *const *extra);
void runcase_env_free(char **env);

/*
 * Move what a case printed into r->out and r->err: every form of the
 * session's password replaced by ***, then cut to `cap` bytes.  out and
 * err were capped at cap plus isotest_redact_slack(); they are left empty.
 */
void runcase_keep_output(const struct isotest_session *t, size_t cap,
                         struct test_result *r, struct strbuf *out,
                         struct strbuf *err);

/* The command that opens a kept sandbox in psql.  The caller frees it. */
char *runcase_psql_command(const struct runcase_sandbox *sb);

#endif
