/*
 * escapes.c: the server-wide state, as sorted lines, and their difference.
 */
#include "escapes.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* On the server, from any database: roles, settings, databases, spaces. */
static const char server_sql[] =
    "SELECT 'role ' || rolname"
    " || CASE WHEN rolsuper THEN ' superuser' ELSE '' END"
    " || CASE WHEN rolcreatedb THEN ' createdb' ELSE '' END"
    " || CASE WHEN rolcreaterole THEN ' createrole' ELSE '' END"
    " || CASE WHEN rolcanlogin THEN ' login' ELSE '' END"
    " || CASE WHEN rolbypassrls THEN ' bypassrls' ELSE '' END"
    " FROM pg_roles WHERE rolname !~ '^pg_' "
    "UNION ALL SELECT 'member ' || m.rolname || ' of ' || g.rolname"
    " FROM pg_auth_members a JOIN pg_roles m ON m.oid = a.member"
    " JOIN pg_roles g ON g.oid = a.roleid "
    "UNION ALL SELECT 'setting ' || cfg || ' for role '"
    " || coalesce(r.rolname, '(all)') || coalesce(' in database ' ||"
    " d.datname, '')"
    " FROM pg_db_role_setting s LEFT JOIN pg_roles r ON r.oid = s.setrole"
    " LEFT JOIN pg_database d ON d.oid = s.setdatabase,"
    " unnest(s.setconfig) cfg"
    " WHERE coalesce(d.datname, '') NOT LIKE 'isotest\\_%' "
    "UNION ALL SELECT 'database ' || datname || coalesce(' ' || datacl::text,"
    " '') FROM pg_database WHERE datname NOT LIKE 'isotest\\_%' "
    "UNION ALL SELECT 'tablespace ' || spcname FROM pg_tablespace";

/* In one database: its schemas, relations, functions and extensions. */
static const char objects_sql[] =
    "SELECT 'schema ' || nspname FROM pg_namespace"
    " WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' "
    "UNION ALL SELECT CASE c.relkind WHEN 'v' THEN 'view '"
    " WHEN 'm' THEN 'materialized view ' WHEN 'S' THEN 'sequence '"
    " WHEN 'f' THEN 'foreign table ' ELSE 'table ' END"
    " || n.nspname || '.' || c.relname"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')"
    " AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
    "UNION ALL SELECT 'function ' || p.oid::regprocedure::text"
    " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
    " WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' "
    "UNION ALL SELECT 'extension ' || extname FROM pg_extension";

static void add_line(struct escapes *x, char *line)
{
    x->v = xrealloc(x->v, (x->n + 1) * sizeof(*x->v));
    x->v[x->n++] = line;
}

/* Run sql in dbname; each row's one value, after prefix, into x. */
static int collect(const struct isotest_session *s, const char *dbname,
                   const char *sql, const char *prefix, bool optional,
                   struct escapes *x, struct isotest_err *e)
{
    char *ci = isotest_session_conninfo(s, dbname);
    PGconn *conn = PQconnectdb(ci);
    int r = 0;

    free(ci);
    if (PQstatus(conn) != CONNECTION_OK) {
        /* A server without a postgres database: nothing to look at. */
        if (!optional)
            r = err_set(e, "cannot connect to database '%s': %s", dbname,
                        PQerrorMessage(conn));
        PQfinish(conn);
        return r;
    }
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        r = err_set(e, "cannot read database '%s': %s", dbname,
                    PQresultErrorMessage(res));
    } else {
        for (int i = 0; i < PQntuples(res); i++)
            if (!PQgetisnull(res, i, 0))
                add_line(x, xasprintf("%s%s", prefix, PQgetvalue(res, i, 0)));
    }
    PQclear(res);
    PQfinish(conn);
    return r;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int escapes_snapshot(const struct isotest_session *s, struct escapes *out,
                     struct isotest_err *e)
{
    const char *maint = isotest_session_info(s)->maint_db;

    memset(out, 0, sizeof(*out));
    if (collect(s, maint, server_sql, "", false, out, e) < 0 ||
        collect(s, "postgres", objects_sql, "in database postgres: ", true, out,
                e) < 0 ||
        collect(s, "template1", objects_sql, "in database template1: ", false,
                out, e) < 0) {
        escapes_release(out);
        return err_prefix(e, "cannot check for changes outside the "
                             "sandboxes");
    }
    qsort(out->v, out->n, sizeof(*out->v), cmp_line);
    return 0;
}

static void *snapshot_thread(void *arg)
{
    struct escapes_job *j = arg;

    j->r = escapes_snapshot(j->s, j->out, &j->e);
    return NULL;
}

void escapes_snapshot_start(struct escapes_job *j,
                            const struct isotest_session *s,
                            struct escapes *out)
{
    *j = (struct escapes_job){.s = s, .out = out, .e = ISOTEST_ERR_INIT};
    j->threaded = pthread_create(&j->thread, NULL, snapshot_thread, j) == 0;
}

int escapes_snapshot_finish(struct escapes_job *j, struct isotest_err *e)
{
    if (j->threaded)
        pthread_join(j->thread, NULL);
    else
        snapshot_thread(j);
    if (j->r < 0) {
        err_set(e, "%s", j->e.msg ? j->e.msg : "unknown error");
        isotest_err_release(&j->e);
    }
    return j->r;
}

size_t escapes_diff(const struct escapes *before, const struct escapes *after,
                    struct strbuf *out)
{
    size_t i = 0, j = 0, n = 0;

    while (i < before->n || j < after->n) {
        int c = i == before->n  ? 1
                : j == after->n ? -1
                                : strcmp(before->v[i], after->v[j]);
        if (c == 0) {
            i++, j++;
            continue;
        }
        if (c < 0)
            strbuf_addf(out, "  removed: %s\n", before->v[i++]);
        else
            strbuf_addf(out, "  added:   %s\n", after->v[j++]);
        n++;
    }
    return n;
}

void escapes_release(struct escapes *x)
{
    for (size_t i = 0; i < x->n; i++)
        free(x->v[i]);
    free(x->v);
    x->v = NULL;
    x->n = 0;
}
