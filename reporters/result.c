/*
 * result.c: small helpers for struct test_result.
 */
#include "result.h"

#include <stdlib.h>
#include <string.h>

void result_release(struct test_result *r)
{
    free(r->sandbox);
    free(r->message);
    free(r->detail);
    free(r->hint);
    free(r->out.data);
    free(r->err.data);
    r->sandbox = r->message = r->detail = r->hint = NULL;
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
