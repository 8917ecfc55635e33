/*
 * tap.c: a small TAP (version 12 to 14) consumer.
 *
 * Lines are read one at a time into a stack of levels: level 0 is the
 * stream itself, level k a subtest indented by 4k spaces.  A plan or test
 * line at a shallower depth closes the deeper levels; a closed subtest
 * waits in its parent's `child` for the test line that summarises it.
 */
#include "tap.h"

#include "common/strbuf.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Deeper subtests are read as if at this depth. */
#define TAP_MAX_DEPTH 8

struct level {
    int planned, count, failed, skipped;
    bool skip_all, bailed;
    char *name;        /* the subtest's name, or NULL */
    bool name_in_diag; /* its "# Subtest" line is in the diagnostics */
    bool has_child;    /* a closed subtest waits for its test line */
    bool child_failed;
    struct tap_subtest child;
};

struct parser {
    struct tap_result *r;
    struct strbuf diag;
    struct level lv[TAP_MAX_DEPTH];
    int depth;       /* the deepest open level */
    char *next_name; /* "# Subtest: NAME" read, its level not yet open */
    int fail_depth;  /* depth of the failed test whose "#" lines follow */
};

static bool starts(const char *s, size_t n, const char *prefix)
{
    size_t m = strlen(prefix);

    return n >= m && !strncmp(s, prefix, m);
}

/* A "# TODO" or "# SKIP" directive after the description (any case). */
static bool has_directive(const char *s, size_t n, const char *word)
{
    size_t w = strlen(word);

    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '#')
            continue;
        size_t j = i + 1;
        while (j < n && s[j] == ' ')
            j++;
        if (n - j >= w && !strncasecmp(s + j, word, w))
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

/* "ok 3 - name # SKIP x" -> "name"; NULL when there is none. */
static char *description(const char *line, size_t n)
{
    size_t i = line[0] == 'o' ? 2 : 6;

    while (i < n && (line[i] == ' ' || (line[i] >= '0' && line[i] <= '9')))
        i++;
    if (i < n && line[i] == '-')
        i++;
    while (i < n && line[i] == ' ')
        i++;
    size_t end = i;
    while (end < n && line[end] != '#')
        end++;
    while (end > i && line[end - 1] == ' ')
        end--;
    return end > i ? xstrndup(line + i, end - i) : NULL;
}

static bool level_failed(const struct level *l)
{
    return l->bailed || l->failed > 0 || l->planned < 0 ||
           (!l->skip_all && l->count != l->planned);
}

static void indent(struct strbuf *sb, int depth)
{
    for (int i = 0; i < depth; i++)
        strbuf_addstr(sb, "    ");
}

/*
 * A diagnostic line at depth d, after the "# Subtest" lines of the
 * subtests it sits in that are not there yet.
 */
static void add_diag(struct parser *p, int d, const char *line, size_t n)
{
    for (int k = 1; k <= d; k++) {
        const char *name = NULL;
        if (k <= p->depth && !p->lv[k].name_in_diag) {
            name = p->lv[k].name;
            p->lv[k].name_in_diag = true;
        } else if (k == p->depth + 1 && p->next_name) {
            name = p->next_name;
        }
        if (name) {
            indent(&p->diag, k);
            strbuf_addf(&p->diag, "# Subtest: %s\n", name);
        }
    }
    indent(&p->diag, d);
    strbuf_add(&p->diag, line, n);
    strbuf_addch(&p->diag, '\n');
}

static void push_subtest(struct tap_result *r, struct tap_subtest *st)
{
    r->subtests =
        xrealloc(r->subtests, (r->nsubtests + 1) * sizeof(*r->subtests));
    r->subtests[r->nsubtests++] = *st;
    memset(st, 0, sizeof(*st));
}

/* A closed subtest that no test line summarised: only its failure counts. */
static void settle_child(struct parser *p, int d)
{
    struct level *l = &p->lv[d];

    if (!l->has_child)
        return;
    l->has_child = false;
    if (l->child_failed)
        l->failed++;
    if (d == 0) {
        l->child.passed = !l->child_failed;
        push_subtest(p->r, &l->child);
    } else {
        free(l->child.name);
        memset(&l->child, 0, sizeof(l->child));
    }
}

static void close_level(struct parser *p)
{
    struct level *l = &p->lv[p->depth];
    struct level *parent = &p->lv[p->depth - 1];

    settle_child(p, p->depth);
    settle_child(p, p->depth - 1); /* two subtests with no line between */
    parent->has_child = true;
    parent->child_failed = level_failed(l);
    parent->child = (struct tap_subtest){.name = l->name,
                                         .planned = l->planned,
                                         .count = l->count,
                                         .failed = l->failed,
                                         .skipped = l->skipped,
                                         .skip_all = l->skip_all};
    memset(l, 0, sizeof(*l));
    p->depth--;
}

