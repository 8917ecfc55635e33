/*
 * helpers_proc.c: looking at processes -- whether one lives, the pids a
 * case wrote, a run's embedded server, stopping stray ones.  See helpers.h
 * for the contract.
 */
#include "helpers.h"

#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- processes ---------------------------------------------------------- */

bool itest_pid_alive(pid_t pid)
{
    if (kill(pid, 0) < 0)
        return errno != ESRCH;
    char *path = xasprintf("/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "re");
    char buf[512] = "";
    free(path);
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *paren = strrchr(buf, ')');
    return !(paren && (paren[2] == 'Z' || paren[2] == 'X'));
}

/* The pids a run's scripts wrote, one per line; *n gets their count. */
static pid_t *read_pids(const char *path, size_t *n)
{
    char *text = itest_read_file(path);
    pid_t *v = xcalloc(1, sizeof(*v));

    *n = 0;
    for (char *p = text; *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        cr_assert(end != p && pid > 1, "bad line in %s:\n%s", path, text);
        v = xrealloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = (pid_t)pid;
        p = end;
        while (*p == '\n')
            p++;
    }
    free(text);
    return v;
}

/*
 * A SIGKILL sent just before isotest exited takes effect asynchronously,
 * so each process gets two seconds to vanish.
 */
void itest_assert_pids_gone(const char *path, size_t want)
{
    size_t n;
    pid_t *v = read_pids(path, &n);

    cr_assert_eq(n, want, "%zu pids in %s, expected %zu", n, path, want);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 100 && itest_pid_alive(v[i]); k++)
            itest_sleep_ms(20);
        bool alive = itest_pid_alive(v[i]);
        if (alive)
            kill(v[i], SIGKILL); /* do not leave it to the next test */
        cr_assert(!alive, "process %ld of the case survived the run",
                  (long)v[i]);
    }
    free(v);
}

/*
 * The command line of a process, its arguments joined by spaces (NULL
 * when it is gone); the caller frees it.
 */
static char *cmdline_of(pid_t pid)
{
    char *path = xasprintf("/proc/%ld/cmdline", (long)pid);
    FILE *f = fopen(path, "re");
    struct strbuf sb = STRBUF_INIT;
    char buf[4096];
    size_t n;

    free(path);
    if (!f)
        return NULL;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(f);
    for (size_t i = 0; i < sb.len; i++)
        if (sb.buf[i] == '\0')
            sb.buf[i] = ' ';
    strbuf_rtrim(&sb);
    return strbuf_detach(&sb, NULL);
}

char *itest_server_dir_of(pid_t pid)
{
    pid_t tree[ITEST_MAX_TREE];
    size_t n = itest_descendants_of(pid, tree);

    for (size_t i = 0; i < n; i++) {
        char *cmd = cmdline_of(tree[i]);
        /* "postgres -D <run folder>/data -p ..." */
        const char *d = cmd ? strstr(cmd, " -D /") : NULL;
        char *dir = NULL;
        if (d) {
            d += 4;
            size_t len = strcspn(d, " ");
            if (len > 5 && !strncmp(d + len - 5, "/data", 5))
                dir = xstrndup(d, len - 5);
        }
        free(cmd);
        if (dir)
            return dir;
    }
    return NULL;
}

char *itest_stop_processes_naming(const char *text)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    struct strbuf found = STRBUF_INIT;
    pid_t pids[64];
    size_t n = 0;

    cr_assert(d, "cannot read /proc: %s", strerror(errno));
    while ((de = readdir(d)) && n < sizeof(pids) / sizeof(*pids)) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
        char *cmd = pid == getpid() ? NULL : cmdline_of(pid);
        if (cmd && strstr(cmd, text) && itest_pid_alive(pid)) {
            strbuf_addf(&found, "\n  %ld: %s", (long)pid, cmd);
            kill(pid, SIGQUIT);
            pids[n++] = pid;
        }
        free(cmd);
    }
    closedir(d);
    /* Orphans came to this process (a subreaper): reap them too. */
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 500 && itest_pid_alive(pids[i]); k++) {
            waitpid(pids[i], NULL, WNOHANG);
            itest_sleep_ms(20);
        }
        if (itest_pid_alive(pids[i])) {
            kill(pids[i], SIGKILL);
            waitpid(pids[i], NULL, 0); /* ECHILD when not ours: fine */
        }
        waitpid(pids[i], NULL, WNOHANG);
    }
    return strbuf_detach(&found, NULL);
}
