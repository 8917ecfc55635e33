#!/bin/sh
# Exports the catalogue as JSON and checks it with jq. Skips (exit 77, the
# automake convention) when jq is not installed.
# Shared database: expects exactly the 4 seed books; import_books_csv.sh adds 3.
set -eu

if [ -z "${PGDATABASE:-}" ]; then
    echo "PGDATABASE is not set: run this under isotest (build/isotest run examples/commands)" >&2
    exit 1
fi

# -X: ignore ~/.psqlrc, -w: never prompt for a password, -qtA: bare values.
sql() { psql -X -w -v ON_ERROR_STOP=1 -qtA "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

if ! command -v jq >/dev/null 2>&1; then
    echo "jq is not installed: skipping" >&2
    exit 77
fi

json=$(sql -c "SELECT json_agg(json_build_object(
                   'isbn', b.isbn, 'title', b.title, 'author', a.name,
                   'copies', (SELECT count(*) FROM copies c WHERE c.book_id = b.id))
                 ORDER BY b.title)
               FROM books b JOIN authors a ON a.id = b.author_id")

n=$(printf '%s' "$json" | jq 'length')
[ "$n" = 4 ] || fail "expected 4 books in the export, found $n"

first=$(printf '%s' "$json" | jq -r '.[0].title')
[ "$first" = "A Wizard of Earthsea" ] || fail "expected 'A Wizard of Earthsea' first, got '$first'"

copies=$(printf '%s' "$json" | jq '[.[].copies] | add')
[ "$copies" = 6 ] || fail "expected 6 copies in total, found $copies"

leguin=$(printf '%s' "$json" | jq '[.[] | select(.author == "Ursula K. Le Guin")] | length')
[ "$leguin" = 2 ] || fail "expected 2 books by Ursula K. Le Guin, found $leguin"
