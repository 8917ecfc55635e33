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
};

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

static void send_cancel(PGconn *conn)
{
    PGcancel *c = PQgetCancel(conn);
    char buf[256];

    if (c) {
        PQcancel(c, buf, sizeof(buf));
        PQfreeCancel(c);
    }
}

/* Until the results can be read: 0, or -1 when the cancel went unheard. */
static int await(PGconn *conn, const struct runcase_ctx *ctx, double deadline,
                 struct outcome_of *o)
{
    double give_up = 0;

    while (PQisBusy(conn)) {
        double now = now_ms();
        if (!give_up) {
            o->stopped = ctx->stop && atomic_load(ctx->stop);
            o->timed_out = !o->stopped && deadline > 0 && now >= deadline;
            if (o->stopped || o->timed_out) {
                send_cancel(conn);
                give_up = now + CANCEL_GRACE_MS;
            }
        } else if (now >= give_up) {
            return -1;
        }
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
            return -1;
        if (!PQconsumeInput(conn))
            return 0; /* the connection broke: PQgetResult says how */
    }
    return 0;
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

/* runtests(schema, '^func$'): rows into out, how it ended into o. */
static void run_statement(PGconn *conn, const struct runcase_ctx *ctx,
                          const char *schema, const char *func,
                          struct strbuf *out, struct outcome_of *o)
{
    char *regex = pgtap_funcs_regex(func);
    const char *params[2] = {schema, regex};
    double deadline = ctx->timeout_s > 0 ? now_ms() + ctx->timeout_s * 1000 : 0;

    if (!PQsendQueryParams(conn, "SELECT * FROM runtests($1::name, $2)", 2,
                           NULL, params, NULL, NULL, 0)) {
        o->lost = true;
        o->error = xstrdup(PQerrorMessage(conn));
        free(regex);
        return;
    }
    free(regex);
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
    if (exec_ok(pc->conn, "BEGIN", &why))
        run_statement(pc->conn, ctx, schema, c->func, &out, &o);
    else
        o.lost = PQstatus(pc->conn) != CONNECTION_OK;
    r->time_ms = now_ms() - start;
    if (!o.lost && !o.timed_out && !o.stopped && !why.len)
        fit = exec_ok(pc->conn, "ROLLBACK", &why) &&
              exec_ok(pc->conn, "DISCARD ALL", &why) &&
              PQtransactionStatus(pc->conn) == PQTRANS_IDLE;
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
