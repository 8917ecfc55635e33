/*
 * helpers.c: servers, running the binary, catalog queries, run folders and
 * JUnit checks for the integration tests.  See helpers.h for the contract.
 *
 * Layout: per-process state and teardown; servers; running isotest;
 * catalog queries; run folders; JUnit reports.
 */
#define _GNU_SOURCE /* F_OFD_GETLK: the lock isotest holds on a run folder */
#include "helpers.h"

#include "isolation/cluster.h"
#include "common/fsutil.h"
#include "common/proc.h"
#include "common/strbuf.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_DIR "/tmp/isotest-test-cache"
/* isotest's own embedded runs get a cache of their own (see itest_run). */
#define EMBEDDED_CACHE_DIR CACHE_DIR "/embedded"
/* Our clusters live below this, never directly in /dev/shm. */
#define CLUSTER_BASE "/dev/shm/isotest-itest"
#define RUN_PREFIX "isotest-run-"
/* The Jenkins xunit schema, kept in the repository (MIT, header inside). */
#define XSD "reporters/junit-10.xsd"
#define RUN_TIMEOUT_MS 120000

extern char **environ;

/* What this test process started; teardown undoes it. */
static struct {
    struct cluster *clusters[4];
    size_t nclusters;
    char *tmpdir;
} st;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

void itest_teardown(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

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

/* ---- servers ---------------------------------------------------------- */

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

static PGconn *connect_or_fail(const char *conninfo)
{
    PGconn *conn = PQconnectdb(conninfo);

    cr_assert(PQstatus(conn) == CONNECTION_OK, "cannot connect to '%s': %s",
              conninfo, PQerrorMessage(conn));
    return conn;
}

const char *itest_password_server_start(const char *password)
{
    const char *ci = itest_cluster_start();
    PGconn *conn = connect_or_fail(ci);
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
        sleep_ms(20);
    }
    return ci;
}

/* ---- running isotest ------------------------------------------------ */

static bool env_named(const char *entry, const char *const *env)
{
    for (const char *const *x = env; x && *x; x++) {
        const char *eq = strchr(*x, '=');
        size_t n = eq ? (size_t)(eq - *x) : strlen(*x);
        if (!strncmp(entry, *x, n) && entry[n] == '=')
            return true;
    }
    return false;
}

void itest_run(struct itest_result *r, const char *const *args,
               const char *const *env)
{
    const char *bin = getenv("ISOTEST_BIN");
    const char *const cache[] = {"ISOTEST_CACHE_DIR=" EMBEDDED_CACHE_DIR, NULL};
    size_t nargs = 0, nenv = 0, n = 0;

    if (!bin || !*bin)
        bin = "build/isotest";
    cr_assert(access(bin, X_OK) == 0,
              "isotest binary '%s' not found (set ISOTEST_BIN)", bin);

    while (args[nargs])
        nargs++;
    const char **argv = xcalloc(nargs + 2, sizeof(*argv));
    argv[0] = bin;
    memcpy(argv + 1, args, nargs * sizeof(*argv));

    /* Inherited PG* variables would point isotest at some other server. */
    for (char **p = environ; *p; p++)
        nenv++;
    for (const char *const *x = env; x && *x; x++)
        nenv++;
    const char **envp = xcalloc(nenv + 2, sizeof(*envp));
    for (char **p = environ; *p; p++)
        if (strncmp(*p, "PG", 2) && !env_named(*p, env) &&
            !env_named(*p, cache))
            envp[n++] = *p;
    if (!env_named(cache[0], env))
        envp[n++] = cache[0];
    for (const char *const *x = env; x && *x; x++)
        envp[n++] = *x;

    struct proc_spec spec = {.argv = argv, .envp = envp};
    struct proc p;
    struct proc_status ps;
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_start(&p, &spec, &e) == 0, "cannot run '%s': %s", bin,
              e.msg);
    cr_assert(proc_capture(&p, &out, &errb, RUN_TIMEOUT_MS, SIGTERM, 5000, NULL,
                           &ps, &e) == 0,
              "cannot read the output of '%s': %s", bin, e.msg);
    if (ps.timed_out)
        strbuf_addf(&errb, "\n[itest] killed after %d s\n",
                    RUN_TIMEOUT_MS / 1000);
    r->code = ps.exited && !ps.timed_out ? ps.code : -1;
    r->out = strbuf_detach(&out, NULL);
    r->err = strbuf_detach(&errb, NULL);
    free(argv);
    free(envp);
}

