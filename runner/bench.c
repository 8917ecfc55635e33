/*
 * bench.c: configurations, child runs, medians, and the four outputs.
 */
#include "bench.h"
#include "cluster.h"
#include "fsutil.h"
#include "html.h"
#include "options.h"
#include "proc.h"
#include "server.h"
#include "stats.h"
#include "strbuf.h"

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

/* The value of <property name=...> on the first testsuite, or -1. */
static double property(xmlNode *suite, const char *name)
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
            if (!hit)
                continue;
            xmlChar *v = xmlGetProp(p, BAD_CAST "value");
            double d = v ? strtod((const char *)v, NULL) : -1;
            xmlFree(v);
            return d;
        }
    }
    return -1;
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
                       struct err *e)
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
    }
    xmlFreeDoc(doc);
    if (!suite || f->wall_ms < 0) {
        figures_release(f);
        return err_set(e, "the run's report '%s' has no figures", path);
    }
    return 0;
}

static int self_path(char *buf, size_t size, const char *argv0)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);

    if (n > 0) {
        buf[n] = '\0';
        return 0;
    }
    snprintf(buf, size, "%s", argv0);
    return 0;
}

/*
 * One child `isotest run`; its report goes to report_path.  Every run reads
 * and updates the bench's own history file, so cases start longest first
 * in every measured run (the warm-up run seeds it), as they do for a user
 * whose suite has a history; the suite's own history is left alone.
 */
static int run_once(const char *self, const char *db, const struct config *c,
                    const char *const *fwd, size_t nfwd,
                    const char *report_path, const char *history,
                    struct run_figures *f, struct err *e)
{
    const char **argv = xcalloc(nfwd + 16, sizeof(*argv));
    char jobs[16];
    size_t a = 0;

    snprintf(jobs, sizeof(jobs), "%d", c->jobs);
    argv[a++] = self;
    argv[a++] = "run";
    argv[a++] = "--db";
    argv[a++] = db;
    argv[a++] = "--isolation";
    argv[a++] = c->isolation;
    argv[a++] = "-j";
    argv[a++] = jobs;
    argv[a++] = "--junit";
    argv[a++] = report_path;
    argv[a++] = "--history";
    argv[a++] = history;
    for (size_t i = 0; i < nfwd; i++)
        argv[a++] = fwd[i];
    argv[a] = NULL;

    struct proc_spec spec = {.argv = argv};
    struct proc p;
    struct strbuf out, errb;
    struct proc_status st;
    strbuf_init(&out, 1 << 20);
    strbuf_init(&errb, 1 << 20);
    int r = proc_start(&p, &spec, e);
    if (r == 0)
        r = proc_capture(&p, &out, &errb, 0, SIGTERM, 2000, NULL, &st, e);
    if (r == 0 && !(st.exited && (st.code == 0 || st.code == 1))) {
        strbuf_rtrim(&errb);
        r = err_set(e, "the run '%s' could not run (%s %d):\n%s", c->name,
                    st.exited ? "exit code" : "signal", st.code, errb.buf);
    }
    if (r == 0)
        r = read_report(report_path, f, e);
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
                      const char *server_version, struct err *e)
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
                       const struct config *cs, size_t n, struct err *e)
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

