/*
 * pgtap_split: the output of one pgTAP _runner() call over several test
 * functions, cut into what runtests() would have printed for each alone.
 *
 * pgTAP prints each test function as a TAP 14 subtest: a line
 * "    # Subtest: SCHEMA.NAME()", the function's lines indented by 4, and
 * a line "ok N - SCHEMA.NAME" (or "not ok", then its "#" diagnostics) at
 * the top level; startup functions' lines come before the first subtest,
 * shutdown functions' lines and the plan after the last.  Each part gets
 * the startup lines, its own subtest with its summarising line, the
 * shutdown lines and a plan counting those top-level tests.  Pure;
 * thread-safe.
 */
#ifndef ISOTEST_PGTAP_SPLIT_H
#define ISOTEST_PGTAP_SPLIT_H

#include <stddef.h>

#include "common/strbuf.h"

/*
 * Fill parts[0..k-1] (initialised strbufs, appended to) from text.
 * 0, or -1 when text does not hold exactly k subtests (the parts are then
 * left in an unspecified state: reset them).
 */
int pgtap_split(const char *text, size_t len, size_t k, struct strbuf *parts);

#endif
