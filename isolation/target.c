/*
 * target.c: connection settings, the maintenance connection, and the
 * messages for the ways connecting fails.
 */
#include "target.h"
#include "common/strbuf.h"
#include "ident.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APP_NAME "isotest"

int target_init(struct target *t, const char *conninfo, struct isotest_err *e)
{
    memset(t, 0, sizeof(*t));
    if (!conninfo)
        return 0;
    if (isotest_conninfo_check(conninfo, e) < 0)
        return -1;
    PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "dbname") && o->val && *o->val)
            t->url_db = xstrdup(o->val);
    PQconninfoFree(opts);
    t->conninfo = xstrdup(conninfo);
    return 0;
}

void target_release(struct target *t)
{
    free(t->conninfo);
    free(t->url_db);
    free(t->maint_db);
    free(t->host);
    free(t->port);
    free(t->user);
    if (t->password) {
        memset(t->password, 0, strlen(t->password));
        free(t->password);
    }
    free(t->server_version_str);
    memset(t, 0, sizeof(*t));
}

/* Library code never prints: NOTICEs (drop cascades to ...) are dropped. */
static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static PGconn *raw_connect(const char *conninfo, const char *password,
                           const char *dbname)
{
    const char *keys[6], *vals[6];
    int i = 0;

    if (conninfo) {
        keys[i] = "dbname";
        vals[i++] = conninfo;
    }
    /* A later dbname is taken as a plain name and overrides the URL's. */
    keys[i] = "dbname";
    vals[i++] = dbname;
    if (password) {
        keys[i] = "password";
        vals[i++] = password;
    }
    keys[i] = "fallback_application_name";
    vals[i++] = APP_NAME;
    keys[i] = NULL;
    vals[i] = NULL;
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    if (conn)
        PQsetNoticeProcessor(conn, quiet, NULL);
    return conn;
}

char *target_url_parts(const char *host, const char *port, const char *user,
                       const char *password, const char *dbname,
                       const char *options, const char *appname)
{
    struct strbuf sb = STRBUF_INIT;
    bool socket = host && host[0] == '/';
    char sep = '?';

    strbuf_addstr(&sb, "postgresql://");
    if (user && *user) {
        strbuf_add_urlenc(&sb, user);
        if (password) {
            strbuf_addch(&sb, ':');
            strbuf_add_urlenc(&sb, password);
        }
        strbuf_addch(&sb, '@');
    }
    if (!socket && host && *host) {
        bool v6 = strchr(host, ':') != NULL;
        if (v6)
            strbuf_addch(&sb, '[');
        strbuf_addstr(&sb, host);
        if (v6)
            strbuf_addch(&sb, ']');
        if (port && *port)
            strbuf_addf(&sb, ":%s", port);
    }
    strbuf_addch(&sb, '/');
    strbuf_add_urlenc(&sb, dbname);
    if (socket) {
        strbuf_addstr(&sb, "?host=");
        strbuf_add_urlenc(&sb, host);
        if (port && *port)
            strbuf_addf(&sb, "&port=%s", port);
        sep = '&';
    }
    if (options && *options) {
        strbuf_addf(&sb, "%coptions=", sep);
        strbuf_add_urlenc(&sb, options);
        sep = '&';
    }
    if (appname && *appname) {
        strbuf_addf(&sb, "%capplication_name=", sep);
        strbuf_add_urlenc(&sb, appname);
    }
    return strbuf_detach(&sb, NULL);
}

char *target_search_path_option(const char *schema)
{
    return xasprintf("-c search_path=%s,public", schema);
}

size_t target_secret_len(const struct target *t)
{
    if (!t || !t->password || !*t->password)
        return 0;
    struct strbuf enc = STRBUF_INIT;
    strbuf_add_urlenc(&enc, t->password);
    size_t n = enc.len > strlen(t->password) ? enc.len : strlen(t->password);
    strbuf_release(&enc);
    return n;
}

char *target_redact_bytes(const struct target *t, const char *data, size_t len,
                          size_t *outlen)
{
    struct strbuf out = STRBUF_INIT;
    struct strbuf enc = STRBUF_INIT;
    const char *forms[2] = {NULL, NULL};
    size_t flen[2] = {0, 0};

    if (t && t->password && *t->password) {
        strbuf_add_urlenc(&enc, t->password);
        forms[0] = t->password;
        flen[0] = strlen(t->password);
        if (strcmp(enc.buf, t->password) != 0) {
            forms[1] = enc.buf;
            flen[1] = enc.len;
        }
    }
    for (size_t i = 0; i < len;) {
        bool hit = false;
        for (int k = 0; k < 2 && !hit; k++) {
            if (forms[k] && len - i >= flen[k] &&
                !memcmp(data + i, forms[k], flen[k])) {
                strbuf_addstr(&out, "***");
                i += flen[k];
                hit = true;
            }
        }
        if (!hit)
            strbuf_add(&out, data + i++, 1);
    }
    strbuf_release(&enc);
    return strbuf_detach(&out, outlen);
}

