-- Stock: an append-only journal of movements, and the levels a trigger
-- keeps from it.  A level can never go below zero, so a sale of more
-- than is on hand fails.
CREATE TABLE stock (
    product_id bigint NOT NULL REFERENCES products (id),
    warehouse text NOT NULL REFERENCES warehouses (code),
    on_hand integer NOT NULL CHECK (on_hand >= 0),
    PRIMARY KEY (product_id, warehouse)
);

CREATE TABLE movements (
    id bigserial PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id),
    warehouse text NOT NULL REFERENCES warehouses (code),
    quantity integer NOT NULL CHECK (quantity <> 0),
    reason text NOT NULL
        CHECK (reason IN ('receipt', 'sale', 'adjustment', 'transfer')),
    moved_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION apply_movement() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reason = 'receipt'
       AND (SELECT discontinued FROM products WHERE id = NEW.product_id) THEN
        RAISE EXCEPTION 'product % is discontinued', NEW.product_id
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.quantity > 0 THEN
        INSERT INTO stock AS s (product_id, warehouse, on_hand)
        VALUES (NEW.product_id, NEW.warehouse, NEW.quantity)
        ON CONFLICT (product_id, warehouse)
            DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand;
    ELSE
        -- Not an upsert: the CHECK would refuse the row proposed for
        -- insertion (a negative level) before any conflict is looked for.
        UPDATE stock SET on_hand = on_hand + NEW.quantity
        WHERE product_id = NEW.product_id AND warehouse = NEW.warehouse;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'no stock of product % in %', NEW.product_id,
                NEW.warehouse USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER movements_apply
    AFTER INSERT ON movements
    FOR EACH ROW EXECUTE FUNCTION apply_movement();

-- The journal is history: corrections are new movements.
CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'movements are append-only'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER movements_append_only
    BEFORE UPDATE OR DELETE ON movements
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

INSERT INTO movements (product_id, warehouse, quantity, reason)
SELECT p.id, m.warehouse, m.quantity, 'receipt'
FROM (VALUES ('BOLT-M6', 'PAR', 100),
             ('NUT-M6', 'PAR', 250),
             ('DRILL-18V', 'LYS', 4)) AS m (sku, warehouse, quantity)
JOIN products p ON p.sku = m.sku;
