/*
 * drift.c: comparing two catalogs, and the line diff of definitions.
 *
 * Both sides' lists are sorted by name, so one merge walk per kind finds
 * what is missing, what is extra and what differs.
 */
#include "drift.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Definitions longer than this (or with a newline) get a line diff. */
#define DRIFT_INLINE_MAX 120
/* Past this many lines a side, a diff is two listings (LCS is n*m). */
#define DRIFT_DIFF_MAX_LINES 2000

struct lines {
    const char **v; /* into a copy of the text */
    size_t n;
    char *buf;
};

static void split_lines(const char *text, struct lines *l)
{
    l->buf = xstrdup(text);
    l->n = 0;
    l->v = xmalloc((strlen(text) + 1) * sizeof(*l->v));
    for (char *p = l->buf;;) {
        char *nl = strchr(p, '\n');
        l->v[l->n++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
}

static void lines_release(struct lines *l)
{
    free(l->v);
    free(l->buf);
}

static void add_block(struct strbuf *out, const struct lines *l,
                      const char *mark)
{
    for (size_t i = 0; i < l->n; i++)
        strbuf_addf(out, "    %s%s\n", mark, l->v[i]);
}

/*
 * A line diff of the migrations' text (a) against the database's (b):
 * the longest common subsequence, walked from the start.
 */
static void line_diff(struct strbuf *out, const char *mig, const char *db)
{
    struct lines a, b;

    split_lines(mig, &a);
    split_lines(db, &b);
    if (a.n > DRIFT_DIFF_MAX_LINES || b.n > DRIFT_DIFF_MAX_LINES) {
        add_block(out, &a, "- ");
        add_block(out, &b, "+ ");
        lines_release(&a);
        lines_release(&b);
        return;
    }
    /* lcs[i][j]: common lines of a[i..] and b[j..]. */
    size_t w = b.n + 1;
    unsigned *lcs = xcalloc((a.n + 1) * w, sizeof(*lcs));
    for (size_t i = a.n; i-- > 0;)
        for (size_t j = b.n; j-- > 0;)
            lcs[i * w + j] = !strcmp(a.v[i], b.v[j])
                                 ? lcs[(i + 1) * w + j + 1] + 1
                             : lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]
                                 ? lcs[(i + 1) * w + j]
                                 : lcs[i * w + j + 1];
    size_t i = 0, j = 0;
    while (i < a.n || j < b.n) {
        if (i < a.n && j < b.n && !strcmp(a.v[i], b.v[j])) {
            strbuf_addf(out, "      %s\n", a.v[i]);
            i++, j++;
        } else if (j >= b.n ||
                   (i < a.n && lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
            strbuf_addf(out, "    - %s\n", a.v[i++]);
        } else {
            strbuf_addf(out, "    + %s\n", b.v[j++]);
        }
    }
    free(lcs);
    lines_release(&a);
    lines_release(&b);
}

static void differs(struct strbuf *out, const char *noun, const char *name,
                    const char *db, const char *mig)
{
    bool inline_ok = !strchr(db, '\n') && !strchr(mig, '\n') &&
                     strlen(db) + strlen(mig) <= 2 * DRIFT_INLINE_MAX;

    if (inline_ok) {
        strbuf_addf(out,
                    "%s %s: differs: database has %s, migrations have "
                    "%s\n",
                    noun, name, *db ? db : "(nothing)",
                    *mig ? mig : "(nothing)");
        return;
    }
    strbuf_addf(out, "%s %s: differs (- migrations, + database):\n", noun,
                name);
    line_diff(out, mig, db);
}

/* The table part of "table.object" (or "schema.table.object"). */
static bool table_present(const struct catalog *side, const char *name)
{
    const char *dot = strrchr(name, '.');

    if (!dot)
        return true;
    char *table = xstrndup(name, (size_t)(dot - name));
    bool found = catalog_find(&side->kinds[CATALOG_TABLES], table) != NULL;
    free(table);
    return found;
}

/*
 * Owners and privileges of an object on one side only: its own kind
 * reports the object.  A column's privileges are listed only when it has
 * some, though: one side without them, the column on both, is a change.
 */
static void one_side_acl(struct drift *d, enum catalog_kind k,
                         const struct catalog *other,
                         const struct catalog_object *o, bool in_db)
{
    if (strncmp(o->name, "column ", 7) != 0 ||
        !catalog_find(&other->kinds[CATALOG_COLUMNS], o->name + 7))
        return;
    differs(&d->found[k], catalog_kind_noun(k), o->name,
            in_db ? o->def : "none granted", in_db ? "none granted" : o->def);
    d->count[k]++;
}

/* An object on one side only: "missing in database" or "only in ...". */
static void one_side(struct drift *d, enum catalog_kind k,
                     const struct catalog *other,
                     const struct catalog_object *o, bool in_db)
{
    if (k == CATALOG_OWNERS || k == CATALOG_PRIVILEGES) {
        one_side_acl(d, k, other, o, in_db);
        return;
    }
    /* Its table is not on the other side either: that finding says it. */
    if (catalog_kind_on_table(k) && !table_present(other, o->name))
        return;
    strbuf_addf(&d->found[k], "%s %s: %s\n", catalog_kind_noun(k), o->name,
                in_db ? "only in database" : "missing in database");
    d->count[k]++;
}

static void compare_kind(struct drift *d, enum catalog_kind k,
                         const struct catalog *db, const struct catalog *mig)
{
    const struct catalog_list *a = &db->kinds[k], *b = &mig->kinds[k];
    size_t i = 0, j = 0;

    while (i < a->n || j < b->n) {
        int c = i >= a->n   ? 1
                : j >= b->n ? -1
                            : strcmp(a->v[i].name, b->v[j].name);
        d->compared++;
        if (c < 0) {
            one_side(d, k, mig, &a->v[i++], true);
        } else if (c > 0) {
            one_side(d, k, db, &b->v[j++], false);
        } else {
            if (strcmp(a->v[i].def, b->v[j].def) != 0) {
                differs(&d->found[k], catalog_kind_noun(k), a->v[i].name,
                        a->v[i].def, b->v[j].def);
                d->count[k]++;
            }
            i++, j++;
        }
    }
}

void drift_compare(const struct catalog *db, const struct catalog *mig,
                   struct drift *d)
{
    memset(d, 0, sizeof(*d));
    for (int k = 0; k < CATALOG_NKINDS; k++) {
        strbuf_init(&d->found[k], 0);
        compare_kind(d, (enum catalog_kind)k, db, mig);
    }
}

size_t drift_total(const struct drift *d)
{
    size_t n = 0;

    for (int k = 0; k < CATALOG_NKINDS; k++)
        n += d->count[k];
    return n;
}

void drift_release(struct drift *d)
{
    for (int k = 0; k < CATALOG_NKINDS; k++)
        strbuf_release(&d->found[k]);
    memset(d, 0, sizeof(*d));
}
