/*
 * test_caseenv.c: a case's environment and its order of precedence
 * (runner/caseenv.h), without a server.
 *
 * Covers: the user's variables (--pass-env from isotest's own
 * environment, --env, the later winning) over the inherited ones; the
 * sandbox's variables over the user's; PGOPTIONS merged (pg_regress's
 * intervalstyle, the user's, the sandbox's search_path, in that order);
 * pg_regress's defaults only for expected-output cases, and dropped one
 * by one when the user or the template sets the parameter; which user
 * variable sends SQL cases to psql; isotest's extras last.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "runner/caseenv.h"
#include "runner/runcase.h"

static const char *get(char **env, const char *name)
{
    size_t n = strlen(name);

    for (char **p = env; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

static size_t count(char **env, const char *name)
{
    size_t n = strlen(name), k = 0;

    for (char **p = env; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            k++;
    return k;
}

static struct runcase_sandbox sandbox(const char *options)
{
    return (struct runcase_sandbox){.host = "/tmp/sock",
                                    .port = "5433",
                                    .user = "alice",
                                    .password = NULL,
                                    .dbname = "isotest_deadbeef_schemas",
                                    .name = "isotest_deadbeef_4",
                                    .options = options,
                                    .url = "postgresql:///x"};
}

static void environment(void)
{
    setenv("PGOPTIONS", "-c work_mem=1MB", 1);
    setenv("PGTZ", "Europe/Berlin", 1);
    setenv("FROM_PARENT", "parent", 1);
    setenv("SHARED", "parent", 1);
    unsetenv("NOT_SET_ANYWHERE");
}

/* --pass-env and --env as options_parse() would leave them. */
static void init(struct caseenv *ce, const char **envs, size_t nenvs,
                 const char **pass, size_t npass)
{
    struct run_options o = {
        .envs = envs, .nenvs = nenvs, .pass_envs = pass, .npass_envs = npass};

    caseenv_init(ce, &o);
}

Test(caseenv, precedence, .init = environment)
{
    const char *envs[] = {"SHARED=env",  "PGHOST=elsewhere",
                          "ISOTEST_X=1", "DATABASE_URL=postgres://x",
                          "LANG=C",      "SHARED=env2"};
    const char *pass[] = {"SHARED", "PGTZ", "NOT_SET_ANYWHERE"};
    struct caseenv ce;
    struct runcase_sandbox sb = sandbox("");

    init(&ce, envs, 6, pass, 3);
    char **env = caseenv_build(&ce, &sb, "s/c", 3, false, NULL);
    cr_assert_str_eq(get(env, "FROM_PARENT"), "parent", "inherited");
    cr_assert_str_eq(get(env, "SHARED"), "env2", "--env, the later one");
    cr_assert_eq(count(env, "SHARED"), 1);
    cr_assert_str_eq(get(env, "PGTZ"), "Europe/Berlin", "--pass-env");
    cr_assert_null(get(env, "NOT_SET_ANYWHERE"));
    cr_assert_str_eq(get(env, "LANG"), "C");
    cr_assert_str_eq(get(env, "PGHOST"), "/tmp/sock", "the sandbox wins");
    cr_assert_eq(count(env, "PGHOST"), 1);
    cr_assert_str_eq(get(env, "DATABASE_URL"), "postgresql:///x");
    cr_assert_null(get(env, "ISOTEST_X"));
    cr_assert_str_eq(get(env, "ISOTEST_TEST_ID"), "s/c");
    cr_assert_null(get(env, "PGOPTIONS"), "not passed: not inherited");
    caseenv_free(env);
    caseenv_release(&ce);
}

Test(caseenv, pgoptions_merged, .init = environment)
{
    const char *pass[] = {"PGOPTIONS"};
    const char *envs[] = {"PGOPTIONS=-c lock_timeout=10s"};
    struct caseenv ce;
    struct runcase_sandbox schema = sandbox("-c search_path=isotest_x_4");
    struct runcase_sandbox db = sandbox("");

    init(&ce, NULL, 0, pass, 1);
    char **env = caseenv_build(&ce, &schema, "s/c", 0, false, NULL);
    cr_assert_str_eq(get(env, "PGOPTIONS"),
                     "-c work_mem=1MB -c search_path=isotest_x_4");
    caseenv_free(env);
    env = caseenv_build(&ce, &db, "s/c", 0, false, NULL);
    cr_assert_str_eq(get(env, "PGOPTIONS"), "-c work_mem=1MB");
    caseenv_free(env);
    /* An expected-output case: pg_regress's intervalstyle first. */
    env = caseenv_build(&ce, &schema, "s/c", 0, true, NULL);
    cr_assert_str_eq(get(env, "PGOPTIONS"),
                     "-c intervalstyle=postgres_verbose -c work_mem=1MB "
                     "-c search_path=isotest_x_4");
    caseenv_free(env);
    caseenv_release(&ce);

    init(&ce, envs, 1, pass, 1);
    char *options = caseenv_options(&ce, "-c search_path=s", false);
    cr_assert_str_eq(options, "-c lock_timeout=10s -c search_path=s",
                     "--env wins over --pass-env");
    free(options);
    cr_assert_null(ce.psql_only, "PGOPTIONS is honoured in process");
    caseenv_release(&ce);
    options = caseenv_options(NULL, "", false);
    cr_assert_str_eq(options, "");
    free(options);
}

