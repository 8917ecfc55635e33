/*
 * expected: the expected-output cases, judged as pg_regress judges them.
 *
 * A worker calls expected_judge() once psql has run the case: the output
 * is kept as the case's results file (written for a pass and a failure
 * alike, as pg_regress does), then compared with each expected file --
 * byte for byte, or as `diff -b` compares with ignore_space -- and a
 * mismatch gets the unified diff of the closest one, labelled with the
 * two files' paths.  `isotest accept` (cmd_accept.c) reads the same
 * results files back through expected_results_path().
 *
 * Where a results file goes: results/STEM.out beside the case's expected/
 * folder (discover.h: sql/x.sql gives results/x.out, sql/sub/x.sql
 * results/sub/x.out); with a results folder DIR, the same path below
 * DIR/SUITE/, mirroring the suite's folders.
 *
 * Thread-safe: workers judge different cases concurrently; two cases (or
 * two runs) that write one results file never leave a mix of both.
 */
#ifndef ISOTEST_EXPECTED_H
#define ISOTEST_EXPECTED_H

#include <stdbool.h>
#include <stddef.h>

#include "discover.h"
#include "reporters/result.h"

struct expected_opts {
    const char *results_dir; /* NULL: results/ beside expected/ */
    bool ignore_space;       /* --ignore-space-change */
};

/*
 * Judge an expected-output case c (c->expected_dir set) from its output
 * in r->out: write the results file, set r's outcome, message and detail
 * (the diff).  A results file that cannot be written, or output cut by
 * the output cap, is an error of the case.
 */
void expected_judge(const struct expected_opts *o, const struct test_case *c,
                    struct test_result *r);

/*
 * Are the texts the same: byte for byte, or with ignore_space as `diff -b`
 * sees them (runs of blanks -- space, tab, CR, FF, VT -- match any other
 * run, blanks at a line's end and a missing final newline do not count).
 */
bool expected_equal(const char *a, size_t alen, const char *b, size_t blen,
                    bool ignore_space);

/*
 * The results file of case c (c->expected_dir set), as a path to open and
 * to show: from the PATH the case was reached by, or under results_dir
 * (may be NULL).  The caller frees it.
 */
char *expected_results_path(const struct test_case *c, const char *results_dir);

/*
 * An absolute path discovery found for c (its expected files), as reached
 * from the PATH given when it lies in or beside the suite folder, else
 * unchanged.  The caller frees it.
 */
char *expected_display(const struct test_case *c, const char *abs);

/* The case's main expected file, STEM.out, whether it exists or not. */
char *expected_main_file(const struct test_case *c);

#endif
