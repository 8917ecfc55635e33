/*
 * test_integration_drift.c: `isotest drift` and `isotest run
 * --schema-from`, against a private server playing the production one.
 *
 *   - drift finds nothing when the database is what the migrations make,
 *     and one finding per change of each kind (a missing column, a
 *     changed default, an extra index, a changed function body, an enum
 *     label, a policy, a trigger), with a JUnit case per object kind;
 *     owners and privileges only with --privileges; --schema limits it;
 *   - the template is built on a scratch server (embedded, or
 *     --template-db), never on the inspected one, which drift refuses;
 *   - --schema-from builds the template from the database's schema dump,
 *     reuses it while the schema is unchanged, leaves no dump folder, and
 *     honours --exclude-schema;
 *   - read-only, proven: a role with CONNECT and SELECT only does drift
 *     and --schema-from, and the database's pg_dump is the same before and
 *     after (but for pg_dump's random \restrict lines);
 *   - a password never shows, from a URL or wrong; pg_dump gets it in
 *     PGPASSWORD, never on its command line, and its failure is quoted.
 *
 * Fixtures: tests/fixtures/drift_shop/migrations (one migration with an
 * object of every kind), drift_schema_from (two SQL cases that need the
 * shop's schema).  Each test starts its own private servers (helpers.h):
 * one plays production, another builds the template (--template-db, or
 * --db for runs), so that no other test's session prunes templates under
 * it; drift/none uses the embedded server, the default.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/strbuf.h"
#include "isotest.h"

#define SHOP_MIG FIXTURES "/drift_shop/migrations"
#define SCHEMA_FROM FIXTURES "/drift_schema_from"
#define PASSWORD "Dr1ft-S3cret"

TestSuite(drift, .fini = itest_teardown, .timeout = 240);

/* ---- helpers ------------------------------------------------------------ */

/* A private server with database prod migrated as the shop; its conninfo. */
static char *prod_start(const char *ci, const char *password)
{
    char *admin =
        password ? xasprintf("%s password=%s", ci, password) : xstrdup(ci);
    char *prod = xasprintf("%s dbname=prod", admin);
    char *sql = itest_read_file(SHOP_MIG "/1_shop.sql");

    itest_sql(admin, "CREATE DATABASE prod");
    itest_sql(prod, sql);
    itest_sql(prod, "INSERT INTO customers (email, name) "
                    "VALUES ('ann@example.com', 'Ann')");
    free(sql);
    free(admin);
    return prod;
}

/* Is `line` a whole line of text? */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
            return true;
    return false;
}

static void assert_lines(const struct itest_result *r, const char *const *lines)
{
    for (; *lines; lines++)
        cr_assert(has_line(r->out, *lines), "no line '%s' in\n%s\n%s", *lines,
                  r->out, r->err);
}

/* pg_dump of a database, schema and data, without \restrict lines. */
static char *dump_of(const char *conninfo)
{
    char *out, *err;
    int code =
        itest_run_tool(ARGV("pg_dump", "--dbname", conninfo), &out, &err);
    cr_assert_eq(code, 0, "pg_dump failed: %s", err);
    struct strbuf sb = STRBUF_INIT;
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
        if (strncmp(line, "\\restrict ", 10) &&
            strncmp(line, "\\unrestrict ", 12))
            strbuf_add(&sb, line, len);
        line += len;
    }
    free(out);
    free(err);
    return strbuf_detach(&sb, NULL);
}

static void assert_nowhere(const char *secret, const struct itest_result *r,
                           const char *file, const char *what)
{
    cr_assert(!strstr(r->out, secret), "%s: '%s' on stdout:\n%s", what, secret,
              r->out);
    cr_assert(!strstr(r->err, secret), "%s: '%s' on stderr:\n%s", what, secret,
              r->err);
    if (file && access(file, F_OK) == 0) {
        char *text = itest_read_file(file);
        cr_assert(!strstr(text, secret), "%s: '%s' in %s", what, secret, file);
        free(text);
    }
}

/* ---- drift -------------------------------------------------------------- */

