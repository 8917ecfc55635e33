/*
 * test_discover.c: from command-line paths to test cases (runner/discover.h).
 *
 * A temporary suite folder "shop" holds every layout discover() must know:
 * migrations/ (not cases), pg_regress's sql/ + expected/ with an alternative
 * output, a case with expected/ beside it, pgTAP and plain SQL, an
 * executable and a non-executable script, hidden and results/ folders.
 * pgTAP detection must not take a table named "plan" for a call.
 * Also: --filter globs, a single file PATH, errors naming the PATH,
 * --list/--each with shell quoting checked by running the commands, failing
 * and empty listings, and discover_shell_quote (table, run through sh).
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "runner/discover.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER_RESOLVED("/tmp/isotest-discover-XXXXXX")

/* Create tmp/rel (and its folders) holding text. */
static void put(const char *rel, const char *text, mode_t mode)
{
    unit_tmp_put(tmp, rel, text, mode);
}

static void make_shop(void)
{
    make_tmp();
    put("shop/migrations/001_init.sql", "CREATE TABLE t (id int);\n", 0644);
    put("shop/sql/x.sql", "SELECT 1;\n", 0644);
    put("shop/expected/x.out", "one\n", 0644);
    put("shop/expected/x_1.out", "one, alternative\n", 0644);
    put("shop/expected/stray.sql", "SELECT 'not a case';\n", 0644);
    put("shop/dir/y.sql", "SELECT 2;\n", 0644);
    put("shop/dir/expected/y.out", "two\n", 0644);
    put("shop/tap/t.sql",
        "SELECT plan(2);\nSELECT ok(true);\nSELECT * FROM finish();\n", 0644);
    put("shop/tap/plain.sql",
        "CREATE TABLE p (planned int, finished bool);\n"
        "SELECT planned FROM p; -- no pgTAP here\n",
        0644);
    put("shop/cmd/run.sh", "#!/bin/sh\nexit 0\n", 0755);
    put("shop/cmd/notexec.sh", "#!/bin/sh\nexit 0\n", 0644);
    put("shop/cmd/data.txt", "just data\n", 0644);
    put("shop/.hidden/h.sql", "SELECT 'hidden';\n", 0644);
    put("shop/results/r.sql", "SELECT 'results';\n", 0644);
}

static const struct test_case *find(const struct case_list *cl, const char *id)
{
    for (size_t i = 0; i < cl->n; i++)
        if (!strcmp(cl->v[i].id, id))
            return &cl->v[i];
    return NULL;
}

static char *in_tmp(const char *rel)
{
    return xasprintf("%s/%s", tmp, rel);
}

static char *in_real(const char *rel)
{
    return xasprintf("%s/%s", real_tmp, rel);
}

static void assert_str_eq_free(char *want, const char *got)
{
    cr_assert_str_eq(got, want);
    free(want);
}

