/*
 * test_integration_safety.c: isotest on a server it shares with other
 * runs and with the user's own data.
 *
 *   - run ids and the run lock: a dead run's databases (SIGKILL mid-run,
 *     also during the template build) are reclaimed by the next run and by
 *     `isotest clean`; a live run's are never touched, whether the run is
 *     a real one or a session holding its lock;
 *   - `isotest clean`: --dry-run, a database the role may not drop, kept
 *     sandboxes and --keep-age, old templates (newest 3 and those a live
 *     run uses stay), no server given;
 *   - two runs at once build one template;
 *   - the user's database (and postgres, template1, roles, settings) are
 *     byte for byte the same after runs in every mode, failing, timing out
 *     and killed; a --db naming a database that does not exist;
 *   - a role without CREATEDB;
 *   - no password in the console, the JUnit report or the history file,
 *     from the URL, PGPASSWORD or a .pgpass file, nor when it is wrong,
 *     nor in a --db value that does not parse; nor when a case prints it
 *     URL-encoded (DATABASE_URL), among NUL bytes, or cut by --output-cap.
 *
 * Each test starts a private server (helpers.h) and passes --db.  Tests
 * that need a run to be alive, or to be killed mid-run, start isotest in
 * the background (bg_start); a background run's case processes live in
 * their own process groups, so bg_kill() finds them in /proc as children
 * of the isotest pid and kills their groups by id.  The suite's .fini
 * (safety_teardown) kills what a failed test left running, then calls
 * itest_teardown().
 *
 * Fixtures (tests/fixtures/safe_*):
 *   safe_sleep            two SQL cases in pg_sleep(20): a run to kill
 *   safe_wait             two command cases that hold their sandbox until
 *                         the file $SAFE_RELEASE exists: a live run
 *   safe_quick            one passing SQL case, no migrations
 *   safe_slow_migration   a migration that takes a second
 *   safe_slow_build       a migration that is slow while a marker database
 *                         exists (same hash either way)
 *   safe_user             cases that change, fail on or hang over objects
 *                         named like those of the user's database
 *   safe_secret           command cases printing env and $DATABASE_URL,
 *                         and a failing SQL case
 *   safe_secret_binary    a case printing `env -0`; one printing 1018
 *                         bytes and then $PGPASSWORD
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#define SLEEP FIXTURES "/safe_sleep"
#define WAIT FIXTURES "/safe_wait"
#define QUICK FIXTURES "/safe_quick"
#define SLOW_MIGRATION FIXTURES "/safe_slow_migration"
#define SLOW_BUILD FIXTURES "/safe_slow_build"
#define USER FIXTURES "/safe_user"
#define SECRET FIXTURES "/safe_secret"
#define SECRET_BINARY FIXTURES "/safe_secret_binary"

#define LOCK_CLASS "1230196564" /* 0x49534f54, "ISOT" */
#define PG_DUMP "/usr/lib/postgresql/15/bin/pg_dump"
#define PASSWORD "S3cr3t-XYZ"
#define WAIT_S 60 /* how long polls wait for the server to get somewhere */

extern char **environ;

static void safety_teardown(void);

TestSuite(safety, .fini = safety_teardown, .timeout = 180);

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(fs_read_file(path, &text, &len, &e) == 0, "%s", e.msg);
    return text;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    cr_assert(fd >= 0, "cannot write '%s': %s", path, strerror(errno));
    size_t n = strlen(text);
    cr_assert(write(fd, text, n) == (ssize_t)n, "cannot write '%s'", path);
    cr_assert(fchmod(fd, mode) == 0);
    close(fd);
}

/* ---- isotest in the background --------------------------------------- */

/* A run of isotest that the test does not wait for at once. */
struct bg {
    pid_t pid; /* 0 once reaped */
    char *out_path, *err_path;
};

/*
 * What safety_teardown must kill when a test fails half-way (pids, not
 * struct bg pointers: those point into the failed test's stack).
 */
static pid_t live_pids[8];

static const char *isotest_bin(void)
{
    const char *bin = getenv("ISOTEST_BIN");

    return bin && *bin ? bin : "build/isotest";
}

static bool env_has(const char *entry, const char *const *env)
{
    const char *eq = strchr(entry, '=');
    size_t n = eq ? (size_t)(eq - entry) : strlen(entry);

    for (const char *const *x = env; x && *x; x++)
        if (!strncmp(*x, entry, n) && (*x)[n] == '=')
            return true;
    return false;
}

/*
 * Start `argv` with stdout and stderr going to files, in the environment
 * itest_run() gives isotest: ours minus every PG* variable, plus `env`.
 */
static pid_t spawn(const char *const *argv, const char *const *env,
                   const char *out_path, const char *err_path)
{
    size_t n = 0, cap = 1;

    for (char **p = environ; *p; p++)
        cap++;
    for (const char *const *x = env; x && *x; x++)
        cap++;
    const char **envp = xcalloc(cap, sizeof(*envp));
    for (char **p = environ; *p; p++)
        if (strncmp(*p, "PG", 2) && !env_has(*p, env))
            envp[n++] = *p;
    for (const char *const *x = env; x && *x; x++)
        envp[n++] = *x;

    fflush(NULL);
    pid_t pid = fork();
    cr_assert(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int in = open("/dev/null", O_RDONLY);
        if (o < 0 || e < 0 || in < 0 || dup2(in, 0) < 0 || dup2(o, 1) < 0 ||
            dup2(e, 2) < 0)
            _exit(126);
        /* Nothing of Criterion's (its pipes) goes to isotest and its cases. */
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        execve(argv[0], (char *const *)argv, (char *const *)envp);
        _exit(127);
    }
    free(envp);
    return pid;
}

