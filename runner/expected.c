/*
 * expected.c: expected-output cases (expected.h).  First the comparison,
 * then where results files go and how paths are shown, then writing a
 * results file, and last the judgement that uses them all.
 */
#include "expected.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What `diff -b` takes for white space inside a line. */
static bool is_blank(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* One line each, without its '\n', compared as `diff -b` does. */
static bool line_equal_b(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;

    while (an && is_blank(a[an - 1]))
        an--;
    while (bn && is_blank(b[bn - 1]))
        bn--;
    while (i < an && j < bn) {
        bool ba = is_blank(a[i]), bb = is_blank(b[j]);
        if (ba != bb)
            return false;
        if (ba) {
            while (i < an && is_blank(a[i]))
                i++;
            while (j < bn && is_blank(b[j]))
                j++;
        } else if (a[i++] != b[j++]) {
            return false;
        }
    }
    return i == an && j == bn;
}

/* The end of the line at p (its '\n', or end). */
static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));

    return nl ? nl : end;
}

bool expected_equal(const char *a, size_t alen, const char *b, size_t blen,
                    bool ignore_space)
{
    const char *ae = a + alen, *be = b + blen;

    if (!ignore_space)
        return alen == blen && !memcmp(a, b, alen);
    /* Line by line; a text's last line may lack its '\n'. */
    while (a < ae && b < be) {
        const char *al = line_end(a, ae), *bl = line_end(b, be);
        if (!line_equal_b(a, (size_t)(al - a), b, (size_t)(bl - b)))
            return false;
        a = al < ae ? al + 1 : ae;
        b = bl < be ? bl + 1 : be;
    }
    return a == ae && b == be;
}

/* Is path p inside folder dir (or dir itself)?  The length of dir, or 0. */
static size_t under(const char *p, const char *dir)
{
    size_t n = strlen(dir);

    return n && !strncmp(p, dir, n) && (p[n] == '/' || !p[n]) ? n : 0;
}

/* The folder above a displayed folder d ("a/b": "a"; "sql": "."). */
static char *parent_disp(const char *d)
{
    const char *base = strrchr(d, '/');

    base = base ? base + 1 : d;
    if (!strcmp(base, ".") || !strcmp(base, ".."))
        return xasprintf("%s/..", d);
    if (base == d)
        return xstrdup(".");
    if (base == d + 1)
        return xstrdup("/");
    return xstrndup(d, (size_t)(base - d - 1));
}

char *expected_display(const struct test_case *c, const char *abs)
{
    size_t n = under(abs, c->root);

    if (n)
        return xasprintf("%s%s", c->root_disp, abs + n);
    /* A single sql/NAME.sql named on its own: its suite folder is sql/. */
    char *parent = xstrndup(c->root, (size_t)(strrchr(c->root, '/') - c->root));
    char *shown = NULL;
    if ((n = under(abs, parent))) {
        char *pd = parent_disp(c->root_disp);
        shown = xasprintf("%s%s", pd, abs + n);
        free(pd);
    }
    free(parent);
    return shown ? shown : xstrdup(abs);
}

char *expected_results_path(const struct test_case *c, const char *results_dir)
{
    /* The folder that holds expected/ holds results/. */
    char *base =
        xstrndup(c->expected_dir,
                 (size_t)(strrchr(c->expected_dir, '/') - c->expected_dir));
    char *path;

    if (results_dir) {
        size_t dl = strlen(results_dir), n = under(base, c->root);
        while (dl > 1 && results_dir[dl - 1] == '/')
            dl--;
        path = xasprintf("%.*s/%s%s/results/%s.out", (int)dl, results_dir,
                         c->suite, n ? base + n : "", c->expected_stem);
    } else {
        char *shown = expected_display(c, base);
        path = xasprintf("%s/results/%s.out", shown, c->expected_stem);
        free(shown);
    }
    free(base);
    return path;
}

char *expected_main_file(const struct test_case *c)
{
    return xasprintf("%s/%s.out", c->expected_dir, c->expected_stem);
}

/*
 * A results file, whole or not at all: written under a unique name beside
 * it, then renamed over it, so that cases or runs writing the same file at
 * once never mix their bytes (the last rename wins).  Not synced to disk:
 * it is the output of a run, made again by the next one.
 */
