/*
 * test_tap.c: the TAP consumer (runner/tap.h).
 *
 * One table of outputs and what tap_parse must make of them (plan, counts,
 * pass/fail, the summary line), then the diagnostics collected for failing
 * tests, with CRLF endings and indentation.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <limits.h>

#include <string.h>

#include "runner/tap.h"

struct tap_case {
    char label[24];
    char text[200];
    bool seen;
    int planned;
    int count;
    int failed;
    bool bailed;
    bool skip_all;
    bool passed;
    char summary[48]; /* "" when it passed or was not TAP */
};

ParameterizedTestParameters(tap, parse)
{
    static struct tap_case cases[] = {
        {"pass", "1..2\nok 1 - a\nok 2 - b\n", true, 2, 2, 0, false, false,
         true, ""},
        {"plan_at_end", "ok 1\nok 2\n1..2\n", true, 2, 2, 0, false, false, true,
         ""},
        {"no_final_newline", "1..1\nok 1", true, 1, 1, 0, false, false, true,
         ""},
        {"bare_ok", "1..1\nok\n", true, 1, 1, 0, false, false, true, ""},
        {"missing_plan", "ok 1\nok 2\n", true, -1, 2, 0, false, false, false,
         "no TAP plan (ran 2 tests)"},
        {"fewer_than_planned", "1..3\nok 1\nok 2\n", true, 3, 2, 0, false,
         false, false, "planned 3 TAP tests but ran 2"},
        {"more_than_planned", "1..1\nok 1\nok 2\n", true, 1, 2, 0, false, false,
         false, "planned 1 TAP tests but ran 2"},
        {"not_ok", "1..2\nok 1\nnot ok 2 - b\n# Failed test 2\n", true, 2, 2, 1,
         false, false, false, "1 of 2 TAP tests failed"},
        {"todo_not_counted", "1..2\nok 1\nnot ok 2 - later # TODO not yet\n",
         true, 2, 2, 0, false, false, true, ""},
        {"todo_lower_case", "1..1\nnot ok 1 - x #todo\n", true, 1, 1, 0, false,
         false, true, ""},
        {"bail_out", "1..3\nok 1\nBail out! database gone\n", true, 3, 1, 0,
         true, false, false, "bailed out"},
        {"skip_all", "1..0 # SKIP no pgtap here\n", true, 0, 0, 0, false, true,
         true, ""},
        {"non_tap_text", "hello\nworld\n(1 row)\n", false, -1, 0, 0, false,
         false, false, ""},
        {"psql_table", " count \n-------\n     1\n(1 row)\n", false, -1, 0, 0,
         false, false, false, ""},
        {"okay_is_not_ok", "okay then\nnot okay\n", false, -1, 0, 0, false,
         false, false, ""},
        {"empty", "", false, -1, 0, 0, false, false, false, ""},
        {"indented", "  1..2\n  ok 1 - a\n\tok 2 - b\n", true, 2, 2, 0, false,
         false, true, ""},
        {"crlf", "1..2\r\nok 1 - a\r\nok 2 - b\r\n", true, 2, 2, 0, false,
         false, true, ""},
        {"crlf_failure", "1..2\r\nok 1\r\nnot ok 2\r\n", true, 2, 2, 1, false,
         false, false, "1 of 2 TAP tests failed"},
        {"long_number_row", "123456789012345678901234567890\n", false, -1, 0, 0,
         false, false, false, ""},
        {"huge_plan_saturates", "1..99999999999999999999\nok 1\n", true,
         INT_MAX, 1, 0, false, false, false,
         "planned 2147483647 TAP tests but ran 1"},
        {"mixed_with_psql_noise", "SET\n 1..2\n ok 1\n\n ok 2\n(3 rows)\n",
         true, 2, 2, 0, false, false, true, ""},
    };

    return cr_make_param_array(struct tap_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tap_case *c, tap, parse)
{
    struct tap_result r;

    tap_parse(c->text, strlen(c->text), &r);
    cr_expect_eq(r.seen, c->seen, "%s: seen", c->label);
    cr_expect_eq(r.planned, c->planned, "%s: planned %d", c->label, r.planned);
    cr_expect_eq(r.count, c->count, "%s: count %d", c->label, r.count);
    cr_expect_eq(r.failed, c->failed, "%s: failed %d", c->label, r.failed);
    cr_expect_eq(r.bailed, c->bailed, "%s: bailed", c->label);
    cr_expect_eq(r.skip_all, c->skip_all, "%s: skip_all", c->label);
    cr_expect_eq(tap_passed(&r), c->passed, "%s: passed", c->label);
    if (c->summary[0])
        cr_expect_str_eq(r.summary ? r.summary : "(null)", c->summary,
                         "%s: summary", c->label);
    else
        cr_expect_null(r.summary, "%s: summary %s", c->label, r.summary);
    tap_release(&r);
    cr_assert_null(r.summary);
    cr_assert_null(r.diagnostics);
}

Test(tap, failure_diagnostics_are_collected)
{
    static const char text[] = "1..3\n"
                               "ok 1 - first\n"
                               "# a note after a passing test\n"
                               "not ok 2 - second\n"
                               "# Failed test 2: \"second\"\n"
                               "#   got: 1\n"
                               "#   expected: 2\n"
                               "ok 3 - third\n"
                               "# unrelated note\n"
                               "# Looks like you failed 1 test of 3\n";
    struct tap_result r;

    tap_parse(text, strlen(text), &r);
    cr_assert_eq(r.failed, 1);
    cr_assert_not_null(r.diagnostics);
    cr_assert_str_eq(r.diagnostics, "not ok 2 - second\n"
                                    "# Failed test 2: \"second\"\n"
                                    "#   got: 1\n"
                                    "#   expected: 2\n"
                                    "# Looks like you failed 1 test of 3\n");
    tap_release(&r);
}

Test(tap, todo_failure_is_not_a_diagnostic)
{
    static const char text[] = "1..1\nnot ok 1 - soon # TODO later\n"
                               "# Failed (TODO) test 1\n";
    struct tap_result r;

    tap_parse(text, strlen(text), &r);
    cr_assert(tap_passed(&r));
    cr_assert(r.diagnostics == NULL ||
                  strstr(r.diagnostics, "not ok 1") == NULL,
              "%s", r.diagnostics);
    tap_release(&r);
}

Test(tap, bail_out_reason_is_kept)
{
    static const char text[] = "1..2\nok 1\nBail out! cannot reach server\n";
    struct tap_result r;

    tap_parse(text, strlen(text), &r);
    cr_assert(r.bailed);
    cr_assert_not_null(r.diagnostics);
    cr_assert_not_null(strstr(r.diagnostics, "Bail out! cannot reach server"));
    tap_release(&r);
}

Test(tap, crlf_and_indentation_do_not_leak_into_diagnostics)
{
    static const char text[] = "  1..1\r\n  not ok 1 - x\r\n  # why\r\n";
    struct tap_result r;

    tap_parse(text, strlen(text), &r);
    cr_assert_eq(r.failed, 1);
    cr_assert_str_eq(r.diagnostics, "not ok 1 - x\n# why\n");
    tap_release(&r);
}

Test(tap, length_not_nul_terminates)
{
    /* Only the first len bytes count. */
    static const char text[] = "1..1\nok 1\nnot ok 2\n";
    struct tap_result r;

    tap_parse(text, 10, &r);
    cr_assert(tap_passed(&r));
    cr_assert_eq(r.count, 1);
    tap_release(&r);
}

Test(tap, release_twice_is_harmless)
{
    struct tap_result r;

    tap_parse("ok 1\n", 5, &r);
    cr_assert_not_null(r.summary);
    tap_release(&r);
    tap_release(&r);
}
