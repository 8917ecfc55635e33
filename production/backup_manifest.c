/*
 * backup_manifest.c: formats, the digest of a backup, the manifest and
 * the verdict files (JSON, backup_json.h), and UTC times.
 * Layout: formats and times; the digest; the manifest; the verdict.
 */
#include "backup_manifest.h"
#include "backup_json.h"
#include "backup_store.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MANIFEST_KIND "isotest-backup"
#define VERDICT_KIND "isotest-backup-verification"

/* ---- formats and times -------------------------------------------------- */

static const char *const format_names[] = {"custom", "plain", "directory"};
static const char *const format_exts[] = {".dump", ".sql.gz", ".dir"};

const char *backup_format_name(enum backup_format f)
{
    return format_names[f];
}

const char *backup_format_ext(enum backup_format f)
{
    return format_exts[f];
}

int backup_format_parse(const char *s, enum backup_format *f)
{
    for (int k = 0; k < 3; k++)
        if (!strcmp(s, format_names[k])) {
            *f = (enum backup_format)k;
            return 0;
        }
    return -1;
}

const char *backup_iso_time(long long t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

long long backup_iso_parse(const char *s)
{
    int y, mo, d, h, mi, se, n = 0;

    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
               &n) != 6 ||
        n != 20 || s[n] || mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
           mi * 60 + se;
}

void backup_tables_free(struct backup_table *t, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        free(t[k].schema);
        free(t[k].name);
    }
    free(t);
}

/* ---- the digest --------------------------------------------------------- */

static void hex(const unsigned char *md, char out[65])
{
    for (int k = 0; k < 32; k++)
        snprintf(out + 2 * k, 3, "%02x", md[k]);
}

/* SHA-256 and size of one file. */
static int hash_file(const char *path, bool sync, char out[65], long long *size,
                     struct isotest_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    int saved = 0;

    if (fd < 0)
        return err_errno(e, errno, "cannot read '%s'", path);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    char *buf = xmalloc(1 << 20);
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    *size = 0;
    for (;;) {
        ssize_t r = read(fd, buf, 1 << 20);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            saved = r < 0 ? errno : 0;
            break;
        }
        EVP_DigestUpdate(ctx, buf, (size_t)r);
        *size += r;
    }
    if (!saved && sync && fsync(fd) < 0)
        saved = errno;
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    free(buf);
    close(fd);
    if (saved)
        return err_errno(e, saved, "cannot read '%s'", path);
    hex(md, out);
    return 0;
}

static int by_member_name(const void *a, const void *b)
{
    return strcmp(((const struct backup_member *)a)->name,
                  ((const struct backup_member *)b)->name);
}

/* The regular files of a directory-format backup, sorted by name. */
static int list_members(const char *path, struct backup_digest *d,
                        struct isotest_err *e)
{
    DIR *dir = opendir(path);
    struct dirent *de;
    size_t cap = 0;

    if (!dir)
        return err_errno(e, errno, "cannot read '%s'", path);
    while ((de = readdir(dir))) {
        struct stat st;
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode)) {
            err_set(e, "'%s/%s' is not a regular file", path, de->d_name);
            closedir(dir);
            return -1;
        }
        if (d->nfiles == cap) {
            cap = cap ? 2 * cap : 16;
            d->files = xrealloc(d->files, cap * sizeof(*d->files));
        }
        memset(&d->files[d->nfiles], 0, sizeof(*d->files));
        d->files[d->nfiles++].name = xstrdup(de->d_name);
    }
    closedir(dir);
    if (d->nfiles)
        qsort(d->files, d->nfiles, sizeof(*d->files), by_member_name);
    return 0;
}

static int digest_dir(const char *path, bool sync, struct backup_digest *d,
                      struct isotest_err *e)
{
    struct strbuf lines = STRBUF_INIT;

