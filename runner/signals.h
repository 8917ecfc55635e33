/*
 * signals: the isotest command's one signal registry.
 *
 * SIGINT and SIGTERM are blocked in every thread and taken by one thread
 * with sigwait(), which may do what a handler may not.  What a signal
 * stops is registered here by the command that owns it, whichever it is
 * (run, bench, ...):
 *
 *   first signal   a session open in progress stops (signals_cancelled(),
 *                  given as isotest_options.cancelled, turns true: a
 *                  template build or the wait for another run's is
 *                  cancelled and leaves nothing); the watched pool stops
 *                  (running cases are ended, their sandboxes dropped, the
 *                  report written); a watched child
 *                  process (bench's child run) gets the same signal, so it
 *                  stops the same clean way; the command sees
 *                  signals_interrupted() and starts nothing new;
 *   second signal  "stopping at once": the watched child gets the signal
 *                  again and up to 3 s to end, then its process group is
 *                  killed; the pool's children are killed; the watched
 *                  session and server are aborted (an embedded server is
 *                  stopped and its folder removed, a named server's
 *                  sandboxes of this run dropped); a watched scratch
 *                  folder is removed; the process exits 128 + signal.
 *                  A final clean-up run through signals_cleanup() is
 *                  finished first.
 *
 * Call sequence: signals_start() in main before any other thread,
 * signals_watch_*() around what can be interrupted (NULL or 0 to stop
 * watching), signals_stop() before exit.  The watch functions are
 * thread-safe.
 */
#ifndef ISOTEST_SIGNALS_H
#define ISOTEST_SIGNALS_H

#include <stdbool.h>
#include <sys/types.h>

#include "isotest.h"

struct pool;

int signals_start(void);
void signals_stop(void);

void signals_watch_pool(struct pool *p);
void signals_watch_session(struct isotest_session *s);
void signals_watch_server(struct isotest_server *srv);
void signals_watch_child(pid_t pid);
/* A scratch folder of the command's, removed by a second signal. */
void signals_watch_dir(const char *path);

/*
 * Run fn(arg) with the registry's lock held: a second signal that comes
 * meanwhile waits for it to finish instead of cutting it off half way
 * (a server half stopped, a folder half removed).  For the final clean-up
 * of the watched session, server or folder: fn stops watching what it
 * frees (the signals_watch_*() calls may be made from inside it).
 */
void signals_cleanup(void (*fn)(void *), void *arg);

/*
 * For isotest_options.cancelled (arg unused): whether a first signal
 * came.  Thread-safe; cheap (an atomic load).
 */
bool signals_cancelled(void *arg);

/* Whether a first signal came; its exit code (128 + signal). */
bool signals_interrupted(void);
int signals_exit_code(void);

#endif
