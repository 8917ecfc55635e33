/*
 * sandbox_pool.c: the clone pool of database mode (sandbox_int.h): the
 * threads that make clones ahead and drop released ones, and the take and
 * give-back a worker's acquire and release come down to; then schema
 * mode's pool: its one thread, and what a release tells it.
 */
#include "common/clock.h"
#include "common/strbuf.h"
#include "sandbox_int.h"
#include "schema_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An error or the stop: every waiting thread must look. */
static void wake_all(struct sandbox_factory *f)
{
    pthread_cond_broadcast(&f->ready_cv);
    pthread_cond_broadcast(&f->make_cv);
    pthread_cond_broadcast(&f->drop_cv);
}

/* Under plock: a sandbox made (r == 0) and ready, or the pool's error. */
static void made_one(struct sandbox_factory *f, int r, const char *name,
                     size_t db, struct isotest_err *e)
{
    if (r == 0) {
        if (f->ready_db)
            f->ready_db[f->nready] = db;
        snprintf(f->ready[f->nready++], IDENT_BUFSZ, "%s", name);
        if (f->warming)
            pthread_cond_broadcast(&f->ready_cv);
        else
            pthread_cond_signal(&f->ready_cv);
    } else {
        if (!f->pool_error)
            f->pool_error = xstrdup(e->msg);
        wake_all(f);
    }
    isotest_err_release(e);
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
                r = sandbox_make_clone(conn, f, name, &e);
            pthread_mutex_lock(&f->plock);
            made_one(f, r, name, 0, &e);
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

static void *schema_thread(void *arg);

/* Schema mode keeps at least this many ready: a rename is cheap. */
#define SCHEMA_POOL_MIN 4

void sandbox_pool_start(struct sandbox_factory *f)
{
    pthread_mutex_init(&f->plock, NULL);
    pthread_cond_init(&f->ready_cv, NULL);
    pthread_cond_init(&f->make_cv, NULL);
    pthread_cond_init(&f->drop_cv, NULL);
    if (f->cfg.mode == SANDBOX_SCHEMA) {
        if (f->cfg.pool < SCHEMA_POOL_MIN)
            f->cfg.pool = SCHEMA_POOL_MIN;
        f->ready = xcalloc((size_t)f->cfg.pool + 1, sizeof(*f->ready));
        f->ready_db = xcalloc((size_t)f->cfg.pool + 1, sizeof(*f->ready_db));
        f->threads = xcalloc(1, sizeof(*f->threads));
        if (pthread_create(&f->threads[0], NULL, schema_thread, f) == 0)
            f->nthreads = 1;
        else
            f->pool_error = xstrdup("cannot start the schema pool's thread");
        return;
    }
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

void sandbox_pool_stop(struct sandbox_factory *f)
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
    free(f->ready_db);
    free(f->dbs);
    free(f->pool_error);
    pthread_mutex_destroy(&f->plock);
    pthread_cond_destroy(&f->ready_cv);
    pthread_cond_destroy(&f->make_cv);
    pthread_cond_destroy(&f->drop_cv);
}

int sandbox_pool_take(struct sandbox_factory *f, struct sandbox *sb,
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
        if (f->ready_db) {
            snprintf(sb->dbname, sizeof(sb->dbname), "%s",
                     f->dbs[f->ready_db[f->nready]].name);
            snprintf(sb->schema, sizeof(sb->schema), "%s", sb->name);
        } else {
            snprintf(sb->dbname, sizeof(sb->dbname), "%s", sb->name);
        }
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

void sandbox_pool_give_back(struct sandbox_factory *f, const char *name)
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

/* ---- schema mode ------------------------------------------------------ */

/* Before the thread starts, or under plock. */
static void add_db(struct sandbox_factory *f, const char *name)
{
    if (f->ndbs == f->dbcap) {
        f->dbcap = f->dbcap ? 2 * f->dbcap : 4;
        f->dbs = xrealloc(f->dbs, f->dbcap * sizeof(*f->dbs));
    }
    memset(&f->dbs[f->ndbs], 0, sizeof(*f->dbs));
    snprintf(f->dbs[f->ndbs++].name, IDENT_BUFSZ, "%s", name);
}

/* The n-th run database (from 1): isotest_<runid>_schemas, _schemas2 ... */
static int db_name(name_t out, const struct sandbox_factory *f, size_t n,
                   struct isotest_err *e)
{
    char suffix[32];

    if (n == 1)
        snprintf(suffix, sizeof(suffix), "schemas");
    else
        snprintf(suffix, sizeof(suffix), "schemas%zu", n);
    return ident_run_object(out, f->cfg.runid, suffix, e);
}

int sandbox_pool_first_db(struct sandbox_factory *f, PGconn *maint,
                          struct isotest_err *e)
{
    if (db_name(f->rundb, f, 1, e) < 0 ||
        schema_cache_clone(maint, f->cfg.tpl, f->cache, f->rundb, e) < 0) {
        f->rundb[0] = '\0';
        return -1;
    }
    add_db(f, f->rundb);
    return 0;
}

/* Under plock: a database whose schemas are all released, or ndbs. */
static size_t droppable(const struct sandbox_factory *f)
{
    for (size_t i = 0; i < f->ndbs; i++) {
        const struct schema_db *d = &f->dbs[i];
        if (d->released == SCHEMA_CACHE_SIZE && !d->kept && !d->dropped)
            return i;
    }
    return f->ndbs;
}

/*
 * The schema pool's thread: keeps cfg.pool schemas renamed and ready,
 * clones the next run database when the last is used up, and drops a
 * database once all its schemas are released.  Called with plock held;
 * returns with it held.  `conn` is a session in dbs[*conn_db] (renames
 * go there), `maint` one in the maintenance database.
 */
static void schema_loop(struct sandbox_factory *f, PGconn *maint, PGconn **conn,
                        size_t *conn_db)
{
    const struct target *t = f->cfg.target;
    struct isotest_err e = ISOTEST_ERR_INIT;

    while (!f->stopping) {
        bool want_make = f->nready < (size_t)f->cfg.pool &&
                         f->made < f->cfg.expected + f->beyond &&
                         !f->pool_error;
        size_t drop = droppable(f);
        name_t name, db;
        if (drop < f->ndbs && !(want_make && f->waiters)) {
            f->dbs[drop].dropped = true;
            memcpy(db, f->dbs[drop].name, sizeof(db));
            pthread_mutex_unlock(&f->plock);
            if (*conn && *conn_db == drop) {
                PQfinish(*conn);
                *conn = NULL;
            }
            target_drop_database(maint, db, &e); /* the sweep retries */
            isotest_err_release(&e);
            pthread_mutex_lock(&f->plock);
            continue;
        }
        if (!want_make) {
            pthread_cond_wait(&f->make_cv, &f->plock);
            continue;
        }
        size_t last = f->ndbs - 1;
        if (f->dbs[last].handed == SCHEMA_CACHE_SIZE) {
            size_t n = f->ndbs + 1;
            pthread_mutex_unlock(&f->plock);
            int r = db_name(db, f, n, &e);
            if (r == 0)
                r = schema_cache_clone(maint, f->cfg.tpl, f->cache, db, &e);
            pthread_mutex_lock(&f->plock);
            if (r == 0)
                add_db(f, db);
            else
                made_one(f, r, NULL, 0, &e);
            continue;
        }
        unsigned i = ++f->dbs[last].handed;
        unsigned n = atomic_fetch_add(&f->counter, 1) + 1;
        f->made++;
        memcpy(db, f->dbs[last].name, sizeof(db));
        pthread_mutex_unlock(&f->plock);
        double start = now_ms();
        if (*conn && *conn_db != last) {
            PQfinish(*conn);
            *conn = NULL;
        }
        if (!*conn) {
            *conn = target_connect(t, db, &e);
            *conn_db = last;
        }
        char prep[IDENT_BUFSZ];
        schema_cache_prep_name(prep, i);
        const char *names[] = {prep, name, NULL};
        int r = *conn ? ident_sandbox(name, f->cfg.runid, n, &e) : -1;
        if (r == 0)
            r = target_exec_ident(*conn, "ALTER SCHEMA %I RENAME TO %I", names,
                                  &e);
        if (r == 0 && f->cfg.timed)
            f->cfg.timed(f->cfg.timed_arg, now_ms() - start);
        pthread_mutex_lock(&f->plock);
        made_one(f, r, name, last, &e);
    }
}

static void *schema_thread(void *arg)
{
    struct sandbox_factory *f = arg;
    struct isotest_err e = ISOTEST_ERR_INIT;
    PGconn *maint = target_connect(f->cfg.target, f->cfg.target->maint_db, &e);
    PGconn *conn = NULL;
    size_t conn_db = 0;

    pthread_mutex_lock(&f->plock);
    if (maint)
        schema_loop(f, maint, &conn, &conn_db);
    else
        made_one(f, -1, NULL, 0, &e);
    pthread_mutex_unlock(&f->plock);
    if (conn)
        PQfinish(conn);
    if (maint)
        PQfinish(maint);
    return NULL;
}

void sandbox_pool_schema_done(struct sandbox_factory *f, const char *dbname,
                              bool kept)
{
    pthread_mutex_lock(&f->plock);
    for (size_t i = 0; i < f->ndbs; i++) {
        struct schema_db *d = &f->dbs[i];
        if (strcmp(d->name, dbname))
            continue;
        if (kept)
            d->kept = true;
        else if (++d->released == SCHEMA_CACHE_SIZE)
            pthread_cond_signal(&f->make_cv);
        break;
    }
    pthread_mutex_unlock(&f->plock);
}
