\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

\i helpers/setup.psql
\echo '# schema structure of the shop'

BEGIN;
SELECT plan(49);

-- Tables (22) and views (7); unqualified, so they are looked up through
-- search_path (works in database mode and in schema mode).
SELECT has_table(t) FROM unnest(ARRAY[
    'currencies', 'countries', 'customers', 'addresses', 'brands', 'categories',
    'products', 'product_categories', 'warehouses', 'stock_levels', 'stock_movements',
    'orders', 'order_lines', 'payments', 'shipments', 'shipment_items', 'coupons',
    'coupon_redemptions', 'audit_log', 'reviews', 'wishlists', 'wishlist_items'
]::name[]) AS t;

SELECT has_view(v) FROM unnest(ARRAY[
    'order_totals', 'customer_lifetime_value', 'product_sales', 'stock_on_hand',
    'low_stock', 'product_ratings', 'daily_revenue_eur'
]::name[]) AS v;

SELECT has_type('order_status');
SELECT has_type('stock_reason');

SELECT col_is_pk('orders', 'id');
SELECT col_is_pk('stock_levels', ARRAY['product_id', 'warehouse_id']);
SELECT col_is_fk('orders', 'customer_id');
SELECT fk_ok('order_lines', 'order_id', 'orders', 'id');
SELECT fk_ok('order_lines', 'product_id', 'products', 'id');
SELECT fk_ok('categories', 'parent_id', 'categories', 'id');
SELECT col_type_is('orders', 'status', 'order_status');
SELECT col_has_default('orders', 'status');
SELECT col_not_null('customers', 'email');
SELECT col_has_check('order_lines', 'quantity');
SELECT col_has_check('reviews', 'rating');

SELECT has_index('customers', 'customers_email_key');
SELECT index_is_unique('customers', 'customers_email_key');
SELECT has_index('addresses', 'addresses_one_default_per_customer');
SELECT index_is_unique('addresses', 'addresses_one_default_per_customer');
SELECT ok((SELECT indpred IS NOT NULL FROM pg_index
           WHERE indexrelid = 'addresses_one_default_per_customer'::regclass),
          'one default address per customer is a partial index');
SELECT ok((SELECT indpred IS NOT NULL FROM pg_index
           WHERE indexrelid = 'orders_open_idx'::regclass),
          'open orders index is partial');
SELECT is_indexed('order_lines', 'product_id');

SELECT * FROM finish();
ROLLBACK;
