/*
 * pgtap_run: running one pgTAP test function, a CASE_PGTAP_FUNC case.
 *
 * The function runs as pgTAP's runtests(SCHEMA, '^NAME$') runs it: its
 * startup, setup, teardown and shutdown functions around it, its TAP
 * judged as a SQL case's is (tap.h reads the subtest runtests() prints).
 * It runs inside BEGIN ... ROLLBACK, followed by a reset of what a
 * rollback leaves in a session (advisory locks, prepared statements, held
 * cursors, sequences' currval), over a connection that a worker keeps in
 * a struct pgtap_conn: so one sandbox
 * can serve several functions one after another (--pgtap-batch), each
 * seeing the sandbox as the migrations left it.  pgtap_conn_run() says
 * when that is no longer sure (the connection died, the rollback or the
 * discard failed, the function was cancelled): the caller then drops the
 * sandbox and gives the next function a fresh one.
 *
 * Call sequence, per worker: pgtap_conn_new(); pgtap_conn_run() for each
 * function (a new sandbox: pgtap_conn_close() before releasing the old
 * one); pgtap_conn_free().  A struct pgtap_conn belongs to one thread;
 * different ones may run at once.
 */
#ifndef ISOTEST_PGTAP_RUN_H
#define ISOTEST_PGTAP_RUN_H

#include <stdbool.h>

#include "discover.h"
#include "isotest.h"
#include "reporters/result.h"
#include "runcase.h"

struct pgtap_conn;

struct pgtap_conn *pgtap_conn_new(void);
/* Disconnect, if connected; pc stays usable. */
void pgtap_conn_close(struct pgtap_conn *pc);
void pgtap_conn_free(struct pgtap_conn *pc);

/*
 * Run function case c in sandbox sb, connecting when pc is not connected
 * to sb already; fill r's outcome, time, message, detail and output.
 * True when the sandbox may serve another function; false when it must
 * be dropped (r->detail then says why, and pc is disconnected).
 */
bool pgtap_conn_run(struct pgtap_conn *pc, const struct runcase_ctx *ctx,
                    const struct test_case *c, const struct isotest_sandbox *sb,
                    struct test_result *r);

/*
 * Batch mode's fast path: k function cases of one schema in one _runner()
 * call, as pgTAP's runtests() runs a whole schema (startup and shutdown
 * functions once for the k), between BEGIN and the rollback; the output
 * is cut per function (pgtap_split.h), and each case gets its part, its
 * verdict, the chunk's time divided by k (and the first one the chunk's
 * notices).  Returns 1 when the results were filled; 0 when not (pgTAP
 * without _runner(), an error that ended the statement, a timeout, output
 * that does not split): the caller then runs the k one by one with
 * pgtap_conn_run().  *fit as pgtap_conn_run()'s result.
 */
int pgtap_conn_run_chunk(struct pgtap_conn *pc, const struct runcase_ctx *ctx,
                         const struct test_case *const *cases, size_t k,
                         const struct isotest_sandbox *sb,
                         struct test_result *const *results, bool *fit);

/*
 * The verdict on a function's run from r->out (the rows runtests()
 * returned), and from the error that ended the statement, if one did
 * (error: "ERROR: text (SQLSTATE x)", detail: its DETAIL and CONTEXT;
 * both may be NULL).  `label` names the function ("public.test_x").
 * Fills r's outcome, message and detail.  Pure.
 */
void pgtap_run_judge(const char *label, const char *error, const char *detail,
                     struct test_result *r);

#endif