    if (list_members(path, d, e) < 0)
        return -1;
    for (size_t k = 0; k < d->nfiles; k++) {
        struct backup_member *m = &d->files[k];
        char *p = xasprintf("%s/%s", path, m->name);
        int r = hash_file(p, sync, m->sha256, &m->size, e);
        free(p);
        if (r < 0) {
            strbuf_release(&lines);
            return -1;
        }
        d->size += m->size;
        strbuf_addf(&lines, "%s  %s\n", m->sha256, m->name);
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(lines.buf, lines.len, md, &mdlen, EVP_sha256(), NULL);
    hex(md, d->sha256);
    strbuf_release(&lines);
    if (sync) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
    return 0;
}

int backup_digest(const char *path, bool sync, struct backup_digest *d,
                  struct isotest_err *e)
{
    struct stat st;

    memset(d, 0, sizeof(*d));
    if (stat(path, &st) < 0)
        return err_errno(e, errno, "cannot read '%s'", path);
    int r = S_ISDIR(st.st_mode) ? digest_dir(path, sync, d, e)
                                : hash_file(path, sync, d->sha256, &d->size, e);
    if (r < 0)
        backup_digest_release(d);
    return r;
}

void backup_digest_release(struct backup_digest *d)
{
    for (size_t k = 0; k < d->nfiles; k++)
        free(d->files[k].name);
    free(d->files);
    memset(d, 0, sizeof(*d));
}

/* ---- the manifest ------------------------------------------------------- */

char *backup_manifest_path(const char *backup)
{
    return xasprintf("%s.json", backup);
}

char *backup_verdict_path(const char *backup)
{
    return xasprintf("%s.verified.json", backup);
}

static void member(struct strbuf *sb, const char *key, const char *val,
                   bool last)
{
    strbuf_addf(sb, "  \"%s\": ", key);
    if (val)
        bjson_add_str(sb, val);
    else
        strbuf_addstr(sb, "null");
    strbuf_addstr(sb, last ? "\n" : ",\n");
}

static void manifest_lists(struct strbuf *sb, const struct backup_manifest *m)
{
    strbuf_addstr(sb, "  \"files\": [");
    for (size_t k = 0; k < m->digest.nfiles; k++) {
        const struct backup_member *f = &m->digest.files[k];
        strbuf_addstr(sb, k ? ",\n    {\"name\": " : "\n    {\"name\": ");
        bjson_add_str(sb, f->name);
        strbuf_addf(sb, ", \"size\": %lld, \"sha256\": \"%s\"}", f->size,
                    f->sha256);
    }
    strbuf_addstr(sb, m->digest.nfiles ? "\n  ],\n  \"roles\": ["
                                       : "],\n  \"roles\": [");
    for (size_t k = 0; k < m->nroles; k++) {
        strbuf_addstr(sb, k ? ", " : "");
        bjson_add_str(sb, m->roles[k]);
    }
    strbuf_addf(sb, "],\n  \"total_rows\": %lld,\n  \"tables\": [",
                backup_manifest_rows(m));
    for (size_t k = 0; k < m->ntables; k++) {
        const struct backup_table *t = &m->tables[k];
        strbuf_addstr(sb, k ? ",\n    {\"schema\": " : "\n    {\"schema\": ");
        bjson_add_str(sb, t->schema);
        strbuf_addstr(sb, ", \"name\": ");
        bjson_add_str(sb, t->name);
        strbuf_addf(sb, ", \"rows\": %lld}", t->rows);
    }
    strbuf_addstr(sb, m->ntables ? "\n  ]\n}\n" : "]\n}\n");
}

int backup_manifest_write(const char *path, const struct backup_manifest *m,
                          struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "{\n");
    member(&sb, "kind", MANIFEST_KIND, false);
    strbuf_addstr(&sb, "  \"manifest_version\": 1,\n");
    member(&sb, "tool", "isotest " ISOTEST_VERSION, false);
    member(&sb, "file", m->file, false);
    member(&sb, "format", backup_format_name(m->format), false);
    member(&sb, "database", m->database, false);
    member(&sb, "created_at", m->created_at, false);
    member(&sb, "snapshot", m->snapshot, false);
    member(&sb, "server_version", m->server_version, false);
    member(&sb, "pg_dump_version", m->pg_dump_version, false);
    strbuf_addf(&sb, "  \"size\": %lld,\n", m->digest.size);
    member(&sb, "sha256", m->digest.sha256, false);
    manifest_lists(&sb, m);
    int r = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return r;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

/* Read a whole small file; 0 when it does not exist. */
static int slurp(const char *path, struct strbuf *sb, struct isotest_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    char buf[8192];

    if (fd < 0)
        return errno == ENOENT ? 0
                               : err_errno(e, errno, "cannot read '%s'", path);
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int saved = errno;
            close(fd);
            return err_errno(e, saved, "cannot read '%s'", path);
        }
        if (r == 0)
            break;
        strbuf_add(sb, buf, (size_t)r);
    }
    close(fd);
    return 1;
}

