/*
 * bench.c: configurations, child runs, medians, and the four outputs.
 */
#include "bench.h"
#include "commands.h"
#include "common/fsutil.h"
#include "reporters/html.h"
#include "options.h"
#include "common/proc.h"
#include "reporters/stats.h"
#include "signals.h"
#include "common/strbuf.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIGS 64
#define MAX_REPEAT 50
/* Failed cases named per run; the count covers the rest. */
#define MAX_NAMED 50

struct run_figures {
    double wall_ms, cycle_p50, cycle_p95, wait_p50, wait_p95;
    long tests, failed;
    char server_version[32];
    char **failed_names; /* "classname.name", at most MAX_NAMED */
    size_t nnamed;
};

struct config {
    char name[64];
    const char *isolation;
    int jobs;
    struct run_figures runs[MAX_REPEAT];
    int nruns;
};

/* What the command line asks of the bench. */
struct bench_args {
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
    "Other options (--migrations, --timeout, --pool, ...) go to each run.\n";

/* The value of <property name=...> of a testsuite, or NULL; xmlFree it. */
static xmlChar *property_value(xmlNode *suite, const char *name)
{
    for (xmlNode *n = suite->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE ||
            strcmp((const char *)n->name, "properties"))
            continue;
        for (xmlNode *p = n->children; p; p = p->next) {
            if (p->type != XML_ELEMENT_NODE)
                continue;
            xmlChar *k = xmlGetProp(p, BAD_CAST "name");
            bool hit = k && !strcmp((const char *)k, name);
            xmlFree(k);
            if (hit)
                return xmlGetProp(p, BAD_CAST "value");
        }
    }
    return NULL;
}

/* A number property, or -1. */
static double property(xmlNode *suite, const char *name)
{
    xmlChar *v = property_value(suite, name);
    double d = v ? strtod((const char *)v, NULL) : -1;

    xmlFree(v);
    return d;
}

static void property_str(xmlNode *suite, const char *name, char *buf,
                         size_t size)
{
    xmlChar *v = property_value(suite, name);

    snprintf(buf, size, "%s", v ? (const char *)v : "?");
    xmlFree(v);
}

static long attr_long(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    long r = v ? strtol((const char *)v, NULL, 10) : 0;

    xmlFree(v);
    return r;
}

static void figures_release(struct run_figures *f)
{
    for (size_t i = 0; i < f->nnamed; i++)
        free(f->failed_names[i]);
    free(f->failed_names);
    f->failed_names = NULL;
    f->nnamed = 0;
}

/* A testcase with a <failure> or <error> child. */
static bool case_failed(xmlNode *tc)
{
    for (xmlNode *c = tc->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE &&
            (!strcmp((const char *)c->name, "failure") ||
             !strcmp((const char *)c->name, "error")))
            return true;
    return false;
}

static void collect_failed(xmlNode *root, struct run_figures *f)
{
    for (xmlNode *s = root->children; s; s = s->next) {
        if (s->type != XML_ELEMENT_NODE ||
            strcmp((const char *)s->name, "testsuite"))
            continue;
        for (xmlNode *tc = s->children; tc; tc = tc->next) {
            if (tc->type != XML_ELEMENT_NODE ||
                strcmp((const char *)tc->name, "testcase") || !case_failed(tc))
                continue;
            if (f->nnamed == MAX_NAMED)
                return;
            xmlChar *cls = xmlGetProp(tc, BAD_CAST "classname");
            xmlChar *name = xmlGetProp(tc, BAD_CAST "name");
            if (!f->failed_names)
                f->failed_names = xcalloc(MAX_NAMED, sizeof(char *));
            f->failed_names[f->nnamed++] =
                xasprintf("%s.%s", cls ? (const char *)cls : "?",
                          name ? (const char *)name : "?");
            xmlFree(cls);
            xmlFree(name);
        }
    }
}

