/*
 * bench.c: the command -- its options, the configurations, the child runs
 * and what each run's JUnit report says.  The outputs (table, JSON,
 * JUnit, HTML) are reporters/bench_report.h's and html.h's.
 */
#include "bench.h"
#include "commands.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "options.h"
#include "reporters/bench_report.h"
#include "reporters/html.h"
#include "reporters/junit_read.h"
#include "reporters/stats.h"
#include "signals.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIGS 64
#define MAX_REPEAT 50
/* Failed cases named per run; the count covers the rest. */
#define MAX_NAMED 50

struct config {
    char name[64];
    const char *isolation;
    int jobs;
    struct bench_run runs[MAX_REPEAT]; /* failed_names: at most MAX_NAMED */
    int nruns;
};

/* What the command line asks of the bench. */
struct bench_args {
    bool help;
    int jobs[16], njobs;
    const char *modes[3];
    int nmodes, repeat;
    const char *junit, *json, *html, *db;
    const char **fwd; /* the rest, for every run */
    size_t nfwd;
};

int bench_parse_jobs(const char *s, int *out, int max)
{
    int n = 0;
    const char *p = s;

    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 1 || v > 1024 || n == max ||
            (*end && *end != ','))
            return -1;
        out[n++] = (int)v;
        p = *end ? end + 1 : end;
        if (*end && !*p)
            return -1;
    }
    return n ? n : -1;
}

static const char usage[] =
    "usage: isotest bench [--jobs 1,2,4,8] [--isolation database,schema,none]\n"
    "                     [--repeat R] [--junit F] [--json F] [--html F]\n"
    "                     [--db URL] [run options] PATH...\n"
    "\n"
    "Runs the suite in every configuration R times (default 3) and prints\n"
    "the median wall time, the speedup against the serial isolated run, the\n"
    "parallel efficiency, the sandbox overhead per case and the failed\n"
    "cases.  `none` with 1 job is the old way: serial on a shared database.\n"
    "A warm-up run builds the template and records case durations: every\n"
    "measured run then starts the longest cases first.\n"
    "Other options (--migrations, --timeout, --pool, ...) go to each run;\n"
    "so does the suite's isotest.conf, under the bench's --jobs and\n"
    "--isolation.\n";

static void figures_release(struct bench_run *f)
{
    for (size_t i = 0; i < f->nnamed; i++)
        free(f->failed_names[i]);
    free(f->failed_names);
    f->failed_names = NULL;
    f->nnamed = 0;
}

/* A number property of the run's suite, or -1. */
static double property(const struct junit_report *rep, const char *name)
{
    const char *v = junit_read_property(rep, 0, name);

    return v ? strtod(v, NULL) : -1;
}

/* The ids of the first MAX_NAMED failed or errored cases. */
static void collect_failed(const struct junit_report *rep, struct bench_run *f)
{
    for (size_t i = 0; i < rep->ncases && f->nnamed < MAX_NAMED; i++) {
        const struct junit_case *c = &rep->cases[i];
        if (c->outcome != JUNIT_FAILURE && c->outcome != JUNIT_ERROR)
            continue;
        if (!f->failed_names)
            f->failed_names = xcalloc(MAX_NAMED, sizeof(char *));
        f->failed_names[f->nnamed++] = junit_read_case_id(rep, c);
    }
}

/* The figures of one child run, from the isotest.* properties it wrote. */
static int read_report(const char *path, struct bench_run *f,
                       struct isotest_err *e)
{
    struct junit_report rep;

    memset(f, 0, sizeof(*f));
    if (junit_read_load(&rep, path, e) < 0)
        return err_prefix(e, "the run's report");
    f->tests = rep.tests;
    f->failed = rep.failures + rep.errors;
    f->wall_ms = property(&rep, "isotest.wall_ms");
    f->cycle_p50_ms = property(&rep, "isotest.sandbox_cycle_p50_ms");
    f->cycle_p95_ms = property(&rep, "isotest.sandbox_cycle_p95_ms");
    f->wait_p50_ms = property(&rep, "isotest.sandbox_acquire_p50_ms");
    f->wait_p95_ms = property(&rep, "isotest.sandbox_acquire_p95_ms");
    const char *v = junit_read_property(&rep, 0, "isotest.server_version");
    snprintf(f->server_version, sizeof(f->server_version), "%s", v ? v : "?");
    collect_failed(&rep, f);
    bool no_suite = rep.nsuites == 0;
    junit_read_release(&rep);
    if (no_suite || f->wall_ms < 0) {
        figures_release(f);
        return err_set(e, "the run's report '%s' has no figures", path);
    }
    return 0;
}

