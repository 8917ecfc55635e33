/*
 * test_integration_pytest.c: the pytest plugin (clients/python) under
 * `isotest exec`, as a user installs and runs it: examples/pytest
 * serially, with pytest-xdist, and in schema mode behind a password; a
 * suite with a failing and a skipped test; the fixtures outside isotest;
 * and the plugin's own tests (clients/python/tests, a fake socket).
 *
 * Each test makes its own virtual environment in its scratch folder
 * (the tests run in parallel) from a copy of clients/python, since pip
 * builds in the source folder.  One test installs with the exact lines
 * of the README (venv with pip: ~15 s); the others make the venv without
 * pip and install with the system's pip run by the venv's interpreter,
 * the same install in ~3 s.  Python is /usr/bin/python3 with Debian's
 * python3-pytest, -pytest-xdist, -psycopg2, -venv, -setuptools, -wheel
 * and -pip (ci/install-deps.sh); nothing is downloaded.
 *
 * Each test starts a private server and passes it with --db, so that the
 * catalog can be checked afterwards.  A test takes 5-20 s on an idle
 * 2-CPU machine and up to ~130 s at a load average of 20, hence the
 * generous timeout.
 *
 * Layout: the virtual environment; running pytest under isotest exec;
 * examples/pytest; outcomes; outside isotest; the plugin's own tests.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

#define PYTHON "/usr/bin/python3"
#define PLUGIN_SRC "clients/python"
#define EXAMPLE "examples/pytest"
#define EXAMPLE_MIGRATIONS EXAMPLE "/migrations"
#define PASSWORD "Pyt3st-S3cret"

/* What the outside-isotest failure says (client.py's EXEC_HINT). */
#define EXEC_HINT "isotest exec -- python -m pytest"

TestSuite(pytest, .fini = itest_teardown, .timeout = 300);

/* The test cases of examples/pytest, by name (the names are unique). */
static const char *const example_tests[] = {
    "test_register_attendee",    "test_email_unique_ignoring_case",
    "test_attendee_count_exact", "test_signup_and_book",
    "test_book_last_seat",       "test_full_event_rejects_booking",
    "test_season_reset",         "test_jazz_promo_code",
    "test_environment",          "test_event_summary_exact",
    "test_export_attendees_csv", "test_export_registrations_csv",
    "test_promo_code_listing",
};
#define N_EXAMPLE (sizeof(example_tests) / sizeof(*example_tests))

/* ---- the virtual environment -------------------------------------------- */

static void run_ok(const char *const *argv, const char *what)
{
    char *out;
    int code = itest_run_tool(argv, &out, NULL);

    cr_assert_eq(code, 0, "%s: exit code %d\n%s", what, code, out);
    free(out);
}

/*
 * A venv in the scratch folder with the plugin installed; the path of its
 * python (the caller frees it).  `as_documented`: the README's two lines,
 * else the same install without a pip of the venv's own (much faster).
 */
static char *make_venv(bool as_documented)
{
    char *src = itest_tmpfile("plugin-src");
    char *venv = itest_tmpfile("venv");
    char *python = xasprintf("%s/bin/python", venv);
    char *pip = xasprintf("%s/bin/pip", venv);
    char *out;

    /* pip neither looks for a newer pip nor caches the build. */
    setenv("PIP_DISABLE_PIP_VERSION_CHECK", "1", 1);
    setenv("PIP_NO_CACHE_DIR", "1", 1);
    setenv("PIP_NO_INPUT", "1", 1);
    cr_assert_eq(itest_run_tool(ARGV(PYTHON, "-c",
                                     "import pytest, xdist, psycopg2, "
                                     "setuptools, venv"),
                                &out, NULL),
                 0,
                 PYTHON " lacks a package the plugin's tests need (run "
                        "ci/install-deps.sh: python3-pytest, "
                        "python3-pytest-xdist, python3-psycopg2, "
                        "python3-setuptools, python3-venv):\n%s",
                 out);
    free(out);
    run_ok(ARGV("cp", "-R", PLUGIN_SRC, src), "copying the plugin");
    /* A build folder from an install in the repository: not ours. */
    char *stale = xasprintf("%s/build", src);
    run_ok(ARGV("rm", "-rf", stale), "removing a stale build folder");
    free(stale);
    if (as_documented) {
        run_ok(ARGV(PYTHON, "-m", "venv", "--system-site-packages", venv),
               "python3 -m venv");
        run_ok(ARGV(pip, "install", "--no-build-isolation", "--no-deps", src),
               "pip install");
    } else {
        run_ok(ARGV(PYTHON, "-m", "venv", "--system-site-packages",
                    "--without-pip", venv),
               "python3 -m venv --without-pip");
        run_ok(ARGV(python, "-m", "pip", "install", "--no-build-isolation",
                    "--no-deps", src),
               "pip install");
    }
    /* pytest finds the plugin through its entry point. */
    cr_assert_eq(
        itest_run_tool(ARGV(python, "-m", "pytest", "--help"), &out, NULL), 0,
        "pytest --help:\n%s", out);
    cr_assert(strstr(out, "--isotest-env"),
              "the installed plugin is not loaded by pytest:\n%s", out);
    free(out);
    free(src);
    free(venv);
    free(pip);
    return python;
}

