/*
 * catalog_report.c: a production check's findings as JUnit test results.
 */
#include "catalog_report.h"
#include "common/strbuf.h"
#include "reporters/result.h"

#include <stdlib.h>

static void fill_info(const struct catalog_report *r, struct run_info *info,
                      char ts[RUN_STAMP_TS], char host[RUN_STAMP_HOST])
{
    run_info_stamp(ts, host);
    *info = (struct run_info){.isotest_version = ISOTEST_VERSION,
                              .isolation = "none",
                              .jobs = 1,
                              .server_version =
                                  r->server_version ? r->server_version : "",
                              .template_hash = "",
                              .template_name = "",
                              .wall_ms = r->wall_ms,
                              .slower_ratio = RESULT_SLOWER_RATIO,
                              .slower_min_ms = RESULT_SLOWER_MIN_MS,
                              .timestamp = ts,
                              .hostname = host};
}

int catalog_report_junit(const char *path, const struct catalog_report *r,
                         const struct catalog_report_case *cases, size_t n,
                         struct isotest_err *e)
{
    struct test_result *res = xcalloc(n ? n : 1, sizeof(*res));
    char **ids = xcalloc(n ? n : 1, sizeof(*ids));
    struct run_info info;
    char ts[RUN_STAMP_TS], host[RUN_STAMP_HOST];

    for (size_t i = 0; i < n; i++) {
        ids[i] = xasprintf("%s/%s", r->suite, cases[i].name);
        res[i].id = ids[i];
        res[i].suite = r->suite;
        res[i].classname = r->suite;
        res[i].name = cases[i].name;
        res[i].done = true;
        res[i].prev_ms = -1;
        res[i].outcome = cases[i].count ? OUTCOME_FAILED : OUTCOME_PASSED;
        if (cases[i].count) {
            res[i].message =
                xasprintf("%zu %s%s", cases[i].count, r->finding_noun,
                          cases[i].count == 1 ? "" : "s");
            res[i].detail = xstrdup(cases[i].findings);
        }
    }
    fill_info(r, &info, ts, host);
    int ret = junit_write(path, res, n, &info, r->extra, r->n_extra, e);
    for (size_t i = 0; i < n; i++) {
        result_release(&res[i]);
        free(ids[i]);
    }
    free(res);
    free(ids);
    return ret;
}
