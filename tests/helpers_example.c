/*
 * helpers_example.c: building and running the examples (examples/c,
 * examples/criterion) against the staged install, as a user would.  See
 * helpers.h.
 */
#include "helpers.h"

#include "common/proc.h"
#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define EMBEDDED_CACHE "/tmp/isotest-test-cache/embedded"
#define CMD_TIMEOUT_MS 150000

/* ---- running commands --------------------------------------------------- */

const char *itest_stage(void)
{
    const char *s = getenv("ISOTEST_STAGE");

    cr_assert(s && s[0] == '/',
              "ISOTEST_STAGE must be the absolute path of a staged install "
              "(run `make integration`)");
    char *bin = xasprintf("%s/bin/isotest", s);
    cr_assert(access(bin, X_OK) == 0,
              "'%s' is missing: stage an install "
              "with `make install PREFIX=%s`",
              bin, s);
    free(bin);
    return s;
}

/*
 * Inherited, these would change what the child does.  This test runs in
 * a Criterion worker, whose environment tells a Criterion program that it
 * is a worker too (BoxFort's BXFI_MAP): the example's ./tests would abort
 * at once.
 */
static bool dropped_var(const char *entry)
{
    static const char *const names[] = {"PKG_CONFIG_PATH=",
                                        "MAKEFLAGS=",
                                        "MFLAGS=",
                                        "MAKELEVEL=",
                                        "ISOTEST_CACHE_DIR=",
                                        "ISOTEST_SOCKET=",
                                        "ISOTEST_RUN_ID=",
                                        "BXFI_",
                                        "GMON_OUT_PREFIX=",
                                        "CRITERION_"};

    if (!strncmp(entry, "PG", 2)) /* would name some other server */
        return true;
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        if (!strncmp(entry, names[i], strlen(names[i])))
            return true;
    return false;
}

/*
 * Run argv in cwd with this process's environment minus the variables
 * above, plus PKG_CONFIG_PATH for the stage, the test cache, and `env`
 * ("NAME=value", may be NULL) on top.  Killed after CMD_TIMEOUT_MS.
 */
void itest_run_example_cmd(struct itest_result *r, const char *const *argv,
                           const char *cwd, const char *const *env)
{
    size_t n = 0, cap = 3;

    for (char **p = environ; *p; p++)
        cap++;
    for (const char *const *x = env; x && *x; x++)
        cap++;
    const char **envp = xcalloc(cap, sizeof(*envp));
    char *pkg = xasprintf("PKG_CONFIG_PATH=%s/lib/pkgconfig", itest_stage());
    for (char **p = environ; *p; p++)
        if (!dropped_var(*p))
            envp[n++] = *p;
    envp[n++] = pkg;
    envp[n++] = "ISOTEST_CACHE_DIR=" EMBEDDED_CACHE;
    for (const char *const *x = env; x && *x; x++)
        envp[n++] = *x;

    struct proc_spec spec = {.argv = argv, .envp = envp, .cwd = cwd};
    struct proc p;
    struct proc_status ps;
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run '%s': %s", argv[0],
              e.msg);
    cr_assert(proc_capture(&p, &out, &errb, CMD_TIMEOUT_MS, SIGTERM, 5000, NULL,
                           &ps, &e) == 0,
              "cannot read the output of '%s': %s", argv[0], e.msg);
    if (ps.timed_out)
        strbuf_addf(&errb, "\n[itest] killed after %d s\n",
                    CMD_TIMEOUT_MS / 1000);
    r->code = ps.exited && !ps.timed_out ? ps.code : -1;
    r->out = strbuf_detach(&out, NULL);
    r->err = strbuf_detach(&errb, NULL);
    free(envp);
    free(pkg);
}
