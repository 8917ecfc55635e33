#!/bin/sh
# ci/bench_backup.sh: `isotest backup create` and `backup verify` against
# the bare PostgreSQL tools doing the same work on the same data:
#
#   create              isotest backup create      vs  pg_dump -Fc
#   verify              isotest backup verify      vs  createdb + pg_restore
#   create (directory)  create --format directory -j N  vs  pg_dump -Fd -j N
#   verify (directory)  verify -j N                vs  createdb + pg_restore -j N
#   verify -j N (custom)                           vs  createdb + pg_restore -j N
#
# Each figure is a wall time and the CPU time of the client processes
# (user + system, from `times`), which other load on the machine moves
# much less than the wall time; the load average is printed too.
#
# The server: a private PostgreSQL this script starts (initdb into a
# temporary folder under /dev/shm when there is one, a Unix socket in a
# private folder and no TCP, fsync=off: the same for both sides), run as
# the postgres account when the script runs as root, stopped and removed
# at exit.  It holds a generated database of BENCH_BACKUP_TABLES tables
# (24) and about BENCH_BACKUP_MB megabytes (120), so at least 20 tables
# and 100 MB.  isotest verify restores into a sandbox on that same server
# (--db), so both sides restore into the same server.
#
# Figures are medians of BENCH_BACKUP_RUNS runs (3); BENCH_BACKUP_JOBS (2)
# is the -j.  The goals (create within 1.1x, verify within 1.3x of the
# bare tools, custom format) are printed next to the ratios: nothing here
# passes or fails on time.  Exit code 0, or 2 when something could not
# run.  Needs build/isotest (ISOTEST to name another binary); builds
# nothing.
set -u

cd "$(dirname "$0")/.." || exit 2
ISOTEST=${ISOTEST:-$(pwd)/build/isotest}
TABLES=${BENCH_BACKUP_TABLES:-24}
SIZE_MB=${BENCH_BACKUP_MB:-120}
RUNS=${BENCH_BACKUP_RUNS:-3}
JOBS=${BENCH_BACKUP_JOBS:-2}

. ci/bench_lib.sh
bench_setup bench_backup

SOCK=$SERVER/sock
PORT=5432
$AS mkdir "$SOCK" || exit 2
$AS "$BINDIR/initdb" -D "$SERVER/data" -U postgres -A trust >"$WORK/initdb.log" 2>&1 ||
    die "initdb failed: $(tail -n 5 "$WORK/initdb.log")"
$AS "$BINDIR/pg_ctl" -D "$SERVER/data" -w -l "$SERVER/log" \
    -o "-k $SOCK -p $PORT -c listen_addresses= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c maintenance_work_mem=256MB -c max_wal_size=4GB" \
    start >/dev/null || die "the server did not start: $(tail -n 5 "$SERVER/log")"

CONN="-h $SOCK -p $PORT -U postgres"
DB="host=$SOCK port=$PORT user=postgres dbname=bench"
SERVERDB="host=$SOCK port=$PORT user=postgres dbname=postgres"
psql_q() {
    "$BINDIR/psql" $CONN -X -q -v ON_ERROR_STOP=1 "$@"
}

# ---- the data ---------------------------------------------------------------

ROWS=$((SIZE_MB * 1024 * 1024 / TABLES / 160))
echo "bench_backup: generating $TABLES tables of $ROWS rows (about $SIZE_MB MB)..."
psql_q -d postgres -c "CREATE DATABASE bench" || exit 2
i=1
while [ "$i" -le "$TABLES" ]; do
    psql_q -d bench -c "CREATE TABLE t$i (id bigint PRIMARY KEY, n int NOT NULL,
        label text NOT NULL, at timestamptz NOT NULL, amount numeric(12, 2));
        INSERT INTO t$i SELECT g, g % 1000, md5(g::text) || md5((g * $i)::text),
            timestamptz '2024-01-01' + g * interval '1 minute', g * 0.37
        FROM generate_series(1, $ROWS) AS g;" || exit 2
    i=$((i + 1))
