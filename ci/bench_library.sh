#!/bin/sh
# ci/bench_library.sh: libisotest from a C program against `isotest run`,
# per sandbox (what `make bench` runs after installing into build/stage).
#
#   examples/c, built against the staged install with pkg-config: 4
#   threads, 16 sandboxes; its median acquire+release per sandbox, as the
#   program measures around the library calls, median of BENCH_LIB_RUNS;
#   `isotest run -j 4` (its default pool) of the same work as a suite: 16
#   SQL cases on examples/c's migrations, each inserting account 1 and
#   reading it back; the JUnit property isotest.sandbox_cycle_p50_ms,
#   acquire+release per case.  The same work on both sides, since how
#   fast the pool refills depends on how long each sandbox is used.
#
# Both on the embedded server, warm cache.  Informational: exit 0 unless
# something could not run (2).  Environment: ISOTEST_STAGE (the staged
# install; default build/stage), BENCH_LIB_RUNS (5).
set -u

cd "$(dirname "$0")/.." || exit 2
STAGE=${ISOTEST_STAGE:-$PWD/build/stage}
RUNS=${BENCH_LIB_RUNS:-5}
for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done
if [ ! -x "$STAGE/bin/isotest" ]; then
    echo "bench_library: no staged install in '$STAGE': run 'make bench'" >&2
    exit 2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-benchlib.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT

median() {
    printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cp -r examples/c "$WORK/c" || exit 2
if ! PKG_CONFIG_PATH="$STAGE/lib/pkgconfig" make -s -C "$WORK/c" clean app \
    >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    exit 2
fi
lib=""
i=0
while [ "$i" -lt "$RUNS" ]; do
    (cd "$WORK/c" && ./app) >"$WORK/app.log" 2>&1 || {
        cat "$WORK/app.log" >&2
        exit 2
    }
    m=$(sed -n 's/^acquire+release per sandbox: median \([0-9.]*\) ms.*/\1/p' \
        "$WORK/app.log")
    lib="$lib $m"
    i=$((i + 1))
done
mkdir -p "$WORK/suite/cases" && cp -r examples/c/migrations "$WORK/suite/" || exit 2
n=1
while [ "$n" -le 16 ]; do
    cat >"$WORK/suite/cases/account_$n.sql" <<SQL
INSERT INTO accounts (id, owner, balance) VALUES (1, 'owner of sandbox $n', 100);
SELECT count(*) = 1 AND min(owner) = 'owner of sandbox $n' FROM accounts;
SQL
    n=$((n + 1))
done
run=""
i=0
while [ "$i" -lt "$RUNS" ]; do
    "$STAGE/bin/isotest" run -j 4 --no-history --junit "$WORK/run.xml" \
        "$WORK/suite" >"$WORK/run.log" 2>&1
    rc=$?
    if [ "$rc" -gt 1 ]; then
        tail -n 20 "$WORK/run.log" >&2
        exit 2
    fi
    c=$(xmllint --xpath 'string(//testsuite[1]/properties/property[@name="isotest.sandbox_cycle_p50_ms"]/@value)' \
        "$WORK/run.xml")
    run="$run $c"
    i=$((i + 1))
done
# shellcheck disable=SC2086
lm=$(median $lib)
# shellcheck disable=SC2086
rm_=$(median $run)
echo
echo "libisotest from C (examples/c: 4 threads x 4 sandboxes) against isotest run -j 4 (the same 16 sandboxes' work as SQL cases)"
printf '  acquire+release per sandbox, library: median %s ms (runs:%s)\n' "$lm" "$lib"
printf '  acquire+release per case, isotest run: median %s ms (runs:%s)\n' "$rm_" "$run"
awk -v l="$lm" -v r="$rm_" 'BEGIN {
    if (r + 0 > 0) printf "  ratio library / run: %.2fx (target: within 1.3x)\n", l / r;
    else print "  ratio: isotest run paid 0 ms per case (pool always ready)" }'
