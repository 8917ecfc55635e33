/*
 * main.c: the isotest command line.  Decides what is printed and which
 * exit code a run ends with: 0 all passed, 1 a case failed, 2 nothing could
 * be run (usage, config, server, migrations), 128+N after signal N.
 *
 *   isotest run [options] PATH...     run the cases
 *   isotest list [options] PATH...    print the cases a run would execute
 *   isotest clean [--dry-run] [--db URL] [--keep-age SECONDS]
 */
#include "bench.h"
#include "cluster.h"
#include "console.h"
#include "fsutil.h"
#include "discover.h"
#include "history.h"
#include "html.h"
#include "junit.h"
#include "migrate.h"
#include "options.h"
#include "pool.h"
#include "reclaim.h"
#include "sandbox.h"
#include "server.h"
#include "strbuf.h"
#include "template.h"

#include <libxml/parser.h>
#include <pthread.h>
#include <signal.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_CANNOT 2

/*
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by one
 * thread with sigwait(), which may do what a handler may not.  The first
 * signal stops the run (running cases are ended, their sandboxes dropped,
 * the report written); the second ends the process at once.
 * `lock` guards pool and cluster; `signo` is read without it.
 */
static struct {
    pthread_mutex_t lock;
    atomic_int signo;
    struct pool *pool;
    const struct cluster *cluster;
} sig = {PTHREAD_MUTEX_INITIALIZER, 0, NULL, NULL};

static void *signal_thread(void *arg)
{
    sigset_t *set = arg;

    for (;;) {
        int s;
        if (sigwait(set, &s) != 0)
            continue;
        if (s == SIGUSR1)
            return NULL; /* main is done */
        if (atomic_load(&sig.signo)) {
            /* Second signal: end now; the next run reclaims the rest. */
            pthread_mutex_lock(&sig.lock);
            if (sig.pool)
                pool_signal_children(sig.pool, SIGKILL);
            cluster_kill(sig.cluster);
            pthread_mutex_unlock(&sig.lock);
            static const char msg[] = "\nisotest: second interrupt, "
                                      "stopping at once\n";
            ssize_t r = write(2, msg, sizeof(msg) - 1);
            (void)r;
            _exit(128 + s);
        }
        atomic_store(&sig.signo, s);
        static const char msg[] = "\nisotest: interrupted: stopping running "
                                  "cases and cleaning up (again to quit "
                                  "at once)\n";
        ssize_t r = write(2, msg, sizeof(msg) - 1);
        (void)r;
        pthread_mutex_lock(&sig.lock);
        if (sig.pool)
            pool_stop(sig.pool);
        pthread_mutex_unlock(&sig.lock);
    }
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/* Print e (redacted of any password) and its hint; release it. */
static void print_error(const struct target *t, struct err *e)
{
    char *msg = target_redact(t, e->msg ? e->msg : "unknown error");

    fprintf(stderr, "isotest: error: %s\n", msg);
    free(msg);
    if (e->hint) {
        char *hint = target_redact(t, e->hint);
        fprintf(stderr, "hint: %s\n", hint);
        free(hint);
    }
    err_release(e);
}

static bool interrupted(void)
{
    return atomic_load(&sig.signo) != 0;
}

static int interrupted_exit(void)
{
    return 128 + atomic_load(&sig.signo);
}

static void xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static char *find_psql(void)
{
    const char *env = getenv("ISOTEST_PSQL");
    struct err ignore = ERR_INIT;

    if (env && *env)
        return strdup(env);
    char *bindir = cluster_find_bindir(NULL, &ignore);
    err_release(&ignore);
    if (bindir) {
        char *p = xasprintf("%s/psql", bindir);
        free(bindir);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return xstrdup("psql");
}

static bool have_pgtap_case(const struct case_list *cl)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->v[i].kind == CASE_SQL && cl->v[i].uses_pgtap)
            return true;
    return false;
}

static int discover_cases(const struct run_options *o, struct case_list *cl,
                          struct err *e)
{
    struct discover_opts d = {
        .paths = o->paths, .npaths = o->npaths, .migrations = o->migrations,
        .filters = o->filters, .nfilters = o->nfilters,
        .list_cmd = o->list_cmd, .each_cmd = o->each_cmd};

