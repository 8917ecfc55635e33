/*
 * test_integration_pool.c: the database-mode sandbox pool against a real
 * PostgreSQL.  A generated suite of quick cases, each of which fails
 * unless its database is a fresh clone of the template, runs with pools
 * of several sizes (0: each worker clones for itself; 1: far fewer ready
 * clones than workers, so releases back up past the droppers' bound and
 * the makers drop too; the default).  Each run must pass every case, give
 * every case a sandbox of its own, report the wait, and leave no sandbox
 * in the catalog.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/strbuf.h"

#define NCASES 24

TestSuite(pool, .fini = itest_teardown, .timeout = 150);

/*
 * A suite under the test's folder: one migration with a table and a row,
 * NCASES cases.  Each case first checks that it sees exactly the
 * template's row and none of its own marker table, then adds both; a
 * sandbox handed out twice would fail the second case.
 */
static char *make_suite(void)
{
    char *dir = itest_tmpfile("suite");
    char path[4096];

    cr_assert(mkdir(dir, 0755) == 0);
    snprintf(path, sizeof(path), "%s/migrations", dir);
    cr_assert(mkdir(path, 0755) == 0);
    snprintf(path, sizeof(path), "%s/cases", dir);
    cr_assert(mkdir(path, 0755) == 0);
    snprintf(path, sizeof(path), "%s/migrations/001_items.sql", dir);
    itest_write_file(path,
                     "CREATE TABLE items (id int PRIMARY KEY);\n"
                     "INSERT INTO items VALUES (1);\n",
                     0644);
    for (int i = 0; i < NCASES; i++) {
        snprintf(path, sizeof(path), "%s/cases/case_%02d.sql", dir, i);
        itest_write_file(path,
                         "SELECT 1 / (count(*) = 1)::int FROM items;\n"
                         "SELECT 1 / (count(*) = 0)::int FROM pg_class "
                         "WHERE relname = 'case_marker';\n"
                         "CREATE TABLE case_marker (x int);\n"
                         "INSERT INTO items VALUES (2);\n",
                         0644);
    }
    return dir;
}

/* How many distinct sandbox names the report's cases name. */
static int distinct_sandboxes(const char *junit, int *named)
{
    char *text = itest_read_file(junit);
    static const char key[] = "sandbox=";
    char *seen[NCASES * 2];
    int nseen = 0;

    *named = 0;
    for (char *p = strstr(text, key); p; p = strstr(p, key)) {
        p += strlen(key);
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
        if (n == 0)
            continue;
        (*named)++;
        bool dup = false;
        for (int i = 0; i < nseen && !dup; i++)
            dup = strlen(seen[i]) == n && !strncmp(seen[i], p, n);
        if (!dup && nseen < NCASES * 2)
            seen[nseen++] = xstrndup(p, n);
    }
    for (int i = 0; i < nseen; i++)
        free(seen[i]);
    free(text);
    return nseen;
}

static void run_with_pool(const char *pool)
{
    const char *ci = itest_cluster_start();
    char *suite = make_suite();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    if (pool)
        itest_run(&r,
                  ARGV("run", "--db", ci, "-j", "3", "--pool", pool,
                       "--no-history", "--junit", junit, suite),
                  NULL);
    else
        itest_run(&r,
                  ARGV("run", "--db", ci, "-j", "3", "--no-history", "--junit",
                       junit, suite),
                  NULL);
    cr_assert_eq(r.code, 0, "exit code %d with --pool %s\n%s\n%s", r.code,
                 pool ? pool : "(default)", r.out, r.err);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, NCASES);
    cr_assert_eq(jc.failures + jc.errors + jc.skipped, 0);

    int named;
    int distinct = distinct_sandboxes(junit, &named);
    cr_assert_eq(named, NCASES, "%d cases name a sandbox", named);
    cr_assert_eq(distinct, NCASES, "%d distinct sandboxes for %d cases",
                 distinct, NCASES);

    char *p95 = itest_junit_property(junit, "isotest.sandbox_acquire_p95_ms");
    cr_assert(p95 && *p95, "no sandbox wait in the report");
    char *end;
    double v = strtod(p95, &end);
    cr_assert(*end == '\0' && v >= 0, "sandbox wait '%s'", p95);
    free(p95);

    itest_assert_no_sandboxes(ci);
    free(junit);
    free(suite);
    itest_result_release(&r);
}

Test(pool, no_pool)
{
    run_with_pool("0");
}

Test(pool, pool_of_one_backs_up)
{
    run_with_pool("1");
}

Test(pool, default_pool)
{
    run_with_pool(NULL);
}
