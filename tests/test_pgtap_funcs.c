/*
 * test_pgtap_funcs.c: pgTAP test functions as cases (runner/pgtap_funcs.h)
 * and the verdict on one function's run (runner/pgtap_run.h).
 *
 * Covers: the regular expression that selects one function (table), the
 * suite a PATH names, a case's id, classname and file, and the judge on
 * real runtests() outputs: pass, failure with diagnostics, death, skip,
 * a statement error, a function that runtests() did not find; the
 * output of one _runner() call over several functions cut per function
 * (runner/pgtap_split.h).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "runner/pgtap_funcs.h"
#include "runner/pgtap_run.h"
#include "runner/pgtap_split.h"

struct regex_case {
    char func[32];
    char want[48];
};

ParameterizedTestParameters(pgtap_funcs, regex)
{
    static struct regex_case cases[] = {
        {"test_a", "^test_a$"},
        {"test$x", "^test\\$x$"},
        {"t.e*s+t?", "^t\\.e\\*s\\+t\\?$"},
        {"a(b)[c]{d}|e^f\\g", "^a\\(b\\)\\[c\\]\\{d\\}\\|e\\^f\\\\g$"},
        {"Test_Mixed_42", "^Test_Mixed_42$"},
    };

    return cr_make_param_array(struct regex_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct regex_case *c, pgtap_funcs, regex)
{
    char *re = pgtap_funcs_regex(c->func);

    cr_expect_str_eq(re, c->want);
    free(re);
}

Test(pgtap_funcs, suite_is_the_folder_name)
{
    char *a = pgtap_funcs_suite("tests/fixtures/pgtap_funcs/");
    char *b = pgtap_funcs_suite("tests/fixtures/pgtap_funcs/sql/"
                                "runtests_passing.sql");
    char *c = pgtap_funcs_suite("no/such/suite");

    cr_expect_str_eq(a, "pgtap_funcs");
    cr_expect_str_eq(b, "sql");
    cr_expect_str_eq(c, "suite");
    free(a);
    free(b);
    free(c);
}

Test(pgtap_funcs, case_names)
{
    struct case_list cl;

    memset(&cl, 0, sizeof(cl));
    pgtap_funcs_case(case_list_add(&cl), "shop", "tests", "tests",
                     "test_orders");
    pgtap_funcs_case(case_list_add(&cl), "shop", "public", NULL, "test_a");
    case_list_sort(&cl);
    const struct test_case *a = &cl.v[0], *t = &cl.v[1];
    cr_expect_str_eq(a->id, "shop/public.test_a");
    cr_expect_null(a->func_schema); /* the sandbox's own schema */
    cr_expect_str_eq(t->id, "shop/tests.test_orders");
    cr_expect_str_eq(t->classname, "shop.tests");
    cr_expect_str_eq(t->name, "test_orders");
    cr_expect_str_eq(t->path, "tests.test_orders()");
    cr_expect_str_eq(t->func_schema, "tests");
    cr_expect_eq(t->kind, CASE_PGTAP_FUNC);
    cr_expect(
        discover_filter_match(t->id, (const char *[]){"shop/tests.*"}, 1));
    case_list_release(&cl);
}

/* Judge output as runtests(schema, '^f$') printed it. */
static void judge(const char *out, const char *error, struct test_result *r)
{
    memset(r, 0, sizeof(*r));
    r->out.data = strdup(out);
    r->out.len = strlen(out);
    pgtap_run_judge("public.f", error, error ? "CONTEXT: here" : NULL, r);
}

static void release(struct test_result *r)
{
    free(r->out.data);
    free(r->message);
    free(r->detail);
}

