/*
 * test_shard.c: --shard (runner/shard.h).
 *
 * Covers: K/N forms accepted and refused, with the exact one-line
 * messages (table) and through options_parse; `auto` from each CI
 * system's variables, their precedence, a half-set pair and values out
 * of range (table; the test process sets and unsets the environment --
 * Criterion runs every test in a process of its own); the default for
 * unknown durations (table); the longest-processing-time split on
 * hand-computed lists (ties by id, ties between parts to the lowest);
 * on generated lists: every case in exactly one part, loads summing to
 * the total, the greedy bound, and the same parts whatever order the
 * cases come in.  shard_apply on a case list: test_shard_apply.c.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "runner/options.h"
#include "runner/shard.h"

#define EPS 1e-6

static const char *const ci_names[] = {
    "ISOTEST_SHARD_INDEX",    "ISOTEST_SHARD_TOTAL",
    "CI_NODE_INDEX",          "CI_NODE_TOTAL",
    "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT",
};

/* This process may itself run in CI: start from none of the variables. */
static void clear_ci_env(void)
{
    for (size_t i = 0; i < sizeof(ci_names) / sizeof(*ci_names); i++)
        unsetenv(ci_names[i]);
}

TestSuite(shard, .init = clear_ci_env);

/* ---- K/N --------------------------------------------------------------- */

struct form_case {
    char arg[24];
    int index, total;
};

ParameterizedTestParameters(shard, forms)
{
    static struct form_case cases[] = {
        {"1/1", 1, 1},         {"1/4", 1, 4},
        {"2/4", 2, 4},         {"4/4", 4, 4},
        {"07/10", 7, 10},      {"3/16", 3, 16},
        {"1/10000", 1, 10000}, {"10000/10000", 10000, 10000},
    };

    return cr_make_param_array(struct form_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct form_case *c, shard, forms)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct shard sh = {0, 0};

    cr_assert_eq(shard_parse(c->arg, &sh, &e), 0, "'%s': %s", c->arg, e.msg);
    cr_assert_eq(sh.index, c->index, "'%s'", c->arg);
    cr_assert_eq(sh.total, c->total, "'%s'", c->arg);
}

struct bad_case {
    char arg[24];
    char msg[120];
};

#define FORM_MSG "' for --shard: expected K/N (part K of N, e.g. 2/4) or auto"
#define N_MSG "' for --shard: N, the number of parts, must be from 1 to 10000"

ParameterizedTestParameters(shard, refused)
{
    static struct bad_case cases[] = {
        {"0/4", "invalid value '0/4' for --shard: K must be from 1 to N (4)"},
        {"5/4", "invalid value '5/4' for --shard: K must be from 1 to N (4)"},
        {"x/y", "invalid value 'x/y" FORM_MSG},
        {"1/0", "invalid value '1/0" N_MSG},
        {"0/0", "invalid value '0/0" N_MSG},
        {"1/10001", "invalid value '1/10001" N_MSG},
        {"", "invalid value '" FORM_MSG},
        {"4", "invalid value '4" FORM_MSG},
        {"1/", "invalid value '1/" FORM_MSG},
        {"/4", "invalid value '/4" FORM_MSG},
        {"-1/4", "invalid value '-1/4" FORM_MSG},
        {"+1/4", "invalid value '+1/4" FORM_MSG},
        {" 1/4", "invalid value ' 1/4" FORM_MSG},
        {"1/4 ", "invalid value '1/4 " FORM_MSG},
        {"1/2/4", "invalid value '1/2/4" FORM_MSG},
        {"1.0/4", "invalid value '1.0/4" FORM_MSG},
        {"AUTO", "invalid value 'AUTO" FORM_MSG},
        {"99999999999/4", "invalid value '99999999999/4" FORM_MSG},
    };

    return cr_make_param_array(struct bad_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_case *c, shard, refused)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct shard sh = {0, 0};

    cr_assert_eq(shard_parse(c->arg, &sh, &e), -1, "'%s' was accepted", c->arg);
    cr_assert_str_eq(e.msg, c->msg);
    isotest_err_release(&e);
}

