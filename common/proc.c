/*
 * proc.c: fork/exec with an exec-error pipe, output capture with poll(2),
 * and the timeout escalation SIGINT/SIGTERM -> SIGKILL.
 */
#define _GNU_SOURCE /* setgroups(), pipe2() */
#include "proc.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *proc_signame(int sig)
{
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGSYS: return "SIGSYS";
    default: {
        /* Per thread, so workers naming signals do not race. */
        static _Thread_local char buf[32];
        snprintf(buf, sizeof(buf), "signal %d", sig);
        return buf;
    }
    }
}

/* Child side of the fork: async-signal-safe calls only. */
static void child_fail(int fd, int what)
{
    int payload[2] = {what, errno};
    ssize_t r = write(fd, payload, sizeof(payload));

    (void)r;
    _exit(127);
}

enum { FAIL_EXEC = 1, FAIL_CWD, FAIL_STDIN, FAIL_STDOUT, FAIL_USER };

static void child(const struct proc_spec *s, int report, int out_w, int err_w)
{
    int fd;

    /* Default signal dispositions and an empty mask for the new program. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);

    if (s->new_session)
        setsid();
    else
        setpgid(0, 0);

    fd = open(s->stdin_path ? s->stdin_path : "/dev/null", O_RDONLY);
    if (fd < 0)
        child_fail(report, FAIL_STDIN);
    dup2(fd, 0);
    if (fd != 0)
        close(fd);

    if (s->out_path) {
        fd = open(s->out_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd < 0)
            child_fail(report, FAIL_STDOUT);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    } else {
        dup2(out_w, 1);
        dup2(s->merge_stderr ? out_w : err_w, 2);
    }

    if (s->run_as) {
        if (setgroups(0, NULL) < 0 || setgid(s->gid) < 0 || setuid(s->uid) < 0)
            child_fail(report, FAIL_USER);
    }
    if (s->cwd && chdir(s->cwd) < 0)
        child_fail(report, FAIL_CWD);

    char *const *env =
        (char *const *)(s->envp ? s->envp : (const char *const *)environ);
    if (strchr(s->argv[0], '/'))
        execve(s->argv[0], (char *const *)s->argv, env);
    else {
        /* execvpe is not POSIX: swap environ, then execvp. */
        environ = (char **)env;
        execvp(s->argv[0], (char *const *)s->argv);
    }
    child_fail(report, FAIL_EXEC);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        /* Not retried on EINTR: on Linux the descriptor is gone anyway. */
        close(*fd);
        *fd = -1;
    }
}

int proc_start(struct proc *p, const struct proc_spec *spec,
               struct isotest_err *e)
{
    int report[2], outp[2] = {-1, -1}, errp[2] = {-1, -1};
    pid_t pid;

    p->pid = 0;
    p->out_fd = p->err_fd = -1;
    if (pipe2(report, O_CLOEXEC) < 0)
        return err_errno(e, errno, "cannot create a pipe");
    if (!spec->out_path) {
        if (pipe2(outp, O_CLOEXEC) < 0 ||
            (!spec->merge_stderr && pipe2(errp, O_CLOEXEC) < 0)) {
            int saved = errno;
            close_fd(&report[0]);
            close_fd(&report[1]);
            close_fd(&outp[0]);
            close_fd(&outp[1]);
            return err_errno(e, saved, "cannot create a pipe");
        }
    }

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        int saved = errno;
        close_fd(&report[0]);
        close_fd(&report[1]);
        close_fd(&outp[0]);
        close_fd(&outp[1]);
        close_fd(&errp[0]);
        close_fd(&errp[1]);
        return err_errno(e, saved, "cannot fork '%s'", spec->argv[0]);
    }
    if (pid == 0)
        child(spec, report[1], outp[1], errp[1]);

    /* Also in the parent, so a kill(-pid) right away reaches the group. */
    if (!spec->new_session)
        setpgid(pid, pid);
    close_fd(&report[1]);
    close_fd(&outp[1]);
    close_fd(&errp[1]);

    int payload[2];
    ssize_t n;
    do {
        n = read(report[0], payload, sizeof(payload));
    } while (n < 0 && errno == EINTR);
    close_fd(&report[0]);
    if (n == (ssize_t)sizeof(payload)) {
        int status;
        char ebuf[128];

        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        close_fd(&outp[0]);
        close_fd(&errp[0]);
        err_strerror(payload[1], ebuf, sizeof(ebuf));
        switch (payload[0]) {
        case FAIL_CWD:
            return err_set(e, "cannot enter '%s': %s", spec->cwd, ebuf);
        case FAIL_STDIN:
            return err_set(e, "cannot open '%s': %s",
                           spec->stdin_path ? spec->stdin_path : "/dev/null",
                           ebuf);
        case FAIL_STDOUT:
            return err_set(e, "cannot open '%s': %s", spec->out_path, ebuf);
        case FAIL_USER:
            return err_set(e, "cannot switch to uid %ld: %s", (long)spec->uid,
                           ebuf);
        default: return err_set(e, "cannot run '%s': %s", spec->argv[0], ebuf);
        }
    }
    p->pid = pid;
    p->out_fd = outp[0];
    p->err_fd = errp[0];
    return 0;
}

