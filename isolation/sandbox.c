/*
 * sandbox.c: acquiring and releasing sandboxes in the three modes.  The
 * clone pool of database mode is in sandbox_pool.c.
 */
#include "common/clock.h"
#include "common/strbuf.h"
#include "extscan.h"
#include "reclaim.h"
#include "sandbox_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int sandbox_mode_parse(const char *s, enum sandbox_mode *out)
{
    if (!strcmp(s, "database"))
        *out = SANDBOX_DATABASE;
    else if (!strcmp(s, "schema"))
        *out = SANDBOX_SCHEMA;
    else if (!strcmp(s, "none"))
        *out = SANDBOX_NONE;
    else
        return -1;
    return 0;
}

const char *sandbox_mode_name(enum sandbox_mode m)
{
    switch (m) {
    case SANDBOX_DATABASE: return "database";
    case SANDBOX_SCHEMA: return "schema";
    case SANDBOX_NONE: return "none";
    }
    return "?";
}

static int clone_db(PGconn *conn, const struct sandbox_factory *f,
                    const char *name, struct isotest_err *e)
{
    if (target_exec_name(conn, f->create_fmt, name, e) < 0)
        return err_prefix(e, "cannot create sandbox database '%s'", name);
    if (template_carry(f->cfg.tpl, conn, name, e) < 0) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        target_exec_name(conn, "DROP DATABASE IF EXISTS %I WITH (FORCE)", name,
                         &ignore);
        isotest_err_release(&ignore);
        return -1;
    }
    return 0;
}

static void tell_time(const struct sandbox_factory *f, double start)
{
    if (f->cfg.timed)
        f->cfg.timed(f->cfg.timed_arg, now_ms() - start);
}

int sandbox_make_clone(PGconn *conn, const struct sandbox_factory *f,
                       const char *name, struct isotest_err *e)
{
    double start = now_ms();

    if (clone_db(conn, f, name, e) < 0)
        return -1;
    tell_time(f, start);
    return 0;
}

static int create_schema(struct sandbox_worker *w, const char *name,
                         struct isotest_err *e);

/*
 * Schema mode's run database.  Not a clone of the template: its public
 * schema would hold a second copy of every migrated object, visible
 * behind the case's schema (and making calls with untyped literals
 * ambiguous).  Only the template's extensions (each in its own schema, at
 * its version) and database settings come along.  Then the first
 * sandbox, so that migrations that cannot be replayed in a schema fail
 * here, once, not in every case.
 */
static int schema_rundb(struct sandbox_factory *f, PGconn *maint,
                        struct isotest_err *e)
{
    const struct sandbox_config *cfg = &f->cfg;

    if (ident_run_object(f->rundb, cfg->runid, "schemas", e) < 0)
        return -1;
    if (target_exec_name(maint, "CREATE DATABASE %I TEMPLATE template0",
                         f->rundb, e) < 0)
        return err_prefix(e, "cannot create database '%s'", f->rundb);
    if (template_carry(cfg->tpl, maint, f->rundb, e) < 0)
        return -1;
    PGconn *conn = target_connect(cfg->target, f->rundb, e);
    if (!conn)
        return -1;
    int r = template_create_extensions(cfg->tpl, conn, e);
    if (r < 0) {
        PQfinish(conn);
        return err_prefix(e,
                          "cannot recreate the template's extensions in "
                          "'%s'",
                          f->rundb);
    }
    if (cfg->ms) {
        extscan_rerunnable_set(cfg->ms, &f->rerun);
        f->have_rerun = true;
    }
    /* The same session makes it: a new one would cost a connection. */
    struct sandbox_worker w = {.f = f, .conn = conn};
    unsigned n = atomic_fetch_add(&f->counter, 1) + 1;
    double start = now_ms();
    r = ident_sandbox(f->first, cfg->runid, n, e);
    if (r == 0)
        r = create_schema(&w, f->first, e);
    if (w.conn)
        PQfinish(w.conn);
    if (r < 0) {
        f->first[0] = '\0';
        if (!e->hint)
            err_hint(e, "schema mode replays the migrations in each case's "
                        "schema (search_path: that schema, then public): "
                        "they must create their objects unqualified");
        return -1;
    }
    tell_time(f, start);
    return 0;
}

struct sandbox_factory *sandbox_factory_new(const struct sandbox_config *cfg,
                                            PGconn *maint,
                                            struct isotest_err *e)
{
    struct sandbox_factory *f = xcalloc(1, sizeof(*f));
    char *qt;

    f->cfg = *cfg;
    atomic_init(&f->counter, 0);
    atomic_init(&f->first_taken, false);
    qt = ident_quote(maint, cfg->tpl->name, e);
    if (!qt) {
        free(f);
        return NULL;
    }
    const char *strategy = cfg->strategy;
    if (!strategy && PQserverVersion(maint) >= 150000)
        strategy = "FILE_COPY";
    if (strategy && strcmp(strategy, "FILE_COPY") &&
        strcmp(strategy, "WAL_LOG")) {
        err_set(e, "unknown clone strategy '%s' (FILE_COPY or WAL_LOG)",
                strategy);
        PQfreemem(qt);
        free(f);
        return NULL;
    }
    f->create_fmt =
        xasprintf("CREATE DATABASE %%I TEMPLATE %s%s%s", qt,
                  strategy ? " STRATEGY " : "", strategy ? strategy : "");
    PQfreemem(qt);

