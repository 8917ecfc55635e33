/*
 * pgtap_run.c: a pgTAP test function over a worker's kept connection,
 * and the verdict on what it printed.
 *
 * The wait for runtests() polls the socket so that the case's deadline
 * and the run's stop flag are seen; either sends a cancel request, and a
 * server that has not answered 2 s later is given up on (the sandbox's
 * drop ends the backend).
 */
#include "pgtap_run.h"
#include "common/clock.h"
#include "common/pgerr.h"
#include "common/strbuf.h"
#include "pgtap_funcs.h"
#include "pgtap_split.h"
#include "sqlexec.h"
#include "tap.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define CANCEL_GRACE_MS 2000.0

struct pgtap_conn {
    PGconn *conn;
    char *sandbox;          /* the name of the sandbox conn is connected to */
    struct strbuf *notices; /* where notices go while a function runs */
    char *fx_schema;        /* the schema fx was read from, or NULL */
    char *fx[4]; /* its startup, shutdown, setup, teardown: text[] literals */
    bool no_runner; /* a pgTAP without _runner(): runtests() each time */
};

/*
 * runtests(schema, '^f$') is _runner() of findfuncs() of the schema's four
 * kinds of fixture functions and of f.  Those findfuncs() calls scan
 * pg_proc with a regular expression each (~3 ms apiece with pgTAP's
 * thousand functions there): a connection reads the fixtures once per
 * schema and calls _runner() itself, as runtests() would.
 */
static const char fixtures_sql[] =
    "SELECT findfuncs($1::name, '^startup')::text, "
    "       findfuncs($1::name, '^shutdown')::text, "
    "       findfuncs($1::name, '^setup')::text, "
    "       findfuncs($1::name, '^teardown')::text, "
    "       to_regprocedure('_runner(text[], text[], text[], text[], "
    "text[])') IS NOT NULL";
static const char chunk_sql[] =
    "SELECT * FROM _runner($1::text[], $2::text[], $3::text[], $4::text[], "
    "ARRAY(SELECT quote_ident($5) || '.' || quote_ident(f) "
    "        FROM unnest($6::text[]) WITH ORDINALITY AS u(f, i) ORDER BY i))";
static const char runtests_sql[] = "SELECT * FROM runtests($1::name, $2)";
static const char runner_sql[] =
    "SELECT * FROM _runner($1::text[], $2::text[], $3::text[], $4::text[], "
    "ARRAY[quote_ident($5) || '.' || quote_ident($6)])";

/*
 * After the rollback, what a transaction's end leaves in a session:
 * advisory locks, prepared statements, held cursors, currval().  (Not
 * DISCARD ALL: its DISCARD PLANS makes every pgTAP function plan its
 * statements again, ~15 ms per test function.)
 */
static const char reset_sql[] = "ROLLBACK; SELECT pg_advisory_unlock_all(); "
                                "DEALLOCATE ALL; CLOSE ALL; DISCARD SEQUENCES";

/* What one runtests() statement gave. */
struct outcome_of {
    char *error;  /* "ERROR: text (SQLSTATE x)", or NULL */
    char *detail; /* its DETAIL, HINT, CONTEXT lines, or NULL */
    bool timed_out, stopped, lost;
};

struct pgtap_conn *pgtap_conn_new(void)
{
    return xcalloc(1, sizeof(struct pgtap_conn));
}

void pgtap_conn_close(struct pgtap_conn *pc)
{
    PQfinish(pc->conn);
    pc->conn = NULL;
    free(pc->sandbox);
    pc->sandbox = NULL;
    free(pc->fx_schema);
    pc->fx_schema = NULL;
    for (int i = 0; i < 4; i++) {
        free(pc->fx[i]);
        pc->fx[i] = NULL;
    }
    pc->no_runner = false;
}

void pgtap_conn_free(struct pgtap_conn *pc)
{
    if (!pc)
        return;
    pgtap_conn_close(pc);
    free(pc);
}

static void on_notice(void *arg, const char *message)
{
    struct pgtap_conn *pc = arg;

    if (pc->notices)
        strbuf_addstr(pc->notices, message);
}

