/*
 * pool: the worker threads that run the cases.
 *
 * Call sequence: pool_new(), pool_run() (blocks until every case is done
 * or the run is stopped), pool_free().  While pool_run() runs, another
 * thread may call pool_stop() (start nothing new, end running cases) and
 * pool_signal_children() (the emergency path of a second Ctrl-C).
 *
 * Each worker takes the next case from a shared index, a sandbox from the
 * session for it, and gives the sandbox back when the case is done;
 * results land in the caller's array, one slot per case, written only by
 * the worker that ran it.  The console is called under the pool's lock.
 *
 * Retries: a case that failed (failed, error, timeout) is run again by
 * the same worker at once, in a fresh sandbox (the failed try's is
 * released first), up to `retries` times; the failed tries are kept in
 * its result (result_push_try()).  Not retried: a case whose sandbox
 * could not be had (isotest's failure, not the case's), and any case once
 * the pool is stopping.  With keep_failed only the last try's sandbox is
 * kept.
 *
 * pgTAP functions (CASE_PGTAP_FUNC) run with pgtap_run.h.  With
 * pgtap_batch > 1 a worker takes the functions of one schema that come
 * next in the queue (up to 16, fewer near the end of the queue) and runs
 * them in one statement (pgtap_conn_run_chunk()), one by one when that
 * cannot judge them; it keeps the sandbox while it is fit for more
 * (pgtap_conn_run()), up to pgtap_batch functions, and while its next
 * case is a function too.  A retry, a kept failed sandbox or any other
 * case gives it up; with --retries or --keep-failed every function has a
 * statement of its own.
 */
#ifndef ISOTEST_POOL_H
#define ISOTEST_POOL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "common/err.h"
#include "discover.h"
#include "isotest.h"
#include "reporters/console.h"
#include "reporters/result.h"
#include "runcase.h"

struct pool_config {
    int jobs;
    const struct case_list *cases;
    const size_t *order; /* start order (indexes into cases), or NULL */
    struct isotest_session *session; /* sandboxes come from here */
    struct runcase_ctx rc;           /* rc.stop is set by pool_new */
    struct console *console;
    bool keep_failed;
    bool fail_fast;
    int retries;         /* tries after a failed one, at most */
    int pgtap_batch;     /* pgTAP functions per sandbox (<= 1: one each) */
    double run_start_ms; /* CLOCK_MONOTONIC ms at the start of the run */
};

struct pool;

struct pool *pool_new(const struct pool_config *cfg);
void pool_free(struct pool *p);

/*
 * Run every case; results[i] belongs to cases->v[i].  -1 with e set when no
 * worker thread could start; case failures (a sandbox that could not be
 * had included) are results, not errors.
 */
int pool_run(struct pool *p, struct test_result *results,
             struct isotest_err *e);

/* Thread-safe, async-signal-unsafe. */
void pool_stop(struct pool *p);
void pool_signal_children(struct pool *p, int sig);
/*
 * Why the server is gone (a case or an acquire failed and the session's
 * server no longer answers), or NULL.  Once it is lost the pool stops:
 * the cases that were running say "server lost", those not started "not
 * run: the server was lost".  Valid until pool_free().
 */
const char *pool_lost(struct pool *p);
/* CLOCK_MONOTONIC milliseconds of the first case start, or 0. */
double pool_first_start_ms(struct pool *p);

#endif
