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

/* N in a plan line, "1..N"; a long run of digits saturates, never overflows. */
static int plan_count(const char *line, size_t n)
{
    long last = 0;

    for (size_t i = 3; i < n && line[i] >= '0' && line[i] <= '9'; i++)
        last = last < INT_MAX / 10 ? last * 10 + (line[i] - '0') : INT_MAX;
    return (int)last;
}

/*
 * Whether the line is a test line, "ok ..." or "not ok ..." ("okay" is
 * not); *ok says which.
 */
static bool is_test_line(const char *line, size_t n, bool *ok)
{
    if (!starts(line, n, "ok") && !starts(line, n, "not ok"))
        return false;
    *ok = line[0] == 'o';
    size_t k = *ok ? 2 : 6;
    return k >= n || line[k] == ' ';
}

static void add_diag(struct strbuf *diag, const char *line, size_t n)
{
    strbuf_add(diag, line, n);
    strbuf_addch(diag, '\n');
}

/*
 * Take in one line, trimmed.  *in_failure is set while the "#" lines that
 * follow a failed test are its diagnostics.
 */
static void read_line(struct tap_result *r, struct strbuf *diag,
                      bool *in_failure, const char *line, size_t n)
{
    bool ok;

    if (n > 3 && starts(line, n, "1..") && line[3] >= '0' && line[3] <= '9') {
        r->seen = true;
        r->planned = plan_count(line, n);
        if (r->planned == 0)
            r->skip_all = true;
        *in_failure = false;
    } else if (is_test_line(line, n, &ok)) {
        r->seen = true;
        r->count++;
        *in_failure = false;
        if (!ok && !has_todo(line, n)) {
            r->failed++;
            add_diag(diag, line, n);
            *in_failure = true;
        }
    } else if (starts(line, n, "Bail out!")) {
        r->seen = true;
        r->bailed = true;
        add_diag(diag, line, n);
        *in_failure = false;
    } else if (n && line[0] == '#') {
        if (*in_failure || starts(line, n, "# Looks like"))
            add_diag(diag, line, n);
    } else {
        *in_failure = false;
    }
}

/* Why TAP output that was seen failed, one line; NULL when it passed. */
static char *failure_summary(const struct tap_result *r)
{
    struct strbuf why = STRBUF_INIT;
    char *summary = NULL;

    if (r->bailed)
        strbuf_addstr(&why, "bailed out");
    else if (r->failed)
        strbuf_addf(&why, "%d of %d TAP tests failed", r->failed, r->count);
    else if (r->planned < 0)
        strbuf_addf(&why, "no TAP plan (ran %d tests)", r->count);
    else if (!r->skip_all && r->count != r->planned)
        strbuf_addf(&why, "planned %d TAP tests but ran %d", r->planned,
                    r->count);
    if (why.len)
        summary = strbuf_detach(&why, NULL);
    strbuf_release(&why);
    return summary;
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
        read_line(r, &diag, &in_failure, line, n);
    }
    if (r->seen)
        r->summary = failure_summary(r);
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