Test(discover, suite_tree, .init = make_shop, .fini = remove_tmp)
{
    static const char *const ids[] = {"shop/cmd/run.sh", "shop/dir/y",
                                      "shop/sql/x", "shop/tap/plain",
                                      "shop/tap/t"};
    char *root = in_tmp("shop");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 5, "got %zu cases", cl.n);
    for (size_t i = 0; i < cl.n; i++)
        cr_assert_str_eq(cl.v[i].id, ids[i], "sorted position %zu", i);
    assert_str_eq_free(in_real("shop/migrations"), cl.migrations_dir);

    const struct test_case *x = find(&cl, "shop/sql/x");
    cr_assert_eq(x->kind, CASE_SQL);
    cr_assert_str_eq(x->suite, "shop");
    cr_assert_str_eq(x->classname, "shop.sql");
    cr_assert_str_eq(x->name, "x");
    assert_str_eq_free(in_tmp("shop/sql/x.sql"), x->path);
    assert_str_eq_free(in_real("shop/sql/x.sql"), x->abspath);
    assert_str_eq_free(in_real("shop/sql"), x->dir);
    cr_assert_eq(x->nexpected, 2, "pg_regress layout: expected/ of parent");
    assert_str_eq_free(in_real("shop/expected/x.out"), x->expected[0]);
    assert_str_eq_free(in_real("shop/expected/x_1.out"), x->expected[1]);
    cr_assert(!x->uses_pgtap);
    cr_assert_null(x->shell);

    const struct test_case *y = find(&cl, "shop/dir/y");
    cr_assert_str_eq(y->classname, "shop.dir");
    cr_assert_str_eq(y->name, "y");
    cr_assert_eq(y->nexpected, 1);
    assert_str_eq_free(in_real("shop/dir/expected/y.out"), y->expected[0]);

    const struct test_case *t = find(&cl, "shop/tap/t");
    const struct test_case *plain = find(&cl, "shop/tap/plain");
    cr_assert(t->uses_pgtap, "plan( and finish( are pgTAP calls");
    cr_assert(!plain->uses_pgtap, "a column named 'planned' is not plan()");
    cr_assert_eq(t->nexpected + plain->nexpected, 0);
    cr_assert_str_eq(t->classname, "shop.tap");

    const struct test_case *run = find(&cl, "shop/cmd/run.sh");
    cr_assert_eq(run->kind, CASE_COMMAND);
    cr_assert_str_eq(run->name, "run.sh");
    cr_assert_str_eq(run->classname, "shop.cmd");
    assert_str_eq_free(in_real("shop/cmd/run.sh"), run->abspath);
    assert_str_eq_free(in_real("shop/cmd"), run->dir);

    cr_assert_not_null(strstr(cl.notes.buf, "notexec.sh"), "notes: %s",
                       cl.notes.buf);
    cr_assert_not_null(strstr(cl.notes.buf, "not executable"));
    cr_assert_null(strstr(cl.notes.buf, "data.txt"));
    case_list_release(&cl);
    free(root);
}

/*
 * pgTAP detection decides whether the template gets CREATE EXTENSION pgtap:
 * a false positive breaks runs on servers without pgTAP.  A table named
 * "plan" (a subscription plan) or the word in a comment is not a call.
 */
Test(discover, table_named_plan_is_not_pgtap, .init = make_tmp,
     .fini = remove_tmp)
{
    char *root = in_tmp("saas");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    put("saas/plans.sql",
        "CREATE TABLE plan (id int PRIMARY KEY, name text);\n"
        "INSERT INTO plan (id, name) VALUES (1, 'pro');\n"
        "-- finish (and clean up) later\n"
        "SELECT 'plan(3)' AS not_a_call;\n",
        0644);
    put("saas/tap.sql", "SELECT no_plan();\nSELECT * FROM finish();\n", 0644);
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    const struct test_case *plans = find(&cl, "saas/plans");
    const struct test_case *tap = find(&cl, "saas/tap");
    cr_assert(tap->uses_pgtap);
    cr_expect(!plans->uses_pgtap, "plain SQL judged to call pgTAP");
    case_list_release(&cl);
    free(root);
}

Test(discover, trailing_slash_is_not_shown, .init = make_shop,
     .fini = remove_tmp)
{
    char *root = in_tmp("shop//");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    const struct test_case *x = find(&cl, "shop/sql/x");
    cr_assert_not_null(x);
    assert_str_eq_free(in_tmp("shop/sql/x.sql"), x->path);
    case_list_release(&cl);
    free(root);
}

Test(discover, filters_select_by_id, .init = make_shop, .fini = remove_tmp)
{
    char *root = in_tmp("shop");
    const char *paths[] = {root};
    const char *filters[] = {"*/dir/*", "shop/tap/t"};
    struct discover_opts o = {
        .paths = paths, .npaths = 1, .filters = filters, .nfilters = 2};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 2);
    cr_assert_str_eq(cl.v[0].id, "shop/dir/y");
    cr_assert_str_eq(cl.v[1].id, "shop/tap/t");
    case_list_release(&cl);
    free(root);
}

