/*
 * watch: a guard process that acts if this process dies without saying
 * goodbye (SIGKILL, a crash): what the process started (an embedded
 * server, the cases of a run) must not outlive it.
 *
 * The guard is `/bin/sh -c SCRIPT` in a session of its own (a Ctrl-C at
 * the terminal does not reach it), blocked reading a socket whose other
 * end only this process holds (close-on-exec, so children do not keep it
 * open).  watch_disarm() says "done" and reaps it; if this process dies
 * first, the guard reads end-of-file and runs SCRIPT with the arguments
 * given as $1, $2, ...
 *
 * Call sequence: watch_start(), then watch_disarm() once (also after a
 * failed start: it is then a no-op).  Thread-safe for distinct structs.
 */
#ifndef ISOTEST_WATCH_H
#define ISOTEST_WATCH_H

#include <sys/types.h>

#include "err.h"

struct watch {
    pid_t pid; /* the guard, or 0 */
    int fd;    /* our end of its socket, or -1 */
};

#define WATCH_INIT                                                             \
    {                                                                          \
        0, -1                                                                  \
    }

/* args: a NULL-terminated list (may be NULL). */
int watch_start(struct watch *w, const char *script, const char *const *args,
                struct isotest_err *e);

/* The normal end: the guard exits without acting and is reaped. */
void watch_disarm(struct watch *w);

#endif
