/*
 * tests.c: a Criterion suite over an inventory schema (migrations/), one
 * fresh PostgreSQL sandbox per test.
 *
 * Run it under `isotest exec -- ./tests --jobs 4` (make check).  Criterion
 * runs every test in a process of its own; each test's .init asks isotest
 * exec's socket for a sandbox through libisotest's client, so that all the
 * processes share one session and its pool of ready clones, and .fini
 * gives it back.  The tests would collide without that: they insert the
 * same keys, truncate tables, count rows and read the sequences' next
 * values, all in parallel.
 *
 * Layout: the fixture; SQL helpers; the tests (products, stock, transfers).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <isotest.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the fixture -------------------------------------------------------- */

/* This test's process: one client, one sandbox, one connection. */
static struct isotest_client *client;
static struct isotest_sandbox *sandbox;
static PGconn *db;

static void sandbox_init(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char id[256];

    client = isotest_client_attach(NULL, &e);
    cr_assert(client, "%s%s%s", e.msg, e.hint ? "; " : "",
              e.hint ? e.hint : "");
    /* The JUnit "classname.name" of the test, for isotest's report. */
    snprintf(id, sizeof(id), "%s.%s", criterion_current_suite->name,
             criterion_current_test->name);
    sandbox = isotest_client_acquire(client, id, &e);
    cr_assert(sandbox, "cannot get a sandbox: %s", e.msg);
    db = PQconnectdb(isotest_sandbox_conninfo(sandbox));
    cr_assert(PQstatus(db) == CONNECTION_OK, "cannot connect to %s: %s",
              isotest_sandbox_name(sandbox), PQerrorMessage(db));
}

/* Also runs after a failed assertion, and after a failed init. */
static void sandbox_fini(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    PQfinish(db);
    db = NULL;
    if (sandbox && isotest_sandbox_release(sandbox, 0, NULL, &e) < 0)
        cr_log_warn("cannot release the sandbox: %s", e.msg);
    sandbox = NULL;
    isotest_err_release(&e);
    isotest_client_detach(client);
    client = NULL;
}

TestSuite(products, .init = sandbox_init, .fini = sandbox_fini);
TestSuite(stock, .init = sandbox_init, .fini = sandbox_fini);
TestSuite(transfers, .init = sandbox_init, .fini = sandbox_fini);

/* ---- SQL helpers -------------------------------------------------------- */

/* Run sql with n text parameters; its status must be `want`. */
static PGresult *run(ExecStatusType want, const char *sql, int n,
                     const char *const *params)
{
    PGresult *res = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);

    cr_assert(PQresultStatus(res) == want, "%s\n%s", sql,
              PQresultErrorMessage(res));
    return res;
}

/* A statement that must succeed. */
static void exec_ok(const char *sql)
{
    PGresult *res = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(res);

    cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s\n%s", sql,
              PQresultErrorMessage(res));
    PQclear(res);
}

/* The one value a query returns, as a long. */
static long value_of(const char *sql)
{
    PGresult *res = run(PGRES_TUPLES_OK, sql, 0, NULL);

    cr_assert_eq(PQntuples(res), 1, "%s: %d rows", sql, PQntuples(res));
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return v;
}

static long count_rows(const char *table)
{
    char sql[128];

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    return value_of(sql);
}

/* The SQLSTATE of a statement that must fail. */
static void assert_fails(const char *sql, const char *sqlstate)
{
    PGresult *res = PQexec(db, sql);

    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR,
                 "succeeded, expected SQLSTATE %s: %s", sqlstate, sql);
    const char *got = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    cr_assert_str_eq(got, sqlstate, "%s\n%s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

/* On-hand quantity of a SKU in a warehouse (0 without a stock row). */
static long on_hand(const char *sku, const char *warehouse)
{
    const char *p[] = {sku, warehouse};
    PGresult *res = run(PGRES_TUPLES_OK,
                        "SELECT coalesce(sum(s.on_hand), 0) FROM stock s "
                        "JOIN products p ON p.id = s.product_id "
                        "WHERE p.sku = $1 AND s.warehouse = $2",
                        2, p);
    long v = strtol(PQgetvalue(res, 0, 0), NULL, 10);

    PQclear(res);
    return v;
}

/* Record a movement of `quantity` (negative: out) for a SKU. */
static PGresult *move(const char *sku, const char *warehouse,
                      const char *quantity, const char *reason)
{
    const char *p[] = {sku, warehouse, quantity, reason};

    return PQexecParams(db,
                        "INSERT INTO movements "
                        "(product_id, warehouse, quantity, reason) "
                        "SELECT id, $2, $3::integer, $4 FROM products "
                        "WHERE sku = $1",
                        4, NULL, p, NULL, NULL, 0);
}

static void move_ok(const char *sku, const char *warehouse,
                    const char *quantity, const char *reason)
{
    PGresult *res = move(sku, warehouse, quantity, reason);

    cr_assert_eq(PQresultStatus(res), PGRES_COMMAND_OK, "%s\n",
                 PQresultErrorMessage(res));
    cr_assert_str_eq(PQcmdTuples(res), "1", "no product %s", sku);
    PQclear(res);
}

static void move_fails(const char *sku, const char *warehouse,
                       const char *quantity, const char *reason,
                       const char *sqlstate)
{
    PGresult *res = move(sku, warehouse, quantity, reason);

    cr_assert_eq(PQresultStatus(res), PGRES_FATAL_ERROR,
                 "moving %s %s at %s succeeded", quantity, sku, warehouse);
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), sqlstate, "%s",
                     PQresultErrorMessage(res));
    PQclear(res);
}

