/*
 * test_sqlscan.c: splitting a SQL file into the statements psql would
 * send, or refusing it (runner/sqlscan.h).  Nothing here needs a server.
 *
 * Covers: statement offsets and 1-based start lines (blanks and comments
 * before a start skipped), a last statement without a semicolon, every
 * kind of quoting, comment and nesting a semicolon can hide in, $n
 * parameters and identifiers containing '$', psql 15's BEGIN ATOMIC
 * heuristic (with CASE ... END, OR REPLACE, PROCEDURE; not a plain BEGIN
 * transaction) and empty files.  Refusals, unterminated runs and
 * sqlscan_line_at: test_sqlscan_refuse.c.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "common/sqlscan.h"

#include "sqlscan_expect.h"

/* ---- boundaries, offsets and lines ---- */

Test(sqlscan, simple_split_offsets_and_lines)
{
    const char *text = "SELECT 1;\n"    /* [0, 9), line 1 */
                       "\n"             /* line 2 */
                       "-- a comment\n" /* line 3 */
                       "  SELECT 2 ;\n" /* starts at 26, line 4 */
                       "/* block\n"     /* line 5 */
                       "   comment */ " /* line 6 */
                       "INSERT INTO t VALUES (1);  \n";
    struct sql_stmt *v = NULL;
    size_t n = split_ok(text, &v);
    size_t second = strstr(text, "SELECT 2") - text;
    size_t third = strstr(text, "INSERT") - text;

    cr_assert_eq(n, 3);
    cr_assert_eq(v[0].start, 0);
    cr_assert_eq(v[0].end, 9);
    cr_assert_eq(v[0].line, 1);
    cr_assert_eq(second, 26);
    cr_assert_eq(v[1].start, second);
    cr_assert_eq(v[1].end, second + strlen("SELECT 2 ;"));
    cr_assert_eq(v[1].line, 4);
    cr_assert_eq(v[2].start, third);
    cr_assert_eq(v[2].end, third + strlen("INSERT INTO t VALUES (1);"));
    cr_assert_eq(v[2].line, 6);
    free(v);
}

Test(sqlscan, leading_comments_and_blanks_skipped)
{
    const char *text = "\n\n-- header\n/* about */\n\t SELECT 1;";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 1);
    cr_assert_eq(v[0].start, strstr(text, "SELECT") - text);
    cr_assert_eq(v[0].end, strlen(text));
    cr_assert_eq(v[0].line, 5);
    free(v);
}

Test(sqlscan, lines_count_newlines_inside_statements)
{
    const char *text = "SELECT\n1\n;\nSELECT '\n\n';\n\nSELECT 3;";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 3);
    cr_assert_eq(v[0].line, 1);
    cr_assert_eq(v[1].line, 4);
    cr_assert_eq(v[2].line, 8);
    free(v);
}

Test(sqlscan, crlf_line_endings)
{
    const char *text = "SELECT 1;\r\n-- c\r\nSELECT 2;\r\n";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 2);
    cr_assert_eq(v[1].line, 3);
    free(v);
    expect_split(text, "SELECT 1;", "SELECT 2;", NULL);
}

Test(sqlscan, last_statement_without_semicolon)
{
    const char *text = "SELECT 1;\nSELECT 2\n";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 2);
    cr_assert_eq(v[1].start, 10);
    cr_assert_eq(v[1].end, strlen(text)); /* runs to the end of the text */
    cr_assert_eq(v[1].line, 2);
    free(v);
    expect_split("SELECT 1", "SELECT 1", NULL);
}

Test(sqlscan, trailing_comment_is_no_statement)
{
    expect_split("SELECT 1; -- done\n/* really */\n", "SELECT 1;", NULL);
}

Test(sqlscan, empty_semicolons)
{
    /* psql sends a lone ';' too; the server treats it as empty. */
    expect_split("SELECT 1;;", "SELECT 1;", ";", NULL);
}

