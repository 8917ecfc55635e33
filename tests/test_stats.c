/*
 * test_stats.c: report statistics and time formatting (reporters/stats.h).
 *
 * Covers: percentile/median on odd, even, one-element and empty arrays,
 * clamping of p, the input left unmodified, sums; stats_collect (only
 * cases that ran count: failed ones do, skipped and never-started ones do
 * not; no case at all; speedup against the wall time, table);
 * stats_fmt_seconds
 * (table: rounding to milliseconds, negatives, large values), its format
 * holding for values that overflow a 64-bit millisecond count, and its
 * independence from LC_NUMERIC.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "reporters/stats.h"

#define EPS 1e-9

Test(stats, median_odd_even_one_empty)
{
    double odd[] = {3, 1, 2};
    double even[] = {4, 1, 3, 2};
    double one[] = {7.5};

    cr_assert_float_eq(stats_median(odd, 3), 2, EPS);
    cr_assert_float_eq(stats_median(even, 4), 2.5, EPS);
    cr_assert_float_eq(stats_median(one, 1), 7.5, EPS);
    cr_assert_float_eq(stats_median(NULL, 0), 0, EPS);
    cr_assert_float_eq(stats_median(odd, 0), 0, EPS);
}

Test(stats, percentile_interpolates_between_ranks)
{
    double v[20];

    for (int i = 0; i < 20; i++)
        v[i] = 20 - i; /* 20, 19, ..., 1: unsorted on purpose */
    cr_assert_float_eq(stats_percentile(v, 20, 0), 1, EPS);
    cr_assert_float_eq(stats_percentile(v, 20, 100), 20, EPS);
    /* rank 0.95 * 19 = 18.05: between 19 and 20. */
    cr_assert_float_eq(stats_percentile(v, 20, 95), 19.05, 1e-9);
    cr_assert_float_eq(stats_percentile(v, 20, 50), 10.5, EPS);

    double five[] = {5, 1, 4, 2, 3};
    cr_assert_float_eq(stats_percentile(five, 5, 25), 2, EPS);
    cr_assert_float_eq(stats_percentile(five, 5, 75), 4, EPS);
}

Test(stats, percentile_clamps_p)
{
    double v[] = {10, 30, 20};

    cr_assert_float_eq(stats_percentile(v, 3, -5), 10, EPS);
    cr_assert_float_eq(stats_percentile(v, 3, 150), 30, EPS);
}

Test(stats, percentile_of_one_element)
{
    double v[] = {42};

    cr_assert_float_eq(stats_percentile(v, 1, 0), 42, EPS);
    cr_assert_float_eq(stats_percentile(v, 1, 95), 42, EPS);
    cr_assert_float_eq(stats_percentile(v, 1, 100), 42, EPS);
}

Test(stats, input_is_not_modified)
{
    double v[] = {9, 3, 7, 1, 5};
    double copy[5];

    memcpy(copy, v, sizeof(v));
    stats_median(v, 5);
    stats_percentile(v, 5, 95);
    cr_assert_arr_eq(v, copy, sizeof(v));
}

Test(stats, sum)
{
    double v[] = {1.5, 2.5, -1};

    cr_assert_float_eq(stats_sum(v, 3), 3, EPS);
    cr_assert_float_eq(stats_sum(v, 0), 0, EPS);
}

/* ---- stats_collect ---- */

static struct test_result ran(enum outcome o, double acq, double rel, double ms)
{
    struct test_result r = {.done = true,
                            .outcome = o,
                            .acquire_ms = acq,
                            .release_ms = rel,
                            .time_ms = ms};

    return r;
}

/* Four cases that ran, and two huge ones that must not count. */
static void six_results(struct test_result *r)
{
    r[0] = ran(OUTCOME_PASSED, 4, 40, 400);
    r[1] = ran(OUTCOME_SKIPPED, 1e6, 1e6, 1e6);
    r[2] = ran(OUTCOME_FAILED, 1, 10, 100);
    r[3] = ran(OUTCOME_TIMEOUT, 3, 30, 300);
    r[4] = ran(OUTCOME_PASSED, 1e6, 1e6, 1e6);
    r[4].done = false;
    r[5] = ran(OUTCOME_ERROR, 2, 20, 200);
}

Test(stats, collect_counts_cases_that_ran)
{
    struct test_result r[6];
    struct stats_run s;

    six_results(r);
    stats_collect(&s, r, 6, 500);
    cr_assert_eq(s.ran, 4);
    cr_assert_float_eq(s.acquire_p50_ms, 2.5, EPS);
    cr_assert_float_eq(s.acquire_p95_ms, 3.85, EPS); /* rank 2.85 */
    cr_assert_float_eq(s.release_p50_ms, 25, EPS);
    cr_assert_float_eq(s.release_p95_ms, 38.5, EPS);
    cr_assert_float_eq(s.cycle_p50_ms, 27.5, EPS);
    cr_assert_float_eq(s.cycle_p95_ms, 42.35, EPS);
    cr_assert_float_eq(s.cycle_mean_ms, 27.5, EPS);
    cr_assert_float_eq(s.case_sum_ms, 1000, EPS);
    cr_assert_float_eq(s.case_mean_ms, 250, EPS);
    cr_assert_float_eq(s.speedup, 2, EPS);
}