size_t target_partial_tail(const struct target *t, const char *data, size_t len)
{
    size_t best = 0;

    if (!t || !t->password || !*t->password)
        return 0;
    struct strbuf enc = STRBUF_INIT;
    strbuf_add_urlenc(&enc, t->password);
    const char *forms[2] = {t->password, enc.buf};
    for (int k = 0; k < 2; k++) {
        size_t fl = strlen(forms[k]);
        for (size_t n = fl - 1; n > best; n--)
            if (n <= len && !memcmp(data + len - n, forms[k], n)) {
                best = n;
                break;
            }
    }
    strbuf_release(&enc);
    return best;
}

char *target_redact(const struct target *t, const char *msg)
{
    return target_redact_bytes(t, msg, strlen(msg), NULL);
}

/*
 * libpq's messages span lines ("connection to server ... failed: ...\n\t
 * Is the server running ...?"): make them one line, white space folded.
 */
static char *one_line(const char *msg)
{
    struct strbuf sb = STRBUF_INIT;
    bool space = false;

    for (const char *p = msg; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == ' ' || *p == '\r') {
            space = true;
            continue;
        }
        if (space && sb.len)
            strbuf_addch(&sb, ' ');
        space = false;
        strbuf_addch(&sb, *p);
    }
    return strbuf_detach(&sb, NULL);
}

static int connect_error(const struct target *t, PGconn *conn,
                         const char *dbname, struct isotest_err *e)
{
    const char *host = PQhost(conn), *port = PQport(conn);
    const char *user = PQuser(conn);
    char *line = one_line(PQerrorMessage(conn));
    char *clean = target_redact(t, line);
    char where[512];

    free(line);
    snprintf(where, sizeof(where), "%s%s%s", host && *host ? host : "(default)",
             port && *port ? ":" : "", port && *port ? port : "");
    if (PQconnectionNeedsPassword(conn)) {
        err_set(e,
                "server at '%s' asks for a password for user '%s' and none "
                "was given",
                where, user ? user : "");
        err_hint(e, "put it in the --db URL, in PGPASSWORD or in ~/.pgpass");
    } else if (strstr(clean, "password authentication failed") ||
               strstr(clean, "authentication failed")) {
        err_set(e, "authentication failed for user '%s' at '%s'",
                user ? user : "", where);
        err_hint(e, "check the password given in the --db URL, PGPASSWORD or "
                    "~/.pgpass");
    } else if (strstr(clean, "does not exist") && strstr(clean, "database")) {
        err_set(e, "database '%s' does not exist on server '%s'", dbname,
                where);
    } else {
        err_set(e, "cannot connect to server at '%s': %s", where, clean);
    }
    free(clean);
    return -1;
}

PGconn *target_connect_maint(struct target *t, struct isotest_err *e)
{
    static const char *const candidates[] = {"postgres", "template1"};
    PGconn *conn = NULL;

    if (t->maint_db)
        return target_connect(t, t->maint_db, e);
    for (size_t i = 0; i < 2; i++) {
        conn = raw_connect(t->conninfo, NULL, candidates[i]);
        if (PQstatus(conn) == CONNECTION_OK) {
            t->maint_db = xstrdup(candidates[i]);
            break;
        }
        /* Only a missing database is worth trying the next one for. */
        const char *m = PQerrorMessage(conn);
        bool missing = strstr(m, "does not exist") && strstr(m, "database");
        if (!missing || i == 1) {
            if (missing) {
                err_set(e, "neither maintenance database 'postgres' nor "
                           "'template1' exists on the server");
                PQfinish(conn);
            } else {
                connect_error(t, conn, candidates[i], e);
                PQfinish(conn);
            }
            return NULL;
        }
        PQfinish(conn);
    }
    t->host = xstrdup(PQhost(conn) ? PQhost(conn) : "");
    t->port = xstrdup(PQport(conn) ? PQport(conn) : "");
    t->user = xstrdup(PQuser(conn) ? PQuser(conn) : "");
    if (PQconnectionUsedPassword(conn) && PQpass(conn))
        t->password = xstrdup(PQpass(conn));
    t->server_version = PQserverVersion(conn);
    const char *v = PQparameterStatus(conn, "server_version");
    t->server_version_str = xstrdup(v ? v : "unknown");
    return conn;
}

PGconn *target_connect(const struct target *t, const char *dbname,
                       struct isotest_err *e)
{
    PGconn *conn = raw_connect(t->conninfo, t->password, dbname);

