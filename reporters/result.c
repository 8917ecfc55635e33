/*
 * result.c: small helpers for struct test_result.
 */
#include "result.h"
#include "common/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void run_info_stamp(char ts[RUN_STAMP_TS], char host[RUN_STAMP_HOST])
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(ts, RUN_STAMP_TS, "%Y-%m-%dT%H:%M:%S", &tm);
    if (gethostname(host, RUN_STAMP_HOST) < 0)
        snprintf(host, RUN_STAMP_HOST, "localhost");
    host[RUN_STAMP_HOST - 1] = '\0';
}

static void try_release(struct test_try *t)
{
    free(t->sandbox);
    free(t->message);
    free(t->detail);
    free(t->out.data);
    free(t->err.data);
}

void result_release(struct test_result *r)
{
    for (size_t i = 0; i < r->nretried; i++)
        try_release(&r->retried[i]);
    free(r->retried);
    r->retried = NULL;
    r->nretried = 0;
    free(r->sandbox);
    free(r->message);
    free(r->detail);
    free(r->hint);
    free(r->out.data);
    free(r->err.data);
    r->sandbox = r->message = r->detail = r->hint = NULL;
    r->detail_short = false;
    memset(&r->out, 0, sizeof(r->out));
    memset(&r->err, 0, sizeof(r->err));
}

const char *outcome_name(enum outcome o)
{
    switch (o) {
    case OUTCOME_PASSED: return "passed";
    case OUTCOME_FAILED: return "failed";
    case OUTCOME_ERROR: return "error";
    case OUTCOME_TIMEOUT: return "timeout";
    case OUTCOME_SKIPPED: return "skipped";
    }
    return "?";
}

bool outcome_is_failure(enum outcome o)
{
    return o == OUTCOME_FAILED || o == OUTCOME_ERROR || o == OUTCOME_TIMEOUT;
}

void result_count(const struct test_result *r, size_t n,
                  struct result_counts *c)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        if (!r[i].done) {
            c->not_run++;
            continue;
        }
        switch (r[i].outcome) {
        case OUTCOME_PASSED: c->passed++; break;
        case OUTCOME_FAILED: c->failed++; break;
        case OUTCOME_ERROR: c->errors++; break;
        case OUTCOME_TIMEOUT: c->timed_out++; break;
        case OUTCOME_SKIPPED: c->skipped++; break;
        }
        if (result_flaky(&r[i]))
            c->flaky++;
    }
}

bool result_ran(const struct test_result *r)
{
    return r->done && r->outcome != OUTCOME_SKIPPED;
}

bool result_slower(const struct test_result *r, const struct run_info *info)
{
    return r->done && r->prev_ms >= 0 &&
           r->time_ms >= r->prev_ms * info->slower_ratio &&
           r->time_ms - r->prev_ms >= info->slower_min_ms;
}

void result_push_try(struct test_result *r)
{
    r->retried = xrealloc(r->retried, (r->nretried + 1) * sizeof(*r->retried));
    r->retried[r->nretried++] = (struct test_try){.outcome = r->outcome,
                                                  .start_ms = r->start_ms,
                                                  .time_ms = r->time_ms,
                                                  .acquire_ms = r->acquire_ms,
                                                  .release_ms = r->release_ms,
                                                  .sandbox = r->sandbox,
                                                  .message = r->message,
                                                  .detail = r->detail,
                                                  .out = r->out,
                                                  .err = r->err};
    r->outcome = OUTCOME_PASSED;
    r->start_ms = r->time_ms = r->acquire_ms = r->release_ms = 0;
    r->sandbox = r->message = r->detail = NULL;
    r->detail_short = false;
    r->detail_short_len = 0;
    memset(&r->out, 0, sizeof(r->out));
    memset(&r->err, 0, sizeof(r->err));
}

bool result_flaky(const struct test_result *r)
{
    return r->done && r->outcome == OUTCOME_PASSED && r->nretried > 0;
}

double result_total_ms(const struct test_result *r)
{
    double ms = r->time_ms;

    for (size_t i = 0; i < r->nretried; i++)
        ms += r->retried[i].time_ms;
    return ms;
}
