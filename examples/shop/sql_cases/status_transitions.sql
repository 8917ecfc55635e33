-- The order status workflow only allows the documented transitions.
SELECT place_order(1, '[{"sku": "KIT-0001", "qty": 2}]', NULL, now() - interval '1 hour') AS order_id \gset
SELECT set_config('shop.order_id', :'order_id', false);

DO $$
DECLARE
    v_id   bigint := current_setting('shop.order_id')::bigint;
    v_from order_status;
    v_to   order_status;
    v_ok   integer := 0;
    v_bad  integer := 0;
BEGIN
    -- Every pair of statuses agrees with order_status_allowed().
    FOR v_from, v_to IN
        SELECT f, t FROM unnest(enum_range(NULL::order_status)) f,
                         unnest(enum_range(NULL::order_status)) t
        WHERE f <> t
    LOOP
        IF order_status_allowed(v_from, v_to) THEN
            v_ok := v_ok + 1;
        ELSE
            v_bad := v_bad + 1;
        END IF;
    END LOOP;
    IF v_ok <> 7 OR v_bad <> 23 THEN
        RAISE EXCEPTION 'expected 7 allowed / 23 forbidden transitions, got % / %', v_ok, v_bad;
    END IF;

    -- pending -> shipped skips payment.
    BEGIN
        UPDATE orders SET status = 'shipped' WHERE id = v_id;
        RAISE EXCEPTION 'pending -> shipped was accepted';
    EXCEPTION WHEN SQLSTATE 'SHP04' THEN
        NULL;
    END;
    -- pending -> delivered likewise.
    BEGIN
        UPDATE orders SET status = 'delivered' WHERE id = v_id;
        RAISE EXCEPTION 'pending -> delivered was accepted';
    EXCEPTION WHEN SQLSTATE 'SHP04' THEN
        NULL;
    END;
    -- The check constraint backs the trigger up: a paid order needs paid_at.
    BEGIN
        ALTER TABLE orders DISABLE TRIGGER orders_status_workflow;
        UPDATE orders SET status = 'paid' WHERE id = v_id;
        RAISE EXCEPTION 'paid order without paid_at was accepted';
    EXCEPTION WHEN check_violation THEN
        NULL;  -- the ALTER TABLE is rolled back with the sub-transaction
    END;
END
$$;

UPDATE orders SET status = 'paid' WHERE id = :order_id;
UPDATE orders SET status = 'shipped' WHERE id = :order_id;
UPDATE orders SET status = 'delivered' WHERE id = :order_id;
UPDATE orders SET status = 'refunded' WHERE id = :order_id;

DO $$
DECLARE
    v_id bigint := current_setting('shop.order_id')::bigint;
    n    integer;
BEGIN
    IF (SELECT status FROM orders WHERE id = v_id) <> 'refunded' THEN
        RAISE EXCEPTION 'order should be refunded';
    END IF;
    -- Trigger is enabled again (the ALTER above was rolled back).
    IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'orders_status_workflow'
               AND tgrelid = 'orders'::regclass AND tgenabled = 'D') THEN
        RAISE EXCEPTION 'workflow trigger left disabled';
    END IF;
    -- Each transition was audited with exactly the columns it changed.
    SELECT count(*) INTO n FROM audit_log
    WHERE table_name = 'orders' AND row_id = v_id::text AND operation = 'U'
      AND 'status' = ANY (changed_cols);
    IF n <> 4 THEN
        RAISE EXCEPTION 'expected 4 audited status changes, found %', n;
    END IF;
    -- Refunded orders are neither sales nor lifetime value.
    IF (SELECT units_sold FROM product_sales WHERE sku = 'KIT-0001') <> 1 THEN
        RAISE EXCEPTION 'refunded units counted as sold';
    END IF;
END
$$;
