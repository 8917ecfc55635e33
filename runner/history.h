/*
 * history: case durations of earlier runs, for comparisons and ordering.
 *
 * A run records its case durations in a small file (default
 * SUITE/.isotest-history, or --history FILE); the next run reads it, or a
 * JUnit report given with --compare-with, then starts the longest cases
 * first (pg_prove's --state=slow) and reports what got slower.
 *
 * Call sequence: history_load() or history_load_junit(), lookups, then
 * history_release(); history_save() after a run.  Not thread-safe; a
 * loaded history is read-only.
 */
#ifndef ISOTEST_HISTORY_H
#define ISOTEST_HISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "discover.h"
#include "reporters/result.h"

struct history {
    size_t n;
    char **keys; /* case ids; older files: "classname::name" */
    double *ms;
    double wall_ms; /* 0 when unknown */
    bool present;   /* a file was read */
};

/* A missing file is an empty history, not an error. */
int history_load(struct history *h, const char *path, struct isotest_err *e);
/*
 * The durations of a JUnit report's timed cases and its wall time (read
 * by reporters/junit_read.h).  -1 with e naming the path when the file
 * is missing, unreadable, not XML or not a JUnit report.
 */
int history_load_junit(struct history *h, const char *path,
                       struct isotest_err *e);
void history_release(struct history *h);

/*
 * Duration of the case with this id, or -1 when the history does not know
 * it.  Files written before ids were the history's spelling hold
 * "classname::name" keys: classname and name (either may be NULL: id
 * only) find those.
 */
double history_lookup(const struct history *h, const char *id,
                      const char *classname, const char *name);

/*
 * Writes this run's durations (cases that ran in a sandbox) under their
 * ids ("shop/tap/x\t12.3"), then the
 * entries of `prev` (may be NULL) for cases this run did not produce, so
 * a run of a few cases (--filter, --fail-fast) keeps the others'
 * durations, and so does a case whose sandbox could not be had.
 */
int history_save(const char *path, const struct history *prev,
                 const struct test_result *r, size_t n, double wall_ms,
                 struct isotest_err *e);

/*
 * The order to start cases in: longest known duration first, cases the
 * history does not know before all of them (their cost is unknown), ties
 * in id order.  Returns an array of n indexes; the caller frees it.
 */
size_t *history_schedule(const struct history *h, const struct case_list *cl);

#endif
