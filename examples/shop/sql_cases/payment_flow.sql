-- Oliver's seed order 2 (34.95 GBP) is paid in two instalments, shipped
-- and delivered; only then does his review count as a verified purchase.
DO $$
DECLARE
    s order_status;
BEGIN
    s := record_payment(2, 20.00, 'paypal', 'pp_case_0001');
    IF s <> 'pending' THEN
        RAISE EXCEPTION 'partial payment should leave the order pending, got %', s;
    END IF;
    s := record_payment(2, 14.95, 'paypal', 'pp_case_0002');
    IF s <> 'paid' THEN
        RAISE EXCEPTION 'full payment should mark the order paid, got %', s;
    END IF;
    IF (SELECT paid_at FROM orders WHERE id = 2) IS NULL THEN
        RAISE EXCEPTION 'paid_at not set';
    END IF;
    -- No further payments on a paid order.
    BEGIN
        PERFORM record_payment(2, 1.00, 'card');
        RAISE EXCEPTION 'payment on a paid order was accepted';
    EXCEPTION WHEN SQLSTATE 'SHP02' THEN
        NULL;
    END;
    -- Payment provider references are unique.
    BEGIN
        INSERT INTO payments (order_id, amount, currency, method, provider_ref)
        VALUES (2, 1.00, 'GBP', 'card', 'pp_case_0001');
        RAISE EXCEPTION 'duplicate provider reference was accepted';
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;
END
$$;

INSERT INTO shipments (order_id, carrier, tracking_number)
VALUES (2, 'Royal Mail', 'RM123456785GB');
INSERT INTO shipment_items (shipment_id, order_line_id, quantity)
SELECT currval(pg_get_serial_sequence('shipments', 'id')), id, quantity
FROM order_lines WHERE order_id = 2;

-- A review before delivery is not verified...
INSERT INTO reviews (product_id, customer_id, rating, title)
VALUES ((SELECT id FROM products WHERE sku = 'OUT-0001'), 2, 4, 'Bright enough');

UPDATE orders SET status = 'shipped' WHERE id = 2;
UPDATE orders SET status = 'delivered' WHERE id = 2;

-- Lena never bought one: not verified either.
INSERT INTO reviews (product_id, customer_id, rating, title)
VALUES ((SELECT id FROM products WHERE sku = 'OUT-0001'), 3, 3, 'Borrowed it');

DO $$
DECLARE
    o orders%ROWTYPE;
    r product_ratings%ROWTYPE;
BEGIN
    SELECT * INTO o FROM orders WHERE id = 2;
    IF o.status <> 'delivered' OR o.shipped_at IS NULL OR o.delivered_at IS NULL THEN
        RAISE EXCEPTION 'order 2 not delivered: % % %', o.status, o.shipped_at, o.delivered_at;
    END IF;
    IF NOT (o.paid_at <= o.shipped_at AND o.shipped_at <= o.delivered_at) THEN
        RAISE EXCEPTION 'workflow timestamps out of order';
    END IF;
    SELECT * INTO r FROM product_ratings WHERE sku = 'OUT-0001';
    IF r.reviews <> 2 OR r.verified_reviews <> 0 OR r.avg_rating <> 3.50 THEN
        RAISE EXCEPTION 'unexpected ratings: % reviews, % verified, avg %', r.reviews, r.verified_reviews, r.avg_rating;
    END IF;
    IF (SELECT paid_orders FROM customer_lifetime_value WHERE customer_id = 2) <> 1
       OR (SELECT lifetime_value_eur FROM customer_lifetime_value WHERE customer_id = 2) <> 40.89 THEN
        RAISE EXCEPTION 'unexpected lifetime value for Oliver: %',
            (SELECT lifetime_value_eur FROM customer_lifetime_value WHERE customer_id = 2);
    END IF;
END
$$;

-- Oliver reviews a product he now really owns: verified.
DELETE FROM reviews WHERE customer_id = 2;
INSERT INTO reviews (product_id, customer_id, rating, title)
VALUES ((SELECT id FROM products WHERE sku = 'OUT-0001'), 2, 5, 'Bright and light');

DO $$
BEGIN
    IF NOT (SELECT verified_purchase FROM reviews WHERE customer_id = 2) THEN
        RAISE EXCEPTION 'review after delivery should be a verified purchase';
    END IF;
END
$$;
