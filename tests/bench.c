/*
 * bench.c: build/bench-clone, the second half of `make bench`.
 *
 * It puts isotest's per-case sandbox cost next to the same primitive done
 * by a bare libpq loop, on the same server in the same run:
 *
 *   1. start an embedded cluster (cluster_start; the cache is read, never
 *      written);
 *   2. per variant (database mode with its default pool of ready clones,
 *      database mode with --pool 0, schema mode): run `isotest run --db
 *      <that server> --isolation MODE -j N --junit F SUITE` once to build
 *      or find the template (not counted), then R more times, reading
 *      acquire+release per case from the JUnit properties; the medians of
 *      the runs are quoted;
 *   3. the bare loop, N threads with a PGconn each: CREATE DATABASE ...
 *      TEMPLATE ... STRATEGY S + DROP DATABASE ... WITH (FORCE), for both
 *      strategies in alternating blocks (so drift hits both alike); then,
 *      in a clone of the template, CREATE SCHEMA + SET search_path, each
 *      migration file, RESET search_path, DROP SCHEMA ... CASCADE;
 *   4. print the tables and stop the cluster.
 *
 * Figures only: the exit code never judges them.  0 when everything could
 * be measured, 2 when something could not run (no server, no isotest, a
 * run that exited with 2 or worse), 128+N after signal N.
 */
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "isolation/cluster.h"
#include "isolation/ident.h"
#include "isolation/migrate.h"
#include "reporters/stats.h"

#include <errno.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define EXIT_CANNOT 2
#define MAX_JOBS 16
#define WARMUP_CYCLES 3
#define TRANSIENT_RETRIES 8
#define TARGET_RATIO 1.15

/* Set by the handler; child_pgid is the isotest run under way, or 0. */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t child_pgid;

static void on_signal(int s)
{
    stop_signal = s;
    if (child_pgid > 0)
        kill(-(pid_t)child_pgid, SIGINT);
}

struct samples {
    double *v;
    size_t n, alloc;
};

static void samples_add(struct samples *s, double x)
{
    if (s->n == s->alloc) {
        s->alloc = s->alloc ? 2 * s->alloc : 64;
        s->v = xrealloc(s->v, s->alloc * sizeof(*s->v));
    }
    s->v[s->n++] = x;
}

static double samples_pct(const struct samples *s, double p)
{
    return stats_percentile(s->v, s->n, p);
}

