/*
 * cmd_doctor.c: `isotest doctor`, what a sandbox costs on a server and
 * why, and the note a run prints when cloning was slow (cmd_clone_note).
 *
 * A sandbox is cheap where the server's data is on tmpfs with fsync=off
 * (a clone of a 7.3 MB template: ~17 ms on this machine's embedded
 * server) and dear on a disk-backed server with fsync=on, where FILE_COPY
 * (a checkpoint and every file synced) took 176 ms to 2 s and WAL_LOG
 * 44 ms (ci/bench_ci.sh).  Doctor shows the settings behind that,
 * measures each mode and strategy with sessions of the library (pool 0,
 * so each acquire is one clone made while it waits, one at a time) and
 * names the cheapest.
 *
 * Layout: options; the server's settings and where its data is; the
 * timed cycles; the advice and the run's note; the command.  The runner
 * reaches the server only through the library: settings are read over a
 * sandbox's connection.
 */
#define _GNU_SOURCE /* statfs() */
#include "commands.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "fskind.h"
#include "reporters/stats.h"
#include "signals.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#define DEFAULT_CYCLES 5
/* Schema mode is named only when it is at least this much cheaper: a
 * database per case isolates more (catalog, settings, extensions). */
#define SCHEMA_ADVANTAGE 2.0

struct doctor_options {
    const char *db;
    const char *migrations;
    int cycles;
    bool help;
};

