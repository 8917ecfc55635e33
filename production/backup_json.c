/*
 * backup_json.c: a recursive-descent JSON reader and the string writer.
 * Layout: the reader's cursor, scalars, strings, containers, the entry
 * point and lookups, the writer.
 */
#include "backup_json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Deeper documents are refused: no manifest nests past three levels. */
#define MAX_DEPTH 32

struct cursor {
    const char *p, *end, *start;
    int depth;
    struct isotest_err *e;
};

static int fail(struct cursor *c, const char *what)
{
    return err_set(c->e, "not valid JSON at byte %zu: %s",
                   (size_t)(c->p - c->start), what);
}

static void skip_ws(struct cursor *c)
{
    while (c->p < c->end &&
           (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int literal(struct cursor *c, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
        return fail(c, "unexpected character");
    c->p += n;
    return 0;
}

static int number(struct cursor *c, struct bjson *j)
{
    const char *s = c->p;
    bool is_int = true;

    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return fail(c, "a number expected");
    while (c->p < c->end && strchr("0123456789+-.eE", *c->p)) {
        if (strchr(".eE", *c->p))
            is_int = false;
        c->p++;
    }
    char *text = xstrndup(s, (size_t)(c->p - s)), *end;
    j->type = BJSON_NUM;
    errno = 0;
    j->d = strtod(text, &end);
    int bad = *end != '\0';
    if (!bad && is_int) {
        errno = 0;
        j->i = strtoll(text, &end, 10);
        j->is_int = errno == 0 && *end == '\0';
    }
    free(text);
    return bad ? fail(c, "a malformed number") : 0;
}

static int hex4(struct cursor *c, unsigned *out)
{
    unsigned v = 0;

    if (c->end - c->p < 4)
        return fail(c, "a short \\u escape");
    for (int k = 0; k < 4; k++) {
        char h = *c->p++;
        v <<= 4;
        if (h >= '0' && h <= '9')
            v |= (unsigned)(h - '0');
        else if (h >= 'a' && h <= 'f')
            v |= (unsigned)(h - 'a' + 10);
        else if (h >= 'A' && h <= 'F')
            v |= (unsigned)(h - 'A' + 10);
        else
            return fail(c, "a bad \\u escape");
    }
    *out = v;
    return 0;
}

static void add_utf8(struct strbuf *sb, unsigned cp)
{
    if (cp < 0x80) {
        strbuf_addch(sb, (int)cp);
    } else if (cp < 0x800) {
        strbuf_addch(sb, (int)(0xC0 | (cp >> 6)));
        strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        strbuf_addch(sb, (int)(0xE0 | (cp >> 12)));
        strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
    } else {
        strbuf_addch(sb, (int)(0xF0 | (cp >> 18)));
        strbuf_addch(sb, (int)(0x80 | ((cp >> 12) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | ((cp >> 6) & 0x3F)));
        strbuf_addch(sb, (int)(0x80 | (cp & 0x3F)));
    }
}

/* After the backslash of a \u escape; surrogate pairs are joined. */
static int unicode_escape(struct cursor *c, struct strbuf *sb)
{
    unsigned cp, lo;

    if (hex4(c, &cp) < 0)
        return -1;
    if (cp >= 0xD800 && cp < 0xDC00) {
        if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
            return fail(c, "a lone surrogate");
        c->p += 2;
        if (hex4(c, &lo) < 0)
            return -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return fail(c, "a lone surrogate");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        return fail(c, "a lone surrogate");
    }
    if (cp == 0)
        return fail(c, "a NUL character in a string");
    add_utf8(sb, cp);
    return 0;
}

/* At the opening quote; *out gets the decoded string. */
static int string(struct cursor *c, char **out)
{
    struct strbuf sb = STRBUF_INIT;
    static const char esc_in[] = "\"\\/bfnrt", esc_out[] = "\"\\/\b\f\n\r\t";

    c->p++;
    while (c->p < c->end && *c->p != '"') {
        unsigned char ch = (unsigned char)*c->p++;
        if (ch < 0x20) {
            strbuf_release(&sb);
            return fail(c, "a control character in a string");
        }
        if (ch != '\\') {
            strbuf_addch(&sb, ch);
            continue;
        }
        const char *k = c->p < c->end ? strchr(esc_in, *c->p) : NULL;
        if (k && *k) {
            strbuf_addch(&sb, esc_out[k - esc_in]);
            c->p++;
        } else if (c->p < c->end && *c->p == 'u') {
            c->p++;
            if (unicode_escape(c, &sb) < 0) {
                strbuf_release(&sb);
                return -1;
            }
        } else {
            strbuf_release(&sb);
            return fail(c, "a bad escape");
        }
    }
    if (c->p >= c->end) {
        strbuf_release(&sb);
        return fail(c, "an unterminated string");
    }
    c->p++;
    *out = strbuf_detach(&sb, NULL);
    return 0;
}

static int value(struct cursor *c, struct bjson *j);

/* An array or object, at its opening bracket. */
static int container(struct cursor *c, struct bjson *j, bool obj)
{
    size_t cap = 0;
    char close = obj ? '}' : ']';

    j->type = obj ? BJSON_OBJ : BJSON_ARR;
    if (++c->depth > MAX_DEPTH)
        return fail(c, "nested too deep");
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return 0;
    }
    for (;;) {
        if (j->n == cap) {
            cap = cap ? cap * 2 : 8;
            j->items = xrealloc(j->items, cap * sizeof(*j->items));
            if (obj)
                j->keys = xrealloc(j->keys, cap * sizeof(*j->keys));
        }
        memset(&j->items[j->n], 0, sizeof(*j->items));
        skip_ws(c);
        if (obj) {
            if (c->p >= c->end || *c->p != '"')
                return fail(c, "a member name expected");
            if (string(c, &j->keys[j->n]) < 0)
                return -1;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') {
                j->n++;
                return fail(c, "':' expected");
            }
            c->p++;
        }
        j->n++;
        if (value(c, &j->items[j->n - 1]) < 0)
            return -1;
        skip_ws(c);
        if (c->p < c->end && *c->p == ',') {
            c->p++;
            continue;
        }
        if (c->p < c->end && *c->p == close) {
            c->p++;
            c->depth--;
            return 0;
        }
        return fail(c, obj ? "',' or '}' expected" : "',' or ']' expected");
    }
}

static int value(struct cursor *c, struct bjson *j)
{
    skip_ws(c);
    if (c->p >= c->end)
        return fail(c, "unexpected end");
    switch (*c->p) {
    case '{': return container(c, j, true);
    case '[': return container(c, j, false);
    case '"': j->type = BJSON_STR; return string(c, &j->s);
    case 't':
        j->type = BJSON_BOOL;
        j->b = true;
        return literal(c, "true");
    case 'f': j->type = BJSON_BOOL; return literal(c, "false");
    case 'n': j->type = BJSON_NULL; return literal(c, "null");
    default: return number(c, j);
    }
}

int bjson_parse(const char *text, size_t len, struct bjson *out,
                struct isotest_err *e)
{
    struct cursor c = {text, text + len, text, 0, e};

    memset(out, 0, sizeof(*out));
    if (value(&c, out) < 0) {
        bjson_release(out);
        return -1;
    }
    skip_ws(&c);
    if (c.p != c.end) {
        bjson_release(out);
        return fail(&c, "text after the document");
    }
    return 0;
}

void bjson_release(struct bjson *j)
{
    for (size_t k = 0; k < j->n; k++) {
        bjson_release(&j->items[k]);
        if (j->keys)
            free(j->keys[k]);
    }
    free(j->items);
    free(j->keys);
    free(j->s);
    memset(j, 0, sizeof(*j));
}

const struct bjson *bjson_get(const struct bjson *obj, const char *key)
{
    if (!obj || obj->type != BJSON_OBJ)
        return NULL;
    for (size_t k = 0; k < obj->n; k++)
        if (obj->keys[k] && !strcmp(obj->keys[k], key))
            return &obj->items[k];
    return NULL;
}

const char *bjson_get_str(const struct bjson *obj, const char *key)
{
    const struct bjson *v = bjson_get(obj, key);

    return v && v->type == BJSON_STR ? v->s : NULL;
}

bool bjson_get_int(const struct bjson *obj, const char *key, long long *out)
{
    const struct bjson *v = bjson_get(obj, key);

    if (!v || v->type != BJSON_NUM || !v->is_int)
        return false;
    *out = v->i;
    return true;
}

void bjson_add_str(struct strbuf *sb, const char *s)
{
    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': strbuf_addstr(sb, "\\\""); break;
        case '\\': strbuf_addstr(sb, "\\\\"); break;
        case '\n': strbuf_addstr(sb, "\\n"); break;
        case '\r': strbuf_addstr(sb, "\\r"); break;
        case '\t': strbuf_addstr(sb, "\\t"); break;
        default:
            if (*p < 0x20)
                strbuf_addf(sb, "\\u%04x", *p);
            else
                strbuf_addch(sb, *p);
        }
    }
    strbuf_addch(sb, '"');
}
