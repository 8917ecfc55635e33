/*
 * helpers: what the integration tests share (exported as itest_*).
 *
 * A test runs in its own process (Criterion forks one per test), so the
 * helpers keep per-process state: the servers, the background runs and the
 * scratch folder a test started are remembered and torn down by
 * itest_teardown(), which every suite names as its .fini -- it runs after a
 * failed assertion too, so a failing test leaves no server or run going.
 *
 * Call sequence in a test:
 *   itest_cluster_start()           a private PostgreSQL (conninfo string)
 *   itest_run()                     run build/isotest, capture its output
 *   itest_bg_start() ...            or start it in the background, signal
 *   itest_bg_finish()               it, and collect its output
 *   itest_db_count() ...            look at the catalog afterwards
 *   itest_junit_check()             validate a JUnit report, count its cases
 *   (itest_teardown() as .fini)
 *
 * The code is in four files: helpers.c (state, teardown, scratch files,
 * servers), helpers_run.c (running isotest and other programs, in the
 * foreground and in the background; processes), helpers_catalog.c (SQL,
 * the run lock, run folders) and helpers_junit.c (JUnit reports).
 * helpers_bench.h (helpers_bench.c) checks the outputs of `isotest bench`;
 * helpers_xml.h holds two libxml2 utilities those two share.
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
#include <sys/types.h>

/* Folders of the fixture suites, relative to the repository root. */
#define FIXTURES "tests/fixtures"

/* A NULL-terminated argument or environment list, built in place. */
#define ARGV(...) ((const char *const[]){__VA_ARGS__, NULL})

/* How long the helpers' polls wait for a server or a run to get somewhere. */
#define ITEST_WAIT_S 60

/* Remove the servers, runs and files a test made; use as a suite's .fini. */
void itest_teardown(void);

/* ---- scratch files (helpers.c) ------------------------------------------ */

/* A scratch folder for this test (created once, removed at teardown). */
const char *itest_tmpdir(void);
/* "<scratch>/<name>"; the caller frees it. */
char *itest_tmpfile(const char *name);
/* "<scratch>/<name>", created as a folder; the caller frees it. */
char *itest_tmpsubdir(const char *name);

/* A whole file as text (asserts it can be read); the caller frees it. */
char *itest_read_file(const char *path);
/* Create or truncate `path` with `text`, and give it `mode` exactly. */
void itest_write_file(const char *path, const char *text, mode_t mode);
/* The number of '\n' in a file; 0 when it does not exist (yet). */
size_t itest_count_lines(const char *path);
/* Assert `dir` holds nothing; the message names `what` and what is left. */
void itest_assert_empty_dir(const char *dir, const char *what);

void itest_sleep_ms(long ms);

/* ---- servers (helpers.c) ------------------------------------------------ */

/*
 * itest_cluster_start() starts a private embedded cluster (from the shared
 * cache in /tmp/isotest-test-cache/itest, under /dev/shm/isotest-itest so that
 * its folder never looks like one of isotest's own run folders) and
 * returns "host=<socket dir> port=5432 user=postgres".
 * itest_password_server_start() is the same with scram-sha-256
 * authentication for every local connection, and `password` set for the
 * postgres role; its conninfo holds no password.  Both strings are owned
 * by the helpers and live until teardown.
 */
const char *itest_cluster_start(void);
const char *itest_password_server_start(const char *password);
/* The socket folder of the last server started (to build a conninfo). */
const char *itest_cluster_sockdir(void);

/* ---- running isotest (helpers_run.c) ------------------------------------ */

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
/* itest_run() of "run --db <ci> --no-history" followed by `args`. */
void itest_run_db(struct itest_result *r, const char *ci,
                  const char *const *args, const char *const *env);
void itest_result_release(struct itest_result *r);

/* Assert the exit code; the message names `what` and shows the output. */
void itest_assert_exit(const struct itest_result *r, int code,
                       const char *what);

/*
 * The line "N passed, N failed, N skipped" of a run's stdout, with the
 * counts the console appends (", N errors" ...) when there are any (the
 * last one that reads so; asserts there is one); the caller frees it.
 */