static void samples_release(struct samples *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

struct bench {
    const char *isotest; /* the binary */
    const char *suite;
    const char *cache_dir; /* NULL: ISOTEST_CACHE_DIR or the default */
    int runs;              /* counted isotest runs per variant */
    int cycles;            /* bare clone cycles per thread and strategy */
    int schema_cycles;     /* bare schema cycles per thread */
    int jobs;
    /* Set up by main. */
    const char **envp; /* ours without PG* */
    const char *conninfo;
    char tmpdir[64];
    char template_name[IDENT_BUFSZ];
};

static const char usage[] =
    "usage: bench-clone [--isotest BIN] [--suite PATH] [--cache-dir DIR]\n"
    "                   [--runs R] [--cycles N] [--schema-cycles N] [-j N]\n"
    "Sandbox acquire+release per case: isotest against a bare libpq loop.\n"
    "Defaults: build/isotest, examples/shop, 3 runs, 100 cycles, 40 schema\n"
    "cycles, -j 2.\n";

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "bench-clone: invalid value '%s' for %s (%d..%d)\n", v,
                opt, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_options(int argc, char **argv, struct bench *b)
{
    b->isotest = "build/isotest";
    b->suite = "examples/shop";
    b->runs = 3;
    b->cycles = 100;
    b->schema_cycles = 40;
    b->jobs = 2;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = argv[i + 1];
        int r = 0;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            exit(0);
        }
        if (!v) {
            fprintf(stderr, "bench-clone: '%s' needs a value\n%s", a, usage);
            return -1;
        }
        if (!strcmp(a, "--isotest"))
            b->isotest = v;
        else if (!strcmp(a, "--suite"))
            b->suite = v;
        else if (!strcmp(a, "--cache-dir"))
            b->cache_dir = v;
        else if (!strcmp(a, "--runs"))
            r = parse_int(a, v, 1, 100, &b->runs);
        else if (!strcmp(a, "--cycles"))
            r = parse_int(a, v, 10, 100000, &b->cycles);
        else if (!strcmp(a, "--schema-cycles"))
            r = parse_int(a, v, 10, 100000, &b->schema_cycles);
        else if (!strcmp(a, "-j") || !strcmp(a, "--jobs"))
            r = parse_int(a, v, 1, MAX_JOBS, &b->jobs);
        else {
            fprintf(stderr, "bench-clone: unknown option '%s'\n%s", a, usage);
            return -1;
        }
        if (r < 0)
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* isotest runs                                                           */

/*
 * What isotest is run with.  Database mode clones with FILE_COPY (its
 * default); its pool makes clones ahead in background threads, so a
 * worker's acquire is mostly a wait for one, and --pool 0 shows the clone
 * done in line.
 */
struct variant {
    const char *mode;   /* --isolation */
    const char *option; /* one more option, or NULL */
    const char *value;
    const char *shown; /* the options as printed */
};

static const struct variant variants[] = {
    {"database", NULL, NULL, "default"},
    {"database", "--pool", "0", "--pool 0"},
    {"schema", NULL, NULL, "default"},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* What one run's JUnit report says. */
struct report {
    double cycle_p50, cycle_p95, acq_p50, rel_p50;
    long tests, failures, errors;
    char template_name[IDENT_BUFSZ];
};

static char *xpath_string(xmlXPathContextPtr ctx, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    char *s = NULL;

    if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
        s = xstrdup((const char *)o->stringval);
    xmlXPathFreeObject(o);
    return s;
}

/* -1 when missing or not a number. */
static double xpath_number(xmlXPathContextPtr ctx, const char *expr)
{
    char *s = xpath_string(ctx, expr), *end;
    double v = s ? strtod(s, &end) : -1;

    if (s && end == s)
        v = -1;
    free(s);
    return v;
}

/* Add " classname.name" of each failed case to `names`, once. */
static void collect_failed(xmlXPathContextPtr ctx, struct strbuf *names)
{
    xmlXPathObjectPtr o =
        xmlXPathEvalExpression(BAD_CAST "//testcase[failure or error]", ctx);

    for (int i = 0; o && o->nodesetval && i < o->nodesetval->nodeNr; i++) {
        xmlChar *cls =
            xmlGetProp(o->nodesetval->nodeTab[i], BAD_CAST "classname");
        xmlChar *name = xmlGetProp(o->nodesetval->nodeTab[i], BAD_CAST "name");
        char *id = xasprintf(" %s.%s ", cls ? (char *)cls : "?",
                             name ? (char *)name : "?");
        char *all = xasprintf("%s ", names->buf);
        if (!strstr(all, id))
            strbuf_add(names, id, strlen(id) - 1);
        free(all);
        free(id);
        xmlFree(cls);
        xmlFree(name);
    }
    xmlXPathFreeObject(o);
}

static int read_report(const char *path, struct report *r,
                       struct strbuf *failed, struct isotest_err *e)
{
    static const char prop[] = "string(//testsuite[1]/properties/"
                               "property[@name='isotest.%s']/@value)";
    static const char *const names[] = {
        "sandbox_cycle_p50_ms", "sandbox_cycle_p95_ms",
        "sandbox_acquire_p50_ms", "sandbox_release_p50_ms"};
    double *fields[] = {&r->cycle_p50, &r->cycle_p95, &r->acq_p50, &r->rel_p50};
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
    char expr[128];

    memset(r, 0, sizeof(*r));
    if (!ctx) {
        xmlFreeDoc(doc);
        return err_set(e, "cannot read JUnit report '%s'", path);
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        snprintf(expr, sizeof(expr), prop, names[i]);
        *fields[i] = xpath_number(ctx, expr);
    }
    r->tests = (long)xpath_number(ctx, "string(/testsuites/@tests)");
    r->failures = (long)xpath_number(ctx, "string(/testsuites/@failures)");
    r->errors = (long)xpath_number(ctx, "string(/testsuites/@errors)");
    collect_failed(ctx, failed);
    snprintf(expr, sizeof(expr), prop, "template_name");
    char *tpl = xpath_string(ctx, expr);
    snprintf(r->template_name, sizeof(r->template_name), "%s", tpl ? tpl : "");
    free(tpl);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    if (r->cycle_p50 < 0 || r->cycle_p95 < 0)
        return err_set(e,
                       "JUnit report '%s' has no "
                       "isotest.sandbox_cycle_p50_ms/_p95_ms property",
                       path);
    return 0;
}

/* The environment without PG* variables: --db alone names the server. */
static const char **child_env(void)
{
    size_t n = 0, k = 0;

    while (environ[n])
        n++;
    const char **env = xcalloc(n + 1, sizeof(*env));
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "PG", 2))
            env[k++] = environ[i];
    return env;
}