/* A whole-file JSON object of the given kind: 1, 0 (none) or -1. */
static int read_kind(const char *path, const char *kind, struct bjson *j,
                     struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;
    int r = slurp(path, &sb, e);

    if (r <= 0) {
        strbuf_release(&sb);
        return r;
    }
    r = bjson_parse(sb.buf, sb.len, j, e);
    strbuf_release(&sb);
    if (r < 0)
        return err_prefix(e, "cannot read '%s'", path);
    const char *k = bjson_get_str(j, "kind");
    if (!k || strcmp(k, kind)) {
        bjson_release(j);
        return err_set(e, "'%s' is not an isotest %s file", path,
                       !strcmp(kind, MANIFEST_KIND) ? "backup manifest"
                                                    : "verification");
    }
    return 1;
}

static int read_tables(const struct bjson *arr, struct backup_manifest *m)
{
    if (!arr || arr->type != BJSON_ARR)
        return -1;
    m->tables = xcalloc(arr->n ? arr->n : 1, sizeof(*m->tables));
    for (size_t k = 0; k < arr->n; k++) {
        const char *s = bjson_get_str(&arr->items[k], "schema");
        const char *n = bjson_get_str(&arr->items[k], "name");
        long long rows;
        if (!s || !n || !bjson_get_int(&arr->items[k], "rows", &rows))
            return -1;
        m->tables[m->ntables].schema = xstrdup(s);
        m->tables[m->ntables].name = xstrdup(n);
        m->tables[m->ntables++].rows = rows;
    }
    return 0;
}

static int read_lists(const struct bjson *j, struct backup_manifest *m)
{
    const struct bjson *files = bjson_get(j, "files");
    const struct bjson *roles = bjson_get(j, "roles");

    if (files && files->type == BJSON_ARR && files->n) {
        m->digest.files = xcalloc(files->n, sizeof(*m->digest.files));
        for (size_t k = 0; k < files->n; k++) {
            struct backup_member *f = &m->digest.files[k];
            const char *n = bjson_get_str(&files->items[k], "name");
            const char *h = bjson_get_str(&files->items[k], "sha256");
            if (!n || !h || strlen(h) != 64 ||
                !bjson_get_int(&files->items[k], "size", &f->size))
                return -1;
            f->name = xstrdup(n);
            memcpy(f->sha256, h, 65);
            m->digest.nfiles++;
        }
    }
    if (roles && roles->type == BJSON_ARR && roles->n) {
        m->roles = xcalloc(roles->n, sizeof(*m->roles));
        for (size_t k = 0; k < roles->n; k++)
            if (roles->items[k].type == BJSON_STR)
                m->roles[m->nroles++] = xstrdup(roles->items[k].s);
    }
    return read_tables(bjson_get(j, "tables"), m);
}

int backup_manifest_read(const char *path, struct backup_manifest *m,
                         struct isotest_err *e)
{
    struct bjson j;
    int r = read_kind(path, MANIFEST_KIND, &j, e);

