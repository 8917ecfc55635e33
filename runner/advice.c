/*
 * advice.c: reading the results for advice.
 */
#include "advice.h"

#include <stdlib.h>
#include <string.h>

static bool has(const char *text, size_t len, const char *needle)
{
    size_t n = strlen(needle);

    for (size_t i = 0; text && i + n <= len; i++)
        if (!memcmp(text + i, needle, n))
            return true;
    return false;
}

/* psql's and libpq's words for 42P01, or isotest's (pgerr.h). */
static bool missing_relation(const char *text, size_t len)
{
    return has(text, len, "(SQLSTATE 42P01)") || has(text, len, "42P01:") ||
           (has(text, len, "relation \"") && has(text, len, "does not exist"));
}

static bool missing_in(const struct test_result *r)
{
    return (r->message && missing_relation(r->message, strlen(r->message))) ||
           (r->detail && missing_relation(r->detail, strlen(r->detail))) ||
           missing_relation(r->out.data, r->out.len) ||
           missing_relation(r->err.data, r->err.len);
}

bool advice_all_missing_relation(const struct test_result *r, size_t n)
{
    size_t seen = 0;

    for (size_t i = 0; i < n; i++) {
        if (!result_ran(&r[i]))
            continue;
        if (!outcome_is_failure(r[i].outcome) || !missing_in(&r[i]))
            return false;
        seen++;
    }
    return seen > 0;
}

void advice_print(FILE *out, const struct test_result *r, size_t n,
                  const char *migrations_dir)
{
    if (!migrations_dir && advice_all_missing_relation(r, n))
        fputs("isotest: note: every case failed with 'relation ... does not "
              "exist', and no migrations folder was found: pass "
              "--migrations DIR\n",
              out);
}

void advice_print_env(FILE *out, const struct run_options *o)
{
    const char *v = getenv("PGOPTIONS");

    if (!v || !*v)
        return;
    for (size_t i = 0; i < o->npass_envs; i++)
        if (!strcmp(o->pass_envs[i], "PGOPTIONS"))
            return;
    for (size_t i = 0; i < o->nenvs; i++)
        if (!strncmp(o->envs[i], "PGOPTIONS=", 10))
            return;
    fputs("isotest: note: the PGOPTIONS isotest was given applies to its own "
          "connections, not to the cases: pass it on with --pass-env "
          "PGOPTIONS\n",
          out);
}
