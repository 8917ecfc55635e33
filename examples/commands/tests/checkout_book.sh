#!/bin/sh
# Carol borrows copy BC-0003 through checkout_copy(); the copy leaves the
# available_copies view (5 available in the seed, then 4).
# Shared database: welcome_new_member.sh lends the same copy, and
# return_overdue_book.sh changes the number of available copies.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

before=$(sql -c "SELECT count(*) FROM available_copies")
[ "$before" = 5 ] || fail "expected 5 available copies in the seed, found $before"

loan=$(sql -c "SELECT checkout_copy('carol', 'BC-0003')")

row=$(sql -c "SELECT due_on - loaned_on, returned_on IS NULL FROM loans WHERE id = $loan")
[ "$row" = "14|t" ] || fail "expected a 14-day open loan, got: $row"

after=$(sql -c "SELECT count(*) FROM available_copies")
[ "$after" = 4 ] || fail "expected 4 available copies after the checkout, found $after"

gone=$(sql -c "SELECT count(*) FROM available_copies WHERE barcode = 'BC-0003'")
[ "$gone" = 0 ] || fail "BC-0003 is on loan but still listed as available"