void proc_kill_tree(pid_t pid, int sig)
{
    if (pid > 0)
        kill(-pid, sig);
}

static void fill_status(int status, struct proc_status *st)
{
    if (WIFEXITED(status)) {
        st->exited = true;
        st->code = WEXITSTATUS(status);
    } else {
        st->exited = false;
        st->code = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
}

int proc_wait(struct proc *p, struct proc_status *st, struct isotest_err *e)
{
    int status;

    close_fd(&p->out_fd);
    close_fd(&p->err_fd);
    while (waitpid(p->pid, &status, 0) < 0) {
        if (errno != EINTR) {
            p->pid = 0;
            return err_errno(e, errno, "cannot wait for child");
        }
    }
    p->pid = 0;
    st->timed_out = false;
    fill_status(status, st);
    return 0;
}

/*
 * Escalation state: once the deadline passes, the group gets first_signal,
 * then SIGTERM, then SIGKILL, grace_ms apart.
 */
static int next_signal(int step, int first)
{
    switch (step) {
    case 0: return first;
    case 1: return first == SIGTERM ? SIGKILL : SIGTERM;
    default: return SIGKILL;
    }
}

/* proc_capture's state from one turn of its loop to the next. */
struct capture {
    struct proc *p;
    int pidfd;  /* readable once the child exits, or -1 */
    int status; /* from waitpid, once reaped */
    bool reaped;
    long drain_until; /* once reaped: stop reading the pipes at this time */
    long next_kill;   /* when the next signal is due, or -1: never */
    int kill_step;    /* signals sent so far */
    int first_signal;
    long grace_ms;
    bool stopping; /* `stop` was seen set */
    bool timed_out;
    bool lingers; /* reaped while signalled, its group still has its grace */
};

/* Close what the capture holds; the child is reaped or lost by now. */
static void capture_release(struct capture *c)
{
    close_fd(&c->p->out_fd);
    close_fd(&c->p->err_fd);
    close_fd(&c->pidfd);
    c->p->pid = 0;
}

/* Does any process of pid's group remain? */
static bool group_alive(pid_t pid)
{
    return kill(-pid, 0) == 0 || errno == EPERM;
}

/*
 * Nothing the case started may outlive it: a background process left in
 * its group would keep a connection to the sandbox open.  A process that
 * escaped the group and holds our pipes gets a second to let go of them.
 */
static void capture_group_end(struct capture *c, long now)
{
    proc_kill_tree(c->p->pid, SIGKILL);
    c->lingers = false;
    c->drain_until = now + 1000;
}

/* Reap the child if it has exited; -1 when it cannot be waited for. */
static int capture_reap(struct capture *c, long now, struct isotest_err *e)
{
    pid_t r = waitpid(c->p->pid, &c->status, WNOHANG);

    if (r == c->p->pid) {
        c->reaped = true;
        close_fd(&c->pidfd);
        /*
         * Once signalled, the rest of the group keeps its grace: the child
         * may be only a `sh -c` wrapper that died of the signal its command
         * is still handling (a test framework's teardown, say).
         */
        if (c->kill_step > 0 && c->kill_step < 3 && group_alive(c->p->pid))
            c->lingers = true;
        else
            capture_group_end(c, now);
    } else if (r < 0 && errno != EINTR) {
        int saved = errno;
        capture_release(c);
        return err_errno(e, saved, "cannot wait for child");
    }
    return 0;
}

/* Send the next signal when the deadline or a `stop` request calls for it. */
static void capture_escalate(struct capture *c, long now,
                             const atomic_int *stop)
{
    if (c->lingers && !group_alive(c->p->pid))
        capture_group_end(c, now);
    if (c->reaped && !c->lingers)
        return;
    if (!c->stopping && stop && atomic_load(stop)) {
        c->stopping = true;
        c->next_kill = now;
    }
    if (c->next_kill >= 0 && now >= c->next_kill && c->kill_step < 3) {
        if (!c->stopping)
            c->timed_out = true;
        int s = next_signal(c->kill_step, c->first_signal);
        proc_kill_tree(c->p->pid, s);
        c->kill_step++;
        c->next_kill = now + c->grace_ms;
        if (c->lingers && s == SIGKILL)
            capture_group_end(c, now);
    }
}

/*
 * How long to wait for output: 20 ms at most, so that the child and `stop`
 * are looked at often, and never past the next signal.
 */
static long capture_wait_ms(const struct capture *c, long now)
{
    long wait = 20;

    if ((!c->reaped || c->lingers) && c->next_kill >= 0 && c->kill_step < 3) {
        long left = c->next_kill - now;
        if (left < wait)
            wait = left < 0 ? 0 : left;
    }
    return wait;
}

/*
 * Read what poll() found ready on the child's pipes (the first npipes of
 * fds) into out or errb; a pipe at its end is closed.
 */
static void capture_read(struct proc *p, const struct pollfd *fds, int npipes,
                         struct strbuf *out, struct strbuf *errb)
{
    char buf[65536];

    for (int i = 0; i < npipes; i++) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(fds[i].fd, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        bool is_out = fds[i].fd == p->out_fd;
        if (n <= 0) {
            if (is_out)
                close_fd(&p->out_fd);
            else
                close_fd(&p->err_fd);
            continue;
        }
        strbuf_add(is_out ? out : errb, buf, (size_t)n);
    }
}

int proc_capture(struct proc *p, struct strbuf *out, struct strbuf *errb,
                 long timeout_ms, int first_signal, long grace_ms,
                 const atomic_int *stop, struct proc_status *st,
                 struct isotest_err *e)
{
    long start = now_ms();
    struct capture c = {
        .p = p,
        .drain_until = -1,
        .next_kill = timeout_ms > 0 ? start + timeout_ms : -1,
        .first_signal = first_signal,
        .grace_ms = grace_ms,
    };
    /*
     * A pidfd turns readable when the child exits, so poll() wakes at once
     * instead of at its next timeout once the pipes are closed (they close
     * a moment before the child can be reaped).  Without one (a kernel
     * before 5.3), that moment is slept away in short steps.
     */
    c.pidfd = pidfd_open(p->pid, 0);

    for (;;) {
        struct pollfd fds[3];
        int nfds = 0;
        long now = now_ms();

        if (!c.reaped && capture_reap(&c, now, e) < 0)
            return -1;
        capture_escalate(&c, now, stop);
        if (p->out_fd >= 0)
            fds[nfds++] = (struct pollfd){.fd = p->out_fd, .events = POLLIN};
        if (p->err_fd >= 0)
            fds[nfds++] = (struct pollfd){.fd = p->err_fd, .events = POLLIN};
        if (c.reaped && !c.lingers && (!nfds || now >= c.drain_until))
            break;
        int npipes = nfds;
        if (c.pidfd >= 0)
            fds[nfds++] = (struct pollfd){.fd = c.pidfd, .events = POLLIN};

        long wait = capture_wait_ms(&c, now);
        if (!nfds) {
            struct timespec ts = {0, (wait < 1 ? wait : 1) * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (poll(fds, (nfds_t)nfds, (int)wait) < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            proc_kill_tree(p->pid, SIGKILL);
            if (!c.reaped)
                proc_wait(p, st, e);
            capture_release(&c);
            return err_errno(e, saved, "poll");
        }
        capture_read(p, fds, npipes, out, errb);
    }
    capture_release(&c);
    st->timed_out = c.timed_out;
    fill_status(c.status, st);
    return 0;
}

int proc_run(const char *const *argv, struct strbuf *out,
             struct proc_status *st, struct isotest_err *e)
{
    struct proc_spec spec = {.argv = argv, .merge_stderr = true};
    struct proc p;
    struct strbuf sink = STRBUF_INIT, none = STRBUF_INIT;

    if (proc_start(&p, &spec, e) < 0)
        return -1;
    int r =
        proc_capture(&p, out ? out : &sink, &none, 0, SIGTERM, 0, NULL, st, e);
    strbuf_release(&sink);
    strbuf_release(&none);
    return r;
}
