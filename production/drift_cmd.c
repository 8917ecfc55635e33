/*
 * drift_cmd.c: `isotest drift`, a live database's schema against the
 * schema its migrations build.
 *
 * The migrations are applied on a scratch server (the embedded one, or
 * --template-db), never on the inspected one: a libisotest session builds
 * (or reuses) the template and hands out one clone of it.  Both sides are
 * read with the same catalog queries (catalog.h) in read-only
 * transactions, compared (drift.h), and the findings printed and, with
 * --junit, reported one testcase per object kind.  Exit 0: no drift, 1:
 * drift, 2: could not compare.  Everything the command holds lives in one
 * struct drift_run, released on one path.  Main thread only.
 */
#include "catalog.h"
#include "catalog_conn.h"
#include "catalog_report.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "drift.h"
#include "runner/commands.h"
#include "runner/signals.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: isotest drift --db URL [options]\n"
    "\n"
    "Compares the schema of the database at URL with the schema its\n"
    "migrations build: tables, columns, constraints, indexes, sequences,\n"
    "views, functions, triggers, enums, row-level security policies,\n"
    "extensions.  The migrations run on a scratch server, never on URL's;\n"
    "URL is only read, in read-only transactions.\n"
    "\n"
    "  --db URL              the database to inspect (default: the PG*\n"
    "                        environment)\n"
    "  --migrations DIR      migrations (default: ./migrations)\n"
    "  --template-db URL     server to build the template on (default: an\n"
    "                        embedded throwaway server)\n"
    "  --schema NAME         compare this schema (repeatable; default:\n"
    "                        every schema but the system ones, both sides)\n"
    "  --privileges          compare owners and privileges too\n"
    "  --junit FILE          a JUnit report, one testcase per object kind\n"
    "  --no-cache            do not use the embedded server's cache\n"
    "\n"
    "Exit code: 0 no drift, 1 drift found, 2 could not compare.\n";

struct drift_options {
    bool help, privileges, no_cache;
    const char *db, *template_db, *migrations, *junit;
    const char **schemas;
    size_t nschemas;
};

/* One side of the comparison. */
struct side {
    struct catalog_conn conn;
    char **schemas; /* read: --schema, else the side's own */
    size_t nschemas;
    struct catalog cat;
    const struct drift_options *o;
    int ret;              /* read_side() in a thread: its result */
    struct isotest_err e; /* ... and its error */
};

struct drift_run {
    struct drift_options o;
    char *migrations; /* the folder used */
    struct side prod, tpl;
    struct isotest_session *s;
    struct isotest_sandbox *sb;
    char **schemas; /* both sides' (for messages) */
    size_t nschemas;
    double t0;
};

static int add_schema(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e)
{
    struct drift_options *o = dst;

    (void)s, (void)as, (void)field;
    if (!*v || strlen(v) > 63)
        return err_set(e, "invalid value '%s' for --schema", v);
    o->schemas = xrealloc(o->schemas, (o->nschemas + 1) * sizeof(*o->schemas));
    o->schemas[o->nschemas++] = v;
    return 0;
}

