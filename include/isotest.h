/*
 * isotest.h: libisotest, a fresh PostgreSQL sandbox for every test.
 *
 * A session picks a server (a libpq URL or key=value string; else the PG*
 * environment; else a throwaway embedded server on tmpfs), builds a
 * template database from a folder of migrations once per content hash,
 * and hands out sandboxes cloned from it: a database of their own, or a
 * schema of their own in schema mode.  Call sequence:
 *
 *     struct isotest_err e = ISOTEST_ERR_INIT;
 *     struct isotest_options o = ISOTEST_OPTIONS_INIT;
 *     o.migrations = "migrations";
 *     struct isotest_session *s = isotest_session_open(&o, &e);
 *
 *     // from any thread, as often as needed:
 *     struct isotest_sandbox *sb = isotest_sandbox_acquire(s, &e);
 *     PGconn *conn = PQconnectdb(isotest_sandbox_conninfo(sb));
 *     ...
 *     PQfinish(conn);
 *     isotest_sandbox_release(sb, 0, NULL, &e);
 *
 *     isotest_session_close(s, 0, &e);
 *
 * Guarantees, the same as `isotest run` gives:
 * - isotest creates, changes and drops only what it created itself
 *   (databases named isotest_<runid>_<n>, templates isotest_tpl_<hash>);
 * - a released sandbox is dropped, and closing the session drops any
 *   sandbox still out;
 * - the session holds an advisory lock for its run id while it lives:
 *   after a crash, the next session on that server (or `isotest clean`)
 *   drops what it left; a live session's objects are never touched, so
 *   sessions in other processes or on other machines are safe;
 * - the library never prints and never exits: a function that fails
 *   returns -1 (or NULL) and fills a caller-supplied struct isotest_err.
 *
 * Passwords: a sandbox's connection string holds the server's password
 * when one is needed; messages from the library never do.
 *
 * Link with `pkg-config --cflags --libs isotest`.  Thread safety is
 * stated per function.
 */
#ifndef ISOTEST_H
#define ISOTEST_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define ISOTEST_API __attribute__((visibility("default")))
#define ISOTEST_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define ISOTEST_API
#define ISOTEST_PRINTF(f, a)
#endif

#define ISOTEST_VERSION_STRING "0.2.0"

/*
 * Errors.  A failing call fills `msg` (one line, lower case, no final full
 * stop) and maybe `hint` (how to fix it); both are owned by the struct and
 * freed by isotest_err_release(), which also makes it reusable.  A struct
 * isotest_err belongs to one thread at a time.
 */
struct isotest_err {
    char *msg;  /* NULL until set */
    char *hint; /* NULL, or a suggestion */
};
#define ISOTEST_ERR_INIT                                                       \
    {                                                                          \
        NULL, NULL                                                             \
    }

ISOTEST_API void isotest_err_release(struct isotest_err *e);

enum isotest_isolation {
    ISOTEST_DATABASE, /* a database cloned from the template per sandbox */
    ISOTEST_SCHEMA,   /* a schema per sandbox, migrations applied in it */
    ISOTEST_NONE      /* one shared database: no isolation (baseline) */
};

/* "database", "schema", "none"; -1 for anything else. */
ISOTEST_API int isotest_isolation_parse(const char *s,
                                        enum isotest_isolation *out);
ISOTEST_API const char *isotest_isolation_name(enum isotest_isolation m);

/*
 * What a session is opened with.  Start from ISOTEST_OPTIONS_INIT and set
 * what you need; strings are copied by isotest_session_open().
 */
