/*
 * test_integration_schemas.c: schema mode's cache of migrated schemas
 * (isolation/schema_cache.h) against a real PostgreSQL.
 *
 *   - a run of more cases than a run database holds: each case gets a
 *     fresh schema of its own, in the run database its number says
 *     (isotest_<run>_schemas for the first 32, _schemas2 after), and
 *     every schema handed out before it in that database is still there
 *     (no schema is dropped while cases run beside it); the run leaves no
 *     database but the template and the cache, which is marked a template;
 *   - a second run reuses the cache (same OID) and passes again;
 *   - a migration that cannot be replayed in a schema fails the run with
 *     exit 2, naming the file, and leaves no cache and no build database;
 *   - `isotest clean` drops the cache with its template.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/strbuf.h"

/* More than one run database's 32 schemas. */
#define NCASES 40

/* What each case expects to find: the table and its one row. */
#define ITEMS                                                                  \
    "CREATE TABLE items (id int PRIMARY KEY);\n"                               \
    "INSERT INTO items VALUES (1);\n"

TestSuite(schemas, .fini = itest_teardown, .timeout = 240);

static char *make_suite(const char *name, const char *migration, int ncases)
{
    char *dir = itest_tmpfile(name);
    char path[4096];

    cr_assert(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof(path), "%s/migrations", dir);
    cr_assert(mkdir(path, 0755) == 0);
    snprintf(path, sizeof(path), "%s/migrations/001_items.sql", dir);
    itest_write_file(path, migration, 0644);
    for (int i = 0; i < ncases; i++) {
        snprintf(path, sizeof(path), "%s/case_%02d.sql", dir, i);
        /*
         * n: the sandbox's number.  The pool renames schemas in order,
         * 32 per run database, so schema n is in database (n-1)/32 + 1,
         * where schemas (n-1)/32*32+1 .. n all still exist.
         */
        itest_write_file(
            path,
            "SELECT 1 / (count(*) = 1)::int FROM items;\n"
            "SELECT 1 / (count(*) = 0)::int FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE relname = 'case_marker' AND nspname = current_schema();\n"
            "CREATE TABLE case_marker (x int);\n"
            "INSERT INTO items VALUES (2);\n"
            "CREATE TEMP TABLE me AS SELECT "
            "substr(current_schema(), 1, 17) AS run, "
            "(regexp_match(current_schema(), '_([0-9]+)$'))[1]::int AS n;\n"
            "SELECT 1 / (current_database() = me.run || 'schemas' || "
            "CASE WHEN me.n <= 32 THEN '' ELSE ((me.n - 1) / 32 + 1)::text "
            "END)::int FROM me;\n"
            "SELECT 1 / (count(*) = (me.n - 1) % 32 + 1)::int "
            "FROM pg_namespace, me WHERE nspname ~ ('^' || me.run || "
            "'[0-9]+$') AND substr(nspname, 18)::int <= me.n GROUP BY me.n;\n",
            0644);
    }
    return dir;
}

static void run_suite(const char *ci, const char *suite, const char *junit)
{
    struct itest_result r;
    struct itest_junit jc;

    itest_run(&r,
              ARGV("run", "--db", ci, "--isolation", "schema", "-j", "4",
                   "--no-history", "--junit", junit, suite),
              NULL);
    itest_assert_exit(&r, 0, "schema mode run");
    itest_result_release(&r);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, NCASES);
    cr_assert_eq(jc.failures + jc.errors + jc.skipped, 0);
}

static char *cache_oid(const char *ci)
{
    return itest_sql_value(ci, "SELECT string_agg(oid::text || ' ' || "
                               "datistemplate::text, ', ') FROM pg_database "
                               "WHERE datname ~ '^isotest_tpl_[0-9a-f]+_s32$'");
}

Test(schemas, cases_get_fresh_schemas_and_none_is_dropped_beside_them)
{
    const char *ci = itest_cluster_start();
    char *suite = make_suite("suite", ITEMS, NCASES);
    char *junit = itest_tmpfile("report.xml");

    run_suite(ci, suite, junit);
    itest_assert_no_sandboxes(ci);
    char *first = cache_oid(ci);
    cr_assert(first && strstr(first, " true") && !strchr(first, ','),
              "the cache: '%s'", first ? first : "(none)");

    /* Reused, not rebuilt. */
    run_suite(ci, suite, junit);
    itest_assert_no_sandboxes(ci);
    char *second = cache_oid(ci);
    cr_assert_str_eq(second, first);
    free(first);
    free(second);
    free(junit);
    free(suite);
}

Test(schemas, migration_that_cannot_rerun_fails_once_and_leaves_nothing)
{
    const char *ci = itest_cluster_start();
    /* Named schema: the second replay into the same database fails. */
    char *suite = make_suite("bad", "CREATE TABLE public.items (id int);\n", 1);
    struct itest_result r;

    itest_run(
        &r,
        ARGV("run", "--db", ci, "--isolation", "schema", "--no-history", suite),
        NULL);
    itest_assert_exit(&r, 2, "schema mode with a qualified migration");
    cr_assert(strstr(r.err, "001_items.sql") && strstr(r.err, "unqualified"),
              "%s", r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%\\_s%"), 0, "%s",
                 itest_db_names(ci, "isotest\\_tpl\\_%\\_s%"));
    free(suite);
}

Test(schemas, clean_drops_the_cache_with_its_template)
{
    const char *ci = itest_cluster_start();
    char *suite = make_suite("suite0", ITEMS, 1);
    struct itest_result r;

    itest_run(
        &r,
        ARGV("run", "--db", ci, "--isolation", "schema", "--no-history", suite),
        NULL);
    itest_assert_exit(&r, 0, "schema mode run");
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%\\_s32"), 1);
    /* Three newer templates: clean keeps those and drops the first. */
    for (int i = 1; i <= 3; i++) {
        char *name = xasprintf("suite%d", i);
        char *sql = xasprintf(ITEMS "CREATE TABLE t%d (x int);\n", i);
        char *other = make_suite(name, sql, 1);
        itest_run(&r, ARGV("run", "--db", ci, "--no-history", other), NULL);
        itest_assert_exit(&r, 0, other);
        itest_result_release(&r);
        free(other);
        free(sql);
        free(name);
    }
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%\\_s32"), 0, "%s",
                 itest_db_names(ci, "isotest\\_tpl\\_%"));
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 3, "%s",
                 itest_db_names(ci, "isotest\\_tpl\\_%"));
    free(suite);
}