Test(sqlscan, only_comments_and_blanks_gives_nothing)
{
    static const char *const texts[] = {
        "",
        "\n\n  \t\n",
        "-- one\n-- two",
        "/* a /* b */ c */\n",
        "-- x\n/* y */\n  \r\n",
    };

    for (size_t i = 0; i < sizeof(texts) / sizeof(*texts); i++) {
        struct sql_stmt *v = (struct sql_stmt *)1;
        size_t n = 99;
        const char *why = NULL;

        cr_assert_eq(sqlscan_split(texts[i], strlen(texts[i]), &v, &n, &why), 0,
                     "[%s]", texts[i]);
        cr_assert_eq(n, 0, "[%s]", texts[i]);
        cr_assert_null(v, "[%s]", texts[i]);
    }
}

/* ---- where a semicolon does not end a statement ---- */

Test(sqlscan, semicolon_in_single_quotes)
{
    expect_split("SELECT 'a;b'; SELECT 2;", "SELECT 'a;b';", "SELECT 2;", NULL);
}

Test(sqlscan, doubled_single_quote)
{
    expect_split("SELECT 'it''s;'; SELECT '''';SELECT 3;", "SELECT 'it''s;';",
                 "SELECT '''';", "SELECT 3;", NULL);
}

Test(sqlscan, backslash_in_plain_string_is_not_an_escape)
{
    /* standard_conforming_strings: '\' is a one-character string. */
    expect_split("SELECT '\\'; SELECT 2;", "SELECT '\\';", "SELECT 2;", NULL);
}

Test(sqlscan, escape_string_backslash_quote)
{
    expect_split("SELECT E'\\''; SELECT 2;", "SELECT E'\\'';", "SELECT 2;",
                 NULL);
    expect_split("SELECT e'\\';x'; SELECT 2;", "SELECT e'\\';x';", "SELECT 2;",
                 NULL);
    expect_split("SELECT E'a\\\\'; SELECT 2;", "SELECT E'a\\\\';", "SELECT 2;",
                 NULL);
    expect_split("SELECT E'it''s;'; SELECT 2;", "SELECT E'it''s;';",
                 "SELECT 2;", NULL);
}

Test(sqlscan, identifier_ending_in_e_is_not_an_escape_string)
{
    /* "name'..." is an identifier then a plain string: no escapes. */
    expect_split("SELECT name'\\'; SELECT 2;", "SELECT name'\\';", "SELECT 2;",
                 NULL);
}

Test(sqlscan, semicolon_in_double_quoted_identifier)
{
    expect_split("SELECT 1 AS \"a;b\"; SELECT \"x\"\";\"; SELECT 3;",
                 "SELECT 1 AS \"a;b\";", "SELECT \"x\"\";\";", "SELECT 3;",
                 NULL);
}

Test(sqlscan, dollar_quotes)
{
    expect_split("SELECT $$a;b$$; SELECT 2;", "SELECT $$a;b$$;", "SELECT 2;",
                 NULL);
    expect_split("DO $fn$ BEGIN PERFORM 1; END $fn$; SELECT 2;",
                 "DO $fn$ BEGIN PERFORM 1; END $fn$;", "SELECT 2;", NULL);
}

Test(sqlscan, dollar_quote_nesting_other_tags)
{
    expect_split("CREATE FUNCTION f() RETURNS text AS $fn$\n"
                 "  SELECT $$;$$ || ';';\n"
                 "$fn$ LANGUAGE sql;\n"
                 "SELECT f();",
                 "CREATE FUNCTION f() RETURNS text AS $fn$\n"
                 "  SELECT $$;$$ || ';';\n"
                 "$fn$ LANGUAGE sql;",
                 "SELECT f();", NULL);
    /* A longer tag sharing a prefix does not close it. */
    expect_split("SELECT $a$ $ab$; $a$; SELECT 2;", "SELECT $a$ $ab$; $a$;",
                 "SELECT 2;", NULL);
}

