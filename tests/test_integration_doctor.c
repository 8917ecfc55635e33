/*
 * test_integration_doctor.c: what a sandbox costs, measured and said.
 *
 * `isotest doctor` against a private server prints the settings that
 * matter, a figure for each clone strategy and for schema mode, and ends
 * with its recommendation; against a server it cannot reach it exits 2
 * naming it.  A run reports its clone median in the JUnit report, and
 * says that cloning was slow only past the threshold, which
 * ISOTEST_SLOW_CLONE_MS lowers for the test (a private server on tmpfs
 * is never slow).  isotest_session_stats() counts what the library made
 * in each mode.
 *
 * Layout: a small suite; doctor; the run's figure and note; the API.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/strbuf.h"
#include "isotest.h"

#define NCASES 3
#define NOTE "isotest: note: making a sandbox took"
/* A threshold no clone reaches: on a busy machine even a server on tmpfs
   may pass the default 100 ms, so the tests that want no note say so. */
#define NEVER_SLOW "ISOTEST_SLOW_CLONE_MS=600000"

TestSuite(doctor, .fini = itest_teardown, .timeout = 180);

/* A suite with one migration and NCASES cases that read its table. */
static char *make_suite(const char *name)
{
    char *dir = itest_tmpsubdir(name);
    char path[4096];

    snprintf(path, sizeof(path), "%s/migrations", dir);
    cr_assert(mkdir(path, 0755) == 0);
    snprintf(path, sizeof(path), "%s/migrations/001_items.sql", dir);
    itest_write_file(path,
                     "CREATE TABLE items (id int PRIMARY KEY);\n"
                     "INSERT INTO items VALUES (1);\n",
                     0644);
    for (int i = 0; i < NCASES; i++) {
        snprintf(path, sizeof(path), "%s/case_%d.sql", dir, i);
        itest_write_file(path, "SELECT 1 / count(*) FROM items;\n", 0644);
    }
    return dir;
}

static size_t count_of(const char *text, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* A line of doctor's output that starts with `label` and holds "ms". */
static void assert_figure(const char *out, const char *label)
{
    char *line = itest_line_starting(out, label);

    cr_assert(line, "no line '%s' in:\n%s", label, out);
    cr_assert(strstr(line, " ms") && !strstr(line, "not measured"),
              "no figure: '%s'", line);
    free(line);
}

/* ---- doctor ------------------------------------------------------------- */

Test(doctor, measures_a_private_server)
{
    const char *ci = itest_cluster_start();
    char *suite = make_suite("suite");
    char *mig = xasprintf("%s/migrations", suite);
    struct itest_result r;
    static const char *const settings[] = {"  version ",
                                           "  data_directory ",
                                           "  fsync ",
                                           "  synchronous_commit ",
                                           "  full_page_writes ",
                                           "  shared_buffers ",
                                           "  max_connections ",
                                           "  wal_level ",
                                           "  checkpoint_timeout "};

    itest_run(&r,
              ARGV("doctor", "--db", ci, "--migrations", mig, "--cycles", "2"),
              ARGV(NEVER_SLOW));
    itest_assert_exit(&r, 0, "doctor against a private server");
    for (size_t i = 0; i < sizeof(settings) / sizeof(*settings); i++)
        cr_assert(strstr(r.out, settings[i]), "no '%s' in:\n%s", settings[i],
                  r.out);
    /* The helpers' servers live under /dev/shm, and this process may
       read their postmaster.pid. */
    char *dd = itest_line_starting(r.out, "  data_directory ");
    cr_assert(strstr(dd, "(tmpfs)"), "'%s'", dd);
    free(dd);
    assert_figure(r.out, "  database, FILE_COPY");
    assert_figure(r.out, "  database, WAL_LOG");
    assert_figure(r.out, "  schema");
    char *last = itest_last_line(r.out);
    cr_assert(!strncmp(last, "recommended: --isolation ", 25), "'%s'", last);
    cr_assert(strstr(last, " ms per sandbox"), "'%s'", last);
    free(last);
    cr_assert(!strstr(r.out, "slow:"), "a tmpfs server called slow:\n%s",
              r.out);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(mig);
    free(suite);
}

Test(doctor, slow_advice_past_the_threshold)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r, ARGV("doctor", "--db", ci, "--cycles", "1"),
              ARGV("ISOTEST_SLOW_CLONE_MS=0"));
    itest_assert_exit(&r, 0, "doctor with the threshold at 0");
    char *slow = itest_line_starting(r.out, "slow: a sandbox costs ");
    cr_assert(slow, "no advice in:\n%s", r.out);
    free(slow);
    /* fsync is off and the data on tmpfs: neither is advised. */
    cr_assert(!strstr(r.out, "fsync=off (postgres"), "%s", r.out);
    cr_assert(!strstr(r.out, "put it on tmpfs"), "%s", r.out);
    cr_assert(strstr(r.out, "on tmpfs and fsync is off already"), "%s", r.out);
    char *last = itest_last_line(r.out);
    cr_assert(!strncmp(last, "recommended: ", 13), "'%s'", last);
    free(last);
    itest_result_release(&r);
}

