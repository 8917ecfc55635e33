/*
 * discover.c: walking suite folders, pairing SQL cases with expected
 * output, and reading a listing command's ids.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include "discover.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "fileset.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct walk {
    struct case_list *cl;
    const struct discover_opts *o;
    const char *suite;
    const char *root; /* the suite folder, absolute */
    const char *root_disp;
    struct fileset *seen; /* folders and case files found so far */
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');

    return s ? s + 1 : p;
}

/*
 * People think in the suite's folders ("tap/x") as often as in whole ids
 * ("shop/tap/x"): a glob may match either.  A suite's name never holds a
 * '/', so the id without it starts after the first one.
 */
bool discover_filter_match(const char *id, const char *const *globs, size_t n)
{
    const char *slash = strchr(id, '/');
    const char *rel = slash ? slash + 1 : NULL;

    if (!n)
        return true;
    for (size_t i = 0; i < n; i++)
        if (fnmatch(globs[i], id, 0) == 0 ||
            (rel && fnmatch(globs[i], rel, 0) == 0))
            return true;
    return false;
}

static void case_free(struct test_case *c)
{
    for (size_t k = 0; k < c->nexpected; k++)
        free(c->expected[k]);
    free(c->expected);
    free(c->expected_dir);
    free(c->expected_stem);
    free(c->root);
    free(c->root_disp);
    free(c->id);
    free(c->suite);
    free(c->classname);
    free(c->name);
    free(c->path);
    free(c->abspath);
    free(c->dir);
    free(c->shell);
    free(c->func_schema);
    free(c->func);
}

void case_list_drop_last(struct case_list *cl)
{
    case_free(&cl->v[--cl->n]);
}

struct test_case *case_list_add(struct case_list *cl)
{
    if (cl->n == cl->cap) {
        cl->cap = cl->cap ? 2 * cl->cap : 32;
        cl->v = xrealloc(cl->v, cl->cap * sizeof(*cl->v));
    }
    struct test_case *c = &cl->v[cl->n++];
    memset(c, 0, sizeof(*c));
    return c;
}

static bool word_is(const char *w, size_t n, const char *kw)
{
    return strlen(kw) == n && !strncasecmp(w, kw, n);
}

/*
 * Does the text call pgTAP: plan(, no_plan(, finish( or runtests( right
 * after SELECT, FROM or PERFORM?  Comments and quoted text are skipped,
 * and a table named "plan" (CREATE TABLE plan (...)) is not a call.
 */
static bool calls_pgtap(const char *t)
{
    static const char *const calls[] = {"plan", "no_plan", "finish",
                                        "runtests"};
    const char *prev = NULL;
    size_t prev_len = 0;

    for (const char *p = t; *p;) {
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else if (*p == '\'' || *p == '"') {
            char q = *p++;
            while (*p && *p != q)
                p++;
            if (*p)
                p++;
        } else if (isalpha((unsigned char)*p) || *p == '_') {
            const char *w = p;
            while (isalnum((unsigned char)*p) || *p == '_')
                p++;
            size_t n = (size_t)(p - w);
            const char *q = p;
            while (*q == ' ' || *q == '\t' || *q == '\n')
                q++;
            bool after_call_word = prev && (word_is(prev, prev_len, "select") ||
                                            word_is(prev, prev_len, "from") ||
                                            word_is(prev, prev_len, "perform"));
            for (size_t k = 0; k < sizeof(calls) / sizeof(*calls); k++)
                if (*q == '(' && after_call_word && word_is(w, n, calls[k]))
                    return true;
            prev = w;
            prev_len = n;
        } else {
            if (!isspace((unsigned char)*p) && *p != '*')
                prev = NULL; /* "SELECT x, plan(" is not our pattern */
            p++;
        }
    }
    return false;
}

/*
 * STEM.out and STEM_1.out .. STEM_9.out in folder dir.  Without the
 * folder, one look instead of ten (a suite of 10,000 cases pays it for
 * every case).
 */
static void find_expected(struct test_case *c, const char *dir,
                          const char *stem)
{
    if (access(dir, X_OK) != 0)
        return;
    for (int k = 0; k <= 9; k++) {
        char *p = k ? xasprintf("%s/%s_%d.out", dir, stem, k)
                    : xasprintf("%s/%s.out", dir, stem);
        if (access(p, R_OK) == 0) {
            c->expected =
                xrealloc(c->expected, (c->nexpected + 1) * sizeof(char *));
            c->expected[c->nexpected++] = p;
        } else {
            free(p);
        }
    }
}

