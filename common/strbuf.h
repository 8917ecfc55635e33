/*
 * strbuf: the project's one growable byte buffer.
 *
 * Call sequence: strbuf_init() (or STRBUF_INIT), any number of strbuf_add*(),
 * then strbuf_release() or strbuf_detach().  `buf` is never NULL and always
 * NUL-terminated, so it can be printed at any point.
 *
 * A buffer may carry a maximum size (for captured child output): bytes past
 * it are counted in `dropped` instead of stored, so a report can say how many
 * were cut.  Allocation failure aborts (as git's xmalloc does): a test runner
 * that cannot allocate a few KiB has nothing sensible left to report.
 *
 * Not thread-safe: a buffer belongs to one thread at a time.
 */
#ifndef ISOTEST_STRBUF_H
#define ISOTEST_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;      /* never NULL; NUL-terminated */
    size_t len;     /* bytes stored, excluding the NUL */
    size_t alloc;   /* bytes allocated, 0 while buf is the shared "" */
    size_t max;     /* 0: unlimited; otherwise len never exceeds it */
    size_t dropped; /* bytes refused because of max */
};

extern char strbuf_empty[];
#define STRBUF_INIT                                                            \
    {                                                                          \
        strbuf_empty, 0, 0, 0, 0                                               \
    }

void strbuf_init(struct strbuf *sb, size_t max);
void strbuf_release(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);

void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Drop trailing white space (newlines from a command's output). */
void strbuf_rtrim(struct strbuf *sb);

/*
 * Percent-encoding (RFC 3986: every byte but A-Z a-z 0-9 - . _ ~ becomes
 * %XX), for URL parts and the sandbox socket's protocol.  strbuf_add_urldec
 * appends the decoded bytes of s[0..len); -1 on a bad escape (what was
 * decoded before it stays).
 */
void strbuf_add_urlenc(struct strbuf *sb, const char *s);
int strbuf_add_urldec(struct strbuf *sb, const char *s, size_t len);

/*
 * Hand the bytes to the caller, who frees them with free(); the buffer is
 * left empty and reusable.  Never returns NULL.
 */
char *strbuf_detach(struct strbuf *sb, size_t *len);

/* Allocation helpers that abort on failure; the caller frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A formatted string in new memory; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
