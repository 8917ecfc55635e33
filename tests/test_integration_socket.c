/*
 * test_integration_socket.c: `isotest exec` and its sandbox socket, driven
 * by small Python clients that speak the protocol byte by byte.
 *
 *   - HELLO, ACQUIRE, RELEASE and KEEP as a client uses them: the answers,
 *     the URL, distinct databases that exist while held and are gone once
 *     released; a kept one outlives the run;
 *   - malformed requests get one ERR line each and the connection goes on;
 *     lines over 4096 bytes end the connection; RELEASE does not wait for
 *     a session still busy in the sandbox;
 *   - 8 clients at once, 10 sandboxes each; a client killed while holding
 *     sandboxes; `isotest exec` itself killed (clean, or the next run,
 *     drops what it left);
 *   - exit codes: the command's, 128 + N for signal N, 2 when there is no
 *     command to run; nothing left behind: no sandbox, no socket folder;
 *   - --isolation schema.
 *
 * Each test starts a private server (helpers.h) passed as --db, so that
 * the catalog can be checked, and gives isotest a TMPDIR of its own in
 * the scratch folder, so that its socket folder can be looked for.
 *
 * Fixtures: tests/fixtures/exec_socket holds the template's migrations,
 * sockproto.py (a bare client of the protocol, and catalog checks with
 * psycopg2) and one script per scenario; each script checks what it can
 * see while `isotest exec` runs, and the test checks the rest afterwards.
 * The scripts find the server in ITEST_CI and write what the test needs
 * to ITEST_OUT.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"

#define PYTHON "/usr/bin/python3"
#define FX FIXTURES "/exec_socket"
#define MIGRATIONS FX "/migrations"
#define MAX_ARGS 24

TestSuite(socket, .fini = itest_teardown, .timeout = 240);

/* ---- running a script under isotest exec -------------------------------- */

/* What a test gives `isotest exec` (one test per process). */
static struct {
    const char *ci; /* the private server */
    char *tmp;      /* TMPDIR: the socket folder goes there */
    char *out;      /* ITEST_OUT */
    char *script;   /* the script's path, of the last exec_args() */
    char *env[6];
} sx;

/* Start the private server and build the scripts' environment. */
static const char *setup(void)
{
    sx.ci = itest_cluster_start();
    sx.tmp = itest_tmpsubdir("tmp");
    sx.out = itest_tmpfile("script.out");
    sx.env[0] = xasprintf("ITEST_CI=%s", sx.ci);
    sx.env[1] = xasprintf("ITEST_OUT=%s", sx.out);
    sx.env[2] = xasprintf("TMPDIR=%s", sx.tmp);
    sx.env[3] = xstrdup("ITEST_VERSION=" ISOTEST_VERSION);
    /* The fixture folder is shared by tests running at once. */
    sx.env[4] = xstrdup("PYTHONDONTWRITEBYTECODE=1");
    sx.env[5] = NULL;
    return sx.ci;
}

/*
 * The arguments of `isotest exec --db CI --migrations M [opts] -- python3
 * FX/script [args]`, into argv (MAX_ARGS long, NULL-terminated).
 */
static void exec_args(const char **argv, const char *const *opts,
                      const char *script, const char *const *args)
{
    size_t n = 0;

    argv[n++] = "exec";
    argv[n++] = "--db";
    argv[n++] = sx.ci;
    argv[n++] = "--migrations";
    argv[n++] = MIGRATIONS;
    for (const char *const *o = opts; o && *o; o++)
        argv[n++] = *o;
    argv[n++] = "--";
    argv[n++] = PYTHON;
    free(sx.script);
    sx.script = xasprintf("%s/%s", FX, script);
    argv[n++] = sx.script;
    for (const char *const *a = args; a && *a; a++)
        argv[n++] = *a;
    cr_assert(n < MAX_ARGS, "too many arguments");
    argv[n] = NULL;
}

