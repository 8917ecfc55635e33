/*
 * test_history_setup.c: a case whose sandbox could not be had (a failed
 * clone, a server gone) leaves its recorded duration alone
 * (runner/history.h's history_save()).
 *
 * Covers: a run where one case's sandbox failed keeps that case's earlier
 * duration, not the 0 ms it shows; a case seen for the first time without
 * a sandbox gets no entry; the cases that ran are updated as usual.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "runner/history.h"
#include "unit_tmp.h"

#define EPS 0.05

UNIT_TMP_FOLDER("/tmp/isotest-test-histsetup-XXXXXX")

static struct test_result res(const char *name, enum outcome o, double ms,
                              const char *sandbox)
{
    return (struct test_result){.id = name,
                                .suite = "s",
                                .classname = "s",
                                .name = name,
                                .done = true,
                                .outcome = o,
                                .time_ms = ms,
                                .prev_ms = -1,
                                .sandbox = (char *)sandbox};
}

Test(history_setup, failed_setup_keeps_durations, .init = make_tmp,
     .fini = remove_tmp)
{
    struct test_result first[] = {
        res("a", OUTCOME_PASSED, 500, "isotest_0badcafe_1"),
        res("b", OUTCOME_PASSED, 20, "isotest_0badcafe_2"),
    };
    /* The second run: a's clone failed, c's too; b ran. */
    struct test_result second[] = {
        res("a", OUTCOME_ERROR, 0, NULL),
        res("b", OUTCOME_PASSED, 25, "isotest_0badcafe_3"),
        res("c", OUTCOME_ERROR, 0, NULL),
    };
    char *path = xasprintf("%s/hist", tmp);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct history h;

    cr_assert_eq(history_save(path, NULL, first, 2, 600, &e), 0, "%s", e.msg);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_eq(history_save(path, &h, second, 3, 30, &e), 0, "%s", e.msg);
    history_release(&h);
    cr_assert_eq(history_load(&h, path, &e), 0, "%s", e.msg);
    cr_assert_float_eq(history_lookup(&h, "a", "s", "a"), 500, EPS,
                       "the failed set-up kept a's duration");
    cr_assert_float_eq(history_lookup(&h, "b", "s", "b"), 25, EPS);
    cr_assert_float_eq(history_lookup(&h, "c", "s", "c"), -1, EPS);
    cr_assert_eq(h.n, 2);
    history_release(&h);
    free(path);
}
