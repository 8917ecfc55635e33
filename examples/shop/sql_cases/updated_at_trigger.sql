-- updated_at is maintained by a trigger; the audit log records real changes
-- only.
UPDATE products SET price = 36.90 WHERE sku = 'KIT-0001';
UPDATE products SET price = 36.90 WHERE sku = 'KIT-0001';          -- no change
UPDATE customers SET marketing_ok = NOT marketing_ok WHERE id = 2;
UPDATE customers SET full_name = full_name WHERE id = 3;            -- no change

DO $$
DECLARE
    n integer;
    a audit_log%ROWTYPE;
BEGIN
    IF (SELECT updated_at FROM products WHERE sku = 'KIT-0001') <= '2024-01-01 00:00:00+01' THEN
        RAISE EXCEPTION 'products.updated_at not bumped';
    END IF;
    IF (SELECT updated_at FROM products WHERE sku = 'KIT-0002') <> '2024-01-01 00:00:00+01' THEN
        RAISE EXCEPTION 'untouched product had its updated_at changed';
    END IF;
    IF (SELECT updated_at FROM customers WHERE id = 3) <> '2024-03-20 14:15:00+01' THEN
        RAISE EXCEPTION 'no-op update bumped customers.updated_at';
    END IF;
    IF (SELECT updated_at FROM customers WHERE id = 2) <= '2024-02-11 09:30:00+00' THEN
        RAISE EXCEPTION 'customers.updated_at not bumped';
    END IF;

    SELECT count(*) INTO n FROM audit_log WHERE operation = 'U';
    IF n <> 2 THEN
        RAISE EXCEPTION 'expected 2 audited updates, found %', n;
    END IF;
    SELECT * INTO a FROM audit_log WHERE table_name = 'products';
    IF a.changed_cols <> ARRAY['price'] OR (a.old_row ->> 'price')::numeric <> 34.90
       OR (a.new_row ->> 'price')::numeric <> 36.90 OR a.row_id <> '1' THEN
        RAISE EXCEPTION 'unexpected product audit entry: % % % %', a.changed_cols, a.old_row ->> 'price', a.new_row ->> 'price', a.row_id;
    END IF;
    IF a.actor <> current_user THEN
        RAISE EXCEPTION 'audit actor is %, expected %', a.actor, current_user;
    END IF;

    -- The audit log is append-only.
    BEGIN
        DELETE FROM audit_log;
        RAISE EXCEPTION 'audit_log rows were deleted';
    EXCEPTION WHEN insufficient_privilege THEN
        NULL;
    END;
END
$$;
