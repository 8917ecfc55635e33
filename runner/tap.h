/*
 * tap: reading the Test Anything Protocol that pgTAP prints.
 *
 * tap_parse() reads the whole output of a case; the result says whether it
 * looked like TAP at all, and if so whether it passed: a plan, as many
 * tests as planned, no failure (a failing "# TODO" test does not count), no
 * "Bail out!".  Pure; thread-safe.
 *
 * TAP 14 subtests are read as such: lines indented by 4 spaces more than
 * their parent's are a child stream (with its own plan), usually opened by
 * a "# Subtest: NAME" line and summarised by the parent's next test line
 * ("ok N - NAME").  That test line counts once at the parent's level, and
 * fails when it says "not ok" or when its subtest failed (a subtest that
 * fails under an "ok" line is a failure all the same).  pgTAP's runtests()
 * prints one subtest per test function.  Indentation of less than 4 spaces
 * (psql's aligned output) does not make a subtest.
 */
#ifndef ISOTEST_TAP_H
#define ISOTEST_TAP_H

#include <stdbool.h>
#include <stddef.h>

/* A subtest of the top level, as its summarising test line closed it. */
struct tap_subtest {
    char *name;    /* "# Subtest: NAME", else the test line's description */
    int planned;   /* -1: no plan */
    int count;     /* its test lines (not its own subtests') */
    int failed;    /* not ok without TODO, or a failed subtest of its own */
    int skipped;   /* ok lines with a "# SKIP" directive */
    bool passed;   /* the subtest and its summarising line */
    bool skip_all; /* "1..0 # SKIP ..." */
};

struct tap_result {
    bool seen;     /* a plan or a test line was found */
    int planned;   /* -1: no plan */
    bool skip_all; /* "1..0 # SKIP ..." */
    int count;     /* test lines of the top level */
    int failed;    /* not ok, without TODO, or a failed subtest */
    int skipped;   /* ok lines with a "# SKIP" directive */
    bool bailed;
    char *summary;     /* why it failed, one line; NULL when it passed */
    char *diagnostics; /* failing tests with their "#" lines; may be NULL */
    struct tap_subtest *subtests; /* the top level's, in order */
    size_t nsubtests;
};

void tap_parse(const char *text, size_t len, struct tap_result *r);
bool tap_passed(const struct tap_result *r);
/* Frees what tap_parse() allocated; safe to call twice. */
void tap_release(struct tap_result *r);

#endif