    if (PQstatus(conn) != CONNECTION_OK) {
        connect_error(t, conn, dbname, e);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

/* Hand a result to the caller (out) or free it; -1 with its error. */
static int finish_result(PGresult *res, PGresult **out, struct isotest_err *e)
{
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, PQresultErrorMessage(res));
        strbuf_rtrim(&sb);
        err_set(e, "%s", sb.buf);
        strbuf_release(&sb);
        PQclear(res);
        return -1;
    }
    if (out)
        *out = res;
    else
        PQclear(res);
    return 0;
}

int target_exec(PGconn *conn, const char *sql, struct isotest_err *e)
{
    return finish_result(PQexec(conn, sql), NULL, e);
}

int target_exec_params(PGconn *conn, const char *sql, int n,
                       const char *const *vals, PGresult **out,
                       struct isotest_err *e)
{
    return finish_result(PQexecParams(conn, sql, n, NULL, vals, NULL, NULL, 0),
                         out, e);
}

int target_advisory(PGconn *conn, const char *fn, int32_t cls, int32_t key,
                    struct isotest_err *e)
{
    char k1[16], k2[16];
    const char *vals[] = {k1, k2};
    char *sql = xasprintf("SELECT %s($1::int4, $2::int4)::text", fn);
    PGresult *res = NULL;

    snprintf(k1, sizeof(k1), "%d", (int)cls);
    snprintf(k2, sizeof(k2), "%d", (int)key);
    int r = target_exec_params(conn, sql, 2, vals, &res, e);
    free(sql);
    if (r < 0)
        return -1;
    r = PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "true");
    PQclear(res);
    return r;
}

/*
 * A session still ending (its client has just gone) would make DROP
 * DATABASE sleep 100 ms before it looks again (CountOtherDBBackends), so
 * such sessions are waited for, in steps from 1 ms up to 8 ms: FORCE ends
 * what is left after 200 ms.
 */
void target_wait_sessions_end(PGconn *conn, const char *name)
{
    const char *params[] = {name};
    long step_ms = 1;

    for (long waited = 0; waited < 200; waited += step_ms) {
        PGresult *res =
            PQexecParams(conn,
                         "SELECT EXISTS (SELECT FROM pg_stat_activity "
                         "WHERE datname = $1 AND pid <> pg_backend_pid())",
                         1, NULL, params, NULL, NULL, 0);
        bool busy = PQresultStatus(res) == PGRES_TUPLES_OK &&
                    PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (!busy)
            return;
        if (waited)
            step_ms = step_ms < 8 ? step_ms * 2 : 8;
        struct timespec ts = {0, step_ms * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int target_exec_ident(PGconn *conn, const char *fmt, const char *const *names,
                      struct isotest_err *e)
{
    struct strbuf sql = STRBUF_INIT;
    size_t k = 0;
    int r = 0;

    for (const char *p = fmt; *p && r == 0; p++) {
        if (p[0] != '%' || (p[1] != 'I' && p[1] != '%')) {
            strbuf_addch(&sql, *p);
            continue;
        }
        if (*++p == '%') {
            strbuf_addch(&sql, '%');
            continue;
        }
        char *q = names[k] ? ident_quote(conn, names[k++], e) : NULL;
        if (!q) {
            r = e->msg ? -1 : err_set(e, "too few names for '%s'", fmt);
            break;
        }
        strbuf_addstr(&sql, q);
        PQfreemem(q);
    }
    if (r == 0)
        r = target_exec(conn, sql.buf, e);
    strbuf_release(&sql);
    return r;
}

int target_exec_name(PGconn *conn, const char *fmt, const char *name,
                     struct isotest_err *e)
{
    const char *names[] = {name, NULL};

    return target_exec_ident(conn, fmt, names, e);
}

int target_drop_database(PGconn *conn, const char *name, struct isotest_err *e)
{
    if (!ident_valid(name))
        return err_set(e, "refusing invalid identifier '%s'", name);
    target_wait_sessions_end(conn, name);
    /* FORCE ends sessions a killed case left behind (PostgreSQL 13+). */
    if (target_exec_name(conn, "DROP DATABASE IF EXISTS %I WITH (FORCE)", name,
                         e) < 0)
        return err_prefix(e, "cannot drop database '%s'", name);
    return 0;
}

int target_check_createdb(const struct target *t, PGconn *conn,
                          struct isotest_err *e)
{
    PGresult *res = PQexec(conn, "SELECT rolcreatedb OR rolsuper, "
                                 "quote_ident(current_user) "
                                 "FROM pg_roles WHERE rolname = current_user");
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    int r = 0;

    if (!ok) {
        err_set(e, "cannot read the role's privileges: %s",
                PQresultErrorMessage(res));
        r = -1;
    } else if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        err_set(e,
                "role '%s' may not create databases, and isotest creates "
                "one per test case",
                t->user);
        err_hint(e, "as a superuser run: ALTER ROLE %s CREATEDB;",
                 PQgetvalue(res, 0, 1));
        r = -1;
    }
    PQclear(res);
    return r;
}
