/*
 * pgwait.c: the socket poll behind a cancelable query.
 */
#include "pgwait.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>

static void cancel(PGconn *conn)
{
    PGcancel *c = PQgetCancel(conn);
    char buf[256];

    if (c) {
        PQcancel(c, buf, sizeof(buf));
        PQfreeCancel(c);
    }
}

static bool stop_asked(const struct pgwait *w)
{
    return (w->stop && atomic_load(w->stop)) ||
           (w->stop_fn && w->stop_fn(w->stop_arg));
}

int pgwait_ready(PGconn *conn, struct pgwait *w)
{
    while (PQisBusy(conn)) {
        double now = now_ms();
        bool stop = !w->cancelled && stop_asked(w);

        if (!w->cancelled &&
            (stop || (w->deadline > 0 && now >= w->deadline))) {
            if (stop)
                w->stopped = true;
            else
                w->timed_out = true;
            cancel(conn);
            w->cancelled = true;
            w->give_up = now + w->grace_ms;
        }
        if (w->cancelled && now >= w->give_up)
            return -1;
        double wait = 20;
        if (!w->cancelled && w->deadline > 0 && w->deadline - now < wait)
            wait = w->deadline - now;
        struct pollfd pfd = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&pfd, 1, wait < 0 ? 0 : (int)wait + 1) < 0 && errno != EINTR)
            return -1;
        if (!PQconsumeInput(conn))
            return 0; /* the connection broke: PQgetResult says how */
    }
    return 0;
}

PGresult *pgwait_exec(PGconn *conn, const char *sql, struct pgwait *w)
{
    PGresult *keep = NULL, *res;

    if (!PQsendQuery(conn, sql))
        return NULL;
    /* Each statement's result in turn: the next may still be running. */
    for (;;) {
        if (pgwait_ready(conn, w) < 0) {
            PQclear(keep);
            return NULL;
        }
        res = PQgetResult(conn);
        if (!res)
            break;
        ExecStatusType st = PQresultStatus(res);
        if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
            PQclear(res);
            continue;
        }
        PQclear(keep);
        keep = res;
        /* As PQexec: a COPY would hand out this result for ever. */
        if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
            st == PGRES_COPY_BOTH || PQstatus(conn) == CONNECTION_BAD)
            break;
    }
    return keep;
}