/* Make depth d the current level: close deeper ones, open missing ones. */
static void enter(struct parser *p, int d)
{
    while (p->depth > d)
        close_level(p);
    while (p->depth < d) {
        struct level *l = &p->lv[++p->depth];
        memset(l, 0, sizeof(*l));
        l->planned = -1;
        l->name = p->next_name;
        p->next_name = NULL;
    }
}

static void read_test(struct parser *p, int d, bool ok, const char *line,
                      size_t n)
{
    struct level *l = &p->lv[d];
    bool todo = has_directive(line, n, "todo");
    bool failed = !ok && !todo;

    l->count++;
    if (ok && has_directive(line, n, "skip"))
        l->skipped++;
    if (!l->has_child && p->next_name) {
        /* "# Subtest: NAME" and no line of its own: it has no plan. */
        l->has_child = l->child_failed = true;
        l->child = (struct tap_subtest){.name = p->next_name, .planned = -1};
        p->next_name = NULL;
    }
    if (l->has_child) {
        l->has_child = false;
        failed = failed || (l->child_failed && !todo);
        if (d == 0) {
            if (!l->child.name)
                l->child.name = description(line, n);
            l->child.passed = !failed;
            push_subtest(p->r, &l->child);
        } else {
            free(l->child.name);
            memset(&l->child, 0, sizeof(l->child));
        }
    }
    p->fail_depth = -1;
    if (failed) {
        l->failed++;
        add_diag(p, d, line, n);
        p->fail_depth = d;
    }
}

/* A comment: a subtest's name, or a diagnostic worth keeping. */
static void read_comment(struct parser *p, int d, const char *line, size_t n)
{
    if (starts(line, n, "# Subtest")) {
        size_t i = 9;
        while (i < n && (line[i] == ':' || line[i] == ' '))
            i++;
        free(p->next_name);
        p->next_name = xstrndup(line + i, n - i);
        p->fail_depth = -1;
    } else if (p->fail_depth >= 0 || starts(line, n, "# Looks like") ||
               starts(line, n, "# Test died") ||
               starts(line, n, "# No tests run")) {
        add_diag(p, d, line, n);
    }
}

/* One line, without its indentation, found at depth d. */
static void read_line(struct parser *p, int d, const char *line, size_t n)
{
    bool ok;

    if (n > 3 && starts(line, n, "1..") && line[3] >= '0' && line[3] <= '9') {
        enter(p, d);
        settle_child(p, d);
        p->r->seen = true;
        p->lv[d].planned = plan_count(line, n);
        p->lv[d].skip_all = p->lv[d].planned == 0;
        p->fail_depth = -1;
    } else if (is_test_line(line, n, &ok)) {
        enter(p, d);
        p->r->seen = true;
        read_test(p, d, ok, line, n);
    } else if (starts(line, n, "Bail out!")) {
        p->r->seen = true;
        p->r->bailed = true;
        p->lv[0].bailed = true;
        add_diag(p, 0, line, n);
        p->fail_depth = -1;
    } else if (n && line[0] == '#') {
        read_comment(p, d, line, n);
    } else {
        p->fail_depth = -1;
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
    struct parser p = {.r = r, .fail_depth = -1};
    const char *s = text, *end = text + len;

    memset(r, 0, sizeof(*r));
    strbuf_init(&p.diag, 0);
    p.lv[0].planned = -1;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        const char *line = s;
        int spaces = 0;
        s = nl ? nl + 1 : end;
        while (n && line[n - 1] == '\r')
            n--;
        /* pgTAP output may be indented in aligned psql output, by less. */
        while (n && (*line == ' ' || *line == '\t')) {
            spaces += *line == ' ';
            line++;
            n--;
        }
        int d = spaces / 4;
        read_line(&p, d < TAP_MAX_DEPTH ? d : TAP_MAX_DEPTH - 1, line, n);
    }
    enter(&p, 0);
    settle_child(&p, 0);
    free(p.next_name);
    r->planned = p.lv[0].planned;
    r->skip_all = p.lv[0].skip_all;
    r->count = p.lv[0].count;
    r->failed = p.lv[0].failed;
    r->skipped = p.lv[0].skipped;
    if (r->seen)
        r->summary = failure_summary(r);
    if (p.diag.len)
        r->diagnostics = strbuf_detach(&p.diag, NULL);
    strbuf_release(&p.diag);
}

bool tap_passed(const struct tap_result *r)
{
    return r->seen && !r->summary;
}

void tap_release(struct tap_result *r)
{
    free(r->summary);
    free(r->diagnostics);
    for (size_t i = 0; i < r->nsubtests; i++)
        free(r->subtests[i].name);
    free(r->subtests);
    r->summary = r->diagnostics = NULL;
    r->subtests = NULL;
    r->nsubtests = 0;
}
