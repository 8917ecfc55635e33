/*
 * test_sqlscan_refuse.c: the files the SQL splitter leaves to psql
 * (runner/sqlscan.h): each reason to refuse a file, and what only looks
 * like one (inside quotes, comments, dollar quotes, `::`); unterminated
 * quotes, dollar quotes and comments running to the end; and
 * sqlscan_line_at counting characters, not bytes.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "common/sqlscan.h"
#include "sqlscan_expect.h"

/* ---- files that need psql ---- */

Test(sqlscan_refuse, refuses_backslash_commands)
{
    expect_refused_str("\\set x 1\nSELECT 1;\n");
    expect_refused_str("SELECT 1;\n\\i other.sql\n");
    expect_refused_str("SELECT 1 \\gset\n");
    expect_refused_str("SELECT 1;\n\\echo done\n");
}

Test(sqlscan_refuse, refuses_psql_variables)
{
    expect_refused_str("SELECT :foo;");
    expect_refused_str("SELECT :'foo';");
    expect_refused_str("SELECT * FROM :\"foo\";");
    expect_refused_str("SELECT :{?foo};");
    expect_refused_str("SELECT 1;\nSELECT :x1;\n");
}

Test(sqlscan_refuse, refuses_copy_stdin_stdout)
{
    expect_refused_str("COPY t FROM STDIN;\n1\n\\.\n");
    expect_refused_str("COPY t FROM stdin");
    expect_refused_str("COPY t TO stdout;");
    expect_refused_str("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv);");
}

Test(sqlscan_refuse, refuses_standard_conforming_strings)
{
    expect_refused_str("SET standard_conforming_strings = off;\n"
                       "SELECT '\\';\n");
    expect_refused_str("SELECT current_setting('x');\n"
                       "SET STANDARD_CONFORMING_STRINGS TO on;");
}

Test(sqlscan_refuse, refuses_nul_byte)
{
    static const char text[] = "SELECT 1;\0SELECT 2;";

    expect_refused(text, sizeof(text) - 1);
    expect_refused("SELECT '\0';", 11);
}

Test(sqlscan_refuse, refusal_reasons_are_distinct)
{
    static const char *const texts[] = {
        "\\set x 1",
        "SELECT :x;",
        "COPY t FROM STDIN;",
        "SET standard_conforming_strings = on;",
    };
    const char *whys[5];
    struct sql_stmt *v;
    size_t n;

    for (size_t i = 0; i < 4; i++) {
        whys[i] = NULL;
        cr_assert_eq(
            sqlscan_split(texts[i], strlen(texts[i]), &v, &n, &whys[i]), -1);
        cr_assert_not_null(whys[i]);
    }
    whys[4] = NULL;
    cr_assert_eq(sqlscan_split("A\0B", 3, &v, &n, &whys[4]), -1);
    cr_assert_not_null(whys[4]);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = i + 1; j < 5; j++)
            cr_assert_str_neq(whys[i], whys[j]);
}

Test(sqlscan_refuse, backslash_and_colon_inside_quotes_or_comments_accepted)
{
    expect_split("SELECT 'C:\\dir', ':foo';", "SELECT 'C:\\dir', ':foo';",
                 NULL);
    expect_split("SELECT E'\\n:x';", "SELECT E'\\n:x';", NULL);
    expect_split("SELECT 1 AS \"a\\b:c\";", "SELECT 1 AS \"a\\b:c\";", NULL);
    expect_split("SELECT $$\\set :foo :'x'$$;", "SELECT $$\\set :foo :'x'$$;",
                 NULL);
    expect_split("SELECT $q$\\i f.sql$q$;", "SELECT $q$\\i f.sql$q$;", NULL);
    expect_split("-- \\set x 1 and :foo\nSELECT 1;", "SELECT 1;", NULL);
    expect_split("SELECT /* \\i x :'y' */ 1;", "SELECT /* \\i x :'y' */ 1;",
                 NULL);
    expect_split("SELECT 1 -- :foo \\g\n;", "SELECT 1 -- :foo \\g\n;", NULL);
}

Test(sqlscan_refuse, copy_words_inside_quotes_accepted)
{
    expect_split("SELECT 'COPY t FROM STDIN', \"stdout\";",
                 "SELECT 'COPY t FROM STDIN', \"stdout\";", NULL);
    /* A longer identifier that merely contains the word. */
    expect_split("SELECT stdin_count FROM t;", "SELECT stdin_count FROM t;",
                 NULL);
    /* COPY to or from a file is plain SQL. */
    expect_split("COPY t FROM '/tmp/x.csv';", "COPY t FROM '/tmp/x.csv';",
                 NULL);
}

Test(sqlscan_refuse, typecasts_accepted)
{
    expect_split("SELECT x::int FROM t; SELECT '1'::text::int;",
                 "SELECT x::int FROM t;", "SELECT '1'::text::int;", NULL);
    expect_split("SELECT 1 ::  int;", "SELECT 1 ::  int;", NULL);
}

