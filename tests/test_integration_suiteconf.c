/*
 * test_integration_suiteconf.c: a suite's own configuration file, psql
 * variables, the case environment and the history after a failed
 * set-up, against a real server.
 *
 * What must hold: a pg_regress-shaped suite (tests/fixtures/conf_regress:
 * a migration setting the database's time zone, an expected output
 * without PL/pgSQL CONTEXT lines, an isotest.conf holding --set
 * SHOW_CONTEXT=never and --migrations db) passes with `isotest run SUITE`
 * and no option, and fails without its file; the command line wins over
 * the file, relative paths in it start at its folder, `list` reads it, a
 * bad line stops run, list and bench with exit 2 and FILE:LINE; --set reaches
 * both SQL paths; --env, --pass-env and a merged PGOPTIONS reach a
 * command case in database and schema mode while the sandbox's variables
 * win, and the merged PGOPTIONS reaches SQL cases on both paths; a case whose
 * sandbox could not be had keeps its recorded duration; every case missing a
 * relation without migrations gets the advice.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define REGRESS FIXTURES "/conf_regress"
#define SET FIXTURES "/conf_set"

TestSuite(suiteconf, .fini = itest_teardown, .timeout = 150);

/* The fixture suite `name`, copied into the scratch folder. */
static char *copy_fixture(const char *name)
{
    char *src = xasprintf(FIXTURES "/%s", name);
    char *dst = itest_tmpfile(name);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_copy_tree(src, dst, false, 0, 0, &e), 0, "%s", e.msg);
    free(src);
    return dst;
}

/* The server of a conninfo as the PG* variables a user would export. */
static const char *const *pg_env(void)
{
    static char host[512];
    static const char *env[] = {host, "PGPORT=5432", "PGUSER=postgres", NULL};

    snprintf(host, sizeof(host), "PGHOST=%s", itest_cluster_sockdir());
    return env;
}

Test(suiteconf, regress_suite_runs_with_no_option)
{
    itest_cluster_start();
    char *suite = copy_fixture("conf_regress");
    char *conf = xasprintf("%s/isotest.conf", suite);
    char *header = xasprintf("isotest: options from %s", conf);
    struct itest_result r;

    itest_run(&r, ARGV("run", suite), pg_env());
    itest_assert_exit(&r, 0, "the suite as its README runs it");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    char *first = itest_line_starting(r.out, "isotest: options from");
    cr_assert_not_null(first, "no header line:\n%s", r.out);
    cr_assert_str_eq(first, header);
    cr_assert_eq(strncmp(r.out, header, strlen(header)), 0,
                 "the header comes before the cases:\n%s", r.out);
    free(first);
    itest_result_release(&r);

    /* Without the file: no migrations found, and the CONTEXT line back. */
    char *db = xasprintf("%s/db", suite);
    itest_run(&r, ARGV("run", "--no-config", "--migrations", db, suite),
              pg_env());
    itest_assert_exit(&r, 1, "without its configuration");
    cr_assert_null(strstr(r.out, "isotest: options from"));
    cr_assert_not_null(strstr(r.out, "+CONTEXT:  PL/pgSQL function"), "%s",
                       r.out);
    cr_assert_not_null(strstr(r.out, "ok      conf_regress/sql/timezone"),
                       "the template's time zone beats pg_regress's "
                       "PGTZ:\n%s",
                       r.out);
    itest_result_release(&r);
    free(db);
    free(header);
    free(conf);
    free(suite);
}

