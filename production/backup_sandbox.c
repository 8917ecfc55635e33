/*
 * backup_sandbox.c: verify's sandbox -- the session and its one sandbox,
 * roles for plain dumps, the restore, the row counts, the --check cases.
 * Layout: open and close; roles; restore and counts; checks.
 */
#include "backup_sandbox.h"
#include "backup_archive.h"
#include "backup_pg.h"
#include "common/proc.h"
#include "runner/runcase.h"
#include "runner/signals.h"
#include "runner/tap.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A --check case may run this long before psql is stopped. */
#define CHECK_TIMEOUT_MS (300L * 1000)
/* Connections that count the restored rows at once, at most. */
#define COUNT_JOBS 4
/* Output of a --check case kept for the report. */
#define CHECK_OUTPUT_CAP (256 * 1024)

/* ---- open and close ----------------------------------------------------- */

int backup_sandbox_open(struct backup_sandbox *bs, const char *db,
                        struct isotest_err *e)
{
    struct isotest_options o = ISOTEST_OPTIONS_INIT;
    struct runcase_sandbox view;

    memset(bs, 0, sizeof(*bs));
    o.db = db;
    o.pool = 0;
    o.expected = 1;
    o.cancelled = signals_cancelled; /* Ctrl-C during the open */
    bs->s = isotest_session_open(&o, e);
    if (!bs->s)
        return err_prefix(e, "cannot open a session for the sandbox");
    signals_watch_session(bs->s);
    bs->sb = isotest_sandbox_acquire(bs->s, e);
    if (!bs->sb) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        err_prefix(e, "cannot create the sandbox database");
        backup_sandbox_close(bs, NULL, &ignore);
        isotest_err_release(&ignore);
        return -1;
    }
    runcase_sandbox_of(bs->sb, &view);
    bs->env = runcase_env(&view, "backup.verify", 0, NULL);
    bs->name = isotest_sandbox_dbname(bs->sb);
    bs->acquire_ms = isotest_sandbox_acquire_ms(bs->sb);
    const struct isotest_session_info *si = isotest_session_info(bs->s);
    bs->server_version = si->server_version;
    bs->embedded = si->embedded;
    return 0;
}

struct closing {
    struct isotest_session *s;
    unsigned flags;
    struct isotest_err *e;
    int r;
};

/* Under the signal registry's lock: a second Ctrl-C waits for it. */
static void close_session(void *arg)
{
    struct closing *c = arg;

    signals_watch_session(NULL);
    c->r = isotest_session_close(c->s, c->flags, c->e);
}

int backup_sandbox_close(struct backup_sandbox *bs, double *drop_ms,
                         struct isotest_err *e)
{
    int r = 0;
    struct isotest_err later = ISOTEST_ERR_INIT;

    if (drop_ms)
        *drop_ms = 0;
    if (bs->sb)
        r = isotest_sandbox_release(bs->sb, ISOTEST_RELEASE_DISCONNECT, drop_ms,
                                    e);
    bs->sb = NULL;
    if (bs->s) {
        /* Roles made for a plain dump must not reach the server cache. */
        unsigned flags = bs->created_roles || signals_interrupted()
                             ? ISOTEST_CLOSE_ABORT
                             : 0;
        struct closing c = {bs->s, flags, r < 0 ? &later : e, 0};
        signals_cleanup(close_session, &c);
        if (c.r < 0)
            r = -1;
    }
    isotest_err_release(&later);
    bs->s = NULL;
    runcase_env_free(bs->env);
    bs->env = NULL;
    return r;
}

char *backup_sandbox_redact(const struct backup_sandbox *bs, const char *text)
{
    if (!text)
        return NULL;
    if (!bs->s)
        return xstrdup(text);
    return isotest_redact(bs->s, text, strlen(text), NULL);
}

static void redact_err(const struct backup_sandbox *bs, struct isotest_err *e)
{
    char **fields[2] = {&e->msg, &e->hint};

    for (int k = 0; k < 2; k++)
        if (*fields[k] && bs->s) {
            char *r = backup_sandbox_redact(bs, *fields[k]);
            free(*fields[k]);
            *fields[k] = r;
        }
}

