/*
 * bench.c: build/bench-clone, the second half of `make bench`.
 *
 * It puts isotest's per-case sandbox cost next to the same primitive done
 * by a bare libpq loop, on the same server in the same run:
 *
 *   1. start an embedded cluster (cluster_start; the cache is read, never
 *      written);
 *   2. per variant (database FILE_COPY, database WAL_LOG, schema): run
 *      `isotest run --db <that server> --isolation MODE -j N --junit F
 *      SUITE` once to build the template (discarded), then R more times,
 *      reading the per-case acquire+release figures from the JUnit
 *      properties (medians of the runs are quoted);
 *   3. the bare loop: N threads, each with its own PGconn, repeating the
 *      primitive -- CREATE DATABASE ... TEMPLATE ... STRATEGY S plus
 *      DROP DATABASE ... WITH (FORCE) for both strategies, in alternating
 *      blocks so that drift hits both alike; in schema mode CREATE SCHEMA,
 *      SET search_path, each migration file, RESET search_path, DROP SCHEMA
 *      ... CASCADE, in a clone of the template;
 *   4. print the tables and stop the cluster.
 *
 * It prints figures and never judges them by its exit code: 0 when it
 * could measure, 2 when something could not run (no server, isotest
 * missing, a run that could not start), 128+N after signal N.
 */
#include "cluster.h"
#include "fsutil.h"
#include "ident.h"
#include "migrate.h"
#include "proc.h"
#include "stats.h"
#include "strbuf.h"

#include <errno.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
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

/* Set by the handler, read by the loops; child_pgid is the running run. */
static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t child_pgid;

static void on_signal(int s)
{
    stop_signal = s;
    if (child_pgid > 0)
        kill(-(pid_t)child_pgid, SIGINT);
}

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
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

static void samples_release(struct samples *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------------- */
/* Options                                                                */

struct bench_options {
    const char *isotest; /* the binary */
    const char *suite;
    const char *cache_dir; /* NULL: ISOTEST_CACHE_DIR or the default */
    int runs;              /* measured isotest runs per variant */
    int cycles;            /* bare cycles per thread and per variant */
    int jobs;
};

static const char usage[] =
    "usage: bench-clone [--isotest BIN] [--suite PATH] [--cache-dir DIR]\n"
    "                   [--runs R] [--cycles N] [-j N]\n"
    "Sandbox acquire+release per case: isotest against a bare libpq loop.\n"
    "Defaults: build/isotest, examples/shop, 3 runs, 150 cycles, -j 2.\n";

static int parse_int(const char *opt, const char *v, int lo, int hi, int *out)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi) {
        fprintf(stderr, "bench-clone: invalid value '%s' for %s (%d..%d)\n",
                v, opt, lo, hi);
        return -1;
    }
    *out = (int)n;
    return 0;
}

static int parse_options(int argc, char **argv, struct bench_options *o)
{
    *o = (struct bench_options){"build/isotest", "examples/shop", NULL, 3,
                                150, 2};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
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
            o->isotest = v;
        else if (!strcmp(a, "--suite"))
            o->suite = v;
        else if (!strcmp(a, "--cache-dir"))
            o->cache_dir = v;
        else if (!strcmp(a, "--runs"))
            r = parse_int(a, v, 1, 100, &o->runs);
        else if (!strcmp(a, "--cycles"))
            r = parse_int(a, v, 10, 100000, &o->cycles);
        else if (!strcmp(a, "-j") || !strcmp(a, "--jobs"))
            r = parse_int(a, v, 1, MAX_JOBS, &o->jobs);
        else {
            fprintf(stderr, "bench-clone: unknown option '%s'\n%s", a, usage);
            return -1;
        }
        if (r < 0)
            return -1;
        i++;
    }
    return 0;
}

/* ---------------------------------------------------------------------- */
/* isotest runs                                                           */

struct variant {
    const char *label;    /* "database", ... as printed */
    const char *mode;     /* --isolation */
    const char *strategy; /* --clone-strategy, NULL: isotest's default */
};

