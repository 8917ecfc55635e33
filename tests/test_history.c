/*
 * test_history.c: run history and longest-first order
 * (runner/history.h); lookups and "markedly slower" are in
 * test_history_compare.c.
 *
 * Covers: history_schedule without a history (NULL, empty, or knowing none
 * of the cases: id order), with one (unknown cases first, then longest
 * first, ties in id order), a permutation of a larger list, n == 0;
 * history_save then history_load
 * (exact file text, 0.1 ms, wall_ms, skipped and never-started results
 * left out), a missing file, files without the magic line (table), bad
 * duration lines naming the path and line (table), blank lines and a last
 * line without a newline; history_load_junit on a hand-written report, on
 * a report written by junit_write, and on missing, non-XML, truncated and
 * not-JUnit files (the reader itself: test_junit_read.c).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit.h"
#include "runner/history.h"
#include "unit_tmp.h"

#define EPS 1e-9
#define MAGIC "# isotest history 1\n"

UNIT_TMP_FOLDER("/tmp/isotest-history-XXXXXX")

/* tmp/rel holding text; the caller frees the path returned. */
static char *put(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", tmp, rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void assert_err_names(const struct isotest_err *e, const char *path)
{
    cr_assert_not_null(e->msg, "no error message");
    cr_assert_not_null(strstr(e->msg, path), "'%s' does not name '%s'", e->msg,
                       path);
}

/* ---- history_schedule ---- */

/* A case list in id order, as discover() makes it. */
static struct test_case six[] = {
    {.id = "shop/a", .classname = "shop", .name = "a"},
    {.id = "shop/b", .classname = "shop", .name = "b"},
    {.id = "shop/c", .classname = "shop", .name = "c"},
    {.id = "shop/d", .classname = "shop", .name = "d"},
    {.id = "shop/tap/e", .classname = "shop.tap", .name = "e"},
    {.id = "shop/tap/f", .classname = "shop.tap", .name = "f"},
};

static struct case_list list_of(struct test_case *v, size_t n)
{
    struct case_list cl = {.v = v, .n = n};

    return cl;
}

static void assert_order(const size_t *got, const size_t *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(got[i], want[i], "position %zu: %zu, want %zu", i, got[i],
                     want[i]);
}

Test(history, schedule_without_history_is_id_order)
{
    static const size_t identity[] = {0, 1, 2, 3, 4, 5};
    struct case_list cl = list_of(six, 6);
    struct history empty = {.present = true}; /* a file with no cases */
    struct history none = {0};                /* no file at all */

    size_t *o = history_schedule(NULL, &cl);
    assert_order(o, identity, 6);
    free(o);
    o = history_schedule(&empty, &cl);
    assert_order(o, identity, 6);
    free(o);
    o = history_schedule(&none, &cl);
    assert_order(o, identity, 6);
    free(o);
}

Test(history, schedule_history_knowing_no_case_is_id_order)
{
    static const size_t identity[] = {0, 1, 2, 3, 4, 5};
    char *keys[] = {"other::a", "shop::zz", "shop.tap::a"};
    double ms[] = {100, 200, 300};
    struct history h = {.n = 3, .keys = keys, .ms = ms, .present = true};
    struct case_list cl = list_of(six, 6);

    size_t *o = history_schedule(&h, &cl);
    assert_order(o, identity, 6);
    free(o);
}

Test(history, schedule_unknown_first_then_longest_ties_by_id)
{
    /* a 10, b 50, c unknown, d 50, e 5, f unknown (plus a stranger). */
    char *keys[] = {"shop::a", "shop::b", "shop::d", "shop.tap::e", "gone::x"};
    double ms[] = {10, 50, 50, 5, 9999};
    struct history h = {.n = 5, .keys = keys, .ms = ms, .present = true};
    struct case_list cl = list_of(six, 6);
    static const size_t want[] = {2, 5, 1, 3, 0, 4};

    size_t *o = history_schedule(&h, &cl);
    assert_order(o, want, 6);
    free(o);
}

Test(history, schedule_zero_known_duration_is_known)
{
    /* 0 ms is a duration, not "unknown": it goes last, after 1 ms. */
    char *keys[] = {"shop::a", "shop::b", "shop::c"};
    double ms[] = {0, 1, 0};
    struct history h = {.n = 3, .keys = keys, .ms = ms, .present = true};
    struct case_list cl = list_of(six, 4);
    static const size_t want[] = {3, 1, 0, 2};

    size_t *o = history_schedule(&h, &cl);
    assert_order(o, want, 4);
    free(o);
}

Test(history, schedule_is_a_sorted_permutation)
{
    enum { N = 300 };
    struct test_case *v = xcalloc(N, sizeof(*v));
    char **keys = xcalloc(N, sizeof(*keys));
    double *ms = xcalloc(N, sizeof(*ms));
    struct history h = {.keys = keys, .ms = ms, .present = true};
    unsigned x = 12345;

    for (size_t i = 0; i < N; i++) {
        v[i].id = xasprintf("s/%04zu", i); /* id order = index order */
        v[i].classname = xstrdup("s");
        v[i].name = xasprintf("%04zu", i);
        x = x * 1103515245u + 12345u;
        if ((x >> 16) % 4 == 0)
            continue; /* unknown to the history */
        keys[h.n] = xasprintf("s::%04zu", i);
        ms[h.n] = (double)((x >> 20) % 8); /* many ties */
        h.n++;
    }
    struct case_list cl = list_of(v, N);
    size_t *o = history_schedule(&h, &cl);
    bool seen[N] = {false};

    for (size_t i = 0; i < N; i++) {
        cr_assert_lt(o[i], (size_t)N);
        cr_assert_not(seen[o[i]], "index %zu twice", o[i]);
        seen[o[i]] = true;
    }
    for (size_t i = 1; i < N; i++) {
        double a = history_lookup(&h, v[o[i - 1]].id, "s", v[o[i - 1]].name);
        double b = history_lookup(&h, v[o[i]].id, "s", v[o[i]].name);
        bool au = a < 0, bu = b < 0;
        cr_assert(au || !bu, "unknown %s after known %s", v[o[i]].id,
                  v[o[i - 1]].id);
        if (au == bu && a == b)
            cr_assert_lt(o[i - 1], o[i], "tie not in id order at %zu", i);
        else if (!au && !bu)
            cr_assert_gt(a, b, "%s (%g) before %s (%g)", v[o[i - 1]].id, a,
                         v[o[i]].id, b);
    }
    free(o);
    for (size_t i = 0; i < N; i++) {
        free(v[i].id);
        free(v[i].classname);
        free(v[i].name);
    }
    for (size_t i = 0; i < h.n; i++)
        free(keys[i]);
    free(v);
    free(keys);
    free(ms);
}

Test(history, schedule_of_no_cases)
{
    char *keys[] = {"shop::a"};
    double ms[] = {10};
    struct history h = {.n = 1, .keys = keys, .ms = ms, .present = true};
    struct case_list cl = list_of(NULL, 0);

    free(history_schedule(NULL, &cl));
    free(history_schedule(&h, &cl));
}

/* ---- history_save and history_load ---- */

static struct test_result res(const char *id, const char *classname,
                              const char *name, enum outcome o, double time_ms)
{
    struct test_result r = {.id = id,
                            .suite = "shop",
                            .classname = classname,
                            .name = name,
                            .done = true,
                            .outcome = o,
                            .time_ms = time_ms,
                            .prev_ms = -1,
                            .sandbox = (char *)"isotest_0badcafe_1"};

    return r;
}

Test(history, save_then_load, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[] = {
        res("shop/a", "shop", "a", OUTCOME_PASSED, 12.34),
        res("shop/b", "shop", "b", OUTCOME_FAILED, 0.06),
        res("shop/c", "shop", "c", OUTCOME_ERROR, 1000),
        res("shop/d", "shop", "d", OUTCOME_TIMEOUT, 30000),
        res("shop/skipped", "shop", "skipped", OUTCOME_SKIPPED, 5),
        res("shop/never", "shop", "never", OUTCOME_PASSED, 7),
        res("shop/tap/a", "shop.tap", "a", OUTCOME_PASSED, 7.26),
    };
    r[5].done = false;
    char *path = xasprintf("%s/hist", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(history_save(path, NULL, r, 7, 1234.56, &e), 0, "%s", e.msg);

    char *text;
    size_t len;
    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_str_eq(text, MAGIC "wall_ms\t1234.6\n"
                                 "shop/a\t12.3\n"
                                 "shop/b\t0.1\n"
                                 "shop/c\t1000.0\n"
                                 "shop/d\t30000.0\n"
                                 "shop/tap/a\t7.3\n");
    free(text);

    struct history h;
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_null(e.msg);
    cr_assert(h.present);
    cr_assert_eq(h.n, 5);
    cr_assert_float_eq(h.wall_ms, 1234.6, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), 12.3, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/b", NULL, NULL), 0.1, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/c", NULL, NULL), 1000, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/d", NULL, NULL), 30000, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/tap/a", NULL, NULL), 7.3, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/skipped", NULL, NULL), -1, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/never", NULL, NULL), -1, EPS);
    cr_assert_float_eq(history_lookup(&h, "wall_ms", NULL, NULL), -1, EPS);
    history_release(&h);
    cr_assert_eq(h.n, 0);

    /* A second save replaces the first. */
    cr_assert_eq(history_save(path, NULL, r + 2, 1, 5, &e), 0, "%s", e.msg);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_eq(h.n, 1);
    cr_assert_float_eq(h.wall_ms, 5, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/c", NULL, NULL), 1000, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), -1, EPS);
    history_release(&h);
    free(path);
}

