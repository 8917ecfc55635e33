/*
 * exec_report.c: framework JUnit + socket records -> results -> report.
 */
#include "exec_report.h"
#include "common/strbuf.h"
#include "reporters/console.h"
#include "reporters/junit.h"
#include "reporters/junit_read.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static enum outcome outcome_of(enum junit_outcome o)
{
    switch (o) {
    case JUNIT_FAILURE: return OUTCOME_FAILED;
    case JUNIT_ERROR: return OUTCOME_ERROR;
    case JUNIT_SKIPPED: return OUTCOME_SKIPPED;
    case JUNIT_PASSED: break;
    }
    return OUTCOME_PASSED;
}

/*
 * Does the record belong to the case?  Its test id is the case's id
 * ("classname.name"), or, for reports with no classname (Criterion's),
 * "suite.name", or the bare name.
 */
static bool record_of(const struct sock_record *r, const struct test_result *c)
{
    size_t n = strlen(c->classname);

    if (!r->test_id)
        return false;
    if (!strcmp(r->test_id, c->id) || !strcmp(r->test_id, c->name))
        return true;
    return !strncmp(r->test_id, c->classname, n) && r->test_id[n] == '.' &&
           !strcmp(r->test_id + n + 1, c->name);
}

/* The sandboxes of one case: names joined, times summed; -1: none. */
static int attach(struct test_result *res, const struct exec_report_in *in,
                  bool *used)
{
    struct strbuf names = STRBUF_INIT;
    int n = 0;

    for (size_t k = 0; k < in->nrecords; k++) {
        const struct sock_record *r = &in->records[k];
        if (!record_of(r, res))
            continue;
        used[k] = true;
        strbuf_addf(&names, "%s%s", n ? "," : "", r->name);
        res->acquire_ms += r->acquire_ms;
        res->release_ms += r->release_ms;
        if (!n++) {
            res->worker = r->client;
            res->start_ms = r->start_ms;
        }
    }
    if (n)
        res->sandbox = strbuf_detach(&names, NULL);
    strbuf_release(&names);
    return n ? 0 : -1;
}

static void copy_captured(struct captured *dst, const char *text)
{
    if (!text)
        return;
    dst->len = strlen(text);
    dst->data = xstrndup(text, dst->len);
}

static struct test_result *to_results(const struct junit_report *jr,
                                      const struct exec_report_in *in,
                                      char **ids, size_t *unmatched)
{
    struct test_result *res =
        xcalloc(jr->ncases ? jr->ncases : 1, sizeof(*res));
    bool *used = xcalloc(in->nrecords + 1, sizeof(*used));

    for (size_t i = 0; i < jr->ncases; i++) {
        const struct junit_case *c = &jr->cases[i];
        struct test_result *r = &res[i];
        const char *cls = c->classname ? c->classname : "";
        const char *name = c->name ? c->name : "";
        ids[i] = cls[0] ? xasprintf("%s.%s", cls, name) : xstrdup(name);
        r->id = ids[i];
        r->suite =
            jr->suites[c->suite].name ? jr->suites[c->suite].name : "exec";
        r->classname = cls[0] ? cls : r->suite;
        r->name = name;
        r->file = c->file;
        r->done = true;
        r->outcome = outcome_of(c->outcome);
        r->time_ms = c->time_ms;
        r->prev_ms = -1;
        r->message = c->message ? xstrdup(c->message) : NULL;
        r->detail = c->detail ? xstrdup(c->detail) : NULL;
        copy_captured(&r->out, c->out);
        copy_captured(&r->err, c->err);
        attach(r, in, used);
    }
    *unmatched = 0;
    for (size_t k = 0; k < in->nrecords; k++)
        if (!used[k])
            (*unmatched)++;
    free(used);
    return res;
}

static void fill_info(struct run_info *info, const struct exec_report_in *in,
                      char ts[32], char host[256])
{
    const struct isotest_session_info *si = isotest_session_info(in->session);

    run_info_stamp(ts, host);
    *info = (struct run_info){.isotest_version = ISOTEST_VERSION,
                              .isolation = si->isolation,
                              .jobs = 0,
                              .server_version = si->server_version,
                              .template_hash = si->template_hash,
                              .template_name = si->template_name,
                              .template_reused = si->template_reused,
                              .wall_ms = in->wall_ms,
                              .interrupted = signals_interrupted(),
                              .slower_ratio = RESULT_SLOWER_RATIO,
                              .slower_min_ms = RESULT_SLOWER_MIN_MS,
                              .timestamp = ts,
                              .hostname = host,
                              .report_path = in->out};
}

int exec_report(const struct exec_report_in *in, struct isotest_err *e)
{
    struct junit_report jr;

    if (junit_read_load(&jr, in->framework_junit, e) < 0)
        return err_prefix(e, "--junit: the command wrote no report of its "
                             "own to $ISOTEST_FRAMEWORK_JUNIT (the pytest "
                             "plugin does; other frameworks: write JUnit "
                             "XML there)");
    char **ids = xcalloc(jr.ncases + 1, sizeof(*ids));
    size_t unmatched;
    struct test_result *res = to_results(&jr, in, ids, &unmatched);
    struct run_info info;
    char ts[32], host[256], clients[32], orphans[32];

    fill_info(&info, in, ts, host);
    snprintf(orphans, sizeof(orphans), "%zu", unmatched);
    snprintf(clients, sizeof(clients), "%zu", in->nrecords);
    struct junit_property extra[] = {
        {"isotest.command", "exec"},
        {"isotest.sandboxes", clients},
        {"isotest.sandboxes_of_unreported_tests", orphans}};
    int r = junit_write(in->out, res, jr.ncases, &info, extra, 3, e);
    struct console *con = console_new(stdout, false, jr.ncases);
    console_summary(con, res, jr.ncases, &info);
    console_free(con);
    for (size_t i = 0; i < jr.ncases; i++) {
        result_release(&res[i]);
        free(ids[i]);
    }
    free(res);
    free(ids);
    junit_read_release(&jr);
    return r;
}
