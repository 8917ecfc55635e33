-- benchmark case 160: 23 ms on the server, a few real queries
INSERT INTO events (kind, payload) VALUES ('case', '{"n": 160}');
SELECT pg_sleep(23 / 1000.0);
UPDATE counters SET value = value + 1 WHERE name = 'hits';
DO $$
BEGIN
    IF (SELECT count(*) FROM events) <> 1 + (SELECT count(*) FROM events WHERE kind = 'seed') THEN
        RAISE EXCEPTION 'expected only this case''s event';
    END IF;
END $$;
