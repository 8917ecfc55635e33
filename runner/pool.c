/*
 * pool.c: worker threads, the shared queue and progress; a case's tries
 * (run_one: run_try, and again while retry_wanted).
 */
#include "pool.h"
#include "common/clock.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "pgtap_run.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* pgTAP functions run in one statement (--pgtap-batch), at most. */
#define PGTAP_CHUNK 16

/*
 * Lock order: only `lock`; the console is called with it held.
 * `lock` guards next, running, finished, failures, first_start_ms,
 * the `busy` slots and the console.  stop and the pid slots are atomics, read
 * without the lock (the signal thread reads them).
 */
struct pool {
    struct pool_config cfg;
    struct test_result *results;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next;
    size_t running;
    int finished_workers;
    size_t failures;
    double first_start_ms;
    atomic_int stop;
    atomic_int *pids;  /* one per worker: its running child, or 0 */
    struct busy *busy; /* under lock: one per worker, what it runs */
    char *lost;        /* under lock: why the server is gone, or NULL */
};

/*
 * A worker's own: with --pgtap-batch, the sandbox its last pgTAP function
 * left fit for the next one, and the connection to it.
 */
struct worker_arg {
    struct pool *p;
    int index;
    struct pgtap_conn *pc;
    struct isotest_sandbox *held; /* NULL, or kept for the next function */
    int uses;                     /* functions run in held */
    bool fit;                     /* the last function left it reusable */
};

/* What a worker runs (for the progress line): a case index, or -1. */
struct busy {
    long idx;
    double since; /* now_ms() when it started */
};

struct pool *pool_new(const struct pool_config *cfg)
{
    struct pool *p = xcalloc(1, sizeof(*p));

    p->cfg = *cfg;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    atomic_init(&p->stop, 0);
    p->pids = xcalloc((size_t)cfg->jobs, sizeof(*p->pids));
    for (int i = 0; i < cfg->jobs; i++)
        atomic_init(&p->pids[i], 0);
    p->busy = xcalloc((size_t)cfg->jobs, sizeof(*p->busy));
    for (int i = 0; i < cfg->jobs; i++)
        p->busy[i].idx = -1;
    p->cfg.rc.stop = &p->stop;
    return p;
}

void pool_free(struct pool *p)
{
    if (!p)
        return;
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p->pids);
    free(p->busy);
    free(p->lost);
    free(p);
}

void pool_stop(struct pool *p)
{
    atomic_store(&p->stop, 1);
    pthread_mutex_lock(&p->lock);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

void pool_signal_children(struct pool *p, int sig)
{
    for (int i = 0; i < p->cfg.jobs; i++) {
        int pid = atomic_load(&p->pids[i]);
        if (pid > 0)
            proc_kill_tree(pid, sig);
    }
}

double pool_first_start_ms(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    double v = p->first_start_ms;
    pthread_mutex_unlock(&p->lock);
    return v;
}

/* Take the next case index for worker w, or -1 when there is none. */
static long take(struct pool *p, int w)
{
    long idx = -1;

    pthread_mutex_lock(&p->lock);
    bool halted =
        atomic_load(&p->stop) || (p->cfg.fail_fast && p->failures > 0);
    if (!halted && p->next < p->cfg.cases->n) {
        size_t k = p->next++;
        idx = (long)(p->cfg.order ? p->cfg.order[k] : k);
        p->running++;
        p->busy[w] = (struct busy){.idx = idx, .since = now_ms()};
        if (!p->first_start_ms)
            p->first_start_ms = p->busy[w].since;
    }
    pthread_mutex_unlock(&p->lock);
    return idx;
}

/* Same schema: NULL (the sandbox's) or equal names. */
static bool same_schema(const struct test_case *a, const struct test_case *b)
{
    return a->func_schema
               ? b->func_schema && !strcmp(a->func_schema, b->func_schema)
               : !b->func_schema;
}

/*
 * After case `first` (a pgTAP function), the pgTAP functions of its
 * schema that come next in the queue, up to max in all: their indexes
 * into idx[1..], idx[0] = first.  The tail of the queue is shared out,
 * not taken by one worker.  Returns how many idx holds.
 */
static size_t take_functions(struct pool *p, size_t first, size_t *idx,
                             size_t max)
{
    const struct case_list *cl = p->cfg.cases;
    size_t k = 1;

    idx[0] = first;
    pthread_mutex_lock(&p->lock);
    size_t fair = (cl->n - p->next) / (size_t)p->cfg.jobs + 1;
    if (max > fair)
        max = fair;
    while (k < max && p->next < cl->n && !atomic_load(&p->stop)) {
        size_t i = p->cfg.order ? p->cfg.order[p->next] : p->next;
        if (cl->v[i].kind != CASE_PGTAP_FUNC ||
            !same_schema(&cl->v[first], &cl->v[i]))
            break;
        p->next++;
        p->running++;
        idx[k++] = i;
    }
    pthread_mutex_unlock(&p->lock);
    return k;
}

static void finish(struct pool *p, struct test_result *r)
{
    pthread_mutex_lock(&p->lock);
    p->running--;
    p->busy[r->worker].idx = -1;
    if (outcome_is_failure(r->outcome))
        p->failures++;
    console_case_done(p->cfg.console, r);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
}

/* Add "[isotest] what" to the case's detail: its verdict stands. */
static void add_detail(struct test_result *r, const char *what)
{
    struct strbuf d = STRBUF_INIT;

    if (r->detail)
        strbuf_addf(&d, "%s\n", r->detail);
    strbuf_addf(&d, "[isotest] %s", what);
    free(r->detail);
    r->detail = strbuf_detach(&d, NULL);
}

/*
 * Keep a failed case's sandbox (--keep-failed).  Kept or not, the handle
 * is gone afterwards: one that could not be kept is left to the run's sweep.
 */
static void keep_sandbox(struct isotest_sandbox *sb, struct test_result *r)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct runcase_sandbox view;

    runcase_sandbox_of(sb, &view);
    char *cmd = runcase_psql_command(&view);
    if (isotest_sandbox_keep(sb, &e) == 0) {
        r->hint = xasprintf("sandbox kept; open it with: %s", cmd);
        free(cmd);
        return;
    }
    free(cmd);
    char *why = xasprintf("--keep-failed: %s", e.msg);
    add_detail(r, why);
    free(why);
    isotest_err_release(&e);
}