static PGconn *connect_sandbox(const struct backup_sandbox *bs,
                               struct isotest_err *e)
{
    PGconn *c = PQconnectdbParams(isotest_sandbox_keywords(bs->sb),
                                  isotest_sandbox_values(bs->sb), 0);

    if (PQstatus(c) != CONNECTION_OK) {
        struct strbuf sb = STRBUF_INIT;
        strbuf_addstr(&sb, PQerrorMessage(c));
        strbuf_rtrim(&sb);
        err_set(e, "cannot connect to sandbox '%s': %s", bs->name, sb.buf);
        strbuf_release(&sb);
        redact_err(bs, e);
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* ---- roles -------------------------------------------------------------- */

static int role_exists(PGconn *c, const char *role, struct isotest_err *e)
{
    const char *params[1] = {role};
    PGresult *res =
        PQexecParams(c, "SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1",
                     1, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, "cannot look up role '%s': %s", role, PQerrorMessage(c));
        PQclear(res);
        return -1;
    }
    int found = PQntuples(res) > 0;
    PQclear(res);
    return found;
}

static int create_role(PGconn *c, const char *role, struct isotest_err *e)
{
    char *q = PQescapeIdentifier(c, role, strlen(role));

    if (!q)
        return err_set(e, "cannot quote role name '%s'", role);
    char *sql = xasprintf("CREATE ROLE %s NOLOGIN", q);
    PQfreemem(q);
    int r = backup_exec(c, sql, e);
    free(sql);
    return r < 0 ? err_prefix(e, "cannot create role '%s'", role) : 0;
}

int backup_sandbox_roles(struct backup_sandbox *bs, char *const *roles,
                         size_t n, struct strbuf *note, struct isotest_err *e)
{
    PGconn *c = n ? connect_sandbox(bs, e) : NULL;
    int r = 0;

    if (n && !c)
        return -1;
    for (size_t k = 0; k < n && r == 0; k++) {
        int have = role_exists(c, roles[k], e);
        if (have < 0)
            r = -1;
        else if (!have && bs->embedded) {
            r = create_role(c, roles[k], e);
            bs->created_roles = bs->created_roles || r == 0;
            if (r == 0)
                strbuf_addf(note, "%srole '%s' created (NOLOGIN)",
                            note->len ? "; " : "", roles[k]);
        } else if (!have) {
            strbuf_addf(note, "%sthe server has no role '%s'",
                        note->len ? "; " : "", roles[k]);
        }
    }
    PQfinish(c);
    return r;
}

/* ---- restore and counts ------------------------------------------------- */

int backup_sandbox_restore(struct backup_sandbox *bs, const char *path,
                           enum backup_format f, int jobs,
                           struct isotest_err *e)
{
    struct backup_load_spec spec = {.path = path,
                                    .format = f,
                                    .dbarg = bs->name,
                                    .envp = (const char *const *)bs->env,
                                    .target = false,
                                    .jobs = jobs};
    int r = backup_load(&spec, e);