/* A run that could not run says why in its output, which is short then. */
static void print_file(const char *path)
{
    char *text;
    size_t len;
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (fs_read_file(path, &text, &len, &ignore) == 0) {
        fwrite(text, 1, len, stderr);
        free(text);
    }
    isotest_err_release(&ignore);
}

/*
 * One isotest run.  Exit 0 and 1 (a case failed) both give figures: the
 * bench measures overhead, not outcomes.  -1 when it could not run or its
 * report cannot be read.
 */
static int run_isotest(const struct bench *b, const struct variant *v,
                       struct report *r, struct strbuf *failed,
                       struct isotest_err *e)
{
    char jobs[16];
    char *junit = xasprintf("%s/run.xml", b->tmpdir);
    char *log = xasprintf("%s/run.log", b->tmpdir);
    const char *argv[16];
    size_t n = 0;
    struct proc_spec spec = {.argv = argv, .envp = b->envp, .out_path = log};
    struct proc p;
    struct proc_status st;
    int rc = -1;

    snprintf(jobs, sizeof(jobs), "%d", b->jobs);
    argv[n++] = b->isotest;
    argv[n++] = "run";
    argv[n++] = "--db";
    argv[n++] = b->conninfo;
    argv[n++] = "--isolation";
    argv[n++] = v->mode;
    argv[n++] = "-j";
    argv[n++] = jobs;
    argv[n++] = "--junit";
    argv[n++] = junit;
    /* The same case order in every run, and no history file written. */
    argv[n++] = "--no-history";
    if (v->option) {
        argv[n++] = v->option;
        argv[n++] = v->value;
    }
    argv[n++] = b->suite;
    argv[n] = NULL;
    unlink(log);
    if (proc_start(&p, &spec, e) < 0)
        goto out;
    child_pgid = p.pid;
    int w = proc_wait(&p, &st, e);
    child_pgid = 0;
    if (w < 0)
        goto out;
    if (stop_signal) {
        err_set(e, "interrupted");
        goto out;
    }
    if (!st.exited || st.code > 1) {
        fprintf(stderr, "bench-clone: isotest's output:\n");
        print_file(log);
        if (st.exited)
            err_set(e, "'%s run --isolation %s' exited with %d", b->isotest,
                    v->mode, st.code);
        else
            err_set(e, "'%s run --isolation %s' was killed by %s", b->isotest,
                    v->mode, proc_signame(st.code));
        goto out;
    }
    rc = read_report(junit, r, failed, e);
out:
    unlink(junit);
    unlink(log);
    free(junit);
    free(log);
    return rc;
}

struct isotest_figures {
    double cycle_p50, cycle_p95, acq_p50, rel_p50; /* medians of the runs */
    struct samples runs_p50;
    long tests;
    int failed_runs;      /* runs (the first included) with a failure */
    struct strbuf failed; /* " classname.name" of each failed case */
};

static void isotest_figures_release(struct isotest_figures *f)
{
    samples_release(&f->runs_p50);
    strbuf_release(&f->failed);
}

