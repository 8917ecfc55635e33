/*
 * backup_archive.c: format, signature, checksum and loading of a backup.
 * Layout: the format; signatures (pg_restore --list, gzip); the
 * checksum; loading.
 */
#include "backup_archive.h"
#include "backup_pg.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The first line of every plain dump pg_dump writes. */
#define PLAIN_HEAD "--\n-- PostgreSQL database dump\n--\n"

/* ---- the format --------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);

    return a >= b && !strcmp(s + a - b, suffix);
}

/* The first bytes of a file; how many were read (0 on any failure). */
static size_t head_bytes(const char *path, unsigned char *buf, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    if (fd < 0)
        return 0;
    do {
        r = read(fd, buf, n);
    } while (r < 0 && errno == EINTR);
    close(fd);
    return r > 0 ? (size_t)r : 0;
}

enum backup_format backup_format_of(const char *path,
                                    const struct backup_manifest *m)
{
    struct stat st;
    unsigned char magic[2];

    if (m)
        return m->format;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return BACKUP_DIRECTORY;
    if (ends_with(path, ".sql.gz"))
        return BACKUP_PLAIN;
    if (ends_with(path, ".dump"))
        return BACKUP_CUSTOM;
    if (head_bytes(path, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
        return BACKUP_PLAIN;
    return BACKUP_CUSTOM;
}

/* ---- signatures --------------------------------------------------------- */

static int archive_signature(const char *path, enum backup_format f,
                             struct strbuf *detail, struct isotest_err *e)
{
    char *tool = backup_tool_path("pg_restore");
    const char *argv[] = {tool, "--list", "--", path, NULL};
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct proc_status st;
    int r = backup_tool_run(argv, NULL, &out, &err, &st, e);

    if (r == 0 && !backup_tool_ok(&st))
        r = backup_tool_failed(e, "pg_restore cannot read it", "pg_restore",
                               &st, &out, &err);
    if (r == 0) {
        size_t entries = 0;
        for (const char *p = out.buf; *p;) {
            const char *nl = strchr(p, '\n');
            entries += *p != ';' && *p != '\n';
            p = nl ? nl + 1 : p + strlen(p);
        }
        strbuf_addf(detail, "%s format, %zu TOC entries (pg_restore --list)",
                    backup_format_name(f), entries);
    }
    free(tool);
    strbuf_release(&out);
    strbuf_release(&err);
    return r;
}

/*
 * The first bytes of the decompressed stream: gzip -dc is stopped once
 * they are read, so a big file is not decompressed for them.
 */
static int gzip_head(const char *path, struct strbuf *head,
                     struct isotest_err *e)
{
    const char *argv[] = {"gzip", "-dc", "--", path, NULL};
    struct proc_spec spec = {.argv = argv};
    struct proc p;
    struct proc_status st;
    char buf[256];

    if (proc_start(&p, &spec, e) < 0)
        return -1;
    while (head->len < sizeof(PLAIN_HEAD)) {
        ssize_t r = read(p.out_fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        strbuf_add(head, buf, (size_t)r);
    }
    proc_kill_tree(p.pid, SIGKILL);
    return proc_wait(&p, &st, e);
}

static int plain_signature(const char *path, struct strbuf *detail,
                           struct isotest_err *e)
{
    unsigned char magic[2];
    struct strbuf head = STRBUF_INIT, out = STRBUF_INIT, err = STRBUF_INIT;
    struct proc_status st;

    if (head_bytes(path, magic, 2) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)
        return err_set(e, "not a gzip file: a plain-format backup is "
                          "pg_dump's SQL, gzip-compressed");
    if (gzip_head(path, &head, e) < 0)
        return -1;
    int ok = !strncmp(head.buf, PLAIN_HEAD, strlen(PLAIN_HEAD));
    strbuf_release(&head);
    if (!ok)
        return err_set(e, "its SQL does not start as a pg_dump plain "
                          "dump does (\"-- PostgreSQL database dump\")");
    const char *argv[] = {"gzip", "-t", "--", path, NULL};
    int r = backup_tool_run(argv, NULL, &out, &err, &st, e);
    if (r == 0 && !backup_tool_ok(&st))
        r = backup_tool_failed(e, "the compressed stream is damaged", "gzip",
                               &st, &out, &err);
    if (r == 0)
        strbuf_addstr(detail, "plain format: gzip header and stream intact "
                              "(gzip -t), pg_dump's SQL inside");
    strbuf_release(&out);
    strbuf_release(&err);
    return r;
}

int backup_signature(const char *path, enum backup_format f,
                     struct strbuf *detail, struct isotest_err *e)
{
    if (access(path, R_OK) < 0)
        return err_errno(e, errno, "cannot read '%s'", path);
    return f == BACKUP_PLAIN ? plain_signature(path, detail, e)
                             : archive_signature(path, f, detail, e);
}

/* ---- the checksum ------------------------------------------------------- */

static const struct backup_member *find_member(const struct backup_digest *d,
                                               const char *name)
{
    for (size_t k = 0; k < d->nfiles; k++)
        if (!strcmp(d->files[k].name, name))
            return &d->files[k];
    return NULL;
}

/* Which files of a directory backup differ: one phrase each. */
static void member_diff(const struct backup_digest *have,
                        const struct backup_digest *want, struct strbuf *sb)
{
    for (size_t k = 0; k < want->nfiles; k++) {
        const struct backup_member *w = &want->files[k];
        const struct backup_member *h = find_member(have, w->name);
        if (!h)
            strbuf_addf(sb, "; '%s' is missing", w->name);
        else if (h->size != w->size)
            strbuf_addf(sb, "; '%s' has %lld bytes, the manifest says %lld",
                        w->name, h->size, w->size);
        else if (strcmp(h->sha256, w->sha256))
            strbuf_addf(sb, "; '%s' has other content (SHA-256)", w->name);
    }
    for (size_t k = 0; k < have->nfiles; k++)
        if (!find_member(want, have->files[k].name))
            strbuf_addf(sb, "; '%s' is not in the manifest",
                        have->files[k].name);
}

int backup_checksum(const char *path, const struct backup_manifest *m,
                    struct strbuf *detail, struct isotest_err *e)
{
    struct backup_digest d;
    struct strbuf why = STRBUF_INIT;

    if (backup_digest(path, false, &d, e) < 0)
        return -1;
    if (d.size != m->digest.size)
        strbuf_addf(&why, "%lld bytes, the manifest says %lld%s", d.size,
                    m->digest.size,
                    d.size < m->digest.size ? " (truncated?)" : "");
    else if (strcmp(d.sha256, m->digest.sha256))
        strbuf_addf(&why, "SHA-256 %.16s..., the manifest says %.16s...",
                    d.sha256, m->digest.sha256);
    if (why.len && m->format == BACKUP_DIRECTORY)
        member_diff(&d, &m->digest, &why);
    int r = 0;
    if (why.len)
        r = err_set(e,
                    "the backup is not the one its manifest describes: "
                    "%s",
                    why.buf);
    else
        strbuf_addf(detail, "SHA-256 %s, %lld bytes, as in the manifest",
                    d.sha256, d.size);
    strbuf_release(&why);
    backup_digest_release(&d);
    return r;
}

/* ---- loading ------------------------------------------------------------ */

static int load_archive(const struct backup_load_spec *s, struct isotest_err *e)
{
    char *tool = backup_tool_path("pg_restore");
    char jobs[16];
    const char *argv[16];
    size_t n = 0;

    argv[n++] = tool;
    argv[n++] = "--exit-on-error";
    if (s->target) {
        argv[n++] = "--clean";
        argv[n++] = "--if-exists";
        argv[n++] = "--single-transaction";
    } else {
        /* A sandbox lacks the source's roles: objects become its own. */
        argv[n++] = "--no-owner";
        argv[n++] = "--no-privileges";
        if (s->jobs > 1) {
            snprintf(jobs, sizeof(jobs), "-j%d", s->jobs);
            argv[n++] = jobs;
        }
    }
    argv[n++] = "-d";
    argv[n++] = s->dbarg;
    argv[n++] = "--";
    argv[n++] = s->path;
    argv[n] = NULL;

    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    struct proc_status st;
    int r = backup_tool_run(argv, s->envp, &out, &err, &st, e);
    if (r == 0 && !backup_tool_ok(&st))
        r = backup_tool_failed(e, "the restore failed", "pg_restore", &st, &out,
                               &err);
    free(tool);
    strbuf_release(&out);
    strbuf_release(&err);
    return r;
}

/*
 * gzip -dc into psql.  A psql that stops at an error closes the pipe and
 * gzip dies of SIGPIPE: only psql's verdict counts then.  The signature
 * check (gzip -t) ran before, so a damaged stream is not fed to psql.
 */
static int load_plain(const struct backup_load_spec *s, struct isotest_err *e)
{
    const char *gz_argv[] = {"gzip", "-dc", "--", s->path, NULL};
    struct proc_spec gz_spec = {.argv = gz_argv};
    struct proc gz, ps;
    struct proc_status gz_st, ps_st;
    char *tool = backup_tool_path("psql");
    const char *argv[12];
    size_t n = 0;
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT, gz_err = STRBUF_INIT;
    struct isotest_err ignore = ISOTEST_ERR_INIT;
    int r = -1;

    argv[n++] = tool;
    argv[n++] = "-X";
    argv[n++] = "-q";
    argv[n++] = "-v";
    argv[n++] = "ON_ERROR_STOP=1";
    if (s->target)
        argv[n++] = "--single-transaction";
    argv[n++] = "-d";
    argv[n++] = s->dbarg;
    argv[n++] = "-f";
    argv[n++] = "-";
    argv[n] = NULL;

    if (proc_start(&gz, &gz_spec, e) < 0) {
        free(tool);
        return -1;
    }
    /* The child opens the pipe anew through /dev/fd before its exec. */
    char *in = xasprintf("/dev/fd/%d", gz.out_fd);
    if (backup_tool_start(&ps, argv, s->envp, in, e) == 0) {
        close(gz.out_fd);
        gz.out_fd = -1;
        r = backup_tool_finish(&ps, &out, &err, &ps_st, e);
    } else {
        proc_kill_tree(gz.pid, SIGKILL);
    }
    strbuf_init(&gz_err, 1 << 16);
    if (proc_capture(&gz, &gz_err, &gz_err, 0, SIGTERM, 0, NULL, &gz_st,
                     r < 0 ? &ignore : e) < 0)
        r = -1;
    isotest_err_release(&ignore);
    if (r == 0 && !backup_tool_ok(&ps_st))
        r = backup_tool_failed(e, "the restore failed", "psql", &ps_st, &out,
                               &err);
    else if (r == 0 && !backup_tool_ok(&gz_st))
        r = backup_tool_failed(e, "the restore failed", "gzip", &gz_st, NULL,
                               &gz_err);
    free(in);
    free(tool);
    strbuf_release(&out);
    strbuf_release(&err);
    strbuf_release(&gz_err);
    return r;
}

int backup_load(const struct backup_load_spec *s, struct isotest_err *e)
{
    return s->format == BACKUP_PLAIN ? load_plain(s, e) : load_archive(s, e);
}