/* ---- running pytest under isotest exec ---------------------------------- */

/*
 * isotest exec --db db [--isolation schema] --migrations M --junit junit
 * -- python -m pytest -q ARGS...; no .pyc files in the repository.
 */
static void exec_pytest(struct itest_result *r, const char *db,
                        const char *isolation, const char *migrations,
                        const char *junit, const char *python,
                        const char *const *args, const char *const *env)
{
    const char *v[32];
    size_t n = 0;

    v[n++] = "exec";
    v[n++] = "--db";
    v[n++] = db;
    if (isolation) {
        v[n++] = "--isolation";
        v[n++] = isolation;
    }
    v[n++] = "--migrations";
    v[n++] = migrations;
    v[n++] = "--junit";
    v[n++] = junit;
    v[n++] = "--";
    v[n++] = python;
    v[n++] = "-m";
    v[n++] = "pytest";
    v[n++] = "-q";
    while (*args && n < 30)
        v[n++] = *args++;
    cr_assert_null(*args, "too many pytest arguments");
    v[n] = NULL;

    const char *e[8];
    size_t k = 0;
    e[k++] = "PYTHONDONTWRITEBYTECODE=1";
    while (env && *env && k < 7)
        e[k++] = *env++;
    e[k] = NULL;
    itest_run(r, v, e);
}

/*
 * Every case of the report has a first system-out line naming a sandbox
 * its own ("[isotest] ... sandbox=isotest_..."); the workers seen, as a
 * bit set of worker numbers below 32.
 */
static unsigned assert_sandbox_lines(const char *junit,
                                     const char *const *names, size_t n)
{
    char **seen = xcalloc(n, sizeof(*seen));
    unsigned workers = 0;

    for (size_t i = 0; i < n; i++) {
        struct itest_case c;
        itest_junit_case(junit, names[i], &c);
        const char *nl = strchr(c.out, '\n');
        char *first = xstrndup(c.out, nl ? (size_t)(nl - c.out) : c.out_len);
        const char *sb = strstr(first, " sandbox=isotest_");
        cr_assert(!strncmp(first, "[isotest] ", 10) && sb,
                  "%s: the first system-out line names no sandbox: '%s'",
                  names[i], first);
        seen[i] = xstrdup(sb + 9);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(seen[i], seen[j], "%s and %s share sandbox %s",
                              names[i], names[j], seen[i]);
        const char *w = strstr(first, " worker=");
        cr_assert(w, "%s: no worker in '%s'", names[i], first);
        long wk = strtol(w + 8, NULL, 10);
        if (wk >= 0 && wk < 32)
            workers |= 1u << wk;
        free(first);
        itest_case_release(&c);
    }
    for (size_t i = 0; i < n; i++)
        free(seen[i]);
    free(seen);
    return workers;
}

/* A property of the report is exactly `want`. */
static void assert_property(const char *junit, const char *name,
                            const char *want)
{
    char *v = itest_junit_property(junit, name);

    cr_assert(v && !strcmp(v, want), "property %s is '%s', expected '%s'", name,
              v ? v : "(none)", want);
    free(v);
}

/* ---- examples/pytest ---------------------------------------------------- */

/*
 * examples/pytest passes, every test in a sandbox of its own (they
 * collide on a shared database); the report has one case per test, each
 * naming its sandbox, and every sandbox is gone afterwards.
 */
