/*
 * helpers.c: the integration tests' per-process state and teardown,
 * scratch files, and private servers.  See helpers.h for the contract.
 *
 * Layout: per-process state and teardown; scratch folder and files;
 * servers.  Running programs is in helpers_run.c, the catalog and run
 * folders in helpers_catalog.c, JUnit reports in helpers_junit.c.
 */
#include "helpers.h"

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "isolation/cluster.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/*
 * The private servers' initdb cache: a folder of its own, apart from the
 * embedded server's test cache (…/embedded), so that no isotest run with
 * ISOTEST_CACHE_DIR set to the parent can store templates into it.
 */
#define CACHE_DIR "/tmp/isotest-test-cache/itest"
/* Our clusters live below this, never directly in /dev/shm. */
#define CLUSTER_BASE "/dev/shm/isotest-itest"

/* What this test process started; teardown undoes it. */
static struct {
    struct cluster *clusters[4];
    size_t nclusters;
    char *tmpdir;
} st;

void itest_teardown(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    /* Runs first: they may be using the servers. */
    itest_bg_kill_all();
    while (st.nclusters) {
        cluster_stop(st.clusters[--st.nclusters], false, &e);
        isotest_err_release(&e);
    }
    if (st.tmpdir) {
        fs_remove_tree(st.tmpdir, &e);
        isotest_err_release(&e);
        free(st.tmpdir);
        st.tmpdir = NULL;
    }
}

/* ---- scratch folder and files ------------------------------------------- */

const char *itest_tmpdir(void)
{
    if (!st.tmpdir) {
        char *t = xstrdup("/tmp/isotest-itest-XXXXXX");
        cr_assert(mkdtemp(t), "cannot create a scratch folder: %s",
                  strerror(errno));
        st.tmpdir = t;
    }
    return st.tmpdir;
}

char *itest_tmpfile(const char *name)
{
    return xasprintf("%s/%s", itest_tmpdir(), name);
}

char *itest_tmpsubdir(const char *name)
{
    char *dir = itest_tmpfile(name);
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(fs_mkdirs(dir, 0755, &e) == 0, "%s", e.msg);
    return dir;
}

char *itest_read_file(const char *path)
{
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(fs_read_file(path, &text, &len, &e) == 0, "%s", e.msg);
    return text;
}

void itest_write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

    cr_assert(fd >= 0, "cannot write '%s': %s", path, strerror(errno));
    size_t n = strlen(text);
    cr_assert(write(fd, text, n) == (ssize_t)n, "cannot write '%s'", path);
    cr_assert(fchmod(fd, mode) == 0);
    close(fd);
}

size_t itest_count_lines(const char *path)
{
    FILE *f = fopen(path, "re");
    size_t n = 0;
    int ch;

    if (!f)
        return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

void itest_assert_empty_dir(const char *dir, const char *what)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    struct strbuf left = STRBUF_INIT;

    cr_assert(d, "cannot read '%s'", dir);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strbuf_addf(&left, " %s", de->d_name);
    closedir(d);
    cr_assert(left.len == 0, "%s left files in '%s':%s", what, dir, left.buf);
    strbuf_release(&left);
}

void itest_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* ---- servers ------------------------------------------------------------ */

const char *itest_cluster_start(void)
{
    struct cluster_options o = {.cache_dir = CACHE_DIR,
                                .base_dir = CLUSTER_BASE};
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(st.nclusters < sizeof(st.clusters) / sizeof(*st.clusters),
              "too many servers in one test");
    cr_assert(fs_mkdirs(CLUSTER_BASE, 0755, &e) == 0, "%s", e.msg);
    /* Servers of test processes that crashed: their lock is free. */
    cluster_reclaim(&o, &e);
    isotest_err_release(&e);

    struct cluster *c = cluster_start(&o, &e);
    cr_assert(c, "cannot start a private server: %s", e.msg);
    if (!cluster_from_cache(c)) {
        /* First start on this machine: store the pristine cluster, so
           that later tests copy it instead of running initdb. */
        cluster_stop(c, true, &e);
        isotest_err_release(&e);
        c = cluster_start(&o, &e);
        cr_assert(c, "cannot start a private server: %s", e.msg);
    }
    st.clusters[st.nclusters++] = c;
    return cluster_conninfo(c);
}

const char *itest_cluster_sockdir(void)
{
    cr_assert(st.nclusters, "no server started");
    return cluster_sockdir(st.clusters[st.nclusters - 1]);
}

const char *itest_password_server_start(const char *password)
{
    const char *ci = itest_cluster_start();
    PGconn *conn = PQconnectdb(ci);

    cr_assert(PQstatus(conn) == CONNECTION_OK, "cannot connect to '%s': %s", ci,
              PQerrorMessage(conn));
    char *lit = PQescapeLiteral(conn, password, strlen(password));
    char *sql = xasprintf("ALTER ROLE postgres PASSWORD %s", lit);

    PQfreemem(lit);
    PQfinish(conn);
    itest_sql(ci, sql); /* password_encryption is scram-sha-256 on 15 */
    free(sql);

    /* Every local connection must now prove the password. */
    char *hba = itest_sql_value(ci, "SHOW hba_file");
    FILE *f = fopen(hba, "w");
    cr_assert(f, "cannot write '%s': %s", hba, strerror(errno));
    fputs("local all all scram-sha-256\n", f);
    cr_assert(fclose(f) == 0, "cannot write '%s'", hba);
    free(hba);
    itest_sql(ci, "SELECT pg_reload_conf()");

    /* The reload is asynchronous: wait until a password is asked for. */
    for (int i = 0;; i++) {
        PGconn *probe = PQconnectdb(ci);
        bool asks = PQstatus(probe) != CONNECTION_OK &&
                    PQconnectionNeedsPassword(probe);
        PQfinish(probe);
        if (asks)
            break;
        cr_assert(i < 500, "the server does not ask for a password after "
                           "pg_reload_conf()");
        itest_sleep_ms(20);
    }
    return ci;
}