static bool is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * Is c an expected-output case (discover.h)?  expected/NAME.out beside the
 * case comes first (the flat layout needs the file); then the nearest sql/
 * folder from the case's own up to the suite folder, whose expected/
 * sibling makes it one even before NAME.out exists, so that a new test's
 * output can be accepted (`isotest accept`).
 */
static void find_regress(struct walk *w, struct test_case *c)
{
    char *beside = xasprintf("%s/expected", c->dir);

    find_expected(c, beside, c->name);
    if (c->nexpected) {
        c->expected_dir = beside;
        c->expected_stem = xstrdup(c->name);
        return;
    }
    free(beside);
    /* Each folder from the case's own up to the suite folder. */
    size_t root_len = strlen(w->root), end = strlen(c->dir);
    while (end >= root_len) {
        size_t start = end;
        while (start > 0 && c->dir[start - 1] != '/')
            start--;
        if (end - start == 3 && !strncmp(c->dir + start, "sql", 3)) {
            char *exp = xasprintf("%.*s/expected", (int)(start ? start - 1 : 0),
                                  c->dir);
            if (is_dir(exp)) {
                const char *sub = c->dir + end; /* "" or "/a/b" */
                c->expected_dir = exp;
                c->expected_stem = xasprintf("%s%s%s", *sub ? sub + 1 : "",
                                             *sub ? "/" : "", c->name);
                find_expected(c, exp, c->expected_stem);
                return;
            }
            free(exp);
        }
        if (!start)
            break;
        end = start - 1;
    }
}

/* rel: path inside the suite, e.g. "tap/orders.sql". */
static int add_file(struct walk *w, const char *abs, const char *rel,
                    enum case_kind kind, struct isotest_err *e)
{
    struct test_case *c = case_list_add(w->cl);
    const char *slash = strrchr(rel, '/');
    size_t stem_len = strlen(base_name(rel));

    if (kind == CASE_SQL)
        stem_len -= 4;
    c->kind = kind;
    c->suite = xstrdup(w->suite);
    c->name = xstrndup(base_name(rel), stem_len);
    c->abspath = xstrdup(abs);
    c->path = xasprintf("%s/%s", w->root_disp, rel);
    c->dir = xstrndup(abs, (size_t)(base_name(abs) - abs - 1));
    c->root = xstrdup(w->root);
    c->root_disp = xstrdup(w->root_disp);
    struct strbuf sb = STRBUF_INIT;
    strbuf_addstr(&sb, w->suite);
    if (slash) {
        strbuf_addch(&sb, '.');
        for (const char *p = rel; p < slash; p++)
            strbuf_addch(&sb, *p == '/' ? '.' : *p);
    }
    c->classname = strbuf_detach(&sb, NULL);
    size_t rel_stem = slash ? (size_t)(slash - rel) + 1 + stem_len : stem_len;
    c->id = xasprintf("%s/%.*s", w->suite, (int)rel_stem, rel);

    if (kind == CASE_SQL) {
        char *text = NULL;
        size_t len;
        if (fs_read_file(abs, &text, &len, e) < 0)
            return -1;
        c->uses_pgtap = calls_pgtap(text);
        free(text);
        find_regress(w, c);
    }
    if (!discover_filter_match(c->id, w->o->filters, w->o->nfilters)) {
        case_free(c);
        w->cl->n--;
    }
    return 0;
}

