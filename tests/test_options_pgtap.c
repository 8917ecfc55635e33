/*
 * test_options_pgtap.c: the pgTAP function options of `isotest run`
 * (runner/options.h): --pgtap-functions with and without a pattern (a
 * value only after '='), --pgtap-batch, and the combinations refused.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "runner/options.h"

static int parse(char **argv, struct run_options *o, struct isotest_err *e)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    return options_parse(argc, argv, o, e);
}

Test(options_pgtap, default_pattern_and_path_stays_a_path)
{
    char *argv[] = {"run", "--pgtap-functions", "suite", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(argv, &o, &e), 0, "%s", e.msg);
    cr_expect_str_eq(o.pgtap_functions, "^test");
    cr_expect_eq(o.pgtap_batch, 0);
    cr_assert_eq(o.npaths, 1);
    cr_expect_str_eq(o.paths[0], "suite");
    options_release(&o);
}

Test(options_pgtap, pattern_and_batch)
{
    char *argv[] = {"run", "--pgtap-functions=^check_", "--pgtap-batch=50",
                    "suite", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(argv, &o, &e), 0, "%s", e.msg);
    cr_expect_str_eq(o.pgtap_functions, "^check_");
    cr_expect_eq(o.pgtap_batch, 50);
    options_release(&o);
}

Test(options_pgtap, absent_means_none)
{
    char *argv[] = {"run", "suite", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(argv, &o, &e), 0, "%s", e.msg);
    cr_expect_null(o.pgtap_functions);
    options_release(&o);
}

struct refused {
    char *argv[6];
    const char *msg;
};

Test(options_pgtap, refused_with_a_message)
{
    static const struct refused cases[] = {
        {{"run", "--pgtap-functions=", "s", NULL},
         "invalid value '' for --pgtap-functions: expected a regular "
         "expression for the test functions' names (default ^test)"},
        {{"run", "--pgtap-batch", "4", "s", NULL},
         "--pgtap-batch needs --pgtap-functions"},
        {{"run", "--pgtap-functions", "--pgtap-batch", "0", "s", NULL},
         "invalid value '0' for --pgtap-batch: expected a whole number from "
         "1 to 1000000"},
        {{"run", "--pgtap-functions", "--list", "x", "--each", "{}"},
         "--pgtap-functions needs a suite PATH (its migrations create the "
         "test functions)"},
        {{"run", "--pgtap-functionsX", "s", NULL},
         "unknown option '--pgtap-functionsX'"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct run_options o;
        struct isotest_err e = ISOTEST_ERR_INIT;
        char *argv[7] = {0};
        memcpy(argv, cases[i].argv, sizeof(cases[i].argv));
        cr_expect_eq(parse(argv, &o, &e), -1, "case %zu accepted", i);
        cr_expect_str_eq(e.msg ? e.msg : "(none)", cases[i].msg);
        isotest_err_release(&e);
    }
}
