/*
 * clock: the project's one clock for durations.
 *
 * Milliseconds of CLOCK_MONOTONIC, which no settimeofday() or NTP step
 * moves: every duration isotest measures or waits for is a difference of
 * two of these.  Thread-safe and async-signal-safe.
 */
#ifndef ISOTEST_CLOCK_H
#define ISOTEST_CLOCK_H

double now_ms(void);

/* *ts = CLOCK_REALTIME now plus ms, for pthread_cond_timedwait(). */
struct timespec;
void clock_deadline(struct timespec *ts, long ms);

#endif
