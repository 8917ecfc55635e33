/*
 * audit.c: finding test objects: the queries, the naming rules of
 * isotest and of other test tools, and the run-lock check.
 *
 * The catalog queries return every candidate and the matching is done
 * here with fnmatch(), so the glob means what a shell would make of it
 * and no pattern ever reaches SQL.
 */
#include "audit.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ISOTEST_LOCK_CLASS "1230196564" /* 0x49534f54, "ISOT" */
#define ISOTEST_PREFIX "isotest_"
#define ISOTEST_TPL_PREFIX "isotest_tpl_"
#define ISOTEST_KEPT_PREFIX "isotest kept at "

// clang-format off
/* Schemas that are PostgreSQL's own. */
#define NOT_SYSTEM(col) \
    col " NOT IN ('pg_catalog', 'information_schema') " \
    "AND " col " NOT LIKE 'pg\\_toast%' AND " col " NOT LIKE 'pg\\_temp\\_%'"

/* Every relation that reads like a table: name, schema, relname, noun. */
static const char q_tables[] =
    "SELECT n.nspname || '.' || c.relname, n.nspname, c.relname, "
    "  CASE WHEN c.relkind IN ('v', 'm') THEN 'view' ELSE 'table' END "
    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm') "
    "AND " NOT_SYSTEM("n.nspname") " "
    "ORDER BY n.nspname || '.' || c.relname COLLATE \"C\"";

static const char q_schemas[] =
    "SELECT nspname, NULL FROM pg_namespace "
    "WHERE " NOT_SYSTEM("nspname") " ORDER BY 1";

/* Other databases of the server, and isotest's "kept" mark. */
static const char q_databases[] =
    "SELECT datname, shobj_description(oid, 'pg_database') "
    "FROM pg_database WHERE datname <> current_database() ORDER BY 1";
// clang-format on

/* Names other test tools give the databases and schemas they make. */
static const struct {
    const char *glob, *tool;
} tools[] = {
    {"pgtestdb_*", "pgtestdb"},
    {"testdb_tpl_*", "pgtestdb"},
    {"_sqlx_test*", "sqlx's #[sqlx::test]"},
    {"integresql_*", "IntegreSQL"},
    {"regression", "pg_regress"},
    {"contrib_regression*", "pg_regress"},
    {"isolation_regression", "pg_isolation_regress"},
};

const char *audit_category_name(enum audit_category c)
{
    static const char *const names[] = {"tables", "schemas", "databases"};
    return names[c];
}

char *audit_strip(const char *pattern, const char *name)
{
    size_t pre = strcspn(pattern, "*?[");
    size_t plen = strlen(pattern), nlen = strlen(name);

    if (pre == plen)
        return NULL; /* no wildcard: nothing varies */
    size_t suf = 0;
    while (suf < plen - pre && !strchr("*?]", pattern[plen - 1 - suf]))
        suf++;
    if (pre + suf >= nlen || strncmp(name, pattern, pre) != 0 ||
        strcmp(name + nlen - suf, pattern + plen - suf) != 0)
        return NULL;
    return xstrndup(name + pre, nlen - pre - suf);
}

static bool is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!s[i] || !strchr("0123456789abcdef", s[i]))
            return false;
    return true;
}

/* isotest_tpl_<16 hex>: a cached template, never a leftover. */
static bool isotest_template(const char *name)
{
    size_t l = strlen(ISOTEST_TPL_PREFIX);

    return !strncmp(name, ISOTEST_TPL_PREFIX, l) && strlen(name) == l + 16 &&
           is_hex(name + l, 16);
}

