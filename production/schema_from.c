/*
 * schema_from.c: pg_dump's schema-only output as a one-file migrations
 * folder.
 *
 * Layout: the child's argv and environment (password in PGPASSWORD),
 * running pg_dump, cleaning its output, the folder.
 */
#include "schema_from.h"
#include "catalog_conn.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "isotest.h"
#include "runner/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define READ_ONLY_OPTION "-c default_transaction_read_only=on"
#define MIGRATION_NAME "1_schema.sql"

/* bindir/pg_dump of the newest server installed, else pg_dump in PATH. */
static char *find_pg_dump(void)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    char *bindir = isotest_pg_bindir(&ignore);

    isotest_err_release(&ignore);
    if (bindir) {
        char *p = xasprintf("%s/pg_dump", bindir);
        free(bindir);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return xstrdup("pg_dump");
}

/*
 * This process's environment with PGPASSWORD set to the URL's password
 * (when it has one) and PGOPTIONS asking for read-only transactions.
 * The strings of the result are new when they are ours; the caller frees
 * the array and, from index *first_own on, the strings.
 */
static char **child_env(const char *password, size_t *first_own)
{
    size_t n = 0, k = 0;
    const char *opts = getenv("PGOPTIONS");

    while (environ[n])
        n++;
    char **env = xcalloc(n + 3, sizeof(*env));
    for (size_t i = 0; i < n; i++) {
        bool replace = !strncmp(environ[i], "PGOPTIONS=", 10) ||
                       (password && !strncmp(environ[i], "PGPASSWORD=", 11));
        if (!replace)
            env[k++] = environ[i];
    }
    *first_own = k;
    env[k++] = xasprintf("PGOPTIONS=%s%s" READ_ONLY_OPTION, opts ? opts : "",
                         opts && *opts ? " " : "");
    if (password)
        env[k++] = xasprintf("PGPASSWORD=%s", password);
    return env;
}

static void free_env(char **env, size_t first_own)
{
    for (size_t i = first_own; env[i]; i++) {
        memset(env[i], 0, strlen(env[i]));
        free(env[i]);
    }
    free(env);
}

static const char **dump_argv(const char *pg_dump, const char *conninfo,
                              const char *const *exclude, size_t n)
{
    const char **argv = xcalloc(n + 8, sizeof(*argv));
    size_t k = 0;

    argv[k++] = pg_dump;
    argv[k++] = "--schema-only";
    argv[k++] = "--no-owner";
    argv[k++] = "--no-privileges";
    for (size_t i = 0; i < n; i++)
        argv[k++] = xasprintf("--exclude-schema=%s", exclude[i]);
    argv[k++] = xasprintf("--dbname=%s", conninfo);
    return argv;
}

static void free_argv(const char **argv)
{
    for (size_t i = 4; argv[i]; i++)
        free((char *)argv[i]);
    free(argv);
}

/* pg_dump's failure in its own words, on one line, password redacted. */
static int dump_failed(const struct proc_status *st, struct strbuf *err,
                       const char *password, struct isotest_err *e)
{
    for (size_t i = 0; i < err->len; i++)
        if (err->buf[i] == '\n' || err->buf[i] == '\t')
            err->buf[i] = ' ';
    strbuf_rtrim(err);
    char *msg = catalog_conn_redact(password, err->buf);
    if (st->exited)
        err_set(e, "pg_dump exited with code %d: %s", st->code,
                *msg ? msg : "(no message)");
    else
        err_set(e, "pg_dump was killed by %s", proc_signame(st->code));
    free(msg);
    return -1;
}

/* Run pg_dump for url; its output in *dump. */
static int run_dump(const char *url, const char *const *exclude, size_t n,
                    struct strbuf *dump, struct isotest_err *e)
{
    char *conninfo, *password;