/* A run of some cases keeps what the history knew of the others. */
Test(history, save_keeps_cases_not_run, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result first[] = {
        res("shop/a", "shop", "a", OUTCOME_PASSED, 10),
        res("shop/b", "shop", "b", OUTCOME_PASSED, 20),
        res("shop/tap/a", "shop.tap", "a", OUTCOME_PASSED, 30),
    };
    struct test_result second[] = {
        res("shop/a", "shop", "a", OUTCOME_FAILED, 11),
        res("shop/b", "shop", "b", OUTCOME_SKIPPED, 1),
    };
    char *path = xasprintf("%s/hist", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_save(path, NULL, first, 3, 100, &e), 0, "%s", e.msg);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_eq(history_save(path, &h, second, 2, 50, &e), 0, "%s", e.msg);
    history_release(&h);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_eq(h.n, 3);
    cr_assert_float_eq(h.wall_ms, 50, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), 11, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/b", NULL, NULL), 20, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/tap/a", NULL, NULL), 30, EPS);
    history_release(&h);
    free(path);
}

Test(history, save_of_no_results, .init = make_tmp, .fini = remove_tmp)
{
    char *path = xasprintf("%s/hist", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_save(path, NULL, NULL, 0, 0, &e), 0, "%s", e.msg);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert(h.present);
    cr_assert_eq(h.n, 0);
    cr_assert_float_eq(h.wall_ms, 0, EPS);
    history_release(&h);
    free(path);
}