static int read_report(const char *path, struct run_figures *f,
                       struct isotest_err *e)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET |
                                              XML_PARSE_NOERROR |
                                              XML_PARSE_NOWARNING |
                                              XML_PARSE_HUGE);
    if (!doc)
        return err_set(e, "cannot read the run's report '%s'", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    xmlNode *suite = NULL;
    memset(f, 0, sizeof(*f));
    f->tests = attr_long(root, "tests");
    f->failed = attr_long(root, "failures") + attr_long(root, "errors");
    collect_failed(root, f);
    for (xmlNode *n = root->children; n && !suite; n = n->next)
        if (n->type == XML_ELEMENT_NODE &&
            !strcmp((const char *)n->name, "testsuite"))
            suite = n;
    if (suite) {
        f->wall_ms = property(suite, "isotest.wall_ms");
        f->cycle_p50 = property(suite, "isotest.sandbox_cycle_p50_ms");
        f->cycle_p95 = property(suite, "isotest.sandbox_cycle_p95_ms");
        f->wait_p50 = property(suite, "isotest.sandbox_acquire_p50_ms");
        f->wait_p95 = property(suite, "isotest.sandbox_acquire_p95_ms");
        property_str(suite, "isotest.server_version", f->server_version,
                     sizeof(f->server_version));
    }
    xmlFreeDoc(doc);
    if (!suite || f->wall_ms < 0) {
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
                    struct run_figures *f, struct isotest_err *e)
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
    const char *fixed[] = {"--isolation", c->isolation, "-j", jobs,
                           "--junit", b->report, "--history", b->history};
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

static double median_of(const struct config *c, size_t offset)
{
    double v[MAX_REPEAT];

    for (int i = 0; i < c->nruns; i++)
        v[i] = *(const double *)((const char *)&c->runs[i] + offset);
    return stats_median(v, (size_t)c->nruns);
}

static long median_failed(const struct config *c)
{
    double v[MAX_REPEAT];

    for (int i = 0; i < c->nruns; i++)
        v[i] = (double)c->runs[i].failed;
    return (long)(stats_median(v, (size_t)c->nruns) + 0.5);
}

static void fill_rows(struct config *cs, size_t n, struct bench_row *rows)
{
    double ref = 0;

    /* The serial isolated run: the first isolated configuration at -j 1. */
    for (size_t i = 0; i < n && !ref; i++)
        if (cs[i].jobs == 1 && strcmp(cs[i].isolation, "none"))
            ref = median_of(&cs[i], offsetof(struct run_figures, wall_ms));
    for (size_t i = 0; i < n; i++) {
        struct bench_row *r = &rows[i];
        memset(r, 0, sizeof(*r));
        r->name = cs[i].name;
        r->isolation = cs[i].isolation;
        r->jobs = cs[i].jobs;
        r->repeat = cs[i].nruns;
        r->wall_ms = median_of(&cs[i], offsetof(struct run_figures, wall_ms));
        r->speedup = r->wall_ms > 0 && ref > 0 ? ref / r->wall_ms : 0;
        r->efficiency = r->speedup / r->jobs;
        r->overhead_p50_ms =
            median_of(&cs[i], offsetof(struct run_figures, cycle_p50));
        r->overhead_p95_ms =
            median_of(&cs[i], offsetof(struct run_figures, cycle_p95));
        r->wait_p50_ms =
            median_of(&cs[i], offsetof(struct run_figures, wait_p50));
        r->wait_p95_ms =
            median_of(&cs[i], offsetof(struct run_figures, wait_p95));
        r->failed = median_failed(&cs[i]);
        r->cases = cs[i].nruns ? cs[i].runs[0].tests : 0;
    }
}

static void print_table(const struct bench_row *rows, size_t n)
{
    char secs[32];

    printf("\n%-28s %5s %12s %9s %10s %13s %13s %9s\n", "configuration",
           "jobs", "wall median", "speedup", "efficiency", "overhead p50",
           "overhead p95", "failed");
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        char label[64];
        snprintf(label, sizeof(label), "%s%s", r->name,
                 !strcmp(r->isolation, "none") && r->jobs == 1
                     ? " (the old way)"
                     : "");
        printf("%-28s %5d %10s s %8.2fx %9.0f%% %10.1f ms %10.1f ms "
               "%4ld/%-4ld\n",
               label, r->jobs, stats_fmt_seconds(secs, r->wall_ms),
               r->speedup, r->efficiency * 100, r->overhead_p50_ms,
               r->overhead_p95_ms, r->failed, r->cases);
    }
    printf("\nspeedup: against the serial isolated run; efficiency: speedup "
           "/ jobs; overhead: sandbox acquire + release per case;\nfailed: "
           "median over the runs (a shared database in parallel is expected "
           "to fail cases).\n");
}

