/*
 * sqlexec.c: a plain SQL case over libpq, statement by statement.
 *
 * The wait for a result (common/pgwait) sees the case's deadline and the
 * run's stop flag; either one sends a cancel request, and when the server
 * has not answered `grace_ms` later the connection is abandoned: the
 * sandbox's drop ends the backend.
 */
#include "sqlexec.h"
#include "common/clock.h"
#include "common/pgerr.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct run {
    const struct sqlexec_spec *spec;
    struct sqlexec_status *st;
    struct strbuf *out, *err;
    const struct sql_stmt *cur; /* the statement being run */
    struct pgwait wait;         /* the deadline, the stop flag, the cancel */
};

/* Notices as psql prints them in a script: "FILE:LINE: NOTICE:  ...". */
static void on_notice(void *arg, const char *message)
{
    struct run *r = arg;

    strbuf_addf(r->err, "%s:%d: %s", r->spec->display_path,
                r->cur ? r->cur->line : 0, message);
}

static void print_rows(struct strbuf *out, const PGresult *res)
{
    int rows = PQntuples(res), cols = PQnfields(res);

    for (int i = 0; i < rows; i++) {
        for (int j = 0; j < cols; j++) {
            if (j)
                strbuf_addch(out, '|');
            if (!PQgetisnull(res, i, j))
                strbuf_add(out, PQgetvalue(res, i, j),
                           (size_t)PQgetlength(res, i, j));
        }
        strbuf_addch(out, '\n');
    }
}

static void record_error(struct run *r, const PGresult *res)
{
    const char *pos = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
    int line = r->cur->line;

    if (pos)
        line = sqlscan_line_at(r->spec->text, r->cur, strtol(pos, NULL, 10));
    strbuf_addf(r->err, "%s:%d: %s", r->spec->display_path, line,
                PQresultErrorMessage(res));
    if (r->st->message)
        return;
    struct strbuf m = STRBUF_INIT;
    strbuf_addf(&m, "%s:%d: ", r->spec->display_path, line);
    pgerr_add_result(&m, res, 0);
    r->st->message = strbuf_detach(&m, NULL);
}

/* Send one statement and read all it returns; false when it failed. */
static bool run_statement(PGconn *conn, struct run *r)
{
    const struct sql_stmt *s = r->cur;
    char *sql = xstrndup(r->spec->text + s->start, s->end - s->start);
    bool ok = true;

    if (!PQsendQuery(conn, sql)) {
        free(sql);
        struct strbuf m = STRBUF_INIT;
        strbuf_addf(&m, "%s:%d: %s", r->spec->display_path, s->line,
                    PQerrorMessage(conn));
        strbuf_add(r->err, m.buf, m.len);
        strbuf_rtrim(&m);
        if (!r->st->message)
            r->st->message = strbuf_detach(&m, NULL);
        strbuf_release(&m);
        return false;
    }
    free(sql);
    /* Rows one at a time: a huge result is capped, not held. */
    PQsetSingleRowMode(conn);
    for (;;) {
        bool gave_up = pgwait_ready(conn, &r->wait) < 0;
        r->st->stopped |= r->wait.stopped;
        r->st->timed_out |= r->wait.timed_out;
        if (gave_up) {
            if (!r->st->message)
                r->st->message = xasprintf(
                    "%s:%d: the server did not answer the cancel request",
                    r->spec->display_path, s->line);
            return false;
        }
        PGresult *res = PQgetResult(conn);
        if (!res)
            break;
        switch (PQresultStatus(res)) {
        case PGRES_SINGLE_TUPLE:
        case PGRES_TUPLES_OK: print_rows(r->out, res); break;
        case PGRES_COPY_IN:
            /* sqlscan sends COPY FROM STDIN to psql; this is a safety net. */
            PQputCopyEnd(conn, "COPY FROM STDIN needs psql");
            break;
        case PGRES_COPY_OUT: {
            char *buf;
            while (PQgetCopyData(conn, &buf, 0) > 0)
                PQfreemem(buf);
            break;
        }
        case PGRES_FATAL_ERROR:
            record_error(r, res);
            ok = false;
            break;
        default: break;
        }
        PQclear(res);
        if (PQstatus(conn) == CONNECTION_BAD)
            return false;
    }
    return ok;
}

/* psql's words for a boolean: 1 on, 0 off, -1 none of them. */
static int psql_bool(const char *v)
{
    static const char *const on[] = {"on", "true", "yes", "1"};
    static const char *const off[] = {"off", "false", "no", "0"};

    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(v, on[i]))
            return 1;
        if (!strcasecmp(v, off[i]))
            return 0;
    }
    return -1;
}