Test(history, save_error_names_the_path, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[] = {res("shop/a", "shop", "a", OUTCOME_PASSED, 1)};
    char *path = xasprintf("%s/no/such/dir/hist", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(history_save(path, NULL, r, 1, 1, &e), -1);
    assert_err_names(&e, path);
    cr_assert(access(path, F_OK) < 0);
    isotest_err_release(&e);
    free(path);
}

Test(history, load_missing_file_is_empty, .init = make_tmp, .fini = remove_tmp)
{
    char *path = xasprintf("%s/missing", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    /* Whatever the struct held before, load starts afresh. */
    struct history h = {.n = 42, .wall_ms = 9, .present = true};

    cr_assert_eq(history_load(&h, path, &e), 0);
    cr_assert_null(e.msg);
    cr_assert_not(h.present);
    cr_assert_eq(h.n, 0);
    cr_assert_float_eq(h.wall_ms, 0, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), -1, EPS);
    history_release(&h);
    free(path);
}

Test(history, load_blank_lines_and_no_final_newline, .init = make_tmp,
     .fini = remove_tmp)
{
    char *path = put("hist", MAGIC "\n"
                                   "shop::a\t1.5\n"
                                   "\n"
                                   "wall_ms\t20.0\n"
                                   "shop::b\t2.5");
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert(h.present);
    cr_assert_eq(h.n, 2);
    cr_assert_float_eq(h.wall_ms, 20, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/a", "shop", "a"), 1.5, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/b", "shop", "b"), 2.5, EPS);
    history_release(&h);
    free(path);
}

