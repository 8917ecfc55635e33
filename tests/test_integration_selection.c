/*
 * test_integration_selection.c: which cases a run has, and which of them
 * it runs -- cases listed by a command (--list/--each, each id one shell
 * word), --filter (for run and for `isotest list`), --fail-fast, the
 * notes `isotest list` gives on scripts that are not executable, and link
 * loops, dangling links and repeated paths.
 *
 * Each test that runs cases starts a private server (helpers.h) and passes
 * it with --db; runs pass --no-history.  Fixtures: tests/fixtures/cmd_select
 * (four scripts, b fails) and tests/fixtures/cmd_list.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

#define FX FIXTURES "/"

TestSuite(selection, .fini = itest_teardown, .timeout = 150);

/* ---- --list and --each -------------------------------------------------- */

/*
 * Each id reaches the template as one shell word, quotes, spaces and $(...)
 * included: the template passes only when {} expands to exactly an id.
 */
Test(selection, listing_runs_each_id)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci,
                 ARGV("--junit", junit, "--list",
                      "printf 'a\\n\\nb c\\n  \\nit'\\''s\\n$(false);x\\n'",
                      "--each",
                      "test {} = a || test {} = 'b c' || test {} = \"it's\" || "
                      "test {} = '$(false);x'"),
                 NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "4 passed, 0 failed, 0 skipped");
    cr_assert(strstr(r.out, "list/a ") && strstr(r.out, "list/b c ") &&
                  strstr(r.out, "list/it's ") &&
                  strstr(r.out, "list/$(false);x "),
              "case ids missing from\n%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 4);
    itest_assert_case(junit, "a", "passed", NULL);
    itest_assert_case(junit, "b c", "passed", NULL);
    itest_assert_case(junit, "it's", "passed", NULL);
    itest_assert_case(junit, "$(false);x", "passed", NULL);
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);

    /* A failing id fails its case only. */
    itest_run_db(&r, ci,
                 ARGV("--list", "printf 'a\\nx\\n'", "--each", "test {} != x"),
                 NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    cr_assert(strstr(r.out, "FAIL    list/x"), "no FAIL line in\n%s", r.out);
    itest_result_release(&r);
}

static void assert_listing_refused(const char *ci, const char *const *args,
                                   const char *needle)
{
    struct itest_result r;

    itest_run_db(&r, ci, args, NULL);
    itest_assert_exit(&r, 2, "the run");
    cr_assert(strstr(r.err, "isotest: error: "), "no error line:\n%s", r.err);
    cr_assert(strstr(r.err, needle), "'%s' not in the error:\n%s", needle,
              r.err);
    cr_assert(!strstr(r.out, " passed, "), "a summary was printed:\n%s", r.out);
    itest_result_release(&r);
}

Test(selection, listing_errors)
{
    const char *ci = itest_cluster_start();

    assert_listing_refused(
        ci,
        ARGV("--list", "sh -c \"echo boom >&2; exit 3\"", "--each", "true {}"),
        "boom");
    assert_listing_refused(
        ci,
        ARGV("--list", "sh -c \"echo boom >&2; exit 3\"", "--each", "true {}"),
        "exit code 3");
    assert_listing_refused(ci, ARGV("--list", "true", "--each", "true {}"),
                           "printed no test ids");
    assert_listing_refused(
        ci, ARGV("--list", "printf '\\n   \\n'", "--each", "true {}"),
        "printed no test ids");
    assert_listing_refused(ci, ARGV("--list", "echo a", "--each", "true"),
                           "no '{}'");
    assert_listing_refused(ci, ARGV("--list", "echo a"), "--list needs --each");
    assert_listing_refused(ci, ARGV("--each", "true {}"),
                           "--each needs --list");
    itest_assert_no_sandboxes(ci);
}

/* ---- --filter and --fail-fast ------------------------------------------- */

Test(selection, filter_selects_cases)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(&r, ci,
                 ARGV("--filter", "cmd_select/a_*", "--filter", "*/c_pass.sh",
                      "--junit", junit, FX "cmd_select"),
                 NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 2);
    itest_assert_case(junit, "a_pass.sh", "passed", NULL);
    itest_assert_case(junit, "c_pass.sh", "passed", NULL);
    cr_assert(!strstr(r.out, "b_fail") && !strstr(r.out, "d_pass"),
              "a case outside the filter ran:\n%s", r.out);
    itest_result_release(&r);

    /* The same selection for `isotest list`. */
    itest_run(&r, ARGV("list", "--filter", "*b_*", FX "cmd_select"), NULL);
    itest_assert_exit(&r, 0, "isotest list");
    cr_assert_str_eq(r.out, "cmd_select/b_fail.sh\n");
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV("--filter", "nothing*", FX "cmd_select"), NULL);
    itest_assert_exit(&r, 2, "the run");
    cr_assert(strstr(r.err, "--filter"), "stderr:\n%s", r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    free(junit);
}