/* A file that looks like a test program but cannot be run as one. */
static bool looks_executable(const char *abs, const char *name)
{
    if (ends_with(name, ".sh") || ends_with(name, ".py") ||
        ends_with(name, ".bash"))
        return true;
    char head[2] = {0, 0};
    FILE *f = fopen(abs, "re");
    if (!f)
        return false;
    size_t n = fread(head, 1, 2, f);
    fclose(f);
    return n == 2 && head[0] == '#' && head[1] == '!';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk_dir(struct walk *w, const char *abs, const char *rel,
                    struct isotest_err *e)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    if (w->o->interrupted && w->o->interrupted())
        return err_set(e, "interrupted while looking for test cases");
    d = opendir(abs);
    if (!d)
        return err_errno(e, errno, "cannot read folder '%s'", abs);
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            names = xrealloc(names, cap * sizeof(*names));
        }
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);

    for (size_t i = 0; i < n && r == 0; i++) {
        const char *nm = names[i];
        char *a = xasprintf("%s/%s", abs, nm);
        char *rl = *rel ? xasprintf("%s/%s", rel, nm) : xstrdup(nm);
        struct stat st;

        if (stat(a, &st) < 0) {
            if (lstat(a, &st) == 0 && S_ISLNK(st.st_mode))
                strbuf_addf(&w->cl->notes, "skipped %s/%s: a dangling link\n",
                            w->root_disp, rl);
        } else if ((S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) &&
                   !fileset_add(w->seen, st.st_dev, st.st_ino)) {
            /* A folder named as a PATH of its own is walked as one. */
            struct stat ls;
            if (S_ISREG(st.st_mode))
                strbuf_addf(&w->cl->notes,
                            "skipped %s/%s: a file already found under "
                            "another path\n",
                            w->root_disp, rl);
            else if (lstat(a, &ls) == 0 && S_ISLNK(ls.st_mode))
                strbuf_addf(&w->cl->notes,
                            "skipped %s/%s: a link to a folder already "
                            "searched (a loop?)\n",
                            w->root_disp, rl);
        } else if (S_ISDIR(st.st_mode)) {
            /* A suite's own migrations/ is never a folder of cases. */
            bool skip =
                !strcmp(nm, "expected") || !strcmp(nm, "results") ||
                !strcmp(nm, "node_modules") ||
                (!*rel && !strcmp(nm, "migrations")) ||
                (w->cl->migrations_dir && !strcmp(a, w->cl->migrations_dir));
            if (!skip) {
                char *real = realpath(a, NULL);
                if (real && w->cl->migrations_dir &&
                    !strcmp(real, w->cl->migrations_dir))
                    skip = true;
                free(real);
            }
            if (!skip)
                r = walk_dir(w, a, rl, e);
        } else if (S_ISREG(st.st_mode)) {
            if (ends_with(nm, ".sql"))
                r = add_file(w, a, rl, CASE_SQL, e);
            else if (access(a, X_OK) == 0)
                r = add_file(w, a, rl, CASE_COMMAND, e);
            else if (looks_executable(a, nm))
                strbuf_addf(&w->cl->notes,
                            "skipped %s/%s: looks like a test program but is "
                            "not executable (chmod +x to run it)\n",
                            w->root_disp, rl);
        }
        free(a);
        free(rl);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return r;
}

static int cmp_case(const void *a, const void *b)
{
    return strcmp(((const struct test_case *)a)->id,
                  ((const struct test_case *)b)->id);
}

/*
 * The default migrations: the first suite folder's migrations/.  A later
 * suite's own migrations/ gets a note, since one run has one template.
 */
static void suite_migrations(struct case_list *cl, const char *p,
                             const char *abs)
{
    char *m = xasprintf("%s/migrations", abs);

    if (!is_dir(m))
        free(m);
    else if (!cl->migrations_dir)
        cl->migrations_dir = m;
    else {
        if (strcmp(m, cl->migrations_dir))
            strbuf_addf(&cl->notes,
                        "note: '%s/migrations' is not used: one run "
                        "has one template, built from '%s'\n",
                        p, cl->migrations_dir);
        free(m);
    }
}

/*
 * A single file: its suite's migrations/ may sit a few folders up
 * (suite/tests/x.sh with suite/migrations/).
 */
static void migrations_above(struct case_list *cl, const char *abs)
{
    char *dir = xstrdup(abs);

    for (int up = 0; up < 4; up++) {
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
        char *m = xasprintf("%s/migrations", dir);
        if (is_dir(m)) {
            cl->migrations_dir = m;
            break;
        }
        free(m);
    }
    free(dir);
}

/* The cases of a suite folder p (abs resolved), walked recursively. */
static int add_suite_dir(const struct discover_opts *o, struct case_list *cl,
                         struct fileset *seen, const char *p, const char *abs,
                         struct isotest_err *e)
{
    /* Strip trailing slashes for display: "examples/shop/". */
    char *disp = xstrdup(p);
    size_t dl = strlen(disp);

