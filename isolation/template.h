/*
 * template: the migrated template database that sandboxes are cloned from.
 *
 * Call sequence: template_ensure() on the maintenance connection (builds
 * the template, retiring its suite's superseded ones, or finds the one a
 * previous run built), then
 * template_carry() on every clone, then template_release().
 *
 * The name is isotest_tpl_<hash>, the hash covering the migrations' names
 * and contents, the extensions and the server version.  The build happens
 * under an advisory lock, into isotest_<runid>_tplbuild, which is renamed
 * and marked IS_TEMPLATE only when complete: concurrent runners build it
 * once, and a failed or interrupted build leaves nothing a later run uses
 * (a dead run's build database is reclaimed like its sandboxes).
 *
 * CREATE DATABASE ... TEMPLATE copies neither ALTER DATABASE ... SET
 * settings nor database privileges; template_ensure() reads both from the
 * template and template_carry() replays them on a clone.
 *
 * The wait for another run's build of the same template and the
 * migrations can be cancelled from another thread (spec->cancelled): the
 * build database is then dropped and the locks released.
 *
 * Templates go by two rules (template_retire.c): a session that built a
 * new template retires the other templates of its suite, and
 * template_prune() keeps the newest n; neither touches one a live run
 * uses.  A suite is what spec->suite names (the migrations folder, say)
 * with the extensions; its key is recorded in the template's comment.
 *
 * A struct template is read-only after template_ensure() and may be shared
 * by threads.
 */
#ifndef ISOTEST_TEMPLATE_H
#define ISOTEST_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "common/strbuf.h"
#include "ident.h"
#include "migrate.h"

struct template_spec {
    const struct migrate_set *ms; /* may be NULL: no migrations */
    const char *const *extensions;
    size_t n_ext;
    const char *runid;
    /* Told "waiting for ..." and "building ..." (isotest_options). */
    void (*progress)(void *arg, const char *what);
    void *progress_arg;
    /*
     * What names the suite; NULL: the migrations folder's absolute path
     * (none without migrations).
     */
    const char *suite;
    /* Polled while waiting and migrating; true: stop.  May be NULL. */
    bool (*cancelled)(void *arg);
    void *cancel_arg;
};

/* Hex digits of a suite key, as template_suite_key() writes it. */
#define TEMPLATE_SUITE_LEN 16
/* The comment's field holding the suite key. */
#define TEMPLATE_SUITE_FIELD "suite"

struct template
{
    char name[IDENT_BUFSZ];
    char hash[65];                      /* hex SHA-256 */
    char suite[TEMPLATE_SUITE_LEN + 1]; /* "" when spec->suite was NULL */
    bool reused; /* found ready, not built by this call */
    int retired; /* the suite's superseded templates it dropped */
    double build_ms;
    /*
     * Extensions the template holds (pgtap, and those migrations made), in
     * creation order, each with its schema and version.
     */
    char **extensions;
    char **ext_schemas;
    char **ext_versions;
    size_t n_ext;
    /* The stored settings ("name=value", for any role), as read. */
    char **settings;
    size_t nsettings;
    /* Statements replayed on each clone: pre + quoted name + post. */
    size_t ncarry;
    char **carry_pre;
    char **carry_post;
};

/*
 * The template's hash for these inputs (hex, 64 chars + NUL into out).
 * Pure; thread-safe.
 */
void template_hash(const struct template_spec *spec, int server_version,
                   char out[65]);

/*
 * The suite key: a hash of the suite (spec->suite, else the migrations
 * folder's absolute path) and the extensions, hex into out; "" when there
 * is no suite.  Thread-safe.
 */
void template_suite_key(const struct template_spec *spec,
                        char out[TEMPLATE_SUITE_LEN + 1]);

struct target;
int template_ensure(const struct target *t, PGconn *maint,
                    const struct template_spec *spec, struct template *tpl,
                    struct isotest_err *e);

/* Replay the template's settings and privileges on database `dbname`. */
int template_carry(const struct template *tpl, PGconn *conn, const char *dbname,
                   struct isotest_err *e);

/*
 * The value the template sets for run-time parameter `name` at database
 * level (case-insensitive, as parameter names are), or NULL.
 */
const char *template_setting(const struct template *tpl, const char *name);

/*
 * Create the template's extensions in the database conn is connected to,
 * each in the schema it has in the template (created when missing) at the
 * same version, in the template's order: schema mode starts from
 * template0 plus these, so that public holds no second copy of the
 * migrated objects.
 */
int template_create_extensions(const struct template *tpl, PGconn *conn,
                               struct isotest_err *e);

/*
 * Whether database `name` is there and marked a template (ready to clone):
 * 1 ready, 0 missing, 2 there but not marked; -1 with e set.
 */
int template_db_state(PGconn *conn, const char *name, struct isotest_err *e);

void template_release(struct template *tpl);

/*
 * Between template.c and template_ext.c only.  template_ext_create_own():
 * the spec's extensions (IF NOT EXISTS, in public); `before` the
 * migrations, leaving out those a migration creates itself.
 * template_ext_list(): the database's extensions as the template's
 * comment records them (*list, the caller frees it).
 * template_ext_add(): one entry of that list into tpl.
 */
int template_ext_create_own(PGconn *conn, const struct template_spec *spec,
                            bool before, struct isotest_err *e);
int template_ext_list(PGconn *conn, char **list, struct isotest_err *e);
void template_ext_add(struct template *tpl, const char *entry);

/*
 * The value of field `key` in a template's comment ("isotest template;
 * KEY: VALUE; ..."), or NULL when it has none.  Unknown fields are
 * skipped.  The caller frees it.  Pure; thread-safe.
 */
char *template_comment_field(const char *comment, const char *key);

/*
 * Drop finished templates other than `keep` beyond the newest `n_keep`
 * (by creation order) that no live run uses.  Returns how many were
 * dropped (with dry_run: would be); each goes to `log` (may be NULL) as
 * "dropped template NAME" or "would drop template NAME".
 */
int template_prune(PGconn *maint, const char *keep, int n_keep, bool dry_run,
                   struct strbuf *log, struct isotest_err *e);

/*
 * Drop the finished templates of `suite` (a key, not "") other than
 * `keep` that no live run uses: those `keep` supersedes.  Returns how
 * many; each goes to `log` (may be NULL) as "retired template NAME".
 */
int template_retire(PGconn *maint, const char *keep, const char *suite,
                    struct strbuf *log, struct isotest_err *e);

#endif
