/*
 * test_integration_backup.c: `isotest backup create|verify|restore|list`
 * against private servers: a backup and its manifest, verification into a
 * sandbox with a JUnit case per check and per table, row counts taken in
 * the dump's snapshot while rows are being inserted, pruning that spares
 * what is not provably isotest's, damaged backups and their exit codes,
 * (restores and safety: test_integration_backup_restore.c).
 *
 * Fixtures: backup_shop/seed.sql (five tables, 360 rows, one owned by
 * role backup_app); backup_checks/pass and backup_checks/fail (--check
 * cases, TAP by hand).
 *
 * Helpers: helpers_backup.h.  Layout: create and verify; damage.
 */
#include "helpers.h"
#include "helpers_backup.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/strbuf.h"

TestSuite(backup, .fini = itest_teardown, .timeout = 240);

/* ---- create and verify -------------------------------------------------- */

Test(backup, create_then_verify)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *junit = bk_keep(itest_tmpfile("verify.xml"));
    const char *path = bk_create(shop, bk_sub("backups"), NULL, NULL);
    struct itest_junit jc;
    struct itest_case c;

    const char *base = strrchr(path, '/') + 1;
    cr_assert(!strncmp(base, "shop_backup_", 12) && strlen(base) == 32 &&
                  !strcmp(base + 27, ".dump"),
              "unexpected name '%s'", base);
    const char *mpath = bk_keep(xasprintf("%s.json", path));
    bk_tool(ARGV("python3", "-c",
                 "import json,sys; json.load(open(sys.argv[1]))", mpath));
    cr_assert_eq(bk_manifest_rows(path, "customers"), 100);
    cr_assert_eq(bk_manifest_rows(path, "Odd Name"), 3);
    cr_assert_eq(bk_manifest_rows(path, "empty_table"), 0);

    bk_verify(path, ci, junit, "--check", CHECKS_PASS, 0, NULL);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, FIXED_CASES + SEED_TABLES + 2);
    cr_assert_eq(jc.failures + jc.errors + jc.skipped, 0);
    itest_junit_case(junit, "public.customers", &c);
    bk_assert_contains(c.out, "manifest 100 rows, restored 100 rows", "junit");
    itest_case_release(&c);
    itest_junit_case(junit, "extra.Odd Name", &c);
    bk_assert_contains(c.out, "manifest 3 rows, restored 3 rows", "junit");
    itest_case_release(&c);
    itest_assert_case(junit, "01_counts.sql", "passed", NULL);
    itest_assert_no_sandboxes(ci);
    const char *vpath = bk_keep(xasprintf("%s.verified.json", path));
    bk_assert_contains(bk_keep(itest_read_file(vpath)),
                       "\"result\": \"passed\"", "verdict");

    /* A failing --check case fails the verification. */
    bk_verify(path, ci, junit, "--check", CHECKS_FAIL, 1, NULL);
    itest_assert_case(junit, "01_wrong_count.sql", "failure",
                      "expected 101 customers, found 100");
    itest_assert_no_sandboxes(ci);
    bk_release_kept();
}

Test(backup, plain_and_directory_formats)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *dir = bk_sub("backups");

    const char *plain = bk_create(shop, dir, "--format", "plain");
    cr_assert(strstr(plain, ".sql.gz"), "plain backup named '%s'", plain);
    bk_tool(ARGV("gzip", "-t", plain));
    /* The embedded server lacks backup_app, which the SQL names. */
    bk_verify(plain, NULL, NULL, "--check", CHECKS_PASS, 0,
              "role 'backup_app' created");

    const char *out = bk_expect(ARGV("backup", "create", "--db", shop, "--dir",
                                     dir, "--format", "directory", "-j", "2"),
                                0, NULL, "create --format directory -j 2");
    const char *dpath = bk_printed_path(out, "backup of database ");
    struct stat st;
    cr_assert(stat(dpath, &st) == 0 && S_ISDIR(st.st_mode));
    bk_verify(dpath, ci, NULL, "-j", "2", 0, NULL);

    bk_expect(ARGV("backup", "create", "--db", shop, "--dir", dir, "-j", "2"),
              2, "--format directory", "-j without --format directory");
    itest_assert_no_sandboxes(ci);
    bk_release_kept();
}