/* The database is what the migrations make: exit 0, 12 passing cases. */
Test(drift, none)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    char *junit = itest_tmpfile("drift.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_run(
        &r,
        ARGV("drift", "--db", prod, "--migrations", SHOP_MIG, "--junit", junit),
        NULL);
    itest_assert_exit(&r, 0, "drift with no change");
    cr_assert(strstr(r.out, "no drift: 'prod' on "), "%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 12, "cases: %ld", jc.tests);
    cr_assert_eq(jc.failures + jc.errors, 0);
    itest_result_release(&r);
    free(junit);
    free(prod);
}

/* One change of each kind, one finding each, one failed case per kind. */
Test(drift, one_change_of_each_kind)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    const char *tpl = itest_cluster_start();
    char *junit = itest_tmpfile("drift.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_sql(prod, "ALTER TABLE orders DROP COLUMN note;"
                    "ALTER TABLE orders ALTER COLUMN quantity SET DEFAULT 2;"
                    "CREATE INDEX orders_created_idx ON orders (created_at);"
                    "CREATE OR REPLACE FUNCTION order_total(quantity integer, "
                    "  price numeric) RETURNS numeric LANGUAGE sql IMMUTABLE "
                    "  AS $$ SELECT quantity * price * 1.2 $$;"
                    "ALTER TYPE order_status ADD VALUE 'refunded';"
                    "ALTER POLICY orders_own ON orders USING (true);"
                    "DROP TRIGGER orders_touch ON orders");
    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", tpl, "--migrations",
                   SHOP_MIG, "--junit", junit),
              NULL);
    itest_assert_exit(&r, 1, "drift");
    assert_lines(
        &r,
        ARGV("column orders.note: missing in database",
             "column orders.quantity: differs: database has integer NOT NULL "
             "DEFAULT 2, migrations have integer NOT NULL DEFAULT 1",
             "index orders_created_idx: only in database",
             "function order_total(quantity integer, price numeric): differs "
             "(- migrations, + database):",
             "    - AS $function$ SELECT quantity * price $function$",
             "    + AS $function$ SELECT quantity * price * 1.2 $function$",
             "enum order_status: differs: database has ('new', 'paid', "
             "'shipped', 'refunded'), migrations have ('new', 'paid', "
             "'shipped')",
             "trigger orders.orders_touch: missing in database"));
    cr_assert(strstr(r.out, "policy orders.orders_own: differs: database has "
                            "permissive for SELECT to PUBLIC using (true), "
                            "migrations have permissive for SELECT to PUBLIC "
                            "using ((customer_id = "),
              "%s", r.out);
    cr_assert(strstr(r.out, "drift: 7 differences (columns 2, indexes 1, "
                            "functions 1, triggers 1, enums 1, policies 1)"),
              "%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 12);
    cr_assert_eq(jc.failures, 6, "failed cases: %ld", jc.failures);
    itest_assert_case(junit, "columns", "failure", "2 differences");
    itest_assert_case(junit, "functions", "failure", "1 difference");
    itest_assert_case(junit, "tables", "passed", NULL);
    itest_result_release(&r);
    free(junit);
    free(prod);
}

/*
 * Owners and privileges count only with --privileges; the template is
 * built on another private server (--template-db).
 */
Test(drift, privileges)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    const char *tpl = itest_cluster_start();
    char *junit = itest_tmpfile("drift.xml");
    struct itest_result r;
    struct itest_junit jc;

    itest_sql(prod, "CREATE ROLE app_owner; CREATE ROLE reporting;"
                    "ALTER TABLE customers OWNER TO app_owner;"
                    "GRANT SELECT ON customers TO reporting;"
                    "GRANT INSERT (status) ON orders TO reporting");
    /* The cached private cluster may come with a template of its own. */
    char *before = itest_db_names(prod, "isotest\\_%");
    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", tpl, "--migrations",
                   SHOP_MIG),
              NULL);
    itest_assert_exit(&r, 0, "drift without --privileges");
    itest_result_release(&r);

    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", tpl, "--migrations",
                   SHOP_MIG, "--privileges", "--junit", junit),
              NULL);
    itest_assert_exit(&r, 1, "drift --privileges");
    assert_lines(
        &r, ARGV("owner of table customers: differs: database has "
                 "app_owner, migrations have postgres",
                 "owner of sequence customers_id_seq: differs: database "
                 "has app_owner, migrations have postgres",
                 "privileges on table customers: differs: database has "
                 "owner: ALL; reporting: SELECT, migrations have owner: ALL",
                 "privileges on column orders.status: differs: database "
                 "has reporting: INSERT, migrations have none granted"));
    cr_assert(strstr(r.out, "drift: 4 differences (owners 2, privileges 2)"),
              "%s", r.out);
    itest_junit_check(junit, &jc);
    cr_assert_eq(jc.tests, 14);
    cr_assert_eq(jc.failures, 2);
    /* Built there, not on the inspected server. */
    char *after = itest_db_names(prod, "isotest\\_%");
    cr_assert_str_eq(after, before,
                     "isotest created databases on the "
                     "inspected server");
    free(after);
    free(before);
    itest_result_release(&r);
    free(junit);
    free(prod);
}

