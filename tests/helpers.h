/*
 * helpers: what the integration tests share (exported as itest_*).
 *
 * A test runs in its own process (Criterion forks one per test), so the
 * helpers keep per-process state: the servers and the scratch folder a test
 * started are remembered and torn down by itest_teardown(), which every
 * suite names as its .fini -- it runs after a failed assertion too, so a
 * failing test leaves no server running.
 *
 * Call sequence in a test:
 *   itest_cluster_start()           a private PostgreSQL (conninfo string)
 *   itest_run()                     run build/isotest, capture its output
 *   itest_db_count() ...            look at the catalog afterwards
 *   itest_junit_check()             validate a JUnit report, count its cases
 *   (itest_teardown() as .fini)
 *
 * Every helper asserts (cr_assert) instead of returning an error: a helper
 * that cannot do its job makes the test fail with a message saying why.
 * Strings returned to the caller are freed with free().  Nothing here is
 * thread-safe; the tests are single-threaded.
 */
#ifndef ISOTEST_TESTS_HELPERS_H
#define ISOTEST_TESTS_HELPERS_H

#include <stdbool.h>
#include <stddef.h>

/* Folders of the fixture suites, relative to the repository root. */
#define FIXTURES "tests/fixtures"

/* A NULL-terminated argument or environment list, built in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Remove the servers and files a test made; use as a suite's .fini. */
void itest_teardown(void);

/* A scratch folder for this test (created once, removed at teardown). */
const char *itest_tmpdir(void);
/* "<scratch>/<name>"; the caller frees it. */
char *itest_tmpfile(const char *name);

/*
 * Servers.  itest_cluster_start() starts a private embedded cluster (from
 * the shared cache in /tmp/isotest-test-cache, under /dev/shm/isotest-itest
 * so that its folder never looks like one of isotest's own run folders)
 * and returns "host=<socket dir> port=5432 user=postgres".
 * itest_password_server_start() is the same with scram-sha-256
 * authentication for every local connection, and `password` set for the
 * postgres role; its conninfo holds no password.  Both strings are owned
 * by the helpers and live until teardown.
 */
const char *itest_cluster_start(void);
const char *itest_password_server_start(const char *password);
/* The socket folder of the last server started (to build a conninfo). */
const char *itest_cluster_sockdir(void);

/* The outcome of running the isotest binary. */
struct itest_result {
    int code;  /* exit code; -1 when killed (timeout or signal) */
    char *out; /* stdout, never NULL */
    char *err; /* stderr, never NULL */
};

/*
 * Run $ISOTEST_BIN (default build/isotest) with `args` (without argv[0]).
 * The child gets this process's environment minus every PG* variable, with
 * ISOTEST_CACHE_DIR pointing at a test cache, then `env` ("NAME=value"
 * entries, may be NULL) on top.  It is killed after two minutes.
 */
void itest_run(struct itest_result *r, const char *const *args,
               const char *const *env);
void itest_result_release(struct itest_result *r);

/*
 * The line "N passed, N failed, N skipped" of a run's stdout (the last one
 * that reads so; asserts there is one); the caller frees it.
 */
char *itest_summary_line(const struct itest_result *r);
/* Assert that summary line is exactly `want`. */
void itest_assert_summary(const struct itest_result *r, const char *want);

/* The last non-empty line of text, copied; the caller frees it. */
char *itest_last_line(const char *text);

/*
 * Catalog queries (each opens its own connection with conninfo).
 * itest_sql() runs statements that must succeed; itest_sql_value() returns
 * the first column of the first row (NULL when there is none).
 */
void itest_sql(const char *conninfo, const char *sql);
char *itest_sql_value(const char *conninfo, const char *sql);
/* Databases whose name is LIKE `pattern`: how many, and a ", " list. */
long itest_db_count(const char *conninfo, const char *pattern);
char *itest_db_names(const char *conninfo, const char *pattern);
/* Assert that no isotest_% database other than a template is left. */
void itest_assert_no_sandboxes(const char *conninfo);

/*
 * Run folders of the embedded server: /dev/shm/isotest-run-*.
 * itest_run_dirs() lists them (NULL-terminated; free with itest_strv_free).
 * itest_assert_no_new_run_dirs() fails when a folder that was not in
 * `before` is still there and no live process holds its lock: folders of
 * runs that other tests have going at the same time are not counted.
 */
char **itest_run_dirs(void);
void itest_assert_no_new_run_dirs(char **before);
void itest_strv_free(char **v);

/* Totals of a JUnit report (sums over its testsuite elements). */
struct itest_junit {
    long tests, failures, errors, skipped;
};

/*
 * Check a JUnit report: valid against reporters/junit-10.xsd; every
 * testsuite has name, tests, failures and errors; every testcase has name,
 * classname and time; every time attribute reads like 1.234; each suite's
 * counts agree with its testcase elements.  Fills `counts`.
 */
void itest_junit_check(const char *path, struct itest_junit *counts);
/* The value of <property name="name">, or NULL; the caller frees it. */
char *itest_junit_property(const char *path, const char *name);
/* The run id ("1a2b3c4d") from the sandbox names in the report, or NULL. */
char *itest_junit_runid(const char *path);

/*
 * One testcase of a JUnit report, found by its name attribute:
 * itest_junit_case() fills it (asserting the report parses and has the
 * case), itest_case_release() frees it.  itest_assert_case() asserts the
 * outcome and that the message contains `msg` (unless NULL).
 */
struct itest_case {
    char *outcome; /* "passed", "failure", "error" or "skipped" */
    char *type;    /* the type attribute of that element, or NULL */
    char *message; /* its message attribute, or NULL */
    char *out;     /* system-out text, "" when there is none */
    size_t out_len;
    char *err; /* system-err text, "" when there is none */
};

void itest_junit_case(const char *path, const char *name,
                      struct itest_case *c);
void itest_case_release(struct itest_case *c);
void itest_assert_case(const char *junit, const char *name,
                       const char *outcome, const char *msg);

#endif