char *itest_summary_line(const struct itest_result *r);
/* Assert that summary line is exactly `want`. */
void itest_assert_summary(const struct itest_result *r, const char *want);

/* The last non-empty line of text, copied; the caller frees it. */
char *itest_last_line(const char *text);
/* The first line of text that starts with `prefix`, copied, or NULL. */
char *itest_line_starting(const char *text, const char *prefix);

/*
 * Run a program other than isotest (argv[0] a path or found in PATH) to
 * completion, without the PG* variables; killed after two minutes.  Its
 * stdout goes to *out and its stderr to *err, or into *out as well when
 * err is NULL; the caller frees both.  Returns the exit code, -1 when it
 * was killed.
 */
int itest_run_tool(const char *const *argv, char **out, char **err);

/* ---- isotest in the background (helpers_run.c) -------------------------- */

/*
 * A run of isotest that the test does not wait for at once: started like
 * itest_run() (same environment), in a process group of its own, with
 * stdin from /dev/null and stdout and stderr going to files in the
 * scratch folder ("bg-<tag>.out", "bg-<tag>.err"), which the test may read
 * while it runs.  The test process becomes a child subreaper: the case
 * processes of a run that dies come to it, not to Criterion's runner.
 * Runs still going at teardown are killed with their case processes.
 */
struct itest_bg {
    pid_t pid;  /* 0 once reaped */
    int status; /* its wait status, once reaped */
    char *out_path, *err_path;
};

void itest_bg_start(struct itest_bg *b, const char *tag,
                    const char *const *args, const char *const *env);
/* Is it still running?  When not, it is reaped (b->status is set). */
bool itest_bg_alive(struct itest_bg *b);
/*
 * Wait at most `timeout_ms` for it to end; false when it is still running
 * then (it is left running).  On true, fills r like itest_run().
 */
bool itest_bg_wait(struct itest_bg *b, struct itest_result *r, long timeout_ms);
/* Wait (at most two minutes, else kill it and fail) and fill r. */
void itest_bg_finish(struct itest_bg *b, struct itest_result *r);
/*
 * Wait (at most a minute) until its stdout (`on_stderr` false) or its
 * stderr holds `needle`; fails when it ends first or the minute passes.
 */
void itest_bg_wait_output(struct itest_bg *b, bool on_stderr,
                          const char *needle);
/*
 * SIGKILL the run, as the OOM killer or a CI timeout would, and then its
 * case processes, which a real SIGKILL would leave running.
 */
void itest_bg_kill(struct itest_bg *b);
/* Free the paths (after itest_bg_finish or itest_bg_kill). */
void itest_bg_release(struct itest_bg *b);
/* Kill every background run still going (itest_teardown does this). */
void itest_bg_kill_all(void);

/* ---- processes (helpers_run.c) ------------------------------------------ */

/*
 * Is the process still there?  A zombie is not: the orphaned children of a
 * killed case may be reparented to a process that never reaps them.
 */
bool itest_pid_alive(pid_t pid);
/*
 * The file holds `want` pids, one a line (scripts write them), and every
 * one of them is gone (each gets two seconds; survivors are SIGKILLed
 * before the test fails).
 */
void itest_assert_pids_gone(const char *path, size_t want);

/*
 * The staged install (ISOTEST_STAGE, made by `make test`), and a command
 * run in cwd as a user building an example would: this environment minus
 * PG*, make's, Criterion's and isotest's own variables, plus
 * PKG_CONFIG_PATH for the stage, the tests' embedded cache and `env`
 * (helpers_example.c).
 */
const char *itest_stage(void);
void itest_run_example_cmd(struct itest_result *r, const char *const *argv,
                           const char *cwd, const char *const *env);
/* The descendants of root (from /proc), parents first, at most
   ITEST_MAX_TREE; how many. */
#define ITEST_MAX_TREE 256
size_t itest_descendants_of(pid_t root, pid_t *out);
/*
 * The run folder of the embedded server that `pid` started: the folder
 * above the data folder its child postgres runs in (-D <folder>/data), or
 * NULL when it has no such child; the caller frees it.
 */
