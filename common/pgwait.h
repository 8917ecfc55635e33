/*
 * pgwait: waiting for a query sent with PQsendQuery*() without blocking
 * in libpq, so that a deadline or a stop request is seen while the
 * server works: a SQL case's statement (runner), a migration or a lock
 * wait while a template is built (the library).
 *
 * The wait polls the socket in 20 ms steps.  A stop (the flag, or the
 * callback) or the deadline sends one cancel request (what psql does on
 * SIGINT); a server that has not answered it grace_ms later is given up
 * on: the caller abandons the connection (dropping its database ends the
 * backend).
 *
 * Fill stop and/or stop_fn, deadline (0: none) and grace_ms; the rest
 * starts zeroed and tells what happened.  One struct per query and
 * thread; stop_fn is called from the waiting thread.
 */
#ifndef ISOTEST_PGWAIT_H
#define ISOTEST_PGWAIT_H

#include <stdatomic.h>
#include <stdbool.h>

#include <libpq-fe.h>

struct pgwait {
    const atomic_int *stop;     /* may be NULL; non-zero: cancel now */
    bool (*stop_fn)(void *arg); /* may be NULL; true: cancel now */
    void *stop_arg;
    double deadline; /* CLOCK_MONOTONIC ms; 0: none */
    double grace_ms;
    bool cancelled; /* a cancel was sent */
    double give_up; /* ... and is given up on at this time */
    bool stopped, timed_out;
};

/* Until results can be read: 0 (or the connection broke); -1: gave up. */
int pgwait_ready(PGconn *conn, struct pgwait *w);

/*
 * Send sql (one or several statements, as PQexec would) and wait for all
 * its results as pgwait_ready() waits.  Returns the first failed result,
 * else the last one (free with PQclear), or, as PQexec, a COPY's result
 * (the connection is then in COPY state); NULL when it could not be sent
 * (PQerrorMessage says why) or the wait gave up (w->cancelled): the
 * connection is then still busy, and must be closed.
 */
PGresult *pgwait_exec(PGconn *conn, const char *sql, struct pgwait *w);

#endif
