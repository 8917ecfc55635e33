/*
 * test_casereport.c: a command case's own report (runner/casereport.h).
 *
 * Covers, as a table: JUnit and TAP reports against exit codes (every
 * test skipped with exit 0 is a skip; failures in a report fail even an
 * exit 0; a failing exit names the report's first failing test; a timeout
 * or signal stands whatever the report says; an unreadable JUnit report is
 * an error); no report at all changes nothing; the report path is a new
 * private file.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "runner/casereport.h"

#define SKIPPED_ALL                                                            \
    "<testsuites><testsuite name=\"pytest\" tests=\"2\">"                      \
    "<testcase classname=\"t.test_a\" name=\"test_one\" time=\"0.1\">"         \
    "<skipped message=\"needs redis\"/></testcase>"                            \
    "<testcase classname=\"t.test_a\" name=\"test_two\" time=\"0.1\">"         \
    "<skipped message=\"needs redis\"/></testcase>"                            \
    "</testsuite></testsuites>"
#define ONE_FAILS                                                              \
    "<?xml version=\"1.0\"?><testsuite name=\"pytest\" tests=\"3\">"           \
    "<testcase classname=\"t.test_a\" name=\"test_ok\" time=\"0.1\"/>"         \
    "<testcase classname=\"t.test_a\" name=\"test_bad\" time=\"0.1\">"         \
    "<failure message=\"assert 1 == 2\">trace</failure></testcase>"            \
    "<testcase classname=\"t.test_a\" name=\"test_skip\" time=\"0.1\">"        \
    "<skipped message=\"later\"/></testcase></testsuite>"
#define SOME_SKIPPED                                                           \
    "<testsuite name=\"x\"><testcase classname=\"c\" name=\"a\"/>"             \
    "<testcase classname=\"c\" name=\"b\"><skipped/></testcase></testsuite>"

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct report_case {
    char report[512]; /* "-": none written */
    bool exited;
    int code;
    enum outcome before; /* the exit status's verdict */
    bool read;           /* casereport_judge's answer */
    enum outcome after;
    char message[64]; /* a part of the message, or "" */
};

ParameterizedTestParameters(casereport, judge)
{
    static struct report_case cases[] = {
        {"-", true, 0, OUTCOME_PASSED, false, OUTCOME_PASSED, ""},
        {"", true, 0, OUTCOME_PASSED, false, OUTCOME_PASSED, ""},
        {SKIPPED_ALL, true, 0, OUTCOME_PASSED, true, OUTCOME_SKIPPED,
         "all 2 tests skipped: needs redis"},
        {SKIPPED_ALL, true, 1, OUTCOME_FAILED, true, OUTCOME_FAILED, ""},
        {ONE_FAILS, true, 1, OUTCOME_FAILED, true, OUTCOME_FAILED,
         "1 of 3 tests failed: t.test_a.test_bad: assert 1 == 2"},
        {ONE_FAILS, true, 0, OUTCOME_PASSED, true, OUTCOME_FAILED,
         "(exit code 0)"},
        {ONE_FAILS, false, 9, OUTCOME_ERROR, true, OUTCOME_ERROR, ""},
        {ONE_FAILS, true, 0, OUTCOME_TIMEOUT, true, OUTCOME_TIMEOUT, ""},
        {SOME_SKIPPED, true, 0, OUTCOME_PASSED, true, OUTCOME_PASSED, ""},
        {"<html><body>no</body></html>", true, 0, OUTCOME_PASSED, true,
         OUTCOME_ERROR, "cannot read the case's report"},
        {"<testsuite", true, 0, OUTCOME_PASSED, true, OUTCOME_ERROR,
         "cannot read the case's report"},
        {"1..0 # SKIP no server\n", true, 0, OUTCOME_PASSED, true,
         OUTCOME_SKIPPED, "skipped"},
        {"1..2\nok 1\nnot ok 2 - broken\n", true, 0, OUTCOME_PASSED, true,
         OUTCOME_FAILED, ""},
        {"1..2\nok 1\nok 2\n", true, 0, OUTCOME_PASSED, true, OUTCOME_PASSED,
         ""},
        {"1..2\nok 1\nok 2\n", true, 3, OUTCOME_FAILED, true, OUTCOME_FAILED,
         ""},
    };

    return cr_make_param_array(struct report_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct report_case *c, casereport, judge)
{
    char *path = casereport_path("/tmp");
    struct proc_status st = {.exited = c->exited, .code = c->code};
    struct test_result r = {.outcome = c->before, .done = true};

    cr_assert_not_null(path);
    if (strcmp(c->report, "-")) {
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(c->report, f);
        fclose(f);
    }
    cr_assert_eq(casereport_judge(path, &st, &r), c->read);
    cr_assert_eq(r.outcome, c->after, "outcome %s, want %s",
                 outcome_name(r.outcome), outcome_name(c->after));
    if (c->message[0])
        cr_assert(r.message && strstr(r.message, c->message),
                  "message '%s' lacks '%s'", r.message ? r.message : "(none)",
                  c->message);
    if (c->after == OUTCOME_FAILED && c->report[0] == '<' && c->message[0])
        cr_assert(r.detail && strstr(r.detail, "failed:"), "%s",
                  r.detail ? r.detail : "(no detail)");
    result_release(&r);
    unlink(path);
    free(path);
}

Test(casereport, path_is_a_new_private_file)
{
    char *a = casereport_path("/tmp"), *b = casereport_path("/tmp");
    struct stat st;

    cr_assert(a && b && strcmp(a, b) != 0);
    cr_assert_eq(stat(a, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 0);
    cr_assert_null(casereport_path("/nonexistent/folder"));
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}
