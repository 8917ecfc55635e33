/*
 * test_integration_audit.c: `isotest audit`, test objects left in a
 * database that should have none.
 *
 *   - it lists test_ tables (saying whether the unprefixed table exists),
 *     a schema sqlx leaves, a pgtestdb_ database, a dead isotest run's
 *     database -- and not a live run's sandboxes nor isotest's template;
 *     one JUnit case per category;
 *   - nothing found: exit 0; --pattern changes what a test name is;
 *   - read-only, proven: a CONNECT+SELECT role audits, and the database's
 *     pg_dump is the same before and after;
 *   - a password never shows.
 *
 * Fixtures: tests/fixtures/safe_wait (two command cases that hold their
 * sandbox until $SAFE_RELEASE exists: a live run).  Each test starts its
 * own private server (helpers.h).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"

#define WAIT FIXTURES "/safe_wait"
#define PASSWORD "Aud1t-S3cret"

TestSuite(audit, .fini = itest_teardown, .timeout = 180);

/* Database prod on ci with a table orders; its conninfo. */
static char *prod_start(const char *ci)
{
    char *prod = xasprintf("%s dbname=prod", ci);

    itest_sql(ci, "CREATE DATABASE prod");
    itest_sql(prod, "CREATE TABLE orders (id int PRIMARY KEY, note text);"
                    "INSERT INTO orders VALUES (1, 'first')");
    return prod;
}

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
            return true;
    return false;
}

static void assert_lines(const struct itest_result *r, const char *const *lines)
{
    for (; *lines; lines++)
        cr_assert(has_line(r->out, *lines), "no line '%s' in\n%s\n%s", *lines,
                  r->out, r->err);
}

/* pg_dump of a database, schema and data, without \restrict lines. */
static char *dump_of(const char *conninfo)
{
    char *out, *err;
    int code =
        itest_run_tool(ARGV("pg_dump", "--dbname", conninfo), &out, &err);
    cr_assert_eq(code, 0, "pg_dump failed: %s", err);
    struct strbuf sb = STRBUF_INIT;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "\\restrict ", 10) &&
            strncmp(line, "\\unrestrict ", 12))
            strbuf_add(&sb, line, len);
        line += len;
    }
    free(out);
    free(err);
    return strbuf_detach(&sb, NULL);
}

/*
 * Leftovers of every sort are listed; a live run's sandboxes and the
 * template it clones from are not, though they are isotest's.
 */
