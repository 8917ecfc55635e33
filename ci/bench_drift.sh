#!/bin/sh
# bench_drift.sh: how long `isotest drift` and `isotest audit` take on a
# 500-table schema (informational: the aim is under 2 s each; nothing
# fails on time).
#
# Starts a throwaway PostgreSQL server of its own (Unix socket only, in a
# temporary folder, as the postgres account when run as root) to play the
# production database, migrates it with a generated 500-table schema, then
# runs drift (template on the embedded server, warmed by one unmeasured
# run) and audit REPEAT times each and prints the median and the range.
#
#   ISOTEST_BIN   the isotest binary (default build/isotest)
#   TABLES        tables in the schema (default 500)
#   REPEAT        measured runs of each command (default 5)
set -eu

ISOTEST=${ISOTEST_BIN:-build/isotest}
TABLES=${TABLES:-500}
REPEAT=${REPEAT:-5}

[ -x "$ISOTEST" ] || { echo "bench_drift: no $ISOTEST (make build/isotest)" >&2; exit 2; }
ISOTEST=$(cd "$(dirname "$ISOTEST")" && pwd)/$(basename "$ISOTEST")

bindir=
for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    if [ -x "$d/postgres" ]; then bindir=$d; break; fi
done
[ -n "$bindir" ] || bindir=$(pg_config --bindir)

work=$(mktemp -d /tmp/isotest-bench-drift-XXXXXX)
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown postgres "$work"
    as_pg() { runuser -u postgres -- "$@"; }
fi
cleanup() {
    as_pg "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

as_pg "$bindir/initdb" -D "$work/data" -U postgres -A trust >/dev/null
as_pg "$bindir/pg_ctl" -D "$work/data" -l "$work/server.log" -w \
    -o "-k $work -c listen_addresses= -c fsync=off" start >/dev/null
db="host=$work port=5432 user=postgres dbname=prod"

# The schema: TABLES tables, each with five columns, a foreign key to the
# one before, an index and a check; an enum, a view and a function per 50.
mkdir "$work/migrations"
awk -v n="$TABLES" 'BEGIN {
    print "CREATE TYPE state AS ENUM (\x27new\x27, \x27done\x27);"
    for (i = 1; i <= n; i++) {
        printf "CREATE TABLE t%d (id bigserial PRIMARY KEY, name text NOT NULL, ", i
        printf "qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0), st state NOT NULL DEFAULT \x27new\x27, "
        printf "created timestamptz NOT NULL DEFAULT now()%s);\n", (i > 1 ? sprintf(", prev bigint REFERENCES t%d (id)", i - 1) : "")
        printf "CREATE INDEX t%d_created_idx ON t%d (created);\n", i, i
        if (i % 50 == 0) {
            printf "CREATE VIEW v%d AS SELECT id, name FROM t%d WHERE qty > 0;\n", i, i
            printf "CREATE FUNCTION f%d(x integer) RETURNS integer LANGUAGE sql AS $$ SELECT x + %d $$;\n", i, i
        }
    }
}' > "$work/migrations/1_schema.sql"
"$bindir/psql" -X -q -h "$work" -U postgres -d postgres -c "CREATE DATABASE prod"
"$bindir/psql" -X -q -h "$work" -U postgres -d prod -v ON_ERROR_STOP=1 \
    -f "$work/migrations/1_schema.sql"

# One command REPEAT times; prints "median min max" in seconds.
measure() {
    want=$1
    shift
    i=0
    : > "$work/times"
    while [ "$i" -lt "$REPEAT" ]; do
        t0=$(date +%s.%N)
        set +e
        "$@" >"$work/out" 2>&1
        code=$?
        set -e
        t1=$(date +%s.%N)
        if [ "$code" != "$want" ]; then
            echo "bench_drift: '$1 $2' exited $code (expected $want):" >&2
            cat "$work/out" >&2
            exit 1
        fi
        echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }' >> "$work/times"
        i=$((i + 1))
    done
    sort -n "$work/times" | awk '{ v[NR] = $1 } END {
        printf "%.3f %.3f %.3f\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

env -u PGHOST -u PGPORT -u PGDATABASE -u PGSERVICE -u PGHOSTADDR \
    "$ISOTEST" drift --db "$db" --migrations "$work/migrations" >/dev/null
drift=$(measure 0 env -u PGHOST -u PGPORT -u PGDATABASE -u PGSERVICE \
    -u PGHOSTADDR "$ISOTEST" drift --db "$db" --migrations "$work/migrations")
objects=$(sed -n 's/.*(\([0-9]*\) objects compared.*/\1/p' "$work/out")
audit=$(measure 0 "$ISOTEST" audit --db "$db")

echo "isotest drift/audit on a $TABLES-table schema ($objects objects), $REPEAT runs each:"
echo "$drift" | awk '{ printf "  drift  median %.3f s (min %.3f, max %.3f)  aim: under 2 s\n", $1, $2, $3 }'
echo "$audit" | awk '{ printf "  audit  median %.3f s (min %.3f, max %.3f)  aim: under 2 s\n", $1, $2, $3 }'
