/*
 * test_integration_backup_restore.c: `isotest backup restore` and the
 * safety of every backup command, against private servers: restores that
 * refuse, take a safety backup, and leave the target as it was when they
 * fail; a CONNECT + SELECT role; a database left byte-identical; a
 * password that shows up nowhere; usage and exit codes.
 *
 * Fixtures and helpers: helpers_backup.h.
 */
#include "helpers.h"
#include "helpers_backup.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

TestSuite(backup_restore, .fini = itest_teardown, .timeout = 240);

/* ---- restore ------------------------------------------------------------ */

Test(backup_restore, restore_refuses_then_replaces_with_a_safety_backup)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *target = bk_new_db(ci, "target", false);
    const char *path = bk_create(shop, bk_sub("backups"), NULL, NULL);

    itest_sql(target, "CREATE TABLE stale (v int); "
                      "INSERT INTO stale VALUES (1), (2)");
    PGconn *busy =
        PQconnectdb(bk_keep(xasprintf("%s application_name=busy-app", target)));
    cr_assert(PQstatus(busy) == CONNECTION_OK);
    const char *out = bk_expect(ARGV("backup", "restore", path, "--db", target),
                                2, "busy-app", "restore without --yes");
    bk_assert_contains(out, "1 table with 2 rows", "refusal");
    bk_assert_contains(out, "--yes", "refusal");
    cr_assert_eq(bk_count_of(target, "SELECT count(*) FROM pg_tables "
                                     "WHERE tablename = 'customers'"),
                 0, "the refused restore changed the target");
    PQfinish(busy);

    out = bk_expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 0,
                    "row counts as in the manifest: 5 tables, 360 rows",
                    "restore --yes");
    const char *safety = bk_printed_path(out, "safety backup of database ");
    cr_assert(access(safety, F_OK) == 0 &&
              access(bk_keep(xasprintf("%s.json", safety)), F_OK) == 0);
    cr_assert_eq(bk_count_of(target, "SELECT count(*) FROM customers"), 100);

    /* Counts that differ from the manifest: how to get back is printed. */
    const char *mpath = bk_keep(xasprintf("%s.json", path));
    char *m = bk_keep(itest_read_file(mpath));
    char *p = strstr(m, "\"name\": \"customers\", \"rows\": 100");
    cr_assert(p);
    memcpy(p + strlen("\"name\": \"customers\", \"rows\": "), "777", 3);
    itest_write_file(mpath, m, 0644);
    out = bk_expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 1,
                    "public.customers: manifest 777 rows, restored 100",
                    "restore with counts that differ");
    bk_assert_contains(out, "isotest backup restore '", "the undo command");
    bk_release_kept();
}

Test(backup_restore, failing_restore_leaves_the_target_unchanged)
{
    const char *ci = itest_cluster_start();
    const char *src = bk_new_db(ci, "src", false);
    const char *target = bk_new_db(ci, "target", true);

    /* A backup naming a role that is gone by the time it is restored. */
    itest_sql(ci, "CREATE ROLE ghost");
    itest_sql(src, "CREATE TABLE haunted (v int); "
                   "INSERT INTO haunted VALUES (1), (2), (3); "
                   "ALTER TABLE haunted OWNER TO ghost");
    const char *path = bk_create(src, bk_sub("backups"), NULL, NULL);
    itest_sql(src, "REASSIGN OWNED BY ghost TO postgres; "
                   "DROP OWNED BY ghost");
    itest_sql(ci, "DROP ROLE ghost");

    const char *before = bk_dump_of(target);
    const char *out =
        bk_expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 1,
                  "role \"ghost\" does not exist", "a restore that fails");
    bk_assert_contains(out, "nothing was changed", "restore failure");
    bk_assert_contains(out, "safety backup of database 'target'", "restore");
    cr_assert_str_eq(bk_dump_of(target), before,
                     "the failed restore changed the target");
    bk_release_kept();
}

/* ---- safety ------------------------------------------------------------- */

