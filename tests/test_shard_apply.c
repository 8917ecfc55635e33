/*
 * test_shard_apply.c: --shard on a case list (runner/shard.h).
 *
 * Covers: shard_apply on a case list (the union of the parts is the list,
 * counts and expected time), shard_describe and shard_properties, with
 * and without a history, and with more parts than cases.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "runner/history.h"
#include "runner/shard.h"

#define EPS 1e-6

/* ---- a case list ------------------------------------------------------- */

static const struct {
    const char *classname, *name;
    double ms; /* -1: not in the history */
} suite_cases[] = {
    {"shop", "a", 300},    {"shop", "b", 200},    {"shop", "c", 150},
    {"shop", "d", 100},    {"shop", "e", -1},     {"shop", "f", 40},
    {"shop.sub", "g", 20}, {"shop.sub", "h", -1},
};
#define NCASES (sizeof(suite_cases) / sizeof(*suite_cases))

static void make_list(struct case_list *cl)
{
    memset(cl, 0, sizeof(*cl));
    cl->notes = (struct strbuf)STRBUF_INIT;
    cl->v = xcalloc(NCASES, sizeof(*cl->v));
    for (size_t i = 0; i < NCASES; i++) {
        struct test_case *c = &cl->v[cl->n++];
        const char *sub = strchr(suite_cases[i].classname, '.');
        c->id = xasprintf("shop/%s%s", sub ? "sub/" : "", suite_cases[i].name);
        c->suite = xstrdup("shop");
        c->classname = xstrdup(suite_cases[i].classname);
        c->name = xstrdup(suite_cases[i].name);
        c->path = xasprintf("%s.sql", c->id);
    }
    cl->cap = cl->n;
}

static void make_history(struct history *h)
{
    memset(h, 0, sizeof(*h));
    h->keys = xcalloc(NCASES, sizeof(*h->keys));
    h->ms = xcalloc(NCASES, sizeof(*h->ms));
    for (size_t i = 0; i < NCASES; i++) {
        if (suite_cases[i].ms < 0)
            continue;
        h->keys[h->n] =
            xasprintf("%s::%s", suite_cases[i].classname, suite_cases[i].name);
        h->ms[h->n++] = suite_cases[i].ms;
    }
    h->present = true;
}

Test(shard_apply, apply_parts_cover_the_list)
{
    struct history h;
    struct strbuf seen = STRBUF_INIT;
    size_t count = 0;
    double expected = 0;

    make_history(&h);
    for (int k = 1; k <= 3; k++) {
        struct case_list cl;
        struct shard_plan p;
        make_list(&cl);
        shard_apply(&cl, &h, (struct shard){k, 3}, &p);
        cr_assert_eq(p.cases, cl.n);
        cr_assert_eq(p.suite_cases, NCASES);
        /* e and h are unknown: the median of 300..20 (six known) is 125. */
        cr_assert_float_eq(p.default_ms, 125, EPS);
        cr_assert(p.default_median);
        for (size_t i = 0; i < cl.n; i++) {
            cr_assert_null(strstr(seen.buf, cl.v[i].id), "%s twice",
                           cl.v[i].id);
            strbuf_addf(&seen, "%s\n", cl.v[i].id);
            if (i)
                cr_assert_lt(strcmp(cl.v[i - 1].id, cl.v[i].id), 0,
                             "the list's order is kept");
        }
        count += cl.n;
        expected += p.expected_ms;
        case_list_release(&cl);
    }
    cr_assert_eq(count, NCASES);
    cr_assert_float_eq(expected, 300 + 200 + 150 + 100 + 40 + 20 + 2 * 125,
                       EPS);
    strbuf_release(&seen);
    history_release(&h);
}

Test(shard_apply, apply_then_describe)
{
    struct history h;
    struct case_list cl;
    struct shard_plan p;
    struct junit_property props[2];

    make_history(&h);
    make_list(&cl);
    /*
     * a 300, b 200, c 150, e 125, h 125 (unknown: the median), d 100,
     * f 40, g 20 go to parts 1, 2, 3, 4, 4, 3, 2, 2: a is alone.
     */
    shard_apply(&cl, &h, (struct shard){1, 4}, &p);
    cr_assert_eq(cl.n, 1);
    cr_assert_str_eq(cl.v[0].id, "shop/a");
    char *line = shard_describe(&p, "suite/.isotest-history");
    cr_assert_str_eq(line, "shard 1/4: 1 case, expected 0.3 s (history: "
                           "suite/.isotest-history)");
    free(line);
    cr_assert_eq(shard_properties(&p, props), 2);
    cr_assert_str_eq(props[0].name, "isotest.shard");
    cr_assert_str_eq(props[0].value, "1/4");
    cr_assert_str_eq(props[1].name, "isotest.shard_expected_ms");
    cr_assert_str_eq(props[1].value, "300.0");
    case_list_release(&cl);

    /* Part 4 holds the unknown cases: the line says what they count as. */
    make_list(&cl);
    shard_apply(&cl, &h, (struct shard){4, 4}, &p);
    cr_assert_eq(cl.n, 2);
    cr_assert_str_eq(cl.v[0].id, "shop/e");
    cr_assert_str_eq(cl.v[1].id, "shop/sub/h");
    cr_assert_float_eq(p.expected_ms, 250, EPS);
    line = shard_describe(&p, "H");
    cr_assert_str_eq(line, "shard 4/4: 2 cases, expected 0.2 s (history: H; "
                           "2 without a recorded duration, counted as 125 "
                           "ms each, the median of the known ones)");
    free(line);
    case_list_release(&cl);
    history_release(&h);
}

Test(shard_apply, apply_without_history_and_with_too_many_parts)
{
    struct case_list cl;
    struct shard_plan p;
    struct junit_property props[2];

    make_list(&cl);
    shard_apply(&cl, NULL, (struct shard){2, 3}, &p);
    cr_assert_eq(cl.n, 3, "8 cases of 100 ms each: 3, 3, 2");
    char *line = shard_describe(&p, NULL);
    cr_assert_str_eq(line, "shard 2/3: 3 cases, expected 0.3 s (history: "
                           "none; 3 without a recorded duration, counted as "
                           "100 ms each, none being known)");
    free(line);
    case_list_release(&cl);

    make_list(&cl);
    shard_apply(&cl, NULL, (struct shard){10, 10}, &p);
    cr_assert_eq(cl.n, 0);
    cr_assert_eq(p.cases, 0);
    cr_assert_float_eq(p.expected_ms, 0, EPS);
    case_list_release(&cl);

    /* No --shard: nothing changes, no property. */
    make_list(&cl);
    shard_apply(&cl, NULL, (struct shard){0, 0}, &p);
    cr_assert_eq(cl.n, NCASES);
    cr_assert_eq(shard_properties(&p, props), 0);
    case_list_release(&cl);
}