#define DOC(field) offsetof(struct doctor_options, field)
static const struct opt_spec specs[] = {
    {"--db", NULL, OPT_VALUE, DOC(db), 0, 0, opt_set_string},
    {"--migrations", NULL, OPT_VALUE, DOC(migrations), 0, 0, opt_set_string},
    {"--cycles", NULL, OPT_VALUE, DOC(cycles), 1, 1000, opt_set_int},
    {"--help", "-h", OPT_FLAG, DOC(help), 0, 0, NULL},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef DOC

static const char usage[] =
    "usage: isotest doctor [--db URL] [--migrations DIR] [--cycles N]\n"
    "What a sandbox costs on the server a run would use, and why: the\n"
    "settings that matter (fsync, where the data folder is...), the median\n"
    "of N acquire+release cycles (default 5, no pool) in database mode with\n"
    "each clone strategy and in schema mode, and a last line\n"
    "'recommended: ...'.  Without --db or PG* variables the embedded server\n"
    "is measured.  Exit 0 when it could measure, however slow; 2 when not.\n";

/* What the advice needs to know of the server; -1: unknown. */
struct server_facts {
    int on_tmpfs;
    int fsync_on;
    bool embedded;
};

/* One way of making sandboxes, and what it cost. */
struct measure {
    const char *label;
    enum isotest_isolation mode;
    const char *strategy; /* NULL: the server's own (before 15) */
    int n;                /* cycles measured; 0: not measured */
    double acquire_ms, release_ms, total_ms; /* medians */
    char *why;                               /* not measured: why */
};

/* ---- the server's settings ---------------------------------------------- */

static const char *const setting_names[] = {
    "data_directory",     "fsync",
    "synchronous_commit", "full_page_writes",
    "shared_buffers",     "max_connections",
    "wal_level",          "checkpoint_timeout"};
#define NSETTINGS (sizeof(setting_names) / sizeof(*setting_names))

static bool is_local_host(const char *host)
{
    return host &&
           (host[0] == '/' || host[0] == '@' || !strcmp(host, "localhost") ||
            !strcmp(host, "127.0.0.1") || !strcmp(host, "::1"));
}

/*
 * Is this machine's `dir` the server's data folder?  Its postmaster.pid
 * names the port and start time (lines 4 and 3): a folder of that name
 * on the host while the server runs in a container, or another server's,
 * does not match.  NULL when it is; else why not (static text or *why).
 */
static const char *same_server(const char *dir, long start, const char *port,
                               char **why)
{
    char *path = xasprintf("%s/postmaster.pid", dir);
    char *text = NULL;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;
    const char *r = NULL;

    if (fs_read_file(path, &text, &len, &e) < 0) {
        *why = xasprintf("%s", e.msg);
        isotest_err_release(&e);
        free(path);
        return *why;
    }
    char *lines[4] = {NULL};
    char *save = NULL, *l = strtok_r(text, "\n", &save);
    for (int i = 0; l && i < 4; i++, l = strtok_r(NULL, "\n", &save))
        lines[i] = l;
    long t = lines[2] ? strtol(lines[2], NULL, 10) : 0;
    if (!lines[3] || strcmp(lines[3], port) || labs(t - start) > 2)
        r = "that folder here belongs to another server: the server "
            "runs elsewhere (a container?)";
    free(text);
    free(path);
    return r;
}

/* "DIR (tmpfs)", "DIR (on disk: xfs)" or "DIR (unknown: why)". */
static char *describe_datadir(const char *dir, const char *host,
                              const char *start, const char *port,
                              struct server_facts *sf)
{
    char *why = NULL;
    const char *no = NULL;
    struct statfs fs;
    char buf[128];

    if (!is_local_host(host))
        no = "the server is reached over the network";
    else if (!(no = same_server(dir, strtol(start, NULL, 10), port, &why)) &&
             statfs(dir, &fs) < 0)
        no = err_strerror(errno, buf, sizeof(buf));
    char *r;
    if (no) {
        r = xasprintf("%s (unknown: %s)", dir, no);
    } else {
        const char *name = fskind_name((unsigned long)fs.f_type);
        sf->on_tmpfs = fskind_in_memory(name);
        if (sf->on_tmpfs)
            r = xasprintf("%s (%s)", dir, name);
        else if (name)
            r = xasprintf("%s (on disk: %s)", dir, name);
        else
            r = xasprintf("%s (not tmpfs: filesystem 0x%lx)", dir,
                          (unsigned long)fs.f_type);
    }
    free(why);
    return r;
}

/* The settings that matter, one a line; data_directory where it is. */
static int print_settings(PGconn *conn, const struct isotest_session_info *si,
                          struct server_facts *sf, struct isotest_err *e)
{
    struct strbuf arr = STRBUF_INIT;

    strbuf_addch(&arr, '{');
    for (size_t i = 0; i < NSETTINGS; i++)
        strbuf_addf(&arr, "%s%s", i ? "," : "", setting_names[i]);
    strbuf_addch(&arr, '}');
    const char *vals[] = {arr.buf};
    /* pg_settings hides what the role may not read (data_directory
       without pg_read_all_settings): current_setting() of those would
       fail the whole query. */
    PGresult *res = PQexecParams(
        conn,
        "SELECT name, current_setting(name), "
        "(extract(epoch FROM pg_postmaster_start_time()))::bigint::text, "
        "current_setting('port') FROM pg_settings WHERE name = ANY($1)",
        1, NULL, vals, NULL, NULL, 0);
    strbuf_release(&arr);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        err_set(e, "cannot read the server's settings: %s",
                PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    printf("  %-20s %s\n", "version", si->server_version);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *name = setting_names[i];
        int row = -1;
        for (int k = 0; k < PQntuples(res); k++)
            if (!strcmp(PQgetvalue(res, k, 0), name))
                row = k;
        if (row < 0) {
            printf("  %-20s unknown (hidden from role '%s': "
                   "pg_read_all_settings shows it)\n",
                   name, si->user);
            continue;
        }
        const char *v = PQgetvalue(res, row, 1);
        if (!strcmp(name, "data_directory")) {
            char *d = describe_datadir(v, si->host, PQgetvalue(res, row, 2),
                                       PQgetvalue(res, row, 3), sf);
            printf("  %-20s %s\n", name, d);
            free(d);
            continue;
        }
        if (!strcmp(name, "fsync"))
            sf->fsync_on = !strcmp(v, "on");
        printf("  %-20s %s\n", name, v);
    }
    PQclear(res);
    return 0;
}

/* The template's size, printed with its name. */
static void print_template(PGconn *conn, const struct isotest_session_info *si)
{
    const char *vals[] = {si->template_name};
    PGresult *res = PQexecParams(conn, "SELECT pg_database_size($1)", 1, NULL,
                                 vals, NULL, NULL, 0);
    double mb = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res)
                    ? strtod(PQgetvalue(res, 0, 0), NULL) / (1024.0 * 1024.0)
                    : -1;

    PQclear(res);
    printf("template: %s (", si->template_name);
    if (mb >= 0)
        printf("%.1f MB, ", mb);
    printf("%s in %.0f ms)\n", si->template_reused ? "reused" : "built",
           si->template_ms);
}

/* Over a sandbox of s: the server's settings and the template. */
static int print_server(struct isotest_session *s, struct server_facts *sf,
                        struct isotest_err *e)
{
    const struct isotest_session_info *si = isotest_session_info(s);
    struct isotest_sandbox *sb = isotest_sandbox_acquire(s, e);

