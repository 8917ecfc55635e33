/*
 * test_console.c: the console's decisions (reporters/console.h).
 *
 * The summary line for each mix of outcomes (the prefix CI reads stays
 * "N passed, N failed, N skipped"), the colour decision (--color, a
 * terminal, NO_COLOR), a SQL error said once in the failures, colour
 * codes only when asked for, the running cases named on the live line
 * and a stuck case's line, once, in a pipe.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "reporters/console.h"

struct line_case {
    struct result_counts n;
    char want[96];
};

ParameterizedTestParameters(console, summary_line)
{
    static struct line_case cases[] = {
        {{.passed = 3, .failed = 1}, "3 passed, 1 failed, 0 skipped"},
        {{0}, "0 passed, 0 failed, 0 skipped"},
        {{.passed = 3, .failed = 1, .errors = 2, .timed_out = 1, .not_run = 4},
         "3 passed, 1 failed, 0 skipped, 2 errors, 1 timed out, 4 not run"},
        {{.errors = 1}, "0 passed, 0 failed, 0 skipped, 1 error"},
        {{.skipped = 2, .not_run = 1},
         "0 passed, 0 failed, 2 skipped, 1 not run"},
        {{.passed = 1, .flaky = 1}, "1 passed, 0 failed, 0 skipped, 1 flaky"},
        {{.passed = 1, .timed_out = 2, .flaky = 1},
         "1 passed, 0 failed, 0 skipped, 2 timed out, 1 flaky"},
    };
    return cr_make_param_array(struct line_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct line_case *c, console, summary_line)
{
    struct strbuf sb = STRBUF_INIT;

    console_summary_line(&sb, &c->n);
    cr_assert_str_eq(sb.buf, c->want);
    strbuf_release(&sb);
}

Test(console, counts_each_outcome_apart)
{
    struct test_result r[7] = {
        {.done = true, .outcome = OUTCOME_PASSED},
        {.done = true, .outcome = OUTCOME_FAILED},
        {.done = true, .outcome = OUTCOME_ERROR},
        {.done = true, .outcome = OUTCOME_TIMEOUT},
        {.done = true, .outcome = OUTCOME_SKIPPED},
        {.done = false, .outcome = OUTCOME_PASSED},
        {.done = true, .outcome = OUTCOME_PASSED, .nretried = 1},
    };
    struct result_counts n;

    result_count(r, 7, &n);
    cr_assert_eq(n.passed, 2);
    cr_assert_eq(n.failed, 1);
    cr_assert_eq(n.errors, 1);
    cr_assert_eq(n.timed_out, 1);
    cr_assert_eq(n.skipped, 1);
    cr_assert_eq(n.not_run, 1);
    cr_assert_eq(n.flaky, 1);
}

struct color_case {
    enum console_color mode;
    bool tty;
    bool set;         /* NO_COLOR is set ... */
    char no_color[4]; /* ... to this */
    bool want;
};

ParameterizedTestParameters(console, want_color)
{
    static struct color_case cases[] = {
        {CONSOLE_COLOR_AUTO, true, false, "", true},
        {CONSOLE_COLOR_AUTO, false, false, "", false},
        {CONSOLE_COLOR_AUTO, true, true, "1", false},
        {CONSOLE_COLOR_AUTO, true, true, "", true}, /* empty: not set */
        {CONSOLE_COLOR_AUTO, false, true, "1", false},
        {CONSOLE_COLOR_ALWAYS, false, false, "", true},
        {CONSOLE_COLOR_ALWAYS, true, true, "1", true},
        {CONSOLE_COLOR_NEVER, true, false, "", false},
        {CONSOLE_COLOR_NEVER, false, true, "", false},
    };
    return cr_make_param_array(struct color_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct color_case *c, console, want_color)
{
    const char *nc = c->set ? c->no_color : NULL;

    cr_assert_eq(console_want_color(c->mode, c->tty, nc), c->want,
                 "mode %d, tty %d, NO_COLOR '%s'", (int)c->mode, c->tty,
                 nc ? nc : "(unset)");
}

/* What a console writes for calls made by `fill`, as one string. */
static char *captured(bool live, bool color, void (*fill)(struct console *))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    cr_assert(f);
    struct console *c = console_new(f, live, 3);
    console_set_color(c, color);
    fill(c);
    console_free(c);
    fclose(f);
    return buf;
}

