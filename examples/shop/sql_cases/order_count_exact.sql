-- Lena places three orders; afterwards the shop must hold exactly the two
-- seed orders plus these three. Commits, so on a shared database the counts
-- include other cases' orders and this case fails.
SELECT place_order(3, '[{"sku": "OUT-0001", "qty": 1}]');
SELECT place_order(3, '[{"sku": "OUT-0002", "qty": 1}]');
SELECT place_order(3, '[{"sku": "KIT-0004", "qty": 2}, {"sku": "KIT-0001", "qty": 1}]');

DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM orders;
    IF n <> 2 + 3 THEN
        RAISE EXCEPTION 'expected 5 orders (2 seed + 3 new), found %', n;
    END IF;
    SELECT count(*) INTO n FROM orders WHERE customer_id = 3;
    IF n <> 3 THEN
        RAISE EXCEPTION 'expected 3 orders for customer 3, found %', n;
    END IF;
    SELECT count(*) INTO n FROM order_lines;
    IF n <> 3 + 4 THEN
        RAISE EXCEPTION 'expected 7 order lines (3 seed + 4 new), found %', n;
    END IF;
    SELECT count(*) INTO n FROM stock_movements WHERE reason = 'sale';
    IF n <> 3 + 4 THEN
        RAISE EXCEPTION 'expected 7 sale movements (3 seed + 4 new), found %', n;
    END IF;
    -- Lena shops in CHF; all three orders are pending and priced in CHF.
    SELECT count(*) INTO n FROM orders WHERE customer_id = 3 AND currency = 'CHF' AND status = 'pending';
    IF n <> 3 THEN
        RAISE EXCEPTION 'expected 3 pending CHF orders, found %', n;
    END IF;
END
$$;