Test(suiteconf, command_line_wins_and_paths_are_the_files)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_fixture("conf_set");
    char *conf = xasprintf("%s/isotest.conf", suite);
    char *report = xasprintf("%s/reports/run.xml", suite);
    struct itest_result r;

    itest_write_file(conf,
                     "# the suite's defaults\n"
                     "--isolation schema\n"
                     "--junit reports/run.xml\n"
                     "--filter conf_set/cases/context\n"
                     "--set SHOW_CONTEXT=never\n",
                     0644);
    free(itest_tmpsubdir("conf_set/reports"));
    itest_run_db(&r, ci, ARGV("--isolation", "database", suite), NULL);
    itest_assert_exit(&r, 1, "context.sql fails");
    cr_assert_not_null(strstr(r.out, "isolation database,"),
                       "the command line's isolation:\n%s", r.out);
    char *xml = itest_read_file(report);
    cr_assert_not_null(strstr(xml, "not positive: -1"), "%s", xml);
    cr_assert_null(strstr(xml, "CONTEXT"), "SHOW_CONTEXT=never:\n%s", xml);
    cr_assert_null(strstr(xml, "go_on"), "the file's --filter");
    free(xml);
    itest_result_release(&r);

    /* `list` reads it too. */
    itest_run(&r, ARGV("list", suite), NULL);
    itest_assert_exit(&r, 0, "list");
    cr_assert_str_eq(r.out, "conf_set/cases/context\n");
    itest_result_release(&r);
    free(report);
    free(conf);
    free(suite);
}

Test(suiteconf, bad_line_stops_the_run)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_fixture("conf_set");
    char *conf = xasprintf("%s/isotest.conf", suite);
    char *junit = itest_tmpfile("never.xml");
    char *want =
        xasprintf("isotest: error: %s:3: unknown option '--jbos'", conf);
    struct itest_result r;

    itest_write_file(conf, "--jobs 2\n\n--jbos 4\n", 0644);
    itest_run_db(&r, ci, ARGV("--junit", junit, suite), NULL);
    itest_assert_exit(&r, 2, "a bad configuration line");
    cr_assert_not_null(strstr(r.err, want), "%s", r.err);
    cr_assert_eq(access(junit, F_OK), -1, "no report left behind");
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    itest_run(&r, ARGV("list", suite), NULL);
    itest_assert_exit(&r, 2, "list with a bad line");
    cr_assert_not_null(strstr(r.err, want), "%s", r.err);
    itest_result_release(&r);
    itest_run(&r, ARGV("bench", "--db", ci, suite), NULL);
    itest_assert_exit(&r, 2, "bench with a bad line, before any run");
    cr_assert_not_null(strstr(r.err, want), "%s", r.err);
    itest_result_release(&r);
    free(want);
    free(junit);
    free(conf);
    free(suite);
}

/* Run SET's case `name` with `set` (NULL: none); the report's text. */
static char *run_set_case(const char *ci, const char *name, const char *set,
                          bool psql, int want_code)
{
    char *junit = itest_tmpfile("set.xml");
    char *filter = xasprintf("conf_set/cases/%s", name);
    const char *args[12];
    int n = 0;
    struct itest_result r;

    args[n++] = "--junit";
    args[n++] = junit;
    args[n++] = "--filter";
    args[n++] = filter;
    if (set) {
        args[n++] = "--set";
        args[n++] = set;
    }
    if (psql)
        args[n++] = "--always-psql";
    args[n++] = SET;
    args[n] = NULL;
    itest_run_db(&r, ci, args, NULL);
    itest_assert_exit(&r, want_code, set ? set : name);
    char *xml = itest_read_file(junit);
    itest_result_release(&r);
    free(filter);
    free(junit);
    return xml;
}