    if (discover(&d, cl, e) < 0)
        return -1;
    if (!cl->n) {
        /* Why files were not cases matters most when none is. */
        if (cl->notes.len)
            fputs(cl->notes.buf, stderr);
        struct strbuf where = STRBUF_INIT;
        for (size_t i = 0; i < o->npaths; i++)
            strbuf_addf(&where, "%s'%s'", i ? ", " : "", o->paths[i]);
        if (o->nfilters)
            err_set(e, "no test case under %s matches the --filter given",
                    where.buf);
        else
            err_set(e, "no test cases found under %s (looked for *.sql "
                       "files and executables)",
                    where.buf);
        strbuf_release(&where);
        case_list_release(cl);
        return -1;
    }
    return 0;
}

static void timestamp(char buf[32])
{
    time_t t = time(NULL);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

static int cmd_list(int argc, char **argv)
{
    struct run_options o;
    struct case_list cl;
    struct err e = ERR_INIT;

    if (options_parse(argc, argv, &o, &e) < 0) {
        print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (o.help) {
        fputs("usage: isotest list [run options] PATH...\n"
              "Prints the ids of the cases a run would execute.\n",
              stdout);
        options_release(&o);
        return 0;
    }
    if (discover_cases(&o, &cl, &e) < 0) {
        print_error(NULL, &e);
        options_release(&o);
        return EXIT_CANNOT;
    }
    for (size_t i = 0; i < cl.n; i++)
        printf("%s\n", cl.v[i].id);
    if (cl.notes.len)
        fputs(cl.notes.buf, stderr);
    case_list_release(&cl);
    options_release(&o);
    return 0;
}

static int cmd_clean(int argc, char **argv)
{
    const char *db = NULL;
    bool dry = false;
    double keep_age = 86400;
    struct err e = ERR_INIT;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dry-run")) {
            dry = true;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strncmp(argv[i], "--db=", 5)) {
            db = argv[i] + 5;
        } else if (!strcmp(argv[i], "--keep-age") && i + 1 < argc) {
            /* 0 is allowed: drop kept sandboxes of dead runs right away. */
            long secs;
            if (options_int("--keep-age", argv[++i], 0, 10L * 365 * 86400,
                            &secs, &e) < 0) {
                print_error(NULL, &e);
                return EXIT_CANNOT;
            }
            keep_age = (double)secs;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs("usage: isotest clean [--dry-run] [--db URL] "
                  "[--keep-age SECONDS]\n"
                  "Drops the databases of dead isotest runs (kept sandboxes "
                  "once older than\n--keep-age, default one day).\n",
                  stdout);
            return 0;
        } else {
            fprintf(stderr, "isotest: error: unknown option '%s'\n", argv[i]);
            return EXIT_CANNOT;
        }
    }
    if (!db && !server_env_given()) {
        fputs("isotest: error: no server given: clean needs --db URL or the "
              "PG* variables\n(the embedded server is thrown away after each "
              "run and needs no cleaning)\n",
              stderr);
        return EXIT_CANNOT;
    }
    struct target t;
    if (target_init(&t, db, &e) < 0) {
        print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    PGconn *conn = target_connect_maint(&t, &e);
    if (!conn) {
        print_error(&t, &e);
        target_release(&t);
        return EXIT_CANNOT;
    }
    struct strbuf log = STRBUF_INIT;
    struct reclaim_stats st;
    int r = reclaim_dead(conn, dry, keep_age, &log, &st, &e);
    if (r == 0) {
        /* Keep the newest few templates; the rest, unused, go. */
        int pruned = template_prune(conn, NULL, 3, dry, &log, &e);
        if (pruned < 0) {
            print_error(&t, &e);
            st.failed++;
        }
    }
    if (r < 0) {
        print_error(&t, &e);
        r = EXIT_CANNOT;
    } else {
        fputs(log.buf, stdout);
        printf("%s %d database%s of dead runs (maintenance database '%s')%s",
               dry ? "would drop" : "dropped", st.dropped,
               st.dropped == 1 ? "" : "s", t.maint_db,
               st.kept_young ? "" : "\n");
        if (st.kept_young)
            printf("; %d kept sandbox%s younger than --keep-age left\n",
                   st.kept_young, st.kept_young == 1 ? "" : "es");
        if (st.failed)
            printf("%d could not be dropped\n", st.failed);
        r = st.failed ? EXIT_FAILED : 0;
    }
    strbuf_release(&log);
    PQfinish(conn);
    target_release(&t);
    return r;
}

/* Everything a run holds, so that one exit path releases it. */
struct run {
    struct run_options o;
    struct case_list cl;
    struct migrate_set ms;
    bool have_ms;
    struct server srv;
    bool have_srv;
    struct template tpl;
    struct sandbox_factory *factory;
    struct test_result *results;
    const char **exts;
    size_t nexts;
    char *psql;
    struct history hist;
    char *hist_path; /* NULL: --no-history */
    size_t *order;
};

/* SUITE/.isotest-history for the first PATH (its folder for a file). */
static char *default_history_path(const struct run_options *o)
{
    struct stat st;

    if (!o->npaths)
        return xstrdup(".isotest-history");
    const char *p = o->paths[0];
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        return xasprintf("%s/.isotest-history", p);
    const char *slash = strrchr(p, '/');
    if (!slash)
        return xstrdup(".isotest-history");
    return xasprintf("%.*s/.isotest-history", (int)(slash - p), p);
}

static void run_release(struct run *r, bool save_cache, bool keep_server)
{
    struct err e = ERR_INIT;

    if (r->factory &&
        sandbox_factory_free(r->factory, r->srv.maint, &e) < 0)
        print_error(&r->srv.target, &e);
    r->factory = NULL;
    if (r->have_srv)
        server_close(&r->srv, save_cache, keep_server);
    template_release(&r->tpl);
    if (r->results)
        for (size_t i = 0; i < r->cl.n; i++)
            result_release(&r->results[i]);
    free(r->results);
    if (r->have_ms)
        migrate_release(&r->ms);
    case_list_release(&r->cl);
    options_release(&r->o);
    free(r->exts);
    free(r->psql);
    history_release(&r->hist);
    free(r->hist_path);
    free(r->order);
}

static int cmd_run(int argc, char **argv)
{
    struct run r;
    struct err e = ERR_INIT;
    double t0 = now_ms();
    int code = EXIT_CANNOT;

    memset(&r, 0, sizeof(r));
    if (options_parse(argc, argv, &r.o, &e) < 0) {
        print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (r.o.help) {
        fputs(options_run_usage, stdout);
        options_release(&r.o);
        return 0;
    }
    if (discover_cases(&r.o, &r.cl, &e) < 0)
        goto fail;
    if (r.cl.notes.len)
        fputs(r.cl.notes.buf, stderr);
    if (r.cl.migrations_dir) {
        if (migrate_load(&r.ms, r.cl.migrations_dir, &e) < 0)
            goto fail;
        r.have_ms = true;
    }
    for (size_t i = 0; i < r.o.nextensions; i++) {
        r.exts = xrealloc(r.exts, (r.nexts + 1) * sizeof(*r.exts));
        r.exts[r.nexts++] = r.o.extensions[i];
    }
    bool want_pgtap = have_pgtap_case(&r.cl);
    for (size_t i = 0; i < r.nexts; i++)
        if (!strcmp(r.exts[i], "pgtap"))
            want_pgtap = false;
    if (want_pgtap) {
        r.exts = xrealloc(r.exts, (r.nexts + 1) * sizeof(*r.exts));
        r.exts[r.nexts++] = "pgtap";
    }
    r.psql = find_psql();
    /* Fail before the run, not after it, when the report cannot be written. */
    if ((r.o.junit && fs_check_writable(r.o.junit, "report", &e) < 0) ||
        (r.o.html && fs_check_writable(r.o.html, "report", &e) < 0))
        goto fail;
    if (!r.o.no_history)
        r.hist_path = r.o.history ? xstrdup(r.o.history)
                                  : default_history_path(&r.o);
    if (r.o.compare_with) {
        if (history_load_junit(&r.hist, r.o.compare_with, &e) < 0)
            goto fail;
    } else if (r.hist_path && history_load(&r.hist, r.hist_path, &e) < 0) {
        goto fail;
    }
    r.order = history_schedule(&r.hist, &r.cl);
    if (interrupted())
        goto fail;

    if (server_open(&r.srv, r.o.db, r.o.no_cache, &e) < 0)
        goto fail;
    r.have_srv = true;
    if (r.srv.target.url_db && strcmp(r.srv.target.url_db,
                                      r.srv.target.maint_db) != 0)
        fprintf(stderr,
                "isotest: note: the database '%s' named in --db is not used: "
                "isotest needs only the server, and connects to the "
                "maintenance database '%s'\n",
                r.srv.target.url_db, r.srv.target.maint_db);
    pthread_mutex_lock(&sig.lock);
    sig.cluster = r.srv.cluster;
    pthread_mutex_unlock(&sig.lock);

    /* Reclaim what dead runs left (never a live run's objects). */
    if (!r.srv.cluster) {
        struct strbuf log = STRBUF_INIT;
        struct reclaim_stats st;
        if (reclaim_dead(r.srv.maint, false, 86400, &log, &st, &e) < 0)
            goto fail;
        if (st.dropped || st.failed)
            fprintf(stderr, "isotest: reclaimed dead runs' sandboxes:\n%s",
                    log.buf);
        strbuf_release(&log);
    }
    if (interrupted())
        goto fail;

    struct template_spec spec = {.ms = r.have_ms ? &r.ms : NULL,
                                 .extensions = r.exts,
                                 .n_ext = r.nexts,
                                 .runid = r.srv.runid};
    if (template_ensure(&r.srv.target, r.srv.maint, &spec, &r.tpl, &e) < 0)
        goto fail;
    if (interrupted())
        goto fail;

    int jobs = r.o.jobs;
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (int)n : 1;
    }
    struct sandbox_config sc = {.mode = r.o.mode,
                                .target = &r.srv.target,
                                .tpl = &r.tpl,
                                .ms = r.have_ms ? &r.ms : NULL,
                                .runid = r.srv.runid,
                                .strategy = r.o.clone_strategy,
                                .pool = r.o.pool < 0 ? jobs : r.o.pool,
                                .expected = r.cl.n};
    r.factory = sandbox_factory_new(&sc, r.srv.maint, &e);
    if (!r.factory)
        goto fail;
    /*
     * Fill the pool before the first case: one clone time at start-up
     * instead of the first cases each waiting for theirs.
     */
    if (sandbox_factory_warm(r.factory, jobs, &e) < 0)
        goto fail;

    r.results = xcalloc(r.cl.n, sizeof(*r.results));
    for (size_t i = 0; i < r.cl.n; i++) {
        const struct test_case *c = &r.cl.v[i];
        r.results[i].id = c->id;
        r.results[i].suite = c->suite;
        r.results[i].classname = c->classname;
        r.results[i].name = c->name;
        r.results[i].file = c->path;
        r.results[i].prev_ms = history_lookup(&r.hist, c->classname,
                                              c->name);
    }
    const char *tmp = getenv("TMPDIR");
    struct console *con = console_new(stdout, isatty(1), r.cl.n);
    struct pool_config pc = {
        .jobs = jobs,
        .cases = &r.cl,
        .order = r.order,
        .factory = r.factory,
        .rc = {.target = &r.srv.target,
               .mode = r.o.mode,
               .psql = r.psql,
               .tmpdir = tmp && *tmp ? tmp : "/tmp",
               .timeout_s = r.o.timeout_s,
               .output_cap = r.o.output_cap,
               .always_psql = r.o.always_psql},
        .console = con,
        .keep_failed = r.o.keep_failed,
        .fail_fast = r.o.fail_fast,
        .run_start_ms = t0};
    struct pool *pool = pool_new(&pc);
    pthread_mutex_lock(&sig.lock);
    sig.pool = pool;
    if (interrupted())
        pool_stop(pool);
    pthread_mutex_unlock(&sig.lock);
    int pr = pool_run(pool, r.results, &e);
    pthread_mutex_lock(&sig.lock);
    sig.pool = NULL;
    pthread_mutex_unlock(&sig.lock);
    double first = pool_first_start_ms(pool);
    pool_free(pool);
    if (pr < 0) {
        console_free(con);
        goto fail;
    }

    /* Drop the run's databases before the report: it says what was left. */
    if (sandbox_factory_free(r.factory, r.srv.maint, &e) < 0)
        print_error(&r.srv.target, &e);
    r.factory = NULL;

    char ts[32], host[256];
    timestamp(ts);
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    struct run_info info = {
        .isotest_version = ISOTEST_VERSION,
        .isolation = sandbox_mode_name(r.o.mode),
        .jobs = jobs,
        .server_version = r.srv.target.server_version_str,
        .template_hash = r.tpl.hash,
        .template_name = r.tpl.name,
        .template_reused = r.tpl.reused,
        .wall_ms = now_ms() - t0,
        .start_to_first_ms = first > 0 ? first - t0 : 0,
        .interrupted = interrupted(),
        .prev_wall_ms = r.hist.wall_ms,
        .prev_source = r.o.compare_with ? r.o.compare_with : r.hist_path,
        .slower_ratio = 1.5,
        .slower_min_ms = 50,
        .timestamp = ts,
        .hostname = host,
        .report_path = r.o.junit};
    bool junit_failed = false;
    if (r.o.junit) {
        char embedded[8];
        snprintf(embedded, sizeof(embedded), "%s",
                 r.srv.cluster ? "true" : "false");
        struct junit_property extra[] = {
            {"isotest.embedded_server", embedded},
            {"isotest.template_name", r.tpl.name}};
        if (junit_write(r.o.junit, r.results, r.cl.n, &info, extra, 2, &e) <
            0) {
            console_clear(con);
            print_error(&r.srv.target, &e);
            junit_failed = true;
        }
    }
    if (r.o.html && html_timeline(r.o.html, r.results, r.cl.n, &info, &e) < 0) {
        console_clear(con);
        print_error(&r.srv.target, &e);
        junit_failed = true;
    }
    console_summary(con, r.results, r.cl.n, &info);
    console_free(con);

    if (r.hist_path && !interrupted() &&
        history_save(r.hist_path, r.o.compare_with ? NULL : &r.hist,
                     r.results, r.cl.n, info.wall_ms, &e) < 0)
        print_error(&r.srv.target, &e);

    code = 0;
    for (size_t i = 0; i < r.cl.n; i++)
        if (!r.results[i].done || outcome_is_failure(r.results[i].outcome))
            code = EXIT_FAILED;
    if (junit_failed)
        code = EXIT_CANNOT;
    if (interrupted())
        code = interrupted_exit();

    /* Keep the newest templates; store the cluster when it gained one. */
    bool save = false;
    if (r.srv.cluster && !interrupted()) {
        struct err ignore = ERR_INIT;
        int pruned = template_prune(r.srv.maint, r.tpl.name, 3, false, NULL,
                                    &ignore);
        err_release(&ignore);
        save = !r.tpl.reused || pruned > 0 ||
               !cluster_from_cache(r.srv.cluster);
    }
    pthread_mutex_lock(&sig.lock);
    sig.cluster = NULL;
    pthread_mutex_unlock(&sig.lock);
    bool kept = false;
    for (size_t i = 0; i < r.cl.n; i++)
        if (r.results[i].hint)
            kept = true;
    if (kept && r.srv.cluster)
        printf("The embedded server keeps running for the kept sandboxes "
               "(socket folder %s);\nthe next isotest run stops it and "
               "removes them.\n",
               cluster_sockdir(r.srv.cluster));
    run_release(&r, save && !kept, kept);
    return code;

fail:
    if (e.msg)
        print_error(r.have_srv ? &r.srv.target : NULL, &e);
    pthread_mutex_lock(&sig.lock);
    sig.cluster = NULL;
    pthread_mutex_unlock(&sig.lock);
    run_release(&r, false, false);
    return interrupted() ? interrupted_exit() : EXIT_CANNOT;
}

static const char usage[] =
    "usage: isotest <command> [options]\n"
    "\n"
    "  run PATH...     run test cases in parallel, each in its own sandbox\n"
    "  list PATH...    print the cases a run would execute\n"
    "  bench PATH...   the suite serially and in parallel, compared\n"
    "  clean           drop what dead runs left on a server\n"
    "\n"
    "  isotest <command> --help   options of a command\n"
    "  isotest --version\n";

int main(int argc, char **argv)
{
    sigset_t set;
    pthread_t sigthr;
    int code;

    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_CANNOT;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("isotest %s\n", ISOTEST_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
    }

    /* Before any thread: a write to a closed pipe is an error, not death. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    xmlInitParser();
    /* Errors come back as return values; libxml2 must not print them. */
    xmlSetGenericErrorFunc(NULL, xml_quiet);
    if (pthread_create(&sigthr, NULL, signal_thread, &set) != 0) {
        fputs("isotest: error: cannot start the signal thread\n", stderr);
        return EXIT_CANNOT;
    }

    if (!strcmp(argv[1], "run")) {
        code = cmd_run(argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "list")) {
        code = cmd_list(argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "bench")) {
        code = bench_main(argc - 1, argv + 1);
    } else if (!strcmp(argv[1], "clean")) {
        code = cmd_clean(argc - 1, argv + 1);
    } else {
        fprintf(stderr, "isotest: error: unknown command '%s' (run, list, "
                        "bench, clean)\n",
                argv[1]);
        code = EXIT_CANNOT;
    }

    pthread_kill(sigthr, SIGUSR1);
    pthread_join(sigthr, NULL);
    xmlCleanupParser();
    return code;
}