void itest_result_release(struct itest_result *r)
{
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

char *itest_last_line(const char *text)
{
    size_t end = strlen(text);

    while (end && (text[end - 1] == '\n' || text[end - 1] == '\r'))
        end--;
    size_t start = end;
    while (start && text[start - 1] != '\n')
        start--;
    return xstrndup(text + start, end - start);
}

/* ---- catalog queries ---------------------------------------------------- */

static PGresult *query(const char *conninfo, const char *sql, int nparams,
                       const char *const *params)
{
    PGconn *conn = connect_or_fail(conninfo);
    PGresult *res =
        PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(res);

    cr_assert(s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK,
              "query failed: %s\n%s", sql, PQerrorMessage(conn));
    PQfinish(conn);
    return res;
}

void itest_sql(const char *conninfo, const char *sql)
{
    PGconn *conn = connect_or_fail(conninfo);
    PGresult *res = PQexec(conn, sql); /* several statements allowed */
    ExecStatusType s = PQresultStatus(res);

    cr_assert(s == PGRES_TUPLES_OK || s == PGRES_COMMAND_OK,
              "statement failed: %s\n%s", sql, PQerrorMessage(conn));
    PQclear(res);
    PQfinish(conn);
}

char *itest_sql_value(const char *conninfo, const char *sql)
{
    PGresult *res = query(conninfo, sql, 0, NULL);
    char *v = PQntuples(res) && !PQgetisnull(res, 0, 0)
                  ? xstrdup(PQgetvalue(res, 0, 0))
                  : NULL;

    PQclear(res);
    return v;
}

long itest_db_count(const char *conninfo, const char *pattern)
{
    PGresult *res = query(conninfo,
                          "SELECT count(*) FROM pg_database "
                          "WHERE datname LIKE $1",
                          1, ARGV(pattern));
    long n = strtol(PQgetvalue(res, 0, 0), NULL, 10);

    PQclear(res);
    return n;
}

char *itest_db_names(const char *conninfo, const char *pattern)
{
    PGresult *res = query(conninfo,
                          "SELECT coalesce(string_agg(datname, ', ' "
                          "ORDER BY datname), '') FROM pg_database "
                          "WHERE datname LIKE $1",
                          1, ARGV(pattern));
    char *v = xstrdup(PQgetvalue(res, 0, 0));

    PQclear(res);
    return v;
}

void itest_assert_no_sandboxes(const char *conninfo)
{
    char *left =
        itest_sql_value(conninfo, "SELECT coalesce(string_agg(datname, ', ' "
                                  "ORDER BY datname), '') FROM pg_database "
                                  "WHERE datname LIKE 'isotest\\_%' "
                                  "AND datname NOT LIKE 'isotest\\_tpl\\_%'");

    cr_assert_str_empty(left, "isotest left databases behind: %s", left);
    free(left);
}

/* ---- run folders -------------------------------------------------------- */

/* Where isotest puts its embedded server's run folder (cluster.c's rule). */
static const char *run_base(void)
{
    struct stat s;
    const char *t;

    if (stat("/dev/shm", &s) == 0 && S_ISDIR(s.st_mode) &&
        access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    if ((t = getenv("TMPDIR")) && *t)
        return t;
    return "/tmp";
}

char **itest_run_dirs(void)
{
    DIR *d = opendir(run_base());
    struct dirent *de;
    char **v = xcalloc(1, sizeof(*v));
    size_t n = 0;

    cr_assert(d, "cannot read '%s': %s", run_base(), strerror(errno));
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, RUN_PREFIX, strlen(RUN_PREFIX)))
            continue;
        v = xrealloc(v, (n + 2) * sizeof(*v));
        v[n++] = xstrdup(de->d_name);
        v[n] = NULL;
    }
    closedir(d);
    return v;
}

