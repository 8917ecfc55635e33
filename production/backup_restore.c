/*
 * backup_restore.c: `isotest backup restore FILE --db URL [--yes]`.
 *
 * The order is what makes it safe: the backup is checked first (a
 * damaged one is never restored); the target is looked at, and without
 * --yes one that other sessions use or that holds tables is refused,
 * with the sessions and the tables named; a safety backup of the target
 * is taken (backup_take()); the restore runs in one transaction, so a
 * failure leaves the target as it was; the row counts are compared with
 * the manifest last, and when they differ the command that puts the
 * safety backup back is printed.
 *
 * Layout: checking the backup; looking at the target; the command.
 */
#include "backup.h"
#include "backup_archive.h"
#include "runner/discover.h"
#include "runner/options.h"
#include "runner/signals.h"

#include <libgen.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct restore_opts {
    const char *db, *dir;
    bool yes;
};

struct restore {
    struct restore_opts o;
    const char *path;
    char *dir_buf;
    struct backup_manifest m;
    int manifest;
    enum backup_format format;
    struct backup_db db;
    PGconn *conn;
    struct backup_taken safety;
    bool have_safety;
};

/* ---- checking the backup ------------------------------------------------ */

static int check_backup(struct restore *r, struct isotest_err *e)
{
    char *mpath = backup_manifest_path(r->path);
    struct strbuf detail = STRBUF_INIT;
    int rc = 0;

    r->manifest = backup_manifest_read(mpath, &r->m, e);
    if (r->manifest < 0)
        rc = -1;
    else if (r->manifest == 0)
        printf("warning: no manifest '%s': the backup cannot be checked "
               "against it, nor the row counts afterwards\n",
               mpath);
    r->format = backup_format_of(r->path, r->manifest == 1 ? &r->m : NULL);
    if (rc == 0 && backup_signature(r->path, r->format, &detail, e) < 0)
        rc = -1;
    if (rc == 0 && r->manifest == 1 &&
        backup_checksum(r->path, &r->m, &detail, e) < 0)
        rc = -1;
    if (rc < 0)
        err_prefix(e, "not restoring '%s'", r->path);
    free(mpath);
    strbuf_release(&detail);
    return rc;
}

/* ---- looking at the target ---------------------------------------------- */

static const char sessions_sql[] =
    "SELECT pid, coalesce(nullif(application_name, ''), '(none)'), "
    "coalesce(usename, '?') FROM pg_catalog.pg_stat_activity "
    "WHERE datname = pg_catalog.current_database() "
    "AND pid <> pg_catalog.pg_backend_pid() "
    "AND (backend_type IS NULL OR backend_type = 'client backend') "
    "ORDER BY pid";

/* The other sessions on the target, one phrase each, into sb; how many. */
static int other_sessions(PGconn *c, struct strbuf *sb, struct isotest_err *e)
{
    PGresult *res = PQexec(c, sessions_sql);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, "cannot list the sessions of the target: %s",
                PQerrorMessage(c));
        PQclear(res);
        return -1;
    }
    int n = PQntuples(res);
    for (int k = 0; k < n; k++)
        strbuf_addf(sb, "%sapplication_name '%s' (pid %s, user %s)",
                    k ? ", " : "", PQgetvalue(res, k, 1), PQgetvalue(res, k, 0),
                    PQgetvalue(res, k, 2));
    PQclear(res);
    return n;
}

/* The target's tables and rows, counted in one read-only transaction. */
static int target_tables(PGconn *c, struct backup_table **t, size_t *n,
                         struct isotest_err *e)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    int r =
        backup_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", e);

    *t = NULL;
    *n = 0;
    if (r == 0 && (backup_tables_list(c, t, n, e) < 0 ||
                   backup_tables_count(c, *t, *n, e) < 0))
        r = -1;
    backup_exec(c, "ROLLBACK", &ignore);
    isotest_err_release(&ignore);
    return r;
}

static long long sum_rows(const struct backup_table *t, size_t n)
{
    long long s = 0;

    for (size_t k = 0; k < n; k++)
        s += t[k].rows;
    return s;
}

/* 0 when the target may be replaced; -1 with e naming what is in it. */
static int may_replace(struct restore *r, struct isotest_err *e)
{
    struct strbuf who = STRBUF_INIT;
    struct backup_table *t;
    size_t n;
    int sessions = other_sessions(r->conn, &who, e);

    if (sessions < 0 || target_tables(r->conn, &t, &n, e) < 0) {
        strbuf_release(&who);
        return -1;
    }
    int rc = 0;
    if ((sessions || n) && !r->o.yes) {
        struct strbuf what = STRBUF_INIT;
        if (sessions)
            strbuf_addf(&what, "%d other session%s: %s", sessions,
                        sessions == 1 ? "" : "s", who.buf);
        if (n)
            strbuf_addf(&what, "%s%zu table%s with %lld rows",
                        sessions ? "; and " : "", n, n == 1 ? "" : "s",
                        sum_rows(t, n));
        rc = err_set(e,
                     "refusing to restore over database '%s' without "
                     "--yes: it has %s",
                     r->db.dbname, what.buf);
        err_hint(e,
                 "with --yes, a safety backup of '%s' is taken first "
                 "and the restore runs in one transaction",
                 r->db.dbname);
        strbuf_release(&what);
    } else if (sessions) {
        printf("warning: database '%s' has %d other session%s: %s\n",
               r->db.dbname, sessions, sessions == 1 ? "" : "s", who.buf);
    }
    backup_tables_free(t, n);
    strbuf_release(&who);
    return rc;
}

