/*
 * tap_out: the run as a TAP version 14 stream, for CI systems and tools
 * that read TAP natively (`isotest run --tap FILE`).
 *
 * Layout: "TAP version 14", the plan "1..N", then one test point per case
 * in the results' order:
 *
 *     ok 1 - suite/passes.sql
 *     not ok 2 - suite/fails.sql
 *       ---
 *       message: "suite/fails.sql:4: ERROR:  ..."
 *       severity: fail
 *       outcome: failed
 *       duration_ms: 12.3
 *       detail: |
 *         the detail, each line indented
 *       ...
 *     ok 3 - suite/skips.sh # SKIP skipped (exit code 77)
 *     ok 4 - suite/flaky.sh
 *     # flaky: passed on try 2
 *
 * A failed, errored or timed-out case (and one never started) is "not ok"
 * with a YAML diagnostic block: severity "fail" for a failure, "error"
 * otherwise; "tries: N" when it failed every one of N tries.  A case that
 * passed on a retry is "ok" followed by a "# flaky" comment line.  In a
 * description '\' and '#' are escaped as TAP 14 asks, and every string is
 * valid UTF-8 without control characters.
 *
 * Pure but for tap_out_write(); thread-safe.
 */
#ifndef ISOTEST_TAP_OUT_H
#define ISOTEST_TAP_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "common/err.h"
#include "result.h"

/* The whole stream for n results; *len (may be NULL) its length.  The
 * caller frees it. */
char *tap_out_render(const struct test_result *results, size_t n, size_t *len);

/*
 * Write the stream to path (atomically, as the JUnit report is), or to
 * `dash` when path is "-".  -1 with e naming the path (or "standard
 * output") when it cannot be written; a file is then left as it was.
 */
int tap_out_write(const char *path, FILE *dash,
                  const struct test_result *results, size_t n,
                  struct isotest_err *e);

#endif
