# ci/bench_lib.sh: what the bench scripts that start a lone server share.
# Sourced, after `cd` to the repository and ISOTEST set:
#
#     . ci/bench_lib.sh
#     bench_setup NAME
#
# bench_setup checks ISOTEST, picks BINDIR (ISOTEST_PG_BINDIR, else the
# newest /usr/lib/postgresql/*/bin), unsets every PG* variable (each tool
# is told exactly where to go; with PG* set isotest would not start its
# embedded server), makes SERVER (an empty folder for a lone server, on
# tmpfs when there is one) and WORK, sets AS (runuser to postgres when
# root, which PostgreSQL refuses to run as), and removes both folders,
# stopping the server in SERVER/data, on exit.  die MESSAGE prints
# "NAME: MESSAGE" and exits 2.

die() {
    echo "$BENCH_NAME: $*" >&2
    exit 2
}

bench_setup() {
    BENCH_NAME=$1
    [ -x "$ISOTEST" ] || die "'$ISOTEST' is missing: run 'make build/isotest'"
    if [ -n "${ISOTEST_PG_BINDIR:-}" ]; then
        BINDIR=$ISOTEST_PG_BINDIR
    else
        BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
    [ -x "$BINDIR/initdb" ] || die "no PostgreSQL server binaries (ISOTEST_PG_BINDIR)"
    for var in $(env | sed -n 's/^\(PG[A-Za-z0-9_]*\)=.*/\1/p'); do
        unset "$var"
    done
    base=/tmp
    [ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
    tag=$(echo "$BENCH_NAME" | tr _ -)
    SERVER=$(mktemp -d "$base/isotest-$tag-server.XXXXXX") || exit 2
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/isotest-$tag.XXXXXX") || exit 2
    AS=""
    if [ "$(id -u)" = 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root needs a postgres account"
        chown postgres "$SERVER"
        AS="runuser -u postgres --"
    fi
    trap bench_stop_server EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

bench_stop_server() {
    [ -f "$SERVER/data/postmaster.pid" ] &&
        $AS "$BINDIR/pg_ctl" -D "$SERVER/data" -m immediate stop >/dev/null 2>&1
    rm -rf "$SERVER" "$WORK"
}