const char *pool_lost(struct pool *p)
{
    pthread_mutex_lock(&p->lock);
    const char *lost = p->lost;
    pthread_mutex_unlock(&p->lock);
    return lost;
}

/*
 * A failed case, or a sandbox that could not be had: is the server gone?
 * The first worker to find it so says why (pool_lost()) and stops the
 * pool; every case that fails from then on ended with the server, and
 * says only that.
 */
static void check_server(struct pool *p, struct test_result *r)
{
    if (!outcome_is_failure(r->outcome))
        return;
    if (!pool_lost(p)) {
        struct isotest_err e = ISOTEST_ERR_INIT;
        if (isotest_session_ping(p->cfg.session, &e) == 0)
            return;
        pthread_mutex_lock(&p->lock);
        if (!p->lost) {
            p->lost = e.msg;
            e.msg = NULL;
        }
        pthread_mutex_unlock(&p->lock);
        isotest_err_release(&e);
        pool_stop(p);
    }
    r->outcome = OUTCOME_ERROR;
    free(r->message);
    free(r->detail);
    r->message = xstrdup("server lost");
    r->detail = xstrdup(""); /* not libpq's words again: the output has them */
}

static void release_sandbox(struct worker_arg *w, struct isotest_sandbox *sb,
                            struct test_result *r)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    /* A case that did not end by itself may have left sessions behind. */
    unsigned flags =
        r->outcome == OUTCOME_TIMEOUT || r->outcome == OUTCOME_ERROR
            ? ISOTEST_RELEASE_DISCONNECT
            : 0;

    pgtap_conn_close(w->pc); /* a function's connection, if any */
    if (isotest_sandbox_release(sb, flags, &r->release_ms, &e) < 0 &&
        !pool_lost(w->p))
        add_detail(r, e.msg); /* the run's sweep retries the drop */
    isotest_err_release(&e);
}

/*
 * One try: a fresh sandbox, the case in it.  The sandbox is returned
 * (the caller keeps or releases it), or NULL when none could be had:
 * that is isotest's failure, not the case's, and is never retried.
 */
