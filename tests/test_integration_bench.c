/*
 * test_integration_bench.c: `isotest bench` against a real PostgreSQL --
 * the configurations it runs (and the serial isolated run it adds), its
 * table, its three reports (JUnit, JSON, HTML), and the values it refuses.
 * What Ctrl-C does to a bench is in test_integration_interrupt.c.
 *
 * Each test that benchmarks starts a private server (helpers.h) and points
 * isotest at it with --db.  The fixture, tests/fixtures/bench_small, and
 * what the checks of bench's outputs expect of it are described in
 * helpers_bench.h.  Nothing here asserts on time.
 */
#include "helpers.h"
#include "helpers_bench.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

/* A server that cannot exist: a refused value must be found before it. */
#define NO_SERVER "host=/nonexistent/isotest-itest-no-server port=1"

TestSuite(bench, .fini = itest_teardown, .timeout = 150);

/*
 * Two isolation modes at two job counts, twice each: four configurations,
 * the first of which is the reference, and four reports of them.
 */
Test(bench, four_configurations_and_their_reports)
{
    static const struct itest_bench_want four[] = {
        {"database -j 1", "database", 1},
        {"database -j 2", "database", 2},
        {"none -j 1", "none", 1},
        {"none -j 2", "none", 2},
    };
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("bench.xml");
    char *json = itest_tmpfile("bench.json");
    char *html = itest_tmpfile("bench.html");
    char *tmp = itest_tmpsubdir("tmp");
    char *tmpenv = xasprintf("TMPDIR=%s", tmp);
    struct itest_result r;

    itest_run(&r,
              ARGV("bench", "--db", ci, "--isolation", "database,none",
                   "--jobs", "1,2", "--repeat", "2", "--junit", junit, "--json",
                   json, "--html", html, ITEST_BENCH_SMALL),
              ARGV(tmpenv));
    cr_assert_eq(r.code, 0, "exit code %d\nstdout:\n%s\nstderr:\n%s", r.code,
                 r.out, r.err);

    itest_bench_check_table(&r, four, 4, 2);
    /* Under the table: which cases failed where. */
    const char *listed = strstr(r.out, "\nfailed cases (");
    cr_assert(listed && strstr(listed, "\n  none -j 1, run 1: ") &&
                  strstr(listed, "\n  none -j 2, run 1: ") &&
                  strstr(listed, "/claim_slot_"),
              "no failed cases under the table:\n%s", r.out);
    cr_assert(!strstr(listed, "\n  database -j"),
              "an isolated configuration listed with failed cases:\n%s", r.out);
    itest_bench_check_junit(junit, four, 4, 2);
    itest_bench_check_json(json, four, 4, 2);
    itest_bench_check_html(html, four, 4);
    itest_assert_no_sandboxes(ci);
    itest_assert_empty_dir(tmp, "bench");

    itest_result_release(&r);
    free(tmpenv);
    free(tmp);
    free(html);
    free(json);
    free(junit);
}

/*
 * No serial isolated run asked for: "database -j 1" is added, first.  The
 * options are spelled as `run` takes them too ("-j 2", "--name=value"):
 * none of them may reach the runs, where the last -j would win.
 */
Test(bench, adds_the_serial_isolated_run)
{
    static const struct itest_bench_want two[] = {
        {"database -j 1", "database", 1},
        {"database -j 2", "database", 2},
    };
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("bench.xml");
    char *junit_opt = xasprintf("--junit=%s", junit);
    char *db_opt = xasprintf("--db=%s", ci);
    struct itest_result r;

    itest_run(&r,
              ARGV("bench", db_opt, "--isolation=database", "-j", "2",
                   "--repeat=1", junit_opt, ITEST_BENCH_SMALL),
              NULL);
    free(junit_opt);
    free(db_opt);
    cr_assert_eq(r.code, 0, "exit code %d\nstdout:\n%s\nstderr:\n%s", r.code,
                 r.out, r.err);
    itest_bench_check_table(&r, two, 2, 1);
    char *head = itest_line_starting(r.out, "configuration ");
    const char *at = strstr(r.out, head);
    cr_assert(at && !strncmp(strchr(at, '\n') + 1, "database -j 1 ", 14),
              "the added reference is not the table's first row:\n%s", r.out);
    free(head);
    itest_bench_check_junit(junit, two, 2, 1);
    itest_assert_no_sandboxes(ci);

    itest_result_release(&r);
    free(junit);
}

/* A shared database is no reference: `none -j 1` alone gets one too. */
Test(bench, none_is_not_the_reference)
{
    static const struct itest_bench_want two[] = {
        {"database -j 1", "database", 1},
        {"none -j 1", "none", 1},
    };
    const char *ci = itest_cluster_start();
    char *json = itest_tmpfile("bench.json");
    struct itest_result r;

    itest_run(&r,
              ARGV("bench", "--db", ci, "--isolation", "none", "--jobs", "1",
                   "--repeat", "1", "--json", json, ITEST_BENCH_SMALL),
              NULL);
    cr_assert_eq(r.code, 0, "exit code %d\nstdout:\n%s\nstderr:\n%s", r.code,
                 r.out, r.err);
    itest_bench_check_table(&r, two, 2, 1);
    itest_bench_check_json(json, two, 2, 1);
    itest_assert_no_sandboxes(ci);

    itest_result_release(&r);
    free(json);
}