    if (!sb)
        return -1;
    PGconn *conn = PQconnectdbParams(isotest_sandbox_keywords(sb),
                                     isotest_sandbox_values(sb), 0);
    int r = -1;
    if (PQstatus(conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(conn);
        err_set(e, "cannot connect to sandbox '%s': %.*s",
                isotest_sandbox_name(sb), (int)strcspn(m, "\n"), m);
    } else {
        printf("server: %s %s, port %s, user %s%s\n",
               si->host[0] == '/' ? "socket folder" : "host", si->host,
               si->port, si->user, sf->embedded ? " (embedded)" : "");
        r = print_settings(conn, si, sf, e);
        if (r == 0)
            print_template(conn, si);
    }
    PQfinish(conn);
    /* A failed drop is the session's close's to retry. */
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    isotest_sandbox_release(sb, 0, NULL, &ignore);
    isotest_err_release(&ignore);
    return r;
}

/* ---- timed cycles ------------------------------------------------------- */

static struct isotest_session *open_session(const struct doctor_options *o,
                                            const char *ci,
                                            const struct measure *m,
                                            struct isotest_err *e)
{
    struct isotest_options so = ISOTEST_OPTIONS_INIT;

    so.db = ci;
    so.migrations = o->migrations;
    so.isolation = m->mode;
    so.clone_strategy = m->strategy;
    so.pool = 0;
    so.expected = (size_t)o->cycles + 1;
    so.cancelled = signals_cancelled; /* Ctrl-C during the open */
    struct isotest_session *s = isotest_session_open(&so, e);
    if (s)
        signals_watch_session(s);
    return s;
}

static void close_session(struct isotest_session *s)
{
    struct cmd_closing c = {.s = s};

    signals_cleanup(cmd_close_session, &c);
}

/*
 * n acquire+release cycles of s after `warm` untimed ones (a session's
 * first sandbox pays for cold caches: a new connection's catalog, the
 * template's files): the medians go to m.
 */
static int time_cycles(struct isotest_session *s, int warm, int n,
                       struct measure *m, struct isotest_err *e)
{
    double *acq = xcalloc((size_t)n, sizeof(*acq));
    double *rel = xcalloc((size_t)n, sizeof(*rel));
    double *tot = xcalloc((size_t)n, sizeof(*tot));
    double ignore;
    int k = -warm, r = 0;

    for (; k < n && !signals_interrupted(); k++) {
        double t0 = now_ms();
        struct isotest_sandbox *sb = isotest_sandbox_acquire(s, e);
        if (!sb) {
            r = -1;
            break;
        }
        if (k >= 0)
            acq[k] = isotest_sandbox_acquire_ms(sb);
        if (isotest_sandbox_release(sb, 0, k >= 0 ? &rel[k] : &ignore, e) < 0) {
            r = -1;
            break;
        }
        if (k >= 0)
            tot[k] = now_ms() - t0;
    }
    if (r == 0 && k > 0) {
        m->n = k;
        m->acquire_ms = stats_median(acq, (size_t)k);
        m->release_ms = stats_median(rel, (size_t)k);
        m->total_ms = stats_median(tot, (size_t)k);
    }
    free(acq);
    free(rel);
    free(tot);
    return r;
}

/* Open a session for m, time it; a failure is kept in m->why. */
static void measure_one(const struct doctor_options *o, const char *ci,
                        struct measure *m)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct isotest_session *s = open_session(o, ci, m, &e);

    if (s) {
        time_cycles(s, 1, o->cycles, m, &e);
        close_session(s);
    }
    if (e.msg)
        m->why = xstrdup(e.msg);
    isotest_err_release(&e);
}

static void print_measure(const struct measure *m)
{
    if (!m->n) {
        printf("  %-22s not measured: %s\n", m->label,
               m->why ? m->why : "interrupted");
        return;
    }
    printf("  %-22s %7.1f ms  (%s %.1f ms, drop %.1f ms)\n", m->label,
           m->total_ms, m->mode == ISOTEST_SCHEMA ? "create+migrate" : "clone",
           m->acquire_ms, m->release_ms);
}

/* ---- advice ------------------------------------------------------------- */

/* What makes sandboxes cheaper on a server that clones slowly. */
static void print_slow_advice(const struct server_facts *sf,
                              const struct measure *m)
{
    printf("slow: a sandbox costs %.0f ms here as a run makes it by default "
           "(%s; over %.0f ms); a server with its data on tmpfs and "
           "fsync=off makes one in ~10 ms on an idle machine\n",
           m->total_ms, m->label, cmd_slow_clone_ms());
    if (sf->on_tmpfs == 1 && sf->fsync_on == 0) {
        puts("  - its data is on tmpfs and fsync is off already: the "
             "machine is busy or the template large; fewer jobs (-j) or a "
             "smaller template help");
        return;
    }
    if (sf->embedded) {
        puts("  - the embedded server's folder is not on tmpfs: make "
             "/dev/shm writable, or set TMPDIR to a tmpfs folder");
        return;
    }
    if (sf->on_tmpfs != 1)
        printf("  - %s: put it on tmpfs (a service container: "
               "docker run --tmpfs /var/lib/postgresql/data ...)\n",
               sf->on_tmpfs == 0 ? "the data folder is on disk"
                                 : "the data folder may be on disk");
    if (sf->fsync_on != 0)
        puts("  - a throwaway test server may run with fsync=off "
             "(postgres -c fsync=off -c full_page_writes=off)");
    puts("  - or run without --db: isotest's embedded server does both");
}

