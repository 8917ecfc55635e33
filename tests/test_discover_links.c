/*
 * test_discover_links.c: links and repeats in discovery (runner/discover.h).
 *
 * Covers: link loops (sub/up -> .., sub/self -> sub) end and are noted,
 * each case once; a dangling link is noted; a path given twice, or inside
 * another path given, runs its cases once; a case file reached through a
 * second link is found once; an interrupt stops the walk with an error.
 */
#define _XOPEN_SOURCE 700 /* realpath() */
#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "runner/discover.h"
#include "unit_tmp.h"

static char tmp[] = "/tmp/isotest-links-XXXXXX";

static void put(const char *rel, const char *text)
{
    unit_tmp_put(tmp, rel, text, 0644);
}

static void link_to(const char *target, const char *rel)
{
    char *path = xasprintf("%s/%s", tmp, rel);

    cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
    free(path);
}

/* suite/a/x.sql, suite/b/y.sql and suite/a/sub with two loops. */
static void make_loops(void)
{
    cr_assert_not_null(mkdtemp(tmp));
    put("suite/a/x.sql", "SELECT 1;\n");
    put("suite/b/y.sql", "SELECT 2;\n");
    put("suite/a/sub/z.sql", "SELECT 3;\n");
    link_to("..", "suite/a/sub/up");
    link_to("../sub", "suite/a/sub/self");
    link_to("nowhere.sql", "suite/b/gone.sql");
    link_to("../a/x.sql", "suite/b/x_again.sql");
}

static void remove_tmp(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    fs_remove_tree(tmp, &e);
    isotest_err_release(&e);
}

static char *ids(const struct case_list *cl)
{
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < cl->n; i++)
        strbuf_addf(&sb, "%s%s", i ? " " : "", cl->v[i].id);
    return strbuf_detach(&sb, NULL);
}

static void discover_paths(const char *const *rel, size_t n,
                           struct case_list *cl)
{
    const char *paths[4];
    char *owned[4];
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (size_t i = 0; i < n; i++)
        paths[i] = owned[i] = xasprintf("%s/%s", tmp, rel[i]);
    struct discover_opts o = {.paths = paths, .npaths = n};
    cr_assert_eq(discover(&o, cl, &e), 0, "%s", e.msg);
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
}

Test(discover_links, loops_end_and_each_case_is_found_once, .init = make_loops,
     .fini = remove_tmp)
{
    struct case_list cl;
    const char *p[] = {"suite"};

    discover_paths(p, 1, &cl);
    char *got = ids(&cl);
    cr_assert_str_eq(got, "suite/a/sub/z suite/a/x suite/b/y");
    free(got);
    const char *notes = cl.notes.buf;
    cr_assert(strstr(notes, "a/sub/up: a link to a folder already "
                            "searched (a loop?)"),
              "%s", notes);
    cr_assert(strstr(notes, "a/sub/self: a link to a folder"), "%s", notes);
    cr_assert(strstr(notes, "b/gone.sql: a dangling link"), "%s", notes);
    cr_assert(strstr(notes, "b/x_again.sql: a file already found"), "%s",
              notes);
    case_list_release(&cl);
}

Test(discover_links, repeated_and_nested_paths_run_once, .init = make_loops,
     .fini = remove_tmp)
{
    struct case_list cl;
    const char *p[] = {"suite/a", "suite/a", "suite"};

    discover_paths(p, 3, &cl);
    char *got = ids(&cl);
    /* suite/a's cases keep the ids of the first path that reached them. */
    cr_assert_str_eq(got, "a/sub/z a/x suite/b/y");
    free(got);
    cr_assert(strstr(cl.notes.buf, "was named before: its cases run once"),
              "%s", cl.notes.buf);
    case_list_release(&cl);
}

static bool always(void)
{
    return true;
}

Test(discover_links, interrupt_stops_the_walk, .init = make_loops,
     .fini = remove_tmp)
{
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/suite", tmp);
    const char *paths[] = {path};
    struct discover_opts o = {
        .paths = paths, .npaths = 1, .interrupted = always};

    cr_assert_eq(discover(&o, &cl, &e), -1);
    cr_assert(strstr(e.msg, "interrupted"), "%s", e.msg);
    isotest_err_release(&e);
    free(path);
}
