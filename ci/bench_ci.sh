#!/bin/sh
# ci/bench_ci.sh: what isotest costs in a CI job, and what the server
# costs it.  Standalone and informational: it prints figures next to the
# goals and exits 0 whatever they are (2 when something could not run).
# It builds nothing: build/isotest must exist (make build/isotest).
#
#   (a) isotest's own cost: a generated suite of BENCH_CI_CASES (10000)
#       one-line SQL cases, -j BENCH_CI_JOBS (8), against a server started
#       here (a private cluster on tmpfs, fsync=off, like the tests'),
#       given with --db so that the server is not isotest's child.
#       /usr/bin/time measures isotest's user+sys CPU and peak RSS; its
#       CPU includes the children it waits for (psql, had any case needed
#       it: these cases run over libpq, in-process).  Goals: <= 0.5 ms of
#       CPU per case, <= 64 MB.
#   (b) the server's cost: `isotest doctor` (median acquire+release of a
#       sandbox per clone strategy and in schema mode) on the embedded
#       server and on private clusters whose data folder is on the root
#       disk (under BENCH_CI_DISK_DIR, /var/tmp) with fsync=off and with
#       the defaults (fsync=on, as a CI service container runs); then a
#       run of BENCH_CI_DISK_CASES (300) cases on each, with its clone
#       median and whether the run said cloning was slow.
#
# Environment: BENCH_CI_CASES, BENCH_CI_JOBS, BENCH_CI_DISK_CASES,
# BENCH_CI_DISK_DIR, BENCH_CI_CYCLES (doctor's --cycles, 5),
# BENCH_CI_ONLY (a or b: one part only), ISOTEST_BIN (build/isotest).
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=${ISOTEST_BIN:-$(pwd)/build/isotest}
NCASES=${BENCH_CI_CASES:-10000}
JOBS=${BENCH_CI_JOBS:-8}
DISK_CASES=${BENCH_CI_DISK_CASES:-300}
DISK_DIR=${BENCH_CI_DISK_DIR:-/var/tmp}
CYCLES=${BENCH_CI_CYCLES:-5}
ONLY=${BENCH_CI_ONLY:-}
CPU_GOAL_MS=0.5
RSS_GOAL_MB=64

say() { echo "bench_ci: $*" >&2; }

if [ ! -x "$ISOTEST" ]; then
    say "'$ISOTEST' is missing: run 'make build/isotest'"
    exit 2
fi
if [ ! -x /usr/bin/time ]; then
    say "/usr/bin/time is missing (package time)"
    exit 2
fi
BINDIR=${ISOTEST_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null |
    sort -t/ -k5 -n | tail -n 1)}
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
    BINDIR=$(pg_config --bindir 2>/dev/null)
fi
if [ -z "$BINDIR" ] || [ ! -x "$BINDIR/initdb" ]; then
    say "no PostgreSQL server binaries (set ISOTEST_PG_BINDIR)"
    exit 2
fi

# PostgreSQL will not run as root: as root, its commands run as postgres.
if [ "$(id -u)" = 0 ]; then
    if ! id postgres >/dev/null 2>&1; then
        say "running as root, and there is no 'postgres' account"
        exit 2
    fi
    as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
    give_pg() { chown -R postgres:postgres "$@"; }
else
    as_pg() { "$@"; }
    give_pg() { :; }
fi

# With PG* set, isotest would use that server for the embedded runs.
for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
    unset "$var"
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-bench-ci.XXXXXX") || exit 2
CLUSTERS=""
cleanup() {
    for c in $CLUSTERS; do
        as_pg "$BINDIR/pg_ctl" -D "$c/data" -m immediate -w stop \
            >/dev/null 2>&1
        rm -rf "$c"
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
export ISOTEST_CACHE_DIR="$WORK/cache"

# start_cluster PARENT SETTINGS...: a private cluster in a new folder under
# PARENT (its socket folder is the only way in); sets CI to its conninfo.
start_cluster() {
    parent=$1
    shift
    dir=$(mktemp -d "$parent/isotest-bench-ci.XXXXXX") || exit 2
    CLUSTERS="$CLUSTERS $dir"
    mkdir "$dir/sock" && give_pg "$dir" || exit 2
    if ! as_pg "$BINDIR/initdb" -D "$dir/data" -U postgres -A trust \
        -E UTF8 --no-sync >"$dir/initdb.log" 2>&1; then
        say "initdb failed:"
        tail -n 5 "$dir/initdb.log" >&2
        exit 2
    fi
    opts="-c listen_addresses= -c unix_socket_directories=$dir/sock"
    for s in "$@"; do opts="$opts -c $s"; done
    if ! as_pg "$BINDIR/pg_ctl" -D "$dir/data" -l "$dir/log" -o "$opts" \
        -w -t 60 start >/dev/null 2>&1; then
        say "the server in '$dir' did not start:"
        tail -n 5 "$dir/log" >&2
        exit 2
    fi
    CI="host=$dir/sock port=5432 user=postgres"
}

# gen_suite DIR N: one migration and N one-line SQL cases.
gen_suite() {
    mkdir -p "$1/migrations" || exit 2
    echo "CREATE TABLE items (id int PRIMARY KEY, name text);" \
        >"$1/migrations/001_items.sql"
    awk -v dir="$1" -v n="$2" 'BEGIN {
        for (i = 1; i <= n; i++) {
            f = sprintf("%s/case_%05d.sql", dir, i)
            printf "INSERT INTO items VALUES (%d, %cx%c);\n", i, 39, 39 > f
            close(f)
        }
    }' || exit 2
}

prop() {
    sed -n "s/.*<property name=\"isotest\.$1\" value=\"\([^\"]*\)\".*/\1/p" \
        "$2" | head -n 1
}

