/*
 * slowstep: a line for a set-up step that takes long (the embedded
 * server's start, a template build, the wait for another run's build).
 *
 * Call sequence: slowstep_start(), then slowstep_say() as each step
 * begins (it fits isotest_options.progress), slowstep_stop().  A step
 * still under way `delay_ms` after it began is printed once, as
 * "isotest: WHAT..."; one that ends sooner prints nothing, except that a
 * step found to have lasted `delay_ms` when the next begins is printed
 * then if the watching thread had no chance to (a busy machine).
 *
 * slowstep_say() is thread-safe; start and stop belong to one thread.
 */
#ifndef ISOTEST_SLOWSTEP_H
#define ISOTEST_SLOWSTEP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

/* Treat as opaque. */
struct slowstep {
    pthread_mutex_t lock; /* guards every field below it */
    pthread_cond_t changed;
    pthread_t thread;
    bool started, stop;
    FILE *out;
    double delay_ms;
    char *what; /* the current step, or NULL */
    double since;
    bool shown;
};

/* The watching thread; -1 when it cannot start (then nothing is shown). */
int slowstep_start(struct slowstep *s, FILE *out, double delay_ms);
/* A new step (`what` is copied), or NULL: none now.  arg: the slowstep. */
void slowstep_say(void *arg, const char *what);
void slowstep_stop(struct slowstep *s);

#endif
