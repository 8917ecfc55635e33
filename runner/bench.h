/*
 * bench: `isotest bench`, the same suite run serially and in parallel.
 *
 * Each configuration (an isolation mode with a job count) runs the suite
 * R times as a child `isotest run` against one server (the user's, or one
 * embedded server started for the whole benchmark), and the JUnit report
 * of each run gives its figures.  The table shows the median wall time,
 * the speedup against the serial isolated run, the parallel efficiency,
 * the sandbox overhead per case and how many cases failed; the same
 * figures go to JUnit, JSON and an HTML page on request.
 *
 * The command itself is cmd_bench() (commands.h).  An interrupt stops
 * the running child run the clean way (the signal registry passes it on)
 * and skips the rest.  Main thread only; prints.
 */
#ifndef ISOTEST_BENCH_H
#define ISOTEST_BENCH_H

/* Parse "1,2,4,8" into out[0..max); the count, or -1 on a bad item. */
int bench_parse_jobs(const char *s, int *out, int max);

#endif
