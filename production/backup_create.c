/*
 * backup_create.c: `isotest backup create`, and backup_take(), the one
 * way a backup is taken (restore's safety backup too).
 *
 * The row counts and the dump come from one snapshot: a REPEATABLE READ
 * READ ONLY transaction exports it, pg_dump --snapshot imports it, and
 * the counts run in the exporting transaction while pg_dump works (so
 * they cost no extra wall time).  The dump goes to a hidden work folder
 * beside its final name, is synced and hashed, renamed into place
 * without replacing anything, and its manifest follows.
 *
 * Layout: naming; pg_dump; backup_take(); the command.
 */
#include "backup.h"
#include "backup_store.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "runner/options.h"
#include "runner/signals.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- naming ------------------------------------------------------------- */

/*
 * A name no backup has yet: a backup of the same database taken in the
 * same second would have it, so wait for the next second (the stamp is
 * the snapshot's time).  The final rename still refuses to replace.
 */
static char *free_name(const char *dir, const char *db, enum backup_format f,
                       time_t *when)
{
    for (int tries = 0;; tries++) {
        *when = time(NULL);
        char *name = backup_file_name(db, *when, f);
        char *path = xasprintf("%s/%s", dir, name);
        struct stat st;
        bool taken = lstat(path, &st) == 0;
        free(path);
        if (!taken || tries == 3)
            return name;
        free(name);
        struct timespec ts = {0, 200 * 1000 * 1000};
        while (time(NULL) == *when)
            nanosleep(&ts, NULL);
    }
}

/* ---- pg_dump ------------------------------------------------------------ */

struct dump_run {
    char *tool;
    char *snapshot_arg, *file_arg, *jobs_arg;
    const char *argv[20];
    char **env;
};

static void dump_argv(struct dump_run *d, const struct backup_take_spec *s,
                      const char *snapshot, const char *out)
{
    size_t n = 0;
    static const char *const fmt_flag[] = {"-Fc", "-Fp", "-Fd"};

    d->tool = backup_tool_path("pg_dump");
    d->snapshot_arg = xasprintf("--snapshot=%s", snapshot);
    d->file_arg = xasprintf("--file=%s", out);
    d->argv[n++] = d->tool;
    d->argv[n++] = "--no-password";
    d->argv[n++] = d->snapshot_arg;
    d->argv[n++] = fmt_flag[s->format];
    if (s->format == BACKUP_PLAIN) {
        /* gzip-compressed SQL that replaces what it restores over. */
        d->argv[n++] = "--compress=6";
        d->argv[n++] = "--clean";
        d->argv[n++] = "--if-exists";
    }
    if (s->format == BACKUP_DIRECTORY && s->jobs > 1) {
        d->jobs_arg = xasprintf("--jobs=%d", s->jobs);
        d->argv[n++] = d->jobs_arg;
    }
    d->argv[n++] = d->file_arg;
    d->argv[n++] = "--dbname";
    d->argv[n++] = s->db->child_conninfo;
    d->argv[n] = NULL;
    d->env = backup_db_env(s->db);
}

static void dump_release(struct dump_run *d)
{
    free(d->tool);
    free(d->snapshot_arg);
    free(d->file_arg);
    free(d->jobs_arg);
    backup_env_free(d->env);
}

/*
 * Run pg_dump in the exported snapshot and count the rows in it
 * meanwhile.  The transaction must stay open until pg_dump has imported
 * the snapshot; it stays open until pg_dump ends.
 */
static int dump_and_count(const struct backup_take_spec *s,
                          const char *snapshot, const char *out,
                          struct backup_manifest *m, struct isotest_err *e)
{
    struct dump_run d = {0};
    struct proc p, version;
    struct proc_status st;
    struct strbuf so = STRBUF_INIT, se = STRBUF_INIT;
    struct isotest_err ce = ISOTEST_ERR_INIT;

