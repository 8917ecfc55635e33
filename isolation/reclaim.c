/*
 * reclaim.c: the run lock and dropping dead runs' databases.
 */
#include "reclaim.h"
#include "ident.h"
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int reclaim_lock_run(PGconn *conn, const char *runid, struct isotest_err *e)
{
    if (!ident_runid_valid(runid))
        return err_set(e, "invalid run id '%s'", runid);
    if (target_advisory(conn, "pg_advisory_lock", IDENT_LOCK_CLASS,
                        ident_runid_key(runid), e) < 0)
        return err_prefix(e, "cannot take the run lock");
    return 0;
}

int reclaim_mark_kept(PGconn *conn, const char *dbname, struct isotest_err *e)
{
    PGresult *res;

    /* The comment carries the server's time; COMMENT takes no parameters. */
    if (target_exec_params(conn, "SELECT extract(epoch FROM now())::bigint", 0,
                           NULL, &res, e) < 0)
        return -1;
    char *fmt =
        xasprintf("COMMENT ON DATABASE %%I IS '" RECLAIM_KEPT_PREFIX "%s'",
                  PQgetvalue(res, 0, 0));
    PQclear(res);
    int r = target_exec_name(conn, fmt, dbname, e);
    free(fmt);
    return r;
}

int reclaim_dead(PGconn *conn, bool dry_run, double keep_age_s,
                 struct strbuf *log, struct reclaim_stats *st,
                 struct isotest_err *e)
{
    char k1[16];
    char *regex = ident_run_regex(NULL);
    const char *vals[] = {k1, regex};

    memset(st, 0, sizeof(*st));
    snprintf(k1, sizeof(k1), "%u", (unsigned)IDENT_LOCK_CLASS);
    /*
     * A run is alive while some session holds its lock.  The run id's hex
     * digits are the lock's second key, which pg_locks shows as objid.
     */
    PGresult *res = PQexecParams(
        conn,
        "SELECT d.datname, "
        "       coalesce(shobj_description(d.oid, 'pg_database'), '') "
        "         LIKE '" RECLAIM_KEPT_PREFIX "%' AS kept, "
        "       coalesce(extract(epoch FROM now())::bigint - nullif("
        "         substring(shobj_description(d.oid, 'pg_database') "
        "                   FROM '^" RECLAIM_KEPT_PREFIX "([0-9]+)$'), "
        "         '')::bigint, "
        "         0) AS kept_age "
        "FROM pg_database d "
        "WHERE d.datname ~ $2 "
        "  AND NOT EXISTS ("
        "    SELECT 1 FROM pg_locks l "
        "    WHERE l.locktype = 'advisory' AND l.classid = $1::oid "
        "      AND l.objsubid = 2 AND l.granted "
        "      AND l.objid = ('x' || " IDENT_RUNID_SQL(
            "d.datname") ")::bit(32)"
                         "                    ::bigint::oid) "
                         "ORDER BY d.datname",
        2, NULL, vals, NULL, NULL, 0);
    free(regex);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, "cannot list isotest databases: %s",
                PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        bool kept = !strcmp(PQgetvalue(res, i, 1), "t");
        double kept_for = strtod(PQgetvalue(res, i, 2), NULL);

        if (kept && kept_for < keep_age_s) {
            st->kept_young++;
            continue;
        }
        if (dry_run) {
            strbuf_addf(log, "would drop database %s\n", name);
            st->dropped++;
            continue;
        }
        struct isotest_err e2 = ISOTEST_ERR_INIT;
        int r = target_drop_database(conn, name, &e2);
        if (r == 0) {
            strbuf_addf(log, "dropped database %s\n", name);
            st->dropped++;
        } else {
            /* e2 says "cannot drop database 'NAME': why"; keep the why. */
            const char *why = e2.msg ? strstr(e2.msg, "': ") : NULL;
            strbuf_addf(log, "cannot drop database %s: %s\n", name,
                        why      ? why + 3
                        : e2.msg ? e2.msg
                                 : "unknown error");
            st->failed++;
        }
        isotest_err_release(&e2);
    }
    PQclear(res);
    return 0;
}
