#!/bin/sh
# Imports three members from CSV through a staging table, then checks the
# exact member count: 3 seed + 3 = 6.
# Shared database: import_books_csv.sh creates the same staging table
# (CREATE TABLE import_staging, never dropped), and every case that adds
# members changes the count.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

sql -c "CREATE TABLE import_staging (username text, email text, full_name text)"

printf '%s\n' \
    'username,email,full_name' \
    'gina,gina@example.org,Gina Linetti' \
    'hank,hank@example.org,Hank Hill' \
    'ivan,ivan@example.org,Ivan Karamazov' |
    sql -c "COPY import_staging FROM STDIN WITH (FORMAT csv, HEADER true)"

sql -c "INSERT INTO members (username, email, full_name)
        SELECT username, email, full_name FROM import_staging"

n=$(sql -c "SELECT count(*) FROM members")
[ "$n" = 6 ] || fail "expected 6 members (3 seed + 3 imported), found $n"
