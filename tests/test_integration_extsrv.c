/*
 * test_integration_extsrv.c: extensions as a suite wrote them, and the
 * embedded server's settings.
 *
 * Covers: a set-up migration that creates pgtap itself and citext in a
 * schema x (ext_schema), passing in database and schema mode, the
 * template's citext in x (the cases check their own sandbox's catalog);
 * schema-mode migrations that call an extension's function in a DEFAULT
 * (ext_default); a migration that cannot be replayed in a schema
 * (ext_broken_schema) failing the run once, exit 2, nothing left; a
 * --server-option a case reads back on the embedded server, refused ones
 * (unknown parameter, bad value, malformed) named with exit 2 and no run
 * folder left, --server-option with --db or the PG* variables refused,
 * other settings keying another cached data folder, a --pg-bindir
 * without a server in it named, and PG_CONFIG's bindir used (a bad one
 * named).
 */
#include "common/strbuf.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXT_SCHEMA FIXTURES "/ext_schema"
#define EXT_DEFAULT FIXTURES "/ext_default"
#define EXT_BROKEN FIXTURES "/ext_broken_schema"
#define SERVER_OPTION FIXTURES "/server_option"

TestSuite(extsrv, .fini = itest_teardown, .timeout = 150);

/* How often `needle` occurs in `hay`. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

Test(extsrv, migration_creates_pgtap_and_extension_in_its_schema_database)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--isolation", "database", "-j", "2", "--junit", junit,
                      EXT_SCHEMA),
                 NULL);
    itest_assert_exit(&r, 0, "a migration that creates pgtap itself");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    /* The template itself: citext in x, one pgtap, in public. */
    char *tpl = itest_junit_property(junit, "isotest.template_name");
    cr_assert(tpl, "no template name in the report");
    char *tci = xasprintf("%s dbname=%s", ci, tpl);
    char *rows = itest_sql_rows(tci, "SELECT e.extname || ' ' || n.nspname "
                                     "FROM pg_extension e JOIN pg_namespace n "
                                     "ON n.oid = e.extnamespace "
                                     "WHERE e.extname <> 'plpgsql' ORDER BY 1");
    cr_expect_str_eq(rows, "citext x\npgtap public\n");
    itest_assert_no_sandboxes(ci);

    free(rows);
    free(tci);
    free(tpl);
    free(junit);
    itest_result_release(&r);
}

Test(extsrv, migration_creates_pgtap_and_extension_in_its_schema_schema_mode)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--isolation", "schema", "-j", "2", EXT_SCHEMA),
                 NULL);
    /* citext_in_x asserts, in its own sandbox, that citext is in x. */
    itest_assert_exit(&r, 0, "schema mode with citext in x");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
}

Test(extsrv, schema_mode_migrations_see_extension_functions)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--isolation", "schema", "-j", "2", EXT_DEFAULT),
                 NULL);
    itest_assert_exit(&r, 0, "a DEFAULT calling uuid_generate_v1()");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    itest_result_release(&r);
}

Test(extsrv, schema_mode_migration_failure_reported_once)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV("--isolation", "schema", "-j", "2", EXT_BROKEN),
                 NULL);
    itest_assert_exit(&r, 2, "a migration that fails in a schema");
    cr_expect_eq(occurrences(r.err, "relation \"public.t\" does not exist"), 1,
                 "not reported once:\n%s", r.err);
    cr_expect(strstr(r.err, "001_tables.sql' line 4"), "%s", r.err);
    cr_expect_null(strstr(r.out, "passed,"), "cases ran:\n%s", r.out);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
}

Test(extsrv, server_option_read_back_by_a_case)
{
    char **before = itest_run_dirs();
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--no-history", "--server-option",
                   "max_locks_per_transaction=1000", SERVER_OPTION),
              NULL);
    itest_assert_exit(&r, 0, "--server-option max_locks_per_transaction");
    itest_assert_summary(&r, "1 passed, 0 failed, 0 skipped");
    cr_expect(strstr(r.err, "with max_locks_per_transaction=1000"),
              "no header line:\n%s", r.err);
    itest_assert_no_new_run_dirs(before);
    itest_strv_free(before);
    itest_result_release(&r);
}

/* A run with `opt` exits 2, naming `name`, and leaves no run folder. */
static void refused(const char *opt, const char *name)
{
    char **before = itest_run_dirs();
    struct itest_result r;

    itest_run(
        &r, ARGV("run", "--no-history", "--server-option", opt, SERVER_OPTION),
        NULL);
    itest_assert_exit(&r, 2, opt);
    cr_expect(strstr(r.err, name), "'%s' not named:\n%s", name, r.err);
    itest_assert_no_new_run_dirs(before);
    itest_strv_free(before);
    itest_result_release(&r);
}

Test(extsrv, server_option_unknown_parameter)
{
    refused("no_such_parameter=1",
            "unrecognized configuration parameter \"no_such_parameter\"");
}