struct isotest_options {
    /* A libpq URL or "key=value" string; NULL: the PG* variables name the
     * server, or with none set, an embedded server is started. */
    const char *db;
    const char *migrations; /* folder of *.sql, in version order; or NULL */
    enum isotest_isolation isolation;
    const char *const *extensions; /* created in the template first */
    size_t n_extensions;
    int pool;        /* database mode: clones kept ready; -1: CPU count */
    size_t expected; /* sandboxes the session will hand out, so that the
                        pool clones no more ahead (more may be asked for:
                        they are made on demand); 0: unknown */
    const char *clone_strategy; /* NULL: FILE_COPY where the server has it */
    bool no_cache;              /* embedded server: no cached data folder */
    bool no_reclaim;            /* do not drop what dead runs left, at open */
    /*
     * Embedded server only: settings "NAME=VALUE", each passed to postgres
     * as -c NAME=VALUE after isotest's own (so yours win), part of the
     * cached data folder's key.  A malformed one, or one the server
     * refuses, fails the open naming it; any with a server isotest did not
     * start (db, or the PG* variables) is an error.
     */
    const char *const *server_options;
    size_t n_server_options;
    /*
     * Embedded server only: the folder of the postgres and initdb to run.
     * NULL: $ISOTEST_PG_BINDIR, else the bindir of the pg_config that
     * $PG_CONFIG names, else the newest /usr/lib/postgresql/<N>/bin, else
     * PATH.  A folder without them fails the open naming it.
     */
    const char *pg_bindir;
    /*
     * Told what isotest_session_open() does as it begins each step that
     * may take long, on the opening thread, in words a person reads:
     * "starting the embedded server", "reclaiming what dead runs left",
     * "waiting for another run's template build", "building template
     * isotest_tpl_<hash> (11 migrations)", "starting the clone pool";
     * called with NULL when the open is over (done or failed).  `what` is
     * valid during the call only.  The callback must not call libisotest.
     * NULL: not told.
     */
    void (*progress)(void *arg, const char *what);
    void *progress_arg;
    /*
     * What names the suite whose template this is: a session that builds
     * a new template drops ("retires") the other templates of the same
     * suite and extensions that no live session uses, as the new one
     * supersedes them (isotest_session_info's templates_retired counts
     * them).  NULL: the migrations folder's absolute path; without
     * migrations, no suite (nothing is retired).  Give your own when the
     * folder is a temporary copy (isotest run --schema-from names the
     * database it dumps).
     */
    const char *suite;
    /*
     * Cancelling an open in progress (Ctrl-C, say): the library installs
     * no signal handler, so the caller's, or a thread of its own, makes
     * cancelled(cancel_arg) return true; open calls it from its own thread
     * between its steps and every 20 ms while it waits for another
     * session's build of the same template (an advisory lock) or while a
     * migration runs.  Then the running statement is cancelled
     * (PQcancel), the half-built template dropped, the locks released,
     * and open returns NULL with e saying "interrupted ...", within about
     * a second.  It must be cheap and thread-safe (read an atomic flag).
     * NULL: open is never cancelled.
     */
    bool (*cancelled)(void *cancel_arg);
    void *cancel_arg;
};
#define ISOTEST_OPTIONS_INIT                                                   \
    {                                                                          \
        NULL, NULL, ISOTEST_DATABASE, NULL, 0, -1, 0, NULL, false, false,      \
            NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL                        \
    }

struct isotest_session;
struct isotest_sandbox;

/*
 * Start or reach the server, check the role may create databases, take a
 * run id and its lock, reclaim what dead runs left, build or reuse the
 * template (a new one retires its suite's superseded templates: see
 * isotest_options.suite), and start the clone pool.  NULL with e set;
 * nothing is left behind then (an interrupted build too: see
 * isotest_options.cancelled).  Call from one thread; the session it
 * returns may be used from many.
 */
ISOTEST_API struct isotest_session *
isotest_session_open(const struct isotest_options *o, struct isotest_err *e);

/*
 * Read-only facts of an open session, valid until it is closed.  The
 * struct may grow at its end in later versions.
 */
struct isotest_session_info {
    const char *runid;     /* 8 hex digits */
    const char *isolation; /* "database", "schema", "none" */
    const char *host;      /* host name, or the socket folder */
    const char *port;
    const char *user;
    const char *maint_db;       /* the maintenance database it talks to */
    const char *url_db;         /* the database named in db (unused), or NULL */
    const char *server_version; /* "15.18 (Debian 15.18-0+deb12u1)" */
    int server_version_num;     /* 150018 */
    bool embedded;              /* a server this session started */
    bool embedded_from_cache;   /* ... from a cached data folder */
    const char *socket_dir;     /* embedded: its private socket folder */
    const char *template_name;  /* isotest_tpl_<hash> */
    const char *template_hash;  /* 64 hex digits */
    bool template_reused;       /* found ready, not built by this session */
    double server_ms;           /* time to a usable server */
    double template_ms;         /* time to a usable template */
    const char *reclaimed;      /* what was reclaimed at open, one per line */
    const char *server_options; /* embedded: "a=b c=d" as given, or "" */
    const char *pg_bindir;      /* embedded: the server binaries' folder */
    int templates_retired;      /* superseded templates of the suite dropped */
};

ISOTEST_API const struct isotest_session_info *
isotest_session_info(const struct isotest_session *s);