/* The suite's own folder names select, as the whole id does. */
Test(discover, filter_without_suite, .init = make_shop, .fini = remove_tmp)
{
    char *root = in_tmp("shop");
    const char *paths[] = {root};
    const char *filters[] = {"tap/*"};
    struct discover_opts o = {
        .paths = paths, .npaths = 1, .filters = filters, .nfilters = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 2, "%zu cases", cl.n);
    cr_assert_str_eq(cl.v[0].id, "shop/tap/plain");
    cr_assert_str_eq(cl.v[1].id, "shop/tap/t");
    case_list_release(&cl);
    free(root);
}

struct match_case {
    char id[32];
    char glob[32];
    bool match;
};

ParameterizedTestParameters(discover, filter_match)
{
    static struct match_case cases[] = {
        {"shop/dir/y", "shop/*", true}, /* '*' crosses '/' */
        {"shop/dir/y", "*y", true},
        {"shop/dir/y", "shop/dir/y", true},
        {"shop/dir/y", "shop/dir/?", true},
        {"shop/dir/y", "other/*", false},
        {"shop/dir/y", "shop/dir", false},
        {"list/b c", "list/b*", true},
        /* Without the suite: the folders inside it, as people see them. */
        {"shop/tap/x", "tap/*", true},
        {"shop/tap/x", "tap/x", true},
        {"shop/tap/x", "x", false},
        {"shop/tap/x", "ap/*", false},
        {"shop/tap/x", "shop/x", false},
        {"list/b c", "b*", true},
        {"shop/public.t_a", "public.t_*", true},
    };

    return cr_make_param_array(struct match_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct match_case *c, discover, filter_match)
{
    const char *globs[] = {"zzz-never", c->glob};

    cr_assert_eq(discover_filter_match(c->id, globs, 2), c->match,
                 "'%s' against '%s'", c->id, c->glob);
    cr_assert(discover_filter_match(c->id, NULL, 0), "no filter: all pass");
}

Test(discover, single_file_path, .init = make_shop, .fini = remove_tmp)
{
    char *y = in_tmp("shop/dir/y.sql");
    char *x = in_tmp("shop/sql/x.sql");
    const char *paths[] = {y, x};
    struct discover_opts o = {.paths = paths, .npaths = 2};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 2);
    cr_assert_str_eq(cl.v[0].id, "dir/y");
    cr_assert_str_eq(cl.v[0].suite, "dir");
    cr_assert_str_eq(cl.v[0].classname, "dir");
    cr_assert_str_eq(cl.v[0].name, "y");
    cr_assert_str_eq(cl.v[0].path, y);
    cr_assert_eq(cl.v[0].nexpected, 1);
    assert_str_eq_free(in_real("shop/dir/expected/y.out"), cl.v[0].expected[0]);
    cr_assert_str_eq(cl.v[1].id, "sql/x");
    cr_assert_eq(cl.v[1].nexpected, 2);
    /* Named on its own, sql/ is its suite folder; expected/ is beside. */
    assert_str_eq_free(in_real("shop/expected"), cl.v[1].expected_dir);
    /* A single file finds its suite's migrations/ a few folders up. */
    assert_str_eq_free(in_real("shop/migrations"), cl.migrations_dir);
    case_list_release(&cl);
    free(y);
    free(x);
}

Test(discover, executable_file_path, .init = make_shop, .fini = remove_tmp)
{
    char *run = in_tmp("shop/cmd/run.sh");
    char *data = in_tmp("shop/cmd/data.txt");
    const char *ok_paths[] = {run};
    const char *bad_paths[] = {data};
    struct discover_opts o = {.paths = ok_paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 1);
    cr_assert_eq(cl.v[0].kind, CASE_COMMAND);
    cr_assert_str_eq(cl.v[0].id, "cmd/run.sh");
    case_list_release(&cl);

    o.paths = bad_paths;
    cr_assert_eq(discover(&o, &cl, &e), -1);
    cr_assert_not_null(strstr(e.msg, data), "%s", e.msg);
    isotest_err_release(&e);
    free(run);
    free(data);
}

