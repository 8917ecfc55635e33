/*
 * test_integration_backup.c: `isotest backup create|verify|restore|list`
 * against private servers: a backup and its manifest, verification into a
 * sandbox with a JUnit case per check and per table, row counts taken in
 * the dump's snapshot while rows are being inserted, pruning that spares
 * what is not provably isotest's, damaged backups and their exit codes,
 * restores that refuse, take a safety backup, and leave the target as it
 * was when they fail, a CONNECT + SELECT role, a database left
 * byte-identical, and a password that shows up nowhere.
 *
 * Fixtures: backup_shop/seed.sql (five tables, 360 rows, one owned by
 * role backup_app); backup_checks/pass and backup_checks/fail (--check
 * cases, TAP by hand).
 *
 * The strings a test makes are kept (keep()) and freed together at its
 * end (release_kept()).  Layout: helpers; create and verify; damage;
 * restore; safety.
 */
#include "helpers.h"

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

#define SEED FIXTURES "/backup_shop/seed.sql"
#define CHECKS_PASS FIXTURES "/backup_checks/pass"
#define CHECKS_FAIL FIXTURES "/backup_checks/fail"
/* Cases verify always has: manifest, signature, checksum, restore,
   tables, sandbox dropped; and the seed's tables. */
#define FIXED_CASES 6
#define SEED_TABLES 5

TestSuite(backup, .fini = itest_teardown, .timeout = 240);

/* ---- helpers ------------------------------------------------------------ */

static char *kept[128];
static size_t nkept;

static char *keep(char *s)
{
    cr_assert(nkept < sizeof(kept) / sizeof(*kept), "keep(): too many");
    return kept[nkept++] = s;
}

static void release_kept(void)
{
    while (nkept)
        free(kept[--nkept]);
}

static const char *sub(const char *name)
{
    return keep(itest_tmpsubdir(name));
}

static void assert_contains(const char *text, const char *needle,
                            const char *what)
{
    cr_assert(strstr(text, needle), "%s: no '%s' in:\n%s", what, needle, text);
}

/*
 * Run isotest with args, assert its exit code and, unless NULL, that
 * `needle` is on its stdout or stderr.  Its stdout and stderr, joined
 * (kept).
 */
static const char *expect(const char *const *args, int code, const char *needle,
                          const char *what)
{
    struct itest_result r;

    itest_run(&r, args, NULL);
    itest_assert_exit(&r, code, what);
    char *both = keep(xasprintf("%s\n%s", r.out, r.err));
    if (needle)
        assert_contains(both, needle, what);
    itest_result_release(&r);
    return both;
}

/* Create database `db` on ci (with the seed in it); its conninfo. */
static const char *new_db(const char *ci, const char *db, bool seed)
{
    char *sql = xasprintf("CREATE DATABASE %s", db);
    const char *dci = keep(xasprintf("%s dbname=%s", ci, db));

    itest_sql(ci, sql);
    if (seed) {
        char *text = itest_read_file(SEED);
        itest_sql(dci, text);
        free(text);
    }
    free(sql);
    return dci;
}

/* The path on the line "LEAD...': PATH" of out (kept). */
static const char *printed_path(const char *out, const char *lead)
{
    char *line = itest_line_starting(out, lead);

    cr_assert(line, "no line '%s...' in:\n%s", lead, out);
    char *p = strstr(line, "': ");
    cr_assert(p, "no path in '%s'", line);
    const char *path = keep(xstrdup(p + 3));
    free(line);
    return path;
}

/* `backup create --db dci --dir dir` plus up to two more arguments. */
static const char *create(const char *dci, const char *dir, const char *a1,
                          const char *a2)
{
    const char *out =
        expect(ARGV("backup", "create", "--db", dci, "--dir", dir, a1, a2), 0,
               NULL, "backup create");
    return printed_path(out, "backup of database ");
}

/* `backup verify path` with --db ci and --junit unless NULL, and more. */
static const char *verify(const char *path, const char *ci, const char *junit,
                          const char *more, const char *val, int code,
                          const char *needle)
{
    const char *args[12] = {"backup", "verify", path};
    size_t n = 3;
    const char *opt[3][2] = {{"--db", ci}, {"--junit", junit}, {more, val}};

    for (int k = 0; k < 3; k++)
        if (opt[k][0] && opt[k][1]) {
            args[n++] = opt[k][0];
            args[n++] = opt[k][1];
        }
    return expect(args, code, needle, path);
}

