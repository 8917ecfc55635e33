-- Jane Doe signs up and buys a skillet and two sporks. Commits; on a shared
-- database the e-mail collides with register_customer.sql and the exact
-- order numbering below no longer holds.
INSERT INTO customers (email, full_name, country, currency)
VALUES ('jane.doe@example.com', 'Jane Doe', 'DE', 'EUR');

INSERT INTO addresses (customer_id, line1, postal_code, city, country, is_default)
SELECT id, 'Karl-Marx-Allee 1', '10178', 'Berlin', 'DE', true
FROM customers WHERE email = 'jane.doe@example.com';

SELECT place_order((SELECT id FROM customers WHERE email = 'jane.doe@example.com'),
                   '[{"sku": "KIT-0003", "qty": 1}, {"sku": "OUT-0003", "qty": 2}]') AS order_id;

DO $$
DECLARE
    t   order_totals%ROWTYPE;
    qty integer;
BEGIN
    -- Two seed orders exist, so this is order 3.
    SELECT * INTO t FROM order_totals
    WHERE customer_id = (SELECT id FROM customers WHERE email = 'jane.doe@example.com');
    IF t.order_id <> 3 THEN
        RAISE EXCEPTION 'expected order id 3, got %', t.order_id;
    END IF;
    IF t.status <> 'pending' OR t.items <> 3 THEN
        RAISE EXCEPTION 'unexpected order state % / % items', t.status, t.items;
    END IF;
    -- 59.00 + 2 * 9.95 = 78.90 net, no shipping fee (>= 50 EUR), 19% VAT = 14.99
    IF t.subtotal <> 78.90 OR t.shipping_fee <> 0 OR t.tax <> 14.99 OR t.total <> 93.89 THEN
        RAISE EXCEPTION 'unexpected totals: subtotal % shipping % tax % total %',
                        t.subtotal, t.shipping_fee, t.tax, t.total;
    END IF;

    -- Stock is taken from BER-1 (priority 10) first.
    SELECT quantity INTO qty FROM stock_levels s JOIN products p ON p.id = s.product_id
    WHERE p.sku = 'KIT-0003' AND s.warehouse_id = (SELECT id FROM warehouses WHERE code = 'BER-1');
    IF qty <> 7 THEN
        RAISE EXCEPTION 'KIT-0003 in BER-1: expected 7, got %', qty;
    END IF;
    SELECT on_hand INTO qty FROM stock_on_hand WHERE sku = 'OUT-0003';
    IF qty <> 13 THEN
        RAISE EXCEPTION 'OUT-0003 on hand: expected 13, got %', qty;
    END IF;
END
$$;
