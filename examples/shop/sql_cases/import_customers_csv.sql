-- Import a customer list exported from the old shop system through the
-- same staging table name as the product import (collides on a shared
-- database: CREATE TABLE scratch_import fails the second time).
CREATE TABLE scratch_import (
    email     text,
    full_name text,
    country   text,
    opt_in    text
);

COPY scratch_import FROM STDIN WITH (FORMAT csv);
pierre.martin@example.fr,Pierre Martin,FR,yes
sofia.larsson@example.se,Sofia Larsson,SE,no
ANNA.SCHMIDT@example.de,Anna Schmidt,DE,yes
max.huber@example.at,Max Huber,AT,
\.

-- Existing customers (case-insensitive e-mail match) are skipped.
INSERT INTO customers (email, full_name, country, currency, marketing_ok)
SELECT lower(s.email), s.full_name, s.country, c.currency, coalesce(s.opt_in = 'yes', false)
FROM scratch_import s
JOIN countries c ON c.code = s.country
ON CONFLICT ((lower(email))) DO NOTHING;

DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM customers;
    IF n <> 3 + 3 THEN
        RAISE EXCEPTION 'expected 6 customers (3 seed + 3 imported), found %', n;
    END IF;
    IF (SELECT currency FROM customers WHERE email = 'sofia.larsson@example.se') <> 'SEK' THEN
        RAISE EXCEPTION 'Swedish customer should shop in SEK';
    END IF;
    SELECT count(*) INTO n FROM customers WHERE marketing_ok AND email LIKE '%.fr';
    IF n <> 1 THEN
        RAISE EXCEPTION 'opt-in flag not imported';
    END IF;
    -- Anna was already a customer: still one row, still her original name.
    SELECT count(*) INTO n FROM customers WHERE lower(email) = 'anna.schmidt@example.de';
    IF n <> 1 THEN
        RAISE EXCEPTION 'duplicate customer for Anna: %', n;
    END IF;
    SELECT count(*) INTO n FROM audit_log WHERE table_name = 'customers';
    IF n <> 3 THEN
        RAISE EXCEPTION 'expected 3 customer audit entries, found %', n;
    END IF;
END
$$;