struct text_case {
    char text[64];
};

ParameterizedTestParameters(history, load_without_magic)
{
    static struct text_case cases[] = {
        {""},
        {"shop::a\t1.0\n"},
        {"# isotest history 2\nshop::a\t1.0\n"},
        {"\n" MAGIC},
        {"# isotest history\n"},
        {"<?xml version=\"1.0\"?>\n<testsuites/>\n"},
    };

    return cr_make_param_array(struct text_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct text_case *c, history, load_without_magic,
                  .init = make_tmp, .fini = remove_tmp)
{
    char *path = put("hist", c->text);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_load(&h, path, &e), -1, "accepted \"%s\"", c->text);
    assert_err_names(&e, path);
    cr_assert_not(h.present);
    cr_assert_eq(h.n, 0);
    history_release(&h); /* safe after an error */
    isotest_err_release(&e);
    free(path);
}

ParameterizedTestParameters(history, load_bad_duration)
{
    static struct text_case cases[] = {
        {"shop::bad\tabc"},
        {"shop::bad\t12abc"},
        {"shop::bad\t-1"},
        {"shop::bad\t1.5 "},
        {"wall_ms\tx"},
        {"wall_ms\t-0.5"},
        /* Not durations either, though strtod() ends on the NUL after
         * them: no digits at all (read as 0), not a number, infinite. */
        {"shop::bad\t"},
        {"wall_ms\t"},
        {"shop::bad\tnan"},
        {"shop::bad\tinf"},
    };

    return cr_make_param_array(struct text_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct text_case *c, history, load_bad_duration,
                  .init = make_tmp, .fini = remove_tmp)
{
    /* The bad line is line 4 of the file. */
    char *text = xasprintf(MAGIC "wall_ms\t10.0\nshop::ok\t1.0\n%s\n"
                                 "shop::after\t2.0\n",
                           c->text);
    char *path = put("hist", text);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_expect_eq(history_load(&h, path, &e), -1, "accepted \"%s\"", c->text);
    if (e.msg) {
        assert_err_names(&e, path);
        cr_expect_not_null(strstr(e.msg, "line 4"), "'%s' does not say line 4",
                           e.msg);
    }
    history_release(&h);
    isotest_err_release(&e);
    free(text);
    free(path);
}

/* ---- history_load_junit ---- */

static const char junit_text[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<testsuites name=\"isotest\" tests=\"4\" time=\"12.345\">\n"
    "  <testsuite name=\"shop\" tests=\"3\" time=\"99\">\n"
    "    <properties><property name=\"time\" value=\"7\"/></properties>\n"
    "    <testcase classname=\"shop\" name=\"a\" time=\"0.250\"/>\n"
    "    <testcase classname=\"shop.tap\" name=\"t\" time=\"1.5\">\n"
    "      <failure message=\"no\">not ok 1</failure>\n"
    "    </testcase>\n"
    "    <testcase classname=\"shop\" name=\"untimed\"/>\n"
    "  </testsuite>\n"
    "  <testsuite name=\"other\" tests=\"1\">\n"
    "    <testcase classname=\"other\" name=\"b\" time=\"0\"/>\n"
    "  </testsuite>\n"
    "</testsuites>\n";

Test(history, load_junit, .init = make_tmp, .fini = remove_tmp)
{
    char *path = put("report.xml", junit_text);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_load_junit(&h, path, &e), 0, "%s", e.msg);
    cr_assert_null(e.msg);
    cr_assert(h.present);
    cr_assert_float_eq(h.wall_ms, 12345, 1e-6);
    cr_assert_eq(h.n, 3, "%zu cases", h.n);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), 250, 1e-9);
    cr_assert_float_eq(history_lookup(&h, "shop/tap/t", NULL, NULL), 1500,
                       1e-9);
    cr_assert_float_eq(history_lookup(&h, "other/b", NULL, NULL), 0, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/untimed", NULL, NULL), -1, EPS);
    cr_assert_float_eq(history_lookup(&h, "shop/t", NULL, NULL), -1, EPS);
    history_release(&h);
    free(path);
}