Test(pgtap_run, passing_function)
{
    struct test_result r;

    judge("ok 1 - startup\n    # Subtest: public.f()\n    ok 1 - x\n"
          "    1..1\nok 2 - public.f\n1..2\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_PASSED);
    cr_expect_null(r.message);
    release(&r);
}

Test(pgtap_run, failing_function_keeps_its_diagnostics)
{
    struct test_result r;

    judge("    # Subtest: public.f()\n    ok 1 - a\n    not ok 2 - b\n"
          "    # Failed test 2: \"b\"\n    #   have: 5\n    1..2\n"
          "not ok 1 - public.f\n1..1\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_FAILED);
    cr_expect_str_eq(r.message, "1 of 2 TAP tests failed in public.f()");
    cr_assert_not_null(r.detail);
    cr_expect_not_null(strstr(r.detail, "    not ok 2 - b\n"
                                        "    # Failed test 2: \"b\"\n"
                                        "    #   have: 5\n"));
    release(&r);
}

Test(pgtap_run, function_that_died)
{
    struct test_result r;

    judge("    # Subtest: public.f()\n    # Test died: P0001: boom\n"
          "not ok 1 - public.f\n1..1\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_FAILED);
    cr_expect_str_eq(r.message, "public.f() died: P0001: boom");
    release(&r);
}

Test(pgtap_run, all_skipped_is_skipped)
{
    struct test_result r;

    judge("    # Subtest: public.f()\n    ok 1 # SKIP not yet\n"
          "    ok 2 # SKIP not yet\n    1..2\nok 1 - public.f\n1..1\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_SKIPPED);
    cr_expect_str_eq(r.message, "skipped: not yet");
    release(&r);
}

Test(pgtap_run, partly_skipped_passes)
{
    struct test_result r;

    judge("    # Subtest: public.f()\n    ok 1 # SKIP not yet\n"
          "    ok 2 - real\n    1..2\nok 1 - public.f\n1..1\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_PASSED);
    release(&r);
}

Test(pgtap_run, statement_error_fails_with_its_context)
{
    struct test_result r;

    judge("", "ERROR: division by zero (SQLSTATE 22012)", &r);
    cr_expect_eq(r.outcome, OUTCOME_FAILED);
    cr_expect_str_eq(r.message,
                     "public.f() died: ERROR: division by zero (SQLSTATE "
                     "22012)");
    cr_expect_str_eq(r.detail, "CONTEXT: here");
    release(&r);
}

Test(pgtap_run, function_not_run_is_an_error)
{
    struct test_result r;

    judge("ok 1 - startup\n1..1\n", NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_ERROR);
    cr_expect_str_eq(r.message, "runtests() did not run public.f(): no such "
                                "function in the sandbox");
    release(&r);
}

Test(pgtap_run, failing_startup_fails_the_function)
{
    struct test_result r;

    judge("not ok 1 - startup\n    # Subtest: public.f()\n    ok 1\n"
          "    1..1\nok 2 - public.f\n1..2\n",
          NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_FAILED);
    cr_expect_str_eq(r.message, "1 of 2 TAP tests failed");
    release(&r);
}

/* ---- pgtap_split: one _runner() call's output, per function ------------ */

static const char chunk_out[] = "ok 1 - startup ran\n"
                                "    # Subtest: public.test_a()\n"
                                "    ok 1 - a works\n"
                                "    1..1\n"
                                "ok 2 - public.test_a\n"
                                "    # Subtest: public.test_b()\n"
                                "    not ok 1 - b works\n"
                                "    # Failed test 1: \"b works\"\n"
                                "    1..1\n"
                                "    # Looks like you failed 1 tests of 1\n"
                                "not ok 3 - public.test_b\n"
                                "# Failed test 3: \"public.test_b\"\n"
                                "ok 4 - shutdown ran\n"
                                "1..4\n"
                                "# Looks like you failed 1 test of 4\n";

Test(pgtap_split, each_function_as_runtests_alone_prints_it)
{
    struct strbuf parts[2];

    for (int i = 0; i < 2; i++)
        strbuf_init(&parts[i], 0);
    cr_assert_eq(pgtap_split(chunk_out, strlen(chunk_out), 2, parts), 0);
    cr_expect_str_eq(parts[0].buf, "ok 1 - startup ran\n"
                                   "    # Subtest: public.test_a()\n"
                                   "    ok 1 - a works\n"
                                   "    1..1\n"
                                   "ok 2 - public.test_a\n"
                                   "ok 4 - shutdown ran\n"
                                   "1..3\n");
    cr_expect_str_eq(parts[1].buf, "ok 1 - startup ran\n"
                                   "    # Subtest: public.test_b()\n"
                                   "    not ok 1 - b works\n"
                                   "    # Failed test 1: \"b works\"\n"
                                   "    1..1\n"
                                   "    # Looks like you failed 1 tests of 1\n"
                                   "not ok 3 - public.test_b\n"
                                   "# Failed test 3: \"public.test_b\"\n"
                                   "ok 4 - shutdown ran\n"
                                   "1..3\n");
    /* Each part is judged as the function's own run would be. */
    struct test_result r;
    judge(parts[0].buf, NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_PASSED);
    release(&r);
    judge(parts[1].buf, NULL, &r);
    cr_expect_eq(r.outcome, OUTCOME_FAILED);
    release(&r);
    for (int i = 0; i < 2; i++)
        strbuf_release(&parts[i]);
}

Test(pgtap_split, refuses_another_count_of_subtests)
{
    struct strbuf parts[3];

    for (int i = 0; i < 3; i++)
        strbuf_init(&parts[i], 0);
    cr_expect_eq(pgtap_split(chunk_out, strlen(chunk_out), 3, parts), -1);
    for (int i = 0; i < 3; i++)
        strbuf_reset(&parts[i]);
    cr_expect_eq(pgtap_split(chunk_out, strlen(chunk_out), 1, parts), -1);
    cr_expect_eq(pgtap_split("", 0, 1, parts), -1);
    for (int i = 0; i < 3; i++)
        strbuf_release(&parts[i]);
}
