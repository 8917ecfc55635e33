/*
 * session.c: the public API of libisotest (include/isotest.h) over the
 * internal modules: server choice (target, cluster), the run lock and
 * reclaim, the template, and the sandbox factory.
 *
 * Layout: the session's open and close, then sandboxes.  The lone server
 * (for bench) and cleaning are in server.c.
 */
#include "cluster.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "handle.h"
#include "ident.h"
#include "isotest.h"
#include "migrate.h"
#include "reclaim.h"
#include "sandbox.h"
#include "target.h"
#include "template.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Templates kept by a session's close (isotest_clean() is told). */
#define KEEP_TEMPLATES 3

/*
 * Sandbox making times (isotest_session_stats()) in a histogram of fixed
 * size: bucket i holds times in [LO * RATIO^i, LO * RATIO^(i+1)), so a
 * percentile read from it is within 1% however many there are (a run of
 * a million cases costs no more memory than one of ten), and recording
 * is a few atomic adds from any thread, pool threads included.  The top
 * bucket takes everything from ~2 hours up.
 */
#define CLONE_BUCKETS 2048
#define CLONE_LO_MS 0.01
#define CLONE_RATIO 1.01

struct clone_times {
    atomic_uint bucket[CLONE_BUCKETS];
    atomic_ullong total_us, max_us;
};

/*
 * Everything but `lock` and what it guards is written by open and read
 * only afterwards, until close.  `lock` guards idle, nidle and idlecap;
 * it is never held while talking to the server.
 */
struct isotest_session {
    struct isotest_session_info info;
    enum isotest_isolation mode;
    struct cluster *cluster; /* NULL when the user named a server */
    struct target target;
    PGconn *maint; /* open, drain and close only (one thread) */
    char runid[IDENT_RUNID_LEN + 1];
    struct migrate_set ms;
    bool have_ms;
    struct template tpl;
    bool built_cache; /* sandbox_factory_built(): save the embedded server */
    struct sandbox_factory *factory; /* NULL once drained */
    char *reclaimed;
    char *server_options;      /* info.server_options, joined */
    struct clone_times clones; /* atomics: any thread, no lock */

    pthread_mutex_t lock;
    struct sandbox_worker **idle; /* workers between two calls */
    size_t nidle, idlecap;
};

int isotest_isolation_parse(const char *s, enum isotest_isolation *out)
{
    enum sandbox_mode m;

    if (sandbox_mode_parse(s, &m) < 0)
        return -1;
    *out = m == SANDBOX_DATABASE ? ISOTEST_DATABASE
           : m == SANDBOX_SCHEMA ? ISOTEST_SCHEMA
                                 : ISOTEST_NONE;
    return 0;
}

static enum sandbox_mode to_mode(enum isotest_isolation m)
{
    return m == ISOTEST_SCHEMA ? SANDBOX_SCHEMA
           : m == ISOTEST_NONE ? SANDBOX_NONE
                               : SANDBOX_DATABASE;
}

const char *isotest_isolation_name(enum isotest_isolation m)
{
    return sandbox_mode_name(to_mode(m));
}

/* The open's progress callback (isotest_options.progress), if any. */
static void say(const struct isotest_options *o, const char *what)
{
    if (o->progress)
        o->progress(o->progress_arg, what);
}

/*
 * The server: the one db names, else the PG* environment's, else a new
 * embedded one (after reclaiming the folders of dead runs' servers).
 * Connects to its maintenance database and checks it can be used.
 */