static unsigned example_run(const char *db, const char *isolation,
                            const char *python, const char *const *args,
                            const char *const *env)
{
    char *junit = itest_tmpfile("example.xml");
    struct itest_result r;
    struct itest_junit jc;
    char count[16];

    exec_pytest(&r, db, isolation, EXAMPLE_MIGRATIONS, junit, python, args,
                env);
    itest_assert_exit(&r, 0, "isotest exec -- pytest examples/pytest");
    snprintf(count, sizeof(count), "%zu", N_EXAMPLE);
    char *summary = xasprintf("%zu passed, 0 failed, 0 skipped", N_EXAMPLE);
    itest_assert_summary(&r, summary);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, (long)N_EXAMPLE, "%ld test cases, expected %zu",
                 jc.tests, N_EXAMPLE);
    cr_assert_eq(jc.failures + jc.errors + jc.skipped, 0);
    unsigned workers = assert_sandbox_lines(junit, example_tests, N_EXAMPLE);
    assert_property(junit, "isotest.command", "exec");
    assert_property(junit, "isotest.sandboxes", count);
    assert_property(junit, "isotest.sandboxes_of_unreported_tests", "0");
    assert_property(junit, "isotest.isolation",
                    isolation ? isolation : "database");
    free(summary);
    itest_result_release(&r);
    free(junit);
    return workers;
}

/* Serially, installed exactly as the README says. */
Test(pytest, example_serial)
{
    const char *ci = itest_cluster_start();
    char *python = make_venv(true);

    unsigned workers = example_run(ci, NULL, python, ARGV(EXAMPLE), NULL);
    cr_assert_eq(workers, 1u, "one pytest process, one connection (0)");
    itest_assert_no_sandboxes(ci);
    free(python);
}

/* pytest-xdist, two workers: each its own connection, none for the
   controller. */
Test(pytest, example_xdist)
{
    const char *ci = itest_cluster_start();
    char *python = make_venv(false);

    unsigned workers =
        example_run(ci, NULL, python, ARGV("-n", "2", EXAMPLE), NULL);
    cr_assert_eq(workers, 3u,
                 "two workers should have used connections 0 and 1 "
                 "(bits: %#x)",
                 workers);
    itest_assert_no_sandboxes(ci);
    free(python);
}

/*
 * Schema mode on a server that asks for a password: PGOPTIONS and
 * PGPASSWORD reach the code under test (test_environment), and the
 * password shows nowhere.
 */
Test(pytest, example_schema_password)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *url = xasprintf("postgresql://postgres:" PASSWORD
                          "@/postgres?host=%s&port=5432",
                          itest_cluster_sockdir());
    char *python = make_venv(false);
    char *junit = itest_tmpfile("example.xml");

    example_run(url, "schema", python, ARGV(EXAMPLE), NULL);
    char *xml = itest_read_file(junit);
    cr_assert(!strstr(xml, PASSWORD), "the password is in the report:\n%s",
              xml);
    free(xml);
    char *ci_pw = xasprintf("%s password=" PASSWORD, ci);
    itest_assert_no_sandboxes(ci_pw);
    free(ci_pw);
    free(junit);
    free(python);
    free(url);
}

/* ---- outcomes ----------------------------------------------------------- */

static const char outcomes_py[] =
    "import psycopg2\n"
    "import pytest\n"
    "\n"
    "\n"
    "def insert_one(url):\n"
    "    conn = psycopg2.connect(url)\n"
    "    try:\n"
    "        with conn, conn.cursor() as cur:\n"
    "            cur.execute('INSERT INTO items (id) VALUES (1)')\n"
    "            cur.execute('SELECT count(*) FROM items')\n"
    "            return cur.fetchone()[0]\n"
    "    finally:\n"
    "        conn.close()\n"
    "\n"
    "\n"
    "def test_passes(isotest_url):\n"
    "    assert insert_one(isotest_url) == 1\n"
    "\n"
    "\n"
    "def test_fails(isotest_url):\n"
    "    assert insert_one(isotest_url) == 2, 'one row, as planned'\n"
    "\n"
    "\n"
    "def test_skipped(isotest_sandbox):\n"
    "    pytest.skip('not on this server')\n"
    "\n"
    "\n"
    "def test_no_database():\n"
    "    assert 1 + 1 == 2\n";

/* A scratch suite: pytest.ini (its rootdir), migrations, the tests. */
static char *write_suite(void)
{
    char *dir = itest_tmpsubdir("suite");
    char *mig = xasprintf("%s/migrations", dir);
    char *p;

    cr_assert(mkdir(mig, 0755) == 0 || access(mig, F_OK) == 0);
    p = xasprintf("%s/pytest.ini", dir);
    itest_write_file(p, "[pytest]\naddopts = -p no:cacheprovider\n", 0644);
    free(p);
    p = xasprintf("%s/001_items.sql", mig);
    itest_write_file(p, "CREATE TABLE items (id integer PRIMARY KEY);\n", 0644);
    free(p);
    p = xasprintf("%s/test_outcomes.py", dir);
    itest_write_file(p, outcomes_py, 0644);
    free(p);
    free(mig);
    return dir;
}