    if (cfg->mode == SANDBOX_NONE) {
        if (ident_run_object(f->rundb, cfg->runid, "shared", e) < 0 ||
            clone_db(maint, f, f->rundb, e) < 0)
            goto fail;
    } else if (cfg->mode == SANDBOX_SCHEMA && schema_rundb(f, maint, e) < 0) {
        goto fail;
    }
    if (cfg->mode == SANDBOX_DATABASE && cfg->pool > 0)
        sandbox_pool_start(f);
    return f;
fail:;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    if (f->rundb[0])
        target_drop_database(maint, f->rundb, &ignore);
    isotest_err_release(&ignore);
    if (f->have_rerun)
        migrate_release(&f->rerun);
    free(f->create_fmt);
    free(f);
    return NULL;
}

int sandbox_sweep_run(PGconn *maint, const char *runid, struct isotest_err *e)
{
    int n = 0, r = 0;

    if (!ident_runid_valid(runid))
        return err_set(e, "invalid run id '%s'", runid);
    char *pattern = ident_run_regex(runid);
    const char *vals[] = {pattern};
    PGresult *res = PQexecParams(maint,
                                 "SELECT datname FROM pg_database d "
                                 "WHERE datname ~ $1 AND coalesce("
                                 "  shobj_description(d.oid, 'pg_database'),"
                                 "  '') NOT LIKE '" RECLAIM_KEPT_PREFIX "%' "
                                 "ORDER BY 1",
                                 1, NULL, vals, NULL, NULL, 0);
    free(pattern);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, "cannot list databases: %s", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        if (target_drop_database(maint, PQgetvalue(res, i, 0), e) < 0)
            r = -1;
        else
            n++;
    }
    PQclear(res);
    return r < 0 ? -1 : n;
}

int sandbox_factory_free(struct sandbox_factory *f, PGconn *maint,
                         struct isotest_err *e)
{
    int r = 0;

    if (!f)
        return 0;
    if (f->threads)
        sandbox_pool_stop(f);
    if (f->have_rerun)
        migrate_release(&f->rerun);
    if (maint && sandbox_sweep_run(maint, f->cfg.runid, e) < 0)
        r = -1;
    free(f->create_fmt);
    free(f);
    return r;
}

struct sandbox_worker *sandbox_worker_new(struct sandbox_factory *f,
                                          struct isotest_err *e)
{
    struct sandbox_worker *w = xcalloc(1, sizeof(*w));

    w->f = f;
    if (f->cfg.mode == SANDBOX_SCHEMA)
        w->conn = target_connect(f->cfg.target, f->rundb, e);
    else if (f->cfg.mode == SANDBOX_DATABASE && !f->threads)
        w->conn = target_connect(f->cfg.target, f->cfg.target->maint_db, e);
    else
        return w; /* none, or the pool's threads do the work */
    if (!w->conn) {
        free(w);
        return NULL;
    }
    return w;
}

void sandbox_worker_free(struct sandbox_worker *w)
{
    if (!w)
        return;
    if (w->conn)
        PQfinish(w->conn);
    free(w);
}

static int drop_schema(PGconn *conn, const char *name, struct isotest_err *e)
{
    int r = target_exec_name(conn, "DROP SCHEMA IF EXISTS %I CASCADE", name, e);

    if (r < 0)
        err_prefix(e, "cannot drop sandbox schema '%s'", name);
    return r;
}

/*
 * Migrations that change the database itself (ALTER DATABASE ... SET,
 * GRANT ... ON DATABASE) update one catalog row, and run concurrently for
 * several schemas they fail with "tuple concurrently updated".  That race
 * is transient: the schema is dropped and the migrations run again.
 */
static bool transient(const char *msg)
{
    return strstr(msg, "tuple concurrently updated") ||
           strstr(msg, "deadlock detected");
}

static int create_schema(struct sandbox_worker *w, const char *name,
                         struct isotest_err *e)
{
    if (!w->conn) {
        w->conn = target_connect(w->f->cfg.target, w->f->rundb, e);
        if (!w->conn)
            return -1;
    }
    const struct migrate_set *ms = w->f->have_rerun ? &w->f->rerun : NULL;
    for (int attempt = 1;; attempt++) {
        const char *names[] = {name, name, NULL};
        /*
         * The migrations see what the case will see (its search_path is
         * target_search_path_option()'s): their schema first, for what
         * they create, then public, where the template's extensions are
         * unless a migration put them elsewhere.
         */
        if (target_exec_ident(w->conn,
                              "CREATE SCHEMA %I; SET search_path TO %I, public",
                              names, e) < 0)
            return err_prefix(e, "cannot create sandbox schema '%s'", name);
        if (!ms || migrate_apply(ms, w->conn, e) == 0)
            return target_exec(w->conn, "RESET search_path", e);

        struct isotest_err ignore = ISOTEST_ERR_INIT;
        target_exec(w->conn, "RESET search_path", &ignore);
        bool retry = attempt < 8 && e->msg && transient(e->msg) &&
                     drop_schema(w->conn, name, &ignore) == 0;
        isotest_err_release(&ignore);
        if (!retry)
            return err_prefix(e, "cannot migrate sandbox schema '%s'", name);
        isotest_err_release(e); /* the next attempt starts clean */
        struct timespec ts = {0, attempt * 2000000L};
        nanosleep(&ts, NULL);
    }
}