Test(suiteconf, set_reaches_both_sql_paths)
{
    const char *ci = itest_cluster_start();

    for (int psql = 0; psql < 2; psql++) {
        char *xml = run_set_case(ci, "context", NULL, psql, 1);
        cr_assert_not_null(strstr(xml, "CONTEXT:  PL/pgSQL function"),
                           "psql=%d, by default:\n%s", psql, xml);
        free(xml);
        xml = run_set_case(ci, "context", "SHOW_CONTEXT=never", psql, 1);
        cr_assert_not_null(strstr(xml, "not positive: -1"), "%s", xml);
        cr_assert_null(strstr(xml, "CONTEXT:"), "psql=%d:\n%s", psql, xml);
        free(xml);
        xml = run_set_case(ci, "context", "VERBOSITY=terse", psql, 1);
        cr_assert_null(strstr(xml, "P0001:"), "psql=%d, terse:\n%s", psql, xml);
        cr_assert_null(strstr(xml, "LOCATION:"), "psql=%d:\n%s", psql, xml);
        free(xml);
        xml = run_set_case(ci, "go_on", NULL, psql, 1);
        free(xml);
        xml = run_set_case(ci, "go_on", "ON_ERROR_STOP=0", psql, 0);
        cr_assert_not_null(strstr(xml, "reached after the error"),
                           "psql=%d:\n%s", psql, xml);
        free(xml);
    }
    /* A variable only psql honours: the case goes to psql, which echoes. */
    char *xml = run_set_case(ci, "go_on", "ECHO=all", false, 1);
    cr_assert_not_null(strstr(xml, "SELECT 1/0;"), "psql echoed:\n%s", xml);
    free(xml);
}

Test(suiteconf, pgoptions_reaches_sql_cases)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("show.xml");

    for (int psql = 0; psql < 2; psql++) {
        struct itest_result r;
        itest_run_db(&r, ci,
                     ARGV("--isolation", "schema", "--junit", junit, "--filter",
                          "*/show", "--env", "PGOPTIONS=-c lock_timeout=3s",
                          psql ? "--always-psql" : "--no-config", SET),
                     NULL);
        itest_assert_exit(&r, 0, psql ? "through psql" : "in process");
        itest_result_release(&r);
        char *xml = itest_read_file(junit);
        cr_assert_not_null(strstr(xml, "lock_timeout=3s"), "psql=%d:\n%s", psql,
                           xml);
        cr_assert_not_null(strstr(xml, "search_path=isotest_"),
                           "psql=%d, merged:\n%s", psql, xml);
        free(xml);
    }
    free(junit);
}

/* The lines the command case wrote. */
static char *run_env_case(const char *ci, const char *mode, const char *out)
{
    char *out_var = xasprintf("OUT=%s", out);
    struct itest_result r;

    itest_run_db(&r, ci,
                 ARGV("--isolation", mode, "--pass-env", "PGOPTIONS",
                      "--pass-env", "PASSED", "--env", out_var, "--env",
                      "FROM_ENV=from --env", "--env", "PGDATABASE=elsewhere",
                      FIXTURES "/conf_env"),
                 ARGV("PGOPTIONS=-c lock_timeout=10s", "PASSED=passed"));
    itest_assert_exit(&r, 0, mode);
    itest_result_release(&r);
    free(out_var);
    return itest_read_file(out);
}

Test(suiteconf, env_reaches_command_cases)
{
    const char *ci = itest_cluster_start();
    char *out = itest_tmpfile("env-db.txt");
    char *text = run_env_case(ci, "database", out);

    cr_assert_not_null(strstr(text, "lock_timeout=10s\n"), "%s", text);
    cr_assert_not_null(strstr(text, "FROM_ENV=from --env\n"), "%s", text);
    cr_assert_not_null(strstr(text, "PASSED=passed\n"), "%s", text);
    cr_assert_not_null(strstr(text, "PGDATABASE=isotest_"), "%s", text);
    cr_assert_not_null(strstr(text, "database=isotest_"), "%s", text);
    cr_assert_not_null(strstr(text, "PGOPTIONS=-c lock_timeout=10s\n"), "%s",
                       text);
    free(text);
    free(out);

    out = itest_tmpfile("env-schema.txt");
    text = run_env_case(ci, "schema", out);
    cr_assert_not_null(strstr(text, "lock_timeout=10s\n"), "merged:\n%s", text);
    cr_assert_not_null(strstr(text, "search_path=isotest_"),
                       "the sandbox's search_path:\n%s", text);
    cr_assert_not_null(strstr(text, "PGOPTIONS=-c lock_timeout=10s -c "
                                    "search_path=isotest_"),
                       "%s", text);
    free(text);
    free(out);
}