/* Which cases failed, per configuration: the first run with failures. */
static void print_failed(const struct config *cs, size_t n)
{
    bool header = false;

    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < cs[i].nruns; k++) {
            const struct run_figures *f = &cs[i].runs[k];
            if (!f->failed)
                continue;
            if (!header)
                printf("\nfailed cases (the first run of each configuration "
                       "that had any):\n");
            header = true;
            printf("  %s, run %d: %ld of %ld:", cs[i].name, k + 1, f->failed,
                   f->tests);
            for (size_t j = 0; j < f->nnamed && j < 5; j++)
                printf("%s %s", j ? "," : "", f->failed_names[j]);
            if (f->failed > 5)
                printf(", ...");
            putchar('\n');
            break;
        }
    }
}

static void json_str(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_addf(sb, "\\%c", *p);
        else if (*p < 0x20)
            strbuf_addf(sb, "\\u%04x", *p);
        else
            strbuf_addch(sb, (char)*p);
    }
    strbuf_addch(sb, '"');
}

static int write_json(const char *path, const struct bench_row *rows,
                      const struct config *cs, size_t n,
                      const char *server_version, struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "{\n  \"isotest_version\": ");
    json_str(&sb, ISOTEST_VERSION);
    strbuf_addstr(&sb, ",\n  \"server_version\": ");
    json_str(&sb, server_version);
    strbuf_addstr(&sb, ",\n  \"configurations\": [\n");
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        strbuf_addstr(&sb, "    {\"name\": ");
        json_str(&sb, r->name);
        strbuf_addstr(&sb, ", \"isolation\": ");
        json_str(&sb, r->isolation);
        strbuf_addf(&sb,
                    ", \"jobs\": %d, \"runs\": %d, \"wall_ms_median\": %.1f, "
                    "\"speedup\": %.3f, \"efficiency\": %.3f, "
                    "\"overhead_p50_ms\": %.2f, \"overhead_p95_ms\": %.2f, "
                    "\"wait_p50_ms\": %.2f, \"wait_p95_ms\": %.2f, "
                    "\"failed\": %ld, \"cases\": %ld, \"wall_ms\": [",
                    r->jobs, r->repeat, r->wall_ms, r->speedup, r->efficiency,
                    r->overhead_p50_ms, r->overhead_p95_ms, r->wait_p50_ms,
                    r->wait_p95_ms, r->failed, r->cases);
        for (int k = 0; k < cs[i].nruns; k++)
            strbuf_addf(&sb, "%s%.1f", k ? ", " : "", cs[i].runs[k].wall_ms);
        /* Per run, the failed cases (the first MAX_NAMED). */
        strbuf_addstr(&sb, "], \"failed_cases\": [");
        for (int k = 0; k < cs[i].nruns; k++) {
            const struct run_figures *f = &cs[i].runs[k];
            strbuf_addstr(&sb, k ? ", [" : "[");
            for (size_t j = 0; j < f->nnamed; j++) {
                if (j)
                    strbuf_addstr(&sb, ", ");
                json_str(&sb, f->failed_names[j]);
            }
            strbuf_addch(&sb, ']');
        }
        strbuf_addf(&sb, "]}%s\n", i + 1 < n ? "," : "");
    }
    strbuf_addstr(&sb, "  ]\n}\n");
    int r = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return r;
}

static void prop(xmlTextWriterPtr w, const char *name, const char *fmt,
                 double v)
{
    char buf[64];

    snprintf(buf, sizeof(buf), fmt, v);
    xmlTextWriterStartElement(w, BAD_CAST "property");
    xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST name);
    xmlTextWriterWriteAttribute(w, BAD_CAST "value", BAD_CAST buf);
    xmlTextWriterEndElement(w);
}

