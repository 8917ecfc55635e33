/*
 * test_conninfo.c: isotest_conninfo_check()'s message for a bad --db
 * value (isolation/target.c): libpq's own words naming the problem, the
 * value quoted with every password masked, never the password itself
 * (table: key=value and URL forms, quoted and unquoted passwords, a
 * password that is itself the problem).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <string.h>

#include "isotest.h"

struct bad_db {
    char value[64];
    char want[96]; /* in the message */
    char secret[16];
};

ParameterizedTestParameters(conninfo, bad_value_message)
{
    static struct bad_db cases[] = {
        {"not a url ===",
         "value 'not a url ===': missing \"=\" after \"not\" in connection",
         ""},
        {"host=a bogus=b", "invalid connection option \"bogus\"", ""},
        {"host='x", "unterminated quoted string", ""},
        {"password=s3cr1t host='x",
         "'password=*** host='x': unterminated quoted string", "s3cr1t"},
        {"password='s3 cr1t' nope",
         "'password=*** nope': missing \"=\" after \"nope\"", "s3"},
        {"host=x password=s3 cr1t", "cannot read its password", "cr1t"},
        {"postgresql://u:s3cr1t@h/db?bogus=1",
         "'postgresql://u:***@h/db?bogus=1': invalid URI query parameter: "
         "\"bogus\"",
         "s3cr1t"},
        {"postgres://u:s3cr1t@[::1/db", "'postgres://u:***@[::1/db': end of",
         "s3cr1t"},
        {"postgresql://u:s3%zz@h/db", "cannot read its password", "s3"},
        {"postgresql://h/db?password=s3cr1t&x=%zz",
         "password=***&x=%zz': invalid percent-encoded token", "s3cr1t"},
    };

    return cr_make_param_array(struct bad_db, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct bad_db *c, conninfo, bad_value_message)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(isotest_conninfo_check(c->value, &e), -1, "%s", c->value);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, c->want), "'%s': %s", c->value, e.msg);
    if (c->secret[0])
        cr_assert_null(strstr(e.msg, c->secret), "password shown: %s", e.msg);
    cr_assert_not_null(e.hint);
    isotest_err_release(&e);
}

Test(conninfo, good_values_pass)
{
    static const char *const good[] = {
        "host=/tmp port=5432", "postgresql://u:p@h:5/db?sslmode=disable",
        "password='a b' host=x", ""};
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
        cr_assert_eq(isotest_conninfo_check(good[i], &e), 0, "%s: %s", good[i],
                     e.msg);
}