static void bg_start(struct bg *b, const char *tag, const char *const *args,
                     const char *const *env)
{
    size_t nargs = 0;

    /*
     * The case processes of a run we SIGKILL are orphaned: they must come
     * to this test process, which reaps them, and not to an ancestor that
     * does not expect them (Criterion's runner fails with "Could not spawn
     * test instance: Protocol error" when they reach it).
     */
    cr_assert(prctl(PR_SET_CHILD_SUBREAPER, 1L, 0L, 0L, 0L) == 0,
              "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));

    while (args[nargs])
        nargs++;
    const char **argv = xcalloc(nargs + 2, sizeof(*argv));
    argv[0] = isotest_bin();
    memcpy(argv + 1, args, nargs * sizeof(*argv));
    cr_assert(access(argv[0], X_OK) == 0,
              "isotest binary '%s' not found (set ISOTEST_BIN)", argv[0]);

    char *o = xasprintf("bg-%s.out", tag), *e = xasprintf("bg-%s.err", tag);
    b->out_path = itest_tmpfile(o);
    b->err_path = itest_tmpfile(e);
    free(o);
    free(e);
    b->pid = spawn(argv, env, b->out_path, b->err_path);
    free(argv);
    for (size_t i = 0; i < sizeof(live_pids) / sizeof(*live_pids); i++)
        if (!live_pids[i]) {
            live_pids[i] = b->pid;
            break;
        }
}

static void forget_pid(pid_t pid)
{
    for (size_t i = 0; i < sizeof(live_pids) / sizeof(*live_pids); i++)
        if (live_pids[i] == pid)
            live_pids[i] = 0;
}

/* Is it still running?  When not, reaps it into *status (may be NULL). */
static bool bg_alive(struct bg *b, int *status)
{
    if (!b->pid)
        return false;
    int st = 0;
    pid_t r = waitpid(b->pid, &st, WNOHANG);
    if (r == 0)
        return true;
    if (status)
        *status = st;
    forget_pid(b->pid);
    b->pid = 0;
    return false;
}

#define MAX_TREE 256

/*
 * The descendants of `root` (from /proc), parents before their children,
 * at most MAX_TREE; how many.
 */
static size_t descendants_of(pid_t root, pid_t *out)
{
    static pid_t pids[8192], ppids[8192];
    size_t np = 0, n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;

    cr_assert(d, "cannot read /proc: %s", strerror(errno));
    while ((de = readdir(d)) && np < 8192) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        char *path = xasprintf("/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "re");
        free(path);
        if (!f)
            continue;
        char line[1024];
        size_t len = fread(line, 1, sizeof(line) - 1, f);
        fclose(f);
        line[len] = '\0';
        /* pid (comm) state ppid ...: comm may hold spaces and ')'. */
        char *close_paren = strrchr(line, ')');
        char state;
        long ppid;
        if (close_paren &&
            sscanf(close_paren + 1, " %c %ld", &state, &ppid) == 2) {
            pids[np] = (pid_t)strtol(de->d_name, NULL, 10);
            ppids[np++] = (pid_t)ppid;
        }
    }
    closedir(d);
    /* Breadth first: out[] is its own queue. */
    size_t head = 0;
    for (pid_t parent = root;; parent = out[head++]) {
        for (size_t i = 0; i < np && n < MAX_TREE; i++)
            if (ppids[i] == parent)
                out[n++] = pids[i];
        if (head == n)
            break;
    }
    return n;
}

/*
 * SIGKILL the run, as the OOM killer or a CI timeout would, and then its
 * case processes, which a real SIGKILL would leave running: they are in
 * process groups of their own, led by isotest's direct children.  Once
 * isotest is gone they are orphans, reparented to this process (the
 * subreaper, see bg_start), which reaps them -- parents first, so that
 * their own children have come to us by the time we wait for those.
 */
static void kill_run(pid_t pid)
{
    pid_t tree[MAX_TREE];
    size_t n = descendants_of(pid, tree);

    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        kill(-tree[i], SIGKILL);
        kill(tree[i], SIGKILL);
    }
    for (size_t i = 0; i < n; i++)
        waitpid(tree[i], NULL, 0); /* ECHILD when not ours: fine */
    forget_pid(pid);
}

static void bg_kill(struct bg *b)
{
    if (b->pid)
        kill_run(b->pid);
    b->pid = 0;
}

/* Wait (at most two minutes) for the run to end; fill r like itest_run. */
static void bg_finish(struct bg *b, struct itest_result *r)
{
    int st = 0;

    for (int i = 0; bg_alive(b, &st); i++) {
        if (i > 120 * 20) {
            bg_kill(b);
            cr_assert_fail("background isotest still running after 120 s");
        }
        sleep_ms(50);
    }
    r->code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r->out = slurp(b->out_path);
    r->err = slurp(b->err_path);
}

