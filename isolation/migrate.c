/*
 * migrate.c: loading, ordering and applying migrations, and mapping a
 * server error back to a file and line.
 */
#include "migrate.h"
#include "common/fsutil.h"
#include "common/pgerr.h"
#include "common/pgwait.h"
#include "common/sqlscan.h"
#include "common/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int migrate_version_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (is_digit(*a) && is_digit(*b)) {
            /* Compare digit runs as numbers: skip zeros, then length. */
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = 0, lb = 0;
            while (is_digit(a[la]))
                la++;
            while (is_digit(b[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    if (*a == *b)
        return 0;
    return *a ? 1 : -1;
}

static int cmp_migration(const void *x, const void *y)
{
    const struct migration *a = x, *b = y;
    int c = migrate_version_cmp(a->name, b->name);

    return c ? c : strcmp(a->name, b->name);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

int migrate_load(struct migrate_set *ms, const char *dir, struct isotest_err *e)
{
    DIR *d;
    struct dirent *de;
    size_t cap = 0;

    memset(ms, 0, sizeof(*ms));
    d = opendir(dir);
    if (!d)
        return err_errno(e, errno, "cannot read migrations folder '%s'", dir);
    ms->dir = xstrdup(dir);
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        if (n[0] == '.' || !ends_with(n, ".sql") || ends_with(n, ".down.sql"))
            continue;
        char *path = xasprintf("%s/%s", dir, n);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (ms->n == cap) {
            cap = cap ? 2 * cap : 16;
            ms->v = xrealloc(ms->v, cap * sizeof(*ms->v));
        }
        struct migration *m = &ms->v[ms->n];
        if (fs_read_file(path, &m->sql, &m->len, e) < 0) {
            free(path);
            closedir(d);
            migrate_release(ms);
            return -1;
        }
        if (strlen(m->sql) != m->len) {
            err_set(e, "migration '%s' contains a NUL byte", path);
            free(m->sql);
            free(path);
            closedir(d);
            migrate_release(ms);
            return -1;
        }
        m->path = path;
        m->name = xstrdup(n);
        ms->n++;
    }
    closedir(d);
    if (!ms->n) {
        err_set(e, "migrations folder '%s' has no .sql file", dir);
        migrate_release(ms);
        return -1;
    }
    qsort(ms->v, ms->n, sizeof(*ms->v), cmp_migration);
    return 0;
}

void migrate_release(struct migrate_set *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        free(ms->v[i].path);
        free(ms->v[i].name);
        free(ms->v[i].sql);
    }
    free(ms->v);
    free(ms->dir);
    memset(ms, 0, sizeof(*ms));
}

int migrate_line_of(const char *text, size_t len, long pos)
{
    struct sql_stmt all = {0, len, 1};

    return sqlscan_line_at(text, &all, pos);
}

size_t migrate_split(const char *t, size_t len, size_t **starts)
{
    struct sql_stmt *v;
    size_t n = sqlscan_statements(t, len, &v);

    *starts = xmalloc((n ? n : 1) * sizeof(**starts));
    for (size_t i = 0; i < n; i++)
        (*starts)[i] = v[i].start;
    free(v);
    return n;
}

/*
 * The server gave no position (a run-time error such as a unique
 * violation): replay the file statement by statement in a transaction that
 * is rolled back, to find which statement fails.  Returns its line, or 0.
 */
static int locate_failure(PGconn *conn, const struct migration *m)
{
    size_t *starts;
    size_t n = migrate_split(m->sql, m->len, &starts);
    int line = 0;
    PGresult *r = PQexec(conn, "BEGIN");

    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        PQclear(r);
        free(starts);
        return 0;
    }
    PQclear(r);
    for (size_t i = 0; i < n; i++) {
        size_t end = i + 1 < n ? starts[i + 1] : m->len;
        char *stmt = xstrndup(m->sql + starts[i], end - starts[i]);
        r = PQexec(conn, stmt);
        free(stmt);
        ExecStatusType st = PQresultStatus(r);
        PQclear(r);
        if (st == PGRES_FATAL_ERROR) {
            line = 1;
            for (size_t k = 0; k < starts[i]; k++)
                if (m->sql[k] == '\n')
                    line++;
            break;
        }
    }
    /* A COMMIT in the file may have ended our block: roll back what is. */
    r = PQexec(conn, "ROLLBACK");
    PQclear(r);
    free(starts);
    return line;
}

/* How long a cancelled migration's server is given to stop. */
#define CANCEL_GRACE_MS 5000

int migrate_apply(const struct migrate_set *ms, PGconn *conn,
                  struct isotest_err *e)
{
    return migrate_apply_cancelable(ms, conn, NULL, NULL, e);
}

int migrate_apply_cancelable(const struct migrate_set *ms, PGconn *conn,
                             bool (*cancelled)(void *arg), void *arg,
                             struct isotest_err *e)
{
    for (size_t i = 0; i < ms->n; i++) {
        const struct migration *m = &ms->v[i];
        struct pgwait w = {
            .stop_fn = cancelled, .stop_arg = arg, .grace_ms = CANCEL_GRACE_MS};
        PGresult *res = pgwait_exec(conn, m->sql, &w);
        ExecStatusType st = PQresultStatus(res);

        if (w.stopped) {
            /* Not a failure of the file: no replay to find its line. */
            PQclear(res);
            return err_set(e, "interrupted while applying migration '%s'",
                           m->path);
        }
        if (!res) {
            struct strbuf sb = STRBUF_INIT;
            strbuf_addstr(&sb, PQerrorMessage(conn));
            strbuf_rtrim(&sb);
            err_set(e, "migration '%s': %s", m->path, sb.buf);
            strbuf_release(&sb);
            return -1;
        }
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
            st == PGRES_EMPTY_QUERY) {
            PQclear(res);
            continue;
        }
        struct strbuf sb = STRBUF_INIT;
        const char *posf = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
        /* Read before PQclear: the field lives in the result. */
        long pos = posf ? strtol(posf, NULL, 10) : 0;
        int line = 0;
        pgerr_add_result(&sb, res, 1);
        PQclear(res);
        if (PQstatus(conn) == CONNECTION_OK &&
            PQtransactionStatus(conn) == PQTRANS_INERROR) {
            /* The file's own BEGIN left the session in a failed block. */
            PGresult *rb = PQexec(conn, "ROLLBACK");
            PQclear(rb);
        }
        if (pos > 0) {
            line = migrate_line_of(m->sql, m->len, pos);
        } else if (PQstatus(conn) == CONNECTION_OK &&
                   PQtransactionStatus(conn) == PQTRANS_IDLE) {
            line = locate_failure(conn, m);
        }
        if (line)
            err_set(e, "migration '%s' line %d: %s", m->path, line, sb.buf);
        else
            err_set(e, "migration '%s': %s", m->path, sb.buf);
        strbuf_release(&sb);
        return -1;
    }
    return 0;
}