static int write_junit(const char *path, const struct bench_row *rows,
                       const struct config *cs, size_t n, struct isotest_err *e)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    xmlTextWriterPtr w = xmlNewTextWriterFilename(tmp, 0);
    char buf[64];
    int rc = 0;

    if (!w) {
        free(tmp);
        return err_set(e, "cannot write '%s'", path);
    }
    xmlTextWriterSetIndent(w, 1);
    rc |= xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL) < 0;
    rc |= xmlTextWriterStartElement(w, BAD_CAST "testsuites") < 0;
    xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST "isotest bench");
    for (size_t i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        xmlTextWriterStartElement(w, BAD_CAST "testsuite");
        xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST r->name);
        snprintf(buf, sizeof(buf), "%d", cs[i].nruns);
        xmlTextWriterWriteAttribute(w, BAD_CAST "tests", BAD_CAST buf);
        xmlTextWriterWriteAttribute(w, BAD_CAST "failures", BAD_CAST "0");
        xmlTextWriterWriteAttribute(w, BAD_CAST "errors", BAD_CAST "0");
        xmlTextWriterWriteAttribute(w, BAD_CAST "time",
                                    BAD_CAST stats_fmt_seconds(buf,
                                                               r->wall_ms));
        xmlTextWriterStartElement(w, BAD_CAST "properties");
        prop(w, "bench.jobs", "%.0f", r->jobs);
        xmlTextWriterStartElement(w, BAD_CAST "property");
        xmlTextWriterWriteAttribute(w, BAD_CAST "name",
                                    BAD_CAST "bench.isolation");
        xmlTextWriterWriteAttribute(w, BAD_CAST "value",
                                    BAD_CAST r->isolation);
        xmlTextWriterEndElement(w);
        prop(w, "bench.wall_ms_median", "%.1f", r->wall_ms);
        prop(w, "bench.speedup", "%.3f", r->speedup);
        prop(w, "bench.efficiency", "%.3f", r->efficiency);
        prop(w, "bench.overhead_p50_ms", "%.2f", r->overhead_p50_ms);
        prop(w, "bench.overhead_p95_ms", "%.2f", r->overhead_p95_ms);
        prop(w, "bench.wait_p50_ms", "%.2f", r->wait_p50_ms);
        prop(w, "bench.wait_p95_ms", "%.2f", r->wait_p95_ms);
        prop(w, "bench.failed_cases", "%.0f", (double)r->failed);
        prop(w, "bench.cases", "%.0f", (double)r->cases);
        xmlTextWriterEndElement(w);
        for (int k = 0; k < cs[i].nruns; k++) {
            xmlTextWriterStartElement(w, BAD_CAST "testcase");
            snprintf(buf, sizeof(buf), "bench.%s", r->isolation);
            xmlTextWriterWriteAttribute(w, BAD_CAST "classname", BAD_CAST buf);
            snprintf(buf, sizeof(buf), "%s run %d", r->name, k + 1);
            xmlTextWriterWriteAttribute(w, BAD_CAST "name", BAD_CAST buf);
            xmlTextWriterWriteAttribute(
                w, BAD_CAST "time",
                BAD_CAST stats_fmt_seconds(buf, cs[i].runs[k].wall_ms));
            /*
             * Failed cases are a figure of the configuration, not a failure
             * of the bench: listed, so a CI page shows them, not marked.
             */
            const struct run_figures *f = &cs[i].runs[k];
            if (f->failed) {
                struct strbuf so = STRBUF_INIT;
                strbuf_addf(&so, "%ld of %ld cases failed:", f->failed,
                            f->tests);
                for (size_t j = 0; j < f->nnamed; j++)
                    strbuf_addf(&so, "\n%s", f->failed_names[j]);
                if ((size_t)f->failed > f->nnamed)
                    strbuf_addf(&so, "\n(and %zu more)",
                                (size_t)f->failed - f->nnamed);
                xmlTextWriterWriteElement(w, BAD_CAST "system-out",
                                          BAD_CAST so.buf);
                strbuf_release(&so);
            }
            xmlTextWriterEndElement(w);
        }
        xmlTextWriterEndElement(w);
    }
    rc |= xmlTextWriterEndDocument(w) < 0;
    rc |= xmlTextWriterFlush(w) < 0;
    xmlFreeTextWriter(w);
    if (rc || rename(tmp, path) < 0) {
        unlink(tmp);
        free(tmp);
        return err_set(e, "cannot write '%s'", path);
    }
    free(tmp);
    return 0;
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

