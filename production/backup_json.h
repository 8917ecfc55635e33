/*
 * backup_json: the little JSON the backup manifests and verdicts need.
 *
 * bjson_parse() reads a whole document (RFC 8259: objects, arrays,
 * strings with every escape, numbers, true, false, null) into a tree the
 * caller releases with bjson_release(); the lookups below read it.
 * bjson_add_str() writes a string value, quoted and escaped, so that any
 * table or file name makes valid JSON.  Integers are kept exactly (row
 * counts and sizes go past 2^53).  Pure; thread-safe for distinct trees.
 */
#ifndef ISOTEST_BACKUP_JSON_H
#define ISOTEST_BACKUP_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/strbuf.h"

enum bjson_type {
    BJSON_NULL,
    BJSON_BOOL,
    BJSON_NUM,
    BJSON_STR,
    BJSON_ARR,
    BJSON_OBJ
};

/* Treat as read-only; owned by the tree. */
struct bjson {
    enum bjson_type type;
    bool b;              /* BJSON_BOOL */
    bool is_int;         /* BJSON_NUM: written as a whole number */
    long long i;         /* ... its value */
    double d;            /* BJSON_NUM, any */
    char *s;             /* BJSON_STR: NUL-terminated (no NUL inside) */
    struct bjson *items; /* BJSON_ARR, BJSON_OBJ: the values */
    char **keys;         /* BJSON_OBJ: the keys, parallel to items */
    size_t n;
};

/* -1 with e saying where the text stops being JSON; *out is then empty. */
int bjson_parse(const char *text, size_t len, struct bjson *out,
                struct isotest_err *e);
void bjson_release(struct bjson *j);

/* The value of key in an object (the first, when repeated), or NULL. */
const struct bjson *bjson_get(const struct bjson *obj, const char *key);
/* A string member's value, or NULL when absent or not a string. */
const char *bjson_get_str(const struct bjson *obj, const char *key);
/* A whole-number member: true with *out set, false otherwise. */
bool bjson_get_int(const struct bjson *obj, const char *key, long long *out);

/* Append s as a JSON string ("..." with escapes). */
void bjson_add_str(struct strbuf *sb, const char *s);

#endif