    dump_argv(&d, s, snapshot, out);
    backup_version_start(&version, d.tool);
    int r = backup_tool_start(&p, d.argv, (const char *const *)d.env, NULL, e);
    if (r == 0) {
        int counted = backup_tables_count(s->conn, m->tables, m->ntables, &ce);
        if (counted < 0)
            proc_kill_tree(p.pid, SIGTERM);
        r = backup_tool_finish(&p, &so, &se, &st, e);
        /* A failed count ended pg_dump: the count's error is the news. */
        if (r == 0 && signals_interrupted())
            r = err_set(e, "interrupted");
        else if (r == 0 && counted < 0)
            r = err_set(e, "%s", ce.msg);
        else if (r == 0 && !backup_tool_ok(&st))
            r = backup_tool_failed(e, "pg_dump failed", "pg_dump", &st, &so,
                                   &se);
    }
    m->pg_dump_version = backup_version_finish(&version);
    isotest_err_release(&ce);
    strbuf_release(&so);
    strbuf_release(&se);
    dump_release(&d);
    return r;
}

/* ---- backup_take() ------------------------------------------------------ */

/* Open the snapshot and fill what the manifest says of the database. */
static int open_snapshot(const struct backup_take_spec *s, char **snapshot,
                         struct backup_manifest *m, struct isotest_err *e)
{
    PGconn *c = s->conn;

    /* Row security off, as pg_dump has it: a count is of every row, and
       fails where pg_dump would. */
    if (backup_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", e) <
            0 ||
        backup_exec(c, "SET LOCAL row_security = off", e) < 0)
        return err_prefix(e, "cannot open a read-only transaction");
    PGresult *res = PQexec(c, "SELECT pg_catalog.pg_export_snapshot()");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return err_set(e, "cannot export a snapshot: %s", PQerrorMessage(c));
    }
    *snapshot = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    m->snapshot = xstrdup(*snapshot);
    const char *v = PQparameterStatus(c, "server_version");
    m->server_version = xstrdup(v ? v : "unknown");
    if (backup_tables_list(c, &m->tables, &m->ntables, e) < 0 ||
        backup_roles_list(c, &m->roles, &m->nroles, e) < 0)
        return err_prefix(e, "cannot list the tables");
    return 0;
}

static int take_into(const struct backup_take_spec *s, const char *work,
                     const char *name, struct backup_taken *t,
                     struct isotest_err *e)
{
    char *snapshot = NULL;
    char *tmp = xasprintf("%s/%s", work, name);
    int r = open_snapshot(s, &snapshot, &t->m, e);

    if (r == 0)
        r = dump_and_count(s, snapshot, tmp, &t->m, e);
    /* Read-only: nothing to commit; ending it releases the snapshot. */
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    backup_exec(s->conn, "ROLLBACK", &ignore);
    isotest_err_release(&ignore);
    if (r == 0)
        r = backup_digest(tmp, true, &t->m.digest, e);
    if (r == 0)
        r = backup_publish(tmp, t->path, e);
    if (r == 0 && backup_manifest_write(t->manifest_path, &t->m, e) < 0) {
        /* Published but no manifest could be written: take it back. */
        struct isotest_err ign = ISOTEST_ERR_INIT;
        backup_remove(t->path, &ign);
        isotest_err_release(&ign);
        r = -1;
    }
    free(snapshot);
    free(tmp);
    return r;
}

int backup_take(const struct backup_take_spec *s, struct backup_taken *t,
                struct isotest_err *e)
{
    double t0 = now_ms();
    time_t when;
    char iso[32];

    memset(t, 0, sizeof(*t));
    char *work = backup_workdir(s->dir, e);
    if (!work)
        return -1;
    signals_watch_dir(work);
    char *name = free_name(s->dir, s->db->dbname, s->format, &when);
    t->path = xasprintf("%s/%s", s->dir, name);
    t->manifest_path = backup_manifest_path(t->path);
    t->m.file = xstrdup(name);
    t->m.format = s->format;
    t->m.database = xstrdup(s->db->dbname);
    t->m.created_at = xstrdup(backup_iso_time(when, iso, sizeof(iso)));
    int r = take_into(s, work, name, t, e);
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    fs_remove_tree(work, &ignore);
    isotest_err_release(&ignore);
    signals_watch_dir(NULL);
    free(work);
    free(name);
    t->ms = now_ms() - t0;
    if (r < 0) {
        backup_db_redact_err(s->db, e);
        backup_taken_release(t);
    }
    return r;
}

