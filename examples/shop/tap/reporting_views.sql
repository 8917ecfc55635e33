-- Reporting views over a small, known set of orders.
\i helpers/setup.psql

BEGIN;
SELECT plan(8);

SELECT results_eq(
    $$SELECT customer_id, paid_orders, lifetime_value_eur FROM customer_lifetime_value ORDER BY customer_id$$,
    $$VALUES (1::bigint, 1::bigint, 99.84::numeric), (2, 0, 0), (3, 0, 0)$$,
    'only Anna has paid for an order');

-- Oliver pays his seed order (34.95 GBP); Lena buys and pays a knife.
SELECT record_payment(2, 34.95, 'card') AS oliver_status \gset
SELECT place_order(:lena, '[{"sku": "KIT-0004", "qty": 1}]', NULL, '2024-06-30 23:30:00+02') AS lena_order \gset
SELECT record_payment(:lena_order, (SELECT total FROM order_totals WHERE order_id = :lena_order), 'sepa') AS lena_status \gset

SELECT results_eq(
    $$SELECT customer_id, paid_orders, lifetime_value_eur FROM customer_lifetime_value ORDER BY customer_id$$,
    $$VALUES (1::bigint, 1::bigint, 99.84::numeric), (2, 1, 40.89), (3, 1, 96.21)$$,
    'lifetime values in EUR after two more payments');

SELECT is((SELECT total FROM order_totals WHERE order_id = :lena_order), 92.51::numeric,
          '89.00 EUR knife = 85.58 CHF + 8.1% VAT = 92.51 CHF');

SELECT set_eq(
    $$SELECT day FROM daily_revenue_eur$$,
    $$VALUES ('2024-04-02'::date), ('2024-05-14'), ('2024-06-30')$$,
    'revenue days are Berlin calendar days');

SELECT results_eq(
    $$SELECT sku, units_sold, buyers FROM product_sales WHERE units_sold > 0 ORDER BY sku$$,
    $$VALUES ('KIT-0001'::text, 1::bigint, 1::bigint), ('KIT-0002', 2, 1), ('KIT-0004', 1, 1), ('OUT-0001', 1, 1)$$,
    'product sales');

SELECT bag_eq(
    $$SELECT sku FROM low_stock$$,
    $$VALUES ('OUT-0003'::text)$$,
    'only the sporks are low on stock');

SELECT results_eq(
    $$SELECT sku, reviews, avg_rating, verified_reviews FROM product_ratings WHERE reviews > 0 ORDER BY sku$$,
    $$VALUES ('KIT-0001'::text, 1::bigint, 5.00::numeric, 1::bigint),
             ('KIT-0002', 1, 4.00, 1),
             ('OUT-0002', 1, 2.00, 0)$$,
    'product ratings');

SELECT is((SELECT sum(on_hand) FROM stock_on_hand), 169::numeric, 'total units on hand');

SELECT * FROM finish();
ROLLBACK;