static void exec_script(struct itest_result *r, const char *const *opts,
                        const char *script, const char *const *args)
{
    const char *argv[MAX_ARGS];

    exec_args(argv, opts, script, args);
    itest_run(r, argv, (const char *const *)sx.env);
}

/* The script ran to `code` and printed `marker`. */
static void assert_script(const struct itest_result *r, int code,
                          const char *marker)
{
    itest_assert_exit(r, code, "isotest exec");
    cr_assert(strstr(r->out, marker), "no '%s' from the script:\n%s\n%s",
              marker, r->out, r->err);
}

/* Nothing left: no sandbox database, nothing in the TMPDIR given. */
static void assert_nothing_left(void)
{
    itest_assert_no_sandboxes(sx.ci);
    itest_assert_empty_dir(sx.tmp, "isotest exec");
}

/* ---- the requests ------------------------------------------------------- */

Test(socket, hello_acquire_release)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "hello.py", NULL);
    assert_script(&r, 0, "hello ok");
    assert_nothing_left();
    itest_result_release(&r);
}

Test(socket, keep_leaves_the_sandbox)
{
    const char *ci = setup();
    struct itest_result r;

    exec_script(&r, NULL, "keep.py", NULL);
    assert_script(&r, 0, "keep ok");
    char *name = itest_read_file(sx.out);
    name[strcspn(name, "\n")] = '\0';

    /* It outlived the run, with its data and the kept mark. */
    cr_assert_eq(itest_db_count(ci, name), 1, "kept %s is gone", name);
    char *in_kept = xasprintf("%s dbname=%s", ci, name);
    char *v = itest_sql_value(in_kept, "SELECT v FROM kept_marker");
    cr_assert_str_eq(v, "still here");
    free(v);
    char *sql = xasprintf("SELECT shobj_description(oid, 'pg_database') "
                          "FROM pg_database WHERE datname = '%s'",
                          name); /* isotest_<runid>_<n>: no quoting needed */
    char *comment = itest_sql_value(ci, sql);
    cr_assert(comment && !strncmp(comment, "isotest kept at ", 16),
              "comment of %s: %s", name, comment ? comment : "(none)");

    /* Too young for clean's default --keep-age. */
    struct itest_result c;
    itest_run(&c, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&c, 0, "isotest clean");
    cr_assert_eq(itest_db_count(ci, name), 1, "clean dropped %s:\n%s", name,
                 c.out);
    itest_result_release(&c);

    char *drop = xasprintf("DROP DATABASE %s", name);
    itest_sql(ci, drop);
    assert_nothing_left();
    free(drop);
    free(comment);
    free(sql);
    free(in_kept);
    free(name);
    itest_result_release(&r);
}

Test(socket, malformed_requests_get_err)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "malformed.py", NULL);
    /* 7 is the script's own code: the server survived everything. */
    assert_script(&r, 7, "malformed ok");
    assert_nothing_left();
    itest_result_release(&r);
}

/*
 * "ERR request line too long", then the connection is closed at once: a
 * client reading on must see the end, not wait for another client to
 * connect.
 */
Test(socket, overlong_line_closes_the_connection)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "overlong.py", ARGV("split"));
    assert_script(&r, 0, "overlong ok");
    assert_nothing_left();
    itest_result_release(&r);
}

/* The 4096-byte limit holds however the bytes came in. */
Test(socket, overlong_line_refused_in_one_write)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "overlong.py", ARGV("whole"));
    assert_script(&r, 0, "overlong ok");
    assert_nothing_left();
    itest_result_release(&r);
}

/*
 * A session still busy in a sandbox (connected by its URL, a lock held)
 * must not hold up RELEASE: the server ends it.
 */
static void assert_release_busy(const char *mode)
{
    struct itest_result r;

    setup();
    exec_script(&r, ARGV("--isolation", mode), "release_busy.py", ARGV(mode));
    assert_script(&r, 0, "release busy ok");
    assert_nothing_left();
    itest_result_release(&r);
}

Test(socket, release_ends_a_busy_session_database)
{
    assert_release_busy("database");
}

