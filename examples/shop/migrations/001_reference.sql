-- Reference data shared by the whole shop: currencies, countries and the
-- generic updated_at trigger function used by several tables.
-- All objects are created unqualified so they land in the first schema of
-- search_path (public in database mode, a per-case schema in schema mode).

CREATE TABLE currencies (
    code        char(3)       PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    name        text          NOT NULL,
    symbol      text          NOT NULL,
    minor_units smallint      NOT NULL DEFAULT 2 CHECK (minor_units BETWEEN 0 AND 4),
    -- how many EUR one unit of this currency is worth
    rate_to_eur numeric(12,6) NOT NULL CHECK (rate_to_eur > 0)
);

CREATE TABLE countries (
    code        char(2)      PRIMARY KEY CHECK (code ~ '^[A-Z]{2}$'),
    name        text         NOT NULL UNIQUE,
    currency    char(3)      NOT NULL REFERENCES currencies (code),
    vat_rate    numeric(5,4) NOT NULL CHECK (vat_rate >= 0 AND vat_rate < 1),
    ships_to    boolean      NOT NULL DEFAULT true
);

INSERT INTO currencies (code, name, symbol, minor_units, rate_to_eur) VALUES
    ('EUR', 'Euro',            '€',   2, 1.000000),
    ('USD', 'US Dollar',       '$',   2, 0.920000),
    ('GBP', 'Pound Sterling',  '£',   2, 1.170000),
    ('CHF', 'Swiss Franc',     'CHF', 2, 1.040000),
    ('SEK', 'Swedish Krona',   'kr',  2, 0.087000),
    ('JPY', 'Japanese Yen',    '¥',   0, 0.006200);

INSERT INTO countries (code, name, currency, vat_rate, ships_to) VALUES
    ('DE', 'Germany',        'EUR', 0.1900, true),
    ('AT', 'Austria',        'EUR', 0.2000, true),
    ('FR', 'France',         'EUR', 0.2000, true),
    ('NL', 'Netherlands',    'EUR', 0.2100, true),
    ('GB', 'United Kingdom', 'GBP', 0.2000, true),
    ('CH', 'Switzerland',    'CHF', 0.0810, true),
    ('SE', 'Sweden',         'SEK', 0.2500, true),
    ('US', 'United States',  'USD', 0.0000, true),
    ('JP', 'Japan',          'JPY', 0.1000, false);

-- Generic BEFORE UPDATE trigger: keep updated_at current.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$fn$;

-- Convert an amount between currencies through EUR, rounded to the target
-- currency's minor units. STRICT: NULL in, NULL out (outer joins in views).
CREATE FUNCTION convert_amount(amount numeric, from_cur char(3), to_cur char(3))
RETURNS numeric
LANGUAGE plpgsql STABLE STRICT AS $fn$
DECLARE
    from_rate numeric;
    to_rate   numeric;
    digits    smallint;
BEGIN
    SELECT rate_to_eur INTO from_rate FROM currencies WHERE code = from_cur;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown currency %', from_cur USING ERRCODE = 'foreign_key_violation';
    END IF;
    SELECT rate_to_eur, minor_units INTO to_rate, digits FROM currencies WHERE code = to_cur;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown currency %', to_cur USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN round(amount * from_rate / to_rate, digits);
END
$fn$;