Test(caseenv, regress_defaults, .init = environment)
{
    struct runcase_sandbox sb = sandbox("");
    struct caseenv ce;

    init(&ce, NULL, 0, NULL, 0);
    char **env = caseenv_build(&ce, &sb, "s/c", 0, true, NULL);
    cr_assert_str_eq(get(env, "PGTZ"), "PST8PDT");
    cr_assert_str_eq(get(env, "PGDATESTYLE"), "Postgres, MDY");
    cr_assert_str_eq(get(env, "PGOPTIONS"),
                     "-c intervalstyle=postgres_verbose");
    caseenv_free(env);
    env = caseenv_build(&ce, &sb, "s/c", 0, false, NULL);
    cr_assert_null(get(env, "PGTZ"), "only for expected-output cases");
    cr_assert_null(get(env, "PGDATESTYLE"));
    caseenv_free(env);
    caseenv_release(&ce);
}

Test(caseenv, regress_defaults_yield_to_the_user, .init = environment)
{
    const char *envs[] = {"PGTZ=UTC", "PGOPTIONS=-c IntervalStyle=iso_8601"};
    struct runcase_sandbox sb = sandbox("");
    struct caseenv ce;

    init(&ce, envs, 2, NULL, 0);
    char **env = caseenv_build(&ce, &sb, "s/c", 0, true, NULL);
    cr_assert_str_eq(get(env, "PGTZ"), "UTC");
    cr_assert_str_eq(get(env, "PGDATESTYLE"), "Postgres, MDY");
    cr_assert_str_eq(get(env, "PGOPTIONS"), "-c IntervalStyle=iso_8601");
    cr_assert_str_eq(ce.psql_only, "PGTZ=UTC", "libpq reads PGTZ itself");
    caseenv_free(env);
    caseenv_release(&ce);
}

/* A template that sets TimeZone and DateStyle at database level. */
static const char *template_sets(const void *arg, const char *param)
{
    (void)arg;
    return !strcasecmp(param, "timezone")    ? "UTC"
           : !strcasecmp(param, "DateStyle") ? "ISO, DMY"
                                             : NULL;
}

static const char *template_sets_nothing(const void *arg, const char *param)
{
    (void)arg, (void)param;
    return NULL;
}

Test(caseenv, regress_defaults_yield_to_the_template, .init = environment)
{
    struct runcase_sandbox sb = sandbox("");
    struct caseenv ce;

    init(&ce, NULL, 0, NULL, 0);
    caseenv_settle(&ce, template_sets_nothing, NULL);
    char **env = caseenv_build(&ce, &sb, "s/c", 0, true, NULL);
    cr_assert_str_eq(get(env, "PGTZ"), "PST8PDT");
    caseenv_free(env);
    caseenv_settle(&ce, template_sets, NULL);
    env = caseenv_build(&ce, &sb, "s/c", 0, true, NULL);
    cr_assert_null(get(env, "PGTZ"), "the template's time zone wins");
    cr_assert_null(get(env, "PGDATESTYLE"));
    cr_assert_str_eq(get(env, "PGOPTIONS"),
                     "-c intervalstyle=postgres_verbose");
    caseenv_free(env);
    caseenv_release(&ce);
}

Test(caseenv, extras_last_and_user_lookup, .init = environment)
{
    const char *envs[] = {"ISOTEST_CASE_REPORT=mine", "A=1"};
    const char *extra[] = {"ISOTEST_CASE_REPORT=/tmp/r", NULL};
    struct runcase_sandbox sb = sandbox("");
    struct caseenv ce;

    init(&ce, envs, 2, NULL, 0);
    char **env = caseenv_build(&ce, &sb, "s/c", 0, false, extra);
    cr_assert_str_eq(get(env, "ISOTEST_CASE_REPORT"), "/tmp/r");
    cr_assert_eq(count(env, "ISOTEST_CASE_REPORT"), 1);
    cr_assert_str_eq(caseenv_user(&ce, "A"), "1");
    cr_assert_null(caseenv_user(&ce, "B"));
    cr_assert_null(caseenv_user(NULL, "A"));
    cr_assert_null(ce.psql_only);
    caseenv_free(env);
    caseenv_release(&ce);

    /* The in-process path cannot hand libpq a PG* variable. */
    const char *ssl[] = {"PGSSLMODE=disable"};
    init(&ce, ssl, 1, NULL, 0);
    cr_assert_str_eq(ce.psql_only, "PGSSLMODE=disable");
    caseenv_release(&ce);
}