void backup_taken_release(struct backup_taken *t)
{
    free(t->path);
    free(t->manifest_path);
    backup_manifest_release(&t->m);
    memset(t, 0, sizeof(*t));
}

/* ---- the command -------------------------------------------------------- */

struct create_opts {
    const char *db, *dir, *format;
    int keep, jobs;
};

#define CR(field) offsetof(struct create_opts, field)
static const struct opt_spec create_specs[] = {
    {"--db", NULL, OPT_VALUE, CR(db), 0, 0, opt_set_string},
    {"--dir", NULL, OPT_VALUE, CR(dir), 0, 0, opt_set_string},
    {"--format", NULL, OPT_VALUE, CR(format), 0, 0, opt_set_string},
    {"--keep", NULL, OPT_VALUE, CR(keep), 0, 100000, opt_set_int},
    {"--jobs", "-j", OPT_VALUE, CR(jobs), 1, 64, opt_set_int},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef CR

static int create_parse(int argc, char **argv, struct create_opts *o,
                        enum backup_format *f, struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;
    struct stat st;

    *o = (struct create_opts){NULL, ".", "custom", 10, 1};
    int r = options_scan(argc, argv, create_specs, o, false, &rest, &nrest, e);
    if (r == 0 && nrest)
        r = err_set(e, "unexpected argument '%s'", rest[0]);
    free(rest);
    if (r == 0 && !o->db)
        r = err_set(e, "no database given: backup create needs --db URL");
    if (r == 0 && backup_format_parse(o->format, f) < 0)
        r = err_set(e,
                    "invalid value '%s' for --format: expected custom, "
                    "plain or directory",
                    o->format);
    if (r == 0 && o->jobs > 1 && *f != BACKUP_DIRECTORY)
        r = err_set(e, "-j needs --format directory (pg_dump dumps in "
                       "parallel only into a directory)");
    if (r == 0 && (stat(o->dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        r = err_set(e, "--dir '%s' is not a folder", o->dir);
    return r;
}

static void print_taken(const struct backup_taken *t)
{
    char size[32];

    printf("backup of database '%s': %s\n", t->m.database, t->path);
    printf("  %s format, %s, SHA-256 %s\n", backup_format_name(t->m.format),
           backup_human_size(t->m.digest.size, size, sizeof(size)),
           t->m.digest.sha256);
    printf("  %zu table%s, %lld rows (counted in the dump's snapshot), "
           "%.1f s\n",
           t->m.ntables, t->m.ntables == 1 ? "" : "s",
           backup_manifest_rows(&t->m), t->ms / 1000.0);
    printf("  manifest: %s\n", t->manifest_path);
}

int backup_cmd_create(int argc, char **argv)
{
    struct create_opts o;
    enum backup_format f = BACKUP_CUSTOM;
    struct backup_db db;
    struct backup_taken t;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (create_parse(argc, argv, &o, &f, &e) < 0 ||
        backup_db_parse(&db, o.db, &e) < 0) {
        backup_print_error(NULL, &e);
        return BACKUP_CANNOT;
    }
    PGconn *c = backup_db_connect(&db, &e);
    struct backup_take_spec spec = {&db, c, o.dir, f, o.jobs};
    int code = BACKUP_CANNOT;
    if (c && backup_take(&spec, &t, &e) == 0) {
        struct strbuf log = STRBUF_INIT;
        print_taken(&t);
        code = BACKUP_OK;
        if (backup_prune(o.dir, db.dbname, o.keep, &log, &e) < 0)
            code = BACKUP_FAILED;
        fputs(log.buf, stdout);
        strbuf_release(&log);
        backup_taken_release(&t);
    }
    if (e.msg)
        backup_print_error(&db, &e);
    PQfinish(c);
    backup_db_release(&db);
    return signals_interrupted() ? signals_exit_code() : code;
}
