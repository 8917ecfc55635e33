/*
 * cmd_run.c: `isotest run`.
 *
 * A run: options, discovery, history; a libisotest session (server,
 * template, sandbox pool); the worker pool; the reports; the history
 * saved.  Everything the run holds lives in one struct run, released on
 * one exit path.  Main thread only.
 */
#include "advice.h"
#include "caseenv.h"
#include "commands.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "config.h"
#include "discover.h"
#include "escapes.h"
#include "history.h"
#include "isotest.h"
#include "options.h"
#include "pgtap_funcs.h"
#include "pool.h"
#include "production/schema_from.h"
#include "reporters/annotate.h"
#include "reporters/console.h"
#include "reporters/html.h"
#include "reporters/junit.h"
#include "reporters/tap_out.h"
#include "shard.h"
#include "signals.h"
#include "slowstep.h"
#include "strays.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Everything a run holds, so that one exit path releases it. */
struct run {
    struct run_options o;
    struct case_list cl;
    struct isotest_session *session;
    struct test_result *results;
    const char **exts;
    size_t nexts;
    char *psql;
    struct history hist;
    char *hist_path; /* NULL: --no-history */
    size_t *order;
    int jobs;
    double t0;
    double first_start_ms;
    struct schema_from schema; /* --schema-from: its migrations folder */
    struct shard_plan shard;   /* --shard: what this part holds */
    char *lost;                /* why the server went away, or NULL */
    char *stray_prefix;        /* "isotest_<runid>_": the cases' sandboxes */
    struct watch guard;        /* ends the cases if isotest is killed */
    struct caseenv env;        /* --env, --pass-env; regress defaults */
    bool escape_check;         /* look for changes outside the sandboxes */
    struct escapes before;     /* the server outside the sandboxes */
    struct strbuf escaped;     /* what changed there, one line each */
    size_t nescaped;
};