#define DO(field) offsetof(struct drift_options, field)
static const struct opt_spec specs[] = {
    {"--help", "-h", OPT_FLAG, DO(help), 0, 0, NULL},
    {"--privileges", NULL, OPT_FLAG, DO(privileges), 0, 0, NULL},
    {"--no-cache", NULL, OPT_FLAG, DO(no_cache), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, DO(db), 0, 0, opt_set_string},
    {"--template-db", NULL, OPT_VALUE, DO(template_db), 0, 0, opt_set_string},
    {"--migrations", NULL, OPT_VALUE, DO(migrations), 0, 0, opt_set_string},
    {"--junit", NULL, OPT_VALUE, DO(junit), 0, 0, opt_set_string},
    {"--schema", NULL, OPT_VALUE, DO(schemas), 0, 0, add_schema},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef DO

static int parse(int argc, char **argv, struct drift_options *o,
                 struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;

    memset(o, 0, sizeof(*o));
    int r = options_scan(argc, argv, specs, o, false, &rest, &nrest, e);
    if (r == 0 && nrest)
        r = err_set(e, "unexpected argument '%s'", rest[0]);
    free(rest);
    if (r == 0 && !o->help && !o->db && !isotest_env_names_server())
        r = err_set(e, "no database given: drift needs --db URL (or the PG* "
                       "variables)");
    return r;
}

/* --migrations, else ./migrations; it must be a folder. */
static int choose_migrations(struct drift_run *r, struct isotest_err *e)
{
    const char *dir = r->o.migrations ? r->o.migrations : "migrations";
    struct stat st;

    if (stat(dir, &st) < 0) {
        if (!r->o.migrations)
            return err_set(e, "no migrations folder: './migrations' does not "
                              "exist (give --migrations DIR)");
        return err_errno(e, errno, "cannot read migrations folder '%s'", dir);
    }
    if (!S_ISDIR(st.st_mode))
        return err_set(e, "migrations folder '%s' is not a folder", dir);
    r->migrations = xstrdup(dir);
    return 0;
}

/* "start time port" of the server behind conn, or NULL. */
static char *server_identity(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT pg_postmaster_start_time()::text "
                                 "|| ' ' || current_setting('port')");
    char *id = NULL;

    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        id = xstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return id;
}

/*
 * The template must not be built on the inspected server.  Best effort:
 * when --template-db cannot be reached here, the session says why.
 */
static int check_template_server(struct drift_run *r, struct isotest_err *e)
{
    static const char *const maint[] = {"postgres", "template1"};
    char *tpl_id = NULL;

    for (size_t i = 0; i < 2 && !tpl_id; i++) {
        const char *keys[] = {"dbname", "dbname", "fallback_application_name",
                              NULL};
        const char *vals[] = {r->o.template_db, maint[i], "isotest", NULL};
        PGconn *conn = PQconnectdbParams(keys, vals, 1);
        if (PQstatus(conn) == CONNECTION_OK)
            tpl_id = server_identity(conn);
        PQfinish(conn);
    }
    char *prod_id = server_identity(r->prod.conn.conn);
    bool same = tpl_id && prod_id && !strcmp(tpl_id, prod_id);
    free(tpl_id);
    free(prod_id);
    if (same) {
        err_set(e,
                "--template-db names the server of the inspected database "
                "%s: the template is built elsewhere, never there",
                r->prod.conn.label);
        return err_hint(e, "leave out --template-db to use an embedded "
                           "server, or name a scratch server");
    }
    return 0;
}

/* The session on the scratch server and one clone of the template. */
static int open_template(struct drift_run *r, struct isotest_err *e)
{
    struct isotest_options so = ISOTEST_OPTIONS_INIT;

    so.db = r->o.template_db;
    so.migrations = r->migrations;
    so.pool = 0;
    so.expected = 1;
    so.no_cache = r->o.no_cache;
    so.cancelled = signals_cancelled; /* Ctrl-C during the open */
    r->s = isotest_session_open(&so, e);
    if (!r->s)
        return err_prefix(e, "cannot build the migrations' template");
    signals_watch_session(r->s);
    if (signals_interrupted())
        return -1;
    r->sb = isotest_sandbox_acquire(r->s, e);
    if (!r->sb)
        return -1;
    return catalog_conn_open(&r->tpl.conn, isotest_sandbox_conninfo(r->sb),
                             "the template's clone", e);
}

/*
 * Its schemas (--schema, else its own non-system ones: a schema only on
 * the other side has nothing to read here) and its catalog.
 */
