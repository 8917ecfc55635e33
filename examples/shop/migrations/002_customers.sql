-- Customers and their postal addresses.

CREATE TABLE customers (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text        NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
    full_name    text        NOT NULL CHECK (length(btrim(full_name)) > 0),
    country      char(2)     NOT NULL REFERENCES countries (code),
    currency     char(3)     NOT NULL REFERENCES currencies (code),
    marketing_ok boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- E-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));
CREATE INDEX customers_country_idx ON customers (country);

CREATE TRIGGER customers_set_updated_at
    BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE addresses (
    id          bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint  NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    label       text    NOT NULL DEFAULT 'home',
    line1       text    NOT NULL,
    line2       text,
    postal_code text    NOT NULL,
    city        text    NOT NULL,
    country     char(2) NOT NULL REFERENCES countries (code),
    is_default  boolean NOT NULL DEFAULT false
);

-- Partial unique index: at most one default address per customer.
CREATE UNIQUE INDEX addresses_one_default_per_customer
    ON addresses (customer_id) WHERE is_default;
CREATE INDEX addresses_customer_idx ON addresses (customer_id);

-- Seed customers.
INSERT INTO customers (email, full_name, country, currency, marketing_ok, created_at, updated_at) VALUES
    ('anna.schmidt@example.de', 'Anna Schmidt', 'DE', 'EUR', true,  '2024-01-05 10:00:00+01', '2024-01-05 10:00:00+01'),
    ('oliver.brown@example.co.uk', 'Oliver Brown', 'GB', 'GBP', false, '2024-02-11 09:30:00+00', '2024-02-11 09:30:00+00'),
    ('lena.muller@example.ch', 'Lena Müller', 'CH', 'CHF', true,  '2024-03-20 14:15:00+01', '2024-03-20 14:15:00+01');

INSERT INTO addresses (customer_id, label, line1, postal_code, city, country, is_default) VALUES
    (1, 'home', 'Torstraße 12',      '10119',    'Berlin', 'DE', true),
    (1, 'work', 'Friedrichstraße 50', '10117',   'Berlin', 'DE', false),
    (2, 'home', '221B Baker Street', 'NW1 6XE',  'London', 'GB', true),
    (3, 'home', 'Bahnhofstrasse 1',  '8001',     'Zürich', 'CH', true);