/* A child inserting rows, one a transaction, until it is killed. */
static pid_t start_writer(const char *dci, const char *sql)
{
    fflush(NULL);
    pid_t pid = fork();

    cr_assert(pid >= 0, "fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        PGconn *c = PQconnectdb(dci);
        for (long k = 0; k < 10000000 && PQstatus(c) == CONNECTION_OK; k++)
            PQclear(PQexec(c, sql));
        _exit(0);
    }
    return pid;
}

Test(backup, counts_agree_while_rows_are_inserted)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    static const char count_sql[] = "SELECT count(*) FROM events";

    /* Enough data that the dump takes a while. */
    itest_sql(shop, "CREATE TABLE events (id bigserial PRIMARY KEY, "
                    "payload text); "
                    "INSERT INTO events (payload) SELECT repeat(md5(g::text), "
                    "8) FROM generate_series(1, 150000) g");
    pid_t w = start_writer(shop, "INSERT INTO events (payload) VALUES "
                                 "(repeat('x', 200)); "
                                 "INSERT INTO customers (name) VALUES ('w')");
    long long n0 = 0;
    for (int k = 0; k < 500 && n0 <= 150050; k++) {
        n0 = bk_count_of(shop, count_sql);
        itest_sleep_ms(10);
    }
    const char *path = bk_create(shop, bk_sub("backups"), NULL, NULL);
    long long n1 = bk_count_of(shop, count_sql);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);

    long long m = bk_manifest_rows(path, "events");
    cr_assert(m > n0 && m < n1,
              "the manifest's count %lld is not between %lld (before) and "
              "%lld (after): rows were not inserted during the backup",
              m, n0, n1);
    cr_assert_gt(bk_manifest_rows(path, "customers"), 100);
    /* The dump holds exactly the rows the manifest counted. */
    bk_verify(path, ci, NULL, NULL, NULL, 0, NULL);
    bk_release_kept();
}

Test(backup, keep_prunes_only_its_own_backups)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *dir = bk_sub("backups");
    /* Look like backups of shop, but nothing proves they are isotest's. */
    static const char *const foreign[] = {
        "shop_backup_20000101_000000.dump", "shop_backup_20000101_000001.dump",
        "other_backup_20000101_000000.dump", "shop_backup_old.dump",
        "shop_backup_20000101_000001.dump.json"};
    for (size_t k = 0; k < 4; k++)
        itest_write_file(bk_in_dir(dir, foreign[k]), "not isotest's\n", 0644);
    itest_write_file(bk_in_dir(dir, foreign[4]),
                     "{\"kind\": \"isotest-backup\", \"file\": \"x.dump\"}\n",
                     0644);

    const char *first = bk_create(shop, dir, "--keep", "2");
    const char *second = bk_create(shop, dir, "--keep", "2");
    const char *out = bk_expect(
        ARGV("backup", "create", "--db", shop, "--dir", dir, "--keep", "2"), 0,
        "deleted", "third create");
    const char *third = bk_printed_path(out, "backup of database ");

    cr_assert(access(first, F_OK) != 0, "'%s' was not pruned", first);
    cr_assert(access(bk_keep(xasprintf("%s.json", first)), F_OK) != 0,
              "the pruned backup's manifest was left");
    cr_assert(access(second, F_OK) == 0 && access(third, F_OK) == 0);
    for (size_t k = 0; k < 5; k++)
        cr_assert(access(bk_in_dir(dir, foreign[k]), F_OK) == 0,
                  "'%s' was deleted", foreign[k]);
    bk_assert_contains(out, "left", "third create names what it spared");
    bk_release_kept();
}

/* ---- damage ------------------------------------------------------------- */

