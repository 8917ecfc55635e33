--
-- Errors raised by the shop's PL/pgSQL functions and triggers.
--
-- not enough tents in any single warehouse
SELECT place_order(3, '[{"sku": "OUT-0002", "qty": 4}]', NULL, '2024-06-01 12:00:00+02');
-- inactive product
SELECT place_order(3, '[{"sku": "OUT-0004", "qty": 1}]', NULL, '2024-06-01 12:00:00+02');
-- unknown SKU
SELECT place_order(3, '[{"sku": "ABC-1234", "qty": 1}]', NULL, '2024-06-01 12:00:00+02');
-- delivered orders cannot go back to pending
UPDATE orders SET status = 'pending' WHERE id = 1;
-- a coupon that has expired
SELECT apply_coupon(2, 'summer5');
-- paying for a delivered order
SELECT record_payment(1, 10, 'card');
-- the audit log takes new entries but cannot be edited
INSERT INTO audit_log (table_name, operation, row_id, new_row) VALUES ('orders', 'I', '1', '{}');
DELETE FROM audit_log;
SELECT table_name, operation, row_id FROM audit_log ORDER BY id;
-- no order was created by any of the failed calls
SELECT count(*) AS orders FROM orders;