/* ---- products ----------------------------------------------------------- */

Test(products, the_sandbox_is_ours)
{
    PGresult *res = run(PGRES_TUPLES_OK, "SELECT current_database()", 0, NULL);

    cr_assert_str_eq(PQgetvalue(res, 0, 0), isotest_sandbox_dbname(sandbox));
    PQclear(res);
    cr_assert_eq(strncmp(isotest_sandbox_name(sandbox), "isotest_", 8), 0);
}

Test(products, the_catalogue_starts_with_three)
{
    cr_assert_eq(count_rows("products"), 3);
    cr_assert_eq(count_rows("warehouses"), 2);
}

Test(products, a_new_product_gets_id_4)
{
    /* The identity's next value: any other test's insert would take it. */
    cr_assert_eq(value_of("INSERT INTO products (sku, name, price_cents) "
                          "VALUES ('GLUE-50ML', 'Wood glue 50 ml', 450) "
                          "RETURNING id"),
                 4);
}

Test(products, the_same_sku_added_by_another_test)
{
    /* a_new_product_gets_id_4 adds GLUE-50ML too: it must be free here. */
    exec_ok("INSERT INTO products (sku, name, price_cents) "
            "VALUES ('GLUE-50ML', 'Glue, big tube', 1290)");
    cr_assert_eq(count_rows("products"), 4);
}

Test(products, sku_is_unique)
{
    assert_fails("INSERT INTO products (sku, name, price_cents) "
                 "VALUES ('BOLT-M6', 'Another bolt', 20)",
                 "23505");
}

Test(products, sku_format_is_checked)
{
    assert_fails("INSERT INTO products (sku, name, price_cents) "
                 "VALUES ('bolt m6', 'Lower case', 20)",
                 "23514");
}

Test(products, price_cannot_be_negative)
{
    assert_fails("UPDATE products SET price_cents = -1 WHERE sku = 'NUT-M6'",
                 "23514");
}

Test(products, price_change_is_seen)
{
    exec_ok("UPDATE products SET price_cents = 9499 WHERE sku = 'DRILL-18V'");
    cr_assert_eq(value_of("SELECT price_cents FROM products "
                          "WHERE sku = 'DRILL-18V'"),
                 9499);
    /* 4 drills in Lyon. */
    cr_assert_eq(value_of("SELECT value_cents FROM stock_value "
                          "WHERE warehouse = 'LYS'"),
                 4 * 9499);
}

Test(products, the_original_price_is_intact)
{
    /* price_change_is_seen raises it, in its own sandbox. */
    cr_assert_eq(value_of("SELECT price_cents FROM products "
                          "WHERE sku = 'DRILL-18V'"),
                 8999);
}

Test(products, a_product_with_history_cannot_go)
{
    assert_fails("DELETE FROM products WHERE sku = 'BOLT-M6'", "23503");
}

Test(products, truncate_the_catalogue)
{
    exec_ok("TRUNCATE products, stock, movements RESTART IDENTITY");
    cr_assert_eq(count_rows("products"), 0);
    cr_assert_eq(value_of("INSERT INTO products (sku, name, price_cents) "
                          "VALUES ('FIRST', 'The first again', 1) "
                          "RETURNING id"),
                 1);
}

Test(products, discontinued_products_take_no_receipts)
{
    exec_ok("UPDATE products SET discontinued = true WHERE sku = 'NUT-M6'");
    move_fails("NUT-M6", "PAR", "10", "receipt", "23514");
    /* Selling what is left is fine. */
    move_ok("NUT-M6", "PAR", "-250", "sale");
    cr_assert_eq(on_hand("NUT-M6", "PAR"), 0);
}

/* ---- stock -------------------------------------------------------------- */

