/*
 * test_integration_clean.c: `isotest clean` and the sandboxes it keeps or
 * drops.
 *
 *   - --keep-failed keeps a failed case's sandbox (database or schema
 *     mode) and prints a command that opens it; kept sandboxes stay until
 *     older than --keep-age (a day by default), for runs and for clean;
 *   - clean reports a database the role may not drop and drops the rest;
 *     with no server named it reclaims dead runs' embedded folders;
 *   - a daemon a case leaves outside its process group is ended;
 *   - old templates: clean keeps the three newest, and any template a live
 *     run clones from, however old.
 *
 * What clean does with the databases of dead and live runs is in
 * test_integration_reclaim.c.  Each test starts a private server
 * (helpers.h) and passes --db.
 *
 * Fixtures: tests/fixtures/cmd_keep (a passing and a failing script that
 * both create a table), safe_quick (one passing SQL case), safe_user (its
 * *fails case fails), safe_wait (two cases that hold their sandbox until
 * the file $SAFE_RELEASE exists: a live run), strays (a case that starts
 * a daemon).
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define FX FIXTURES "/"
#define QUICK FIXTURES "/safe_quick"
#define USER FIXTURES "/safe_user"
#define WAIT FIXTURES "/safe_wait"
#define PSQL_HINT "sandbox kept; open it with: "

TestSuite(clean, .fini = itest_teardown, .timeout = 180);

/* ---- --keep-failed and isotest clean ------------------------------------ */

/* The psql command printed beside the failure, e.g. "psql -h ... -d db". */
static char *kept_command(const struct itest_result *r)
{
    const char *p = strstr(r->out, PSQL_HINT);

    cr_assert(p, "no '" PSQL_HINT "' in\n%s", r->out);
    p += strlen(PSQL_HINT);
    cr_assert(!strstr(p, PSQL_HINT), "more than one sandbox kept:\n%s", r->out);
    return xstrndup(p, strcspn(p, "\n"));
}

/* The database named by "-d NAME" in the command (checked to be plain). */
static char *kept_db(const char *cmd)
{
    const char *d = strstr(cmd, " -d ");

    cr_assert(d, "no -d in '%s'", cmd);
    d += 4;
    size_t n = strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789_");
    cr_assert(n > 8 && !strncmp(d, "isotest_", 8), "-d '%s'", d);
    return xstrndup(d, n);
}

static char *db_comment(const char *ci, const char *db)
{
    char *sql = xasprintf("SELECT shobj_description(oid, 'pg_database') "
                          "FROM pg_database WHERE datname = '%s'",
                          db); /* db is [a-z0-9_], see kept_db() */
    char *v = itest_sql_value(ci, sql);

    free(sql);
    return v;
}

/* Run with --keep-failed; returns the printed command, sets *db. */
static char *run_keep_failed(const char *ci, const char *mode, char **db)
{
    struct itest_result r;

    itest_run_db(
        &r, ci,
        ARGV("--keep-failed", "--isolation", mode, "-j", "2", FX "cmd_keep"),
        NULL);
    itest_assert_exit(&r, 1, "the run");
    itest_assert_summary(&r, "1 passed, 1 failed, 0 skipped");
    char *cmd = kept_command(&r);
    *db = kept_db(cmd);
    cr_assert_eq(itest_db_count(ci, *db), 1, "database %s is gone", *db);
    char *comment = db_comment(ci, *db);
    cr_assert(comment && !strncmp(comment, "isotest kept at ", 16),
              "comment on %s: %s", *db, comment ? comment : "(none)");
    free(comment);
    itest_result_release(&r);
    return cmd;
}

/*
 * Database mode: only the failed case's database stays; the printed
 * command opens it (the case's table is there); `isotest clean` with the
 * default --keep-age leaves it, being young.
 */
Test(clean, keep_failed_database_mode)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "database", &db);

    /* The passing case's sandbox went; the failed one's alone is left. */
    char *left =
        itest_sql_value(ci, "SELECT string_agg(datname, ', ') FROM pg_database "
                            "WHERE datname LIKE 'isotest\\_%' "
                            "AND datname NOT LIKE 'isotest\\_tpl\\_%'");
    cr_assert_str_eq(left ? left : "", db, "databases left: %s", left);
    free(left);

    char *line = xasprintf("%s -X -q -t -A -c \"SELECT current_database() "
                           "|| ' ' || id FROM kept_marker\"",
                           cmd);
    char *out;
    int code = itest_run_tool(ARGV("/bin/sh", "-c", line), &out, NULL);
    char *expected = xasprintf("%s cmd_keep/fails.sh\n", db);
    cr_assert(code == 0 && !strcmp(out, expected),
              "'%s' exited %d and printed:\n%s\nexpected:\n%s", line, code, out,
              expected);
    free(expected);
    free(out);
    free(line);

    struct itest_result r;
    itest_run(&r, ARGV("clean", "--db", ci, "--dry-run"), NULL);
    itest_assert_exit(&r, 0, "clean");
    cr_assert(strstr(r.out, "1 kept sandbox younger than --keep-age left"),
              "dry run:\n%s", r.out);
    itest_result_release(&r);
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 1, "clean dropped a young kept %s",
                 db);
    free(db);
    free(cmd);
}

