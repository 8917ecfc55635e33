/*
 * test_runcase.c: how a case is pointed at its sandbox (runner/runcase.h).
 *
 * Covers: target_url_parts (isolation/target.h; table: TCP, IPv6, socket folder
 * in ?host=, percent-encoded user, password and options), each URL read back by
 * libpq's own parser; runcase_env dropping inherited PG*, DATABASE_URL and
 * ISOTEST_* variables and setting exactly one of each sandbox variable
 * (database and schema mode, with and without a password, with extras);
 * runcase_psql_command, checked by letting sh split it.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "common/proc.h"
#include "common/strbuf.h"
#include "isolation/target.h"
#include "runner/runcase.h"

struct url_case {
    char host[40];
    char port[8];
    char user[24];
    char password[24];
    bool has_password;
    char dbname[32];
    char options[40];
    char want[200];
};

ParameterizedTestParameters(runcase, database_url)
{
    static struct url_case cases[] = {
        {"localhost", "5432", "alice", "", false, "db1", "",
         "postgresql://alice@localhost:5432/db1"},
        {"db.example.com", "6543", "bob", "secret", true, "isotest_deadbeef_1",
         "", "postgresql://bob:secret@db.example.com:6543/isotest_deadbeef_1"},
        {"::1", "5432", "alice", "", false, "db", "",
         "postgresql://alice@[::1]:5432/db"},
        {"/tmp/pg sock", "5433", "alice", "", false, "db", "",
         "postgresql://alice@/db?host=%2Ftmp%2Fpg%20sock&port=5433"},
        {"/var/run/postgresql", "5432", "alice", "", false, "db",
         "-c search_path=s1,public",
         "postgresql://alice@/db?host=%2Fvar%2Frun%2Fpostgresql&port=5432"
         "&options=-c%20search_path%3Ds1%2Cpublic"},
        {"localhost", "5432", "alice", "", false, "db",
         "-c search_path=s1,public",
         "postgresql://alice@localhost:5432/db"
         "?options=-c%20search_path%3Ds1%2Cpublic"},
        {"h", "5432", "a@b:c/d% e", "p@:/% w?#", true, "db", "",
         "postgresql://a%40b%3Ac%2Fd%25%20e:p%40%3A%2F%25%20w%3F%23@h:5432/db"},
    };

    return cr_make_param_array(struct url_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

static const char *opt_value(PQconninfoOption *opts, const char *key)
{
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (!strcmp(o->keyword, key))
            return o->val;
    return NULL;
}

ParameterizedTest(struct url_case *c, runcase, database_url)
{
    char *url = target_url_parts(c->host, c->port, c->user,
                                 c->has_password ? c->password : NULL,
                                 c->dbname, c->options, NULL);
    char *perr = NULL;

    cr_assert_str_eq(url, c->want);

    /* libpq must read back exactly what went in. */
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    cr_assert_not_null(opts, "libpq cannot parse %s: %s", url, perr);
    cr_assert_str_eq(opt_value(opts, "host"), c->host);
    cr_assert_str_eq(opt_value(opts, "port"), c->port);
    cr_assert_str_eq(opt_value(opts, "user"), c->user);
    cr_assert_str_eq(opt_value(opts, "dbname"), c->dbname);
    if (c->has_password)
        cr_assert_str_eq(opt_value(opts, "password"), c->password);
    else
        cr_assert_null(opt_value(opts, "password"));
    if (c->options[0])
        cr_assert_str_eq(opt_value(opts, "options"), c->options);
    PQconninfoFree(opts);
    free(url);
}