static struct isotest_sandbox *run_try(struct pool *p, struct worker_arg *w,
                                       const struct test_case *c,
                                       struct test_result *r)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_sandbox *sb = w->held;

    r->start_ms = now_ms() - p->cfg.run_start_ms;
    w->held = NULL;
    if (!sb) {
        sb = isotest_sandbox_acquire(p->cfg.session, &e);
        if (!sb) {
            r->outcome = OUTCOME_ERROR;
            r->message = xasprintf("cannot get a sandbox: %s", e.msg);
            isotest_err_release(&e);
            return NULL;
        }
        r->acquire_ms = isotest_sandbox_acquire_ms(sb);
        w->uses = 0;
    }
    r->sandbox = xstrdup(isotest_sandbox_name(sb));
    if (c->kind == CASE_PGTAP_FUNC) {
        w->fit = pgtap_conn_run(w->pc, &p->cfg.rc, c, sb, r);
        w->uses++;
    } else {
        runcase_run(&p->cfg.rc, c, sb, w->index, &p->pids[w->index], r);
    }
    return sb;
}

/* Give the held sandbox back (the run's sweep retries a failed drop). */
static void drop_held(struct worker_arg *w)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (!w->held)
        return;
    pgtap_conn_close(w->pc);
    isotest_sandbox_release(w->held, 0, NULL, &e);
    isotest_err_release(&e);
    w->held = NULL;
}

/* Run the case again?  Not once the run is stopping (Ctrl-C, SIGTERM). */
static bool retry_wanted(struct pool *p, const struct test_result *r)
{
    return outcome_is_failure(r->outcome) &&
           r->nretried < (size_t)p->cfg.retries && !atomic_load(&p->stop);
}

static void note_retry(struct pool *p, const struct test_result *r)
{
    pthread_mutex_lock(&p->lock);
    console_case_retry(p->cfg.console, r);
    pthread_mutex_unlock(&p->lock);
}

/*
 * A failed try is run again on the same worker, at once, in a fresh
 * sandbox (the failed one is released first) -- up to --retries times.
 */
static void run_one(struct pool *p, struct worker_arg *w, size_t i)
{
    const struct test_case *c = &p->cfg.cases->v[i];
    struct test_result *r = &p->results[i];
    struct isotest_sandbox *sb;

    r->worker = w->index;
    if (c->kind != CASE_PGTAP_FUNC)
        drop_held(w);
    for (;;) {
        sb = run_try(p, w, c, r);
        check_server(p, r);
        if (!sb || !retry_wanted(p, r))
            break;
        release_sandbox(w, sb, r);
        sb = NULL;
        /* Stopped while the sandbox was dropped: no new try starts. */
        if (atomic_load(&p->stop))
            break;
        note_retry(p, r);
        result_push_try(r);
    }
    r->done = true;
    if (!sb)
        return;
    /* Only the last try's sandbox is kept: the earlier ones are gone. */
    if (outcome_is_failure(r->outcome) && p->cfg.keep_failed &&
        !atomic_load(&p->stop)) {
        pgtap_conn_close(w->pc);
        keep_sandbox(sb, r);
    } else if (c->kind == CASE_PGTAP_FUNC && w->fit &&
               w->uses < p->cfg.pgtap_batch && !atomic_load(&p->stop)) {
        w->held = sb; /* the next function's, if one comes next */
    } else {
        release_sandbox(w, sb, r);
    }
}

/*
 * --pgtap-batch: case i (a pgTAP function) and the functions of its schema
 * next in the queue, in one statement (pgtap_conn_run_chunk()) in the
 * worker's sandbox; what that cannot judge runs one by one.  Not with
 * --retries or --keep-failed, which need a statement (and a sandbox) per
 * function: those run one by one from the start.
 */
