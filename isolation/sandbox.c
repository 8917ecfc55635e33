/*
 * sandbox.c: acquiring and releasing sandboxes in the three modes.
 */
#include "sandbox.h"
#include "common/clock.h"
#include "common/strbuf.h"
#include "reclaim.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef char name_t[IDENT_BUFSZ];

/*
 * The pool (database mode with cfg.pool > 0): background threads, each
 * with its own connection, keep up to cfg.pool clones ready and drop
 * released ones, so a worker only takes a name off a list.
 *
 * `plock` guards every field below it.  Each kind of thread waits on a
 * condition of its own and is woken one at a time, by the event it can
 * act on: a worker by a clone made, a maker by a clone taken (or a
 * backlog of drops), a dropper by a clone released.  With one condition
 * broadcast to all, every event woke a dozen threads to find nothing to
 * do: ~12 context switches per case, measured (ci/bench_ci.sh).  Errors
 * and the stop wake everyone.  Lock order: plock is never held while
 * talking to the server.
 */
struct sandbox_factory {
    /* Read-only after sandbox_factory_new. */
    struct sandbox_config cfg;
    char rundb[IDENT_BUFSZ]; /* schema/none mode: the run's database */
    char *create_fmt;        /* "CREATE DATABASE %I TEMPLATE <tpl> ..." */
    /* Shared by the workers without a lock. */
    atomic_uint counter;

    pthread_t *threads;
    int nthreads;
    pthread_mutex_t plock;
    pthread_cond_t ready_cv; /* workers and warm: a clone is ready */
    pthread_cond_t make_cv;  /* makers: room in the pool */
    pthread_cond_t drop_cv;  /* droppers: a clone was released */
    name_t *ready;           /* cfg.pool + makers slots */
    size_t nready;
    /*
     * Released, not yet dropped: todrop[dhead, dhead + ndrop), oldest
     * first.  The oldest go first because their cases' sessions have
     * ended: the newest would make target_drop_database() wait for its
     * session to go (a poll of pg_stat_activity and a sleep, per case).
     */
    name_t *todrop;
    size_t dhead, ndrop, dropcap;
    size_t made;   /* clones started, at most cfg.expected + beyond */
    size_t beyond; /* acquires past cfg.expected (a retry's, say) */
    size_t taken;  /* clones handed to workers */
    int waiters;   /* workers waiting for a ready clone */
    int warming;   /* sandbox_factory_warm() callers waiting */
    bool stopping;
    char *pool_error; /* the first failure, for waiting workers */
};

struct sandbox_worker {
    struct sandbox_factory *f;
    PGconn *conn; /* maintenance db, or the run db in schema mode */
};

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

/* A sandbox's clone, its time told to cfg.timed. */
static int make_clone(PGconn *conn, const struct sandbox_factory *f,
                      const char *name, struct isotest_err *e)
{
    double start = now_ms();

    if (clone_db(conn, f, name, e) < 0)
        return -1;
    tell_time(f, start);
    return 0;
}

/* An error or the stop: every waiting thread must look. */
static void wake_all(struct sandbox_factory *f)
{
    pthread_cond_broadcast(&f->ready_cv);
    pthread_cond_broadcast(&f->make_cv);
    pthread_cond_broadcast(&f->drop_cv);
}

/*
 * Pool threads come in two kinds.  Makers clone ahead; droppers drop
 * released clones.  They are kept apart because a DROP DATABASE waits
 * on every backend of the server (PostgreSQL 15 makes each one close
 * its files, a ProcSignalBarrier) and on a checkpoint: tens of
 * milliseconds of wall time on a busy machine, during which a maker
 * stuck behind it could not answer a waiting worker.  Makers drop only
 * when the backlog passes its bound (disk use stays bounded) or when
 * the run is stopping, so the last drops go side by side.
 */
