/*
 * test_bench_report.c: the outputs of `isotest bench`
 * (reporters/bench_report.h).
 *
 * Covers: medians over a row's runs (odd and even counts, the failed
 * count rounded, cases from the first run, no runs at all); which row is
 * the reference for speedups (table: the first isolated row at -j 1,
 * never `none`, none at all, one whose median is 0); the table's rows and
 * "(the old way)"; the failed-cases list (first failing run only, five
 * names at most, none when nothing failed); the exact JSON of a row whose
 * name needs escaping; the JUnit file read back with junit_read and
 * validated against reporters/junit-10.xsd, system-out naming the failed
 * cases and how many more; write failures naming the path.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/bench_report.h"
#include "reporters/junit_read.h"
#include "unit_tmp.h"

#define EPS 1e-9
#define XSD "reporters/junit-10.xsd"

UNIT_TMP_FOLDER("/tmp/isotest-bench-report-XXXXXX")

static struct bench_run run(double wall, long tests, long failed)
{
    struct bench_run r = {.wall_ms = wall,
                          .cycle_p50_ms = wall / 100,
                          .cycle_p95_ms = wall / 50,
                          .wait_p50_ms = 1,
                          .wait_p95_ms = 2,
                          .tests = tests,
                          .failed = failed};

    return r;
}

static struct bench_row row(const char *name, const char *isolation, int jobs,
                            const struct bench_run *runs, int n)
{
    struct bench_row r = {.name = name,
                          .isolation = isolation,
                          .jobs = jobs,
                          .runs = runs,
                          .repeat = n};

    return r;
}

/* ---- medians ---- */

Test(bench_report, medians_over_the_runs)
{
    struct bench_run odd[] = {run(3000, 4, 1), run(1000, 5, 0),
                              run(2000, 6, 3)};
    struct bench_run even[] = {run(1000, 4, 0), run(2000, 4, 1),
                               run(3000, 4, 1), run(4000, 4, 0)};
    struct bench_row rows[] = {row("database -j 1", "database", 1, odd, 3),
                               row("database -j 2", "database", 2, even, 4),
                               row("schema -j 4", "schema", 4, NULL, 0)};

    bench_report_medians(rows, 3);
    cr_assert_float_eq(rows[0].wall_ms, 2000, EPS);
    cr_assert_float_eq(rows[0].overhead_p50_ms, 20, EPS);
    cr_assert_float_eq(rows[0].overhead_p95_ms, 40, EPS);
    cr_assert_float_eq(rows[0].wait_p50_ms, 1, EPS);
    cr_assert_float_eq(rows[0].wait_p95_ms, 2, EPS);
    cr_assert_eq(rows[0].failed, 1);
    cr_assert_eq(rows[0].cases, 4, "cases come from the first run");
    cr_assert_float_eq(rows[1].wall_ms, 2500, EPS);
    cr_assert_eq(rows[1].failed, 1, "a median of 0.5 rounds up");
    cr_assert_float_eq(rows[1].speedup, 0.8, EPS);
    cr_assert_float_eq(rows[1].efficiency, 0.4, EPS);
    /* No runs: nothing to measure. */
    cr_assert_float_eq(rows[2].wall_ms, 0, EPS);
    cr_assert_eq(rows[2].cases, 0);
    cr_assert_float_eq(rows[2].speedup, 0, EPS);
}

struct reference_case {
    char label[24];
    char isolation[3][12];
    int jobs[3];
    double wall[3];
    double speedup[3];
};

