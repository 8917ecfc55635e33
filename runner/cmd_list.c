/*
 * cmd_list.c: `isotest list`, and the steps run and list share: finding
 * the cases, the history's path, choosing a shard's part.
 */
#include "commands.h"
#include "common/strbuf.h"
#include "config.h"
#include "discover.h"
#include "history.h"
#include "options.h"
#include "pgtap_funcs.h"
#include "shard.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_discover(const struct run_options *o, struct case_list *cl,
                 struct isotest_err *e)
{
    struct discover_opts d = {.paths = o->paths,
                              .npaths = o->npaths,
                              .migrations = o->migrations,
                              .filters = o->filters,
                              .nfilters = o->nfilters,
                              .list_cmd = o->list_cmd,
                              .each_cmd = o->each_cmd,
                              .interrupted = signals_interrupted};

    if (discover(&d, cl, e) < 0)
        return -1;
    if (cl->n || o->pgtap_functions) /* functions: found later */
        return 0;
    /* Why files were not cases matters most when none is. */
    if (cl->notes.len)
        fputs(cl->notes.buf, stderr);
    struct strbuf where = STRBUF_INIT;
    for (size_t i = 0; i < o->npaths; i++)
        strbuf_addf(&where, "%s'%s'", i ? ", " : "", o->paths[i]);
    if (o->nfilters)
        err_set(e, "no test case under %s matches the --filter given",
                where.buf);
    else
        err_set(e,
                "no test cases found under %s (looked for *.sql files "
                "and executables)",
                where.buf);
    strbuf_release(&where);
    case_list_release(cl);
    return -1;
}

/* SUITE/.isotest-history (config.h says which folder SUITE is). */
char *cmd_history_path(const struct run_options *o)
{
    char *dir = config_suite_dir(o->paths, o->npaths);
    char *path = strcmp(dir, ".") ? xasprintf("%s/.isotest-history", dir)
                                  : xstrdup(".isotest-history");

    free(dir);
    return path;
}

/* --shard: keep this part's cases, and say on stderr what it holds. */
void cmd_apply_shard(const struct run_options *o, struct case_list *cl,
                     const struct history *h, const char *source,
                     struct shard_plan *p)
{
    shard_apply(cl, h, o->shard, p);
    char *line = shard_describe(p, h->present ? source : NULL);
    fprintf(stderr, "%s\n", line);
    free(line);
    if (!cl->n)
        fprintf(stderr,
                "isotest: note: shard %s has no case (%zu cases for %d "
                "shards): nothing to run\n",
                p->label, p->suite_cases, p->sh.total);
}

/* `list --shard`: the history a run would read, then the part. */
static int list_shard(const struct run_options *o, struct case_list *cl,
                      struct isotest_err *e)
{
    struct history h;
    struct shard_plan p;
    char *path = o->no_history ? NULL
                 : o->history  ? xstrdup(o->history)
                               : cmd_history_path(o);
    int rc = 0;

    memset(&h, 0, sizeof(h));
    if (o->compare_with)
        rc = history_load_junit(&h, o->compare_with, e);
    else if (path)
        rc = history_load(&h, path, e);
    if (rc == 0)
        cmd_apply_shard(o, cl, &h, o->compare_with ? o->compare_with : path,
                        &p);
    history_release(&h);
    free(path);
    return rc;
}

int cmd_list(int argc, char **argv)
{
    struct run_options o;
    struct case_list cl;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (options_parse(argc, argv, &o, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (o.help) {
        fputs("usage: isotest list [run options] PATH...\n"
              "Prints the ids of the cases a run would execute.\n"
              "With --shard K/N: that part's ids, its expected time on "
              "stderr.\n",
              stdout);
        options_release(&o);
        return 0;
    }
    if (cmd_discover(&o, &cl, &e) < 0) {
        cmd_print_error(NULL, &e);
        options_release(&o);
        return signals_interrupted() ? signals_exit_code() : EXIT_CANNOT;
    }
    if (pgtap_funcs_list(&o, &cl, &e) < 0 ||
        (o.shard.total && list_shard(&o, &cl, &e) < 0)) {
        cmd_print_error(NULL, &e);
        case_list_release(&cl);
        options_release(&o);
        return EXIT_CANNOT;
    }
    for (size_t i = 0; i < cl.n; i++)
        printf("%s\n", cl.v[i].id);
    if (cl.notes.len)
        fputs(cl.notes.buf, stderr);
    case_list_release(&cl);
    options_release(&o);
    return 0;
}
