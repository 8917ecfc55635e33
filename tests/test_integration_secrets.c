/*
 * test_integration_secrets.c: no password in the console, the JUnit report
 * or the history file -- from the URL, PGPASSWORD or a .pgpass file, nor
 * when it is wrong, nor in a --db value that does not parse; nor when a
 * case prints it URL-encoded (DATABASE_URL), among NUL bytes, or cut by
 * --output-cap.
 *
 * Each test starts a private server that asks for a password
 * (itest_password_server_start) and passes --db.
 *
 * Fixtures (tests/fixtures/safe_*):
 *   safe_quick            one passing SQL case, no migrations
 *   safe_secret           command cases printing env and $DATABASE_URL,
 *                         and a failing SQL case
 *   safe_secret_binary    a case printing `env -0`; one printing 1018
 *                         bytes and then $PGPASSWORD
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"

#define QUICK FIXTURES "/safe_quick"
#define SECRET FIXTURES "/safe_secret"
#define SECRET_BINARY FIXTURES "/safe_secret_binary"

#define PASSWORD "S3cr3t-XYZ"

TestSuite(secrets, .fini = itest_teardown, .timeout = 180);

/* `secret` in none of the outputs, the report, the history file. */
static void assert_nowhere(const char *secret, const struct itest_result *r,
                           const char *junit, const char *history,
                           const char *what)
{
    cr_assert(!strstr(r->out, secret), "%s: '%s' on stdout:\n%s", what, secret,
              r->out);
    cr_assert(!strstr(r->err, secret), "%s: '%s' on stderr:\n%s", what, secret,
              r->err);
    const char *files[] = {junit, history};
    for (int i = 0; i < 2; i++) {
        if (!files[i] || access(files[i], F_OK) != 0)
            continue;
        char *text = itest_read_file(files[i]);
        cr_assert(!strstr(text, secret), "%s: '%s' in %s:\n%s", what, secret,
                  files[i], text);
        free(text);
    }
}

/* Run safe_secret with a password from `db`/`env`; check where it is. */
static void secret_run(const char *db, const char *const *env,
                       const char *const *secrets, const char *what)
{
    char *junit = itest_tmpfile("secret.xml");
    char *history = itest_tmpfile("secret.history");
    struct itest_result r;
    struct itest_junit jc;

    unlink(junit);
    unlink(history);
    itest_run(&r,
              ARGV("run", "--db", db, "-j", "2", "--junit", junit, "--history",
                   history, SECRET),
              env);
    itest_assert_exit(&r, 1, what);
    cr_assert(strstr(r.out, "1 passed, 2 failed, 0 skipped"),
              "%s: the case given the password could not use it:\n%s\n%s", what,
              r.out, r.err);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 3);
    cr_assert(access(history, F_OK) == 0, "%s: no history file written", what);
    /* The cases did print it, as ***. */
    char *xml = itest_read_file(junit);
    cr_assert(strstr(xml, "PGPASSWORD=***"),
              "%s: no PGPASSWORD=*** in the report:\n%s", what, xml);
    free(xml);
    for (const char *const *s = secrets; *s; s++)
        assert_nowhere(*s, &r, junit, history, what);
    itest_result_release(&r);
    free(junit);
    free(history);
}