    if (r < 0)
        redact_err(bs, e);
    return r;
}

/*
 * A counting thread: a connection of its own and its share of the tables
 * (copies whose strings are borrowed).  Nothing is shared between the
 * threads; the caller reads a job only after joining its thread.
 */
struct count_job {
    PGconn *conn;
    struct backup_table *t;
    size_t *at; /* where each of t goes in the whole list */
    size_t n;
    long long bytes;
    struct isotest_err e;
    int r;
};

static void *count_thread(void *arg)
{
    struct count_job *j = arg;

    j->r = backup_tables_count(j->conn, j->t, j->n, &j->e);
    return NULL;
}

struct sized {
    size_t at;
    long long bytes;
};

static int by_bytes_desc(const void *a, const void *b)
{
    long long x = ((const struct sized *)a)->bytes;
    long long y = ((const struct sized *)b)->bytes;

    return x < y ? 1 : x > y ? -1 : 0;
}

/* Biggest table first to the job with the fewest bytes so far. */
static void share_out(struct backup_table *t, size_t n, struct count_job *jobs,
                      size_t nj)
{
    struct sized *order = xcalloc(n ? n : 1, sizeof(*order));

    for (size_t k = 0; k < n; k++)
        order[k] = (struct sized){k, t[k].bytes};
    qsort(order, n, sizeof(*order), by_bytes_desc);
    for (size_t k = 0; k < n; k++) {
        struct count_job *j = &jobs[0];
        for (size_t q = 1; q < nj; q++)
            if (jobs[q].bytes < j->bytes)
                j = &jobs[q];
        j->t[j->n] = t[order[k].at];
        j->at[j->n++] = order[k].at;
        j->bytes += order[k].bytes;
    }
    free(order);
}

/*
 * Count the rows over up to COUNT_JOBS connections at once: after a big
 * restore the counting is a sequential scan of everything, and the
 * sandbox is ours to load.
 */
static int count_parallel(struct backup_sandbox *bs, PGconn *first,
                          struct backup_table *t, size_t n,
                          struct isotest_err *e)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nj = cpus < 2 ? 1 : cpus > COUNT_JOBS ? COUNT_JOBS : (size_t)cpus;
    struct count_job jobs[COUNT_JOBS];
    pthread_t th[COUNT_JOBS];
    bool threaded[COUNT_JOBS] = {false};
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    nj = nj < n ? nj : n ? n : 1;
    memset(jobs, 0, sizeof(jobs));
    jobs[0].conn = first;
    for (size_t k = 1; k < nj; k++)
        if (!(jobs[k].conn = connect_sandbox(bs, &ignore)))
            nj = k; /* fewer connections: fewer jobs */
    isotest_err_release(&ignore);
    for (size_t k = 0; k < nj; k++) {
        jobs[k].t = xcalloc(n ? n : 1, sizeof(*jobs[k].t));
        jobs[k].at = xcalloc(n ? n : 1, sizeof(*jobs[k].at));
    }
    share_out(t, n, jobs, nj);
    for (size_t k = 1; k < nj; k++)
        threaded[k] = pthread_create(&th[k], NULL, count_thread, &jobs[k]) == 0;
    for (size_t k = 0; k < nj; k++)
        if (!threaded[k]) /* job 0, or no thread could be had */
            count_thread(&jobs[k]);
    int r = 0;
    for (size_t k = 0; k < nj; k++) {
        if (threaded[k])
            pthread_join(th[k], NULL);
        for (size_t q = 0; q < jobs[k].n; q++)
            t[jobs[k].at[q]].rows = jobs[k].t[q].rows;
        if (jobs[k].r < 0 && r == 0)
            r = err_set(e, "%s", jobs[k].e.msg);
        isotest_err_release(&jobs[k].e);
        if (k)
            PQfinish(jobs[k].conn);
        free(jobs[k].t);
        free(jobs[k].at);
    }
    return r;
}

int backup_sandbox_tables(struct backup_sandbox *bs, struct backup_table **t,
                          size_t *n, struct isotest_err *e)
{
    PGconn *c = connect_sandbox(bs, e);
    int r = -1;

    *t = NULL;
    *n = 0;
    if (!c)
        return -1;
    if (backup_tables_list(c, t, n, e) == 0 &&
        count_parallel(bs, c, *t, *n, e) == 0)
        r = 0;
    PQfinish(c);
    if (r < 0) {
        backup_tables_free(*t, *n);
        *t = NULL;
        *n = 0;
        redact_err(bs, e);
    }
    return r;
}

/* ---- checks ------------------------------------------------------------- */

/* psql's first "ERROR:" line (or "FATAL:", "psql:"), copied; or NULL. */
static char *error_line(const char *err)
{
    static const char *const marks[] = {"ERROR:", "FATAL:", "psql:"};

    for (int k = 0; k < 3; k++) {
        const char *p = strstr(err, marks[k]);
        if (p) {
            while (p > err && p[-1] != '\n')
                p--;
            const char *nl = strchr(p, '\n');
            return xstrndup(p, nl ? (size_t)(nl - p) : strlen(p));
        }
    }
    return NULL;
}

static void keep_output(const struct backup_sandbox *bs, struct strbuf *from,
                        struct captured *to)
{
    to->dropped = from->dropped;
    to->data = backup_sandbox_redact(bs, from->buf);
    to->len = strlen(to->data);
}

