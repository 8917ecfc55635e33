/*
 * cmd_merge.c: `isotest merge -o OUT.xml [--history-out FILE]
 * [--allow-duplicates] IN.xml...`: the JUnit reports of a run's shards
 * (`isotest run --shard K/N` in N CI jobs) as one report, one summary,
 * one exit code and, with --history-out, one history for the next
 * pipeline to balance its shards with.
 *
 * Each test case is read back (reporters/junit_read.h) into a struct
 * test_result and written again by the one writer (reporters/junit.h):
 * outcome, message, detail, system-out and system-err are kept, and the
 * "[isotest] file=... worker=... start_ms=... sandbox=..." line that the
 * writer puts first in system-out is parsed back, so it is written once,
 * as it was.  What a report does not carry per case (sandbox acquire and
 * release times) reads as 0; the shard reports keep those figures.
 *
 * Layout: options; one case back into a result; reading the inputs;
 * the disjointness check; the merged run's facts; the command.  Main
 * thread only.
 */
#include "commands.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "history.h"
#include "options.h"
#include "reporters/console.h"
#include "reporters/junit.h"
#include "reporters/junit_read.h"
#include "reporters/stats.h"
#include "shard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What junit.c writes for a case an interrupted run never started. */
#define NOT_RUN "not run: the run was interrupted"
/* ... and how runcase.c words a timeout (the element type is not read). */
#define TIMED_OUT "timed out after "

static const char usage[] =
    "usage: isotest merge -o OUT.xml [--history-out FILE] "
    "[--allow-duplicates] IN.xml...\n"
    "\n"
    "Merges the JUnit reports of a run's shards (isotest run --shard K/N)\n"
    "into one report, prints the summary and exits as a run would: 0 all\n"
    "passed, 1 some case failed, 2 a report could not be read.\n"
    "\n"
    "  -o, --output FILE     the merged report (required)\n"
    "  --history-out FILE    write the case durations as a history file\n"
    "                        (entries it already holds for cases not in\n"
    "                        the reports are kept), for the next --shard\n"
    "  --allow-duplicates    a case in two reports is kept twice (default:\n"
    "                        an error, shards being disjoint)\n"
    "  -h, --help            this help\n";

struct merge_options {
    const char *out;
    const char *history_out;
    bool allow_duplicates;
    bool help;
};

