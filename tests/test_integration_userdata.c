/*
 * test_integration_userdata.c: isotest pointed at a server that holds the
 * user's own data.
 *
 *   - --db names the user's database: that database, postgres, template1,
 *     the roles and the settings are byte for byte the same (pg_dump and
 *     the catalog) after runs in every mode, passing, failing, timing out
 *     and killed, and after `isotest clean`;
 *   - a --db naming a database that does not exist still works, and that
 *     database is not created;
 *   - a role without CREATEDB: exit 2 and the statement that fixes it.
 *
 * Each test starts a private server (helpers.h) and passes --db.
 *
 * Fixtures (tests/fixtures/safe_*):
 *   safe_quick            one passing SQL case, no migrations
 *   safe_user             cases that change, fail on or hang over objects
 *                         named like those of the user's database
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

#define QUICK FIXTURES "/safe_quick"
#define USER FIXTURES "/safe_user"

#define PG_DUMP "/usr/lib/postgresql/15/bin/pg_dump"

TestSuite(userdata, .fini = itest_teardown, .timeout = 180);

#define USERDATA_SETUP                                                         \
    "CREATE SEQUENCE invoice_no START 100; "                                   \
    "SELECT nextval('invoice_no'), nextval('invoice_no'); "                    \
    "CREATE TABLE accounts (id integer PRIMARY KEY, name text NOT NULL, "      \
    "  balance numeric(10, 2) NOT NULL DEFAULT 0); "                           \
    "INSERT INTO accounts VALUES (1, 'Ada', 10.50), (2, 'Grace', 20.00); "     \
    "COMMENT ON TABLE accounts IS 'the user''s accounts'; "                    \
    "CREATE VIEW account_names AS SELECT name FROM accounts; "                 \
    "CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql "             \
    "  AS 'SELECT count(*) FROM accounts'; "                                   \
    "GRANT SELECT ON accounts, account_names TO safe_app; "                    \
    "GRANT USAGE ON SEQUENCE invoice_no TO safe_app; "                         \
    "REVOKE EXECUTE ON FUNCTION account_count() FROM PUBLIC; "                 \
    "GRANT EXECUTE ON FUNCTION account_count() TO safe_app"

#define USERDATA_DB_SETUP                                                      \
    "ALTER DATABASE userdata SET work_mem TO '3MB'; "                          \
    "ALTER ROLE safe_app IN DATABASE userdata SET search_path TO public; "     \
    "REVOKE CONNECT ON DATABASE userdata FROM PUBLIC; "                        \
    "GRANT CONNECT ON DATABASE userdata TO safe_app; "                         \
    "COMMENT ON DATABASE userdata IS 'the user''s data'"

/* Everything about the server that isotest must not change, as text. */
static char *server_state(const char *ci)
{
    const char *sock = itest_cluster_sockdir();
    static const char *const dbs[] = {"userdata", "postgres", "template1"};
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < 3; i++) {
        char *dump, *err;
        /* A fixed \restrict key: pg_dump 15.14+ draws a random one. */
        int code = itest_run_tool(
            ARGV(PG_DUMP, "--create", "--restrict-key=isotestsafety", "-h",
                 sock, "-p", "5432", "-U", "postgres", "-d", dbs[i]),
            &dump, &err);
        cr_assert_eq(code, 0, "pg_dump %s failed:\n%s", dbs[i], err);
        strbuf_addf(&sb, "== pg_dump %s\n%s", dbs[i], dump);
        free(dump);
        free(err);
    }
    static const char *const lists[] = {
        "SELECT datname, datacl, datallowconn, datconnlimit, datistemplate, "
        "pg_get_userbyid(datdba), shobj_description(oid, 'pg_database') "
        "FROM pg_database WHERE datname NOT LIKE 'isotest%' ORDER BY 1",
        "SELECT rolname, rolcreatedb, rolsuper, rolcanlogin FROM pg_roles "
        "ORDER BY 1",
        "SELECT coalesce(d.datname, '(all)'), coalesce(r.rolname, '(all)'), "
        "s.setconfig FROM pg_db_role_setting s "
        "LEFT JOIN pg_database d ON d.oid = s.setdatabase "
        "LEFT JOIN pg_roles r ON r.oid = s.setrole "
        "WHERE d.datname IS NULL OR d.datname NOT LIKE 'isotest%' "
        "ORDER BY 1, 2"};
    for (size_t i = 0; i < 3; i++) {
        char *t = itest_sql_rows(ci, lists[i]);
        strbuf_addf(&sb, "== %s\n%s", lists[i], t);
        free(t);
    }
    return strbuf_detach(&sb, NULL);
}

static void assert_state_unchanged(const char *ci, const char *before,
                                   const char *after_what)
{
    char *now = server_state(ci);

    if (strcmp(now, before)) {
        char *a = itest_tmpfile("state.before"),
             *b = itest_tmpfile("state.now");
        itest_write_file(a, before, 0644);
        itest_write_file(b, now, 0644);
        char *diff, *err;
        itest_run_tool(ARGV("/usr/bin/diff", "-u", a, b), &diff, &err);
        cr_assert_fail("the server changed after %s:\n%s", after_what, diff);
    }
    free(now);
}

