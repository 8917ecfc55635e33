/*
 * template_ext.c: a template's extensions -- isotest's own created around
 * the migrations, the list (with schemas and versions) recorded in the
 * template's comment, and recreating them in schema mode's run database.
 */
#include "common/strbuf.h"
#include "extscan.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hex text (as SQL's encode(..., 'hex') writes it) to a string. */
static char *unhex(const char *h, size_t n)
{
    char *out = xmalloc(n / 2 + 1);
    size_t k = 0;

    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned v = 0;
        if (sscanf(h + i, "%2x", &v) != 1)
            break;
        out[k++] = (char)v;
    }
    out[k] = '\0';
    return out;
}

/* One "NAME SCHEMA VERSION" (each hex) entry of the comment. */
void template_ext_add(struct template *tpl, const char *entry)
{
    const char *sp1 = strchr(entry, ' ');
    const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;

    if (!sp2)
        return;
    size_t i = tpl->n_ext++;
    tpl->extensions = xrealloc(tpl->extensions, tpl->n_ext * sizeof(char *));
    tpl->ext_schemas = xrealloc(tpl->ext_schemas, tpl->n_ext * sizeof(char *));
    tpl->ext_versions =
        xrealloc(tpl->ext_versions, tpl->n_ext * sizeof(char *));
    tpl->extensions[i] = unhex(entry, (size_t)(sp1 - entry));
    tpl->ext_schemas[i] = unhex(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    tpl->ext_versions[i] = unhex(sp2 + 1, strlen(sp2 + 1));
}

/*
 * What create_extensions() makes: names[i], in schemas[i] at versions[i]
 * (either array may be NULL: public, the default version).  With `skip`,
 * the extensions some migration of skip creates are left out.
 */
struct ext_set {
    const char *const *names;
    const char *const *schemas;
    const char *const *versions;
    size_t n;
    const struct migrate_set *skip;
};

/* The statement that makes extension i of x, or NULL (bad name). */
static char *ext_sql(PGconn *conn, const struct ext_set *x, size_t i)
{
    const char *schema = x->schemas ? x->schemas[i] : "public";
    char *qe = PQescapeIdentifier(conn, x->names[i], strlen(x->names[i]));
    char *qs = PQescapeIdentifier(conn, schema, strlen(schema));
    char *qv = x->versions ? PQescapeLiteral(conn, x->versions[i],
                                             strlen(x->versions[i]))
                           : NULL;
    char *sql = NULL;

    /* The schema may be one a migration made: the run database lacks it. */
    if (qe && qs && (qv || !x->versions))
        sql = xasprintf("%s%s%sCREATE EXTENSION IF NOT EXISTS %s SCHEMA %s%s%s",
                        x->schemas ? "CREATE SCHEMA IF NOT EXISTS " : "",
                        x->schemas ? qs : "", x->schemas ? "; " : "", qe, qs,
                        qv ? " VERSION " : "", qv ? qv : "");
    PQfreemem(qe);
    PQfreemem(qs);
    PQfreemem(qv);
    return sql;
}

static int create_extensions(PGconn *conn, const struct ext_set *x,
                             int server_version, struct isotest_err *e)
{
    for (size_t i = 0; i < x->n; i++) {
        const char *ext = x->names[i];
        if (x->skip && extscan_creates_extension(x->skip, ext))
            continue;
        char *sql = ext_sql(conn, x, i);
        if (!sql)
            return err_set(e, "invalid extension name '%s'", ext);
        PGresult *res = PQexec(conn, sql);
        free(sql);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            bool missing =
                state && (!strcmp(state, "0A000") || !strcmp(state, "58P01"));
            err_set(e, "cannot create extension '%s': %s", ext,
                    msg ? msg : PQresultErrorMessage(res));
            if (missing && !strcmp(ext, "pgtap"))
                err_hint(e,
                         "the server has no pgtap; on Debian install the "
                         "package postgresql-%d-pgtap",
                         server_version / 10000);
            else if (missing)
                err_hint(e,
                         "install the package that provides extension "
                         "'%s' for PostgreSQL %d on the server",
                         ext, server_version / 10000);
            PQclear(res);
            return -1;
        }
        PQclear(res);
    }
    return 0;
}

int template_ext_create_own(PGconn *conn, const struct template_spec *spec,
                            bool before, struct isotest_err *e)
{
    struct ext_set own = {.names = spec->extensions,
                          .n = spec->n_ext,
                          .skip = before ? spec->ms : NULL};

    return create_extensions(conn, &own, PQserverVersion(conn), e);
}

int template_ext_list(PGconn *conn, char **list, struct isotest_err *e)
{
    PGresult *res =
        PQexec(conn, "SELECT coalesce(string_agg("
                     "  encode(convert_to(e.extname, 'UTF8'), 'hex') || ' ' || "
                     "  encode(convert_to(n.nspname, 'UTF8'), 'hex') || ' ' || "
                     "  encode(convert_to(e.extversion, 'UTF8'), 'hex'), "
                     "  ',' ORDER BY e.oid), '') "
                     "FROM pg_extension e "
                     "JOIN pg_namespace n ON n.oid = e.extnamespace "
                     "WHERE e.extname <> 'plpgsql'");
    int r = 0;

    if (PQresultStatus(res) == PGRES_TUPLES_OK)
        *list = xstrdup(PQgetvalue(res, 0, 0));
    else
        r = err_set(e, "cannot list the template's extensions: %s",
                    PQresultErrorMessage(res));
    PQclear(res);
    return r;
}

int template_create_extensions(const struct template *tpl, PGconn *conn,
                               struct isotest_err *e)
{
    struct ext_set x = {.names = (const char *const *)tpl->extensions,
                        .schemas = (const char *const *)tpl->ext_schemas,
                        .versions = (const char *const *)tpl->ext_versions,
                        .n = tpl->n_ext};

    return create_extensions(conn, &x, PQserverVersion(conn), e);
}
