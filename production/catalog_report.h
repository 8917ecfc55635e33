/*
 * catalog_report: the JUnit report of a production check (drift, audit):
 * one testcase per category (an object kind, say), failed when the check
 * found something in it, the findings as the failure's text.
 *
 * Built on reporters/junit.h, so the report validates like a run's.  Not
 * thread-safe: call from one thread.
 */
#ifndef ISOTEST_CATALOG_REPORT_H
#define ISOTEST_CATALOG_REPORT_H

#include <stddef.h>

#include "common/err.h"
#include "reporters/junit.h"

struct catalog_report_case {
    const char *name;     /* "columns" */
    const char *findings; /* one per line, "" when none */
    size_t count;         /* findings in it; 0: the case passed */
};

struct catalog_report {
    const char *suite;          /* "drift": suite and classname */
    const char *finding_noun;   /* "difference": "2 differences" */
    const char *server_version; /* of the inspected server, or NULL */
    double wall_ms;
    const struct junit_property *extra; /* more properties, or NULL */
    size_t n_extra;
};

/*
 * Write the n cases to path (atomically).  -1 with e naming the path;
 * it is then left as it was.
 */
int catalog_report_junit(const char *path, const struct catalog_report *r,
                         const struct catalog_report_case *cases, size_t n,
                         struct isotest_err *e);

#endif
