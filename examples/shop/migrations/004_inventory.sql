-- Warehouses, stock levels and a ledger of stock movements.

CREATE TABLE warehouses (
    id       integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code     text    NOT NULL UNIQUE,
    country  char(2) NOT NULL REFERENCES countries (code),
    priority integer NOT NULL DEFAULT 100
);

CREATE TABLE stock_levels (
    product_id   integer NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    warehouse_id integer NOT NULL REFERENCES warehouses (id),
    quantity     integer NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (product_id, warehouse_id)
);

CREATE TYPE stock_reason AS ENUM ('initial', 'restock', 'sale', 'return', 'correction');

CREATE TABLE stock_movements (
    id            bigint       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    integer      NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    warehouse_id  integer      NOT NULL REFERENCES warehouses (id),
    delta         integer      NOT NULL CHECK (delta <> 0),
    reason        stock_reason NOT NULL,
    order_line_id bigint,
    moved_at      timestamptz  NOT NULL DEFAULT now()
);
CREATE INDEX stock_movements_product_idx ON stock_movements (product_id, moved_at);

-- Record stock changes in the movement ledger.
CREATE FUNCTION receive_stock(p_sku text, p_warehouse text, p_qty integer,
                              p_reason stock_reason DEFAULT 'restock')
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_product   integer;
    v_warehouse integer;
    v_new       integer;
BEGIN
    IF p_qty <= 0 THEN
        RAISE EXCEPTION 'quantity must be positive, got %', p_qty
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT id INTO v_product FROM products WHERE sku = p_sku;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown SKU %', p_sku USING ERRCODE = 'no_data_found';
    END IF;
    SELECT id INTO v_warehouse FROM warehouses WHERE code = p_warehouse;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown warehouse %', p_warehouse USING ERRCODE = 'no_data_found';
    END IF;

    INSERT INTO stock_levels AS s (product_id, warehouse_id, quantity)
    VALUES (v_product, v_warehouse, p_qty)
    ON CONFLICT (product_id, warehouse_id)
        DO UPDATE SET quantity = s.quantity + EXCLUDED.quantity
    RETURNING quantity INTO v_new;

    INSERT INTO stock_movements (product_id, warehouse_id, delta, reason)
    VALUES (v_product, v_warehouse, p_qty, p_reason);
    RETURN v_new;
END
$fn$;

INSERT INTO warehouses (code, country, priority) VALUES
    ('BER-1', 'DE', 10),
    ('ZRH-1', 'CH', 50);

SELECT receive_stock(sku, 'BER-1', qty, 'initial')
FROM (VALUES ('KIT-0001', 40), ('KIT-0002', 25), ('KIT-0003', 8), ('KIT-0004', 12),
             ('OUT-0001', 60), ('OUT-0002', 3),  ('OUT-0003', 15)) AS v(sku, qty);
SELECT receive_stock(sku, 'ZRH-1', qty, 'initial')
FROM (VALUES ('KIT-0003', 4), ('OUT-0002', 2), ('OUT-0001', 5)) AS v(sku, qty);
