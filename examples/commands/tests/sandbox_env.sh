#!/bin/sh
# isotest hands each case its sandbox through the environment: PGHOST,
# PGPORT, PGUSER, PGDATABASE (+ PGOPTIONS in schema mode), DATABASE_URL and
# ISOTEST_*. Both ways of connecting must reach the same database and see
# the migrated tables. Read-only: safe on a shared database.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -n "${ISOTEST_TEST_ID:-}" ] || fail "ISOTEST_TEST_ID is not set"
[ -n "${ISOTEST_SANDBOX:-}" ] || fail "ISOTEST_SANDBOX is not set"
[ -n "${DATABASE_URL:-}" ] || fail "DATABASE_URL is not set"

db=$(sql -c "SELECT current_database()")
[ "$db" = "$PGDATABASE" ] || fail "connected to '$db', PGDATABASE says '$PGDATABASE'"

# A connection string as the only argument replaces the PG* defaults.
via_url=$(sql "$DATABASE_URL" -c "SELECT current_database() || '/' || current_schema()")
via_env=$(sql -c "SELECT current_database() || '/' || current_schema()")
[ "$via_url" = "$via_env" ] || fail "DATABASE_URL reaches $via_url, PG* reaches $via_env"

n=$(sql "$DATABASE_URL" -c "SELECT count(*) FROM members WHERE username IN ('alice', 'bob', 'carol')")
[ "$n" = 3 ] || fail "expected the 3 seed members through DATABASE_URL, found $n"
