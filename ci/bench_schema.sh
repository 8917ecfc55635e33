#!/bin/sh
# ci/bench_schema.sh: schema mode on examples/shop at -j 4, against
# database mode, and under load.  It builds nothing (run `make` first) and
# is standalone; `make bench` calls it.
#
#   1. one warm-up run per mode on the embedded server (the cached cluster,
#      the template and schema mode's cache of migrated schemas are built
#      and kept in a cache folder of its own);
#   2. wall time of the whole `isotest run` (server start included),
#      database and schema mode alternately, R times each (3): medians and
#      their ratio (target: schema <= 1.3x database);
#   3. N runs (50) in schema mode while two CPU hogs (`while :; do :; done`)
#      run: how many runs met `could not open relation with OID` (a
#      catalog scan meeting a concurrent drop; target: 0), how many failed
#      otherwise, and the median and the highest of the runs'
#      isotest.sandbox_acquire_p50_ms (target: <= 1 ms).
#
# Figures are informational: the exit code is 0 unless something could
# not run (2), whatever they are.
#
# Environment: BENCH_SCHEMA_RUNS (50), BENCH_SCHEMA_WALL_RUNS (3),
# BENCH_SCHEMA_JOBS (4), ISOTEST_CACHE_DIR (default: a new one in the work
# folder, filled by the warm-up runs).
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=$PWD/build/isotest
SUITE=examples/shop
RUNS=${BENCH_SCHEMA_RUNS:-50}
WALL_RUNS=${BENCH_SCHEMA_WALL_RUNS:-3}
JOBS=${BENCH_SCHEMA_JOBS:-4}

die() {
    echo "bench_schema: $*" >&2
    exit 2
}

[ -x "$ISOTEST" ] || die "'$ISOTEST' is missing: run 'make build/isotest'"
# With PG* set, isotest would use that server instead of its embedded one.
for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-bench-schema.XXXXXX") || exit 2
export ISOTEST_CACHE_DIR="${ISOTEST_CACHE_DIR:-$WORK/cache}"
HOGS=""
cleanup() {
    for pid in $HOGS; do
        kill "$pid" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# median V...: the middle figure.
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# run_once MODE TAG: one run; its wall ms into $WALL, its exit code into
# $RC; its output in $WORK/TAG.log, its report in $WORK/TAG.xml.  Exit 0
# or 1 (a case failed: a figure here) are results; anything else stops.
run_once() {
    t0=$(now_ms)
    "$ISOTEST" run --history "$WORK/history" --isolation "$1" -j "$JOBS" \
        --junit "$WORK/$2.xml" "$SUITE" >"$WORK/$2.log" 2>&1
    RC=$?
    WALL=$(($(now_ms) - t0))
    [ "$RC" -le 1 ] || die "$1 mode run failed (exit $RC): $(tail -n 5 "$WORK/$2.log")"
}

# p50 TAG: the run's isotest.sandbox_acquire_p50_ms.
p50() {
    sed -n 's/.*name="isotest.sandbox_acquire_p50_ms" value="\([^"]*\)".*/\1/p' \
        "$WORK/$1.xml" | head -n 1
}

# ---- 1, 2: warm-up, then wall times -----------------------------------------

for mode in database schema; do
    run_once "$mode" "warm-$mode"
    [ "$RC" = 0 ] || die "the $mode mode warm-up run failed: $(tail -n 5 "$WORK/warm-$mode.log")"
done
db_walls="" sch_walls=""
i=1
while [ "$i" -le "$WALL_RUNS" ]; do
    run_once database wall-db
    db_walls="$db_walls $WALL"
    run_once schema wall-schema
    sch_walls="$sch_walls $WALL"
    i=$((i + 1))
done
# shellcheck disable=SC2086 # the lists are words on purpose
db_med=$(median $db_walls)
# shellcheck disable=SC2086
sch_med=$(median $sch_walls)

# ---- 3: schema mode under load ----------------------------------------------

sh -c 'while :; do :; done' &
HOGS="$!"
sh -c 'while :; do :; done' &
HOGS="$HOGS $!"
oid=0 failed=0 p50s=""
i=1
while [ "$i" -le "$RUNS" ]; do
    run_once schema stress
    if grep -q "could not open relation with OID" "$WORK/stress.log" "$WORK/stress.xml"; then
        oid=$((oid + 1))
    elif [ "$RC" != 0 ]; then
        failed=$((failed + 1))
        echo "bench_schema: run $i failed: $(grep -m 3 -i 'fail\|error' "$WORK/stress.log")" >&2
    fi
    p50s="$p50s $(p50 stress)"
    i=$((i + 1))
done
for pid in $HOGS; do
    kill "$pid" 2>/dev/null
done
HOGS=""
# shellcheck disable=SC2086
p50_med=$(median $p50s)
# shellcheck disable=SC2086
p50_max=$(printf '%s\n' $p50s | sort -n | tail -n 1)

echo "bench_schema: examples/shop -j $JOBS, embedded server"
echo "wall, median of $WALL_RUNS: database $db_med ms, schema $sch_med ms," \
    "ratio $(awk "BEGIN { printf \"%.2f\", $sch_med / $db_med }") (target <= 1.30)"
echo "schema mode, $RUNS runs with 2 CPU hogs: $oid with 'could not open" \
    "relation with OID' (target 0), $failed failed otherwise"
echo "sandbox acquire p50 over those runs: median $p50_med ms, highest" \
    "$p50_max ms (target <= 1 ms)"
exit 0