#define MO(field) offsetof(struct merge_options, field)
static const struct opt_spec merge_specs[] = {
    {"--help", "-h", OPT_FLAG, MO(help), 0, 0, NULL},
    {"--allow-duplicates", NULL, OPT_FLAG, MO(allow_duplicates), 0, 0, NULL},
    {"--output", "-o", OPT_VALUE, MO(out), 0, 0, opt_set_string},
    {"--history-out", NULL, OPT_VALUE, MO(history_out), 0, 0, opt_set_string},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef MO

/* One input report. */
struct input {
    const char *path;
    struct junit_report rep;
    int shard;         /* its K, from isotest.shard; 0 when it has none */
    const char *label; /* isotest.shard ("2/4"), or NULL */
    double wall_ms;
    size_t ncases;
};

/* One case: its result, the input it came from, what the result borrows. */
struct entry {
    struct test_result r;
    size_t src;
    char *id;
    char *file;
};

struct merge {
    struct merge_options o;
    const char **paths; /* the inputs, borrowed from argv */
    size_t npaths;
    struct input *in;
    struct entry *en;
    size_t n;
    struct test_result *results; /* en[i].r, in id order */
    double wall_ms;              /* the slowest shard's */
    struct junit_property *props;
    size_t nprops;
    char **texts; /* the props' names and values this file made */
    size_t ntexts;
};

/* ---- one case back into a result ------------------------------------- */

/*
 * The first line of system-out, as junit.c writes it, back into the
 * result; the rest is the case's own output.  Another tool's output is
 * kept whole.
 */
static void take_out(struct entry *en, const char *out)
{
    static const char pre[] = "[isotest] file=";
    const size_t pl = sizeof(pre) - 1;
    const char *nl = out ? strchr(out, '\n') : NULL;

    if (nl && !strncmp(out, pre, pl)) {
        const char *w = strstr(out + pl, " worker=");
        const char *s = w ? strstr(w, " start_ms=") : NULL;
        const char *b = s ? strstr(s, " sandbox=") : NULL;
        if (b && b < nl) {
            en->file = xstrndup(out + pl, (size_t)(w - out - pl));
            en->r.worker = (int)strtol(w + 8, NULL, 10);
            en->r.start_ms = strtod(s + 10, NULL);
            size_t blen = strcspn(b + 9, " \n");
            if (blen)
                en->r.sandbox = xstrndup(b + 9, blen);
            const char *a = strstr(b, " acquire_ms=");
            const char *rl = a ? strstr(a, " release_ms=") : NULL;
            if (rl && rl < nl) {
                en->r.acquire_ms = strtod(a + 12, NULL);
                en->r.release_ms = strtod(rl + 12, NULL);
            }
            out = nl + 1;
        }
    }
    if (out && *out) {
        en->r.out.data = xstrdup(out);
        en->r.out.len = strlen(out);
    }
}

static void take_outcome(struct test_result *r, const struct junit_case *c)
{
    static const enum outcome map[] = {
        [JUNIT_PASSED] = OUTCOME_PASSED,
        [JUNIT_FAILURE] = OUTCOME_FAILED,
        [JUNIT_ERROR] = OUTCOME_ERROR,
        [JUNIT_SKIPPED] = OUTCOME_SKIPPED,
    };
    const char *m = c->message;

    r->done = true;
    r->outcome = map[c->outcome];
    if (r->outcome == OUTCOME_ERROR && m && !strcmp(m, NOT_RUN)) {
        r->done = false;
        return;
    }
    if (r->outcome == OUTCOME_ERROR && m &&
        !strncmp(m, TIMED_OUT, strlen(TIMED_OUT)))
        r->outcome = OUTCOME_TIMEOUT;
    if (r->outcome != OUTCOME_PASSED) {
        r->message = m ? xstrdup(m) : NULL;
        r->detail = c->detail ? xstrdup(c->detail) : NULL;
    }
}

static void take_case(struct entry *en, const struct input *in,
                      const struct junit_case *c, size_t src)
{
    const char *suite = in->rep.suites[c->suite].name;
    const char *classname = c->classname ? c->classname : "";

    memset(en, 0, sizeof(*en));
    en->src = src;
    if (!suite || !*suite)
        suite = classname;
    en->id = junit_read_case_id(&in->rep, c);
    take_out(en, c->out);
    if (!en->file)
        en->file = xstrdup(c->file ? c->file : "");
    take_outcome(&en->r, c);
    if (c->err) {
        en->r.err.data = xstrdup(c->err);
        en->r.err.len = strlen(c->err);
    }
    en->r.suite = suite;
    en->r.classname = classname;
    en->r.name = c->name ? c->name : "";
    en->r.time_ms = c->time_ms;
    en->r.prev_ms = -1;
}

/* ---- reading the inputs ---------------------------------------------- */

static int load_input(struct input *in, const char *path, struct isotest_err *e)
{
    const char *v, *wall;
    struct shard sh;

    in->path = path;
    if (junit_read_load(&in->rep, path, e) < 0)
        return -1;
    in->ncases = in->rep.ncases;
    v = in->rep.nsuites ? junit_read_property(&in->rep, 0, "isotest.shard")
                        : NULL;
    if (v && strchr(v, '/') && shard_parse(v, &sh, e) == 0) {
        in->shard = sh.index;
        in->label = v;
    }
    isotest_err_release(e); /* a bad isotest.shard only loses the label */
    wall = in->rep.nsuites ? junit_read_property(&in->rep, 0, "isotest.wall_ms")
                           : NULL;
    if (in->rep.timed)
        in->wall_ms = in->rep.time_ms;
    else if (wall)
        in->wall_ms = strtod(wall, NULL);
    else
        for (size_t i = 0; i < in->rep.ncases; i++)
            in->wall_ms += in->rep.cases[i].time_ms;
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->id, y->id);

    if (c)
        return c;
    return x->src < y->src ? -1 : x->src > y->src;
}

