/*
 * test_sqlexec.c: which psql variables the in-process SQL path honours,
 * and how (runner/sqlexec.h's sqlexec_vars_set()).
 *
 * Covers (table): the defaults; VERBOSITY, SHOW_CONTEXT and ON_ERROR_STOP
 * in psql's spellings (case-insensitive values, every boolean word); a
 * later assignment winning; any other variable, an unknown value, a
 * lower-case name or no '=' sending the case to psql.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "runner/sqlexec.h"

struct vars_case {
    char sets[3][32]; /* "" ends the list */
    int rc;
    PGVerbosity verbosity;
    PGContextVisibility context;
    bool stop;
};

ParameterizedTestParameters(sqlexec, vars)
{
    static struct vars_case cases[] = {
        {{""}, 0, PQERRORS_VERBOSE, PQSHOW_CONTEXT_ERRORS, true},
        {{"SHOW_CONTEXT=never"},
         0,
         PQERRORS_VERBOSE,
         PQSHOW_CONTEXT_NEVER,
         true},
        {{"SHOW_CONTEXT=Always"},
         0,
         PQERRORS_VERBOSE,
         PQSHOW_CONTEXT_ALWAYS,
         true},
        {{"VERBOSITY=terse"}, 0, PQERRORS_TERSE, PQSHOW_CONTEXT_ERRORS, true},
        {{"VERBOSITY=default"},
         0,
         PQERRORS_DEFAULT,
         PQSHOW_CONTEXT_ERRORS,
         true},
        {{"VERBOSITY=sqlstate"},
         0,
         PQERRORS_SQLSTATE,
         PQSHOW_CONTEXT_ERRORS,
         true},
        {{"ON_ERROR_STOP=0"},
         0,
         PQERRORS_VERBOSE,
         PQSHOW_CONTEXT_ERRORS,
         false},
        {{"ON_ERROR_STOP=off", "ON_ERROR_STOP=TRUE"},
         0,
         PQERRORS_VERBOSE,
         PQSHOW_CONTEXT_ERRORS,
         true},
        {{"ON_ERROR_STOP=no", "VERBOSITY=terse", "SHOW_CONTEXT=never"},
         0,
         PQERRORS_TERSE,
         PQSHOW_CONTEXT_NEVER,
         false},
        {{"ECHO=all"}, -1, 0, 0, false},
        {{"FOO=bar"}, -1, 0, 0, false},
        {{"VERBOSITY=loud"}, -1, 0, 0, false},
        {{"ON_ERROR_STOP=maybe"}, -1, 0, 0, false},
        {{"show_context=never"}, -1, 0, 0, false},
        {{"SHOW_CONTEXT"}, -1, 0, 0, false},
    };

    return cr_make_param_array(struct vars_case, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct vars_case *c, sqlexec, vars)
{
    struct sqlexec_vars v = SQLEXEC_VARS_INIT;
    const char *sets[3];
    size_t n = 0;

    while (n < 3 && c->sets[n][0]) {
        sets[n] = c->sets[n];
        n++;
    }
    cr_assert_eq(sqlexec_vars_set(&v, sets, n), c->rc, "%s", c->sets[0]);
    if (c->rc < 0)
        return;
    cr_assert_eq(v.verbosity, c->verbosity, "%s", c->sets[0]);
    cr_assert_eq(v.context, c->context, "%s", c->sets[0]);
    cr_assert_eq(v.on_error_stop, c->stop, "%s", c->sets[0]);
}
