-- Coupons and their redemptions.

CREATE TABLE coupons (
    id              integer       GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text          NOT NULL CHECK (code = upper(code) AND length(code) BETWEEN 4 AND 20),
    kind            text          NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value           numeric(12,2) NOT NULL CHECK (value > 0),
    currency        char(3)       REFERENCES currencies (code),
    min_subtotal    numeric(12,2) NOT NULL DEFAULT 0,
    max_redemptions integer       CHECK (max_redemptions > 0),
    valid_from      timestamptz   NOT NULL DEFAULT '-infinity',
    valid_until     timestamptz   NOT NULL DEFAULT 'infinity',
    CHECK (kind <> 'percent' OR value <= 100),
    CHECK ((kind = 'fixed') = (currency IS NOT NULL)),
    CHECK (valid_until > valid_from)
);
CREATE UNIQUE INDEX coupons_code_key ON coupons (code);

CREATE TABLE coupon_redemptions (
    id          bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    coupon_id   integer       NOT NULL REFERENCES coupons (id),
    order_id    bigint        NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    customer_id bigint        NOT NULL REFERENCES customers (id),
    discount    numeric(12,2) NOT NULL CHECK (discount >= 0),
    redeemed_at timestamptz   NOT NULL DEFAULT now(),
    UNIQUE (coupon_id, customer_id)
);

-- Apply a coupon to a pending order; returns the discount in order currency.
CREATE FUNCTION apply_coupon(p_order_id bigint, p_code text) RETURNS numeric
LANGUAGE plpgsql AS $fn$
DECLARE
    v_order    orders%ROWTYPE;
    v_coupon   coupons%ROWTYPE;
    v_subtotal numeric;
    v_used     integer;
    v_discount numeric;
BEGIN
    SELECT * INTO v_order FROM orders WHERE id = p_order_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown order %', p_order_id USING ERRCODE = 'no_data_found';
    END IF;
    IF v_order.status <> 'pending' THEN
        RAISE EXCEPTION 'coupons can only be applied to pending orders' USING ERRCODE = 'SHP02';
    END IF;

    SELECT * INTO v_coupon FROM coupons WHERE code = upper(p_code) FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown coupon %', upper(p_code) USING ERRCODE = 'SHP10';
    END IF;
    IF now() < v_coupon.valid_from OR now() >= v_coupon.valid_until THEN
        RAISE EXCEPTION 'coupon % is not valid now', v_coupon.code USING ERRCODE = 'SHP11';
    END IF;
    SELECT count(*) INTO v_used FROM coupon_redemptions WHERE coupon_id = v_coupon.id;
    IF v_coupon.max_redemptions IS NOT NULL AND v_used >= v_coupon.max_redemptions THEN
        RAISE EXCEPTION 'coupon % has been used up', v_coupon.code USING ERRCODE = 'SHP12';
    END IF;

    v_subtotal := order_subtotal(p_order_id);
    IF convert_amount(v_subtotal, v_order.currency, 'EUR') < v_coupon.min_subtotal THEN
        RAISE EXCEPTION 'coupon % needs a subtotal of at least % EUR', v_coupon.code, v_coupon.min_subtotal
            USING ERRCODE = 'SHP13';
    END IF;

    IF v_coupon.kind = 'percent' THEN
        v_discount := round(v_subtotal * v_coupon.value / 100, 2);
    ELSE
        v_discount := least(v_subtotal, convert_amount(v_coupon.value, v_coupon.currency, v_order.currency));
    END IF;

    INSERT INTO coupon_redemptions (coupon_id, order_id, customer_id, discount)
    VALUES (v_coupon.id, p_order_id, v_order.customer_id, v_discount);
    RETURN v_discount;
END
$fn$;

INSERT INTO coupons (code, kind, value, currency, min_subtotal, max_redemptions, valid_from, valid_until) VALUES
    ('WELCOME10',  'percent', 10,   NULL,  0,   NULL, '-infinity',              'infinity'),
    ('SUMMER5',    'fixed',   5,    'EUR', 20,  NULL, '2023-06-01 00:00:00+02', '2023-09-01 00:00:00+02'),
    ('BIGSPENDER', 'percent', 20,   NULL,  200, NULL, '-infinity',              'infinity'),
    ('FIRSTONLY',  'fixed',   15,   'EUR', 0,   1,    '-infinity',              'infinity'),
    ('FUTURE25',   'percent', 25,   NULL,  0,   NULL, '2999-01-01 00:00:00+00', 'infinity');
