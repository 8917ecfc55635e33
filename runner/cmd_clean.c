/*
 * cmd_clean.c: `isotest clean`, what dead runs left on a server.
 */
#include "commands.h"
#include "common/err.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: isotest clean [--dry-run] [--db URL] [--keep-age SECONDS]\n"
    "                     [--keep-templates N]\n"
    "Drops the databases of dead isotest runs (kept sandboxes once older "
    "than\n--keep-age, default one day) and the templates beyond the newest "
    "N\n(--keep-templates, default 3; 0 drops them all) that no live run "
    "uses.\nTemplates of one suite need no cleaning: a run that builds a "
    "new template\nretires its suite's superseded ones itself.  With no "
    "server named (no --db,\nno PG* variables): stops the embedded servers "
    "of dead runs on this machine\nand removes their folders.\n";

/* 0 is allowed: drop kept sandboxes of dead runs right away. */
static int set_keep_age(const struct opt_spec *s, const char *as, const char *v,
                        void *field, void *dst, struct isotest_err *e)
{
    long secs;

    (void)as, (void)dst;
    if (options_int(s->lng, v, s->min, s->max, &secs, e) < 0)
        return -1;
    *(double *)field = (double)secs;
    return 0;
}

#define CLEAN(field) offsetof(struct isotest_clean_options, field)
static const struct opt_spec specs[] = {
    {"--dry-run", NULL, OPT_FLAG, CLEAN(dry_run), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, CLEAN(db), 0, 0, opt_set_string},
    {"--keep-age", NULL, OPT_VALUE, CLEAN(keep_age_s), 0, 10L * 365 * 86400,
     set_keep_age},
    {"--keep-templates", NULL, OPT_VALUE, CLEAN(keep_templates), 0, 1000000,
     opt_set_int},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef CLEAN

static int parse(int argc, char **argv, struct isotest_clean_options *o,
                 struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;
    int r = options_scan(argc, argv, specs, o, false, &rest, &nrest, e);

    if (r == 0 && nrest)
        r = err_set(e, "unexpected argument '%s'", rest[0]);
    free(rest);
    return r;
}

static void print_report(const struct isotest_clean_options *o,
                         const struct isotest_clean_report *r)
{
    fputs(r->log, stdout);
    printf("%s %d database%s of dead runs (maintenance database '%s')",
           o->dry_run ? "would drop" : "dropped", r->dropped,
           r->dropped == 1 ? "" : "s", r->maint_db);
    if (r->kept_young)
        printf("; %d kept sandbox%s younger than --keep-age left",
               r->kept_young, r->kept_young == 1 ? "" : "es");
    putchar('\n');
    printf("%s %d template%s: clean keeps the newest %d and any a live run "
           "uses (a run retires its own suite's superseded ones)\n",
           o->dry_run ? "would drop" : "dropped", r->templates,
           r->templates == 1 ? "" : "s", o->keep_templates);
    if (r->failed)
        printf("%d could not be dropped\n", r->failed);
}

/* No server named: the embedded servers and folders of dead runs. */
static int clean_embedded(bool dry_run)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *log = NULL;
    int n = isotest_clean_embedded(dry_run, &log, &e);

    if (n < 0) {
        cmd_print_error(NULL, &e);
        free(log);
        return EXIT_CANNOT;
    }
    fputs(log, stdout);
    printf("%s %d embedded server folder%s of dead runs (no server named: "
           "--db URL or the PG* variables clean a server)\n",
           dry_run ? "would remove" : "removed", n, n == 1 ? "" : "s");
    free(log);
    return 0;
}

int cmd_clean(int argc, char **argv)
{
    struct isotest_clean_options o = ISOTEST_CLEAN_OPTIONS_INIT;
    struct isotest_clean_report rep;
    struct isotest_err e = ISOTEST_ERR_INIT;

    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        }
    if (parse(argc, argv, &o, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (!o.db && !isotest_env_names_server())
        return clean_embedded(o.dry_run);
    if (isotest_clean(&o, &rep, &e) < 0) {
        cmd_print_error(NULL, &e);
        free(rep.log);
        return EXIT_CANNOT;
    }
    print_report(&o, &rep);
    int code = rep.failed ? EXIT_FAILED : 0;
    free(rep.log);
    free(rep.maint_db);
    return code;
}
