/*
 * template_retire.c: which templates go, and when.
 *
 *   template_retire()  when a session has built a new template: the other
 *                      templates of the same suite (the suite key in the
 *                      comment), which the new one supersedes;
 *   template_prune()   isotest clean, and an embedded server's close: any
 *                      template beyond the newest n.
 *
 * Either way a template goes only when no live run uses it: a run holds
 * the shared lock (IDENT_TPL_USE_CLASS, key) while it clones from it, and
 * a run about to take that lock holds the build lock (IDENT_TPL_LOCK_CLASS,
 * key) while it checks that the template is ready.  Both are tried here,
 * exclusive and without waiting, before the drop.  The comment's fields
 * ("isotest template; extensions (hex): ...; suite: KEY") are read by
 * template_comment_field(); a template without a suite field belongs to
 * no suite a run retires.
 */
#include "common/strbuf.h"
#include "schema_cache.h"
#include "target.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

char *template_comment_field(const char *comment, const char *key)
{
    size_t klen = strlen(key);

    /* Fields are "; "-separated "KEY: VALUE"; the first names isotest. */
    for (const char *p = comment; p && *p;) {
        const char *end = strstr(p, "; ");
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > klen + 1 && !strncmp(p, key, klen) && p[klen] == ':' &&
            p[klen + 1] == ' ')
            return xstrndup(p + klen + 2, len - klen - 2);
        p = end ? end + 2 : NULL;
    }
    return NULL;
}

/*
 * Drop template `name` unless a live run uses it or is about to: 1
 * dropped (with dry_run: would be), 0 left, -1 with e set.
 */
static int drop_unused(PGconn *maint, const char *name, bool dry_run,
                       struct isotest_err *e)
{
    /* The hash's first 32 bits, as template_ensure keys its locks. */
    int32_t key = ident_runid_key(name + strlen(IDENT_TPL_PREFIX));
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    int r = target_advisory(maint, "pg_try_advisory_lock", IDENT_TPL_LOCK_CLASS,
                            key, e);

    if (r <= 0)
        return r;
    r = target_advisory(maint, "pg_try_advisory_lock", IDENT_TPL_USE_CLASS, key,
                        e);
    /*
     * IS_TEMPLATE databases must be unmarked before they can go; two
     * messages, since DROP DATABASE refuses to run in the transaction
     * that several statements in one message make.
     */
    if (r > 0 && !dry_run &&
        (target_exec_name(maint, "ALTER DATABASE %I WITH IS_TEMPLATE false",
                          name, e) < 0 ||
         target_exec_name(maint, "DROP DATABASE %I WITH (FORCE)", name, e) <
             0 ||
         /* Schema mode's cache of it goes with it (schema_cache.h). */
         schema_cache_drop(maint, name, e) < 0))
        r = -1;
    if (r != 0)
        target_advisory(maint, "pg_advisory_unlock", IDENT_TPL_USE_CLASS, key,
                        &ignore);
    target_advisory(maint, "pg_advisory_unlock", IDENT_TPL_LOCK_CLASS, key,
                    &ignore);
    isotest_err_release(&ignore);
    return r;
}

/* Finished templates other than keep, newest first, with their comments. */
static int list_templates(PGconn *maint, const char *keep, PGresult **res,
                          struct isotest_err *e)
{
    char *regex = ident_template_regex();
    const char *vals[] = {keep ? keep : "", regex};
    /* OIDs follow creation. */
    int r = target_exec_params(
        maint,
        "SELECT d.datname, "
        "       coalesce(shobj_description(d.oid, 'pg_database'), '') "
        "FROM pg_database d "
        "WHERE d.datname ~ $2 AND d.datistemplate AND d.datname <> $1 "
        "ORDER BY d.oid DESC",
        2, vals, res, e);

    free(regex);
    return r;
}

int template_prune(PGconn *maint, const char *keep, int n_keep, bool dry_run,
                   struct strbuf *log, struct isotest_err *e)
{
    PGresult *res;
    int n = 0, skip = n_keep > 0 ? n_keep - (keep ? 1 : 0) : 0;

    if (list_templates(maint, keep, &res, e) < 0)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        if (skip > 0) {
            skip--;
            continue;
        }
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        if (drop_unused(maint, name, dry_run, &ignore) > 0) {
            n++;
            if (log)
                strbuf_addf(log, "%s template %s\n",
                            dry_run ? "would drop" : "dropped", name);
        }
        isotest_err_release(&ignore);
    }
    PQclear(res);
    return n;
}

int template_retire(PGconn *maint, const char *keep, const char *suite,
                    struct strbuf *log, struct isotest_err *e)
{
    PGresult *res;
    int n = 0;

    if (list_templates(maint, keep, &res, e) < 0)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *name = PQgetvalue(res, i, 0);
        char *its =
            template_comment_field(PQgetvalue(res, i, 1), TEMPLATE_SUITE_FIELD);
        bool same = its && !strcmp(its, suite);
        free(its);
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        if (same && drop_unused(maint, name, false, &ignore) > 0) {
            n++;
            if (log)
                strbuf_addf(log, "retired template %s\n", name);
        }
        isotest_err_release(&ignore);
    }
    PQclear(res);
    return n;
}
