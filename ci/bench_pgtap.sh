#!/bin/sh
# ci/bench_pgtap.sh: a suite of pgTAP xUnit test functions (runtests()'s
# convention), run serially by runtests() and by isotest, one case per
# function.  It builds nothing (run `make` first) and is standalone; `make
# bench` calls it.
#
#   1. generates a suite of N test functions (200) in a temporary folder: a
#      migration creating pgtap, a table, a setup function adding two rows,
#      and N functions of three assertions each (an insert, is(), ok(),
#      is_empty()) -- the tiny functions such suites are made of;
#   2. serial: `SELECT * FROM runtests('public', '^test')` by psql in one
#      database of a lone server this script starts (the embedded server's
#      settings: tmpfs, fsync off), the migrations applied beforehand;
#   3. isotest, on its embedded server (the whole process: server start,
#      template reuse, the cases): the default (one sandbox per function)
#      and --pgtap-batch (a worker's functions in one sandbox, several per
#      statement as runtests() runs them, rolled back between them);
#   4. the same two with --db on the lone server of step 2 (the server the
#      serial figure used: the difference is the way of running alone).
#
# Each figure is the median of R runs (3) after one warm-up run (template
# built, server cache filled).  The goal: isotest --pgtap-batch on the
# embedded server no slower than the serial runtests(), ratio <= 1.00.
# Figures are informational: the exit code is 0 unless something could
# not run (2), whatever the timings.
#
# Environment: BENCH_PGTAP_N (200), BENCH_PGTAP_RUNS (3), BENCH_PGTAP_JOBS
# (the CPU count: -j of the isotest runs), BENCH_PGTAP_BATCH (1000),
# ISOTEST_PG_BINDIR, ISOTEST_CACHE_DIR (default: a new one in the work
# folder, filled by the warm-up runs).
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=$PWD/build/isotest
N=${BENCH_PGTAP_N:-200}
RUNS=${BENCH_PGTAP_RUNS:-3}
JOBS=${BENCH_PGTAP_JOBS:-$(nproc)}
BATCH=${BENCH_PGTAP_BATCH:-1000}

. ci/bench_lib.sh
bench_setup bench_pgtap
# A cache of its own, filled by the warm-up runs: the user's may hold many
# templates, and the embedded server copies all of it at each start.
export ISOTEST_CACHE_DIR="${ISOTEST_CACHE_DIR:-$WORK/cache}"

# ---- the suite --------------------------------------------------------------

SUITE=$WORK/pgtap_suite
mkdir -p "$SUITE/migrations" || exit 2
{
    echo "CREATE EXTENSION IF NOT EXISTS pgtap;"
    echo "CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL,"
    echo "                    qty int NOT NULL CHECK (qty >= 0));"
    echo "CREATE FUNCTION setup_items() RETURNS SETOF text LANGUAGE plpgsql AS \$\$"
    echo "BEGIN INSERT INTO items (name, qty) VALUES ('a', 1), ('b', 2); END \$\$;"
    i=1
    while [ "$i" -le "$N" ]; do
        printf 'CREATE FUNCTION test_%04d() RETURNS SETOF text LANGUAGE plpgsql AS $$\n' "$i"
        printf 'BEGIN\n'
        printf "    INSERT INTO items (name, qty) VALUES ('item %d', %d);\n" "$i" $((i % 7))
        printf "    RETURN NEXT is((SELECT count(*)::int FROM items), 3, 'three items');\n"
        printf "    RETURN NEXT ok((SELECT sum(qty) FROM items) >= 3, 'quantities add up');\n"
        printf "    RETURN NEXT is_empty('SELECT 1 FROM items WHERE qty > 100', 'none large');\n"
        printf 'END $$;\n'
        i=$((i + 1))
    done
} >"$SUITE/migrations/001_suite.up.sql"

# ---- the lone server --------------------------------------------------------

SOCK=$SERVER/sock
PORT=5432
$AS mkdir "$SOCK" || exit 2
$AS "$BINDIR/initdb" -D "$SERVER/data" -U postgres -A trust >"$WORK/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$WORK/initdb.log")"
$AS "$BINDIR/pg_ctl" -D "$SERVER/data" -w -l "$SERVER/log" \
    -o "-k $SOCK -p $PORT -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || die "the server did not start: $(tail -n 5 "$SERVER/log")"
