/*
 * test_tap.c: the TAP consumer (runner/tap.h).
 *
 * One table of outputs and what tap_parse must make of them (plan, counts,
 * pass/fail, the summary line), then the diagnostics collected for failing
 * tests, with CRLF endings and indentation; TAP 14 subtests as pgTAP's
 * runtests() prints them.
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

/*
 * TAP 14 subtests: what pgTAP's runtests() prints, one subtest per test
 * function (real output, from the pgtap_funcs fixture).
 */
static const char runtests_out[] =
    "ok 1 - startup ran\n"
    "    # Subtest: public.test_deposit()\n"
    "    ok 1 - deposit adds\n"
    "    # teardown removed 2 accounts\n"
    "    1..1\n"
    "ok 2 - public.test_deposit\n"
    "    # Subtest: public.test_dies()\n"
    "    # Test died: P0001: boom in test_dies\n"
    "not ok 3 - public.test_dies\n"
    "# Failed test 3: \"public.test_dies\"\n"
    "    # Subtest: public.test_later()\n"
    "    ok 1 # SKIP not written yet\n"
    "    ok 2 # SKIP not written yet\n"
    "    1..2\n"
    "ok 4 - public.test_later\n"
    "    # Subtest: public.test_wrong_balance()\n"
    "    not ok 1 - bob has 42\n"
    "    # Failed test 1: \"bob has 42\"\n"
    "    #         have: 5\n"
    "    1..1\n"
    "    # Looks like you failed 1 tests of 1\n"
    "not ok 5 - public.test_wrong_balance\n"
    "# Failed test 5: \"public.test_wrong_balance\"\n"
    "1..5\n"
    "# Looks like you failed 2 tests of 5\n";

Test(tap, runtests_subtests_count_once_at_the_top)
{
    struct tap_result r;

    tap_parse(runtests_out, strlen(runtests_out), &r);
    cr_assert_eq(r.planned, 5);
    cr_assert_eq(r.count, 5, "count %d", r.count);
    cr_assert_eq(r.failed, 2, "failed %d", r.failed);
    cr_assert_str_eq(r.summary, "2 of 5 TAP tests failed");
    cr_assert_eq(r.nsubtests, 4);
    cr_expect_str_eq(r.subtests[0].name, "public.test_deposit()");
    cr_expect(r.subtests[0].passed);
    cr_expect_eq(r.subtests[0].planned, 1);
    cr_expect_eq(r.subtests[0].count, 1);
    /* Died before any line of its own: a subtest without a plan. */
    cr_expect_str_eq(r.subtests[1].name, "public.test_dies()");
    cr_expect_not(r.subtests[1].passed);
    cr_expect_eq(r.subtests[1].planned, -1);
    cr_expect(r.subtests[2].passed);
    cr_expect_eq(r.subtests[2].skipped, 2);
    cr_expect_eq(r.subtests[2].count, 2);
    cr_expect_not(r.subtests[3].passed);
    cr_expect_eq(r.subtests[3].failed, 1);
    tap_release(&r);
}

Test(tap, subtest_diagnostics_keep_their_subtest_and_indentation)
{
    struct tap_result r;

    tap_parse(runtests_out, strlen(runtests_out), &r);
    cr_assert_not_null(r.diagnostics);
    cr_assert_str_eq(r.diagnostics,
                     "    # Subtest: public.test_dies()\n"
                     "    # Test died: P0001: boom in test_dies\n"
                     "not ok 3 - public.test_dies\n"
                     "# Failed test 3: \"public.test_dies\"\n"
                     "    # Subtest: public.test_wrong_balance()\n"
                     "    not ok 1 - bob has 42\n"
                     "    # Failed test 1: \"bob has 42\"\n"
                     "    #         have: 5\n"
                     "    # Looks like you failed 1 tests of 1\n"
                     "not ok 5 - public.test_wrong_balance\n"
                     "# Failed test 5: \"public.test_wrong_balance\"\n"
                     "# Looks like you failed 2 tests of 5\n");
    tap_release(&r);
}

struct subtest_case {
    char label[32];
    char text[240];
    int count;
    int failed;
    size_t nsubtests;
    bool passed;
};

ParameterizedTestParameters(tap, subtests)
{
    static struct subtest_case cases[] = {
        {"passing", "    # Subtest: a\n    ok 1\n    1..1\nok 1 - a\n1..1\n", 1,
         0, 1, true},
        /* The old reading: "planned 1 TAP tests but ran 2". */
        {"one_function_runtests",
         "ok 1 - startup\n    # Subtest: s.t()\n    ok 1\n    1..1\n"
         "ok 2 - s.t\n1..2\n",
         2, 0, 1, true},
        {"failed_subtest_under_ok_line",
         "    # Subtest: a\n    not ok 1\n    1..1\nok 1 - a\n1..1\n", 1, 1, 1,
         false},
        {"subtest_short_of_its_plan",
         "    # Subtest: a\n    ok 1\n    1..2\nok 1 - a\n1..1\n", 1, 1, 1,
         false},
        {"todo_line_forgives_its_subtest",
         "    not ok 1\n    1..1\nnot ok 1 - a # TODO later\n1..1\n", 1, 0, 1,
         true},
        {"parent_level_subtest_name",
         "# Subtest: a\n    ok 1\n    1..1\nok 1 - a\n1..1\n", 1, 0, 1, true},
        {"unsummarised_failed_subtest", "1..1\nok 1\n    not ok 1\n    1..1\n",
         1, 1, 1, false},
        {"nested",
         "        ok 1\n        1..1\n    ok 1 - inner\n    1..1\n"
         "ok 1 - outer\n1..1\n",
         1, 0, 1, true},
        {"nested_failure_rises",
         "        not ok 1\n        1..1\n    ok 1 - inner\n    1..1\n"
         "ok 1 - outer\n1..1\n",
         1, 1, 1, false},
        /* psql's aligned output: one space, then the subtest's four. */
        {"aligned_psql",
         " ok 1 - startup\n     ok 1\n     1..1\n ok 2 - s.t\n 1..2\n", 2, 0, 1,
         true},
        {"empty_subtest_plan_zero_not_ok",
         "    1..0\n    # No tests run!\nnot ok 1 - a\n1..1\n", 1, 1, 1, false},
    };

    return cr_make_param_array(struct subtest_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct subtest_case *c, tap, subtests)
{
    struct tap_result r;

    tap_parse(c->text, strlen(c->text), &r);
    cr_expect_eq(r.count, c->count, "%s: count %d", c->label, r.count);
    cr_expect_eq(r.failed, c->failed, "%s: failed %d", c->label, r.failed);
    cr_expect_eq(r.nsubtests, c->nsubtests, "%s: subtests %zu", c->label,
                 r.nsubtests);
    cr_expect_eq(tap_passed(&r), c->passed, "%s: passed (%s)", c->label,
                 r.summary ? r.summary : "-");
    tap_release(&r);
    cr_assert_null(r.subtests);
}
