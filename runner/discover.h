/*
 * discover: from the paths on the command line to a list of test cases.
 *
 * Every *.sql under a PATH is a SQL case, except in the migrations folder
 * and in expected/ and results/ folders; every other executable file is a
 * command case; with --list/--each, every line the listing command prints
 * is a command case.  Cases come out sorted by id, which is
 * "<suite>/<path inside the suite without .sql>".  Each folder and file is
 * visited once, by device and inode, however many links or paths lead to
 * it; loops, dangling links and repeats are noted in case_list.notes.
 *
 * A SQL case is an expected-output case when the nearest folder named sql/
 * at or above its own (within the suite) has an expected/ folder beside
 * it, NAME.out there or not (sql/sub/x.sql: expected/sub/x.out); or when
 * expected/NAME.out (or NAME_1.out..NAME_9.out) is beside the case.
 *
 * Call sequence: discover() then case_list_release().  Not thread-safe;
 * the resulting list is read-only and may be shared by threads.
 */
#ifndef ISOTEST_DISCOVER_H
#define ISOTEST_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

/* CASE_PGTAP_FUNC: a pgTAP test function (pgtap_funcs.h adds those). */
enum case_kind { CASE_SQL, CASE_COMMAND, CASE_PGTAP_FUNC };

struct test_case {
    char *id;
    char *suite;
    char *classname; /* suite plus sub-folders, dotted */
    char *name;      /* file name without .sql */
    char *path;      /* for people: as reached from the PATH given */
    char *abspath;
    char *dir; /* absolute folder of the case: its working folder */
    enum case_kind kind;
    char **expected; /* SQL: expected-output files, NAME.out first */
    size_t nexpected;
    /*
     * SQL, an expected-output case (pg_regress's layout): its expected/
     * folder (absolute) and its path in there without ".out" ("x", or
     * "sub/x" for sql/sub/x.sql).  Set even while no NAME.out exists yet
     * (sql/NAME.sql beside an expected/ folder); NULL for other cases.
     */
    char *expected_dir;
    char *expected_stem;
    char *root;        /* the suite folder, absolute */
    char *root_disp;   /* the same as reached from the PATH given */
    bool uses_pgtap;   /* SQL: calls plan()/finish() */
    char *shell;       /* --each: the command line for /bin/sh -c */
    char *func_schema; /* pgTAP function: its schema; NULL: the sandbox's */
    char *func;        /* pgTAP function: its name */
};

struct case_list {
    struct test_case *v;
    size_t n;
    char *migrations_dir; /* absolute, or NULL when there is none */
    struct strbuf notes;  /* files skipped and why, one per line */
    size_t cap;           /* allocated slots in v */
};

struct discover_opts {
    const char *const *paths;
    size_t npaths;
    const char *migrations; /* --migrations, or NULL for the default */
    const char *const *filters;
    size_t nfilters;
    const char *list_cmd;
    const char *each_cmd;
    bool (*interrupted)(void); /* may be NULL; true: stop looking */
};

int discover(const struct discover_opts *o, struct case_list *cl,
             struct isotest_err *e);
void case_list_release(struct case_list *cl);

/*
 * For the parts of discovery in other files (the listing command's cases,
 * discover_list.c; pgTAP test functions, pgtap_funcs.h): a new zeroed
 * case at the end of cl, owned by cl (its strings are freed with it);
 * dropping the last one again; case_list_sort() to restore the order by
 * id after adding.
 */
struct test_case *case_list_add(struct case_list *cl);
void case_list_drop_last(struct case_list *cl);
void case_list_sort(struct case_list *cl);
int discover_listing(const struct discover_opts *o, struct case_list *cl,
                     struct isotest_err *e);

/*
 * Does id match one of the globs (fnmatch, '*' crosses '/'), whole or
 * without its suite (glob "tap/x" matches id "shop/tap/x")?  No glob:
 * true.
 */
bool discover_filter_match(const char *id, const char *const *globs, size_t n);

/* 'it'\''s' style quoting for /bin/sh.  The caller frees the result. */
char *discover_shell_quote(const char *s);

#endif