static int read_side(struct side *sd, struct isotest_err *e)
{
    if (sd->o->nschemas) {
        sd->schemas = xcalloc(sd->o->nschemas, sizeof(*sd->schemas));
        for (size_t i = 0; i < sd->o->nschemas; i++)
            sd->schemas[sd->nschemas++] = xstrdup(sd->o->schemas[i]);
    } else if (catalog_schemas(&sd->conn, &sd->schemas, &sd->nschemas, e) < 0) {
        return -1;
    }
    return catalog_read(&sd->conn, (const char *const *)sd->schemas,
                        sd->nschemas, sd->o->privileges, &sd->cat, e);
}

static void *read_side_thread(void *arg)
{
    struct side *sd = arg;

    sd->ret = read_side(sd, &sd->e);
    return NULL;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Both sides' schemas, sorted, once each: what the messages name. */
static void union_schemas(struct drift_run *r)
{
    const struct side *sides[] = {&r->prod, &r->tpl};

    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < sides[k]->nschemas; i++) {
            r->schemas =
                xrealloc(r->schemas, (r->nschemas + 1) * sizeof(*r->schemas));
            r->schemas[r->nschemas++] = sides[k]->schemas[i];
        }
    if (!r->nschemas)
        return;
    qsort(r->schemas, r->nschemas, sizeof(*r->schemas), by_str);
    size_t k = 1;
    for (size_t i = 1; i < r->nschemas; i++)
        if (strcmp(r->schemas[i], r->schemas[k - 1]) != 0)
            r->schemas[k++] = r->schemas[i];
    r->nschemas = k;
}

/* Under signals_cleanup(): a second Ctrl-C waits for the close. */
static void close_template(struct drift_run *r, bool abort)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    catalog_conn_close(&r->tpl.conn);
    if (r->sb && isotest_sandbox_release(r->sb, 0, NULL, &e) < 0)
        cmd_print_error(r->s, &e);
    r->sb = NULL;
    struct cmd_closing c = {.s = r->s,
                            .flags = abort ? ISOTEST_CLOSE_ABORT : 0};
    signals_cleanup(cmd_close_session, &c);
    r->s = NULL;
}

static void side_release(struct side *sd)
{
    catalog_conn_close(&sd->conn);
    catalog_release(&sd->cat);
    for (size_t i = 0; i < sd->nschemas; i++)
        free(sd->schemas[i]);
    free(sd->schemas);
    isotest_err_release(&sd->e);
}

static void run_release(struct drift_run *r, bool abort)
{
    close_template(r, abort);
    side_release(&r->prod);
    side_release(&r->tpl);
    free(r->schemas); /* its strings are the sides' */
    free(r->migrations);
    free(r->o.schemas);
}

static char *schema_list(const struct drift_run *r)
{
    struct strbuf sb = STRBUF_INIT;

    for (size_t i = 0; i < r->nschemas; i++)
        strbuf_addf(&sb, "%s%s", i ? ", " : "", r->schemas[i]);
    return strbuf_detach(&sb, NULL);
}

/* Findings on stdout, the summary last; the JUnit report. */
static int report(struct drift_run *r, const struct drift *d,
                  struct isotest_err *e)
{
    struct catalog_report_case cases[CATALOG_NKINDS];
    struct strbuf kinds = STRBUF_INIT;
    size_t n = 0, total = drift_total(d);
    char *schemas = schema_list(r);

