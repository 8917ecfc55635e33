/*
 * template.c: building and finding templates, and carrying their
 * database-level settings and privileges over to clones.  The template's
 * extensions are in template_ext.c; retiring and pruning old templates in
 * template_retire.c.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include "template.h"
#include "common/clock.h"
#include "common/pgwait.h"
#include "common/strbuf.h"
#include "target.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long a server is given to act on a cancel request. */
#define CANCEL_GRACE_MS 5000
/* Bumped when what a build does changes: the hash then differs. */
#define TEMPLATE_FORMAT "isotest-template-3"
/*
 * The comment: "isotest template; extensions (hex): LIST; suite: KEY",
 * fields separated by "; " (template_comment_field() reads them).  LIST
 * holds each extension as hex(name) hex(schema) hex(version),
 * comma-separated: no name can break the list.
 */
#define COMMENT_HEAD "isotest template"
#define EXT_FIELD "extensions (hex)"

static void hash_add(EVP_MD_CTX *ctx, const void *p, size_t n)
{
    /* Length-prefixed, so ("ab","c") and ("a","bc") differ. */
    unsigned long long len = n;

    EVP_DigestUpdate(ctx, &len, sizeof(len));
    EVP_DigestUpdate(ctx, p, n);
}

void template_hash(const struct template_spec *spec, int server_version,
                   char out[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char ver[32];

    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    hash_add(ctx, TEMPLATE_FORMAT, strlen(TEMPLATE_FORMAT));
    snprintf(ver, sizeof(ver), "%d", server_version);
    hash_add(ctx, ver, strlen(ver));
    for (size_t i = 0; i < spec->n_ext; i++)
        hash_add(ctx, spec->extensions[i], strlen(spec->extensions[i]));
    hash_add(ctx, "--", 2);
    if (spec->ms) {
        for (size_t i = 0; i < spec->ms->n; i++) {
            const struct migration *m = &spec->ms->v[i];
            hash_add(ctx, m->name, strlen(m->name));
            hash_add(ctx, m->sql, m->len);
        }
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < mdlen && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[64] = '\0';
}

void template_suite_key(const struct template_spec *spec,
                        char out[TEMPLATE_SUITE_LEN + 1])
{
    char *suite = NULL;

    out[0] = '\0';
    if (spec->suite) {
        suite = xstrdup(spec->suite);
    } else if (spec->ms && spec->ms->dir) {
        char *abs = realpath(spec->ms->dir, NULL);
        suite = xasprintf("migrations %s", abs ? abs : spec->ms->dir);
        free(abs);
    }
    if (!suite)
        return;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    hash_add(ctx, suite, strlen(suite));
    free(suite);
    for (size_t i = 0; i < spec->n_ext; i++)
        hash_add(ctx, spec->extensions[i], strlen(spec->extensions[i]));
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (unsigned i = 0; i < mdlen && i < TEMPLATE_SUITE_LEN / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int template_db_state(PGconn *conn, const char *name, struct isotest_err *e)
{
    const char *vals[] = {name};
    PGresult *res;

    if (target_exec_params(
            conn, "SELECT datistemplate FROM pg_database WHERE datname = $1", 1,
            vals, &res, e) < 0)
        return -1;
    int r = PQntuples(res) == 0                       ? 0
            : strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? 1
                                                      : 2;
    PQclear(res);
    return r;
}

static bool is_list_guc(const char *name)
{
    static const char *const lists[] = {
        "search_path", "temp_tablespaces", "session_preload_libraries",
        "local_preload_libraries", "shared_preload_libraries"};

    for (size_t i = 0; i < sizeof(lists) / sizeof(*lists); i++)
        if (strcasecmp(name, lists[i]) == 0)
            return true;
    return false;
}

static void add_carry(struct template *tpl, const char *pre, const char *post)
{
    tpl->carry_pre =
        xrealloc(tpl->carry_pre, (tpl->ncarry + 1) * sizeof(char *));
    tpl->carry_post =
        xrealloc(tpl->carry_post, (tpl->ncarry + 1) * sizeof(char *));
    tpl->carry_pre[tpl->ncarry] = xstrdup(pre);
    tpl->carry_post[tpl->ncarry] = xstrdup(post);
    tpl->ncarry++;
}

/* The extensions a template was built with, from its comment. */
static int read_extensions(PGconn *conn, struct template *tpl,
                           struct isotest_err *e)
{
    const char *vals[] = {tpl->name};
    PGresult *res;

    if (target_exec_params(
            conn,
            "SELECT coalesce(shobj_description(oid, 'pg_database'), "
            "'') FROM pg_database WHERE datname = $1",
            1, vals, &res, e) < 0)
        return -1;
    char *list = template_comment_field(
        PQntuples(res) ? PQgetvalue(res, 0, 0) : "", EXT_FIELD);
    char *save = NULL;
    for (char *x = list ? strtok_r(list, ",", &save) : NULL; x;
         x = strtok_r(NULL, ",", &save))
        template_ext_add(tpl, x);
    free(list);
    PQclear(res);
    return 0;
}

/*
 * Carry one stored setting, cfg ("name=value"), for role (quoted; "" for
 * every role) in the template's database.
 */
static void carry_setting(PGconn *conn, struct template *tpl, const char *role,
                          const char *cfg)
{
    const char *eq = strchr(cfg, '=');

    if (!eq)
        return;
    char *name = xstrndup(cfg, (size_t)(eq - cfg));
    char *qname = PQescapeIdentifier(conn, name, strlen(name));
    /*
     * List settings are stored already quoted element by element
     * (search_path=a, "b c"): replay them as written.  The rest are
     * one value each: quote it as a literal.
     */
    char *qval = is_list_guc(name)
                     ? NULL
                     : PQescapeLiteral(conn, eq + 1, strlen(eq + 1));
    char *pre = *role ? xasprintf("ALTER ROLE %s IN DATABASE ", role)
                      : xstrdup("ALTER DATABASE ");
    char *post =
        xasprintf(" SET %s TO %s", qname ? qname : name, qval ? qval : eq + 1);
    add_carry(tpl, pre, post);
    free(pre);
    free(post);
    free(name);
    if (qname)
        PQfreemem(qname);
    if (qval)
        PQfreemem(qval);
}

/* Per-database and per-role-in-database settings (ALTER ... SET). */
static int read_settings(PGconn *conn, struct template *tpl,
                         struct isotest_err *e)
{
    const char *vals[] = {tpl->name};
    PGresult *res;

    if (target_exec_params(conn,
                           "SELECT coalesce(quote_ident(r.rolname), ''), "
                           "       unnest(s.setconfig) "
                           "FROM pg_db_role_setting s "
                           "JOIN pg_database d ON d.oid = s.setdatabase "
                           "LEFT JOIN pg_roles r ON r.oid = s.setrole "
                           "WHERE d.datname = $1 ORDER BY 1, 2",
                           1, vals, &res, e) < 0)
        return -1;
    for (int i = 0; i < PQntuples(res); i++) {
        carry_setting(conn, tpl, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        tpl->settings =
            xrealloc(tpl->settings, (tpl->nsettings + 1) * sizeof(char *));
        tpl->settings[tpl->nsettings++] = xstrdup(PQgetvalue(res, i, 1));
    }
    PQclear(res);
    return 0;
}

/* The database's own ACL, replayed as REVOKE ALL then one GRANT each. */
static int read_acl(PGconn *conn, struct template *tpl, struct isotest_err *e)
{
    const char *vals[] = {tpl->name};
    PGresult *res;

    if (target_exec_params(
            conn,
            "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' "
            "       ELSE quote_ident(pg_get_userbyid(a.grantee)) END, "
            "       a.privilege_type, a.is_grantable "
            "FROM pg_database d, aclexplode(d.datacl) a "
            "WHERE d.datname = $1 AND d.datacl IS NOT NULL "
            "ORDER BY 1, 2",
            1, vals, &res, e) < 0)
        return -1;
    if (PQntuples(res) > 0) {
        /* An explicit ACL replaces the default one entirely. */
        add_carry(tpl, "REVOKE ALL ON DATABASE ", " FROM PUBLIC");
        for (int i = 0; i < PQntuples(res); i++) {
            char *post = xasprintf(" TO %s%s", PQgetvalue(res, i, 0),
                                   strcmp(PQgetvalue(res, i, 2), "t") == 0
                                       ? " WITH GRANT OPTION"
                                       : "");
            char *pre =
                xasprintf("GRANT %s ON DATABASE ", PQgetvalue(res, i, 1));
            add_carry(tpl, pre, post);
            free(pre);
            free(post);
        }
    }
    PQclear(res);
    return 0;
}

/*
 * Read what CREATE DATABASE ... TEMPLATE will not copy: per-database (and
 * per-role-in-database) settings, and the database's ACL; and the
 * extensions the template was built with.
 */
static int read_carry(PGconn *conn, struct template *tpl, struct isotest_err *e)
{
    if (read_extensions(conn, tpl, e) < 0 || read_settings(conn, tpl, e) < 0 ||
        read_acl(conn, tpl, e) < 0)
        return -1;
    return 0;
}

/* Create buildname and fill it; on failure the caller drops it. */
static int build(const struct target *t, PGconn *maint,
                 const struct template_spec *spec, const char *buildname,
                 char **extlist, struct isotest_err *e)
{
    int r = target_exec_name(maint, "CREATE DATABASE %I TEMPLATE template0",
                             buildname, e);
    if (r < 0)
        return err_prefix(e, "cannot create template database");

    PGconn *conn = target_connect(t, buildname, e);
    if (!conn)
        return -1;
    /*
     * isotest's own extensions (pgtap for pgTAP cases, --extension) come
     * first, so that migrations may use them; but not one a migration
     * creates itself (`CREATE EXTENSION pgtap`, which would fail on a
     * second copy, maybe in a schema of its choosing): that one is added
     * after the migrations, only if they left it missing.
     */
    r = template_ext_create_own(conn, spec, true, e);
    if (r == 0 && spec->ms)
        r = migrate_apply_cancelable(spec->ms, conn, spec->cancelled,
                                     spec->cancel_arg, e);
    if (r == 0 && spec->ms)
        r = template_ext_create_own(conn, spec, false, e);
    if (r == 0)
        r = template_ext_list(conn, extlist, e);
    /* Never leave a session on a template: it would block every clone. */
    PQfinish(conn);
    return r;
}

/*
 * A server start deletes every relcache init file (pg_internal.init), and
 * nothing connects to a template, so its clones have none: the first
 * backend in every sandbox would rebuild the relation cache from the
 * catalogs and write the file, ~2 ms of server CPU per case.  One session
 * in the template writes it there, and FILE_COPY copies it into every
 * clone.  Only a speed-up: a failure is ignored.
 */
static void prime_relcache(const struct target *t, PGconn *maint,
                           const char *name)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    PGconn *conn = target_connect(t, name, &ignore);

    isotest_err_release(&ignore);
    if (!conn)
        return;
    PQfinish(conn);
    /* A clone would wait 100 ms for this session to be gone. */
    target_wait_sessions_end(maint, name);
}

/*
 * Rename a finished build to the template's name, record the extensions
 * schema mode must recreate in its comment, and mark it ready: one
 * transaction, so a template is either all of that or not there.
 */
static int publish(PGconn *maint, const char *buildname,
                   const struct template *tpl, const char *extlist,
                   struct isotest_err *e)
{
    const char *name = tpl->name;
    char *text = xasprintf(COMMENT_HEAD "; " EXT_FIELD ": %s%s%s", extlist,
                           tpl->suite[0] ? "; " TEMPLATE_SUITE_FIELD ": " : "",
                           tpl->suite);
    char *lit = PQescapeLiteral(maint, text, strlen(text));
    struct strbuf fmt = STRBUF_INIT;

    free(text);
    if (!lit)
        return err_set(e, "cannot quote the template's comment: %s",
                       PQerrorMessage(maint));
    strbuf_addstr(&fmt, "ALTER DATABASE %I RENAME TO %I; "
                        "COMMENT ON DATABASE %I IS ");
    for (const char *p = lit; *p; p++) {
        if (*p == '%')
            strbuf_addch(&fmt, '%');
        strbuf_addch(&fmt, *p);
    }
    strbuf_addstr(&fmt, "; ALTER DATABASE %I WITH IS_TEMPLATE true");
    PQfreemem(lit);
    const char *names[] = {buildname, name, name, name, NULL};
    int r = target_exec_ident(maint, fmt.buf, names, e);
    strbuf_release(&fmt);
    return r;
}

static bool cancelled(const struct template_spec *spec)
{
    return spec->cancelled && spec->cancelled(spec->cancel_arg);
}

/*
 * Take the build lock of template `name` (key): a wait while another run
 * builds it, which spec->cancelled may cut short (a cancel request ends
 * the lock wait on the server).
 */
static int lock_build(PGconn *maint, int32_t key, const char *name,
                      const struct template_spec *spec, struct isotest_err *e)
{
    char sql[80];
    struct pgwait w = {.stop_fn = spec->cancelled,
                       .stop_arg = spec->cancel_arg,
                       .grace_ms = CANCEL_GRACE_MS};

    snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%d, %d)",
             (int)IDENT_TPL_LOCK_CLASS, (int)key);
    PGresult *res = pgwait_exec(maint, sql, &w);
    bool locked = PQresultStatus(res) == PGRES_TUPLES_OK;

    if (locked && !w.stopped) {
        PQclear(res);
        return 0;
    }
    if (locked) { /* the lock came as the cancel went */
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        target_advisory(maint, "pg_advisory_unlock", IDENT_TPL_LOCK_CLASS, key,
                        &ignore);
        isotest_err_release(&ignore);
    }
    if (w.stopped)
        err_set(e,
                "interrupted while waiting for another run's build of "
                "template '%s'",
                name);
    else
        err_set(e, "cannot lock template '%s': %s", name,
                res ? PQresultErrorMessage(res) : PQerrorMessage(maint));
    PQclear(res);
    return -1;
}

int template_ensure(const struct target *t, PGconn *maint,
                    const struct template_spec *spec, struct template *tpl,
                    struct isotest_err *e)
{
    char buildname[IDENT_BUFSZ];
    double start = now_ms();
    int r = -1;

    memset(tpl, 0, sizeof(*tpl));
    template_hash(spec, PQserverVersion(maint), tpl->hash);
    snprintf(tpl->name, sizeof(tpl->name), IDENT_TPL_PREFIX "%.*s",
             IDENT_TPL_HASH_LEN, tpl->hash);
    if (ident_run_object(buildname, spec->runid, "tplbuild", e) < 0)
        return -1;

    template_suite_key(spec, tpl->suite);

    /* The hash's first 32 bits key the build lock. */
    int32_t key = ident_runid_key(tpl->hash);
    int got = target_advisory(maint, "pg_try_advisory_lock",
                              IDENT_TPL_LOCK_CLASS, key, e);
    if (got < 0)
        return err_prefix(e, "cannot lock template '%s'", tpl->name);
    if (got == 0) { /* another run builds it: wait, then look again */
        if (spec->progress)
            spec->progress(spec->progress_arg,
                           "waiting for another run's template build");
        if (lock_build(maint, key, tpl->name, spec, e) < 0)
            return -1;
    }

    int state = template_db_state(maint, tpl->name, e);
    if (state == 1) {
        tpl->reused = true;
        r = 0;
    } else if (state >= 0) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        /* Renamed but not marked ready: a build that died in between. */
        if (state == 2 && target_drop_database(maint, tpl->name, e) < 0)
            goto unlock;
        if (cancelled(spec)) {
            err_set(e, "interrupted before building template '%s'", tpl->name);
            goto unlock;
        }
        char *extlist = NULL;
        if (spec->progress) {
            size_t n = spec->ms ? spec->ms->n : 0;
            char *what = xasprintf("building template %s (%zu migration%s)",
                                   tpl->name, n, n == 1 ? "" : "s");
            spec->progress(spec->progress_arg, what);
            free(what);
        }
        r = build(t, maint, spec, buildname, &extlist, e);
        if (r == 0)
            r = publish(maint, buildname, tpl, extlist, e);
        if (r < 0) {
            target_drop_database(maint, buildname, &ignore);
            target_drop_database(maint, tpl->name, &ignore);
        }
        free(extlist);
        isotest_err_release(&ignore);
    }
    /*
     * While this session lives, the template is in use: template_prune()
     * in another run must not drop it between two of our clones.  Taken
     * before the build lock goes, so that no prune fits in between.
     */
    if (r == 0 && target_advisory(maint, "pg_advisory_lock_shared",
                                  IDENT_TPL_USE_CLASS, key, e) < 0)
        r = -1;
unlock:;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    target_advisory(maint, "pg_advisory_unlock", IDENT_TPL_LOCK_CLASS, key,
                    &ignore);
    isotest_err_release(&ignore);
    if (r == 0)
        r = read_carry(maint, tpl, e);
    if (r == 0)
        prime_relcache(t, maint, tpl->name);
    /* A new template supersedes its suite's others (a failure keeps them). */
    if (r == 0 && !tpl->reused && tpl->suite[0]) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        int n = template_retire(maint, tpl->name, tpl->suite, NULL, &ignore);
        isotest_err_release(&ignore);
        tpl->retired = n > 0 ? n : 0;
    }
    tpl->build_ms = now_ms() - start;
    return r;
}

