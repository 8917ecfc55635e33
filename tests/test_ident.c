/*
 * test_ident.c: naming rules (isolation/ident.h).
 *
 * Covers: ident_valid (table: length limits, case, leading digit, quotes,
 * spaces, semicolons, non-ASCII), run ids (new, valid, distinct, lock key),
 * ident_sandbox/ident_run_object output and rejection, the round trip
 * through the SQL patterns of ident_run_regex/ident_template_regex (table:
 * sandboxes accepted, templates and malformed names rejected), and ident_quote
 * refusing before any libpq call.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <regex.h>
#include <stdlib.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "isolation/ident.h"

#define A10 "aaaaaaaaaa"
#define A60 A10 A10 A10 A10 A10 A10

/* Strings live in the struct: parameters are copied between processes. */
struct valid_case {
    char name[80];
    bool valid;
};

ParameterizedTestParameters(ident, valid)
{
    static struct valid_case cases[] = {
        {"a", true},
        {"_", true},
        {"abc_123", true},
        {"isotest_deadbeef_1", true},
        {A60 "aaa", true},   /* 63 bytes: NAMEDATALEN - 1 */
        {A60 "aaaa", false}, /* 64 bytes */
        {"", false},
        {"Abc", false},
        {"abC", false},
        {"1abc", false},
        {"9", false},
        {"a-b", false},
        {"a b", false},
        {" a", false},
        {"a;b", false},
        {"a\"b", false},
        {"a'b", false},
        {"a.b", false},
        {"a$b", false},
        {"a\nb", false},
        {"caf\xc3\xa9", false},
        {"\xe6\x97\xa5\xe6\x9c\xac", false},
    };

    return cr_make_param_array(struct valid_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct valid_case *c, ident, valid)
{
    cr_assert_eq(ident_valid(c->name), c->valid, "ident_valid(\"%s\")",
                 c->name);
}

Test(ident, runid_new_is_valid_lower_hex_and_differs)
{
    char a[IDENT_RUNID_LEN + 1], b[IDENT_RUNID_LEN + 1];
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(ident_runid_new(a, &e), 0);
    cr_assert_eq(ident_runid_new(b, &e), 0);
    cr_assert_null(e.msg);
    cr_assert_eq(strlen(a), IDENT_RUNID_LEN);
    cr_assert_eq(strspn(a, "0123456789abcdef"), IDENT_RUNID_LEN, "%s", a);
    cr_assert(ident_runid_valid(a));
    cr_assert(ident_runid_valid(b));
    cr_assert_str_neq(a, b, "two run ids in a row must differ");
}

struct runid_case {
    char runid[16];
    bool valid;
};

ParameterizedTestParameters(ident, runid_valid)
{
    static struct runid_case cases[] = {
        {"0123abcd", true},  {"deadbeef", true}, {"00000000", true},
        {"0123ABCD", false}, {"0123abc", false}, {"0123abcde", false},
        {"0123abcg", false}, {"", false},        {"dead beef", false},
    };

    return cr_make_param_array(struct runid_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct runid_case *c, ident, runid_valid)
{
    cr_assert_eq(ident_runid_valid(c->runid), c->valid,
                 "ident_runid_valid(\"%s\")", c->runid);
}

Test(ident, runid_key_is_the_hex_value)
{
    cr_assert_eq(ident_runid_key("00000000"), 0);
    cr_assert_eq(ident_runid_key("0000000a"), 10);
    cr_assert_eq(ident_runid_key("00000100"), 256);
    cr_assert_eq(ident_runid_key("7fffffff"), INT32_MAX);
    cr_assert_eq(ident_runid_key("ffffffff"), -1);
    cr_assert_eq(ident_runid_key("deadbeef"), (int32_t)0xdeadbeefu);
    cr_assert_neq(ident_runid_key("deadbeef"), ident_runid_key("deadbeee"));
}

Test(ident, sandbox_names)
{
    char out[IDENT_BUFSZ];
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(ident_sandbox(out, "deadbeef", 7, &e), 0);
    cr_assert_str_eq(out, "isotest_deadbeef_7");
    cr_assert_eq(ident_sandbox(out, "0123abcd", 0, &e), 0);
    cr_assert_str_eq(out, "isotest_0123abcd_0");
    cr_assert_eq(ident_sandbox(out, "deadbeef", UINT_MAX, &e), 0);
    cr_assert_str_eq(out, "isotest_deadbeef_4294967295");
    cr_assert(ident_valid(out));
    cr_assert_null(e.msg);
}

Test(ident, run_object_names)
{
    static const char *const suffixes[] = {"schemas", "shared", "tplbuild"};
    char out[IDENT_BUFSZ], want[IDENT_BUFSZ];
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(*suffixes); i++) {
        snprintf(want, sizeof(want), "isotest_deadbeef_%s", suffixes[i]);
        cr_assert_eq(ident_run_object(out, "deadbeef", suffixes[i], &e), 0);
        cr_assert_str_eq(out, want);
    }
    cr_assert_null(e.msg);
}

Test(ident, run_object_length_limit)
{
    /* "isotest_deadbeef_" is 17 bytes: 46 more make 63, 47 make 64. */
    char out[IDENT_BUFSZ];
    char s46[47], s47[48];
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(s46, 'x', 46);
    s46[46] = '\0';
    memset(s47, 'x', 47);
    s47[47] = '\0';
    cr_assert_eq(ident_run_object(out, "deadbeef", s46, &e), 0);
    cr_assert_eq(strlen(out), IDENT_MAX);
    cr_assert_eq(ident_run_object(out, "deadbeef", s47, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, s47), "message names it: %s", e.msg);
    isotest_err_release(&e);
}

Test(ident, run_object_rejects_bad_input)
{
    char out[IDENT_BUFSZ];
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(ident_run_object(out, "DEADBEEF", "1", &e), -1);
    cr_assert_not_null(strstr(e.msg, "DEADBEEF"), "%s", e.msg);
    cr_assert_eq(ident_sandbox(out, "dead", 1, &e), -1);
    cr_assert_not_null(strstr(e.msg, "'dead'"), "%s", e.msg);
    cr_assert_eq(ident_run_object(out, "deadbeef", "x; DROP", &e), -1);
    cr_assert_not_null(strstr(e.msg, "x; DROP"), "%s", e.msg);
    cr_assert_eq(ident_run_object(out, "deadbeef", "Upper", &e), -1);
    cr_assert_eq(ident_run_object(out, "deadbeef", "a\"b", &e), -1);
    isotest_err_release(&e);
}

struct parse_case {
    char name[80];
    bool is_run_object;
    char runid[IDENT_RUNID_LEN + 1];
};

ParameterizedTestParameters(ident, parse_run_object)
{
    static struct parse_case cases[] = {
        {"isotest_deadbeef_1", true, "deadbeef"},
        {"isotest_0123abcd_4294967295", true, "0123abcd"},
        {"isotest_deadbeef_schemas", true, "deadbeef"},
        {"isotest_deadbeef_shared", true, "deadbeef"},
        {"isotest_deadbeef_tplbuild", true, "deadbeef"},
        {"isotest_tpl_0123456789abcdef", false, ""},
        {"isotest_tpl_deadbeef", false, ""},
        {"isotest_deadbeef", false, ""},
        {"isotest_deadbeef_", false, ""},
        {"isotest_deadbee_1", false, ""},
        {"isotest_deadbeefa_1", false, ""},
        {"isotest_DEADBEEF_1", false, ""},
        {"isotest_dead", false, ""},
        {"isotest_", false, ""},
        {"isotest", false, ""},
        {"", false, ""},
        {"xisotest_deadbeef_1", false, ""},
        {"other_deadbeef_1", false, ""},
        {"isotest_deadbeef_1; drop", false, ""},
        {"postgres", false, ""},
    };

    return cr_make_param_array(struct parse_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/*
 * The SQL pattern reclaim and the sweep use (POSIX ERE, which PostgreSQL's
 * ~ reads the same way for these patterns), and the run id that
 * IDENT_RUNID_SQL's substr() would take out.
 */
static bool regex_match(const char *pattern, const char *s)
{
    regex_t re;

    cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0, "%s",
                 pattern);
    bool hit = regexec(&re, s, 0, NULL, 0) == 0;
    regfree(&re);
    return hit;
}

ParameterizedTest(struct parse_case *c, ident, parse_run_object)
{
    char *any = ident_run_regex(NULL);

    cr_assert_eq(regex_match(any, c->name), c->is_run_object, "'%s' ~ '%s'",
                 c->name, any);
    if (c->is_run_object) {
        int pos = atoi(IDENT_RUNID_POS_STR) - 1;
        cr_assert_eq(strncmp(c->name + pos, c->runid, IDENT_RUNID_LEN), 0);
        char *one = ident_run_regex(c->runid);
        cr_assert(regex_match(one, c->name), "%s", one);
        free(one);
        one = ident_run_regex("00000000");
        cr_assert_not(regex_match(one, c->name));
        free(one);
    }
    char *tpl = ident_template_regex();
    cr_assert_eq(regex_match(tpl, c->name),
                 !strcmp(c->name, "isotest_tpl_0123456789abcdef"), "%s",
                 c->name);
    free(tpl);
    free(any);
}

Test(ident, sandbox_names_match_their_runs_pattern)
{
    char runid[IDENT_RUNID_LEN + 1];
    char name[IDENT_BUFSZ];
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(ident_runid_new(runid, &e), 0);
    char *one = ident_run_regex(runid), *any = ident_run_regex(NULL);
    for (unsigned n = 0; n < 1000; n += 97) {
        cr_assert_eq(ident_sandbox(name, runid, n, &e), 0);
        cr_assert(regex_match(one, name), "%s", name);
        cr_assert(regex_match(any, name), "%s", name);
    }
    cr_assert_eq(ident_run_object(name, runid, "schemas", &e), 0);
    cr_assert(regex_match(one, name));
    free(one);
    free(any);
}

Test(ident, quote_refuses_invalid_names_before_libpq)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    /* No connection is needed to refuse: the check comes first. */
    cr_assert_null(ident_quote(NULL, "Robert'); DROP TABLE students;--", &e));
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, "Robert'); DROP TABLE students;--"), "%s",
                       e.msg);
    cr_assert_null(ident_quote(NULL, "", &e));
    isotest_err_release(&e);
}
