/*
 * signals.c: the sigwait thread and what it stops.
 */
#include "signals.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "pool.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * `lock` (recursive: a clean-up run under it may stop watching what it
 * frees) guards pool, session, server, child and dir; `signo` is read
 * without
 * it.  The signal thread holds `lock` while it acts, so a command that
 * stops watching something (and then frees it) waits until it is done.
 */
static struct {
    pthread_mutex_t lock;
    atomic_int signo;
    struct pool *pool;
    struct isotest_session *session;
    struct isotest_server *server;
    pid_t child;
    const char *dir;
    pthread_t thread;
    bool started;
    sigset_t set;
} sig;

static void say(const char *msg)
{
    ssize_t r = write(2, msg, strlen(msg));
    (void)r;
}

/* Is pid gone or a zombie?  (Its parent, the main thread, reaps it.) */
static bool ended(pid_t pid)
{
    char path[64], buf[256];

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return true;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return !p || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

static void stop_child_at_once(pid_t pid, int s)
{
    double deadline = now_ms() + 3000;

    kill(pid, s);
    while (!ended(pid) && now_ms() < deadline) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
}

static void second_signal(int s)
{
    say("\nisotest: second interrupt, stopping at once\n");
    pthread_mutex_lock(&sig.lock);
    if (sig.child > 0)
        stop_child_at_once(sig.child, s);
    if (sig.pool)
        pool_signal_children(sig.pool, SIGKILL);
    isotest_session_abort(sig.session);
    isotest_server_abort(sig.server);
    if (sig.dir) {
        struct isotest_err ignore = ISOTEST_ERR_INIT;
        fs_remove_tree(sig.dir, &ignore);
        isotest_err_release(&ignore);
    }
    _exit(128 + s);
}

static void *signal_thread(void *arg)
{
    (void)arg;
    for (;;) {
        int s;
        if (sigwait(&sig.set, &s) != 0)
            continue;
        if (s == SIGUSR1)
            return NULL; /* main is done */
        if (atomic_load(&sig.signo))
            second_signal(s);
        atomic_store(&sig.signo, s);
        say("\nisotest: interrupted: stopping running cases and cleaning up "
            "(again to quit at once)\n");
        pthread_mutex_lock(&sig.lock);
        if (sig.pool)
            pool_stop(sig.pool);
        if (sig.child > 0)
            kill(sig.child, s);
        pthread_mutex_unlock(&sig.lock);
    }
}

int signals_start(void)
{
    pthread_mutexattr_t attr;

    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&sig.lock, &attr);
    pthread_mutexattr_destroy(&attr);
    /* Before any thread: a write to a closed pipe is an error, not death. */
    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&sig.set);
    sigaddset(&sig.set, SIGINT);
    sigaddset(&sig.set, SIGTERM);
    sigaddset(&sig.set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sig.set, NULL);
    if (pthread_create(&sig.thread, NULL, signal_thread, NULL) != 0)
        return -1;
    sig.started = true;
    return 0;
}

void signals_stop(void)
{
    if (!sig.started)
        return;
    pthread_kill(sig.thread, SIGUSR1);
    pthread_join(sig.thread, NULL);
    sig.started = false;
}

void signals_watch_pool(struct pool *p)
{
    pthread_mutex_lock(&sig.lock);
    sig.pool = p;
    /* A signal that came before the pool existed stops it at once. */
    if (p && atomic_load(&sig.signo))
        pool_stop(p);
    pthread_mutex_unlock(&sig.lock);
}

void signals_watch_session(struct isotest_session *s)
{
    pthread_mutex_lock(&sig.lock);
    sig.session = s;
    pthread_mutex_unlock(&sig.lock);
}

void signals_watch_server(struct isotest_server *srv)
{
    pthread_mutex_lock(&sig.lock);
    sig.server = srv;
    pthread_mutex_unlock(&sig.lock);
}

void signals_watch_child(pid_t pid)
{
    pthread_mutex_lock(&sig.lock);
    sig.child = pid;
    if (pid > 0 && atomic_load(&sig.signo))
        kill(pid, atomic_load(&sig.signo));
    pthread_mutex_unlock(&sig.lock);
}

void signals_watch_dir(const char *path)
{
    pthread_mutex_lock(&sig.lock);
    sig.dir = path;
    pthread_mutex_unlock(&sig.lock);
}

void signals_cleanup(void (*fn)(void *), void *arg)
{
    pthread_mutex_lock(&sig.lock);
    fn(arg);
    pthread_mutex_unlock(&sig.lock);
}

bool signals_interrupted(void)
{
    return atomic_load(&sig.signo) != 0;
}

bool signals_cancelled(void *arg)
{
    (void)arg;
    return signals_interrupted();
}

int signals_exit_code(void)
{
    return 128 + atomic_load(&sig.signo);
}
