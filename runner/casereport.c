/*
 * casereport.c: reading a command case's own JUnit or TAP report.
 */
#include "casereport.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit_read.h"
#include "tap.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *casereport_path(const char *tmpdir)
{
    char *path = xasprintf("%s/isotest-report-XXXXXX", tmpdir);
    int fd = mkstemp(path);

    if (fd < 0) {
        free(path);
        return NULL;
    }
    close(fd);
    return path;
}

static void set_message(struct test_result *r, char *msg)
{
    free(r->message);
    r->message = msg;
}

static const char *case_label(const struct junit_case *c, struct strbuf *sb)
{
    strbuf_reset(sb);
    if (c->classname && *c->classname)
        strbuf_addf(sb, "%s.", c->classname);
    strbuf_addstr(sb, c->name ? c->name : "?");
    return sb->buf;
}

/* Failed tests (and skipped ones) listed in r's detail. */
static void list_cases(const struct junit_report *jr, struct test_result *r)
{
    struct strbuf d = STRBUF_INIT, label = STRBUF_INIT;

    if (r->detail)
        strbuf_addf(&d, "%s\n", r->detail);
    for (size_t i = 0; i < jr->ncases; i++) {
        const struct junit_case *c = &jr->cases[i];
        if (c->outcome == JUNIT_PASSED)
            continue;
        strbuf_addf(&d, "%s %s%s%s\n",
                    c->outcome == JUNIT_SKIPPED ? "skipped:" : "failed: ",
                    case_label(c, &label), c->message ? ": " : "",
                    c->message ? c->message : "");
    }
    free(r->detail);
    r->detail = d.len ? strbuf_detach(&d, NULL) : NULL;
    strbuf_release(&d);
    strbuf_release(&label);
}

static void judge_junit(const struct junit_report *jr,
                        const struct proc_status *st, struct test_result *r)
{
    size_t failed = 0, skipped = 0;
    const struct junit_case *first = NULL;
    struct strbuf label = STRBUF_INIT;

    for (size_t i = 0; i < jr->ncases; i++) {
        enum junit_outcome o = jr->cases[i].outcome;
        if (o == JUNIT_FAILURE || o == JUNIT_ERROR) {
            if (!failed++)
                first = &jr->cases[i];
        } else if (o == JUNIT_SKIPPED) {
            skipped++;
        }
    }
    bool exit0 = st->exited && st->code == 0;
    if (first && (exit0 || outcome_is_failure(r->outcome))) {
        r->outcome = OUTCOME_FAILED;
        set_message(r, xasprintf("%zu of %zu tests failed%s: %s%s%s", failed,
                                 jr->ncases, exit0 ? " (exit code 0)" : "",
                                 case_label(first, &label),
                                 first->message ? ": " : "",
                                 first->message ? first->message : ""));
    } else if (exit0 && jr->ncases && skipped == jr->ncases) {
        r->outcome = OUTCOME_SKIPPED;
        set_message(
            r, xasprintf("all %zu tests skipped%s%s", skipped,
                         jr->cases[0].message ? ": " : "",
                         jr->cases[0].message ? jr->cases[0].message : ""));
    }
    if (failed || skipped)
        list_cases(jr, r);
    strbuf_release(&label);
}

static void judge_tap(const char *text, size_t len,
                      const struct proc_status *st, struct test_result *r)
{
    struct tap_result tap;

    tap_parse(text, len, &tap);
    bool exit0 = st->exited && st->code == 0;
    if (tap.seen && tap.skip_all && exit0) {
        r->outcome = OUTCOME_SKIPPED;
        set_message(r, xstrdup("skipped (the report's plan is 1..0)"));
    } else if (tap.seen && !tap_passed(&tap) &&
               (exit0 || outcome_is_failure(r->outcome))) {
        r->outcome = OUTCOME_FAILED;
        set_message(r, xstrdup(tap.summary ? tap.summary
                                           : "the report says it failed"));
        if (tap.diagnostics) {
            free(r->detail);
            r->detail = xstrdup(tap.diagnostics);
        }
    }
    tap_release(&tap);
}

bool casereport_judge(const char *path, const struct proc_status *st,
                      struct test_result *r)
{
    char *text = NULL;
    size_t len = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (!path || fs_read_file(path, &text, &len, &e) < 0 || !len) {
        isotest_err_release(&e);
        free(text);
        return false;
    }
    /* A signal or a timeout says more than any report. */
    bool decided = r->outcome == OUTCOME_ERROR || r->outcome == OUTCOME_TIMEOUT;
    size_t lead = strspn(text, " \t\r\n");
    if (decided) {
        /* nothing to add */
    } else if (text[lead] == '<') {
        struct junit_report jr;
        if (junit_read_load(&jr, path, &e) == 0) {
            judge_junit(&jr, st, r);
        } else {
            r->outcome = OUTCOME_ERROR;
            set_message(r,
                        xasprintf("cannot read the case's report: %s", e.msg));
        }
        junit_read_release(&jr);
    } else {
        judge_tap(text, len, st, r);
    }
    isotest_err_release(&e);
    free(text);
    return true;
}