/* Connected to sb: reuse, or connect; -1 with the reason in *why. */
static int ensure_conn(struct pgtap_conn *pc, const struct isotest_sandbox *sb,
                       char **why)
{
    const char *name = isotest_sandbox_name(sb);

    if (pc->conn && PQstatus(pc->conn) == CONNECTION_OK && pc->sandbox &&
        !strcmp(pc->sandbox, name))
        return 0;
    pgtap_conn_close(pc);
    pc->conn = PQconnectdbParams(isotest_sandbox_keywords(sb),
                                 isotest_sandbox_values(sb), 0);
    if (PQstatus(pc->conn) != CONNECTION_OK) {
        struct strbuf m = STRBUF_INIT;
        strbuf_addf(&m, "cannot connect to sandbox '%s': %s", name,
                    PQerrorMessage(pc->conn));
        strbuf_rtrim(&m);
        *why = strbuf_detach(&m, NULL);
        pgtap_conn_close(pc);
        return -1;
    }
    PQsetNoticeProcessor(pc->conn, on_notice, pc);
    pc->sandbox = xstrdup(name);
    return 0;
}

/* Until the results can be read: 0, or -1 when the cancel went unheard. */
static int await(PGconn *conn, const struct runcase_ctx *ctx, double deadline,
                 struct outcome_of *o)
{
    struct pgwait w = {
        .stop = ctx->stop, .deadline = deadline, .grace_ms = CANCEL_GRACE_MS};
    int r = pgwait_ready(conn, &w);

    o->stopped = w.stopped;
    o->timed_out = w.timed_out;
    return r;
}

static void keep_error(struct outcome_of *o, const PGresult *res)
{
    struct strbuf m = STRBUF_INIT, d = STRBUF_INIT;

    if (o->error)
        return;
    pgerr_add_result(&m, res, 0);
    pgerr_add_result(&d, res, 1);
    o->error = strbuf_detach(&m, NULL);
    /* The verbose form's first line is the message again. */
    const char *nl = strchr(d.buf, '\n');
    if (nl && nl[1])
        o->detail = xstrdup(nl + 1);
    strbuf_release(&d);
}

/* The schema's fixture functions, once per connection and schema. */
static void load_fixtures(struct pgtap_conn *pc, const char *schema)
{
    if (pc->no_runner || (pc->fx_schema && !strcmp(pc->fx_schema, schema)))
        return;
    PGresult *res =
        PQexecParams(pc->conn, fixtures_sql, 1, NULL, &schema, NULL, NULL, 0);
    /* Anything unexpected: runtests() itself, and its error if any. */
    pc->no_runner = PQresultStatus(res) != PGRES_TUPLES_OK ||
                    PQntuples(res) != 1 || PQgetvalue(res, 0, 4)[0] != 't';
    if (!pc->no_runner) {
        free(pc->fx_schema);
        pc->fx_schema = xstrdup(schema);
        for (int i = 0; i < 4; i++) {
            free(pc->fx[i]);
            pc->fx[i] = xstrdup(PQgetvalue(res, 0, i));
        }
    }
    PQclear(res);
}

/*
 * Send sql with its parameters and read its rows (one text column) into
 * out, how it ended into o.
 */
static void run_sql(PGconn *conn, const struct runcase_ctx *ctx,
                    const char *sql, int nparams, const char *const *params,
                    struct strbuf *out, struct outcome_of *o)
{
    double deadline = ctx->timeout_s > 0 ? now_ms() + ctx->timeout_s * 1000 : 0;

    if (!PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0)) {
        o->lost = true;
        o->error = xstrdup(PQerrorMessage(conn));
        return;
    }
    if (await(conn, ctx, deadline, o) < 0) {
        o->lost = true;
        return;
    }
    PGresult *res;
    while ((res = PQgetResult(conn))) {
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            for (int i = 0; i < PQntuples(res); i++) {
                strbuf_add(out, PQgetvalue(res, i, 0),
                           (size_t)PQgetlength(res, i, 0));
                strbuf_addch(out, '\n');
            }
        } else if (PQresultStatus(res) == PGRES_FATAL_ERROR) {
            keep_error(o, res);
        }
        PQclear(res);
    }
    if (PQstatus(conn) != CONNECTION_OK)
        o->lost = true;
}

/* One command of the bracket around a function; false when it failed. */
static bool exec_ok(PGconn *conn, const char *sql, struct strbuf *why)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;

    if (!ok) {
        strbuf_addf(why, "%s failed: ", sql);
        pgerr_add_result(why, res, 0);
    }
    PQclear(res);
    return ok;
}

/*
 * sql between BEGIN and reset_sql; true when the sandbox may serve
 * another function (else *why may say why).
 */
static bool bracketed(struct pgtap_conn *pc, const struct runcase_ctx *ctx,
                      const char *sql, int nparams, const char *const *params,
                      struct strbuf *out, struct outcome_of *o,
                      struct strbuf *why)
{
    if (exec_ok(pc->conn, "BEGIN", why))
        run_sql(pc->conn, ctx, sql, nparams, params, out, o);
    else
        o->lost = PQstatus(pc->conn) != CONNECTION_OK;
    return !o->lost && !o->timed_out && !o->stopped && !why->len &&
           exec_ok(pc->conn, reset_sql, why) &&
           PQtransactionStatus(pc->conn) == PQTRANS_IDLE;
}

