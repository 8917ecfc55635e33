/*
 * junit_read: the one reader of JUnit XML reports (ours, or another
 * tool's given to --compare-with), with libxml2's tree parser.
 *
 * Call sequence: junit_read_load() fills a struct junit_report, the
 * caller reads its fields and looks properties up with
 * junit_read_property(), then junit_read_release().
 *
 * The root must be <testsuites> or <testsuite>.  Every <testsuite> at
 * any depth is a suite (in document order); every <testcase> inside one
 * is a case.  Numbers are read as strtod/strtol read them (a bad number
 * reads as 0, as before this module); an absent attribute is marked so.
 *
 * Call xmlInitParser() in main before threads start; after that, loading
 * different reports in different threads is safe.  A loaded report is
 * read-only.
 */
#ifndef ISOTEST_JUNIT_READ_H
#define ISOTEST_JUNIT_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* From the testcase's children; the first such child is its element. */
enum junit_outcome {
    JUNIT_PASSED,
    JUNIT_FAILURE, /* a <failure> child */
    JUNIT_ERROR,   /* an <error> child (it wins over <failure>) */
    JUNIT_SKIPPED, /* a <skipped> child and neither of the others */
};

/* Every string is NULL when absent (or, for text, empty). */
struct junit_case {
    char *classname;
    char *name;
    char *file;     /* the file attribute some tools (pytest) write */
    bool timed;     /* a time attribute was there */
    double time_ms; /* its seconds * 1000; 0 when !timed */
    enum junit_outcome outcome;
    char *type;    /* the outcome element's type attribute */
    char *message; /* the outcome element's message attribute */
    char *detail;  /* the outcome element's text */
    char *out;     /* the text of its <system-out>s, joined */
    char *err;     /* the text of its <system-err>s, joined */
    size_t suite;  /* index into junit_report.suites */
};

struct junit_prop {
    char *name;
    char *value; /* NULL when the attribute is absent */
};

struct junit_suite {
    char *name;               /* NULL when the attribute is absent */
    struct junit_prop *props; /* of all its <properties>, in order */
    size_t nprops;
};

struct junit_report {
    /* The root element's attributes (0 when absent). */
    long tests, failures, errors;
    bool timed;     /* a <testsuites> carried a time attribute */
    double time_ms; /* that time (the run's wall time); 0 when !timed */
    struct junit_suite *suites;
    size_t nsuites;
    struct junit_case *cases;
    size_t ncases;
};

/*
 * Read the report at path into r.  -1 with e naming the path when the
 * file cannot be read, is not well-formed XML, or is not a JUnit report;
 * r is then empty (junit_read_release() is safe either way).
 */
int junit_read_load(struct junit_report *r, const char *path,
                    struct isotest_err *e);
void junit_read_release(struct junit_report *r);

/*
 * The isotest id of case c of r ("shop/tap/x"): the id= of the first
 * line of its system-out as junit.c writes it ("[isotest] file=...
 * release_ms=... id=ID"), else made from the names as isotest makes
 * them: the suite's name, the classname's other dotted parts as folders,
 * then the name ("shop" and "shop.tap", "x": "shop/tap/x"; another
 * tool's report: "pkg/mod/test_x" from classname "pkg.mod").  The
 * caller frees it.
 */
char *junit_read_case_id(const struct junit_report *r,
                         const struct junit_case *c);

/*
 * The value of the first <property name="name"> of suite number `suite`,
 * or NULL (no such suite or property, or no value).  Borrowed from r.
 */
const char *junit_read_property(const struct junit_report *r, size_t suite,
                                const char *name);

#endif
