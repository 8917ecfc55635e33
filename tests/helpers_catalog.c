/*
 * helpers_catalog.c: what the integration tests ask a server's catalog --
 * plain queries, databases, the run lock and waiting for a run to get
 * somewhere -- and the embedded server's run folders.  See helpers.h for
 * the contract.
 *
 * Layout: queries; databases; runs and their lock; run folders.
 */
#define _GNU_SOURCE /* F_OFD_GETLK: the lock isotest holds on a run folder */
#include "helpers.h"

#include "common/strbuf.h"
#include "isolation/cluster.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUN_PREFIX "isotest-run-"

/* ---- queries ------------------------------------------------------------ */

static PGconn *connect_or_fail(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);

    cr_assert(PQstatus(conn) == CONNECTION_OK, "cannot connect to '%s': %s",
              conninfo, PQerrorMessage(conn));
    return conn;
}

static PGresult *query(const char *conninfo, const char *sql, int nparams,
                       const char *const *params)
{
    PGconn *conn = connect_or_fail(conninfo);
    PGresult *res =
        PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(res);

    cr_assert(s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK,
              "query failed: %s\n%s", sql, PQerrorMessage(conn));
    PQfinish(conn);
    return res;
}

void itest_sql(const char *conninfo, const char *sql)
{
    PGconn *conn = connect_or_fail(conninfo);
    PGresult *res = PQexec(conn, sql); /* several statements allowed */
    ExecStatusType s = PQresultStatus(res);

    cr_assert(s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK,
              "statement failed: %s\n%s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

char *itest_sql_value(const char *conninfo, const char *sql)
{
    PGresult *res = query(conninfo, sql, 0, NULL);
    char *v = PQntuples(res) && !PQgetisnull(res, 0, 0)
                  ? xstrdup(PQgetvalue(res, 0, 0))
                  : NULL;

    PQclear(res);
    return v;
}

char *itest_sql_rows(const char *conninfo, const char *sql)
{
    PGconn *conn = connect_or_fail(conninfo);
    PGresult *res = PQexec(conn, sql);
    struct strbuf sb = STRBUF_INIT;

    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "query failed: %s\n%s",
              sql, PQerrorMessage(conn));
    for (int i = 0; i < PQntuples(res); i++) {
        for (int j = 0; j < PQnfields(res); j++)
            strbuf_addf(&sb, "%s%s", j ? "|" : "",
                        PQgetisnull(res, i, j) ? "<null>"
                                               : PQgetvalue(res, i, j));
        strbuf_addch(&sb, '\n');
    }
    PQclear(res);
    PQfinish(conn);
    return strbuf_detach(&sb, NULL);
}

/* ---- databases ---------------------------------------------------------- */

long itest_db_count(const char *conninfo, const char *pattern)
{
    PGresult *res = query(conninfo,
                          "SELECT count(*) FROM pg_database "
                          "WHERE datname LIKE $1",
                          1, ARGV(pattern));
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);

    PQclear(res);
    return n;
}

char *itest_db_names(const char *conninfo, const char *pattern)
{
    PGresult *res = query(conninfo,
                          "SELECT coalesce(string_agg(datname, ', ' "
                          "ORDER BY datname), '') FROM pg_database "
                          "WHERE datname LIKE $1",
                          1, ARGV(pattern));
    char *v = xstrdup(PQgetvalue(res, 0, 0));

    PQclear(res);
    return v;
}

void itest_assert_no_sandboxes(const char *conninfo)
{
    char *left =
        itest_sql_value(conninfo, "SELECT coalesce(string_agg(datname, ', ' "
                                  "ORDER BY datname), '') FROM pg_database "
                                  "WHERE datname LIKE 'isotest\\_%' "
                                  "AND datname NOT LIKE 'isotest\\_tpl\\_%'");

    cr_assert_str_empty(left, "isotest left databases behind: %s", left);
    free(left);
}

