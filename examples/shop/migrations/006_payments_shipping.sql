-- Payments and shipments.

CREATE TABLE payments (
    id           bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint        NOT NULL REFERENCES orders (id),
    amount       numeric(12,2) NOT NULL CHECK (amount > 0),
    currency     char(3)       NOT NULL REFERENCES currencies (code),
    method       text          NOT NULL CHECK (method IN ('card', 'paypal', 'sepa', 'invoice')),
    provider_ref text          UNIQUE,
    received_at  timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

CREATE TABLE shipments (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint      NOT NULL REFERENCES orders (id),
    carrier         text        NOT NULL CHECK (carrier IN ('DHL', 'DPD', 'UPS', 'Royal Mail', 'Swiss Post')),
    tracking_number text        NOT NULL,
    shipped_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (carrier, tracking_number)
);

CREATE TABLE shipment_items (
    shipment_id   bigint  NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,
    order_line_id bigint  NOT NULL REFERENCES order_lines (id),
    quantity      integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (shipment_id, order_line_id)
);

-- Record a payment; once the order is paid in full it moves to 'paid'.
-- The order total comes from the order_totals view (created by a later
-- migration; PL/pgSQL resolves it when the function runs).
CREATE FUNCTION record_payment(p_order_id bigint, p_amount numeric, p_method text,
                               p_provider_ref text DEFAULT NULL)
RETURNS order_status
LANGUAGE plpgsql AS $fn$
DECLARE
    v_currency char(3);
    v_total    numeric;
    v_paid     numeric;
    v_status   order_status;
BEGIN
    SELECT currency, status INTO v_currency, v_status FROM orders WHERE id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown order %', p_order_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_status <> 'pending' THEN
        RAISE EXCEPTION 'order % is % and cannot take payments', p_order_id, v_status
            USING ERRCODE = 'SHP02';
    END IF;

    INSERT INTO payments (order_id, amount, currency, method, provider_ref)
    VALUES (p_order_id, p_amount, v_currency, p_method, p_provider_ref);

    SELECT total INTO v_total FROM order_totals WHERE order_id = p_order_id;
    SELECT sum(amount) INTO v_paid FROM payments WHERE order_id = p_order_id;
    IF v_paid >= v_total THEN
        UPDATE orders SET status = 'paid' WHERE id = p_order_id
        RETURNING status INTO v_status;
    END IF;
    RETURN v_status;
END
$fn$;

INSERT INTO payments (order_id, amount, currency, method, provider_ref, received_at)
VALUES (1, 99.84, 'EUR', 'card', 'ch_seed_0001', '2024-04-02 18:25:00+02');

INSERT INTO shipments (order_id, carrier, tracking_number, shipped_at)
VALUES (1, 'DHL', '00340434161234567890', '2024-04-03 11:00:00+02');
INSERT INTO shipment_items (shipment_id, order_line_id, quantity) VALUES (1, 1, 1), (1, 2, 2);