Test(socket, release_ends_a_busy_session_schema)
{
    assert_release_busy("schema");
}

/* ---- many clients, dying clients ---------------------------------------- */

Test(socket, eight_clients_at_once)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "concurrent.py", NULL);
    assert_script(&r, 0, "concurrent ok: 80 sandboxes");
    assert_nothing_left();
    itest_result_release(&r);
}

Test(socket, dead_client_sandboxes_dropped)
{
    struct itest_result r;

    setup();
    exec_script(&r, NULL, "dead_client.py", NULL);
    assert_script(&r, 0, "dead client ok");
    assert_nothing_left();
    itest_result_release(&r);
}

/* ---- exit codes --------------------------------------------------------- */

static void assert_ending(const char *how, const char *arg, int code)
{
    struct itest_result r;
    char *marker = xasprintf("ending %s %s", how, arg);

    setup();
    exec_script(&r, NULL, "ending.py", ARGV(how, arg));
    assert_script(&r, code, marker);
    assert_nothing_left();
    free(marker);
    itest_result_release(&r);
}

Test(socket, exit_code_is_the_commands)
{
    assert_ending("exit", "3", 3);
}

Test(socket, exit_code_zero)
{
    assert_ending("exit", "0", 0);
}

Test(socket, command_killed_by_sigterm_is_143)
{
    assert_ending("signal", "TERM", 143);
}

Test(socket, command_killed_by_sigkill_is_137)
{
    assert_ending("signal", "KILL", 137);
}

Test(socket, missing_command_is_2)
{
    static const char *const cmds[] = {"/nonexistent/isotest-no-such-cmd",
                                       "isotest-no-such-cmd-in-path"};

    setup();
    for (size_t i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
        struct itest_result r;
        itest_run(&r,
                  ARGV("exec", "--db", sx.ci, "--migrations", MIGRATIONS, "--",
                       cmds[i], "arg"),
                  (const char *const *)sx.env);
        itest_assert_exit(&r, 2, cmds[i]);
        char *want = xasprintf("cannot run '%s'", cmds[i]);
        cr_assert(strstr(r.err, want) && strstr(r.err, "No such file"),
                  "no '%s: No such file...' message:\n%s", want, r.err);
        free(want);
        itest_result_release(&r);
    }
    assert_nothing_left();
}

Test(socket, no_command_is_2)
{
    static const struct {
        const char *after_db; /* what follows "exec --db CI" */
        const char *msg;
    } cases[] = {
        {NULL, "no command given"},
        {"--", "no command given"},
        {PYTHON, "unexpected argument '" PYTHON "'"},
    };

    setup();
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct itest_result r;
        itest_run(&r, ARGV("exec", "--db", sx.ci, cases[i].after_db),
                  (const char *const *)sx.env);
        itest_assert_exit(&r, 2, cases[i].msg);
        cr_assert(strstr(r.err, cases[i].msg), "no '%s' in:\n%s", cases[i].msg,
                  r.err);
        itest_result_release(&r);
    }
    assert_nothing_left();
}

/* ---- isotest exec killed ------------------------------------------------ */

/*
 * Start `isotest exec -- hold.py 2` in the background and wait until its
 * script holds two sandboxes; the run id and the names ("RUNID N1 N2"),
 * which the caller frees.
 */
static char *start_holding(struct itest_bg *b)
{
    const char *argv[MAX_ARGS];

    exec_args(argv, NULL, "hold.py", ARGV("2"));
    itest_bg_start(b, "exec", argv, (const char *const *)sx.env);
    for (int i = 0; access(sx.out, R_OK) != 0; i++) {
        if (!itest_bg_alive(b)) {
            char *err = itest_read_file(b->err_path);
            cr_assert_fail("isotest exec ended (status %d) before its "
                           "script held its sandboxes:\n%s",
                           b->status, err);
        }
        cr_assert(i < ITEST_WAIT_S * 20, "the script never held its "
                                         "sandboxes");
        itest_sleep_ms(50);
    }
    char *text = itest_read_file(sx.out);
    text[strcspn(text, "\n")] = '\0';
    return text;
}