static void bg_release(struct bg *b)
{
    free(b->out_path);
    free(b->err_path);
    b->out_path = b->err_path = NULL;
}

static void safety_teardown(void)
{
    for (size_t i = 0; i < sizeof(live_pids) / sizeof(*live_pids); i++)
        if (live_pids[i])
            kill_run(live_pids[i]);
    itest_teardown();
}

/* Run a program (not isotest) to completion; its stdout, exit code. */
static int run_tool(const char *const *argv, char **out, char **err)
{
    char *o = itest_tmpfile("tool.out"), *e = itest_tmpfile("tool.err");
    int st;
    pid_t pid = spawn(argv, NULL, o, e);

    cr_assert(waitpid(pid, &st, 0) == pid);
    *out = slurp(o);
    *err = slurp(e);
    free(o);
    free(e);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- the catalog ------------------------------------------------------- */

/* Every row of a query as text: fields joined by '|', one row a line. */
static char *rows(const char *conninfo, const char *sql)
{
    PGconn *conn = PQconnectdb(conninfo);
    cr_assert(PQstatus(conn) == CONNECTION_OK, "cannot connect to '%s': %s",
              conninfo, PQerrorMessage(conn));
    PGresult *res = PQexec(conn, sql);
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "query failed: %s\n%s",
              sql, PQerrorMessage(conn));
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < PQntuples(res); i++) {
        for (int j = 0; j < PQnfields(res); j++)
            strbuf_addf(&sb, "%s%s", j ? "|" : "",
                        PQgetisnull(res, i, j) ? "<null>"
                                               : PQgetvalue(res, i, j));
        strbuf_addch(&sb, '\n');
    }
    PQclear(res);
    PQfinish(conn);
    return strbuf_detach(&sb, NULL);
}

/* The run lock's second key: the run id read as a 32-bit hex number. */
static unsigned long lock_objid(const char *runid)
{
    return strtoul(runid, NULL, 16);
}

/* The database of the session holding the run's lock, or NULL. */
static char *lock_holder_db(const char *ci, const char *runid)
{
    char *sql =
        xasprintf("SELECT a.datname FROM pg_locks l JOIN pg_stat_activity a "
                  "ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                  "AND l.classid = " LOCK_CLASS " AND l.objid = %lu "
                  "AND l.objsubid = 2 AND l.granted",
                  lock_objid(runid));
    char *db = itest_sql_value(ci, sql);

    free(sql);
    return db;
}

/* A dead run's lock goes once the server notices its session is gone. */
static void wait_lock_released(const char *ci, const char *runid)
{
    for (int i = 0;; i++) {
        char *db = lock_holder_db(ci, runid);
        free(db);
        if (!db)
            return;
        cr_assert(i < WAIT_S * 20, "run %s's lock still held after %d s", runid,
                  WAIT_S);
        sleep_ms(50);
    }
}

/* "isotest\_<runid>\_%": a LIKE pattern for a run's databases. */
static char *run_pattern(const char *runid)
{
    return xasprintf("isotest\\_%s\\_%%", runid);
}

static long run_db_count(const char *ci, const char *runid)
{
    char *pat = run_pattern(runid);
    long n = itest_db_count(ci, pat);

    free(pat);
    return n;
}

static char *run_db_names(const char *ci, const char *runid)
{
    char *pat = run_pattern(runid);
    char *names = itest_db_names(ci, pat);

    free(pat);
    return names;
}

/* "'', 'id1', ...": run ids for a NOT IN list (ids are hex: no quoting). */
static char *id_list(const char *const *ids)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "''");
    for (const char *const *x = ids; x && *x; x++)
        strbuf_addf(&sb, ", '%s'", *x);
    return strbuf_detach(&sb, NULL);
}

/*
 * Wait until `n` sessions of one run (none of `skip`, a NULL-terminated
 * list of run ids or NULL) run a query containing `marker` in databases
 * of that run; the run's id.  Sessions of a killed run's cases outlive
 * it, hence `skip`.  Fails when `b` ends first.
 */
static char *wait_for_run(const char *ci, struct bg *b, const char *const *skip,
                          int n, const char *marker)
{
    char *not_in = id_list(skip);
    char *sql = xasprintf(
        "SELECT substr(datname, 9, 8) FROM pg_stat_activity "
        "WHERE datname ~ '^isotest_[0-9a-f]{8}_' "
        "AND substr(datname, 9, 8) NOT IN (%s) AND query LIKE '%%%s%%' "
        "GROUP BY 1 HAVING count(*) >= %d LIMIT 1",
        not_in, marker, n);

    free(not_in);
    for (int i = 0;; i++) {
        char *id = itest_sql_value(ci, sql);
        if (id) {
            free(sql);
            return id;
        }
        int st;
        if (!bg_alive(b, &st)) {
            char *out = slurp(b->out_path), *err = slurp(b->err_path);
            cr_assert_fail("isotest ended (status %d) before %d of its cases "
                           "ran '%s'\n%s\n%s",
                           st, n, marker, out, err);
        }
        cr_assert(i < WAIT_S * 20,
                  "no run with %d sessions running '%s' after %d s", n, marker,
                  WAIT_S);
        sleep_ms(50);
    }
}