Test(discover, missing_path_is_named, .init = make_tmp, .fini = remove_tmp)
{
    char *missing = in_tmp("no-such-suite");
    const char *paths[] = {missing};
    struct discover_opts o = {.paths = paths, .npaths = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, missing), "%s", e.msg);
    cr_assert_eq(cl.n, 0);
    isotest_err_release(&e);
    free(missing);
}

Test(discover, missing_migrations_folder_is_named, .init = make_shop,
     .fini = remove_tmp)
{
    char *root = in_tmp("shop");
    char *migr = in_tmp("nope");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1, .migrations = migr};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), -1);
    cr_assert_not_null(strstr(e.msg, migr), "%s", e.msg);
    isotest_err_release(&e);
    case_list_release(&cl);
    free(root);
    free(migr);
}

Test(discover, explicit_migrations_folder, .init = make_shop,
     .fini = remove_tmp)
{
    char *root = in_tmp("shop");
    char *other = in_tmp("other-migrations");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths, .npaths = 1, .migrations = other};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(mkdir(other, 0755), 0);
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    assert_str_eq_free(in_real("other-migrations"), cl.migrations_dir);
    for (size_t i = 0; i < cl.n; i++)
        cr_assert_null(strstr(cl.v[i].id, "migrations"),
                       "a suite's migrations/ is never cases: %s", cl.v[i].id);
    case_list_release(&cl);
    free(root);
    free(other);
}

Test(discover, second_suite_migrations_noted, .init = make_shop,
     .fini = remove_tmp)
{
    char *shop = in_tmp("shop");
    char *more = in_tmp("more");
    const char *paths[] = {shop, more};
    struct discover_opts o = {.paths = paths, .npaths = 2};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    put("more/migrations/001_other.sql", "SELECT 1;\n", 0644);
    put("more/m.sql", "SELECT 1;\n", 0644);
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    assert_str_eq_free(in_real("shop/migrations"), cl.migrations_dir);
    cr_assert_not_null(find(&cl, "more/m"));
    cr_assert_null(find(&cl, "more/migrations/001_other"));
    cr_assert_not_null(strstr(cl.notes.buf, "more/migrations"), "notes: %s",
                       cl.notes.buf);
    case_list_release(&cl);
    free(shop);
    free(more);
}

/* Run a case's shell command and return what it printed. */
static char *run_shell(const char *cmd)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(proc_run(argv, &out, &st, &e), 0, "%s", e.msg);
    cr_assert(st.exited && st.code == 0, "'%s' failed", cmd);
    return strbuf_detach(&out, NULL);
}

Test(discover, listing_command_cases)
{
    struct discover_opts o = {
        .list_cmd = "printf '%s\\n' a 'b c' \"it's\" '  padded  ' ''",
        .each_cmd = "echo {}"};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char cwd[PATH_MAX];

    cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 4, "blank lines are not ids; got %zu", cl.n);
    cr_assert_str_eq(cl.v[0].id, "list/a");
    cr_assert_str_eq(cl.v[1].id, "list/b c");
    cr_assert_str_eq(cl.v[2].id, "list/it's");
    cr_assert_str_eq(cl.v[3].id, "list/padded");
    cr_assert_str_eq(cl.v[0].shell, "echo 'a'");
    cr_assert_str_eq(cl.v[1].shell, "echo 'b c'");
    for (size_t i = 0; i < cl.n; i++) {
        cr_assert_eq(cl.v[i].kind, CASE_COMMAND);
        cr_assert_str_eq(cl.v[i].suite, "list");
        cr_assert_str_eq(cl.v[i].classname, "list");
        cr_assert_str_eq(cl.v[i].dir, cwd);
        char *out = run_shell(cl.v[i].shell);
        char *want = xasprintf("%s\n", cl.v[i].name);
        cr_assert_str_eq(out, want, "the id reaches the command intact");
        free(out);
        free(want);
    }
    case_list_release(&cl);
}