/* Every input's cases, in id order (the order of an unsharded run). */
static int read_inputs(struct merge *m, struct isotest_err *e)
{
    size_t total = 0;

    m->in = xcalloc(m->npaths, sizeof(*m->in));
    for (size_t i = 0; i < m->npaths; i++) {
        if (load_input(&m->in[i], m->paths[i], e) < 0)
            return -1;
        total += m->in[i].ncases;
        if (m->in[i].wall_ms > m->wall_ms)
            m->wall_ms = m->in[i].wall_ms;
    }
    m->en = xcalloc(total ? total : 1, sizeof(*m->en));
    for (size_t i = 0; i < m->npaths; i++)
        for (size_t k = 0; k < m->in[i].rep.ncases; k++)
            take_case(&m->en[m->n++], &m->in[i], &m->in[i].rep.cases[k], i);
    qsort(m->en, m->n, sizeof(*m->en), cmp_entry);
    m->results = xcalloc(m->n ? m->n : 1, sizeof(*m->results));
    for (size_t i = 0; i < m->n; i++) {
        m->en[i].r.id = m->en[i].id;
        m->en[i].r.file = m->en[i].file;
        m->results[i] = m->en[i].r;
    }
    return 0;
}

/* Shards are disjoint: the same id from two inputs is not one run's. */
static int check_disjoint(const struct merge *m, struct isotest_err *e)
{
    for (size_t i = 1; i < m->n; i++) {
        const struct entry *a = &m->en[i - 1], *b = &m->en[i];
        if (strcmp(a->id, b->id) || a->src == b->src)
            continue;
        err_set(e,
                "case '%s' is in both '%s' and '%s': the shards of one run "
                "are disjoint",
                a->id, m->paths[a->src], m->paths[b->src]);
        return err_hint(e, "--allow-duplicates merges the reports anyway, "
                           "keeping every copy");
    }
    return 0;
}

/* ---- the merged run's facts ------------------------------------------ */

static const char *text(struct merge *m, char *s)
{
    m->texts = xrealloc(m->texts, (m->ntexts + 1) * sizeof(*m->texts));
    m->texts[m->ntexts++] = s;
    return s;
}

static void add_prop(struct merge *m, const char *name, const char *value)
{
    m->props = xrealloc(m->props, (m->nprops + 1) * sizeof(*m->props));
    m->props[m->nprops++] = (struct junit_property){name, value};
}

/* The first input with a case (an empty shard ran no server). */
static const struct junit_report *facts_of(const struct merge *m)
{
    for (size_t i = 0; i < m->npaths; i++)
        if (m->in[i].rep.ncases)
            return &m->in[i].rep;
    return NULL;
}

static const char *fact(const struct merge *m, const char *name)
{
    const struct junit_report *r = facts_of(m);
    const char *v = r ? junit_read_property(r, 0, name) : NULL;

    return v ? v : "";
}

/*
 * Each shard's wall time, case count and expected time (what --shard
 * predicted) as isotest.shard_K_*: K from its isotest.shard, else its
 * place on the command line (1-based); all by place when that would
 * name one shard twice.
 */
static void shard_props(struct merge *m)
{
    int *k = xcalloc(m->npaths, sizeof(*k));
    bool clash = false;

    for (size_t i = 0; i < m->npaths; i++)
        k[i] = m->in[i].shard ? m->in[i].shard : (int)i + 1;
    for (size_t i = 0; i < m->npaths; i++)
        for (size_t j = 0; j < i; j++)
            clash = clash || k[i] == k[j];
    for (size_t i = 0; i < m->npaths; i++) {
        if (clash)
            k[i] = (int)i + 1;
        const struct junit_report *r = &m->in[i].rep;
        const char *exp =
            r->nsuites ? junit_read_property(r, 0, "isotest.shard_expected_ms")
                       : NULL;
        add_prop(m, text(m, xasprintf("isotest.shard_%d_wall_ms", k[i])),
                 text(m, xasprintf("%.2f", m->in[i].wall_ms)));
        add_prop(m, text(m, xasprintf("isotest.shard_%d_cases", k[i])),
                 text(m, xasprintf("%zu", m->in[i].ncases)));
        if (exp)
            add_prop(m,
                     text(m, xasprintf("isotest.shard_%d_expected_ms", k[i])),
                     exp);
    }
    add_prop(m, "isotest.merged_reports", text(m, xasprintf("%zu", m->npaths)));
    add_prop(m, "isotest.merged_note",
             "wall_ms is the slowest shard's; sandbox figures read 0 here "
             "(a report keeps no per-case sandbox times): see the shard "
             "reports");
    free(k);
}

