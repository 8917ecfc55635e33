/*
 * server: the PostgreSQL server a run uses, ready to create sandboxes.
 *
 * server_open() picks the server (--db, else the PG* environment, else an
 * embedded throwaway cluster), connects to its maintenance database, checks
 * the role may create databases, draws a run id and takes the run lock.
 * server_close() releases all of it; with save_cache, an embedded cluster
 * is stored so that the next run starts warm.  Main thread only.
 */
#ifndef ISOTEST_SERVER_H
#define ISOTEST_SERVER_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "cluster.h"
#include "err.h"
#include "ident.h"
#include "target.h"

struct server {
    struct cluster *cluster; /* NULL when the user named a server */
    struct target target;
    PGconn *maint;
    char runid[IDENT_RUNID_LEN + 1];
    double start_ms; /* time to a usable server */
};

/* Do the PG* variables name a server? */
bool server_env_given(void);

int server_open(struct server *s, const char *db, bool no_cache,
                struct err *e);
/* keep: leave an embedded server running (kept sandboxes live in it). */
void server_close(struct server *s, bool save_cache, bool keep);

#endif
