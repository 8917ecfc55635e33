/*
 * test_advice.c: what a run's results say about its set-up
 * (runner/advice.h).
 *
 * Covers: every case failing on a missing relation, as psql, the
 * in-process path or a command case reports it, gives the advice (and
 * only without a migrations folder); one case passing, failing another
 * way, or no case having run gives none; skipped and unstarted cases do
 * not count; a PGOPTIONS exported to isotest and not passed on is
 * noted.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/advice.h"

static struct test_result failed(const char *message, const char *err)
{
    return (struct test_result){
        .done = true,
        .outcome = OUTCOME_FAILED,
        .message = (char *)message,
        .err = {.data = (char *)err, .len = err ? strlen(err) : 0}};
}

Test(advice, every_case_misses_a_relation)
{
    struct test_result r[] = {
        failed("s/a.sql:3: ERROR: relation \"users\" does not exist "
               "(SQLSTATE 42P01)",
               NULL),
        failed("exit code 1", "psql:x.sql:1: ERROR:  42P01: relation "
                              "\"orders\" does not exist\n"),
        failed("exit code 3", "ERROR:  relation \"t\" does not exist\n"),
        {.done = true, .outcome = OUTCOME_SKIPPED},
        {.done = false},
    };

    cr_assert(advice_all_missing_relation(r, 5));
    cr_assert_not(advice_all_missing_relation(r, 0), "no case");
    cr_assert_not(advice_all_missing_relation(r + 3, 2), "none ran");

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    advice_print(out, r, 5, NULL);
    fflush(out);
    cr_assert_not_null(strstr(text, "no migrations folder was found: pass "
                                    "--migrations DIR"),
                       "%s", text);
    rewind(out);
    len = 0;
    advice_print(out, r, 5, "/suite/migrations");
    fclose(out);
    cr_assert_eq(len, 0, "a migrations folder: no advice");
    free(text);
}

Test(advice, not_when_a_case_passed_or_failed_otherwise)
{
    struct test_result passed[] = {
        failed("ERROR: relation \"a\" does not exist (SQLSTATE 42P01)", NULL),
        {.done = true, .outcome = OUTCOME_PASSED},
    };
    struct test_result other[] = {
        failed("ERROR: relation \"a\" does not exist (SQLSTATE 42P01)", NULL),
        failed("ERROR: division by zero (SQLSTATE 22012)", NULL),
    };

    cr_assert_not(advice_all_missing_relation(passed, 2));
    cr_assert_not(advice_all_missing_relation(other, 2));
}

/* The note about an exported PGOPTIONS, or "" (caller frees). */
static char *env_note(const struct run_options *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    advice_print_env(out, o);
    fclose(out);
    return text;
}

Test(advice, exported_pgoptions)
{
    const char *pass[] = {"PGOPTIONS"};
    const char *envs[] = {"PGOPTIONS=-c a=b"};
    struct run_options none = {0};
    struct run_options passed = {.pass_envs = pass, .npass_envs = 1};
    struct run_options set = {.envs = envs, .nenvs = 1};
    char *t;

    unsetenv("PGOPTIONS");
    t = env_note(&none);
    cr_assert_str_eq(t, "");
    free(t);
    setenv("PGOPTIONS", "-c lock_timeout=10s", 1);
    t = env_note(&none);
    cr_assert_not_null(strstr(t, "--pass-env PGOPTIONS"), "%s", t);
    free(t);
    t = env_note(&passed);
    cr_assert_str_eq(t, "");
    free(t);
    t = env_note(&set);
    cr_assert_str_eq(t, "");
    free(t);
}