Test(stats, collect_without_cases_that_ran)
{
    struct test_result r[6];
    struct stats_run s;
    static const struct stats_run zero;

    six_results(r);
    stats_collect(&s, NULL, 0, 1000);
    cr_assert_arr_eq(&s, &zero, sizeof(s));
    stats_collect(&s, &r[1], 1, 1000); /* skipped */
    cr_assert_arr_eq(&s, &zero, sizeof(s));
    stats_collect(&s, &r[4], 1, 1000); /* never started */
    cr_assert_arr_eq(&s, &zero, sizeof(s));
}

struct speedup_case {
    double wall_ms, want;
};

ParameterizedTestParameters(stats, collect_speedup)
{
    static struct speedup_case cases[] = {
        {1000, 1}, {500, 2}, {4000, 0.25}, {0, 0}, {-1, 0}, {NAN, 0},
    };

    return cr_make_param_array(struct speedup_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct speedup_case *c, stats, collect_speedup)
{
    struct test_result r[6];
    struct stats_run s;

    six_results(r);
    stats_collect(&s, r, 6, c->wall_ms);
    cr_assert_float_eq(s.speedup, c->want, EPS, "wall %g: speedup %g",
                       c->wall_ms, s.speedup);
    cr_assert_float_eq(s.case_sum_ms, 1000, EPS);
}

struct fmt_case {
    double ms;
    char want[32];
};

ParameterizedTestParameters(stats, fmt_seconds)
{
    static struct fmt_case cases[] = {
        {0, "0.000"},
        {-0.0, "0.000"},
        {0.4999, "0.000"},
        {0.5, "0.001"},
        {1, "0.001"},
        {999.4, "0.999"},
        {999.5, "1.000"},
        {1000, "1.000"},
        {1234.5678, "1.235"},
        {59999.9996, "60.000"},
        {-1, "0.000"},
        {-1234.5, "0.000"},
        {86400000, "86400.000"},
        {1e12, "1000000000.000"},
        {9e15, "9000000000000.000"},
    };

    return cr_make_param_array(struct fmt_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fmt_case *c, stats, fmt_seconds)
{
    char buf[32];

    cr_assert_eq(stats_fmt_seconds(buf, c->ms), buf);
    cr_assert_str_eq(buf, c->want, "stats_fmt_seconds(%g)", c->ms);
}

static bool seconds_format(const char *s)
{
    regex_t re;

    cr_assert_eq(regcomp(&re, "^[0-9]+\\.[0-9]{3}$", REG_EXTENDED | REG_NOSUB),
                 0);
    bool ok = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return ok;
}

Test(stats, fmt_seconds_keeps_its_format_for_any_double)
{
    /* Past 2^63 ms (or not finite) llround has no answer to give. */
    static const double odd[] = {1e19, 1e300, INFINITY, NAN, -INFINITY};
    char buf[32];

    for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++) {
        stats_fmt_seconds(buf, odd[i]);
        cr_expect(seconds_format(buf), "stats_fmt_seconds(%g) gave \"%s\"",
                  odd[i], buf);
    }
}

Test(stats, fmt_seconds_ignores_lc_numeric)
{
    static const char *const comma_locales[] = {
        "de_DE.UTF-8", "de_DE.utf8",  "fr_FR.UTF-8", "fr_FR.utf8",
        "nl_NL.UTF-8", "ru_RU.UTF-8", "de_DE",       "fr_FR",
    };
    char buf[32];
    const char *found = NULL;

    for (size_t i = 0; i < sizeof(comma_locales) / sizeof(*comma_locales);
         i++) {
        if (setlocale(LC_NUMERIC, comma_locales[i]) &&
            !strcmp(localeconv()->decimal_point, ",")) {
            found = comma_locales[i];
            break;
        }
    }
    if (found) {
        cr_assert_str_eq(stats_fmt_seconds(buf, 1234.5678), "1.235",
                         "under LC_NUMERIC=%s", found);
        cr_assert_str_eq(stats_fmt_seconds(buf, 0.4), "0.000");
        setlocale(LC_NUMERIC, "C");
    } else {
        fprintf(stderr, "warning: no locale with a decimal comma is "
                        "installed (see `locale -a`): the LC_NUMERIC part "
                        "of this test did not run\n");
    }
    cr_assert_str_eq(stats_fmt_seconds(buf, 1234.5678), "1.235");
}
