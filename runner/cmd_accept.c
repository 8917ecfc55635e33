/*
 * cmd_accept.c: `isotest accept`, the results files of the last run made
 * the expected files (the pg_regress workflow: write sql/x.sql, run, look
 * at results/x.out, accept).
 *
 * Every PATH is discovered first, and must hold expected-output cases;
 * only then is anything written, so a bad PATH changes nothing.  A case
 * is accepted when its results file exists and matches none of its
 * expected files byte for byte: the results go to STEM.out (created when
 * missing; an alternative STEM_N.out is never written).  Main thread only.
 */
#include "commands.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "expected.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: isotest accept [--filter GLOB] [--results-dir DIR] PATH...\n"
    "\n"
    "Makes the output of the last run the expected output: copies each\n"
    "expected-output case's results file (results/NAME.out, written by\n"
    "`isotest run`) over its expected file expected/NAME.out, creating it\n"
    "when missing, when the two differ (byte for byte; a results file that\n"
    "matches an alternative NAME_N.out is left alone).  Prints each file it\n"
    "wrote and a count; exit 0, also when there is nothing to accept, and\n"
    "2 when a PATH is missing or holds no expected-output case.\n"
    "\n"
    "  --filter GLOB       only cases whose id matches (repeatable; the ids\n"
    "                      of `isotest list`, as for run --filter)\n"
    "  --results-dir DIR   where the run kept the results files (the same\n"
    "                      value as run --results-dir)\n"
    "  -h, --help          this help\n"
    "\n"
    "accept reads a run's options, so a run's command line works as is, and\n"
    "the suite's isotest.conf is read as run reads it; options other than\n"
    "--filter and --results-dir change nothing here.\n";

/* What accept reads of a run's options (options_parse). */
struct accept_options {
    const char *const *filters;
    size_t nfilters;
    const char *results_dir;
};

/* What one case's results file asks for (UNREADABLE: e says why). */
enum verdict { UNREADABLE, NO_RESULTS, SAME, CREATE, UPDATE };

struct tally {
    size_t matched; /* cases --filter let through */
    size_t created, updated, same, no_results;
};

/*
 * The cases of one PATH; -1 with e naming it when it holds none with
 * expected output (nothing to accept there, ever: a typo, or not a suite).
 */
static int discover_suite(const char *path, struct case_list *cl,
                          struct isotest_err *e)
{
    const char *paths[] = {path};
    struct discover_opts d = {.paths = paths, .npaths = 1};

    if (discover(&d, cl, e) < 0)
        return -1;
    for (size_t i = 0; i < cl->n; i++)
        if (cl->v[i].expected_dir)
            return 0;
    case_list_release(cl);
    return err_set(e,
                   "'%s' is not a suite with expected output: no "
                   "sql/NAME.sql beside an expected/ folder, and no "
                   "expected/NAME.out beside a NAME.sql",
                   path);
}

/* Compare c's results file (read into *data) with its expected files. */
static enum verdict judge(const struct test_case *c, const char *results,
                          char **data, size_t *len, struct isotest_err *e)
{
    if (access(results, F_OK) < 0 && errno == ENOENT)
        return NO_RESULTS;
    if (fs_read_file(results, data, len, e) < 0)
        return UNREADABLE;
    for (size_t i = 0; i < c->nexpected; i++) {
        char *text = NULL;
        size_t n = 0;
        if (fs_read_file(c->expected[i], &text, &n, e) < 0)
            return UNREADABLE;
        bool same = expected_equal(text, n, *data, *len, false);
        free(text);
        if (same)
            return SAME;
    }
    char *main_file = expected_main_file(c);
    bool exists = access(main_file, F_OK) == 0;
    free(main_file);
    return exists ? UPDATE : CREATE;
}

