/*
 * test_watch.c: the guard process (common/watch.h).
 *
 * Covers: a disarmed guard does nothing and is reaped; the guard of a
 * process that dies without disarming runs its script with its arguments;
 * a SIGINT to the owner's process group does not reach the guard.
 *
 * No assertion is about time: a deadline is only a bound on waiting.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "common/watch.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-watch-XXXXXX")

/* The file's text once it exists (up to 10 s), or NULL. */
static char *wait_for(const char *path)
{
    for (int i = 0; i < 1000; i++) {
        char *text = NULL;
        size_t len;
        struct isotest_err e = ISOTEST_ERR_INIT;
        if (fs_read_file(path, &text, &len, &e) == 0 && len > 0)
            return text;
        free(text);
        isotest_err_release(&e);
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

#define SCRIPT "echo \"fired $2\" > \"$1\""

Test(watch, disarmed_guard_does_nothing, .init = make_tmp, .fini = remove_tmp)
{
    char *path = xasprintf("%s/fired", tmp);
    const char *args[] = {path, "x", NULL};
    struct watch w = WATCH_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(watch_start(&w, SCRIPT, args, &e), 0, "%s", e.msg);
    pid_t guard = w.pid;
    watch_disarm(&w);
    cr_assert_eq(w.pid, 0);
    cr_assert_eq(w.fd, -1);
    cr_assert(kill(guard, 0) < 0 && errno == ESRCH, "the guard was not reaped");
    cr_assert(access(path, F_OK) < 0, "a disarmed guard acted");
    watch_disarm(&w); /* twice is harmless */
    free(path);
}

Test(watch, guard_acts_when_its_owner_dies, .init = make_tmp,
     .fini = remove_tmp)
{
    char *path = xasprintf("%s/fired", tmp);
    const char *args[] = {path, "with args", NULL};

    pid_t owner = fork();
    cr_assert_geq(owner, 0);
    if (owner == 0) {
        struct watch w = WATCH_INIT;
        struct isotest_err e = ISOTEST_ERR_INIT;
        if (watch_start(&w, SCRIPT, args, &e) < 0)
            _exit(1);
        /* A group-wide Ctrl-C first: the guard is not in our group. */
        setpgid(0, 0);
        signal(SIGINT, SIG_IGN);
        kill(0, SIGINT);
        _exit(0); /* no disarm: as if killed */
    }
    int status;
    cr_assert_eq(waitpid(owner, &status, 0), owner);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *text = wait_for(path);
    cr_assert_not_null(text, "the guard never acted");
    cr_assert_str_eq(text, "fired with args\n");
    free(text);
    free(path);
}