static void *pool_thread(struct sandbox_factory *f, bool dropper)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    PGconn *conn = target_connect(f->cfg.target, f->cfg.target->maint_db, &e);
    size_t backlog = 2 * (size_t)f->cfg.pool;

    pthread_mutex_lock(&f->plock);
    if (!conn) {
        if (!f->pool_error)
            f->pool_error = xstrdup(e.msg);
        wake_all(f);
        pthread_mutex_unlock(&f->plock);
        isotest_err_release(&e);
        return NULL;
    }
    for (;;) {
        /*
         * A maker starts a clone whenever fewer than cfg.pool are ready,
         * whatever is in progress: counting clones in progress against
         * the bound would leave workers of short cases waiting on a busy
         * machine, where a clone takes several times its own CPU time.
         * Once stopping, every thread drops what is released or was never
         * used and makes nothing new; the run's sweep then finds nothing
         * (it still catches what a failed drop left).
         */
        bool want_make = !dropper && f->nready < (size_t)f->cfg.pool &&
                         f->made < f->cfg.expected + f->beyond &&
                         !f->pool_error && !f->stopping;
        bool drop_ready = f->stopping && f->nready;
        bool may_drop = dropper || f->stopping || f->ndrop > backlog;
        if (drop_ready ||
            (f->ndrop && may_drop && !(want_make && f->waiters))) {
            name_t name;
            if (drop_ready) {
                memcpy(name, f->ready[--f->nready], sizeof(name));
            } else {
                memcpy(name, f->todrop[f->dhead++], sizeof(name));
                if (--f->ndrop == 0)
                    f->dhead = 0;
            }
            pthread_mutex_unlock(&f->plock);
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            target_drop_database(conn, name,
                                 &ignore); /* the sweep retries a failure */
            isotest_err_release(&ignore);
            pthread_mutex_lock(&f->plock);
            continue;
        }
        if (want_make) {
            name_t name;
            unsigned n = atomic_fetch_add(&f->counter, 1) + 1;
            f->made++;
            pthread_mutex_unlock(&f->plock);
            int r = ident_sandbox(name, f->cfg.runid, n, &e);
            if (r == 0)
                r = make_clone(conn, f, name, &e);
            pthread_mutex_lock(&f->plock);
            if (r == 0) {
                memcpy(f->ready[f->nready++], name, sizeof(name));
                if (f->warming)
                    pthread_cond_broadcast(&f->ready_cv);
                else
                    pthread_cond_signal(&f->ready_cv);
            } else {
                if (!f->pool_error)
                    f->pool_error = xstrdup(e.msg);
                wake_all(f);
            }
            isotest_err_release(&e);
            continue;
        }
        if (f->stopping)
            break;
        pthread_cond_wait(dropper ? &f->drop_cv : &f->make_cv, &f->plock);
    }
    pthread_mutex_unlock(&f->plock);
    PQfinish(conn);
    return NULL;
}

static void *maker_thread(void *arg)
{
    return pool_thread(arg, false);
}

static void *dropper_thread(void *arg)
{
    return pool_thread(arg, true);
}

static void pool_start(struct sandbox_factory *f)
{
    pthread_mutex_init(&f->plock, NULL);
    pthread_cond_init(&f->ready_cv, NULL);
    pthread_cond_init(&f->make_cv, NULL);
    pthread_cond_init(&f->drop_cv, NULL);
    /* Cloning is I/O on the server: a few connections keep up. */
    int makers = f->cfg.pool < 4 ? f->cfg.pool : 4;
    int droppers = f->cfg.pool < 2 ? f->cfg.pool : 2;
    /* Each maker may finish one more while cfg.pool - 1 are ready. */
    f->ready = xcalloc((size_t)(f->cfg.pool + makers), sizeof(*f->ready));
    f->threads = xcalloc((size_t)(makers + droppers), sizeof(*f->threads));
    for (int i = 0; i < makers + droppers; i++) {
        if (pthread_create(&f->threads[i], NULL,
                           i < makers ? maker_thread : dropper_thread, f) != 0)
            break;
        f->nthreads = i + 1;
    }
    /* Fewer threads than asked for still work; none would hang. */
    if (f->nthreads == 0)
        f->pool_error = xstrdup("cannot start the sandbox pool's threads");
}

static void pool_stop(struct sandbox_factory *f)
{
    pthread_mutex_lock(&f->plock);
    f->stopping = true;
    wake_all(f);
    pthread_mutex_unlock(&f->plock);
    for (int i = 0; i < f->nthreads; i++)
        pthread_join(f->threads[i], NULL);
    free(f->threads);
    free(f->ready);
    free(f->todrop);
    free(f->pool_error);
    pthread_mutex_destroy(&f->plock);
    pthread_cond_destroy(&f->ready_cv);
    pthread_cond_destroy(&f->make_cv);
    pthread_cond_destroy(&f->drop_cv);
}

static int pool_take(struct sandbox_factory *f, struct sandbox *sb,
                     struct isotest_err *e)
{
    int r = 0;

    /* A waiting maker has nothing it may make: the wait needs no wake. */
    pthread_mutex_lock(&f->plock);
    f->waiters++;
    /*
     * cfg.expected bounds what the pool makes ahead, not what may be
     * asked for: an acquire past it lets a maker make one more.  Counted
     * against the acquires, not the clones made: those may still be on
     * their way (made counts clones started), and each extra one would
     * be a whole clone made and dropped for nothing.
     */
    if (f->taken + (size_t)f->waiters > f->cfg.expected + f->beyond) {
        f->beyond++;
        pthread_cond_signal(&f->make_cv);
    }
    while (!f->nready && !f->pool_error && !f->stopping)
        pthread_cond_wait(&f->ready_cv, &f->plock);
    f->waiters--;
    if (f->nready) {
        memcpy(sb->name, f->ready[--f->nready], sizeof(sb->name));
        f->taken++;
        /* Taking one lets a maker make the next. */
        pthread_cond_signal(&f->make_cv);
    } else {
        r = err_set(e, "%s",
                    f->pool_error ? f->pool_error
                                  : "the sandbox pool has stopped");
    }
    pthread_mutex_unlock(&f->plock);
    return r;
}

