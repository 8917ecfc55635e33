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

#endif
