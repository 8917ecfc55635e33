/*
 * backup_cmd.c: `isotest backup`: dispatch to the subcommands, the
 * help (which documents every exit code), the helpers they share for
 * printing, and `backup list`.
 */
#include "backup.h"
#include "backup_store.h"
#include "runner/commands.h"
#include "runner/options.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

const char backup_usage[] =
    "usage: isotest backup create|verify|restore|list [options]\n"
    "\n"
    "Backups of a persistent (production) database, and the proof that\n"
    "they restore.  create and verify never write to the database a backup\n"
    "is taken of (a role with CONNECT and SELECT is enough); passwords are\n"
    "handed to pg_dump and friends in their environment, never shown.\n"
    "\n"
    "isotest backup create --db URL [--dir DIR] [--keep N]\n"
    "                      [--format custom|plain|directory] [-j N]\n"
    "  Writes DIR/DBNAME_backup_YYYYMMDD_HHMMSS.dump (the time in UTC;\n"
    "  plain: .sql.gz, gzip-compressed SQL that drops what it recreates;\n"
    "  directory: .dir, dumped by -j N jobs) under a temporary name, synced\n"
    "  and renamed into place, and its manifest beside it (NAME.json: size,\n"
    "  SHA-256, server and pg_dump versions, and every table's exact row\n"
    "  count, taken in the dump's own snapshot).  Keeps the newest N\n"
    "  backups of the database (default 10; 0 keeps all), deleting only\n"
    "  files whose manifest proves them isotest's backups.\n"
    "  Exit: 0 taken; 1 taken, but pruning failed; 2 not taken.\n"
    "\n"
    "isotest backup verify FILE [--db URL] [--junit F] [-j N] [--check PATH]\n"
    "  Checks the signature (pg_restore --list; plain: the gzip header,\n"
    "  pg_dump's first line, gzip -t), the size and SHA-256 against the\n"
    "  manifest, restores into a new sandbox database (isotest_<run>_<n>)\n"
    "  on the server --db names (a role that may create databases; default:\n"
    "  the PG* variables, else an embedded throwaway server), compares the\n"
    "  table list and every table's row count with the manifest, runs each\n"
    "  *.sql under --check PATH against the restored database with psql\n"
    "  (pgTAP output decides when there is any), and drops the sandbox.\n"
    "  -j N: pg_restore jobs.  --junit F: one test case per check and per\n"
    "  table.  The verdict is recorded in FILE.verified.json.\n"
    "  Exit: 0 every check passed; 1 a check failed (a damaged, truncated\n"
    "  or unreadable backup, a row count that differs, a failing --check\n"
    "  case); 2 could not verify (no such file, no server, or no manifest:\n"
    "  the checks that need one are reported as skipped, never as passed).\n"
    "\n"
    "isotest backup restore FILE --db URL [--yes] [--dir DIR]\n"
    "  Checks FILE as verify does (signature, checksum), takes a safety\n"
    "  backup of the target into DIR (default: FILE's folder) and says\n"
    "  where, restores over the target in one transaction (custom and\n"
    "  directory: pg_restore --clean --if-exists --single-transaction;\n"
    "  plain: psql --single-transaction), then compares the row counts with\n"
    "  the manifest.  Without --yes it refuses a target that other sessions\n"
    "  use or that holds tables, and names them.\n"
    "  Exit: 0 restored, counts as in the manifest; 1 the restore failed\n"
    "  (the target is left as it was) or the counts differ (the command\n"
    "  that restores the safety backup is printed); 2 refused, or could not\n"
    "  start (usage, connection, a backup that fails its checks).\n"
    "\n"
    "isotest backup list [--dir DIR]\n"
    "  The backups in DIR (default .): size, age, last verification.\n"
    "  Exit: 0, or 2 when DIR cannot be read.\n";

/* ---- shared helpers ----------------------------------------------------- */

const char *backup_human_size(long long bytes, char *buf, size_t size)
{
    static const char *const units[] = {"bytes", "kB", "MB", "GB", "TB"};
    double v = (double)bytes;
    int u = 0;

    while (v >= 1000.0 && u < 4) {
        v /= 1000.0;
        u++;
    }
    if (u == 0)
        snprintf(buf, size, "%lld bytes", bytes);
    else
        snprintf(buf, size, "%.1f %s", v, units[u]);
    return buf;
}

const char *backup_human_age(long long secs, char *buf, size_t size)
{
    if (secs < 60)
        snprintf(buf, size, "just now");
    else if (secs < 3600)
        snprintf(buf, size, "%lld min", secs / 60);
    else if (secs < 86400)
        snprintf(buf, size, "%lld h %lld min", secs / 3600, secs % 3600 / 60);
    else
        snprintf(buf, size, "%lld d %lld h", secs / 86400, secs % 86400 / 3600);
    return buf;
}

void backup_print_error(const struct backup_db *db, struct isotest_err *e)
{
    if (db)
        backup_db_redact_err(db, e);
    cmd_print_error(NULL, e);
}