Test(shard, options_parse_takes_it)
{
    char *ok[] = {"run", "--shard", "2/4", "p", NULL};
    char *eq[] = {"run", "--shard=3/3", "p", NULL};
    char *bad[] = {"run", "--shard", "5/4", "p", NULL};
    char *none[] = {"run", "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(options_parse(4, ok, &o, &e), 0, "%s", e.msg);
    cr_assert(o.shard.index == 2 && o.shard.total == 4);
    options_release(&o);
    cr_assert_eq(options_parse(3, eq, &o, &e), 0, "%s", e.msg);
    cr_assert(o.shard.index == 3 && o.shard.total == 3);
    options_release(&o);
    cr_assert_eq(options_parse(2, none, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.shard.total, 0, "no --shard is the whole suite");
    options_release(&o);
    cr_assert_eq(options_parse(4, bad, &o, &e), -1);
    cr_assert_str_eq(e.msg, "invalid value '5/4' for --shard: K must be "
                            "from 1 to N (4)");
    isotest_err_release(&e);
}

/* ---- auto -------------------------------------------------------------- */

/* Up to four NAME=VALUE settings; index 0 means an error is expected. */
struct env_case {
    char set[4][48];
    int index, total;
    char err[120]; /* a part of the message */
};

ParameterizedTestParameters(shard, from_env)
{
    static struct env_case cases[] = {
        {{"ISOTEST_SHARD_INDEX=2", "ISOTEST_SHARD_TOTAL=4"}, 2, 4, ""},
        {{"ISOTEST_SHARD_INDEX=1", "ISOTEST_SHARD_TOTAL=1"}, 1, 1, ""},
        {{"CI_NODE_INDEX=3", "CI_NODE_TOTAL=5"}, 3, 5, ""},
        {{"CI_NODE_INDEX=1", "CI_NODE_TOTAL=4"}, 1, 4, ""},
        /* GitLab without `parallel`: the total alone, 1. */
        {{"CI_NODE_TOTAL=1"}, 1, 1, ""},
        {{"BUILDKITE_PARALLEL_JOB=0", "BUILDKITE_PARALLEL_JOB_COUNT=4"},
         1,
         4,
         ""},
        {{"BUILDKITE_PARALLEL_JOB=3", "BUILDKITE_PARALLEL_JOB_COUNT=4"},
         4,
         4,
         ""},
        /* The explicit variables win over a CI system's. */
        {{"CI_NODE_INDEX=1", "CI_NODE_TOTAL=2", "ISOTEST_SHARD_INDEX=3",
          "ISOTEST_SHARD_TOTAL=3"},
         3,
         3,
         ""},
        {{"CI_NODE_INDEX=2", "CI_NODE_TOTAL=2", "BUILDKITE_PARALLEL_JOB=0",
          "BUILDKITE_PARALLEL_JOB_COUNT=2"},
         2,
         2,
         ""},
        /* An empty variable is an unset one. */
        {{"ISOTEST_SHARD_INDEX=", "ISOTEST_SHARD_TOTAL=", "CI_NODE_INDEX=2",
          "CI_NODE_TOTAL=3"},
         2,
         3,
         ""},
        {{""}, 0, 0, "--shard auto: no CI shard variables are set"},
        {{"ISOTEST_SHARD_INDEX=", "CI_NODE_INDEX="},
         0,
         0,
         "no CI shard variables are set"},
        {{"ISOTEST_SHARD_INDEX=1"},
         0,
         0,
         "ISOTEST_SHARD_INDEX is set ('1') but ISOTEST_SHARD_TOTAL is not"},
        {{"CI_NODE_TOTAL=4"},
         0,
         0,
         "CI_NODE_TOTAL is set ('4') but CI_NODE_INDEX is not"},
        {{"CI_NODE_INDEX=0", "CI_NODE_TOTAL=4"},
         0,
         0,
         "invalid CI_NODE_INDEX '0' for CI_NODE_TOTAL '4': expected 1 to 4"},
        {{"CI_NODE_INDEX=5", "CI_NODE_TOTAL=4"},
         0,
         0,
         "invalid CI_NODE_INDEX '5' for CI_NODE_TOTAL '4'"},
        {{"BUILDKITE_PARALLEL_JOB=4", "BUILDKITE_PARALLEL_JOB_COUNT=4"},
         0,
         0,
         "invalid BUILDKITE_PARALLEL_JOB '4' for "
         "BUILDKITE_PARALLEL_JOB_COUNT '4': expected 0 to 3"},
        {{"ISOTEST_SHARD_INDEX=x", "ISOTEST_SHARD_TOTAL=4"},
         0,
         0,
         "invalid ISOTEST_SHARD_INDEX 'x'"},
        {{"ISOTEST_SHARD_INDEX=1", "ISOTEST_SHARD_TOTAL=y"},
         0,
         0,
         "invalid ISOTEST_SHARD_TOTAL 'y': expected a number of parts from "
         "1 to 10000"},
        {{"ISOTEST_SHARD_INDEX=1", "ISOTEST_SHARD_TOTAL=0"},
         0,
         0,
         "invalid ISOTEST_SHARD_TOTAL '0'"},
    };

    return cr_make_param_array(struct env_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct env_case *c, shard, from_env)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct shard sh = {0, 0};

    for (int i = 0; i < 4 && c->set[i][0]; i++) {
        char *eq = strchr(c->set[i], '=');
        cr_assert_not_null(eq);
        *eq = '\0';
        setenv(c->set[i], eq + 1, 1);
    }
    /* shard_parse("auto") is shard_from_env(). */
    int rc = shard_parse("auto", &sh, &e);
    if (c->index) {
        cr_assert_eq(rc, 0, "%s", e.msg);
        cr_assert_eq(sh.index, c->index);
        cr_assert_eq(sh.total, c->total);
        return;
    }
    cr_assert_eq(rc, -1, "accepted as %d/%d", sh.index, sh.total);
    cr_assert_not_null(strstr(e.msg, c->err), "'%s' not in '%s'", c->err,
                       e.msg);
    isotest_err_release(&e);
}

Test(shard, auto_with_nothing_set_lists_every_variable)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct shard sh;

    cr_assert_eq(shard_from_env(&sh, &e), -1);
    for (size_t i = 0; i < sizeof(ci_names) / sizeof(*ci_names); i++)
        cr_assert_not_null(strstr(e.msg, ci_names[i]), "%s not in '%s'",
                           ci_names[i], e.msg);
    cr_assert_not_null(e.hint);
    isotest_err_release(&e);
}

/* ---- the default for unknown durations --------------------------------- */

struct default_case {
    double ms[6];
    size_t n;
    double want;
};

ParameterizedTestParameters(shard, default_ms)
{
    static struct default_case cases[] = {
        {{0}, 0, SHARD_DEFAULT_MS},
        {{-1, -1, -1}, 3, SHARD_DEFAULT_MS},
        {{10}, 1, 10},
        {{10, 30}, 2, 20},
        {{5, -1, 1, 9}, 4, 5},
        {{0, -1}, 2, 0},
        {{400, 20, 30, -1, 25, 1000}, 6, 30},
    };

    return cr_make_param_array(struct default_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct default_case *c, shard, default_ms)
{
    cr_assert_float_eq(shard_default_ms(c->ms, c->n), c->want, EPS);
}

/* ---- the split --------------------------------------------------------- */

static void assert_parts(const int *got, const int *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "case %zu in part %d, not %d", i, got[i],
                     want[i]);
}

Test(shard, longest_first_to_the_lightest)
{
    const char *ids[] = {"s/e", "s/a", "s/c", "s/b", "s/d"};
    double ms[] = {10, 50, 30, 40, 20};
    /* a 50 -> 0; b 40 -> 1; c 30 -> 1 (70); d 20 -> 0 (70); e 10 -> 0. */
    int want[] = {0, 0, 1, 1, 0};
    double load[2];
    int *p = shard_assign(ids, ms, 5, 2, load);

    assert_parts(p, want, 5);
    cr_assert_float_eq(load[0], 80, EPS);
    cr_assert_float_eq(load[1], 70, EPS);
    free(p);
}

Test(shard, ties_by_id_then_lowest_part)
{
    const char *ids[] = {"z", "x", "w", "y"};
    double ms[] = {10, 10, 10, 10};
    int want[] = {1, 1, 0, 0}; /* w, x, y, z go 0, 1, 0, 1 */
    int *p = shard_assign(ids, ms, 4, 2, NULL);

    assert_parts(p, want, 4);
    free(p);
}

Test(shard, unknown_cases_count_as_the_median)
{
    /* Known 100, 20, 30: unknown ones count as 30 each. */
    const char *ids[] = {"a", "b", "c", "u1", "u2"};
    double ms[] = {100, 20, 30, -1, -1};
    double load[2];
    int *p = shard_assign(ids, ms, 5, 2, load);

    cr_assert_float_eq(load[0] + load[1], 210, EPS);
    cr_assert_float_eq(load[0], 100, EPS, "a alone: %f", load[0]);
    free(p);
    /* None known: 100 ms each, so a split by count. */
    double none[] = {-1, -1, -1, -1, -1};
    p = shard_assign(ids, none, 5, 2, load);
    cr_assert_float_eq(load[0], 300, EPS);
    cr_assert_float_eq(load[1], 200, EPS);
    free(p);
}

Test(shard, more_parts_than_cases)
{
    const char *ids[] = {"a", "b"};
    double ms[] = {5, 7};
    double load[4];
    int *p = shard_assign(ids, ms, 2, 4, load);
    int want[] = {1, 0};

    assert_parts(p, want, 2);
    cr_assert_float_eq(load[2], 0, EPS);
    cr_assert_float_eq(load[3], 0, EPS);
    free(p);
    p = shard_assign(NULL, NULL, 0, 3, load);
    cr_assert_float_eq(load[0] + load[1] + load[2], 0, EPS);
    free(p);
}

/* A deterministic generator: the tests must not depend on rand(). */
static unsigned long next(unsigned long *s)
{
    *s = *s * 6364136223846793005UL + 1442695040888963407UL;
    return *s >> 33;
}

struct gen {
    size_t n;
    char **ids;
    double *ms;
};

static void gen_make(struct gen *g, size_t n, unsigned long seed)
{
    g->n = n;
    g->ids = xcalloc(n ? n : 1, sizeof(*g->ids));
    g->ms = xcalloc(n ? n : 1, sizeof(*g->ms));
    for (size_t i = 0; i < n; i++) {
        g->ids[i] = xasprintf("suite/case_%04zu", i);
        unsigned long r = next(&seed);
        /* Some unknown, some equal, a few long ones. */
        g->ms[i] = r % 10 == 0   ? -1
                   : r % 7 == 0  ? 50
                   : r % 13 == 0 ? 2000 + (double)(r % 997)
                                 : (double)(r % 300) + 0.1 * (double)(r % 10);
    }
}

static void gen_free(struct gen *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->ids[i]);
    free(g->ids);
    free(g->ms);
}