/* The first run builds the template (or finds it): it is not counted. */
static int measure_isotest(struct bench *b, const struct variant *v,
                           struct isotest_figures *out, struct isotest_err *e)
{
    struct samples other[3] = {{0}}; /* cycle p95, acquire and release p50 */
    struct report r;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    strbuf_init(&out->failed, 0);
    for (int i = 0; i <= b->runs && !stop_signal; i++) {
        rc = run_isotest(b, v, &r, &out->failed, e);
        if (rc < 0)
            break;
        out->failed_runs += r.failures || r.errors;
        out->tests = r.tests;
        if (!b->template_name[0])
            snprintf(b->template_name, sizeof(b->template_name), "%s",
                     r.template_name);
        if (i == 0)
            continue;
        samples_add(&out->runs_p50, r.cycle_p50);
        samples_add(&other[0], r.cycle_p95);
        samples_add(&other[1], r.acq_p50);
        samples_add(&other[2], r.rel_p50);
    }
    out->cycle_p50 = samples_pct(&out->runs_p50, 50);
    out->cycle_p95 = samples_pct(&other[0], 50);
    out->acq_p50 = samples_pct(&other[1], 50);
    out->rel_p50 = samples_pct(&other[2], 50);
    for (int k = 0; k < 3; k++)
        samples_release(&other[k]);
    if (rc < 0)
        isotest_figures_release(out);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* The bare libpq loop                                                    */

/* isotest's connections drop notices (DROP SCHEMA ... CASCADE sends one). */
static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

static PGconn *connect_db(const char *conninfo, const char *dbname,
                          struct isotest_err *e)
{
    /* The conninfo is expanded first; the later dbname overrides it. */
    const char *keys[] = {"dbname", "dbname", "fallback_application_name",
                          NULL};
    const char *vals[] = {conninfo, dbname, "isotest-bench", NULL};
    PGconn *c = PQconnectdbParams(keys, vals, 1);

    if (PQstatus(c) != CONNECTION_OK) {
        err_set(e, "cannot connect to database '%s': %s", dbname,
                PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQsetNoticeProcessor(c, quiet, NULL);
    return c;
}

static int exec_sql(PGconn *c, const char *sql, struct isotest_err *e)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int r = 0;

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
        st != PGRES_EMPTY_QUERY)
        r = err_set(e, "%s", PQresultErrorMessage(res));
    PQclear(res);
    return r;
}

/*
 * The threads of a block connect, then wait here, so that their cycles
 * start together.  `lock` guards `open` and `cancel`.
 */
struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    bool cancel; /* a thread could not be started: do nothing */
};

/* Wait for the gate; true when the block is to run. */
static bool gate_pass(struct gate *g)
{
    pthread_mutex_lock(&g->lock);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    bool run = !g->cancel;
    pthread_mutex_unlock(&g->lock);
    return run;
}

static void gate_open(struct gate *g, bool cancel)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    g->cancel = cancel;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

enum bare_kind { BARE_DATABASE, BARE_SCHEMA };

/* One thread's share of a block; each thread owns its struct. */
struct bare_thread {
    enum bare_kind kind;
    const char *conninfo;
    const char *dbname;           /* where the thread connects */
    const char *template_q;       /* database kind: the quoted template */
    const char *strategy;         /* database kind */
    const struct migrate_set *ms; /* schema kind */
    struct gate *gate;
    int id, cycles, warmup;
    unsigned serial; /* names made so far, for unique names */
    struct samples acq, rel;
    int retries;
    struct isotest_err e;
};

/* The race isotest's schema mode retries too (see sandbox.c). */
static bool transient(const char *msg)
{
    return strstr(msg, "tuple concurrently updated") ||
           strstr(msg, "deadlock detected");
}

/* CREATE SCHEMA ... SET search_path, the migrations, RESET search_path. */
static int schema_acquire(struct bare_thread *t, PGconn *c, const char *create,
                          const char *drop)
{
    for (int attempt = 1;; attempt++) {
        size_t i = 0;
        if (exec_sql(c, create, &t->e) < 0)
            return -1;
        while (i < t->ms->n && exec_sql(c, t->ms->v[i].sql, &t->e) == 0)
            i++;
        if (i == t->ms->n)
            return exec_sql(c, "RESET search_path", &t->e);
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        bool retry = attempt < TRANSIENT_RETRIES && transient(t->e.msg) &&
                     exec_sql(c, "RESET search_path", &ignore) == 0 &&
                     exec_sql(c, drop, &ignore) == 0;
        isotest_err_release(&ignore);
        if (!retry)
            return err_prefix(&t->e, "migration '%s'", t->ms->v[i].name);
        t->retries++;
        struct timespec ts = {0, attempt * 2000000L};
        nanosleep(&ts, NULL);
    }
}

