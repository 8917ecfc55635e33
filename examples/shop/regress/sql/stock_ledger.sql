--
-- The stock movement ledger through a sale, a cancellation and a receipt.
--
SELECT s.product_id, p.sku, w.code, s.quantity
FROM stock_levels s JOIN products p ON p.id = s.product_id JOIN warehouses w ON w.id = s.warehouse_id
WHERE p.sku IN ('KIT-0003', 'OUT-0002')
ORDER BY p.sku, w.code;

-- 9 skillets: more than BER-1 holds alone, so ZRH-1 cannot serve it either
SELECT place_order(1, '[{"sku": "KIT-0003", "qty": 9}]', NULL, '2024-06-01 12:00:00+02');
-- 8 skillets come from BER-1, 2 tents from BER-1
SELECT place_order(1, '[{"sku": "KIT-0003", "qty": 8}, {"sku": "OUT-0002", "qty": 2}]',
                   NULL, '2024-06-01 12:05:00+02') AS order_id;
-- the next 2 tents only fit in ZRH-1
SELECT place_order(3, '[{"sku": "OUT-0002", "qty": 2}]', NULL, '2024-06-01 12:10:00+02') AS order_id;
UPDATE orders SET status = 'cancelled' WHERE id = (SELECT max(id) FROM orders);
SELECT receive_stock('KIT-0003', 'ZRH-1', 6);

SELECT m.id, p.sku, w.code, m.delta, m.reason, m.order_line_id
FROM stock_movements m JOIN products p ON p.id = m.product_id JOIN warehouses w ON w.id = m.warehouse_id
WHERE p.sku IN ('KIT-0003', 'OUT-0002')
ORDER BY m.id;

SELECT sku, on_hand, reorder_level FROM stock_on_hand WHERE sku IN ('KIT-0003', 'OUT-0002') ORDER BY sku;
SELECT sku, on_hand FROM low_stock ORDER BY sku;
