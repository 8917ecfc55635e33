#!/bin/sh
# The migrations created every table, the view and the function, in the
# schema this case runs in (public, or the case's own schema with
# --isolation schema). Read-only: safe on a shared database.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for t in members authors books copies loans; do
    kind=$(sql -c "SELECT relkind FROM pg_class WHERE oid = to_regclass('$t')")
    [ "$kind" = r ] || fail "table $t is missing (relkind '$kind')"
    schema=$(sql -c "SELECT relnamespace::regnamespace = current_schema()::regnamespace FROM pg_class WHERE oid = to_regclass('$t')")
    [ "$schema" = t ] || fail "table $t is not in the current schema $(sql -c 'SELECT current_schema()')"
done

kind=$(sql -c "SELECT relkind FROM pg_class WHERE oid = to_regclass('available_copies')")
[ "$kind" = v ] || fail "view available_copies is missing (relkind '$kind')"

fn=$(sql -c "SELECT to_regprocedure('checkout_copy(text, text, integer)') IS NOT NULL")
[ "$fn" = t ] || fail "function checkout_copy(text, text, integer) is missing"

fks=$(sql -c "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN ('books'::regclass, 'copies'::regclass, 'loans'::regclass)")
[ "$fks" = 4 ] || fail "expected 4 foreign keys on books, copies and loans, found $fks"