/*
 * `isotest clean --keep-age 0` drops a kept sandbox at once; with
 * --dry-run it only names it.
 */
Test(clean, clean_keep_age_zero_drops_kept_sandbox)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "database", &db);
    struct itest_result r;

    itest_run(&r, ARGV("clean", "--db", ci, "--dry-run", "--keep-age", "0"),
              NULL);
    itest_assert_exit(&r, 0, "clean");
    char *line = xasprintf("would drop database %s\n", db);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    free(line);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 1, "--dry-run dropped %s", db);

    itest_run(&r, ARGV("clean", "--db", ci, "--keep-age", "0"), NULL);
    itest_assert_exit(&r, 0, "clean");
    line = xasprintf("dropped database %s\n", db);
    cr_assert(strstr(r.out, line), "no '%s' in\n%s", line, r.out);
    free(line);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, db), 0, "%s is still there", db);
    itest_assert_no_sandboxes(ci);
    free(db);
    free(cmd);
}

/* Schema mode: the command sets PGOPTIONS and lands in the kept schema. */
Test(clean, keep_failed_schema_mode)
{
    const char *ci = itest_cluster_start();
    char *db;
    char *cmd = run_keep_failed(ci, "schema", &db);

    cr_assert(!strncmp(cmd, "PGOPTIONS='-c search_path=", 26),
              "no PGOPTIONS in '%s'", cmd);
    char *line = xasprintf("%s -X -q -t -A -c \"SELECT current_database() "
                           "|| ' ' || id FROM kept_marker\" -c \"SELECT "
                           "current_schema()\"",
                           cmd);
    char *out;
    int code = itest_run_tool(ARGV("/bin/sh", "-c", line), &out, NULL);
    char *expected = xasprintf("%s cmd_keep/fails.sh\n", db);
    cr_assert(code == 0 && !strncmp(out, expected, strlen(expected)),
              "'%s' exited %d and printed:\n%s", line, code, out);
    /* The schema named in PGOPTIONS is where the table is. */
    const char *schema = cmd + 26;
    size_t n = strcspn(schema, ",");
    char *want_schema = xasprintf("%.*s\n", (int)n, schema);
    cr_assert_str_eq(out + strlen(expected), want_schema);
    free(want_schema);
    free(expected);
    free(out);
    free(line);
    free(db);
    free(cmd);
}

/* ---- what clean drops, reports and keeps ----------------------------------
 */

/* Test 8.  A database the role may not drop: reported, the rest dropped. */
Test(clean, clean_reports_what_it_cannot_drop)
{
    const char *ci = itest_cluster_start();
    char *db = xasprintf("host=%s port=5432 user=safe_cleaner",
                         itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE safe_cleaner LOGIN CREATEDB");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_1 OWNER postgres");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0df_1 OWNER safe_cleaner");

    itest_run(&r, ARGV("clean", "--db", db), NULL);
    itest_assert_exit(&r, 1, "clean with a database it may not drop");
    cr_assert(strstr(r.out, "cannot drop database isotest_0badc0de_1") ||
                  strstr(r.err, "cannot drop database isotest_0badc0de_1"),
              "not reported:\n%s\n%s", r.out, r.err);
    cr_assert(strstr(r.out, "dropped database isotest_0badc0df_1\n"),
              "the droppable one is not reported dropped:\n%s", r.out);
    cr_assert_eq(itest_db_count(ci, "isotest\\_0badc0de\\_1"), 1);
    cr_assert_eq(itest_db_count(ci, "isotest\\_0badc0df\\_1"), 0,
                 "the role's own dead database was not dropped");
    itest_result_release(&r);
    free(db);
}

/*
 * With no server named, clean reclaims the embedded servers' folders of
 * dead runs on this machine (here one whose lock nobody holds, made by
 * hand); --dry-run only names it.
 */
Test(clean, clean_without_server_reclaims_dead_embedded_folders)
{
    char dir[] = "/dev/shm/isotest-run-XXXXXX";
    struct itest_result r;

    cr_assert_not_null(mkdtemp(dir));
    char *lock = xasprintf("%s/lock", dir);
    itest_write_file(lock, "", 0600);

    itest_run(&r, ARGV("clean", "--dry-run"), NULL);
    itest_assert_exit(&r, 0, "clean --dry-run without a server");
    /* Another test's run may reclaim it first: then it is simply gone. */
    cr_assert(strstr(r.out, "would remove") && strstr(r.out, "embedded"), "%s",
              r.out);
    itest_result_release(&r);

    itest_run(&r, ARGV("clean"), NULL);
    itest_assert_exit(&r, 0, "clean without a server");
    cr_assert(strstr(r.out, "embedded server folder"), "%s", r.out);
    cr_assert(access(dir, F_OK) < 0, "'%s' was not removed", dir);
    itest_result_release(&r);
    free(lock);
}

