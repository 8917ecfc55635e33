/*
 * pgtap_funcs.c: finding pgTAP test functions in a sandbox, and the cases
 * made of them.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include "pgtap_funcs.h"
#include "commands.h"
#include "common/pgerr.h"
#include "common/strbuf.h"
#include "signals.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/*
 * findfuncs(schema, pattern, '^(startup|shutdown|setup|teardown)') over
 * every schema but the system's, extensions' members and other sandboxes'
 * schemas (schema mode keeps every case's schema in one database).  $2 is
 * the sandbox's own schema ('' in database mode).
 */
static const char list_sql[] =
    "SELECT DISTINCT n.nspname, p.proname, n.nspname = $2 "
    "  FROM pg_catalog.pg_proc p "
    "  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace "
    " WHERE p.proname ~ $1 "
    "   AND p.proname !~ '^(startup|shutdown|setup|teardown)' "
    "   AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
    "   AND n.nspname !~ '^pg_(toast|temp)' "
    "   AND (n.nspname = $2 OR n.nspname !~ '^isotest_') "
    "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d "
    "                    WHERE d.classid = 'pg_catalog.pg_proc'::regclass "
    "                      AND d.objid = p.oid AND d.deptype = 'e') "
    " ORDER BY 1, 2";

char *pgtap_funcs_regex(const char *func)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addch(&sb, '^');
    for (const char *p = func; *p; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p))
            strbuf_addch(&sb, '\\');
        strbuf_addch(&sb, *p);
    }
    strbuf_addch(&sb, '$');
    return strbuf_detach(&sb, NULL);
}

size_t pgtap_funcs_expected(const struct run_options *o, size_t ncases,
                            int jobs)
{
    if (!o->pgtap_functions)
        return ncases;
    return o->pgtap_batch > 1 ? ncases + (size_t)jobs + 1 : 0;
}

char *pgtap_funcs_suite(const char *path)
{
    char *abs = realpath(path, NULL);
    struct stat st;

    if (!abs)
        abs = xstrdup(path);
    if (stat(abs, &st) == 0 && !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(abs, '/');
        if (slash && slash != abs)
            *slash = '\0';
    }
    size_t n = strlen(abs);
    while (n > 1 && abs[n - 1] == '/')
        abs[--n] = '\0';
    const char *base = strrchr(abs, '/');
    char *suite = xstrdup(base && base[1] ? base + 1 : abs);
    free(abs);
    return suite;
}

void pgtap_funcs_case(struct test_case *c, const char *suite, const char *shown,
                      const char *schema, const char *func)
{
    c->kind = CASE_PGTAP_FUNC;
    c->suite = xstrdup(suite);
    c->classname = xasprintf("%s.%s", suite, shown);
    c->name = xstrdup(func);
    c->id = xasprintf("%s/%s.%s", suite, shown, func);
    c->path = xasprintf("%s.%s()", shown, func);
    c->func_schema = schema ? xstrdup(schema) : NULL;
    c->func = xstrdup(func);
    c->uses_pgtap = true;
}

/* The rows of list_sql, as cases; the ids taken already are skipped. */
static void add_rows(const PGresult *res, const struct pgtap_funcs_opts *o,
                     struct case_list *cl)
{
    for (int i = 0; i < PQntuples(res); i++) {
        const char *schema = PQgetvalue(res, i, 0);
        const char *func = PQgetvalue(res, i, 1);
        bool own = PQgetvalue(res, i, 2)[0] == 't';
        const char *shown = own ? "public" : schema;
        char *id = xasprintf("%s/%s.%s", o->suite, shown, func);
        bool taken = false;

        for (size_t k = 0; k < cl->n && !taken; k++)
            taken = !strcmp(cl->v[k].id, id);
        if (taken)
            strbuf_addf(&cl->notes,
                        "note: pgTAP function %s.%s is not a case: its id "
                        "'%s' is taken\n",
                        schema, func, id);
        else if (discover_filter_match(id, o->filters, o->nfilters))
            pgtap_funcs_case(case_list_add(cl), o->suite, shown,
                             own ? NULL : schema, func);
        free(id);
    }
}

/* Query the sandbox's catalog; -1 with e set. */
static int list_functions(const struct isotest_sandbox *sb,
                          const struct pgtap_funcs_opts *o,
                          struct case_list *cl, struct isotest_err *e)
{
    PGconn *conn = PQconnectdbParams(isotest_sandbox_keywords(sb),
                                     isotest_sandbox_values(sb), 0);
    int rc = 0;