/*
 * Wait until a run (not `other`) has `n` sandbox databases
 * (isotest_<runid>_<n>); its id.  Fails when `b` ends first.
 */
static char *wait_for_sandboxes(const char *ci, struct bg *b, const char *other,
                                int n)
{
    char *sql = xasprintf("SELECT substr(datname, 9, 8) FROM pg_database "
                          "WHERE datname ~ '^isotest_[0-9a-f]{8}_[0-9]+$' "
                          "AND substr(datname, 9, 8) <> '%s' "
                          "GROUP BY 1 HAVING count(*) >= %d LIMIT 1",
                          other, n);

    for (int i = 0;; i++) {
        char *id = itest_sql_value(ci, sql);
        if (id) {
            free(sql);
            return id;
        }
        int st;
        if (!bg_alive(b, &st)) {
            char *out = slurp(b->out_path), *err = slurp(b->err_path);
            cr_assert_fail("isotest ended (status %d) before it had %d "
                           "sandboxes\n%s\n%s",
                           st, n, out, err);
        }
        cr_assert(i < WAIT_S * 20, "no run with %d sandboxes after %d s", n,
                  WAIT_S);
        sleep_ms(50);
    }
}

/* Each name of a ", " list is in `text` after `prefix`. */
static void assert_each_listed(const char *names, const char *prefix,
                               const char *text, const char *what)
{
    cr_assert(*names, "%s: no database names to look for", what);
    char *copy = xstrdup(names);
    for (char *p = copy; p && *p;) {
        char *sep = strstr(p, ", ");
        if (sep)
            *sep = '\0';
        char *line = xasprintf("%s%s\n", prefix, p);
        cr_assert(strstr(text, line), "%s: '%s' not in\n%s", what, line, text);
        free(line);
        p = sep ? sep + 2 : NULL;
    }
    free(copy);
}

static void assert_exit(const struct itest_result *r, int code,
                        const char *what)
{
    cr_assert_eq(r->code, code,
                 "%s: exit code %d, expected %d\nstdout:\n%s\nstderr:\n%s",
                 what, r->code, code, r->out, r->err);
}

/* ---- a run killed mid-run ------------------------------------------- */

/*
 * Start isotest on safe_sleep in `mode` and wait until both its cases
 * sleep in its databases (sessions of runs in `skip` do not count) and it
 * holds its lock on a session in database "postgres".  Returns the run id.
 */
static char *start_sleeping_run(struct bg *b, const char *ci, const char *mode,
                                const char *const *skip)
{
    bg_start(b, mode,
             ARGV("run", "--db", ci, "--isolation", mode, "-j", "2",
                  "--no-history", SLEEP),
             NULL);
    char *id = wait_for_run(ci, b, skip, 2, "pg_sleep(20)");
    char *holder = lock_holder_db(ci, id);
    cr_assert_str_eq(holder ? holder : "(no holder)", "postgres",
                     "run %s's lock is held in '%s'", id,
                     holder ? holder : "(no holder)");
    free(holder);
    return id;
}

/*
 * Test 1.  A killed run A, a live run B: `clean --dry-run` lists only A's
 * databases and drops nothing; the next run C drops A's and leaves B's,
 * which then passes.
 */
Test(safety, killed_run_reclaimed_live_run_untouched)
{
    const char *ci = itest_cluster_start();
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("SAFE_RELEASE=%s", release);
    struct bg a, b;
    struct itest_result r;

    /* A: two cases asleep in two sandboxes. */
    char *ida = start_sleeping_run(&a, ci, "database", NULL);
    cr_assert_geq(run_db_count(ci, ida), 2);

    /* B starts while A lives: its reclaim must leave A alone. */
    bg_start(&b, "b", ARGV("run", "--db", ci, "-j", "2", "--no-history", WAIT),
             ARGV(release_env));
    char *idb = wait_for_sandboxes(ci, &b, ida, 2);
    cr_assert_geq(run_db_count(ci, ida), 2,
                  "B's start dropped live run A's sandboxes");

    bg_kill(&a);
    wait_lock_released(ci, ida);
    char *a_dbs = run_db_names(ci, ida);
    cr_assert_geq(run_db_count(ci, ida), 2, "A's sandboxes vanished with A: %s",
                  a_dbs);
    char *b_dbs = run_db_names(ci, idb);

    /* clean --dry-run: lists A's, not B's, drops nothing. */
    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    assert_exit(&r, 0, "clean --dry-run");
    assert_each_listed(a_dbs, "would drop database ", r.out, "clean --dry-run");
    cr_assert(!strstr(r.out, idb) && !strstr(r.err, idb),
              "clean --dry-run names live run B (%s):\n%s\n%s", idb, r.out,
              r.err);
    cr_assert(!strstr(r.out, "dropped database"),
              "clean --dry-run dropped:\n%s", r.out);
    char *now = run_db_names(ci, ida);
    cr_assert_str_eq(now, a_dbs, "after clean --dry-run");
    free(now);
    itest_result_release(&r);

    /* C: reclaims A's at its start, leaves B's. */
    itest_run(&r, ARGV("run", "--db", ci, "--no-history", QUICK), NULL);
    assert_exit(&r, 0, "run C");
    assert_each_listed(a_dbs, "dropped database ", r.err, "run C's reclaim");
    cr_assert(!strstr(r.out, idb) && !strstr(r.err, idb),
              "run C names live run B (%s):\n%s\n%s", idb, r.out, r.err);
    itest_result_release(&r);
    cr_assert_eq(run_db_count(ci, ida), 0, "A's databases left: %s",
                 run_db_names(ci, ida));
    now = run_db_names(ci, idb);
    cr_assert_str_eq(now, b_dbs, "live run B's databases changed");
    free(now);
    char *holder = lock_holder_db(ci, idb);
    cr_assert(holder, "live run B lost its lock");
    free(holder);

    /* B was never disturbed. */
    write_file(release, "", 0644);
    bg_finish(&b, &r);
    assert_exit(&r, 0, "run B");
    cr_assert(strstr(r.out, "2 passed, 0 failed, 0 skipped"), "run B:\n%s\n%s",
              r.out, r.err);
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);

    bg_release(&a);
    bg_release(&b);
    free(a_dbs);
    free(b_dbs);
    free(ida);
    free(idb);
    free(release_env);
    free(release);
}

