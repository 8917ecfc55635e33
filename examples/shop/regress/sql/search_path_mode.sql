--
-- Where did the migrations put the shop's objects? In database mode they
-- are in public; in schema mode they are in a per-case schema that comes
-- first in search_path. The first query differs between the two modes, so
-- this case has two expected files: search_path_mode.out (database mode)
-- and search_path_mode_1.out (schema mode).
--
SELECT current_schema() = 'public' AS migrated_into_public;

-- Everything else reads the same in both modes.
SELECT count(*) AS shop_tables
FROM pg_tables WHERE schemaname = current_schema();

SELECT count(*) AS reporting_views
FROM pg_views
WHERE schemaname = current_schema()
  AND viewname IN ('order_totals', 'customer_lifetime_value', 'product_sales', 'stock_on_hand',
                   'low_stock', 'product_ratings', 'daily_revenue_eur');

SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
WHERE t.typnamespace = current_schema()::regnamespace
GROUP BY t.typname ORDER BY t.typname;

SELECT 'orders'::regclass AS orders_table,
       to_regclass('orders') = 'orders'::regclass AS resolves;
