#!/bin/sh
# Registers the new member "dora" and checks what was stored.
# Shared database: welcome_new_member.sh registers "dora" too; whichever runs
# second fails on members_username_key. Also changes member_count_exact.sh's
# and import_members_csv.sh's counts.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

id=$(sql -c "INSERT INTO members (username, email, full_name)
             VALUES ('dora', 'dora@example.org', 'Dora Maar') RETURNING id")
[ -n "$id" ] || fail "INSERT ... RETURNING id returned nothing"

row=$(sql -c "SELECT username, email, max_loans, joined_on = current_date FROM members WHERE id = $id")
[ "$row" = "dora|dora@example.org|3|t" ] || fail "unexpected member row: $row"

# Usernames are lower-case identifiers.
if out=$(sql -c "INSERT INTO members (username, email, full_name) VALUES ('Dora Maar', 'd@example.org', 'x')" 2>&1); then
    fail "a username with a capital letter and a space was accepted"
fi
case $out in
    *members_username_check*) ;;
    *) fail "expected a violation of members_username_check, got: $out" ;;
esac
