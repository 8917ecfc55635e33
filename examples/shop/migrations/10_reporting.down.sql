-- Down migration for 10_reporting.sql. Test runners must NOT apply *.down.sql
-- files: if this ran, every case that reads a reporting view would fail.
DROP VIEW IF EXISTS daily_revenue_eur;
DROP VIEW IF EXISTS product_ratings;
DROP VIEW IF EXISTS low_stock;
DROP VIEW IF EXISTS stock_on_hand;
DROP VIEW IF EXISTS product_sales;
DROP VIEW IF EXISTS customer_lifetime_value;
DROP VIEW IF EXISTS order_totals;