/* The TAP summary and the first failing test's line. */
static char *tap_message(const struct tap_result *tap)
{
    const char *d = tap->diagnostics ? tap->diagnostics : "";
    const char *nl = strchr(d, '\n');

    if (!*d)
        return xstrdup(tap->summary);
    return xasprintf("%s: %.*s", tap->summary,
                     (int)(nl ? (size_t)(nl - d) : strlen(d)), d);
}

static void judge(struct test_result *r, const struct proc_status *st)
{
    struct tap_result tap;
    char *err_line = error_line(r->err.data ? r->err.data : "");

    tap_parse(r->out.data ? r->out.data : "", r->out.len, &tap);
    bool exit_ok = st->exited && st->code == 0 && !st->timed_out;
    if (exit_ok && (!tap.seen || tap_passed(&tap))) {
        r->outcome =
            tap.seen && tap.skip_all ? OUTCOME_SKIPPED : OUTCOME_PASSED;
    } else {
        r->outcome = st->timed_out ? OUTCOME_TIMEOUT : OUTCOME_FAILED;
        r->message =
            st->timed_out ? xstrdup("psql ran too long (300 s)")
            : err_line    ? xstrdup(err_line)
            : tap.summary ? tap_message(&tap)
            : st->exited
                ? xasprintf("psql exited with code %d", st->code)
                : xasprintf("psql was killed by %s", proc_signame(st->code));
        if (tap.diagnostics)
            r->detail = xstrdup(tap.diagnostics);
    }
    free(err_line);
    tap_release(&tap);
}

void backup_sandbox_check(struct backup_sandbox *bs, const char *file,
                          struct test_result *r)
{
    char *tool = backup_tool_path("psql");
    const char *argv[] = {
        tool, "-X",     "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
        "-d", bs->name, "-f", file, NULL};
    struct strbuf out, err;
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    strbuf_init(&out, CHECK_OUTPUT_CAP);
    strbuf_init(&err, CHECK_OUTPUT_CAP);
    r->done = true;
    if (backup_tool_start(&p, argv, (const char *const *)bs->env, NULL, &e) <
            0 ||
        proc_capture(&p, &out, &err, CHECK_TIMEOUT_MS, SIGINT, 2000, NULL, &st,
                     &e) < 0) {
        r->outcome = OUTCOME_ERROR;
        r->message = backup_sandbox_redact(bs, e.msg);
    } else {
        keep_output(bs, &out, &r->out);
        keep_output(bs, &err, &r->err);
        judge(r, &st);
    }
    signals_watch_child(0);
    isotest_err_release(&e);
    strbuf_release(&out);
    strbuf_release(&err);
    free(tool);
}

static void strv_push(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

static int walk(const char *dir, char ***v, size_t *n, struct isotest_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    if (!d)
        return err_errno(e, errno, "cannot read '%s'", dir);
    while ((de = readdir(d))) {
        struct stat st;
        if (de->d_name[0] == '.')
            continue;
        char *p = xasprintf("%s/%s", dir, de->d_name);
        size_t len = strlen(de->d_name);
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            int r = walk(p, v, n, e);
            free(p);
            if (r < 0) {
                closedir(d);
                return -1;
            }
        } else if (len > 4 && !strcmp(de->d_name + len - 4, ".sql")) {
            strv_push(v, n, p);
        } else {
            free(p);
        }
    }
    closedir(d);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int backup_checks_find(const char *path, char ***files, size_t *n,
                       struct isotest_err *e)
{
    struct stat st;

    *files = NULL;
    *n = 0;
    if (stat(path, &st) < 0)
        return err_errno(e, errno, "cannot read --check '%s'", path);
    if (!S_ISDIR(st.st_mode)) {
        strv_push(files, n, xstrdup(path));
        return 0;
    }
    if (walk(path, files, n, e) < 0) {
        backup_strv_free(*files, *n);
        *files = NULL;
        *n = 0;
        return -1;
    }
    if (!*n)
        return err_set(e, "no *.sql file under --check '%s'", path);
    qsort(*files, *n, sizeof(**files), by_name);
    return 0;
}

void backup_strv_free(char **v, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(v[k]);
    free(v);
}
