/*
 * clock.c: CLOCK_MONOTONIC in milliseconds.
 */
#include "clock.h"

#include <time.h>

double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}