/* The index of v in words (case-insensitive, as psql), or -1. */
static int word(const char *v, const char *const *words, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcasecmp(v, words[i]))
            return i;
    return -1;
}

int sqlexec_vars_set(struct sqlexec_vars *v, const char *const *sets, size_t n)
{
    static const char *const verbosity[] = {"default", "verbose", "terse",
                                            "sqlstate"};
    static const PGVerbosity verbosity_of[] = {
        PQERRORS_DEFAULT, PQERRORS_VERBOSE, PQERRORS_TERSE, PQERRORS_SQLSTATE};
    static const char *const context[] = {"never", "errors", "always"};
    static const PGContextVisibility context_of[] = {
        PQSHOW_CONTEXT_NEVER, PQSHOW_CONTEXT_ERRORS, PQSHOW_CONTEXT_ALWAYS};

    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(sets[i], '=');
        if (!eq)
            return -1;
        size_t len = (size_t)(eq - sets[i]);
        const char *val = eq + 1;
        int k;
        if (len == 9 && !strncmp(sets[i], "VERBOSITY", len) &&
            (k = word(val, verbosity, 4)) >= 0)
            v->verbosity = verbosity_of[k];
        else if (len == 12 && !strncmp(sets[i], "SHOW_CONTEXT", len) &&
                 (k = word(val, context, 3)) >= 0)
            v->context = context_of[k];
        else if (len == 13 && !strncmp(sets[i], "ON_ERROR_STOP", len) &&
                 (k = psql_bool(val)) >= 0)
            v->on_error_stop = k;
        else
            return -1;
    }
    return 0;
}

void sqlexec_run(const struct sqlexec_spec *spec, struct strbuf *out,
                 struct strbuf *err, struct sqlexec_status *st)
{
    struct run r = {.spec = spec, .st = st, .out = out, .err = err};

    memset(st, 0, sizeof(*st));
    r.wait.stop = spec->stop;
    r.wait.grace_ms = (double)spec->grace_ms;
    if (spec->timeout_ms > 0)
        r.wait.deadline = now_ms() + (double)spec->timeout_ms;
    PGconn *conn = PQconnectdbParams(spec->keywords, spec->values, 0);
    if (PQstatus(conn) != CONNECTION_OK) {
        strbuf_addstr(err, PQerrorMessage(conn));
        struct strbuf m = STRBUF_INIT;
        strbuf_addf(&m, "%s: cannot connect: %s", spec->display_path,
                    PQerrorMessage(conn));
        strbuf_rtrim(&m);
        st->message = strbuf_detach(&m, NULL);
        st->code = SQLEXEC_NO_CONN;
        PQfinish(conn);
        return;
    }
    /* sqlscan read quotes the standard way; psql asks the server. */
    const char *scs = PQparameterStatus(conn, "standard_conforming_strings");
    if (!scs || strcmp(scs, "on") != 0) {
        st->code = SQLEXEC_NEED_PSQL;
        PQfinish(conn);
        return;
    }
    PQsetErrorVerbosity(conn, spec->vars.verbosity);
    PQsetErrorContextVisibility(conn, spec->vars.context);
    PQsetNoticeProcessor(conn, on_notice, &r);
    st->code = SQLEXEC_OK;
    for (size_t i = 0; i < spec->nstmts; i++) {
        r.cur = &spec->stmts[i];
        bool stop = spec->stop && atomic_load(spec->stop);
        if (stop || (r.wait.deadline > 0 && now_ms() >= r.wait.deadline)) {
            if (stop)
                st->stopped = true;
            else
                st->timed_out = true;
        }
        if (st->stopped || st->timed_out) {
            st->code = SQLEXEC_FAILED;
            break;
        }
        /* Without ON_ERROR_STOP psql goes on, and exits 0 at the end. */
        if (!run_statement(conn, &r) &&
            (spec->vars.on_error_stop || PQstatus(conn) == CONNECTION_BAD)) {
            st->code = SQLEXEC_FAILED;
            break;
        }
        /* A function the file called may have changed it (sqlscan.h). */
        scs = PQparameterStatus(conn, "standard_conforming_strings");
        if (i + 1 < spec->nstmts && (!scs || strcmp(scs, "on") != 0)) {
            st->message = xasprintf(
                "%s:%d: standard_conforming_strings was turned off, and "
                "isotest splits the file only with it on: run it with "
                "--always-psql",
                spec->display_path, r.cur->line);
            strbuf_addf(err, "%s\n", st->message);
            st->code = SQLEXEC_FAILED;
            break;
        }
    }
    PQfinish(conn);
}