void itest_strv_free(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static bool in_list(char **v, const char *s)
{
    for (; *v; v++)
        if (!strcmp(*v, s))
            return true;
    return false;
}

enum dir_state { DIR_GONE, DIR_LIVE, DIR_NO_LOCK, DIR_ABANDONED };

static enum dir_state run_dir_state(const char *name)
{
    char *dir = xasprintf("%s/%s", run_base(), name);
    char *lock = xasprintf("%s/lock", dir);
    struct stat s;
    enum dir_state r;

    if (stat(dir, &s) < 0) {
        r = DIR_GONE;
    } else {
        int fd = open(lock, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            r = DIR_NO_LOCK; /* just created, or leaked mid-start */
        } else {
            struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
            r = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK
                    ? DIR_LIVE
                    : DIR_ABANDONED;
            close(fd);
        }
    }
    free(dir);
    free(lock);
    return r;
}

void itest_assert_no_new_run_dirs(char **before)
{
    char **after = itest_run_dirs();
    struct strbuf left = STRBUF_INIT;

    for (char **p = after; *p; p++) {
        if (in_list(before, *p))
            continue;
        /* A run of another test may be starting or ending right now. */
        enum dir_state s = run_dir_state(*p);
        for (int i = 0; s == DIR_NO_LOCK && i < 100; i++) {
            sleep_ms(100);
            s = run_dir_state(*p);
        }
        if (s == DIR_ABANDONED || s == DIR_NO_LOCK)
            strbuf_addf(&left, " %s/%s", run_base(), *p);
    }
    itest_strv_free(after);
    if (left.len) {
        /* Stop what was left (its postmaster) before failing. */
        struct cluster_options o = {0};
        struct isotest_err e = ISOTEST_ERR_INIT;
        cluster_reclaim(&o, &e);
        isotest_err_release(&e);
    }
    cr_assert(left.len == 0, "run folders left behind:%s", left.buf);
    strbuf_release(&left);
}

/* ---- JUnit reports ------------------------------------------------------ */

static void validate_xsd(const char *path)
{
    cr_assert(access(XSD, R_OK) == 0,
              "%s not found: the tests run from the repository root", XSD);
    const char *argv[] = {"xmllint", "--noout", "--schema", XSD, path, NULL};
    struct strbuf out = STRBUF_INIT;
    struct proc_status ps;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert(proc_run(argv, &out, &ps, &e) == 0, "cannot run xmllint: %s",
              e.msg);
    cr_assert(ps.exited && ps.code == 0, "%s is not valid JUnit XML:\n%s", path,
              out.buf);
    strbuf_release(&out);
}

static char *attr(xmlNode *n, const char *name)
{
    return (char *)xmlGetProp(n, BAD_CAST name);
}

static bool named(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

/* Read a required numeric attribute of a testsuite. */
static long count_attr(xmlNode *n, const char *name, bool required)
{
    char *v = attr(n, name);

    if (!v) {
        cr_assert(!required, "testsuite without attribute '%s'", name);
        return -1;
    }
    char *end;
    long r = strtol(v, &end, 10);
    cr_assert(*v && !*end && r >= 0, "testsuite %s=\"%s\" is not a count", name,
              v);
    xmlFree(v);
    return r;
}

/* Every time attribute below n reads like 0.123. */
static void check_times(xmlNode *n, const regex_t *re)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        char *t = attr(n, "time");
        if (t) {
            cr_assert(regexec(re, t, 0, NULL, 0) == 0,
                      "<%s time=\"%s\">: not seconds with 3 decimals",
                      (const char *)n->name, t);
            xmlFree(t);
        }
        check_times(n->children, re);
    }
}

static void check_suite(xmlNode *suite, struct itest_junit *c)
{
    long cases = 0, failures = 0, errors = 0, skipped = 0;
    char *name = attr(suite, "name");

    cr_assert(name && *name, "testsuite without a name");
    xmlFree(name);
    for (xmlNode *tc = suite->children; tc; tc = tc->next) {
        if (!named(tc, "testcase"))
            continue;
        cases++;
        static const char *const required[] = {"name", "classname", "time"};
        for (size_t i = 0; i < 3; i++) {
            char *v = attr(tc, required[i]);
            cr_assert(v && *v, "testcase without attribute '%s'", required[i]);
            xmlFree(v);
        }
        for (xmlNode *k = tc->children; k; k = k->next) {
            failures += named(k, "failure");
            errors += named(k, "error");
            skipped += named(k, "skipped");
        }
    }
    long t = count_attr(suite, "tests", true);
    long f = count_attr(suite, "failures", true);
    long e = count_attr(suite, "errors", true);
    long s = count_attr(suite, "skipped", false);
    cr_assert(t == cases && f == failures && e == errors,
              "testsuite says tests=%ld failures=%ld errors=%ld, its "
              "testcases say %ld, %ld, %ld",
              t, f, e, cases, failures, errors);
    cr_assert(s < 0 || s == skipped, "testsuite skipped=%ld, testcases %ld", s,
              skipped);
    c->tests += t;
    c->failures += f;
    c->errors += e;
    c->skipped += skipped;
}

void itest_junit_check(const char *path, struct itest_junit *counts)
{
    regex_t re;

    memset(counts, 0, sizeof(*counts));
    validate_xsd(path);
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    xmlNode *root = xmlDocGetRootElement(doc);
    cr_assert(root && (named(root, "testsuites") || named(root, "testsuite")),
              "'%s' has no testsuites root element", path);

    cr_assert(regcomp(&re, "^[0-9]+\\.[0-9]{3}$", REG_EXTENDED | REG_NOSUB) ==
              0);
    check_times(root, &re);
    regfree(&re);

    size_t nsuites = 0;
    if (named(root, "testsuite")) {
        check_suite(root, counts);
        nsuites = 1;
    }
    for (xmlNode *s = root->children; s; s = s->next)
        if (named(s, "testsuite")) {
            check_suite(s, counts);
            nsuites++;
        }
    cr_assert(nsuites > 0, "'%s' holds no testsuite", path);
    xmlFreeDoc(doc);
}