Test(sqlscan, nested_block_comments)
{
    expect_split("SELECT /* a /* b; */ c; */ 1; SELECT 2;",
                 "SELECT /* a /* b; */ c; */ 1;", "SELECT 2;", NULL);
    expect_split("/* x /* y */ ; */ SELECT 1;", "SELECT 1;", NULL);
}

Test(sqlscan, line_comments)
{
    expect_split("SELECT 1 -- not the end;\n + 1; SELECT 2;",
                 "SELECT 1 -- not the end;\n + 1;", "SELECT 2;", NULL);
    expect_split("SELECT 1; -- x; y\nSELECT 2;", "SELECT 1;", "SELECT 2;",
                 NULL);
    /* A single dash is an operator. */
    expect_split("SELECT 3 - 1; SELECT 2;", "SELECT 3 - 1;", "SELECT 2;", NULL);
}

Test(sqlscan, comment_markers_inside_quotes_are_text)
{
    expect_split("SELECT '--'; SELECT '/*'; SELECT 3;", "SELECT '--';",
                 "SELECT '/*';", "SELECT 3;", NULL);
}

Test(sqlscan, parentheses)
{
    expect_split("CREATE RULE r AS ON INSERT TO t DO INSTEAD "
                 "(INSERT INTO u VALUES (1); INSERT INTO u VALUES (2)); "
                 "SELECT 2;",
                 "CREATE RULE r AS ON INSERT TO t DO INSTEAD "
                 "(INSERT INTO u VALUES (1); INSERT INTO u VALUES (2));",
                 "SELECT 2;", NULL);
    /* A stray ')' does not make the depth negative. */
    expect_split("SELECT 1); SELECT 2;", "SELECT 1);", "SELECT 2;", NULL);
}

Test(sqlscan, parameters_are_not_dollar_quotes)
{
    expect_split("PREPARE p(int, int) AS SELECT $1 + $2; EXECUTE p(1, 2);",
                 "PREPARE p(int, int) AS SELECT $1 + $2;", "EXECUTE p(1, 2);",
                 NULL);
    /* $1$ is a parameter then '$', not a tag. */
    expect_split("SELECT $1$; SELECT 2;", "SELECT $1$;", "SELECT 2;", NULL);
}

Test(sqlscan, dollar_inside_identifiers)
{
    /* a$b and x$$y are identifiers: no dollar quote opens. */
    expect_split("SELECT a$b; SELECT 2;", "SELECT a$b;", "SELECT 2;", NULL);
    expect_split("SELECT x$$y; SELECT 2;", "SELECT x$$y;", "SELECT 2;", NULL);
    expect_split("SELECT 1 AS a$, 2 AS b$$; SELECT 2;",
                 "SELECT 1 AS a$, 2 AS b$$;", "SELECT 2;", NULL);
}

Test(sqlscan, lone_dollar)
{
    expect_split("SELECT $ ; SELECT 2;", "SELECT $ ;", "SELECT 2;", NULL);
}

/* ---- psql 15's BEGIN ... END heuristic ---- */

Test(sqlscan, begin_atomic_function_body)
{
    expect_split("CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
                 "BEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;\n"
                 "SELECT f();\n",
                 "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
                 "BEGIN ATOMIC\n  SELECT 1;\n  SELECT 2;\nEND;",
                 "SELECT f();", NULL);
}

Test(sqlscan, begin_atomic_lines)
{
    const char *text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql\n"
                       "BEGIN ATOMIC\n  SELECT 1;\nEND;\n"
                       "\nSELECT f();\n";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 2);
    cr_assert_eq(v[0].line, 1);
    cr_assert_eq(v[1].line, 6);
    free(v);
}

