-- FIRSTONLY is a single-use 15 EUR coupon. Anna uses it and commits, so a
-- second run against the same database finds it used up.
SELECT place_order(1, '[{"sku": "KIT-0004", "qty": 1}]') AS order_id \gset
SELECT apply_coupon(:order_id, 'firstonly') AS discount \gset

SELECT set_config('shop.order_id', :'order_id', false), set_config('shop.discount', :'discount', false);

DO $$
DECLARE
    v_id bigint := current_setting('shop.order_id')::bigint;
    t    order_totals%ROWTYPE;
    n    integer;
BEGIN
    IF current_setting('shop.discount')::numeric <> 15.00 THEN
        RAISE EXCEPTION 'expected a 15.00 discount, got %', current_setting('shop.discount');
    END IF;
    SELECT * INTO t FROM order_totals WHERE order_id = v_id;
    -- 89.00 - 15.00 = 74.00 net, 19% VAT 14.06, free shipping
    IF t.discount <> 15.00 OR t.tax <> 14.06 OR t.total <> 88.06 THEN
        RAISE EXCEPTION 'unexpected totals: discount % tax % total %', t.discount, t.tax, t.total;
    END IF;

    SELECT count(*) INTO n FROM coupon_redemptions r JOIN coupons c ON c.id = r.coupon_id
    WHERE c.code = 'FIRSTONLY';
    IF n <> 1 THEN
        RAISE EXCEPTION 'expected exactly one FIRSTONLY redemption, found %', n;
    END IF;
END
$$;

-- Everything else about coupons is checked on a second order of Lena's.
SELECT place_order(3, '[{"sku": "KIT-0002", "qty": 1}]') AS lena_order \gset
SELECT set_config('shop.lena_order', :'lena_order', false);

DO $$
DECLARE
    v_id bigint := current_setting('shop.lena_order')::bigint;
    v_state text;
BEGIN
    FOR v_state IN
        SELECT unnest(ARRAY['FIRSTONLY:SHP12', 'SUMMER5:SHP11', 'FUTURE25:SHP11',
                            'BIGSPENDER:SHP13', 'NOPE2024:SHP10'])
    LOOP
        BEGIN
            PERFORM apply_coupon(v_id, split_part(v_state, ':', 1));
            RAISE EXCEPTION 'coupon % was accepted', split_part(v_state, ':', 1);
        EXCEPTION WHEN OTHERS THEN
            IF SQLSTATE <> split_part(v_state, ':', 2) THEN
                RAISE EXCEPTION 'coupon %: expected SQLSTATE %, got % (%)',
                    split_part(v_state, ':', 1), split_part(v_state, ':', 2), SQLSTATE, SQLERRM;
            END IF;
        END;
    END LOOP;

    -- WELCOME10 works: 10% of 24.50 EUR converted to CHF.
    IF apply_coupon(v_id, 'WELCOME10') <> round(convert_amount(24.50, 'EUR', 'CHF') * 0.10, 2) THEN
        RAISE EXCEPTION 'WELCOME10 gave the wrong discount';
    END IF;
    -- One coupon per order.
    BEGIN
        PERFORM apply_coupon(v_id, 'WELCOME10');
        RAISE EXCEPTION 'second coupon on the same order was accepted';
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;
END
$$;
