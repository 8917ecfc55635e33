/*
 * err: how library code (isolation/, reporters/) reports a failure.
 *
 * Library functions never print and never exit: they return -1 (or NULL)
 * and fill a caller-supplied struct err.  The caller prints e->msg and frees
 * it with err_release().  A message is lower case with no final full stop;
 * an optional hint on how to fix the problem goes in e->hint.
 *
 *     if (foo_do(&foo, &e) < 0) {
 *         fprintf(stderr, "isotest: %s\n", e.msg);
 *         err_release(&e);
 *     }
 *
 * A struct err belongs to one thread at a time.
 */
#ifndef ISOTEST_ERR_H
#define ISOTEST_ERR_H

struct err {
    char *msg;  /* NULL until set; owned by the struct */
    char *hint; /* NULL or a suggestion how to fix it */
};

#define ERR_INIT {NULL, NULL}

/* Set the message (replacing any earlier one); always returns -1. */
int err_set(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set the hint; returns -1 so it can end an error path too. */
int err_hint(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix the current message with "context: ". Returns -1. */
int err_prefix(struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set the message from errno (saved by the caller): "what: strerror". */
int err_errno(struct err *e, int saved_errno, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void err_release(struct err *e);

/* strerror_r into a caller buffer: thread-safe, never NULL. */
const char *err_strerror(int errnum, char *buf, unsigned long size);

#endif
