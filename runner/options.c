/*
 * options.c: the option scanner, and the options of `isotest run`.
 */
#include "options.h"
#include "common/strbuf.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

const char options_run_usage[] =
    "usage: isotest run [options] PATH...\n"
    "\n"
    "Runs every test case under PATH (a suite folder or single files), each\n"
    "in its own sandbox, in parallel.\n"
    "\n"
    "  --db URL              server to use (libpq URL or key=value string);\n"
    "                        default: the PG* environment, else an embedded\n"
    "                        throwaway server\n"
    "  --migrations DIR      migrations applied to the template (default:\n"
    "                        PATH/migrations when it exists)\n"
    "  --isolation MODE      database (default), schema or none\n"
    "  -j, --jobs N          worker threads (default: online CPUs)\n"
    "  --pool N              database mode: clones kept ready by background\n"
    "                        threads (default: the job count; 0: none)\n"
    "  --clone-strategy S    database mode: FILE_COPY (default on 15+) or\n"
    "                        WAL_LOG, for CREATE DATABASE ... STRATEGY\n"
    "  --junit FILE          write a JUnit XML report\n"
    "  --tap FILE            write a TAP version 14 report; '-': to stdout\n"
    "                        (the console's own lines then go to stderr)\n"
    "  --html FILE           write a timeline of the run (one row per "
    "worker)\n"
    "  --timeout SECONDS     per case (default 300)\n"
    "  --extension NAME      create this extension in the template "
    "(repeatable)\n"
    "  --filter GLOB         run only cases whose id matches (repeatable)\n"
    "  --fail-fast           start no new case after the first failure\n"
    "  --retries N           run a failed case again, in a fresh sandbox,\n"
    "                        up to N times (default 0); one that then\n"
    "                        passes is reported as flaky\n"
    "  --fail-on-flaky       a case that passed only on a retry fails the "
    "run\n"
    "  --keep-failed         keep failed cases' sandboxes for debugging\n"
    "  --list CMD --each T   cases from a listing command: one id per line,\n"
    "                        each run as T with {} replaced by the id\n"
    "  --output-cap BYTES    captured stdout/stderr per case (default 1 MiB)\n"
    "  --always-psql         run every SQL case through psql (default: a\n"
    "                        plain SQL file without psql commands runs\n"
    "                        over isotest's own connection, like psql -f)\n"
    "  --history FILE        case durations of past runs (default:\n"
    "                        SUITE/.isotest-history); longest cases start\n"
    "                        first, and slower ones are reported\n"
    "  --no-history          neither read nor write it\n"
    "  --compare-with FILE   compare with this earlier JUnit report\n"
    "  --schema-from URL     build the template from that database's schema\n"
    "                        (pg_dump --schema-only), not from migrations\n"
    "  --exclude-schema S    leave schema S out of that dump (repeatable)\n"
    "  --no-cache            do not use or update the embedded server cache\n"
    "  --pgtap-functions[=RE]\n"
    "                        every function the migrations created whose\n"
    "                        name matches RE (default ^test) is a case of\n"
    "                        its own, run as pgTAP's runtests(schema,\n"
    "                        '^name$') runs it (startup, setup, teardown,\n"
    "                        shutdown functions included); id:\n"
    "                        SUITE/SCHEMA.FUNCTION\n"
    "  --pgtap-batch N       run up to N such functions in one sandbox,\n"
    "                        several in one statement as runtests() runs\n"
    "                        them, each rolled back (default 1: a sandbox\n"
    "                        each); much faster for tiny functions\n"
    "  --shard K/N           run part K of N disjoint parts (CI jobs), parts\n"
    "                        balanced by the history's durations (a case it\n"
    "                        does not know counts as the median of the\n"
    "                        known ones, 100 ms when none is); auto: from\n"
    "                        ISOTEST_SHARD_INDEX/_TOTAL (1-based), GitLab's\n"
    "                        CI_NODE_INDEX/_TOTAL or Buildkite's\n"
    "                        BUILDKITE_PARALLEL_JOB/_JOB_COUNT\n"
    "  -h, --help            this help\n";

