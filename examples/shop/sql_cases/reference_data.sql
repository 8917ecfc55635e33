-- Seed/reference data shipped by the migrations.
DO $$
DECLARE
    n integer;
BEGIN
    SELECT count(*) INTO n FROM currencies;
    IF n <> 6 THEN RAISE EXCEPTION 'expected 6 currencies, found %', n; END IF;

    SELECT count(*) INTO n FROM countries;
    IF n <> 9 THEN RAISE EXCEPTION 'expected 9 countries, found %', n; END IF;

    SELECT count(*) INTO n FROM countries WHERE NOT ships_to;
    IF n <> 1 THEN RAISE EXCEPTION 'expected exactly one non-shipping country, found %', n; END IF;

    SELECT count(*) INTO n FROM countries c LEFT JOIN currencies cur ON cur.code = c.currency
    WHERE cur.code IS NULL;
    IF n <> 0 THEN RAISE EXCEPTION '% countries reference unknown currencies', n; END IF;

    SELECT count(*) INTO n FROM products WHERE active;
    IF n <> 7 THEN RAISE EXCEPTION 'expected 7 active products, found %', n; END IF;

    SELECT count(*) INTO n FROM categories WHERE parent_id IS NULL;
    IF n <> 2 THEN RAISE EXCEPTION 'expected 2 top-level categories, found %', n; END IF;
END
$$;

-- Currency conversion goes through EUR and rounds to the target's minor units.
DO $$
BEGIN
    IF convert_amount(100, 'GBP', 'EUR') <> 117.00 THEN
        RAISE EXCEPTION 'GBP->EUR: got %', convert_amount(100, 'GBP', 'EUR');
    END IF;
    IF convert_amount(10, 'EUR', 'JPY') <> 1613 THEN
        RAISE EXCEPTION 'EUR->JPY: got %', convert_amount(10, 'EUR', 'JPY');
    END IF;
    IF convert_amount(NULL, 'EUR', 'USD') IS NOT NULL THEN
        RAISE EXCEPTION 'convert_amount must be STRICT';
    END IF;
    BEGIN
        PERFORM convert_amount(1, 'XXX', 'EUR');
        RAISE EXCEPTION 'unknown currency was accepted';
    EXCEPTION WHEN foreign_key_violation THEN
        NULL; -- expected
    END;
END
$$;