Test(history, load_junit_written_by_isotest, .init = make_tmp,
     .fini = remove_tmp)
{
    struct test_result r[] = {
        res("shop/a", "shop", "a", OUTCOME_PASSED, 12.34),
        /* An id the names do not spell (a pgTAP function's). */
        res("shop/public.t", "shop.public", "t", OUTCOME_FAILED, 1500),
    };
    r[0].file = "shop/a.sql";
    r[1].file = "shop/tap/t.sql";
    r[1].suite = "shop";
    struct run_info ri = {.isotest_version = "0.1.0",
                          .isolation = "database",
                          .jobs = 2,
                          .server_version = "15.18",
                          .template_hash = "0123456789abcdef",
                          .template_name = "isotest_tpl_0123456789abcdef",
                          .wall_ms = 2500.25,
                          .timestamp = "2026-01-02T03:04:05",
                          .hostname = "ci-runner"};
    char *path = xasprintf("%s/report.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(junit_write(path, r, 2, &ri, NULL, 0, &e), 0, "%s", e.msg);
    cr_assert_eq(history_load_junit(&h, path, &e), 0, "%s", e.msg);
    /* The report keeps milliseconds: three decimals of a second. */
    cr_assert_float_eq(h.wall_ms, 2500, 1 + 1e-6, "wall %g", h.wall_ms);
    cr_assert_eq(h.n, 2);
    cr_assert_float_eq(history_lookup(&h, "shop/a", NULL, NULL), 12, 1 + 1e-6);
    cr_assert_float_eq(history_lookup(&h, "shop/public.t", NULL, NULL), 1500,
                       1e-6);
    history_release(&h);
    free(path);
}

ParameterizedTestParameters(history, load_junit_error)
{
    static struct text_case cases[] = {
        {"not XML at all\n"},
        {""},
        {"<testsuites><testsuite name=\"x\">\n"},
        {"<testsuites></testsuite>\n"},
        /* Well-formed XML that is not a JUnit report. */
        {"<html><body/></html>\n"},
        {"<?xml version=\"1.0\"?>\n<testcase name=\"t\" time=\"1\"/>\n"},
    };

    return cr_make_param_array(struct text_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct text_case *c, history, load_junit_error,
                  .init = make_tmp, .fini = remove_tmp)
{
    char *path = put("report.xml", c->text);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_load_junit(&h, path, &e), -1, "accepted \"%s\"",
                 c->text);
    assert_err_names(&e, path);
    cr_assert_not(h.present);
    cr_assert_eq(h.n, 0);
    history_release(&h);
    isotest_err_release(&e);
    free(path);
}

Test(history, load_junit_missing_file, .init = make_tmp, .fini = remove_tmp)
{
    char *path = xasprintf("%s/missing.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_load_junit(&h, path, &e), -1);
    assert_err_names(&e, path);
    cr_assert_not(h.present);
    history_release(&h);
    isotest_err_release(&e);
    free(path);
}