static void push(const char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

int options_int(const char *opt, const char *s, long min, long max, long *out,
                struct isotest_err *e)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return err_set(e,
                       "invalid value '%s' for %s: expected a whole number "
                       "from %ld to %ld",
                       s, opt, min, max);
    *out = v;
    return 0;
}

int options_seconds(const char *opt, const char *s, double *out,
                    struct isotest_err *e)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v <= 0 || v > 86400 * 7)
        return err_set(e,
                       "invalid value '%s' for %s: expected seconds, more "
                       "than 0",
                       s, opt);
    *out = v;
    return 0;
}

/* options.h; "-jN" too for short options. */
int options_take(int argc, char **argv, int *i, const char *lng,
                 const char *shrt, const char **val, struct isotest_err *e)
{
    const char *a = argv[*i];
    size_t l = strlen(lng);

    if (!strncmp(a, lng, l) && a[l] == '=') {
        *val = a + l + 1;
        return 1;
    }
    if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
        if (*i + 1 >= argc)
            return err_set(e, "option '%s' needs a value", a);
        *val = argv[++*i];
        return 1;
    }
    if (shrt && !strncmp(a, shrt, strlen(shrt)) && a[strlen(shrt)]) {
        *val = a + strlen(shrt);
        return 1;
    }
    return 0;
}

int options_scan(int argc, char **argv, const struct opt_spec *specs, void *dst,
                 bool pass_unknown, const char ***rest, size_t *nrest,
                 struct isotest_err *e)
{
    bool only_rest = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const struct opt_spec *s;
        int r = 0;

        if (only_rest || a[0] != '-' || !strcmp(a, "-")) {
            push(rest, nrest, a);
            continue;
        }
        if (!strcmp(a, "--") && !pass_unknown) {
            only_rest = true;
            continue;
        }
        for (s = specs; s->lng && r == 0; s++) {
            if (s->kind == OPT_FLAG) {
                r = !strcmp(a, s->lng) || (s->shrt && !strcmp(a, s->shrt));
                if (r)
                    *(bool *)((char *)dst + s->off) = true;
            } else if (s->kind == OPT_OPTIONAL) {
                size_t l = strlen(s->lng);
                r = !strncmp(a, s->lng, l) && (!a[l] || a[l] == '=');
                if (r && s->set(s, a, a[l] ? a + l + 1 : NULL,
                                (char *)dst + s->off, dst, e) < 0)
                    return -1;
            } else {
                r = options_take(argc, argv, &i, s->lng, s->shrt, &v, e);
                if (r > 0 && s->set(s, a, v, (char *)dst + s->off, dst, e) < 0)
                    return -1;
            }
        }
        if (r < 0)
            return -1;
        if (r == 0 && !pass_unknown)
            return err_set(e, "unknown option '%s'", a);
        if (r == 0)
            push(rest, nrest, a);
    }
    return 0;
}

int opt_set_string(const struct opt_spec *s, const char *as, const char *v,
                   void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst, (void)e;
    *(const char **)field = v;
    return 0;
}

/* The spelling the user gave ("-j" or "--jobs") names the option. */
static const char *spelled(const struct opt_spec *s, const char *as)
{
    return s->shrt && !strncmp(as, s->shrt, strlen(s->shrt)) &&
                   strncmp(as, "--", 2)
               ? s->shrt
               : s->lng;
}

int opt_set_int(const struct opt_spec *s, const char *as, const char *v,
                void *field, void *dst, struct isotest_err *e)
{
    long n;

    (void)dst;
    if (options_int(spelled(s, as), v, s->min, s->max, &n, e) < 0)
        return -1;
    *(int *)field = (int)n;
    return 0;
}

/* The same into a size_t field (its min is at least 0). */
static int set_size(const struct opt_spec *s, const char *as, const char *v,
                    void *field, void *dst, struct isotest_err *e)
{
    int n;

    if (opt_set_int(s, as, v, &n, dst, e) < 0)
        return -1;
    *(size_t *)field = (size_t)n;
    return 0;
}

