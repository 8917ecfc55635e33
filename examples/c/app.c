/*
 * app.c: libisotest from a plain C program -- copy it as a start.
 *
 * One session builds a template database from a folder of migrations
 * (argv[1], default ./migrations) once; then 4 threads take 16 sandboxes
 * between them.  Each sandbox gets account 1 inserted into `accounts` --
 * the same primary key every time -- and must then see exactly its own
 * row: on a shared database all but one insert would fail.
 *
 * The server is found the libpq way: the PG* variables when they name one,
 * else a throwaway embedded server (isotest_options.db stays NULL).
 *
 * Exit: 0 every sandbox isolated; 1 some sandbox was not (or its check
 * failed); 2 the session could not be opened, or closed cleanly.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime, strdup under -std=c11 */

#include <isotest.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREADS 4
#define PER_THREAD 4
#define TOTAL (THREADS * PER_THREAD)

/* One sandbox's outcome: written by its worker only, read after the join. */
struct outcome {
    char *name;    /* the sandbox's name; NULL when none was acquired */
    char *error;   /* NULL: isolated; else why not */
    double lib_ms; /* isotest_sandbox_acquire + _release, as seen here */
};

struct worker {
    struct isotest_session *session; /* shared: the calls are thread-safe */
    struct outcome *out;             /* this worker's PER_THREAD slots */
    int first;                       /* number of its first sandbox */
};

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* printf into new memory, sized first: server messages have no bound. */
static char *format(const char *fmt, ...) ISOTEST_PRINTF(1, 2);
static char *format(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!s)
        abort(); /* nothing sensible left to report */
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    while (n > 0 && s[n - 1] == '\n') /* libpq ends messages with one */
        s[--n] = '\0';
    for (char *p = s; (p = strchr(p, '\n'));) /* one line per sandbox */
        *p = ' ';
    return s;
}

/* Insert account 1, then read the table back: NULL when only ours is seen. */
static char *check(PGconn *conn, int number)
{
    char owner[32]; /* our own text, not outside data */
    const char *params[] = {owner};
    char *err = NULL;

    snprintf(owner, sizeof(owner), "owner of sandbox %d", number);
    PGresult *r = PQexecParams(conn,
                               "INSERT INTO accounts (id, owner, balance) "
                               "VALUES (1, $1, 100)",
                               1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        err = format("insert: %s", PQresultErrorMessage(r));
    PQclear(r);
    if (err)
        return err;
    r = PQexec(conn, "SELECT count(*), min(owner) FROM accounts");
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        err = format("select: %s", PQresultErrorMessage(r));
    else if (strcmp(PQgetvalue(r, 0, 0), "1") ||
             strcmp(PQgetvalue(r, 0, 1), owner))
        err = format("sees %s rows, one owned by '%s'", PQgetvalue(r, 0, 0),
                     PQgetvalue(r, 0, 1));
    PQclear(r);
    return err;
}

static void *work(void *arg)
{
    struct worker *w = arg;

    for (int i = 0; i < PER_THREAD; i++) {
        struct outcome *o = &w->out[i];
        struct isotest_err e = ISOTEST_ERR_INIT; /* one per thread */
        double t0 = now_ms();
        struct isotest_sandbox *sb = isotest_sandbox_acquire(w->session, &e);
        o->lib_ms = now_ms() - t0;
        if (!sb) {
            o->error = format("acquire: %s", e.msg);
            isotest_err_release(&e);
            continue;
        }
        o->name = strdup(isotest_sandbox_name(sb)); /* release frees sb */
        PGconn *conn = PQconnectdb(isotest_sandbox_conninfo(sb));
        if (PQstatus(conn) != CONNECTION_OK)
            o->error = format("connect: %s", PQerrorMessage(conn));
        else
            o->error = check(conn, w->first + i);
        PQfinish(conn); /* first: a database in use cannot be dropped */
        t0 = now_ms();
        if (isotest_sandbox_release(sb, 0, NULL, &e) < 0 && !o->error)
            o->error = format("release: %s", e.msg);
        o->lib_ms += now_ms() - t0;
        isotest_err_release(&e);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_options o = ISOTEST_OPTIONS_INIT;

    o.migrations = argc > 1 ? argv[1] : "migrations";
    o.expected = TOTAL; /* the pool clones no more than will be taken */
    o.pool = THREADS;   /* a clone ready for each thread, as -j N does */
    struct isotest_session *s = isotest_session_open(&o, &e);
    if (!s) {
        fprintf(stderr, "app: %s\n", e.msg);
        if (e.hint)
            fprintf(stderr, "hint: %s\n", e.hint);
        isotest_err_release(&e);
        return 2;
    }
    /* A clone per thread ready before they start: no first-acquire wait. */
    if (isotest_session_warm(s, THREADS, &e) < 0) {
        fprintf(stderr, "app: %s\n", e.msg);
        isotest_err_release(&e);
        isotest_session_close(s, ISOTEST_CLOSE_ABORT, &e);
        isotest_err_release(&e);
        return 2;
    }
    const struct isotest_session_info *info = isotest_session_info(s);
    printf("PostgreSQL %s at %s port %s%s, template %s\n", info->server_version,
           info->host, info->port, info->embedded ? " (embedded)" : "",
           info->template_name);

    struct outcome out[TOTAL] = {{0}};
    struct worker w[THREADS];
    pthread_t tid[THREADS];
    int started[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){s, out + i * PER_THREAD, i * PER_THREAD};
        started[i] = pthread_create(&tid[i], NULL, work, &w[i]) == 0;
        if (!started[i])
            work(&w[i]); /* no thread to be had: do its share here */
    }
    for (int i = 0; i < THREADS; i++)
        if (started[i])
            pthread_join(tid[i], NULL);

    int isolated = 0;
    double ms[TOTAL];
    for (int i = 0; i < TOTAL; i++) {
        isolated += !out[i].error;
        printf("%-24s %s%s\n", out[i].name ? out[i].name : "(no sandbox)",
               out[i].error ? "FAILED: " : "ok",
               out[i].error ? out[i].error : "");
        ms[i] = out[i].lib_ms;
        free(out[i].name);
        free(out[i].error);
    }
    qsort(ms, TOTAL, sizeof(*ms), cmp_double);
    printf("acquire+release per sandbox: median %.2f ms, p95 %.2f ms\n",
           (ms[(TOTAL - 1) / 2] + ms[TOTAL / 2]) / 2,
           ms[(TOTAL * 95 + 99) / 100 - 1]); /* p95 by nearest rank */
    printf("%d sandboxes, %d isolated\n", TOTAL, isolated);

    int rc = isolated == TOTAL ? 0 : 1;
    /* Drops what is still out, and stops the embedded server. */
    if (isotest_session_close(s, 0, &e) < 0) {
        fprintf(stderr, "app: %s\n", e.msg);
        isotest_err_release(&e);
        if (rc == 0)
            rc = 2;
    }
    return rc;
}
