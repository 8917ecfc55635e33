/*
 * backup_pg: what the backup commands do with a real database and with
 * PostgreSQL's programs.
 *
 * struct backup_db is a database the user named with --db (the one a
 * backup is taken of, or restored over).  Its password, when the string
 * holds one, is kept apart: connections get it through
 * PQconnectdbParams(), children (pg_dump, pg_restore, psql) through
 * PGPASSWORD in their environment, never on their command line, and
 * backup_db_redact() takes it out of any text before it is shown or
 * stored.  Call sequence:
 *
 *     backup_db_parse(&d, url, &e);
 *     PGconn *c = backup_db_connect(&d, &e);   // d.child_conninfo is set
 *     ... backup_tables_list(c, ...), backup_tables_count(c, ...) ...
 *     backup_tool_start(&p, argv, backup_db_env(&d), ...);
 *     backup_db_release(&d);
 *
 * The table functions run in the connection's current transaction, so a
 * caller that opened a REPEATABLE READ transaction gets one consistent
 * snapshot.  Children are watched by the signal registry (signals.h): a
 * Ctrl-C reaches them.  Nothing here prints.  Thread safety: one struct
 * per thread; the tool functions start children from the main thread.
 */
#ifndef ISOTEST_BACKUP_PG_H
#define ISOTEST_BACKUP_PG_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "backup_manifest.h"
#include "common/err.h"
#include "common/proc.h"
#include "common/strbuf.h"

struct backup_db {
    const char **kw, **val; /* NULL-terminated, password included */
    char *password;         /* NULL when the string holds none */
    char *conninfo;         /* what the user gave, password left out */
    char *child_conninfo;   /* the live connection's settings, password
                               left out: for children's -d; set by
                               backup_db_connect() */
    char *dbname;           /* the database connected to, once connected */
};

/* -1 with e when s does not parse (the message never quotes s). */
int backup_db_parse(struct backup_db *d, const char *s, struct isotest_err *e);
void backup_db_release(struct backup_db *d);

/* Connect (fallback_application_name "isotest backup"); NULL with e. */
PGconn *backup_db_connect(struct backup_db *d, struct isotest_err *e);

/* A copy of text with every form of the password made "***". */
char *backup_db_redact(const struct backup_db *d, const char *text);
/* Redact e's message and hint in place. */
void backup_db_redact_err(const struct backup_db *d, struct isotest_err *e);

/*
 * The environment for a child reaching d: this process's, with
 * PGPASSWORD set when d has a password.  Free with backup_env_free().
 */
char **backup_db_env(const struct backup_db *d);
void backup_env_free(char **env);

/* One "key='value'" pair, quoted for a libpq connection string. */
void backup_conninfo_add(struct strbuf *sb, const char *key, const char *val);

/* Run one statement that returns no rows; -1 with e (SQLSTATE form). */
int backup_exec(PGconn *c, const char *sql, struct isotest_err *e);

/*
 * The tables whose rows pg_dump dumps (ordinary tables and partitions,
 * not temporary, not an extension's), in schema, name order; rows 0.
 */
int backup_tables_list(PGconn *c, struct backup_table **t, size_t *n,
                       struct isotest_err *e);
/* Exact row counts (of each table ONLY), a batch of tables a query. */
int backup_tables_count(PGconn *c, struct backup_table *t, size_t n,
                        struct isotest_err *e);
/* The roles the database's objects name (owners, grants), and the
 * bootstrap superuser; sorted. */
int backup_roles_list(PGconn *c, char ***roles, size_t *n,
                      struct isotest_err *e);

/* PostgreSQL's program `name` from isotest_pg_bindir(), else from PATH. */
char *backup_tool_path(const char *name);

/*
 * Start a PostgreSQL program with stdout and stderr captured (stdin from
 * stdin_path, or /dev/null), watched by the signal registry.
 */
int backup_tool_start(struct proc *p, const char *const *argv,
                      const char *const *envp, const char *stdin_path,
                      struct isotest_err *e);
/* Wait for it; out/err capped at 1 MiB each.  -1 only if it is lost. */
int backup_tool_finish(struct proc *p, struct strbuf *out, struct strbuf *err,
                       struct proc_status *st, struct isotest_err *e);
/* Start and finish in one. */
int backup_tool_run(const char *const *argv, const char *const *envp,
                    struct strbuf *out, struct strbuf *err,
                    struct proc_status *st, struct isotest_err *e);

/* Did it exit 0? */
bool backup_tool_ok(const struct proc_status *st);
/*
 * e = "WHAT: TOOL exited with code N: <its own message>" (or "was
 * killed by SIGX"); the message is the tool's stderr (else stdout),
 * trimmed to its first lines.  Returns -1.
 */
int backup_tool_failed(struct isotest_err *e, const char *what,
                       const char *tool, const struct proc_status *st,
                       const struct strbuf *out, const struct strbuf *err);

/*
 * `PROGRAM --version`, started ahead (it costs a process start, which
 * then overlaps other work) and its first line collected later ("unknown"
 * when it failed); the caller frees it.
 */
int backup_version_start(struct proc *p, const char *path);
char *backup_version_finish(struct proc *p);

#endif