void itest_assert_each_listed(const char *names, const char *prefix,
                              const char *text, const char *what)
{
    cr_assert(*names, "%s: no database names to look for", what);
    char *copy = xstrdup(names);
    for (char *p = copy; p && *p;) {
        char *sep = strstr(p, ", ");
        if (sep)
            *sep = '\0';
        char *line = xasprintf("%s%s\n", prefix, p);
        cr_assert(strstr(text, line), "%s: '%s' not in\n%s", what, line, text);
        free(line);
        p = sep ? sep + 2 : NULL;
    }
    free(copy);
}

/* ---- runs and their lock ------------------------------------------------ */

char *itest_run_lock_holder(const char *ci, const char *runid)
{
    /* The lock's second key: the run id read as a 32-bit hex number. */
    char *sql =
        xasprintf("SELECT a.datname FROM pg_locks l JOIN pg_stat_activity a "
                  "ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                  "AND l.classid = " ITEST_LOCK_CLASS " AND l.objid = %lu "
                  "AND l.objsubid = 2 AND l.granted",
                  strtoul(runid, NULL, 16));
    char *db = itest_sql_value(ci, sql);

    free(sql);
    return db;
}

void itest_wait_lock_released(const char *ci, const char *runid)
{
    for (int i = 0;; i++) {
        char *db = itest_run_lock_holder(ci, runid);
        free(db);
        if (!db)
            return;
        cr_assert(i < ITEST_WAIT_S * 20, "run %s's lock still held after %d s",
                  runid, ITEST_WAIT_S);
        itest_sleep_ms(50);
    }
}

/* "isotest\_<runid>\_%": a LIKE pattern for a run's databases. */
static char *run_pattern(const char *runid)
{
    return xasprintf("isotest\\_%s\\_%%", runid);
}

long itest_run_db_count(const char *ci, const char *runid)
{
    char *pat = run_pattern(runid);
    long n = itest_db_count(ci, pat);

    free(pat);
    return n;
}

char *itest_run_db_names(const char *ci, const char *runid)
{
    char *pat = run_pattern(runid);
    char *names = itest_db_names(ci, pat);

    free(pat);
    return names;
}

/* "'', 'id1', ...": run ids for a NOT IN list (ids are hex: no quoting). */
static char *id_list(const char *const *ids)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "''");
    for (const char *const *x = ids; x && *x; x++)
        strbuf_addf(&sb, ", '%s'", *x);
    return strbuf_detach(&sb, NULL);
}

/*
 * Poll `sql` until it returns a value.  Fails when `b` ends first ("isotest
 * ended before <before>") or after ITEST_WAIT_S ("no <none> after ...").
 */
static char *wait_for_value(const char *ci, const char *sql, struct itest_bg *b,
                            const char *before, const char *none)
{
    for (int i = 0;; i++) {
        char *v = itest_sql_value(ci, sql);
        if (v)
            return v;
        if (!itest_bg_alive(b)) {
            char *out = itest_read_file(b->out_path);
            char *err = itest_read_file(b->err_path);
            cr_assert_fail("isotest ended (status %d) before %s\n%s\n%s",
                           b->status, before, out, err);
        }
        cr_assert(i < ITEST_WAIT_S * 20, "no %s after %d s", none,
                  ITEST_WAIT_S);
        itest_sleep_ms(50);
    }
}

char *itest_wait_for_sql(const char *ci, struct itest_bg *b, const char *sql,
                         const char *what)
{
    return wait_for_value(ci, sql, b, what, what);
}

char *itest_wait_for_run(const char *ci, struct itest_bg *b,
                         const char *const *skip, int n, const char *marker)
{
    char *not_in = id_list(skip);
    char *sql = xasprintf(
        "SELECT substr(datname, 9, 8) FROM pg_stat_activity "
        "WHERE datname ~ '^isotest_[0-9a-f]{8}_' "
        "AND substr(datname, 9, 8) NOT IN (%s) AND query LIKE '%%%s%%' "
        "GROUP BY 1 HAVING count(*) >= %d LIMIT 1",
        not_in, marker, n);
    char *before = xasprintf("%d of its cases ran '%s'", n, marker);
    char *none = xasprintf("run with %d sessions running '%s'", n, marker);
    char *id = wait_for_value(ci, sql, b, before, none);

    free(none);
    free(before);
    free(sql);
    free(not_in);
    return id;
}