/*
 * Test 2.  `isotest clean` with no live run drops what killed runs left,
 * in every mode: sandboxes, isotest_<runid>_schemas, isotest_<runid>_shared.
 * All three are alive until killed together: a run started after one was
 * killed would reclaim its databases first.
 */
Test(safety, clean_drops_killed_runs)
{
    static const char *const modes[] = {"database", "schema", "none"};
    const char *ci = itest_cluster_start();
    struct strbuf all = STRBUF_INIT;
    char *ids[4] = {NULL, NULL, NULL, NULL};
    struct bg runs[3];
    struct itest_result r;

    for (size_t i = 0; i < 3; i++)
        ids[i] = start_sleeping_run(&runs[i], ci, modes[i], (const char **)ids);
    for (size_t i = 0; i < 3; i++) {
        bg_kill(&runs[i]);
        bg_release(&runs[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        wait_lock_released(ci, ids[i]);
        char *names = run_db_names(ci, ids[i]);
        strbuf_addf(&all, "%s%s", all.len ? ", " : "", names);
        free(names);
    }
    cr_assert(strstr(all.buf, "_schemas") && strstr(all.buf, "_shared"),
              "killed runs left: %s", all.buf);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean");
    assert_each_listed(all.buf, "dropped database ", r.out, "clean");
    for (size_t i = 0; i < 3; i++) {
        cr_assert_eq(run_db_count(ci, ids[i]), 0, "%s mode: left %s", modes[i],
                     run_db_names(ci, ids[i]));
        free(ids[i]);
    }
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);

    /* Nothing left: a second clean drops nothing. */
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "second clean");
    cr_assert(!strstr(r.out, "dropped database"), "second clean:\n%s", r.out);
    itest_result_release(&r);
    strbuf_release(&all);
}

/*
 * A run killed while building the template leaves isotest_<runid>_tplbuild
 * and no template; the next run reclaims it and builds the template.
 */
Test(safety, killed_during_template_build)
{
    const char *ci = itest_cluster_start();
    struct bg a;
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE safe_slow_build_marker");
    bg_start(&a, "build", ARGV("run", "--db", ci, "--no-history", SLOW_BUILD),
             NULL);
    char *id = wait_for_run(ci, &a, NULL, 1, "pg_sleep(CASE");
    char *build = xasprintf("isotest_%s_tplbuild", id);
    char *names = run_db_names(ci, id);
    cr_assert_str_eq(names, build, "while building: %s", names);
    free(names);
    /* A live run's template build is not clean's to drop. */
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean during a template build");
    cr_assert(!strstr(r.out, build), "clean touched a live build:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, build), 1);
    bg_kill(&a);
    wait_lock_released(ci, id);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 0,
                 "a half-built template is visible");
    itest_sql(ci, "DROP DATABASE safe_slow_build_marker");

    itest_run(&r, ARGV("run", "--db", ci, "--no-history", SLOW_BUILD), NULL);
    assert_exit(&r, 0, "the run after the killed build");
    char *line = xasprintf("dropped database %s\n", build);
    cr_assert(strstr(r.err, line), "'%s' not in\n%s", line, r.err);
    free(line);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 1);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);

    bg_release(&a);
    free(build);
    free(id);
}

/*
 * A session that holds a run's lock makes that run live, whatever the run
 * id: f00dcafe has its high bit set (a negative int4 key).
 */