/* Write the results over c's STEM.out, and say so. */
static int accept_case(const struct test_case *c, const char *results,
                       const char *data, size_t len, enum verdict v,
                       struct isotest_err *e)
{
    char *main_file = expected_main_file(c);
    char *dir =
        xstrndup(main_file, (size_t)(strrchr(main_file, '/') - main_file));
    int r = fs_mkdirs(dir, 0755, e);

    if (r == 0)
        r = fs_write_atomic(main_file, data, len, e);
    if (r == 0) {
        char *shown = expected_display(c, main_file);
        printf("accepted %s -> %s%s\n", results, shown,
               v == CREATE ? " (new)" : "");
        free(shown);
    }
    free(dir);
    free(main_file);
    return r;
}

static int accept_suite(const struct accept_options *o,
                        const struct case_list *cl, struct tally *t,
                        struct isotest_err *e)
{
    for (size_t i = 0; i < cl->n; i++) {
        const struct test_case *c = &cl->v[i];
        if (!c->expected_dir ||
            !discover_filter_match(c->id, o->filters, o->nfilters))
            continue;
        char *results = expected_results_path(c, o->results_dir);
        char *data = NULL;
        size_t len = 0;
        enum verdict v = judge(c, results, &data, &len, e);
        int r = v == UNREADABLE ? -1 : 0;
        if (v == CREATE || v == UPDATE)
            r = accept_case(c, results, data, len, v, e);
        free(data);
        free(results);
        if (r < 0)
            return -1;
        t->matched++;
        t->created += v == CREATE;
        t->updated += v == UPDATE;
        t->same += v == SAME;
        t->no_results += v == NO_RESULTS;
    }
    return 0;
}

static void print_tally(const struct tally *t)
{
    size_t n = t->created + t->updated;

    if (n)
        printf("%zu expected file%s written (%zu new, %zu updated)\n", n,
               n == 1 ? "" : "s", t->created, t->updated);
    else if (!t->matched)
        printf("nothing to accept: no expected-output case matches the "
               "--filter given\n");
    else if (t->no_results && !t->same)
        printf("nothing to accept: no results file yet for the %zu case%s "
               "(run the suite first)\n",
               t->no_results, t->no_results == 1 ? "" : "s");
    else if (t->no_results)
        printf("nothing to accept: %zu results file%s match%s the expected "
               "output, %zu case%s no results file (run the suite first)\n",
               t->same, t->same == 1 ? "" : "s", t->same == 1 ? "es" : "",
               t->no_results, t->no_results == 1 ? " has" : "s have");
    else
        printf("nothing to accept: %s %zu results file%s match%s the "
               "expected output\n",
               t->same == 1 ? "the" : "all", t->same, t->same == 1 ? "" : "s",
               t->same == 1 ? "es" : "");
}

int cmd_accept(int argc, char **argv)
{
    struct run_options ro;
    struct isotest_err e = ISOTEST_ERR_INIT;
    size_t nsuites = 0;
    struct case_list *suites = NULL;
    struct tally t = {0};
    int code = EXIT_CANNOT;

    /* A run's command line works as is, isotest.conf included. */
    if (options_parse(argc, argv, &ro, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    struct accept_options o = {ro.filters, ro.nfilters, ro.results_dir};
    if (ro.help) {
        fputs(usage, stdout);
        code = 0;
        goto out;
    }
    if (!ro.npaths) {
        err_set(&e, "no PATH given: name the suite folders whose results "
                    "to accept");
        goto out;
    }
    suites = xcalloc(ro.npaths, sizeof(*suites));
    for (; nsuites < ro.npaths; nsuites++)
        if (discover_suite(ro.paths[nsuites], &suites[nsuites], &e) < 0)
            goto out;
    for (size_t i = 0; i < nsuites; i++)
        if (accept_suite(&o, &suites[i], &t, &e) < 0)
            goto out;
    print_tally(&t);
    code = 0;
out:
    if (e.msg)
        cmd_print_error(NULL, &e);
    for (size_t i = 0; i < nsuites; i++)
        case_list_release(&suites[i]);
    free(suites);
    options_release(&ro);
    return code;
}
