/*
 * test_integration_criterion.c: examples/criterion as a user runs it -- a
 * Criterion suite built against the staged install ($ISOTEST_STAGE, made
 * by `make integration`) with nothing but pkg-config, run by `make check`
 * under the staged `isotest exec`, each test process taking its sandbox
 * through libisotest's client.
 *
 * The suite runs once on a server the PG* variables name (a private one
 * from helpers.h) and once with no PG* variable at all (the embedded
 * server); each time Criterion must report every test passing (at least
 * 20) and nothing may be left behind.  `make report` must join each test
 * of Criterion's JUnit report with its sandbox.  Each test builds in a
 * copy of examples/criterion in its own scratch folder: the tests run in
 * parallel and would otherwise race on its ./tests.
 *
 * Layout: running commands; Criterion's output; the tests.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/strbuf.h"

/* The embedded server's cache that itest_run() gives isotest (helpers.c),
   so that the example starts from a cached data folder too. */
#define MIN_TESTS 20
#define SYNTHESIS "Synthesis: Tested: "

extern char **environ;

TestSuite(criterion, .fini = itest_teardown, .timeout = 300);

/* A copy of examples/criterion in the scratch folder; the caller frees it. */
static char *copy_example(void)
{
    char *dir = itest_tmpfile("criterion");
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("cp", "-R", "examples/criterion", dir), NULL,
                          NULL);
    cr_assert_eq(r.code, 0, "cannot copy examples/criterion: %s", r.err);
    itest_result_release(&r);
    /* A ./tests or report.xml left in the original must not count. */
    itest_run_example_cmd(&r, ARGV("make", "--no-print-directory", "clean"),
                          dir, NULL);
    cr_assert_eq(r.code, 0, "make clean: %s", r.err);
    itest_result_release(&r);
    return dir;
}

/* ---- Criterion's output ------------------------------------------------- */

struct synthesis {
    int tested, passing, failing, crashing;
};

/* The last "Synthesis: Tested: ..." line of a text, or NULL. */
static const char *last_synthesis(const char *text)
{
    const char *line = NULL;

    for (const char *p = strstr(text, SYNTHESIS); p;
         p = strstr(p + 1, SYNTHESIS))
        line = p;
    return line;
}

/* Criterion's synthesis (on stderr; on stdout when run under --xml). */
static void read_synthesis(const struct itest_result *r, struct synthesis *s)
{
    const char *line = last_synthesis(r->err);

    if (!line)
        line = last_synthesis(r->out);
    cr_assert(line, "no Criterion synthesis line:\n%s\n%s", r->out, r->err);
    cr_assert_eq(sscanf(line,
                        SYNTHESIS "%d | Passing: %d | Failing: %d | "
                                  "Crashing: %d",
                        &s->tested, &s->passing, &s->failing, &s->crashing),
                 4, "cannot read '%.100s'", line);
}

/* make check (or report) exited 0, every test passed, at least 20. */
static void assert_all_passed(const struct itest_result *r, const char *what)
{
    struct synthesis s;

    cr_assert_eq(r->code, 0, "%s exited %d\n%s\n%s", what, r->code, r->out,
                 r->err);
    read_synthesis(r, &s);
    cr_assert(s.passing >= MIN_TESTS && s.passing == s.tested &&
                  s.failing == 0 && s.crashing == 0,
              "%s: tested %d, passing %d, failing %d, crashing %d\n%s", what,
              s.tested, s.passing, s.failing, s.crashing, r->err);
}

/*
 * Does the server hold a template of the example's migrations?  (It may
 * hold others: the private server comes from a shared cache.)
 */