/* Add "[isotest] what" below the case's detail. */
static void note(struct test_result *r, const char *what)
{
    char *d = r->detail ? xasprintf("%s\n[isotest] %s", r->detail, what)
                        : xasprintf("[isotest] %s", what);
    free(r->detail);
    r->detail = d;
}

bool pgtap_conn_run(struct pgtap_conn *pc, const struct runcase_ctx *ctx,
                    const struct test_case *c, const struct isotest_sandbox *sb,
                    struct test_result *r)
{
    const char *schema =
        c->func_schema ? c->func_schema : isotest_sandbox_schema(sb);
    /* Named as its id names it ("public" for the sandbox's own schema). */
    char *label =
        xasprintf("%s.%s", c->func_schema ? schema : "public", c->func);
    struct outcome_of o = {0};
    struct strbuf out, err, why = STRBUF_INIT;
    size_t slack = isotest_redact_slack(ctx->session);
    double start = now_ms();
    char *conn_error = NULL;
    bool fit = false;

    strbuf_init(&out, ctx->output_cap + slack);
    strbuf_init(&err, ctx->output_cap + slack);
    if (ensure_conn(pc, sb, &conn_error) < 0) {
        r->outcome = OUTCOME_ERROR;
        r->message = conn_error;
        r->time_ms = now_ms() - start;
        goto done;
    }
    pc->notices = &err;
    load_fixtures(pc, schema);
    char *regex = pgtap_funcs_regex(c->func);
    const char *by_runner[6] = {pc->fx[0], pc->fx[1], pc->fx[2],
                                pc->fx[3], schema,    c->func};
    const char *by_runtests[2] = {schema, regex};
    fit = pc->no_runner
              ? bracketed(pc, ctx, runtests_sql, 2, by_runtests, &out, &o, &why)
              : bracketed(pc, ctx, runner_sql, 6, by_runner, &out, &o, &why);
    free(regex);
    r->time_ms = now_ms() - start;
    pc->notices = NULL;
    runcase_keep_output(ctx->session, ctx->output_cap, r, &out, &err);
    if (o.timed_out) {
        r->outcome = OUTCOME_TIMEOUT;
        r->message = xasprintf("timed out after %g s", ctx->timeout_s);
    } else if (o.stopped) {
        r->outcome = OUTCOME_ERROR;
        r->message = xstrdup("interrupted");
    } else if (o.lost) {
        r->outcome = OUTCOME_ERROR;
        r->message =
            xasprintf("%s(): the connection to the sandbox was lost", label);
        if (o.error)
            note(r, o.error);
    } else {
        pgtap_run_judge(label, o.error, o.detail, r);
    }
    if (!fit) {
        strbuf_rtrim(&why);
        char *n =
            xasprintf("sandbox '%s' not reused after this function%s%s",
                      isotest_sandbox_name(sb), why.len ? ": " : "", why.buf);
        note(r, n);
        free(n);
        pgtap_conn_close(pc);
    }
done:
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&why);
    free(o.error);
    free(o.detail);
    free(label);
    return fit;
}

/* {"a","b"}: the functions' names as a text[] literal. */
static char *names_literal(const struct test_case *const *cases, size_t k)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addch(&sb, '{');
    for (size_t i = 0; i < k; i++) {
        strbuf_addstr(&sb, i ? ",\"" : "\"");
        for (const char *q = cases[i]->func; *q; q++) {
            if (*q == '"' || *q == '\\')
                strbuf_addch(&sb, '\\');
            strbuf_addch(&sb, *q);
        }
        strbuf_addch(&sb, '"');
    }
    strbuf_addch(&sb, '}');
    return strbuf_detach(&sb, NULL);
}

/* Each function's verdict from its part of the chunk's output. */
static void judge_parts(const struct runcase_ctx *ctx,
                        const struct test_case *const *cases, size_t k,
                        const char *schema, struct strbuf *parts,
                        struct strbuf *notices, double each_ms,
                        struct test_result *const *results)
{
    size_t cap = ctx->output_cap + isotest_redact_slack(ctx->session);

    for (size_t i = 0; i < k; i++) {
        struct strbuf out, err;
        strbuf_init(&out, cap);
        strbuf_init(&err, cap);
        strbuf_add(&out, parts[i].buf, parts[i].len);
        if (i == 0) /* the chunk's notices: with its first function */
            strbuf_add(&err, notices->buf, notices->len);
        results[i]->time_ms = each_ms;
        runcase_keep_output(ctx->session, ctx->output_cap, results[i], &out,
                            &err);
        char *label = xasprintf(
            "%s.%s", cases[i]->func_schema ? schema : "public", cases[i]->func);
        pgtap_run_judge(label, NULL, NULL, results[i]);
        free(label);
        strbuf_release(&out);
        strbuf_release(&err);
    }
}

