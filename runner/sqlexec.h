/*
 * sqlexec: run a plain SQL case over libpq in this process, the way
 * `psql -X -q -t -A -v ON_ERROR_STOP=1 -f FILE` would run it.
 *
 * Starting psql costs a fork, an exec and its library loading, ~4 ms of
 * CPU per case; on a busy machine that is a fifth of what a small case
 * costs.  Only files sqlscan_split() accepts come here; the rest still go
 * to psql.
 *
 * Each statement is sent on its own (so each commits on its own, as in
 * psql), rows are printed as psql -t -A prints them (fields joined by '|',
 * one row per line), notices and the error go to `err` in psql's verbose
 * form prefixed with FILE:LINE, and the first error stops the file --
 * unless psql variables given with --set say otherwise (sqlexec_vars).
 *
 * Call sqlexec_run() from any thread; it owns its connection.
 */
#ifndef ISOTEST_SQLEXEC_H
#define ISOTEST_SQLEXEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common/pgwait.h"
#include "common/sqlscan.h"
#include "common/strbuf.h"

/*
 * The psql variables that change how psql runs a file, as this path
 * honours them.  Defaults: pg_prove's VERBOSITY=verbose, psql's
 * SHOW_CONTEXT=errors, and ON_ERROR_STOP on.
 */
struct sqlexec_vars {
    PGVerbosity verbosity;       /* VERBOSITY */
    PGContextVisibility context; /* SHOW_CONTEXT */
    bool on_error_stop;          /* off: go on after a failed statement,
                                    and exit 0 as psql does */
};
#define SQLEXEC_VARS_INIT                                                      \
    {                                                                          \
        PQERRORS_VERBOSE, PQSHOW_CONTEXT_ERRORS, true                          \
    }

/*
 * Apply psql --set assignments ("NAME=VALUE", in order, a later one
 * winning) to v.  -1 when one names a variable this path cannot honour,
 * or a value psql would read differently than it can: the case then
 * goes to psql.  Pure; thread-safe.
 */
int sqlexec_vars_set(struct sqlexec_vars *v, const char *const *sets, size_t n);

struct sqlexec_spec {
    /* PQconnectdbParams keywords and values, NULL-terminated. */
    const char *const *keywords;
    const char *const *values;
    const char *display_path; /* names the file in messages */
    const char *text;         /* the file */
    const struct sql_stmt *stmts;
    size_t nstmts;
    long timeout_ms;        /* > 0: cancel the running statement then */
    long grace_ms;          /* after a cancel, give up after this long */
    const atomic_int *stop; /* non-zero: cancel now (interrupt) */
    struct sqlexec_vars vars;
};

enum sqlexec_code {
    SQLEXEC_OK = 0,
    SQLEXEC_FAILED = 3,    /* a statement failed (psql's exit code 3) */
    SQLEXEC_NO_CONN = 2,   /* could not connect (psql's exit code 2) */
    SQLEXEC_NEED_PSQL = -1 /* the server's settings need psql's lexer */
};

struct sqlexec_status {
    enum sqlexec_code code;
    bool timed_out;
    bool stopped;
    char *message; /* "FILE:LINE: ERROR: text (SQLSTATE x)"; caller frees */
};

/*
 * Run the statements.  Rows go to `out`, notices and errors to `err`
 * (their max caps them).  Fills st; returns nothing else.
 */
void sqlexec_run(const struct sqlexec_spec *spec, struct strbuf *out,
                 struct strbuf *err, struct sqlexec_status *st);

#endif
