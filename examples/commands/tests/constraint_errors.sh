#!/bin/sh
# Constraints reject bad data with the right SQLSTATE: duplicate ISBN
# (23505), a loan for a copy that does not exist (23503), a loan due before
# it starts (23514). Every statement fails, nothing is committed: safe on a
# shared database.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_error SQLSTATE SQL: the statement must fail with that SQLSTATE.
expect_error() {
    if out=$(sql -v VERBOSITY=verbose -c "$2" 2>&1); then
        fail "statement succeeded, expected SQLSTATE $1: $2"
    fi
    case $out in
        *"ERROR:  $1:"*) ;;
        *) fail "expected SQLSTATE $1, got: $out" ;;
    esac
}

expect_error 23505 "INSERT INTO books (isbn, title, author_id)
                    SELECT '9780807083697', 'Kindred (again)', id FROM authors LIMIT 1"
expect_error 23503 "INSERT INTO loans (copy_id, member_id, due_on)
                    SELECT 999999, id, current_date + 14 FROM members WHERE username = 'alice'"
expect_error 23514 "INSERT INTO loans (copy_id, member_id, loaned_on, due_on)
                    SELECT c.id, m.id, '2024-05-10', '2024-05-01'
                    FROM copies c, members m WHERE c.barcode = 'BC-0006' AND m.username = 'carol'"
expect_error P0002 "SELECT checkout_copy('nobody', 'BC-0006')"

n=$(sql -c "SELECT count(*) FROM books WHERE isbn = '9780807083697'")
[ "$n" = 1 ] || fail "expected one book with ISBN 9780807083697, found $n"
