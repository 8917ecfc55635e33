/*
 * options.c: parsing `isotest run` options.
 */
#include "options.h"
#include "common/strbuf.h"

#include <errno.h>
#include <math.h>
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
    "  --html FILE           write a timeline of the run (one row per "
    "worker)\n"
    "  --timeout SECONDS     per case (default 300)\n"
    "  --extension NAME      create this extension in the template "
    "(repeatable)\n"
    "  --filter GLOB         run only cases whose id matches (repeatable)\n"
    "  --fail-fast           start no new case after the first failure\n"
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
    "  --no-cache            do not use or update the embedded server cache\n"
    "  -h, --help            this help\n";

static void push(const char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

int options_int(const char *opt, const char *s, long min, long max,
                long *out, struct isotest_err *e)
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

int options_parse(int argc, char **argv, struct run_options *o,
                  struct isotest_err *e)
{
    bool only_paths = false;

    memset(o, 0, sizeof(*o));
    o->mode = ISOTEST_DATABASE;
    o->timeout_s = 300;
    o->output_cap = 1 << 20;
    o->pool = -1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        int r;
        long n;

        if (only_paths || a[0] != '-' || !strcmp(a, "-")) {
            push(&o->paths, &o->npaths, a);
            continue;
        }
        if (!strcmp(a, "--")) {
            only_paths = true;
            continue;
        }
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            o->help = true;
            continue;
        }
        if (!strcmp(a, "--keep-failed")) {
            o->keep_failed = true;
            continue;
        }
        if (!strcmp(a, "--fail-fast")) {
            o->fail_fast = true;
            continue;
        }
        if (!strcmp(a, "--no-history")) {
            o->no_history = true;
            continue;
        }
        if (!strcmp(a, "--always-psql")) {
            o->always_psql = true;
            continue;
        }
        if (!strcmp(a, "--no-cache")) {
            o->no_cache = true;
            continue;
        }
#define OPT(lng, shrt)                                                         \
    if ((r = options_take(argc, argv, &i, lng, shrt, &v, e)) < 0)                      \
        goto fail;                                                             \
    if (r)
        OPT("--db", NULL)
        {
            o->db = v;
            continue;
        }
        OPT("--migrations", NULL)
        {
            o->migrations = v;
            continue;
        }
        OPT("--isolation", NULL)
        {
            if (isotest_isolation_parse(v, &o->mode) < 0) {
                err_set(e,
                        "invalid value '%s' for --isolation: expected "
                        "database, schema or none",
                        v);
                goto fail;
            }
            continue;
        }
        OPT("--jobs", "-j")
        {
            if (options_int(a[1] == 'j' ? "-j" : "--jobs", v, 1, 1024, &n,
                            e) < 0)
                goto fail;
            o->jobs = (int)n;
            continue;
        }
        OPT("--junit", NULL)
        {
            o->junit = v;
            continue;
        }
        OPT("--html", NULL)
        {
            o->html = v;
            continue;
        }
        OPT("--timeout", NULL)
        {
            if (options_seconds("--timeout", v, &o->timeout_s, e) < 0)
                goto fail;
            continue;
        }
        OPT("--extension", NULL)
        {
            if (!*v || strlen(v) > 63) {
                err_set(e, "invalid value '%s' for --extension", v);
                goto fail;
            }
            push(&o->extensions, &o->nextensions, v);
            continue;
        }
        OPT("--filter", NULL)
        {
            push(&o->filters, &o->nfilters, v);
            continue;
        }
        OPT("--list", NULL)
        {
            o->list_cmd = v;
            continue;
        }
        OPT("--each", NULL)
        {
            o->each_cmd = v;
            continue;
        }
        OPT("--output-cap", NULL)
        {
            if (options_int("--output-cap", v, 1024, 1L << 30, &n, e) < 0)
                goto fail;
            o->output_cap = (size_t)n;
            continue;
        }
        OPT("--pool", NULL)
        {
            if (options_int("--pool", v, 0, 256, &n, e) < 0)
                goto fail;
            o->pool = (int)n;
            continue;
        }
        OPT("--history", NULL)
        {
            o->history = v;
            continue;
        }
        OPT("--compare-with", NULL)
        {
            o->compare_with = v;
            continue;
        }
        OPT("--clone-strategy", NULL)
        {
            if (strcmp(v, "FILE_COPY") && strcmp(v, "WAL_LOG")) {
                err_set(e,
                        "invalid value '%s' for --clone-strategy: expected "
                        "FILE_COPY or WAL_LOG",
                        v);
                goto fail;
            }
            o->clone_strategy = v;
            continue;
        }
#undef OPT
        err_set(e, "unknown option '%s'", a);
        goto fail;
    }
    if (o->help)
        return 0;
    if (!!o->list_cmd != !!o->each_cmd) {
        err_set(e, o->list_cmd ? "--list needs --each (the command to run "
                                 "for each listed id)"
                               : "--each needs --list (the command that "
                                 "lists the test ids)");
        goto fail;
    }
    if (o->each_cmd && !strstr(o->each_cmd, "{}")) {
        err_set(e, "--each template '%s' has no '{}' for the test id",
                o->each_cmd);
        goto fail;
    }
    if (!o->npaths && !o->list_cmd) {
        err_set(e, "no PATH given: name a suite folder or test files");
        goto fail;
    }
    return 0;
fail:
    options_release(o);
    return -1;
}

void options_release(struct run_options *o)
{
    free(o->paths);
    free(o->extensions);
    free(o->filters);
    o->paths = o->extensions = o->filters = NULL;
    o->npaths = o->nextensions = o->nfilters = 0;
}
