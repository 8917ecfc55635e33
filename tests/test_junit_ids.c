/*
 * test_junit_ids.c: the case id in a JUnit report and the report's times
 * (reporters/junit.h, junit_read.h's junit_read_case_id()).
 *
 * Covers: the id written last on the first system-out line and read
 * back whole (blanks, dots, a pgTAP function's id that classname and name
 * do not spell); reports without it (another tool's, an older isotest's)
 * mapped from suite, classname and name (table); every time above a
 * testcase is wall time (the root's the run's, a suite's its cases' span,
 * retries included) and the sum of a suite's case times is its
 * isotest.case_time_s.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit.h"
#include "reporters/junit_read.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-junit-ids-XXXXXX")

static struct test_result res(const char *id, const char *suite,
                              const char *classname, const char *name,
                              double start, double ms)
{
    struct test_result r = {.id = id,
                            .suite = suite,
                            .classname = classname,
                            .name = name,
                            .file = "f.sql",
                            .done = true,
                            .outcome = OUTCOME_PASSED,
                            .start_ms = start,
                            .time_ms = ms,
                            .acquire_ms = 5,
                            .release_ms = 5,
                            .prev_ms = -1};

    return r;
}

static const struct junit_case *find(const struct junit_report *rep,
                                     const char *name)
{
    for (size_t i = 0; i < rep->ncases; i++)
        if (!strcmp(rep->cases[i].name, name))
            return &rep->cases[i];
    cr_assert_fail("no case '%s'", name);
    return NULL;
}

Test(junit_ids, id_and_times_round_trip, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[] = {
        res("shop/tap/orders", "shop", "shop.tap", "orders", 100, 200),
        res("shop/public.test_x", "shop", "shop.public", "test_x", 150, 100),
        res("list/t.py::test[a b]", "list", "list", "t.py::test[a b]", 50, 30),
        res("shop/v1.2/x", "shop", "shop.v1.2", "x", 400, 50),
    };
    /* A retried case: its first try started before the others. */
    struct test_try t1 = {.outcome = OUTCOME_FAILED, .start_ms = 20};
    r[3].retried = &t1;
    r[3].nretried = 1;
    struct run_info ri = {.isotest_version = "0",
                          .isolation = "database",
                          .jobs = 2,
                          .server_version = "15",
                          .template_hash = "h",
                          .wall_ms = 1000};
    char *path = xasprintf("%s/r.xml", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct junit_report rep;

    cr_assert_eq(junit_write(path, r, 4, &ri, NULL, 0, &e), 0, "%s", e.msg);
    cr_assert_eq(junit_read_load(&rep, path, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < 4; i++) {
        char *id = junit_read_case_id(&rep, find(&rep, r[i].name));
        cr_assert_str_eq(id, r[i].id);
        free(id);
    }
    cr_assert_float_eq(rep.time_ms, 1000, 1e-6);

    char *text;
    size_t len;
    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    /* shop: from 20 ms (the first try) to 400 + 5 + 50 + 5 ms. */
    cr_assert_not_null(strstr(text, "<testsuite name=\"shop\" tests=\"3\" "
                                    "failures=\"0\" errors=\"0\" "
                                    "skipped=\"0\" time=\"0.440\""),
                       "%s", text);
    cr_assert_not_null(strstr(text, "<testsuite name=\"list\" tests=\"1\" "
                                    "failures=\"0\" errors=\"0\" "
                                    "skipped=\"0\" time=\"0.040\""));
    const char *shop_sum = junit_read_property(&rep, 0, "isotest.case_time_s");
    const char *list_sum = junit_read_property(&rep, 1, "isotest.case_time_s");
    cr_assert_str_eq(shop_sum, "0.350");
    cr_assert_str_eq(list_sum, "0.030");
    free(text);
    junit_read_release(&rep);
    free(path);
}

struct mapped {
    char suite[16];
    char classname[24];
    char name[16];
    char out[96];
    char id[32];
};

ParameterizedTestParameters(junit_ids, mapped_without_written_id)
{
    static struct mapped cases[] = {
        {"shop", "shop.tap", "x", "", "shop/tap/x"},
        {"shop", "shop", "x", "", "shop/x"},
        /* A suite whose name has a dot keeps it. */
        {"my.app", "my.app.sub", "t", "", "my.app/sub/t"},
        /* Another tool's report: its classname is the path. */
        {"pytest", "tests.test_a", "test_b", "", "tests/test_a/test_b"},
        {"", "", "bare", "", "/bare"},
        /* An older isotest's first line, without id=. */
        {"shop", "shop.tap", "x",
         "[isotest] file=x.sql worker=1 start_ms=1 sandbox=s acquire_ms=0 "
         "release_ms=0\nout\n",
         "shop/tap/x"},
        /* Not our line: an id= there is the case's own output. */
        {"shop", "shop", "x", "id=nope release_ms= id=no\n", "shop/x"},
    };

    return cr_make_param_array(struct mapped, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct mapped *m, junit_ids, mapped_without_written_id)
{
    struct junit_suite s = {.name = m->suite[0] ? m->suite : NULL};
    struct junit_case c = {.classname = m->classname,
                           .name = m->name,
                           .out = m->out[0] ? m->out : NULL};
    struct junit_report rep = {
        .suites = &s, .nsuites = 1, .cases = &c, .ncases = 1};
    char *id = junit_read_case_id(&rep, &c);

    cr_assert_str_eq(id, m->id);
    free(id);
}
