\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
\set ON_ERROR_STOP true

\i helpers/setup.psql
\echo '# coupons'

BEGIN;
SELECT plan(10);

SELECT place_order(:anna, '[{"sku": "OUT-0002", "qty": 1}]') AS big \gset
SELECT place_order(:oliver, '[{"sku": "KIT-0002", "qty": 1}]') AS small \gset

SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', :small, 'summer5'), 'SHP11',
                 'coupon SUMMER5 is not valid now', 'expired coupons are refused');
SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', :small, 'FUTURE25'), 'SHP11',
                 'coupon FUTURE25 is not valid now', 'not-yet-valid coupons are refused');
SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', :small, 'BIGSPENDER'), 'SHP13',
                 'coupon BIGSPENDER needs a subtotal of at least 200.00 EUR', 'minimum subtotal is enforced');
SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', :small, 'NOSUCHCODE'), 'SHP10',
                 'unknown coupon NOSUCHCODE', 'unknown codes are refused');
SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', 1, 'WELCOME10'), 'SHP02',
                 'coupons can only be applied to pending orders', 'only pending orders');

SELECT is(apply_coupon(:big, 'bigspender'), 49.80, '20% off a 249.00 tent');
SELECT results_eq(
    format('SELECT subtotal, discount, tax, total FROM order_totals WHERE order_id = %s', :big),
    $$VALUES (249.00::numeric, 49.80::numeric, 37.85::numeric, 237.05::numeric)$$,
    'discount is taken before VAT');

SELECT is(apply_coupon(:small, 'FIRSTONLY'), 12.82, 'a fixed 15 EUR coupon is worth 12.82 GBP');
SELECT throws_ok(format('SELECT apply_coupon(%s, %L)', :big, 'FIRSTONLY'), 'SHP12',
                 'coupon FIRSTONLY has been used up', 'single-use coupon cannot be used twice');
SELECT is((SELECT count(*) FROM coupon_redemptions), 2::bigint, 'two redemptions recorded');

SELECT * FROM finish();
ROLLBACK;