/*
 * One cycle; its statements are made before the clock starts.  -1 with
 * t->e set.
 */
static int bare_cycle(struct bare_thread *t, PGconn *c, bool keep)
{
    char name[IDENT_BUFSZ];
    char *create, *drop, *q;

    snprintf(name, sizeof(name), "bench_%ld_%d_%u", (long)getpid(), t->id,
             ++t->serial);
    if (!(q = ident_quote(c, name, &t->e)))
        return -1;
    if (t->kind == BARE_DATABASE) {
        create = xasprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY %s", q,
                           t->template_q, t->strategy);
        drop = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
    } else {
        create = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", q, q);
        drop = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", q);
    }
    PQfreemem(q);
    double t0 = now_ms();
    int r = t->kind == BARE_DATABASE ? exec_sql(c, create, &t->e)
                                     : schema_acquire(t, c, create, drop);
    double t1 = now_ms();
    if (r == 0)
        r = exec_sql(c, drop, &t->e);
    double t2 = now_ms();
    free(create);
    free(drop);
    if (r == 0 && keep) {
        samples_add(&t->acq, t1 - t0);
        samples_add(&t->rel, t2 - t1);
    }
    return r;
}

static void *bare_thread_main(void *arg)
{
    struct bare_thread *t = arg;
    PGconn *c = connect_db(t->conninfo, t->dbname, &t->e);
    bool run = gate_pass(t->gate);

    for (int k = 0; c && run && k < t->warmup + t->cycles && !stop_signal;
         k++) {
        /*
         * Schema kind: a fresh session per cycle, not timed.  A session
         * that has created and dropped many schemas gets slower with each
         * (about +4 ms per cycle with examples/shop on PostgreSQL 15), so
         * a long-lived one would measure the session's age, not the
         * primitive.
         */
        if (t->kind == BARE_SCHEMA && k > 0) {
            PQfinish(c);
            if (!(c = connect_db(t->conninfo, t->dbname, &t->e)))
                break;
        }
        if (bare_cycle(t, c, k >= t->warmup) < 0)
            break;
    }
    PQfinish(c);
    return NULL;
}

/* Pooled figures of one primitive over every thread and block. */
struct bare_figures {
    struct samples acq, rel, cyc;
    int retries;
    double busy_ms; /* wall time of its blocks */
};

static void bare_figures_release(struct bare_figures *f)
{
    samples_release(&f->acq);
    samples_release(&f->rel);
    samples_release(&f->cyc);
}

/* One block: every thread does `cycles` cycles at the same time. */
static int bare_block(const struct bench *b, const struct bare_thread *proto,
                      int cycles, int warmup, struct bare_figures *out,
                      struct isotest_err *e)
{
    static unsigned serial[MAX_JOBS]; /* names stay unique across blocks */
    struct bare_thread th[MAX_JOBS];
    pthread_t tid[MAX_JOBS];
    struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        false, false};
    int started = 0, rc = 0;

    for (int i = 0; i < b->jobs; i++) {
        th[i] = *proto;
        th[i].gate = &gate;
        th[i].id = i;
        th[i].cycles = cycles;
        th[i].warmup = warmup;
        th[i].serial = serial[i];
    }
    while (started < b->jobs &&
           pthread_create(&tid[started], NULL, bare_thread_main,
                          &th[started]) == 0)
        started++;
    gate_open(&gate, started < b->jobs);
    double t0 = now_ms();
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    out->busy_ms += now_ms() - t0;
    if (started < b->jobs)
        rc = err_set(e, "cannot start a thread for the bare loop");
    for (int i = 0; i < b->jobs; i++) {
        for (size_t k = 0; k < th[i].acq.n; k++) {
            samples_add(&out->acq, th[i].acq.v[k]);
            samples_add(&out->rel, th[i].rel.v[k]);
            samples_add(&out->cyc, th[i].acq.v[k] + th[i].rel.v[k]);
        }
        out->retries += th[i].retries;
        serial[i] = th[i].serial;
        if (th[i].e.msg && rc == 0)
            rc = err_set(e, "bare loop, thread %d: %s", i, th[i].e.msg);
        isotest_err_release(&th[i].e);
        samples_release(&th[i].acq);
        samples_release(&th[i].rel);
    }
    return rc;
}

