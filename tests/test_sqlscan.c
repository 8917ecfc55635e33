/*
 * test_sqlscan.c: splitting a SQL file into the statements psql would
 * send, or refusing it (runner/sqlscan.h).  Nothing here needs a server.
 *
 * Covers: statement offsets and 1-based start lines (blanks and comments
 * before a start skipped), a last statement without a semicolon, every
 * kind of quoting, comment and nesting a semicolon can hide in, $n
 * parameters and identifiers containing '$', psql 15's BEGIN ATOMIC
 * heuristic (with CASE ... END, OR REPLACE, PROCEDURE; not a plain BEGIN
 * transaction), empty files, each reason to refuse a file (and what only
 * looks like one: inside quotes, comments, dollar quotes, `::`), and
 * sqlscan_line_at counting characters, not bytes.
 */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/sqlscan.h"

/* The text of statement s, as a NUL-terminated copy (caller frees). */
static char *stmt_text(const char *text, const struct sql_stmt *s)
{
    size_t n = s->end - s->start;
    char *out = malloc(n + 1);

    cr_assert_not_null(out);
    memcpy(out, text + s->start, n);
    out[n] = '\0';
    return out;
}

/*
 * Split text (strlen) and check that it gives exactly the statements
 * listed, in order, then NULL.  Each must also lie inside text.
 */
static void expect_split(const char *text, ...)
{
    struct sql_stmt *v = (struct sql_stmt *)1;
    size_t n = 99, len = strlen(text), want_n = 0;
    const char *why = NULL;
    const char *want[32];
    va_list ap;

    va_start(ap, text);
    for (const char *w; (w = va_arg(ap, const char *));)
        want[want_n++] = w;
    va_end(ap);

    cr_assert_eq(sqlscan_split(text, len, &v, &n, &why), 0, "refused [%s]: %s",
                 text, why ? why : "(null)");
    cr_assert_eq(n, want_n, "[%s]: %zu statements, want %zu", text, n, want_n);
    if (n == 0)
        cr_assert_null(v);
    for (size_t i = 0; i < n; i++) {
        char *got;

        cr_assert_leq(v[i].start, v[i].end);
        cr_assert_leq(v[i].end, len);
        got = stmt_text(text, &v[i]);
        cr_expect_str_eq(got, want[i], "[%s] statement %zu", text, i);
        free(got);
    }
    free(v);
}

/* The file must go to psql: -1, a reason, nothing to free. */
static void expect_refused(const char *text, size_t len)
{
    struct sql_stmt *v = (struct sql_stmt *)1;
    size_t n = 99;
    const char *why = NULL;

    cr_assert_eq(sqlscan_split(text, len, &v, &n, &why), -1,
                 "not refused: [%s]", text);
    cr_assert_not_null(why, "[%s]", text);
    cr_assert_gt(strlen(why), 0);
    cr_assert_null(v);
    cr_assert_eq(n, 0);
}

static void expect_refused_str(const char *text)
{
    expect_refused(text, strlen(text));
}

/* Split text, which must be accepted; caller frees *v. */
static size_t split_ok(const char *text, struct sql_stmt **v)
{
    size_t n = 0;
    const char *why = NULL;

    cr_assert_eq(sqlscan_split(text, strlen(text), v, &n, &why), 0,
                 "refused [%s]: %s", text, why ? why : "(null)");
    return n;
}

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

/* ---- files that need psql ---- */

Test(sqlscan, refuses_backslash_commands)
{
    expect_refused_str("\\set x 1\nSELECT 1;\n");
    expect_refused_str("SELECT 1;\n\\i other.sql\n");
    expect_refused_str("SELECT 1 \\gset\n");
    expect_refused_str("SELECT 1;\n\\echo done\n");
}

Test(sqlscan, refuses_psql_variables)
{
    expect_refused_str("SELECT :foo;");
    expect_refused_str("SELECT :'foo';");
    expect_refused_str("SELECT * FROM :\"foo\";");
    expect_refused_str("SELECT :{?foo};");
    expect_refused_str("SELECT 1;\nSELECT :x1;\n");
}

Test(sqlscan, refuses_copy_stdin_stdout)
{
    expect_refused_str("COPY t FROM STDIN;\n1\n\\.\n");
    expect_refused_str("COPY t FROM stdin");
    expect_refused_str("COPY t TO stdout;");
    expect_refused_str("COPY (SELECT 1) TO STDOUT WITH (FORMAT csv);");
}

