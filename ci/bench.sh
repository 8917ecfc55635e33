#!/bin/sh
# ci/bench.sh: what `make bench` runs once make has built build/isotest and
# build/bench-clone (this script builds nothing).
#
#   1. start to first case with the embedded server, database and schema
#      mode: cold (a new empty ISOTEST_CACHE_DIR per run, so initdb and the
#      template build are paid) and warm (a cache a first run filled: data
#      folder and template); medians of the runs, next to the targets;
#   2. build/bench-clone: sandbox acquire+release per case against a bare
#      libpq loop on the same server, and FILE_COPY against WAL_LOG.
#
# Figures and verdicts are informational: the exit code is 0 unless
# something could not run (2), whatever the timings.
#
# Environment: BENCH_SUITE (examples/shop), BENCH_JOBS (2),
# BENCH_COLD_RUNS (3), BENCH_WARM_RUNS (5), BENCH_RUNS (3, bench-clone's
# isotest runs per variant).
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=build/isotest
CLONE=build/bench-clone
SUITE=${BENCH_SUITE:-examples/shop}
JOBS=${BENCH_JOBS:-2}
COLD_RUNS=${BENCH_COLD_RUNS:-3}
WARM_RUNS=${BENCH_WARM_RUNS:-5}
COLD_TARGET_MS=1000
WARM_TARGET_MS=300

for bin in "$ISOTEST" "$CLONE"; do
    if [ ! -x "$bin" ]; then
        echo "bench: '$bin' is missing: run 'make bench'" >&2
        exit 2
    fi
done
if ! command -v xmllint >/dev/null 2>&1; then
    echo "bench: xmllint is missing (package libxml2-utils)" >&2
    exit 2
fi

# With PG* set, isotest would use that server instead of its embedded one.
for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-bench.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

prop() {
    xmllint --xpath "string(//testsuite[1]/properties/property[@name=\"isotest.$1\"]/@value)" "$2" 2>/dev/null
}

# run_isotest MODE CACHE_DIR: one run; sets FIRST_MS and WALL_MS.  Runs
# with failing cases still give figures (the bench measures overhead, not
# outcomes); the failing cases' names are collected in $WORK/failed.
FAILED_RUNS=0
TOTAL_RUNS=0
run_isotest() {
    junit="$WORK/run.xml"
    rm -f "$junit"
    t0=$(date +%s%N)
    # --no-history: the same case order in every run, no file written.
    ISOTEST_CACHE_DIR=$2 "$ISOTEST" run --isolation "$1" -j "$JOBS" \
        --no-history --junit "$junit" "$SUITE" >"$WORK/run.log" 2>&1
    rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -gt 1 ] || [ ! -s "$junit" ]; then
        echo "bench: 'isotest run --isolation $1 $SUITE' exited with $rc:" >&2
        tail -n 20 "$WORK/run.log" >&2
        exit 2
    fi
    TOTAL_RUNS=$((TOTAL_RUNS + 1))
    if [ "$rc" -eq 1 ]; then
        FAILED_RUNS=$((FAILED_RUNS + 1))
        xmllint --xpath '//testcase[failure or error]' "$junit" 2>/dev/null |
            sed -n "s/.*classname=\"\([^\"]*\)\" name=\"\([^\"]*\)\".*/$1: \1.\2/p" \
            >>"$WORK/failed"
    fi
    WALL_MS=$(((t1 - t0) / 1000000))
    FIRST_MS=$(prop start_to_first_case_ms "$junit")
    if [ -z "$FIRST_MS" ]; then
        echo "bench: the JUnit report has no isotest.start_to_first_case_ms" >&2
        exit 2
    fi
}

# row MODE CACHE TARGET_MS FIRST... -- WALL...: one line of the table,
# kept in $WORK/rows until every run is done (progress goes to stderr).
row() {
    mode=$1 cache=$2 target=$3
    shift 3
    firsts=""
    while [ "$1" != "--" ]; do firsts="$firsts $1"; shift; done
    shift
    # shellcheck disable=SC2086
    first=$(median $firsts)
    wall=$(median "$@")
    verdict=$(awk -v f="$first" -v t="$target" \
        'BEGIN { print ((f + 0 < t + 0) ? "within target" : "over target") }')
    # shellcheck disable=SC2086
    each=$(printf '%s\n' $firsts |
        awk '{ printf "%s%.0f", (NR > 1 ? " " : ""), $1 }')
    printf '%-9s %-5s %4d %11.0f %11.0f %9s  %-13s  %s\n' "$mode" "$cache" \
        "$#" "$first" "$wall" "< $target" "$verdict" "$each" >>"$WORK/rows"
}

WARM="$WORK/warm-cache"
mkdir "$WARM" || exit 2
echo "bench: filling the warm cache" >&2
run_isotest database "$WARM"

for mode in database schema; do
    firsts="" walls=""
    i=0
    while [ "$i" -lt "$COLD_RUNS" ]; do
        echo "bench: $mode, cold run $((i + 1))/$COLD_RUNS" >&2
        cold="$WORK/cold-cache"
        rm -rf "$cold" && mkdir "$cold" || exit 2
        run_isotest "$mode" "$cold"
        firsts="$firsts $FIRST_MS" walls="$walls $WALL_MS"
        i=$((i + 1))
    done
    rm -rf "$WORK/cold-cache"
    # shellcheck disable=SC2086
    row "$mode" cold "$COLD_TARGET_MS" $firsts -- $walls

    firsts="" walls=""
    i=0
    while [ "$i" -lt "$WARM_RUNS" ]; do
        echo "bench: $mode, warm run $((i + 1))/$WARM_RUNS" >&2
        run_isotest "$mode" "$WARM"
        firsts="$firsts $FIRST_MS" walls="$walls $WALL_MS"
        i=$((i + 1))
    done
    # shellcheck disable=SC2086
    row "$mode" warm "$WARM_TARGET_MS" $firsts -- $walls