char *itest_wait_for_sandboxes(const char *ci, struct itest_bg *b,
                               const char *other, int n)
{
    char *sql = xasprintf("SELECT substr(datname, 9, 8) FROM pg_database "
                          "WHERE datname ~ '^isotest_[0-9a-f]{8}_[0-9]+$' "
                          "AND substr(datname, 9, 8) <> '%s' "
                          "GROUP BY 1 HAVING count(*) >= %d LIMIT 1",
                          other, n);
    char *before = xasprintf("it had %d sandboxes", n);
    char *none = xasprintf("run with %d sandboxes", n);
    char *id = wait_for_value(ci, sql, b, before, none);

    free(none);
    free(before);
    free(sql);
    return id;
}

/* ---- run folders -------------------------------------------------------- */

/* Where isotest puts its embedded server's run folder (cluster.c's rule). */
static const char *run_base(void)
{
    struct stat s;
    const char *t;

    if (stat("/dev/shm", &s) == 0 && S_ISDIR(s.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    if ((t = getenv("TMPDIR")) && *t)
        return t;
    return "/tmp";
}

char **itest_run_dirs(void)
{
    DIR *d = opendir(run_base());
    struct dirent *de;
    char **v = xcalloc(1, sizeof(*v));
    size_t n = 0;

    cr_assert(d, "cannot read '%s': %s", run_base(), strerror(errno));
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, RUN_PREFIX, strlen(RUN_PREFIX)))
            continue;
        v = xrealloc(v, (n + 2) * sizeof(*v));
        v[n++] = xstrdup(de->d_name);
        v[n] = NULL;
    }
    closedir(d);
    return v;
}

void itest_strv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static bool in_list(char **v, const char *s)
{
    for (; *v; v++)
        if (!strcmp(*v, s))
            return true;
    return false;
}

enum dir_state { DIR_GONE, DIR_LIVE, DIR_NO_LOCK, DIR_ABANDONED };

static enum dir_state run_dir_state(const char *name)
{
    char *dir = xasprintf("%s/%s", run_base(), name);
    char *lock = xasprintf("%s/lock", dir);
    struct stat s;
    enum dir_state r;

    if (stat(dir, &s) < 0) {
        r = DIR_GONE;
    } else {
        int fd = open(lock, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            r = DIR_NO_LOCK; /* just created, or leaked mid-start */
        } else {
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            r = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK
                    ? DIR_LIVE
                    : DIR_ABANDONED;
            close(fd);
        }
    }
    free(dir);
    free(lock);
    return r;
}

void itest_assert_no_new_run_dirs(char **before)
{
    itest_assert_run_dirs_go(before, 0);
}

void itest_assert_run_dirs_go(char **before, int seconds)
{
    char **after = itest_run_dirs();
    struct strbuf left = STRBUF_INIT;

    for (char **p = after; *p; p++) {
        if (in_list(before, *p))
            continue;
        /* A run of another test may be starting or ending right now. */
        enum dir_state s = run_dir_state(*p);
        for (int i = 0; s == DIR_NO_LOCK && i < 100; i++) {
            itest_sleep_ms(100);
            s = run_dir_state(*p);
        }
        for (int i = 0; s == DIR_ABANDONED && i < seconds * 10; i++) {
            itest_sleep_ms(100);
            s = run_dir_state(*p);
        }
        if (s == DIR_ABANDONED || s == DIR_NO_LOCK)
            strbuf_addf(&left, " %s/%s", run_base(), *p);
    }
    itest_strv_free(after);
    if (left.len) {
        /* Stop what was left (its postmaster) before failing. */
        struct cluster_options o = {0};
        struct isotest_err e = ISOTEST_ERR_INIT;
        cluster_reclaim(&o, &e);
        isotest_err_release(&e);
    }
    cr_assert(left.len == 0, "run folders left behind:%s", left.buf);
    strbuf_release(&left);
}