    memset(m, 0, sizeof(*m));
    if (r <= 0)
        return r;
    const char *file = bjson_get_str(&j, "file");
    const char *fmt = bjson_get_str(&j, "format");
    const char *sha = bjson_get_str(&j, "sha256");
    if (!file || !fmt || backup_format_parse(fmt, &m->format) < 0 || !sha ||
        strlen(sha) != 64 || !bjson_get_int(&j, "size", &m->digest.size) ||
        read_lists(&j, m) < 0) {
        bjson_release(&j);
        backup_manifest_release(m);
        return err_set(e,
                       "'%s' is not a complete isotest backup manifest "
                       "(file, format, size, sha256 and tables needed)",
                       path);
    }
    memcpy(m->digest.sha256, sha, 65);
    m->file = xstrdup(file);
    m->database = dup_or_null(bjson_get_str(&j, "database"));
    m->created_at = dup_or_null(bjson_get_str(&j, "created_at"));
    m->snapshot = dup_or_null(bjson_get_str(&j, "snapshot"));
    m->server_version = dup_or_null(bjson_get_str(&j, "server_version"));
    m->pg_dump_version = dup_or_null(bjson_get_str(&j, "pg_dump_version"));
    bjson_release(&j);
    return 1;
}

void backup_manifest_release(struct backup_manifest *m)
{
    free(m->file);
    free(m->database);
    free(m->created_at);
    free(m->snapshot);
    free(m->server_version);
    free(m->pg_dump_version);
    backup_digest_release(&m->digest);
    for (size_t k = 0; k < m->nroles; k++)
        free(m->roles[k]);
    free(m->roles);
    backup_tables_free(m->tables, m->ntables);
    memset(m, 0, sizeof(*m));
}

long long backup_manifest_rows(const struct backup_manifest *m)
{
    long long sum = 0;

    for (size_t k = 0; k < m->ntables; k++)
        sum += m->tables[k].rows;
    return sum;
}

/* ---- the verdict -------------------------------------------------------- */

int backup_verdict_write(const char *path, const struct backup_verdict *v,
                         struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, "{\n");
    member(&sb, "kind", VERDICT_KIND, false);
    member(&sb, "tool", "isotest " ISOTEST_VERSION, false);
    member(&sb, "file", v->file, false);
    member(&sb, "verified_at", v->verified_at, false);
    member(&sb, "result", v->result, false);
    strbuf_addf(&sb,
                "  \"passed\": %d,\n  \"failed\": %d,\n  \"skipped\": %d,\n"
                "  \"errors\": %d,\n",
                v->passed, v->failed, v->skipped, v->errors);
    member(&sb, "message", v->message, true);
    strbuf_addstr(&sb, "}\n");
    int r = fs_write_atomic(path, sb.buf, sb.len, e);
    strbuf_release(&sb);
    return r;
}

int backup_verdict_read(const char *path, struct backup_verdict *v,
                        struct isotest_err *e)
{
    struct bjson j;
    long long n;
    int r = read_kind(path, VERDICT_KIND, &j, e);

    memset(v, 0, sizeof(*v));
    if (r <= 0)
        return r;
    v->file = dup_or_null(bjson_get_str(&j, "file"));
    v->verified_at = dup_or_null(bjson_get_str(&j, "verified_at"));
    v->result = xstrdup(
        bjson_get_str(&j, "result") ? bjson_get_str(&j, "result") : "unknown");
    v->message = dup_or_null(bjson_get_str(&j, "message"));
    v->passed = bjson_get_int(&j, "passed", &n) ? (int)n : 0;
    v->failed = bjson_get_int(&j, "failed", &n) ? (int)n : 0;
    v->skipped = bjson_get_int(&j, "skipped", &n) ? (int)n : 0;
    v->errors = bjson_get_int(&j, "errors", &n) ? (int)n : 0;
    bjson_release(&j);
    return 1;
}

void backup_verdict_release(struct backup_verdict *v)
{
    free(v->file);
    free(v->verified_at);
    free(v->result);
    free(v->message);
    memset(v, 0, sizeof(*v));
}
