/*
 * options: the command line of `isotest run` (and of `list`, which takes
 * the same selection options).
 *
 * options_parse() fills a struct run_options from argv without printing;
 * a bad option or value comes back as one line naming it (exit 2 in main).
 * Strings point into argv; the arrays are owned by the struct
 * (options_release()).
 */
#ifndef ISOTEST_OPTIONS_H
#define ISOTEST_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "isotest.h"

struct run_options {
    const char *db;
    const char *migrations;
    enum isotest_isolation mode;
    int jobs; /* 0: the number of online CPUs */
    const char *junit;
    const char *html; /* a timeline page */
    double timeout_s;
    const char **paths;
    size_t npaths;
    const char **extensions;
    size_t nextensions;
    const char **filters;
    size_t nfilters;
    bool keep_failed;
    bool fail_fast;
    const char *list_cmd;
    const char *each_cmd;
    size_t output_cap;
    bool no_cache;
    const char *clone_strategy;
    const char *history;      /* NULL: SUITE/.isotest-history */
    bool no_history;
    bool always_psql;
    int pool; /* -1: the job count */
    const char *compare_with; /* a previous JUnit report */
    bool help;
};

/*
 * argv[0] is the subcommand ("run").  Returns 0, or -1 with e naming the
 * option and value at fault.
 */
int options_parse(int argc, char **argv, struct run_options *o,
                  struct isotest_err *e);
void options_release(struct run_options *o);

/*
 * Match argv[*i] against an option that takes a value: "--name value",
 * "--name=value" and, with a short form, "-j value" or "-jvalue".
 * Returns 1 with *val set (and *i past the value), 0 when it is another
 * argument, -1 with e set when the value is missing.
 */
int options_take(int argc, char **argv, int *i, const char *lng,
                 const char *shrt, const char **val, struct isotest_err *e);

/* Strict integer and number parsing (whole string, in range). */
int options_int(const char *opt, const char *s, long min, long max,
                long *out, struct isotest_err *e);
int options_seconds(const char *opt, const char *s, double *out,
                    struct isotest_err *e);

extern const char options_run_usage[];

#endif
