/*
 * sandbox.c: acquiring and releasing sandboxes in the three modes.  The
 * clone pool of database mode is in sandbox_pool.c.
 */
#include "common/clock.h"
#include "common/strbuf.h"
#include "extscan.h"
#include "reclaim.h"
#include "sandbox_int.h"
#include "schema_cache.h"

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

/*
 * Schema mode's run database: a clone of the schema cache (schema_cache.h),
 * built first when missing, so that migrations that cannot be replayed in
 * a schema fail the run here, once, not in every case.
 */
static int schema_rundb(struct sandbox_factory *f, PGconn *maint,
                        struct isotest_err *e)
{
    const struct sandbox_config *cfg = &f->cfg;

    if (cfg->ms) {
        extscan_rerunnable_set(cfg->ms, &f->rerun);
        f->have_rerun = true;
    }
    int built = schema_cache_ensure(cfg->target, maint, cfg->tpl,
                                    f->have_rerun ? &f->rerun : NULL,
                                    cfg->runid, f->cache, e);
    if (built < 0)
        return -1;
    f->built_cache = built == 1;
    /* Each schema's time is told when the pool renames it. */
    return sandbox_pool_first_db(f, maint, e);
}

struct sandbox_factory *sandbox_factory_new(const struct sandbox_config *cfg,
                                            PGconn *maint,
                                            struct isotest_err *e)
{
    struct sandbox_factory *f = xcalloc(1, sizeof(*f));
    char *qt;

    f->cfg = *cfg;
    atomic_init(&f->counter, 0);
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
    if ((cfg->mode == SANDBOX_DATABASE && cfg->pool > 0) ||
        cfg->mode == SANDBOX_SCHEMA)
        sandbox_pool_start(f);
    return f;
fail:;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    if (f->rundb[0])
        target_drop_database(maint, f->rundb, &ignore);
    isotest_err_release(&ignore);
    if (f->have_rerun)
        migrate_release(&f->rerun);
    free(f->dbs);
    free(f->create_fmt);
    free(f);
    return NULL;
}

bool sandbox_factory_built(const struct sandbox_factory *f)
{
    return f->built_cache;
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
    if (f->cfg.mode == SANDBOX_DATABASE && !f->threads)
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
        /* The wait for a prepared sandbox is the cost a case sees. */
        if (sandbox_pool_take(w->f, sb, e) < 0)
            return -1;
        sb->acquire_ms = now_ms() - start;
        return 0;
    }
    unsigned n = atomic_fetch_add(&w->f->counter, 1) + 1;
    if (ident_sandbox(sb->name, f->cfg.runid, n, e) < 0)
        return -1;
    if (sandbox_make_clone(w->conn, f, sb->name, e) < 0)
        return -1;
    snprintf(sb->dbname, sizeof(sb->dbname), "%s", sb->name);
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
        /*
         * Nothing is dropped here: the schema goes with its database,
         * once every schema there is released (sandbox_int.h).
         */
        if (disconnect && !w->conn)
            w->conn =
                target_connect(w->f->cfg.target, w->f->cfg.target->maint_db, e);
        if (disconnect && !w->conn) {
            r = -1;
            break;
        }
        if (disconnect)
            disconnect_case(w->conn, sb);
        sandbox_pool_schema_done(w->f, sb->dbname, false);
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
    if (r == 0 && w->f->cfg.mode == SANDBOX_SCHEMA)
        sandbox_pool_schema_done(w->f, sb->dbname, true);
    if (own)
        PQfinish(own);
    isotest_err_release(&ignore);
    return r;
}