int sandbox_acquire(struct sandbox_worker *w, struct sandbox *sb,
                    struct isotest_err *e)
{
    const struct sandbox_factory *f = w->f;
    double start = now_ms();

    memset(sb, 0, sizeof(*sb));
    if (f->cfg.mode == SANDBOX_NONE) {
        snprintf(sb->name, sizeof(sb->name), "%s", f->rundb);
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", f->rundb);
        sb->acquire_ms = now_ms() - start;
        return 0;
    }
    if (f->threads) {
        /* The wait for a prepared clone is the cost a case sees. */
        if (sandbox_pool_take(w->f, sb, e) < 0)
            return -1;
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", sb->name);
        sb->acquire_ms = now_ms() - start;
        return 0;
    }
    if (f->first[0] && !atomic_exchange(&w->f->first_taken, true)) {
        /* Made by sandbox_factory_new(), its time already told. */
        snprintf(sb->name, sizeof(sb->name), "%s", f->first);
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", f->rundb);
        snprintf(sb->schema, sizeof(sb->schema), "%s", sb->name);
        sb->acquire_ms = now_ms() - start;
        return 0;
    }
    unsigned n = atomic_fetch_add(&w->f->counter, 1) + 1;
    if (ident_sandbox(sb->name, f->cfg.runid, n, e) < 0)
        return -1;
    if (f->cfg.mode == SANDBOX_DATABASE) {
        if (sandbox_make_clone(w->conn, f, sb->name, e) < 0)
            return -1;
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", sb->name);
    } else {
        double made = now_ms();
        if (create_schema(w, sb->name, e) < 0) {
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            sandbox_release(w, sb, false, &ignore);
            isotest_err_release(&ignore);
            return -1;
        }
        tell_time(f, made);
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", f->rundb);
        snprintf(sb->schema, sizeof(sb->schema), "%s", sb->name);
    }
    sb->acquire_ms = now_ms() - start;
    return 0;
}

/* End the sessions a case left (their application_name is the sandbox). */
static void disconnect_case(PGconn *conn, const struct sandbox *sb)
{
    const char *vals[] = {sb->dbname, sb->name};
    PGresult *res = PQexecParams(conn,
                                 "SELECT pg_terminate_backend(pid) "
                                 "FROM pg_stat_activity "
                                 "WHERE datname = $1 AND application_name = $2 "
                                 "AND pid <> pg_backend_pid()",
                                 2, NULL, vals, NULL, NULL, 0);
    PQclear(res);
}

int sandbox_release(struct sandbox_worker *w, struct sandbox *sb,
                    bool disconnect, struct isotest_err *e)
{
    double start = now_ms();
    int r = 0;

    switch (w->f->cfg.mode) {
    case SANDBOX_NONE: break;
    case SANDBOX_DATABASE:
        /* DROP ... WITH (FORCE) ends sessions a case left, pool or not. */
        if (w->f->threads)
            sandbox_pool_give_back(w->f, sb->name);
        else
            r = target_drop_database(w->conn, sb->name, e);
        break;
    case SANDBOX_SCHEMA:
        if (!w->conn) {
            w->conn = target_connect(w->f->cfg.target, w->f->rundb, e);
            if (!w->conn) {
                r = -1;
                break;
            }
        }
        if (disconnect)
            disconnect_case(w->conn, sb);
        r = drop_schema(w->conn, sb->name, e);
        /*
         * A session that created and dropped schemas keeps what it cached
         * of them: measured, each cycle made the next ~4.5 ms slower.  A
         * new session per case (~2 ms) keeps the cost flat.
         */
        PQfinish(w->conn);
        w->conn = NULL;
        break;
    }
    sb->release_ms = now_ms() - start;
    return r;
}

int sandbox_keep(struct sandbox_worker *w, struct sandbox *sb,
                 struct isotest_err *e)
{
    PGconn *conn = w->conn;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    PGconn *own = NULL;

    if (!conn) {
        /* none mode has no worker connection: open one for this. */
        own = target_connect(w->f->cfg.target, w->f->cfg.target->maint_db, e);
        if (!own)
            return -1;
        conn = own;
    }
    int r = reclaim_mark_kept(conn, sb->dbname, e);
    if (own)
        PQfinish(own);
    isotest_err_release(&ignore);
    return r;
}
