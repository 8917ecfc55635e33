/*
 * test_tap_out.c: the TAP version 14 report (reporters/tap_out.h).
 *
 * The exact stream for one result of every kind (passed, failed with a
 * detail, error, timeout, skipped, never started, passed on a retry,
 * failed on every try, an id holding '#' and '\'); sets of results read
 * back by the runner's own TAP consumer (runner/tap.h) as passing or
 * failing; writing to a file, to the stream given for "-", and the
 * failures of both.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/tap_out.h"
#include "runner/tap.h"
#include "unit_tmp.h"

static struct test_result result(const char *id, enum outcome o, double time_ms,
                                 const char *message)
{
    struct test_result r = {.id = id,
                            .suite = "s",
                            .classname = "s",
                            .name = id,
                            .file = id,
                            .done = true,
                            .outcome = o,
                            .time_ms = time_ms,
                            .prev_ms = -1,
                            .message = message ? xstrdup(message) : NULL};

    return r;
}

/* A failed try before the one r holds (as the pool's retries add them). */
static void add_try(struct test_result *r, enum outcome o, const char *msg)
{
    r->retried = xrealloc(r->retried, (r->nretried + 1) * sizeof(*r->retried));
    r->retried[r->nretried++] =
        (struct test_try){.outcome = o,
                          .time_ms = 7,
                          .sandbox = xstrdup("isotest_deadbeef_1"),
                          .message = xstrdup(msg)};
}

static void release_all(struct test_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        result_release(&r[i]);
}

enum { N_KINDS = 9 };

static void make_kinds(struct test_result *r)
{
    r[0] = result("s/passes.sql", OUTCOME_PASSED, 1.25, NULL);
    r[1] = result("s/fails.sql", OUTCOME_FAILED, 12.34,
                  "s/fails.sql:4: ERROR:  relation \"t\" does not exist");
    r[1].detail = xstrdup("have: 1\nwant: 2\r\n\n  indented later\n");
    r[2] = result("s/crashes.sh", OUTCOME_ERROR, 3,
                  "killed by SIGSEGV (exit code 139)");
    r[3] = result("s/hangs.sql", OUTCOME_TIMEOUT, 1000, "timed out after 1 s");
    r[4] = result("s/skips.sh", OUTCOME_SKIPPED, 0.5, "skipped (exit code 77)");
    r[5] = result("s/never.sql", OUTCOME_PASSED, 0, NULL);
    r[5].done = false;
    r[6] = result("s/flaky.sh", OUTCOME_PASSED, 20, NULL);
    add_try(&r[6], OUTCOME_FAILED, "exit code 1");
    r[7] = result("s/always.sh", OUTCOME_FAILED, 5, "exit code 4");
    add_try(&r[7], OUTCOME_FAILED, "exit code 4");
    add_try(&r[7], OUTCOME_TIMEOUT, "timed out after 1 s");
    r[8] = result("s/odd #1 \\ name", OUTCOME_PASSED, 2, NULL);
}

static const char want_kinds[] =
    "TAP version 14\n"
    "1..9\n"
    "ok 1 - s/passes.sql\n"
    "not ok 2 - s/fails.sql\n"
    "  ---\n"
    "  message: \"s/fails.sql:4: ERROR:  relation \\\"t\\\" does not "
    "exist\"\n"
    "  severity: fail\n"
    "  outcome: failed\n"
    "  duration_ms: 12.3\n"
    "  detail: |\n"
    "    have: 1\n"
    "    want: 2\n"
    "    \n"
    "      indented later\n"
    "  ...\n"
    "not ok 3 - s/crashes.sh\n"
    "  ---\n"
    "  message: \"killed by SIGSEGV (exit code 139)\"\n"
    "  severity: error\n"
    "  outcome: error\n"
    "  duration_ms: 3.0\n"
    "  ...\n"
    "not ok 4 - s/hangs.sql\n"
    "  ---\n"
    "  message: \"timed out after 1 s\"\n"
    "  severity: error\n"
    "  outcome: timeout\n"
    "  duration_ms: 1000.0\n"
    "  ...\n"
    "ok 5 - s/skips.sh # SKIP skipped (exit code 77)\n"
    "not ok 6 - s/never.sql\n"
    "  ---\n"
    "  message: \"not run: the run was interrupted\"\n"
    "  severity: error\n"
    "  outcome: not run\n"
    "  duration_ms: 0.0\n"
    "  ...\n"
    "ok 7 - s/flaky.sh\n"
    "# flaky: passed on try 2\n"
    "not ok 8 - s/always.sh\n"
    "  ---\n"
    "  message: \"exit code 4\"\n"
    "  severity: fail\n"
    "  outcome: failed\n"
    "  duration_ms: 5.0\n"
    "  tries: 3\n"
    "  ...\n"
    "ok 9 - s/odd \\#1 \\\\ name\n";

