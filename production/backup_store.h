/*
 * backup_store: the backup folder -- names, durable writes, listing and
 * pruning.
 *
 * A backup is named DBNAME_backup_YYYYMMDD_HHMMSS plus its format's
 * extension (backup_manifest.h), the time in UTC; DBNAME is the
 * database's name with every byte outside [A-Za-z0-9_.-] made '_'.
 * Nothing partial ever carries such a name: a dump is written under a
 * hidden work folder in the same folder (.isotest-backup-XXXXXX), synced,
 * and renamed into place without replacing anything (backup_publish).
 *
 * Pruning deletes a backup only when both its name has the pattern and
 * its manifest says it is that very backup of that database; anything
 * else -- a file of the user's with a similar name, a backup whose
 * manifest is gone -- stays.  Functions report through struct
 * isotest_err and never print; thread-safe for distinct folders.
 */
#ifndef ISOTEST_BACKUP_STORE_H
#define ISOTEST_BACKUP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "backup_manifest.h"
#include "common/err.h"
#include "common/strbuf.h"

/* "shop_backup_20240131_120000.dump"; the caller frees it. */
char *backup_file_name(const char *database, time_t t, enum backup_format f);

/*
 * Does name have the pattern?  Then 0 with *dbpart (the caller frees
 * it), stamp ("20240131_120000") and *f filled; else -1.
 */
int backup_name_parse(const char *name, char **dbpart, char stamp[16],
                      enum backup_format *f);

/* The file-name form of a database name (see above); the caller frees. */
char *backup_name_db(const char *database);

/* A hidden work folder in dir, mode 0700; the caller frees the path. */
char *backup_workdir(const char *dir, struct isotest_err *e);

/*
 * Move src (a file or folder) to dst, which must not exist (EEXIST is
 * an error, never an overwrite), and fsync dst's folder.
 */
int backup_publish(const char *src, const char *dst, struct isotest_err *e);

/* Remove a backup: the file or folder, its manifest and its verdict. */
int backup_remove(const char *path, struct isotest_err *e);

/* A backup found in a folder. */
struct backup_entry {
    char *path, *name, *dbpart;
    char stamp[16];
    enum backup_format format;
    int manifest; /* 1 read, 0 none, -1 unreadable or not isotest's */
    struct backup_manifest m;
    bool own; /* the manifest names this file: provably isotest's */
};

/*
 * Every entry of dir whose name has the pattern, newest first (by the
 * stamp in the name, then name).  -1 with e when dir cannot be read.
 */
int backup_scan(const char *dir, struct backup_entry **out, size_t *n,
                struct isotest_err *e);
void backup_entries_free(struct backup_entry *v, size_t n);

/*
 * Keep the newest `keep` provable backups of `database` in dir and
 * delete the older ones; log gets one line per deletion, and per file
 * that was left alone because it could not be proven isotest's.  -1
 * with e on the first deletion that failed.
 */
int backup_prune(const char *dir, const char *database, int keep,
                 struct strbuf *log, struct isotest_err *e);

#endif
