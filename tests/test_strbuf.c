/*
 * test_strbuf.c: the growable buffer (isolation/strbuf.h).
 *
 * Covers: buf is never NULL (fresh, reset, released, detached), growth by
 * strbuf_add/addch/addf including formats longer than addf's stack buffer,
 * bytes with NULs, the `max` cap counting refused bytes in `dropped`,
 * detach/release hand-over, rtrim (table-driven), and the x* helpers.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static void assert_sane(const struct strbuf *sb)
{
    cr_assert_not_null(sb->buf);
    cr_assert_eq(sb->buf[sb->len], '\0', "buf must stay NUL-terminated");
    if (sb->alloc)
        cr_assert_lt(sb->len, sb->alloc);
    if (sb->max)
        cr_assert_leq(sb->len, sb->max);
}

Test(strbuf, fresh_buffers_are_empty_strings)
{
    struct strbuf a = STRBUF_INIT, b;

    strbuf_init(&b, 0);
    assert_sane(&a);
    assert_sane(&b);
    cr_assert_str_eq(a.buf, "");
    cr_assert_str_eq(b.buf, "");
    cr_assert_eq(a.len + b.len + a.dropped + b.dropped, 0);
    strbuf_reset(&a);
    strbuf_rtrim(&a);
    strbuf_release(&a);
    assert_sane(&a);
    cr_assert_str_eq(strbuf_empty, "", "the shared empty string was written");
}

Test(strbuf, addch_grows_one_byte_at_a_time)
{
    struct strbuf sb = STRBUF_INIT;

    for (int i = 0; i < 5000; i++)
        strbuf_addch(&sb, 'a' + i % 26);
    assert_sane(&sb);
    cr_assert_eq(sb.len, 5000);
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(sb.buf[i], 'a' + i % 26, "byte %d", i);
    strbuf_release(&sb);
    assert_sane(&sb);
    cr_assert_eq(sb.len, 0);
}

Test(strbuf, add_keeps_nul_bytes)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_add(&sb, "a\0b", 3);
    strbuf_add(&sb, "", 0);
    strbuf_add(&sb, "\0", 1);
    assert_sane(&sb);
    cr_assert_eq(sb.len, 4);
    cr_assert_eq(memcmp(sb.buf, "a\0b\0", 4), 0);
    strbuf_release(&sb);
}

Test(strbuf, addf_appends_and_handles_long_output)
{
    struct strbuf sb = STRBUF_INIT;
    char *big = xmalloc(3001);

    memset(big, 'x', 3000);
    big[3000] = '\0';
    strbuf_addstr(&sb, "n=");
    strbuf_addf(&sb, "%d;", 42);
    strbuf_addf(&sb, "[%s]%c", big, '!');
    assert_sane(&sb);
    cr_assert_eq(sb.len, 5 + 1 + 3000 + 2);
    cr_assert_eq(strncmp(sb.buf, "n=42;[", 6), 0);
    cr_assert_eq(memcmp(sb.buf + 6, big, 3000), 0);
    cr_assert_str_eq(sb.buf + 3006, "]!");
    free(big);
    strbuf_release(&sb);
}

Test(strbuf, max_caps_length_and_counts_dropped)
{
    struct strbuf sb;

    strbuf_init(&sb, 10);
    strbuf_addstr(&sb, "hello");
    cr_assert_eq(sb.dropped, 0);
    strbuf_addstr(&sb, "world!!");
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "helloworld");
    cr_assert_eq(sb.len, 10);
    cr_assert_eq(sb.dropped, 2);
    strbuf_addch(&sb, 'x');
    strbuf_addf(&sb, "%s", "yz");
    strbuf_add(&sb, "\0\0", 2);
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "helloworld");
    cr_assert_eq(sb.dropped, 7);
    strbuf_release(&sb);
}

Test(strbuf, max_exactly_filled_drops_nothing)
{
    struct strbuf sb;

    strbuf_init(&sb, 4);
    strbuf_addstr(&sb, "ab");
    strbuf_addstr(&sb, "cd");
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "abcd");
    cr_assert_eq(sb.dropped, 0);
    strbuf_release(&sb);
}

Test(strbuf, max_large_write_in_one_call)
{
    struct strbuf sb;
    size_t n = 3 << 20;
    char *data = xmalloc(n);

    memset(data, 'q', n);
    strbuf_init(&sb, 1 << 20);
    strbuf_add(&sb, data, n);
    assert_sane(&sb);
    cr_assert_eq(sb.len, (size_t)1 << 20);
    cr_assert_eq(sb.dropped, n - (1 << 20));
    free(data);
    strbuf_release(&sb);
}

Test(strbuf, reset_empties_and_clears_dropped)
{
    struct strbuf sb;

    strbuf_init(&sb, 3);
    strbuf_addstr(&sb, "abcdef");
    strbuf_reset(&sb);
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "");
    cr_assert_eq(sb.dropped, 0);
    strbuf_addstr(&sb, "xyzw");
    cr_assert_str_eq(sb.buf, "xyz", "the cap still applies after reset");
    cr_assert_eq(sb.dropped, 1);
    strbuf_release(&sb);
}

Test(strbuf, detach_hands_over_and_leaves_reusable_buffer)
{
    struct strbuf sb = STRBUF_INIT;
    size_t len = 99;

    strbuf_addstr(&sb, "payload");
    char *p = strbuf_detach(&sb, &len);
    cr_assert_str_eq(p, "payload");
    cr_assert_eq(len, 7);
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "");
    cr_assert_neq(sb.buf, p);
    strbuf_addstr(&sb, "again");
    cr_assert_str_eq(sb.buf, "again");
    cr_assert_str_eq(p, "payload", "detached memory must not be reused");
    free(p);
    strbuf_release(&sb);
}

Test(strbuf, detach_of_untouched_buffer_is_freeable)
{
    struct strbuf sb = STRBUF_INIT;
    size_t len = 99;
    char *p = strbuf_detach(&sb, &len);

    cr_assert_not_null(p);
    cr_assert_str_eq(p, "");
    cr_assert_eq(len, 0);
    cr_assert_neq(p, strbuf_empty, "caller must be able to free() it");
    free(p);
    p = strbuf_detach(&sb, NULL);
    cr_assert_str_eq(p, "");
    free(p);
}

Test(strbuf, release_then_reuse)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "first");
    strbuf_release(&sb);
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, "");
    strbuf_addstr(&sb, "second");
    cr_assert_str_eq(sb.buf, "second");
    strbuf_release(&sb);
    strbuf_release(&sb);
    assert_sane(&sb);
}

/*
 * Parameters are copied into each test's process: strings live in the
 * struct, as pointers to literals would not survive the trip.
 */