/* Test 7.  The password from the URL, PGPASSWORD, .pgpass; a wrong one. */
Test(secrets, password_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    const char *sock = itest_cluster_sockdir();
    char *url = xasprintf(
        "postgresql://postgres:" PASSWORD "@/postgres?host=%s&port=5432", sock);
    char *pgpass = itest_tmpfile("pgpass");
    char *pgpass_env = xasprintf("PGPASSFILE=%s", pgpass);
    const char *const secrets[] = {PASSWORD, NULL};

    secret_run(url, NULL, secrets, "password in the URL");
    secret_run(ci, ARGV("PGPASSWORD=" PASSWORD), secrets, "PGPASSWORD");
    itest_write_file(pgpass, "*:*:*:postgres:" PASSWORD "\n", 0600);
    secret_run(ci, ARGV(pgpass_env), secrets, "PGPASSFILE");

    /* A wrong password, each way: exit 2, never shown. */
    static const char wrong[] = "Wr0ng-Pa55-QQ";
    char *bad_url = xasprintf("postgresql://postgres:%s@/postgres?host=%s"
                              "&port=5432",
                              wrong, sock);
    itest_write_file(pgpass, "*:*:*:postgres:Wr0ng-Pa55-QQ\n", 0600);
    struct {
        const char *db;
        const char *const *env;
    } bad[] = {{bad_url, NULL},
               {ci, ARGV("PGPASSWORD=Wr0ng-Pa55-QQ")},
               {ci, ARGV(pgpass_env)}};
    char *history = itest_tmpfile("wrong.history");
    for (size_t i = 0; i < 3; i++) {
        struct itest_result r;
        itest_run(&r,
                  ARGV("run", "--db", bad[i].db, "--history", history, SECRET),
                  bad[i].env);
        itest_assert_exit(&r, 2, "a wrong password");
        cr_assert(strstr(r.err, "authentication failed"),
                  "no 'authentication failed' in\n%s", r.err);
        assert_nowhere(wrong, &r, NULL, history, "a wrong password");
        assert_nowhere(PASSWORD, &r, NULL, history, "a wrong password");
        itest_result_release(&r);
    }
    free(history);
    free(bad_url);
    free(pgpass_env);
    free(pgpass);
    free(url);
}

/*
 * A password with characters a URL must escape: DATABASE_URL carries it
 * percent-encoded, which is the password all the same.
 */
Test(secrets, password_with_url_characters_never_shown)
{
    static const char pw[] = "p@ss:w/rd%S3cr3t";
    const char *ci = itest_password_server_start(pw);
    const char *const secrets[] = {pw, "p%40ss%3Aw%2Frd%25S3cr3t", NULL};

    secret_run(ci, ARGV("PGPASSWORD=p@ss:w/rd%S3cr3t"), secrets,
               "PGPASSWORD with URL characters");
}

/*
 * Output with a NUL byte in it (env -0) still holds the password as text:
 * it must be replaced like any other.
 */
Test(secrets, password_in_output_with_nul_bytes_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *junit = itest_tmpfile("binary.xml");
    char *history = itest_tmpfile("binary.history");
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--junit", junit, "--history", history,
                   "--filter", "*env0*", SECRET_BINARY),
              ARGV("PGPASSWORD=" PASSWORD));
    itest_assert_exit(&r, 1, "a case printing env -0");
    assert_nowhere(PASSWORD, &r, junit, history, "env -0");
    itest_result_release(&r);
    free(junit);
    free(history);
}

/*
 * The output cap (--output-cap, at least 1024 bytes) may end inside the
 * password: what is kept of it must not show its beginning either.
 */
Test(secrets, password_cut_by_output_cap_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *junit = itest_tmpfile("cap.xml");
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--junit", junit, "--no-history",
                   "--output-cap", "1024", "--filter", "*long*", SECRET_BINARY),
              ARGV("PGPASSWORD=" PASSWORD));
    itest_assert_exit(&r, 1, "a case printing 1018 bytes and the password");
    /* 1024 - 1018 = 6: "S3cr3t" of "S3cr3t-XYZ" would be kept. */
    assert_nowhere("S3cr3t", &r, junit, NULL, "--output-cap 1024");
    itest_result_release(&r);
    free(junit);
}

/* A --db value that does not parse or connect never echoes its password. */
Test(secrets, password_in_bad_db_value_never_shown)
{
    static const char *const bad[] = {
        "postgresql://postgres:S3cr3t-XYZ@/postgres?host=/tmp&bogus=1",
        "postgresql://postgres:S3cr3t-XYZ@[::1/postgres",
        "postgresql://postgres:S3cr3t%ZZ@/postgres",
        "host=/tmp password=S3cr3t-XYZ bogus",
        "host=/tmp password='S3cr3t-XYZ",
        "postgresql://postgres:S3cr3t-XYZ@/postgres"
        "?host=/nonexistent-isotest&port=5432",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct itest_result r;
        itest_run(&r, ARGV("run", "--db", bad[i], "--no-history", QUICK), NULL);
        itest_assert_exit(&r, 2, bad[i]);
        assert_nowhere("S3cr3t", &r, NULL, NULL, bad[i]);
        itest_result_release(&r);
        itest_run(&r, ARGV("clean", "--db", bad[i]), NULL);
        itest_assert_exit(&r, 2, bad[i]);
        assert_nowhere("S3cr3t", &r, NULL, NULL, bad[i]);
        itest_result_release(&r);
    }
}