const char *template_setting(const struct template *tpl, const char *name)
{
    size_t n = strlen(name);

    for (size_t i = 0; i < tpl->nsettings; i++)
        if (!strncasecmp(tpl->settings[i], name, n) &&
            tpl->settings[i][n] == '=')
            return tpl->settings[i] + n + 1;
    return NULL;
}

int template_carry(const struct template *tpl, PGconn *conn, const char *dbname,
                   struct isotest_err *e)
{
    if (!tpl->ncarry)
        return 0;
    char *q = ident_quote(conn, dbname, e);
    if (!q)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    for (size_t i = 0; i < tpl->ncarry; i++)
        strbuf_addf(&sb, "%s%s%s;\n", tpl->carry_pre[i], q, tpl->carry_post[i]);
    PQfreemem(q);
    int r = target_exec(conn, sb.buf, e);
    strbuf_release(&sb);
    if (r < 0)
        return err_prefix(e,
                          "cannot carry the template's settings over to "
                          "'%s'",
                          dbname);
    return 0;
}

void template_release(struct template *tpl)
{
    for (size_t i = 0; i < tpl->n_ext; i++) {
        free(tpl->extensions[i]);
        free(tpl->ext_schemas[i]);
        free(tpl->ext_versions[i]);
    }
    free(tpl->extensions);
    free(tpl->ext_schemas);
    free(tpl->ext_versions);
    for (size_t i = 0; i < tpl->ncarry; i++) {
        free(tpl->carry_pre[i]);
        free(tpl->carry_post[i]);
    }
    free(tpl->carry_pre);
    free(tpl->carry_post);
    for (size_t i = 0; i < tpl->nsettings; i++)
        free(tpl->settings[i]);
    free(tpl->settings);
    memset(tpl, 0, sizeof(*tpl));
}
