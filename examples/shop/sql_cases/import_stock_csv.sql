-- Goods receipt from the Zürich warehouse, loaded through the shared
-- staging table name scratch_import (collides on a shared database).
CREATE TABLE scratch_import (
    warehouse text NOT NULL,
    sku       text NOT NULL,
    quantity  integer NOT NULL
);

COPY scratch_import FROM STDIN;
ZRH-1	KIT-0001	10
ZRH-1	KIT-0002	6
ZRH-1	OUT-0003	30
BER-1	OUT-0003	5
\.

SELECT sku, receive_stock(sku, warehouse, quantity) FROM scratch_import ORDER BY warehouse, sku;

DO $$
DECLARE
    n integer;
BEGIN
    SELECT on_hand INTO n FROM stock_on_hand WHERE sku = 'OUT-0003';
    IF n <> 15 + 35 THEN
        RAISE EXCEPTION 'OUT-0003 on hand: expected 50, got %', n;
    END IF;
    SELECT on_hand INTO n FROM stock_on_hand WHERE sku = 'KIT-0001';
    IF n <> 39 + 10 THEN
        RAISE EXCEPTION 'KIT-0001 on hand: expected 49, got %', n;
    END IF;
    -- OUT-0003 was the only product below its reorder level.
    SELECT count(*) INTO n FROM low_stock;
    IF n <> 0 THEN
        RAISE EXCEPTION 'expected no low-stock products after the receipt, found %', n;
    END IF;
    SELECT count(*) INTO n FROM stock_movements WHERE reason = 'restock';
    IF n <> 4 THEN
        RAISE EXCEPTION 'expected 4 restock movements, found %', n;
    END IF;
    -- Receiving a non-positive quantity is refused.
    BEGIN
        PERFORM receive_stock('KIT-0001', 'ZRH-1', 0);
        RAISE EXCEPTION 'zero quantity receipt was accepted';
    EXCEPTION WHEN check_violation THEN
        NULL;
    END;
END
$$;
