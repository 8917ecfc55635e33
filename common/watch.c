/*
 * watch.c: the guard process.
 */
#include "watch.h"
#include "strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The guard waits for a line; anything but "done" (end-of-file) acts. */
#define GUARD_PREFIX                                                           \
    "trap '' INT TERM HUP; IFS= read -r line; "                                \
    "[ \"$line\" = done ] && exit 0; "

int watch_start(struct watch *w, const char *script, const char *const *args,
                struct isotest_err *e)
{
    int sv[2];
    size_t nargs = 0;

    w->pid = 0;
    w->fd = -1;
    while (args && args[nargs])
        nargs++;
    /* Built before the fork: the child only calls async-signal-safe code. */
    char *full = xasprintf("%s%s", GUARD_PREFIX, script);
    const char **argv = xcalloc(nargs + 5, sizeof(*argv));
    argv[0] = "/bin/sh";
    argv[1] = "-c";
    argv[2] = full;
    argv[3] = "isotest-guard";
    for (size_t i = 0; i < nargs; i++)
        argv[4 + i] = args[i];

    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
        int saved = errno;
        if (devnull >= 0)
            close(devnull);
        free(full);
        free(argv);
        return err_errno(e, saved, "cannot start a guard process");
    }
    pid_t pid = fork();
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setsid();
        dup2(sv[1], 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int saved = errno;
    close(sv[1]);
    close(devnull);
    free(full);
    free(argv);
    if (pid < 0) {
        close(sv[0]);
        return err_errno(e, saved, "cannot start a guard process");
    }
    w->pid = pid;
    w->fd = sv[0];
    return 0;
}

void watch_disarm(struct watch *w)
{
    if (w->fd >= 0) {
        /* MSG_NOSIGNAL: a guard that died must not kill us with SIGPIPE. */
        ssize_t r = send(w->fd, "done\n", 5, MSG_NOSIGNAL);
        (void)r;
        close(w->fd);
        w->fd = -1;
    }
    if (w->pid > 0) {
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        w->pid = 0;
    }
}
