#!/bin/sh
# Bob finally returns BC-0002 (the seed's only overdue loan): no overdue
# loans left, 6 copies available.
# Shared database: the overdue loan can be returned only once, and
# checkout_book.sh / welcome_new_member.sh change the available count.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

overdue=$(sql -c "SELECT count(*) FROM loans WHERE returned_on IS NULL AND due_on < current_date")
[ "$overdue" = 1 ] || fail "expected exactly 1 overdue loan in the seed, found $overdue"

returned=$(sql -c "UPDATE loans l SET returned_on = current_date
                   FROM copies c
                   WHERE c.id = l.copy_id AND c.barcode = 'BC-0002' AND l.returned_on IS NULL
                   RETURNING l.id")
[ -n "$returned" ] || fail "no open loan for BC-0002 to return"

overdue=$(sql -c "SELECT count(*) FROM loans WHERE returned_on IS NULL AND due_on < current_date")
[ "$overdue" = 0 ] || fail "expected no overdue loans after the return, found $overdue"

available=$(sql -c "SELECT count(*) FROM available_copies")
[ "$available" = 6 ] || fail "expected all 6 copies available, found $available"
