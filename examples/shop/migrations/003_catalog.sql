-- Product catalogue: brands, a category tree and products.

CREATE TABLE brands (
    id   integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text    NOT NULL UNIQUE
);

CREATE TABLE categories (
    id        integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id integer REFERENCES categories (id) ON DELETE RESTRICT,
    slug      text    NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9-]+$'),
    name      text    NOT NULL,
    CHECK (parent_id IS DISTINCT FROM id)
);

CREATE TABLE products (
    id            integer       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku           text          NOT NULL UNIQUE CHECK (sku ~ '^[A-Z]{3}-[0-9]{4}$'),
    name          text          NOT NULL,
    brand_id      integer       REFERENCES brands (id),
    price         numeric(12,2) NOT NULL CHECK (price >= 0),
    currency      char(3)       NOT NULL DEFAULT 'EUR' REFERENCES currencies (code),
    weight_grams  integer       NOT NULL DEFAULT 0 CHECK (weight_grams >= 0),
    active        boolean       NOT NULL DEFAULT true,
    reorder_level integer       NOT NULL DEFAULT 5 CHECK (reorder_level >= 0),
    created_at    timestamptz   NOT NULL DEFAULT now(),
    updated_at    timestamptz   NOT NULL DEFAULT now()
);

-- Only active products are searched by name; keep that index small.
CREATE INDEX products_active_name_idx ON products (lower(name)) WHERE active;
CREATE INDEX products_brand_idx ON products (brand_id);

CREATE TRIGGER products_set_updated_at
    BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE product_categories (
    product_id  integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id integer NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, category_id)
);

INSERT INTO brands (name) VALUES ('Nordlicht'), ('Alpenwerk'), ('Kettle & Co');

INSERT INTO categories (parent_id, slug, name) VALUES
    (NULL, 'kitchen',     'Kitchen'),
    (1,    'coffee',      'Coffee & Tea'),
    (1,    'cookware',    'Cookware'),
    (NULL, 'outdoor',     'Outdoor'),
    (4,    'camping',     'Camping');

INSERT INTO products (sku, name, brand_id, price, weight_grams, reorder_level, created_at, updated_at) VALUES
    ('KIT-0001', 'Pour-over coffee maker',  3,  34.90,  450, 5, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('KIT-0002', 'Ceramic mug (set of 4)',  3,  24.50, 1600, 5, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('KIT-0003', 'Cast iron skillet 28cm',  2,  59.00, 3200, 3, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('KIT-0004', 'Chef''s knife 20cm',      2,  89.00,  250, 3, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('OUT-0001', 'Headlamp 400lm',          1,  29.99,  110, 10, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('OUT-0002', 'Two-person tent',         1, 249.00, 2400, 2, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('OUT-0003', 'Titanium spork',          1,   9.95,   20, 20, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01'),
    ('OUT-0004', 'Discontinued lantern',    1,  19.00,  300, 0, '2024-01-01 00:00:00+01', '2024-01-01 00:00:00+01');

UPDATE products SET active = false, updated_at = '2024-01-01 00:00:00+01' WHERE sku = 'OUT-0004';

INSERT INTO product_categories (product_id, category_id) VALUES
    (1, 2), (2, 2), (3, 3), (4, 3), (5, 5), (6, 5), (7, 5), (7, 3), (8, 5);
