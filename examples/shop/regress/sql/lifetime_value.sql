--
-- Customer lifetime value (EUR) as orders get paid, cancelled and refunded.
--
SELECT customer_id, email, paid_orders, lifetime_value_eur, first_order_at, last_order_at
FROM customer_lifetime_value ORDER BY customer_id;

-- Oliver pays his open order.
SELECT record_payment(2, 34.95, 'card', 'ch_regress_1');
-- Lena places two orders; she pays one and cancels the other.
SELECT place_order(3, '[{"sku": "OUT-0002", "qty": 1}]', NULL, '2024-08-01 09:00:00+02') AS order_id;
SELECT place_order(3, '[{"sku": "KIT-0001", "qty": 1}]', NULL, '2024-08-02 09:00:00+02') AS order_id;
SELECT record_payment(3, (SELECT total FROM order_totals WHERE order_id = 3), 'sepa');
UPDATE orders SET status = 'cancelled' WHERE id = 4;
-- Anna's seed order is refunded after delivery.
UPDATE orders SET status = 'refunded' WHERE id = 1;

SELECT order_id, customer_id, status, currency, total FROM order_totals ORDER BY order_id;

SELECT customer_id, email, paid_orders, lifetime_value_eur, first_order_at, last_order_at
FROM customer_lifetime_value ORDER BY customer_id;

SELECT * FROM daily_revenue_eur ORDER BY day;
