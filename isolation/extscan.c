/*
 * extscan.c: finding CREATE EXTENSION / CREATE SCHEMA in migrations, and
 * making them rerunnable (extscan.h).  A statement's first tokens are
 * read by a small tokenizer; common/sqlscan finds where statements start.
 */
#include "extscan.h"
#include "common/sqlscan.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct tok {
    size_t start, end; /* end: one past; start == end at the end */
    bool quoted;       /* a "quoted identifier" */
};

static bool word_char(unsigned char c, bool first)
{
    return isalpha(c) || c == '_' || c >= 0x80 ||
           (!first && (isdigit(c) || c == '$'));
}

/* Skip blanks and comments (nested block comments too) from p. */
static size_t skip_blank(const char *s, size_t p, size_t end)
{
    while (p < end) {
        if (isspace((unsigned char)s[p])) {
            p++;
        } else if (p + 1 < end && s[p] == '-' && s[p + 1] == '-') {
            while (p < end && s[p] != '\n')
                p++;
        } else if (p + 1 < end && s[p] == '/' && s[p + 1] == '*') {
            int depth = 1;
            p += 2;
            while (p < end && depth) {
                if (p + 1 < end && s[p] == '/' && s[p + 1] == '*') {
                    depth++;
                    p += 2;
                } else if (p + 1 < end && s[p] == '*' && s[p + 1] == '/') {
                    depth--;
                    p += 2;
                } else {
                    p++;
                }
            }
        } else {
            break;
        }
    }
    return p;
}

/* The token at or after *p; *p moves past it. */
static struct tok next_tok(const char *s, size_t *p, size_t end)
{
    struct tok t = {0, 0, false};
    size_t q = skip_blank(s, *p, end);

    t.start = t.end = q;
    if (q >= end)
        return t;
    if (s[q] == '"') {
        t.quoted = true;
        for (q++; q < end; q++) {
            if (s[q] == '"' && !(q + 1 < end && s[q + 1] == '"'))
                break;
            if (s[q] == '"')
                q++;
        }
        t.end = q < end ? q + 1 : end;
    } else if (word_char((unsigned char)s[q], true)) {
        while (q < end && word_char((unsigned char)s[q], false))
            q++;
        t.end = q;
    } else {
        t.end = q + 1;
    }
    *p = t.end;
    return t;
}

static bool is_kw(const char *s, struct tok t, const char *kw)
{
    return !t.quoted && t.end - t.start == strlen(kw) &&
           !strncasecmp(s + t.start, kw, t.end - t.start);
}

/* An identifier as the server reads it: "a""b" is a"b, Abc is abc. */
static char *ident(const char *s, struct tok t)
{
    struct strbuf sb = STRBUF_INIT;

    if (t.quoted) {
        size_t last =
            t.end - 1 > t.start && s[t.end - 1] == '"' ? t.end - 1 : t.end;
        for (size_t i = t.start + 1; i < last; i++) {
            strbuf_addch(&sb, s[i]);
            if (s[i] == '"')
                i++;
        }
    } else {
        for (size_t i = t.start; i < t.end; i++)
            strbuf_addch(&sb, (char)tolower((unsigned char)s[i]));
    }
    return strbuf_detach(&sb, NULL);
}

static bool is_name(const char *s, struct tok t)
{
    return t.end > t.start &&
           (t.quoted || word_char((unsigned char)s[t.start], true));
}

/* One statement [p, end): 1 and *c filled when it is a CREATE we want. */
static int scan_stmt(const char *s, size_t p, size_t end,
                     struct extscan_create *c)
{
    struct tok t = next_tok(s, &p, end);

    if (!is_kw(s, t, "create"))
        return 0;
    t = next_tok(s, &p, end);
    if (is_kw(s, t, "extension"))
        c->kind = EXTSCAN_EXTENSION;
    else if (is_kw(s, t, "schema"))
        c->kind = EXTSCAN_SCHEMA;
    else
        return 0;
    c->insert_at = t.end;
    size_t save = p;
    t = next_tok(s, &p, end);
    c->if_not_exists = false;
    if (is_kw(s, t, "if")) {
        struct tok n = next_tok(s, &p, end);
        struct tok x = next_tok(s, &p, end);
        if (!is_kw(s, n, "not") || !is_kw(s, x, "exists"))
            return 0;
        c->if_not_exists = true;
        t = next_tok(s, &p, end);
    } else {
        p = save;
        t = next_tok(s, &p, end);
    }
    /* CREATE SCHEMA AUTHORIZATION role names the schema after the role. */
    if (!is_name(s, t) ||
        (c->kind == EXTSCAN_SCHEMA && is_kw(s, t, "authorization")))
        return 0;
    c->name = ident(s, t);
    if (c->kind == EXTSCAN_EXTENSION) {
        c->rerunnable = true;
    } else {
        /* Schema elements may not follow IF NOT EXISTS: a bare one only. */
        struct tok rest = next_tok(s, &p, end);
        c->rerunnable = rest.start == rest.end ||
                        (rest.end - rest.start == 1 && s[rest.start] == ';');
    }
    return 1;
}

size_t extscan_find(const char *sql, size_t len, struct extscan_create **out)
{
    struct sql_stmt *st = NULL;
    size_t n = sqlscan_statements(sql, len, &st), k = 0;

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        struct extscan_create c;
        memset(&c, 0, sizeof(c));
        if (!scan_stmt(sql, st[i].start, st[i].end, &c))
            continue;
        *out = xrealloc(*out, (k + 1) * sizeof(**out));
        (*out)[k++] = c;
    }
    free(st);
    return k;
}

void extscan_free(struct extscan_create *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

bool extscan_creates_extension(const struct migrate_set *ms, const char *name)
{
    bool found = false;

    for (size_t i = 0; ms && i < ms->n && !found; i++) {
        struct extscan_create *v;
        size_t n = extscan_find(ms->v[i].sql, ms->v[i].len, &v);
        for (size_t k = 0; k < n; k++)
            if (v[k].kind == EXTSCAN_EXTENSION && !strcmp(v[k].name, name))
                found = true;
        extscan_free(v, n);
    }
    return found;
}

char *extscan_rerunnable(const char *sql, size_t len, size_t *outlen)
{
    struct extscan_create *v;
    size_t n = extscan_find(sql, len, &v), from = 0;
    struct strbuf sb = STRBUF_INIT;

    for (size_t k = 0; k < n; k++) {
        if (v[k].if_not_exists || !v[k].rerunnable)
            continue;
        strbuf_add(&sb, sql + from, v[k].insert_at - from);
        strbuf_addstr(&sb, " IF NOT EXISTS");
        from = v[k].insert_at;
    }
    strbuf_add(&sb, sql + from, len - from);
    extscan_free(v, n);
    return strbuf_detach(&sb, outlen);
}

void extscan_rerunnable_set(const struct migrate_set *in,
                            struct migrate_set *out)
{
    memset(out, 0, sizeof(*out));
    out->v = xcalloc(in->n ? in->n : 1, sizeof(*out->v));
    out->n = in->n;
    out->dir = in->dir ? xstrdup(in->dir) : NULL;
    for (size_t i = 0; i < in->n; i++) {
        out->v[i].path = xstrdup(in->v[i].path);
        out->v[i].name = xstrdup(in->v[i].name);
        out->v[i].sql =
            extscan_rerunnable(in->v[i].sql, in->v[i].len, &out->v[i].len);
    }
}
