/*
 * target: which PostgreSQL server isotest talks to, and how to connect.
 *
 * Call sequence: target_init() with the user's --db value (or NULL for the
 * PG* environment), target_connect_maint() once from one thread (it picks a
 * maintenance database and learns host, port, user and server version), then
 * target_connect() from any thread, then target_release().
 *
 * isotest uses the user's URL only to reach the server: the database named
 * in it is never used.  Connections go to the maintenance database
 * ("postgres", else "template1") or to databases isotest created.
 *
 * A password, wherever it came from (URL, PGPASSWORD, .pgpass), is kept
 * here only to hand to children that need it; messages pass through
 * target_redact() so it never shows.
 */
#ifndef ISOTEST_TARGET_H
#define ISOTEST_TARGET_H

#include <stdint.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "common/strbuf.h"

struct target {
    /* Set by target_init, read-only afterwards. */
    char *conninfo; /* the user's --db value, or NULL */
    char *url_db;   /* the database it names (not used), or NULL */
    /* Set by target_connect_maint, read-only afterwards. */
    char *maint_db;
    char *host; /* a socket directory or a host name */
    char *port;
    char *user;
    char *password;           /* NULL unless the server asked for one */
    int server_version;       /* e.g. 150018 */
    char *server_version_str; /* e.g. "15.18" */
};

/* Checks that the value parses; the message never includes a password. */
int target_init(struct target *t, const char *conninfo, struct isotest_err *e);
void target_release(struct target *t);

/*
 * Connect to the maintenance database; the first successful call fills in
 * host, port, user, password and version.  Returns NULL with e set: the
 * message names host and port, says when authentication failed (never
 * printing the password) and when no maintenance database exists.
 */
PGconn *target_connect_maint(struct target *t, struct isotest_err *e);

/* Connect to `dbname` on the same server.  Thread-safe after the above. */
PGconn *target_connect(const struct target *t, const char *dbname,
                       struct isotest_err *e);

/* -1 with a hint naming ALTER ROLE ... CREATEDB when the role lacks it. */
int target_check_createdb(const struct target *t, PGconn *conn,
                          struct isotest_err *e);

/*
 * A copy of msg with any occurrence of the password replaced by "***".
 * The caller frees it.
 */
char *target_redact(const struct target *t, const char *msg);

/*
 * The same for bytes that may hold NULs: every form in which isotest hands
 * the password on (as is, and percent-encoded in DATABASE_URL) becomes
 * "***".  The caller frees the result; *outlen gets its length.
 */
char *target_redact_bytes(const struct target *t, const char *data, size_t len,
                          size_t *outlen);

/*
 * How many bytes at the end of data are the start of a form of the
 * password (output cut by a cap in the middle of one); 0 when none.
 */
size_t target_partial_tail(const struct target *t, const char *data,
                           size_t len);

/* The longest form of the password that target_redact_bytes() looks for. */
size_t target_secret_len(const struct target *t);

/*
 * postgresql:// URL for a database (password included when there is one);
 * a socket folder goes in ?host=, options and application_name (each may
 * be NULL) in ?options= and ?application_name=.  The caller frees it.
 */
char *target_url_parts(const char *host, const char *port, const char *user,
                       const char *password, const char *dbname,
                       const char *options, const char *appname);

/*
 * The connection option that puts a schema-mode sandbox first on the
 * search_path ("-c search_path=SCHEMA,public": public keeps the
 * extensions).  The caller frees it.
 */
char *target_search_path_option(const char *schema);

/*
 * Run statements in which each "%I" of fmt stands for the next name of
 * `names` (NULL-terminated), each validated by ident_valid() and quoted
 * with PQescapeIdentifier(): the one way a name reaches SQL text.  "%%"
 * is a '%'.  -1 with e set (a refused name, or the server's message).
 */
int target_exec_ident(PGconn *conn, const char *fmt, const char *const *names,
                      struct isotest_err *e);
/* The same with one name. */
int target_exec_name(PGconn *conn, const char *fmt, const char *name,
                     struct isotest_err *e);

/* Run statements (several allowed); -1 with the server's message. */
int target_exec(PGconn *conn, const char *sql, struct isotest_err *e);

/*
 * One statement with text parameters.  With out, the result goes to the
 * caller (free with PQclear); -1 with the server's message.
 */
int target_exec_params(PGconn *conn, const char *sql, int n,
                       const char *const *vals, PGresult **out,
                       struct isotest_err *e);

/*
 * SELECT fn(cls, key) for an advisory-lock function (pg_advisory_lock,
 * pg_try_advisory_lock, pg_advisory_lock_shared, pg_advisory_unlock ...).
 * Returns its boolean answer as 1/0 (0 for the void ones), or -1.
 */
int target_advisory(PGconn *conn, const char *fn, int32_t cls, int32_t key,
                    struct isotest_err *e);

/*
 * DROP DATABASE IF EXISTS ... WITH (FORCE), the name validated and quoted;
 * -1 with "cannot drop database 'NAME': ...".
 */
int target_drop_database(PGconn *conn, const char *name, struct isotest_err *e);

/*
 * Wait until no session other than conn's is connected to database name
 * (up to 200 ms; sessions that just lost their client end within a few
 * ms).  CREATE and DROP DATABASE that meet such a session sleep 100 ms.
 */
void target_wait_sessions_end(PGconn *conn, const char *name);

#endif
