/*
 * err: filling the project's one error struct, struct isotest_err (the
 * public header's), from library code (isolation/, reporters/, common/).
 *
 * Library functions never print and never exit: they return -1 (or NULL)
 * and fill a caller-supplied struct isotest_err.  The caller prints e->msg and
 * frees it with isotest_err_release().  A message is lower case with no final
 * full stop; an optional hint on how to fix the problem goes in e->hint.
 *
 *     if (foo_do(&foo, &e) < 0) {
 *         fprintf(stderr, "isotest: %s\n", e.msg);
 *         isotest_err_release(&e);
 *     }
 *
 * A struct isotest_err belongs to one thread at a time.
 */
#ifndef ISOTEST_ERR_H
#define ISOTEST_ERR_H

/* struct isotest_err, ISOTEST_ERR_INIT and isotest_err_release(). */
#include "isotest.h"

/* Set the message (replacing any earlier one); always returns -1. */
int err_set(struct isotest_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set the hint; returns -1 so it can end an error path too. */
int err_hint(struct isotest_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix the current message with "context: ". Returns -1. */
int err_prefix(struct isotest_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set the message from errno (saved by the caller): "what: strerror". */
int err_errno(struct isotest_err *e, int saved_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* strerror_r into a caller buffer: thread-safe, never NULL. */
const char *err_strerror(int errnum, char *buf, unsigned long size);

#endif