done

echo
echo "isotest bench: $SUITE, -j $JOBS, $(nproc) CPUs, $(uname -sr)"
echo
echo "Start to first case, embedded server (ms; medians)"
echo "cold: a new empty ISOTEST_CACHE_DIR per run ($COLD_RUNS runs);" \
    "warm: a cache one run filled ($WARM_RUNS runs)."
echo "first: isotest.start_to_first_case_ms; wall: the whole process, from the shell."
echo "-------------------------------------------------------------------------------"
printf '%-9s %-5s %4s %11s %11s %9s  %-13s  %s\n' mode cache runs "first p50" \
    "wall p50" target verdict "first, each run"
cat "$WORK/rows"
echo "-------------------------------------------------------------------------------"
if [ "$FAILED_RUNS" -gt 0 ]; then
    echo "note: $FAILED_RUNS of $TOTAL_RUNS runs had failing cases (timing still valid):"
    sort "$WORK/failed" | uniq -c | awk '{ n = $1; $1 = "";
        printf "  %s (%d run%s)\n", substr($0, 2), n, (n > 1 ? "s" : "") }'
fi

echo
echo "bench: sandbox acquire+release (bench-clone)" >&2
"$CLONE" --isotest "$ISOTEST" --suite "$SUITE" --cache-dir "$WARM" \
    -j "$JOBS" --runs "${BENCH_RUNS:-3}"
rc=$?
[ "$rc" -eq 0 ] || exit "$rc"

# The pool's target (issue: examples/shop at -j 4, median wait <= 1 ms and
# p95 <= 5 ms): medians over three runs.
echo
echo "bench: $SUITE, sandbox wait at -j 4 (3 runs)" >&2
w50="" w95=""
for i in 1 2 3; do
    rm -f "$WORK/pool.xml"
    ISOTEST_CACHE_DIR="$WARM" "$ISOTEST" run -j 4 --no-history \
        --junit "$WORK/pool.xml" "$SUITE" >"$WORK/pool.log" 2>&1
    rc=$?
    if [ "$rc" -gt 1 ] || [ ! -s "$WORK/pool.xml" ]; then
        echo "bench: 'isotest run -j 4 $SUITE' exited with $rc:" >&2
        tail -n 20 "$WORK/pool.log" >&2
        exit 2
    fi
    w50="$w50 $(prop sandbox_acquire_p50_ms "$WORK/pool.xml")"
    w95="$w95 $(prop sandbox_acquire_p95_ms "$WORK/pool.xml")"
done
# shellcheck disable=SC2086
echo "sandbox wait per case, $SUITE -j 4: p50 $(median $w50) ms," \
    "p95 $(median $w95) ms (targets <= 1 ms, <= 5 ms)"

# The I/O-bound suite: parallel against serial, the pool's wait, and the
# longest-first order that a run history gives.
IO_SUITE=examples/bench
echo
echo "bench: $IO_SUITE, -j 1 against -j 8 (isotest bench)" >&2
ISOTEST_CACHE_DIR="$WARM" "$ISOTEST" bench --jobs 1,8 --isolation database \
    --repeat 1 --json "$WORK/io.json" "$IO_SUITE" || exit 2
python3 - "$WORK/io.json" <<'PY' || true
import json, sys
rows = {r["jobs"]: r for r in json.load(open(sys.argv[1]))["configurations"]}
one, eight = rows[1], rows[8]
ratio = one["wall_ms_median"] / eight["wall_ms_median"]
print(f"-j 8 against -j 1: {ratio:.2f}x faster (target >= 6x: "
      f"{'within target' if ratio >= 6 else 'over target'})")
print(f"sandbox wait per case at -j 8: p50 {eight['wait_p50_ms']:.2f} ms, "
      f"p95 {eight['wait_p95_ms']:.2f} ms")
PY

echo
echo "bench: start order, -j 8, id order against longest first" >&2
HIST="$WORK/io-history"
plain=$(ISOTEST_CACHE_DIR="$WARM" "$ISOTEST" run -j 8 --no-history \
    --junit "$WORK/plain.xml" "$IO_SUITE" >/dev/null 2>&1;
    prop wall_ms "$WORK/plain.xml")
ISOTEST_CACHE_DIR="$WARM" "$ISOTEST" run -j 8 --history "$HIST" \
    "$IO_SUITE" >/dev/null 2>&1
sched=$(ISOTEST_CACHE_DIR="$WARM" "$ISOTEST" run -j 8 --history "$HIST" \
    --junit "$WORK/sched.xml" "$IO_SUITE" >/dev/null 2>&1;
    prop wall_ms "$WORK/sched.xml")
echo "wall, cases in id order (no history):  $plain ms"
echo "wall, longest first (with a history):  $sched ms"
cyc=$(prop sandbox_cycle_mean_ms "$WORK/sched.xml")
mean=$(prop case_time_mean_ms "$WORK/sched.xml")
awk -v c="$cyc" -v m="$mean" 'BEGIN {
    share = m > 0 ? 100 * c / m : 0
    printf "sandbox overhead per case at -j 8: mean %.2f ms, %.1f%% of the " \
        "mean case time %.1f ms (target <= 15%%: %s)\n", c, share, m,
        (share <= 15 ? "within target" : "over target") }'
exit 0
