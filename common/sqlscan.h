/*
 * sqlscan: split a SQL file into the statements psql would send, or say
 * that only psql can run it.
 *
 * psql sends a file one statement at a time; a statement ends at a
 * semicolon outside quotes, comments, parentheses and a BEGIN ... END
 * function body (psql 15's psqlscan.l rules, including its heuristic for
 * CREATE FUNCTION ... BEGIN ATOMIC).  A file that uses what only psql
 * understands (a backslash command, a :variable, COPY FROM STDIN or TO
 * STDOUT, a NUL byte) is refused, so that it goes to psql.
 *
 * Pure functions; thread-safe.
 */
#ifndef ISOTEST_SQLSCAN_H
#define ISOTEST_SQLSCAN_H

#include <stddef.h>

struct sql_stmt {
    size_t start; /* first byte: comments and blanks before it skipped */
    size_t end;   /* one past its ';', or the end of the text */
    int line;     /* 1-based line of `start` */
};

/*
 * Split text into statements.  Returns 0 and sets *stmts (the caller
 * frees it; NULL when there is none) and *n; or -1 when the file needs
 * psql, with *why naming the reason (a static string).
 */
int sqlscan_split(const char *text, size_t len, struct sql_stmt **stmts,
                  size_t *n, const char **why);

/*
 * The same split without refusing anything (for text sent to the server
 * as is, such as migrations).  Returns the count; the caller frees *stmts.
 */
size_t sqlscan_statements(const char *text, size_t len,
                          struct sql_stmt **stmts);

/*
 * 1-based line of the 1-based character position `pos` (the server
 * counts characters, not bytes) inside statement s of text.
 */
int sqlscan_line_at(const char *text, const struct sql_stmt *s, long pos);

#endif