static int count(char **env, const char *name)
{
    size_t n = strlen(name);
    int k = 0;

    for (char **p = env; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            k++;
    return k;
}

/* The value of name in env; asserts it is there exactly once. */
static const char *get(char **env, const char *name)
{
    size_t n = strlen(name);

    cr_assert_eq(count(env, name), 1, "%s set %d times", name,
                 count(env, name));
    for (char **p = env; *p; p++)
        if (!strncmp(*p, name, n) && (*p)[n] == '=')
            return *p + n + 1;
    return NULL;
}

/* Inherited settings a case must never see (the test process is ours). */
static void pollute_environment(void)
{
    static const char *const names[] = {
        "PGHOST",       "PGPORT",          "PGUSER",           "PGDATABASE",
        "PGPASSWORD",   "PGOPTIONS",       "PGSERVICE",        "PGSSLMODE",
        "DATABASE_URL", "ISOTEST_SANDBOX", "ISOTEST_SOMETHING"};

    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        setenv(names[i], "leaked-from-parent", 1);
    setenv("KEEP_ME", "kept", 1);
}

static const char sock[] = "/tmp/isotest sock";

/* A sandbox as libisotest describes one, URL built the library's way. */
static struct runcase_sandbox view(const char *name, const char *dbname,
                                   const char *options, const char *password)
{
    static char *url;

    free(url);
    url = target_url_parts(sock, "5433", "alice", password, dbname, options,
                           name);
    return (struct runcase_sandbox){.host = sock,
                                    .port = "5433",
                                    .user = "alice",
                                    .password = password,
                                    .dbname = dbname,
                                    .name = name,
                                    .options = options,
                                    .url = url};
}

static struct runcase_sandbox database_sandbox(const char *password)
{
    return view("isotest_deadbeef_3", "isotest_deadbeef_3", "", password);
}

static struct runcase_sandbox schema_sandbox(const char *password)
{
    return view("isotest_deadbeef_4", "isotest_deadbeef_schemas",
                "-c search_path=isotest_deadbeef_4,public", password);
}

Test(runcase, env_database_mode, .init = pollute_environment)
{
    struct runcase_sandbox sb = database_sandbox(NULL);
    char **env = runcase_env(&sb, "shop/sql/x", 2, NULL);
    char *url =
        target_url_parts(sock, "5433", "alice", NULL, "isotest_deadbeef_3",
                         NULL, "isotest_deadbeef_3");

    cr_assert_str_eq(get(env, "PGHOST"), "/tmp/isotest sock");
    cr_assert_str_eq(get(env, "PGPORT"), "5433");
    cr_assert_str_eq(get(env, "PGUSER"), "alice");
    cr_assert_str_eq(get(env, "PGDATABASE"), "isotest_deadbeef_3");
    cr_assert_str_eq(get(env, "PGAPPNAME"), "isotest_deadbeef_3");
    cr_assert_str_eq(get(env, "DATABASE_URL"), url);
    cr_assert_not_null(strstr(url, "application_name=isotest_deadbeef_3"));
    cr_assert_str_eq(get(env, "ISOTEST_TEST_ID"), "shop/sql/x");
    cr_assert_str_eq(get(env, "ISOTEST_WORKER"), "2");
    cr_assert_str_eq(get(env, "ISOTEST_SANDBOX"), "isotest_deadbeef_3");
    cr_assert_str_eq(get(env, "KEEP_ME"), "kept");
    cr_assert_eq(count(env, "PGPASSWORD"), 0);
    cr_assert_eq(count(env, "PGOPTIONS"), 0, "only schema mode sets it");
    cr_assert_eq(count(env, "PGSERVICE"), 0);
    cr_assert_eq(count(env, "PGSSLMODE"), 0);
    cr_assert_eq(count(env, "ISOTEST_SOMETHING"), 0);
    for (char **p = env; *p; p++)
        cr_assert_null(strstr(*p, "leaked-from-parent"),
                       "inherited value leaked: %s", *p);
    free(url);
    runcase_env_free(env);
}

Test(runcase, env_schema_mode_with_password, .init = pollute_environment)
{
    struct runcase_sandbox sb = schema_sandbox("s3cr:t");
    char **env = runcase_env(&sb, "shop/tap/t", 0, NULL);
    const char *url = get(env, "DATABASE_URL");
    char *perr = NULL;

    cr_assert_str_eq(get(env, "PGOPTIONS"),
                     "-c search_path=isotest_deadbeef_4,public");
    cr_assert_str_eq(get(env, "PGDATABASE"), "isotest_deadbeef_schemas");
    cr_assert_str_eq(get(env, "PGAPPNAME"), "isotest_deadbeef_4");
    cr_assert_str_eq(get(env, "ISOTEST_SANDBOX"), "isotest_deadbeef_4");
    cr_assert_str_eq(get(env, "PGPASSWORD"), "s3cr:t");
    cr_assert_str_eq(get(env, "ISOTEST_WORKER"), "0");

    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    cr_assert_not_null(opts, "%s", perr);
    cr_assert_str_eq(opt_value(opts, "options"),
                     "-c search_path=isotest_deadbeef_4,public");
    cr_assert_str_eq(opt_value(opts, "password"), "s3cr:t");
    cr_assert_str_eq(opt_value(opts, "dbname"), "isotest_deadbeef_schemas");
    PQconninfoFree(opts);
    runcase_env_free(env);
}

Test(runcase, env_extras_come_last_and_win_pgoptions,
     .init = pollute_environment)
{
    struct runcase_sandbox sb = schema_sandbox(NULL);
    const char *extra[] = {"PGTZ=PST8PDT", "PGOPTIONS=-c intervalstyle=x",
                           NULL};
    char **env = runcase_env(&sb, "id", 1, extra);

    cr_assert_str_eq(get(env, "PGTZ"), "PST8PDT");
    cr_assert_str_eq(get(env, "PGOPTIONS"), "-c intervalstyle=x");
    cr_assert_str_eq(get(env, "PGHOST"), "/tmp/isotest sock");
    runcase_env_free(env);
    runcase_env_free(NULL);
}

Test(runcase, psql_command_text)
{
    struct runcase_sandbox db = database_sandbox(NULL);
    char *a = runcase_psql_command(&db);
    struct runcase_sandbox sc = schema_sandbox(NULL);
    char *b = runcase_psql_command(&sc);

    cr_assert_str_eq(a, "psql -h '/tmp/isotest sock' -p 5433 -U 'alice' -d "
                        "isotest_deadbeef_3");
    cr_assert_str_eq(b, "PGOPTIONS='-c search_path=isotest_deadbeef_4,public' "
                        "psql -h '/tmp/isotest sock' -p 5433 -U 'alice' -d "
                        "isotest_deadbeef_schemas");
    free(a);
    free(b);
}

/*
 * Let sh split the command: a function named psql prints each argument on
 * its own line, then PGOPTIONS.
 */
static char *split_by_sh(const char *cmd)
{
    char *script = xasprintf("psql() { for a; do printf '[%%s]\\n' \"$a\"; "
                             "done; printf 'PGOPTIONS=[%%s]\\n' "
                             "\"$PGOPTIONS\"; }; %s",
                             cmd);
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_run(argv, &out, &st, &e), 0, "%s", e.msg);
    free(script);
    return strbuf_detach(&out, NULL);
}

Test(runcase, psql_command_survives_the_shell)
{
    struct runcase_sandbox sc = schema_sandbox(NULL);
    sc.host = "/tmp/o'neil dir";
    sc.port = "5432";
    sc.user = "o'brien";
    char *cmd = runcase_psql_command(&sc);
    char *out = split_by_sh(cmd);

    cr_expect_str_eq(out,
                     "[-h]\n[/tmp/o'neil dir]\n[-p]\n[5432]\n[-U]\n"
                     "[o'brien]\n[-d]\n[isotest_deadbeef_schemas]\n"
                     "PGOPTIONS=[-c search_path=isotest_deadbeef_4,"
                     "public]\n",
                     "command was: %s", cmd);
    free(out);
    free(cmd);
}