bool backup_wants_help(int argc, char **argv)
{
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--"))
            break;
        if (!strcmp(argv[k], "-h") || !strcmp(argv[k], "--help"))
            return true;
    }
    return false;
}

/* ---- list --------------------------------------------------------------- */

/* The entry's age: its manifest's time, else its name's. */
static long long entry_age(const struct backup_entry *be, time_t now)
{
    long long t = be->own ? backup_iso_parse(be->m.created_at) : -1;

    if (t < 0) {
        char iso[32];
        snprintf(iso, sizeof(iso), "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", be->stamp,
                 be->stamp + 4, be->stamp + 6, be->stamp + 9, be->stamp + 11,
                 be->stamp + 13);
        t = backup_iso_parse(iso);
    }
    return t < 0 ? -1 : (long long)now - t;
}

static void verified_column(const struct backup_entry *be, time_t now,
                            struct strbuf *sb)
{
    char *vpath = backup_verdict_path(be->path);
    struct backup_verdict v;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char age[32];

    int r = backup_verdict_read(vpath, &v, &e);
    if (r < 0)
        strbuf_addstr(sb, "unreadable verdict file");
    else if (r == 0)
        strbuf_addstr(sb, "never verified");
    else {
        long long t = backup_iso_parse(v.verified_at);
        strbuf_addf(
            sb, "%s %s ago", v.result,
            t < 0 ? "?"
                  : backup_human_age((long long)now - t, age, sizeof(age)));
        if (v.message && strcmp(v.result, "passed"))
            strbuf_addf(sb, ": %s", v.message);
        backup_verdict_release(&v);
    }
    isotest_err_release(&e);
    free(vpath);
}

static void list_entry(const struct backup_entry *be, time_t now)
{
    char size[32] = "?", age[32] = "?";
    struct strbuf ver = STRBUF_INIT;
    struct stat st;

    if (be->own)
        backup_human_size(be->m.digest.size, size, sizeof(size));
    else if (stat(be->path, &st) == 0 && S_ISREG(st.st_mode))
        backup_human_size((long long)st.st_size, size, sizeof(size));
    long long a = entry_age(be, now);
    if (a >= 0)
        backup_human_age(a, age, sizeof(age));
    if (be->manifest == 0)
        strbuf_addstr(&ver, "no manifest; ");
    else if (!be->own)
        strbuf_addstr(&ver, "manifest unreadable or not this file's; ");
    verified_column(be, now, &ver);
    printf("%-44s %-9s %10s  %-14s %s\n", be->name,
           backup_format_name(be->format), size, age, ver.buf);
    strbuf_release(&ver);
}

struct list_opts {
    const char *dir;
};

static const struct opt_spec list_specs[] = {
    {"--dir", NULL, OPT_VALUE, offsetof(struct list_opts, dir), 0, 0,
     opt_set_string},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};

int backup_cmd_list(int argc, char **argv)
{
    struct list_opts o = {"."};
    const char **rest = NULL;
    size_t nrest = 0, n;
    struct backup_entry *v;
    struct isotest_err e = ISOTEST_ERR_INIT;

    int r = options_scan(argc, argv, list_specs, &o, false, &rest, &nrest, &e);
    if (r == 0 && nrest)
        r = err_set(&e, "unexpected argument '%s'", rest[0]);
    free(rest);
    if (r < 0 || backup_scan(o.dir, &v, &n, &e) < 0) {
        backup_print_error(NULL, &e);
        return BACKUP_CANNOT;
    }
    time_t now = time(NULL);
    if (!n)
        printf("no backups in '%s'\n", o.dir);
    else
        printf("%-44s %-9s %10s  %-14s %s\n", "BACKUP", "FORMAT", "SIZE", "AGE",
               "LAST VERIFICATION");
    for (size_t k = 0; k < n; k++)
        list_entry(&v[k], now);
    backup_entries_free(v, n);
    return BACKUP_OK;
}

/* ---- dispatch ----------------------------------------------------------- */

int cmd_backup(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {
        {"create", backup_cmd_create},
        {"verify", backup_cmd_verify},
        {"restore", backup_cmd_restore},
        {"list", backup_cmd_list},
    };

    if (argc < 2) {
        fputs(backup_usage, stderr);
        return BACKUP_CANNOT;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(backup_usage, stdout);
        return BACKUP_OK;
    }
    for (size_t k = 0; k < sizeof(subs) / sizeof(*subs); k++)
        if (!strcmp(argv[1], subs[k].name)) {
            if (backup_wants_help(argc - 1, argv + 1)) {
                fputs(backup_usage, stdout);
                return BACKUP_OK;
            }
            return subs[k].fn(argc - 1, argv + 1);
        }
    fprintf(stderr,
            "isotest: error: unknown backup command '%s' (create, verify, "
            "restore, list)\n",
            argv[1]);
    return BACKUP_CANNOT;
}
