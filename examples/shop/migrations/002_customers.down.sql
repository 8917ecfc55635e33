-- Down migration for 002_customers.sql; must never be applied by the runner.
DROP TABLE IF EXISTS addresses CASCADE;
DROP TABLE IF EXISTS customers CASCADE;
