-- Migration 11_settings.sql sets the database's default time zone with
-- ALTER DATABASE <current_database()> SET timezone. A new session on the
-- test database must see it.
DO $$
BEGIN
    IF current_setting('TimeZone') <> 'Europe/Berlin' THEN
        RAISE EXCEPTION 'expected TimeZone Europe/Berlin, got %', current_setting('TimeZone');
    END IF;
END
$$;

-- Seed order 1 was placed at 18:20 Berlin summer time.
DO $$
DECLARE
    v text;
BEGIN
    SELECT to_char(placed_at, 'YYYY-MM-DD HH24:MI TZ') INTO v FROM orders WHERE id = 1;
    IF v <> '2024-04-02 18:20 CEST' THEN
        RAISE EXCEPTION 'seed order 1 placed_at renders as %, expected 2024-04-02 18:20 CEST', v;
    END IF;
END
$$;

-- The daily revenue view buckets by Berlin calendar day.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM daily_revenue_eur WHERE day = date '2024-04-02' AND revenue_eur = 99.84) THEN
        RAISE EXCEPTION 'daily_revenue_eur has no 99.84 EUR for 2024-04-02';
    END IF;
END
$$;