Test(safety, lock_holder_protects_its_databases)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE isotest_f00dcafe_1");
    itest_sql(ci, "CREATE DATABASE isotest_f00dcafe_schemas");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_1");
    /* The lock as isotest takes it: pg_advisory_lock(int4, int4). */
    PGconn *holder = PQconnectdb(ci);
    cr_assert(PQstatus(holder) == CONNECTION_OK);
    PGresult *res = PQexec(holder, "SELECT pg_advisory_lock(" LOCK_CLASS
                                   ", x'f00dcafe'::int4)");
    cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK, "%s",
              PQerrorMessage(holder));
    PQclear(res);
    char *db = lock_holder_db(ci, "f00dcafe");
    cr_assert(db, "the lock does not show as objid %lu",
              lock_objid("f00dcafe"));
    free(db);

    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    assert_exit(&r, 0, "clean --dry-run");
    cr_assert(strstr(r.out, "would drop database isotest_0badc0de_1\n"), "%s",
              r.out);
    cr_assert(!strstr(r.out, "f00dcafe"), "live run listed:\n%s", r.out);
    itest_result_release(&r);

    itest_run(&r, ARGV("run", "--db", ci, "--no-history", QUICK), NULL);
    assert_exit(&r, 0, "run");
    cr_assert(!strstr(r.err, "f00dcafe"), "live run reclaimed:\n%s", r.err);
    itest_result_release(&r);
    cr_assert_eq(run_db_count(ci, "0badc0de"), 0);
    cr_assert_eq(run_db_count(ci, "f00dcafe"), 2,
                 "a live run's databases were dropped");

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean while the lock is held");
    cr_assert(!strstr(r.out, "f00dcafe"), "live run reclaimed:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(run_db_count(ci, "f00dcafe"), 2);

    /* The holder ends: the run is dead. */
    PQfinish(holder);
    wait_lock_released(ci, "f00dcafe");
    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean after the holder ended");
    assert_each_listed("isotest_f00dcafe_1, isotest_f00dcafe_schemas",
                       "dropped database ", r.out, "clean");
    itest_result_release(&r);
    itest_assert_no_sandboxes(ci);
}

/* ---- two runs at once ------------------------------------------------ */

/* Test 3.  Same fresh migrations, two runs together: one template. */
Test(safety, concurrent_runs_build_one_template)
{
    const char *ci = itest_cluster_start();
    char *junit[2] = {itest_tmpfile("x.xml"), itest_tmpfile("y.xml")};
    struct bg runs[2];
    struct itest_result r;
    struct itest_junit jc;

    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 0);
    for (int i = 0; i < 2; i++)
        bg_start(&runs[i], i ? "y" : "x",
                 ARGV("run", "--db", ci, "-j", "2", "--no-history", "--junit",
                      junit[i], SLOW_MIGRATION),
                 NULL);
    int reused = 0;
    char *names[2];
    for (int i = 0; i < 2; i++) {
        bg_finish(&runs[i], &r);
        assert_exit(&r, 0, i ? "run y" : "run x");
        itest_result_release(&r);
        itest_junit_check(junit[i], &jc);
        cr_assert_eq(jc.tests, 2);
        cr_assert_eq(jc.failures + jc.errors, 0);
        char *v = itest_junit_property(junit[i], "isotest.template_reused");
        cr_assert(v && (!strcmp(v, "true") || !strcmp(v, "false")),
                  "isotest.template_reused=%s", v ? v : "(none)");
        reused += !strcmp(v, "true");
        free(v);
        names[i] = itest_junit_property(junit[i], "isotest.template_name");
        cr_assert(names[i], "no isotest.template_name in %s", junit[i]);
        bg_release(&runs[i]);
    }
    cr_assert_eq(reused, 1,
                 "%d of the two reports say the template was "
                 "reused; expected exactly one",
                 reused);
    cr_assert_str_eq(names[0], names[1]);
    char *tpls = itest_db_names(ci, "isotest\\_tpl\\_%");
    cr_assert_str_eq(tpls, names[0], "templates on the server: %s", tpls);
    itest_assert_no_sandboxes(ci);

    free(tpls);
    for (int i = 0; i < 2; i++) {
        free(names[i]);
        free(junit[i]);
    }
}

/* ---- the user's data ------------------------------------------------- */

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
        int code = run_tool(ARGV(PG_DUMP, "--create",
                                 "--restrict-key=isotestsafety", "-h", sock,
                                 "-p", "5432", "-U", "postgres", "-d", dbs[i]),
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
        char *t = rows(ci, lists[i]);
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
        write_file(a, before, 0644);
        write_file(b, now, 0644);
        char *diff, *err;
        run_tool(ARGV("/usr/bin/diff", "-u", a, b), &diff, &err);
        cr_assert_fail("the server changed after %s:\n%s", after_what, diff);
    }
    free(now);
}

/*
 * Test 4.  --db names the user's database: every mode, passing, failing,
 * timing out and killed, then a clean -- the user's database, the
 * maintenance databases, roles and settings are byte for byte the same.
 */
Test(safety, untouched_user_database)
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
        assert_exit(&r, 1, what);
        cr_assert(strstr(r.out, "1 passed, 2 failed, 0 skipped"), "%s:\n%s\n%s",
                  what, r.out, r.err);
        cr_assert(strstr(r.err, "maintenance database 'postgres'"),
                  "%s: no note on the database used:\n%s", what, r.err);
        itest_result_release(&r);
        assert_state_unchanged(ci, before, what);
        free(what);

        /* Killed while a case hangs in its sandbox. */
        struct bg k;
        bg_start(&k, modes[i],
                 ARGV("run", "--db", user_ci, "--isolation", modes[i],
                      "--no-history", "--filter", "*sleeps", USER),
                 NULL);
        killed[i] =
            wait_for_run(ci, &k, (const char **)killed, 1, "pg_sleep(30)");
        bg_kill(&k);
        bg_release(&k);
        wait_lock_released(ci, killed[i]);
        what = xasprintf("a %s-mode run killed mid-run", modes[i]);
        assert_state_unchanged(ci, before, what);
        free(what);
    }
    itest_run(&r, ARGV("clean", "--db", user_ci), NULL);
    assert_exit(&r, 0, "clean");
    itest_result_release(&r);
    assert_state_unchanged(ci, before, "isotest clean");
    itest_assert_no_sandboxes(ci);

    for (size_t i = 0; i < 3; i++)
        free(killed[i]);
    free(before);
    free(user_ci);
}

