/*
 * junit: the JUnit XML report (valid against the Jenkins xunit schema,
 * junit-10.xsd, which GitLab and GitHub actions also read).
 *
 * One <testsuite> per suite, in the order the suites first appear; run facts
 * as <properties> on each suite (the schema allows them only there); every
 * string passes through xmlsafe_text(); times in seconds with a dot and
 * three decimals: <testsuites time> is the run's wall time, each
 * <testsuite time> its cases' (first start to last end), the sum of its
 * case times the property isotest.case_time_s.  The schema has no `file`
 * or `id` attribute on <testcase>, so the file, worker, start offset,
 * sandbox and, last, the case's id go on the first line of <system-out>,
 * prefixed "[isotest] ".  A case run again (--retries)
 * keeps its last try's outcome and time; each earlier try is a
 * flakyFailure/flakyError (the case passed in the end) or a
 * rerunFailure/rerunError element with its own output, and the first
 * line says "tries=N total_ms=T".
 *
 * The report is built in memory and written with fs_write_atomic(), so a
 * reader never sees half a report.  Call xmlInitParser() in main before
 * threads start.  Not thread-safe: call from one thread.  Reading a
 * report back is junit_read.h's job.
 */
#ifndef ISOTEST_JUNIT_H
#define ISOTEST_JUNIT_H

#include <stddef.h>

#include "common/err.h"
#include "result.h"

struct junit_property {
    const char *name;
    const char *value;
};

/*
 * Write the report of n results to path.  -1 with e naming the path;
 * path is then left as it was.
 */
int junit_write(const char *path, const struct test_result *results, size_t n,
                const struct run_info *info, const struct junit_property *extra,
                size_t n_extra, struct isotest_err *e);

#endif