/* The command that puts the safety backup back. */
static void print_undo(const struct restore *r)
{
    char *file = discover_shell_quote(r->safety.path);
    char *db = discover_shell_quote(r->db.conninfo);

    printf("to put the database back as it was before:\n"
           "  isotest backup restore %s --db %s --yes\n",
           file, db);
    if (r->db.password)
        printf("  (the password is left out: give it with PGPASSWORD or "
               "~/.pgpass)\n");
    free(file);
    free(db);
}

/* Compare the restored target's counts with the manifest: 0 when equal. */
static int check_counts(struct restore *r, struct isotest_err *e)
{
    struct backup_table *t;
    size_t n, same = 0, bad = 0, missing = 0;

    if (target_tables(r->conn, &t, &n, e) < 0)
        return err_prefix(e, "restored, but the row counts cannot be read");
    for (size_t i = 0; i < r->m.ntables; i++) {
        const struct backup_table *w = &r->m.tables[i], *h = NULL;
        for (size_t j = 0; j < n && !h; j++)
            if (!strcmp(t[j].schema, w->schema) && !strcmp(t[j].name, w->name))
                h = &t[j];
        if (h && h->rows == w->rows) {
            same++;
            continue;
        }
        bad++;
        missing += h == NULL;
        if (h)
            printf("  %s.%s: manifest %lld rows, restored %lld rows\n",
                   w->schema, w->name, w->rows, h->rows);
        else
            printf("  %s.%s: manifest %lld rows, missing after the "
                   "restore\n",
                   w->schema, w->name, w->rows);
    }
    size_t extra = n - same - (bad - missing);
    if (extra)
        printf("note: %zu table%s of the target not in the backup %s\n", extra,
               extra == 1 ? "" : "s",
               extra == 1 ? "was left as it was" : "were left as they were");
    backup_tables_free(t, n);
    if (bad)
        return err_set(e,
                       "the restored database differs from the "
                       "manifest in %zu of %zu tables",
                       bad, r->m.ntables);
    printf("row counts as in the manifest: %zu tables, %lld rows\n", same,
           backup_manifest_rows(&r->m));
    return 0;
}

/* ---- the command -------------------------------------------------------- */

#define RO(field) offsetof(struct restore_opts, field)
static const struct opt_spec restore_specs[] = {
    {"--yes", "-y", OPT_FLAG, RO(yes), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, RO(db), 0, 0, opt_set_string},
    {"--dir", NULL, OPT_VALUE, RO(dir), 0, 0, opt_set_string},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef RO

static int restore_parse(int argc, char **argv, struct restore *r,
                         struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;
    int rc =
        options_scan(argc, argv, restore_specs, &r->o, false, &rest, &nrest, e);

    if (rc == 0 && nrest != 1)
        rc = err_set(e,
                     nrest ? "unexpected argument '%s'"
                           : "no backup given: backup restore FILE --db "
                             "URL%s",
                     nrest ? rest[1] : "");
    if (rc == 0)
        r->path = rest[0];
    free(rest);
    if (rc == 0 && !r->o.db)
        rc = err_set(e, "no target given: backup restore FILE --db URL");
    if (rc == 0 && !r->o.dir) {
        char *copy = xstrdup(r->path);
        r->dir_buf = xstrdup(dirname(copy));
        r->o.dir = r->dir_buf;
        free(copy);
    }
    if (rc == 0)
        rc = backup_db_parse(&r->db, r->o.db, e);
    return rc;
}

/* Safety backup, restore, counts: the exit code. */
static int replace(struct restore *r, struct isotest_err *e)
{
    struct backup_take_spec spec = {&r->db, r->conn, r->o.dir, BACKUP_CUSTOM,
                                    1};

    if (backup_take(&spec, &r->safety, e) < 0) {
        err_prefix(e, "no safety backup, nothing restored");
        return BACKUP_CANNOT;
    }
    r->have_safety = true;
    printf("safety backup of database '%s': %s\n", r->db.dbname,
           r->safety.path);
    fflush(stdout);
    char **env = backup_db_env(&r->db);
    struct backup_load_spec ls = {.path = r->path,
                                  .format = r->format,
                                  .dbarg = r->db.child_conninfo,
                                  .envp = (const char *const *)env,
                                  .target = true};
    int rc = backup_load(&ls, e);
    backup_env_free(env);
    if (rc < 0) {
        err_hint(e, "nothing was changed: the restore ran in one "
                    "transaction, which was rolled back");
        return BACKUP_FAILED;
    }
    printf("restored %s into database '%s'\n", r->path, r->db.dbname);
    if (r->manifest == 1 && check_counts(r, e) < 0) {
        print_undo(r);
        return BACKUP_FAILED;
    }
    return BACKUP_OK;
}

int backup_cmd_restore(int argc, char **argv)
{
    struct restore r;
    struct isotest_err e = ISOTEST_ERR_INIT;
    int code = BACKUP_CANNOT;

    memset(&r, 0, sizeof(r));
    if (restore_parse(argc, argv, &r, &e) == 0 && check_backup(&r, &e) == 0 &&
        (r.conn = backup_db_connect(&r.db, &e)) && may_replace(&r, &e) == 0)
        code = replace(&r, &e);
    if (e.msg)
        backup_print_error(&r.db, &e);
    if (r.have_safety && code == BACKUP_FAILED)
        printf("the safety backup is %s\n", r.safety.path);
    PQfinish(r.conn);
    backup_taken_release(&r.safety);
    backup_manifest_release(&r.m);
    backup_db_release(&r.db);
    free(r.dir_buf);
    return signals_interrupted() ? signals_exit_code() : code;
}