/* Test 5.  A --db naming a database that does not exist still works. */
Test(safety, url_database_that_does_not_exist)
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
        assert_exit(&r, 0, dbs[i]);
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
Test(safety, role_without_createdb)
{
    const char *ci = itest_cluster_start();
    char *db = xasprintf("host=%s port=5432 user=safe_nocreatedb",
                         itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE safe_nocreatedb LOGIN NOCREATEDB");
    itest_run(&r, ARGV("run", "--db", db, "--no-history", QUICK), NULL);
    assert_exit(&r, 2, "run as a role without CREATEDB");
    cr_assert(strstr(r.err, "ALTER ROLE safe_nocreatedb CREATEDB"),
              "no 'ALTER ROLE safe_nocreatedb CREATEDB' in\n%s", r.err);
    cr_assert_eq(itest_db_count(ci, "isotest%"), 0, "created: %s",
                 itest_db_names(ci, "isotest%"));
    itest_result_release(&r);
    free(db);
}

/* ---- secrets ----------------------------------------------------------- */

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
        char *text = slurp(files[i]);
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
    assert_exit(&r, 1, what);
    cr_assert(strstr(r.out, "1 passed, 2 failed, 0 skipped"),
              "%s: the case given the password could not use it:\n%s\n%s", what,
              r.out, r.err);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 3);
    cr_assert(access(history, F_OK) == 0, "%s: no history file written", what);
    /* The cases did print it, as ***. */
    char *xml = slurp(junit);
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
Test(safety, password_never_shown)
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
    write_file(pgpass, "*:*:*:postgres:" PASSWORD "\n", 0600);
    secret_run(ci, ARGV(pgpass_env), secrets, "PGPASSFILE");

    /* A wrong password, each way: exit 2, never shown. */
    static const char wrong[] = "Wr0ng-Pa55-QQ";
    char *bad_url = xasprintf("postgresql://postgres:%s@/postgres?host=%s"
                              "&port=5432",
                              wrong, sock);
    write_file(pgpass, "*:*:*:postgres:Wr0ng-Pa55-QQ\n", 0600);
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
        assert_exit(&r, 2, "a wrong password");
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
Test(safety, password_with_url_characters_never_shown)
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
Test(safety, password_in_output_with_nul_bytes_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *junit = itest_tmpfile("binary.xml");
    char *history = itest_tmpfile("binary.history");
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--junit", junit, "--history", history,
                   "--filter", "*env0*", SECRET_BINARY),
              ARGV("PGPASSWORD=" PASSWORD));
    assert_exit(&r, 1, "a case printing env -0");
    assert_nowhere(PASSWORD, &r, junit, history, "env -0");
    itest_result_release(&r);
    free(junit);
    free(history);
}

/*
 * The output cap (--output-cap, at least 1024 bytes) may end inside the
 * password: what is kept of it must not show its beginning either.
 */
Test(safety, password_cut_by_output_cap_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *junit = itest_tmpfile("cap.xml");
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--junit", junit, "--no-history",
                   "--output-cap", "1024", "--filter", "*long*", SECRET_BINARY),
              ARGV("PGPASSWORD=" PASSWORD));
    assert_exit(&r, 1, "a case printing 1018 bytes and the password");
    /* 1024 - 1018 = 6: "S3cr3t" of "S3cr3t-XYZ" would be kept. */
    assert_nowhere("S3cr3t", &r, junit, NULL, "--output-cap 1024");
    itest_result_release(&r);
    free(junit);
}

/* A --db value that does not parse or connect never echoes its password. */
Test(safety, password_in_bad_db_value_never_shown)
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
        assert_exit(&r, 2, bad[i]);
        assert_nowhere("S3cr3t", &r, NULL, NULL, bad[i]);
        itest_result_release(&r);
        itest_run(&r, ARGV("clean", "--db", bad[i]), NULL);
        assert_exit(&r, 2, bad[i]);
        assert_nowhere("S3cr3t", &r, NULL, NULL, bad[i]);
        itest_result_release(&r);
    }
}

/* ---- isotest clean ---------------------------------------------------- */