/*
 * Test 4.  --db names the user's database: every mode, passing, failing,
 * timing out and killed, then a clean -- the user's database, the
 * maintenance databases, roles and settings are byte for byte the same.
 */
Test(userdata, untouched_user_database)
{
    static const char *const modes[] = {"database", "schema", "none"};
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE safe_app NOLOGIN");
    itest_sql(ci, "CREATE DATABASE userdata");
    char *user_ci = xasprintf("%s dbname=userdata", ci);
    itest_sql(user_ci, USERDATA_SETUP);
    itest_sql(ci, USERDATA_DB_SETUP);
    char *before = server_state(ci);
    char *killed[4] = {NULL, NULL, NULL, NULL};
    cr_assert(strstr(before, "Grace") && strstr(before, "work_mem=3MB"),
              "the snapshot misses the user's data:\n%s", before);

    for (size_t i = 0; i < 3; i++) {
        char *what;
        /* One pass, one failure, one timeout. */
        itest_run(&r,
                  ARGV("run", "--db", user_ci, "--isolation", modes[i], "-j",
                       "2", "--timeout", "1", "--no-history", USER),
                  NULL);
        what = xasprintf("a %s-mode run", modes[i]);
        itest_assert_exit(&r, 1, what);
        cr_assert(strstr(r.out, "1 passed, 1 failed, 0 skipped, 1 timed out\n"),
                  "%s:\n%s\n%s", what, r.out, r.err);
        cr_assert(strstr(r.err, "maintenance database 'postgres'"),
                  "%s: no note on the database used:\n%s", what, r.err);
        itest_result_release(&r);
        assert_state_unchanged(ci, before, what);
        free(what);

        /* Killed while a case hangs in its sandbox. */
        struct itest_bg k;
        itest_bg_start(&k, modes[i],
                       ARGV("run", "--db", user_ci, "--isolation", modes[i],
                            "--no-history", "--filter", "*sleeps", USER),
                       NULL);
        killed[i] = itest_wait_for_run(ci, &k, (const char **)killed, 1,
                                       "pg_sleep(30)");
        itest_bg_kill(&k);
        itest_bg_release(&k);
        itest_wait_lock_released(ci, killed[i]);
        what = xasprintf("a %s-mode run killed mid-run", modes[i]);
        assert_state_unchanged(ci, before, what);
        free(what);
    }
    itest_run(&r, ARGV("clean", "--db", user_ci), NULL);
    itest_assert_exit(&r, 0, "clean");
    itest_result_release(&r);
    assert_state_unchanged(ci, before, "isotest clean");
    itest_assert_no_sandboxes(ci);

    for (size_t i = 0; i < 3; i++)
        free(killed[i]);
    free(before);
    free(user_ci);
}

/* Test 5.  A --db naming a database that does not exist still works. */
Test(userdata, url_database_that_does_not_exist)
{
    const char *ci = itest_cluster_start();
    char *kv = xasprintf("%s dbname=no_such_db", ci);
    char *url = xasprintf("postgresql:///no_such_db?host=%s&port=5432"
                          "&user=postgres",
                          itest_cluster_sockdir());
    const char *dbs[] = {kv, url};
    struct itest_result r;

    for (int i = 0; i < 2; i++) {
        itest_run(&r, ARGV("run", "--db", dbs[i], "--no-history", QUICK), NULL);
        itest_assert_exit(&r, 0, dbs[i]);
        cr_assert(strstr(r.err, "'no_such_db'") &&
                      strstr(r.err, "maintenance database 'postgres'"),
                  "no note naming no_such_db and the maintenance database "
                  "'postgres':\n%s",
                  r.err);
        itest_result_release(&r);
    }
    cr_assert_eq(itest_db_count(ci, "no\\_such\\_db"), 0,
                 "isotest created the URL's database");
    itest_assert_no_sandboxes(ci);
    free(kv);
    free(url);
}

/* Test 6.  A role that may not create databases: exit 2 and the fix. */
Test(userdata, role_without_createdb)
{
    const char *ci = itest_cluster_start();
    char *db = xasprintf("host=%s port=5432 user=safe_nocreatedb",
                         itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE safe_nocreatedb LOGIN NOCREATEDB");
    itest_run(&r, ARGV("run", "--db", db, "--no-history", QUICK), NULL);
    itest_assert_exit(&r, 2, "run as a role without CREATEDB");
    cr_assert(strstr(r.err, "ALTER ROLE safe_nocreatedb CREATEDB"),
              "no 'ALTER ROLE safe_nocreatedb CREATEDB' in\n%s", r.err);
    cr_assert_eq(itest_db_count(ci, "isotest%"), 0, "created: %s",
                 itest_db_names(ci, "isotest%"));
    itest_result_release(&r);
    free(db);
}
