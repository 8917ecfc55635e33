/*
 * test_annotate.c: GitHub Actions annotations (reporters/annotate.h).
 *
 * A table of escapes (message data and properties, as the runner reads
 * them), a table of failures and the line each names (SQL cases'
 * "PATH:LINE:", psql's "psql:FILE:LINE:", nothing), and the commands for
 * a run: one ::error per failed case, a ::warning per flaky one, none for
 * the others.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "reporters/annotate.h"

struct escape_case {
    char in[40];
    char data[64];     /* annotate_escape_data */
    char property[64]; /* annotate_escape_property */
};

ParameterizedTestParameters(annotate, escape)
{
    static struct escape_case cases[] = {
        {"plain text", "plain text", "plain text"},
        {"", "", ""},
        {"100% sure", "100%25 sure", "100%25 sure"},
        {"%0A is not a newline", "%250A is not a newline",
         "%250A is not a newline"},
        {"two\nlines", "two%0Alines", "two%0Alines"},
        {"crlf\r\nend", "crlf%0D%0Aend", "crlf%0D%0Aend"},
        {"a:b,c", "a:b,c", "a%3Ab%2Cc"},
        {"s/x.sql:4: ERROR, oops", "s/x.sql:4: ERROR, oops",
         "s/x.sql%3A4%3A ERROR%2C oops"},
        {"::error::", "::error::", "%3A%3Aerror%3A%3A"},
        {"caf\xc3\xa9 = ok", "caf\xc3\xa9 = ok", "caf\xc3\xa9 = ok"},
    };

    return cr_make_param_array(struct escape_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct escape_case *c, annotate, escape)
{
    char *d = annotate_escape_data(c->in);
    char *p = annotate_escape_property(c->in);

    cr_expect_str_eq(d, c->data, "data of '%s'", c->in);
    cr_expect_str_eq(p, c->property, "property of '%s'", c->in);
    free(d);
    free(p);
}

struct line_case {
    char label[28];
    char file[32];
    char message[80];
    char detail[80];
    long line;
};

ParameterizedTestParameters(annotate, line)
{
    static struct line_case cases[] = {
        {"sql_in_process", "suite/a.sql",
         "suite/a.sql:4: ERROR:  relation \"t\" does not exist", "", 4},
        {"psql_rewritten", "suite/a.sql",
         "suite/a.sql:12: ERROR:  boom (SQLSTATE P0001)", "", 12},
        {"psql_in_message", "suite/a.sql", "psql:a.sql:7: ERROR:  x", "", 7},
        {"psql_in_detail", "suite/a.sql", "1 of 2 TAP tests failed",
         "psql:a.sql:31: ERROR:  42P01: no\nmore", 31},
        {"psql_full_path", "suite/a.sql", "x",
         "psql:/abs/suite/a.sql:9: ERROR: y", 9},
        {"psql_other_file", "suite/a.sql", "x",
         "psql:helper.sql:3: ERROR: in an included file", 0},
        {"psql_second_hit", "suite/a.sql", "x",
         "psql:b.sql:3: ERROR: a\npsql:a.sql:5: ERROR: b", 5},
        {"other_file", "suite/a.sql", "suite/b.sql:4: ERROR:  x", "", 0},
        {"prefix_of_name", "suite/a.sql", "suite/a.sqlx:4: ERROR", "", 0},
        {"no_line", "suite/a.sql", "exit code 1", "", 0},
        {"not_a_number", "suite/a.sql", "suite/a.sql:four: ERROR", "", 0},
        {"no_colon_after", "suite/a.sql", "suite/a.sql:12", "", 0},
        {"line_zero", "suite/a.sql", "suite/a.sql:0: ERROR", "", 0},
        {"too_long", "suite/a.sql", "suite/a.sql:12345678901: ERROR", "", 0},
        {"timeout", "suite/a.sql", "timed out after 1 s", "", 0},
        {"no_file", "", "suite/a.sql:4: ERROR", "", 0},
    };

    return cr_make_param_array(struct line_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct line_case *c, annotate, line)
{
    long got =
        annotate_line(c->file, c->message, c->detail[0] ? c->detail : NULL);

    cr_expect_eq(got, c->line, "%s: line %ld, expected %ld", c->label, got,
                 c->line);
}

Test(annotate, null_message_and_detail)
{
    cr_expect_eq(annotate_line("a.sql", NULL, NULL), 0);
    cr_expect_eq(annotate_line(NULL, "a.sql:3: x", NULL), 0);
}

static struct test_result result(const char *id, const char *file,
                                 enum outcome o, const char *message)
{
    struct test_result r = {.id = id,
                            .suite = "s",
                            .classname = "s",
                            .name = id,
                            .file = file,
                            .done = true,
                            .outcome = o,
                            .prev_ms = -1,
                            .message = message ? xstrdup(message) : NULL};

    return r;
}

Test(annotate, commands_for_a_run)
{
    struct test_result r[7];
    struct strbuf sb = STRBUF_INIT;

    r[0] = result("s/ok.sql", "t/s/ok.sql", OUTCOME_PASSED, NULL);
    r[1] = result("s/bad.sql", "t/s/bad.sql", OUTCOME_FAILED,
                  "t/s/bad.sql:4: ERROR:  100% wrong\nsecond line");
    r[2] = result("s/crash,1.sh", "t/s/crash,1.sh", OUTCOME_ERROR,
                  "killed by SIGSEGV (exit code 139)");
    r[3] = result("s/slow.sh", NULL, OUTCOME_TIMEOUT, NULL);
    r[4] = result("s/skip.sh", "t/s/skip.sh", OUTCOME_SKIPPED, "skipped");
    r[5] = result("s/never.sql", "t/s/never.sql", OUTCOME_FAILED, "x");
    r[5].done = false;
    r[6] = result("s/flaky.sql", "t/s/flaky.sql", OUTCOME_PASSED, NULL);
    r[6].retried = xcalloc(2, sizeof(*r[6].retried));
    r[6].nretried = 2;
    r[6].retried[0].outcome = OUTCOME_FAILED;
    r[6].retried[0].message = xstrdup("t/s/flaky.sql:9: ERROR:  deadlock");
    r[6].retried[1].outcome = OUTCOME_TIMEOUT;

    annotate_github(&sb, r, 7, NULL);
    for (size_t i = 0; i < 7; i++)
        result_release(&r[i]);
    cr_assert_str_eq(
        sb.buf,
        "::error file=t/s/bad.sql,line=4,title=s/bad.sql::t/s/bad.sql:4: "
        "ERROR:  100%25 wrong%0Asecond line\n"
        "::error file=t/s/crash%2C1.sh,title=s/crash%2C1.sh::killed by "
        "SIGSEGV (exit code 139)\n"
        "::error title=s/slow.sh::timeout\n"
        "::warning file=t/s/flaky.sql,line=9,title=s/flaky.sql::flaky: "
        "passed on try 3; try 1: t/s/flaky.sql:9: ERROR:  deadlock\n");
    strbuf_release(&sb);
}

/* Colours and bad bytes from a case's output never reach the log. */
Test(annotate, messages_are_sanitised)
{
    struct test_result r =
        result("s/x.sh", "x.sh", OUTCOME_FAILED, "\x1b[31mred\x1b[0m \xff end");
    struct strbuf sb = STRBUF_INIT;

    annotate_github(&sb, &r, 1, NULL);
    result_release(&r);
    cr_assert_str_eq(sb.buf,
                     "::error file=x.sh,title=s/x.sh::red \xef\xbf\xbd end\n");
    strbuf_release(&sb);
}

/* Absolute paths inside the checkout are named from its root. */
Test(annotate, paths_relative_to_the_workspace)
{
    struct test_result r[3];
    struct strbuf sb = STRBUF_INIT;

    r[0] = result("s/a.sql", "/w/repo/t/s/a.sql", OUTCOME_FAILED, "x");
    r[1] = result("s/b.sql", "/w/repository/b.sql", OUTCOME_FAILED, "x");
    r[2] = result("s/c.sql", "t/s/c.sql", OUTCOME_FAILED, "x");
    annotate_github(&sb, r, 3, "/w/repo/");
    for (size_t i = 0; i < 3; i++)
        result_release(&r[i]);
    cr_assert_str_eq(sb.buf, "::error file=t/s/a.sql,title=s/a.sql::x\n"
                             "::error file=/w/repository/b.sql,"
                             "title=s/b.sql::x\n"
                             "::error file=t/s/c.sql,title=s/c.sql::x\n");
    strbuf_release(&sb);
}
