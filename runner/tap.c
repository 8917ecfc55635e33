/*
 * tap.c: a small TAP (version 12/13) consumer.
 */
#include "tap.h"

#include "common/strbuf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);

    return n >= m && !strncmp(s, prefix, m);
}

/* "# TODO" directive after the description (case-insensitive). */
static bool has_todo(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '#')
            continue;
        size_t j = i + 1;
        while (j < n && s[j] == ' ')
            j++;
        if (n - j >= 4 && !strncasecmp(s + j, "todo", 4))
            return true;
    }
    return false;
}

void tap_parse(const char *text, size_t len, struct tap_result *r)
{
    struct strbuf diag = STRBUF_INIT;
    bool in_failure = false;
    const char *p = text, *end = text + len;

    memset(r, 0, sizeof(*r));
    r->planned = -1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *line = p;
        p = nl ? nl + 1 : end;
        while (n && line[n - 1] == '\r')
            n--;
        /* pgTAP output may be indented in aligned psql output. */
        while (n && (*line == ' ' || *line == '\t')) {
            line++;
            n--;
        }

        /* A plan, "1..N"; a long run of digits saturates, never overflows. */
        if (n > 3 && starts(line, n, "1..") && line[3] >= '0' &&
            line[3] <= '9') {
            long last = 0;
            for (size_t i = 3; i < n && line[i] >= '0' && line[i] <= '9'; i++)
                last = last < INT_MAX / 10 ? last * 10 + (line[i] - '0')
                                           : INT_MAX;
            r->seen = true;
            r->planned = (int)last;
            if (last == 0)
                r->skip_all = true;
            in_failure = false;
            continue;
        }
        if (starts(line, n, "ok") || starts(line, n, "not ok")) {
            bool ok = line[0] == 'o';
            size_t k = ok ? 2 : 6;
            if (k < n && line[k] != ' ')
                goto other;
            r->seen = true;
            r->count++;
            in_failure = false;
            if (!ok && !has_todo(line, n)) {
                r->failed++;
                strbuf_add(&diag, line, n);
                strbuf_addch(&diag, '\n');
                in_failure = true;
            }
            continue;
        }
        if (starts(line, n, "Bail out!")) {
            r->seen = true;
            r->bailed = true;
            strbuf_add(&diag, line, n);
            strbuf_addch(&diag, '\n');
            in_failure = false;
            continue;
        }
        if (n && line[0] == '#') {
            if (in_failure || starts(line, n, "# Looks like")) {
                strbuf_add(&diag, line, n);
                strbuf_addch(&diag, '\n');
            }
            continue;
        }
    other:
        in_failure = false;
    }

    if (r->seen) {
        struct strbuf why = STRBUF_INIT;
        if (r->bailed)
            strbuf_addstr(&why, "bailed out");
        else if (r->failed)
            strbuf_addf(&why, "%d of %d TAP tests failed", r->failed,
                        r->count);
        else if (r->planned < 0)
            strbuf_addf(&why, "no TAP plan (ran %d tests)", r->count);
        else if (!r->skip_all && r->count != r->planned)
            strbuf_addf(&why, "planned %d TAP tests but ran %d", r->planned,
                        r->count);
        if (why.len)
            r->summary = strbuf_detach(&why, NULL);
        strbuf_release(&why);
    }
    if (diag.len)
        r->diagnostics = strbuf_detach(&diag, NULL);
    strbuf_release(&diag);
}

bool tap_passed(const struct tap_result *r)
{
    return r->seen && !r->summary;
}

void tap_release(struct tap_result *r)
{
    free(r->summary);
    free(r->diagnostics);
    r->summary = r->diagnostics = NULL;
}
