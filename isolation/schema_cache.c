/*
 * schema_cache.c: building and finding schema mode's cache of migrated
 * schemas (schema_cache.h), and cloning it into a run database.
 */
#include "schema_cache.h"
#include "common/strbuf.h"
#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void schema_cache_name(char out[IDENT_BUFSZ], const char *hash)
{
    /* Short: only the template's hash prefix, as its name has. */
    snprintf(out, IDENT_BUFSZ, IDENT_TPL_PREFIX "%.*s_s%u", IDENT_TPL_HASH_LEN,
             hash, SCHEMA_CACHE_SIZE);
}

void schema_cache_prep_name(char out[IDENT_BUFSZ], unsigned i)
{
    snprintf(out, IDENT_BUFSZ, IDENT_PREFIX "prep_%u", i);
}

/*
 * Migrations that change the database itself (ALTER DATABASE ... SET,
 * GRANT ... ON DATABASE) update one catalog row, and fail with "tuple
 * concurrently updated" when another session does the same.  That race
 * is transient: the schema is dropped and the migrations run again.  No
 * case runs in a database being built, so the drop races nothing.
 */
static bool transient(const char *msg)
{
    return strstr(msg, "tuple concurrently updated") ||
           strstr(msg, "deadlock detected");
}

static int prep_schema(PGconn *conn, const char *name,
                       const struct migrate_set *ms, struct isotest_err *e)
{
    for (int attempt = 1;; attempt++) {
        const char *names[] = {name, name, NULL};
        /*
         * The migrations see what the case will see (its search_path is
         * target_search_path_option()'s): their schema first, for what
         * they create, then public, where the template's extensions are
         * unless a migration put them elsewhere.
         */
        if (target_exec_ident(conn,
                              "CREATE SCHEMA %I; SET search_path TO %I, public",
                              names, e) < 0)
            return err_prefix(e, "cannot create schema '%s'", name);
        if (!ms || migrate_apply(ms, conn, e) == 0)
            return target_exec(conn, "RESET search_path", e);

        struct isotest_err ignore = ISOTEST_ERR_INIT;
        target_exec(conn, "RESET search_path", &ignore);
        bool retry = attempt < 8 && e->msg && transient(e->msg) &&
                     target_exec_name(conn, "DROP SCHEMA IF EXISTS %I CASCADE",
                                      name, &ignore) == 0;
        isotest_err_release(&ignore);
        if (!retry) {
            err_prefix(e, "cannot migrate a schema");
            if (!e->hint)
                err_hint(e, "schema mode replays the migrations in each "
                            "case's schema (search_path: that schema, then "
                            "public): they must create their objects "
                            "unqualified");
            return -1;
        }
        isotest_err_release(e); /* the next attempt starts clean */
        struct timespec ts = {0, attempt * 2000000L};
        nanosleep(&ts, NULL);
    }
}

/*
 * Fill a new database from template0: the template's settings, its
 * extensions (each in its own schema, at its version: not a clone of the
 * template, whose public schema would hold a second copy of every
 * migrated object, visible behind the case's schema), then the schemas.
 */
static int build(const struct target *t, PGconn *maint,
                 const struct template *tpl, const struct migrate_set *ms,
                 const char *name, struct isotest_err *e)
{
    if (target_exec_name(maint, "CREATE DATABASE %I TEMPLATE template0", name,
                         e) < 0)
        return err_prefix(e, "cannot create database '%s'", name);
    if (template_carry(tpl, maint, name, e) < 0)
        return -1;
    PGconn *conn = target_connect(t, name, e);
    if (!conn)
        return -1;
    int r = template_create_extensions(tpl, conn, e);
    if (r < 0)
        err_prefix(e, "cannot recreate the template's extensions in '%s'",
                   name);
    for (unsigned i = 1; r == 0 && i <= SCHEMA_CACHE_SIZE; i++) {
        char prep[IDENT_BUFSZ];
        schema_cache_prep_name(prep, i);
        /*
         * A session keeps what it cached of every schema it made, and
         * each next one gets slower: a new session every few schemas.
         */
        if (i % 8 == 0) {
            PQfinish(conn);
            conn = target_connect(t, name, e);
            if (!conn)
                return -1;
        }
        r = prep_schema(conn, prep, ms, e);
    }
    PQfinish(conn);
    /* Renaming it, and each clone, would wait for a lingering session. */
    target_wait_sessions_end(maint, name);
    return r;
}

