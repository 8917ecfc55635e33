/*
 * test_extscan.c: CREATE EXTENSION / CREATE SCHEMA in migrations
 * (isolation/extscan.h).
 *
 * Covers: what extscan_find sees (table: keywords in any case, IF NOT
 * EXISTS, quoted and folded names, comments between tokens, statements in
 * strings, dollar quotes and comments ignored, CREATE SCHEMA AUTHORIZATION
 * and schema elements), extscan_rerunnable's text (lines kept), and
 * extscan_creates_extension over a set.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "isolation/extscan.h"

/* Strings live in the struct: parameters are copied between processes. */
struct find_case {
    char sql[160];
    size_t n;
    int kind; /* of the first */
    char name[32];
    bool ine;
    bool rerunnable;
};

ParameterizedTestParameters(extscan, find)
{
    static struct find_case cases[] = {
        {"CREATE EXTENSION pgtap;", 1, EXTSCAN_EXTENSION, "pgtap", false, true},
        {"create extension if not exists \"uuid-ossp\" schema x;", 1,
         EXTSCAN_EXTENSION, "uuid-ossp", true, true},
        {"-- c\nCREATE /* a /* nested */ b */ EXTENSION Citext SCHEMA x", 1,
         EXTSCAN_EXTENSION, "citext", false, true},
        {"CREATE SCHEMA x;", 1, EXTSCAN_SCHEMA, "x", false, true},
        {"CREATE SCHEMA \"A\"\"b\";", 1, EXTSCAN_SCHEMA, "A\"b", false, true},
        {"CREATE SCHEMA x CREATE TABLE t (a int);", 1, EXTSCAN_SCHEMA, "x",
         false, false},
        {"CREATE SCHEMA AUTHORIZATION bob;", 0, 0, "", false, false},
        {"CREATE TABLE extension (a int);", 0, 0, "", false, false},
        {"SELECT 'CREATE EXTENSION pgtap;';", 0, 0, "", false, false},
        {"DO $$ BEGIN CREATE EXTENSION pgtap; END $$;", 0, 0, "", false, false},
        {"/* CREATE EXTENSION pgtap; */ SELECT 1;", 0, 0, "", false, false},
        {"SELECT 1; CREATE EXTENSION hstore; CREATE SCHEMA y;", 2,
         EXTSCAN_EXTENSION, "hstore", false, true},
    };
    return cr_make_param_array(struct find_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct find_case *c, extscan, find)
{
    struct extscan_create *v;
    size_t n = extscan_find(c->sql, strlen(c->sql), &v);

    cr_assert_eq(n, c->n, "%s: %zu found", c->sql, n);
    if (n) {
        cr_expect_eq((int)v[0].kind, c->kind, "%s", c->sql);
        cr_expect_str_eq(v[0].name, c->name, "%s", c->sql);
        cr_expect_eq(v[0].if_not_exists, c->ine, "%s", c->sql);
        cr_expect_eq(v[0].rerunnable, c->rerunnable, "%s", c->sql);
    }
    extscan_free(v, n);
}

Test(extscan, rerunnable_adds_if_not_exists_and_keeps_lines)
{
    const char *in = "CREATE EXTENSION pgtap;\n"
                     "CREATE SCHEMA x;\n"
                     "create extension if not exists hstore;\n"
                     "CREATE SCHEMA y CREATE TABLE t (a int);\n"
                     "CREATE\n  EXTENSION citext SCHEMA x;\n";
    const char *want = "CREATE EXTENSION IF NOT EXISTS pgtap;\n"
                       "CREATE SCHEMA IF NOT EXISTS x;\n"
                       "create extension if not exists hstore;\n"
                       "CREATE SCHEMA y CREATE TABLE t (a int);\n"
                       "CREATE\n  EXTENSION IF NOT EXISTS citext SCHEMA x;\n";
    size_t len;
    char *out = extscan_rerunnable(in, strlen(in), &len);

    cr_assert_str_eq(out, want);
    cr_expect_eq(len, strlen(want));
    free(out);
}

Test(extscan, set_copy_and_creates_extension)
{
    struct migration m[2] = {
        {"m/1_a.sql", "1_a.sql", "CREATE TABLE t (a int);", 23},
        {"m/2_b.sql", "2_b.sql",
         "CREATE EXTENSION \"PgTap\"; CREATE "
         "EXTENSION pgtap;",
         0}};
    struct migrate_set in = {m, 2, "m"}, out;

    m[1].len = strlen(m[1].sql);
    cr_expect(extscan_creates_extension(&in, "pgtap"));
    cr_expect(extscan_creates_extension(&in, "PgTap"));
    cr_expect_not(extscan_creates_extension(&in, "hstore"));
    cr_expect_not(extscan_creates_extension(NULL, "pgtap"));
    extscan_rerunnable_set(&in, &out);
    cr_assert_eq(out.n, 2);
    cr_expect_str_eq(out.v[0].sql, m[0].sql);
    cr_expect_str_eq(out.v[1].path, "m/2_b.sql");
    cr_expect_str_eq(out.v[1].sql, "CREATE EXTENSION IF NOT EXISTS \"PgTap\"; "
                                   "CREATE EXTENSION IF NOT EXISTS pgtap;");
    migrate_release(&out);
}
