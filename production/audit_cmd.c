/*
 * audit_cmd.c: `isotest audit`, test objects left in a database that
 * should have none (audit.h says what counts).
 *
 * One read-only connection to the database named; the findings on
 * stdout, one per line, and a summary line; with --junit one testcase per
 * category (tables, schemas, databases).  Exit 0: none found, 1: some
 * found, 2: could not look.  Main thread only.
 */
#include "audit.h"
#include "catalog_conn.h"
#include "catalog_report.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/strbuf.h"
#include "runner/commands.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: isotest audit --db URL [--pattern GLOB] [--junit FILE]\n"
    "\n"
    "Lists test-looking objects in the database at URL (only read, in a\n"
    "read-only transaction): tables and views whose name matches GLOB\n"
    "(default 'test_*'; says whether the name without the prefix is a\n"
    "table too), schemas and databases matching it, those other test tools\n"
    "leave (pgtestdb, sqlx, IntegreSQL, pg_regress) and those of dead\n"
    "isotest runs.  isotest's templates and live runs' sandboxes are not\n"
    "listed.\n"
    "\n"
    "  --db URL        the database (default: the PG* environment)\n"
    "  --pattern GLOB  names that look like tests' (default 'test_*')\n"
    "  --junit FILE    a JUnit report, one testcase per category\n"
    "\n"
    "Exit code: 0 none found, 1 some found, 2 could not look.\n";

struct audit_options {
    bool help;
    const char *db, *pattern, *junit;
};

#define AO(field) offsetof(struct audit_options, field)
static const struct opt_spec specs[] = {
    {"--help", "-h", OPT_FLAG, AO(help), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, AO(db), 0, 0, opt_set_string},
    {"--pattern", NULL, OPT_VALUE, AO(pattern), 0, 0, opt_set_string},
    {"--junit", NULL, OPT_VALUE, AO(junit), 0, 0, opt_set_string},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef AO

static int parse(int argc, char **argv, struct audit_options *o,
                 struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;

    memset(o, 0, sizeof(*o));
    o->pattern = AUDIT_DEFAULT_PATTERN;
    int r = options_scan(argc, argv, specs, o, false, &rest, &nrest, e);
    if (r == 0 && nrest)
        r = err_set(e, "unexpected argument '%s'", rest[0]);
    free(rest);
    if (r == 0 && !*o->pattern)
        r = err_set(e, "invalid value '' for --pattern: expected a glob");
    if (r == 0 && !o->help && !o->db && !isotest_env_names_server())
        r = err_set(e, "no database given: audit needs --db URL (or the PG* "
                       "variables)");
    return r;
}

static int report(const struct audit_options *o, const struct audit *a,
                  const struct catalog_conn *c, double t0,
                  struct isotest_err *e)
{
    struct catalog_report_case cases[AUDIT_NCATS];
    size_t total = audit_total(a);

    for (int k = 0; k < AUDIT_NCATS; k++) {
        fputs(a->found[k].buf, stdout);
        cases[k] = (struct catalog_report_case){audit_category_name(k),
                                                a->found[k].buf, a->count[k]};
    }
    if (total)
        printf("audit: %zu test object%s found in %s and its server "
               "(tables %zu, schemas %zu, databases %zu)\n",
               total, total == 1 ? "" : "s", c->label, a->count[AUDIT_TABLES],
               a->count[AUDIT_SCHEMAS], a->count[AUDIT_DATABASES]);
    else
        printf("audit: no test objects in %s and its server (pattern "
               "'%s')\n",
               c->label, o->pattern);
    if (!o->junit)
        return 0;
    struct junit_property extra[] = {{"isotest.command", "audit"},
                                     {"isotest.database", c->label},
                                     {"isotest.pattern", o->pattern}};
    struct catalog_report cr = {
        .suite = "audit",
        .finding_noun = "test object",
        .server_version = PQparameterStatus(c->conn, "server_version"),
        .wall_ms = now_ms() - t0,
        .extra = extra,
        .n_extra = 3};
    return catalog_report_junit(o->junit, &cr, cases, AUDIT_NCATS, e);
}

int cmd_audit(int argc, char **argv)
{
    struct audit_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct catalog_conn c;
    struct audit a;
    double t0 = now_ms();

    if (parse(argc, argv, &o, &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    if (o.help) {
        fputs(usage, stdout);
        return 0;
    }
    if ((o.junit && fs_check_writable(o.junit, "report", &e) < 0) ||
        catalog_conn_open(&c, o.db, "--db", &e) < 0) {
        cmd_print_error(NULL, &e);
        return EXIT_CANNOT;
    }
    int code = EXIT_CANNOT;
    if (audit_scan(&c, o.pattern, &a, &e) == 0)
        code = audit_total(&a) ? EXIT_FAILED : 0;
    if (code != EXIT_CANNOT && report(&o, &a, &c, t0, &e) < 0)
        code = EXIT_CANNOT;
    if (e.msg)
        cmd_print_error(NULL, &e);
    audit_release(&a);
    catalog_conn_close(&c);
    return code;
}
