/*
 * drift: what differs between a live database's schema and the schema
 * its migrations build, as readable findings per object kind.
 *
 * Call sequence: catalog_read() both sides, drift_compare(), read the
 * findings, drift_release().  Pure (no I/O) and thread-safe for distinct
 * structs.
 *
 * A finding is one of
 *   "column orders.note: missing in database"
 *   "index orders_created_idx: only in database"
 *   "column orders.qty: differs: database has integer, migrations have
 *    bigint"
 * and, when a definition spans lines or is long (functions, views), the
 * "differs" line is followed by a line diff of the two definitions
 * ("- " migrations, "+ " database, "  " both).  An object of a table (a
 * column, constraint, trigger, policy) whose table is itself missing or
 * only in the database is not reported again: the table's finding says
 * it.
 */
#ifndef ISOTEST_DRIFT_H
#define ISOTEST_DRIFT_H

#include <stddef.h>

#include "catalog.h"
#include "common/strbuf.h"

struct drift {
    struct strbuf found[CATALOG_NKINDS]; /* findings, each ending in \n */
    size_t count[CATALOG_NKINDS];        /* findings per kind */
    size_t compared;                     /* objects looked at, both sides */
};

/* Compare db (the live database) with mig (the migrated template). */
void drift_compare(const struct catalog *db, const struct catalog *mig,
                   struct drift *d);

/* Findings over every kind. */
size_t drift_total(const struct drift *d);

void drift_release(struct drift *d);

#endif
