/*
 * test_schema_cache.c: the names of schema mode's cache
 * (isolation/schema_cache.h).
 *
 * Covers: the cache's name is a valid identifier carrying the template's
 * hash prefix and the cache size; neither ident_template_regex() (so
 * template_prune() does not take it for a template) nor ident_run_regex()
 * (so reclaim does not take it for a dead run's object) matches it; the
 * prepared schemas' names are valid, distinct, and no run's sandboxes.
 */
#include <criterion/criterion.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isolation/ident.h"
#include "isolation/schema_cache.h"

#define HASH "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static bool matches(char *pattern, const char *name)
{
    regex_t re;

    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    bool m = regexec(&re, name, 0, NULL, 0) == 0;
    regfree(&re);
    free(pattern);
    return m;
}

Test(schema_cache, cache_name)
{
    char name[IDENT_BUFSZ], want[IDENT_BUFSZ];

    schema_cache_name(name, HASH);
    snprintf(want, sizeof(want), "isotest_tpl_0123456789abcdef_s%u",
             SCHEMA_CACHE_SIZE);
    cr_assert_str_eq(name, want);
    cr_assert(ident_valid(name));
    cr_assert_not(matches(ident_template_regex(), name));
    cr_assert_not(matches(ident_run_regex(NULL), name));
    /* The template it belongs to is one. */
    cr_assert(matches(ident_template_regex(), "isotest_tpl_0123456789abcdef"));
}

Test(schema_cache, prepared_schema_names)
{
    char a[IDENT_BUFSZ], b[IDENT_BUFSZ];

    schema_cache_prep_name(a, 1);
    schema_cache_prep_name(b, SCHEMA_CACHE_SIZE);
    cr_assert_str_eq(a, "isotest_prep_1");
    cr_assert(ident_valid(a) && ident_valid(b));
    cr_assert_str_neq(a, b);
    cr_assert_not(matches(ident_run_regex(NULL), a));
    cr_assert_not(matches(ident_run_regex(NULL), b));
}