static int open_server(struct isotest_session *s,
                       const struct isotest_options *o, struct isotest_err *e)
{
    const char *db = o->db;

    if (o->n_server_options && (db || isotest_env_names_server())) {
        err_set(e,
                "server option '%s' applies only to the embedded server, "
                "and this session uses a server isotest did not start (%s)",
                o->server_options[0],
                db ? "given by the URL" : "named by the PG* variables");
        return err_hint(e, "set it on that server (ALTER SYSTEM, "
                           "postgresql.conf), or leave the server to isotest");
    }
    if (!db && !isotest_env_names_server()) {
        struct cluster_options co = {.no_cache = o->no_cache,
                                     .bindir = o->pg_bindir,
                                     .settings = o->server_options,
                                     .n_settings = o->n_server_options};
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        say(o, "starting the embedded server");
        cluster_reclaim(&co, &ignore);
        isotest_err_release(&ignore);
        s->cluster = cluster_start(&co, e);
        if (!s->cluster)
            return err_prefix(e, "cannot start the embedded PostgreSQL "
                                 "server");
        db = cluster_conninfo(s->cluster);
    }
    if (target_init(&s->target, db, e) < 0)
        return -1;
    s->maint = target_connect_maint(&s->target, e);
    if (!s->maint)
        return -1;
    if (PQserverVersion(s->maint) < 130000)
        return err_set(e,
                       "server version %s is too old: isotest needs "
                       "PostgreSQL 13 or later (DROP DATABASE ... WITH "
                       "(FORCE))",
                       s->target.server_version_str);
    return target_check_createdb(&s->target, s->maint, e);
}

/* Drop what dead runs left on a server the user named. */
static int reclaim_at_open(struct isotest_session *s, struct isotest_err *e)
{
    struct strbuf log = STRBUF_INIT;
    struct reclaim_stats st;

    if (reclaim_dead(s->maint, false, 86400, &log, &st, e) < 0) {
        strbuf_release(&log);
        return -1;
    }
    s->reclaimed = strbuf_detach(&log, NULL);
    return 0;
}

static int build_template(struct isotest_session *s,
                          const struct isotest_options *o,
                          struct isotest_err *e)
{
    double start = now_ms();

    if (o->migrations) {
        if (migrate_load(&s->ms, o->migrations, e) < 0)
            return -1;
        s->have_ms = true;
    }
    struct template_spec spec = {.ms = s->have_ms ? &s->ms : NULL,
                                 .extensions = o->extensions,
                                 .n_ext = o->n_extensions,
                                 .runid = s->runid,
                                 .progress = o->progress,
                                 .progress_arg = o->progress_arg,
                                 .suite = o->suite,
                                 .cancelled = o->cancelled,
                                 .cancel_arg = o->cancel_arg};
    if (template_ensure(&s->target, s->maint, &spec, &s->tpl, e) < 0)
        return -1;
    s->info.template_ms = now_ms() - start;
    s->info.templates_retired = s->tpl.retired;
    return 0;
}

static int check_cancel(const struct isotest_options *o, const char *when,
                        struct isotest_err *e)
{
    if (o->cancelled && o->cancelled(o->cancel_arg))
        return err_set(e, "interrupted %s", when);
    return 0;
}

static void clone_times_init(struct clone_times *t)
{
    for (size_t i = 0; i < CLONE_BUCKETS; i++)
        atomic_init(&t->bucket[i], 0);
    atomic_init(&t->total_us, 0);
    atomic_init(&t->max_us, 0);
}

/* sandbox_config.timed: from pool threads and workers alike. */
static void clone_timed(void *arg, double ms)
{
    struct clone_times *t = arg;
    size_t i = 0;

    if (ms > CLONE_LO_MS) {
        double b = log(ms / CLONE_LO_MS) / log(CLONE_RATIO);
        i = b < CLONE_BUCKETS - 1 ? (size_t)b : CLONE_BUCKETS - 1;
    }
    unsigned long long us = ms > 0 ? (unsigned long long)(ms * 1000.0) : 0;
    unsigned long long max = atomic_load(&t->max_us);
    while (us > max && !atomic_compare_exchange_weak(&t->max_us, &max, us))
        ;
    atomic_fetch_add(&t->total_us, us);
    /* Last: a reader that counts this time finds it in max and total. */
    atomic_fetch_add(&t->bucket[i], 1);
}