/*
 * A case that starts a daemon outside its process group: the run ends it,
 * warns, and notes it on the case.
 */
Test(clean, run_ends_a_daemon_a_case_left)
{
    const char *ci = itest_cluster_start();
    char *pids = itest_tmpfile("pids");
    char *pids_env = xasprintf("CMD_PIDS=%s", pids);
    char *junit = itest_tmpfile("strays.xml");
    struct itest_result r;
    struct itest_case c;

    itest_run_db(&r, ci, ARGV("--junit", junit, FX "strays"), ARGV(pids_env));
    itest_assert_exit(&r, 0, "a run whose case left a daemon");
    itest_assert_pids_gone(pids, 1);
    cr_assert(strstr(r.err, "outlived its case: ended"), "%s", r.err);
    itest_junit_case(junit, "daemon.sh", &c);
    cr_assert(strstr(c.err, "(sleep), started in sandbox isotest_"),
              "not noted on the case: '%s'", c.err);
    itest_case_release(&c);
    itest_result_release(&r);
    free(junit);
    free(pids_env);
    free(pids);
}

/* The PG* variables name the server for clean (and reclaim) too. */
Test(clean, clean_with_pg_environment)
{
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_7");
    itest_run(&r, ARGV("clean"), ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    itest_assert_exit(&r, 0, "clean with PGHOST");
    cr_assert(strstr(r.out, "dropped database isotest_0badc0de_7\n"), "%s",
              r.out);
    itest_result_release(&r);

    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_8");
    itest_run(&r, ARGV("run", "--no-history", QUICK),
              ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    itest_assert_exit(&r, 0, "run with PGHOST");
    cr_assert(strstr(r.err, "dropped database isotest_0badc0de_8\n"), "%s",
              r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
    free(host);
}

/*
 * --keep-failed sandboxes stay until older than --keep-age (a day by
 * default), for runs and for clean; older ones go.
 */
Test(clean, kept_sandboxes_and_keep_age)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--keep-failed", "--no-history",
                   "--filter", "*fails", USER),
              NULL);
    itest_assert_exit(&r, 1, "run --keep-failed");
    itest_result_release(&r);
    char *kept = itest_sql_value(
        ci, "SELECT datname FROM pg_database WHERE datname ~ "
            "'^isotest_[0-9a-f]{8}_[0-9]+$' AND shobj_description(oid, "
            "'pg_database') LIKE 'isotest kept at %'");
    cr_assert(kept, "no kept sandbox: %s", itest_db_names(ci, "isotest%"));

    /* An old kept one, as a run of two days ago would have left it. */
    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_3");
    char *old = itest_sql_value(
        ci, "SELECT 'COMMENT ON DATABASE isotest_0badc0de_3 IS ''isotest "
            "kept at ' || (extract(epoch FROM now())::bigint - 172800) || "
            "''''");
    itest_sql(ci, old);
    free(old);

    itest_run(&r, ARGV("run", "--db", ci, "--no-history", QUICK), NULL);
    itest_assert_exit(&r, 0, "the next run");
    cr_assert(strstr(r.err, "dropped database isotest_0badc0de_3\n"),
              "the old kept sandbox was not reclaimed:\n%s", r.err);
    cr_assert(!strstr(r.err, kept), "a young kept sandbox was reclaimed:\n%s",
              r.err);
    itest_result_release(&r);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    cr_assert(!strstr(r.out, kept), "clean dropped a young kept sandbox:\n%s",
              r.out);
    cr_assert(strstr(r.out, "1 kept sandbox younger than --keep-age left"),
              "%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, kept), 1);

    /* Kept two minutes ago (no sleeping here: the comment is moved back). */
    char *sql =
        xasprintf("SELECT 'COMMENT ON DATABASE %s IS ''isotest kept at ' || "
                  "(extract(epoch FROM now())::bigint - 120) || ''''",
                  kept);
    char *comment = itest_sql_value(ci, sql);
    itest_sql(ci, comment);
    free(comment);
    free(sql);
    itest_run(&r, ARGV("clean", "--db", ci, "--keep-age", "3600"), NULL);
    itest_assert_exit(&r, 0, "clean --keep-age 3600");
    cr_assert(!strstr(r.out, kept), "dropped before --keep-age:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, kept), 1);

    itest_run(&r, ARGV("clean", "--db", ci, "--keep-age", "60"), NULL);
    itest_assert_exit(&r, 0, "clean --keep-age 60");
    char *line = xasprintf("dropped database %s\n", kept);
    cr_assert(strstr(r.out, line), "'%s' not in\n%s", line, r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, kept), 0);
    itest_assert_no_sandboxes(ci);
    free(line);
    free(kept);
}

/* ---- old templates ------------------------------------------------------ */

/* Five suites with different migrations; their template names, oldest first. */
static void build_five_templates(const char *ci, char *names[5])
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (int i = 0; i < 5; i++) {
        char *suite = xasprintf("%s/suite%d", itest_tmpdir(), i + 1);
        char *mig = xasprintf("%s/migrations", suite);
        cr_assert(fs_mkdirs(mig, 0755, &e) == 0, "%s", e.msg);
        char *path = xasprintf("%s/001_t.sql", mig);
        char *sql = xasprintf("CREATE TABLE t%d (x integer);\n", i + 1);
        itest_write_file(path, sql, 0644);
        free(path);
        free(sql);
        path = xasprintf("%s/ok.sql", suite);
        itest_write_file(path, "SELECT 1;\n", 0644);
        free(path);
        char *junit = xasprintf("%s/report.xml", suite);

        struct itest_result r;
        itest_run(
            &r,
            ARGV("run", "--db", ci, "--no-history", "--junit", junit, suite),
            NULL);
        itest_assert_exit(&r, 0, suite);
        itest_result_release(&r);
        names[i] = itest_junit_property(junit, "isotest.template_name");
        cr_assert(names[i]);
        free(junit);
        free(mig);
        free(suite);
    }
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 5, "%s",
                 itest_db_names(ci, "isotest\\_tpl\\_%"));
}

