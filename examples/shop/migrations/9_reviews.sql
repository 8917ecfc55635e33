-- Product reviews and wishlists. (Numbered 9, not 009: migrations are
-- ordered by their leading number, so this runs before 10_reporting.sql,
-- which depends on the reviews table.)

CREATE TABLE reviews (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id        integer     NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    customer_id       bigint      NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    rating            smallint    NOT NULL CHECK (rating BETWEEN 1 AND 5),
    title             text        NOT NULL CHECK (length(title) BETWEEN 3 AND 120),
    body              text,
    verified_purchase boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (product_id, customer_id)
);

-- A review is a verified purchase when the customer has a delivered order
-- containing the product.
CREATE FUNCTION reviews_mark_verified() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.verified_purchase := EXISTS (
        SELECT 1
        FROM orders o JOIN order_lines l ON l.order_id = o.id
        WHERE o.customer_id = NEW.customer_id
          AND l.product_id = NEW.product_id
          AND o.status = 'delivered');
    RETURN NEW;
END
$fn$;

CREATE TRIGGER reviews_verified_purchase
    BEFORE INSERT OR UPDATE OF customer_id, product_id ON reviews
    FOR EACH ROW EXECUTE FUNCTION reviews_mark_verified();

CREATE TABLE wishlists (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint      NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    name        text        NOT NULL DEFAULT 'Wishlist',
    is_public   boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, name)
);

CREATE TABLE wishlist_items (
    wishlist_id bigint      NOT NULL REFERENCES wishlists (id) ON DELETE CASCADE,
    product_id  integer     NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wishlist_id, product_id)
);

INSERT INTO reviews (product_id, customer_id, rating, title, body, created_at) VALUES
    (1, 1, 5, 'Best coffee in years', 'Clean cup, easy to use.', '2024-04-10 09:00:00+02'),
    (2, 1, 4, 'Nice mugs',            'One arrived slightly chipped.', '2024-04-10 09:05:00+02'),
    (6, 3, 2, 'Too small',            'Two persons, but only just.', '2024-05-01 20:00:00+02');

INSERT INTO wishlists (customer_id, name, is_public) VALUES (3, 'Camping trip', true);
INSERT INTO wishlist_items (wishlist_id, product_id) VALUES (1, 5), (1, 7);
