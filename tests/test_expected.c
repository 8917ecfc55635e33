/*
 * test_expected.c: expected-output cases (runner/expected.h).
 *
 * Covers: expected_equal, exact and as `diff -b` (table: blank runs,
 * trailing blanks, tabs and CRs, a missing final newline, blank lines that
 * do count, a blank that appears or vanishes between words); where a
 * results file goes (table: pg_regress and flat layouts, a nested case,
 * --results-dir with and without a trailing slash, a single sql/ file
 * named on its own from various spellings) and how expected files are
 * shown; expected_judge on a scratch suite: a pass and a failure both
 * leave results/NAME.out holding the output, the failure's message and
 * diff name the expected and results files, a missing expected file is
 * diffed against nothing, --ignore-space-change passes what exact fails,
 * output cut by the cap is an error with no results file, and threads
 * writing one results file at once leave one whole version and no
 * temporary file.  Also which cases discovery makes expected-output cases
 * (runner/discover.h): sql/ beside expected/ before any .out exists, at
 * any depth below sql/, and the layouts that are not one.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "runner/expected.h"
#include "unit_tmp.h"

/* ---- the comparison ----------------------------------------------------- */

struct eq_case {
    char a[40], b[40];
    bool exact, blanks; /* equal byte for byte; equal as diff -b */
};