static const char *const strategies[] = {"FILE_COPY", "WAL_LOG"};
#define NSTRATEGIES 2
#define NBLOCKS 2 /* per strategy, alternating */

static int bare_database(const struct bench *b, PGconn *maint,
                         struct bare_figures out[NSTRATEGIES],
                         struct isotest_err *e)
{
    char *tq = ident_quote(maint, b->template_name, e);
    int rc = tq ? 0 : -1;

    for (int blk = 0; blk < NBLOCKS && rc == 0 && !stop_signal; blk++)
        for (int s = 0; s < NSTRATEGIES && rc == 0 && !stop_signal; s++) {
            struct bare_thread proto = {.kind = BARE_DATABASE,
                                        .conninfo = b->conninfo,
                                        .dbname = PQdb(maint),
                                        .template_q = tq,
                                        .strategy = strategies[s]};
            int cycles = b->cycles / NBLOCKS;
            if (blk == NBLOCKS - 1)
                cycles = b->cycles - cycles * (NBLOCKS - 1);
            rc = bare_block(b, &proto, cycles, blk ? 0 : WARMUP_CYCLES, &out[s],
                            e);
        }
    PQfreemem(tq);
    return rc;
}

static int bare_schema(const struct bench *b, PGconn *maint,
                       const struct migrate_set *ms, struct bare_figures *out,
                       struct isotest_err *e)
{
    char dbname[IDENT_BUFSZ];
    char *q = NULL, *tq = NULL, *sql;
    int rc = -1;