/* The manifest's row count of table `name`, as create writes it. */
static long long manifest_rows(const char *backup, const char *name)
{
    char *text = keep(itest_read_file(keep(xasprintf("%s.json", backup))));
    char *key = keep(xasprintf("\"name\": \"%s\", \"rows\": ", name));
    char *p = strstr(text, key);

    cr_assert(p, "no table '%s' in the manifest:\n%s", name, text);
    return strtoll(p + strlen(key), NULL, 10);
}

/* Run a program (not isotest) that must succeed; its output (kept). */
static const char *tool(const char *const *argv)
{
    char *out;
    int rc = itest_run_tool(argv, &out, NULL);

    cr_assert_eq(rc, 0, "'%s %s' failed: %s", argv[0], argv[1], out);
    return keep(out);
}

/* pg_dump -Fp of a database, without pg_dump's per-run \restrict keys. */
static char *dump_of(const char *dci)
{
    const char *out = tool(ARGV("pg_dump", "-d", dci));
    struct strbuf sb = STRBUF_INIT;

    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, "\\restrict ", 10) && strncmp(p, "\\unrestrict ", 12))
            strbuf_add(&sb, p, len);
        p += len;
    }
    return keep(strbuf_detach(&sb, NULL));
}

/* XOR the byte `from_end` bytes before the end of the file. */
static void flip_byte(const char *path, long from_end)
{
    FILE *f = fopen(path, "r+b");

    cr_assert(f, "cannot open '%s'", path);
    cr_assert(fseek(f, -from_end, SEEK_END) == 0);
    int c = fgetc(f);
    cr_assert(fseek(f, -from_end, SEEK_END) == 0);
    fputc(c ^ 0xff, f);
    cr_assert(fclose(f) == 0);
}

static const char *in_dir(const char *dir, const char *name)
{
    return keep(xasprintf("%s/%s", dir, name));
}

/* ---- create and verify -------------------------------------------------- */

Test(backup, create_then_verify)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *junit = keep(itest_tmpfile("verify.xml"));
    const char *path = create(shop, sub("backups"), NULL, NULL);
    struct itest_junit jc;
    struct itest_case c;

    const char *base = strrchr(path, '/') + 1;
    cr_assert(!strncmp(base, "shop_backup_", 12) && strlen(base) == 32 &&
                  !strcmp(base + 27, ".dump"),
              "unexpected name '%s'", base);
    const char *mpath = keep(xasprintf("%s.json", path));
    tool(ARGV("python3", "-c", "import json,sys; json.load(open(sys.argv[1]))",
              mpath));
    cr_assert_eq(manifest_rows(path, "customers"), 100);
    cr_assert_eq(manifest_rows(path, "Odd Name"), 3);
    cr_assert_eq(manifest_rows(path, "empty_table"), 0);

    verify(path, ci, junit, "--check", CHECKS_PASS, 0, NULL);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, FIXED_CASES + SEED_TABLES + 2);
    cr_assert_eq(jc.failures + jc.errors + jc.skipped, 0);
    itest_junit_case(junit, "public.customers", &c);
    assert_contains(c.out, "manifest 100 rows, restored 100 rows", "junit");
    itest_case_release(&c);
    itest_junit_case(junit, "extra.Odd Name", &c);
    assert_contains(c.out, "manifest 3 rows, restored 3 rows", "junit");
    itest_case_release(&c);
    itest_assert_case(junit, "01_counts.sql", "passed", NULL);
    itest_assert_no_sandboxes(ci);
    const char *vpath = keep(xasprintf("%s.verified.json", path));
    assert_contains(keep(itest_read_file(vpath)), "\"result\": \"passed\"",
                    "verdict");

    /* A failing --check case fails the verification. */
    verify(path, ci, junit, "--check", CHECKS_FAIL, 1, NULL);
    itest_assert_case(junit, "01_wrong_count.sql", "failure",
                      "expected 101 customers, found 100");
    itest_assert_no_sandboxes(ci);
    release_kept();
}

Test(backup, plain_and_directory_formats)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *dir = sub("backups");

    const char *plain = create(shop, dir, "--format", "plain");
    cr_assert(strstr(plain, ".sql.gz"), "plain backup named '%s'", plain);
    tool(ARGV("gzip", "-t", plain));
    /* The embedded server lacks backup_app, which the SQL names. */
    verify(plain, NULL, NULL, "--check", CHECKS_PASS, 0,
           "role 'backup_app' created");

    const char *out = expect(ARGV("backup", "create", "--db", shop, "--dir",
                                  dir, "--format", "directory", "-j", "2"),
                             0, NULL, "create --format directory -j 2");
    const char *dpath = printed_path(out, "backup of database ");
    struct stat st;
    cr_assert(stat(dpath, &st) == 0 && S_ISDIR(st.st_mode));
    verify(dpath, ci, NULL, "-j", "2", 0, NULL);

    expect(ARGV("backup", "create", "--db", shop, "--dir", dir, "-j", "2"), 2,
           "--format directory", "-j without --format directory");
    itest_assert_no_sandboxes(ci);
    release_kept();
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

