/*
 * server.c: the public API's lone server (isotest_server_*), for programs
 * that hand a server to child processes, and isotest_clean(), which drops
 * what dead runs left on a server.  Neither opens a session; the server is
 * chosen as a session chooses it (isotest_env_names_server()).
 */
#include "cluster.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "isotest.h"
#include "reclaim.h"
#include "target.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

/* A lone server, for programs that hand it to child processes. */
struct isotest_server {
    struct cluster *cluster;
    char *conninfo;
};

struct isotest_server *isotest_server_start(const char *db, bool no_cache,
                                            struct isotest_err *e)
{
    struct isotest_server *srv = xcalloc(1, sizeof(*srv));

    if (db || isotest_env_names_server()) {
        srv->conninfo = db ? xstrdup(db) : NULL;
        return srv;
    }
    struct cluster_options co = {.no_cache = no_cache};
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    cluster_reclaim(&co, &ignore);
    isotest_err_release(&ignore);
    srv->cluster = cluster_start(&co, e);
    if (!srv->cluster) {
        free(srv);
        err_prefix(e, "cannot start the embedded PostgreSQL server");
        return NULL;
    }
    srv->conninfo = xstrdup(cluster_conninfo(srv->cluster));
    return srv;
}

const char *isotest_server_conninfo(const struct isotest_server *srv)
{
    return srv->conninfo;
}

bool isotest_server_embedded(const struct isotest_server *srv)
{
    return srv->cluster != NULL;
}

void isotest_server_stop(struct isotest_server *srv)
{
    if (!srv)
        return;
    if (srv->cluster) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        cluster_stop(srv->cluster, true, &ignore);
        isotest_err_release(&ignore);
    }
    free(srv->conninfo);
    free(srv);
}

void isotest_server_abort(struct isotest_server *srv)
{
    if (srv && srv->cluster)
        cluster_abort(srv->cluster);
}

int isotest_clean(const struct isotest_clean_options *o,
                  struct isotest_clean_report *rep, struct isotest_err *e)
{
    struct target t;
    struct strbuf log = STRBUF_INIT;
    struct reclaim_stats st;

    memset(rep, 0, sizeof(*rep));
    if (!o->db && !isotest_env_names_server())
        return err_set(e, "no server given: cleaning needs a URL or the "
                          "PG* variables");
    if (target_init(&t, o->db, e) < 0)
        return -1;
    PGconn *conn = target_connect_maint(&t, e);
    if (!conn) {
        target_release(&t);
        return -1;
    }
    int r = reclaim_dead(conn, o->dry_run, o->keep_age_s, &log, &st, e);
    if (r == 0) {
        rep->dropped = st.dropped;
        rep->failed = st.failed;
        rep->kept_young = st.kept_young;
        struct isotest_err e2 = ISOTEST_ERR_INIT;
        int n = template_prune(conn, NULL, o->keep_templates, o->dry_run, &log,
                               &e2);
        if (n < 0) {
            strbuf_addf(&log, "cannot prune templates: %s\n", e2.msg);
            rep->failed++;
        } else {
            rep->templates = n;
        }
        isotest_err_release(&e2);
        rep->maint_db = xstrdup(t.maint_db);
    }
    rep->log = strbuf_detach(&log, NULL);
    PQfinish(conn);
    target_release(&t);
    return r;
}

bool isotest_env_names_server(void)
{
    static const char *const vars[] = {"PGHOST", "PGPORT", "PGHOSTADDR",
                                       "PGSERVICE", "PGDATABASE"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++) {
        const char *v = getenv(vars[i]);
        if (v && *v)
            return true;
    }
    return false;
}

int isotest_server_option_check(const char *opt, struct isotest_err *e)
{
    return cluster_setting_check(opt, e);
}

char *isotest_pg_bindir(struct isotest_err *e)
{
    return cluster_find_bindir(NULL, e);
}
