/*
 * caseenv.c: a case's environment, as a list of "NAME=value" in which
 * setting a name replaces its earlier entry; the sources are applied
 * from the weakest to the strongest (caseenv.h).
 */
#include "caseenv.h"
#include "common/strbuf.h"
#include "runcase.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

extern char **environ;

/* pg_regress's session defaults, and the parameter each one sets. */
static const struct {
    const char *var; /* NULL: a -c in PGOPTIONS */
    const char *value;
    const char *param;
} regress_defaults[3] = {
    {"PGTZ", "PST8PDT", "TimeZone"},
    {"PGDATESTYLE", "Postgres, MDY", "DateStyle"},
    {NULL, "postgres_verbose", "IntervalStyle"},
};

/* Never inherited from isotest's own environment. */
static bool inherited_dropped(const char *kv)
{
    return !strncmp(kv, "PG", 2) || !strncmp(kv, "DATABASE_URL=", 13) ||
           !strncmp(kv, "ISOTEST_", 8);
}

static bool name_is(const char *kv, const char *name)
{
    size_t n = strlen(name);

    return !strncmp(kv, name, n) && (kv[n] == '=' || kv[n] == '\0');
}

/* The sandbox's own, and what could point libpq elsewhere. */
static bool sandbox_owned(const char *kv)
{
    static const char *const owned[] = {
        "PGHOST",     "PGHOSTADDR",   "PGPORT",    "PGUSER",
        "PGDATABASE", "PGPASSWORD",   "PGAPPNAME", "PGSERVICE",
        "PGOPTIONS",  "DATABASE_URL", NULL};

    for (size_t i = 0; owned[i]; i++)
        if (name_is(kv, owned[i]))
            return true;
    return !strncmp(kv, "ISOTEST_", 8);
}

struct env {
    char **v;
    size_t n, cap;
};

/* Add "NAME=value" (kv, taken over), replacing an entry of that name. */
static void env_put(struct env *env, char *kv)
{
    size_t n = strcspn(kv, "=");

    for (size_t i = 0; i < env->n; i++)
        if (!strncmp(env->v[i], kv, n) && env->v[i][n] == '=') {
            free(env->v[i]);
            env->v[i] = kv;
            return;
        }
    if (env->n + 2 > env->cap) {
        env->cap = env->cap ? env->cap * 2 : 64;
        env->v = xrealloc(env->v, env->cap * sizeof(*env->v));
    }
    env->v[env->n++] = kv;
    env->v[env->n] = NULL;
}

const char *caseenv_user(const struct caseenv *ce, const char *name)
{
    for (size_t i = 0; ce && i < ce->nuser; i++)
        if (name_is(ce->user[i], name))
            return ce->user[i] + strlen(name) + 1;
    return NULL;
}

/* Does the user's PGOPTIONS set the parameter ("-c name=" or "--name=")? */
static bool options_set(const char *options, const char *param)
{
    size_t n = strlen(param);

    for (const char *p = options; p && *p; p++)
        if (!strncasecmp(p, param, n) && p[n] == '=' &&
            (p == options || p[-1] == ' ' || p[-1] == '-' || p[-1] == 'c'))
            return true;
    return false;
}

void caseenv_init(struct caseenv *ce, const struct run_options *o)
{
    struct env user = {0};

    memset(ce, 0, sizeof(*ce));
    for (size_t i = 0; i < o->npass_envs; i++) {
        const char *v = getenv(o->pass_envs[i]);
        if (v)
            env_put(&user, xasprintf("%s=%s", o->pass_envs[i], v));
    }
    for (size_t i = 0; i < o->nenvs; i++)
        env_put(&user, xstrdup(o->envs[i]));
    ce->user = user.v;
    ce->nuser = user.n;
    /* In-process, libpq sees only the connection options (runcase.h). */
    for (size_t i = 0; i < ce->nuser && !ce->psql_only; i++)
        if (!strncmp(ce->user[i], "PG", 2) && !sandbox_owned(ce->user[i]))
            ce->psql_only = ce->user[i];
    const char *options = caseenv_user(ce, "PGOPTIONS");
    for (int i = 0; i < 3; i++)
        ce->regress[i] = !(regress_defaults[i].var &&
                           caseenv_user(ce, regress_defaults[i].var)) &&
                         !options_set(options, regress_defaults[i].param);
}

void caseenv_settle(struct caseenv *ce, caseenv_lookup db_setting,
                    const void *arg)
{
    for (int i = 0; i < 3; i++)
        if (db_setting(arg, regress_defaults[i].param))
            ce->regress[i] = false;
}

static const char *session_setting(const void *s, const char *param)
{
    return isotest_session_db_setting(s, param);
}

void caseenv_settle_session(struct caseenv *ce, const struct isotest_session *s)
{
    caseenv_settle(ce, session_setting, s);
}

char *caseenv_options(const struct caseenv *ce, const char *sandbox_options,
                      bool regress)
{
    struct strbuf sb = STRBUF_INIT;
    const char *user = caseenv_user(ce, "PGOPTIONS");

    if (regress && (!ce || ce->regress[2]))
        strbuf_addf(&sb, "-c intervalstyle=%s", regress_defaults[2].value);
    if (user && *user)
        strbuf_addf(&sb, "%s%s", sb.len ? " " : "", user);
    if (sandbox_options && *sandbox_options)
        strbuf_addf(&sb, "%s%s", sb.len ? " " : "", sandbox_options);
    return strbuf_detach(&sb, NULL);
}

char **caseenv_build(const struct caseenv *ce, const struct runcase_sandbox *sb,
                     const char *case_id, int worker, bool regress,
                     const char *const *extra)
{
    struct env env = {0};

    for (char **p = environ; *p; p++)
        if (!inherited_dropped(*p))
            env_put(&env, xstrdup(*p));
    for (int i = 0; regress && i < 2; i++)
        if (!ce || ce->regress[i])
            env_put(&env, xasprintf("%s=%s", regress_defaults[i].var,
                                    regress_defaults[i].value));
    for (size_t i = 0; ce && i < ce->nuser; i++)
        if (!sandbox_owned(ce->user[i]))
            env_put(&env, xstrdup(ce->user[i]));
    env_put(&env, xasprintf("PGHOST=%s", sb->host));
    env_put(&env, xasprintf("PGPORT=%s", sb->port));
    env_put(&env, xasprintf("PGUSER=%s", sb->user));
    env_put(&env, xasprintf("PGDATABASE=%s", sb->dbname));
    /* The sandbox name as application_name lets release find stragglers. */
    env_put(&env, xasprintf("PGAPPNAME=%s", sb->name));
    if (sb->password)
        env_put(&env, xasprintf("PGPASSWORD=%s", sb->password));
    char *options = caseenv_options(ce, sb->options, regress);
    if (*options)
        env_put(&env, xasprintf("PGOPTIONS=%s", options));
    free(options);
    env_put(&env, xasprintf("DATABASE_URL=%s", sb->url));
    env_put(&env, xasprintf("ISOTEST_TEST_ID=%s", case_id));
    env_put(&env, xasprintf("ISOTEST_WORKER=%d", worker));
    env_put(&env, xasprintf("ISOTEST_SANDBOX=%s", sb->name));
    for (const char *const *x = extra; x && *x; x++)
        env_put(&env, xstrdup(*x));
    return env.v;
}

void caseenv_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}

void caseenv_release(struct caseenv *ce)
{
    caseenv_free(ce->user);
    memset(ce, 0, sizeof(*ce));
}