static long long count_of(const char *dci, const char *sql)
{
    char *v = itest_sql_value(dci, sql);
    long long n = atoll(v);

    free(v);
    return n;
}

Test(backup, counts_agree_while_rows_are_inserted)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
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
        n0 = count_of(shop, count_sql);
        itest_sleep_ms(10);
    }
    const char *path = create(shop, sub("backups"), NULL, NULL);
    long long n1 = count_of(shop, count_sql);
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);

    long long m = manifest_rows(path, "events");
    cr_assert(m > n0 && m < n1,
              "the manifest's count %lld is not between %lld (before) and "
              "%lld (after): rows were not inserted during the backup",
              m, n0, n1);
    cr_assert_gt(manifest_rows(path, "customers"), 100);
    /* The dump holds exactly the rows the manifest counted. */
    verify(path, ci, NULL, NULL, NULL, 0, NULL);
    release_kept();
}

Test(backup, keep_prunes_only_its_own_backups)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *dir = sub("backups");
    /* Look like backups of shop, but nothing proves they are isotest's. */
    static const char *const foreign[] = {
        "shop_backup_20000101_000000.dump", "shop_backup_20000101_000001.dump",
        "other_backup_20000101_000000.dump", "shop_backup_old.dump",
        "shop_backup_20000101_000001.dump.json"};
    for (size_t k = 0; k < 4; k++)
        itest_write_file(in_dir(dir, foreign[k]), "not isotest's\n", 0644);
    itest_write_file(in_dir(dir, foreign[4]),
                     "{\"kind\": \"isotest-backup\", \"file\": \"x.dump\"}\n",
                     0644);

    const char *first = create(shop, dir, "--keep", "2");
    const char *second = create(shop, dir, "--keep", "2");
    const char *out = expect(
        ARGV("backup", "create", "--db", shop, "--dir", dir, "--keep", "2"), 0,
        "deleted", "third create");
    const char *third = printed_path(out, "backup of database ");

    cr_assert(access(first, F_OK) != 0, "'%s' was not pruned", first);
    cr_assert(access(keep(xasprintf("%s.json", first)), F_OK) != 0,
              "the pruned backup's manifest was left");
    cr_assert(access(second, F_OK) == 0 && access(third, F_OK) == 0);
    for (size_t k = 0; k < 5; k++)
        cr_assert(access(in_dir(dir, foreign[k]), F_OK) == 0,
                  "'%s' was deleted", foreign[k]);
    assert_contains(out, "left", "third create names what it spared");
    release_kept();
}

/* ---- damage ------------------------------------------------------------- */

/* A copy of the backup (and, with manifest, its manifest) in a new folder. */
static const char *copy_backup(const char *path, const char *name,
                               bool manifest)
{
    const char *to = in_dir(sub(name), strrchr(path, '/') + 1);

    tool(ARGV("cp", "-a", path, to));
    if (manifest)
        tool(ARGV("cp", keep(xasprintf("%s.json", path)),
                  keep(xasprintf("%s.json", to))));
    return to;
}

Test(backup, damaged_backups_fail_with_their_reason)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *path = create(shop, sub("backups"), NULL, NULL);
    const char *junit = keep(itest_tmpfile("damaged.xml"));
    struct stat st;

    cr_assert(stat(path, &st) == 0);
    const char *t = copy_backup(path, "truncated", true);
    cr_assert(truncate(t, st.st_size / 2) == 0);
    verify(t, ci, junit, NULL, NULL, 1, "truncated?");
    itest_assert_case(junit, "restore", "skipped", "not attempted");

    const char *f = copy_backup(path, "flipped", true);
    flip_byte(f, 7);
    verify(f, ci, junit, NULL, NULL, 1, "the manifest says");
    itest_assert_case(junit, "checksum", "failure", "SHA-256");

    /* Without a manifest, the restore catches it: pg_restore's words. */
    const char *fn = copy_backup(path, "flipped-alone", false);
    flip_byte(fn, 7);
    verify(fn, ci, junit, NULL, NULL, 1, "could not uncompress data");
    itest_assert_case(junit, "restore", "failure", "pg_restore");

    const char *alone = copy_backup(path, "alone", false);
    verify(alone, ci, junit, NULL, NULL, 2, "no manifest");
    itest_assert_case(junit, "checksum", "skipped", "no manifest");
    itest_assert_case(junit, "restore", "passed", NULL);
    itest_assert_case(junit, "public.customers", "skipped", "restored 100");

    const char *garbage = in_dir(sub("garbage"), "shop_backup_x.dump");
    itest_write_file(garbage, "this is not a pg_dump archive\n", 0644);
    verify(garbage, ci, junit, NULL, NULL, 1,
           "does not appear to be a valid archive");
    verify(in_dir(sub("none"), "missing.dump"), ci, junit, NULL, NULL, 2,
           "No such file");
    itest_assert_case(junit, "signature", "error", "No such file");
    itest_assert_no_sandboxes(ci);
    release_kept();
}