LONE="host=$SOCK port=$PORT user=postgres"
psql_q() {
    "$BINDIR/psql" -h "$SOCK" -p "$PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"
}
psql_q -d postgres -c "CREATE DATABASE serial" >/dev/null || exit 2
psql_q -d serial -f "$SUITE/migrations/001_suite.up.sql" >/dev/null ||
    die "the suite's migration failed"

# ---- the runs ---------------------------------------------------------------

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# median MS...: the middle figure.
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# serial_once: ms of one runtests() of the whole suite, which must pass.
serial_once() {
    t0=$(now_ms)
    psql_q -d serial -t -A -c "SELECT * FROM runtests('public'::name, '^test')" \
        >"$WORK/serial.out" 2>&1 || die "runtests() failed: $(tail -n 5 "$WORK/serial.out")"
    t1=$(now_ms)
    grep -q '^not ok' "$WORK/serial.out" && die "a test function failed serially"
    echo $((t1 - t0))
}

# isotest_once ARGS...: ms of one whole `isotest run`, which must pass.
isotest_once() {
    t0=$(now_ms)
    "$ISOTEST" run --pgtap-functions -j "$JOBS" --no-history "$@" "$SUITE" \
        >"$WORK/isotest.log" 2>&1 || die "'isotest run $*' failed: $(tail -n 5 "$WORK/isotest.log")"
    t1=$(now_ms)
    grep -q "^$N passed, 0 failed" "$WORK/isotest.log" ||
        die "'isotest run $*' did not run $N functions: $(tail -n 3 "$WORK/isotest.log")"
    echo $((t1 - t0))
}

# measure LABEL COMMAND...: warm-up, then the median of RUNS; prints it.
measure() {
    label=$1
    shift
    echo "bench_pgtap: $label" >&2
    "$@" >/dev/null || exit 2
    figures=""
    r=1
    while [ "$r" -le "$RUNS" ]; do
        ms=$("$@") || exit 2
        figures="$figures $ms"
        r=$((r + 1))
    done
    echo "$(median $figures) ($figures )"
}

SERIAL=$(measure "serial runtests()" serial_once) || exit 2
DEF_EMB=$(measure "isotest, a sandbox per function" isotest_once) || exit 2
BAT_EMB=$(measure "isotest --pgtap-batch $BATCH" isotest_once --pgtap-batch "$BATCH") || exit 2
DEF_LONE=$(measure "isotest --db, a sandbox per function" isotest_once --db "$LONE") || exit 2
BAT_LONE=$(measure "isotest --db --pgtap-batch $BATCH" isotest_once --db "$LONE" --pgtap-batch "$BATCH") || exit 2

ms_of() { echo "$1" | cut -d' ' -f1; }
S=$(ms_of "$SERIAL")
row() {
    m=$(ms_of "$2")
    awk -v l="$1" -v m="$m" -v s="$S" -v all="$2" \
        'BEGIN { printf "  %-44s %7.3f s  %5.2fx serial   runs (ms): %s\n", l, m / 1000, m / s, all }'
}

echo "bench_pgtap: $N test functions of 3 assertions, -j $JOBS, $(nproc) CPUs, median of $RUNS runs"
row "serial runtests(), psql, one database" "$SERIAL"
row "isotest, embedded server, a sandbox each" "$DEF_EMB"
row "isotest, embedded server, --pgtap-batch $BATCH" "$BAT_EMB"
row "isotest --db (same lone server), a sandbox each" "$DEF_LONE"
row "isotest --db (same lone server), batch" "$BAT_LONE"
awk -v b="$(ms_of "$BAT_EMB")" -v s="$S" 'BEGIN {
    r = b / s
    printf "goal: --pgtap-batch on the embedded server no slower than serial runtests(): %.2fx (%s 1.00x)\n",
        r, (r <= 1.0 ? "within" : "over") }'
exit 0