static void self_path(char *buf, size_t size, const char *argv0)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);

    if (n > 0)
        buf[n] = '\0';
    else
        snprintf(buf, size, "%s", argv0);
}

/* The runs' shared state: where they report, and the server. */
struct bench_ctx {
    const struct bench_args *a;
    char self[4096];
    const char *conninfo; /* NULL: the runs inherit the PG* variables */
    char *dir, *report, *history;
    char server_version[32];
};

/*
 * One child `isotest run`; its report goes to b->report.  Every run reads
 * and updates the bench's own history file, so cases start longest first
 * in every measured run (the warm-up run seeds it), as they do for a user
 * whose suite has a history; the suite's own history is left alone.
 * 1 when the bench was interrupted (the signal registry passed the signal
 * on to the child, which stopped cleanly); -1 with e set.
 */
static int run_once(const struct bench_ctx *b, const struct config *c,
                    struct bench_run *f, struct isotest_err *e)
{
    const char **argv = xcalloc(b->a->nfwd + 16, sizeof(*argv));
    char jobs[16];
    size_t a = 0;

    snprintf(jobs, sizeof(jobs), "%d", c->jobs);
    argv[a++] = b->self;
    argv[a++] = "run";
    if (b->conninfo) {
        argv[a++] = "--db";
        argv[a++] = b->conninfo;
    }
    const char *fixed[] = {"--isolation", c->isolation, "-j",
                           jobs,          "--junit",    b->report,
                           "--history",   b->history};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(*fixed); i++)
        argv[a++] = fixed[i];
    for (size_t i = 0; i < b->a->nfwd; i++)
        argv[a++] = b->a->fwd[i];
    argv[a] = NULL;

    struct proc_spec spec = {.argv = argv};
    struct proc p;
    struct strbuf out, errb;
    struct proc_status st;
    strbuf_init(&out, 1 << 20);
    strbuf_init(&errb, 1 << 20);
    int r = proc_start(&p, &spec, e);
    if (r == 0) {
        signals_watch_child(p.pid);
        r = proc_capture(&p, &out, &errb, 0, SIGTERM, 2000, NULL, &st, e);
        signals_watch_child(0);
    }
    if (r == 0 && signals_interrupted()) {
        r = 1;
    } else if (r == 0 && !(st.exited && (st.code == 0 || st.code == 1))) {
        strbuf_rtrim(&errb);
        r = err_set(e, "the run '%s' could not run (%s %d):\n%s", c->name,
                    st.exited ? "exit code" : "signal", st.code, errb.buf);
    }
    if (r == 0)
        r = read_report(b->report, f, e);
    strbuf_release(&out);
    strbuf_release(&errb);
    free(argv);
    return r;
}

static int split_modes(const char *s, const char **out, int max)
{
    static const char *const known[] = {"database", "schema", "none"};
    int n = 0;
    const char *p = s;

    while (*p) {
        size_t len = strcspn(p, ",");
        int k;
        for (k = 0; k < 3; k++)
            if (strlen(known[k]) == len && !strncmp(p, known[k], len))
                break;
        if (k == 3 || n == max)
            return -1;
        for (int j = 0; j < n; j++)
            if (out[j] == known[k])
                return -1; /* twice the same mode */
        out[n++] = known[k];
        p += len;
        if (*p == ',' && !*++p)
            return -1; /* "database," ends in an empty item */
    }
    return n ? n : -1;
}

static int set_jobs(const struct opt_spec *s, const char *as, const char *v,
                    void *field, void *dst, struct isotest_err *e)
{
    struct bench_args *a = dst;

    (void)s, (void)as, (void)field;
    a->njobs = bench_parse_jobs(v, a->jobs, 16);
    if (a->njobs < 0)
        return err_set(e,
                       "invalid value '%s' for --jobs: expected a list "
                       "like 1,2,4,8",
                       v);
    return 0;
}

static int set_modes(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    struct bench_args *a = dst;

    (void)s, (void)as, (void)field;
    a->nmodes = split_modes(v, a->modes, 3);
    if (a->nmodes < 0)
        return err_set(e,
                       "invalid value '%s' for --isolation: expected a "
                       "list of database, schema, none",
                       v);
    return 0;
}

