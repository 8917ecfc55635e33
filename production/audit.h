/*
 * audit: test-looking objects in a database that should have none.
 *
 *   tables (and views) whose name matches a glob (default "test_*"), each
 *     with whether the same name without the pattern's fixed prefix and
 *     suffix is a table too ("test_orders" beside "orders": a test copy);
 *   schemas and databases that match it, or that other test tools leave
 *     (pgtestdb, sqlx, IntegreSQL, pg_regress), or that a dead isotest run
 *     left: isotest_<runid>_<suffix> whose run holds no run lock (advisory
 *     lock 0x49534f54 / runid / objsubid 2 in pg_locks).  isotest's cached
 *     templates (isotest_tpl_<16 hex>) and the objects of live runs are
 *     not leftovers and are never listed, whatever the pattern.
 *
 * Call sequence: audit_scan() over a read-only struct catalog_conn, read
 * the findings, audit_release().  Nothing here writes to the database.
 * Not thread-safe: one struct audit, one thread.
 */
#ifndef ISOTEST_AUDIT_H
#define ISOTEST_AUDIT_H

#include <stddef.h>

#include "catalog_conn.h"
#include "common/err.h"
#include "common/strbuf.h"

#define AUDIT_DEFAULT_PATTERN "test_*"

enum audit_category {
    AUDIT_TABLES,
    AUDIT_SCHEMAS,
    AUDIT_DATABASES,
    AUDIT_NCATS
};

struct audit {
    struct strbuf found[AUDIT_NCATS]; /* findings, each ending in \n */
    size_t count[AUDIT_NCATS];
    size_t live_runs; /* isotest runs alive on the server (not listed) */
};

/* "tables", "schemas", "databases". */
const char *audit_category_name(enum audit_category c);

/*
 * Scan the database c is connected to (tables, schemas) and its server
 * (databases other than this one).  -1 with e set; *a is then still
 * valid (audit_release() it).
 */
int audit_scan(struct catalog_conn *c, const char *pattern, struct audit *a,
               struct isotest_err *e);

/*
 * name without the fixed text that starts and ends the glob pattern
 * ("test_orders" under "test_*": "orders"), or NULL when nothing would be
 * left.  The caller frees it.
 */
char *audit_strip(const char *pattern, const char *name);

size_t audit_total(const struct audit *a);
void audit_release(struct audit *a);

#endif
