/*
 * result: what a worker hands the reporters, and the facts of a run.
 *
 * Reporters see these structs only; they never talk to PostgreSQL.  A
 * result's strings are owned by the result (free with result_release());
 * the case-identity strings are borrowed from the test case and live as
 * long as the run.
 */
#ifndef ISOTEST_RESULT_H
#define ISOTEST_RESULT_H

#include <stdbool.h>
#include <stddef.h>

enum outcome {
    OUTCOME_PASSED,
    OUTCOME_FAILED,  /* the case ran and said no */
    OUTCOME_ERROR,   /* the case could not run, crashed, or was interrupted */
    OUTCOME_TIMEOUT, /* an error of its own kind: the case ran too long */
    OUTCOME_SKIPPED,
};

struct captured {
    char *data; /* NULL or NUL-terminated (may hold other NULs) */
    size_t len;
    size_t dropped; /* bytes cut by the cap */
};

/*
 * One try of a case that was run again (--retries): a failed try, kept
 * for the reports when the case was tried once more in a fresh sandbox.
 */
struct test_try {
    enum outcome outcome; /* failed, error or timeout */
    double start_ms;      /* offset from the start of the run */
    double time_ms;
    double acquire_ms, release_ms;
    char *sandbox;
    char *message;
    char *detail;
    struct captured out;
    struct captured err;
};

struct test_result {
    /* Borrowed from the test case. */
    const char *id;
    const char *suite;
    const char *classname;
    const char *name;
    const char *file;

    bool done; /* false: never started (interrupted run) */
    enum outcome outcome;
    int worker;
    double start_ms;   /* offset from the start of the run */
    double time_ms;    /* the case itself, sandbox excluded */
    double acquire_ms; /* getting its sandbox */
    double release_ms; /* dropping it */
    double prev_ms;    /* the same case in the last run; -1: unknown */
    char *sandbox;     /* its name, or NULL */
    char *message;     /* one line, or NULL */
    char *detail;      /* TAP diagnostics, diff, error text, or NULL */
    /*
     * Set when detail ends with the SQL error's full text (psql's stderr,
     * LOCATION: and all) that message already says in one line: the
     * console shows only detail's first detail_short_len bytes, the
     * reports all of it.
     */
    bool detail_short;
    size_t detail_short_len;
    char *hint; /* e.g. how to open a kept sandbox, or NULL */
    struct captured out;
    struct captured err;
    /*
     * The tries before this one, oldest first, each a failure; the fields
     * above are the last try's.  None unless --retries ran the case again.
     */
    struct test_try *retried;
    size_t nretried;
};

struct run_info {
    const char *isotest_version;
    const char *isolation;
    int jobs;
    const char *server_version;
    const char *template_hash;
    const char *template_name;
    bool template_reused;
    double wall_ms;
    double start_to_first_ms; /* start of the run to the first case start */
    bool interrupted;
    double prev_wall_ms;     /* the last run's wall time; 0: no history */
    const char *prev_source; /* where that came from, or NULL */
    double slower_ratio;     /* "markedly slower": this many times */
    double slower_min_ms;    /* ... and at least this much more */
    const char *timestamp;   /* ISO 8601, UTC */
    const char *hostname;
    const char *report_path; /* the JUnit report, or NULL */
    const char *html_path;   /* the --html timeline, or NULL */
    bool fail_on_flaky;      /* --fail-on-flaky: a flaky case fails the run */
};

/*
 * The run's timestamp (ISO 8601, UTC, now) and this machine's name, for
 * run_info.timestamp and .hostname, into the caller's buffers.
 */
#define RUN_STAMP_TS 32
#define RUN_STAMP_HOST 256
void run_info_stamp(char ts[RUN_STAMP_TS], char host[RUN_STAMP_HOST]);

void result_release(struct test_result *r);
/* "passed", "failed", "error", "timeout", "skipped". */
const char *outcome_name(enum outcome o);
/*
 * The one rule for "markedly slower" (run_info carries it into reports):
 * at least this many times the last run's time, and this much more.
 */
#define RESULT_SLOWER_RATIO 1.5
#define RESULT_SLOWER_MIN_MS 50.0

/* Did the case get markedly slower than in the last run? */
bool result_slower(const struct test_result *r, const struct run_info *info);

/*
 * The case ran: it started and was not skipped.  Only such cases have a
 * duration and sandbox times worth a statistic or a history entry.
 */
bool result_ran(const struct test_result *r);

/* Failed, error and timeout are failures (the exit code, --fail-fast). */
bool outcome_is_failure(enum outcome o);

/*
 * The summary's counts, each outcome apart: a case never started (an
 * interrupted run) is "not run"; a flaky case counts as passed, and in
 * `flaky` too.
 */
struct result_counts {
    size_t passed, failed, skipped, errors, timed_out, not_run, flaky;
};
void result_count(const struct test_result *r, size_t n,
                  struct result_counts *c);

/*
 * Retries.  result_push_try() moves the try just made (outcome, start
 * offset, times, sandbox, message, detail, output) to the end of
 * r->retried and clears those fields for the next try; a hint (a kept
 * sandbox) is not expected on a try that is run again.
 * A flaky case passed on a try after the first; result_total_ms() is the
 * time of every try, the last included.
 */
void result_push_try(struct test_result *r);
bool result_flaky(const struct test_result *r);
double result_total_ms(const struct test_result *r);

#endif