Test(tap_out, every_kind_exactly)
{
    struct test_result r[N_KINDS];
    size_t len;

    make_kinds(r);
    char *text = tap_out_render(r, N_KINDS, &len);
    release_all(r, N_KINDS);
    cr_assert_eq(len, strlen(text));
    cr_assert_str_eq(text, want_kinds);
    free(text);
}

Test(tap_out, empty_run)
{
    char *text = tap_out_render(NULL, 0, NULL);

    cr_assert_str_eq(text, "TAP version 14\n1..0\n");
    free(text);
}

/* Control bytes, colours and bad UTF-8 never reach the stream. */
Test(tap_out, strings_are_sanitised)
{
    struct test_result r = result("s/x\nid", OUTCOME_FAILED, 1,
                                  "bad\x01 \x1b[31mred\x1b[0m\xff\ttab\n2nd");

    /* DEL and a C1 control: XML allows them, YAML does not. */
    r.detail = xstrdup("a\x7f"
                       "b\xc2\x85"
                       "c\n");
    char *text = tap_out_render(&r, 1, NULL);
    result_release(&r);
    cr_assert_not_null(strstr(text, "not ok 1 - s/x id\n"), "%s", text);
    cr_assert_not_null(strstr(text, "    a\xef\xbf\xbd"
                                    "b\xef\xbf\xbd"
                                    "c\n"),
                       "%s", text);
    cr_assert_not_null(strstr(text, "  message: \"bad\xef\xbf\xbd red"
                                    "\xef\xbf\xbd\\ttab\\n2nd\"\n"),
                       "%s", text);
    cr_assert_null(strchr(text, 0x1b));
    cr_assert_null(strchr(text, 0x01));
    free(text);
}

/*
 * A detail whose first line is indented would set a literal block's
 * indentation wrong: it goes quoted.
 */
Test(tap_out, indented_detail_is_quoted)
{
    struct test_result r = result("s/x.sql", OUTCOME_FAILED, 1, "diff");

    r.detail = xstrdup("  indented\r\nnext\n");
    char *text = tap_out_render(&r, 1, NULL);
    result_release(&r);
    cr_assert_not_null(strstr(text, "  detail: \"  indented\\r\\nnext\"\n"),
                       "%s", text);
    free(text);
}

/* ---- read back by runner/tap.h ------------------------------------------ */

struct readback_case {
    char label[24];
    enum outcome outcomes[4];
    bool done[4];
    size_t n;
    bool flaky_first; /* the first result passed on a retry */
    bool passed;
    int failed;
};

