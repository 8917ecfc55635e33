-- Reviews: one per customer and product, rating 1..5, verified purchase
-- derived from delivered orders. Wishlists: unique names per customer.
INSERT INTO reviews (product_id, customer_id, rating, title, body)
VALUES ((SELECT id FROM products WHERE sku = 'KIT-0003'), 1, 4, 'Heavy but great', 'Needs seasoning.');

INSERT INTO wishlists (customer_id, name) VALUES (1, 'Kitchen upgrade');
INSERT INTO wishlist_items (wishlist_id, product_id)
SELECT w.id, p.id FROM wishlists w, products p
WHERE w.customer_id = 1 AND w.name = 'Kitchen upgrade' AND p.sku IN ('KIT-0003', 'KIT-0004');

DO $$
DECLARE
    r product_ratings%ROWTYPE;
BEGIN
    -- Anna never received a skillet: unverified. Her coffee maker review
    -- (seed, delivered order 1) is verified.
    IF (SELECT verified_purchase FROM reviews WHERE customer_id = 1 AND product_id = 3) THEN
        RAISE EXCEPTION 'skillet review should not be verified';
    END IF;
    SELECT * INTO r FROM product_ratings WHERE sku = 'KIT-0001';
    IF r.reviews <> 1 OR r.verified_reviews <> 1 OR r.avg_rating <> 5.00 THEN
        RAISE EXCEPTION 'unexpected KIT-0001 ratings %', r;
    END IF;

    BEGIN
        INSERT INTO reviews (product_id, customer_id, rating, title) VALUES (3, 1, 5, 'Again');
        RAISE EXCEPTION 'second review by the same customer was accepted';
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO reviews (product_id, customer_id, rating, title) VALUES (4, 1, 6, 'Six stars');
        RAISE EXCEPTION 'rating 6 was accepted';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO reviews (product_id, customer_id, rating, title) VALUES (4, 1, 3, 'ok');
        RAISE EXCEPTION 'two-letter title was accepted';
    EXCEPTION WHEN check_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO wishlists (customer_id, name) VALUES (1, 'Kitchen upgrade');
        RAISE EXCEPTION 'duplicate wishlist name was accepted';
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
    BEGIN
        INSERT INTO reviews (product_id, customer_id, rating, title) VALUES (999, 1, 3, 'Ghost product');
        RAISE EXCEPTION 'review of a missing product was accepted';
    EXCEPTION WHEN foreign_key_violation THEN NULL;
    END;

    -- Deleting a product removes it from wishlists and reviews (cascade).
    DELETE FROM products WHERE sku = 'KIT-0004';
    IF EXISTS (SELECT 1 FROM wishlist_items WHERE product_id = 4) THEN
        RAISE EXCEPTION 'wishlist item survived product deletion';
    END IF;
    IF (SELECT count(*) FROM wishlist_items wi JOIN wishlists w ON w.id = wi.wishlist_id
        WHERE w.customer_id = 1) <> 1 THEN
        RAISE EXCEPTION 'wrong number of wishlist items left';
    END IF;
END
$$;