static void check_split(const struct gen *g, int total)
{
    double *load = xcalloc((size_t)total, sizeof(*load));
    int *p =
        shard_assign((const char *const *)g->ids, g->ms, g->n, total, load);
    double dflt = shard_default_ms(g->ms, g->n), sum = 0, max_item = 0;
    double *again = xcalloc((size_t)total, sizeof(*again));

    for (size_t i = 0; i < g->n; i++) {
        double d = g->ms[i] >= 0 ? g->ms[i] : dflt;
        cr_assert(p[i] >= 0 && p[i] < total, "case %zu in part %d of %d", i,
                  p[i], total);
        again[p[i]] += d;
        sum += d;
        max_item = d > max_item ? d : max_item;
    }
    double got = 0, worst = 0;
    for (int s = 0; s < total; s++) {
        cr_assert_float_eq(load[s], again[s], 0.01, "part %d", s);
        got += load[s];
        worst = load[s] > worst ? load[s] : worst;
    }
    cr_assert_float_eq(got, sum, 0.01 * (double)(g->n + 1));
    /* Greedy's bound: no part exceeds the mean by more than one case. */
    cr_assert_leq(worst, sum / total + max_item + 0.01, "n=%zu total=%d", g->n,
                  total);
    free(p);
    free(load);
    free(again);
}

