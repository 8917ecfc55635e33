-- The tent (OUT-0002) has 3 units in BER-1 and 2 in ZRH-1. A line is served
-- from a single warehouse, so 4 tents cannot be sold in one line.
DO $$
DECLARE
    v_orders integer;
    v_msg    text;
    v_hint   text;
BEGIN
    SELECT count(*) INTO v_orders FROM orders;
    BEGIN
        PERFORM place_order(1, '[{"sku": "OUT-0002", "qty": 4}]');
        RAISE EXCEPTION 'ordering 4 tents should have failed';
    EXCEPTION WHEN SQLSTATE 'SHP01' THEN
        GET STACKED DIAGNOSTICS v_msg = MESSAGE_TEXT, v_hint = PG_EXCEPTION_HINT;
    END;
    IF v_msg <> 'insufficient stock for OUT-0002 (requested 4, available 5)' THEN
        RAISE EXCEPTION 'unexpected message: %', v_msg;
    END IF;
    IF v_hint IS NULL THEN
        RAISE EXCEPTION 'expected a hint on the insufficient stock error';
    END IF;
    -- The failed order left nothing behind.
    IF (SELECT count(*) FROM orders) <> v_orders THEN
        RAISE EXCEPTION 'failed order was not rolled back';
    END IF;
    IF (SELECT on_hand FROM stock_on_hand WHERE sku = 'OUT-0002') <> 5 THEN
        RAISE EXCEPTION 'stock changed by a failed order';
    END IF;
END
$$;

-- Three tents come from Berlin, the next two from Zürich.
SELECT place_order(1, '[{"sku": "OUT-0002", "qty": 3}]');
SELECT place_order(3, '[{"sku": "OUT-0002", "qty": 2}]');

DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n
    FROM order_lines l JOIN warehouses w ON w.id = l.warehouse_id
    WHERE l.product_id = (SELECT id FROM products WHERE sku = 'OUT-0002')
      AND ((w.code = 'BER-1' AND l.quantity = 3) OR (w.code = 'ZRH-1' AND l.quantity = 2));
    IF n <> 2 THEN
        RAISE EXCEPTION 'tents were not taken from the expected warehouses';
    END IF;
    IF (SELECT on_hand FROM stock_on_hand WHERE sku = 'OUT-0002') <> 0 THEN
        RAISE EXCEPTION 'tents should be sold out';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM low_stock WHERE sku = 'OUT-0002') THEN
        RAISE EXCEPTION 'sold-out tent missing from low_stock';
    END IF;
    -- The stock level check constraint makes negative stock impossible.
    BEGIN
        UPDATE stock_levels SET quantity = quantity - 1
        WHERE product_id = (SELECT id FROM products WHERE sku = 'OUT-0002');
        RAISE EXCEPTION 'negative stock was accepted';
    EXCEPTION WHEN check_violation THEN
        NULL;
    END;
    -- Inactive products cannot be sold at all.
    BEGIN
        PERFORM place_order(1, '[{"sku": "OUT-0004", "qty": 1}]');
        RAISE EXCEPTION 'inactive product was sold';
    EXCEPTION WHEN SQLSTATE 'SHP03' THEN
        NULL;
    END;
END
$$;
