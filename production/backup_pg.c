/*
 * backup_pg.c: --db strings and their password, connections, the tables
 * and roles of a database, and PostgreSQL's programs as children.
 * Layout: the --db string; SQL; tools.
 */
#include "backup_pg.h"
#include "common/pgerr.h"
#include "isotest.h"
#include "runner/signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

/* Tables counted in one query: few round trips, bounded query text. */
#define COUNT_BATCH 100
/* What a failing tool's message may take of the report. */
#define TOOL_MSG_LINES 12
#define TOOL_MSG_BYTES 4000

/* ---- the --db string ---------------------------------------------------- */

void backup_conninfo_add(struct strbuf *sb, const char *key, const char *val)
{
    strbuf_addf(sb, "%s%s='", sb->len ? " " : "", key);
    for (const char *p = val; *p; p++) {
        if (*p == '\'' || *p == '\\')
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '\'');
}

/*
 * Settings never shown nor put on a child's command line.  (libpq has no
 * environment variable for sslpassword: a child cannot be given it.)
 */
static bool secret_keyword(const char *kw)
{
    return !strcmp(kw, "password") || !strcmp(kw, "sslpassword");
}

int backup_db_parse(struct backup_db *d, const char *s, struct isotest_err *e)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(s, &msg);
    struct strbuf shown = STRBUF_INIT;
    size_t n = 0, k = 0;

    memset(d, 0, sizeof(*d));
    if (!opts)
        return isotest_conninfo_check(s, e);
    for (PQconninfoOption *o = opts; o->keyword; o++)
        n++;
    d->kw = xcalloc(n + 2, sizeof(*d->kw));
    d->val = xcalloc(n + 2, sizeof(*d->val));
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val)
            continue;
        d->kw[k] = xstrdup(o->keyword);
        d->val[k++] = xstrdup(o->val);
        if (!strcmp(o->keyword, "password"))
            d->password = xstrdup(o->val);
        else if (!secret_keyword(o->keyword))
            backup_conninfo_add(&shown, o->keyword, o->val);
    }
    d->kw[k] = xstrdup("fallback_application_name");
    d->val[k] = xstrdup("isotest backup");
    PQconninfoFree(opts);
    d->conninfo = strbuf_detach(&shown, NULL);
    return 0;
}

void backup_db_release(struct backup_db *d)
{
    for (size_t k = 0; d->kw && d->kw[k]; k++) {
        free((char *)d->kw[k]);
        free((char *)d->val[k]);
    }
    free(d->kw);
    free(d->val);
    free(d->password);
    free(d->conninfo);
    free(d->child_conninfo);
    free(d->dbname);
    memset(d, 0, sizeof(*d));
}

/* The live connection's settings for a child, without the password. */
static char *child_conninfo(PGconn *c)
{
    PQconninfoOption *opts = PQconninfo(c);
    struct strbuf sb = STRBUF_INIT;

    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && *o->val && !secret_keyword(o->keyword) &&
            strcmp(o->keyword, "fallback_application_name"))
            backup_conninfo_add(&sb, o->keyword, o->val);
    PQconninfoFree(opts);
    return strbuf_detach(&sb, NULL);
}

PGconn *backup_db_connect(struct backup_db *d, struct isotest_err *e)
{
    PGconn *c = PQconnectdbParams(d->kw, d->val, 0);

    if (!c || PQstatus(c) != CONNECTION_OK) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, c ? PQerrorMessage(c) : "out of memory");
        strbuf_rtrim(&sb);
        err_set(e, "cannot connect to the database: %s", sb.buf);
        strbuf_release(&sb);
        backup_db_redact_err(d, e);
        PQfinish(c);
        return NULL;
    }
    free(d->child_conninfo);
    free(d->dbname);
    d->child_conninfo = child_conninfo(c);
    d->dbname = xstrdup(PQdb(c));
    return c;
}

/* Replace every `needle` in *text (a malloc'ed string) by "***". */
static void replace_all(char **text, const char *needle)
{
    size_t nl = strlen(needle);
    struct strbuf sb = STRBUF_INIT;
    const char *p = *text, *hit;

    if (!nl || !strstr(p, needle))
        return;
    while ((hit = strstr(p, needle))) {
        strbuf_add(&sb, p, (size_t)(hit - p));
        strbuf_addstr(&sb, "***");
        p = hit + nl;
    }
    strbuf_addstr(&sb, p);
    free(*text);
    *text = strbuf_detach(&sb, NULL);
}

