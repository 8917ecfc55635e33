/*
 * sqlscan.c: psql's statement boundaries, without psql.
 *
 * The rules follow src/fe_utils/psqlscan.l of PostgreSQL 15: quotes
 * ('' doubling, E'' backslash escapes, "" identifiers), dollar quotes,
 * nested block comments, parentheses, and the BEGIN ... END heuristic for
 * SQL-standard function bodies (a statement whose first identifiers are
 * CREATE [OR REPLACE] FUNCTION|PROCEDURE counts BEGIN, CASE and END at
 * parenthesis depth 0).  standard_conforming_strings is assumed on; the
 * executor checks that the server agrees.
 */
#include "sqlscan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

struct scan {
    int parens;
    int begin_depth;
    int nident;       /* unquoted identifiers so far in the statement */
    char first[4];    /* initials of the first four, when keywords */
};

static bool ident_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
           c >= 0x80;
}

static bool ident_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* psql's variable_char: what may follow ':' in a :variable. */
static bool var_char(unsigned char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

/* Length of a dollar-quote tag at t[i] ("$$", "$x$"), else 0. */
static size_t dollar_tag(const char *t, size_t len, size_t i)
{
    size_t j = i + 1;

    if (j < len && t[j] == '$')
        return 2;
    if (j >= len || !ident_start((unsigned char)t[j]))
        return 0;
    while (j < len && ident_char((unsigned char)t[j]) && t[j] != '$')
        j++;
    return j < len && t[j] == '$' ? j - i + 1 : 0;
}

/* Index just past a quoted run that opened at t[i] with quote q. */
static size_t skip_quoted(const char *t, size_t len, size_t i, char q,
                          bool backslash)
{
    for (i++; i < len; i++) {
        if (backslash && t[i] == '\\') {
            i++;
            continue;
        }
        if (t[i] == q) {
            if (i + 1 < len && t[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return len; /* unterminated: psql sends it as is at the end */
}

/* Index just past the block comment that opened at t[i]; they nest. */
static size_t skip_comment(const char *t, size_t len, size_t i)
{
    int depth = 0;

    while (i < len) {
        if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
            depth++;
            i += 2;
        } else if (t[i] == '*' && i + 1 < len && t[i + 1] == '/') {
            i += 2;
            if (--depth == 0)
                return i;
        } else {
            i++;
        }
    }
    return len;
}

static void see_identifier(struct scan *s, const char *w, size_t n)
{
    static const char *const marks[] = {"create", "function", "procedure",
                                        "or", "replace"};

    if (s->nident < 4) {
        s->first[s->nident] = 0;
        for (size_t k = 0; k < sizeof(marks) / sizeof(*marks); k++)
            if (strlen(marks[k]) == n && !strncasecmp(w, marks[k], n))
                s->first[s->nident] = marks[k][0];
    }
    s->nident++;
    bool body = s->first[0] == 'c' &&
                (s->first[1] == 'f' || s->first[1] == 'p' ||
                 (s->first[1] == 'o' && s->first[2] == 'r' &&
                  (s->first[3] == 'f' || s->first[3] == 'p')));
    if (!body || s->parens != 0)
        return;
    if (n == 5 && !strncasecmp(w, "begin", 5))
        s->begin_depth++;
    else if (n == 4 && !strncasecmp(w, "case", 4) && s->begin_depth >= 1)
        s->begin_depth++;
    else if (n == 3 && !strncasecmp(w, "end", 3) && s->begin_depth > 0)
        s->begin_depth--;
}

/* Skip blanks and comments from i. */
static size_t skip_blank(const char *t, size_t len, size_t i)
{
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        /* The server's whitespace: no \v. */
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            i++;
        } else if (c == '-' && i + 1 < len && t[i + 1] == '-') {
            while (i < len && t[i] != '\n' && t[i] != '\r')
                i++;
        } else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            i = skip_comment(t, len, i);
        } else {
            break;
        }
    }
    return i;
}

/* Whether word occurs in t, ignoring ASCII case. */
static bool mentions(const char *t, size_t len, const char *word)
{
    size_t n = strlen(word);

    for (size_t i = 0; i + n <= len; i++)
        if (!strncasecmp(t + i, word, n))
            return true;
    return false;
}

static int count_lines(const char *t, size_t from, size_t to, int line)
{
    for (size_t k = from; k < to; k++)
        if (t[k] == '\n')
            line++;
    return line;
}

/* strict: refuse what needs psql (sqlscan_split); else split regardless. */
static int split(const char *t, size_t len, bool strict,
                 struct sql_stmt **stmts, size_t *n, const char **why)
{
    size_t cap = 0, count = 0, line_pos = 0;
    struct sql_stmt *v = NULL;
    struct scan s = {0};
    int line = 1;
    size_t i = skip_blank(t, len, 0), start = i;

    *stmts = NULL;
    *n = 0;
    if (strict && memchr(t, '\0', len)) {
        *why = "a NUL byte";
        return -1;
    }
    /*
     * psql's lexer follows this setting; this one assumes it on.  Any
     * mention (SET, a quoted name, set_config('...')) sends the file to
     * psql; the executor watches for a change made out of sight.
     */
    if (strict && mentions(t, len, "standard_conforming_strings")) {
        *why = "standard_conforming_strings";
        return -1;
    }
    while (i < len) {
        unsigned char c = (unsigned char)t[i];
        const char *need = NULL;

        if (c == '\'') {
            i = skip_quoted(t, len, i, '\'', false);
        } else if (c == '"') {
            i = skip_quoted(t, len, i, '"', false);
        } else if (c == '-' && i + 1 < len && t[i + 1] == '-') {
            i = skip_blank(t, len, i);
        } else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
            i = skip_comment(t, len, i);
        } else if (c == '$' && i + 1 < len && t[i + 1] >= '0' &&
                   t[i + 1] <= '9') {
            i++; /* a parameter, $1 */
        } else if (c == '$' && dollar_tag(t, len, i)) {
            size_t tl = dollar_tag(t, len, i);
            const char *tag = t + i;
            for (i += tl; i + tl <= len && strncmp(t + i, tag, tl); i++)
                ;
            i = i + tl <= len ? i + tl : len;
        } else if (ident_start(c)) {
            size_t w = i;
            while (i < len && ident_char((unsigned char)t[i]))
                i++;
            if (i < len && t[i] == '\'' && i - w == 1 &&
                (t[w] == 'E' || t[w] == 'e')) {
                i = skip_quoted(t, len, i, '\'', true);
                s.nident++;
                continue;
            }
            if ((i - w == 5 && !strncasecmp(t + w, "stdin", 5)) ||
                (i - w == 6 && !strncasecmp(t + w, "stdout", 6)))
                need = "COPY FROM STDIN or TO STDOUT";
            else
                see_identifier(&s, t + w, i - w);
        } else if (c == '\\') {
            need = "a backslash command";
            i++;
        } else if (c == ':' && i + 1 < len && t[i + 1] == ':') {
            i += 2;
        } else if (c == ':' && i + 1 < len &&
                   (var_char((unsigned char)t[i + 1]) || t[i + 1] == '\'' ||
                    t[i + 1] == '"' || t[i + 1] == '{')) {
            need = "a psql variable";
            i++;
        } else if (c == '(') {
            s.parens++;
            i++;
        } else if (c == ')') {
            if (s.parens > 0)
                s.parens--;
            i++;
        } else if (c == ';' && s.parens == 0 && s.begin_depth == 0) {
            i++;
            if (count == cap) {
                cap = cap ? cap * 2 : 16;
                v = xrealloc(v, cap * sizeof(*v));
            }
            line = count_lines(t, line_pos, start, line);
            line_pos = start;
            v[count++] = (struct sql_stmt){start, i, line};
            i = skip_blank(t, len, i);
            start = i;
            memset(&s, 0, sizeof(s));
        } else {
            i++;
        }
        if (need && strict) {
            free(v);
            *why = need;
            return -1;
        }
    }
    if (start < len) {
        if (count == cap)
            v = xrealloc(v, (cap + 1) * sizeof(*v));
        line = count_lines(t, line_pos, start, line);
        v[count++] = (struct sql_stmt){start, len, line};
    }
    *stmts = v;
    *n = count;
    return 0;
}

int sqlscan_split(const char *t, size_t len, struct sql_stmt **stmts,
                  size_t *n, const char **why)
{
    return split(t, len, true, stmts, n, why);
}

size_t sqlscan_statements(const char *t, size_t len, struct sql_stmt **stmts)
{
    size_t n;
    const char *why;

    split(t, len, false, stmts, &n, &why);
    return n;
}

int sqlscan_line_at(const char *t, const struct sql_stmt *s, long pos)
{
    int line = s->line;
    long chars = 0;

    for (size_t k = s->start; k < s->end; k++) {
        unsigned char c = (unsigned char)t[k];
        if ((c & 0xC0) != 0x80 && ++chars >= pos)
            break;
        if (c == '\n')
            line++;
    }
    return line;
}