Test(stock, levels_come_from_the_seed_receipts)
{
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 100);
    cr_assert_eq(on_hand("NUT-M6", "PAR"), 250);
    cr_assert_eq(on_hand("DRILL-18V", "LYS"), 4);
    cr_assert_eq(count_rows("stock"), 3);
}

Test(stock, a_receipt_adds)
{
    move_ok("BOLT-M6", "PAR", "50", "receipt");
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 150);
}

Test(stock, a_sale_takes_away)
{
    move_ok("BOLT-M6", "PAR", "-30", "sale");
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 70);
}

Test(stock, no_overselling)
{
    move_fails("BOLT-M6", "PAR", "-101", "sale", "23514");
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 100);
    cr_assert_eq(count_rows("movements"), 3);
}

Test(stock, no_sale_from_an_empty_warehouse)
{
    move_fails("NUT-M6", "LYS", "-1", "sale", "23514");
    cr_assert_eq(count_rows("stock"), 3);
}

Test(stock, a_first_receipt_creates_the_level)
{
    move_ok("NUT-M6", "LYS", "12", "receipt");
    cr_assert_eq(on_hand("NUT-M6", "LYS"), 12);
    cr_assert_eq(count_rows("stock"), 4);
}

Test(stock, movement_ids_continue_after_the_seed)
{
    move_ok("DRILL-18V", "LYS", "-1", "sale");
    cr_assert_eq(value_of("SELECT max(id) FROM movements"), 4);
    cr_assert_eq(value_of("SELECT nextval('movements_id_seq')"), 5);
}

Test(stock, zero_and_unknown_reasons_are_refused)
{
    move_fails("BOLT-M6", "PAR", "0", "receipt", "23514");
    move_fails("BOLT-M6", "PAR", "5", "gift", "23514");
    cr_assert_eq(count_rows("movements"), 3);
}

Test(stock, unknown_warehouse_is_refused)
{
    move_fails("BOLT-M6", "MRS", "5", "receipt", "23503");
}

Test(stock, movements_are_append_only)
{
    assert_fails("UPDATE movements SET quantity = 1000", "42501");
    assert_fails("DELETE FROM movements", "42501");
    cr_assert_eq(count_rows("movements"), 3);
}

Test(stock, truncating_the_journal_keeps_the_levels)
{
    /* TRUNCATE fires no row trigger: the journal empties, levels stay. */
    exec_ok("TRUNCATE movements");
    cr_assert_eq(count_rows("movements"), 0);
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 100);
}

Test(stock, value_per_warehouse)
{
    /* 100 x 15 + 250 x 5 in Paris, 4 x 8999 in Lyon. */
    cr_assert_eq(value_of("SELECT value_cents FROM stock_value "
                          "WHERE warehouse = 'PAR'"),
                 2750);
    cr_assert_eq(value_of("SELECT value_cents FROM stock_value "
                          "WHERE warehouse = 'LYS'"),
                 35996);
}

/* ---- transfers ---------------------------------------------------------- */

Test(transfers, moves_stock_between_warehouses)
{
    exec_ok("SELECT transfer('BOLT-M6', 'PAR', 'LYS', 40)");
    cr_assert_eq(on_hand("BOLT-M6", "PAR"), 60);
    cr_assert_eq(on_hand("BOLT-M6", "LYS"), 40);
    cr_assert_eq(count_rows("movements"), 5);
    cr_assert_eq(value_of("SELECT sum(quantity) FROM movements "
                          "WHERE reason = 'transfer'"),
                 0);
}

Test(transfers, too_many_moves_nothing)
{
    assert_fails("SELECT transfer('DRILL-18V', 'LYS', 'PAR', 5)", "23514");
    cr_assert_eq(on_hand("DRILL-18V", "LYS"), 4);
    cr_assert_eq(on_hand("DRILL-18V", "PAR"), 0);
    cr_assert_eq(count_rows("movements"), 3);
}

Test(transfers, needs_two_warehouses_and_a_quantity)
{
    assert_fails("SELECT transfer('BOLT-M6', 'PAR', 'PAR', 1)", "23514");
    assert_fails("SELECT transfer('BOLT-M6', 'PAR', 'LYS', 0)", "23514");
    assert_fails("SELECT transfer('NO-SUCH', 'PAR', 'LYS', 1)", "P0002");
}

Test(transfers, a_round_trip_leaves_the_levels)
{
    exec_ok("SELECT transfer('NUT-M6', 'PAR', 'LYS', 100)");
    exec_ok("SELECT transfer('NUT-M6', 'LYS', 'PAR', 100)");
    cr_assert_eq(on_hand("NUT-M6", "PAR"), 250);
    cr_assert_eq(on_hand("NUT-M6", "LYS"), 0);
    cr_assert_eq(count_rows("movements"), 7);
}
