/*
 * err.c: error messages for library code.
 */
#include "err.h"
#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int err_set(struct isotest_err *e, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    free(e->msg);
    e->msg = strbuf_detach(&sb, NULL);
    return -1;
}

int err_hint(struct isotest_err *e, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    free(e->hint);
    e->hint = strbuf_detach(&sb, NULL);
    return -1;
}

int err_prefix(struct isotest_err *e, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    strbuf_addf(&sb, ": %s", e->msg ? e->msg : "unknown error");
    free(e->msg);
    e->msg = strbuf_detach(&sb, NULL);
    return -1;
}

const char *err_strerror(int errnum, char *buf, unsigned long size)
{
    if (strerror_r(errnum, buf, size) != 0)
        snprintf(buf, size, "error %d", errnum);
    return buf;
}

int err_errno(struct isotest_err *e, int saved_errno, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    char ebuf[128];
    va_list ap;

    va_start(ap, fmt);
    strbuf_vaddf(&sb, fmt, ap);
    va_end(ap);
    strbuf_addf(&sb, ": %s", err_strerror(saved_errno, ebuf, sizeof(ebuf)));
    free(e->msg);
    e->msg = strbuf_detach(&sb, NULL);
    return -1;
}

void isotest_err_release(struct isotest_err *e)
{
    free(e->msg);
    free(e->hint);
    e->msg = NULL;
    e->hint = NULL;
}