/*
 * A failing and a skipped test: pytest's exit code 1 comes through, and
 * the merged report and the summary count them.
 */
Test(pytest, failure_and_skip)
{
    const char *ci = itest_cluster_start();
    char *python = make_venv(false);
    char *suite = write_suite();
    char *mig = xasprintf("%s/migrations", suite);
    char *junit = itest_tmpfile("outcomes.xml");
    struct itest_result r;
    struct itest_junit jc;

    exec_pytest(&r, ci, NULL, mig, junit, python, ARGV(suite), NULL);
    itest_assert_exit(&r, 1, "a suite with a failing test");
    itest_assert_summary(&r, "2 passed, 1 failed, 1 skipped");
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 4);
    cr_assert_eq(jc.failures, 1);
    cr_assert_eq(jc.errors, 0);
    cr_assert_eq(jc.skipped, 1);
    itest_assert_case(junit, "test_fails", "failure", "one row, as planned");
    itest_assert_case(junit, "test_skipped", "skipped", "not on this server");
    itest_assert_case(junit, "test_passes", "passed", NULL);
    static const char *const with_sandbox[] = {"test_passes", "test_fails",
                                               "test_skipped"};
    assert_sandbox_lines(junit, with_sandbox, 3);
    /* A test without the fixtures asked for nothing. */
    struct itest_case c;
    itest_junit_case(junit, "test_no_database", &c);
    cr_assert(!strstr(c.out, "sandbox=isotest"),
              "test_no_database got a sandbox: %s", c.out);
    itest_case_release(&c);
    assert_property(junit, "isotest.sandboxes", "3");
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(junit);
    free(mig);
    free(suite);
    free(python);
}

/* ---- outside isotest ---------------------------------------------------- */

/*
 * pytest alone: the tests using the fixtures fail at setup saying how to
 * run them, the others pass; --isotest-env is a usage error at start.
 */
Test(pytest, outside_isotest_exec)
{
    char *python = make_venv(false);
    char *suite = write_suite();
    char *out;

    unsetenv("ISOTEST_SOCKET");
    unsetenv("ISOTEST_FRAMEWORK_JUNIT");
    int code = itest_run_tool(ARGV(python, "-B", "-m", "pytest", "-q", suite),
                              &out, NULL);
    cr_assert_eq(code, 1, "pytest alone: exit code %d, expected 1\n%s", code,
                 out);
    cr_assert(strstr(out, "ISOTEST_SOCKET") && strstr(out, EXEC_HINT),
              "no clear message naming `" EXEC_HINT "`:\n%s", out);
    cr_assert(strstr(out, "1 passed") && strstr(out, "3 errors"),
              "expected 1 passed (the test without fixtures) and 3 errors "
              "at setup:\n%s",
              out);
    free(out);

    code = itest_run_tool(
        ARGV(python, "-B", "-m", "pytest", "-q", "--isotest-env", suite), &out,
        NULL);
    cr_assert_eq(code, 4, "--isotest-env alone: exit code %d, expected 4\n%s",
                 code, out);
    cr_assert(strstr(out, "--isotest-env") && strstr(out, EXEC_HINT),
              "no clear usage error:\n%s", out);
    free(out);
    free(suite);
    free(python);
}

/* ---- the plugin's own tests --------------------------------------------- */

/*
 * The plugin's own tests (clients/python/tests): the client and the
 * plugin against a fake socket, in pytest runs of their own (pytester),
 * xdist included.  No isotest, no server.
 */
Test(pytest, plugin_own_tests)
{
    char *python = make_venv(false);
    char *basetemp = itest_tmpfile("pytester");
    char *opt = xasprintf("--basetemp=%s", basetemp);
    char *out;

    unsetenv("ISOTEST_SOCKET");
    unsetenv("ISOTEST_FRAMEWORK_JUNIT");
    int code =
        itest_run_tool(ARGV(python, "-B", "-m", "pytest", "-q", "-p",
                            "no:cacheprovider", opt, PLUGIN_SRC "/tests"),
                       &out, NULL);
    cr_assert_eq(code, 0, "clients/python/tests: exit code %d\n%s", code, out);
    cr_assert(strstr(out, " passed") && !strstr(out, "skipped"),
              "expected every test to run and pass:\n%s", out);
    free(out);
    free(opt);
    free(basetemp);
    free(python);
}
