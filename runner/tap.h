/*
 * tap: reading the Test Anything Protocol that pgTAP prints.
 *
 * tap_parse() reads the whole output of a case; the result says whether it
 * looked like TAP at all, and if so whether it passed: a plan, as many
 * tests as planned, no failure (a failing "# TODO" test does not count), no
 * "Bail out!".  Pure; thread-safe.
 */
#ifndef ISOTEST_TAP_H
#define ISOTEST_TAP_H

#include <stdbool.h>
#include <stddef.h>

struct tap_result {
    bool seen;     /* a plan or a test line was found */
    int planned;   /* -1: no plan */
    bool skip_all; /* "1..0 # SKIP ..." */
    int count;     /* test lines */
    int failed;    /* not ok, without TODO */
    bool bailed;
    char *summary;     /* why it failed, one line; NULL when it passed */
    char *diagnostics; /* failing tests with their "#" lines; may be NULL */
};

void tap_parse(const char *text, size_t len, struct tap_result *r);
bool tap_passed(const struct tap_result *r);
void tap_release(struct tap_result *r);

#endif