static void assert_templates(const char *ci, char *names[5], const int *want,
                             size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    char *sorted[5];
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        sorted[k++] = names[want[i]];
    /* itest_db_names lists them by name. */
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++)
            if (strcmp(sorted[j], sorted[i]) < 0) {
                char *t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
    for (size_t i = 0; i < k; i++)
        strbuf_addf(&sb, "%s%s", i ? ", " : "", sorted[i]);
    char *have = itest_db_names(ci, "isotest\\_tpl\\_%");
    cr_assert_str_eq(have, sb.buf, "templates left: %s\nexpected: %s", have,
                     sb.buf);
    free(have);
    strbuf_release(&sb);
}

/* Test 9.  clean keeps the three newest templates. */
Test(clean, clean_keeps_three_newest_templates)
{
    const char *ci = itest_cluster_start();
    char *names[5];
    struct itest_result r;

    build_five_templates(ci, names);
    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean --dry-run");
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 5,
                 "clean --dry-run dropped templates");

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    for (int i = 0; i < 2; i++) {
        char *line = xasprintf("dropped template %s\n", names[i]);
        cr_assert(strstr(r.out, line), "'%s' not in\n%s", line, r.out);
        free(line);
    }
    itest_result_release(&r);
    assert_templates(ci, names, (const int[]){2, 3, 4}, 3);
    for (int i = 0; i < 5; i++)
        free(names[i]);
}

/* A template that a live run clones from stays, however old. */
Test(clean, clean_keeps_template_of_live_run)
{
    const char *ci = itest_cluster_start();
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("SAFE_RELEASE=%s", release);
    char *names[5];
    struct itest_result r;
    struct itest_bg live;

    build_five_templates(ci, names);
    /* A live run on the oldest template (suite1's migrations). */
    char *mig = xasprintf("%s/suite1/migrations", itest_tmpdir());
    char *junit = itest_tmpfile("live.xml");
    itest_bg_start(&live, "live",
                   ARGV("run", "--db", ci, "-j", "2", "--no-history", "--junit",
                        junit, "--migrations", mig, WAIT),
                   ARGV(release_env));
    char *id = itest_wait_for_sandboxes(ci, &live, "", 2);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean during a live run");
    cr_assert(!strstr(r.out, names[0]), "the live run's template went:\n%s",
              r.out);
    itest_result_release(&r);
    assert_templates(ci, names, (const int[]){0, 2, 3, 4}, 4);

    itest_write_file(release, "", 0644);
    itest_bg_finish(&live, &r);
    itest_assert_exit(&r, 0, "the live run");
    itest_result_release(&r);
    char *used = itest_junit_property(junit, "isotest.template_name");
    cr_assert_str_eq(used ? used : "", names[0]);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "clean after the live run");
    itest_result_release(&r);
    assert_templates(ci, names, (const int[]){2, 3, 4}, 3);
    itest_assert_no_sandboxes(ci);

    itest_bg_release(&live);
    for (int i = 0; i < 5; i++)
        free(names[i]);
    free(used);
    free(id);
    free(junit);
    free(mig);
    free(release_env);
    free(release);
}