    for (int k = 0; k < CATALOG_NKINDS; k++) {
        if (!r->o.privileges &&
            (k == CATALOG_OWNERS || k == CATALOG_PRIVILEGES))
            continue;
        fputs(d->found[k].buf, stdout);
        cases[n++] = (struct catalog_report_case){catalog_kind_plural(k),
                                                  d->found[k].buf, d->count[k]};
        if (d->count[k])
            strbuf_addf(&kinds, "%s%s %zu", kinds.len ? ", " : "",
                        catalog_kind_plural(k), d->count[k]);
    }
    if (total)
        printf("drift: %zu difference%s (%s) between %s and migrations "
               "'%s'; schemas %s\n",
               total, total == 1 ? "" : "s", kinds.buf, r->prod.conn.label,
               r->migrations, schemas);
    else
        printf("no drift: %s matches migrations '%s' (%zu objects compared "
               "in schemas %s)\n",
               r->prod.conn.label, r->migrations, d->compared, schemas);
    strbuf_release(&kinds);
    int ret = 0;
    if (r->o.junit) {
        const struct isotest_session_info *si = isotest_session_info(r->s);
        struct junit_property extra[] = {
            {"isotest.command", "drift"},
            {"isotest.database", r->prod.conn.label},
            {"isotest.migrations", r->migrations},
            {"isotest.schemas", schemas},
            {"isotest.template_name", si->template_name}};
        struct catalog_report cr = {.suite = "drift",
                                    .finding_noun = "difference",
                                    .server_version = PQparameterStatus(
                                        r->prod.conn.conn, "server_version"),
                                    .wall_ms = now_ms() - r->t0,
                                    .extra = extra,
                                    .n_extra = 5};
        ret = catalog_report_junit(r->o.junit, &cr, cases, n, e);
    }
    free(schemas);
    return ret;
}

/* The PG* variables name the inspected server, not a scratch one. */
static void forget_pg_server_env(void)
{
    static const char *const vars[] = {"PGHOST", "PGPORT", "PGHOSTADDR",
                                       "PGSERVICE", "PGDATABASE"};

    for (size_t i = 0; i < sizeof(vars) / sizeof(*vars); i++)
        unsetenv(vars[i]);
}

/*
 * Both sides read: -1 (e set, unless interrupted) when the comparison
 * could not be made.  The live database is read in a thread of its own
 * while the template's server starts and its clone is made.
 */
static int read_both(struct drift_run *r, struct isotest_err *e)
{
    pthread_t th;

    r->prod.o = r->tpl.o = &r->o;
    if (catalog_conn_open(&r->prod.conn, r->o.db, "--db", e) < 0 ||
        choose_migrations(r, e) < 0 ||
        (r->o.template_db && check_template_server(r, e) < 0))
        return -1;
    if (!r->o.template_db && isotest_env_names_server())
        forget_pg_server_env(); /* before a thread could read them */
    bool threaded = pthread_create(&th, NULL, read_side_thread, &r->prod) == 0;
    if (!threaded)
        read_side_thread(&r->prod);
    int ret = open_template(r, e);
    if (ret == 0 && signals_interrupted())
        ret = -1;
    if (ret == 0 && read_side(&r->tpl, e) < 0)
        ret = err_prefix(e, "the migrations' template");
    if (threaded)
        pthread_join(th, NULL);
    if (ret == 0 && r->prod.ret < 0)
        ret = err_set(e, "database %s: %s", r->prod.conn.label,
                      r->prod.e.msg ? r->prod.e.msg : "unknown error");
    union_schemas(r);
    return ret;
}

int cmd_drift(int argc, char **argv)
{
    struct drift_run r;
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(&r, 0, sizeof(r));
    r.t0 = now_ms();
    if (parse(argc, argv, &r.o, &e) < 0 || r.o.help) {
        if (r.o.help)
            fputs(usage, stdout);
        else
            cmd_print_error(NULL, &e);
        free(r.o.schemas);
        return r.o.help ? 0 : EXIT_CANNOT;
    }
    if (r.o.junit && fs_check_writable(r.o.junit, "report", &e) < 0) {
        cmd_print_error(NULL, &e);
        free(r.o.schemas);
        return EXIT_CANNOT;
    }
    if (read_both(&r, &e) < 0) {
        if (e.msg)
            cmd_print_error(r.s, &e);
        run_release(&r, true);
        return signals_interrupted() ? signals_exit_code() : EXIT_CANNOT;
    }
    struct drift d;
    drift_compare(&r.prod.cat, &r.tpl.cat, &d);
    int code = drift_total(&d) ? EXIT_FAILED : 0;
    if (report(&r, &d, &e) < 0) {
        cmd_print_error(r.s, &e);
        code = EXIT_CANNOT;
    }
    drift_release(&d);
    run_release(&r, false);
    return code;
}
