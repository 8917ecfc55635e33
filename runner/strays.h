/*
 * strays: processes a run's cases leave behind.  Every case carries
 * ISOTEST_SANDBOX=<its sandbox> in its environment, and sandbox names
 * start with the run's prefix ("isotest_<runid>_"), so a process that
 * escaped its case's process group (a double-forked daemon, say) is still
 * found by that variable.
 *
 * strays_guard() arms a guard process (common/watch.h) that ends them all
 * should isotest itself be killed; strays_end() ends those left when the
 * cases are done and notes each on its case.  Linux /proc; processes of
 * other users are not looked at.
 */
#ifndef ISOTEST_STRAYS_H
#define ISOTEST_STRAYS_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "common/watch.h"
#include "reporters/result.h"

int strays_guard(struct watch *w, const char *prefix, struct isotest_err *e);

/*
 * SIGKILL every process whose ISOTEST_SANDBOX starts with prefix; append
 * a line to the system-err of the case whose sandbox it names, and print
 * a warning for each to `out`.  How many were ended.
 */
size_t strays_end(const char *prefix, struct test_result *results, size_t n,
                  FILE *out);

#endif
