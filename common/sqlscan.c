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
    int nident;    /* unquoted identifiers so far in the statement */
    char first[4]; /* initials of the first four, when keywords */
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
    static const char *const marks[] = {"create", "function", "procedure", "or",
                                        "replace"};

    if (s->nident < 4) {
        s->first[s->nident] = 0;
        for (size_t k = 0; k < sizeof(marks) / sizeof(*marks); k++)
            if (strlen(marks[k]) == n && !strncasecmp(w, marks[k], n))
                s->first[s->nident] = marks[k][0];
    }
    s->nident++;
    bool body =
        s->first[0] == 'c' && (s->first[1] == 'f' || s->first[1] == 'p' ||
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

/* Index just past the dollar-quoted run whose tag, tl bytes, opens at t[i]. */
static size_t skip_dollar_quoted(const char *t, size_t len, size_t i, size_t tl)
{
    const char *tag = t + i;

    for (i += tl; i + tl <= len && strncmp(t + i, tag, tl); i++)
        ;
    return i + tl <= len ? i + tl : len;
}

/*
 * Whether the ':' at t[i] starts a psql variable (:name, :'name',
 * :"name", :{?name}); the caller has ruled out the "::" of a cast.
 */
static bool psql_variable(const char *t, size_t len, size_t i)
{
    return i + 1 < len &&
           (var_char((unsigned char)t[i + 1]) || t[i + 1] == '\'' ||
            t[i + 1] == '"' || t[i + 1] == '{');
}

/* The splitter's walk through one text. */
struct splitter {
    const char *t;
    size_t len;
    size_t i;           /* next byte to look at */
    size_t start;       /* first byte of the statement being read */
    struct scan s;      /* what the statement has shown so far */
    struct sql_stmt *v; /* statements found, count of cap used */
    size_t count, cap;
    int line; /* line of byte line_pos */
    size_t line_pos;
};

/* Record the statement from sp->start to end. */
static void add_statement(struct splitter *sp, size_t end)
{
    if (sp->count == sp->cap) {
        sp->cap = sp->cap ? sp->cap * 2 : 16;
        sp->v = xrealloc(sp->v, sp->cap * sizeof(*sp->v));
    }
    /* Lines are counted on from the previous statement, never twice. */
    sp->line = count_lines(sp->t, sp->line_pos, sp->start, sp->line);
    sp->line_pos = sp->start;
    sp->v[sp->count++] = (struct sql_stmt){sp->start, end, sp->line};
}

/*
 * A word at sp->i: an identifier or keyword (which may open or close a
 * function body), or the E of an E'' string.  Returns what in it needs
 * psql, or NULL.
 */
static const char *scan_word(struct splitter *sp)
{
    const char *t = sp->t;
    size_t len = sp->len, w = sp->i, i = sp->i;

    while (i < len && ident_char((unsigned char)t[i]))
        i++;
    if (i < len && t[i] == '\'' && i - w == 1 && (t[w] == 'E' || t[w] == 'e')) {
        sp->i = skip_quoted(t, len, i, '\'', true);
        sp->s.nident++;
        return NULL;
    }
    sp->i = i;
    if ((i - w == 5 && !strncasecmp(t + w, "stdin", 5)) ||
        (i - w == 6 && !strncasecmp(t + w, "stdout", 6)))
        return "COPY FROM STDIN or TO STDOUT";
    see_identifier(&sp->s, t + w, i - w);
    return NULL;
}

/* The ';' at sp->i ends a statement; move on to the next one. */
static void end_statement(struct splitter *sp)
{
    sp->i++;
    add_statement(sp, sp->i);
    sp->i = skip_blank(sp->t, sp->len, sp->i);
    sp->start = sp->i;
    memset(&sp->s, 0, sizeof(sp->s));
}

/*
 * Consume one token at sp->i: a quoted run, a comment, a word, a
 * parenthesis, a statement's end or any other byte.  Returns what in it
 * needs psql, or NULL.
 */
static const char *scan_token(struct splitter *sp)
{
    const char *t = sp->t;
    size_t len = sp->len, i = sp->i, tl;
    unsigned char c = (unsigned char)t[i];
    bool has_next = i + 1 < len;

    if (c == '\'' || c == '"') {
        sp->i = skip_quoted(t, len, i, (char)c, false);
    } else if (c == '-' && has_next && t[i + 1] == '-') {
        sp->i = skip_blank(t, len, i);
    } else if (c == '/' && has_next && t[i + 1] == '*') {
        sp->i = skip_comment(t, len, i);
    } else if (c == '$' && has_next && t[i + 1] >= '0' && t[i + 1] <= '9') {
        sp->i = i + 1; /* a parameter, $1 */
    } else if (c == '$' && (tl = dollar_tag(t, len, i)) != 0) {
        sp->i = skip_dollar_quoted(t, len, i, tl);
    } else if (ident_start(c)) {
        return scan_word(sp);
    } else if (c == '\\') {
        sp->i = i + 1;
        return "a backslash command";
    } else if (c == ':' && has_next && t[i + 1] == ':') {
        sp->i = i + 2;
    } else if (c == ':' && psql_variable(t, len, i)) {
        sp->i = i + 1;
        return "a psql variable";
    } else if (c == '(') {
        sp->s.parens++;
        sp->i = i + 1;
    } else if (c == ')') {
        if (sp->s.parens > 0)
            sp->s.parens--;
        sp->i = i + 1;
    } else if (c == ';' && sp->s.parens == 0 && sp->s.begin_depth == 0) {
        end_statement(sp);
    } else {
        sp->i = i + 1;
    }
    return NULL;
}

/* strict: refuse what needs psql (sqlscan_split); else split regardless. */
static int split(const char *t, size_t len, bool strict,
                 struct sql_stmt **stmts, size_t *n, const char **why)
{
    struct splitter sp = {.t = t, .len = len, .line = 1};

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
    sp.i = sp.start = skip_blank(t, len, 0);
    while (sp.i < len) {
        const char *need = scan_token(&sp);

        if (need && strict) {
            free(sp.v);
            *why = need;
            return -1;
        }
    }
    if (sp.start < len)
        add_statement(&sp, len);
    *stmts = sp.v;
    *n = sp.count;
    return 0;
}

int sqlscan_split(const char *t, size_t len, struct sql_stmt **stmts, size_t *n,
                  const char **why)
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
