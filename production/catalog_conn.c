/*
 * catalog_conn.c: the read-only connection of the production checks, the
 * password kept out of messages, and a URL split for child processes.
 */
#include "catalog_conn.h"
#include "common/strbuf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define APP_NAME "isotest"

char *catalog_conn_redact(const char *password, const char *text)
{
    struct strbuf out = STRBUF_INIT;
    struct strbuf enc = STRBUF_INIT;
    const char *forms[2] = {NULL, NULL};

    if (password && *password) {
        forms[0] = password;
        strbuf_add_urlenc(&enc, password);
        if (strcmp(enc.buf, password) != 0)
            forms[1] = enc.buf;
    }
    for (const char *p = text; *p;) {
        bool hit = false;
        for (int k = 0; k < 2 && !hit; k++) {
            size_t n = forms[k] ? strlen(forms[k]) : 0;
            if (n && !strncmp(p, forms[k], n)) {
                strbuf_addstr(&out, "***");
                p += n;
                hit = true;
            }
        }
        if (!hit)
            strbuf_addch(&out, *p++);
    }
    strbuf_release(&enc);
    return strbuf_detach(&out, NULL);
}

/* 'value' with \ and ' escaped, as a conninfo string wants it. */
static void add_quoted(struct strbuf *sb, const char *v)
{
    strbuf_addch(sb, '\'');
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\')
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *v);
    }
    strbuf_addch(sb, '\'');
}

int catalog_conn_split(const char *url, char **conninfo, char **password,
                       struct isotest_err *e)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &msg);
    struct strbuf sb = STRBUF_INIT;

    *conninfo = NULL;
    *password = NULL;
    if (!opts)
        return isotest_conninfo_check(url, e);
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        if (!strcmp(o->keyword, "password")) {
            *password = xstrdup(o->val);
            continue;
        }
        strbuf_addf(&sb, "%s%s=", sb.len ? " " : "", o->keyword);
        add_quoted(&sb, o->val);
    }
    PQconninfoFree(opts);
    *conninfo = strbuf_detach(&sb, NULL);
    return 0;
}

/* Library-style quiet: NOTICEs are not ours to print. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* libpq's message on one line, redacted. */
static int conn_error(struct catalog_conn *c, const char *what, const char *msg,
                      struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    for (const char *p = msg ? msg : "unknown error"; *p; p++) {
        bool space = *p == '\n' || *p == '\t' || *p == ' ';
        if (space && (!sb.len || sb.buf[sb.len - 1] == ' '))
            continue;
        strbuf_addch(&sb, space ? ' ' : *p);
    }
    strbuf_rtrim(&sb);
    char *clean = catalog_conn_redact(c->password, sb.buf);
    err_set(e, "%s: %s", what, clean);
    free(clean);
    strbuf_release(&sb);
    return -1;
}

/* Read-only from the first statement on, in one snapshot. */
static int start_read_only(struct catalog_conn *c, struct isotest_err *e)
{
    static const char *const setup[] = {
        "SET default_transaction_read_only = on",
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        "SET LOCAL search_path = ''",
    };

    for (size_t i = 0; i < sizeof(setup) / sizeof(*setup); i++) {
        PGresult *res = PQexec(c->conn, setup[i]);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            conn_error(c, "cannot start a read-only transaction",
                       PQresultErrorMessage(res), e);
            PQclear(res);
            return -1;
        }
        PQclear(res);
    }
    return 0;
}

int catalog_conn_open(struct catalog_conn *c, const char *url, const char *what,
                      struct isotest_err *e)
{
    const char *keys[3] = {"fallback_application_name", NULL, NULL};
    const char *vals[3] = {APP_NAME, NULL, NULL};
    char *conninfo, *url_password;

    memset(c, 0, sizeof(*c));
    if (url) {
        if (catalog_conn_split(url, &conninfo, &url_password, e) < 0)
            return err_prefix(e, "%s", what);
        free(conninfo);
        c->password = url_password; /* until libpq says which it used */
        keys[1] = "dbname";
        vals[1] = url;
    }
    c->conn = PQconnectdbParams(keys, vals, 1);
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
        char *why = xasprintf("cannot connect to the database of %s", what);
        conn_error(c, why, c->conn ? PQerrorMessage(c->conn) : NULL, e);
        free(why);
        catalog_conn_close(c);
        return -1;
    }
    PQsetNoticeProcessor(c->conn, quiet, NULL);
    const char *pw = PQpass(c->conn);
    if (pw && *pw) {
        free(c->password);
        c->password = xstrdup(pw);
    }
    const char *host = PQhost(c->conn);
    c->label = xasprintf("'%s' on %s:%s", PQdb(c->conn),
                         host && *host ? host : "localhost", PQport(c->conn));
    if (start_read_only(c, e) < 0) {
        catalog_conn_close(c);
        return -1;
    }
    return 0;
}

int catalog_conn_query(struct catalog_conn *c, const char *what,
                       const char *sql, int nparams, const char *const *params,
                       PGresult **res, struct isotest_err *e)
{
    *res = PQexecParams(c->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(*res) == PGRES_TUPLES_OK ||
        PQresultStatus(*res) == PGRES_COMMAND_OK)
        return 0;
    conn_error(c, what,
               *res ? PQresultErrorMessage(*res) : PQerrorMessage(c->conn), e);
    PQclear(*res);
    *res = NULL;
    return -1;
}

void catalog_conn_close(struct catalog_conn *c)
{
    if (c->conn) {
        if (PQstatus(c->conn) == CONNECTION_OK &&
            PQtransactionStatus(c->conn) != PQTRANS_IDLE)
            PQclear(PQexec(c->conn, "ROLLBACK"));
        PQfinish(c->conn);
    }
    if (c->password) {
        memset(c->password, 0, strlen(c->password));
        free(c->password);
    }
    free(c->label);
    memset(c, 0, sizeof(*c));
}