/*
 * The value the session's template sets for run-time parameter `name`
 * at database level (ALTER DATABASE ... SET, or ALTER ROLE ... IN
 * DATABASE ... SET for some role: pg_db_role_setting), which every
 * sandbox gets too, or NULL when it sets none.  The name is matched
 * case-insensitively ("timezone" finds TimeZone).  The string lives as
 * long as the session; thread-safe.
 */
ISOTEST_API const char *
isotest_session_db_setting(const struct isotest_session *s, const char *name);

/*
 * What making sandboxes has cost so far: in database mode each clone
 * (CREATE DATABASE ... TEMPLATE, made by the pool's threads ahead of
 * time or on acquire without a pool), in schema mode each schema's
 * rename (schemas are migrated ahead, in a cache cloned per run: see
 * README's Isolation item).  A slow server shows here first:
 * a clone of a small template takes ~15 ms where the server's data is
 * on tmpfs, and from ~40 ms (WAL_LOG) to seconds (FILE_COPY) on a
 * disk-backed server with fsync=on.  With a pool, clones are made
 * several at a time, each taking longer than it would alone.
 */
struct isotest_session_stats {
    size_t clones;       /* sandboxes made (0 in none mode) */
    double clone_p50_ms; /* median time to make one; 0 without clones */
    double clone_p95_ms;
    double clone_max_ms;
    double clone_total_ms; /* the sum of those times */
};

/*
 * Fill the caller's *st with the session's figures so far; the
 * percentiles are within 1% (times are kept in a histogram of fixed
 * size, whatever the count).  Still readable after
 * isotest_session_drain().  Never fails; thread-safe, also while
 * sandboxes are being made.
 */
ISOTEST_API void isotest_session_stats(const struct isotest_session *s,
                                       struct isotest_session_stats *st);

/*
 * Wait until `n` clones are ready (database mode with a pool), so that
 * the first sandboxes come at once.  Thread-safe.
 */
ISOTEST_API int isotest_session_warm(struct isotest_session *s, int n,
                                     struct isotest_err *e);

/* Flags of isotest_session_close(). */
#define ISOTEST_CLOSE_ABORT 1u /* failed or interrupted: keep caches as is */
#define ISOTEST_CLOSE_KEEP_SERVER                                              \
    2u /* embedded: leave it running (for                                      \
          kept sandboxes) */
/* Embedded: do not cache its data folder (the cases changed the server). */
#define ISOTEST_CLOSE_DISCARD 4u

/*
 * Drop every sandbox still out and the session's other databases (kept
 * ones stay), release the run lock, and stop an embedded server (unless
 * ISOTEST_CLOSE_KEEP_SERVER): without ISOTEST_CLOSE_ABORT, an embedded
 * server's data folder and templates are cached for the next session, and
 * templates other than the newest three that no live session uses are
 * dropped.  Sandboxes not yet released become invalid.  Frees s even when
 * it returns -1 (a drop failed; the next session reclaims it).  Call once,
 * from one thread, after every other call on s has returned.
 */
ISOTEST_API int isotest_session_close(struct isotest_session *s, unsigned flags,
                                      struct isotest_err *e);

/*
 * Drop every sandbox still out and stop handing out new ones, without
 * closing: the session's facts stay readable.  Thread-safe.
 */
ISOTEST_API int isotest_session_drain(struct isotest_session *s,
                                      struct isotest_err *e);

/*
 * A libpq conninfo string for database dbname on the session's server, as
 * the session reaches it (its password included when the server asked for
 * one: keep the string out of logs).  For work beyond sandboxes, such as
 * isotest run's check of what its cases changed outside them.  The caller
 * frees it.
 */
ISOTEST_API char *isotest_session_conninfo(const struct isotest_session *s,
                                           const char *dbname);

/*
 * Is the session's server still there?  0 when it accepts a connection;
 * -1 when it does not, with e saying "lost the server" and quoting libpq's
 * words once.  One short connection; thread-safe.  A runner asks when a
 * case or an acquire fails, to tell a lost server from a failing test.
 */
ISOTEST_API int isotest_session_ping(const struct isotest_session *s,
                                     struct isotest_err *e);

/*
 * Emergency stop from another thread (a signal thread, say): end the
 * embedded server at once, wait briefly for it, and remove its folder; on
 * a server the user named, drop this session's databases over a new
 * connection.  Nothing is freed; the process is expected to exit next.
 */
ISOTEST_API void isotest_session_abort(struct isotest_session *s);

/*
 * A copy of data (len bytes; NULs allowed) with every form in which the
 * server's password may appear (as is, percent-encoded) replaced by
 * "***", NUL-terminated.  *outlen (may be NULL) gets its length; the
 * caller frees it.  Thread-safe.
 */