static void fill_info(const struct merge *m, struct run_info *info,
                      char ts[RUN_STAMP_TS], char host[RUN_STAMP_HOST])
{
    run_info_stamp(ts, host);
    *info = (struct run_info){
        .isotest_version = ISOTEST_VERSION,
        .isolation = fact(m, "isotest.isolation"),
        .jobs = (int)strtol(fact(m, "isotest.jobs"), NULL, 10),
        .server_version = fact(m, "isotest.server_version"),
        .template_hash = fact(m, "isotest.template_hash"),
        .template_name = fact(m, "isotest.template_name"),
        .template_reused = !strcmp(fact(m, "isotest.template_reused"), "true"),
        .wall_ms = m->wall_ms,
        .slower_ratio = RESULT_SLOWER_RATIO,
        .slower_min_ms = RESULT_SLOWER_MIN_MS,
        .timestamp = ts,
        .hostname = host,
        .report_path = m->o.out};
}

/* ---- the command ----------------------------------------------------- */

static int parse(int argc, char **argv, struct merge *m, struct isotest_err *e)
{
    if (options_scan(argc, argv, merge_specs, &m->o, false, &m->paths,
                     &m->npaths, e) < 0 ||
        m->o.help)
        return m->o.help ? 0 : -1;
    if (!m->o.out)
        return err_set(e, "merge needs -o OUT.xml: where to write the "
                          "merged report");
    if (!m->npaths)
        return err_set(e, "no report given: isotest merge -o OUT.xml "
                          "IN.xml...");
    return 0;
}

/* Write the report (and the history); before that, check both paths. */
static int write_outputs(struct merge *m, const struct run_info *info,
                         struct isotest_err *e)
{
    struct history prev;
    int rc;

    memset(&prev, 0, sizeof(prev));
    if (fs_check_writable(m->o.out, "report", e) < 0)
        return -1;
    /* An existing history file is read first: a foreign file stops us. */
    if (m->o.history_out && history_load(&prev, m->o.history_out, e) < 0)
        return -1;
    add_prop(m, "isotest.embedded_server", fact(m, "isotest.embedded_server"));
    shard_props(m);
    rc = junit_write(m->o.out, m->results, m->n, info, m->props, m->nprops, e);
    if (rc == 0 && m->o.history_out)
        rc = history_save(m->o.history_out, &prev, m->results, m->n, m->wall_ms,
                          e);
    history_release(&prev);
    return rc;
}

static void print_inputs(const struct merge *m)
{
    char buf[32];

    for (size_t i = 0; i < m->npaths; i++)
        printf("%s%s%s: %zu case%s, wall %s s\n", m->in[i].path,
               m->in[i].label ? ", shard " : "",
               m->in[i].label ? m->in[i].label : "", m->in[i].ncases,
               m->in[i].ncases == 1 ? "" : "s",
               stats_fmt_seconds(buf, m->in[i].wall_ms));
}

static void merge_release(struct merge *m)
{
    for (size_t i = 0; i < m->n; i++) {
        result_release(&m->en[i].r);
        free(m->en[i].id);
        free(m->en[i].file);
    }
    for (size_t i = 0; m->in && i < m->npaths; i++)
        junit_read_release(&m->in[i].rep);
    for (size_t i = 0; i < m->ntexts; i++)
        free(m->texts[i]);
    free(m->texts);
    free(m->props);
    free(m->results);
    free(m->en);
    free(m->in);
    free(m->paths);
}

int cmd_merge(int argc, char **argv)
{
    struct merge m;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct run_info info;
    char ts[RUN_STAMP_TS], host[RUN_STAMP_HOST];
    int code = 0;

    memset(&m, 0, sizeof(m));
    if (parse(argc, argv, &m, &e) < 0 || m.o.help) {
        if (m.o.help)
            fputs(usage, stdout);
        else
            cmd_print_error(NULL, &e);
        free(m.paths);
        return m.o.help ? 0 : EXIT_CANNOT;
    }
    if (read_inputs(&m, &e) < 0 ||
        (!m.o.allow_duplicates && check_disjoint(&m, &e) < 0)) {
        cmd_print_error(NULL, &e);
        merge_release(&m);
        return EXIT_CANNOT;
    }
    fill_info(&m, &info, ts, host);
    if (write_outputs(&m, &info, &e) < 0) {
        cmd_print_error(NULL, &e);
        merge_release(&m);
        return EXIT_CANNOT;
    }
    print_inputs(&m);
    struct console *con = console_new(stdout, false, m.n);
    console_summary(con, m.results, m.n, &info);
    console_free(con);
    for (size_t i = 0; i < m.n; i++)
        if (!m.results[i].done || outcome_is_failure(m.results[i].outcome))
            code = EXIT_FAILED;
    merge_release(&m);
    return code;
}