/* One argument of bench's own; 1 taken, 0 not ours, -1 with e set. */
static int take_arg(int argc, char **argv, int *i, struct bench_args *a,
                    struct isotest_err *e)
{
    const char *v = NULL;
    int t;

    /* The same spellings as `run` takes: "--jobs=1,8", "-j 4". */
    if ((t = options_take(argc, argv, i, "--jobs", "-j", &v, e)) > 0) {
        a->njobs = bench_parse_jobs(v, a->jobs, 16);
        if (a->njobs < 0)
            return err_set(e, "invalid value '%s' for --jobs: expected a "
                              "list like 1,2,4,8", v);
    } else if (!t && (t = options_take(argc, argv, i, "--isolation", NULL,
                                       &v, e)) > 0) {
        a->nmodes = split_modes(v, a->modes, 3);
        if (a->nmodes < 0)
            return err_set(e, "invalid value '%s' for --isolation: "
                              "expected a list of database, schema, none",
                           v);
    } else if (!t && (t = options_take(argc, argv, i, "--repeat", NULL, &v,
                                       e)) > 0) {
        long r;
        if (options_int("--repeat", v, 1, MAX_REPEAT, &r, e) < 0)
            return -1;
        a->repeat = (int)r;
    } else if (!t) {
        const char *names[] = {"--junit", "--json", "--html", "--db"};
        const char **dst[] = {&a->junit, &a->json, &a->html, &a->db};
        for (size_t k = 0; k < 4 && !t; k++)
            t = options_take(argc, argv, i, names[k], NULL, dst[k], e);
    }
    return t;
}

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

    *a = (struct bench_args){.jobs = {1, 2, 4, 8}, .njobs = 4,
                             .modes = {"database", "schema", "none"},
                             .nmodes = 3, .repeat = 3};
    a->fwd = xcalloc((size_t)argc + 1, sizeof(*a->fwd));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 1;
        }
        int t = take_arg(argc, argv, &i, a, e);
        if (t < 0)
            return -1;
        if (!t)
            a->fwd[a->nfwd++] = argv[i];
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
    struct run_figures warm;

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

static int report_all(const struct bench_ctx *b, struct config *cs,
                      size_t ncs, struct isotest_err *e)
{
    const struct bench_args *a = b->a;
    struct bench_row *rows = xcalloc(ncs, sizeof(*rows));
    int r = 0;

    fill_rows(cs, ncs, rows);
    print_table(rows, ncs);
    print_failed(cs, ncs);
    if (a->junit && write_junit(a->junit, rows, cs, ncs, e) < 0)
        r = -1;
    if (!r && a->json &&
        write_json(a->json, rows, cs, ncs, b->server_version, e) < 0)
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
        return err_errno(e, saved, "cannot create a folder for the runs' "
                                   "reports");
    }
    b->report = xasprintf("%s/run.xml", b->dir);
    b->history = xasprintf("%s/history", b->dir);
    return 0;
}

static void remove_workdir(struct bench_ctx *b)
{
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
    if (make_workdir(&b, e) == 0 && run_all(&b, cs, ncs, e) == 0)
        r = signals_interrupted() ? 0 : report_all(&b, cs, ncs, e);
    remove_workdir(&b);
    for (size_t i = 0; i < ncs; i++)
        for (int k = 0; k < cs[i].nruns; k++)
            figures_release(&cs[i].runs[k]);
    free(cs);
    return r;
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
    signals_watch_server(NULL);
    isotest_server_stop(srv);
    free(a.fwd);
    return code;
}
