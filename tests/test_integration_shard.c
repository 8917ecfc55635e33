/*
 * test_integration_shard.c: a CI pipeline of shards, simulated on this
 * machine -- `isotest run --shard K/4` as four processes at once, each
 * with its own embedded server (no PG* variable; the helpers' cache), its
 * own copy of one recorded history, and its part named the way each CI
 * system names it (--shard K/N, GitHub's matrix through
 * ISOTEST_SHARD_INDEX/TOTAL, GitLab's CI_NODE_*, Buildkite's 0-based
 * BUILDKITE_PARALLEL_JOB); then `isotest merge`.  The merged report holds
 * the verdicts of an unsharded run (same case ids, same outcomes); the
 * parts the runs ran are those `list --shard K/4` prints, and their union
 * is `list`.  Also: a shard with no case; bad --shard values; merge's
 * refusals (duplicates, unreadable inputs) and what it keeps of a case,
 * on hand-written reports.
 *
 * Fixture: tests/fixtures/shard (eight cases, 20 to 300 ms, one failing,
 * one skipping, one in a sub-folder).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "reporters/junit_read.h"
#include "runner/history.h"

#define SUITE FIXTURES "/shard"
#define NCASES 8

TestSuite(shard, .fini = itest_teardown, .timeout = 150);

/* ---- small tools ------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Lines as a sorted, newline-joined text (for set comparisons). */
static char *sorted_lines(const char *text)
{
    char *copy = xstrdup(text), **v = NULL;
    size_t n = 0;
    struct strbuf sb = STRBUF_INIT;

    for (char *p = copy; *p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        if (*p) {
            v = xrealloc(v, (n + 1) * sizeof(*v));
            v[n++] = p;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s\n", v[i]);
    free(v);
    free(copy);
    return strbuf_detach(&sb, NULL);
}

/* "classname name outcome" a line, sorted: a report's verdicts. */
static char *verdicts(const char *path)
{
    static const char *const names[] = {"passed", "failure", "error",
                                        "skipped"};
    struct junit_report rep;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct strbuf sb = STRBUF_INIT;

    cr_assert_eq(junit_read_load(&rep, path, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < rep.ncases; i++)
        strbuf_addf(&sb, "%s %s %s\n", rep.cases[i].classname,
                    rep.cases[i].name, names[rep.cases[i].outcome]);
    junit_read_release(&rep);
    char *s = sorted_lines(sb.buf);
    strbuf_release(&sb);
    return s;
}

/* The ids `list` prints for a report's cases: SUITE/sub/NAME. */
static char *report_ids(const char *path)
{
    struct junit_report rep;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct strbuf sb = STRBUF_INIT;

    cr_assert_eq(junit_read_load(&rep, path, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < rep.ncases; i++) {
        const char *cls = rep.cases[i].classname;
        strbuf_addstr(&sb, "shard");
        if (!strcmp(cls, "shard.sub"))
            strbuf_addstr(&sb, "/sub");
        strbuf_addf(&sb, "/%s\n", rep.cases[i].name);
    }
    junit_read_release(&rep);
    char *s = sorted_lines(sb.buf);
    strbuf_release(&sb);
    return s;
}

static void assert_has(const char *text, const char *needle, const char *what)
{
    cr_assert(strstr(text, needle), "%s: '%s' not in\n%s", what, needle, text);
}

static void copy_file(const char *from, const char *to)
{
    char *text = itest_read_file(from);

    itest_write_file(to, text, 0644);
    free(text);
}

/* ---- the pipeline ------------------------------------------------------ */

/* How each of the four jobs names its part. */
static const char *const *shard_env(int k)
{
    static const char *const env[4][3] = {
        {NULL},
        {"ISOTEST_SHARD_INDEX=2", "ISOTEST_SHARD_TOTAL=4", NULL},
        {"CI_NODE_INDEX=3", "CI_NODE_TOTAL=4", NULL},
        {"BUILDKITE_PARALLEL_JOB=3", "BUILDKITE_PARALLEL_JOB_COUNT=4", NULL},
    };
    return env[k - 1];
}

/* Start shard k (1-based) in the background, with its own history. */
static void start_shard(struct itest_bg *b, int k, const char *hist)
{
    char tag[32], name[32], *junit, *h;

    snprintf(tag, sizeof(tag), "shard-%d", k);
    snprintf(name, sizeof(name), "shard-%d.xml", k);
    junit = itest_tmpfile(name);
    h = xasprintf("%s.%d", hist, k);
    copy_file(hist, h);
    itest_bg_start(b, tag,
                   ARGV("run", "--shard", k == 1 ? "1/4" : "auto", "--history",
                        h, "-j", "2", "--junit", junit, SUITE),
                   shard_env(k));
    free(junit);
    free(h);
}

/* A finished shard: its line on stderr, its report, and what it ran. */
static char *check_shard(struct itest_bg *b, int k, const char *hist)
{
    struct itest_result r;
    struct itest_junit jc;
    char path[32], want[64], label[24];

    itest_bg_finish(b, &r);
    cr_assert(r.code == 0 || r.code == 1, "shard %d: exit %d\n%s\n%s", k,
              r.code, r.out, r.err);
    snprintf(want, sizeof(want), "shard %d/4: ", k);
    assert_has(r.err, want, "the shard's line");
    char *h = xasprintf("(history: %s.%d", hist, k);
    assert_has(r.err, h, "the shard's line");
    free(h);
    snprintf(path, sizeof(path), "shard-%d.xml", k);
    char *junit = itest_tmpfile(path);
    itest_junit_check(junit, &jc);
    snprintf(label, sizeof(label), "%d/4", k);
    char *v = itest_junit_property(junit, "isotest.shard");
    cr_assert(v && !strcmp(v, label), "isotest.shard is '%s'", v ? v : "");
    free(v);
    v = itest_junit_property(junit, "isotest.shard_expected_ms");
    cr_assert(v && strtod(v, NULL) > 0, "no isotest.shard_expected_ms");
    free(v);
    char *ids = report_ids(junit);
    free(junit);
    itest_result_release(&r);
    return ids;
}

/* What `list --shard k/4` prints, with the history the shards started from. */
static char *list_part(int k, const char *hist)
{
    struct itest_result r;
    char part[24];

    snprintf(part, sizeof(part), "%d/4", k);
    itest_run(&r, ARGV("list", "--shard", part, "--history", hist, SUITE),
              NULL);
    itest_assert_exit(&r, 0, "list --shard");
    assert_has(r.err, "expected ", "list --shard's stderr");
    char *s = sorted_lines(r.out);
    itest_result_release(&r);
    return s;
}

static void check_merged(const char *merged, const char *all,
                         const char *hist_out)
{
    struct itest_junit jc;
    struct history h;
    struct isotest_err e = ISOTEST_ERR_INIT;

    itest_junit_check(merged, &jc);
    cr_assert_eq(jc.tests, NCASES);
    cr_assert_eq(jc.failures, 1);
    cr_assert_eq(jc.skipped, 1);
    char *a = verdicts(all), *m = verdicts(merged);
    cr_assert_str_eq(m, a, "merged verdicts differ from the unsharded run's");
    free(a);
    free(m);
    for (int k = 1; k <= 4; k++) {
        char name[48];
        snprintf(name, sizeof(name), "isotest.shard_%d_wall_ms", k);
        char *v = itest_junit_property(merged, name);
        cr_assert(v && strtod(v, NULL) > 0, "no %s", name);
        free(v);
    }
    itest_assert_case(merged, "f_fails", "failure", "no_such_table");
    struct itest_case c;
    itest_junit_case(merged, "g_skip.sh", &c);
    cr_assert_str_eq(c.outcome, "skipped");
    cr_assert(!strncmp(c.out, "[isotest] file=", 15) &&
                  !strstr(c.out + 1, "[isotest] file=") &&
                  strstr(c.out, "g_skip: nothing to check here"),
              "system-out not kept as it was:\n%s", c.out);
    itest_case_release(&c);
    /* The history: every case that ran, and the slowest shard's wall. */
    cr_assert_eq(history_load(&h, hist_out, &e), 0, "%s", e.msg);
    cr_assert_eq(h.n, NCASES - 1, "the skipped case has no duration");
    cr_assert_geq(history_lookup(&h, "shard/a_slow", NULL, NULL), 250);
    cr_assert_geq(history_lookup(&h, "shard/sub/h", NULL, NULL), 0);
    cr_assert_gt(h.wall_ms, 0);
    history_release(&h);
}

Test(shard, pipeline_of_four_shards_merges_to_the_unsharded_verdicts)
{
    char *hist = itest_tmpfile("history"), *all = itest_tmpfile("all.xml");
    char *merged = itest_tmpfile("merged.xml");
    char *hist_out = itest_tmpfile("merged-history");
    struct itest_bg bg[4];
    struct itest_result r;

    /* The unsharded run: the verdicts to match, and the history. */
    itest_run(&r,
              ARGV("run", "--history", hist, "-j", "2", "--junit", all, SUITE),
              NULL);
    itest_assert_exit(&r, 1, "the unsharded run");
    itest_assert_summary(&r, "6 passed, 1 failed, 1 skipped");
    itest_result_release(&r);

    for (int k = 1; k <= 4; k++)
        start_shard(&bg[k - 1], k, hist);
    struct strbuf listed = STRBUF_INIT;
    for (int k = 1; k <= 4; k++) {
        char *ran = check_shard(&bg[k - 1], k, hist);
        char *part = list_part(k, hist);
        cr_assert_str_eq(ran, part,
                         "shard %d ran what list --shard %d/4 "
                         "does not print",
                         k, k);
        strbuf_addstr(&listed, part);
        free(ran);
        free(part);
        itest_bg_release(&bg[k - 1]);
    }
    itest_run(&r, ARGV("list", SUITE), NULL);
    char *whole = sorted_lines(r.out), *unioned = sorted_lines(listed.buf);
    cr_assert_str_eq(unioned, whole, "the parts are not the suite");
    free(whole);
    free(unioned);
    strbuf_release(&listed);
    itest_result_release(&r);

    char *s[4];
    for (int k = 0; k < 4; k++)
        s[k] = xasprintf("%s/shard-%d.xml", itest_tmpdir(), k + 1);
    itest_run(&r,
              ARGV("merge", "-o", merged, "--history-out", hist_out, s[0], s[1],
                   s[2], s[3]),
              NULL);
    itest_assert_exit(&r, 1, "merge (a case failed)");
    itest_assert_summary(&r, "6 passed, 1 failed, 1 skipped");
    assert_has(r.out, "shard 3/4", "merge's per-report lines");
    itest_result_release(&r);
    check_merged(merged, all, hist_out);
    for (int k = 0; k < 4; k++)
        free(s[k]);
    free(hist);
    free(all);
    free(merged);
    free(hist_out);
}

/* ---- without a server -------------------------------------------------- */

Test(shard, list_parts_are_disjoint_and_complete)
{
    struct itest_result r;
    static const int totals[] = {1, 3, 8, 11};

    itest_run(&r, ARGV("list", SUITE), NULL);
    char *whole = sorted_lines(r.out);
    itest_result_release(&r);
    for (size_t t = 0; t < 4; t++) {
        struct strbuf all = STRBUF_INIT;
        for (int k = 1; k <= totals[t]; k++) {
            char part[32];
            snprintf(part, sizeof(part), "%d/%d", k, totals[t]);
            itest_run(&r, ARGV("list", "--no-history", "--shard", part, SUITE),
                      NULL);
            itest_assert_exit(&r, 0, part);
            strbuf_addstr(&all, r.out);
            itest_result_release(&r);
        }
        char *u = sorted_lines(all.buf);
        cr_assert_str_eq(u, whole, "the parts of %d are not the suite",
                         totals[t]);
        free(u);
        strbuf_release(&all);
    }
    /* 8 cases, no history: 100 ms each, so 3, 3, 2. */
    itest_run(&r, ARGV("list", "--no-history", "--shard", "3/3", SUITE), NULL);
    assert_has(r.err,
               "shard 3/3: 2 cases, expected 0.2 s (history: none; 2 without "
               "a recorded duration, counted as 100 ms each",
               "list --shard's stderr");
    itest_result_release(&r);
    free(whole);
}

Test(shard, bad_values_exit_2_naming_them)
{
    static const char *const bad[] = {"0/4", "5/4", "x/y", "1/0"};
    struct itest_result r;

    for (size_t i = 0; i < 4; i++) {
        char *want = xasprintf("invalid value '%s' for --shard", bad[i]);
        itest_run(&r, ARGV("run", "--shard", bad[i], SUITE), NULL);
        itest_assert_exit(&r, 2, bad[i]);
        assert_has(r.err, want, "run's error");
        itest_result_release(&r);
        itest_run(&r, ARGV("list", "--shard", bad[i], SUITE), NULL);
        itest_assert_exit(&r, 2, bad[i]);
        assert_has(r.err, want, "list's error");
        itest_result_release(&r);
        free(want);
    }
    itest_run(&r, ARGV("run", "--shard", "auto", SUITE),
              ARGV("CI_NODE_INDEX=5", "CI_NODE_TOTAL=4"));
    itest_assert_exit(&r, 2, "auto out of range");
    assert_has(r.err, "invalid CI_NODE_INDEX '5'", "run's error");
    itest_result_release(&r);
}

/* More shards than cases: the empty one passes, with no server at all. */
Test(shard, empty_shard_passes_with_a_note)
{
    char *junit = itest_tmpfile("empty.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(
        &r,
        ARGV("run", "--no-history", "--shard", "9/9", "--junit", junit, SUITE),
        NULL);
    itest_assert_exit(&r, 0, "an empty shard");
    assert_has(r.err, "shard 9/9 has no case (8 cases for 9 shards)",
               "the note");
    itest_assert_summary(&r, "0 passed, 0 failed, 0 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 0);
    itest_result_release(&r);
    free(junit);
}

/* ---- merge on hand-written reports ------------------------------------- */

#define REPORT_HEAD                                                            \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                             \
    "<testsuites name=\"isotest\" tests=\"2\" failures=\"0\" errors=\"0\" "    \
    "time=\"%s\">\n<testsuite name=\"m\" tests=\"2\" failures=\"0\" "          \
    "errors=\"0\" skipped=\"0\" time=\"0.3\">\n<properties>"                   \
    "<property name=\"isotest.shard\" value=\"%s\"/></properties>\n"

static char *report(const char *name, const char *wall, const char *shard,
                    const char *cases)
{
    char *path = itest_tmpfile(name);
    char *head = xasprintf(REPORT_HEAD, wall, shard);
    char *text = xasprintf("%s%s</testsuite>\n</testsuites>\n", head, cases);

    itest_write_file(path, text, 0644);
    free(head);
    free(text);
    return path;
}

#define CASE_X                                                                 \
    "<testcase classname=\"m\" name=\"x\" time=\"0.100\"><system-out>"         \
    "[isotest] file=m/x.sql worker=1 start_ms=3.0 sandbox=isotest_1_1\n"       \
    "hello x\n</system-out></testcase>\n"
#define CASE_Y                                                                 \
    "<testcase classname=\"m.sub\" name=\"y\" time=\"0.200\"><failure "        \
    "type=\"failed\" message=\"y broke\">the detail</failure>"                 \
    "<system-err>warn y</system-err></testcase>\n"
#define CASE_Z                                                                 \
    "<testcase classname=\"m\" name=\"z\" time=\"0.050\"><error "              \
    "type=\"timeout\" "                                                        \
    "message=\"timed out after 5 s\"/></testcase>\n"

Test(shard, merge_keeps_each_case_and_refuses_duplicates)
{
    char *a = report("a.xml", "1.500", "1/2", CASE_X CASE_Y);
    char *b = report("b.xml", "2.250", "2/2", CASE_Z);
    char *dup = report("dup.xml", "1.000", "2/2", CASE_Z CASE_Y);
    char *bad = itest_tmpfile("bad.xml"), *out = itest_tmpfile("out.xml");
    char *missing = itest_tmpfile("missing.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_write_file(bad, "<testsuites><testsuite", 0644);
    itest_run(&r, ARGV("merge", "-o", out, a, b), NULL);
    itest_assert_exit(&r, 1, "merge of a failure and a timeout");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped, 1 timed out");
    itest_result_release(&r);
    itest_junit_check(out, &jc);
    cr_assert(jc.tests == 3 && jc.failures == 1 && jc.errors == 1);
    itest_assert_case(out, "y", "failure", "y broke");
    itest_assert_case(out, "z", "error", "timed out after 5 s");
    struct itest_case c;
    itest_junit_case(out, "x", &c);
    cr_assert_str_eq(c.out, "[isotest] file=m/x.sql worker=1 start_ms=3.0 "
                            "sandbox=isotest_1_1 acquire_ms=0.00 "
                            "release_ms=0.00 id=m/x\nhello x\n");
    itest_case_release(&c);
    itest_junit_case(out, "y", &c);
    cr_assert_str_eq(c.err, "warn y");
    cr_assert_str_eq(c.type, "failed");
    itest_case_release(&c);
    char *v = itest_junit_property(out, "isotest.wall_ms");
    cr_assert_str_eq(v, "2250.00", "the slowest shard's wall");
    free(v);
    v = itest_junit_property(out, "isotest.shard_1_wall_ms");
    cr_assert_str_eq(v, "1500.00");
    free(v);

    /* The same case in two reports: not one run's shards. */
    itest_run(&r, ARGV("merge", "-o", out, a, dup), NULL);
    itest_assert_exit(&r, 2, "duplicates");
    assert_has(r.err, "case 'm/sub/y' is in both", "the error");
    assert_has(r.err, "a.xml' and '", "the error");
    assert_has(r.err, "dup.xml'", "the error");
    itest_result_release(&r);
    itest_run(&r, ARGV("merge", "--allow-duplicates", "-o", out, a, dup), NULL);
    itest_assert_exit(&r, 1, "duplicates allowed");
    itest_junit_check(out, &jc);
    cr_assert_eq(jc.tests, 4);
    itest_result_release(&r);

    /* Unreadable inputs: exit 2, naming the file. */
    itest_run(&r, ARGV("merge", "-o", out, a, bad), NULL);
    itest_assert_exit(&r, 2, "a truncated report");
    assert_has(r.err, "bad.xml", "the error");
    itest_result_release(&r);
    itest_run(&r, ARGV("merge", "-o", out, missing, a), NULL);
    itest_assert_exit(&r, 2, "a missing report");
    assert_has(r.err, "missing.xml", "the error");
    itest_result_release(&r);
    itest_run(&r, ARGV("merge", a), NULL);
    itest_assert_exit(&r, 2, "no -o");
    itest_result_release(&r);
    free(a);
    free(b);
    free(dup);
    free(bad);
    free(out);
    free(missing);
}