Test(backup_restore, read_only_role_can_create_and_verify)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);

    itest_sql(ci, "CREATE ROLE ro LOGIN; "
                  "REVOKE CONNECT ON DATABASE shop FROM PUBLIC; "
                  "GRANT CONNECT ON DATABASE shop TO ro");
    itest_sql(shop, "GRANT USAGE ON SCHEMA extra TO ro; "
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public, extra TO ro; "
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, extra "
                    "TO ro");
    const char *ro = bk_keep(xasprintf("%s user=ro", shop));
    const char *path = bk_create(ro, bk_sub("backups"), NULL, NULL);
    cr_assert_eq(bk_manifest_rows(path, "orders"), 250);
    /* Verify needs no server of the user's: the embedded one. */
    bk_verify(path, NULL, NULL, NULL, NULL, 0, NULL);
    /* On the user's server it needs a role that may create databases. */
    bk_verify(path, ro, NULL, NULL, NULL, 2, "without --db an embedded server");
    bk_release_kept();
}

Test(backup_restore, inspected_database_is_left_byte_identical)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);

    const char *before = bk_dump_of(shop);
    const char *path = bk_create(shop, bk_sub("backups"), NULL, NULL);
    bk_verify(path, ci, NULL, "--check", CHECKS_PASS, 0, NULL);
    cr_assert_str_eq(bk_dump_of(shop), before,
                     "create/verify changed the database");
    bk_release_kept();
}

#define PASSWORD "S3cr3t-Bk/77"
#define PASSWORD_URL "S3cr3t-Bk%2F77"

static const char *url_of(const char *password, const char *db)
{
    return bk_keep(xasprintf("postgresql://postgres:%s@/%s?host=%s&port=5432",
                             password, db, itest_cluster_sockdir()));
}

/* No word of the password in text. */
static void assert_clean(const char *text, const char *what)
{
    static const char *const secrets[] = {PASSWORD, PASSWORD_URL, "S3cr3t"};

    for (size_t k = 0; k < 3; k++)
        cr_assert(!strstr(text, secrets[k]), "%s: '%s' in:\n%s", what,
                  secrets[k], text);
}

/* Nor in any manifest or verdict in dir. */
static void assert_files_clean(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;

    cr_assert(d);
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json"))
            assert_clean(bk_keep(itest_read_file(bk_in_dir(dir, de->d_name))),
                         de->d_name);
    }
    closedir(d);
}

Test(backup_restore, password_is_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    const char *ci_pw = bk_keep(xasprintf("%s password=" PASSWORD, ci));
    const char *dir = bk_sub("backups");
    const char *junit = bk_keep(itest_tmpfile("verify.xml"));

    bk_new_db(ci_pw, "shop", true);
    bk_new_db(ci_pw, "copy", false);
    const char *out =
        bk_expect(ARGV("backup", "create", "--db", url_of(PASSWORD_URL, "shop"),
                       "--dir", dir),
                  0, NULL, "create with a password in the URL");
    assert_clean(out, "create");
    const char *path = bk_printed_path(out, "backup of database ");
    assert_clean(bk_verify(path, url_of(PASSWORD_URL, "postgres"), junit,
                           "--check", CHECKS_PASS, 0, NULL),
                 "verify");
    assert_clean(bk_keep(itest_read_file(junit)), "the JUnit report");
    assert_clean(bk_expect(ARGV("backup", "restore", path, "--db",
                                url_of(PASSWORD_URL, "copy"), "--yes"),
                           0, NULL, "restore with a password in the URL"),
                 "restore");
    assert_clean(
        bk_expect(ARGV("backup", "list", "--dir", dir), 0, NULL, "list"),
        "list");
    assert_files_clean(dir);

    /* A wrong one is not shown either. */
    out = bk_expect(ARGV("backup", "create", "--db",
                         url_of("Wr0ng-Pa55", "shop"), "--dir", dir),
                    2, "password authentication failed", "a wrong password");
    cr_assert(!strstr(out, "Wr0ng"), "the wrong password shown:\n%s", out);
    bk_release_kept();
}

Test(backup_restore, usage_and_exit_codes)
{
    bk_expect(ARGV("backup"), 2, "usage", "backup without a command");
    bk_expect(ARGV("backup", "--help"), 0, "could not verify", "backup --help");
    bk_expect(ARGV("backup", "restore", "--help"), 0, "Exit: 0 restored",
              "restore --help");
    bk_expect(ARGV("backup", "create", "--dir", "."), 2, "--db",
              "create without --db");
    bk_expect(ARGV("backup", "verify"), 2, "no backup given",
              "verify without a file");
    bk_expect(ARGV("backup", "frobnicate"), 2, "unknown backup command",
              "an unknown subcommand");
    bk_release_kept();
}
