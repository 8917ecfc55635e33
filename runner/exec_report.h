/*
 * exec_report: the one report of `isotest exec --junit`: the framework's
 * own JUnit report, each test case joined with the sandboxes the socket
 * handed to it.
 *
 * A socket record belongs to a test case when the test id its client sent
 * with ACQUIRE is the case's "classname.name" (what the pytest plugin
 * sends), "suite.name" when the report has no classname (Criterion's), or
 * its bare name.  The case's first system-out line then names
 * its sandbox, worker and acquire/release times, as `isotest run` writes
 * them; records of no reported case are counted in a property.  The
 * console gets the usual summary, whose last line counts the tests.
 * Main thread only.
 */
#ifndef ISOTEST_EXEC_REPORT_H
#define ISOTEST_EXEC_REPORT_H

#include <stddef.h>

#include "isotest.h"
#include "sockserver.h"

struct exec_report_in {
    const struct isotest_session *session;
    const char *framework_junit; /* where the framework wrote its report */
    const char *out;             /* isotest's report */
    const struct sock_record *records;
    size_t nrecords;
    int command_code;
    double wall_ms;
};

/* -1 with e set when the framework wrote no readable report. */
int exec_report(const struct exec_report_in *in, struct isotest_err *e);

#endif
