/*
 * clone_note.c: the note a run prints when making sandboxes was slow on
 * its server, with what would help (`isotest doctor` measures each way).
 */
#define _DEFAULT_SOURCE /* getloadavg() */
#include "commands.h"
#include "fskind.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A clone median above this is slow (ISOTEST_SLOW_CLONE_MS overrides it,
 * 0 makes every run say so: the tests use that).  A run's clones are
 * made up to 4 at a time, each then slower than alone: on tmpfs here
 * 17 ms alone, ~100 ms in a -j 8 run on a machine loaded 8x its cores
 * (hence the load in the note); on disk with fsync=on 636 ms in the same
 * run (ci/bench_ci.sh).
 */
#define SLOW_CLONE_MS 100.0

double cmd_slow_clone_ms(void)
{
    const char *v = getenv("ISOTEST_SLOW_CLONE_MS");
    char *end;

    if (!v || !*v)
        return SLOW_CLONE_MS;
    double ms = strtod(v, &end);
    return *end || ms < 0 ? SLOW_CLONE_MS : ms;
}

/* A busy machine slows every server: say so, with the figure. */
static void print_load(FILE *out)
{
    double load;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);

    if (getloadavg(&load, 1) == 1 && cpus > 0 && load > 2.0 * (double)cpus)
        fprintf(out,
                "  This machine is busy (load %.1f on %ld cores), which "
                "slows any server: the figure is partly that.\n",
                load, cpus);
}

void cmd_clone_note(const struct isotest_session *s, FILE *out)
{
    const struct isotest_session_info *si = isotest_session_info(s);
    struct isotest_session_stats st;

    isotest_session_stats(s, &st);
    if (!st.clones || st.clone_p50_ms <= cmd_slow_clone_ms())
        return;
    bool schema = !strcmp(si->isolation, "schema");
    fprintf(out,
            "isotest: note: making a sandbox took %.0f ms (median of %zu "
            "%s) on this server; a server with its data on tmpfs and "
            "fsync=off clones a small template in ~10 ms on an idle "
            "machine.\n",
            st.clone_p50_ms, st.clones, schema ? "schemas" : "clones");
    print_load(out);
    if (schema)
        fputs("  What helps: database mode, which clones the template "
              "instead of running the migrations per case, on a server "
              "with its data on tmpfs.\n",
              out);
    else if (si->embedded && fskind_path_on_tmpfs(si->socket_dir) == 1)
        fputs("  The embedded server's data is on tmpfs already: fewer "
              "jobs (-j) or a smaller template help.\n",
              out);
    else if (si->embedded)
        fputs("  What helps: the embedded server's folder on tmpfs (a "
              "writable /dev/shm, or TMPDIR on a tmpfs).\n",
              out);
    else
        fputs("  What helps: no --db (isotest's embedded server); for a "
              "service container, its data folder on tmpfs and fsync=off "
              "(docker run --tmpfs /var/lib/postgresql/data postgres "
              "-c fsync=off); with fsync=on, --clone-strategy WAL_LOG "
              "(FILE_COPY syncs every file); or --isolation schema.\n",
              out);
    fputs("  `isotest doctor` (with the same --db) measures each way.\n", out);
}