Test(audit, finds_leftovers_not_live_runs)
{
    const char *ci = itest_cluster_start();
    char *prod = prod_start(ci);
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("SAFE_RELEASE=%s", release);
    char *junit = itest_tmpfile("audit.xml");
    struct itest_bg b;
    struct itest_result r;
    struct itest_junit jc;

    /* A live run first: its start would reclaim the dead run's database. */
    itest_bg_start(&b, "live",
                   ARGV("run", "--db", ci, "-j", "2", "--no-history", WAIT),
                   ARGV(release_env));
    char *live = itest_wait_for_sandboxes(ci, &b, NULL, 2);
    itest_sql(ci, "CREATE DATABASE pgtestdb_x");
    itest_sql(ci, "CREATE DATABASE isotest_deadbeef_1");
    itest_sql(prod, "CREATE TABLE test_orders (LIKE orders);"
                    "CREATE TABLE test_scratch (id int);"
                    "CREATE SCHEMA _sqlx_test");
    cr_assert_geq(itest_db_count(ci, "isotest\\_tpl\\_%"), 1);

    itest_run(&r, ARGV("audit", "--db", prod, "--junit", junit), NULL);
    itest_assert_exit(&r, 1, "audit");
    assert_lines(
        &r, ARGV("table public.test_orders: matches 'test_*' (public.orders "
                 "exists too)",
                 "table public.test_scratch: matches 'test_*' (nothing "
                 "named public.scratch)",
                 "schema _sqlx_test: left by sqlx's #[sqlx::test]",
                 "database isotest_deadbeef_1: left by a dead isotest run "
                 "(run deadbeef holds no lock)",
                 "database pgtestdb_x: left by pgtestdb"));
    cr_assert(strstr(r.out, "audit: 5 test objects found in 'prod' on "), "%s",
              r.out);
    cr_assert(!strstr(r.out, live), "a live run's sandbox listed:\n%s", r.out);
    cr_assert(!strstr(r.out, "isotest_tpl_"), "a template listed:\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 3);
    cr_assert_eq(jc.failures, 3);
    itest_assert_case(junit, "tables", "failure", "2 test objects");
    itest_assert_case(junit, "databases", "failure", "2 test objects");
    itest_result_release(&r);

    itest_write_file(release, "", 0644);
    itest_bg_finish(&b, &r);
    itest_assert_exit(&r, 0, "the live run");
    itest_result_release(&r);
    itest_bg_release(&b);
    free(live);
    free(junit);
    free(release_env);
    free(release);
    free(prod);
}

/* Nothing test-like: exit 0; --pattern says what test-like is. */
Test(audit, none_found_and_pattern)
{
    const char *ci = itest_cluster_start();
    char *prod = prod_start(ci);
    struct itest_result r;

    itest_run(&r, ARGV("audit", "--db", prod), NULL);
    itest_assert_exit(&r, 0, "audit of a clean database");
    cr_assert(strstr(r.out, "audit: no test objects in 'prod' on "), "%s",
              r.out);
    itest_result_release(&r);

    itest_sql(prod, "CREATE TABLE tmp_orders (id int); "
                    "CREATE TABLE test_kept (id int)");
    itest_sql(ci, "CREATE DATABASE tmp_copy");
    itest_run(&r, ARGV("audit", "--db", prod, "--pattern", "tmp_*"), NULL);
    itest_assert_exit(&r, 1, "audit --pattern");
    assert_lines(&r, ARGV("table public.tmp_orders: matches 'tmp_*' "
                          "(public.orders exists too)",
                          "database tmp_copy: matches 'tmp_*'"));
    cr_assert(!strstr(r.out, "test_kept"), "%s", r.out);
    itest_result_release(&r);
    free(prod);
}

/* A CONNECT+SELECT role audits; the database's dump is unchanged. */
Test(audit, read_only_role)
{
    const char *ci = itest_cluster_start();
    char *prod = prod_start(ci);
    char *reader = xasprintf("%s dbname=prod user=reader", ci);
    struct itest_result r;

    itest_sql(prod, "CREATE TABLE test_orders (LIKE orders);"
                    "CREATE ROLE reader LOGIN;"
                    "REVOKE ALL ON DATABASE prod FROM PUBLIC;"
                    "GRANT CONNECT ON DATABASE prod TO reader;"
                    "GRANT USAGE ON SCHEMA public TO reader;"
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader");
    itest_sql(ci, "CREATE DATABASE pgtestdb_y");
    char *before = dump_of(prod);
    itest_run(&r, ARGV("audit", "--db", reader), NULL);
    itest_assert_exit(&r, 1, "audit as reader");
    assert_lines(&r, ARGV("table public.test_orders: matches 'test_*' "
                          "(public.orders exists too)",
                          "database pgtestdb_y: left by pgtestdb"));
    itest_result_release(&r);
    char *after = dump_of(prod);
    cr_assert_str_eq(after, before, "the database changed");
    free(before);
    free(after);
    free(reader);
    free(prod);
}

/* Neither a right password nor a wrong one shows. */
Test(audit, password_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *admin = xasprintf("%s password=" PASSWORD, ci);
    char *prod = prod_start(admin);
    char *url = xasprintf("postgresql://postgres:" PASSWORD "@/prod?host=%s"
                          "&port=5432",
                          itest_cluster_sockdir());
    char *bad = xasprintf("postgresql://postgres:Wr0ng-Pa55-QQ@/prod?host=%s"
                          "&port=5432",
                          itest_cluster_sockdir());
    char *junit = itest_tmpfile("audit.xml");
    struct itest_result r;

    itest_sql(prod, "CREATE TABLE test_orders (id int)");
    itest_run(&r, ARGV("audit", "--db", url, "--junit", junit), NULL);
    itest_assert_exit(&r, 1, "audit");
    char *xml = itest_read_file(junit);
    cr_assert(!strstr(r.out, PASSWORD) && !strstr(r.err, PASSWORD) &&
                  !strstr(xml, PASSWORD),
              "the password shows:\n%s\n%s\n%s", r.out, r.err, xml);
    free(xml);
    itest_result_release(&r);
    itest_run(&r, ARGV("audit", "--db", bad), NULL);
    itest_assert_exit(&r, 2, "audit with a wrong password");
    cr_assert(strstr(r.err, "password authentication failed"), "%s", r.err);
    cr_assert(!strstr(r.err, "Wr0ng-Pa55-QQ") && !strstr(r.out, "Wr0ng"), "%s",
              r.err);
    itest_result_release(&r);
    free(junit);
    free(bad);
    free(url);
    free(prod);
    free(admin);
}