    if (catalog_conn_split(url, &conninfo, &password, e) < 0)
        return err_prefix(e, "--schema-from");
    char *pg_dump = find_pg_dump();
    const char **argv = dump_argv(pg_dump, conninfo, exclude, n);
    size_t first_own;
    char **env = child_env(password, &first_own);
    struct proc_spec spec = {.argv = argv, .envp = (const char *const *)env};
    struct proc p;
    struct proc_status st;
    struct strbuf err = STRBUF_INIT;
    int r = proc_start(&p, &spec, e);
    if (r == 0) {
        signals_watch_child(p.pid);
        r = proc_capture(&p, dump, &err, 0, SIGTERM, 2000, NULL, &st, e);
        signals_watch_child(0);
    }
    if (r == 0 && !(st.exited && st.code == 0))
        r = dump_failed(&st, &err, password, e);
    if (r < 0)
        err_prefix(e, "cannot dump the schema of --schema-from");
    strbuf_release(&err);
    free_env(env, first_own);
    free_argv(argv);
    free(pg_dump);
    free(conninfo);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return r;
}

size_t schema_from_strip(struct strbuf *dump)
{
    size_t w = 0, others = 0;

    for (size_t r = 0; r < dump->len;) {
        const char *line = dump->buf + r;
        const char *nl = memchr(line, '\n', dump->len - r);
        size_t len = nl ? (size_t)(nl - line) + 1 : dump->len - r;
        bool drop = !strncmp(line, "\\restrict ", 10) ||
                    !strncmp(line, "\\unrestrict ", 12);
        if (!drop && line[0] == '\\')
            others++;
        if (!drop) {
            memmove(dump->buf + w, line, len);
            w += len;
        }
        r += len;
    }
    dump->len = w;
    dump->buf[w] = '\0';
    return others;
}

static int name_suite(struct schema_from *sf, const char *url,
                      const char *const *exclude, size_t n,
                      struct isotest_err *e)
{
    char *conninfo, *password;

    if (catalog_conn_split(url, &conninfo, &password, e) < 0)
        return -1;
    struct strbuf sb = STRBUF_INIT;
    strbuf_addf(&sb, "schema-from %s", conninfo);
    for (size_t i = 0; i < n; i++)
        strbuf_addf(&sb, "%s%s", i ? "," : " exclude ", exclude[i]);
    sf->suite = strbuf_detach(&sb, NULL);
    free(conninfo);
    if (password) {
        memset(password, 0, strlen(password));
        free(password);
    }
    return 0;
}

int schema_from_prepare(struct schema_from *sf, const char *url,
                        const char *const *exclude, size_t n,
                        struct isotest_err *e)
{
    struct strbuf dump = STRBUF_INIT;
    const char *tmp = getenv("TMPDIR");

    memset(sf, 0, sizeof(*sf));
    if (run_dump(url, exclude, n, &dump, e) < 0) {
        strbuf_release(&dump);
        return -1;
    }
    if (schema_from_strip(&dump)) {
        strbuf_release(&dump);
        return err_set(e, "the schema dump of --schema-from holds psql "
                          "commands a migration cannot run");
    }
    sf->dir = xasprintf("%s/isotest-schema-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sf->dir)) {
        int saved = errno;
        err_errno(e, saved,
                  "cannot create a folder for the schema dump "
                  "'%s'",
                  sf->dir);
        free(sf->dir);
        sf->dir = NULL;
        strbuf_release(&dump);
        return -1;
    }
    signals_watch_dir(sf->dir); /* a second Ctrl-C removes it */
    sf->file = xasprintf("%s/" MIGRATION_NAME, sf->dir);
    int r = fs_write_atomic(sf->file, dump.buf, dump.len, e);
    if (r == 0)
        r = name_suite(sf, url, exclude, n, e);
    strbuf_release(&dump);
    if (r < 0)
        schema_from_release(sf);
    return r;
}

void schema_from_release(struct schema_from *sf)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    if (sf->dir) {
        signals_watch_dir(NULL);
        fs_remove_tree(sf->dir, &ignore);
    }
    isotest_err_release(&ignore);
    free(sf->dir);
    free(sf->file);
    free(sf->suite);
    sf->dir = sf->file = sf->suite = NULL;
}
