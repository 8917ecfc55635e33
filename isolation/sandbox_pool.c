/*
 * sandbox_pool.c: the clone pool of database mode (sandbox_int.h): the
 * threads that make clones ahead and drop released ones, and the take and
 * give-back a worker's acquire and release come down to.
 */
#include "common/strbuf.h"
#include "sandbox_int.h"

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

void sandbox_pool_start(struct sandbox_factory *f)
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