ParameterizedTestParameters(expected, equal)
{
    static struct eq_case cases[] = {
        {"a b\n", "a b\n", true, true},
        {"a  b\n", "a b\n", false, true},
        {"a\t \tb\n", "a b\n", false, true},
        {" x \n", " x\n", false, true},
        {"x   \n", "x\n", false, true},
        {"x\r\n", "x\n", false, true},
        {"row\n", "row", false, true},
        {"row  \nnext\n", "row\nnext", false, true},
        {"", "", true, true},
        {"  lead\n", " lead\n", false, true},
        {"ab\n", "a b\n", false, false},
        {" x\n", "x\n", false, false},
        {"x\n\n", "x\n", false, false},
        {"x\n", "x\n\n", false, false},
        {"", "\n", false, false},
        {"1\n2\n", "1\n3\n", false, false},
        {"x\ny\n", "x\n", false, false},
    };

    return cr_make_param_array(struct eq_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct eq_case *c, expected, equal)
{
    size_t al = strlen(c->a), bl = strlen(c->b);

    cr_assert_eq(expected_equal(c->a, al, c->b, bl, false), c->exact,
                 "exact: '%s' vs '%s'", c->a, c->b);
    cr_assert_eq(expected_equal(c->a, al, c->b, bl, true), c->blanks,
                 "diff -b: '%s' vs '%s'", c->a, c->b);
    /* Symmetric, as diff is. */
    cr_assert_eq(expected_equal(c->b, bl, c->a, al, true), c->blanks,
                 "diff -b, swapped: '%s' vs '%s'", c->b, c->a);
}

Test(expected, equal_ignores_nothing_past_a_nul)
{
    const char a[] = "x\0y\n", b[] = "x\0z\n";

    cr_assert(!expected_equal(a, 4, b, 4, true));
    cr_assert(expected_equal(a, 4, a, 4, true));
}

/* ---- where results files go --------------------------------------------- */

struct path_case {
    char root[40], root_disp[40], suite[16], expected_dir[48], stem[16];
    char results_dir[16]; /* "" for none */
    char want[64];
};

ParameterizedTestParameters(expected, results_path)
{
    static struct path_case cases[] = {
        /* pg_regress: suite/sql/x.sql, suite/expected/. */
        {"/w/suite", "suite", "suite", "/w/suite/expected", "x", "",
         "suite/results/x.out"},
        {"/w/suite", "suite", "suite", "/w/suite/expected", "sub/x", "",
         "suite/results/sub/x.out"},
        {"/w/suite", "../t/suite", "suite", "/w/suite/reg/expected", "x", "",
         "../t/suite/reg/results/x.out"},
        {"/w/suite", "/abs/suite", "suite", "/w/suite/a/b/expected", "x", "",
         "/abs/suite/a/b/results/x.out"},
        /* --results-dir: the suite's folders below DIR/SUITE. */
        {"/w/suite", "suite", "suite", "/w/suite/expected", "x", "out",
         "out/suite/results/x.out"},
        {"/w/suite", "suite", "suite", "/w/suite/reg/expected", "sub/x", "/o//",
         "/o/suite/reg/results/sub/x.out"},
        /* sql/x.sql named on its own: the suite folder is sql/. */
        {"/w/s/sql", "s/sql", "sql", "/w/s/expected", "x", "",
         "s/results/x.out"},
        {"/w/s/sql", "sql", "sql", "/w/s/expected", "x", "", "./results/x.out"},
        {"/w/s/sql", ".", "sql", "/w/s/expected", "x", "",
         "./../results/x.out"},
        {"/w/s/sql", "/w/s/sql", "sql", "/w/s/expected", "x", "",
         "/w/s/results/x.out"},
        {"/w/s/sql", "s/sql", "sql", "/w/s/expected", "x", "out",
         "out/sql/results/x.out"},
    };

    return cr_make_param_array(struct path_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

static struct test_case case_of(struct path_case *p)
{
    struct test_case c = {0};

    c.root = p->root;
    c.root_disp = p->root_disp;
    c.suite = p->suite;
    c.expected_dir = p->expected_dir;
    c.expected_stem = p->stem;
    return c;
}

ParameterizedTest(struct path_case *p, expected, results_path)
{
    struct test_case c = case_of(p);
    char *got =
        expected_results_path(&c, p->results_dir[0] ? p->results_dir : NULL);

    cr_assert_str_eq(got, p->want);
    free(got);
}

Test(expected, display_and_main_file)
{
    struct path_case p = {"/w/suite", "t/suite", "suite", "/w/suite/expected",
                          "sub/x",    "",        ""};
    struct test_case c = case_of(&p);
    char *main_file = expected_main_file(&c);
    char *shown = expected_display(&c, main_file);
    char *elsewhere = expected_display(&c, "/other/expected/x.out");
    char *prefix_only = expected_display(&c, "/w/suite2/expected/x.out");

    cr_assert_str_eq(main_file, "/w/suite/expected/sub/x.out");
    cr_assert_str_eq(shown, "t/suite/expected/sub/x.out");
    cr_assert_str_eq(elsewhere, "/other/expected/x.out");
    cr_assert_str_eq(prefix_only, "t/suite2/expected/x.out",
                     "suite2 is not inside suite, but beside it");
    free(main_file);
    free(shown);
    free(elsewhere);
    free(prefix_only);
}

/* ---- judging, on a scratch suite ---------------------------------------- */

UNIT_TMP_FOLDER_RESOLVED("/tmp/isotest-expected-XXXXXX")

/* Create real_tmp/rel (and its folders) holding text. */
static void put(const char *rel, const char *text)
{
    unit_tmp_put(real_tmp, rel, text, 0644);
}

static char *read_rel(const char *rel)
{
    char *path = xasprintf("%s/%s", real_tmp, rel);
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    free(path);
    return text;
}

/*
 * Case "x" of suite real_tmp/suite (sql/x.sql), reached as "S" (a link)
 * from real_tmp: judged there, so that the paths shown can be opened.
 */
struct judged {
    struct test_case c;
    char *expected0;
    struct test_result r;
};

static void judge(struct judged *j, bool has_expected, const char *output,
                  bool ignore_space, const char *results_dir)
{
    struct expected_opts o = {.results_dir = results_dir,
                              .ignore_space = ignore_space};

    memset(j, 0, sizeof(*j));
    j->c.root = xasprintf("%s/suite", real_tmp);
    j->c.root_disp = "S";
    j->c.suite = "suite";
    j->c.expected_dir = xasprintf("%s/suite/expected", real_tmp);
    j->c.expected_stem = "x";
    j->expected0 = xasprintf("%s/x.out", j->c.expected_dir);
    j->c.expected = &j->expected0;
    j->c.nexpected = has_expected;
    j->r.out.data = xstrdup(output);
    j->r.out.len = strlen(output);
    /* The results file's display path is relative to the scratch folder. */
    char cwd[PATH_MAX];
    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(chdir(real_tmp), 0);
    expected_judge(&o, &j->c, &j->r);
    cr_assert_eq(chdir(cwd), 0);
}

static void judged_release(struct judged *j)
{
    free(j->c.root);
    free(j->c.expected_dir);
    free(j->expected0);
    result_release(&j->r);
}

static void make_suite(void)
{
    make_tmp();
    put("suite/expected/x.out", " a | b\n---+---\n 1 | 2\n");
    /* The display root "S" is a link to the suite. */
    char *link = xasprintf("%s/S", real_tmp);
    cr_assert_eq(symlink("suite", link), 0);
    free(link);
}

TestSuite(expected_judge, .init = make_suite, .fini = remove_tmp);

Test(expected_judge, pass_and_failure_keep_results)
{
    struct judged j;

    judge(&j, true, " a | b\n---+---\n 1 | 2\n", false, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_PASSED, "%s", j.r.message);
    char *kept = read_rel("suite/results/x.out");
    cr_assert_str_eq(kept, " a | b\n---+---\n 1 | 2\n");
    free(kept);
    judged_release(&j);

    judge(&j, true, " a | b\n---+---\n 1 | 3\n", false, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_FAILED);
    cr_assert_str_eq(j.r.message, "output differs from S/expected/x.out "
                                  "(actual output: S/results/x.out)");
    cr_assert_not_null(j.r.detail);
    cr_assert(
        !strncmp(j.r.detail, "--- S/expected/x.out\n+++ S/results/x.out\n", 40),
        "diff labels:\n%s", j.r.detail);
    cr_assert_not_null(strstr(j.r.detail, "\n- 1 | 2\n+ 1 | 3\n"), "%s",
                       j.r.detail);
    kept = read_rel("suite/results/x.out");
    cr_assert_str_eq(kept, " a | b\n---+---\n 1 | 3\n");
    free(kept);
    judged_release(&j);
}

Test(expected_judge, blanks_fail_exactly_and_pass_ignored)
{
    const char *out = " a  |  b \n---+---\n 1 | 2";
    struct judged j;

    judge(&j, true, out, false, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_FAILED);
    cr_assert_not_null(strstr(j.r.detail, "+ a  |  b \n"), "%s", j.r.detail);
    judged_release(&j);
    judge(&j, true, out, true, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_PASSED, "%s", j.r.message);
    char *kept = read_rel("suite/results/x.out");
    cr_assert_str_eq(kept, out, "the results file holds the output as is");
    free(kept);
    judged_release(&j);

    /* A real difference still fails, its diff made as diff -b makes it. */
    judge(&j, true, " a  |  b \n---+---\n 9 | 2\n", true, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_FAILED);
    cr_assert_null(strstr(j.r.detail, "+ a  |  b"), "blank changes shown:\n%s",
                   j.r.detail);
    cr_assert_not_null(strstr(j.r.detail, "+ 9 | 2"), "%s", j.r.detail);
    judged_release(&j);
}

Test(expected_judge, missing_expected_file)
{
    struct judged j;

    judge(&j, false, "SELECT 1;\n", false, NULL);
    cr_assert_eq(j.r.outcome, OUTCOME_FAILED);
    cr_assert_str_eq(j.r.message,
                     "expected file S/expected/x.out is missing; `isotest "
                     "accept` creates it from S/results/x.out");
    cr_assert(
        !strncmp(j.r.detail, "--- S/expected/x.out\n+++ S/results/x.out\n", 40),
        "%s", j.r.detail);
    cr_assert_not_null(strstr(j.r.detail, "\n+SELECT 1;\n"), "%s", j.r.detail);
    char *kept = read_rel("suite/results/x.out");
    cr_assert_str_eq(kept, "SELECT 1;\n");
    free(kept);
    judged_release(&j);
}

Test(expected_judge, results_dir_mirrors_the_suite)
{
    struct judged j;

    judge(&j, true, "other\n", false, "out");
    cr_assert_eq(j.r.outcome, OUTCOME_FAILED);
    cr_assert_str_eq(j.r.message, "output differs from S/expected/x.out "
                                  "(actual output: out/suite/results/x.out)");
    char *kept = read_rel("out/suite/results/x.out");
    cr_assert_str_eq(kept, "other\n");
    free(kept);
    char *beside = xasprintf("%s/suite/results", real_tmp);
    cr_assert_neq(access(beside, F_OK), 0, "results/ beside was written");
    free(beside);
    judged_release(&j);
}

Test(expected_judge, cut_output_is_an_error_and_not_kept)
{
    struct judged j;

    judge(&j, true, "", false, NULL);
    result_release(&j.r);
    j.r.out.data = xstrdup(" a | b\n");
    j.r.out.len = 7;
    j.r.out.dropped = 100;
    struct expected_opts o = {.results_dir = "never"};
    expected_judge(&o, &j.c, &j.r);
    cr_assert_eq(j.r.outcome, OUTCOME_ERROR);
    cr_assert_not_null(strstr(j.r.message, "--output-cap"), "%s", j.r.message);
    cr_assert_neq(access("never", F_OK), 0, "a results file was written");
    judged_release(&j);
}

/* ---- which cases are expected-output cases (discover.h) ---------------- */

static char *in_real(const char *rel)
{
    return xasprintf("%s/%s", real_tmp, rel);
}

static void assert_str_eq_free(char *want, const char *got)
{
    cr_assert_str_eq(got, want);
    free(want);
}

static const struct test_case *find(const struct case_list *cl, const char *id)
{
    for (size_t i = 0; i < cl->n; i++)
        if (!strcmp(cl->v[i].id, id))
            return &cl->v[i];
    return NULL;
}

/*
 * Expected-output cases: a sql/ file beside expected/ is one before its
 * .out exists, at any depth below sql/ (the nearest sql/ whose parent has
 * expected/); a flat file needs its .out; sql/ without expected/, or above
 * the suite folder, is not the layout.
 */
Test(expected_layout, discovered_cases, .init = make_tmp, .fini = remove_tmp)
{
    static const struct {
        const char *id, *dir, *stem;
        size_t n;
    } want[] = {{"reg/sql/done", "reg/expected", "done", 1},
                {"reg/sql/new", "reg/expected", "new", 0},
                {"reg/sql/deep/er/nest", "reg/expected", "deep/er/nest", 1},
                {"reg/inner/sql/sql/i", "reg/inner/expected", "sql/i", 0},
                {"reg/flat/f", NULL, NULL, 0},
                {"reg/lone/sql/l", NULL, NULL, 0}};
    char *root = in_real("reg"), *deep = in_real("reg/sql/deep");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    put("reg/sql/done.sql", "SELECT 1;\n");
    put("reg/expected/done.out", "one\n");
    put("reg/sql/new.sql", "SELECT 2;\n");
    put("reg/sql/deep/er/nest.sql", "SELECT 3;\n");
    put("reg/expected/deep/er/nest_1.out", "three\n");
    put("reg/flat/f.sql", "SELECT 4;\n");
    put("reg/flat/expected/other.out", "x\n");
    put("reg/lone/sql/l.sql", "SELECT 5;\n");
    put("reg/inner/sql/sql/i.sql", "SELECT 6;\n");
    put("reg/inner/expected/.keep", "");
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 6, "got %zu cases", cl.n);
    for (size_t i = 0; i < 6; i++) {
        const struct test_case *c = find(&cl, want[i].id);
        cr_assert_not_null(c, "%s", want[i].id);
        cr_assert_eq(c->nexpected, want[i].n, "%s", c->id);
        if (!want[i].dir) {
            cr_assert_null(c->expected_dir, "%s", c->id);
            continue;
        }
        assert_str_eq_free(in_real(want[i].dir), c->expected_dir);
        cr_assert_str_eq(c->expected_stem, want[i].stem);
        assert_str_eq_free(in_real("reg"), c->root);
        cr_assert_str_eq(c->root_disp, root);
    }
    case_list_release(&cl);
    paths[0] = deep; /* sql/ is above this suite folder: not the layout */
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert(cl.n == 1 && !cl.v[0].expected_dir);
    case_list_release(&cl);
    free(deep);
    free(root);
}

/* ---- parallel writers --------------------------------------------------- */

struct writer {
    struct test_case *c;
    char text[32];
    struct test_result r;
};

static void *write_one(void *arg)
{
    struct writer *w = arg;
    struct expected_opts o = {.results_dir = NULL};

    /* Long enough that the writes overlap. */
    struct strbuf sb = STRBUF_INIT;
    for (int i = 0; i < 20000; i++)
        strbuf_addstr(&sb, w->text);
    w->r.out.data = strbuf_detach(&sb, &w->r.out.len);
    expected_judge(&o, w->c, &w->r);
    return NULL;
}

Test(expected_judge, parallel_writers_leave_one_whole_file)
{
    enum { N = 8 };
    struct writer w[N];
    pthread_t th[N];
    char *expected0 = xasprintf("%s/suite/expected/x.out", real_tmp);
    struct test_case c = {.root = real_tmp,
                          .root_disp = real_tmp,
                          .suite = "suite",
                          .expected = &expected0,
                          .nexpected = 1,
                          .expected_stem = "x"};

    c.expected_dir = xasprintf("%s/suite/expected", real_tmp);
    for (int i = 0; i < N; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].c = &c;
        snprintf(w[i].text, sizeof(w[i].text), "writer %d\n", i);
        cr_assert_eq(pthread_create(&th[i], NULL, write_one, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(w[i].r.outcome, OUTCOME_FAILED, "%s", w[i].r.message);
    }
    char *kept = read_rel("suite/results/x.out");
    bool whole = false;
    for (int i = 0; i < N && !whole; i++)
        whole = !strcmp(kept, w[i].r.out.data);
    cr_assert(whole, "the results file mixes writers");
    free(kept);

    char *dir = xasprintf("%s/suite/results", real_tmp);
    DIR *d = opendir(dir);
    struct dirent *de;
    int files = 0;
    cr_assert_not_null(d);
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".isotest", 8) == 0)
            files++;
    closedir(d);
    cr_assert_eq(files, 1, "temporary files left in %s", dir);
    free(dir);
    for (int i = 0; i < N; i++)
        result_release(&w[i].r);
    free(c.expected_dir);
    free(expected0);
}