char *backup_db_redact(const struct backup_db *d, const char *text)
{
    char *out = xstrdup(text ? text : "");

    if (!d || !d->password || !*d->password)
        return out;
    struct strbuf enc = STRBUF_INIT;
    strbuf_add_urlenc(&enc, d->password);
    replace_all(&out, d->password);
    replace_all(&out, enc.buf);
    for (char *p = enc.buf; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
    replace_all(&out, enc.buf);
    strbuf_release(&enc);
    return out;
}

void backup_db_redact_err(const struct backup_db *d, struct isotest_err *e)
{
    char **fields[2] = {&e->msg, &e->hint};

    for (int k = 0; k < 2; k++)
        if (*fields[k]) {
            char *r = backup_db_redact(d, *fields[k]);
            free(*fields[k]);
            *fields[k] = r;
        }
}

char **backup_db_env(const struct backup_db *d)
{
    size_t n = 0, k = 0;

    for (char **p = environ; *p; p++)
        n++;
    char **env = xcalloc(n + 2, sizeof(*env));
    for (char **p = environ; *p; p++)
        if (!d->password || strncmp(*p, "PGPASSWORD=", 11))
            env[k++] = xstrdup(*p);
    if (d->password)
        env[k++] = xasprintf("PGPASSWORD=%s", d->password);
    return env;
}

void backup_env_free(char **env)
{
    for (char **p = env; p && *p; p++)
        free(*p);
    free(env);
}

/* ---- SQL ---------------------------------------------------------------- */

static int result_error(PGresult *res, PGconn *c, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    if (res)
        pgerr_add_result(&sb, res, 0);
    else
        strbuf_addstr(&sb, PQerrorMessage(c));
    strbuf_rtrim(&sb);
    err_set(e, "%s", sb.buf);
    strbuf_release(&sb);
    PQclear(res);
    return -1;
}

int backup_exec(PGconn *c, const char *sql, struct isotest_err *e)
{
    PGresult *res = PQexec(c, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK &&
        PQresultStatus(res) != PGRES_TUPLES_OK)
        return result_error(res, c, e);
    PQclear(res);
    return 0;
}

static const char tables_sql[] =
    "SELECT n.nspname, c.relname, pg_catalog.pg_relation_size(c.oid) "
    "FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind = 'r' AND c.relpersistence <> 't' "
    "AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_' "
    "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
    "WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass "
    "AND d.objid = c.oid AND d.deptype = 'e') "
    "ORDER BY n.nspname COLLATE \"C\", c.relname COLLATE \"C\"";

int backup_tables_list(PGconn *c, struct backup_table **t, size_t *n,
                       struct isotest_err *e)
{
    PGresult *res = PQexec(c, tables_sql);

    *t = NULL;
    *n = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return result_error(res, c, e);
    int rows = PQntuples(res);
    *t = xcalloc(rows ? (size_t)rows : 1, sizeof(**t));
    for (int r = 0; r < rows; r++) {
        (*t)[r].schema = xstrdup(PQgetvalue(res, r, 0));
        (*t)[r].name = xstrdup(PQgetvalue(res, r, 1));
        (*t)[r].bytes = strtoll(PQgetvalue(res, r, 2), NULL, 10);
    }
    *n = (size_t)rows;
    PQclear(res);
    return 0;
}

/* "schema"."name", quoted by the server's rules; false when it cannot. */
static bool add_qualified(PGconn *c, struct strbuf *sb,
                          const struct backup_table *t)
{
    char *s = PQescapeIdentifier(c, t->schema, strlen(t->schema));
    char *n = s ? PQescapeIdentifier(c, t->name, strlen(t->name)) : NULL;

    if (n)
        strbuf_addf(sb, "%s.%s", s, n);
    PQfreemem(s);
    PQfreemem(n);
    return n != NULL;
}

static int count_batch(PGconn *c, struct backup_table *t, size_t n,
                       struct isotest_err *e)
{
    struct strbuf sql = STRBUF_INIT;

    for (size_t k = 0; k < n; k++) {
        strbuf_addf(&sql, "%sSELECT %zu, pg_catalog.count(*) FROM ONLY ",
                    k ? " UNION ALL " : "", k);
        if (!add_qualified(c, &sql, &t[k])) {
            strbuf_release(&sql);
            return err_set(e, "cannot quote table name '%s.%s'", t[k].schema,
                           t[k].name);
        }
    }
    PGresult *res = PQexec(c, sql.buf);
    strbuf_release(&sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return result_error(res, c, e);
    for (int r = 0; r < PQntuples(res); r++) {
        size_t k = strtoul(PQgetvalue(res, r, 0), NULL, 10);
        if (k < n)
            t[k].rows = strtoll(PQgetvalue(res, r, 1), NULL, 10);
    }
    PQclear(res);
    return 0;
}

int backup_tables_count(PGconn *c, struct backup_table *t, size_t n,
                        struct isotest_err *e)
{
    for (size_t k = 0; k < n; k += COUNT_BATCH)
        if (count_batch(c, t + k, n - k < COUNT_BATCH ? n - k : COUNT_BATCH,
                        e) < 0)
            return err_prefix(e, "cannot count the rows of the tables");
    return 0;
}

static const char roles_sql[] =
    "SELECT rolname FROM pg_catalog.pg_roles WHERE oid = 10 "
    "UNION SELECT r.rolname FROM pg_catalog.pg_shdepend d "
    "JOIN pg_catalog.pg_roles r ON r.oid = d.refobjid "
    "WHERE d.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass "
    "AND d.dbid = (SELECT oid FROM pg_catalog.pg_database "
    "WHERE datname = pg_catalog.current_database()) "
    "ORDER BY 1";

int backup_roles_list(PGconn *c, char ***roles, size_t *n,
                      struct isotest_err *e)
{
    PGresult *res = PQexec(c, roles_sql);

    *roles = NULL;
    *n = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return result_error(res, c, e);
    int rows = PQntuples(res);
    *roles = xcalloc(rows ? (size_t)rows : 1, sizeof(**roles));
    for (int r = 0; r < rows; r++)
        (*roles)[r] = xstrdup(PQgetvalue(res, r, 0));
    *n = (size_t)rows;
    PQclear(res);
    return 0;
}

/* ---- tools -------------------------------------------------------------- */

char *backup_tool_path(const char *name)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    char *bindir = isotest_pg_bindir(&ignore);

    isotest_err_release(&ignore);
    if (bindir) {
        char *p = xasprintf("%s/%s", bindir, name);
        free(bindir);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return xstrdup(name);
}

int backup_tool_start(struct proc *p, const char *const *argv,
                      const char *const *envp, const char *stdin_path,
                      struct isotest_err *e)
{
    struct proc_spec spec = {
        .argv = argv, .envp = envp, .stdin_path = stdin_path};

    if (proc_start(p, &spec, e) < 0)
        return -1;
    signals_watch_child(p->pid);
    return 0;
}

int backup_tool_finish(struct proc *p, struct strbuf *out, struct strbuf *err,
                       struct proc_status *st, struct isotest_err *e)
{
    struct strbuf so = STRBUF_INIT, se = STRBUF_INIT;

    strbuf_init(&so, 1 << 20);
    strbuf_init(&se, 1 << 20);
    int r = proc_capture(p, out ? out : &so, err ? err : &se, 0, SIGTERM, 0,
                         NULL, st, e);
    signals_watch_child(0);
    strbuf_release(&so);
    strbuf_release(&se);
    return r;
}

int backup_tool_run(const char *const *argv, const char *const *envp,
                    struct strbuf *out, struct strbuf *err,
                    struct proc_status *st, struct isotest_err *e)
{
    struct proc p;

    if (backup_tool_start(&p, argv, envp, NULL, e) < 0)
        return -1;
    return backup_tool_finish(&p, out, err, st, e);
}

bool backup_tool_ok(const struct proc_status *st)
{
    return st->exited && st->code == 0;
}

/* The first lines of a tool's output, for a message. */
static void first_lines(struct strbuf *dst, const char *text)
{
    size_t lines = 0;
    const char *p = text;

    while (*p && lines < TOOL_MSG_LINES && dst->len < TOOL_MSG_BYTES) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) {
            strbuf_addstr(dst, lines ? "\n  " : "");
            strbuf_add(dst, p, len);
            lines++;
        }
        p += len + (nl != NULL);
    }
    if (*p)
        strbuf_addstr(dst, "\n  ...");
}