/* The q-quantile of n times counted in c, no more than max_ms. */
static double clone_quantile(const unsigned *c, uint64_t n, double q,
                             double max_ms)
{
    uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;

    if (rank < 1)
        rank = 1;
    for (size_t i = 0; i < CLONE_BUCKETS; i++) {
        seen += c[i];
        if (seen >= rank) {
            /* The bucket's geometric middle: within 0.5% of any time in it. */
            double v = CLONE_LO_MS * pow(CLONE_RATIO, (double)i + 0.5);
            return v < max_ms ? v : max_ms;
        }
    }
    return max_ms;
}

void isotest_session_stats(const struct isotest_session *s,
                           struct isotest_session_stats *st)
{
    const struct clone_times *t = &s->clones;
    unsigned c[CLONE_BUCKETS];
    uint64_t n = 0;

    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < CLONE_BUCKETS; i++) {
        c[i] = atomic_load(&t->bucket[i]);
        n += c[i];
    }
    if (n) {
        st->clones = (size_t)n;
        st->clone_max_ms = (double)atomic_load(&t->max_us) / 1000.0;
        st->clone_total_ms = (double)atomic_load(&t->total_us) / 1000.0;
        st->clone_p50_ms = clone_quantile(c, n, 0.50, st->clone_max_ms);
        st->clone_p95_ms = clone_quantile(c, n, 0.95, st->clone_max_ms);
    }
}

static int start_factory(struct isotest_session *s,
                         const struct isotest_options *o, struct isotest_err *e)
{
    int pool = o->pool;

    if (pool < 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        pool = n > 0 ? (int)n : 1;
    }
    struct sandbox_config sc = {.mode = to_mode(o->isolation),
                                .target = &s->target,
                                .tpl = &s->tpl,
                                .ms = s->have_ms ? &s->ms : NULL,
                                .runid = s->runid,
                                .strategy = o->clone_strategy,
                                .pool = pool,
                                .expected =
                                    o->expected ? o->expected : (size_t)-1,
                                .timed = clone_timed,
                                .timed_arg = &s->clones};
    s->factory = sandbox_factory_new(&sc, s->maint, e);
    if (s->factory)
        s->built_cache = sandbox_factory_built(s->factory);
    return s->factory ? 0 : -1;
}

static void fill_info(struct isotest_session *s)
{
    struct isotest_session_info *i = &s->info;

    i->runid = s->runid;
    i->isolation = isotest_isolation_name(s->mode);
    i->host = s->target.host;
    i->port = s->target.port;
    i->user = s->target.user;
    i->maint_db = s->target.maint_db;
    i->url_db = s->target.url_db;
    i->server_version = s->target.server_version_str;
    i->server_version_num = s->target.server_version;
    i->embedded = s->cluster != NULL;
    i->embedded_from_cache = s->cluster && cluster_from_cache(s->cluster);
    i->socket_dir = s->cluster ? cluster_sockdir(s->cluster) : NULL;
    i->pg_bindir = s->cluster ? cluster_bindir(s->cluster) : NULL;
    i->server_options = s->server_options ? s->server_options : "";
    i->template_name = s->tpl.name;
    i->template_hash = s->tpl.hash;
    i->template_reused = s->tpl.reused;
    i->reclaimed = s->reclaimed ? s->reclaimed : "";
}

struct isotest_session *isotest_session_open(const struct isotest_options *o,
                                             struct isotest_err *e)
{
    struct isotest_session *s = xcalloc(1, sizeof(*s));
    double start = now_ms();

