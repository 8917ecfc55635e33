#!/bin/sh
# A new member signs up at the desk and borrows "A Wizard of Earthsea"
# (copy BC-0003) straight away.
# Shared database: register_member.sh also registers "dora"
# (members_username_key), and checkout_book.sh lends the same copy BC-0003
# (loans_one_open_loan_per_copy). Whichever runs second fails.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

sql -c "INSERT INTO members (username, email, full_name)
        VALUES ('dora', 'dora.maar@example.org', 'Dora Maar')"

loan=$(sql -c "SELECT checkout_copy('dora', 'BC-0003', 21)")
[ -n "$loan" ] || fail "checkout_copy returned no loan id"

row=$(sql -c "SELECT m.username, c.barcode, l.due_on - l.loaned_on, l.returned_on IS NULL
              FROM loans l JOIN members m ON m.id = l.member_id JOIN copies c ON c.id = l.copy_id
              WHERE l.id = $loan")
[ "$row" = "dora|BC-0003|21|t" ] || fail "unexpected loan: $row"

open=$(sql -c "SELECT count(*) FROM loans l JOIN members m ON m.id = l.member_id
               WHERE m.username = 'dora' AND l.returned_on IS NULL")
[ "$open" = 1 ] || fail "dora should have exactly 1 open loan, has $open"
