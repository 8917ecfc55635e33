/*
 * sqlscan_expect.h: the checks test_sqlscan.c and test_sqlscan_refuse.c
 * share (static inline: each file uses some of them).
 */
#ifndef ISOTEST_SQLSCAN_EXPECT_H
#define ISOTEST_SQLSCAN_EXPECT_H

#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/sqlscan.h"

/* The text of statement s, as a NUL-terminated copy (caller frees). */
static inline char *stmt_text(const char *text, const struct sql_stmt *s)
{
    size_t n = s->end - s->start;
    char *out = malloc(n + 1);

    cr_assert_not_null(out);
    memcpy(out, text + s->start, n);
    out[n] = '\0';
    return out;
}

/*
 * Split text (strlen) and check that it gives exactly the statements
 * listed, in order, then NULL.  Each must also lie inside text.
 */
static inline void expect_split(const char *text, ...)
{
    struct sql_stmt *v = (struct sql_stmt *)1;
    size_t n = 99, len = strlen(text), want_n = 0;
    const char *why = NULL;
    const char *want[32];
    va_list ap;

    va_start(ap, text);
    for (const char *w; (w = va_arg(ap, const char *));)
        want[want_n++] = w;
    va_end(ap);

    cr_assert_eq(sqlscan_split(text, len, &v, &n, &why), 0, "refused [%s]: %s",
                 text, why ? why : "(null)");
    cr_assert_eq(n, want_n, "[%s]: %zu statements, want %zu", text, n, want_n);
    if (n == 0)
        cr_assert_null(v);
    for (size_t i = 0; i < n; i++) {
        char *got;

        cr_assert_leq(v[i].start, v[i].end);
        cr_assert_leq(v[i].end, len);
        got = stmt_text(text, &v[i]);
        cr_expect_str_eq(got, want[i], "[%s] statement %zu", text, i);
        free(got);
    }
    free(v);
}

/* The file must go to psql: -1, a reason, nothing to free. */
static inline void expect_refused(const char *text, size_t len)
{
    struct sql_stmt *v = (struct sql_stmt *)1;
    size_t n = 99;
    const char *why = NULL;

    cr_assert_eq(sqlscan_split(text, len, &v, &n, &why), -1,
                 "not refused: [%s]", text);
    cr_assert_not_null(why, "[%s]", text);
    cr_assert_gt(strlen(why), 0);
    cr_assert_null(v);
    cr_assert_eq(n, 0);
}

static inline void expect_refused_str(const char *text)
{
    expect_refused(text, strlen(text));
}

/* Split text, which must be accepted; caller frees *v. */
static inline size_t split_ok(const char *text, struct sql_stmt **v)
{
    size_t n = 0;
    const char *why = NULL;

    cr_assert_eq(sqlscan_split(text, strlen(text), v, &n, &why), 0,
                 "refused [%s]: %s", text, why ? why : "(null)");
    return n;
}

#endif
