/*
 * backup_store.c: backup names, durable writes and moves, the folder's
 * listing and pruning.  Layout: names; writing; listing; pruning.
 */
#define _GNU_SOURCE /* renameat2() and RENAME_NOREPLACE */
#include "backup_store.h"
#include "common/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INFIX "_backup_"
/* "_backup_" + "YYYYMMDD_HHMMSS" */
#define SUFFIX_LEN (sizeof(INFIX) - 1 + 15)

/* ---- names -------------------------------------------------------------- */

char *backup_name_db(const char *database)
{
    char *s = xstrdup(*database ? database : "db");

    for (char *p = s; *p; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                  (*p == '.' && p != s);
        if (!ok)
            *p = '_';
    }
    return s;
}

char *backup_file_name(const char *database, time_t t, enum backup_format f)
{
    char stamp[32];
    struct tm tm;
    char *db = backup_name_db(database);

    gmtime_r(&t, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%d_%H%M%S", &tm);
    char *name = xasprintf("%s" INFIX "%s%s", db, stamp, backup_format_ext(f));
    free(db);
    return name;
}

static bool digits(const char *s, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return false;
    return true;
}

int backup_name_parse(const char *name, char **dbpart, char stamp[16],
                      enum backup_format *f)
{
    size_t len = strlen(name), base = 0;
    int k;

    for (k = 0; k < 3; k++) {
        const char *ext = backup_format_ext((enum backup_format)k);
        size_t el = strlen(ext);
        if (len > el && !strcmp(name + len - el, ext)) {
            base = len - el;
            break;
        }
    }
    if (k == 3 || base <= SUFFIX_LEN || name[0] == '.')
        return -1;
    const char *suf = name + base - SUFFIX_LEN;
    const char *st = suf + sizeof(INFIX) - 1;
    if (strncmp(suf, INFIX, sizeof(INFIX) - 1) || !digits(st, 8) ||
        st[8] != '_' || !digits(st + 9, 6))
        return -1;
    memcpy(stamp, st, 15);
    stamp[15] = '\0';
    *dbpart = xstrndup(name, (size_t)(suf - name));
    *f = (enum backup_format)k;
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

char *backup_workdir(const char *dir, struct isotest_err *e)
{
    char *p = xasprintf("%s/.isotest-backup-XXXXXX", dir);

    if (!mkdtemp(p)) {
        err_errno(e, errno, "cannot create a work folder in '%s'", dir);
        free(p);
        return NULL;
    }
    return p;
}

int backup_publish(const char *src, const char *dst, struct isotest_err *e)
{
    int r = renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE);

    if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* A file system without RENAME_NOREPLACE: check, then rename. */
        struct stat st;
        if (lstat(dst, &st) == 0)
            errno = EEXIST;
        else
            r = rename(src, dst);
    }
    if (r < 0) {
        int saved = errno;
        if (saved == EEXIST)
            return err_set(e,
                           "'%s' already exists (another backup of the "
                           "same database in the same second?)",
                           dst);
        return err_errno(e, saved, "cannot rename '%s' to '%s'", src, dst);
    }
    return fs_sync_dir_of(dst, e);
}

int backup_remove(const char *path, struct isotest_err *e)
{
    struct stat st;
    char *side[2] = {backup_manifest_path(path), backup_verdict_path(path)};
    int r = 0;

    if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            r = fs_remove_tree(path, e);
        else if (unlink(path) < 0)
            r = err_errno(e, errno, "cannot delete '%s'", path);
    }
    /* The manifest goes last: a backup is never left without one. */
    for (int k = 1; k >= 0 && r == 0; k--)
        if (unlink(side[k]) < 0 && errno != ENOENT)
            r = err_errno(e, errno, "cannot delete '%s'", side[k]);
    free(side[0]);
    free(side[1]);
    return r;
}

/* ---- listing ------------------------------------------------------------ */

static int newest_first(const void *a, const void *b)
{
    const struct backup_entry *x = a, *y = b;
    int c = strcmp(y->stamp, x->stamp);

    return c ? c : strcmp(y->name, x->name);
}

static void fill_entry(const char *dir, const char *name,
                       struct backup_entry *be)
{
    struct isotest_err ignore = ISOTEST_ERR_INIT;

    be->name = xstrdup(name);
    be->path = xasprintf("%s/%s", dir, name);
    char *mpath = backup_manifest_path(be->path);
    be->manifest = backup_manifest_read(mpath, &be->m, &ignore);
    isotest_err_release(&ignore);
    free(mpath);
    be->own = be->manifest == 1 && !strcmp(be->m.file, name) &&
              be->m.format == be->format;
}

int backup_scan(const char *dir, struct backup_entry **out, size_t *n,
                struct isotest_err *e)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (!d)
        return err_errno(e, errno, "cannot read folder '%s'", dir);
    while ((de = readdir(d))) {
        struct backup_entry be;
        memset(&be, 0, sizeof(be));
        if (backup_name_parse(de->d_name, &be.dbpart, be.stamp, &be.format))
            continue;
        fill_entry(dir, de->d_name, &be);
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = xrealloc(*out, cap * sizeof(**out));
        }
        (*out)[(*n)++] = be;
    }
    closedir(d);
    if (*n)
        qsort(*out, *n, sizeof(**out), newest_first);
    return 0;
}

void backup_entries_free(struct backup_entry *v, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(v[k].path);
        free(v[k].name);
        free(v[k].dbpart);
        backup_manifest_release(&v[k].m);
    }
    free(v);
}

/* ---- pruning ------------------------------------------------------------ */

int backup_prune(const char *dir, const char *database, int keep,
                 struct strbuf *log, struct isotest_err *e)
{
    struct backup_entry *v;
    size_t n;
    int kept = 0, r = 0;

    if (keep <= 0)
        return 0;
    if (backup_scan(dir, &v, &n, e) < 0)
        return -1;
    char *dbpart = backup_name_db(database);
    for (size_t k = 0; k < n && r == 0; k++) {
        struct backup_entry *be = &v[k];
        if (strcmp(be->dbpart, dbpart))
            continue;
        if (!be->own || !be->m.database || strcmp(be->m.database, database)) {
            strbuf_addf(log, "left '%s' alone: %s\n", be->path,
                        be->manifest == 0 ? "no manifest proves it is an "
                                            "isotest backup"
                        : be->own ? "its manifest names another database"
                                  : "its manifest does not name this file");
            continue;
        }
        if (++kept <= keep)
            continue;
        r = backup_remove(be->path, e);
        if (r == 0)
            strbuf_addf(log, "deleted '%s' (keeping the newest %d)\n", be->path,
                        keep);
    }
    free(dbpart);
    backup_entries_free(v, n);
    return r;
}
