/*
 * backup_verify_report.c: verify's table comparison (one case per table,
 * the manifest's count against the restored database's), and its
 * conclusion: the console summary, the JUnit report, the verdict file,
 * the exit code.  Layout: tables; the report.
 */
#include "backup.h"
#include "backup_verify.h"
#include "common/clock.h"
#include "reporters/junit.h"
#include "runner/signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Failing tables printed on the console before "... and N more". */
#define SHOWN_TABLES 20

/* ---- tables ------------------------------------------------------------- */

/* Compare two tables by (schema, name), byte order like the lists. */
static int table_cmp(const struct backup_table *a, const struct backup_table *b)
{
    int c = strcmp(a->schema, b->schema);

    return c ? c : strcmp(a->name, b->name);
}

/* One table's case: want (manifest) and have (restored) may be NULL. */
static void table_case(struct verify *v, const struct backup_table *want,
                       const struct backup_table *have, const char *why_skip,
                       struct strbuf *missing)
{
    const struct backup_table *t = want ? want : have;
    char *name = xasprintf("%s.%s", t->schema, t->name);
    struct test_result *r = verify_add_case(v, "backup.tables", name, v->path);
    char *text;

    if (want && have)
        text = xasprintf("%s: manifest %lld rows, restored %lld rows", name,
                         want->rows, have->rows);
    else if (want)
        text = xasprintf("%s: manifest %lld rows%s", name, want->rows,
                         why_skip ? "" : ", not in the restored database");
    else
        text = xasprintf("%s: restored %lld rows%s", name, have->rows,
                         why_skip ? "" : ", not in the manifest");
    verify_set_out(v, r, text);
    if (why_skip) {
        char *msg = xasprintf("%s (%s)", text, why_skip);
        verify_settle(v, r, OUTCOME_SKIPPED, msg, r->start_ms + v->t0);
        free(msg);
    } else if (!want || !have || want->rows != have->rows) {
        verify_settle(v, r, OUTCOME_FAILED, text, r->start_ms + v->t0);
        strbuf_addf(missing, "%s\n", text);
    }
    free(text);
    free(name);
}

/* The table list case and one case per table, merged in name order. */
static void compare_tables(struct verify *v, struct backup_table *have,
                           size_t nhave, const char *why_skip)
{
    size_t i = 0, j = 0, nwant = v->manifest == 1 ? v->m.ntables : 0;
    struct backup_table *want = v->m.tables;
    struct strbuf bad = STRBUF_INIT;

    while (i < nwant || j < nhave) {
        int c = i == nwant   ? 1
                : j == nhave ? -1
                             : table_cmp(&want[i], &have[j]);
        table_case(v, c <= 0 ? &want[i] : NULL, c >= 0 ? &have[j] : NULL,
                   why_skip, &bad);
        i += c <= 0;
        j += c >= 0;
    }
    size_t nbad = 0;
    for (const char *p = bad.buf; *p; nbad++) {
        const char *nl = strchr(p, '\n');
        if (nbad < SHOWN_TABLES)
            printf("  %-8s %.*s\n", "FAILED", (int)(nl - p), p);
        p = nl + 1;
    }
    if (nbad > SHOWN_TABLES)
        printf("  ... and %zu more tables that differ\n", nbad - SHOWN_TABLES);
    strbuf_release(&bad);
}

void verify_check_tables(struct verify *v)
{
    double t = now_ms();
    struct backup_table *have = NULL;
    size_t nhave = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;
    const char *skip = v->manifest != 1 ? "no manifest to compare with"
                       : !v->restored   ? "not restored"
                                        : NULL;
    struct test_result *r = verify_add_case(v, "backup", "tables", v->path);
    size_t idx = v->n - 1;

    if (v->restored && backup_sandbox_tables(&v->bs, &have, &nhave, &e) < 0) {
        verify_settle(v, r, OUTCOME_ERROR, e.msg, t);
        skip = "the restored database could not be counted";
    }
    size_t first = v->n;
    compare_tables(v, have, nhave, skip);
    r = &v->res[idx];
    size_t failed = 0;
    for (size_t k = first; k < v->n; k++)
        failed += v->res[k].outcome == OUTCOME_FAILED;
    if (r->outcome == OUTCOME_PASSED && skip) {
        verify_settle(v, r, OUTCOME_SKIPPED, skip, t);
    } else if (r->outcome == OUTCOME_PASSED) {
        char *msg = xasprintf("%zu of %zu tables as in the manifest (%lld "
                              "rows)",
                              v->n - first - failed, v->n - first,
                              backup_manifest_rows(&v->m));
        if (failed)
            verify_settle(v, r, OUTCOME_FAILED, msg, t);
        else {
            verify_set_out(v, r, msg);
            r->time_ms = now_ms() - t;
        }
        free(msg);
    }
    verify_print_case(r, r->out.data);
    backup_tables_free(have, nhave);
    isotest_err_release(&e);
}