static const struct variant variants[] = {
    {"database", "database", NULL},
    {"database", "database", "WAL_LOG"},
    {"schema", "schema", NULL},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* What one run's JUnit report says. */
struct report {
    double cycle_p50, cycle_p95, acq_p50, rel_p50;
    long tests, failures, errors;
    char template_name[IDENT_BUFSZ];
};

/* Add "classname.name" of each failed case to `names`, once. */
static void collect_failed(xmlXPathContextPtr ctx, struct strbuf *names)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(
        BAD_CAST "//testcase[failure or error]", ctx);

    if (o && o->type == XPATH_NODESET && o->nodesetval) {
        for (int i = 0; i < o->nodesetval->nodeNr; i++) {
            xmlNodePtr n = o->nodesetval->nodeTab[i];
            xmlChar *cls = xmlGetProp(n, BAD_CAST "classname");
            xmlChar *name = xmlGetProp(n, BAD_CAST "name");
            char *id = xasprintf(" %s.%s ", cls ? (char *)cls : "?",
                                 name ? (char *)name : "?");
            /* names ends without the space: look for " x.y " in "names ". */
            char *all = xasprintf("%s ", names->buf);
            if (!strstr(all, id))
                strbuf_add(names, id, strlen(id) - 1);
            free(all);
            free(id);
            xmlFree(cls);
            xmlFree(name);
        }
    }
    xmlXPathFreeObject(o);
}

static char *xpath_string(xmlXPathContextPtr ctx, const char *expr)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    char *s = NULL;

    if (o && o->type == XPATH_STRING && o->stringval && *o->stringval)
        s = xstrdup((const char *)o->stringval);
    xmlXPathFreeObject(o);
    return s;
}

/* A property of the first suite as a number; -1 when missing. */
static double xpath_number(xmlXPathContextPtr ctx, const char *expr)
{
    char *s = xpath_string(ctx, expr);
    double v = -1;

    if (s) {
        char *end;
        v = strtod(s, &end);
        if (end == s)
            v = -1;
    }
    free(s);
    return v;
}

static int read_report(const char *path, struct report *r,
                       struct strbuf *failed, struct err *e)
{
    static const char prop[] =
        "string(//testsuite[1]/properties/property[@name='isotest.%s']/@value)";
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    char expr[160];

    memset(r, 0, sizeof(*r));
    if (!doc)
        return err_set(e, "cannot parse JUnit report '%s'", path);
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    if (!ctx) {
        xmlFreeDoc(doc);
        return err_set(e, "cannot read JUnit report '%s'", path);
    }
#define PROP(field, name)                                                     \
    do {                                                                      \
        snprintf(expr, sizeof(expr), prop, name);                             \
        r->field = xpath_number(ctx, expr);                                   \
    } while (0)
    PROP(cycle_p50, "sandbox_cycle_p50_ms");
    PROP(cycle_p95, "sandbox_cycle_p95_ms");
    PROP(acq_p50, "sandbox_acquire_p50_ms");
    PROP(rel_p50, "sandbox_release_p50_ms");
#undef PROP
    r->tests = (long)xpath_number(ctx, "string(/testsuites/@tests)");
    r->failures = (long)xpath_number(ctx, "string(/testsuites/@failures)");
    r->errors = (long)xpath_number(ctx, "string(/testsuites/@errors)");
    collect_failed(ctx, failed);
    snprintf(expr, sizeof(expr), prop, "template_name");
    char *tpl = xpath_string(ctx, expr);
    if (tpl)
        snprintf(r->template_name, sizeof(r->template_name), "%s", tpl);
    free(tpl);
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    if (r->cycle_p50 < 0 || r->cycle_p95 < 0)
        return err_set(e, "JUnit report '%s' has no "
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
    env[k] = NULL;
    return env;
}

struct bench {
    struct bench_options o;
    const char **envp;
    const char *conninfo;
    char tmpdir[64];
    char template_name[IDENT_BUFSZ];
};

static void print_log_tail(const char *log)
{
    FILE *f = fopen(log, "re");
    char line[512];
    long lines = 0;

    if (!f)
        return;
    while (fgets(line, sizeof(line), f))
        lines++;
    rewind(f);
    for (long i = 0; fgets(line, sizeof(line), f); i++)
        if (i >= lines - 20)
            fputs(line, stderr);
    fclose(f);
}

/*
 * One isotest run.  Exit 0 and 1 (a case failed) both give figures: the
 * bench measures overhead, not outcomes.  -1 when the run could not be
 * made or read.
 */
static int run_isotest(struct bench *b, const struct variant *v, int index,
                       struct report *r, struct strbuf *failed,
                       struct err *e)
{
    char jobs[16];
    char *junit = xasprintf("%s/run-%s-%s-%d.xml", b->tmpdir, v->mode,
                            v->strategy ? v->strategy : "default", index);
    char *log = xasprintf("%s/run-%s-%s-%d.log", b->tmpdir, v->mode,
                          v->strategy ? v->strategy : "default", index);
    const char *argv[16];
    size_t n = 0;
    struct proc p;
    struct proc_status st;
    int rc = -1;