/* Split "RUNID N1 N2" in place. */
static void split3(char *text, char **runid, char **n1, char **n2)
{
    *runid = text;
    *n1 = strchr(text, ' ');
    cr_assert(*n1, "bad line '%s'", text);
    *(*n1)++ = '\0';
    *n2 = strchr(*n1, ' ');
    cr_assert(*n2, "bad line '%s'", *n1);
    *(*n2)++ = '\0';
}

/*
 * Wait until no other session is left on the private server: the killed
 * run's pool may have been making a clone, which its server session
 * finishes before it notices its client is gone -- a database that would
 * appear after the check.
 */
static void wait_sessions_gone(const char *ci)
{
    for (int i = 0;; i++) {
        char *n = itest_sql_value(ci, "SELECT count(*) FROM pg_stat_activity "
                                      "WHERE backend_type = 'client backend' "
                                      "AND pid <> pg_backend_pid()");
        bool none = !strcmp(n, "0");
        free(n);
        if (none)
            return;
        cr_assert(i < ITEST_WAIT_S * 20, "the killed run's sessions are "
                                         "still there");
        itest_sleep_ms(50);
    }
}

/* SIGKILL isotest exec (and its script): its sandboxes stay behind. */
static char *kill_holding(char **runid, char **n1, char **n2)
{
    struct itest_bg b;
    char *text = start_holding(&b);

    split3(text, runid, n1, n2);
    itest_bg_kill(&b);
    itest_bg_release(&b);
    itest_wait_lock_released(sx.ci, *runid);
    wait_sessions_gone(sx.ci);
    cr_assert_eq(itest_db_count(sx.ci, *n1), 1, "%s is gone already", *n1);
    cr_assert_eq(itest_db_count(sx.ci, *n2), 1, "%s is gone already", *n2);
    return text;
}

Test(socket, killed_exec_cleaned_by_clean)
{
    const char *ci = setup();
    char *runid, *n1, *n2;
    char *text = kill_holding(&runid, &n1, &n2);
    struct itest_result r;

    itest_run(&r, ARGV("clean", "--db", ci), NULL);
    itest_assert_exit(&r, 0, "isotest clean");
    char *l1 = xasprintf("dropped database %s\n", n1);
    char *l2 = xasprintf("dropped database %s\n", n2);
    cr_assert(strstr(r.out, l1) && strstr(r.out, l2),
              "clean did not drop %s and %s:\n%s", n1, n2, r.out);
    cr_assert_eq(itest_run_db_count(ci, runid), 0, "left: %s",
                 itest_run_db_names(ci, runid));
    itest_assert_no_sandboxes(ci);
    free(l1);
    free(l2);
    free(text);
    itest_result_release(&r);
}

Test(socket, killed_exec_reclaimed_by_next_run)
{
    const char *ci = setup();
    char *runid, *n1, *n2;
    char *text = kill_holding(&runid, &n1, &n2);
    struct itest_result r;

    /*
     * Not given sx.env: the killed run's socket folder is still in sx.tmp
     * (nothing is left to remove it), and this run's folder must not be
     * mistaken for it.
     */
    itest_run(
        &r, ARGV("exec", "--db", ci, "--migrations", MIGRATIONS, "--", "true"),
        NULL);
    itest_assert_exit(&r, 0, "the next isotest exec");
    cr_assert_eq(itest_run_db_count(ci, runid), 0, "not reclaimed: %s\n%s",
                 itest_run_db_names(ci, runid), r.err);
    itest_assert_no_sandboxes(ci);
    free(text);
    itest_result_release(&r);
}

/* ---- schema mode -------------------------------------------------------- */

Test(socket, schema_mode)
{
    struct itest_result r;

    setup();
    exec_script(&r, ARGV("--isolation", "schema"), "schema.py", NULL);
    assert_script(&r, 0, "schema ok");
    assert_nothing_left();
    itest_result_release(&r);
}
