-- Selling skillets below their reorder level puts them on the low-stock
-- report; a goods receipt takes them off again.
DO $$
BEGIN
    IF (SELECT array_agg(sku ORDER BY sku) FROM low_stock) <> ARRAY['OUT-0003'] THEN
        RAISE EXCEPTION 'unexpected initial low stock: %', (SELECT array_agg(sku ORDER BY sku) FROM low_stock);
    END IF;
END
$$;

-- 8 skillets in BER-1, 4 in ZRH-1, reorder level 3.
SELECT place_order(3, '[{"sku": "KIT-0003", "qty": 8}]');
SELECT place_order(2, '[{"sku": "KIT-0003", "qty": 1}]');

DO $$
BEGIN
    IF (SELECT array_agg(sku ORDER BY sku) FROM low_stock) <> ARRAY['KIT-0003', 'OUT-0003'] THEN
        RAISE EXCEPTION 'unexpected low stock after sales: %', (SELECT array_agg(sku ORDER BY sku) FROM low_stock);
    END IF;
    IF (SELECT on_hand FROM low_stock WHERE sku = 'KIT-0003') <> 3 THEN
        RAISE EXCEPTION 'skillets on hand: %', (SELECT on_hand FROM low_stock WHERE sku = 'KIT-0003');
    END IF;
END
$$;

SELECT receive_stock('KIT-0003', 'BER-1', 20);
SELECT receive_stock('OUT-0003', 'BER-1', 50);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM low_stock) THEN
        RAISE EXCEPTION 'low stock not cleared: %', (SELECT array_agg(sku ORDER BY sku) FROM low_stock);
    END IF;
    -- The ledger explains every unit on hand.
    IF EXISTS (
        SELECT 1 FROM stock_levels s
        WHERE s.quantity <> (SELECT sum(m.delta) FROM stock_movements m
                             WHERE m.product_id = s.product_id AND m.warehouse_id = s.warehouse_id)) THEN
        RAISE EXCEPTION 'stock levels and stock movements disagree';
    END IF;
END
$$;