    pthread_mutex_init(&s->lock, NULL);
    clone_times_init(&s->clones);
    s->mode = o->isolation;
    if (open_server(s, o, e) < 0)
        goto fail;
    if (o->n_server_options) {
        struct strbuf sb = STRBUF_INIT;
        for (size_t i = 0; i < o->n_server_options; i++)
            strbuf_addf(&sb, "%s%s", i ? " " : "", o->server_options[i]);
        s->server_options = strbuf_detach(&sb, NULL);
    }
    if (ident_runid_new(s->runid, e) < 0 ||
        reclaim_lock_run(s->maint, s->runid, e) < 0)
        goto fail;
    s->info.server_ms = now_ms() - start;
    if (check_cancel(o, "after reaching the server", e) < 0 ||
        (!s->cluster && !o->no_reclaim &&
         (say(o, "reclaiming what dead runs left"), reclaim_at_open(s, e) < 0)))
        goto fail;
    if (build_template(s, o, e) < 0 ||
        check_cancel(o, "after the template was ready", e) < 0 ||
        (say(o, "starting the clone pool"), start_factory(s, o, e) < 0))
        goto fail;
    fill_info(s);
    say(o, NULL);
    return s;
fail:
    say(o, NULL);
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    isotest_session_close(s, ISOTEST_CLOSE_ABORT, &ignore);
    isotest_err_release(&ignore);
    return NULL;
}

const struct isotest_session_info *
isotest_session_info(const struct isotest_session *s)
{
    return &s->info;
}

const char *isotest_session_db_setting(const struct isotest_session *s,
                                       const char *name)
{
    return template_setting(&s->tpl, name);
}

int isotest_session_warm(struct isotest_session *s, int n,
                         struct isotest_err *e)
{
    if (!s->factory)
        return err_set(e, "the session has been drained");
    return sandbox_factory_warm(s->factory, n, e);
}

int isotest_session_drain(struct isotest_session *s, struct isotest_err *e)
{
    int r = 0;

    if (s->factory) {
        r = sandbox_factory_free(s->factory, s->maint, e);
        s->factory = NULL;
    } else if (s->maint && s->runid[0]) {
        /* A failed open: drop what it made (a half-built template). */
        r = sandbox_sweep_run(s->maint, s->runid, e) < 0 ? -1 : 0;
    }
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nidle; i++)
        sandbox_worker_free(s->idle[i]);
    s->nidle = 0;
    pthread_mutex_unlock(&s->lock);
    return r;
}

/*
 * An embedded server is saved to the cache when it gained something: a
 * new template (or schema mode's cache of one), fewer old ones, or it was not
 * from the cache at all; never with ISOTEST_CLOSE_DISCARD (what its cases did
 * to it must not last).
 */
static bool close_embedded(struct isotest_session *s, unsigned flags)
{
    bool save = false;

    if (!(flags & ISOTEST_CLOSE_ABORT) && s->maint) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        int pruned = template_prune(s->maint, s->tpl.name, KEEP_TEMPLATES,
                                    false, NULL, &ignore);
        isotest_err_release(&ignore);
        save = !s->tpl.reused || s->built_cache || pruned > 0 ||
               !cluster_from_cache(s->cluster);
    }
    return save &&
           !(flags & (ISOTEST_CLOSE_KEEP_SERVER | ISOTEST_CLOSE_DISCARD));
}

int isotest_session_close(struct isotest_session *s, unsigned flags,
                          struct isotest_err *e)
{
    int r = 0;

    if (!s)
        return 0;
    r = isotest_session_drain(s, e);
    bool save = s->cluster ? close_embedded(s, flags) : false;
    if (s->maint)
        PQfinish(s->maint); /* ends the session: the run lock goes too */
    target_release(&s->target);
    if (s->cluster && (flags & ISOTEST_CLOSE_KEEP_SERVER)) {
        cluster_detach(s->cluster);
    } else if (s->cluster) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        cluster_stop(s->cluster, save, &ignore);
        isotest_err_release(&ignore);
    }
    template_release(&s->tpl);
    if (s->have_ms)
        migrate_release(&s->ms);
    free(s->idle);
    free(s->reclaimed);
    free(s->server_options);
    pthread_mutex_destroy(&s->lock);
    free(s);
    return r;
}