char *itest_server_dir_of(pid_t pid);
/*
 * Stop every live process that has `text` in its command line (pgrep -f):
 * SIGQUIT (a postmaster's immediate shutdown, which ends its children
 * first), then SIGKILL after ten seconds.  Returns what it stopped, one
 * "pid: command line" a line, "" when nothing was running; the caller
 * frees it.  Call it before asserting, so that a failing test leaves no
 * orphan to reach Criterion's runner.
 */
char *itest_stop_processes_naming(const char *text);

/* ---- the catalog (helpers_catalog.c) ------------------------------------ */

/*
 * Catalog queries (each opens its own connection with conninfo).
 * itest_sql() runs statements that must succeed; itest_sql_value() returns
 * the first column of the first row (NULL when there is none);
 * itest_sql_rows() every row as text, fields joined by '|', one row a line,
 * NULL as "<null>".
 */
void itest_sql(const char *conninfo, const char *sql);
char *itest_sql_value(const char *conninfo, const char *sql);
char *itest_sql_rows(const char *conninfo, const char *sql);
/* Databases whose name is LIKE `pattern`: how many, and a ", " list. */
long itest_db_count(const char *conninfo, const char *pattern);
char *itest_db_names(const char *conninfo, const char *pattern);
/* Assert that no isotest_% database other than a template is left. */
void itest_assert_no_sandboxes(const char *conninfo);
/* Assert each name of a ", " list is a line "<prefix><name>" of `text`. */
void itest_assert_each_listed(const char *names, const char *prefix,
                              const char *text, const char *what);

/*
 * Runs and their lock.  A run's databases are isotest_<runid>_*; it holds
 * pg_advisory_lock(ITEST_LOCK_CLASS, <runid as int4>) while it lives.
 */
#define ITEST_LOCK_CLASS "1230196564" /* 0x49534f54, "ISOT" */
/* The database of the session holding the run's lock, or NULL. */
char *itest_run_lock_holder(const char *ci, const char *runid);
/* A dead run's lock goes once the server notices its session is gone. */
void itest_wait_lock_released(const char *ci, const char *runid);
/* The run's databases: how many, and a ", " list. */
long itest_run_db_count(const char *ci, const char *runid);
char *itest_run_db_names(const char *ci, const char *runid);
/*
 * Wait until `n` sessions of one run (none of `skip`, a NULL-terminated
 * list of run ids, or NULL) run a query containing `marker` in databases
 * of that run; the run's id.  Sessions of a killed run's cases outlive
 * it, hence `skip`.  Fails when `b` ends first.
 */
char *itest_wait_for_run(const char *ci, struct itest_bg *b,
                         const char *const *skip, int n, const char *marker);
/*
 * Wait until `sql` returns a row whose first column is not NULL; that
 * value.  Fails when `b` ends first, or after ITEST_WAIT_S; `what` names
 * what was awaited in the message.
 */
char *itest_wait_for_sql(const char *ci, struct itest_bg *b, const char *sql,
                         const char *what);
/*
 * Wait until a run (not `other`) has `n` sandbox databases
 * (isotest_<runid>_<n>); its id.  Fails when `b` ends first.
 */
char *itest_wait_for_sandboxes(const char *ci, struct itest_bg *b,
                               const char *other, int n);

/* ---- run folders (helpers_catalog.c) ------------------------------------ */

/*
 * Run folders of the embedded server: /dev/shm/isotest-run-*.
 * itest_run_dirs() lists them (NULL-terminated; free with itest_strv_free).
 * itest_assert_no_new_run_dirs() fails when a folder that was not in
 * `before` is still there and no live process holds its lock: folders of
 * runs that other tests have going at the same time are not counted.
 */
char **itest_run_dirs(void);
void itest_assert_no_new_run_dirs(char **before);
/* The same, giving a dead run's folder `seconds` to be removed. */
void itest_assert_run_dirs_go(char **before, int seconds);
void itest_strv_free(char **v);

/* ---- JUnit reports (helpers_junit.c) ------------------------------------ */

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

void itest_junit_case(const char *path, const char *name, struct itest_case *c);
void itest_case_release(struct itest_case *c);
void itest_assert_case(const char *junit, const char *name, const char *outcome,
                       const char *msg);

#endif
