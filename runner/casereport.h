/*
 * casereport: what a command case says about itself in a report file.
 *
 * A command case finds a path in $ISOTEST_CASE_REPORT and may write a
 * JUnit XML or TAP report there (pytest --junitxml="$ISOTEST_CASE_REPORT",
 * say).  Its exit code still decides pass or fail first; the report then
 * adds what an exit code cannot say:
 *
 *   exit 0, every test skipped        skipped (pytest's skip is no pass)
 *   exit 0, but tests failed          failed (the report is believed)
 *   failed, and the report says why   the message names the first failing
 *                                     test; the detail lists them all
 *   an unreadable report              an error, saying why
 *
 * Without a report (the file left empty), exit 77 still means skipped.
 * Thread-safe.
 */
#ifndef ISOTEST_CASEREPORT_H
#define ISOTEST_CASEREPORT_H

#include <stdbool.h>

#include "common/proc.h"
#include "reporters/result.h"

/*
 * A new empty file for one case's report in tmpdir (mode 0600); the
 * caller unlinks and frees it.  NULL when none could be made.
 */
char *casereport_path(const char *tmpdir);

/*
 * Refine r (judged from the exit status st) with the report at path.
 * False when the case wrote none.
 */
bool casereport_judge(const char *path, const struct proc_status *st,
                      struct test_result *r);

#endif
