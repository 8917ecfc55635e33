/*
 * test_migrate.c: migration ordering, loading and SQL splitting
 * (isolation/migrate.h).  Nothing here needs a server.
 *
 * Covers: migrate_version_cmp against `ls -v` (table; antisymmetric),
 * migrate_load on a temporary folder (what it ignores, order, contents,
 * errors naming the folder or file), migrate_line_of counting characters
 * not bytes (table), and migrate_split with every kind of quoting and
 * comment a semicolon can hide in (table).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "isolation/migrate.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-migrate-XXXXXX")

static void put(const char *name, const char *text, size_t len)
{
    char *path = xasprintf("%s/%s", tmp, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    free(path);
}

static void put_str(const char *name, const char *text)
{
    put(name, text, strlen(text));
}

/* Version order: expected sign of cmp(a, b), checked both ways. */
struct cmp_case {
    char a[48];
    char b[48];
    int sign;
};

ParameterizedTestParameters(migrate, version_cmp)
{
    /* Each pair agrees with `LC_ALL=C ls -v`. */
    static struct cmp_case cases[] = {
        {"2_x.sql", "10_y.sql", -1},
        {"9_reviews.sql", "10_reporting.sql", -1},
        {"10_reporting.sql", "11_settings.sql", -1},
        {"008_audit.sql", "9_reviews.sql", -1},
        {"001_a.sql", "1_b.sql", -1}, /* equal numbers, then the text */
        {"001_b.sql", "1_a.sql", 1},
        {"1_a.sql", "1_a.sql", 0},
        {"00_y.sql", "0_z.sql", -1},
        {"V1__a.sql", "V1_1__b.sql", 1}, /* '_' sorts after a digit */
        {"V2__a.sql", "V10__b.sql", -1},
        {"1.sql", "1_a.sql", -1},
        {"1_a.sql", "1_a_b.sql", -1},
        {"20231231_b.sql", "20240101_a.sql", -1},
        /* Longer than any integer type: compared by digit count. */
        {"99999999999999999999_a.sql", "100000000000000000000_b.sql", -1},
        {"a.sql", "b.sql", -1},
        {"1", "1_a", -1},
        {"", "a", -1},
        {"", "", 0},
    };

    return cr_make_param_array(struct cmp_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

ParameterizedTest(struct cmp_case *c, migrate, version_cmp)
{
    cr_assert_eq(sign(migrate_version_cmp(c->a, c->b)), c->sign,
                 "cmp(\"%s\", \"%s\")", c->a, c->b);
    cr_assert_eq(sign(migrate_version_cmp(c->b, c->a)), -c->sign,
                 "cmp(\"%s\", \"%s\")", c->b, c->a);
}

Test(migrate, load_orders_and_ignores, .init = make_tmp, .fini = remove_tmp)
{
    static const char *const want[] = {"001_a.sql", "1_a.sql", "1_b.sql",
                                       "2_x.sql", "10_y.sql"};
    struct migrate_set ms;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *sub = xasprintf("%s/4_folder.sql", tmp);

    put_str("10_y.sql", "SELECT 10;\n");
    put_str("2_x.sql", "SELECT 2;\n");
    put_str("1_b.sql", "SELECT '1b';\n");
    put_str("001_a.sql", "SELECT '001a';\n");
    put_str("1_a.sql", "SELECT '1a';\n");
    put_str("2_x.down.sql", "DROP everything;\n");
    put_str("notes.txt", "not a migration\n");
    put_str("README", "readme\n");
    put_str(".hidden.sql", "SELECT 'hidden';\n");
    put_str("3_backup.sql~", "editor backup\n");
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(sub);

    cr_assert_eq(migrate_load(&ms, tmp, &e), 0, "%s", e.msg);
    cr_assert_str_eq(ms.dir, tmp);
    cr_assert_eq(ms.n, 5);
    for (size_t i = 0; i < ms.n; i++) {
        char *path = xasprintf("%s/%s", tmp, want[i]);
        cr_assert_str_eq(ms.v[i].name, want[i], "position %zu", i);
        cr_assert_str_eq(ms.v[i].path, path);
        cr_assert_eq(ms.v[i].len, strlen(ms.v[i].sql));
        free(path);
    }
    cr_assert_str_eq(ms.v[0].sql, "SELECT '001a';\n");
    cr_assert_str_eq(ms.v[4].sql, "SELECT 10;\n");
    migrate_release(&ms);
    cr_assert_eq(ms.n, 0);
    cr_assert_null(ms.v);
}

Test(migrate, load_missing_folder_names_it)
{
    struct migrate_set ms;
    struct isotest_err e = ISOTEST_ERR_INIT;
    const char *dir = "/tmp/isotest-no-such-migrations-folder";

    cr_assert_eq(migrate_load(&ms, dir, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, dir), "%s", e.msg);
    cr_assert_eq(ms.n, 0);
    migrate_release(&ms);
    isotest_err_release(&e);
}

Test(migrate, load_folder_without_sql_names_it, .init = make_tmp,
     .fini = remove_tmp)
{
    struct migrate_set ms;
    struct isotest_err e = ISOTEST_ERR_INIT;

    put_str("1_a.down.sql", "DROP TABLE a;\n");
    put_str("notes.txt", "nothing\n");
    put_str(".2_b.sql", "SELECT 1;\n");
    cr_assert_eq(migrate_load(&ms, tmp, &e), -1);
    cr_assert_not_null(e.msg);
    cr_assert_not_null(strstr(e.msg, tmp), "%s", e.msg);
    cr_assert_not_null(strstr(e.msg, ".sql"), "%s", e.msg);
    cr_assert_eq(ms.n, 0);
    migrate_release(&ms);
    isotest_err_release(&e);
}

Test(migrate, load_rejects_nul_byte_naming_the_file, .init = make_tmp,
     .fini = remove_tmp)
{
    struct migrate_set ms;
    struct isotest_err e = ISOTEST_ERR_INIT;

    put_str("1_ok.sql", "SELECT 1;\n");
    put("2_bad.sql", "SELECT\0 1;\n", 11);
    cr_assert_eq(migrate_load(&ms, tmp, &e), -1);
    cr_assert_not_null(strstr(e.msg, "2_bad.sql"), "%s", e.msg);
    isotest_err_release(&e);
}

struct line_case {
    char text[48];
    long pos;
    int line;
};

ParameterizedTestParameters(migrate, line_of)
{
    static struct line_case cases[] = {
        {"SELECT 1", 1, 1},
        {"SELECT 1", 8, 1},
        {"a\nb", 2, 1}, /* the newline itself ends line 1 */
        {"a\nb", 3, 2},
        {"a\n\n\nb", 5, 4},
        /* é is 2 bytes, one character: character 3 is 'x' on line 2. */
        {"\xc3\xa9\nx", 3, 2},
        /* Counting bytes would put position 5 inside line 1. */
        {"\xc3\xa9\xc3\xa9\xc3\xa9\nx", 5, 2},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\nx", 4, 1},
        /* 日本 (3 bytes each), newline, 語, newline, x: x is character 6. */
        {"\xe6\x97\xa5\xe6\x9c\xac\n\xe8\xaa\x9e\nx", 6, 3},
        {"\xe6\x97\xa5\xe6\x9c\xac\n\xe8\xaa\x9e\nx", 4, 2},
        /* 4-byte emoji before the position. */
        {"\xf0\x9f\x98\x80\n\xf0\x9f\x98\x80\nSELECT", 5, 3},
        {"-- caf\xc3\xa9\nSELECT nope;", 11, 2},
    };

    return cr_make_param_array(struct line_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct line_case *c, migrate, line_of)
{
    cr_assert_eq(migrate_line_of(c->text, strlen(c->text), c->pos), c->line,
                 "line of position %ld in \"%s\"", c->pos, c->text);
}

/*
 * A script and the statements migrate_split must find in it, each given
 * by how it begins (so the table stays readable).
 */
struct split_case {
    char sql[160];
    size_t n;
    char starts[3][40];
};

ParameterizedTestParameters(migrate, split)
{
    static struct split_case cases[] = {
        {"SELECT 1; SELECT 2;", 2, {"SELECT 1;", "SELECT 2;"}},
        {"SELECT 1;SELECT 2;SELECT 3", 3, {"SELECT 1", "SELECT 2", "SELECT 3"}},
        {"SELECT 'a;b'; SELECT 2", 2, {"SELECT 'a;b';", "SELECT 2"}},
        {"SELECT 'it''s;'; SELECT 2", 2, {"SELECT 'it''s;';", "SELECT 2"}},
        {"SELECT E'\\';'; SELECT 2", 2, {"SELECT E'\\';';", "SELECT 2"}},
        {"SELECT e'\\\\'; SELECT 2", 2, {"SELECT e'\\\\';", "SELECT 2"}},
        {"SELECT 'a\\'; SELECT 2", 2, {"SELECT 'a\\';", "SELECT 2"}},
        {"SELECT \"a;b\" FROM t; SELECT 2", 2, {"SELECT \"a;b\"", "SELECT 2"}},
        {"SELECT \"a\"\";b\"; SELECT 2",
         2,
         {"SELECT \"a\"\";b\";", "SELECT 2"}},
        {"SELECT $$;$$; SELECT 2", 2, {"SELECT $$;$$;", "SELECT 2"}},
        {"CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; "
         "$body$ LANGUAGE plpgsql; SELECT 2",
         2,
         {"CREATE FUNCTION", "SELECT 2"}},
        {"SELECT $a$ $$ ; $$ $a$; SELECT 2", 2, {"SELECT $a$", "SELECT 2"}},
        {"SELECT $1; SELECT 2", 2, {"SELECT $1;", "SELECT 2"}},
        {"SELECT 1 -- not; here\n; SELECT 2", 2, {"SELECT 1 --", "SELECT 2"}},
        {"-- header; comment\nSELECT 1; SELECT 2",
         2,
         {"SELECT 1;", "SELECT 2"}},
        {"/* a; /* nested; */ still; */ SELECT 1; SELECT 2",
         2,
         {"SELECT 1;", "SELECT 2"}},
        {"SELECT 1 /* x; /* y; */ z; */; SELECT 2",
         2,
         {"SELECT 1 /*", "SELECT 2"}},
        {"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); "
         "INSERT INTO b VALUES (2)); SELECT 2",
         2,
         {"CREATE RULE", "SELECT 2"}},
        {"SELECT 1;\n\n-- trailing comment\n", 1, {"SELECT 1;"}},
        {"", 0, {""}},
        {"  \n-- only a comment\n/* and; another */\n", 0, {""}},
        /* Unterminated constructs end the scan without a crash. */
        {"SELECT 'abc; SELECT 2", 1, {"SELECT 'abc"}},
        {"SELECT $$abc; SELECT 2", 1, {"SELECT $$abc"}},
        {"SELECT 1; /* abc; def", 1, {"SELECT 1;"}},
        {"SELECT E'\\", 1, {"SELECT E'\\"}},
    };

    return cr_make_param_array(struct split_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct split_case *c, migrate, split)
{
    size_t *starts = NULL;
    size_t len = strlen(c->sql);
    size_t n = migrate_split(c->sql, len, &starts);

    cr_assert_not_null(starts);
    cr_expect_eq(n, c->n, "statements in \"%s\": got %zu", c->sql, n);
    for (size_t i = 0; i < n && i < c->n; i++) {
        cr_assert_lt(starts[i], len);
        cr_expect_eq(
            strncmp(c->sql + starts[i], c->starts[i], strlen(c->starts[i])), 0,
            "statement %zu of \"%s\" starts at \"%s\"", i, c->sql,
            c->sql + starts[i]);
    }
    free(starts);
}

Test(migrate, split_many_statements)
{
    struct strbuf sb = STRBUF_INIT;
    size_t *starts;

    for (int i = 0; i < 100; i++)
        strbuf_addstr(&sb, "SELECT 1;");
    size_t n = migrate_split(sb.buf, sb.len, &starts);
    cr_assert_eq(n, 100);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(starts[i], 9 * i);
    free(starts);
    strbuf_release(&sb);
}
