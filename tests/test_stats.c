/*
 * test_stats.c: report statistics and time formatting (reporters/stats.h).
 *
 * Covers: percentile/median on odd, even, one-element and empty arrays,
 * clamping of p, the input left unmodified, sums; stats_fmt_seconds
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