Test(sqlscan_refuse, colon_not_followed_by_a_name_accepted)
{
    /* PL/pgSQL-style := and a bare colon are not variables. */
    expect_split("SELECT 1 := 2; SELECT ': ';", "SELECT 1 := 2;",
                 "SELECT ': ';", NULL);
    expect_split("SELECT a[1 : 2];", "SELECT a[1 : 2];", NULL);
}

/* ---- unterminated runs ---- */

Test(sqlscan_refuse, unterminated_quote_runs_to_the_end)
{
    expect_split("SELECT 1; SELECT 'abc; SELECT 2;\n", "SELECT 1;",
                 "SELECT 'abc; SELECT 2;\n", NULL);
    expect_split("SELECT \"abc; SELECT 2;", "SELECT \"abc; SELECT 2;", NULL);
    expect_split("SELECT E'\\'; SELECT 2;", "SELECT E'\\'; SELECT 2;", NULL);
}

Test(sqlscan_refuse, unterminated_dollar_quote_and_comment_run_to_the_end)
{
    expect_split("SELECT $$abc; SELECT 2;", "SELECT $$abc; SELECT 2;", NULL);
    expect_split("SELECT $t$abc; $$; SELECT 2;", "SELECT $t$abc; $$; SELECT 2;",
                 NULL);
    expect_split("SELECT 1 /* a /* b */ ; SELECT 2;",
                 "SELECT 1 /* a /* b */ ; SELECT 2;", NULL);
}

Test(sqlscan_refuse, unterminated_quote_hides_later_refusals)
{
    /* Inside the open quote, "\i" and ":x" are text, as in psql. */
    expect_split("SELECT 'x;\n\\i f.sql\nSELECT :x;",
                 "SELECT 'x;\n\\i f.sql\nSELECT :x;", NULL);
}

/* ---- where sqlscan once disagreed with psql 15 ---- */

/*
 * psql's "--" comment is {non_newline}* with non_newline [^\n\r], so a
 * bare carriage return ends it; checked against psql 15.18, which sends
 * "SELECT 1 -- c\r;" then "SELECT 2;".
 */
Test(sqlscan_refuse, line_comment_ends_at_carriage_return)
{
    expect_split("SELECT 1 -- c\r; SELECT 2;\n", "SELECT 1 -- c\r;",
                 "SELECT 2;", NULL);
    expect_split("-- x\rSELECT 1;\rSELECT 2;", "SELECT 1;", "SELECT 2;", NULL);
}

/*
 * A quoted GUC name changes the setting as well as the bare word does;
 * psql 15.18 then reads 'a\';b' as one string, so the file goes to psql.
 */
Test(sqlscan_refuse, refuses_set_config_of_standard_conforming_strings)
{
    expect_refused_str("SELECT set_config('standard_conforming_strings', "
                       "'off', false);\nSELECT 'a\\';b';\n");
}

/* psql 15 does not take \v for blank: the server gets it (and refuses). */
Test(sqlscan_refuse, vertical_tab_is_not_blank)
{
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok("\v SELECT 1;", &v), 1);
    cr_assert_eq(v[0].start, 0);
    free(v);
}

Test(sqlscan_refuse, refuses_quoted_standard_conforming_strings)
{
    expect_refused_str("SET \"standard_conforming_strings\" = off;\n"
                       "SELECT 'a\\';b';\n");
}

/* ---- sqlscan_line_at ---- */

Test(sqlscan_refuse, line_at_second_line_of_statement)
{
    /* The statement starts on line 3; position 12 is the 'x' on its
     * second line ("SELECT 1,\n x FROM t;"). */
    const char *text = "-- one\n\nSELECT 1,\n x FROM t;\nSELECT 2;\n";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 2);
    cr_assert_eq(v[0].line, 3);
    cr_assert_eq(text[v[0].start + 11], 'x');
    cr_assert_eq(sqlscan_line_at(text, &v[0], 12), 4);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 1), 3);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 9), 3);
    /* The newline itself still belongs to the first line. */
    cr_assert_eq(sqlscan_line_at(text, &v[0], 10), 3);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 11), 4);
    cr_assert_eq(v[1].line, 5);
    cr_assert_eq(sqlscan_line_at(text, &v[1], 1), 5);
    free(v);
}

Test(sqlscan_refuse, line_at_counts_characters_not_bytes)
{
    /* "é" is two bytes and "€" three; the server counts each as one
     * character.  Characters of the statement: S E L E C T _ ' é € ' ,
     * then the newline (13th), a blank (14th) and 'x' (15th).  In bytes
     * the newline is the 16th, so counting bytes would put positions 14
     * and 15 on the first line. */
    const char *text = "\nSELECT 'é€',\n x + 'z';";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 1);
    cr_assert_eq(v[0].line, 2);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 15), 3);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 14), 3);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 13), 2);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 12), 2);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 9), 2); /* the é */
    free(v);
}

Test(sqlscan_refuse, line_at_out_of_range_positions)
{
    const char *text = "SELECT 1,\n2,\n3;";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 1);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 0), 1);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 1000), 3);
    free(v);
}
