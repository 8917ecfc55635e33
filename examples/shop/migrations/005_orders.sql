-- Orders, order lines, status workflow and stock bookkeeping.

CREATE TYPE order_status AS ENUM
    ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded');

CREATE TABLE orders (
    id                  bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id         bigint        NOT NULL REFERENCES customers (id),
    shipping_address_id bigint        REFERENCES addresses (id),
    status              order_status  NOT NULL DEFAULT 'pending',
    currency            char(3)       NOT NULL REFERENCES currencies (code),
    shipping_fee        numeric(12,2) NOT NULL DEFAULT 0 CHECK (shipping_fee >= 0),
    note                text,
    placed_at           timestamptz   NOT NULL DEFAULT now(),
    paid_at             timestamptz,
    shipped_at          timestamptz,
    delivered_at        timestamptz,
    cancelled_at        timestamptz,
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT orders_paid_has_timestamp
        CHECK (status IN ('pending', 'cancelled') OR paid_at IS NOT NULL),
    CONSTRAINT orders_shipped_has_timestamp
        CHECK (status NOT IN ('shipped', 'delivered') OR shipped_at IS NOT NULL),
    CONSTRAINT orders_timestamps_in_order
        CHECK (paid_at IS NULL OR paid_at >= placed_at)
);

CREATE INDEX orders_customer_idx ON orders (customer_id, placed_at DESC);
-- The fulfilment queue only ever looks at open orders.
CREATE INDEX orders_open_idx ON orders (placed_at) WHERE status IN ('pending', 'paid');

CREATE TRIGGER orders_set_updated_at
    BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE order_lines (
    id           bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id   integer       NOT NULL REFERENCES products (id),
    warehouse_id integer       REFERENCES warehouses (id),
    quantity     integer       NOT NULL CHECK (quantity > 0 AND quantity <= 100),
    unit_price   numeric(12,2) NOT NULL CHECK (unit_price >= 0),
    discount_pct numeric(5,2)  NOT NULL DEFAULT 0 CHECK (discount_pct BETWEEN 0 AND 100),
    UNIQUE (order_id, product_id)
);
CREATE INDEX order_lines_product_idx ON order_lines (product_id);

-- BEFORE INSERT on order_lines: price the line in the order's currency and
-- take the stock from the highest-priority warehouse that has enough.
CREATE FUNCTION order_lines_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    v_order   orders%ROWTYPE;
    v_product products%ROWTYPE;
    v_wh      integer;
    v_avail   integer;
BEGIN
    SELECT * INTO v_order FROM orders WHERE id = NEW.order_id FOR UPDATE;
    IF v_order.status <> 'pending' THEN
        RAISE EXCEPTION 'cannot add lines to % order %', v_order.status, v_order.id
            USING ERRCODE = 'SHP02';
    END IF;

    SELECT * INTO v_product FROM products WHERE id = NEW.product_id;
    IF NOT v_product.active THEN
        RAISE EXCEPTION 'product % is not for sale', v_product.sku
            USING ERRCODE = 'SHP03';
    END IF;

    IF NEW.unit_price IS NULL THEN
        NEW.unit_price := convert_amount(v_product.price, v_product.currency, v_order.currency);
    END IF;

    SELECT s.warehouse_id INTO v_wh
    FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id
    WHERE s.product_id = NEW.product_id AND s.quantity >= NEW.quantity
    ORDER BY w.priority, w.id
    LIMIT 1
    FOR UPDATE OF s;

    IF v_wh IS NULL THEN
        SELECT coalesce(sum(quantity), 0) INTO v_avail
        FROM stock_levels WHERE product_id = NEW.product_id;
        RAISE EXCEPTION 'insufficient stock for % (requested %, available %)',
                        v_product.sku, NEW.quantity, v_avail
            USING ERRCODE = 'SHP01',
                  HINT = 'Split the line or restock the product first.';
    END IF;

    UPDATE stock_levels SET quantity = quantity - NEW.quantity
    WHERE product_id = NEW.product_id AND warehouse_id = v_wh;

    INSERT INTO stock_movements (product_id, warehouse_id, delta, reason, order_line_id)
    VALUES (NEW.product_id, v_wh, -NEW.quantity, 'sale', NEW.id);

    NEW.warehouse_id := v_wh;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER order_lines_reserve_stock
    BEFORE INSERT ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_lines_before_insert();

-- Put the goods of a line back on the shelf.
CREATE FUNCTION restock_line(p_line order_lines) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    UPDATE stock_levels SET quantity = quantity + p_line.quantity
    WHERE product_id = p_line.product_id AND warehouse_id = p_line.warehouse_id;
    INSERT INTO stock_movements (product_id, warehouse_id, delta, reason, order_line_id)
    VALUES (p_line.product_id, p_line.warehouse_id, p_line.quantity, 'return', p_line.id);
END
$fn$;

CREATE FUNCTION order_lines_after_delete() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    -- Lines vanish with their order on cascade: only restock open orders.
    IF EXISTS (SELECT 1 FROM orders WHERE id = OLD.order_id AND status = 'pending') THEN
        PERFORM restock_line(OLD);
    END IF;
    RETURN OLD;
END
$fn$;

CREATE TRIGGER order_lines_release_stock
    AFTER DELETE ON order_lines
    FOR EACH ROW EXECUTE FUNCTION order_lines_after_delete();

