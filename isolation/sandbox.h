/*
 * sandbox: what a worker gets for one test case, and gives back.
 *
 * Call sequence:
 *   sandbox_factory_new()   once per run, after the template exists; in
 *                           schema mode it finds or builds the schema
 *                           cache (schema_cache.h: migrations that cannot
 *                           be replayed in a schema fail the run here,
 *                           once) and clones the run's first database
 *                           from it; in none mode the one shared database
 *   sandbox_worker_new()    a worker: the connection acquire and release
 *                           use (none with a pool, whose threads have their
 *                           own); the session (session.c) keeps idle
 *                           workers and lends one to each call, from any
 *                           thread
 *   sandbox_acquire() / sandbox_release()   per sandbox
 *   sandbox_worker_free()
 *   sandbox_factory_free()  drops the run's databases and anything else
 *                           carrying this run's id (a sweep, so a sandbox
 *                           whose release failed does not outlive the run)
 *
 * Pool: in database mode with cfg.pool > 0, background threads keep that
 * many clones ready and drop released ones, so acquire is a wait for a
 * ready clone (usually none) and release only queues the drop.  Schema
 * mode always has one: a thread renames cached schemas ahead (at least
 * 4), and release only counts the schema as done (sandbox_int.h).
 *
 * Modes: database (CREATE DATABASE ... TEMPLATE, STRATEGY FILE_COPY: the
 * faster on PostgreSQL 15, measured by `make bench`), schema (a schema
 * with the migrations applied, made rerunnable by extscan.h, with the
 * search_path the case gets: the schema, then public; migrated ahead in a
 * cache database made from template0 plus the template's extensions and
 * settings, cloned per run, and renamed for its case), none
 * (every case shares one database).
 *
 * The factory is thread-safe; a worker belongs to one thread at a time.
 */
#ifndef ISOTEST_SANDBOX_H
#define ISOTEST_SANDBOX_H

#include <stdbool.h>

#include "common/err.h"
#include "ident.h"
#include "migrate.h"
#include "target.h"
#include "template.h"

enum sandbox_mode { SANDBOX_DATABASE, SANDBOX_SCHEMA, SANDBOX_NONE };

/* "database", "schema", "none"; -1 for anything else. */
int sandbox_mode_parse(const char *s, enum sandbox_mode *out);
const char *sandbox_mode_name(enum sandbox_mode m);

struct sandbox {
    char name[IDENT_BUFSZ];   /* the database, or the schema in schema mode */
    char dbname[IDENT_BUFSZ]; /* the database to connect to */
    char schema[IDENT_BUFSZ]; /* "" unless schema mode */
    double acquire_ms;
    double release_ms;
};

struct sandbox_factory;
struct sandbox_worker;

struct sandbox_config {
    enum sandbox_mode mode;
    const struct target *target;
    const struct template *tpl;
    const struct migrate_set *ms; /* schema mode applies it per case */
    const char *runid;
    const char *strategy; /* NULL: FILE_COPY where the server has it */
    int pool;             /* database mode: clones kept ready (0: none) */
    size_t expected;      /* how many sandboxes the run will ask for */
    /*
     * Told how long each sandbox took to make, from any thread (pool
     * threads, workers): database mode, a clone (CREATE DATABASE ...
     * TEMPLATE and the settings carried over) by the pool or on acquire;
     * schema mode, a schema's connection, creation and migrations.  Only
     * sandboxes made whole are told.  May be NULL.
     */
    void (*timed)(void *arg, double ms);
    void *timed_arg;
};

struct sandbox_factory *sandbox_factory_new(const struct sandbox_config *cfg,
                                            PGconn *maint,
                                            struct isotest_err *e);
int sandbox_factory_free(struct sandbox_factory *f, PGconn *maint,
                         struct isotest_err *e);

/*
 * Whether sandbox_factory_new() built something later runs reuse (schema
 * mode's cache of migrated schemas): an embedded server is then worth
 * saving.
 */
bool sandbox_factory_built(const struct sandbox_factory *f);

/*
 * With a pool: wait until `n` clones (at most the expected number) are
 * ready, so the first cases do not wait for theirs.  No-op without one.
 */
int sandbox_factory_warm(struct sandbox_factory *f, int n,
                         struct isotest_err *e);

struct sandbox_worker *sandbox_worker_new(struct sandbox_factory *f,
                                          struct isotest_err *e);
void sandbox_worker_free(struct sandbox_worker *w);

int sandbox_acquire(struct sandbox_worker *w, struct sandbox *sb,
                    struct isotest_err *e);
/*
 * Drop the sandbox.  With `disconnect`, first end every session still
 * connected to it (a case that was killed may leave one behind).
 */
int sandbox_release(struct sandbox_worker *w, struct sandbox *sb,
                    bool disconnect, struct isotest_err *e);

/*
 * Keep the sandbox for debugging instead of releasing it: it is marked
 * (reclaim_mark_kept) so that the sweep leaves it and a later cleanup drops
 * it once old enough.  In schema mode the run's database is kept, holding
 * the schema.
 */
int sandbox_keep(struct sandbox_worker *w, struct sandbox *sb,
                 struct isotest_err *e);

/*
 * Drop every database of the run `runid` (its sandboxes, its schema or
 * shared database, a template it was building), except the ones kept
 * on purpose.  Returns the count.
 */
int sandbox_sweep_run(PGconn *maint, const char *runid, struct isotest_err *e);

#endif
