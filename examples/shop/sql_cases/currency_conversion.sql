-- A Swedish customer pays in SEK; prices are converted through EUR.
INSERT INTO customers (email, full_name, country, currency)
VALUES ('sven.svensson@example.se', 'Sven Svensson', 'SE', 'SEK');
INSERT INTO addresses (customer_id, line1, postal_code, city, country, is_default)
SELECT id, 'Drottninggatan 1', '111 51', 'Stockholm', 'SE', true
FROM customers WHERE email = 'sven.svensson@example.se';

SELECT place_order((SELECT id FROM customers WHERE email = 'sven.svensson@example.se'),
                   '[{"sku": "OUT-0001", "qty": 1, "discount_pct": 10}]') AS order_id \gset
SELECT set_config('shop.order_id', :'order_id', false);

DO $$
DECLARE
    t order_totals%ROWTYPE;
    l order_lines%ROWTYPE;
BEGIN
    SELECT * INTO t FROM order_totals WHERE order_id = current_setting('shop.order_id')::bigint;
    SELECT * INTO l FROM order_lines WHERE order_id = t.order_id;
    -- 29.99 EUR / 0.087 = 344.71 SEK
    IF t.currency <> 'SEK' OR l.unit_price <> 344.71 THEN
        RAISE EXCEPTION 'unexpected SEK price: % %', t.currency, l.unit_price;
    END IF;
    -- 10% line discount: 310.24; below 50 EUR, so 4.90 EUR shipping = 56.32 SEK; 25% VAT
    IF t.subtotal <> 310.24 OR t.shipping_fee <> 56.32 OR t.tax <> 77.56 OR t.total <> 444.12 THEN
        RAISE EXCEPTION 'unexpected totals: % % % %', t.subtotal, t.shipping_fee, t.tax, t.total;
    END IF;
    -- Round trip through EUR stays within one minor unit.
    IF abs(convert_amount(convert_amount(t.total, 'SEK', 'EUR'), 'EUR', 'SEK') - t.total) > 0.06 THEN
        RAISE EXCEPTION 'currency round trip drifted';
    END IF;
    -- Yen have no minor units.
    IF convert_amount(29.99, 'EUR', 'JPY') <> 4837 THEN
        RAISE EXCEPTION 'EUR->JPY rounding: %', convert_amount(29.99, 'EUR', 'JPY');
    END IF;
END
$$;
