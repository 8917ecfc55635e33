/*
 * cluster_settings.c: what the embedded server is started with -- isotest's
 * own settings, then the user's (cluster_options.settings), which win by
 * coming last -- checking the user's, naming the one the server refused,
 * and the bindir a pg_config names.
 */
#include "cluster_int.h"
#include "common/proc.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char *const defaults[] = {
    "listen_addresses=", "unix_socket_permissions=0700",
    /* Speed over durability: the cluster is thrown away. */
    "fsync=off", "synchronous_commit=off", "full_page_writes=off",
    "wal_level=minimal", "max_wal_senders=0", "autovacuum=off",
    "max_connections=300", "max_locks_per_transaction=256",
    "checkpoint_timeout=1d", "max_wal_size=1GB", "min_wal_size=4MB",
    "logging_collector=off",
    /*
     * Loaded once into the postmaster instead of into every backend that
     * runs a DO block or a PL/pgSQL function: ~1 ms per case.
     */
    "shared_preload_libraries=plpgsql",
    /* Segments in the data folder: gone with it, even after SIGQUIT. */
    "dynamic_shared_memory_type=mmap"};

#define NDEFAULTS (sizeof(defaults) / sizeof(*defaults))

int cluster_setting_check(const char *setting, struct isotest_err *e)
{
    const char *eq = strchr(setting, '=');
    bool ok = eq && eq > setting;

    for (const char *p = setting; ok && p < eq; p++)
        ok = isalnum((unsigned char)*p) || *p == '_' || *p == '.';
    if (!ok)
        return err_set(e,
                       "invalid server option '%s': expected NAME=VALUE, "
                       "NAME a PostgreSQL parameter",
                       setting);
    return 0;
}

const char **cluster_server_argv(const struct cluster *c, const char *postgres,
                                 const char *sockopt)
{
    size_t n = 0, max = 7 + 2 * (NDEFAULTS + c->n_settings) + 1;
    const char **argv = xcalloc(max, sizeof(*argv));

    argv[n++] = postgres;
    argv[n++] = "-D";
    argv[n++] = c->datadir;
    argv[n++] = "-p";
    argv[n++] = CLUSTER_PORT;
    argv[n++] = "-c";
    argv[n++] = sockopt;
    for (size_t i = 0; i < NDEFAULTS; i++) {
        argv[n++] = "-c";
        argv[n++] = defaults[i];
    }
    for (size_t i = 0; i < c->n_settings; i++) {
        argv[n++] = "-c";
        argv[n++] = c->settings[i];
    }
    argv[n] = NULL;
    return argv;
}

void cluster_refused_setting(const struct cluster *c, const char *log,
                             struct isotest_err *e)
{
    for (size_t i = 0; i < c->n_settings; i++) {
        const char *s = c->settings[i];
        size_t n = (size_t)(strchr(s, '=') - s);
        char *quoted = xasprintf("\"%.*s\"", (int)n, s);
        const char *at = strstr(log, quoted);
        free(quoted);
        if (!at)
            continue;
        /* The server's own line: "FATAL:  invalid value for parameter". */
        const char *start = at;
        while (start > log && start[-1] != '\n')
            start--;
        const char *end = strchr(at, '\n');
        const char *msg = strstr(start, ":  ");
        msg = msg && msg < at ? msg + 3 : start;
        err_set(e, "the embedded server refused server option '%s': %.*s", s,
                (int)((end ? end : at + strlen(at)) - msg), msg);
        return;
    }
}

char *cluster_pg_config_bindir(const char *pg_config, struct isotest_err *e)
{
    const char *argv[] = {pg_config, "--bindir", NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status st;

    if (proc_run(argv, &out, &st, e) < 0 || !st.exited || st.code != 0) {
        isotest_err_release(e);
        err_set(e, "PG_CONFIG='%s' did not run as a pg_config (--bindir)",
                pg_config);
        strbuf_release(&out);
        return NULL;
    }
    strbuf_rtrim(&out);
    return strbuf_detach(&out, NULL);
}
