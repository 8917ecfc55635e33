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
#define EMBEDDED_CACHE "/tmp/isotest-test-cache/embedded"
#define CMD_TIMEOUT_MS 150000
#define MIN_TESTS 20
#define SYNTHESIS "Synthesis: Tested: "

extern char **environ;

TestSuite(criterion, .fini = itest_teardown, .timeout = 300);

/* ---- running commands --------------------------------------------------- */

static const char *stage(void)
{
    const char *s = getenv("ISOTEST_STAGE");

    cr_assert(s && s[0] == '/',
              "ISOTEST_STAGE must be the absolute path of a staged install "
              "(run `make integration`)");
    char *bin = xasprintf("%s/bin/isotest", s);
    cr_assert(access(bin, X_OK) == 0,
              "'%s' is missing: stage an install "
              "with `make install PREFIX=%s`",
              bin, s);
    free(bin);
    return s;
}

/*
 * Inherited, these would change what the child does.  This test runs in
 * a Criterion worker, whose environment tells a Criterion program that it
 * is a worker too (BoxFort's BXFI_MAP): the example's ./tests would abort
 * at once.
 */
static bool dropped_var(const char *entry)
{
    static const char *const names[] = {"PKG_CONFIG_PATH=",
                                        "MAKEFLAGS=",
                                        "MFLAGS=",
                                        "MAKELEVEL=",
                                        "ISOTEST_CACHE_DIR=",
                                        "ISOTEST_SOCKET=",
                                        "ISOTEST_RUN_ID=",
                                        "BXFI_",
                                        "GMON_OUT_PREFIX=",
                                        "CRITERION_"};

    if (!strncmp(entry, "PG", 2)) /* would name some other server */
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (!strncmp(entry, names[i], strlen(names[i])))
            return true;
    return false;
}

/*
 * Run argv in cwd with this process's environment minus the variables
 * above, plus PKG_CONFIG_PATH for the stage, the test cache, and `env`
 * ("NAME=value", may be NULL) on top.  Killed after CMD_TIMEOUT_MS.
 */
static void run_cmd(struct itest_result *r, const char *const *argv,
                    const char *cwd, const char *const *env)
{
    size_t n = 0, cap = 3;

    for (char **p = environ; *p; p++)
        cap++;
    for (const char *const *x = env; x && *x; x++)
        cap++;
    const char **envp = xcalloc(cap, sizeof(*envp));
    char *pkg = xasprintf("PKG_CONFIG_PATH=%s/lib/pkgconfig", stage());
    for (char **p = environ; *p; p++)
        if (!dropped_var(*p))
            envp[n++] = *p;
    envp[n++] = pkg;
    envp[n++] = "ISOTEST_CACHE_DIR=" EMBEDDED_CACHE;
    for (const char *const *x = env; x && *x; x++)
        envp[n++] = *x;

    struct proc_spec spec = {.argv = argv, .envp = envp, .cwd = cwd};
    struct proc p;
    struct proc_status ps;
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run '%s': %s", argv[0],
              e.msg);
    cr_assert(proc_capture(&p, &out, &errb, CMD_TIMEOUT_MS, SIGTERM, 5000, NULL,
                           &ps, &e) == 0,
              "cannot read the output of '%s': %s", argv[0], e.msg);
    if (ps.timed_out)
        strbuf_addf(&errb, "\n[itest] killed after %d s\n",
                    CMD_TIMEOUT_MS / 1000);
    r->code = ps.exited && !ps.timed_out ? ps.code : -1;
    r->out = strbuf_detach(&out, NULL);
    r->err = strbuf_detach(&errb, NULL);
    free(envp);
    free(pkg);
}

/* A copy of examples/criterion in the scratch folder; the caller frees it. */
static char *copy_example(void)
{
    char *dir = itest_tmpfile("criterion");
    struct itest_result r;

    run_cmd(&r, ARGV("cp", "-R", "examples/criterion", dir), NULL, NULL);
    cr_assert_eq(r.code, 0, "cannot copy examples/criterion: %s", r.err);
    itest_result_release(&r);
    /* A ./tests or report.xml left in the original must not count. */
    run_cmd(&r, ARGV("make", "--no-print-directory", "clean"), dir, NULL);
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

    run_cmd(&r, ARGV("make", "--no-print-directory", "check"), dir,
            ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
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

    run_cmd(&r, ARGV("make", "--no-print-directory", "check"), dir, NULL);
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

    run_cmd(&r, ARGV("make", "--no-print-directory"), dir, NULL);
    cr_assert_eq(r.code, 0, "make exited %d\n%s\n%s", r.code, r.out, r.err);
    itest_result_release(&r);
    run_cmd(&r, ARGV("./tests", "--filter", "products/*"), dir, NULL);
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

    run_cmd(&r, ARGV("make", "--no-print-directory", "report"), dir,
            ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
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
