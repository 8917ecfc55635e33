/*
 * helpers_bench: checking what `isotest bench` printed and wrote, for the
 * integration tests that benchmark the fixture tests/fixtures/bench_small.
 *
 * That fixture holds ITEST_BENCH_CASES tiny SQL cases and one migration;
 * two of the cases claim the same primary key, so on a shared database
 * (--isolation none) one of them fails in every run, serial or parallel,
 * while every isolated run passes.  The checks assert nothing on time:
 * only on figures that follow from the others (the reference's speedup is
 * 1, efficiency is speedup / jobs).
 *
 * A test lists the configurations it expects (in table order), runs
 * bench, then calls the check for each output it asked for.  Each check
 * asserts (cr_assert) and fails the test with a message saying what is
 * wrong; nothing is returned.
 */
#ifndef ISOTEST_TESTS_HELPERS_BENCH_H
#define ISOTEST_TESTS_HELPERS_BENCH_H

#include <stddef.h>

#include "helpers.h"

#define ITEST_BENCH_SMALL FIXTURES "/bench_small"
#define ITEST_BENCH_CASES 4

/* A configuration the test expects bench to run. */
struct itest_bench_want {
    const char *name;      /* "database -j 2" */
    const char *isolation; /* "database" */
    int jobs;
};

/*
 * stdout: the first line names n configurations x `repeat` runs; the
 * table has every column and a row per configuration, "(the old way)"
 * marking none -j 1 only.
 */
void itest_bench_check_table(const struct itest_result *r,
                             const struct itest_bench_want *w, size_t n,
                             int repeat);
/*
 * The --junit report: valid, one testsuite per configuration with every
 * bench.* property, one testcase per run; runs with failed cases name
 * them in system-out and are not marked failed.
 */
void itest_bench_check_junit(const char *path, const struct itest_bench_want *w,
                             size_t n, int repeat);
/* The --json report: its shape, and the same figures (python3 parses it). */
void itest_bench_check_json(const char *path, const struct itest_bench_want *w,
                            size_t n, int repeat);
/*
 * The --html report: parses as HTML, fetches nothing, has two charts
 * (wall time, speedup) with a bar for each configuration, and a table row
 * for each.
 */
void itest_bench_check_html(const char *path, const struct itest_bench_want *w,
                            size_t n);

#endif