Test(backup, list_shows_the_last_verification)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *dir = sub("backups");
    const char *path = create(shop, dir, NULL, NULL);
    const char *base = strrchr(path, '/') + 1;
    static const char *const want[] = {"never verified", "passed", "failed"};

    itest_write_file(in_dir(dir, "shop_backup_20000101_000000.dump"),
                     "foreign\n", 0644);
    for (int k = 0; k < 3; k++) {
        if (k == 1)
            verify(path, ci, NULL, NULL, NULL, 0, NULL);
        if (k == 2) {
            flip_byte(path, 7);
            verify(path, ci, NULL, NULL, NULL, 1, NULL);
        }
        const char *out =
            expect(ARGV("backup", "list", "--dir", dir), 0, NULL, "list");
        char *line = keep(itest_line_starting(out, base));
        cr_assert(line && strstr(line, want[k]) && strstr(line, "custom"),
                  "no '%s' for %s in:\n%s", want[k], base, out);
        line = keep(itest_line_starting(out, "shop_backup_20000101_000000"));
        cr_assert(line && strstr(line, "no manifest"), "%s", out);
    }
    release_kept();
}

/* ---- restore ------------------------------------------------------------ */

Test(backup, restore_refuses_then_replaces_with_a_safety_backup)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);
    const char *target = new_db(ci, "target", false);
    const char *path = create(shop, sub("backups"), NULL, NULL);

    itest_sql(target, "CREATE TABLE stale (v int); "
                      "INSERT INTO stale VALUES (1), (2)");
    PGconn *busy =
        PQconnectdb(keep(xasprintf("%s application_name=busy-app", target)));
    cr_assert(PQstatus(busy) == CONNECTION_OK);
    const char *out = expect(ARGV("backup", "restore", path, "--db", target), 2,
                             "busy-app", "restore without --yes");
    assert_contains(out, "1 table with 2 rows", "refusal");
    assert_contains(out, "--yes", "refusal");
    cr_assert_eq(count_of(target, "SELECT count(*) FROM pg_tables "
                                  "WHERE tablename = 'customers'"),
                 0, "the refused restore changed the target");
    PQfinish(busy);

    out = expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 0,
                 "row counts as in the manifest: 5 tables, 360 rows",
                 "restore --yes");
    const char *safety = printed_path(out, "safety backup of database ");
    cr_assert(access(safety, F_OK) == 0 &&
              access(keep(xasprintf("%s.json", safety)), F_OK) == 0);
    cr_assert_eq(count_of(target, "SELECT count(*) FROM customers"), 100);

    /* Counts that differ from the manifest: how to get back is printed. */
    const char *mpath = keep(xasprintf("%s.json", path));
    char *m = keep(itest_read_file(mpath));
    char *p = strstr(m, "\"name\": \"customers\", \"rows\": 100");
    cr_assert(p);
    memcpy(p + strlen("\"name\": \"customers\", \"rows\": "), "777", 3);
    itest_write_file(mpath, m, 0644);
    out = expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 1,
                 "public.customers: manifest 777 rows, restored 100",
                 "restore with counts that differ");
    assert_contains(out, "isotest backup restore '", "the undo command");
    release_kept();
}

Test(backup, failing_restore_leaves_the_target_unchanged)
{
    const char *ci = itest_cluster_start();
    const char *src = new_db(ci, "src", false);
    const char *target = new_db(ci, "target", true);

    /* A backup naming a role that is gone by the time it is restored. */
    itest_sql(ci, "CREATE ROLE ghost");
    itest_sql(src, "CREATE TABLE haunted (v int); "
                   "INSERT INTO haunted VALUES (1), (2), (3); "
                   "ALTER TABLE haunted OWNER TO ghost");
    const char *path = create(src, sub("backups"), NULL, NULL);
    itest_sql(src, "REASSIGN OWNED BY ghost TO postgres; "
                   "DROP OWNED BY ghost");
    itest_sql(ci, "DROP ROLE ghost");

    const char *before = dump_of(target);
    const char *out =
        expect(ARGV("backup", "restore", path, "--db", target, "--yes"), 1,
               "role \"ghost\" does not exist", "a restore that fails");
    assert_contains(out, "nothing was changed", "restore failure");
    assert_contains(out, "safety backup of database 'target'", "restore");
    cr_assert_str_eq(dump_of(target), before,
                     "the failed restore changed the target");
    release_kept();
}