Test(discover, listing_filtered)
{
    const char *filters[] = {"list/b*"};
    struct discover_opts o = {.list_cmd = "printf 'a\\nb c\\nbd\\n'",
                              .each_cmd = "echo {}",
                              .filters = filters,
                              .nfilters = 1};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 2);
    cr_assert_str_eq(cl.v[0].id, "list/b c");
    cr_assert_str_eq(cl.v[1].id, "list/bd");
    case_list_release(&cl);
}

Test(discover, listing_failure_shows_its_stderr)
{
    struct discover_opts o = {.list_cmd = "echo listing broke >&2; exit 3",
                              .each_cmd = "echo {}"};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(discover(&o, &cl, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, "listing broke"), "%s", e.msg);
    cr_assert_not_null(strstr(e.msg, "3"), "%s", e.msg);
    cr_assert_not_null(strstr(e.msg, o.list_cmd), "%s", e.msg);
    isotest_err_release(&e);
}

Test(discover, listing_that_prints_nothing)
{
    static const char *const cmds[] = {"true", "printf '\\n  \\n\\t\\n'"};

    for (size_t i = 0; i < 2; i++) {
        struct discover_opts o = {.list_cmd = cmds[i], .each_cmd = "echo {}"};
        struct case_list cl;
        struct isotest_err e = ISOTEST_ERR_INIT;

        cr_assert_eq(discover(&o, &cl, &e), -1, "'%s'", cmds[i]);
        cr_assert_not_null(strstr(e.msg, cmds[i]), "%s", e.msg);
        cr_assert_not_null(strstr(e.msg, "no test ids"), "%s", e.msg);
        isotest_err_release(&e);
    }
}

/*
 * Paths and a listing together: the listing's cases are appended to the
 * array the folder walk already filled (here exactly 32 entries, then 32
 * more from the listing).
 */
Test(discover, paths_and_listing_together, .init = make_tmp, .fini = remove_tmp)
{
    char *root = in_tmp("many");
    const char *paths[] = {root};
    struct discover_opts o = {.paths = paths,
                              .npaths = 1,
                              .list_cmd = "seq 100 131",
                              .each_cmd = "echo {}"};
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (int i = 0; i < 32; i++) {
        char rel[32];
        snprintf(rel, sizeof(rel), "many/c%02d.sql", i);
        put(rel, "SELECT 1;\n", 0644);
    }
    cr_assert_eq(discover(&o, &cl, &e), 0, "%s", e.msg);
    cr_assert_eq(cl.n, 64);
    for (int i = 0; i < 32; i++) {
        char want[32];
        snprintf(want, sizeof(want), "list/%d", 100 + i);
        cr_assert_str_eq(cl.v[i].id, want);
        snprintf(want, sizeof(want), "many/c%02d", i);
        cr_assert_str_eq(cl.v[32 + i].id, want);
    }
    case_list_release(&cl);
    free(root);
}

struct quote_case {
    char in[32];
    char out[64];
};

ParameterizedTestParameters(discover, shell_quote)
{
    static struct quote_case cases[] = {
        {"abc", "'abc'"},
        {"", "''"},
        {"b c", "'b c'"},
        {"it's", "'it'\\''s'"},
        {"''", "''\\'''\\'''"},
        {"$HOME `x` \"q\" \\n *", "'$HOME `x` \"q\" \\n *'"},
        {"a\nb", "'a\nb'"},
    };

    return cr_make_param_array(struct quote_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct quote_case *c, discover, shell_quote)
{
    char *q = discover_shell_quote(c->in);
    char *cmd = xasprintf("printf '%%s' %s", q);

    cr_assert_str_eq(q, c->out);
    char *out = run_shell(cmd);
    cr_assert_str_eq(out, c->in, "sh reads back what was quoted");
    free(out);
    free(cmd);
    free(q);
}
