#!/bin/sh
# checkout_copy() refuses a member who reached the loan limit. Everything
# happens in one transaction that is never committed, so this case is safe on
# a shared database.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# One psql session: lower alice's limit to 1, borrow one copy (fine), then a
# second one (refused). ON_ERROR_STOP makes psql exit 3 on the error; the
# open transaction is rolled back when the connection closes.
status=0
out=$(sql -v VERBOSITY=verbose 2>&1 <<'SQL'
BEGIN;
UPDATE members SET max_loans = 1 WHERE username = 'alice';
SELECT checkout_copy('alice', 'BC-0004');
SELECT checkout_copy('alice', 'BC-0005');
COMMIT;
SQL
) || status=$?

[ "$status" = 3 ] || fail "expected psql to stop with exit code 3 on the second checkout, got $status: $out"
case $out in
    *23514*"member alice has reached the loan limit of 1"*) ;;
    *) fail "expected check_violation (23514) 'loan limit', got: $out" ;;
esac

# Nothing was committed.
n=$(sql -c "SELECT count(*) FROM loans l JOIN members m ON m.id = l.member_id WHERE m.username = 'alice'")
[ "$n" = 0 ] || fail "alice's rolled-back loans are visible: $n"
limit=$(sql -c "SELECT max_loans FROM members WHERE username = 'alice'")
[ "$limit" = 3 ] || fail "alice's loan limit should still be 3, is $limit"