ISOTEST_API char *isotest_redact(const struct isotest_session *s,
                                 const char *data, size_t len, size_t *outlen);
/*
 * The length of the longest form of the password isotest_redact() looks
 * for, 0 when the server needs none: capture that much more than you
 * keep, so that a password cut by your cap is still whole when redacted.
 */
ISOTEST_API size_t isotest_redact_slack(const struct isotest_session *s);
/*
 * How many bytes at the end of data start a form of the password (output
 * cut in the middle of one): cut those before isotest_redact().
 */
ISOTEST_API size_t isotest_redact_tail(const struct isotest_session *s,
                                       const char *data, size_t len);

/*
 * Sandboxes.  isotest_sandbox_acquire() hands out a new sandbox: with a
 * pool, a clone made ahead (a wait only when none is ready).  Thread-safe.
 * NULL with e set.
 */
ISOTEST_API struct isotest_sandbox *
isotest_sandbox_acquire(struct isotest_session *s, struct isotest_err *e);

/*
 * How to connect, owned by the sandbox:
 * - conninfo: "host=... port=... user=... dbname=... application_name=...
 *   [password=...] [options='-c search_path=...']", for PQconnectdb();
 * - url: the same as a postgresql:// URL (DATABASE_URL style);
 * - keywords/values: NULL-terminated arrays for PQconnectdbParams();
 * - param: one value of those ("host", "port", "user", "password",
 *   "dbname", "options", "application_name"), or NULL;
 * - options: "-c search_path=<schema>,public" in schema mode, else "".
 */
ISOTEST_API const char *
isotest_sandbox_conninfo(const struct isotest_sandbox *sb);
ISOTEST_API const char *isotest_sandbox_url(const struct isotest_sandbox *sb);
ISOTEST_API const char *const *
isotest_sandbox_keywords(const struct isotest_sandbox *sb);
ISOTEST_API const char *const *
isotest_sandbox_values(const struct isotest_sandbox *sb);
ISOTEST_API const char *isotest_sandbox_param(const struct isotest_sandbox *sb,
                                              const char *keyword);
ISOTEST_API const char *
isotest_sandbox_options(const struct isotest_sandbox *sb);

/* The sandbox's name: its database, or its schema in schema mode. */
ISOTEST_API const char *isotest_sandbox_name(const struct isotest_sandbox *sb);
/* The database to connect to. */
ISOTEST_API const char *
isotest_sandbox_dbname(const struct isotest_sandbox *sb);
/* The schema in schema mode, else "". */
ISOTEST_API const char *
isotest_sandbox_schema(const struct isotest_sandbox *sb);
/* Milliseconds the acquire took (the wait a caller saw). */
ISOTEST_API double isotest_sandbox_acquire_ms(const struct isotest_sandbox *sb);

/* Flags of isotest_sandbox_release(). */
#define ISOTEST_RELEASE_DISCONNECT                                             \
    1u /* end sessions still connected to                                      \
          it first (a killed test's) */

/*
 * Drop the sandbox (with a pool, off the caller's path) and free sb.  In
 * schema mode the schema goes with its database once every schema there
 * is released, or at the session's close: never beside a running case.
 * *release_ms (may be NULL) gets the time it took.  -1 with e set when the
 * drop failed: sb is freed all the same, and the session's close (or the
 * next session) drops it.  Thread-safe.
 */
ISOTEST_API int isotest_sandbox_release(struct isotest_sandbox *sb,
                                        unsigned flags, double *release_ms,
                                        struct isotest_err *e);

/*
 * Keep the sandbox for debugging instead of dropping it, and free sb: it
 * outlives the session, and `isotest clean` drops it once older than its
 * --keep-age.  In schema mode the database holding the schema is kept.
 * Thread-safe.
 */
ISOTEST_API int isotest_sandbox_keep(struct isotest_sandbox *sb,
                                     struct isotest_err *e);

/*
 * A client of the sandbox socket that `isotest exec` opens, for test
 * processes that share one session with others: a Criterion test, which
 * runs in a process of its own, or any framework's worker.  The
 * sandboxes it hands out are struct isotest_sandbox as above, with the
 * same accessors; isotest_sandbox_release() and _keep() send them back
 * over the socket (the session that made them drops them).
 *
 *     struct isotest_client *c = isotest_client_attach(NULL, &e);
 *     struct isotest_sandbox *sb = isotest_client_acquire(c, "suite.test",
 *                                                         &e);
 *     ... PQconnectdb(isotest_sandbox_conninfo(sb)) ...
 *     isotest_sandbox_release(sb, 0, NULL, &e);
 *     isotest_client_detach(c);
 *
 * A client is thread-safe (its requests take turns); a sandbox still held
 * when its client detaches, or its process dies, is dropped by the
 * session all the same.
 */