static char *find_psql(void)
{
    const char *env = getenv("ISOTEST_PSQL");
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (env && *env)
        return xstrdup(env);
    char *bindir = isotest_pg_bindir(&ignore);
    isotest_err_release(&ignore);
    if (bindir) {
        char *p = xasprintf("%s/psql", bindir);
        free(bindir);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return xstrdup("psql");
}

static void run_release(struct run *r, unsigned close_flags)
{
    struct cmd_closing c = {
        .s = r->session, .flags = close_flags, .quiet = r->lost != NULL};

    signals_cleanup(cmd_close_session, &c);
    r->session = NULL;
    watch_disarm(&r->guard);
    free(r->stray_prefix);
    if (r->results)
        for (size_t i = 0; i < r->cl.n; i++)
            result_release(&r->results[i]);
    free(r->results);
    case_list_release(&r->cl);
    options_release(&r->o);
    free(r->exts);
    free(r->psql);
    history_release(&r->hist);
    free(r->hist_path);
    free(r->order);
    free(r->lost);
    escapes_release(&r->before);
    strbuf_release(&r->escaped);
    schema_from_release(&r->schema);
    caseenv_release(&r->env);
}

/* The extensions the template gets: --extension, and pgtap when used. */
static void choose_extensions(struct run *r)
{
    bool want_pgtap = r->o.pgtap_functions != NULL;

    for (size_t i = 0; i < r->cl.n; i++)
        if (r->cl.v[i].kind == CASE_SQL && r->cl.v[i].uses_pgtap)
            want_pgtap = true;
    r->exts = xcalloc(r->o.nextensions + 1, sizeof(*r->exts));
    for (size_t i = 0; i < r->o.nextensions; i++) {
        r->exts[r->nexts++] = r->o.extensions[i];
        if (!strcmp(r->o.extensions[i], "pgtap"))
            want_pgtap = false;
    }
    if (want_pgtap)
        r->exts[r->nexts++] = "pgtap";
}

static void plan_cases(struct run *r)
{
    if (r->o.shard.total)
        cmd_apply_shard(&r->o, &r->cl, &r->hist,
                        r->o.compare_with ? r->o.compare_with : r->hist_path,
                        &r->shard);
    r->order = history_schedule(&r->hist, &r->cl);
}

/* What comes before the server: cases, reports' paths, history, order. */
static int prepare(struct run *r, struct isotest_err *e)
{
    if (cmd_discover(&r->o, &r->cl, e) < 0)
        return -1;
    if (r->o.schema_from) {
        if (schema_from_prepare(&r->schema, r->o.schema_from,
                                r->o.exclude_schemas, r->o.nexclude_schemas,
                                e) < 0)
            return -1;
        free(r->cl.migrations_dir);
        r->cl.migrations_dir = xstrdup(r->schema.dir);
    }
    if (r->cl.notes.len)
        fputs(r->cl.notes.buf, stderr);
    choose_extensions(r);
    caseenv_init(&r->env, &r->o);
    advice_print_env(stderr, &r->o);
    /* libpq would read these into in-process cases only: caseenv has them. */
    static const char *const session_vars[] = {"PGTZ", "PGDATESTYLE", "PGGEQO",
                                               "PGOPTIONS", "PGCLIENTENCODING"};
    for (size_t i = 0; i < sizeof(session_vars) / sizeof(*session_vars); i++)
        unsetenv(session_vars[i]);
    r->psql = find_psql();
    /* Fail before the run, not after it, when a report cannot be written. */
    if ((r->o.junit && fs_check_writable(r->o.junit, "report", e) < 0) ||
        (r->o.html && fs_check_writable(r->o.html, "report", e) < 0) ||
        (r->o.tap && strcmp(r->o.tap, "-") &&
         fs_check_writable(r->o.tap, "report", e) < 0))
        return -1;
    if (!r->o.no_history)
        r->hist_path =
            r->o.history ? xstrdup(r->o.history) : cmd_history_path(&r->o);
    if (r->o.compare_with) {
        if (history_load_junit(&r->hist, r->o.compare_with, e) < 0)
            return err_prefix(e, "--compare-with");
    } else if (r->hist_path && history_load(&r->hist, r->hist_path, e) < 0) {
        return -1;
    }
    r->jobs = r->o.jobs;
    if (!r->jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        r->jobs = n > 0 ? (int)n : 1;
    }
    return 0;
}

/* A set-up step is named on stderr once it has taken this long. */
#define SLOW_STEP_MS 2000.0

static int open_session_steps(struct run *r, struct slowstep *step,
                              struct isotest_err *e);

/* The session: server, reclaim, template, pool, warmed. */
static int open_session(struct run *r, struct isotest_err *e)
{
    struct slowstep step;

    slowstep_start(&step, stderr, SLOW_STEP_MS);
    int ret = open_session_steps(r, &step, e);
    slowstep_stop(&step);
    return ret;
}

static int open_session_steps(struct run *r, struct slowstep *step,
                              struct isotest_err *e)
{
    struct isotest_options so = ISOTEST_OPTIONS_INIT;

    so.db = r->o.db;
    so.migrations = r->cl.migrations_dir;
    so.isolation = r->o.mode;
    so.extensions = r->exts;
    so.n_extensions = r->nexts;
    so.pool = r->o.pool < 0 ? r->jobs : r->o.pool;
    /* A retry beyond it gets its clone on demand (the pool's rule). */
    so.expected = pgtap_funcs_expected(&r->o, r->cl.n, r->jobs);
    so.clone_strategy = r->o.clone_strategy;
    so.no_cache = r->o.no_cache;
    so.server_options = r->o.server_options;
    so.n_server_options = r->o.nserver_options;
    so.pg_bindir = r->o.pg_bindir;
    so.progress = slowstep_say;
    so.progress_arg = step;
    /* --schema-from: the database dumped, not its temporary folder. */
    so.suite = r->o.suite_name ? r->o.suite_name : r->schema.suite;
    so.cancelled = signals_cancelled; /* Ctrl-C during the template build */
    r->session = isotest_session_open(&so, e);
    if (!r->session)
        return -1;
    signals_watch_session(r->session);
    caseenv_settle_session(&r->env, r->session);
    const struct isotest_session_info *si = isotest_session_info(r->session);
    if (si->embedded && (si->server_options[0] || r->o.pg_bindir))
        fprintf(stderr, "isotest: embedded server %s from %s%s%s\n",
                si->server_version, si->pg_bindir,
                si->server_options[0] ? ", with " : "", si->server_options);
    r->stray_prefix = xasprintf("isotest_%s_", si->runid);
    /*
     * On the embedded server the check runs even when not asked for: what
     * cases change there must not be kept in its cache.
     */
    r->escape_check = !r->o.no_escape_check || si->embedded;
    if (strays_guard(&r->guard, r->stray_prefix, e) < 0)
        return -1;
    if (si->url_db && strcmp(si->url_db, si->maint_db) != 0)
        fprintf(stderr,
                "isotest: note: the database '%s' named in --db is not used: "
                "isotest needs only the server, and connects to the "
                "maintenance database '%s'\n",
                si->url_db, si->maint_db);
    if (si->reclaimed[0])
        fprintf(stderr, "isotest: reclaimed dead runs' sandboxes:\n%s",
                si->reclaimed);
    if (si->templates_retired)
        fprintf(stderr,
                "isotest: retired %d superseded template%s of this "
                "suite\n",
                si->templates_retired, si->templates_retired == 1 ? "" : "s");
    /*
     * Fill the pool before the first case: one clone time at start-up
     * instead of the first cases each waiting for theirs.
     */
    struct escapes_job before;
    if (r->escape_check)
        escapes_snapshot_start(&before, r->session, &r->before);
    char *what = xasprintf("preparing %d sandboxes", r->jobs);
    slowstep_say(step, what);
    free(what);
    int w = isotest_session_warm(r->session, r->jobs, e);
    slowstep_say(step, NULL);
    struct isotest_err e2 = ISOTEST_ERR_INIT;
    if (r->escape_check && escapes_snapshot_finish(&before, &e2) < 0 &&
        w == 0) {
        err_set(e, "%s", e2.msg);
        w = -1;
    }
    isotest_err_release(&e2);
    return w;
}

static void init_results(struct run *r)
{
    r->results = xcalloc(r->cl.n, sizeof(*r->results));
    for (size_t i = 0; i < r->cl.n; i++) {
        const struct test_case *c = &r->cl.v[i];
        r->results[i].id = c->id;
        r->results[i].suite = c->suite;
        r->results[i].classname = c->classname;
        r->results[i].name = c->name;
        r->results[i].file = c->path;
        r->results[i].prev_ms =
            history_lookup(&r->hist, c->id, c->classname, c->name);
    }
}

/* The console's stream: stderr when stdout carries the TAP report. */
static FILE *console_stream(const struct run_options *o)
{
    return o->tap && !strcmp(o->tap, "-") ? stderr : stdout;
}

static int run_cases(struct run *r, struct console *con, struct isotest_err *e)
{
    const char *tmp = getenv("TMPDIR");
    struct pool_config pc = {.jobs = r->jobs,
                             .cases = &r->cl,
                             .order = r->order,
                             .session = r->session,
                             .rc = {.session = r->session,
                                    .psql = r->psql,
                                    .tmpdir = tmp && *tmp ? tmp : "/tmp",
                                    .timeout_s = r->o.timeout_s,
                                    .output_cap = r->o.output_cap,
                                    .always_psql = r->o.always_psql,
                                    .env = &r->env,
                                    .psql_vars = r->o.psql_vars,
                                    .npsql_vars = r->o.npsql_vars},
                             .console = con,
                             .keep_failed = r->o.keep_failed,
                             .fail_fast = r->o.fail_fast,
                             .retries = r->o.retries,
                             .pgtap_batch = r->o.pgtap_batch,
                             .run_start_ms = r->t0};
    pc.rc.results_dir = r->o.results_dir;
    pc.rc.ignore_space_change = r->o.ignore_space_change;
    struct pool *pool = pool_new(&pc);

    init_results(r);
    signals_watch_pool(pool);
    int pr = pool_run(pool, r->results, e);
    signals_watch_pool(NULL);
    /* Nothing a case started outlives the run. */
    strays_end(r->stray_prefix, r->results, r->cl.n, stderr);
    r->first_start_ms = pool_first_start_ms(pool);
    if (pool_lost(pool))
        r->lost = xstrdup(pool_lost(pool));
    pool_free(pool);
    if (pr == 0 && !r->lost && r->escape_check && !signals_interrupted()) {
        struct escapes after;
        if (escapes_snapshot(r->session, &after, e) < 0)
            return -1;
        r->nescaped = escapes_diff(&r->before, &after, &r->escaped);
        escapes_release(&after);
    }
    return pr;
}

static void fill_info(const struct run *r, struct run_info *info, char ts[32],
                      char host[256])
{
    const struct isotest_session_info *si = isotest_session_info(r->session);

    run_info_stamp(ts, host);
    *info = (struct run_info){
        .isotest_version = ISOTEST_VERSION,
        .isolation = si->isolation,
        .jobs = r->jobs,
        .server_version = si->server_version,
        .template_hash = si->template_hash,
        .template_name = si->template_name,
        .template_reused = si->template_reused,
        .wall_ms = now_ms() - r->t0,
        .start_to_first_ms =
            r->first_start_ms > 0 ? r->first_start_ms - r->t0 : 0,
        .interrupted = signals_interrupted(),
        .prev_wall_ms = r->hist.wall_ms,
        .prev_source = r->o.compare_with ? r->o.compare_with : r->hist_path,
        .slower_ratio = RESULT_SLOWER_RATIO,
        .slower_min_ms = RESULT_SLOWER_MIN_MS,
        .timestamp = ts,
        .hostname = host,
        .report_path = r->o.junit,
        .html_path = r->o.html,
        .fail_on_flaky = r->o.fail_on_flaky};
}

/* JUnit and HTML; -1 (printed) when one could not be written. */
static int write_reports(const struct run *r, const struct run_info *info,
                         struct console *con)
{
    const struct isotest_session_info *si = isotest_session_info(r->session);
    struct isotest_err e = ISOTEST_ERR_INIT;
    int ret = 0;

    if (r->o.junit) {
        struct isotest_session_stats cs;
        char p50[32], clones[32];
        isotest_session_stats(r->session, &cs);
        snprintf(p50, sizeof(p50), "%.1f", cs.clone_p50_ms);
        snprintf(clones, sizeof(clones), "%zu", cs.clones);
        char escaped[32];
        snprintf(escaped, sizeof(escaped), "%zu", r->nescaped);
        struct junit_property extra[8] = {
            {"isotest.embedded_server", si->embedded ? "true" : "false"},
            {"isotest.template_name", si->template_name},
            {"isotest.clone_p50_ms", p50},
            {"isotest.clones", clones},
            /* Changes outside the sandboxes; "" when not looked for. */
            {"isotest.escapes", r->o.no_escape_check ? "" : escaped}};
        size_t nx = 5 + shard_properties(&r->shard, extra + 5);
        if (junit_write(r->o.junit, r->results, r->cl.n, info, extra, nx, &e) <
            0) {
            console_clear(con);
            cmd_print_error(r->session, &e);
            ret = -1;
        }
    }
    if (r->o.html &&
        html_timeline(r->o.html, r->results, r->cl.n, info, &e) < 0) {
        console_clear(con);
        cmd_print_error(r->session, &e);
        ret = -1;
    }
    if (r->o.tap &&
        tap_out_write(r->o.tap, stdout, r->results, r->cl.n, &e) < 0) {
        console_clear(con);
        cmd_print_error(r->session, &e);
        ret = -1;
    }
    return ret;
}

/* Under GitHub Actions, failures become annotations on their lines. */
static void annotate(const struct run *r, struct console *con)
{
    const char *gha = getenv("GITHUB_ACTIONS");

    if (!gha || strcmp(gha, "true") != 0)
        return;
    struct strbuf sb = STRBUF_INIT;
    annotate_github(&sb, r->results, r->cl.n, getenv("GITHUB_WORKSPACE"));
    console_clear(con);
    fputs(sb.buf, console_stream(&r->o));
    strbuf_release(&sb);
}

/*
 * The history only orders the next run: one that cannot be saved (a
 * read-only suite folder, a full disk) is a warning, and the run's exit
 * code stays the cases'.
 */
static void history_warning(struct isotest_err *e)
{
    fprintf(stderr,
            "isotest: warning: %s\nhint: the next run starts its cases in "
            "id order; choose another file with --history FILE, or "
            "--no-history\n",
            e->msg ? e->msg : "cannot save the run history");
    isotest_err_release(e);
}

static int exit_code(const struct run *r, bool reports_failed)
{
    int code = 0;

    for (size_t i = 0; i < r->cl.n; i++)
        if (!r->results[i].done || outcome_is_failure(r->results[i].outcome) ||
            (r->o.fail_on_flaky && result_flaky(&r->results[i])))
            code = EXIT_FAILED;
    if (r->nescaped && r->o.fail_on_escape && !code)
        code = EXIT_FAILED;
    if (reports_failed || r->lost)
        code = EXIT_CANNOT;
    if (signals_interrupted())
        code = signals_exit_code();
    return code;
}

/* After the cases: drop, report, history; the exit code. */
static int finish_run(struct run *r, struct console *con, bool *kept)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct run_info info;
    char ts[32], host[256];

    /* Drop the run's databases before the report: it says what was left. */
    if (isotest_session_drain(r->session, &e) < 0 && !r->lost)
        cmd_print_error(r->session, &e);
    isotest_err_release(&e);
    fill_info(r, &info, ts, host);
    bool reports_failed = write_reports(r, &info, con) < 0;
    annotate(r, con);
    console_summary(con, r->results, r->cl.n, &info);
    cmd_clone_note(r->session, stderr);
    if (r->lost) /* libpq's words, already without a password */
        fprintf(stderr,
                "isotest: error: %s\nhint: what the run left is reclaimed "
                "by the next run or by `isotest clean`\n",
                r->lost);
    else
        advice_print(stderr, r->results, r->cl.n, r->cl.migrations_dir);
    if (r->nescaped && !r->o.no_escape_check)
        fprintf(stderr,
                "isotest: %s: the cases changed the server outside their "
                "sandboxes (roles and databases are the server's; see "
                "--no-escape-check):\n%s",
                r->o.fail_on_escape ? "error" : "warning", r->escaped.buf);
    if (r->hist_path && !signals_interrupted() && !r->lost &&
        history_save(r->hist_path, r->o.compare_with ? NULL : &r->hist,
                     r->results, r->cl.n, info.wall_ms, &e) < 0)
        history_warning(&e);
    *kept = false;
    for (size_t i = 0; i < r->cl.n; i++)
        if (r->results[i].hint)
            *kept = true;
    const struct isotest_session_info *si = isotest_session_info(r->session);
    if (*kept && si->embedded)
        fprintf(console_stream(&r->o),
                "The embedded server keeps running for the kept sandboxes "
                "(socket folder %s);\nthe next isotest run stops it and "
                "removes them.\n",
                si->socket_dir);
    return exit_code(r, reports_failed);
}