# ---- (a) isotest's own CPU and memory --------------------------------------

part_a() {
    echo "(a) isotest's own cost: $NCASES one-line SQL cases, -j $JOBS, --db"
    echo "    a private server on tmpfs (fsync=off); /usr/bin/time on isotest"
    start_cluster /dev/shm fsync=off synchronous_commit=off \
        full_page_writes=off max_connections=100
    gen_suite "$WORK/suite" "$NCASES"
    # A first small run builds the template, so that (a) is the steady state.
    "$ISOTEST" run --db "$CI" --no-history --filter '*/case_0000*' \
        "$WORK/suite" >"$WORK/a-warm.log" 2>&1
    /usr/bin/time -f '%U %S %M %e' -o "$WORK/a.time" \
        "$ISOTEST" run --db "$CI" -j "$JOBS" --no-history \
        --junit "$WORK/a.xml" "$WORK/suite" >"$WORK/a.log" 2>"$WORK/a.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        say "the run exited with $rc:"
        tail -n 5 "$WORK/a.log" "$WORK/a.err" >&2
        exit 2
    fi
    read -r user sys rss_kb wall <"$WORK/a.time"
    p50=$(prop clone_p50_ms "$WORK/a.xml")
    awk -v u="$user" -v s="$sys" -v k="$rss_kb" -v w="$wall" -v n="$NCASES" \
        -v cg="$CPU_GOAL_MS" -v rg="$RSS_GOAL_MB" -v p="$p50" 'BEGIN {
        cpu = (u + s) * 1000 / n; mb = k / 1024
        printf "    %-26s %9.3f ms  (goal <= %s ms: %s)\n",
            "isotest CPU per case", cpu, cg, cpu <= cg ? "met" : "NOT met"
        printf "    %-26s %9.1f MB  (goal <= %s MB: %s)\n",
            "isotest peak RSS", mb, rg, mb <= rg ? "met" : "NOT met"
        printf "    %-26s user %.2f s + sys %.2f s\n", "isotest CPU", u, s
        printf "    %-26s %9.2f s   (%.2f ms per case, %.0f cases/s)\n",
            "wall", w, w * 1000 / n, n / w
        printf "    %-26s %9s ms\n", "clone p50 (JUnit)", p
    }'
}

# ---- (b) the server's cost --------------------------------------------------

# doctor_row NAME [--db CI]: doctor's figures as one line.
doctor_row() {
    name=$1
    shift
    "$ISOTEST" doctor --cycles "$CYCLES" "$@" >"$WORK/doctor.out" \
        2>"$WORK/doctor.err"
    rc=$?
    cat "$WORK/doctor.out" >>"$WORK/doctor.all"
    if [ "$rc" -ne 0 ]; then
        say "doctor on $name exited with $rc:"
        cat "$WORK/doctor.err" >&2
        exit 2
    fi
    fig() { sed -n "s/^  $1  *\([0-9.]*\) ms.*/\1/p" "$WORK/doctor.out"; }
    fs=$(sed -n 's/^  data_directory .*(\(.*\))$/\1/p' "$WORK/doctor.out")
    rec=$(sed -n 's/^recommended: //p' "$WORK/doctor.out")
    printf '    %-22s %-20s %10s %10s %10s  %s\n' "$name" "$fs" \
        "$(fig 'database, FILE_COPY')" "$(fig 'database, WAL_LOG')" \
        "$(fig schema)" "$rec"
}

# run_row NAME [--db CI]: a run of the disk suite, -j JOBS.
run_row() {
    name=$1
    shift
    t0=$(date +%s%N)
    "$ISOTEST" run "$@" -j "$JOBS" --no-history --junit "$WORK/b.xml" \
        "$WORK/disk-suite" >"$WORK/b.log" 2>"$WORK/b.err"
    rc=$?
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        say "the run on $name exited with $rc:"
        tail -n 5 "$WORK/b.log" "$WORK/b.err" >&2
        exit 2
    fi
    note=no
    grep -q 'isotest: note: making a sandbox took' "$WORK/b.err" && note=yes
    awk -v n="$name" -v ms="$(((t1 - t0) / 1000000))" -v c="$DISK_CASES" \
        -v p="$(prop clone_p50_ms "$WORK/b.xml")" -v note="$note" 'BEGIN {
        printf "    %-22s %10.1f %12.2f %10s  %s\n", n, ms / c, ms / 1000, p,
            note }'
}

part_b() {
    echo
    echo "(b) the server's cost: isotest doctor --cycles $CYCLES (median"
    echo "    acquire+release, ms, no pool), data on tmpfs against the root disk"
    printf '    %-22s %-20s %10s %10s %10s  %s\n' server data_directory \
        FILE_COPY WAL_LOG schema recommended
    doctor_row "embedded (no --db)"
    start_cluster "$DISK_DIR" fsync=off
    DISK_OFF=$CI
    doctor_row "disk, fsync=off" --db "$DISK_OFF"
    start_cluster "$DISK_DIR"
    DISK_ON=$CI
    doctor_row "disk, fsync=on" --db "$DISK_ON"

    echo
    echo "    a run of $DISK_CASES one-line cases, -j $JOBS, on each:"
    gen_suite "$WORK/disk-suite" "$DISK_CASES"
    printf '    %-22s %10s %12s %10s  %s\n' server "ms/case" "wall s" \
        "clone p50" "slow note"
    run_row "embedded (no --db)"
    run_row "disk, fsync=off" --db "$DISK_OFF"
    run_row "disk, fsync=on" --db "$DISK_ON"
}

[ "$ONLY" = b ] || part_a
[ "$ONLY" = a ] || part_b
exit 0
