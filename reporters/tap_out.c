/*
 * tap_out.c: writing TAP version 14.  Layout: escaping for descriptions
 * and YAML, one test point, the stream, writing it out.
 */
#include "tap_out.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "xmlsafe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * s as valid UTF-8 that YAML can hold: xmlsafe_text() (no invalid bytes,
 * no colours, no C0 controls but tab, LF and CR), and DEL and the C1
 * controls, which XML allows and YAML does not (U+0085 is even a line
 * break to YAML 1.1), also become U+FFFD.  The caller frees it.
 */
static char *yaml_safe(const char *s)
{
    char *x = xmlsafe_text(s, strlen(s));
    struct strbuf sb = STRBUF_INIT;

    for (const unsigned char *p = (const unsigned char *)x; *p; p++) {
        if (*p == 0x7f) {
            strbuf_addstr(&sb, "\xef\xbf\xbd");
        } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
            strbuf_addstr(&sb, "\xef\xbf\xbd");
            p++;
        } else {
            strbuf_addch(&sb, (char)*p);
        }
    }
    free(x);
    return strbuf_detach(&sb, NULL);
}

/*
 * A description or a directive's reason: one line, '\' and '#' escaped
 * (TAP 14), so that an id holding "#" cannot read as a directive.
 */
static void add_description(struct strbuf *sb, const char *s, bool escape)
{
    char *safe = yaml_safe(s);

    for (const char *p = safe; *p; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            strbuf_addch(sb, ' ');
        else if (escape && (*p == '\\' || *p == '#'))
            strbuf_addf(sb, "\\%c", *p);
        else
            strbuf_addch(sb, *p);
    }
    free(safe);
}

/* A YAML double-quoted scalar. */
static void add_yaml_string(struct strbuf *sb, const char *s)
{
    char *safe = yaml_safe(s);

    strbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)safe; *p; p++) {
        if (*p == '"' || *p == '\\')
            strbuf_addf(sb, "\\%c", *p);
        else if (*p == '\n')
            strbuf_addstr(sb, "\\n");
        else if (*p == '\t')
            strbuf_addstr(sb, "\\t");
        else if (*p == '\r')
            strbuf_addstr(sb, "\\r");
        else
            strbuf_addch(sb, (char)*p);
    }
    strbuf_addch(sb, '"');
    free(safe);
}

/*
 * "  KEY: |" and the text as a literal block, every line indented by four
 * spaces (empty ones too: TAP's YAMLish readers end a block at a line
 * indented less).  Text whose first line starts with white space would
 * set the block's indentation wrong, and those readers know no
 * indentation indicator: it goes as a quoted string instead.
 */
static void add_yaml_block(struct strbuf *sb, const char *key, const char *text)
{
    char *safe = yaml_safe(text);
    size_t len = strlen(safe);

    while (len && (safe[len - 1] == '\n' || safe[len - 1] == '\r'))
        len--;
    safe[len] = '\0';
    if (safe[0] == ' ' || safe[0] == '\t') {
        strbuf_addf(sb, "  %s: ", key);
        add_yaml_string(sb, safe);
        strbuf_addch(sb, '\n');
        free(safe);
        return;
    }
    strbuf_addf(sb, "  %s: |\n", key);
    strbuf_addstr(sb, "    ");
    for (const char *p = safe; *p; p++) {
        if (*p == '\n')
            strbuf_addstr(sb, "\n    ");
        else if (*p != '\r') /* a line break to YAML: CRLF loses its CR */
            strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '\n');
    free(safe);
}

static void add_diagnostics(struct strbuf *sb, const struct test_result *r)
{
    const char *msg = !r->done     ? "not run: the run was interrupted"
                      : r->message ? r->message
                                   : outcome_name(r->outcome);

    strbuf_addstr(sb, "  ---\n  message: ");
    add_yaml_string(sb, msg);
    strbuf_addf(sb, "\n  severity: %s\n",
                r->done && r->outcome == OUTCOME_FAILED ? "fail" : "error");
    strbuf_addf(sb, "  outcome: %s\n",
                r->done ? outcome_name(r->outcome) : "not run");
    strbuf_addf(sb, "  duration_ms: %.1f\n", r->time_ms);
    if (r->nretried)
        strbuf_addf(sb, "  tries: %zu\n", r->nretried + 1);
    if (r->detail && *r->detail)
        add_yaml_block(sb, "detail", r->detail);
    strbuf_addstr(sb, "  ...\n");
}

static void add_point(struct strbuf *sb, size_t num,
                      const struct test_result *r)
{
    bool failed = !r->done || outcome_is_failure(r->outcome);

    strbuf_addf(sb, "%s %zu - ", failed ? "not ok" : "ok", num);
    add_description(sb, r->id, true);
    if (r->done && r->outcome == OUTCOME_SKIPPED) {
        strbuf_addstr(sb, " # SKIP ");
        add_description(sb, r->message ? r->message : "skipped", false);
    }
    strbuf_addch(sb, '\n');
    if (failed)
        add_diagnostics(sb, r);
    else if (result_flaky(r))
        strbuf_addf(sb, "# flaky: passed on try %zu\n", r->nretried + 1);
}

char *tap_out_render(const struct test_result *results, size_t n, size_t *len)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addf(&sb, "TAP version 14\n1..%zu\n", n);
    for (size_t i = 0; i < n; i++)
        add_point(&sb, i + 1, &results[i]);
    return strbuf_detach(&sb, len);
}

int tap_out_write(const char *path, FILE *dash,
                  const struct test_result *results, size_t n,
                  struct isotest_err *e)
{
    size_t len;
    char *text = tap_out_render(results, n, &len);
    int rc = 0;

    if (strcmp(path, "-") != 0) {
        rc = fs_write_atomic(path, text, len, e);
    } else if (fwrite(text, 1, len, dash) != len || fflush(dash) != 0) {
        int saved = errno;
        rc = err_errno(e, saved,
                       "cannot write the TAP report to standard "
                       "output");
    }
    free(text);
    return rc;
}
