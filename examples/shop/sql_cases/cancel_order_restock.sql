-- Cancelling an order puts its goods back on the shelf.
SELECT place_order(2, '[{"sku": "KIT-0004", "qty": 2}, {"sku": "OUT-0001", "qty": 5}]') AS order_id \gset

DO $$
BEGIN
    IF (SELECT on_hand FROM stock_on_hand WHERE sku = 'KIT-0004') <> 10 THEN
        RAISE EXCEPTION 'knives were not reserved';
    END IF;
END
$$;

UPDATE orders SET status = 'cancelled' WHERE id = :order_id;

-- psql variables are not visible inside DO bodies; pass the id via a setting.
SELECT set_config('shop.order_id', :'order_id', false);

DO $$
DECLARE
    v_id bigint := current_setting('shop.order_id')::bigint;
    o    orders%ROWTYPE;
    n    integer;
BEGIN
    SELECT * INTO o FROM orders WHERE id = v_id;
    IF o.status <> 'cancelled' OR o.cancelled_at IS NULL THEN
        RAISE EXCEPTION 'order not cancelled properly: % %', o.status, o.cancelled_at;
    END IF;
    IF (SELECT on_hand FROM stock_on_hand WHERE sku = 'KIT-0004') <> 12 THEN
        RAISE EXCEPTION 'knives were not restocked';
    END IF;
    IF (SELECT on_hand FROM stock_on_hand WHERE sku = 'OUT-0001') <> 64 THEN
        RAISE EXCEPTION 'headlamps were not restocked';
    END IF;
    SELECT count(*) INTO n FROM stock_movements m JOIN order_lines l ON l.id = m.order_line_id
    WHERE l.order_id = v_id AND m.reason = 'return';
    IF n <> 2 THEN
        RAISE EXCEPTION 'expected 2 return movements, found %', n;
    END IF;
    -- Ledger and stock levels agree: the movements net out to zero.
    IF (SELECT sum(m.delta) FROM stock_movements m JOIN order_lines l ON l.id = m.order_line_id
        WHERE l.order_id = v_id) <> 0 THEN
        RAISE EXCEPTION 'movements for a cancelled order do not net to zero';
    END IF;
    -- Cancelled is final.
    BEGIN
        UPDATE orders SET status = 'paid' WHERE id = v_id;
        RAISE EXCEPTION 'cancelled order was re-opened';
    EXCEPTION WHEN SQLSTATE 'SHP04' THEN
        NULL;
    END;
    -- No more lines can be added.
    BEGIN
        INSERT INTO order_lines (order_id, product_id, quantity) VALUES (v_id, 1, 1);
        RAISE EXCEPTION 'line added to a cancelled order';
    EXCEPTION WHEN SQLSTATE 'SHP02' THEN
        NULL;
    END;
    -- Cancelled orders do not count as lifetime value.
    IF (SELECT lifetime_value_eur FROM customer_lifetime_value WHERE customer_id = 2) <> 0 THEN
        RAISE EXCEPTION 'cancelled order counted in lifetime value';
    END IF;
END
$$;