Test(shard, generated_lists_split_completely)
{
    static const size_t sizes[] = {0, 1, 7, 100, 1000};
    static const int totals[] = {1, 2, 3, 4, 7, 16, 1005};

    for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
        for (size_t k = 0; k < sizeof(totals) / sizeof(*totals); k++) {
            struct gen g;
            gen_make(&g, sizes[i], 42 + i);
            check_split(&g, totals[k]);
            gen_free(&g);
        }
}

/* The parts depend on the ids and durations, not on the list's order. */
Test(shard, same_parts_in_any_order)
{
    struct gen g;
    unsigned long seed = 7;

    gen_make(&g, 500, 99);
    int *first = shard_assign((const char *const *)g.ids, g.ms, g.n, 4, NULL);
    int *part_of = xcalloc(g.n, sizeof(*part_of)); /* by original place */
    for (size_t i = 0; i < g.n; i++)
        part_of[i] = first[i];
    /* Shuffle ids and durations together (Fisher-Yates). */
    size_t *where = xcalloc(g.n, sizeof(*where));
    for (size_t i = 0; i < g.n; i++)
        where[i] = i;
    for (size_t i = g.n - 1; i > 0; i--) {
        size_t j = next(&seed) % (i + 1);
        char *t = g.ids[i];
        double m = g.ms[i];
        size_t w = where[i];
        g.ids[i] = g.ids[j], g.ms[i] = g.ms[j], where[i] = where[j];
        g.ids[j] = t, g.ms[j] = m, where[j] = w;
    }
    int *second = shard_assign((const char *const *)g.ids, g.ms, g.n, 4, NULL);
    for (size_t i = 0; i < g.n; i++)
        cr_assert_eq(second[i], part_of[where[i]], "%s moved", g.ids[i]);
    /* And again the same: nothing depends on state. */
    int *third = shard_assign((const char *const *)g.ids, g.ms, g.n, 4, NULL);
    cr_assert_arr_eq(second, third, g.n * sizeof(*third));
    free(first);
    free(second);
    free(third);
    free(part_of);
    free(where);
    gen_free(&g);
}
