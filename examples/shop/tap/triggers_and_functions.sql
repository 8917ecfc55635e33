\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

\i helpers/setup.psql
\echo '# triggers and functions'

BEGIN;
SELECT plan(21);

SELECT has_trigger('customers', 'customers_set_updated_at');
SELECT has_trigger('products', 'products_set_updated_at');
SELECT has_trigger('orders', 'orders_set_updated_at');
SELECT has_trigger('order_lines', 'order_lines_reserve_stock');
SELECT has_trigger('order_lines', 'order_lines_release_stock');
SELECT has_trigger('orders', 'orders_status_workflow');
SELECT has_trigger('orders', 'orders_restock_on_cancel');
SELECT has_trigger('reviews', 'reviews_verified_purchase');
SELECT has_trigger('audit_log', 'audit_log_no_change');
SELECT trigger_is('order_lines', 'order_lines_reserve_stock', 'order_lines_before_insert');
SELECT trigger_is('customers', 'customers_audit', 'audit_row');
SELECT trigger_is('products', 'products_audit', 'audit_row');
SELECT trigger_is('orders', 'orders_audit', 'audit_row');

SELECT has_function('place_order', ARRAY['bigint', 'jsonb', 'bigint', 'timestamp with time zone']);
SELECT has_function('apply_coupon', ARRAY['bigint', 'text']);
SELECT has_function('convert_amount');
SELECT function_returns('place_order', 'bigint');
SELECT function_returns('record_payment', 'order_status');
SELECT function_lang_is('audit_row', 'plpgsql');
SELECT is_strict('convert_amount');

-- Deleting a line of a pending order releases its stock (AFTER DELETE trigger).
SELECT place_order(:oliver, '[{"sku": "OUT-0003", "qty": 5}]') AS o \gset
DELETE FROM order_lines WHERE order_id = :o;
SELECT is(pg_temp.on_hand('OUT-0003'), 15, 'deleting a pending line puts the goods back');

SELECT * FROM finish();
ROLLBACK;
