/*
 * history.c: reading and writing durations, and the longest-first order.
 */
#include "history.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "reporters/junit_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "# isotest history 1\n"

static void add(struct history *h, const char *key, double ms)
{
    h->keys = xrealloc(h->keys, (h->n + 1) * sizeof(*h->keys));
    h->ms = xrealloc(h->ms, (h->n + 1) * sizeof(*h->ms));
    h->keys[h->n] = xstrdup(key);
    h->ms[h->n] = ms;
    h->n++;
}

int history_load(struct history *h, const char *path, struct isotest_err *e)
{
    char *text = NULL;
    size_t len;

    memset(h, 0, sizeof(*h));
    if (access(path, F_OK) < 0)
        return 0;
    if (fs_read_file(path, &text, &len, e) < 0)
        return -1;
    if (strncmp(text, MAGIC, strlen(MAGIC)) != 0) {
        free(text);
        return err_set(e, "'%s' is not an isotest history file", path);
    }
    h->present = true;
    int lineno = 1;
    for (char *line = text + strlen(MAGIC); *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *tab = strrchr(line, '\t');
        /* "KEY\tMS\tflaky": it passed on a retry (files before: no flag). */
        if (tab && !strcmp(tab + 1, "flaky") &&
            memchr(line, '\t', (size_t)(tab - line))) {
            *tab = '\0';
            tab = strrchr(line, '\t');
        }
        if (*line && tab) {
            *tab = '\0';
            char *end;
            double v = strtod(tab + 1, &end);
            if (end == tab + 1 || *end || !isfinite(v) || v < 0) {
                free(text);
                history_release(h);
                return err_set(e, "'%s' line %d: bad duration", path, lineno);
            }
            if (!strcmp(line, "wall_ms"))
                h->wall_ms = v;
            else
                add(h, line, v);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    free(text);
    return 0;
}

int history_load_junit(struct history *h, const char *path,
                       struct isotest_err *e)
{
    struct junit_report rep;

    memset(h, 0, sizeof(*h));
    if (junit_read_load(&rep, path, e) < 0)
        return -1;
    for (size_t i = 0; i < rep.ncases; i++) {
        const struct junit_case *c = &rep.cases[i];
        if (!c->name || !c->timed)
            continue; /* an untimed case says nothing about its duration */
        char *key = junit_read_case_id(&rep, c);
        add(h, key, c->time_ms);
        free(key);
    }
    if (rep.timed)
        h->wall_ms = rep.time_ms;
    junit_read_release(&rep);
    h->present = true;
    return 0;
}

void history_release(struct history *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->keys[i]);
    free(h->keys);
    free(h->ms);
    memset(h, 0, sizeof(*h));
}

/*
 * A key is the case's id ("shop/tap/x"), or, in files written before ids
 * were the one spelling, "classname::name" ("shop.tap::x").
 */
static bool key_is(const char *k, const char *id, const char *classname,
                   const char *name)
{
    if (id && !strcmp(k, id))
        return true;
    if (!classname || !name)
        return false;
    size_t cl = strlen(classname);
    return !strncmp(k, classname, cl) && k[cl] == ':' && k[cl + 1] == ':' &&
           !strcmp(k + cl + 2, name);
}

double history_lookup(const struct history *h, const char *id,
                      const char *classname, const char *name)
{
    /* The id first: an old key may linger beside the new one. */
    for (size_t i = 0; i < h->n; i++)
        if (key_is(h->keys[i], id, NULL, NULL))
            return h->ms[i];
    for (size_t i = 0; i < h->n; i++)
        if (key_is(h->keys[i], NULL, classname, name))
            return h->ms[i];
    return -1;
}

/*
 * A duration worth keeping: the case ran in a sandbox.  One whose sandbox
 * could not be had (a failed clone, a server gone) has a time of 0 that
 * says nothing: its earlier duration is kept instead.
 */
static bool recorded(const struct test_result *r)
{
    return result_ran(r) && r->sandbox;
}

int history_save(const char *path, const struct history *prev,
                 const struct test_result *r, size_t n, double wall_ms,
                 struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, MAGIC);
    strbuf_addf(&sb, "wall_ms\t%.1f\n", wall_ms);
    for (size_t i = 0; i < n; i++)
        if (recorded(&r[i]))
            strbuf_addf(&sb, "%s\t%.1f%s\n", r[i].id, r[i].time_ms,
                        result_flaky(&r[i]) ? "\tflaky" : "");
    for (size_t k = 0; prev && k < prev->n; k++) {
        bool replaced = false;
        for (size_t i = 0; i < n && !replaced; i++)
            replaced = recorded(&r[i]) && key_is(prev->keys[k], r[i].id,
                                                 r[i].classname, r[i].name);
        if (!replaced)
            strbuf_addf(&sb, "%s\t%.1f\n", prev->keys[k], prev->ms[k]);
    }
    int rc = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    if (rc < 0)
        return err_prefix(e, "cannot save the run history");
    return 0;
}

struct slot {
    size_t index;
    double ms; /* -1: unknown */
    const char *id;
};

static int cmp_slot(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    bool xu = x->ms < 0, yu = y->ms < 0;

    if (xu != yu)
        return xu ? -1 : 1;
    if (x->ms != y->ms)
        return x->ms > y->ms ? -1 : 1;
    return strcmp(x->id, y->id);
}

size_t *history_schedule(const struct history *h, const struct case_list *cl)
{
    struct slot *s = xcalloc(cl->n ? cl->n : 1, sizeof(*s));
    size_t *order = xcalloc(cl->n ? cl->n : 1, sizeof(*order));

    for (size_t i = 0; i < cl->n; i++) {
        s[i].index = i;
        s[i].id = cl->v[i].id;
        s[i].ms = h ? history_lookup(h, cl->v[i].id, cl->v[i].classname,
                                     cl->v[i].name)
                    : -1;
    }
    /* Without any history, keep the id order. */
    if (h && h->n)
        qsort(s, cl->n, sizeof(*s), cmp_slot);
    for (size_t i = 0; i < cl->n; i++)
        order[i] = s[i].index;
    free(s);
    return order;
}
