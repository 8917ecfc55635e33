/*
 * pgtap_funcs: pgTAP xUnit test functions as cases (--pgtap-functions).
 *
 * Suites written for pgTAP's runtests() keep their tests in functions
 * named test* (with startup*, setup*, teardown*, shutdown* around them),
 * created by the migrations.  pgtap_funcs_discover() takes one sandbox
 * from the open session (so the template is built or reused first), lists
 * the functions whose names match the pattern the way pgTAP's findfuncs()
 * does (a POSIX regular expression on the name, without the four fixture
 * prefixes), leaves out members of extensions and other runs' schemas,
 * gives the sandbox back, and adds one CASE_PGTAP_FUNC case per function.
 *
 * A case's id is "SUITE/SCHEMA.FUNCTION" (classname "SUITE.SCHEMA", name
 * FUNCTION).  In schema mode the migrations create the functions in each
 * sandbox's own schema; those are named "public", where the same
 * migrations put them in database mode, so that ids (and --filter,
 * history, shards) are the same in both modes.
 *
 * Main thread only.
 */
#ifndef ISOTEST_PGTAP_FUNCS_H
#define ISOTEST_PGTAP_FUNCS_H

#include <stddef.h>

#include "common/err.h"
#include "discover.h"
#include "isotest.h"
#include "options.h"

struct pgtap_funcs_opts {
    const char *pattern; /* --pgtap-functions, "^test" by default */
    const char *suite;   /* the suite the cases belong to */
    const char *const *filters;
    size_t nfilters;
};

/*
 * Add the functions' cases to cl (filtered, then cl sorted by id).
 * 0, or -1 with e set (no sandbox, a bad pattern).  A suite with no
 * matching function adds nothing and says so in cl->notes.
 */
int pgtap_funcs_discover(struct isotest_session *s,
                         const struct pgtap_funcs_opts *o, struct case_list *cl,
                         struct isotest_err *e);

/*
 * For `run` (nothing without --pgtap-functions): the functions' cases
 * from session s, added to cl as the
 * options say (pattern, the first PATH's suite, --filter); the notes
 * this adds go to stderr.  -1 with e set on failure, or when cl is still
 * empty then.
 */
int pgtap_funcs_add(struct isotest_session *s, const struct run_options *o,
                    struct case_list *cl, struct isotest_err *e);

/*
 * For `list`: the same from a session of its own, opened as `run` would
 * open it (the same server, extensions and template; no clone pool), and
 * closed again.
 */
int pgtap_funcs_list(const struct run_options *o, struct case_list *cl,
                     struct isotest_err *e);

/*
 * The sandboxes a run will take (isotest_options.expected) before the
 * functions are known: ncases without --pgtap-functions; with it, unknown
 * (0) when each function gets its own, else ncases plus one per worker
 * and the one the functions are found in (--pgtap-batch).
 */
size_t pgtap_funcs_expected(const struct run_options *o, size_t ncases,
                            int jobs);

/* The suite of the first PATH: its folder's name, a file's folder's. */
char *pgtap_funcs_suite(const char *path);

/*
 * Fill an empty case for function `func` in `schema` (shown as `shown`;
 * schema NULL: the sandbox's own schema).  Strings are copied.
 */
void pgtap_funcs_case(struct test_case *c, const char *suite, const char *shown,
                      const char *schema, const char *func);

/*
 * "^name$" with every character a regular expression gives a meaning to
 * escaped: the pattern that makes runtests() run this function alone.
 * The caller frees it.
 */
char *pgtap_funcs_regex(const char *func);

#endif
