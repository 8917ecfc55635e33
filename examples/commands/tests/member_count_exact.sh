#!/bin/sh
# Adds two members and asserts the exact member count: 3 seed + 2 = 5.
# Shared database: any case that committed members before this one
# (register_member.sh, welcome_new_member.sh, import_members_csv.sh) makes
# the count wrong, and this case makes theirs wrong.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

sql -c "INSERT INTO members (username, email, full_name) VALUES
            ('eve',   'eve@example.org',   'Eve Moneypenny'),
            ('frank', 'frank@example.org', 'Frank Bryce')"

n=$(sql -c "SELECT count(*) FROM members")
[ "$n" = 5 ] || fail "expected 5 members (3 seed + 2 new), found $n"

names=$(sql -c "SELECT string_agg(username, ',' ORDER BY username) FROM members")
[ "$names" = "alice,bob,carol,eve,frank" ] || fail "unexpected members: $names"