/* A copy of the backup (and, with manifest, its manifest) in a new folder. */
static const char *copy_backup(const char *path, const char *name,
                               bool manifest)
{
    const char *to = bk_in_dir(bk_sub(name), strrchr(path, '/') + 1);

    bk_tool(ARGV("cp", "-a", path, to));
    if (manifest)
        bk_tool(ARGV("cp", bk_keep(xasprintf("%s.json", path)),
                     bk_keep(xasprintf("%s.json", to))));
    return to;
}

Test(backup, damaged_backups_fail_with_their_reason)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *path = bk_create(shop, bk_sub("backups"), NULL, NULL);
    const char *junit = bk_keep(itest_tmpfile("damaged.xml"));
    struct stat st;

    cr_assert(stat(path, &st) == 0);
    const char *t = copy_backup(path, "truncated", true);
    cr_assert(truncate(t, st.st_size / 2) == 0);
    bk_verify(t, ci, junit, NULL, NULL, 1, "truncated?");
    itest_assert_case(junit, "restore", "skipped", "not attempted");

    const char *f = copy_backup(path, "flipped", true);
    bk_flip_byte(f, 7);
    bk_verify(f, ci, junit, NULL, NULL, 1, "the manifest says");
    itest_assert_case(junit, "checksum", "failure", "SHA-256");

    /* Without a manifest, the restore catches it: pg_restore's words. */
    const char *fn = copy_backup(path, "flipped-alone", false);
    bk_flip_byte(fn, 7);
    bk_verify(fn, ci, junit, NULL, NULL, 1, "could not uncompress data");
    itest_assert_case(junit, "restore", "failure", "pg_restore");

    const char *alone = copy_backup(path, "alone", false);
    bk_verify(alone, ci, junit, NULL, NULL, 2, "no manifest");
    itest_assert_case(junit, "checksum", "skipped", "no manifest");
    itest_assert_case(junit, "restore", "passed", NULL);
    itest_assert_case(junit, "public.customers", "skipped", "restored 100");

    const char *garbage = bk_in_dir(bk_sub("garbage"), "shop_backup_x.dump");
    itest_write_file(garbage, "this is not a pg_dump archive\n", 0644);
    bk_verify(garbage, ci, junit, NULL, NULL, 1,
              "does not appear to be a valid archive");
    bk_verify(bk_in_dir(bk_sub("none"), "missing.dump"), ci, junit, NULL, NULL,
              2, "No such file");
    itest_assert_case(junit, "signature", "error", "No such file");
    itest_assert_no_sandboxes(ci);
    bk_release_kept();
}

Test(backup, list_shows_the_last_verification)
{
    const char *ci = itest_cluster_start();
    const char *shop = bk_new_db(ci, "shop", true);
    const char *dir = bk_sub("backups");
    const char *path = bk_create(shop, dir, NULL, NULL);
    const char *base = strrchr(path, '/') + 1;
    static const char *const want[] = {"never verified", "passed", "failed"};

    itest_write_file(bk_in_dir(dir, "shop_backup_20000101_000000.dump"),
                     "foreign\n", 0644);
    for (int k = 0; k < 3; k++) {
        if (k == 1)
            bk_verify(path, ci, NULL, NULL, NULL, 0, NULL);
        if (k == 2) {
            bk_flip_byte(path, 7);
            bk_verify(path, ci, NULL, NULL, NULL, 1, NULL);
        }
        const char *out =
            bk_expect(ARGV("backup", "list", "--dir", dir), 0, NULL, "list");
        char *line = bk_keep(itest_line_starting(out, base));
        cr_assert(line && strstr(line, want[k]) && strstr(line, "custom"),
                  "no '%s' for %s in:\n%s", want[k], base, out);
        line = bk_keep(itest_line_starting(out, "shop_backup_20000101_000000"));
        cr_assert(line && strstr(line, "no manifest"), "%s", out);
    }
    bk_release_kept();
}