Test(sqlscan, refuses_standard_conforming_strings)
{
    expect_refused_str("SET standard_conforming_strings = off;\n"
                       "SELECT '\\';\n");
    expect_refused_str("SELECT current_setting('x');\n"
                       "SET STANDARD_CONFORMING_STRINGS TO on;");
}

Test(sqlscan, refuses_nul_byte)
{
    static const char text[] = "SELECT 1;\0SELECT 2;";

    expect_refused(text, sizeof(text) - 1);
    expect_refused("SELECT '\0';", 11);
}

Test(sqlscan, refusal_reasons_are_distinct)
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

Test(sqlscan, backslash_and_colon_inside_quotes_or_comments_accepted)
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

Test(sqlscan, copy_words_inside_quotes_accepted)
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

Test(sqlscan, typecasts_accepted)
{
    expect_split("SELECT x::int FROM t; SELECT '1'::text::int;",
                 "SELECT x::int FROM t;", "SELECT '1'::text::int;", NULL);
    expect_split("SELECT 1 ::  int;", "SELECT 1 ::  int;", NULL);
}

Test(sqlscan, colon_not_followed_by_a_name_accepted)
{
    /* PL/pgSQL-style := and a bare colon are not variables. */
    expect_split("SELECT 1 := 2; SELECT ': ';", "SELECT 1 := 2;",
                 "SELECT ': ';", NULL);
    expect_split("SELECT a[1 : 2];", "SELECT a[1 : 2];", NULL);
}

/* ---- unterminated runs ---- */

Test(sqlscan, unterminated_quote_runs_to_the_end)
{
    expect_split("SELECT 1; SELECT 'abc; SELECT 2;\n", "SELECT 1;",
                 "SELECT 'abc; SELECT 2;\n", NULL);
    expect_split("SELECT \"abc; SELECT 2;", "SELECT \"abc; SELECT 2;", NULL);
    expect_split("SELECT E'\\'; SELECT 2;", "SELECT E'\\'; SELECT 2;", NULL);
}

Test(sqlscan, unterminated_dollar_quote_and_comment_run_to_the_end)
{
    expect_split("SELECT $$abc; SELECT 2;", "SELECT $$abc; SELECT 2;", NULL);
    expect_split("SELECT $t$abc; $$; SELECT 2;", "SELECT $t$abc; $$; SELECT 2;",
                 NULL);
    expect_split("SELECT 1 /* a /* b */ ; SELECT 2;",
                 "SELECT 1 /* a /* b */ ; SELECT 2;", NULL);
}

Test(sqlscan, unterminated_quote_hides_later_refusals)
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
Test(sqlscan, line_comment_ends_at_carriage_return)
{
    expect_split("SELECT 1 -- c\r; SELECT 2;\n", "SELECT 1 -- c\r;",
                 "SELECT 2;", NULL);
    expect_split("-- x\rSELECT 1;\rSELECT 2;", "SELECT 1;", "SELECT 2;", NULL);
}

/*
 * A quoted GUC name changes the setting as well as the bare word does;
 * psql 15.18 then reads 'a\';b' as one string, so the file goes to psql.
 */
Test(sqlscan, refuses_set_config_of_standard_conforming_strings)
{
    expect_refused_str("SELECT set_config('standard_conforming_strings', "
                       "'off', false);\nSELECT 'a\\';b';\n");
}

/* psql 15 does not take \v for blank: the server gets it (and refuses). */
Test(sqlscan, vertical_tab_is_not_blank)
{
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok("\v SELECT 1;", &v), 1);
    cr_assert_eq(v[0].start, 0);
    free(v);
}

Test(sqlscan, refuses_quoted_standard_conforming_strings)
{
    expect_refused_str("SET \"standard_conforming_strings\" = off;\n"
                       "SELECT 'a\\';b';\n");
}

/* ---- sqlscan_line_at ---- */

Test(sqlscan, line_at_second_line_of_statement)
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

Test(sqlscan, line_at_counts_characters_not_bytes)
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

Test(sqlscan, line_at_out_of_range_positions)
{
    const char *text = "SELECT 1,\n2,\n3;";
    struct sql_stmt *v = NULL;

    cr_assert_eq(split_ok(text, &v), 1);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 0), 1);
    cr_assert_eq(sqlscan_line_at(text, &v[0], 1000), 3);
    free(v);
}