Test(doctor, unreachable_server_exits_2)
{
    struct itest_result r;
    static const char db[] = "host=/nonexistent-isotest-doctor port=5999 "
                             "user=postgres connect_timeout=2";

    itest_run(&r, ARGV("doctor", "--db", db), NULL);
    itest_assert_exit(&r, 2, "doctor against no server");
    cr_assert(strstr(r.err, "/nonexistent-isotest-doctor"),
              "the server is not named:\n%s", r.err);
    cr_assert(!strstr(r.out, "recommended:"), "%s", r.out);
    itest_result_release(&r);

    itest_run(&r, ARGV("doctor", "--db", "postgresql://%zz"), NULL);
    itest_assert_exit(&r, 2, "doctor with a bad --db");
    cr_assert(strstr(r.err, "isotest: error: "), "%s", r.err);
    itest_result_release(&r);

    itest_run(&r, ARGV("doctor", "--cycles", "0"), NULL);
    itest_assert_exit(&r, 2, "doctor --cycles 0");
    cr_assert(strstr(r.err, "--cycles"), "%s", r.err);
    itest_result_release(&r);
}

/* ---- the run's figure and note ------------------------------------------ */

static void run_suite(const char *ci, const char *name, const char *junit,
                      const char *const *env, struct itest_result *r)
{
    char *suite = make_suite(name);

    itest_run_db(r, ci, ARGV("-j", "2", "--junit", junit, suite), env);
    itest_assert_exit(r, 0, "the suite");
    free(suite);
}

Test(doctor, run_reports_clone_median)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;
    struct itest_junit jc;

    run_suite(ci, "suite", junit, ARGV(NEVER_SLOW), &r);
    itest_junit_check(junit, &jc);
    char *p50 = itest_junit_property(junit, "isotest.clone_p50_ms");
    cr_assert(p50, "no isotest.clone_p50_ms in the report");
    char *end;
    double v = strtod(p50, &end);
    cr_assert(*end == '\0' && v > 0 && v < 60000, "clone_p50_ms '%s'", p50);
    char *n = itest_junit_property(junit, "isotest.clones");
    cr_assert(n && !strcmp(n, "3"), "isotest.clones '%s'", n ? n : "(none)");
    cr_assert(!strstr(r.err, NOTE), "a note under the threshold:\n%s", r.err);
    free(n);
    free(p50);
    itest_result_release(&r);

    /* The default threshold: a note exactly when the median passes it. */
    run_suite(ci, "suite2", junit, NULL, &r);
    p50 = itest_junit_property(junit, "isotest.clone_p50_ms");
    cr_assert(p50);
    bool slow = strtod(p50, NULL) > 100.0;
    cr_assert_eq(strstr(r.err, NOTE) != NULL, slow,
                 "clone_p50_ms %s, and the note %s:\n%s", p50,
                 slow ? "missing" : "given", r.err);
    free(p50);
    free(junit);
    itest_result_release(&r);
}

