#!/bin/sh
# Imports three books from CSV through a staging table (COPY ... FROM STDIN
# fed from the shell), then checks the catalogue: 4 seed books + 3 = 7.
# Shared database: import_members_csv.sh creates the same staging table
# (CREATE TABLE import_staging, never dropped), so only the first of the two
# succeeds; export_catalog_json.sh counts the books exactly.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

sql -c "CREATE TABLE import_staging (isbn text, title text, author text, published_year integer)"

printf '%s\n' \
    'isbn,title,author,published_year' \
    '9780441007318,The Dispossessed,Ursula K. Le Guin,1974' \
    '9780062225740,Mort,Terry Pratchett,1987' \
    '9781538732182,Parable of the Sower,Octavia E. Butler,1993' |
    sql -c "COPY import_staging FROM STDIN WITH (FORMAT csv, HEADER true)"

staged=$(sql -c "SELECT count(*) FROM import_staging")
[ "$staged" = 3 ] || fail "expected 3 staged rows, found $staged"

sql -c "INSERT INTO authors (name) SELECT DISTINCT author FROM import_staging ON CONFLICT (name) DO NOTHING" \
    -c "INSERT INTO books (isbn, title, author_id, published_year)
        SELECT s.isbn, s.title, a.id, s.published_year
        FROM import_staging s JOIN authors a ON a.name = s.author"

n=$(sql -c "SELECT count(*) FROM books")
[ "$n" = 7 ] || fail "expected 7 books (4 seed + 3 imported), found $n"
a=$(sql -c "SELECT count(*) FROM authors")
[ "$a" = 3 ] || fail "the import should reuse the 3 existing authors, found $a authors"