/* Every schema by default; --schema names the ones to compare. */
Test(drift, schema_option)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    const char *tpl = itest_cluster_start();
    struct itest_result r;

    itest_sql(prod, "CREATE SCHEMA scratch;"
                    "CREATE TABLE scratch.junk (id int PRIMARY KEY)");
    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", tpl, "--migrations",
                   SHOP_MIG),
              NULL);
    itest_assert_exit(&r, 1, "drift");
    assert_lines(&r, ARGV("schema scratch: only in database",
                          "table scratch.junk: only in database"));
    /* Its column and primary key are the table's finding, not new ones. */
    cr_assert(!strstr(r.out, "scratch.junk.id"), "%s", r.out);
    itest_result_release(&r);

    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", tpl, "--migrations",
                   SHOP_MIG, "--schema", "public"),
              NULL);
    itest_assert_exit(&r, 0, "drift --schema public");
    itest_result_release(&r);
    free(prod);
}

/* The inspected server is never the template's: refused, exit 2. */
Test(drift, refuses_template_on_inspected_server)
{
    const char *ci = itest_cluster_start();
    char *prod = prod_start(ci, NULL);
    char *before = itest_db_names(ci, "isotest\\_%");
    struct itest_result r;

    itest_run(&r,
              ARGV("drift", "--db", prod, "--template-db", ci, "--migrations",
                   SHOP_MIG),
              NULL);
    itest_assert_exit(&r, 2, "drift --template-db on the same server");
    cr_assert(strstr(r.err, "--template-db names the server of the "
                            "inspected database"),
              "%s", r.err);
    char *after = itest_db_names(ci, "isotest\\_%");
    cr_assert_str_eq(after, before, "databases made on the inspected server");
    free(after);
    free(before);
    itest_result_release(&r);
    /* Nor can it compare without migrations. */
    itest_run(&r, ARGV("drift", "--db", prod, "--migrations", "/nonexistent"),
              NULL);
    itest_assert_exit(&r, 2, "drift without migrations");
    itest_result_release(&r);
    free(prod);
}

/* ---- --schema-from ------------------------------------------------------ */

/*
 * The template comes from the database's schema: the cases that need it
 * pass, the second run reuses the template, no dump folder is left, and
 * nothing was written to the database.  The runs use a private server,
 * where no other test's session prunes templates meanwhile.
 */
Test(drift, schema_from_runs_cases)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    const char *run_server = itest_cluster_start();
    char *tmp = itest_tmpsubdir("tmp");
    char *tmp_env = xasprintf("TMPDIR=%s", tmp);
    char *junit = itest_tmpfile("run.xml");
    char *before = dump_of(prod);
    struct itest_result r;

    for (int i = 0; i < 2; i++) {
        itest_run(&r,
                  ARGV("run", "--no-history", "--db", run_server,
                       "--schema-from", prod, "--junit", junit, SCHEMA_FROM),
                  ARGV(tmp_env));
        itest_assert_exit(&r, 0, "run --schema-from");
        itest_assert_summary(&r, "2 passed, 0 failed, 0 skipped");
        char *reused = itest_junit_property(junit, "isotest.template_reused");
        cr_assert_str_eq(reused, i ? "true" : "false",
                         "run %d: isotest.template_reused", i + 1);
        free(reused);
        itest_result_release(&r);
        itest_assert_empty_dir(tmp, "run --schema-from");
    }
    char *after = dump_of(prod);
    cr_assert_str_eq(after, before, "the database changed");
    free(before);
    free(after);
    free(junit);
    free(tmp_env);
    free(tmp);
    free(prod);
}