    snprintf(jobs, sizeof(jobs), "%d", b->o.jobs);
    argv[n++] = b->o.isotest;
    argv[n++] = "run";
    argv[n++] = "--db";
    argv[n++] = b->conninfo;
    argv[n++] = "--isolation";
    argv[n++] = v->mode;
    argv[n++] = "-j";
    argv[n++] = jobs;
    argv[n++] = "--junit";
    argv[n++] = junit;
    if (v->strategy) {
        argv[n++] = "--clone-strategy";
        argv[n++] = v->strategy;
    }
    argv[n++] = b->o.suite;
    argv[n] = NULL;

    struct proc_spec spec = {.argv = argv, .envp = b->envp, .out_path = log};
    if (proc_start(&p, &spec, e) < 0)
        goto out;
    child_pgid = p.pid;
    int w = proc_wait(&p, &st, e);
    child_pgid = 0;
    if (w < 0)
        goto out;
    if (!st.exited || st.code > 1) {
        fprintf(stderr, "bench-clone: last lines of %s:\n", log);
        print_log_tail(log);
        if (st.exited)
            err_set(e, "'%s run --isolation %s' exited with %d", b->o.isotest,
                    v->mode, st.code);
        else
            err_set(e, "'%s run --isolation %s' was killed by %s",
                    b->o.isotest, v->mode, proc_signame(st.code));
        goto out;
    }
    if (read_report(junit, r, failed, e) < 0)
        goto out;
    rc = 0;
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
                           struct isotest_figures *out, struct err *e)
{
    struct samples other[3] = {{0}}; /* cycle p95, acquire and release p50 */
    struct report r;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    strbuf_init(&out->failed, 0);
    for (int i = 0; i <= b->o.runs && !stop_signal && rc == 0; i++) {
        rc = run_isotest(b, v, i, &r, &out->failed, e);
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
    out->cycle_p50 = stats_median(out->runs_p50.v, out->runs_p50.n);
    out->cycle_p95 = stats_median(other[0].v, other[0].n);
    out->acq_p50 = stats_median(other[1].v, other[1].n);
    out->rel_p50 = stats_median(other[2].v, other[2].n);
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
                          struct err *e)
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

static int exec_sql(PGconn *c, const char *sql, struct err *e)
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

/* The race isotest's schema mode retries too (see sandbox.c). */
static bool transient(const char *msg)
{
    return strstr(msg, "tuple concurrently updated") ||
           strstr(msg, "deadlock detected");
}

enum bare_kind { BARE_DATABASE, BARE_SCHEMA };

/*
 * The threads of a block connect first, then wait here, so that the
 * cycles start together and no connection is timed.  `lock` guards `open`
 * and `cancel`.
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

/* One thread's share of a block.  Each thread owns its struct. */
struct bare_thread {
    enum bare_kind kind;
    const char *conninfo;
    const char *dbname;      /* where the thread connects */
    const char *template_q;  /* quoted template (database kind) */
    const char *strategy;    /* database kind */
    const struct migrate_set *ms; /* schema kind */
    struct gate *gate;
    int id, cycles, warmup;
    unsigned *serial; /* the thread's own counter of names */
    struct samples acq, rel, cyc;
    int retries;
    struct err e;
};

static int schema_acquire(struct bare_thread *t, PGconn *c, const char *q,
                          const char *create, const char *drop)
{
    for (int attempt = 1;; attempt++) {
        if (exec_sql(c, create, &t->e) < 0)
            return -1;
        size_t i;
        for (i = 0; i < t->ms->n; i++)
            if (exec_sql(c, t->ms->v[i].sql, &t->e) < 0)
                break;
        if (i == t->ms->n)
            return exec_sql(c, "RESET search_path", &t->e);
        struct err ignore = ERR_INIT;
        bool retry = attempt < TRANSIENT_RETRIES && transient(t->e.msg) &&
                     exec_sql(c, "RESET search_path", &ignore) == 0 &&
                     exec_sql(c, drop, &ignore) == 0;
        err_release(&ignore);
        if (!retry)
            return err_prefix(&t->e, "schema %s: migration '%s'", q,
                              t->ms->v[i].name);
        t->retries++;
        struct timespec ts = {0, attempt * 2000000L};
        nanosleep(&ts, NULL);
    }
}

static void *bare_thread_main(void *arg)
{
    struct bare_thread *t = arg;
    PGconn *c = connect_db(t->conninfo, t->dbname, &t->e);

    bool run = gate_pass(t->gate);
    if (!c)
        return NULL;
    if (!run) {
        PQfinish(c);
        return NULL;
    }
    for (int k = 0; k < t->warmup + t->cycles && !stop_signal; k++) {
        char name[IDENT_BUFSZ];
        snprintf(name, sizeof(name), "bench_%ld_%d_%u", (long)getpid(), t->id,
                 ++*t->serial);
        /* Names and statements are made before the clock starts. */
        char *q = ident_quote(c, name, &t->e);
        if (!q)
            break;
        char *create, *drop;
        if (t->kind == BARE_DATABASE) {
            create = xasprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY %s", q,
                               t->template_q, t->strategy);
            drop = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
        } else {
            create = xasprintf("CREATE SCHEMA %s; SET search_path TO %s", q, q);
            drop = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", q);
        }
        double t0 = now_ms();
        int r = t->kind == BARE_DATABASE
                    ? exec_sql(c, create, &t->e)
                    : schema_acquire(t, c, q, create, drop);
        double t1 = now_ms();
        if (r == 0)
            r = exec_sql(c, drop, &t->e);
        double t2 = now_ms();
        PQfreemem(q);
        free(create);
        free(drop);
        if (r < 0)
            break;
        if (k >= t->warmup) {
            samples_add(&t->acq, t1 - t0);
            samples_add(&t->rel, t2 - t1);
            samples_add(&t->cyc, t2 - t0);
        }
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

/* Run one block: every thread does `cycles` cycles at the same time. */
static int bare_block(struct bench *b, struct bare_thread *proto, int cycles,
                      int warmup, unsigned *serials, struct bare_figures *out,
                      struct err *e)
{
    struct bare_thread th[MAX_JOBS];
    pthread_t tid[MAX_JOBS];
    struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                        false, false};
    int n = b->o.jobs, started = 0, rc = 0;

    for (int i = 0; i < n; i++) {
        th[i] = *proto;
        th[i].gate = &gate;
        th[i].id = i;
        th[i].cycles = cycles;
        th[i].warmup = warmup;
        th[i].serial = &serials[i];
        memset(&th[i].acq, 0, sizeof(th[i].acq));
        memset(&th[i].rel, 0, sizeof(th[i].rel));
        memset(&th[i].cyc, 0, sizeof(th[i].cyc));
        th[i].retries = 0;
        th[i].e = (struct err)ERR_INIT;
    }
    for (; started < n; started++)
        if (pthread_create(&tid[started], NULL, bare_thread_main,
                           &th[started]) != 0)
            break;
    gate_open(&gate, started < n);
    double t0 = now_ms();
    for (int i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    out->busy_ms += now_ms() - t0;
    if (started < n)
        rc = err_set(e, "cannot start bare loop thread %d", started);
    for (int i = 0; i < n; i++) {
        for (size_t k = 0; k < th[i].cyc.n; k++) {
            samples_add(&out->acq, th[i].acq.v[k]);
            samples_add(&out->rel, th[i].rel.v[k]);
            samples_add(&out->cyc, th[i].cyc.v[k]);
        }
        out->retries += th[i].retries;
        if (th[i].e.msg && rc == 0) {
            err_set(e, "bare loop, thread %d: %s", i, th[i].e.msg);
            rc = -1;
        }
        err_release(&th[i].e);
        samples_release(&th[i].acq);
        samples_release(&th[i].rel);
        samples_release(&th[i].cyc);
    }
    return rc;
}

static const char *const strategies[] = {"FILE_COPY", "WAL_LOG"};
#define NSTRATEGIES 2
#define NBLOCKS 2 /* per primitive, alternating */

static int bare_database(struct bench *b, PGconn *maint,
                         struct bare_figures out[NSTRATEGIES], struct err *e)
{
    unsigned serials[MAX_JOBS] = {0};
    char *tq = ident_quote(maint, b->template_name, e);
    int rc = 0;

    if (!tq)
        return -1;
    for (int blk = 0; blk < NBLOCKS && rc == 0 && !stop_signal; blk++)
        for (int s = 0; s < NSTRATEGIES && rc == 0 && !stop_signal; s++) {
            struct bare_thread proto = {.kind = BARE_DATABASE,
                                        .conninfo = b->conninfo,
                                        .dbname = "postgres",
                                        .template_q = tq,
                                        .strategy = strategies[s]};
            int cycles = b->o.cycles / NBLOCKS;
            if (blk == NBLOCKS - 1)
                cycles = b->o.cycles - cycles * (NBLOCKS - 1);
            rc = bare_block(b, &proto, cycles, blk ? 0 : WARMUP_CYCLES,
                            serials, &out[s], e);
        }
    PQfreemem(tq);
    return rc;
}

static int bare_schema(struct bench *b, PGconn *maint,
                       const struct migrate_set *ms, struct bare_figures *out,
                       struct err *e)
{
    unsigned serials[MAX_JOBS] = {0};
    char dbname[IDENT_BUFSZ];
    int rc;

    /* isotest drops its own run database at its end: clone ours. */
    snprintf(dbname, sizeof(dbname), "bench_%ld_schemas", (long)getpid());
    char *q = ident_quote(maint, dbname, e);
    char *tq = ident_quote(maint, b->template_name, e);
    if (!q || !tq) {
        PQfreemem(q);
        PQfreemem(tq);
        return -1;
    }
    char *sql = xasprintf("CREATE DATABASE %s TEMPLATE %s STRATEGY FILE_COPY",
                          q, tq);
    rc = exec_sql(maint, sql, e);
    free(sql);
    if (rc < 0) {
        err_prefix(e, "cannot create database '%s'", dbname);
    } else {
        struct bare_thread proto = {.kind = BARE_SCHEMA,
                                    .conninfo = b->conninfo,
                                    .dbname = dbname,
                                    .ms = ms};
        rc = bare_block(b, &proto, b->o.cycles, WARMUP_CYCLES, serials, out,
                        e);
        struct err ignore = ERR_INIT;
        sql = xasprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", q);
        exec_sql(maint, sql, &ignore);
        free(sql);
        err_release(&ignore);
    }
    PQfreemem(q);
    PQfreemem(tq);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* Output                                                                 */

static const char *verdict(double ratio)
{
    return ratio <= TARGET_RATIO ? "within target" : "over target";
}

static void print_rule(void)
{
    puts("--------------------------------------------------------------------"
         "-----------");
}

static void print_strategies(const struct bench *b,
                             const struct bare_figures f[NSTRATEGIES])
{
    double p50[NSTRATEGIES];

    printf("\nCREATE DATABASE ... STRATEGY, bare libpq loop (%d threads x %d "
           "cycles, same server)\n",
           b->o.jobs, b->o.cycles);
    print_rule();
    printf("%-10s %12s %12s %12s %12s %10s\n", "strategy", "create p50",
           "drop p50", "cycle p50", "cycle p95", "cycles/s");
    for (int s = 0; s < NSTRATEGIES; s++) {
        p50[s] = stats_median(f[s].cyc.v, f[s].cyc.n);
        printf("%-10s %12.2f %12.2f %12.2f %12.2f %10.1f\n", strategies[s],
               stats_median(f[s].acq.v, f[s].acq.n),
               stats_median(f[s].rel.v, f[s].rel.n), p50[s],
               stats_percentile(f[s].cyc.v, f[s].cyc.n, 95),
               f[s].busy_ms > 0 ? 1000.0 * (double)f[s].cyc.n / f[s].busy_ms
                                : 0);
    }
    int fast = p50[1] < p50[0] ? 1 : 0;
    printf("faster: %s (cycle p50 %.2f ms against %.2f ms, %.2fx); "
           "isotest's default is FILE_COPY%s\n",
           strategies[fast], p50[fast], p50[1 - fast],
           p50[fast] > 0 ? p50[1 - fast] / p50[fast] : 0,
           fast ? " -- consider switching" : "");
}

struct row {
    const char *label, *strategy;
    const struct isotest_figures *iso;
    const struct bare_figures *bare;
};

static void print_rows(const struct bench *b, const struct row *rows,
                       size_t n)
{
    printf("\nSandbox acquire+release per case, ms (isotest: median of %d "
           "runs of %s, -j %d;\nbare: the same primitive, %d threads x %d "
           "cycles; target: ratio p50 <= %.2fx)\n",
           b->o.runs, b->o.suite, b->o.jobs, b->o.jobs, b->o.cycles,
           TARGET_RATIO);
    print_rule();
    printf("%-9s %-10s %8s %8s %9s %9s %7s %7s  %s\n", "mode", "strategy",
           "iso p50", "iso p95", "bare p50", "bare p95", "x p50", "x p95",
           "verdict");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        double bp50 = stats_median(r->bare->cyc.v, r->bare->cyc.n);
        double bp95 = stats_percentile(r->bare->cyc.v, r->bare->cyc.n, 95);
        double x50 = bp50 > 0 ? r->iso->cycle_p50 / bp50 : 0;
        double x95 = bp95 > 0 ? r->iso->cycle_p95 / bp95 : 0;
        printf("%-9s %-10s %8.2f %8.2f %9.2f %9.2f %6.2fx %6.2fx  %s\n",
               r->label, r->strategy, r->iso->cycle_p50, r->iso->cycle_p95,
               bp50, bp95, x50, x95, verdict(x50));
    }
    print_rule();
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        struct strbuf runs = STRBUF_INIT;
        for (size_t k = 0; k < r->iso->runs_p50.n; k++)
            strbuf_addf(&runs, "%s%.2f", k ? " " : "", r->iso->runs_p50.v[k]);
        printf("%-9s %-10s isotest acquire p50 %.2f + release p50 %.2f "
               "(bare %.2f + %.2f); runs' p50: %s\n",
               r->label, r->strategy, r->iso->acq_p50, r->iso->rel_p50,
               stats_median(r->bare->acq.v, r->bare->acq.n),
               stats_median(r->bare->rel.v, r->bare->rel.n), runs.buf);
        strbuf_release(&runs);
    }
}

/* ---------------------------------------------------------------------- */

static int bench_run(struct bench *b, PGconn *maint, struct err *e)
{
    struct isotest_figures iso[NVARIANTS];
    struct bare_figures db[NSTRATEGIES], sch;
    struct migrate_set ms;
    char *mdir = xasprintf("%s/migrations", b->o.suite);
    int rc = -1;
    size_t done = 0;

    memset(db, 0, sizeof(db));
    memset(&sch, 0, sizeof(sch));
    if (migrate_load(&ms, mdir, e) < 0) {
        free(mdir);
        return -1;
    }
    free(mdir);
    for (; done < NVARIANTS && !stop_signal; done++) {
        const struct variant *v = &variants[done];
        fprintf(stderr, "bench-clone: isotest --isolation %s%s%s: 1 + %d "
                        "runs\n",
                v->mode, v->strategy ? " --clone-strategy " : "",
                v->strategy ? v->strategy : "", b->o.runs);
        if (measure_isotest(b, v, &iso[done], e) < 0)
            goto out;
    }
    if (stop_signal)
        goto out;
    if (!b->template_name[0]) {
        err_set(e, "the JUnit report names no isotest.template_name");
        goto out;
    }
    fprintf(stderr, "bench-clone: bare loop, database mode (%d threads)\n",
            b->o.jobs);
    if (bare_database(b, maint, db, e) < 0)
        goto out;
    fprintf(stderr, "bench-clone: bare loop, schema mode (%d threads)\n",
            b->o.jobs);
    if (bare_schema(b, maint, &ms, &sch, e) < 0)
        goto out;
    if (stop_signal)
        goto out;

    printf("server %s, template %s, %zu migrations, %ld cases per run\n",
           PQparameterStatus(maint, "server_version"), b->template_name,
           ms.n, iso[0].tests);
    struct row rows[] = {
        {"database", "FILE_COPY", &iso[0], &db[0]},
        {"database", "WAL_LOG", &iso[1], &db[1]},
        {"schema", "-", &iso[2], &sch},
    };
    print_rows(b, rows, sizeof(rows) / sizeof(rows[0]));
    print_strategies(b, db);
    if (sch.retries)
        printf("bare schema loop: %d migration retr%s after \"tuple "
               "concurrently updated\" (isotest retries the same way)\n",
               sch.retries, sch.retries == 1 ? "y" : "ies");
    for (size_t i = 0; i < NVARIANTS; i++)
        if (iso[i].failed_runs)
            printf("note: isotest --isolation %s%s%s: %d of %d runs had "
                   "failing cases:%s\n",
                   variants[i].mode,
                   variants[i].strategy ? " --clone-strategy " : "",
                   variants[i].strategy ? variants[i].strategy : "",
                   iso[i].failed_runs, b->o.runs + 1, iso[i].failed.buf);
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
    struct err e = ERR_INIT;
    struct sigaction sa;
    int code = EXIT_CANNOT;

    /* The tables go to stdout, progress to stderr: keep their order. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&b, 0, sizeof(b));
    if (parse_options(argc, argv, &b.o) < 0)
        return EXIT_CANNOT;
    if (access(b.o.isotest, X_OK) < 0) {
        fprintf(stderr, "bench-clone: cannot run '%s' (build it with make)\n",
                b.o.isotest);
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
             tmp && *tmp && strlen(tmp) < 32 ? tmp : "/tmp");
    if (!mkdtemp(b.tmpdir)) {
        int saved = errno;
        char ebuf[128];
        fprintf(stderr, "bench-clone: cannot create '%s': %s\n", b.tmpdir,
                err_strerror(saved, ebuf, sizeof(ebuf)));
        xmlCleanupParser();
        return EXIT_CANNOT;
    }
    b.envp = child_env();

    struct cluster_options co = {.cache_dir = b.o.cache_dir};
    double t0 = now_ms();
    struct cluster *c = cluster_start(&co, &e);
    if (!c) {
        fprintf(stderr, "bench-clone: cannot start the embedded server: %s\n",
                e.msg);
        goto out;
    }
    fprintf(stderr, "bench-clone: embedded server up in %.0f ms (%s)\n",
            now_ms() - t0, cluster_from_cache(c) ? "from cache" : "initdb");
    b.conninfo = cluster_conninfo(c);
    PGconn *maint = connect_db(b.conninfo, "postgres", &e);
    if (maint) {
        if (bench_run(&b, maint, &e) == 0)
            code = 0;
        PQfinish(maint);
    }
    if (code && !stop_signal)
        fprintf(stderr, "bench-clone: error: %s\n",
                e.msg ? e.msg : "unknown error");
    struct err ignore = ERR_INIT;
    cluster_stop(c, false, &ignore);
    err_release(&ignore);
out:
    err_release(&e);
    if (fs_remove_tree(b.tmpdir, &e) < 0) {
        fprintf(stderr, "bench-clone: %s\n", e.msg);
        err_release(&e);
    }
    free(b.envp);
    xmlCleanupParser();
    if (stop_signal)
        return 128 + stop_signal;
    return code;
}
