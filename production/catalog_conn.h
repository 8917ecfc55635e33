/*
 * catalog_conn: a read-only connection to a database isotest does not
 * own (the one `drift`, `audit` and `run --schema-from` inspect), and
 * keeping its password out of every message.
 *
 * Call sequence: catalog_conn_open(), any number of catalog_conn_query(),
 * catalog_conn_close().  The session is set to
 * default_transaction_read_only and everything runs in one
 * REPEATABLE READ READ ONLY transaction (one snapshot; a write would fail
 * on the server, not just by our good manners), with search_path empty so
 * that every name the catalog functions print is schema-qualified and
 * reads the same on two servers.
 *
 * Passwords: the one libpq used (from the URL, PGPASSWORD or a .pgpass
 * file) is kept to redact messages, never shown.  catalog_conn_split()
 * takes the password out of a URL for a child process (pg_dump), which
 * then gets it through PGPASSWORD, never on its command line.
 *
 * A struct catalog_conn belongs to one thread at a time.
 */
#ifndef ISOTEST_CATALOG_CONN_H
#define ISOTEST_CATALOG_CONN_H

#include <libpq-fe.h>

#include "common/err.h"

struct catalog_conn {
    PGconn *conn;   /* treat as read-only; NULL once closed */
    char *password; /* the password used, or NULL */
    char *label;    /* "'dbname' on host:port", for messages */
};

/*
 * Connect to `url` (a libpq URL or key=value string; NULL: the PG*
 * variables) and start the read-only transaction.  -1 with e set (libpq's
 * reason, redacted); c is then released.  `what` names the database in
 * messages ("--db").
 */
int catalog_conn_open(struct catalog_conn *c, const char *url, const char *what,
                      struct isotest_err *e);

/*
 * PQexecParams with text parameters; *res (the caller PQclear()s it) is
 * set on success.  -1 with e set ("what: server message", redacted).
 */
int catalog_conn_query(struct catalog_conn *c, const char *what,
                       const char *sql, int nparams, const char *const *params,
                       PGresult **res, struct isotest_err *e);

/* End the transaction (nothing to commit) and disconnect; idempotent. */
void catalog_conn_close(struct catalog_conn *c);

/*
 * text with every form of `password` (as is, percent-encoded) replaced
 * by "***"; password may be NULL.  The caller frees the result.
 */
char *catalog_conn_redact(const char *password, const char *text);

/*
 * Split url into a connection string without its password (*conninfo,
 * "key='value' ...", safe to show and to pass on a command line) and the
 * password (*password, NULL when the url has none).  The caller frees
 * both.  -1 with e set when url does not parse (the value is not quoted:
 * it may hold the password).
 */
int catalog_conn_split(const char *url, char **conninfo, char **password,
                       struct isotest_err *e);

#endif
