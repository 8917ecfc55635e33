#!/bin/sh
# ci/bench_shard.sh: how evenly `isotest run --shard K/N` splits a suite
# (examples/bench: 200 cases of 20 to 400 ms) across N CI jobs.  It builds
# nothing (run `make` first) and is standalone; `make bench` may call it.
#
#   1. one unsharded run records the case durations in a history of its own;
#   2. from that history alone, each part's expected time (the sum of its
#      cases' recorded durations) for --shard's split (longest first, each
#      case to the lightest part: `isotest list --shard K/N`) and for a naive
#      split by file order (N consecutive blocks of the id-sorted list), and
#      for each the slowest part against the mean (target: within 1.15x);
#   3. the N parts of both splits run for real, one after another, each
#      with its own embedded server and its own copy of that history (as N
#      CI jobs would: a run writes its history back, and every part must be
#      cut from the same one); each part's wall time (start of the process
#      to its end, server start included, from its JUnit report) and the
#      slowest against the mean.  The naive parts run as --filter lists.
#
# Figures are informational: the exit code is 0 unless something could not
# run (2), whatever the timings.
#
# Environment: BENCH_SHARD_SUITE (examples/bench), BENCH_SHARD_N (4),
# BENCH_SHARD_JOBS (4: -j of every run), ISOTEST_CACHE_DIR (as for isotest).
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=build/isotest
SUITE=${BENCH_SHARD_SUITE:-examples/bench}
N=${BENCH_SHARD_N:-4}
JOBS=${BENCH_SHARD_JOBS:-4}
TARGET=1.15

if [ ! -x "$ISOTEST" ]; then
    echo "bench_shard: '$ISOTEST' is missing: run 'make'" >&2
    exit 2
fi
# With PG* set, isotest would use that server instead of its embedded one.
for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done
# Nor may a CI system's shard variables reach the unsharded run.
unset ISOTEST_SHARD_INDEX ISOTEST_SHARD_TOTAL CI_NODE_INDEX CI_NODE_TOTAL \
    BUILDKITE_PARALLEL_JOB BUILDKITE_PARALLEL_JOB_COUNT

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-bench-shard.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
HIST=$WORK/history

# wall_ms REPORT: the run's wall time, the root element's time attribute.
wall_ms() {
    sed -n 's/.*<testsuites [^>]*time="\([0-9.]*\)".*/\1/p' "$1" |
        awk '{ printf "%.0f\n", $1 * 1000 }'
}

# run_part NAME ARGS...: one run from a fresh copy of the history; prints
# its wall time in ms.  Exit code 1 (a case failed) still gives a figure.
run_part() {
    name=$1
    shift
    cp "$HIST" "$WORK/history.$name"
    "$ISOTEST" run -j "$JOBS" --history "$WORK/history.$name" \
        --junit "$WORK/$name.xml" "$@" "$SUITE" >"$WORK/$name.log" 2>&1
    rc=$?
    if [ "$rc" -gt 1 ] || [ ! -s "$WORK/$name.xml" ]; then
        echo "bench_shard: 'isotest run $* $SUITE' exited with $rc:" >&2
        tail -n 20 "$WORK/$name.log" >&2
        exit 2
    fi
    wall_ms "$WORK/$name.xml"
}

# expected IDS_FILE: the sum of the recorded durations of those ids.  A
# history key is the case's id (older files: "classname::name", the
# classname the id's folders, dotted).
expected() {
    awk -v hist="$HIST" '
        BEGIN { FS = "\t"
                while ((getline line < hist) > 0) {
                    split(line, f, "\t"); ms[f[1]] = f[2] } }
        { n = split($0, p, "/"); key = p[1]
          for (i = 2; i < n; i++) key = key "." p[i]
          sum += ($0 in ms) ? ms[$0] : ms[key "::" p[n]] }
        END { printf "%.0f\n", sum }' "$1"
}

# summary LABEL MS...: the parts, the mean, and slowest / mean.
summary() {
    label=$1
    shift
    printf '%s\n' "$@" | awk -v label="$label" -v target="$TARGET" '
        { v[NR] = $1; sum += $1; if ($1 > max) max = $1
          parts = parts sprintf("%s%.2f", (NR > 1 ? " " : ""), $1 / 1000) }
        END { mean = sum / NR; r = (mean > 0 ? max / mean : 0)
              printf "  %-30s %s s; mean %.2f s, slowest %.2f s: %.3fx (%s %.2fx)\n",
                  label, parts, mean / 1000, max / 1000, r,
                  (r <= target ? "within" : "over"), target }'
}

echo "bench_shard: $SUITE in $N parts, -j $JOBS" >&2
rm -f "$HIST"
"$ISOTEST" run -j "$JOBS" --history "$HIST" --junit "$WORK/all.xml" \
    "$SUITE" >"$WORK/all.log" 2>&1
rc=$?
if [ "$rc" -gt 1 ] || [ ! -s "$HIST" ]; then
    echo "bench_shard: the recording run exited with $rc:" >&2
    tail -n 20 "$WORK/all.log" >&2
    exit 2
fi
cp "$HIST" "$WORK/history.recorded"
UNSHARDED=$(wall_ms "$WORK/all.xml")

"$ISOTEST" list "$SUITE" 2>/dev/null >"$WORK/ids"
TOTAL=$(wc -l <"$WORK/ids")
LPT_EXP="" NAIVE_EXP=""
k=1
while [ "$k" -le "$N" ]; do
    "$ISOTEST" list --shard "$k/$N" --history "$HIST" "$SUITE" \
        2>/dev/null >"$WORK/lpt.$k"
    # Block k of the id order: lines (k-1)*TOTAL/N+1 .. k*TOTAL/N.
    awk -v a=$(((k - 1) * TOTAL / N)) -v b=$((k * TOTAL / N)) \
        'NR > a && NR <= b' "$WORK/ids" >"$WORK/naive.$k"
    LPT_EXP="$LPT_EXP $(expected "$WORK/lpt.$k")"
    NAIVE_EXP="$NAIVE_EXP $(expected "$WORK/naive.$k")"
    k=$((k + 1))
done

LPT_WALL="" NAIVE_WALL=""
k=1
while [ "$k" -le "$N" ]; do
    echo "bench_shard: part $k/$N, --shard and file order" >&2
    LPT_WALL="$LPT_WALL $(run_part "lpt-$k" --shard "$k/$N")" || exit 2
    set --
    while read -r id; do set -- "$@" --filter "$id"; done <"$WORK/naive.$k"
    NAIVE_WALL="$NAIVE_WALL $(run_part "naive-$k" "$@")" || exit 2
    # Each run wrote its own copy; the recorded history stays as it was.
    cmp -s "$HIST" "$WORK/history.recorded" || exit 2
    k=$((k + 1))
done

echo
echo "Sharding $SUITE ($TOTAL cases) $N ways, -j $JOBS; unsharded run: $(awk -v w="$UNSHARDED" 'BEGIN { printf "%.2f", w / 1000 }') s"
echo "expected time per part (sum of recorded case durations):"
# shellcheck disable=SC2086
summary "--shard (longest first)" $LPT_EXP
# shellcheck disable=SC2086
summary "file order (naive blocks)" $NAIVE_EXP
echo "wall time per part, run one after another (server start included):"
# shellcheck disable=SC2086
summary "--shard (longest first)" $LPT_WALL
# shellcheck disable=SC2086
summary "file order (naive blocks)" $NAIVE_WALL
exit 0
