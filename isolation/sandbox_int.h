/*
 * sandbox_int.h: what sandbox.c and sandbox_pool.c share; no other file
 * includes it (sandbox.h is the module's interface).
 */
#ifndef ISOTEST_SANDBOX_INT_H
#define ISOTEST_SANDBOX_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "sandbox.h"

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
    /* Schema mode: the migrations as replayed per case (extscan.h). */
    struct migrate_set rerun;
    bool have_rerun;
    char cache[IDENT_BUFSZ]; /* schema mode: schema_cache.h's database */
    bool built_cache;        /* ... built by sandbox_factory_new() */
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
    /*
     * Schema mode (sandbox_schemas.c): the run databases, clones of the
     * schema cache, oldest first; ready[i]'s is dbs[ready_db[i]].  The
     * schemas of the last one are handed out (renamed) in order.
     */
    struct schema_db *dbs;
    size_t ndbs, dbcap;
    size_t *ready_db;
};

/* A run database of schema mode; its fields are guarded by plock. */
struct schema_db {
    name_t name;
    unsigned handed;   /* schemas renamed for a sandbox */
    unsigned released; /* ... and released since */
    bool kept;         /* sandbox_keep() kept one: never dropped by the run */
    bool dropped;
};

struct sandbox_worker {
    struct sandbox_factory *f;
    PGconn *conn; /* maintenance db, or the run db in schema mode */
};

/* A sandbox's clone, its time told to cfg.timed (sandbox.c). */
int sandbox_make_clone(PGconn *conn, const struct sandbox_factory *f,
                       const char *name, struct isotest_err *e);

/*
 * The pool (sandbox_pool.c): start its threads, stop them (dropping what
 * is ready or released), take a ready clone (waiting for one), give a
 * released one back to be dropped.
 */
void sandbox_pool_start(struct sandbox_factory *f);
void sandbox_pool_stop(struct sandbox_factory *f);
int sandbox_pool_take(struct sandbox_factory *f, struct sandbox *sb,
                      struct isotest_err *e);
void sandbox_pool_give_back(struct sandbox_factory *f, const char *name);

/*
 * Schema mode's pool (sandbox_pool.c): one thread hands out the schemas
 * of run databases cloned from the schema cache (schema_cache.h),
 * cloning the next when one is used up.  sandbox_pool_first_db(): the
 * run's first database, made by sandbox_factory_new() (before
 * sandbox_pool_start()) so that a failure fails the run there.
 * sandbox_pool_schema_done(): a sandbox released or kept (kept: its
 * database stays).  A database all of whose schemas are released is
 * dropped whole by the pool thread: no schema is ever dropped while a
 * case runs beside it (pgTAP's catalog functions would fail with "could
 * not open relation with OID").
 */
int sandbox_pool_first_db(struct sandbox_factory *f, PGconn *maint,
                          struct isotest_err *e);
void sandbox_pool_schema_done(struct sandbox_factory *f, const char *dbname,
                              bool kept);

#endif