static int set_seconds(const struct opt_spec *s, const char *as, const char *v,
                       void *field, void *dst, struct isotest_err *e)
{
    (void)as, (void)dst;
    return options_seconds(s->lng, v, (double *)field, e);
}

int opt_set_isolation(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (isotest_isolation_parse(v, (enum isotest_isolation *)field) < 0)
        return err_set(e,
                       "invalid value '%s' for --isolation: expected "
                       "database, schema or none",
                       v);
    return 0;
}

int opt_set_strategy(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (strcmp(v, "FILE_COPY") && strcmp(v, "WAL_LOG"))
        return err_set(e,
                       "invalid value '%s' for --clone-strategy: "
                       "expected FILE_COPY or WAL_LOG",
                       v);
    *(const char **)field = v;
    return 0;
}

/* The list options of a run: the field is the array, counts beside it. */
static int push_to(const struct opt_spec *s, const char *v, void *dst)
{
    struct run_options *o = dst;
    const char ***arr = (const char ***)((char *)dst + s->off);
    size_t *n = arr == &o->extensions ? &o->nextensions
                : arr == &o->filters  ? &o->nfilters
                                      : &o->nexclude_schemas;

    push(arr, n, v);
    return 0;
}

static int set_extension(const struct opt_spec *s, const char *as,
                         const char *v, void *field, void *dst,
                         struct isotest_err *e)
{
    (void)as, (void)field;
    if (!*v || strlen(v) > 63)
        return err_set(e, "invalid value '%s' for --extension", v);
    return push_to(s, v, dst);
}

static int set_filter(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e)
{
    (void)as, (void)field, (void)e;
    return push_to(s, v, dst);
}

static int set_shard(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    return shard_parse(v, (struct shard *)field, e);
}

/* --pgtap-functions[=PATTERN]: a POSIX regular expression, as pgTAP's. */
static int set_pgtap_functions(const struct opt_spec *s, const char *as,
                               const char *v, void *field, void *dst,
                               struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (v && !*v)
        return err_set(e, "invalid value '' for --pgtap-functions: expected "
                          "a regular expression for the test functions' "
                          "names (default ^test)");
    *(const char **)field = v ? v : "^test";
    return 0;
}