int schema_cache_ensure(const struct target *t, PGconn *maint,
                        const struct template *tpl,
                        const struct migrate_set *rerun, const char *runid,
                        char cache[IDENT_BUFSZ], struct isotest_err *e)
{
    char buildname[IDENT_BUFSZ];

    schema_cache_name(cache, tpl->hash);
    if (ident_run_object(buildname, runid, "schbuild", e) < 0)
        return -1;
    /* The template's build lock: its key is the hash's first 32 bits. */
    int32_t key = ident_runid_key(tpl->hash);
    if (target_advisory(maint, "pg_advisory_lock", IDENT_TPL_LOCK_CLASS, key,
                        e) < 0)
        return err_prefix(e, "cannot lock template '%s'", tpl->name);
    int r = template_db_state(maint, cache, e);
    bool built = false;
    if (r == 1) {
        r = 0;
    } else if (r >= 0) {
        built = true;
        /* Renamed but not marked ready: a build that died in between. */
        r = r == 2 ? target_drop_database(maint, cache, e) : 0;
        if (r == 0)
            r = build(t, maint, tpl, rerun, buildname, e);
        const char *names[] = {buildname, cache, cache, NULL};
        if (r == 0)
            r = target_exec_ident(maint,
                                  "ALTER DATABASE %I RENAME TO %I; "
                                  "ALTER DATABASE %I WITH IS_TEMPLATE true",
                                  names, e);
        if (r < 0) {
            struct isotest_err ignore = ISOTEST_ERR_INIT;
            target_drop_database(maint, buildname, &ignore);
            isotest_err_release(&ignore);
        }
    }
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    target_advisory(maint, "pg_advisory_unlock", IDENT_TPL_LOCK_CLASS, key,
                    &ignore);
    isotest_err_release(&ignore);
    return r < 0 ? -1 : built;
}

int schema_cache_clone(PGconn *maint, const struct template *tpl,
                       const char *cache, const char *dbname,
                       struct isotest_err *e)
{
    const char *names[] = {dbname, cache, NULL};
    const char *fmt = PQserverVersion(maint) >= 150000
                          ? "CREATE DATABASE %I TEMPLATE %I STRATEGY FILE_COPY"
                          : "CREATE DATABASE %I TEMPLATE %I";

    if (target_exec_ident(maint, fmt, names, e) < 0)
        return err_prefix(e, "cannot create database '%s'", dbname);
    if (template_carry(tpl, maint, dbname, e) < 0) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        target_drop_database(maint, dbname, &ignore);
        isotest_err_release(&ignore);
        return -1;
    }
    return 0;
}

int schema_cache_drop(PGconn *maint, const char *tpl_name,
                      struct isotest_err *e)
{
    char *re = xasprintf("^%s_s[0-9]+$", tpl_name);
    const char *vals[] = {re};
    PGresult *res;
    int r = target_exec_params(maint,
                               "SELECT datname FROM pg_database "
                               "WHERE datname ~ $1",
                               1, vals, &res, e);

    free(re);
    if (r < 0)
        return -1;
    /* IS_TEMPLATE first, then the drop: two messages (template_prune). */
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        r = target_exec_name(maint, "ALTER DATABASE %I WITH IS_TEMPLATE false",
                             name, e);
        if (r == 0)
            r = target_drop_database(maint, name, e);
    }
    PQclear(res);
    return r;
}
