/*
 * proc: child processes, started the careful way (git's start_command).
 *
 * Call sequence: fill a struct proc_spec, proc_start(), then either
 * proc_capture() (read its output until it exits or a deadline passes) or
 * proc_wait().  proc_kill_tree() signals the child's whole process group.
 *
 * argv and envp are built by the caller before the fork; between fork and
 * exec the child makes only async-signal-safe calls, so starting a child
 * from a worker thread is safe.  An exec failure reaches the parent through
 * an O_CLOEXEC pipe and becomes an ordinary error.  Each function is
 * thread-safe for distinct struct proc values.
 */
#ifndef ISOTEST_PROC_H
#define ISOTEST_PROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "strbuf.h"

struct proc_spec {
    const char *const *argv; /* argv[0] is a path or searched in PATH */
    const char *const *envp; /* NULL: inherit the parent's environment */
    const char *cwd;         /* NULL: stay */
    const char *stdin_path;  /* NULL: /dev/null */
    const char *out_path;    /* write stdout (and stderr) to this file,
                                instead of capturing; NULL: capture */
    bool merge_stderr;       /* stderr goes where stdout goes */
    bool new_session;        /* setsid() instead of a new process group */
    uid_t uid;               /* switch to this user when run_as is set */
    gid_t gid;
    bool run_as;
};

struct proc {
    pid_t pid;  /* 0 when not running */
    int out_fd; /* read end of captured stdout, or -1 */
    int err_fd; /* read end of captured stderr, or -1 */
};

/* Outcome of a finished child. */
struct proc_status {
    bool exited; /* true: `code` is the exit code */
    int code;    /* exit code, or the signal number */
    bool timed_out;
};

int proc_start(struct proc *p, const struct proc_spec *spec,
               struct isotest_err *e);

/*
 * Read the child's stdout and stderr into the buffers (their max caps
 * them; the excess is counted, not stored) until it exits.  When
 * `timeout_ms` (> 0) passes first, the group gets `first_signal`
 * (SIGINT makes psql cancel its query on the server), then SIGTERM, then
 * SIGKILL after `grace_ms` each, and status->timed_out is set.  `stop`, when
 * not NULL, is polled: once it reads non-zero the child is ended the same
 * way.  Always reaps the child.
 */
int proc_capture(struct proc *p, struct strbuf *out, struct strbuf *errb,
                 long timeout_ms, int first_signal, long grace_ms,
                 const atomic_int *stop, struct proc_status *st,
                 struct isotest_err *e);

/* Wait for the child and reap it. */
int proc_wait(struct proc *p, struct proc_status *st, struct isotest_err *e);

/* Signal the child's whole process group; harmless when it is gone. */
void proc_kill_tree(pid_t pid, int sig);

/*
 * "SIGSEGV" for 11 and so on; "signal N" for the rest, in a per-thread
 * buffer valid until this thread's next call.
 */
const char *proc_signame(int sig);

/* Run argv to completion, capturing stdout+stderr into `out` (may be NULL). */
int proc_run(const char *const *argv, struct strbuf *out,
             struct proc_status *st, struct isotest_err *e);

#endif