/* Test 8.  A database the role may not drop: reported, the rest dropped. */
Test(safety, clean_reports_what_it_cannot_drop)
{
    const char *ci = itest_cluster_start();
    char *db = xasprintf("host=%s port=5432 user=safe_cleaner",
                         itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE ROLE safe_cleaner LOGIN CREATEDB");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_1 OWNER postgres");
    itest_sql(ci, "CREATE DATABASE isotest_0badc0df_1 OWNER safe_cleaner");

    itest_run(&r, ARGV("clean", "--db", db), NULL);
    assert_exit(&r, 1, "clean with a database it may not drop");
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

/* clean needs a server: no --db and no PG* variables is a usage error. */
Test(safety, clean_without_server)
{
    struct itest_result r;

    itest_run(&r, ARGV("clean"), NULL);
    assert_exit(&r, 2, "clean without a server");
    cr_assert(strstr(r.err, "--db"), "%s", r.err);
    itest_result_release(&r);
    itest_run(&r, ARGV("clean", "--dry-run"), NULL);
    assert_exit(&r, 2, "clean --dry-run without a server");
    itest_result_release(&r);
}

/* The PG* variables name the server for clean (and reclaim) too. */
Test(safety, clean_with_pg_environment)
{
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    struct itest_result r;

    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_7");
    itest_run(&r, ARGV("clean"), ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    assert_exit(&r, 0, "clean with PGHOST");
    cr_assert(strstr(r.out, "dropped database isotest_0badc0de_7\n"), "%s",
              r.out);
    itest_result_release(&r);

    itest_sql(ci, "CREATE DATABASE isotest_0badc0de_8");
    itest_run(&r, ARGV("run", "--no-history", QUICK),
              ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    assert_exit(&r, 0, "run with PGHOST");
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
Test(safety, kept_sandboxes_and_keep_age)
{
    const char *ci = itest_cluster_start();
    struct itest_result r;

    itest_run(&r,
              ARGV("run", "--db", ci, "--keep-failed", "--no-history",
                   "--filter", "*fails", USER),
              NULL);
    assert_exit(&r, 1, "run --keep-failed");
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
    assert_exit(&r, 0, "the next run");
    cr_assert(strstr(r.err, "dropped database isotest_0badc0de_3\n"),
              "the old kept sandbox was not reclaimed:\n%s", r.err);
    cr_assert(!strstr(r.err, kept), "a young kept sandbox was reclaimed:\n%s",
              r.err);
    itest_result_release(&r);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean");
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
    assert_exit(&r, 0, "clean --keep-age 3600");
    cr_assert(!strstr(r.out, kept), "dropped before --keep-age:\n%s", r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, kept), 1);

    itest_run(&r, ARGV("clean", "--db", ci, "--keep-age", "60"), NULL);
    assert_exit(&r, 0, "clean --keep-age 60");
    char *line = xasprintf("dropped database %s\n", kept);
    cr_assert(strstr(r.out, line), "'%s' not in\n%s", line, r.out);
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, kept), 0);
    itest_assert_no_sandboxes(ci);
    free(line);
    free(kept);
}

/* ---- old templates ----------------------------------------------------- */

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
        write_file(path, sql, 0644);
        free(path);
        free(sql);
        path = xasprintf("%s/ok.sql", suite);
        write_file(path, "SELECT 1;\n", 0644);
        free(path);
        char *junit = xasprintf("%s/report.xml", suite);

        struct itest_result r;
        itest_run(
            &r,
            ARGV("run", "--db", ci, "--no-history", "--junit", junit, suite),
            NULL);
        assert_exit(&r, 0, suite);
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
Test(safety, clean_keeps_three_newest_templates)
{
    const char *ci = itest_cluster_start();
    char *names[5];
    struct itest_result r;

    build_five_templates(ci, names);
    itest_run(&r, ARGV("clean", "--dry-run", "--db", ci), NULL);
    assert_exit(&r, 0, "clean --dry-run");
    itest_result_release(&r);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 5,
                 "clean --dry-run dropped templates");

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean");
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
Test(safety, clean_keeps_template_of_live_run)
{
    const char *ci = itest_cluster_start();
    char *release = itest_tmpfile("release");
    char *release_env = xasprintf("SAFE_RELEASE=%s", release);
    char *names[5];
    struct itest_result r;
    struct bg live;

    build_five_templates(ci, names);
    /* A live run on the oldest template (suite1's migrations). */
    char *mig = xasprintf("%s/suite1/migrations", itest_tmpdir());
    char *junit = itest_tmpfile("live.xml");
    bg_start(&live, "live",
             ARGV("run", "--db", ci, "-j", "2", "--no-history", "--junit",
                  junit, "--migrations", mig, WAIT),
             ARGV(release_env));
    char *id = wait_for_sandboxes(ci, &live, "", 2);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean during a live run");
    cr_assert(!strstr(r.out, names[0]), "the live run's template went:\n%s",
              r.out);
    itest_result_release(&r);
    assert_templates(ci, names, (const int[]){0, 2, 3, 4}, 4);

    write_file(release, "", 0644);
    bg_finish(&live, &r);
    assert_exit(&r, 0, "the live run");
    itest_result_release(&r);
    char *used = itest_junit_property(junit, "isotest.template_name");
    cr_assert_str_eq(used ? used : "", names[0]);

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    assert_exit(&r, 0, "clean after the live run");
    itest_result_release(&r);
    assert_templates(ci, names, (const int[]){2, 3, 4}, 3);
    itest_assert_no_sandboxes(ci);

    bg_release(&live);
    for (int i = 0; i < 5; i++)
        free(names[i]);
    free(used);
    free(id);
    free(junit);
    free(mig);
    free(release_env);
    free(release);
}
