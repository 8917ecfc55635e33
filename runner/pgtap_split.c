/*
 * pgtap_split.c: one pass over the lines, each put in the head (startup),
 * a function's block, or the tail (shutdown); then the parts are built.
 */
#include "pgtap_split.h"

#include <stdbool.h>
#include <string.h>

#define SUBTEST_HEADER "    # Subtest: "

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);

    return n >= m && !strncmp(s, prefix, m);
}

/* A test line of the top level: "ok", "not ok", unindented. */
static bool top_test(const char *s, size_t n)
{
    size_t k = starts(s, n, "ok") ? 2 : starts(s, n, "not ok") ? 6 : 0;

    return k && (n == k || s[k] == ' ');
}

static void add_line(struct strbuf *sb, const char *s, size_t n)
{
    strbuf_add(sb, s, n);
    strbuf_addch(sb, '\n');
}

int pgtap_split(const char *text, size_t len, size_t k, struct strbuf *parts)
{
    enum { HEAD, BLOCK, AFTER, TAIL } state = HEAD;
    struct strbuf head = STRBUF_INIT, tail = STRBUF_INIT;
    size_t j = 0; /* blocks begun */
    int head_tests = 0, tail_tests = 0;
    const char *p = text, *end = text + len;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *s = p;
        p = nl ? nl + 1 : end;
        if (starts(s, n, SUBTEST_HEADER)) {
            if (j == k || state == TAIL)
                break; /* more than k, or after the plan: not ours */
            add_line(&parts[j++], s, n);
            state = BLOCK;
        } else if (state == HEAD) {
            head_tests += top_test(s, n);
            add_line(&head, s, n);
        } else if (state == BLOCK) {
            add_line(&parts[j - 1], s, n);
            if (top_test(s, n))
                state = AFTER; /* the line that summarises the subtest */
        } else if (state == AFTER && n && s[0] == '#') {
            add_line(&parts[j - 1], s, n); /* its "# Failed test" lines */
        } else {
            state = TAIL;
            /* The chunk's plan and totals are rewritten per part. */
            bool plan =
                starts(s, n, "1..") && n > 3 && s[3] >= '0' && s[3] <= '9';
            if (!plan && !starts(s, n, "# Looks like")) {
                tail_tests += top_test(s, n);
                add_line(&tail, s, n);
            }
        }
    }
    int rc = p < end || j != k ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < k; i++) {
        struct strbuf block = STRBUF_INIT;
        strbuf_add(&block, parts[i].buf, parts[i].len);
        strbuf_reset(&parts[i]);
        strbuf_add(&parts[i], head.buf, head.len);
        strbuf_add(&parts[i], block.buf, block.len);
        strbuf_add(&parts[i], tail.buf, tail.len);
        strbuf_addf(&parts[i], "1..%d\n", head_tests + 1 + tail_tests);
        strbuf_release(&block);
    }
    strbuf_release(&head);
    strbuf_release(&tail);
    return rc;
}
