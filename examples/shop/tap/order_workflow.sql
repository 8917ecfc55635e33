\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

\i helpers/setup.psql
\echo '# order status workflow'

BEGIN;
SELECT plan(12);

SELECT place_order(:lena, '[{"sku": "KIT-0004", "qty": 1}]', NULL, now() - interval '2 hours') AS o \gset

SELECT throws_ok(format('UPDATE orders SET status = %L WHERE id = %s', 'shipped', :o), 'SHP04',
                 format('invalid status transition pending -> shipped for order %s', :o),
                 'cannot ship an unpaid order');

SELECT is(record_payment(:o, 50.00, 'card'), 'pending'::order_status, 'partial payment keeps the order pending');
SELECT is(record_payment(:o, (SELECT total - 50.00 FROM order_totals WHERE order_id = :o), 'card'),
          'paid'::order_status, 'paying the rest marks it paid');
SELECT isnt((SELECT paid_at FROM orders WHERE id = :o), NULL, 'paid_at is set');
SELECT throws_ok(format('SELECT record_payment(%s, 1, %L)', :o, 'card'), 'SHP02', NULL,
                 'paid orders take no more payments');
SELECT throws_ok(format('INSERT INTO order_lines (order_id, product_id, quantity) VALUES (%s, 1, 1)', :o),
                 'SHP02', NULL, 'paid orders take no more lines');

SELECT lives_ok(format('UPDATE orders SET status = %L WHERE id = %s', 'shipped', :o), 'paid -> shipped');
SELECT lives_ok(format('UPDATE orders SET status = %L WHERE id = %s', 'delivered', :o), 'shipped -> delivered');
SELECT ok((SELECT placed_at < paid_at AND paid_at <= shipped_at AND shipped_at <= delivered_at
           FROM orders WHERE id = :o), 'workflow timestamps are in order');
SELECT throws_ok(format('UPDATE orders SET status = %L WHERE id = %s', 'cancelled', :o), 'SHP04', NULL,
                 'delivered orders cannot be cancelled');
SELECT lives_ok(format('UPDATE orders SET status = %L WHERE id = %s', 'refunded', :o), 'delivered -> refunded');

SELECT is((SELECT paid_orders FROM customer_lifetime_value WHERE customer_id = :lena), 0::bigint,
          'refunded orders do not count towards lifetime value');

SELECT * FROM finish();
ROLLBACK;