static void run_chunk(struct pool *p, struct worker_arg *w, size_t i)
{
    size_t idx[PGTAP_CHUNK];
    const struct test_case *cs[PGTAP_CHUNK];
    struct test_result *rs[PGTAP_CHUNK];
    /* A held sandbox has room for one more at least (run_one's rule). */
    size_t room = (size_t)(p->cfg.pgtap_batch - (w->held ? w->uses : 0));
    size_t k =
        take_functions(p, i, idx, room < PGTAP_CHUNK ? room : PGTAP_CHUNK);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_sandbox *sb = w->held;
    int ran = 0;
    bool fit = false;

    if (k == 1) { /* nothing to put with it */
        run_one(p, w, i);
        finish(p, &p->results[i]);
        return;
    }
    w->held = NULL;
    if (!sb) {
        sb = isotest_sandbox_acquire(p->cfg.session, &e);
        w->uses = 0;
    }
    for (size_t j = 0; j < k; j++) {
        cs[j] = &p->cfg.cases->v[idx[j]];
        rs[j] = &p->results[idx[j]];
        rs[j]->worker = w->index;
        rs[j]->start_ms = now_ms() - p->cfg.run_start_ms;
    }
    if (sb)
        ran = pgtap_conn_run_chunk(w->pc, &p->cfg.rc, cs, k, sb, rs, &fit);
    isotest_err_release(&e);
    if (ran) {
        w->uses += (int)k;
        for (size_t j = 0; j < k; j++) {
            rs[j]->sandbox = xstrdup(isotest_sandbox_name(sb));
            rs[j]->done = true;
        }
        rs[0]->acquire_ms =
            w->uses == (int)k ? isotest_sandbox_acquire_ms(sb) : 0;
        if (fit && w->uses < p->cfg.pgtap_batch && !atomic_load(&p->stop))
            w->held = sb;
        else
            release_sandbox(w, sb, rs[k - 1]);
    } else {
        /* One by one (the sandbox kept when still fit). */
        if (sb && fit)
            w->held = sb;
        else if (sb)
            release_sandbox(w, sb, rs[0]);
        for (size_t j = 0; j < k; j++)
            run_one(p, w, idx[j]);
    }
    for (size_t j = 0; j < k; j++)
        finish(p, rs[j]);
}

static bool chunked(const struct pool *p, const struct test_case *c)
{
    return c->kind == CASE_PGTAP_FUNC && p->cfg.pgtap_batch > 1 &&
           !p->cfg.retries && !p->cfg.keep_failed;
}

static void *worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct pool *p = wa->p;
    long i;

    wa->pc = pgtap_conn_new();
    while ((i = take(p, wa->index)) >= 0) {
        if (chunked(p, &p->cfg.cases->v[i])) {
            run_chunk(p, wa, (size_t)i);
            continue;
        }
        run_one(p, wa, (size_t)i);
        finish(p, &p->results[i]);
    }
    drop_held(wa);
    pgtap_conn_free(wa->pc);
    wa->pc = NULL;
    pthread_mutex_lock(&p->lock);
    p->finished_workers++;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int pool_run(struct pool *p, struct test_result *results, struct isotest_err *e)
{
    int jobs = p->cfg.jobs;
    pthread_t *threads = xcalloc((size_t)jobs, sizeof(*threads));
    struct worker_arg *args = xcalloc((size_t)jobs, sizeof(*args));
    struct console_running *now = xcalloc((size_t)jobs, sizeof(*now));
    int started = 0;

    p->results = results;
    for (int i = 0; i < jobs; i++) {
        args[i] = (struct worker_arg){.p = p, .index = i};
        if (pthread_create(&threads[i], NULL, worker, &args[i]) != 0)
            break;
        started++;
    }

    /* Redraw the progress line until every worker is done. */
    pthread_mutex_lock(&p->lock);
    while (p->finished_workers < started) {
        struct timespec ts;
        clock_deadline(&ts, 200);
        pthread_cond_timedwait(&p->changed, &p->lock, &ts);
        double t = now_ms();
        size_t n = 0;
        for (int i = 0; i < jobs; i++)
            if (p->busy[i].idx >= 0)
                now[n++] = (struct console_running){
                    .id = p->cfg.cases->v[p->busy[i].idx].id,
                    .ms = t - p->busy[i].since};
        console_progress(p->cfg.console, p->running, t - p->cfg.run_start_ms,
                         now, n);
    }
    pthread_mutex_unlock(&p->lock);
    free(now);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    free(args);

    /* Cases a lost server never let start: errors, one line each. */
    for (size_t i = 0; p->lost && i < p->cfg.cases->n; i++) {
        if (results[i].done)
            continue;
        results[i].done = true;
        results[i].outcome = OUTCOME_ERROR;
        results[i].message = xstrdup("not run: the server was lost");
    }
    /* Cases --fail-fast never started are skipped, not missing. */
    if (p->cfg.fail_fast && p->failures && !atomic_load(&p->stop)) {
        for (size_t i = 0; i < p->cfg.cases->n; i++) {
            if (results[i].done)
                continue;
            results[i].done = true;
            results[i].outcome = OUTCOME_SKIPPED;
            results[i].message = xstrdup("not run: --fail-fast after a "
                                         "failure");
        }
    }
    if (started == 0)
        return err_set(e, "cannot start worker threads");
    return 0;
}