struct rtrim_case {
    char in[24];
    char out[24];
};

ParameterizedTestParameters(strbuf, rtrim)
{
    static struct rtrim_case cases[] = {
        {"abc", "abc"},        {"abc\n", "abc"},
        {"abc \t\r\n", "abc"}, {"abc\r\n\r\n", "abc"},
        {"a b c  ", "a b c"},  {"  leading kept", "  leading kept"},
        {" \n\t\r", ""},       {"", ""},
        {"x\ny\n", "x\ny"},
    };

    return cr_make_param_array(struct rtrim_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rtrim_case *c, strbuf, rtrim)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, c->in);
    strbuf_rtrim(&sb);
    assert_sane(&sb);
    cr_assert_str_eq(sb.buf, c->out, "rtrim(\"%s\")", c->in);
    cr_assert_eq(sb.len, strlen(c->out));
    strbuf_release(&sb);
}

Test(strbuf, allocation_helpers)
{
    char *a = xasprintf("%s-%03d", "id", 7);
    char *b = xstrndup("abcdef", 3);
    char *c = xstrdup("");
    int *z = xcalloc(4, sizeof(int));
    char *m = xmalloc(0);
    char *r = xrealloc(NULL, 8);

    cr_assert_str_eq(a, "id-007");
    cr_assert_str_eq(b, "abc");
    cr_assert_str_eq(c, "");
    cr_assert_eq(z[0] | z[1] | z[2] | z[3], 0);
    cr_assert_not_null(m);
    cr_assert_not_null(r);
    free(a);
    free(b);
    free(c);
    free(z);
    free(m);
    free(r);
}
