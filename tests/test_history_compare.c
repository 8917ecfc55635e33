/*
 * test_history_compare.c: comparing with past runs -- history_lookup by
 * classname + name (table: no match across a classname or name that is
 * a prefix of another) and result_slower against one threshold table
 * (runner/history.h, reporters/result.h).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdbool.h>

#include "runner/history.h"

#define EPS 1e-9

/* ---- history_lookup ---- */

struct lookup_case {
    char classname[16];
    char name[16];
    double want;
};

ParameterizedTestParameters(history, lookup)
{
    static struct lookup_case cases[] = {
        {"shop", "a", 1},
        {"shop", "ab", 2},
        {"shop.tap", "a", 3},
        {"shop.tap.x", "b", 4},
        {"", "bare", 5}, /* a JUnit testcase without classname */
        {"shop", "a.b", 6},
        /* A classname or name that is a prefix of another never matches. */
        {"sho", "a", -1},
        {"shop.ta", "a", -1},
        {"shop.tap", "ab", -1},
        {"shop.tap", "b", -1},
        {"shop.tap.x", "a", -1},
        {"shop", "", -1},
        {"shop", "a.", -1},
        {"shop", "b", -1},
        {"", "a", -1},
        {"", "bar", -1},
        {"other", "a", -1},
    };

    return cr_make_param_array(struct lookup_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct lookup_case *c, history, lookup)
{
    char *keys[] = {"shop.tap::a", "shop::ab", "shop.tap.x::b",
                    "::bare",      "shop::a",  "shop::a.b"};
    double ms[] = {3, 2, 4, 5, 1, 6};
    struct history h = {.n = 6, .keys = keys, .ms = ms, .present = true};
    struct history empty = {0};

    cr_assert_float_eq(history_lookup(&h, NULL, c->classname, c->name), c->want,
                       EPS, "'%s' '%s'", c->classname, c->name);
    cr_assert_float_eq(history_lookup(&empty, NULL, c->classname, c->name), -1,
                       EPS);
}

/* Ids are the keys now; older files' "classname::name" keys still count. */
Test(history, lookup_by_id_then_older_spelling)
{
    char *keys[] = {"shop/tap/a", "shop.tap::b", "shop/public.t", "shop::a"};
    double ms[] = {1, 2, 3, 4};
    struct history h = {.n = 4, .keys = keys, .ms = ms, .present = true};

    cr_assert_float_eq(history_lookup(&h, "shop/tap/a", "shop.tap", "a"), 1,
                       EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/tap/b", "shop.tap", "b"), 2,
                       EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/public.t", "shop.public", "t"),
                       3, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/tap/b", NULL, NULL), -1, EPS);
    /* The id wins over an older key of the same case, wherever it is. */
    cr_assert_float_eq(history_lookup(&h, "shop/tap/a", "shop", "a"), 1, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/x", "shop", "x"), -1, EPS);
}

/* ---- result_slower ---- */

struct slower_case {
    double prev, now, ratio, min;
    bool want;
};

ParameterizedTestParameters(history, slower)
{
    static struct slower_case cases[] = {
        {10, 40, 1.5, 50, false},   /* 4x, but only 30 ms more */
        {100, 160, 1.5, 50, true},  /* 1.6x and 60 ms more */
        {100, 140, 1.5, 50, false}, /* 40 ms more, and only 1.4x */
        {100, 150, 1.5, 50, true},  /* both exactly at the limit */
        {100, 149.9, 1.5, 50, false},
        {1000, 1499, 1.5, 50, false}, /* 499 ms more, but 1.499x */
        {1000, 1500, 1.5, 50, true},
        {200, 249.9, 1.5, 50, false},
        {0, 60, 1.5, 50, true}, /* 0 ms is known */
        {0, 49, 1.5, 50, false},
        {100, 90, 1.5, 50, false},  /* faster */
        {100, 100, 1.5, 0, false},  /* same, no minimum */
        {-1, 1000, 1.5, 50, false}, /* unknown before: never slower */
        {-1, 1e9, 1, 0, false},
        {10, 20, 2, 10, true},
        {10, 19.99, 2, 0, false},
    };

    return cr_make_param_array(struct slower_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slower_case *c, history, slower)
{
    struct test_result r = {.classname = "shop",
                            .name = "a",
                            .done = true,
                            .outcome = OUTCOME_PASSED,
                            .time_ms = c->now};
    struct run_info ri = {.slower_ratio = c->ratio, .slower_min_ms = c->min};

    r.prev_ms = c->prev;
    cr_assert_eq(result_slower(&r, &ri), c->want,
                 "result_slower: %g -> %g ms, %gx and %g ms", c->prev, c->now,
                 c->ratio, c->min);
    /* A case that never started is never slower. */
    r.done = false;
    cr_assert_not(result_slower(&r, &ri));
}