/* ---- the report --------------------------------------------------------- */

struct tally {
    int passed, failed, skipped, errors;
};

static struct tally count_cases(const struct verify *v)
{
    struct tally t = {0, 0, 0, 0};

    for (size_t k = 0; k < v->n; k++)
        switch (v->res[k].outcome) {
        case OUTCOME_PASSED: t.passed++; break;
        case OUTCOME_SKIPPED: t.skipped++; break;
        case OUTCOME_ERROR: t.errors++; break;
        default: t.failed++;
        }
    return t;
}

static const char *first_message(const struct verify *v, bool failures)
{
    for (size_t k = 0; k < v->n; k++) {
        enum outcome o = v->res[k].outcome;
        if (failures ? (o == OUTCOME_FAILED || o == OUTCOME_TIMEOUT)
                     : o == OUTCOME_ERROR)
            return v->res[k].message;
    }
    return NULL;
}

static int write_junit(const struct verify *v, const char *server_version,
                       struct isotest_err *e)
{
    char ts[RUN_STAMP_TS], host[RUN_STAMP_HOST];
    const char *sha = v->manifest == 1 ? v->m.digest.sha256 : "";
    const struct junit_property extra[] = {
        {"isotest.backup.file", v->path},
        {"isotest.backup.format", backup_format_name(v->format)},
        {"isotest.backup.database", v->manifest == 1 ? v->m.database : ""},
        {"isotest.backup.manifest_sha256", sha},
        {"isotest.backup.manifest", v->manifest == 1   ? "present"
                                    : v->manifest == 0 ? "missing"
                                                       : "unusable"},
    };

    run_info_stamp(ts, host);
    struct run_info info = {.isotest_version = ISOTEST_VERSION,
                            .isolation = "database",
                            .jobs = v->o.jobs,
                            .server_version = server_version,
                            .wall_ms = now_ms() - v->t0,
                            .interrupted = signals_interrupted(),
                            .slower_ratio = RESULT_SLOWER_RATIO,
                            .slower_min_ms = RESULT_SLOWER_MIN_MS,
                            .timestamp = ts,
                            .hostname = host,
                            .report_path = v->o.junit};
    return junit_write(v->o.junit, v->res, v->n, &info, extra,
                       sizeof(extra) / sizeof(*extra), e);
}

/* Record, report, and the exit code. */
int verify_conclude(struct verify *v, const char *server_version)
{
    struct tally t = count_cases(v);
    int code = t.failed                    ? BACKUP_FAILED
               : t.errors || v->incomplete ? BACKUP_CANNOT
                                           : BACKUP_OK;
    char iso[32];
    struct isotest_err e = ISOTEST_ERR_INIT;
    const char *msg = first_message(v, true);
    char *vpath = backup_verdict_path(v->path);
    struct backup_verdict vd = {
        .file = v->path,
        .verified_at = (char *)backup_iso_time(time(NULL), iso, sizeof(iso)),
        .result = code == BACKUP_OK       ? "passed"
                  : code == BACKUP_FAILED ? "failed"
                                          : "incomplete",
        .message = (char *)(msg      ? msg
                            : v->gap ? v->gap
                                     : first_message(v, false)),
        t.passed,
        t.failed,
        t.skipped,
        t.errors};

    printf("%d passed, %d failed, %d skipped", t.passed, t.failed, t.skipped);
    if (t.errors)
        printf(", %d could not run", t.errors);
    puts(code == BACKUP_CANNOT ? " (verification incomplete)" : "");
    if (v->o.junit && write_junit(v, server_version, &e) < 0) {
        backup_print_error(&v->dbr, &e);
        code = BACKUP_CANNOT;
    }
    /* An interrupted run says nothing of the backup: the last verdict
       stands. */
    if (signals_interrupted())
        printf("interrupted: the last verdict, if any, stands\n");
    else if (access(v->path, F_OK) == 0) {
        if (backup_verdict_write(vpath, &vd, &e) < 0) {
            fprintf(stderr, "isotest: warning: verdict not recorded: %s\n",
                    e.msg);
            isotest_err_release(&e);
        } else
            printf("verdict recorded in %s\n", vpath);
    }
    free(vpath);
    return code;
}