/* -j 1 runs in id order: a passes, b fails, c and d are never started. */
Test(selection, fail_fast_skips_the_rest)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run_db(
        &r, ci,
        ARGV("--fail-fast", "-j", "1", "--junit", junit, FX "cmd_select"),
        NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 2 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 4);
    cr_assert_eq(jc.failures, 1);
    cr_assert_eq(jc.skipped, 2);
    itest_assert_case(junit, "a_pass.sh", "passed", NULL);
    itest_assert_case(junit, "b_fail.sh", "failure", "exit code 1");
    itest_assert_case(junit, "c_pass.sh", "skipped", "--fail-fast");
    itest_assert_case(junit, "d_pass.sh", "skipped", "--fail-fast");
    itest_assert_no_sandboxes(ci);
    free(junit);
    itest_result_release(&r);
}

/* ---- isotest list ------------------------------------------------------- */

/*
 * Only the executable is a case; a script that is not executable (by its
 * .sh name or its #! line) gets a note; other files are ignored silently.
 */
Test(selection, list_notes_non_executable_scripts)
{
    struct itest_result r;

    itest_run(&r, ARGV("list", FX "cmd_list"), NULL);
    itest_assert_exit(&r, 0, "isotest list");
    cr_assert_str_eq(r.out, "cmd_list/runs.sh\n");
    static const char *const noted[] = {"not_executable.sh", "no_extension"};
    for (size_t i = 0; i < 2; i++) {
        const char *p = strstr(r.err, noted[i]);
        cr_assert(p, "no note about %s:\n%s", noted[i], r.err);
        size_t n = strcspn(p, "\n");
        char *line = xstrndup(p, n);
        cr_assert(strstr(line, "not executable"),
                  "the note on %s does not say it is not executable: %s",
                  noted[i], line);
        free(line);
    }
    cr_assert(!strstr(r.err, "notes.txt"), "a note about notes.txt:\n%s",
              r.err);
    itest_result_release(&r);
}

/*
 * A tree with link loops (sub/up -> .., sub/self -> sub) and a dangling
 * link: `list` ends, with a note on each; a run naming a folder twice and
 * inside its parent runs each case once.
 */
Test(selection, link_loops_and_repeated_paths)
{
    const char *ci = itest_cluster_start();
    char *root = itest_tmpfile("loopy");
    char *a = xasprintf("%s/a/x.sql", root), *b = xasprintf("%s/b.sql", root);
    char *up = xasprintf("%s/a/up", root), *self = xasprintf("%s/a/self", root);
    char *gone = xasprintf("%s/gone.sql", root);
    char *sub = xasprintf("%s/a", root);
    struct itest_result r;

    cr_assert(mkdir(root, 0755) == 0 && mkdir(sub, 0755) == 0);
    itest_write_file(a, "SELECT 1;\n", 0644);
    itest_write_file(b, "SELECT 2;\n", 0644);
    cr_assert(symlink("..", up) == 0 && symlink("../a", self) == 0 &&
              symlink("nowhere.sql", gone) == 0);

    itest_run(&r, ARGV("list", root), NULL);
    itest_assert_exit(&r, 0, "isotest list");
    cr_assert_str_eq(r.out, "loopy/a/x\nloopy/b\n");
    cr_assert(strstr(r.err, "a/up: a link to a folder already searched"), "%s",
              r.err);
    cr_assert(strstr(r.err, "a/self: a link to a folder already searched"),
              "%s", r.err);
    cr_assert(strstr(r.err, "gone.sql: a dangling link"), "%s", r.err);
    itest_result_release(&r);

    itest_run_db(&r, ci, ARGV(sub, sub, root), NULL);
    itest_assert_exit(&r, 0, "the run");
    itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
    cr_assert(strstr(r.err, "was named before: its cases run once"), "%s",
              r.err);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(a);
    free(b);
    free(up);
    free(self);
    free(gone);
    free(sub);
    free(root);
}