static void recommend(const struct measure *ms, size_t n,
                      const struct server_facts *sf)
{
    const struct measure *db = NULL, *schema = NULL;

    for (size_t i = 0; i < n; i++) {
        if (!ms[i].n)
            continue;
        if (ms[i].mode == ISOTEST_SCHEMA)
            schema = &ms[i];
        else if (!db || ms[i].total_ms < db->total_ms)
            db = &ms[i];
    }
    const struct measure *best = db;
    if (schema && (!db || schema->total_ms * SCHEMA_ADVANTAGE < db->total_ms))
        best = schema;
    if (!best)
        return;
    /* The first row is what a run does unless told otherwise. */
    if (ms[0].n && ms[0].total_ms > cmd_slow_clone_ms())
        print_slow_advice(sf, &ms[0]);
    if (best == schema) {
        printf("recommended: --isolation schema (%.0f ms per sandbox",
               best->total_ms);
        if (db)
            printf("; a database, at best, %.0f ms%s%s", db->total_ms,
                   db->strategy ? " with " : "",
                   db->strategy ? db->strategy : "");
        puts(")");
    } else {
        printf("recommended: --isolation database");
        if (best->strategy)
            printf(" --clone-strategy %s", best->strategy);
        printf(" (%.0f ms per sandbox)\n", best->total_ms);
    }
}

/* ---- the command -------------------------------------------------------- */

static int parse(int argc, char **argv, struct doctor_options *o,
                 struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;

    *o = (struct doctor_options){.cycles = DEFAULT_CYCLES};
    int r = options_scan(argc, argv, specs, o, false, &rest, &nrest, e);
    if (r == 0 && nrest)
        r = err_set(e, "unexpected argument '%s'", rest[0]);
    free(rest);
    return r;
}

/*
 * The first session (database mode, the default strategy) must open and
 * show the server: without it nothing is measured (exit 2).  The others
 * may fail on their own (WAL_LOG refused, migrations that schema mode
 * cannot run) and say why in their row.
 */
static int doctor(const struct doctor_options *o, const char *ci,
                  struct server_facts *sf, struct isotest_err *e)
{
    /* Before PostgreSQL 15 there is no strategy to choose. */
    struct measure ms[3] = {{.label = "database", .mode = ISOTEST_DATABASE}};
    size_t n = 1;

    struct isotest_session *s = open_session(o, ci, &ms[0], e);
    if (!s)
        return -1;
    int r = print_server(s, sf, e);
    if (r == 0 && isotest_session_info(s)->server_version_num >= 150000) {
        /* FILE_COPY is what the library asks for from 15 on. */
        ms[0].label = "database, FILE_COPY";
        ms[0].strategy = "FILE_COPY";
        ms[n++] = (struct measure){.label = "database, WAL_LOG",
                                   .mode = ISOTEST_DATABASE,
                                   .strategy = "WAL_LOG"};
    }
    /* print_server()'s sandbox was the warm-up. */
    if (r == 0)
        r = time_cycles(s, 0, o->cycles, &ms[0], e);
    close_session(s);
    if (r < 0)
        return -1;
    ms[n++] = (struct measure){.label = "schema", .mode = ISOTEST_SCHEMA};
    for (size_t i = 1; i < n && !signals_interrupted(); i++)
        measure_one(o, ci, &ms[i]);
    if (!signals_interrupted()) {
        printf("sandbox cost, median of %d acquire+release cycles, no "
               "pool:\n",
               o->cycles);
        for (size_t i = 0; i < n; i++)
            print_measure(&ms[i]);
        recommend(ms, n, sf);
    }
    for (size_t i = 0; i < n; i++)
        free(ms[i].why);
    return 0;
}

/* Under signals_cleanup(): a second Ctrl-C waits for it. */
static void stop_server(void *srv)
{
    signals_watch_server(NULL);
    isotest_server_stop(srv);
}

int cmd_doctor(int argc, char **argv)
{
    struct doctor_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (parse(argc, argv, &o, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    struct isotest_server *srv = isotest_server_start(o.db, false, &e);
    if (!srv) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    signals_watch_server(srv);
    struct server_facts sf = {.on_tmpfs = -1,
                              .fsync_on = -1,
                              .embedded = isotest_server_embedded(srv)};
    int code = 0;
    if (doctor(&o, isotest_server_conninfo(srv), &sf, &e) < 0) {
        cmd_print_error(NULL, &e);
        code = EXIT_CANNOT;
    }
    if (signals_interrupted())
        code = signals_exit_code();
    signals_cleanup(stop_server, srv);
    return code;
}