static char *find_property(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (named(n, "property")) {
            char *k = attr(n, "name");
            bool hit = k && !strcmp(k, name);
            xmlFree(k);
            if (hit) {
                char *v = attr(n, "value");
                char *r = v ? xstrdup(v) : NULL;
                xmlFree(v);
                return r;
            }
        }
        char *r = n->type == XML_ELEMENT_NODE ? find_property(n->children, name)
                                              : NULL;
        if (r)
            return r;
    }
    return NULL;
}

char *itest_junit_property(const char *path, const char *name)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);

    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    char *v = find_property(xmlDocGetRootElement(doc), name);
    xmlFreeDoc(doc);
    return v;
}

char *itest_junit_runid(const char *path)
{
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;
    static const char key[] = "sandbox=isotest_";

    cr_assert(fs_read_file(path, &text, &len, &e) == 0, "%s", e.msg);
    char *p = strstr(text, key);
    char *id = NULL;
    if (p) {
        p += strlen(key);
        size_t n = strspn(p, "0123456789abcdef");
        if (n == 8 && p[8] == '_')
            id = xstrndup(p, 8);
    }
    free(text);
    return id;
}

char *itest_summary_line(const struct itest_result *r)
{
    const char *best = NULL;
    int a, b, c;
    char tail;

    for (const char *p = r->out; *p;) {
        if (sscanf(p, "%d passed, %d failed, %d skipped%c", &a, &b, &c,
                   &tail) == 4 &&
            tail == '\n')
            best = p;
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    }
    cr_assert(best, "no summary line in the output:\n%s\n%s", r->out, r->err);
    return xstrndup(best, (size_t)(strchr(best, '\n') - best));
}

void itest_assert_summary(const struct itest_result *r, const char *want)
{
    char *line = itest_summary_line(r);

    cr_assert_str_eq(line, want, "summary '%s', expected '%s'\n%s\n%s", line,
                     want, r->out, r->err);
    free(line);
}

static char *xml_attr(xmlNode *n, const char *name)
{
    xmlChar *v = xmlGetProp(n, BAD_CAST name);
    char *r = v ? xstrdup((const char *)v) : NULL;

    xmlFree(v);
    return r;
}

static bool elem(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, name);
}

static xmlNode *find_case(xmlNode *n, const char *name)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (elem(n, "testcase")) {
            char *nm = xml_attr(n, "name");
            bool hit = nm && !strcmp(nm, name);
            free(nm);
            if (hit)
                return n;
        }
        xmlNode *r = find_case(n->children, name);
        if (r)
            return r;
    }
    return NULL;
}

void itest_junit_case(const char *path, const char *name, struct itest_case *c)
{
    xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);

    memset(c, 0, sizeof(*c));
    cr_assert(doc, "cannot parse JUnit report '%s'", path);
    xmlNode *tc = find_case(xmlDocGetRootElement(doc), name);
    cr_assert(tc, "no testcase named '%s' in %s", name, path);
    c->outcome = xstrdup("passed");
    for (xmlNode *k = tc->children; k; k = k->next) {
        if (elem(k, "failure") || elem(k, "error") || elem(k, "skipped")) {
            free(c->outcome);
            c->outcome = xstrdup((const char *)k->name);
            c->type = xml_attr(k, "type");
            c->message = xml_attr(k, "message");
        } else if (elem(k, "system-out") || elem(k, "system-err")) {
            xmlChar *t = xmlNodeGetContent(k);
            char *s = xstrdup(t ? (const char *)t : "");
            xmlFree(t);
            if (elem(k, "system-out")) {
                c->out = s;
                c->out_len = strlen(s);
            } else {
                c->err = s;
            }
        }
    }
    if (!c->out)
        c->out = xstrdup("");
    if (!c->err)
        c->err = xstrdup("");
    xmlFreeDoc(doc);
}

void itest_case_release(struct itest_case *c)
{
    free(c->outcome);
    free(c->type);
    free(c->message);
    free(c->out);
    free(c->err);
}

void itest_assert_case(const char *junit, const char *name,
                        const char *outcome, const char *msg)
{
    struct itest_case c;

    itest_junit_case(junit, name, &c);
    cr_assert_str_eq(c.outcome, outcome, "%s: outcome %s (%s), expected %s",
                     name, c.outcome, c.message ? c.message : "", outcome);
    if (msg)
        cr_assert(c.message && strstr(c.message, msg),
                  "%s: message '%s' does not contain '%s'", name,
                  c.message ? c.message : "(none)", msg);
    itest_case_release(&c);
}
