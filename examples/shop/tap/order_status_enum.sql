-- The order_status enum and the transition table built on it.
-- Literals are cast explicitly: in schema mode the database's public schema
-- holds a second copy of the shop (with its own order_status type), and
-- order_status_allowed(unknown, unknown) would be ambiguous there.
\i helpers/setup.psql

BEGIN;
SELECT plan(12);

SELECT has_enum('order_status');
SELECT enum_has_labels('order_status',
    ARRAY['pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded']);
SELECT enum_has_labels('stock_reason',
    ARRAY['initial', 'restock', 'sale', 'return', 'correction']);

SELECT ok(order_status_allowed('pending'::order_status, 'paid'),        'pending -> paid');
SELECT ok(order_status_allowed('pending'::order_status, 'cancelled'),   'pending -> cancelled');
SELECT ok(order_status_allowed('paid'::order_status, 'shipped'),        'paid -> shipped');
SELECT ok(order_status_allowed('delivered'::order_status, 'refunded'),  'delivered -> refunded');
SELECT ok(NOT order_status_allowed('shipped'::order_status, 'pending'), 'shipped orders cannot go back to pending');
SELECT ok(NOT order_status_allowed('cancelled'::order_status, 'paid'),  'cancelled is final');
SELECT ok(NOT order_status_allowed('refunded'::order_status, 'paid'),   'refunded is final');

SELECT is((SELECT count(*) FROM unnest(enum_range(NULL::order_status)) f,
                                 unnest(enum_range(NULL::order_status)) t
           WHERE order_status_allowed(f, t)),
          7::bigint, 'seven transitions are allowed in total');

SELECT throws_ok($$SELECT 'lost'::order_status$$, '22P02', NULL,
                 'unknown status labels are rejected');

SELECT * FROM finish();
ROLLBACK;