    /* isotest drops its run database at its end: make our own clone. */
    snprintf(dbname, sizeof(dbname), "bench_%ld_schemas", (long)getpid());
    if (!(q = ident_quote(maint, dbname, e)) ||
        !(tq = ident_quote(maint, b->template_name, e)))
        goto out;
    sql = xasprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY", q, tq);
    rc = exec_sql(maint, sql, e);
    free(sql);
    if (rc < 0) {
        err_prefix(e, "cannot create database '%s'", dbname);
        goto out;
    }
    struct bare_thread proto = {.kind = BARE_SCHEMA,
                                .conninfo = b->conninfo,
                                .dbname = dbname,
                                .ms = ms,
                                .id = MAX_JOBS,
                                .e = ISOTEST_ERR_INIT};
    /*
     * One cycle alone first.  CREATE DATABASE does not copy the template's
     * ALTER DATABASE ... SET, so the migrations' first one inserts the
     * settings row, and two at once collide on its key.  isotest's run
     * database has the row (replayed from the template) and never sees it.
     */
    PGconn *c = connect_db(b->conninfo, dbname, e);
    rc = c ? bare_cycle(&proto, c, false) : -1;
    PQfinish(c);
    if (rc < 0 && proto.e.msg)
        err_set(e, "bare loop: %s", proto.e.msg);
    isotest_err_release(&proto.e);
    if (rc == 0)
        rc = bare_block(b, &proto, b->schema_cycles, WARMUP_CYCLES, out, e);
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
    exec_sql(maint, sql, &ignore);
    free(sql);
    isotest_err_release(&ignore);
out:
    PQfreemem(q);
    PQfreemem(tq);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

static void print_rule(void)
{
    puts("------------------------------------------------------------------"
         "-------------");
}

static void print_sandbox_table(const struct bench *b,
                                const struct isotest_figures *iso,
                                const struct bare_figures *bare[NVARIANTS])
{
    printf("\nSandbox acquire+release per case, -j %d (ms)\n", b->jobs);
    printf("isotest: median of %d runs of %s (%ld cases each).  bare: the "
           "same statements,\n%d thread%s; database mode: CREATE DATABASE "
           "... STRATEGY FILE_COPY + DROP\nDATABASE, %d cycles each; schema "
           "mode: %d cycles each, a fresh session per cycle.\n",
           b->runs, b->suite, iso[0].tests, b->jobs, b->jobs == 1 ? "" : "s",
           b->cycles, b->schema_cycles);
    print_rule();
    printf("%-9s %-9s %8s %8s %9s %9s %6s %6s  verdict (x p50 <= %.2f)\n",
           "mode", "isotest", "iso p50", "iso p95", "bare p50", "bare p95",
           "x p50", "x p95", TARGET_RATIO);
    for (size_t i = 0; i < NVARIANTS; i++) {
        double bp50 = samples_pct(&bare[i]->cyc, 50);
        double bp95 = samples_pct(&bare[i]->cyc, 95);
        /* Rounded as printed, so that the verdict agrees with the figure. */
        double x50 = bp50 > 0 ? round(iso[i].cycle_p50 / bp50 * 100) / 100 : 0;
        double x95 = bp95 > 0 ? iso[i].cycle_p95 / bp95 : 0;
        printf("%-9s %-9s %8.2f %8.2f %9.2f %9.2f %5.2fx %5.2fx  %s\n",
               variants[i].mode, variants[i].shown, iso[i].cycle_p50,
               iso[i].cycle_p95, bp50, bp95, x50, x95,
               x50 <= TARGET_RATIO ? "within target" : "over target");
    }
    print_rule();
    puts("p50 acquire + p50 release; isotest's cycle p50 in each counted "
         "run:");
    for (size_t i = 0; i < NVARIANTS; i++) {
        struct strbuf runs = STRBUF_INIT;
        for (size_t k = 0; k < iso[i].runs_p50.n; k++)
            strbuf_addf(&runs, " %.1f", iso[i].runs_p50.v[k]);
        printf("%-9s %-9s isotest %6.2f + %6.2f, bare %6.2f + %6.2f; "
               "runs:%s\n",
               variants[i].mode, variants[i].shown, iso[i].acq_p50,
               iso[i].rel_p50, samples_pct(&bare[i]->acq, 50),
               samples_pct(&bare[i]->rel, 50), runs.buf);
        strbuf_release(&runs);
    }
    puts("(default database mode keeps clones ready in background threads: "
         "its acquire is\nthe wait for one, and the clone cost moves off "
         "the case's path)");
}

static void print_strategies(const struct bench *b,
                             const struct bare_figures f[NSTRATEGIES])
{
    double p50[NSTRATEGIES];

    printf("\nCREATE DATABASE ... STRATEGY, bare loop, %d concurrent "
           "clone%s (ms)\n",
           b->jobs, b->jobs == 1 ? "" : "s");
    print_rule();
    printf("%-10s %11s %11s %11s %11s %11s\n", "strategy", "create p50",
           "drop p50", "cycle p50", "cycle p95", "cycles/s");
    for (int s = 0; s < NSTRATEGIES; s++) {
        p50[s] = samples_pct(&f[s].cyc, 50);
        printf("%-10s %11.2f %11.2f %11.2f %11.2f %11.1f\n", strategies[s],
               samples_pct(&f[s].acq, 50), samples_pct(&f[s].rel, 50), p50[s],
               samples_pct(&f[s].cyc, 95),
               f[s].busy_ms > 0 ? 1000.0 * (double)f[s].cyc.n / f[s].busy_ms
                                : 0);
    }
    print_rule();
    int fast = p50[1] < p50[0];
    printf("faster: %s (cycle p50 %.2fx lower); isotest uses FILE_COPY%s\n",
           strategies[fast], p50[fast] > 0 ? p50[!fast] / p50[fast] : 0,
           fast ? ": WAL_LOG would be the better default here" : "");
}

/* ---------------------------------------------------------------------- */

static int bench_run(struct bench *b, PGconn *maint, struct isotest_err *e)
{
    struct isotest_figures iso[NVARIANTS];
    struct bare_figures db[NSTRATEGIES], sch;
    struct migrate_set ms;
    char *mdir = xasprintf("%s/migrations", b->suite);
    int rc = migrate_load(&ms, mdir, e);
    size_t done = 0;

    free(mdir);
    if (rc < 0)
        return -1;
    rc = -1;
    memset(db, 0, sizeof(db));
    memset(&sch, 0, sizeof(sch));
    for (; done < NVARIANTS && !stop_signal; done++) {
        const struct variant *v = &variants[done];
        fprintf(stderr,
                "bench-clone: isotest -j %d --isolation %s%s%s: "
                "1 + %d runs\n",
                b->jobs, v->mode, v->option ? " " : "",
                v->option ? v->shown : "", b->runs);
        if (measure_isotest(b, v, &iso[done], e) < 0)
            goto out;
    }
    if (!stop_signal && !b->template_name[0]) {
        err_set(e, "the JUnit report names no isotest.template_name");
        goto out;
    }
    fprintf(stderr, "bench-clone: bare loop, %d thread%s\n", b->jobs,
            b->jobs == 1 ? "" : "s");
    if (stop_signal || bare_database(b, maint, db, e) < 0 ||
        bare_schema(b, maint, &ms, &sch, e) < 0 || stop_signal)
        goto out;

    const struct bare_figures *bare[NVARIANTS] = {&db[0], &db[0], &sch};
    printf("server %s; template %s (%zu migrations)\n",
           PQparameterStatus(maint, "server_version"), b->template_name, ms.n);
    print_sandbox_table(b, iso, bare);
    print_strategies(b, db);
    if (sch.retries)
        printf("bare schema loop: %d migration retr%s after a transient "
               "error (isotest retries the same way)\n",
               sch.retries, sch.retries == 1 ? "y" : "ies");
    for (size_t i = 0; i < NVARIANTS; i++)
        if (iso[i].failed_runs)
            printf("note: isotest --isolation %s (%s): %d of %d runs had "
                   "failing cases:%s\n",
                   variants[i].mode, variants[i].shown, iso[i].failed_runs,
                   b->runs + 1, iso[i].failed.buf);
    rc = 0;
out:
    for (size_t i = 0; i < done; i++)
        isotest_figures_release(&iso[i]);
    for (int s = 0; s < NSTRATEGIES; s++)
        bare_figures_release(&db[s]);
    bare_figures_release(&sch);
    migrate_release(&ms);
    return rc;
}

int main(int argc, char **argv)
{
    struct bench b;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct sigaction sa;
    int code = EXIT_CANNOT;

    /* Tables go to stdout, progress to stderr: keep them in order. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&b, 0, sizeof(b));
    if (parse_options(argc, argv, &b) < 0)
        return EXIT_CANNOT;
    if (access(b.isotest, X_OK) < 0) {
        fprintf(stderr, "bench-clone: cannot run '%s' (build it with make)\n",
                b.isotest);
        return EXIT_CANNOT;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    xmlInitParser();

    const char *tmp = getenv("TMPDIR");
    snprintf(b.tmpdir, sizeof(b.tmpdir), "%s/isotest-bench-XXXXXX",
             tmp && *tmp && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(b.tmpdir)) {
        char ebuf[128];
        fprintf(stderr, "bench-clone: cannot create '%s': %s\n", b.tmpdir,
                err_strerror(errno, ebuf, sizeof(ebuf)));
        xmlCleanupParser();
        return EXIT_CANNOT;
    }
    b.envp = child_env();

    struct cluster_options co = {.cache_dir = b.cache_dir};
    double t0 = now_ms();
    struct cluster *c = cluster_start(&co, &e);
    if (c) {
        fprintf(stderr, "bench-clone: embedded server up in %.0f ms (%s)\n",
                now_ms() - t0, cluster_from_cache(c) ? "from cache" : "initdb");
        b.conninfo = cluster_conninfo(c);
        PGconn *maint = connect_db(b.conninfo, "postgres", &e);
        if (maint && bench_run(&b, maint, &e) == 0)
            code = 0;
        PQfinish(maint);
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        cluster_stop(c, false, &ignore);
        isotest_err_release(&ignore);
    } else {
        err_prefix(&e, "cannot start the embedded server");
    }
    if (code && !stop_signal)
        fprintf(stderr, "bench-clone: error: %s\n",
                e.msg ? e.msg : "unknown error");
    isotest_err_release(&e);
    if (fs_remove_tree(b.tmpdir, &e) < 0) {
        fprintf(stderr, "bench-clone: %s\n", e.msg);
        isotest_err_release(&e);
    }
    free(b.envp);
    xmlCleanupParser();
    return stop_signal ? 128 + stop_signal : code;
}