int backup_tool_failed(struct isotest_err *e, const char *what,
                       const char *tool, const struct proc_status *st,
                       const struct strbuf *out, const struct strbuf *err)
{
    struct strbuf sb = STRBUF_INIT;

    if (st->exited)
        strbuf_addf(&sb, "%s: %s exited with code %d", what, tool, st->code);
    else
        strbuf_addf(&sb, "%s: %s was killed by %s", what, tool,
                    proc_signame(st->code));
    const char *text = err && err->len ? err->buf : out ? out->buf : "";
    if (*text) {
        strbuf_addstr(&sb, ":\n  ");
        first_lines(&sb, text);
    }
    err_set(e, "%s", sb.buf);
    strbuf_release(&sb);
    return -1;
}

int backup_version_start(struct proc *p, const char *path)
{
    const char *argv[] = {path, "--version", NULL};
    struct proc_spec spec = {.argv = argv, .merge_stderr = true};
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    int r = proc_start(p, &spec, &ignore);

    isotest_err_release(&ignore);
    if (r < 0)
        p->pid = 0;
    return r;
}

char *backup_version_finish(struct proc *p)
{
    struct strbuf out = STRBUF_INIT, none = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    strbuf_init(&out, 4096);
    if (!p->pid ||
        proc_capture(p, &out, &none, 10000, SIGTERM, 1000, NULL, &st, &ignore) <
            0 ||
        !backup_tool_ok(&st))
        strbuf_reset(&out);
    isotest_err_release(&ignore);
    strbuf_release(&none);
    char *nl = strchr(out.buf, '\n');
    if (nl)
        *nl = '\0';
    char *v = xstrdup(out.len ? out.buf : "unknown");
    strbuf_release(&out);
    return v;
}