/* --exclude-schema leaves a schema out of the template. */
Test(drift, schema_from_exclude_schema)
{
    char *prod = prod_start(itest_cluster_start(), NULL);
    const char *run_server = itest_cluster_start();
    char *suite = itest_tmpsubdir("suite");
    char *cs = itest_tmpfile("suite/no_scratch.sql");
    struct itest_result r;

    itest_sql(prod,
              "CREATE SCHEMA scratch; CREATE TABLE scratch.junk (id int)");
    itest_write_file(cs,
                     "DO $$ BEGIN IF to_regclass('scratch.junk') IS NOT NULL "
                     "THEN RAISE EXCEPTION 'scratch came along'; END IF; "
                     "END $$;\n",
                     0644);
    itest_run(&r,
              ARGV("run", "--no-history", "--db", run_server, "--schema-from",
                   prod, suite),
              NULL);
    itest_assert_exit(&r, 1, "run --schema-from without --exclude-schema");
    itest_result_release(&r);
    itest_run(&r,
              ARGV("run", "--no-history", "--db", run_server, "--schema-from",
                   prod, "--exclude-schema", "scratch", suite),
              NULL);
    itest_assert_exit(&r, 0, "run --schema-from --exclude-schema scratch");
    itest_result_release(&r);
    free(cs);
    free(suite);
    free(prod);
}

/* ---- read-only, proven -------------------------------------------------- */

/*
 * A role with CONNECT and SELECT only (and the USAGE a SELECT needs)
 * does drift and --schema-from; the database's dump is unchanged.
 */
Test(drift, read_only_role)
{
    const char *ci = itest_cluster_start();
    char *prod = prod_start(ci, NULL);
    char *reader = xasprintf("%s dbname=prod user=reader", ci);
    const char *tpl = itest_cluster_start();
    struct itest_result r;

    itest_sql(prod, "CREATE ROLE reader LOGIN;"
                    "REVOKE ALL ON DATABASE prod FROM PUBLIC;"
                    "GRANT CONNECT ON DATABASE prod TO reader;"
                    "GRANT USAGE ON SCHEMA public TO reader;"
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader;"
                    "GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO reader");
    char *before = dump_of(prod);
    itest_run(&r,
              ARGV("drift", "--db", reader, "--template-db", tpl,
                   "--migrations", SHOP_MIG),
              NULL);
    itest_assert_exit(&r, 0, "drift as reader");
    itest_result_release(&r);
    itest_run(&r,
              ARGV("drift", "--db", reader, "--template-db", tpl,
                   "--migrations", SHOP_MIG, "--privileges"),
              NULL);
    itest_assert_exit(&r, 1, "drift --privileges as reader");
    cr_assert(strstr(r.out, "privileges on table customers: differs"), "%s",
              r.out);
    itest_result_release(&r);
    itest_run(&r,
              ARGV("run", "--no-history", "--db", tpl, "--schema-from", reader,
                   SCHEMA_FROM),
              NULL);
    itest_assert_exit(&r, 0, "run --schema-from as reader");
    itest_result_release(&r);
    char *after = dump_of(prod);
    cr_assert_str_eq(after, before, "the database changed");
    free(before);
    free(after);
    free(reader);
    free(prod);
}

/* ---- passwords ---------------------------------------------------------- */