    while (dl > 1 && disp[dl - 1] == '/')
        disp[--dl] = '\0';
    struct walk w = {.cl = cl,
                     .o = o,
                     .suite = base_name(abs),
                     .root = abs,
                     .root_disp = disp,
                     .seen = seen};
    int r = walk_dir(&w, abs, "", e);
    free(disp);
    return r;
}

/* A test named on its own: its folder is its suite. */
static int add_single_file(const struct discover_opts *o, struct case_list *cl,
                           struct fileset *seen, const char *p, const char *abs,
                           struct isotest_err *e)
{
    char *dir_abs = xstrndup(abs, (size_t)(base_name(abs) - abs - 1));
    char *disp_dir = strrchr(p, '/')
                         ? xstrndup(p, (size_t)(strrchr(p, '/') - p))
                         : xstrdup(".");
    struct walk w = {.cl = cl,
                     .o = o,
                     .suite = base_name(dir_abs),
                     .root = dir_abs,
                     .root_disp = disp_dir,
                     .seen = seen};
    const char *nm = base_name(abs);
    int r;

    if (ends_with(nm, ".sql"))
        r = add_file(&w, abs, nm, CASE_SQL, e);
    else if (access(abs, X_OK) == 0)
        r = add_file(&w, abs, nm, CASE_COMMAND, e);
    else
        r = err_set(e, "'%s' is neither a .sql file nor executable", p);
    free(dir_abs);
    free(disp_dir);
    return r;
}

/* One test path from the command line: a suite folder or a single file. */
static int add_path(const struct discover_opts *o, struct case_list *cl,
                    struct fileset *seen, const char *p, struct isotest_err *e)
{
    struct stat st;

    if (stat(p, &st) < 0)
        return err_errno(e, errno, "cannot read test path '%s'", p);
    char *abs = realpath(p, NULL);
    if (!abs)
        return err_errno(e, errno, "cannot resolve '%s'", p);
    if (!o->migrations && S_ISDIR(st.st_mode))
        suite_migrations(cl, p, abs);
    if (!o->migrations && !cl->migrations_dir && S_ISREG(st.st_mode))
        migrations_above(cl, abs);
    int r;
    if (S_ISDIR(st.st_mode))
        r = add_suite_dir(o, cl, seen, p, abs, e);
    else if (S_ISREG(st.st_mode))
        r = add_single_file(o, cl, seen, p, abs, e);
    else
        r = err_set(e, "'%s' is not a file or folder", p);
    free(abs);
    return r;
}

int discover(const struct discover_opts *o, struct case_list *cl,
             struct isotest_err *e)
{
    memset(cl, 0, sizeof(*cl));
    strbuf_init(&cl->notes, 0);

    if (o->migrations) {
        if (!is_dir(o->migrations))
            return err_set(e, "migrations folder '%s' does not exist",
                           o->migrations);
        cl->migrations_dir = realpath(o->migrations, NULL);
    }
    /* Each folder and file once, by identity (loops end; no repeats). */
    struct fileset seen = {0};
    bool *repeat = xcalloc(o->npaths ? o->npaths : 1, sizeof(*repeat));
    for (size_t i = 0; i < o->npaths; i++) {
        struct stat st; /* every PATH first: a walk reaching one skips it */
        if (stat(o->paths[i], &st) == 0 &&
            !fileset_add(&seen, st.st_dev, st.st_ino)) {
            repeat[i] = true;
            strbuf_addf(&cl->notes,
                        "note: '%s' was named before: its cases run once\n",
                        o->paths[i]);
        }
    }
    for (size_t i = 0; i < o->npaths; i++) {
        if (!repeat[i] && add_path(o, cl, &seen, o->paths[i], e) < 0) {
            free(repeat);
            fileset_release(&seen);
            case_list_release(cl);
            return -1;
        }
    }
    free(repeat);
    fileset_release(&seen);
    if (o->list_cmd && discover_listing(o, cl, e) < 0) {
        case_list_release(cl);
        return -1;
    }
    case_list_sort(cl);
    return 0;
}

void case_list_sort(struct case_list *cl)
{
    if (cl->n)
        qsort(cl->v, cl->n, sizeof(*cl->v), cmp_case);
}

void case_list_release(struct case_list *cl)
{
    for (size_t i = 0; i < cl->n; i++)
        case_free(&cl->v[i]);
    free(cl->v);
    free(cl->migrations_dir);
    strbuf_release(&cl->notes);
    memset(cl, 0, sizeof(*cl));
}
