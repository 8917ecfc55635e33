#!/bin/sh
# Writes the cases of the I/O-bound benchmark suite: 200 cases that spend
# most of their time waiting on the server (pg_sleep) plus a few real
# queries.  Durations are uneven on purpose: most cases sleep 20-80 ms and
# every 25th sleeps 400 ms, placed late in id order, so that the order in
# which cases start shows in the wall time.  Deterministic: run it again
# and nothing changes.
set -eu
cd "$(dirname "$0")"
rm -rf cases
mkdir -p cases
i=1
while [ $i -le 200 ]; do
    n=$(printf '%03d' $i)
    if [ $((i % 25)) -eq 0 ]; then
        ms=400
    else
        ms=$((20 + (i * 37) % 61))
    fi
    cat > cases/case_$n.sql <<SQL
-- benchmark case $n: ${ms} ms on the server, a few real queries
INSERT INTO events (kind, payload) VALUES ('case', '{"n": $i}');
SELECT pg_sleep($ms / 1000.0);
UPDATE counters SET value = value + 1 WHERE name = 'hits';
DO \$\$
BEGIN
    IF (SELECT count(*) FROM events) <> 1 + (SELECT count(*) FROM events WHERE kind = 'seed') THEN
        RAISE EXCEPTION 'expected only this case''s event';
    END IF;
END \$\$;
SQL
    i=$((i + 1))
done