Test(extsrv, server_option_bad_value)
{
    refused("max_connections=lots",
            "invalid value for parameter \"max_connections\"");
}

Test(extsrv, server_option_malformed)
{
    refused("max_connections", "'max_connections': expected NAME=VALUE");
}

Test(extsrv, server_option_with_db_refused)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--server-option", "work_mem=64MB", SERVER_OPTION), NULL);
    itest_assert_exit(&r, 2, "--server-option with --db");
    cr_expect(strstr(r.err, "--server-option 'work_mem=64MB'") &&
                  strstr(r.err, "--db"),
              "%s", r.err);
    itest_result_release(&r);
}

Test(extsrv, pg_bindir_without_server)
{
    char *dir = itest_tmpsubdir("nobin");
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--no-history", "--pg-bindir", dir, SERVER_OPTION),
              NULL);
    itest_assert_exit(&r, 2, "--pg-bindir of an empty folder");
    cr_expect(strstr(r.err, dir), "folder not named:\n%s", r.err);
    free(dir);
    itest_result_release(&r);
}

Test(extsrv, server_option_with_pg_variables_refused)
{
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--no-history", "--server-option", "work_mem=64MB",
                   SERVER_OPTION),
              ARGV("PGHOST=/nonexistent"));
    itest_assert_exit(&r, 2, "--server-option with PGHOST set");
    cr_expect(strstr(r.err, "'work_mem=64MB'") &&
                  strstr(r.err, "named by the PG* variables"),
              "%s", r.err);
    itest_result_release(&r);
}

/* The number of entries of dir whose name starts with `prefix`. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    cr_assert(d, "cannot read '%s'", dir);
    while ((de = readdir(d)))
        if (!strncmp(de->d_name, prefix, strlen(prefix)) &&
            !strchr(de->d_name, '.'))
            n++;
    closedir(d);
    return n;
}

/* Other settings, another cached data folder: never the same one. */
Test(extsrv, server_options_key_the_cache)
{
    char *cache = itest_tmpsubdir("cache");
    char *env = xasprintf("ISOTEST_CACHE_DIR=%s", cache);
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--no-history", "--server-option",
                   "max_locks_per_transaction=1000", SERVER_OPTION),
              ARGV(env));
    itest_assert_exit(&r, 0, "with the option, a cache of its own");
    itest_result_release(&r);
    cr_expect_eq(count_prefixed(cache, "cluster-"), 1);
    /* Without it: the default 256, and a second folder. */
    itest_run(&r, ARGV("run", "--no-history", SERVER_OPTION), ARGV(env));
    itest_assert_exit(&r, 1, "without the option the case must fail");
    itest_result_release(&r);
    cr_expect_eq(count_prefixed(cache, "cluster-"), 2);
    itest_run(&r,
              ARGV("run", "--no-history", "--server-option",
                   "max_locks_per_transaction=1000", SERVER_OPTION),
              ARGV(env));
    itest_assert_exit(&r, 0, "with the option again");
    itest_result_release(&r);
    cr_expect_eq(count_prefixed(cache, "cluster-"), 2);
    free(env);
    free(cache);
}

/* PG_CONFIG names the pg_config whose --bindir runs the server. */
Test(extsrv, pg_config_picks_the_server)
{
    char *script = itest_tmpfile("pg_config");
    char *nobin = itest_tmpsubdir("nobin");
    char *text = xasprintf("#!/bin/sh\necho %s\n", nobin);
    char *env = NULL;
    struct itest_result r;

    itest_write_file(script, text, 0755);
    env = xasprintf("PG_CONFIG=%s", script);
    itest_run(&r, ARGV("run", "--no-history", SERVER_OPTION), ARGV(env));
    itest_assert_exit(&r, 2, "a pg_config whose bindir has no server");
    cr_expect(strstr(r.err, nobin) && strstr(r.err, script),
              "neither folder nor PG_CONFIG named:\n%s", r.err);
    itest_result_release(&r);

    /* The real one: its bindir is what the run says it started. */
    char *out = NULL;
    int code = itest_run_tool(ARGV("pg_config", "--bindir"), &out, NULL);
    if (code == 0) {
        out[strcspn(out, "\n")] = '\0';
        free(env);
        env = xasprintf("PG_CONFIG=%s", "pg_config");
        itest_run(&r,
                  ARGV("run", "--no-history", "--server-option",
                       "max_locks_per_transaction=1000", SERVER_OPTION),
                  ARGV(env));
        itest_assert_exit(&r, 0, "PG_CONFIG=pg_config");
        char *want = xasprintf("from %s, with", out);
        cr_expect(strstr(r.err, want), "no '%s' in:\n%s", want, r.err);
        free(want);
        itest_result_release(&r);
    }
    free(out);
    free(env);
    free(text);
    free(nobin);
    free(script);
}
