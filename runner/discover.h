/*
 * discover: from the paths on the command line to a list of test cases.
 *
 * Every *.sql under a PATH is a SQL case, except in the migrations folder
 * and in expected/ and results/ folders; every other executable file is a
 * command case; with --list/--each, every line the listing command prints
 * is a command case.  Cases come out sorted by id, which is
 * "<suite>/<path inside the suite without .sql>".
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
};

int discover(const struct discover_opts *o, struct case_list *cl,
             struct isotest_err *e);
void case_list_release(struct case_list *cl);

/*
 * For cases found elsewhere (pgtap_funcs.h): a new zeroed slot at the end
 * of cl, owned by cl (its strings are freed with it); then
 * case_list_sort() to restore the order by id.
 */
struct test_case *case_list_add(struct case_list *cl);
void case_list_sort(struct case_list *cl);

/* Does id match one of the globs (fnmatch, '*' crosses '/')? */
bool discover_filter_match(const char *id, const char *const *globs, size_t n);

/* 'it'\''s' style quoting for /bin/sh.  The caller frees the result. */
char *discover_shell_quote(const char *s);

#endif