static const struct run_info info = {.isolation = "database",
                                     .jobs = 2,
                                     .server_version = "15",
                                     .report_path = "out/junit.xml",
                                     .html_path = "out/timeline.html"};

/* A SQL case's failure: its one line, psql's verbose text after it. */
static void sql_failure(struct console *c)
{
    static char msg[] = "s/a.sql:3: ERROR: relation \"nope\" does not exist "
                        "(SQLSTATE 42P01)";
    static char detail[] =
        "psql:s/a.sql:3: ERROR:  42P01: relation \"nope\" does not exist\n"
        "LINE 1: SELECT * FROM nope;\n"
        "LOCATION:  parserOpenTable, parse_relation.c:1392\n";
    struct test_result r[2] = {
        {.id = "s/a",
         .file = "s/a.sql",
         .done = true,
         .outcome = OUTCOME_FAILED,
         .message = msg,
         .detail = detail,
         .detail_short = true},
        {.id = "s/b", .done = true, .outcome = OUTCOME_PASSED},
    };

    console_case_done(c, &r[0]);
    console_case_done(c, &r[1]);
    console_summary(c, r, 2, &info);
}

Test(console, sql_error_once)
{
    char *out = captured(false, false, sql_failure);

    const char *first = strstr(out, "relation \"nope\"");
    cr_assert(first, "%s", out);
    cr_assert_null(strstr(first + 1, "relation \"nope\""), "twice:\n%s", out);
    cr_assert_null(strstr(out, "LOCATION:"), "%s", out);
    cr_assert(strstr(out, "JUnit report: out/junit.xml\n"), "%s", out);
    cr_assert(strstr(out, "timeline: out/timeline.html\n"), "%s", out);
    cr_assert(strstr(out, "\n1 passed, 1 failed, 0 skipped\n"), "%s", out);
    cr_assert_null(strchr(out, '\033'), "colour when not asked:\n%s", out);
    free(out);
}

Test(console, colour_when_asked)
{
    char *out = captured(false, true, sql_failure);

    cr_assert(strstr(out, "\033[31mFAIL\033[0m"), "%s", out);
    cr_assert(strstr(out, "\033[32mok\033[0m"), "%s", out);
    /* The summary line stays plain: CI reads it. */
    cr_assert(strstr(out, "\n1 passed, 1 failed, 0 skipped\n"), "%s", out);
    free(out);
}

static void running_live(struct console *c)
{
    struct console_running now[] = {
        {"shop/quick", 1200}, {"shop/big_import", 7400}, {"shop/slow", 12300}};

    console_progress(c, 3, 13000, now, 3);
}

Test(console, live_line_names_long_cases)
{
    char *out = captured(true, false, running_live);

    cr_assert(strstr(out, "running: shop/slow (12 s), shop/big_import (7 s)"),
              "%s", out);
    cr_assert_null(strstr(out, "shop/quick"), "%s", out);
    free(out);
}

static void running_pipe(struct console *c)
{
    struct console_running now[] = {{"shop/slow", 61000}, {"shop/ok", 3000}};

    console_progress(c, 2, 61000, now, 2);
    now[0].ms = 62000;
    console_progress(c, 2, 62000, now, 2);
    console_set_stuck_after(c, 2000);
    console_progress(c, 2, 62200, now, 2);
}

Test(console, pipe_says_stuck_case_once)
{
    char *out = captured(false, false, running_pipe);

    cr_assert_str_eq(out, "still running: shop/slow (61 s)\n"
                          "still running: shop/ok (3 s)\n");
    free(out);
}

static void running_narrow(struct console *c)
{
    struct console_running now[] = {{"shop/a_very_long_case_name", 9000},
                                    {"shop/caf\xc3\xa9_report", 10000}};

    /* 45 columns before the first name: the cut falls inside the é. */
    console_set_width(c, 55);
    console_progress(c, 2, 9000, now, 2);
}

/* A live line never wraps (it could not be redrawn), nor splits a letter. */
Test(console, live_line_fits_the_terminal)
{
    char *out = captured(true, false, running_narrow);
    const char *line = strrchr(out, '\r');

    cr_assert(line && !strncmp(line, "\r\033[K", 4), "%s", out);
    cr_assert_str_eq(line + 4,
                     "[0/3] running 2, failed 0, 9.000 s; running: shop/caf");
    free(out);
}
