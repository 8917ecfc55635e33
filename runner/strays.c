/*
 * strays.c: finding a run's processes by their environment.
 */
#include "strays.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VAR "ISOTEST_SANDBOX="

int strays_guard(struct watch *w, const char *prefix, struct isotest_err *e)
{
    char *var = xasprintf(VAR "%s", prefix);
    const char *args[] = {var, NULL};
    /* grep -z: /proc/PID/environ holds NUL-terminated entries. */
    int r = watch_start(w,
                        "for f in $(grep -lzas \"^$1\" /proc/[0-9]*/environ); "
                        "do p=${f#/proc/}; kill -KILL \"${p%/environ}\"; "
                        "done 2>/dev/null",
                        args, e);
    free(var);
    return r;
}

/* The sandbox named in pid's environment when it has our prefix, or NULL. */
static char *sandbox_of(const char *pid, const char *prefix)
{
    char *path = xasprintf("/proc/%s/environ", pid);
    char *env = NULL, *found = NULL;
    size_t len;
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (fs_read_file(path, &env, &len, &ignore) == 0) {
        size_t vl = strlen(VAR), pl = strlen(prefix);
        for (size_t i = 0; i < len; i += strlen(env + i) + 1) {
            const char *kv = env + i;
            if (!strncmp(kv, VAR, vl) && !strncmp(kv + vl, prefix, pl)) {
                found = xstrdup(kv + vl);
                break;
            }
        }
    }
    isotest_err_release(&ignore);
    free(env);
    free(path);
    return found;
}

/* The program's name (/proc/PID/comm), or "?". */
static char *comm_of(const char *pid)
{
    char *path = xasprintf("/proc/%s/comm", pid);
    char *text = NULL;
    size_t len;
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (fs_read_file(path, &text, &len, &ignore) < 0) {
        free(text);
        text = xstrdup("?");
    }
    text[strcspn(text, "\n")] = '\0';
    isotest_err_release(&ignore);
    free(path);
    return text;
}

static void note_on_case(struct test_result *results, size_t n,
                         const char *sandbox, const char *line)
{
    for (size_t i = 0; i < n; i++) {
        struct captured *c = &results[i].err;
        if (!results[i].sandbox || strcmp(results[i].sandbox, sandbox))
            continue;
        size_t add = strlen(line);
        c->data = xrealloc(c->data, c->len + add + 1);
        memcpy(c->data + c->len, line, add + 1);
        c->len += add;
        return;
    }
}

size_t strays_end(const char *prefix, struct test_result *results, size_t n,
                  FILE *out)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    size_t ended = 0;
    char self[32];

    if (!d)
        return 0;
    snprintf(self, sizeof(self), "%ld", (long)getpid());
    while ((de = readdir(d))) {
        if (!isdigit((unsigned char)de->d_name[0]) || !strcmp(de->d_name, self))
            continue;
        char *sandbox = sandbox_of(de->d_name, prefix);
        if (!sandbox)
            continue;
        pid_t pid = (pid_t)strtol(de->d_name, NULL, 10);
        if (kill(pid, SIGKILL) == 0) {
            char *comm = comm_of(de->d_name);
            char *line = xasprintf("isotest: process %ld (%s), started in "
                                   "sandbox %s, outlived its case: ended\n",
                                   (long)pid, comm, sandbox);
            note_on_case(results, n, sandbox, line);
            fprintf(out, "warning: %s", line + strlen("isotest: "));
            free(line);
            free(comm);
            ended++;
        }
        free(sandbox);
    }
    closedir(d);
    return ended;
}