Test(sqlscan, begin_atomic_with_case_end)
{
    expect_split("create function g(x int) returns int language sql\n"
                 "begin atomic\n"
                 "  select case when x > 0 then 1 else 0 end;\n"
                 "  select CASE x WHEN 1 THEN 2 END;\n"
                 "end;\n"
                 "select g(1);",
                 "create function g(x int) returns int language sql\n"
                 "begin atomic\n"
                 "  select case when x > 0 then 1 else 0 end;\n"
                 "  select CASE x WHEN 1 THEN 2 END;\n"
                 "end;",
                 "select g(1);", NULL);
}

Test(sqlscan, begin_atomic_or_replace_and_procedure)
{
    expect_split("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql "
                 "BEGIN ATOMIC SELECT 1; END; SELECT 2;",
                 "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql "
                 "BEGIN ATOMIC SELECT 1; END;",
                 "SELECT 2;", NULL);
    expect_split("CREATE PROCEDURE p() LANGUAGE sql "
                 "BEGIN ATOMIC INSERT INTO t VALUES (1); "
                 "INSERT INTO t VALUES (2); END; CALL p();",
                 "CREATE PROCEDURE p() LANGUAGE sql "
                 "BEGIN ATOMIC INSERT INTO t VALUES (1); "
                 "INSERT INTO t VALUES (2); END;",
                 "CALL p();", NULL);
    expect_split("Create Or Replace Procedure p() LANGUAGE sql "
                 "BEGIN ATOMIC INSERT INTO t VALUES (1); END; CALL p();",
                 "Create Or Replace Procedure p() LANGUAGE sql "
                 "BEGIN ATOMIC INSERT INTO t VALUES (1); END;",
                 "CALL p();", NULL);
}

Test(sqlscan, body_words_in_parentheses_or_quotes_do_not_count)
{
    /* "begin" as a parameter name inside (), BEGIN inside $$ ... $$. */
    expect_split("CREATE FUNCTION f(begin int) RETURNS int "
                 "LANGUAGE sql RETURN (begin + 1); SELECT 2;",
                 "CREATE FUNCTION f(begin int) RETURNS int "
                 "LANGUAGE sql RETURN (begin + 1);",
                 "SELECT 2;", NULL);
    expect_split("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
                 "$$BEGIN PERFORM 1; END$$; SELECT 2;",
                 "CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS "
                 "$$BEGIN PERFORM 1; END$$;",
                 "SELECT 2;", NULL);
}

Test(sqlscan, case_outside_a_body_does_not_nest)
{
    expect_split("CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql "
                 "RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END; SELECT 2;",
                 "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql "
                 "RETURN CASE WHEN x > 0 THEN 1 ELSE 0 END;",
                 "SELECT 2;", NULL);
}

Test(sqlscan, plain_transaction_begin_is_a_statement)
{
    expect_split("BEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n", "BEGIN;",
                 "INSERT INTO t VALUES (1);", "COMMIT;", NULL);
    expect_split("BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT 1; END;",
                 "BEGIN ISOLATION LEVEL SERIALIZABLE;", "SELECT 1;", "END;",
                 NULL);
}

Test(sqlscan, other_create_statements_do_not_open_a_body)
{
    /* Only CREATE [OR REPLACE] FUNCTION|PROCEDURE starts the heuristic. */
    expect_split("CREATE TABLE begin_t (a int); BEGIN; SELECT 1; COMMIT;",
                 "CREATE TABLE begin_t (a int);", "BEGIN;", "SELECT 1;",
                 "COMMIT;", NULL);
}

Test(sqlscan, heuristic_resets_after_each_statement)
{
    expect_split("CREATE FUNCTION f() RETURNS int LANGUAGE sql "
                 "BEGIN ATOMIC SELECT 1; END;\n"
                 "BEGIN;\nSELECT f();\nCOMMIT;",
                 "CREATE FUNCTION f() RETURNS int LANGUAGE sql "
                 "BEGIN ATOMIC SELECT 1; END;",
                 "BEGIN;", "SELECT f();", "COMMIT;", NULL);
}
