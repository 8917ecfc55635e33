--
-- Order totals for two new orders: one in EUR with a line discount, one in
-- GBP below the free-shipping threshold.
--
SELECT place_order(1, '[{"sku": "KIT-0003", "qty": 1}, {"sku": "OUT-0003", "qty": 3, "discount_pct": 10}]',
                   NULL, '2024-07-01 10:00:00+02') AS order_id;
SELECT place_order(2, '[{"sku": "OUT-0001", "qty": 1}, {"sku": "OUT-0003", "qty": 1}]',
                   NULL, '2024-07-01 11:00:00+01') AS order_id;

SELECT l.order_id, p.sku, l.quantity, l.unit_price, l.discount_pct, w.code AS warehouse
FROM order_lines l
JOIN products p ON p.id = l.product_id
JOIN warehouses w ON w.id = l.warehouse_id
ORDER BY l.id;

SELECT order_id, customer_id, status, currency, items, subtotal, discount, shipping_fee, tax, total
FROM order_totals
ORDER BY order_id;

-- The same in EUR.
SELECT order_id, currency, total, convert_amount(total, currency, 'EUR') AS total_eur
FROM order_totals
ORDER BY order_id;
