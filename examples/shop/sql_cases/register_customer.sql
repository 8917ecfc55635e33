-- Sign up Jane Doe with two addresses. Commits, so on a shared database a
-- second case that registers jane.doe@example.com fails on the unique key.
INSERT INTO customers (email, full_name, country, currency, marketing_ok)
VALUES ('jane.doe@example.com', 'Jane Doe', 'NL', 'EUR', true);

INSERT INTO addresses (customer_id, label, line1, postal_code, city, country, is_default)
SELECT id, 'home', 'Prinsengracht 263', '1016 GV', 'Amsterdam', 'NL', true
FROM customers WHERE email = 'jane.doe@example.com';

INSERT INTO addresses (customer_id, label, line1, postal_code, city, country, is_default)
SELECT id, 'office', 'Keizersgracht 1', '1015 CC', 'Amsterdam', 'NL', false
FROM customers WHERE email = 'jane.doe@example.com';

DO $$
DECLARE
    v_id bigint;
    n    integer;
BEGIN
    SELECT id INTO v_id FROM customers WHERE email = 'jane.doe@example.com';

    -- Case-insensitive uniqueness of e-mail addresses.
    BEGIN
        INSERT INTO customers (email, full_name, country, currency)
        VALUES ('Jane.Doe@Example.COM', 'Jane Again', 'NL', 'EUR');
        RAISE EXCEPTION 'duplicate e-mail (different case) was accepted';
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;

    -- Partial unique index: only one default address per customer.
    BEGIN
        UPDATE addresses SET is_default = true WHERE customer_id = v_id AND label = 'office';
        RAISE EXCEPTION 'second default address was accepted';
    EXCEPTION WHEN unique_violation THEN
        NULL;
    END;

    -- E-mail format check.
    BEGIN
        INSERT INTO customers (email, full_name, country, currency)
        VALUES ('not-an-email', 'Broken', 'NL', 'EUR');
        RAISE EXCEPTION 'malformed e-mail was accepted';
    EXCEPTION WHEN check_violation THEN
        NULL;
    END;

    -- The sign-up was audited.
    SELECT count(*) INTO n FROM audit_log
    WHERE table_name = 'customers' AND operation = 'I' AND row_id = v_id::text
      AND new_row ->> 'email' = 'jane.doe@example.com';
    IF n <> 1 THEN
        RAISE EXCEPTION 'expected one audit entry for the sign-up, found %', n;
    END IF;
END
$$;