/* ---- safety ------------------------------------------------------------- */

Test(backup, read_only_role_can_create_and_verify)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);

    itest_sql(ci, "CREATE ROLE ro LOGIN; "
                  "REVOKE CONNECT ON DATABASE shop FROM PUBLIC; "
                  "GRANT CONNECT ON DATABASE shop TO ro");
    itest_sql(shop, "GRANT USAGE ON SCHEMA extra TO ro; "
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public, extra TO ro; "
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, extra "
                    "TO ro");
    const char *ro = keep(xasprintf("%s user=ro", shop));
    const char *path = create(ro, sub("backups"), NULL, NULL);
    cr_assert_eq(manifest_rows(path, "orders"), 250);
    /* Verify needs no server of the user's: the embedded one. */
    verify(path, NULL, NULL, NULL, NULL, 0, NULL);
    /* On the user's server it needs a role that may create databases. */
    verify(path, ro, NULL, NULL, NULL, 2, "without --db an embedded server");
    release_kept();
}

Test(backup, inspected_database_is_left_byte_identical)
{
    const char *ci = itest_cluster_start();
    const char *shop = new_db(ci, "shop", true);

    const char *before = dump_of(shop);
    const char *path = create(shop, sub("backups"), NULL, NULL);
    verify(path, ci, NULL, "--check", CHECKS_PASS, 0, NULL);
    cr_assert_str_eq(dump_of(shop), before,
                     "create/verify changed the database");
    release_kept();
}

#define PASSWORD "S3cr3t-Bk/77"
#define PASSWORD_URL "S3cr3t-Bk%2F77"

static const char *url_of(const char *password, const char *db)
{
    return keep(xasprintf("postgresql://postgres:%s@/%s?host=%s&port=5432",
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
            assert_clean(keep(itest_read_file(in_dir(dir, de->d_name))),
                         de->d_name);
    }
    closedir(d);
}

Test(backup, password_is_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    const char *ci_pw = keep(xasprintf("%s password=" PASSWORD, ci));
    const char *dir = sub("backups");
    const char *junit = keep(itest_tmpfile("verify.xml"));

    new_db(ci_pw, "shop", true);
    new_db(ci_pw, "copy", false);
    const char *out = expect(ARGV("backup", "create", "--db",
                                  url_of(PASSWORD_URL, "shop"), "--dir", dir),
                             0, NULL, "create with a password in the URL");
    assert_clean(out, "create");
    const char *path = printed_path(out, "backup of database ");
    assert_clean(verify(path, url_of(PASSWORD_URL, "postgres"), junit,
                        "--check", CHECKS_PASS, 0, NULL),
                 "verify");
    assert_clean(keep(itest_read_file(junit)), "the JUnit report");
    assert_clean(expect(ARGV("backup", "restore", path, "--db",
                             url_of(PASSWORD_URL, "copy"), "--yes"),
                        0, NULL, "restore with a password in the URL"),
                 "restore");
    assert_clean(expect(ARGV("backup", "list", "--dir", dir), 0, NULL, "list"),
                 "list");
    assert_files_clean(dir);

    /* A wrong one is not shown either. */
    out = expect(ARGV("backup", "create", "--db", url_of("Wr0ng-Pa55", "shop"),
                      "--dir", dir),
                 2, "password authentication failed", "a wrong password");
    cr_assert(!strstr(out, "Wr0ng"), "the wrong password shown:\n%s", out);
    release_kept();
}

Test(backup, usage_and_exit_codes)
{
    expect(ARGV("backup"), 2, "usage", "backup without a command");
    expect(ARGV("backup", "--help"), 0, "could not verify", "backup --help");
    expect(ARGV("backup", "restore", "--help"), 0, "Exit: 0 restored",
           "restore --help");
    expect(ARGV("backup", "create", "--dir", "."), 2, "--db",
           "create without --db");
    expect(ARGV("backup", "verify"), 2, "no backup given",
           "verify without a file");
    expect(ARGV("backup", "frobnicate"), 2, "unknown backup command",
           "an unknown subcommand");
    release_kept();
}