-- Order status workflow.
CREATE FUNCTION order_status_allowed(from_s order_status, to_s order_status)
RETURNS boolean
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT (from_s, to_s) IN (
        ('pending'::order_status, 'paid'::order_status),
        ('pending', 'cancelled'),
        ('paid', 'shipped'),
        ('paid', 'cancelled'),
        ('paid', 'refunded'),
        ('shipped', 'delivered'),
        ('delivered', 'refunded'))
$fn$;

CREATE FUNCTION orders_before_status_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT order_status_allowed(OLD.status, NEW.status) THEN
        RAISE EXCEPTION 'invalid status transition % -> % for order %',
                        OLD.status, NEW.status, OLD.id
            USING ERRCODE = 'SHP04';
    END IF;
    CASE NEW.status
        WHEN 'paid'      THEN NEW.paid_at      := coalesce(NEW.paid_at, now());
        WHEN 'shipped'   THEN NEW.shipped_at   := coalesce(NEW.shipped_at, now());
        WHEN 'delivered' THEN NEW.delivered_at := coalesce(NEW.delivered_at, now());
        WHEN 'cancelled' THEN NEW.cancelled_at := coalesce(NEW.cancelled_at, now());
        ELSE NULL;
    END CASE;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER orders_status_workflow
    BEFORE UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION orders_before_status_change();

CREATE FUNCTION orders_after_cancel() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    l order_lines%ROWTYPE;
BEGIN
    FOR l IN SELECT * FROM order_lines WHERE order_id = NEW.id ORDER BY id LOOP
        PERFORM restock_line(l);
    END LOOP;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER orders_restock_on_cancel
    AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (NEW.status = 'cancelled' AND OLD.status <> 'cancelled')
    EXECUTE FUNCTION orders_after_cancel();

-- Net value of the goods on an order, in the order's currency.
CREATE FUNCTION order_subtotal(p_order_id bigint) RETURNS numeric
LANGUAGE sql STABLE AS $fn$
    SELECT coalesce(sum(round(unit_price * quantity * (1 - discount_pct / 100), 2)), 0)
    FROM order_lines WHERE order_id = p_order_id
$fn$;

-- Place an order from a JSON array like [{"sku": "KIT-0001", "qty": 2}].
-- Orders worth less than 50 EUR pay a flat 4.90 EUR shipping fee.
CREATE FUNCTION place_order(p_customer_id bigint,
                            p_items       jsonb,
                            p_address_id  bigint      DEFAULT NULL,
                            p_placed_at   timestamptz DEFAULT now())
RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_customer customers%ROWTYPE;
    v_address  bigint := p_address_id;
    v_order    bigint;
    v_item     record;
    v_product  integer;
BEGIN
    SELECT * INTO v_customer FROM customers WHERE id = p_customer_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown customer %', p_customer_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p_items IS NULL OR jsonb_typeof(p_items) <> 'array' OR jsonb_array_length(p_items) = 0 THEN
        RAISE EXCEPTION 'an order needs at least one item' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_address IS NULL THEN
        SELECT id INTO v_address FROM addresses
        WHERE customer_id = p_customer_id AND is_default;
    END IF;

    INSERT INTO orders (customer_id, shipping_address_id, currency, placed_at, updated_at)
    VALUES (p_customer_id, v_address, v_customer.currency, p_placed_at, p_placed_at)
    RETURNING id INTO v_order;

    FOR v_item IN
        SELECT x.sku, x.qty, coalesce(x.discount_pct, 0) AS discount_pct
        FROM jsonb_to_recordset(p_items) AS x(sku text, qty integer, discount_pct numeric)
    LOOP
        SELECT id INTO v_product FROM products WHERE sku = v_item.sku;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'unknown SKU %', v_item.sku USING ERRCODE = 'no_data_found';
        END IF;
        INSERT INTO order_lines (order_id, product_id, quantity, discount_pct)
        VALUES (v_order, v_product, v_item.qty, v_item.discount_pct);
    END LOOP;

    IF convert_amount(order_subtotal(v_order), v_customer.currency, 'EUR') < 50 THEN
        UPDATE orders SET shipping_fee = convert_amount(4.90, 'EUR', v_customer.currency),
                          updated_at = p_placed_at
        WHERE id = v_order;
    END IF;
    RETURN v_order;
END
$fn$;

-- Seed orders: Anna's delivered order and Oliver's open one.
SELECT place_order(1, '[{"sku": "KIT-0001", "qty": 1}, {"sku": "KIT-0002", "qty": 2}]',
                   NULL, '2024-04-02 18:20:00+02');
UPDATE orders SET status = 'paid',      paid_at      = '2024-04-02 18:25:00+02' WHERE id = 1;
UPDATE orders SET status = 'shipped',   shipped_at   = '2024-04-03 11:00:00+02' WHERE id = 1;
UPDATE orders SET status = 'delivered', delivered_at = '2024-04-05 15:42:00+02' WHERE id = 1;
UPDATE orders SET updated_at = '2024-04-05 15:42:00+02' WHERE id = 1;

SELECT place_order(2, '[{"sku": "OUT-0001", "qty": 1}]', NULL, '2024-05-14 08:05:00+01');