int pgtap_conn_run_chunk(struct pgtap_conn *pc, const struct runcase_ctx *ctx,
                         const struct test_case *const *cases, size_t k,
                         const struct isotest_sandbox *sb,
                         struct test_result *const *results, bool *fit)
{
    const char *schema = cases[0]->func_schema ? cases[0]->func_schema
                                               : isotest_sandbox_schema(sb);
    struct outcome_of o = {0};
    struct strbuf out = STRBUF_INIT, err, why = STRBUF_INIT;
    char *conn_error = NULL;
    int ran = 0;
    double start = now_ms();

    *fit = false;
    if (ensure_conn(pc, sb, &conn_error) < 0) {
        free(conn_error);
        return 0;
    }
    strbuf_init(&err, ctx->output_cap);
    pc->notices = &err;
    load_fixtures(pc, schema);
    *fit = true;
    if (!pc->no_runner) {
        char *names = names_literal(cases, k);
        const char *params[6] = {pc->fx[0], pc->fx[1], pc->fx[2],
                                 pc->fx[3], schema,    names};
        *fit = bracketed(pc, ctx, chunk_sql, 6, params, &out, &o, &why);
        free(names);
        struct strbuf *parts = xcalloc(k, sizeof(*parts));
        for (size_t i = 0; i < k; i++)
            strbuf_init(&parts[i], 0);
        if (!o.error && !o.lost && !o.timed_out && !o.stopped &&
            pgtap_split(out.buf, out.len, k, parts) == 0) {
            judge_parts(ctx, cases, k, schema, parts, &err,
                        (now_ms() - start) / (double)k, results);
            ran = 1;
        }
        for (size_t i = 0; i < k; i++)
            strbuf_release(&parts[i]);
        free(parts);
    }
    pc->notices = NULL;
    if (!*fit)
        pgtap_conn_close(pc);
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&why);
    free(o.error);
    free(o.detail);
    return ran;
}

/* The rest of the first line of text that starts with `mark`, or NULL. */
static char *line_after(const char *text, const char *mark)
{
    const char *p = text ? strstr(text, mark) : NULL;

    if (!p)
        return NULL;
    p += strlen(mark);
    return xstrndup(p, strcspn(p, "\n"));
}

void pgtap_run_judge(const char *label, const char *error, const char *detail,
                     struct test_result *r)
{
    struct tap_result tap;
    const char *out = r->out.data ? r->out.data : "";

    tap_parse(out, r->out.len, &tap);
    const struct tap_subtest *st =
        tap.nsubtests ? &tap.subtests[tap.nsubtests - 1] : NULL;
    char *died = line_after(out, "# Test died: ");
    struct strbuf d = STRBUF_INIT;

    if (tap.diagnostics)
        strbuf_addstr(&d, tap.diagnostics);
    if (error) {
        r->outcome = OUTCOME_FAILED;
        r->message = xasprintf("%s() died: %s", label, error);
        if (detail)
            strbuf_addstr(&d, detail);
    } else if (!st) {
        r->outcome = OUTCOME_ERROR;
        r->message = xasprintf("runtests() did not run %s(): no such "
                               "function in the sandbox",
                               label);
    } else if (tap_passed(&tap) && st->count && st->skipped == st->count) {
        char *why = line_after(out, "# SKIP ");
        r->outcome = OUTCOME_SKIPPED;
        r->message = why ? xasprintf("skipped: %s", why)
                         : xasprintf("all %d tests skipped", st->count);
        free(why);
    } else if (tap_passed(&tap)) {
        r->outcome = OUTCOME_PASSED;
    } else {
        r->outcome = OUTCOME_FAILED;
        if (died)
            r->message = xasprintf("%s() died: %s", label, died);
        else if (st->failed)
            r->message = xasprintf("%d of %d TAP tests failed in %s()",
                                   st->failed, st->count, label);
        else if (!st->passed)
            r->message = xasprintf("%s() failed (its plan: %d, tests run: "
                                   "%d)",
                                   label, st->planned, st->count);
        else
            r->message = xstrdup(tap.summary ? tap.summary : "failed");
    }
    if (d.len && r->outcome == OUTCOME_FAILED)
        r->detail = strbuf_detach(&d, NULL);
    strbuf_release(&d);
    free(died);
    tap_release(&tap);
}
