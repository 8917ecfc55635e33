/*
 * server.c: choosing, starting and connecting to the server of a run.
 */
#include "server.h"
#include "reclaim.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

bool server_env_given(void)
{
    static const char *const vars[] = {"PGHOST", "PGHOSTADDR", "PGPORT",
                                       "PGSERVICE", "PGDATABASE"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return true;
    }
    return false;
}

int server_open(struct server *s, const char *db, bool no_cache,
                struct err *e)
{
    double start = now_ms();

    memset(s, 0, sizeof(*s));
    if (!db && !server_env_given()) {
        struct cluster_options co = {.no_cache = no_cache};
        struct err ignore = ERR_INIT;
        /* Leftovers of runs that died (SIGKILL, power loss). */
        cluster_reclaim(&co, &ignore);
        err_release(&ignore);
        s->cluster = cluster_start(&co, e);
        if (!s->cluster)
            return err_prefix(e, "cannot start the embedded PostgreSQL server");
        db = cluster_conninfo(s->cluster);
    }
    if (target_init(&s->target, db, e) < 0)
        goto fail;
    s->maint = target_connect_maint(&s->target, e);
    if (!s->maint)
        goto fail;
    if (PQserverVersion(s->maint) < 130000) {
        err_set(e, "server version %s is too old: isotest needs PostgreSQL "
                   "13 or later (DROP DATABASE ... WITH (FORCE))",
                s->target.server_version_str);
        goto fail;
    }
    if (target_check_createdb(&s->target, s->maint, e) < 0)
        goto fail;
    if (ident_runid_new(s->runid, e) < 0 ||
        reclaim_lock_run(s->maint, s->runid, e) < 0)
        goto fail;
    s->start_ms = now_ms() - start;
    return 0;
fail:
    server_close(s, false, false);
    return -1;
}

void server_close(struct server *s, bool save_cache, bool keep)
{
    if (s->maint) {
        PQfinish(s->maint); /* ends the session: the run lock goes too */
        s->maint = NULL;
    }
    target_release(&s->target);
    if (s->cluster && keep) {
        cluster_detach(s->cluster);
        s->cluster = NULL;
    }
    if (s->cluster) {
        struct err ignore = ERR_INIT;
        cluster_stop(s->cluster, save_cache, &ignore);
        err_release(&ignore);
        s->cluster = NULL;
    }
}