/* isotest_<8 hex>_<[a-z0-9_]+>: *runid gets the run id as a number. */
static bool isotest_run_object(const char *name, uint32_t *runid)
{
    size_t l = strlen(ISOTEST_PREFIX);

    if (strncmp(name, ISOTEST_PREFIX, l) != 0 || !is_hex(name + l, 8) ||
        name[l + 8] != '_' || !name[l + 9] ||
        strspn(name + l + 9, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
            strlen(name + l + 9))
        return false;
    *runid = 0;
    for (size_t i = 0; i < 8; i++) {
        char d = name[l + i];
        *runid = *runid * 16 + (uint32_t)(d <= '9' ? d - '0' : d - 'a' + 10);
    }
    return true;
}

struct live_runs {
    uint32_t *v;
    size_t n;
};

static int read_live_runs(struct catalog_conn *c, struct live_runs *lr,
                          struct isotest_err *e)
{
    PGresult *res;

    /* The run id's 32 bits are the lock's second key: objid in pg_locks. */
    if (catalog_conn_query(c, "cannot read the run locks",
                           "SELECT DISTINCT objid::bigint FROM pg_locks "
                           "WHERE locktype = 'advisory' AND granted "
                           "AND classid = " ISOTEST_LOCK_CLASS " "
                           "AND objsubid = 2",
                           0, NULL, &res, e) < 0)
        return -1;
    lr->n = (size_t)PQntuples(res);
    lr->v = xcalloc(lr->n ? lr->n : 1, sizeof(*lr->v));
    for (size_t i = 0; i < lr->n; i++)
        lr->v[i] = (uint32_t)strtoull(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static bool run_alive(const struct live_runs *lr, uint32_t runid)
{
    for (size_t i = 0; i < lr->n; i++)
        if (lr->v[i] == runid)
            return true;
    return false;
}

/*
 * A schema's or database's name: why it looks like a test's, appended to
 * out; false when it does not (or is isotest's and in use).
 */
static bool judge_name(const char *name, const char *comment,
                       const char *pattern, const struct live_runs *lr,
                       struct strbuf *out)
{
    uint32_t runid;

    if (isotest_template(name))
        return false;
    if (isotest_run_object(name, &runid)) {
        if (run_alive(lr, runid))
            return false;
        strbuf_addf(out,
                    "left by a dead isotest run (run %.8s holds no "
                    "lock)%s",
                    name + strlen(ISOTEST_PREFIX),
                    comment && !strncmp(comment, ISOTEST_KEPT_PREFIX,
                                        strlen(ISOTEST_KEPT_PREFIX))
                        ? ", a sandbox kept by --keep-failed"
                        : "");
        return true;
    }
    if (!strncmp(name, ISOTEST_PREFIX, strlen(ISOTEST_PREFIX)))
        return false; /* isotest's, but no name isotest gives: not ours */
    for (size_t i = 0; i < sizeof(tools) / sizeof(*tools); i++)
        if (fnmatch(tools[i].glob, name, 0) == 0) {
            strbuf_addf(out, "left by %s", tools[i].tool);
            return true;
        }
    if (fnmatch(pattern, name, 0) == 0) {
        strbuf_addf(out, "matches '%s'", pattern);
        return true;
    }
    return false;
}

static int scan_names(struct catalog_conn *c, struct audit *a,
                      enum audit_category cat, const char *sql,
                      const char *pattern, const struct live_runs *lr,
                      struct isotest_err *e)
{
    PGresult *res;
    struct strbuf why = STRBUF_INIT;
    char *what = xasprintf("cannot list the %s", audit_category_name(cat));
    int r = catalog_conn_query(c, what, sql, 0, NULL, &res, e);

    free(what);
    if (r < 0)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        const char *comment =
            PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
        strbuf_reset(&why);
        if (!judge_name(name, comment, pattern, lr, &why))
            continue;
        strbuf_addf(&a->found[cat], "%s %s: %s\n",
                    cat == AUDIT_SCHEMAS ? "schema" : "database", name,
                    why.buf);
        a->count[cat]++;
    }
    strbuf_release(&why);
    PQclear(res);
    return 0;
}

static int by_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Tables and views matching the pattern, and their unprefixed twins. */
static int scan_tables(struct catalog_conn *c, struct audit *a,
                       const char *pattern, struct isotest_err *e)
{
    PGresult *res;

    if (catalog_conn_query(c, "cannot list the tables", q_tables, 0, NULL, &res,
                           e) < 0)
        return -1;
    size_t n = (size_t)PQntuples(res);
    char **all = xcalloc(n ? n : 1, sizeof(*all));
    for (size_t i = 0; i < n; i++)
        all[i] = PQgetvalue(res, (int)i, 0);
    qsort(all, n, sizeof(*all), by_str);
    for (size_t i = 0; i < n; i++) {
        const char *nsp = PQgetvalue(res, (int)i, 1);
        const char *rel = PQgetvalue(res, (int)i, 2);
        if (fnmatch(pattern, rel, 0) != 0)
            continue;
        strbuf_addf(&a->found[AUDIT_TABLES], "%s %s: matches '%s'",
                    PQgetvalue(res, (int)i, 3), PQgetvalue(res, (int)i, 0),
                    pattern);
        char *bare = audit_strip(pattern, rel);
        if (bare) {
            char *key = xasprintf("%s.%s", nsp, bare);
            bool twin = n && bsearch(&key, all, n, sizeof(*all), by_str);
            strbuf_addf(&a->found[AUDIT_TABLES],
                        twin ? " (%s exists too)" : " (nothing named %s)", key);
            free(key);
            free(bare);
        }
        strbuf_addch(&a->found[AUDIT_TABLES], '\n');
        a->count[AUDIT_TABLES]++;
    }
    free(all);
    PQclear(res);
    return 0;
}

int audit_scan(struct catalog_conn *c, const char *pattern, struct audit *a,
               struct isotest_err *e)
{
    struct live_runs lr = {NULL, 0};

    memset(a, 0, sizeof(*a));
    for (int k = 0; k < AUDIT_NCATS; k++)
        strbuf_init(&a->found[k], 0);
    int r = read_live_runs(c, &lr, e);
    a->live_runs = lr.n;
    if (r == 0)
        r = scan_tables(c, a, pattern, e);
    if (r == 0)
        r = scan_names(c, a, AUDIT_SCHEMAS, q_schemas, pattern, &lr, e);
    if (r == 0)
        r = scan_names(c, a, AUDIT_DATABASES, q_databases, pattern, &lr, e);
    free(lr.v);
    return r;
}

size_t audit_total(const struct audit *a)
{
    size_t n = 0;

    for (int k = 0; k < AUDIT_NCATS; k++)
        n += a->count[k];
    return n;
}

void audit_release(struct audit *a)
{
    for (int k = 0; k < AUDIT_NCATS; k++)
        strbuf_release(&a->found[k]);
    memset(a, 0, sizeof(*a));
}