struct isotest_client;

/*
 * Connect to the socket at path, or at $ISOTEST_SOCKET when path is NULL.
 * NULL with e set (not under `isotest exec`, no such socket, not
 * isotest's).
 */
ISOTEST_API struct isotest_client *
isotest_client_attach(const char *socket_path, struct isotest_err *e);

/*
 * A new sandbox; test_id (may be NULL) names the test in isotest's report:
 * give it the test's JUnit "classname.name" to have them joined.  NULL
 * with e set (the session's reason, or a lost connection).
 */
ISOTEST_API struct isotest_sandbox *
isotest_client_acquire(struct isotest_client *c, const char *test_id,
                       struct isotest_err *e);

/* Disconnect and free c; release its sandboxes first. */
ISOTEST_API void isotest_client_detach(struct isotest_client *c);

/*
 * Cleaning a server of what dead sessions left: their sandboxes and
 * databases (kept ones once older than keep_age_s), and templates beyond
 * the newest keep_templates that no live session uses.
 */
/*
 * The embedded servers of dead sessions on this machine (a process killed
 * before it could stop its own; the next session does this too): each
 * server is stopped and its folder removed, or, with dry_run, only found.
 * How many; *log (may be NULL; free() it) has a line per folder.  -1 with
 * e set when the folder that holds them cannot be read.
 */
ISOTEST_API int isotest_clean_embedded(bool dry_run, char **log,
                                       struct isotest_err *e);

struct isotest_clean_options {
    const char *db; /* as isotest_options.db, but a server must be named */
    bool dry_run;   /* say what would go, drop nothing */
    double keep_age_s;
    int keep_templates;
};
#define ISOTEST_CLEAN_OPTIONS_INIT                                             \
    {                                                                          \
        NULL, false, 86400.0, 3                                                \
    }

struct isotest_clean_report {
    int dropped;    /* databases of dead runs (would be, with dry_run) */
    int failed;     /* could not be dropped (see log) */
    int kept_young; /* kept sandboxes not old enough yet */
    int templates;  /* templates dropped (would be) */
    char *log;      /* one line per database; free() it */
    char *maint_db; /* the maintenance database used; free() it */
};

/*
 * -1 with e set only when the server could not be asked at all; failed
 * drops are counted in r->failed.  The caller frees r->log and
 * r->maint_db.
 */
ISOTEST_API int isotest_clean(const struct isotest_clean_options *o,
                              struct isotest_clean_report *r,
                              struct isotest_err *e);

/*
 * Does db parse as a libpq URL or "key=value" string?  -1 with e saying
 * what is wrong in libpq's words, cut so that no part of the value (a
 * password) shows.  Pure; thread-safe.
 */
ISOTEST_API int isotest_conninfo_check(const char *db, struct isotest_err *e);

/* Do the PG* variables name a server? */
ISOTEST_API bool isotest_env_names_server(void);

/*
 * A server alone, for a program that hands it to child processes (as
 * `isotest bench` does): the server `db` names, or an embedded one.
 * isotest_server_conninfo() says how to reach it (no password in it).
 * isotest_server_abort() is the emergency stop, as for a session.
 */
struct isotest_server;
ISOTEST_API struct isotest_server *
isotest_server_start(const char *db, bool no_cache, struct isotest_err *e);
ISOTEST_API const char *
isotest_server_conninfo(const struct isotest_server *srv);
ISOTEST_API bool isotest_server_embedded(const struct isotest_server *srv);
ISOTEST_API void isotest_server_stop(struct isotest_server *srv);
ISOTEST_API void isotest_server_abort(struct isotest_server *srv);

/*
 * Is `opt` a well-formed server option, "NAME=VALUE" (NAME letters,
 * digits, '_', '.')?  -1 with e naming it otherwise.  Whether the server
 * knows NAME and takes VALUE is learnt when it starts.  Pure; thread-safe.
 */
ISOTEST_API int isotest_server_option_check(const char *opt,
                                            struct isotest_err *e);

/* The server binaries' folder (ISOTEST_PG_BINDIR, PG_CONFIG's bindir,
 * the newest installed, PATH); the caller frees it.  NULL with e set. */
ISOTEST_API char *isotest_pg_bindir(struct isotest_err *e);

#ifdef __cplusplus
}
#endif

#endif