/* Bench's own options, in the spellings `run` takes; the rest go on. */
#define BA(field) offsetof(struct bench_args, field)
static const struct opt_spec specs[] = {
    {"--help", "-h", OPT_FLAG, BA(help), 0, 0, NULL},
    {"--jobs", "-j", OPT_VALUE, BA(jobs), 0, 0, set_jobs},
    {"--isolation", NULL, OPT_VALUE, BA(modes), 0, 0, set_modes},
    {"--repeat", NULL, OPT_VALUE, BA(repeat), 1, MAX_REPEAT, opt_set_int},
    {"--junit", NULL, OPT_VALUE, BA(junit), 0, 0, opt_set_string},
    {"--json", NULL, OPT_VALUE, BA(json), 0, 0, opt_set_string},
    {"--html", NULL, OPT_VALUE, BA(html), 0, 0, opt_set_string},
    {"--db", NULL, OPT_VALUE, BA(db), 0, 0, opt_set_string},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef BA

/* The forwarded part must make a valid run: check it now. */
static int check_forwarded(const struct bench_args *a, struct isotest_err *e)
{
    const char **chk = xcalloc(a->nfwd + 2, sizeof(*chk));
    struct run_options o;

    chk[0] = "run";
    for (size_t i = 0; i < a->nfwd; i++)
        chk[i + 1] = a->fwd[i];
    int r = options_parse((int)a->nfwd + 1, (char **)chk, &o, e);
    free(chk);
    if (r < 0)
        return -1;
    /* Each run reads and writes the bench's own history. */
    if (o.history || o.no_history || o.compare_with)
        r = err_set(e, "--history, --no-history and --compare-with are not "
                       "for bench: its runs keep a history of their own, "
                       "and the suite's is left alone");
    options_release(&o);
    return r;
}

/* 1: help printed; 0: parsed; -1 with e set. */
static int parse_args(int argc, char **argv, struct bench_args *a,
                      struct isotest_err *e)
{
    static const char *const report_opts[] = {"--junit", "--json", "--html"};

    *a = (struct bench_args){.jobs = {1, 2, 4, 8},
                             .njobs = 4,
                             .modes = {"database", "schema", "none"},
                             .nmodes = 3,
                             .repeat = 3};
    if (options_scan(argc, argv, specs, a, true, &a->fwd, &a->nfwd, e) < 0)
        return -1;
    if (a->help) {
        fputs(usage, stdout);
        return 1;
    }
    if (check_forwarded(a, e) < 0)
        return -1;
    /* Before minutes of runs, not after them. */
    const char *reports[] = {a->junit, a->json, a->html};
    for (size_t i = 0; i < 3; i++)
        if (reports[i] && fs_check_writable(reports[i], "report", e) < 0)
            return err_prefix(e, "%s", report_opts[i]);
    return 0;
}

/* Configurations; the serial isolated run is always among them. */
static struct config *make_configs(const struct bench_args *a, size_t *n)
{
    struct config *cs = xcalloc(MAX_CONFIGS, sizeof(*cs));
    size_t ncs = 0;
    bool have_serial = false;

    for (int m = 0; m < a->nmodes; m++)
        for (int j = 0; j < a->njobs && ncs < MAX_CONFIGS; j++) {
            cs[ncs].isolation = a->modes[m];
            cs[ncs].jobs = a->jobs[j];
            snprintf(cs[ncs].name, sizeof(cs[ncs].name), "%s -j %d",
                     a->modes[m], a->jobs[j]);
            if (a->jobs[j] == 1 && strcmp(a->modes[m], "none"))
                have_serial = true;
            ncs++;
        }
    if (!have_serial && ncs < MAX_CONFIGS) {
        memmove(&cs[1], &cs[0], ncs * sizeof(*cs));
        memset(&cs[0], 0, sizeof(*cs));
        cs[0].isolation = "database";
        cs[0].jobs = 1;
        snprintf(cs[0].name, sizeof(cs[0].name), "database -j 1");
        ncs++;
    }
    *n = ncs;
    return cs;
}

/*
 * The warm-up run, then every configuration `repeat` times.  Stops
 * starting runs after an interrupt (the running one was told by the
 * signal registry); -1 with e set when a run could not run.
 */
static int run_all(struct bench_ctx *b, struct config *cs, size_t ncs,
                   struct isotest_err *e)
{
    struct bench_run warm;

    /* A first run builds the template, so no configuration pays for it. */
    int r = run_once(b, &cs[0], &warm, e);
    if (r != 0)
        return r < 0 ? -1 : 0;
    snprintf(b->server_version, sizeof(b->server_version), "%s",
             warm.server_version);
    figures_release(&warm);
    printf("isotest bench: %zu configurations x %d runs, server %s\n", ncs,
           b->a->repeat, b->server_version);
    for (size_t i = 0; i < ncs && !signals_interrupted(); i++) {
        printf("  %-24s", cs[i].name);
        fflush(stdout);
        for (int k = 0; k < b->a->repeat && !signals_interrupted(); k++) {
            r = run_once(b, &cs[i], &cs[i].runs[k], e);
            if (r != 0) {
                putchar('\n');
                return r < 0 ? -1 : 0;
            }
            cs[i].nruns++;
            char secs[32];
            printf(" %s s", stats_fmt_seconds(secs, cs[i].runs[k].wall_ms));
            fflush(stdout);
        }
        putchar('\n');
    }
    return 0;
}

static int report_all(const struct bench_ctx *b, struct config *cs, size_t ncs,
                      struct isotest_err *e)
{
    const struct bench_args *a = b->a;
    struct bench_row *rows = xcalloc(ncs, sizeof(*rows));
    struct strbuf text = STRBUF_INIT;
    int r = 0;

    for (size_t i = 0; i < ncs; i++) {
        rows[i].name = cs[i].name;
        rows[i].isolation = cs[i].isolation;
        rows[i].jobs = cs[i].jobs;
        rows[i].runs = cs[i].runs;
        rows[i].repeat = cs[i].nruns;
    }
    bench_report_medians(rows, ncs);
    bench_report_text(&text, rows, ncs);
    fputs(text.buf, stdout);
    strbuf_release(&text);
    if (a->junit && bench_report_junit(a->junit, rows, ncs, e) < 0)
        r = -1;
    if (!r && a->json &&
        bench_report_json(a->json, rows, ncs, b->server_version, e) < 0)
        r = -1;
    if (!r && a->html && html_bench(a->html, rows, ncs, "isotest bench", e) < 0)
        r = -1;
    free(rows);
    return r;
}

static int make_workdir(struct bench_ctx *b, struct isotest_err *e)
{
    const char *tmpdir = getenv("TMPDIR");

    b->dir = xasprintf("%s/isotest-bench-XXXXXX",
                       tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(b->dir)) {
        int saved = errno;
        free(b->dir);
        b->dir = NULL;
        return err_errno(e, saved,
                         "cannot create a folder for the runs' "
                         "reports");
    }
    b->report = xasprintf("%s/run.xml", b->dir);
    b->history = xasprintf("%s/history", b->dir);
    return 0;
}

/* Under signals_cleanup(): a second Ctrl-C waits for it. */
static void remove_workdir(void *arg)
{
    struct bench_ctx *b = arg;

    signals_watch_dir(NULL);
    if (!b->dir)
        return;
    unlink(b->report);
    unlink(b->history);
    rmdir(b->dir);
    free(b->report);
    free(b->history);
    free(b->dir);
}

static int bench(const struct bench_args *a, struct isotest_server *srv,
                 const char *argv0, struct isotest_err *e)
{
    struct bench_ctx b = {.a = a, .conninfo = isotest_server_conninfo(srv)};
    size_t ncs;
    struct config *cs = make_configs(a, &ncs);
    int r = -1;

    self_path(b.self, sizeof(b.self), argv0);
    if (make_workdir(&b, e) == 0) {
        signals_watch_dir(b.dir);
        if (run_all(&b, cs, ncs, e) == 0)
            r = signals_interrupted() ? 0 : report_all(&b, cs, ncs, e);
    }
    signals_cleanup(remove_workdir, &b);
    for (size_t i = 0; i < ncs; i++)
        for (int k = 0; k < cs[i].nruns; k++)
            figures_release(&cs[i].runs[k]);
    free(cs);
    return r;
}

/* Under signals_cleanup(): a second Ctrl-C waits for it. */
static void stop_server(void *srv)
{
    signals_watch_server(NULL);
    isotest_server_stop(srv);
}

int cmd_bench(int argc, char **argv)
{
    struct bench_args a;
    struct isotest_err e = ISOTEST_ERR_INIT;
    int code = EXIT_CANNOT;

    int p = parse_args(argc, argv, &a, &e);
    if (p != 0) {
        if (p < 0)
            cmd_print_error(NULL, &e);
        free(a.fwd);
        return p > 0 ? 0 : EXIT_CANNOT;
    }
    struct isotest_server *srv = isotest_server_start(a.db, false, &e);
    if (!srv) {
        cmd_print_error(NULL, &e);
        free(a.fwd);
        return EXIT_CANNOT;
    }
    signals_watch_server(srv);
    if (bench(&a, srv, argv[0], &e) == 0)
        code = 0;
    else
        cmd_print_error(NULL, &e);
    if (signals_interrupted()) {
        printf("isotest bench: interrupted: the remaining runs were "
               "skipped\n");
        code = signals_exit_code();
    }
    signals_cleanup(stop_server, srv);
    free(a.fwd);
    return code;
}