done
psql_q -d bench -c "VACUUM ANALYZE" || exit 2
SIZE=$("$BINDIR/psql" $CONN -X -At -d bench -c \
    "SELECT pg_size_pretty(pg_database_size('bench')) || ' in ' ||
            (SELECT count(*) FROM pg_tables WHERE schemaname = 'public') || ' tables'")

# ---- timing -----------------------------------------------------------------

now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# median FIELD PAIRS...: the median of field 1 (wall) or 2 (CPU) of
# "WALL:CPU" pairs.
median() {
    f=$1
    shift
    printf '%s\n' "$@" | cut -d: -f"$f" | sort -n | awk '{ v[NR] = $1 }
        END { if (NR % 2) print v[(NR + 1) / 2];
              else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# run_ms LOG CMD...: run it and print "WALL:CPU" in ms, CPU being the
# user + system time of the processes it started and waited for (the
# client side: the server's work is not in it); exit 2 when it fails.  It
# runs in a command substitution, a new process whose children's times
# start at zero, so `times` reports just this command.
run_ms() {
    log=$1
    shift
    t0=$(now_ms)
    "$@" >"$log" 2>&1 || {
        echo "bench_backup: '$*' failed:" >&2
        tail -n 20 "$log" >&2
        exit 2
    }
    wall=$(($(now_ms) - t0))
    times >"$log.times"
    cpu=$(awk 'NR == 2 {
            t = 0
            for (i = 1; i <= 2; i++) {
                split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2]
            }
            printf "%d", t * 1000 }' "$log.times")
    echo "$wall:${cpu:-0}"
}

fresh_dir() {
    rm -rf "$WORK/$1"
    mkdir "$WORK/$1"
    echo "$WORK/$1"
}

# bare_restore FILE [JOBS]: createdb + pg_restore, timed together.
bare_restore() {
    "$BINDIR/createdb" $CONN restored && "$BINDIR/pg_restore" $CONN -d restored ${2:+-j "$2"} "$1"
}

dropdb_restored() {
    "$BINDIR/dropdb" $CONN --if-exists restored
}

# One round: every measurement once; appends to the lists below.
BARE_DUMP="" ISO_CREATE="" BARE_RESTORE="" ISO_VERIFY=""
BARE_DUMP_D="" ISO_CREATE_D="" BARE_RESTORE_D="" ISO_VERIFY_D=""
BARE_RESTORE_J="" ISO_VERIFY_J=""
round() {
    d=$(fresh_dir bare)
    BARE_DUMP="$BARE_DUMP $(run_ms "$WORK/log" "$BINDIR/pg_dump" $CONN -Fc -f "$d/bench.dump" bench)" || exit 2
    BARE_RESTORE="$BARE_RESTORE $(run_ms "$WORK/log" bare_restore "$d/bench.dump")" || exit 2
    dropdb_restored
    BARE_RESTORE_J="$BARE_RESTORE_J $(run_ms "$WORK/log" bare_restore "$d/bench.dump" "$JOBS")" || exit 2
    dropdb_restored
    BARE_DUMP_D="$BARE_DUMP_D $(run_ms "$WORK/log" "$BINDIR/pg_dump" $CONN -Fd -j "$JOBS" -f "$d/bench.dir" bench)" || exit 2
    BARE_RESTORE_D="$BARE_RESTORE_D $(run_ms "$WORK/log" bare_restore "$d/bench.dir" "$JOBS")" || exit 2
    dropdb_restored
    CUSTOM_SIZE=$(du -sh "$d/bench.dump" | cut -f1)

    i=$(fresh_dir iso)
    ISO_CREATE="$ISO_CREATE $(run_ms "$WORK/log" "$ISOTEST" backup create --db "$DB" --dir "$i" --keep 0)" || exit 2
    f=$(ls "$i"/*.dump)
    ISO_VERIFY="$ISO_VERIFY $(run_ms "$WORK/log" "$ISOTEST" backup verify "$f" --db "$SERVERDB")" || exit 2
    ISO_VERIFY_J="$ISO_VERIFY_J $(run_ms "$WORK/log" "$ISOTEST" backup verify "$f" --db "$SERVERDB" -j "$JOBS")" || exit 2
    ISO_CREATE_D="$ISO_CREATE_D $(run_ms "$WORK/log" "$ISOTEST" backup create --db "$DB" --dir "$i" --keep 0 --format directory -j "$JOBS")" || exit 2
    f=$(ls -d "$i"/*.dir)
    ISO_VERIFY_D="$ISO_VERIFY_D $(run_ms "$WORK/log" "$ISOTEST" backup verify "$f" --db "$SERVERDB" -j "$JOBS")" || exit 2
}

# A first verify builds isotest's (empty) template on the server: not
# part of what a verify costs from then on.
warm=$(fresh_dir warm)
"$ISOTEST" backup create --db "$DB" --dir "$warm" --keep 0 >"$WORK/log" 2>&1 &&
    "$ISOTEST" backup verify "$(ls "$warm"/*.dump)" --db "$SERVERDB" >>"$WORK/log" 2>&1 ||
    { tail -n 20 "$WORK/log" >&2; die "the warm-up create/verify failed"; }
rm -rf "$warm"

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
r=1
while [ "$r" -le "$RUNS" ]; do
    echo "bench_backup: round $r of $RUNS..."
    round
    r=$((r + 1))
done

# ---- the table --------------------------------------------------------------

secs() {
    awk -v v="$1" 'BEGIN { printf "%.2f", v / 1000 }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'
}

# line LABEL ISOTEST_LIST BARE_LIST BARE_LABEL GOAL
line() {
    iso=$(median 1 $2)
    bare=$(median 1 $3)
    iso_cpu=$(median 2 $2)
    bare_cpu=$(median 2 $3)
    printf '%-27s %7s s %7s s   %-30s %7s s %7s s   %6s %6s   %s\n' "$1" \
        "$(secs "$iso")" "$(secs "$iso_cpu")" "$4" "$(secs "$bare")" \
        "$(secs "$bare_cpu")" "$(ratio "$iso" "$bare")" \
        "$(ratio "$iso_cpu" "$bare_cpu")" "$5"
}

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)
echo
echo "isotest backup against the bare tools: $SIZE (custom dump $CUSTOM_SIZE),"
echo "median of $RUNS runs, -j $JOBS, $(nproc) CPUs, PostgreSQL $("$BINDIR/postgres" --version | sed 's/.* //')"
echo "load average: $LOAD_START at the start, $LOAD_END at the end"
echo
printf '%-27s %9s %9s   %-30s %9s %9s   %6s %6s   %s\n' "isotest" "wall" \
    "cpu" "bare" "wall" "cpu" "wall" "cpu" "goal (wall)"
line "backup create" "$ISO_CREATE" "$BARE_DUMP" "pg_dump -Fc" "1.10x"
line "backup verify" "$ISO_VERIFY" "$BARE_RESTORE" "createdb + pg_restore" "1.30x"
line "backup verify -j $JOBS" "$ISO_VERIFY_J" "$BARE_RESTORE_J" "createdb + pg_restore -j $JOBS" "1.30x"
line "create --format directory" "$ISO_CREATE_D" "$BARE_DUMP_D" "pg_dump -Fd -j $JOBS" "1.10x"
line "verify (directory) -j $JOBS" "$ISO_VERIFY_D" "$BARE_RESTORE_D" "createdb + pg_restore -j $JOBS" "1.30x"
echo
echo "cpu: user + system time of the client processes (isotest, pg_dump,"
echo "pg_restore, createdb), not the server's.  verify also checks the"
echo "signature and SHA-256, counts every table's rows and drops its sandbox;"
echo "create also counts every table's rows (in the dump's snapshot) and"
echo "hashes the dump.  Ratios are informational: with a load average above"
echo "the CPU count, wall times measure the other processes as much as these."
exit 0
