-- pgTAP case that deliberately commits (no BEGIN/ROLLBACK): it signs up a
-- customer and checks exact counts. On a database shared with other cases
-- the unique e-mail key and the counts make it fail.
\i helpers/setup.psql

SELECT plan(5);

SELECT lives_ok($$INSERT INTO customers (email, full_name, country, currency, marketing_ok)
                  VALUES ('tap.signup@example.com', 'Tap Signup', 'AT', 'EUR', true)$$,
                'sign-up succeeds');
SELECT is((SELECT count(*) FROM customers), 4::bigint, '3 seed customers + 1 sign-up');
SELECT is((SELECT count(*) FROM customers WHERE marketing_ok), 3::bigint, 'three customers accept marketing');
SELECT is((SELECT count(*) FROM audit_log WHERE table_name = 'customers'), 1::bigint,
          'exactly one customer audit entry');
SELECT is((SELECT lifetime_value_eur FROM customer_lifetime_value WHERE email = 'tap.signup@example.com'),
          0::numeric, 'a new customer has no lifetime value yet');

SELECT * FROM finish();