static void pool_give_back(struct sandbox_factory *f, const char *name)
{
    pthread_mutex_lock(&f->plock);
    if (f->dhead + f->ndrop == f->dropcap && f->dhead) {
        memmove(f->todrop, f->todrop + f->dhead, f->ndrop * sizeof(*f->todrop));
        f->dhead = 0;
    }
    if (f->ndrop == f->dropcap) {
        f->dropcap = f->dropcap ? 2 * f->dropcap : 16;
        f->todrop = xrealloc(f->todrop, f->dropcap * sizeof(*f->todrop));
    }
    snprintf(f->todrop[f->dhead + f->ndrop++], IDENT_BUFSZ, "%s", name);
    pthread_cond_signal(&f->drop_cv);
    /* Past the backlog the makers drop too (pool_thread). */
    if (f->ndrop > 2 * (size_t)f->cfg.pool)
        pthread_cond_signal(&f->make_cv);
    pthread_mutex_unlock(&f->plock);
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
    } else if (cfg->mode == SANDBOX_SCHEMA) {
        /*
         * Not a clone of the template: its public schema would hold a
         * second copy of every migrated object, visible behind the case's
         * schema (and making calls with untyped literals ambiguous).  Only
         * the template's extensions and database settings come along.
         */
        if (ident_run_object(f->rundb, cfg->runid, "schemas", e) < 0)
            goto fail;
        int r = target_exec_name(maint, "CREATE DATABASE %I TEMPLATE template0",
                                 f->rundb, e);
        if (r < 0) {
            err_prefix(e, "cannot create database '%s'", f->rundb);
            goto fail;
        }
        if (template_carry(cfg->tpl, maint, f->rundb, e) < 0)
            goto fail;
        PGconn *conn = target_connect(cfg->target, f->rundb, e);
        if (!conn)
            goto fail;
        r = template_create_extensions(cfg->tpl, conn, e);
        PQfinish(conn);
        if (r < 0)
            goto fail;
    }
    if (cfg->mode == SANDBOX_DATABASE && cfg->pool > 0)
        pool_start(f);
    return f;
fail:;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    if (f->rundb[0])
        target_drop_database(maint, f->rundb, &ignore);
    isotest_err_release(&ignore);
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
        pool_stop(f);
    if (maint && sandbox_sweep_run(maint, f->cfg.runid, e) < 0)
        r = -1;
    free(f->create_fmt);
    free(f);
    return r;
}

int sandbox_factory_warm(struct sandbox_factory *f, int n,
                         struct isotest_err *e)
{
    int r = 0;

    if (!f->threads)
        return 0;
    size_t want = (size_t)n < f->cfg.expected ? (size_t)n : f->cfg.expected;
    if (want > (size_t)f->cfg.pool)
        want = (size_t)f->cfg.pool;
    pthread_mutex_lock(&f->plock);
    f->warming++;
    while (f->nready < want && !f->pool_error && !f->stopping)
        pthread_cond_wait(&f->ready_cv, &f->plock);
    f->warming--;
    if (f->pool_error)
        r = err_set(e, "%s", f->pool_error);
    pthread_mutex_unlock(&f->plock);
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
    for (int attempt = 1;; attempt++) {
        const char *names[] = {name, name, NULL};
        if (target_exec_ident(w->conn,
                              "CREATE SCHEMA %I; SET search_path TO %I", names,
                              e) < 0)
            return err_prefix(e, "cannot create sandbox schema '%s'", name);
        if (!w->f->cfg.ms || migrate_apply(w->f->cfg.ms, w->conn, e) == 0)
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
        if (pool_take(w->f, sb, e) < 0)
            return -1;
        snprintf(sb->dbname, sizeof(sb->dbname), "%s", sb->name);
        sb->acquire_ms = now_ms() - start;
        return 0;
    }
    unsigned n = atomic_fetch_add(&w->f->counter, 1) + 1;
    if (ident_sandbox(sb->name, f->cfg.runid, n, e) < 0)
        return -1;
    if (f->cfg.mode == SANDBOX_DATABASE) {
        if (make_clone(w->conn, f, sb->name, e) < 0)
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
            pool_give_back(w->f, sb->name);
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