/* Drop the session's databases over a connection of its own. */
static void abort_remote(const struct target *t, const char *runid)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    PGconn *conn = target_connect(t, t->maint_db, &ignore);

    if (conn) {
        sandbox_sweep_run(conn, runid, &ignore);
        PQfinish(conn);
    }
    isotest_err_release(&ignore);
}

void isotest_session_abort(struct isotest_session *s)
{
    if (!s)
        return;
    if (s->cluster)
        cluster_abort(s->cluster);
    else if (s->target.maint_db && s->runid[0])
        abort_remote(&s->target, s->runid);
}

size_t isotest_redact_slack(const struct isotest_session *s)
{
    return target_secret_len(&s->target);
}

char *isotest_redact(const struct isotest_session *s, const char *data,
                     size_t len, size_t *outlen)
{
    size_t n;
    char *r = target_redact_bytes(&s->target, data, len, &n);

    if (outlen)
        *outlen = n;
    return r;
}

size_t isotest_redact_tail(const struct isotest_session *s, const char *data,
                           size_t len)
{
    return target_partial_tail(&s->target, data, len);
}

/* A worker (and its connection) for one call; NULL with e set. */
static struct sandbox_worker *take_worker(struct isotest_session *s,
                                          struct isotest_err *e)
{
    struct sandbox_worker *w = NULL;

    pthread_mutex_lock(&s->lock);
    if (s->nidle)
        w = s->idle[--s->nidle];
    pthread_mutex_unlock(&s->lock);
    if (w)
        return w;
    if (!s->factory) {
        err_set(e, "the session has been drained");
        return NULL;
    }
    return sandbox_worker_new(s->factory, e);
}

static void put_worker(struct isotest_session *s, struct sandbox_worker *w)
{
    pthread_mutex_lock(&s->lock);
    if (s->nidle == s->idlecap) {
        s->idlecap = s->idlecap ? 2 * s->idlecap : 8;
        s->idle = xrealloc(s->idle, s->idlecap * sizeof(*s->idle));
    }
    s->idle[s->nidle++] = w;
    pthread_mutex_unlock(&s->lock);
}

struct isotest_sandbox *session_sandbox_acquire(struct isotest_session *s,
                                                struct isotest_err *e)
{
    struct sandbox_worker *w = take_worker(s, e);

    if (!w)
        return NULL;
    struct isotest_sandbox *x = xcalloc(1, sizeof(*x));
    x->s = s;
    int r = sandbox_acquire(w, &x->sb, e);
    put_worker(s, w);
    if (r < 0) {
        free(x);
        return NULL;
    }
    const struct target *t = &s->target;
    handle_describe(x, t->host, t->port, t->user, t->password);
    return x;
}

int session_sandbox_release(struct isotest_sandbox *x, unsigned flags,
                            struct isotest_err *e)
{
    struct sandbox_worker *w = take_worker(x->s, e);
    int r = -1;

    if (w) {
        r = sandbox_release(w, &x->sb, flags & ISOTEST_RELEASE_DISCONNECT, e);
        put_worker(x->s, w);
    }
    return r;
}

int session_sandbox_keep(struct isotest_sandbox *x, struct isotest_err *e)
{
    struct sandbox_worker *w = take_worker(x->s, e);
    int r = -1;

    if (w) {
        r = sandbox_keep(w, &x->sb, e);
        put_worker(x->s, w);
    }
    return r;
}

int isotest_session_ping(const struct isotest_session *s, struct isotest_err *e)
{
    PGconn *conn = target_connect(&s->target, s->target.maint_db, e);

    if (!conn)
        return err_prefix(e, "lost the server");
    PQfinish(conn);
    return 0;
}

char *isotest_session_conninfo(const struct isotest_session *s,
                               const char *dbname)
{
    const struct target *t = &s->target;

    return handle_conninfo(t->host, t->port, t->user, t->password, dbname);
}
