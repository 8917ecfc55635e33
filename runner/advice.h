/*
 * advice: what a run's results say about the way it was set up, for a
 * line of advice after the summary.
 *
 * Pure functions of the results, and advice_print(); thread-safe.
 */
#ifndef ISOTEST_ADVICE_H
#define ISOTEST_ADVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"
#include "reporters/result.h"

/*
 * Did every case that ran fail because a relation does not exist
 * (SQLSTATE 42P01, in its message, detail or captured output)?  With no
 * migrations folder, that is the likely cause.  False for no case.
 */
bool advice_all_missing_relation(const struct test_result *r, size_t n);

/*
 * After a run: the advice its results call for, a line each, on out.
 * migrations_dir: the run's migrations folder, NULL when none was found.
 */
void advice_print(FILE *out, const struct test_result *r, size_t n,
                  const char *migrations_dir);

/*
 * Before a run: a PGOPTIONS exported to isotest reaches no case unless
 * the options pass it on; say so on out.  Reads the environment.
 */
void advice_print_env(FILE *out, const struct run_options *o);

#endif