#define RUN(field) offsetof(struct run_options, field)
static const struct opt_spec run_specs[] = {
    {"--help", "-h", OPT_FLAG, RUN(help), 0, 0, NULL},
    {"--keep-failed", NULL, OPT_FLAG, RUN(keep_failed), 0, 0, NULL},
    {"--fail-fast", NULL, OPT_FLAG, RUN(fail_fast), 0, 0, NULL},
    {"--fail-on-flaky", NULL, OPT_FLAG, RUN(fail_on_flaky), 0, 0, NULL},
    {"--retries", NULL, OPT_VALUE, RUN(retries), 0, 100, opt_set_int},
    {"--tap", NULL, OPT_VALUE, RUN(tap), 0, 0, opt_set_string},
    {"--no-history", NULL, OPT_FLAG, RUN(no_history), 0, 0, NULL},
    {"--always-psql", NULL, OPT_FLAG, RUN(always_psql), 0, 0, NULL},
    {"--no-cache", NULL, OPT_FLAG, RUN(no_cache), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, RUN(db), 0, 0, opt_set_string},
    {"--migrations", NULL, OPT_VALUE, RUN(migrations), 0, 0, opt_set_string},
    {"--isolation", NULL, OPT_VALUE, RUN(mode), 0, 0, opt_set_isolation},
    {"--jobs", "-j", OPT_VALUE, RUN(jobs), 1, 1024, opt_set_int},
    {"--junit", NULL, OPT_VALUE, RUN(junit), 0, 0, opt_set_string},
    {"--html", NULL, OPT_VALUE, RUN(html), 0, 0, opt_set_string},
    {"--timeout", NULL, OPT_VALUE, RUN(timeout_s), 0, 0, set_seconds},
    {"--extension", NULL, OPT_VALUE, RUN(extensions), 0, 0, set_extension},
    {"--filter", NULL, OPT_VALUE, RUN(filters), 0, 0, set_filter},
    {"--list", NULL, OPT_VALUE, RUN(list_cmd), 0, 0, opt_set_string},
    {"--each", NULL, OPT_VALUE, RUN(each_cmd), 0, 0, opt_set_string},
    {"--output-cap", NULL, OPT_VALUE, RUN(output_cap), 1024, 1L << 30,
     set_size},
    {"--pool", NULL, OPT_VALUE, RUN(pool), 0, 256, opt_set_int},
    {"--history", NULL, OPT_VALUE, RUN(history), 0, 0, opt_set_string},
    {"--compare-with", NULL, OPT_VALUE, RUN(compare_with), 0, 0,
     opt_set_string},
    {"--clone-strategy", NULL, OPT_VALUE, RUN(clone_strategy), 0, 0,
     opt_set_strategy},
    {"--schema-from", NULL, OPT_VALUE, RUN(schema_from), 0, 0, opt_set_string},
    {"--exclude-schema", NULL, OPT_VALUE, RUN(exclude_schemas), 0, 0,
     set_filter},
    {"--shard", NULL, OPT_VALUE, RUN(shard), 0, 0, set_shard},
    {"--pgtap-functions", NULL, OPT_OPTIONAL, RUN(pgtap_functions), 0, 0,
     set_pgtap_functions},
    {"--pgtap-batch", NULL, OPT_VALUE, RUN(pgtap_batch), 1, 1000000,
     opt_set_int},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef RUN

/* What no single option can say: the combinations. */
static int check_run(const struct run_options *o, struct isotest_err *e)
{
    if (!!o->list_cmd != !!o->each_cmd)
        return err_set(e, o->list_cmd ? "--list needs --each (the command "
                                        "to run for each listed id)"
                                      : "--each needs --list (the command "
                                        "that lists the test ids)");
    if (o->each_cmd && !strstr(o->each_cmd, "{}"))
        return err_set(e, "--each template '%s' has no '{}' for the test id",
                       o->each_cmd);
    if (o->schema_from && o->migrations)
        return err_set(e, "--schema-from and --migrations exclude each other");
    if (o->schema_from && o->mode == ISOTEST_SCHEMA)
        return err_set(e, "--schema-from needs --isolation database or none "
                          "(a schema dump names its schemas)");
    if (o->nexclude_schemas && !o->schema_from)
        return err_set(e, "--exclude-schema needs --schema-from");
    if (!o->npaths && !o->list_cmd)
        return err_set(e, "no PATH given: name a suite folder or test files");
    if (o->pgtap_batch && !o->pgtap_functions)
        return err_set(e, "--pgtap-batch needs --pgtap-functions");
    if (o->pgtap_functions && !o->npaths)
        return err_set(e, "--pgtap-functions needs a suite PATH (its "
                          "migrations create the test functions)");
    return 0;
}

int options_parse(int argc, char **argv, struct run_options *o,
                  struct isotest_err *e)
{
    memset(o, 0, sizeof(*o));
    o->mode = ISOTEST_DATABASE;
    o->timeout_s = 300;
    o->output_cap = 1 << 20;
    o->pool = -1;
    if (options_scan(argc, argv, run_specs, o, false, &o->paths, &o->npaths,
                     e) < 0 ||
        (!o->help && check_run(o, e) < 0)) {
        options_release(o);
        return -1;
    }
    return 0;
}

void options_release(struct run_options *o)
{
    free(o->paths);
    free(o->extensions);
    free(o->filters);
    free(o->exclude_schemas);
    o->paths = o->extensions = o->filters = o->exclude_schemas = NULL;
    o->npaths = o->nextensions = o->nfilters = o->nexclude_schemas = 0;
}
