/*
 * shard: one of N disjoint parts of a suite, balanced by past durations,
 * so that N CI jobs (a GitHub Actions matrix, GitLab's `parallel: N`,
 * Buildkite's parallelism) each run an even share and together run every
 * case exactly once.
 *
 * Call sequence: shard_parse() reads `--shard K/N` or `--shard auto`
 * (shard_from_env(): the CI system's own variables); after discovery and
 * the history, shard_apply() keeps only part K's cases in the list and
 * fills a struct shard_plan, which shard_describe() turns into the line
 * a person sees and shard_properties() into the JUnit report's
 * properties.  shard_assign() is the balancing itself, on plain arrays.
 *
 * The parts: longest processing time first.  Cases are sorted by their
 * recorded duration, longest first, ties by id (strcmp); each goes to
 * the part with the least total so far, ties to the lowest index.  A
 * case the history does not know counts as the median of the known
 * durations of the list's cases, or SHARD_DEFAULT_MS when none is known.
 * Durations are summed as whole microseconds, so the same history and
 * the same case list give the same parts on every machine.
 *
 * Nothing here prints or exits; nothing keeps state.  Not thread-safe
 * where it reads the environment (shard_parse("auto"), shard_from_env()).
 */
#ifndef ISOTEST_SHARD_H
#define ISOTEST_SHARD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "discover.h"
#include "history.h"
#include "reporters/junit.h"

/* The duration of a case when the history knows none of the cases. */
#define SHARD_DEFAULT_MS 100.0
/* The most parts --shard accepts. */
#define SHARD_MAX 10000

/* Part `index` (1-based) of `total`; total 0: no sharding. */
struct shard {
    int index;
    int total;
};

/*
 * "K/N" (decimal digits only, 1 <= K <= N <= SHARD_MAX) or "auto".
 * -1 with e naming the value (and, for auto, the variables) otherwise.
 */
int shard_parse(const char *s, struct shard *sh, struct isotest_err *e);

/*
 * The CI system's own index and total, the first pair that is set:
 * ISOTEST_SHARD_INDEX/ISOTEST_SHARD_TOTAL (1-based; what a GitHub
 * Actions workflow sets from its matrix, GitHub having no built-in),
 * GitLab's CI_NODE_INDEX/CI_NODE_TOTAL (1-based; a job without
 * `parallel` has only CI_NODE_TOTAL=1, which is 1/1), Buildkite's
 * BUILDKITE_PARALLEL_JOB (0-based)/BUILDKITE_PARALLEL_JOB_COUNT.
 * -1 with e naming the variable and its value when a pair is half set
 * or out of range, or listing them all when none is set.
 */
int shard_from_env(struct shard *sh, struct isotest_err *e);

/*
 * The default duration for unknown cases: the median of the ms[i] that
 * are >= 0 (the known ones), SHARD_DEFAULT_MS when there is none.
 */
double shard_default_ms(const double *ms, size_t n);

/*
 * Balance n cases over `total` parts (see above).  ms[i] < 0 means
 * unknown (counted as shard_default_ms()).  Returns the part of each
 * case, 0-based, in an array of n the caller frees; load[0..total), when
 * not NULL, receives each part's sum in milliseconds.
 */
int *shard_assign(const char *const *ids, const double *ms, size_t n, int total,
                  double *load);

/* What shard_apply() did, for the console and the report. */
struct shard_plan {
    struct shard sh;        /* total 0: no sharding (nothing else is set) */
    size_t suite_cases;     /* the whole list, before */
    size_t cases;           /* kept: this part's */
    size_t unknown;         /* of those, without a recorded duration */
    double default_ms;      /* what each unknown one counted as */
    bool default_median;    /* that is the median (else SHARD_DEFAULT_MS) */
    double expected_ms;     /* this part's sum of durations */
    char label[32];         /* "2/4" */
    char expected_text[32]; /* expected_ms as "%.1f" */
    char suite[128];        /* the list's first suite (for an empty part) */
};

/*
 * Keep in cl only the cases of part sh (their relative order is kept),
 * with durations from h (may be NULL: all unknown), and fill p.  The
 * cases of other parts are freed.
 */
void shard_apply(struct case_list *cl, const struct history *h, struct shard sh,
                 struct shard_plan *p);

/*
 * "shard 2/4: 37 cases, expected 12.4 s (history: PATH)", with how the
 * unknown cases were counted when there were some.  `history` names
 * where the durations came from (NULL: none was read).  The caller
 * frees the string.
 */
char *shard_describe(const struct shard_plan *p, const char *history);

/*
 * isotest.shard ("2/4") and isotest.shard_expected_ms into out[0..2);
 * returns how many (0 without sharding).  The values borrow from p.
 */
size_t shard_properties(const struct shard_plan *p,
                        struct junit_property out[2]);

/*
 * The JUnit report of a part with no case: one empty <testsuite> (the
 * list's first suite) carrying the part's properties, so that merge
 * knows it, and the wall time so far.  -1 with e naming the path.
 */
int shard_write_empty(const char *path, const struct shard_plan *p,
                      double wall_ms, struct isotest_err *e);

#endif