static bool has_inventory_template(const char *ci)
{
    char *names = itest_db_names(ci, "isotest\\_tpl\\_%");
    bool found = false;

    for (char *p = names; *p && !found;) {
        size_t len = strcspn(p, ",");
        char *in_tpl = xasprintf("%s dbname=%.*s", ci, (int)len, p);
        char *v = itest_sql_value(in_tpl, "SELECT to_regclass('movements') "
                                          "IS NOT NULL");
        found = v && !strcmp(v, "t");
        free(v);
        free(in_tpl);
        p += len;
        p += strspn(p, ", ");
    }
    free(names);
    return found;
}

/* ---- the tests ---------------------------------------------------------- */

Test(criterion, example_on_the_server_pg_variables_name)
{
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    char *dir = copy_example();
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("make", "--no-print-directory", "check"),
                          dir, ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    assert_all_passed(&r, "make check");
    cr_assert(has_inventory_template(ci),
              "no template of the example on the named server (%s):\n%s",
              itest_db_names(ci, "isotest\\_%"), r.err);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(dir);
    free(host);
}

Test(criterion, example_on_the_embedded_server)
{
    char **before = itest_run_dirs();
    char *dir = copy_example();
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("make", "--no-print-directory", "check"),
                          dir, NULL);
    assert_all_passed(&r, "make check");
    itest_assert_no_new_run_dirs(before);
    itest_strv_free(before);
    itest_result_release(&r);
    free(dir);
}

/* Outside `isotest exec` every test fails in its setup, saying why. */
Test(criterion, tests_alone_refuse_to_run)
{
    char *dir = copy_example();
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("make", "--no-print-directory"), dir, NULL);
    cr_assert_eq(r.code, 0, "make exited %d\n%s\n%s", r.code, r.out, r.err);
    itest_result_release(&r);
    itest_run_example_cmd(&r, ARGV("./tests", "--filter", "products/*"), dir,
                          NULL);
    cr_assert_neq(r.code, 0, "./tests passed without a sandbox:\n%s", r.err);
    cr_assert(strstr(r.err, "ISOTEST_SOCKET is not set") &&
                  strstr(r.err, "isotest exec"),
              "no hint at isotest exec:\n%s", r.err);
    struct synthesis s;
    read_synthesis(&r, &s);
    cr_assert(s.tested > 0 && s.passing == 0, "tested %d, passing %d", s.tested,
              s.passing);
    itest_result_release(&r);
    free(dir);
}

/*
 * make report: isotest's JUnit report has Criterion's every test, each
 * with the sandbox it ran in (the fixture names it "suite.test").
 */
Test(criterion, report_joins_each_test_with_its_sandbox)
{
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    char *dir = copy_example();
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("make", "--no-print-directory", "report"),
                          dir, ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    assert_all_passed(&r, "make report");
    itest_assert_no_sandboxes(ci);

    char *path = xasprintf("%s/report.xml", dir);
    struct itest_junit counts;
    itest_junit_check(path, &counts);
    cr_assert(counts.tests >= MIN_TESTS && counts.failures == 0 &&
                  counts.errors == 0,
              "report: %ld tests, %ld failures, %ld errors", counts.tests,
              counts.failures, counts.errors);
    static const char *const some[] = {"a_new_product_gets_id_4",
                                       "a_receipt_adds",
                                       "moves_stock_between_warehouses"};
    for (size_t i = 0; i < sizeof(some) / sizeof(*some); i++) {
        struct itest_case c;
        itest_junit_case(path, some[i], &c);
        cr_assert(strstr(c.out, " sandbox=isotest_"),
                  "%s has no sandbox in the report:\n%s", some[i], c.out);
        itest_case_release(&c);
    }
    /* And every other test too. */
    char *xml = itest_read_file(path);
    long joined = 0;
    for (const char *p = strstr(xml, " sandbox=isotest_"); p;
         p = strstr(p + 1, " sandbox=isotest_"))
        joined++;
    cr_assert_eq(joined, counts.tests, "%ld of %ld tests have a sandbox",
                 joined, counts.tests);
    free(xml);
    free(path);
    itest_result_release(&r);
    free(dir);
    free(host);
}