    if (PQstatus(conn) != CONNECTION_OK) {
        struct strbuf m = STRBUF_INIT;
        strbuf_addstr(&m, PQerrorMessage(conn));
        strbuf_rtrim(&m);
        rc = err_set(e,
                     "cannot connect to sandbox '%s' to find pgTAP "
                     "functions: %s",
                     isotest_sandbox_name(sb), m.buf);
        strbuf_release(&m);
        PQfinish(conn);
        return rc;
    }
    const char *params[2] = {o->pattern, isotest_sandbox_schema(sb)};
    PGresult *res =
        PQexecParams(conn, list_sql, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        struct strbuf m = STRBUF_INIT;
        pgerr_add_result(&m, res, 0);
        if (state && !strcmp(state, "2201B"))
            rc = err_set(e, "invalid value '%s' for --pgtap-functions: %s",
                         o->pattern, m.buf);
        else
            rc = err_set(e, "cannot list pgTAP functions: %s", m.buf);
        strbuf_release(&m);
    } else {
        add_rows(res, o, cl);
    }
    PQclear(res);
    PQfinish(conn);
    return rc;
}

int pgtap_funcs_discover(struct isotest_session *s,
                         const struct pgtap_funcs_opts *o, struct case_list *cl,
                         struct isotest_err *e)
{
    struct isotest_sandbox *sb = isotest_sandbox_acquire(s, e);
    size_t before = cl->n;

    if (!sb)
        return err_prefix(e, "cannot get a sandbox to find pgTAP functions");
    int rc = list_functions(sb, o, cl, e);
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    isotest_sandbox_release(sb, 0, NULL, &ignore);
    isotest_err_release(&ignore);
    if (rc < 0)
        return -1;
    if (cl->n == before)
        strbuf_addf(&cl->notes,
                    "note: no pgTAP test function matches '%s'%s (functions "
                    "the migrations created, not named startup*, setup*, "
                    "teardown* or shutdown*)\n",
                    o->pattern, o->nfilters ? " and the --filter given" : "");
    case_list_sort(cl);
    return 0;
}

int pgtap_funcs_add(struct isotest_session *s, const struct run_options *o,
                    struct case_list *cl, struct isotest_err *e)
{
    if (!o->pgtap_functions)
        return 0;
    char *suite = pgtap_funcs_suite(o->paths[0]);
    struct pgtap_funcs_opts fo = {.pattern = o->pgtap_functions,
                                  .suite = suite,
                                  .filters = o->filters,
                                  .nfilters = o->nfilters};
    size_t noted = cl->notes.len;
    int rc = pgtap_funcs_discover(s, &fo, cl, e);

    if (cl->notes.len > noted) {
        fputs(cl->notes.buf + noted, stderr);
        cl->notes.len = noted; /* said once */
        cl->notes.buf[noted] = '\0';
    }
    if (rc == 0 && !cl->n)
        rc = err_set(e,
                     "no test cases found under '%s': no *.sql file or "
                     "executable%s, and no pgTAP function matching '%s'",
                     o->paths[0], o->nfilters ? " matching --filter" : "",
                     o->pgtap_functions);
    free(suite);
    return rc;
}

int pgtap_funcs_list(const struct run_options *o, struct case_list *cl,
                     struct isotest_err *e)
{
    if (!o->pgtap_functions)
        return 0;
    struct isotest_options so = ISOTEST_OPTIONS_INIT;
    const char **exts = xcalloc(o->nextensions + 1, sizeof(*exts));
    size_t n = 0;
    bool have_pgtap = false;

    /* The extensions `run` asks for, in its order: the same template. */
    for (size_t i = 0; i < o->nextensions; i++) {
        exts[n++] = o->extensions[i];
        have_pgtap = have_pgtap || !strcmp(o->extensions[i], "pgtap");
    }
    if (!have_pgtap)
        exts[n++] = "pgtap";
    so.db = o->db;
    so.migrations = cl->migrations_dir;
    so.isolation = o->mode;
    so.extensions = exts;
    so.n_extensions = n;
    so.pool = 0;
    so.expected = 1;
    so.clone_strategy = o->clone_strategy;
    so.no_cache = o->no_cache;
    so.cancelled = signals_cancelled; /* Ctrl-C during the open */
    struct isotest_session *s = isotest_session_open(&so, e);
    int rc = -1;
    if (s) {
        /* Ctrl-C: the close below still runs, as after a run. */
        signals_watch_session(s);
        rc = signals_interrupted() ? err_set(e, "interrupted")
                                   : pgtap_funcs_add(s, o, cl, e);
        struct cmd_closing c = {.s = s,
                                .flags = rc < 0 ? ISOTEST_CLOSE_ABORT : 0};
        signals_cleanup(cmd_close_session, &c);
    }
    free(exts);
    return rc;
}