static int write_results(const char *path, const char *data, size_t len,
                         struct isotest_err *e)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup(".");
    /* One access() per case once the folder is there. */
    int r = access(dir, F_OK) == 0 || fs_mkdirs(dir, 0755, e) == 0
                ? fs_replace_file(path, data, len, false, e)
                : -1;

    free(dir);
    return r;
}

/*
 * `diff -U3` of one expected file (or /dev/null for a missing one) with
 * the results file, headed by the paths a user can open (the results
 * file's is one already); NULL when diff could not run.
 */
static char *run_diff(bool ignore_space, const char *exp, const char *exp_label,
                      const char *results)
{
    const char *argv[10];
    struct strbuf d = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    int a = 0;

    argv[a++] = "diff";
    if (ignore_space)
        argv[a++] = "-b";
    argv[a++] = "-U3";
    argv[a++] = "--label";
    argv[a++] = exp_label;
    argv[a++] = "--label";
    argv[a++] = results;
    argv[a++] = exp;
    argv[a++] = results;
    argv[a] = NULL;
    d.max = 256 * 1024;
    if (proc_run(argv, &d, &st, &e) < 0) {
        isotest_err_release(&e);
        strbuf_release(&d);
        return NULL;
    }
    return strbuf_detach(&d, NULL);
}

/* Does the output match one of c's expected files? */
static bool matches_one(const struct expected_opts *o,
                        const struct test_case *c, const struct captured *out)
{
    for (size_t i = 0; i < c->nexpected; i++) {
        char *text = NULL;
        size_t len = 0;
        struct isotest_err e = ISOTEST_ERR_INIT;
        if (fs_read_file(c->expected[i], &text, &len, &e) < 0) {
            isotest_err_release(&e);
            continue;
        }
        bool same =
            expected_equal(text, len, out->data, out->len, o->ignore_space);
        free(text);
        if (same)
            return true;
    }
    return false;
}

/*
 * A failure: the diff with the closest expected file (the shortest diff),
 * against /dev/null when there is none yet; `results` holds the output.
 */
static void judge_mismatch(const struct expected_opts *o,
                           const struct test_case *c, const char *results,
                           struct test_result *r)
{
    char *best = NULL, *best_file = NULL;

    for (size_t i = 0; i < c->nexpected; i++) {
        char *label = expected_display(c, c->expected[i]);
        char *d = run_diff(o->ignore_space, c->expected[i], label, results);
        if (d && (!best || strlen(d) < strlen(best))) {
            free(best);
            free(best_file);
            best = d;
            best_file = label;
        } else {
            free(d);
            free(label);
        }
    }
    r->outcome = OUTCOME_FAILED;
    if (c->nexpected) {
        /* best_file is NULL only when diff could not run at all. */
        char *shown = best_file ? NULL : expected_display(c, c->expected[0]);
        r->message = xasprintf("output differs from %s (actual output: %s)",
                               best_file ? best_file : shown, results);
        free(shown);
    } else {
        char *main_file = expected_main_file(c);
        char *label = expected_display(c, main_file);
        best = run_diff(false, "/dev/null", label, results);
        r->message = xasprintf("expected file %s is missing; `isotest "
                               "accept` creates it from %s",
                               label, results);
        free(label);
        free(main_file);
    }
    r->detail = best;
    free(best_file);
}

void expected_judge(const struct expected_opts *o, const struct test_case *c,
                    struct test_result *r)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (r->out.dropped) {
        r->outcome = OUTCOME_ERROR;
        r->message = xasprintf("the output is larger than --output-cap "
                               "(%zu bytes kept, %zu cut): not compared, no "
                               "results file written",
                               r->out.len, r->out.dropped);
        return;
    }
    char *results = expected_results_path(c, o->results_dir);
    if (write_results(results, r->out.data, r->out.len, &e) < 0) {
        r->outcome = OUTCOME_ERROR;
        r->message = xasprintf("cannot keep the results file: %s "
                               "(--results-dir DIR puts them elsewhere)",
                               e.msg);
        isotest_err_release(&e);
        free(results);
        return;
    }
    if (matches_one(o, c, &r->out))
        r->outcome = OUTCOME_PASSED;
    else
        judge_mismatch(o, c, results, r);
    free(results);
}