/* A shard with no case (more shards than cases) passes, server-less. */
static int empty_shard(struct run *r)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    int code = 0;

    if (r->o.junit &&
        shard_write_empty(r->o.junit, &r->shard, now_ms() - r->t0, &e) < 0) {
        cmd_print_error(NULL, &e);
        code = EXIT_CANNOT;
    }
    if (r->o.tap && tap_out_write(r->o.tap, stdout, NULL, 0, &e) < 0) {
        cmd_print_error(NULL, &e);
        code = EXIT_CANNOT;
    }
    fprintf(console_stream(&r->o), "0 passed, 0 failed, 0 skipped\n");
    run_release(r, 0);
    return code;
}

int cmd_run(int argc, char **argv)
{
    struct run r;
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(&r, 0, sizeof(r));
    r.guard = (struct watch)WATCH_INIT;
    strbuf_init(&r.escaped, 0);
    r.t0 = now_ms();
    if (options_parse(argc, argv, &r.o, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (r.o.help) {
        fputs(options_run_usage, stdout);
        options_release(&r.o);
        return 0;
    }
    if (prepare(&r, &e) < 0 || signals_interrupted())
        goto fail;
    if (!r.o.pgtap_functions && (plan_cases(&r), !r.cl.n))
        return empty_shard(&r);
    if (open_session(&r, &e) < 0 || signals_interrupted() ||
        pgtap_funcs_add(r.session, &r.o, &r.cl, &e) < 0)
        goto fail;
    if (r.o.pgtap_functions && (plan_cases(&r), !r.cl.n))
        return empty_shard(&r);
    FILE *out = console_stream(&r.o);
    if (r.o.config_path) /* the header: what the run was told */
        fprintf(out, "isotest: options from %s\n", r.o.config_path);
    bool tty = isatty(fileno(out));
    struct console *con = console_new(out, tty, r.cl.n);
    console_set_color(con, console_want_color((enum console_color)r.o.color,
                                              tty, getenv("NO_COLOR")));
    struct winsize ws;
    if (tty && ioctl(fileno(out), TIOCGWINSZ, &ws) == 0)
        console_set_width(con, ws.ws_col);
    /* For tests: the "still running" line sooner than after 60 s. */
    const char *stuck = getenv("ISOTEST_STUCK_AFTER");
    if (stuck && *stuck && strtod(stuck, NULL) > 0)
        console_set_stuck_after(con, strtod(stuck, NULL) * 1000);
    if (run_cases(&r, con, &e) < 0) {
        console_free(con);
        goto fail;
    }
    bool kept;
    int code = finish_run(&r, con, &kept);
    console_free(con);
    unsigned flags = signals_interrupted() ? ISOTEST_CLOSE_ABORT : 0;
    if (kept)
        flags |= ISOTEST_CLOSE_KEEP_SERVER;
    if (r.nescaped)
        flags |= ISOTEST_CLOSE_DISCARD;
    run_release(&r, flags);
    return code;
fail:
    if (e.msg)
        cmd_print_error(r.session, &e);
    run_release(&r, ISOTEST_CLOSE_ABORT);
    return signals_interrupted() ? signals_exit_code() : EXIT_CANNOT;
}
