-- Database-level settings. The shop reports in Berlin time. The database
-- name is not known in advance (every test case gets its own clone), so
-- build the statement from current_database().
--
-- The guard skips the ALTER when the setting is already in place (e.g. a
-- clone that inherited it, or a database where another schema already ran
-- this migration): concurrent ALTER DATABASE ... SET on the same database
-- fail with "tuple concurrently updated".
DO $$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_db_role_setting s
        JOIN pg_database d ON d.oid = s.setdatabase
        WHERE d.datname = current_database()
          AND s.setrole = 0
          AND 'TimeZone=Europe/Berlin' = ANY (s.setconfig))
    THEN
        EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), 'Europe/Berlin');
    END IF;
END
$$;