/* A bin folder whose pg_dump logs its arguments and environment. */
static char *spy_bindir(const char *log)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *real = isotest_pg_bindir(&e);
    char *bin = itest_tmpsubdir("bin");

    cr_assert(real, "no server binaries: %s", e.msg);
    const char *links[] = {"postgres", "initdb", "psql"};
    for (size_t i = 0; i < 3; i++) {
        char *from = xasprintf("%s/%s", real, links[i]);
        char *to = xasprintf("%s/%s", bin, links[i]);
        cr_assert_eq(symlink(from, to), 0, "symlink %s", to);
        free(from);
        free(to);
    }
    char *script = xasprintf(
        "#!/bin/sh\nprintf 'argv: %%s\\n' \"$*\" >> '%s'\n"
        "printf 'PGPASSWORD %%s\\nPGOPTIONS %%s\\n' \"${PGPASSWORD:+set}\" "
        "\"$PGOPTIONS\" >> '%s'\nexec '%s/pg_dump' \"$@\"\n",
        log, log, real);
    char *path = xasprintf("%s/pg_dump", bin);
    itest_write_file(path, script, 0755);
    free(path);
    free(script);
    free(real);
    return bin;
}

/*
 * The password is in none of drift's, audit's or --schema-from's outputs
 * and reports, right or wrong; pg_dump gets it in PGPASSWORD only, with
 * read-only transactions asked for, and its failure is quoted.
 */
Test(drift, password_never_shown)
{
    const char *ci = itest_password_server_start(PASSWORD);
    char *url = xasprintf("postgresql://postgres:" PASSWORD "@/prod?host=%s"
                          "&port=5432",
                          itest_cluster_sockdir());
    char *bad = xasprintf("postgresql://postgres:Wr0ng-Pa55-QQ@/prod?host=%s"
                          "&port=5432",
                          itest_cluster_sockdir());
    char *prod = prod_start(ci, PASSWORD);
    const char *run_server = itest_cluster_start();
    char *log = itest_tmpfile("pg_dump.log");
    char *bin = spy_bindir(log);
    char *bin_env = xasprintf("ISOTEST_PG_BINDIR=%s", bin);
    char *junit = itest_tmpfile("report.xml");
    struct itest_result r;

    itest_run(&r,
              ARGV("drift", "--db", url, "--template-db", run_server,
                   "--migrations", SHOP_MIG, "--junit", junit),
              NULL);
    itest_assert_exit(&r, 0, "drift with a password");
    assert_nowhere(PASSWORD, &r, junit, "drift");
    itest_result_release(&r);
    itest_run(&r, ARGV("audit", "--db", url, "--junit", junit), NULL);
    itest_assert_exit(&r, 0, "audit with a password");
    assert_nowhere(PASSWORD, &r, junit, "audit");
    itest_result_release(&r);
    itest_run(&r,
              ARGV("run", "--no-history", "--db", run_server, "--schema-from",
                   url, "--junit", junit, SCHEMA_FROM),
              ARGV(bin_env));
    itest_assert_exit(&r, 0, "run --schema-from with a password");
    assert_nowhere(PASSWORD, &r, junit, "run --schema-from");
    itest_result_release(&r);
    char *spied = itest_read_file(log);
    cr_assert(!strstr(spied, PASSWORD), "pg_dump's argv: %s", spied);
    cr_assert(strstr(spied, "PGPASSWORD set\n"), "%s", spied);
    cr_assert(strstr(spied, "default_transaction_read_only=on"), "%s", spied);
    free(spied);

    /* A wrong one: exit 2, libpq's and pg_dump's reason, no password. */
    const char *const cmds[][8] = {
        {"drift", "--db", bad, "--migrations", SHOP_MIG, NULL},
        {"audit", "--db", bad, NULL},
        {"run", "--no-history", "--db", run_server, "--schema-from", bad,
         SCHEMA_FROM, NULL}};
    for (size_t i = 0; i < 3; i++) {
        itest_run(&r, cmds[i], ARGV(bin_env));
        itest_assert_exit(&r, 2, cmds[i][0]);
        cr_assert(strstr(r.err, "password authentication failed"), "%s", r.err);
        assert_nowhere("Wr0ng-Pa55-QQ", &r, NULL, cmds[i][0]);
        assert_nowhere(PASSWORD, &r, NULL, cmds[i][0]);
        if (i == 2)
            cr_assert(strstr(r.err, "pg_dump exited with code 1: pg_dump: "
                                    "error: "),
                      "%s", r.err);
        itest_result_release(&r);
    }
    free(junit);
    free(bin_env);
    free(bin);
    free(log);
    free(prod);
    free(bad);
    free(url);
}
