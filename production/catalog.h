/*
 * catalog: a database's schema as pg_catalog describes it, object kind by
 * object kind, in a form two databases can be compared in.
 *
 * Call sequence: catalog_schemas() (the schemas worth looking at, when the
 * user named none), catalog_read() over a struct catalog_conn,
 * catalog_find() to look an object up, catalog_release().
 *
 * Every object is a name and a definition, both text, produced by the
 * same queries on every server: names are "table", "table.column",
 * "function(argument types)" and so on, qualified with their schema unless
 * it is public; definitions come from format_type(), pg_get_expr(),
 * pg_get_constraintdef(), pg_get_indexdef(), pg_get_viewdef(),
 * pg_get_functiondef(), pg_get_triggerdef(), with search_path empty so
 * that the names inside are qualified the same way on both sides.
 * Objects that belong to an extension are left out (the extension is
 * listed instead).  Owners and privileges are read only on request: they
 * name roles, which differ between servers more often than schemas do.
 *
 * Lists are sorted by name (strcmp, not a server's collation).  Nothing
 * here writes to the database.  Not thread-safe: one catalog, one thread.
 */
#ifndef ISOTEST_CATALOG_H
#define ISOTEST_CATALOG_H

#include <stdbool.h>
#include <stddef.h>

#include "catalog_conn.h"
#include "common/err.h"

enum catalog_kind {
    CATALOG_SCHEMAS,
    CATALOG_EXTENSIONS,
    CATALOG_TABLES,
    CATALOG_COLUMNS,
    CATALOG_CONSTRAINTS,
    CATALOG_INDEXES,
    CATALOG_SEQUENCES,
    CATALOG_VIEWS,
    CATALOG_FUNCTIONS,
    CATALOG_TRIGGERS,
    CATALOG_ENUMS,
    CATALOG_POLICIES,
    CATALOG_OWNERS,     /* only with privileges */
    CATALOG_PRIVILEGES, /* only with privileges */
    CATALOG_NKINDS
};

struct catalog_object {
    char *name; /* "orders.note" */
    char *def;  /* "text NOT NULL DEFAULT ''::text" */
};

struct catalog_list {
    struct catalog_object *v;
    size_t n;
};

struct catalog {
    struct catalog_list kinds[CATALOG_NKINDS];
    bool privileges; /* owners and privileges were read */
};

/* "columns" (the JUnit case's name) and "column" (a finding's subject). */
const char *catalog_kind_plural(enum catalog_kind k);
const char *catalog_kind_noun(enum catalog_kind k);
/*
 * Kinds whose names are "table.object": a finding about them says
 * nothing new when the table itself is missing on one side.
 */
bool catalog_kind_on_table(enum catalog_kind k);

/*
 * The schemas of the database other than pg_catalog, information_schema,
 * pg_toast* and pg_temp*, appended to *names (grown with realloc; the
 * strings are new, the caller frees them and the array).
 */
int catalog_schemas(struct catalog_conn *c, char ***names, size_t *n,
                    struct isotest_err *e);

/*
 * Read every kind, limited to the n schemas given, into *cat (released
 * first by nobody: pass a zeroed struct).  -1 with e set, *cat then
 * holds what was read (catalog_release() it all the same).
 */
int catalog_read(struct catalog_conn *c, const char *const *schemas, size_t n,
                 bool privileges, struct catalog *cat, struct isotest_err *e);

/* The object of that name in a sorted list, or NULL. */
const struct catalog_object *catalog_find(const struct catalog_list *l,
                                          const char *name);

void catalog_release(struct catalog *cat);

#endif
