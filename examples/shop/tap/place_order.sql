\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

\i helpers/setup.psql
\echo '# placing orders'

BEGIN;
SELECT plan(13);

SELECT lives_ok(
    $$SELECT place_order(1, '[{"sku": "KIT-0001", "qty": 2}, {"sku": "OUT-0001", "qty": 1}]')$$,
    'Anna can order two coffee makers and a headlamp');

SELECT is(pg_temp.on_hand('KIT-0001'), 37, 'coffee maker stock went down by 2');
SELECT is(pg_temp.on_hand('OUT-0001'), 63, 'headlamp stock went down by 1');

SELECT results_eq(
    $$SELECT items, subtotal, shipping_fee, tax, total FROM order_totals
      WHERE order_id = (SELECT max(id) FROM orders)$$,
    $$VALUES (3::bigint, 99.79::numeric, 0.00::numeric(12,2), 18.96::numeric, 118.75::numeric)$$,
    'totals: 2 x 34.90 + 29.99 net, 19% VAT, free shipping');

SELECT is((SELECT count(*) FROM stock_movements m
           JOIN order_lines l ON l.id = m.order_line_id
           WHERE l.order_id = (SELECT max(id) FROM orders) AND m.reason = 'sale'),
          2::bigint, 'one sale movement per line');

SELECT throws_ok(
    $$SELECT place_order(1, '[{"sku": "OUT-0002", "qty": 4}]')$$,
    'SHP01', 'insufficient stock for OUT-0002 (requested 4, available 5)',
    'a line is served from one warehouse only');

SELECT throws_ok($$SELECT place_order(1, '[]')$$, '22023',
                 'an order needs at least one item', 'empty orders are refused');
SELECT throws_ok($$SELECT place_order(1, '[{"sku": "XXX-0000", "qty": 1}]')$$, 'P0002',
                 'unknown SKU XXX-0000', 'unknown SKUs are refused');
SELECT throws_ok($$SELECT place_order(424242, '[{"sku": "KIT-0001", "qty": 1}]')$$, 'P0002',
                 'unknown customer 424242', 'unknown customers are refused');
SELECT throws_ok($$SELECT place_order(1, '[{"sku": "KIT-0001", "qty": 0}]')$$, '23514',
                 NULL, 'zero quantities violate the check constraint');

-- A small order pays the flat shipping fee, converted to the customer's currency.
SELECT pg_temp.new_customer('tap.small.order@example.ch', 'CH') AS small_buyer \gset
SELECT place_order(:small_buyer, '[{"sku": "OUT-0003", "qty": 1}]') AS small_order \gset
SELECT is((SELECT shipping_fee FROM orders WHERE id = :small_order), 4.71::numeric(12,2),
          'orders under 50 EUR pay 4.90 EUR shipping (4.71 CHF)');
SELECT is((SELECT currency FROM orders WHERE id = :small_order), 'CHF'::char(3),
          'the order is in the customer''s currency');
SELECT is((SELECT shipping_address_id FROM orders WHERE id = :small_order),
          (SELECT id FROM addresses WHERE customer_id = :small_buyer AND is_default),
          'the default address is used for shipping');

SELECT * FROM finish();
ROLLBACK;