ParameterizedTestParameters(bench_report, reference)
{
    static struct reference_case cases[] = {
        {"first_isolated_serial",
         {"database", "database", "database"},
         {1, 2, 4},
         {1000, 500, 250},
         {1, 2, 4}},
        {"none_is_never_it",
         {"none", "database", "none"},
         {1, 1, 4},
         {100, 1000, 250},
         {10, 1, 4}},
        {"schema_counts",
         {"none", "schema", "schema"},
         {1, 1, 2},
         {500, 2000, 1000},
         {4, 1, 2}},
        {"the_first_of_two",
         {"schema", "database", "database"},
         {1, 1, 2},
         {800, 1000, 400},
         {1, 0.8, 2}},
        {"zero_is_skipped",
         {"database", "schema", "database"},
         {1, 1, 2},
         {0, 1000, 500},
         {0, 1, 2}},
        {"no_reference",
         {"none", "database", "schema"},
         {1, 2, 4},
         {1000, 500, 250},
         {0, 0, 0}},
    };

    return cr_make_param_array(struct reference_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct reference_case *c, bench_report, reference)
{
    struct bench_run runs[3];
    struct bench_row rows[3];

    for (int i = 0; i < 3; i++) {
        runs[i] = run(c->wall[i], 4, 0);
        rows[i] = row("r", c->isolation[i], c->jobs[i], &runs[i], 1);
    }
    bench_report_medians(rows, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_float_eq(rows[i].speedup, c->speedup[i], EPS,
                           "%s: row %d speedup %g", c->label, i,
                           rows[i].speedup);
        cr_assert_float_eq(rows[i].efficiency, c->speedup[i] / c->jobs[i], EPS,
                           "%s: row %d efficiency", c->label, i);
    }
}

/* ---- text ---- */

static char *names[] = {"s.a", "s.b", "s.c", "s.d", "s.e", "s.f", "s.g"};

Test(bench_report, text_table_and_failed_cases)
{
    struct bench_run ok[] = {run(2000, 4, 0), run(2000, 4, 0)};
    struct bench_run none1[] = {run(1000, 4, 0), run(1000, 4, 2),
                                run(1000, 4, 1)};
    struct bench_run none2[] = {run(500, 9, 7)};
    struct bench_row rows[] = {row("database -j 1", "database", 1, ok, 2),
                               row("none -j 1", "none", 1, none1, 3),
                               row("none -j 2", "none", 2, none2, 1)};
    struct strbuf sb = STRBUF_INIT;

    none1[1].failed_names = names;
    none1[1].nnamed = 2;
    none1[2].failed_names = names;
    none1[2].nnamed = 1;
    none2[0].failed_names = names;
    none2[0].nnamed = 7;
    bench_report_medians(rows, 3);
    bench_report_text(&sb, rows, 3);
    cr_assert(!strncmp(sb.buf, "\nconfiguration ", 15), "%s", sb.buf);
    cr_assert_not_null(strstr(sb.buf, "\ndatabase -j 1      "), "%s", sb.buf);
    cr_assert_not_null(strstr(sb.buf, "\nnone -j 1 (the old way) "), "%s",
                       sb.buf);
    cr_assert_not_null(strstr(sb.buf, "\nnone -j 2           "), "%s", sb.buf);
    cr_assert_null(strstr(sb.buf, "none -j 2 (the old way)"));
    cr_assert_not_null(strstr(sb.buf, "0/4"), "%s", sb.buf);
    cr_assert_not_null(strstr(sb.buf, "7/9"), "%s", sb.buf);
    const char *failed = strstr(sb.buf, "\nfailed cases");
    cr_assert_not_null(failed, "%s", sb.buf);
    cr_assert_str_eq(failed,
                     "\nfailed cases (the first run of each configuration "
                     "that had any):\n"
                     "  none -j 1, run 2: 2 of 4: s.a, s.b\n"
                     "  none -j 2, run 1: 7 of 9: s.a, s.b, s.c, s.d, s.e, "
                     "...\n");
    strbuf_release(&sb);
}

Test(bench_report, text_without_failures_has_no_list)
{
    struct bench_run ok[] = {run(2000, 4, 0)};
    struct bench_row rows[] = {row("database -j 1", "database", 1, ok, 1)};
    struct strbuf sb = STRBUF_INIT;

    bench_report_medians(rows, 1);
    bench_report_text(&sb, rows, 1);
    cr_assert_null(strstr(sb.buf, "failed cases"), "%s", sb.buf);
    cr_assert_not_null(strstr(sb.buf, "    1.00x"), "%s", sb.buf);
    strbuf_release(&sb);
}

/* ---- JSON ---- */

Test(bench_report, json_exact, .init = make_tmp, .fini = remove_tmp)
{
    static char *odd_names[] = {"a\"b\\c", "tab\there"};
    struct bench_run runs[] = {run(1000, 4, 0), run(3000, 4, 2)};
    struct bench_row rows[] = {row("db \"x\"", "database", 1, runs, 2)};
    char *path = xasprintf("%s/b.json", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *got;
    size_t len;

    runs[1].failed_names = odd_names;
    runs[1].nnamed = 2;
    bench_report_medians(rows, 1);
    cr_assert_eq(bench_report_json(path, rows, 1, "15.18 \"x\"", &e), 0, "%s",
                 e.msg);
    cr_assert_eq(fs_read_file(path, &got, &len, &e), 0, "%s", e.msg);
    cr_assert_str_eq(
        got, "{\n  \"isotest_version\": \"" ISOTEST_VERSION "\",\n"
             "  \"server_version\": \"15.18 \\\"x\\\"\",\n"
             "  \"configurations\": [\n"
             "    {\"name\": \"db \\\"x\\\"\", \"isolation\": \"database\", "
             "\"jobs\": 1, \"runs\": 2, \"wall_ms_median\": 2000.0, "
             "\"speedup\": 1.000, \"efficiency\": 1.000, "
             "\"overhead_p50_ms\": 20.00, \"overhead_p95_ms\": 40.00, "
             "\"wait_p50_ms\": 1.00, \"wait_p95_ms\": 2.00, \"failed\": 1, "
             "\"cases\": 4, \"wall_ms\": [1000.0, 3000.0], \"failed_cases\": "
             "[[], [\"a\\\"b\\\\c\", \"tab\\u0009here\"]]}\n"
             "  ]\n}\n");
    free(got);
    free(path);
}

/* ---- JUnit ---- */

static void validate_against_xsd(const char *path)
{
    cr_assert(access(XSD, R_OK) == 0,
              "%s not found: the tests run from the repository root", XSD);
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert_not_null(doc, "cannot parse %s", path);
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(XSD);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    cr_assert_not_null(schema, "cannot parse %s", XSD);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int rc = xmlSchemaValidateDoc(vc, doc);
    xmlSchemaFreeValidCtxt(vc);
    xmlSchemaFree(schema);
    xmlSchemaFreeParserCtxt(pc);
    xmlFreeDoc(doc);
    cr_assert_eq(rc, 0, "%s is not valid against %s", path, XSD);
}

Test(bench_report, junit_read_back, .init = make_tmp, .fini = remove_tmp)
{
    struct bench_run db[] = {run(1000, 4, 0), run(1200, 4, 0)};
    struct bench_run none[] = {run(550, 4, 3)};
    struct bench_row rows[] = {row("database -j 1", "database", 1, db, 2),
                               row("none -j 4", "none", 4, none, 1)};
    char *path = xasprintf("%s/b.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct junit_report r;

    none[0].failed_names = names;
    none[0].nnamed = 2;
    bench_report_medians(rows, 2);
    cr_assert_eq(bench_report_junit(path, rows, 2, &e), 0, "%s", e.msg);
    validate_against_xsd(path);
    cr_assert_eq(junit_read_load(&r, path, &e), 0, "%s", e.msg);
    cr_assert_eq(r.nsuites, 2);
    cr_assert_eq(r.ncases, 3);
    cr_assert_str_eq(r.suites[1].name, "none -j 4");
    cr_assert_str_eq(junit_read_property(&r, 1, "bench.isolation"), "none");
    cr_assert_str_eq(junit_read_property(&r, 1, "bench.jobs"), "4");
    cr_assert_str_eq(junit_read_property(&r, 1, "bench.speedup"), "2.000");
    cr_assert_str_eq(junit_read_property(&r, 1, "bench.efficiency"), "0.500");
    cr_assert_str_eq(junit_read_property(&r, 1, "bench.failed_cases"), "3");
    cr_assert_str_eq(junit_read_property(&r, 0, "bench.wall_ms_median"),
                     "1100.0");
    cr_assert_str_eq(r.cases[1].name, "database -j 1 run 2");
    cr_assert_str_eq(r.cases[1].classname, "bench.database");
    cr_assert_float_eq(r.cases[1].time_ms, 1200, 1e-6);
    for (size_t i = 0; i < r.ncases; i++)
        cr_assert_eq(r.cases[i].outcome, JUNIT_PASSED,
                     "a run with failed cases is not itself failed");
    junit_read_release(&r);

    char *text;
    size_t len;
    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_not_null(strstr(text, "<system-out>3 of 4 cases failed:\n"
                                    "s.a\ns.b\n(and 1 more)</system-out>"),
                       "%s", text);
    cr_assert_eq(strstr(text, "<system-out>"),
                 strstr(text, "<system-out>3 of 4"),
                 "only the failing run has a system-out");
    cr_assert_null(strstr(strstr(text, "<system-out>") + 1, "<system-out>"));
    free(text);
    free(path);
}

Test(bench_report, write_failures_name_the_path, .init = make_tmp,
     .fini = remove_tmp)
{
    struct bench_run runs[] = {run(1000, 4, 0)};
    struct bench_row rows[] = {row("database -j 1", "database", 1, runs, 1)};
    char *path = xasprintf("%s/missing/b.out", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;

    bench_report_medians(rows, 1);
    cr_assert_eq(bench_report_json(path, rows, 1, "15", &e), -1);
    cr_assert_not_null(strstr(e.msg, path), "%s", e.msg);
    isotest_err_release(&e);
    cr_assert_eq(bench_report_junit(path, rows, 1, &e), -1);
    cr_assert_not_null(strstr(e.msg, path), "%s", e.msg);
    isotest_err_release(&e);
    free(path);
}