int bench_main(int argc, char **argv)
{
    int jobs[16] = {1, 2, 4, 8}, njobs = 4;
    const char *modes[3] = {"database", "schema", "none"};
    int nmodes = 3, repeat = 3;
    const char *junit = NULL, *json = NULL, *html = NULL, *db = NULL;
    const char **fwd = xcalloc((size_t)argc + 1, sizeof(*fwd));
    size_t nfwd = 0;
    struct err e = ERR_INIT;
    int code = 2;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            free(fwd);
            return 0;
        }
        /* The same spellings as `run` takes: "--jobs=1,8", "-j 4". */
        int t;
        if ((t = options_take(argc, argv, &i, "--jobs", "-j", &v, &e))) {
            if (t > 0) {
                njobs = bench_parse_jobs(v, jobs, 16);
                if (njobs < 0)
                    err_set(&e, "invalid value '%s' for --jobs: expected a "
                                "list like 1,2,4,8", v);
            }
        } else if ((t = options_take(argc, argv, &i, "--isolation", NULL, &v,
                                     &e))) {
            if (t > 0) {
                nmodes = split_modes(v, modes, 3);
                if (nmodes < 0)
                    err_set(&e, "invalid value '%s' for --isolation: "
                                "expected a list of database, schema, none",
                            v);
            }
        } else if ((t = options_take(argc, argv, &i, "--repeat", NULL, &v,
                                     &e))) {
            long r;
            if (t > 0 && options_int("--repeat", v, 1, MAX_REPEAT, &r, &e) == 0)
                repeat = (int)r;
        } else if (!(t = options_take(argc, argv, &i, "--junit", NULL, &junit,
                                      &e)) &&
                   !(t = options_take(argc, argv, &i, "--json", NULL, &json,
                                      &e)) &&
                   !(t = options_take(argc, argv, &i, "--html", NULL, &html,
                                      &e)) &&
                   !(t = options_take(argc, argv, &i, "--db", NULL, &db,
                                      &e))) {
            fwd[nfwd++] = a;
        }
        if (e.msg) {
            fprintf(stderr, "isotest: error: %s\n", e.msg);
            err_release(&e);
            free(fwd);
            return 2;
        }
    }

    /* The forwarded part must make a valid run: check it now. */
    {
        const char **chk = xcalloc(nfwd + 2, sizeof(*chk));
        struct run_options o;
        chk[0] = "run";
        for (size_t i = 0; i < nfwd; i++)
            chk[i + 1] = fwd[i];
        int r = options_parse((int)nfwd + 1, (char **)chk, &o, &e);
        free(chk);
        if (r == 0) {
            /* Each run reads and writes the bench's own history. */
            if (o.history || o.no_history || o.compare_with)
                r = err_set(&e, "--history, --no-history and --compare-with "
                                "are not for bench: its runs keep a history "
                                "of their own, and the suite's is left alone");
            options_release(&o);
        }
        if (r < 0) {
            fprintf(stderr, "isotest: error: %s\n", e.msg);
            err_release(&e);
            free(fwd);
            return 2;
        }
    }

    /* Before minutes of runs, not after them. */
    const char *reports[] = {junit, json, html};
    const char *report_opts[] = {"--junit", "--json", "--html"};
    for (size_t i = 0; i < sizeof(reports) / sizeof(*reports); i++)
        if (reports[i] && fs_check_writable(reports[i], "report", &e) < 0) {
            err_prefix(&e, "%s", report_opts[i]);
            fprintf(stderr, "isotest: error: %s\n", e.msg);
            err_release(&e);
            free(fwd);
            return 2;
        }

    /* Configurations; the serial isolated run is always among them. */
    struct config *cs = xcalloc(MAX_CONFIGS, sizeof(*cs));
    size_t ncs = 0;
    bool have_serial = false;
    for (int m = 0; m < nmodes; m++)
        for (int j = 0; j < njobs; j++) {
            if (ncs == MAX_CONFIGS)
                break;
            cs[ncs].isolation = modes[m];
            cs[ncs].jobs = jobs[j];
            snprintf(cs[ncs].name, sizeof(cs[ncs].name), "%s -j %d",
                     modes[m], jobs[j]);
            if (jobs[j] == 1 && strcmp(modes[m], "none"))
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

    struct server srv;
    char self[4096];
    self_path(self, sizeof(self), argv[0]);
    if (server_open(&srv, db, false, &e) < 0) {
        fprintf(stderr, "isotest: error: %s\n", e.msg);
        if (e.hint)
            fprintf(stderr, "hint: %s\n", e.hint);
        err_release(&e);
        free(cs);
        free(fwd);
        return 2;
    }
    const char *conninfo = db ? db
                              : srv.cluster ? cluster_conninfo(srv.cluster)
                                            : NULL;
    char *env_conn = NULL;
    if (!conninfo) {
        /* The PG* environment named the server: hand it on explicitly. */
        env_conn = xasprintf("host=%s port=%s user=%s", srv.target.host,
                             srv.target.port, srv.target.user);
        conninfo = env_conn;
    }
    char *dir = xstrdup("/tmp/isotest-bench-XXXXXX");
    const char *tmpdir = getenv("TMPDIR");
    if (tmpdir && *tmpdir) {
        free(dir);
        dir = xasprintf("%s/isotest-bench-XXXXXX", tmpdir);
    }
    if (!mkdtemp(dir)) {
        fprintf(stderr, "isotest: error: cannot create a folder for the "
                        "runs' reports\n");
        goto out;
    }
    char *report = xasprintf("%s/run.xml", dir);
    char *history = xasprintf("%s/history", dir);

    printf("isotest bench: %zu configurations x %d runs, server %s\n", ncs,
           repeat, srv.target.server_version_str);
    /* A first run builds the template, so no configuration pays for it. */
    struct run_figures warm;
    if (run_once(self, conninfo, &cs[0], fwd, nfwd, report, history, &warm,
                 &e) < 0)
        goto fail;
    figures_release(&warm);
    for (size_t i = 0; i < ncs; i++) {
        printf("  %-24s", cs[i].name);
        fflush(stdout);
        for (int k = 0; k < repeat; k++) {
            if (run_once(self, conninfo, &cs[i], fwd, nfwd, report, history,
                         &cs[i].runs[k], &e) < 0) {
                putchar('\n');
                goto fail;
            }
            cs[i].nruns++;
            char secs[32];
            printf(" %s s", stats_fmt_seconds(secs, cs[i].runs[k].wall_ms));
            fflush(stdout);
        }
        putchar('\n');
    }

    struct bench_row *rows = xcalloc(ncs, sizeof(*rows));
    fill_rows(cs, ncs, rows);
    print_table(rows, ncs);
    print_failed(cs, ncs);
    code = 0;
    if (junit && write_junit(junit, rows, cs, ncs, &e) < 0)
        code = 2;
    if (json && write_json(json, rows, cs, ncs,
                           srv.target.server_version_str, &e) < 0)
        code = 2;
    if (html && html_bench(html, rows, ncs, "isotest bench", &e) < 0)
        code = 2;
    if (code) {
        fprintf(stderr, "isotest: error: %s\n", e.msg);
        err_release(&e);
    }
    free(rows);
    goto cleanup;
fail:
    fprintf(stderr, "isotest: error: %s\n", e.msg);
    err_release(&e);
    code = 2;
cleanup:
    unlink(report);
    unlink(history);
    rmdir(dir);
    free(report);
    free(history);
out:
    for (size_t i = 0; i < ncs; i++)
        for (int k = 0; k < cs[i].nruns; k++)
            figures_release(&cs[i].runs[k]);
    free(dir);
    free(env_conn);
    server_close(&srv, srv.cluster && !cluster_from_cache(srv.cluster),
                 false);
    free(cs);
    free(fwd);
    return code;
}