/* schema -j 1 is a serial isolated run: nothing is added. */
Test(bench, schema_is_a_reference)
{
    static const struct itest_bench_want two[] = {
        {"schema -j 1", "schema", 1},
        {"none -j 1", "none", 1},
    };
    const char *ci = itest_cluster_start();
    char *json = itest_tmpfile("bench.json");
    struct itest_result r;

    itest_run(&r,
              ARGV("bench", "--db", ci, "--isolation", "schema,none", "--jobs",
                   "1", "--repeat", "1", "--json", json, ITEST_BENCH_SMALL),
              NULL);
    cr_assert_eq(r.code, 0, "exit code %d\nstdout:\n%s\nstderr:\n%s", r.code,
                 r.out, r.err);
    itest_bench_check_table(&r, two, 2, 1);
    char *added = itest_line_starting(r.out, "database -j 1");
    cr_assert_null(added, "a database -j 1 run was added:\n%s", r.out);
    itest_bench_check_json(json, two, 2, 1);
    itest_assert_no_sandboxes(ci);

    itest_result_release(&r);
    free(json);
}

/* Exit code 2, "isotest: error:" naming the option and the value, and
   nothing run: the value is refused before a server is looked for. */
static void assert_bad_value(const char *opt, const char *value)
{
    struct itest_result r;
    char *quoted = xasprintf("'%s'", value);

    itest_run(&r,
              ARGV("bench", "--db", NO_SERVER, "--repeat", "1", opt, value,
                   ITEST_BENCH_SMALL),
              NULL);
    cr_assert_eq(r.code, 2, "%s %s: exit code %d\nstdout:\n%s\nstderr:\n%s",
                 opt, value, r.code, r.out, r.err);
    cr_assert(!strncmp(r.err, "isotest: error: ", 16),
              "%s %s: no 'isotest: error: ' line:\n%s", opt, value, r.err);
    cr_assert(strstr(r.err, quoted) && strstr(r.err, opt),
              "%s %s: the error does not name the value:\n%s", opt, value,
              r.err);
    cr_assert_str_empty(r.out, "%s %s: something ran:\n%s", opt, value, r.out);
    free(quoted);
    itest_result_release(&r);
}

struct bad_value {
    char opt[16];
    char value[32];
};

ParameterizedTestParameters(bench, bad_values)
{
    static struct bad_value cases[] = {
        {"--jobs", "0"},
        {"--jobs", "a,b"},
        {"--jobs", "1,,2"},
        {"--jobs", "1,2,"},
        {"--jobs", "-1"},
        {"--jobs", "1025"},
        {"--isolation", "bogus"},
        {"--isolation", "database,bogus"},
        {"--isolation", ",none"},
        {"--isolation", "Database"},
        {"--repeat", "0"},
        {"--repeat", "x"},
        {"--repeat", "51"},
        /* Reports are checked before the runs, not after minutes of them. */
        {"--junit", "/nonexistent/dir/b.xml"},
        {"--json", "/nonexistent/dir/b.json"},
        {"--html", "/nonexistent/dir/b.html"},
    };

    return cr_make_param_array(struct bad_value, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_value *c, bench, bad_values)
{
    assert_bad_value(c->opt, c->value);
}

/* bench keeps its own history for the runs: the run options are refused. */
Test(bench, history_options_are_refused)
{
    const char *const opts[][3] = {{"--history", "h", NULL},
                                   {"--no-history", NULL, NULL},
                                   {"--compare-with", "old.xml", NULL}};

    for (size_t i = 0; i < sizeof(opts) / sizeof(*opts); i++) {
        struct itest_result r;
        if (opts[i][1])
            itest_run(&r,
                      ARGV("bench", "--db", NO_SERVER, opts[i][0], opts[i][1],
                           ITEST_BENCH_SMALL),
                      NULL);
        else
            itest_run(
                &r,
                ARGV("bench", "--db", NO_SERVER, opts[i][0], ITEST_BENCH_SMALL),
                NULL);
        cr_assert_eq(r.code, 2, "%s: exit code %d\n%s", opts[i][0], r.code,
                     r.err);
        cr_assert(strstr(r.err, "isotest: error: ") &&
                      strstr(r.err, "not for bench"),
                  "%s: %s", opts[i][0], r.err);
        cr_assert_str_empty(r.out, "%s: something ran:\n%s", opts[i][0], r.out);
        itest_result_release(&r);
    }
}

/*
 * An empty item is refused in --jobs ("1,2,") and at the start or middle
 * of --isolation (",none", "database,,none"); at its end it must be too.
 */
Test(bench, isolation_trailing_comma_is_refused)
{
    assert_bad_value("--isolation", "database,");
}
