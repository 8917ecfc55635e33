/*
 * strbuf.c: growable buffer and the allocation helpers built on it.
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char strbuf_empty[1];

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p) {
        fputs("isotest: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p) {
        fputs("isotest: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (!q) {
        fputs("isotest: out of memory\n", stderr);
        abort();
    }
    return q;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xasprintf(const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    return strbuf_detach(&sb, NULL);
}

void strbuf_init(struct strbuf *sb, size_t max)
{
    sb->buf = strbuf_empty;
    sb->len = 0;
    sb->alloc = 0;
    sb->max = max;
    sb->dropped = 0;
}

void strbuf_release(struct strbuf *sb)
{
    if (sb->alloc)
        free(sb->buf);
    strbuf_init(sb, sb->max);
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    sb->dropped = 0;
    if (sb->alloc)
        sb->buf[0] = '\0';
}

static void grow(struct strbuf *sb, size_t extra)
{
    size_t want = sb->len + extra + 1;

    if (want <= sb->alloc)
        return;
    size_t n = sb->alloc ? sb->alloc : 64;
    while (n < want)
        n *= 2;
    if (sb->alloc) {
        sb->buf = xrealloc(sb->buf, n);
    } else {
        sb->buf = xmalloc(n);
        sb->buf[0] = '\0';
    }
    sb->alloc = n;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
    if (sb->max && sb->len + len > sb->max) {
        size_t room = sb->max - sb->len;

        sb->dropped += len - room;
        len = room;
    }
    if (!len)
        return;
    grow(sb, len);
    memcpy(sb->buf + sb->len, data, len);
    sb->len += len;
    sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, int c)
{
    char ch = (char)c;

    strbuf_add(sb, &ch, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
    char small[256];
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(small, sizeof(small), fmt, cp);
    va_end(cp);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(small)) {
        strbuf_add(sb, small, (size_t)n);
        return;
    }
    char *big = xmalloc((size_t)n + 1);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    strbuf_add(sb, big, (size_t)n);
    free(big);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_rtrim(struct strbuf *sb)
{
    while (sb->len &&
           (sb->buf[sb->len - 1] == '\n' || sb->buf[sb->len - 1] == '\r' ||
            sb->buf[sb->len - 1] == ' ' || sb->buf[sb->len - 1] == '\t'))
        sb->len--;
    if (sb->alloc)
        sb->buf[sb->len] = '\0';
}

char *strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p;

    if (len)
        *len = sb->len;
    if (sb->alloc) {
        p = sb->buf;
    } else {
        p = xmalloc(1);
        p[0] = '\0';
    }
    strbuf_init(sb, sb->max);
    return p;
}

void strbuf_add_urlenc(struct strbuf *sb, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            strbuf_addch(sb, (char)c);
        } else {
            strbuf_addch(sb, '%');
            strbuf_addch(sb, hex[c >> 4]);
            strbuf_addch(sb, hex[c & 15]);
        }
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int strbuf_add_urldec(struct strbuf *sb, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            strbuf_addch(sb, s[i]);
            continue;
        }
        int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
        int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
        if (lo < 0)
            return -1;
        strbuf_addch(sb, (char)(hi * 16 + lo));
        i += 2;
    }
    return 0;
}
