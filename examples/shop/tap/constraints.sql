-- Constraint violations the schema must reject (pgTAP throws_ok).
\i helpers/setup.psql

BEGIN;
SELECT plan(14);

SELECT throws_ok($$INSERT INTO customers (email, full_name, country, currency)
                   VALUES ('ANNA.SCHMIDT@example.de', 'Anna Clone', 'DE', 'EUR')$$,
                 '23505', NULL, 'e-mail addresses are unique regardless of case');
SELECT throws_ok($$INSERT INTO customers (email, full_name, country, currency)
                   VALUES ('no-at-sign', 'Nobody', 'DE', 'EUR')$$,
                 '23514', NULL, 'e-mail addresses must look like e-mail addresses');
SELECT throws_ok($$INSERT INTO customers (email, full_name, country, currency)
                   VALUES ('x@example.org', '   ', 'DE', 'EUR')$$,
                 '23514', NULL, 'names must not be blank');
SELECT throws_ok($$INSERT INTO customers (email, full_name, country, currency)
                   VALUES ('x@example.org', 'X', 'XX', 'EUR')$$,
                 '23503', NULL, 'customers need a known country');
SELECT throws_ok($$INSERT INTO addresses (customer_id, line1, postal_code, city, country, is_default)
                   VALUES (1, 'Second default 1', '10115', 'Berlin', 'DE', true)$$,
                 '23505', NULL, 'only one default address per customer (partial unique index)');
SELECT lives_ok($$INSERT INTO addresses (customer_id, line1, postal_code, city, country, is_default)
                  VALUES (1, 'Another non-default 1', '10115', 'Berlin', 'DE', false)$$,
                'any number of non-default addresses');
SELECT throws_ok($$INSERT INTO products (sku, name, price) VALUES ('kit-1', 'Bad SKU', 1)$$,
                 '23514', NULL, 'SKUs follow the AAA-9999 pattern');
SELECT throws_ok($$INSERT INTO products (sku, name, price) VALUES ('KIT-0001', 'Duplicate', 1)$$,
                 '23505', NULL, 'SKUs are unique');
SELECT throws_ok($$UPDATE products SET price = -1 WHERE sku = 'KIT-0001'$$,
                 '23514', NULL, 'prices cannot be negative');
SELECT throws_ok($$UPDATE categories SET parent_id = id WHERE slug = 'kitchen'$$,
                 '23514', NULL, 'a category cannot be its own parent');
SELECT throws_ok($$INSERT INTO coupons (code, kind, value) VALUES ('HALF', 'percent', 150)$$,
                 '23514', NULL, 'percentage coupons are at most 100%');
SELECT throws_ok($$INSERT INTO coupons (code, kind, value) VALUES ('FIXED', 'fixed', 5)$$,
                 '23514', NULL, 'fixed coupons need a currency');
SELECT throws_ok($$INSERT INTO payments (order_id, amount, currency, method) VALUES (2, 5, 'GBP', 'bitcoin')$$,
                 '23514', NULL, 'only known payment methods');
SELECT throws_ok($$DELETE FROM customers WHERE id = 1$$,
                 '23503', NULL, 'customers with orders cannot be deleted');

SELECT * FROM finish();
ROLLBACK;