Test(suiteconf, failed_setup_keeps_history)
{
    const char *ci = itest_cluster_start();
    char *suite = copy_fixture("conf_nomig");
    char *hist = itest_tmpfile("history");
    char *slow = xasprintf("%s/cases/slow.sql", suite);
    char *breaker = xasprintf("%s/cases/a_break.sh", suite);
    struct itest_result r;

    itest_write_file(slow, "SELECT pg_sleep(0.3);\n", 0644);
    itest_run(
        &r,
        ARGV("run", "--db", ci, "--history", hist, "--filter", "*/slow", suite),
        NULL);
    itest_assert_exit(&r, 0, "the first run");
    itest_result_release(&r);
    char *before = itest_read_file(hist);
    cr_assert_not_null(strstr(before, "conf_nomig/cases/slow\t"), "%s", before);

    /* Unknown to the history, it starts first and breaks the clones. */
    itest_write_file(breaker,
                     "#!/bin/sh\n"
                     "tpl=$(psql -XAtc \"SELECT datname FROM pg_database "
                     "WHERE datname LIKE 'isotest\\_tpl\\_%' "
                     "AND datistemplate\")\n"
                     "exec psql -Xq -v ON_ERROR_STOP=1 -c \"ALTER DATABASE "
                     "$tpl RENAME TO isotest_fixture_gone\"\n",
                     0755);
    itest_run(&r,
              ARGV("run", "--db", ci, "--history", hist, "-j", "1", "--pool",
                   "0", "--filter", "*/slow", "--filter", "*/a_break.sh",
                   suite),
              NULL);
    itest_assert_exit(&r, 1, "the slow case got no sandbox");
    cr_assert_not_null(strstr(r.out, "cannot get a sandbox"), "%s", r.out);
    itest_result_release(&r);
    char *after = itest_read_file(hist);
    char *line = itest_line_starting(after, "conf_nomig/cases/slow\t");
    cr_assert_not_null(line, "%s", after);
    cr_assert_gt(strtod(strchr(line, '\t') + 1, NULL), 250.0,
                 "the duration of the last run that had a sandbox:\n%s", after);
    free(line);
    free(after);
    free(before);
    free(breaker);
    free(slow);
    free(hist);
    free(suite);
}

Test(suiteconf, missing_migrations_advice)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(FIXTURES "/conf_nomig"), NULL);
    itest_assert_exit(&r, 1, "every case misses its table");
    cr_assert_not_null(strstr(r.err, "no migrations folder was found: pass "
                                     "--migrations DIR"),
                       "%s", r.err);
    itest_result_release(&r);

    /* With a migrations folder, the advice would be wrong. */
    itest_run_db(&r, ci,
                 ARGV("--migrations", FIXTURES "/conf_set/migrations",
                      FIXTURES "/conf_nomig"),
                 NULL);
    itest_assert_exit(&r, 1, "with some migrations");
    cr_assert_null(strstr(r.err, "no migrations folder"), "%s", r.err);
    itest_result_release(&r);
}

/*
 * PGTZ, PGDATESTYLE and PGOPTIONS exported to isotest itself reach no case,
 * whichever path runs it (libpq would read them into the in-process one).
 */
Test(suiteconf, own_environment_reaches_no_case)
{
    const char *ci = itest_cluster_start();
    const char *const *env =
        ARGV("PGTZ=Pacific/Auckland", "PGDATESTYLE=SQL, DMY",
             "PGOPTIONS=-c lock_timeout=7s");
    struct itest_result r;

    itest_run_db(&r, ci, ARGV(FIXTURES "/conf_own_env"), env);
    itest_assert_exit(&r, 0, "in process");
    itest_result_release(&r);
    itest_run_db(&r, ci, ARGV("--always-psql", FIXTURES "/conf_own_env"), env);
    itest_assert_exit(&r, 0, "through psql");
    itest_result_release(&r);
}