Test(doctor, run_says_once_when_slow)
{
    const char *ci = itest_cluster_start();
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    run_suite(ci, "suite", junit, ARGV("ISOTEST_SLOW_CLONE_MS=0"), &r);
    cr_assert_eq(count_of(r.err, NOTE), 1, "the note %zu times:\n%s",
                 count_of(r.err, NOTE), r.err);
    cr_assert(strstr(r.err, "(median of 3 clones)"), "%s", r.err);
    cr_assert(strstr(r.err, "no --db") &&
                  strstr(r.err, "--tmpfs /var/lib/postgresql/data") &&
                  strstr(r.err, "-c fsync=off") &&
                  strstr(r.err, "--isolation schema") &&
                  strstr(r.err, "isotest doctor"),
              "the note does not say what helps:\n%s", r.err);
    itest_result_release(&r);

    /* Schema mode: schemas, and database mode is what helps. */
    char *suite = make_suite("schema-suite");
    itest_run_db(&r, ci, ARGV("--isolation", "schema", "--junit", junit, suite),
                 ARGV("ISOTEST_SLOW_CLONE_MS=0"));
    itest_assert_exit(&r, 0, "the suite in schema mode");
    cr_assert(strstr(r.err, "(median of 3 schemas)"), "%s", r.err);
    cr_assert(strstr(r.err, "database mode"), "%s", r.err);
    free(suite);
    free(junit);
    itest_result_release(&r);
}

/* ---- the API ------------------------------------------------------------ */

/* Open a session on ci, make n sandboxes one after the other, stats. */
static void cycle(const char *ci, enum isotest_isolation mode, int pool, int n,
                  struct isotest_session_stats *st)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_options o = ISOTEST_OPTIONS_INIT;

    o.db = ci;
    o.isolation = mode;
    o.pool = pool;
    o.expected = (size_t)n;
    struct isotest_session *s = isotest_session_open(&o, &e);
    cr_assert(s, "cannot open a session: %s", e.msg);
    for (int i = 0; i < n; i++) {
        struct isotest_sandbox *sb = isotest_sandbox_acquire(s, &e);
        cr_assert(sb, "cannot acquire: %s", e.msg);
        cr_assert(isotest_sandbox_release(sb, 0, NULL, &e) == 0, "%s", e.msg);
    }
    cr_assert(isotest_session_drain(s, &e) == 0, "%s", e.msg);
    /* Still readable once drained, as a run's report reads them. */
    isotest_session_stats(s, st);
    cr_assert(isotest_session_close(s, 0, &e) == 0, "%s", e.msg);
}

Test(doctor, session_stats_count_what_was_made)
{
    const char *ci = itest_cluster_start();
    struct isotest_session_stats st;

    cycle(ci, ISOTEST_DATABASE, 0, 4, &st);
    cr_assert_eq(st.clones, 4);
    cr_assert(st.clone_p50_ms > 0 && st.clone_p50_ms <= st.clone_p95_ms &&
                  st.clone_p95_ms <= st.clone_max_ms &&
                  st.clone_max_ms <= st.clone_total_ms,
              "p50 %.3f p95 %.3f max %.3f total %.3f", st.clone_p50_ms,
              st.clone_p95_ms, st.clone_max_ms, st.clone_total_ms);

    /* The pool's threads clone: what they made counts (no more than
       expected, whatever the pool's size). */
    cycle(ci, ISOTEST_DATABASE, 2, 3, &st);
    cr_assert_eq(st.clones, 3, "%zu clones", st.clones);

    cycle(ci, ISOTEST_SCHEMA, 0, 2, &st);
    cr_assert_eq(st.clones, 2);
    cr_assert(st.clone_p50_ms > 0);

    cycle(ci, ISOTEST_NONE, 0, 2, &st);
    cr_assert_eq(st.clones, 0);
    cr_assert(st.clone_p50_ms == 0 && st.clone_total_ms == 0);
    itest_assert_no_sandboxes(ci);
}
