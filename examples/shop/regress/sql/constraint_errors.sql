--
-- What the schema rejects, with the server's error messages.
--
-- duplicate e-mail, differing only in case
INSERT INTO customers (email, full_name, country, currency, created_at, updated_at)
VALUES ('Anna.Schmidt@Example.DE', 'Anna Impostor', 'DE', 'EUR', '2024-06-01 12:00:00+02', '2024-06-01 12:00:00+02');
-- second default address
INSERT INTO addresses (customer_id, line1, postal_code, city, country, is_default)
VALUES (2, '10 Downing Street', 'SW1A 2AA', 'London', 'GB', true);
-- unknown customer
INSERT INTO addresses (customer_id, line1, postal_code, city, country)
VALUES (999, 'Nowhere 1', '00000', 'Nowhere', 'DE');
-- missing name
INSERT INTO customers (email, full_name, country, currency, created_at, updated_at)
VALUES ('nameless@example.org', NULL, 'DE', 'EUR', '2024-06-01 12:00:00+02', '2024-06-01 12:00:00+02');
-- rating out of range
INSERT INTO reviews (product_id, customer_id, rating, title, created_at)
VALUES (3, 2, 0, 'Zero stars', '2024-06-01 12:00:00+02');
-- products that have been sold cannot be deleted
DELETE FROM products WHERE sku = 'KIT-0001';
-- invalid enum label
SELECT 'lost'::order_status;
-- payments must be positive
INSERT INTO payments (order_id, amount, currency, method, received_at)
VALUES (2, -5, 'GBP', 'card', '2024-06-01 12:00:00+02');

-- Nothing above changed any data.
SELECT (SELECT count(*) FROM customers) AS customers,
       (SELECT count(*) FROM addresses) AS addresses,
       (SELECT count(*) FROM reviews)   AS reviews,
       (SELECT count(*) FROM payments)  AS payments;
