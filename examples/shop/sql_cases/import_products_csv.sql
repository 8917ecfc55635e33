-- Bulk-import new products from a supplier CSV through a staging table.
-- The staging table is kept for inspection (no IF NOT EXISTS, no DROP): on
-- a shared database the next import case fails with "relation
-- scratch_import already exists".
CREATE TABLE scratch_import (
    sku      text,
    name     text,
    brand    text,
    price    text,
    category text
);

COPY scratch_import (sku, name, brand, price, category) FROM STDIN WITH (FORMAT csv, HEADER true);
sku,name,brand,price,category
KIT-0101,Milk frother,Kettle & Co,19.90,coffee
KIT-0102,"Dutch oven 5,2l",Alpenwerk,119.00,cookware
OUT-0101,Sleeping bag -5°C,Nordlicht,139.50,camping
OUT-0102,Folding chair,Nordlicht,not-a-price,camping
\.

-- Reject rows whose price does not parse; import the rest.
INSERT INTO products (sku, name, brand_id, price)
SELECT s.sku, s.name, b.id, s.price::numeric
FROM scratch_import s JOIN brands b ON b.name = s.brand
WHERE s.price ~ '^[0-9]+(\.[0-9]{1,2})?$'
ORDER BY s.sku;

INSERT INTO product_categories (product_id, category_id)
SELECT p.id, c.id
FROM scratch_import s
JOIN products p ON p.sku = s.sku
JOIN categories c ON c.slug = s.category;

DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM scratch_import;
    IF n <> 4 THEN RAISE EXCEPTION 'expected 4 staged rows, found %', n; END IF;

    SELECT count(*) INTO n FROM products;
    IF n <> 8 + 3 THEN RAISE EXCEPTION 'expected 11 products (8 seed + 3 imported), found %', n; END IF;

    IF (SELECT name FROM products WHERE sku = 'KIT-0102') <> 'Dutch oven 5,2l' THEN
        RAISE EXCEPTION 'quoted CSV field was not imported correctly';
    END IF;
    IF EXISTS (SELECT 1 FROM products WHERE sku = 'OUT-0102') THEN
        RAISE EXCEPTION 'row with an invalid price was imported';
    END IF;

    -- Imports are audited like any other product change.
    SELECT count(*) INTO n FROM audit_log WHERE table_name = 'products' AND operation = 'I';
    IF n <> 3 THEN RAISE EXCEPTION 'expected 3 product audit entries, found %', n; END IF;

    -- New products have no stock yet (reorder level 5), so they are low.
    SELECT count(*) INTO n FROM low_stock WHERE sku IN ('KIT-0101', 'KIT-0102', 'OUT-0101');
    IF n <> 3 THEN RAISE EXCEPTION 'imported products without stock should be low on stock, found %', n; END IF;
END
$$;