ParameterizedTestParameters(tap_out, read_back)
{
    static struct readback_case cases[] = {
        {"all_pass",
         {OUTCOME_PASSED, OUTCOME_PASSED},
         {true, true},
         2,
         false,
         true,
         0},
        {"skips_pass",
         {OUTCOME_SKIPPED, OUTCOME_PASSED},
         {true, true},
         2,
         false,
         true,
         0},
        {"flaky_passes",
         {OUTCOME_PASSED, OUTCOME_SKIPPED},
         {true, true},
         2,
         true,
         true,
         0},
        {"one_failure",
         {OUTCOME_PASSED, OUTCOME_FAILED, OUTCOME_SKIPPED},
         {true, true, true},
         3,
         false,
         false,
         1},
        {"errors_fail",
         {OUTCOME_ERROR, OUTCOME_TIMEOUT, OUTCOME_PASSED},
         {true, true, true},
         3,
         false,
         false,
         2},
        {"not_run_fails",
         {OUTCOME_PASSED, OUTCOME_PASSED},
         {true, false},
         2,
         false,
         false,
         1},
        {"none", {OUTCOME_PASSED}, {true}, 0, false, true, 0},
    };

    return cr_make_param_array(struct readback_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct readback_case *c, tap_out, read_back)
{
    static const char *const ids[] = {"s/a.sql", "s/b.sql", "s/c.sh",
                                      "s/d.sql"};
    struct test_result r[4];
    struct tap_result t;
    size_t len;

    for (size_t i = 0; i < c->n; i++) {
        r[i] = result(ids[i], c->outcomes[i], 1, "why: it\nfailed");
        r[i].done = c->done[i];
        r[i].detail = xstrdup("# have: 1\n# want: 2\n");
    }
    if (c->flaky_first)
        add_try(&r[0], OUTCOME_FAILED, "exit code 1");
    char *text = tap_out_render(r, c->n, &len);
    release_all(r, c->n);
    tap_parse(text, len, &t);
    cr_expect(t.seen, "%s: not read as TAP", c->label);
    cr_expect_eq(t.planned, (int)c->n, "%s: plan %d", c->label, t.planned);
    cr_expect_eq(t.count, (int)c->n, "%s: count %d", c->label, t.count);
    cr_expect_eq(t.failed, c->failed, "%s: failed %d", c->label, t.failed);
    cr_expect_eq(tap_passed(&t), c->passed, "%s: passed\n%s", c->label, text);
    cr_expect_eq(t.skip_all, c->n == 0, "%s: skip_all", c->label);
    tap_release(&t);
    free(text);
}

/* ---- writing ------------------------------------------------------------ */

UNIT_TMP_FOLDER("/tmp/isotest-tap-out-XXXXXX")

Test(tap_out, writes_a_file, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[N_KINDS];
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/report.tap", tmp);
    char *text;
    size_t len;

    make_kinds(r);
    /* The stream for "-" must not be touched when a path is given. */
    cr_assert_eq(tap_out_write(path, NULL, r, N_KINDS, &e), 0, "%s", e.msg);
    release_all(r, N_KINDS);
    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_str_eq(text, want_kinds);
    free(text);
    free(path);
}

Test(tap_out, dash_writes_to_the_stream, .init = make_tmp, .fini = remove_tmp)
{
    struct test_result r[N_KINDS];
    struct isotest_err e = ISOTEST_ERR_INIT;
    FILE *f = tmpfile();
    char buf[4096];

    cr_assert_not_null(f);
    make_kinds(r);
    cr_assert_eq(tap_out_write("-", f, r, N_KINDS, &e), 0, "%s", e.msg);
    release_all(r, N_KINDS);
    rewind(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    cr_assert_str_eq(buf, want_kinds);
    /* Nothing named "-" was created in the working folder by mistake. */
    cr_assert_neq(access("-", F_OK), 0);
}

Test(tap_out, write_failures_name_the_target, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/missing/report.tap", tmp);

    cr_assert_eq(tap_out_write(path, NULL, NULL, 0, &e), -1);
    cr_assert_not_null(strstr(e.msg, path), "%s", e.msg);
    isotest_err_release(&e);
    free(path);

    FILE *full = fopen("/dev/full", "w");
    if (!full)
        cr_skip_test("no /dev/full here");
    cr_assert_eq(tap_out_write("-", full, NULL, 0, &e), -1);
    cr_assert_not_null(strstr(e.msg, "standard output"), "%s", e.msg);
    isotest_err_release(&e);
    fclose(full);
}
