/*
 * fsutil.c: recursive copy/remove with openat(2) and friends.
 */
#include "fsutil.h"
#include "strbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_file(int sdir, int ddir, const char *name,
                     const struct stat *st, bool chown_to, uid_t uid, gid_t gid,
                     const char *dpath, struct isotest_err *e)
{
    int in = openat(sdir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0)
        return err_errno(e, errno, "cannot open '%s'", name);
    int out = openat(ddir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                     st->st_mode & 07777);
    if (out < 0) {
        int saved = errno;
        close(in);
        return err_errno(e, saved, "cannot create '%s/%s'", dpath, name);
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(in);
            close(out);
            return err_errno(e, saved, "cannot read '%s'", name);
        }
        if (n == 0)
            break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                int saved = errno;
                close(in);
                close(out);
                return err_errno(e, saved, "cannot write '%s/%s'", dpath, name);
            }
            off += w;
        }
    }
    close(in);
    /* open() applied the umask; the copy keeps the original's mode. */
    if (fchmod(out, st->st_mode & 07777) < 0) {
        int saved = errno;
        close(out);
        return err_errno(e, saved, "cannot chmod '%s/%s'", dpath, name);
    }
    if (chown_to && fchown(out, uid, gid) < 0) {
        int saved = errno;
        close(out);
        return err_errno(e, saved, "cannot chown '%s/%s'", dpath, name);
    }
    close(out);
    return 0;
}

static int copy_dir(int sfd, int dfd, const char *dpath, bool chown_to,
                    uid_t uid, gid_t gid, struct isotest_err *e)
{
    DIR *d = fdopendir(sfd);
    struct dirent *de;
    int r = 0;

    if (!d) {
        int saved = errno;
        close(sfd);
        return err_errno(e, saved, "cannot read directory for '%s'", dpath);
    }
    while (r == 0 && (de = readdir(d))) {
        const char *n = de->d_name;
        struct stat st;

        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            r = err_errno(e, errno, "cannot stat '%s'", n);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dfd, n, st.st_mode & 07777) < 0) {
                r = err_errno(e, errno, "cannot create '%s/%s'", dpath, n);
                break;
            }
            int s2 = openat(dirfd(d), n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            int d2 = openat(dfd, n, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (s2 < 0 || d2 < 0) {
                r = err_errno(e, errno, "cannot open '%s/%s'", dpath, n);
                if (s2 >= 0)
                    close(s2);
                if (d2 >= 0)
                    close(d2);
                break;
            }
            if (fchmod(d2, st.st_mode & 07777) < 0 ||
                (chown_to && fchown(d2, uid, gid) < 0)) {
                r = err_errno(e, errno, "cannot chown '%s/%s'", dpath, n);
                close(s2);
                close(d2);
                break;
            }
            char *sub = xasprintf("%s/%s", dpath, n);
            r = copy_dir(s2, d2, sub, chown_to, uid, gid, e);
            free(sub);
            close(d2);
        } else if (S_ISREG(st.st_mode)) {
            r = copy_file(dirfd(d), dfd, n, &st, chown_to, uid, gid, dpath, e);
        } else if (S_ISLNK(st.st_mode)) {
            char target[4096];
            ssize_t len = readlinkat(dirfd(d), n, target, sizeof(target) - 1);
            if (len < 0) {
                r = err_errno(e, errno, "cannot read link '%s'", n);
                break;
            }
            target[len] = '\0';
            if (symlinkat(target, dfd, n) < 0)
                r = err_errno(e, errno, "cannot create link '%s/%s'", dpath, n);
            else if (chown_to)
                fchownat(dfd, n, uid, gid, AT_SYMLINK_NOFOLLOW);
        }
        /* Sockets and FIFOs (a server's socket) are not copied. */
    }
    closedir(d);
    return r;
}

int fs_copy_tree(const char *src, const char *dst, bool chown_to, uid_t uid,
                 gid_t gid, struct isotest_err *e)
{
    struct stat st;

    if (stat(src, &st) < 0)
        return err_errno(e, errno, "cannot stat '%s'", src);
    if (mkdir(dst, st.st_mode & 07777) < 0)
        return err_errno(e, errno, "cannot create '%s'", dst);
    int s = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s < 0)
        return err_errno(e, errno, "cannot open '%s'", src);
    int d = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (d < 0) {
        int saved = errno;
        close(s);
        return err_errno(e, saved, "cannot open '%s'", dst);
    }
    int r = 0;
    if (fchmod(d, st.st_mode & 07777) < 0 ||
        (chown_to && fchown(d, uid, gid) < 0))
        r = err_errno(e, errno, "cannot chown '%s'", dst);
    if (r == 0)
        r = copy_dir(s, d, dst, chown_to, uid, gid, e);
    else
        close(s);
    close(d);
    return r;
}

static int remove_in(int dfd, const char *path, struct isotest_err *e)
{
    DIR *d = fdopendir(dfd);
    struct dirent *de;
    int r = 0;

    if (!d) {
        int saved = errno;
        close(dfd);
        return err_errno(e, saved, "cannot read '%s'", path);
    }
    while ((de = readdir(d))) {
        const char *n = de->d_name;
        struct stat st;

        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        if (fstatat(dirfd(d), n, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT)
                continue;
            r = err_errno(e, errno, "cannot stat '%s/%s'", path, n);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), n,
                             O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0) {
                r = err_errno(e, errno, "cannot open '%s/%s'", path, n);
                continue;
            }
            char *p = xasprintf("%s/%s", path, n);
            if (remove_in(sub, p, e) < 0)
                r = -1;
            free(p);
            if (unlinkat(dirfd(d), n, AT_REMOVEDIR) < 0 && errno != ENOENT)
                r = err_errno(e, errno, "cannot remove '%s/%s'", path, n);
        } else if (unlinkat(dirfd(d), n, 0) < 0 && errno != ENOENT) {
            r = err_errno(e, errno, "cannot remove '%s/%s'", path, n);
        }
    }
    closedir(d);
    return r;
}

int fs_remove_tree(const char *path, struct isotest_err *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        if (errno == ENOTDIR) {
            if (unlink(path) < 0 && errno != ENOENT)
                return err_errno(e, errno, "cannot remove '%s'", path);
            return 0;
        }
        return err_errno(e, errno, "cannot open '%s'", path);
    }
    int r = remove_in(fd, path, e);
    if (rmdir(path) < 0 && errno != ENOENT)
        return err_errno(e, errno, "cannot remove '%s'", path);
    return r;
}

/* mkdir that accepts an existing directory, and only a directory. */
static int mkdir_one(const char *p, mode_t mode)
{
    struct stat st;

    if (mkdir(p, mode) == 0)
        return 0;
    if (errno != EEXIST)
        return -1;
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    errno = ENOTDIR;
    return -1;
}

int fs_mkdirs(const char *path, mode_t mode, struct isotest_err *e)
{
    char *p = xstrdup(path);

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir_one(p, mode) < 0) {
            int saved = errno;
            err_errno(e, saved, "cannot create '%s' (at '%s')", path, p);
            free(p);
            return -1;
        }
        *s = '/';
    }
    if (mkdir_one(p, mode) < 0) {
        int saved = errno;
        err_errno(e, saved, "cannot create '%s'", p);
        free(p);
        return -1;
    }
    free(p);
    return 0;
}

int fs_read_file(const char *path, char **out, size_t *len,
                 struct isotest_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct strbuf sb = STRBUF_INIT;
    char buf[65536];

    if (fd < 0)
        return err_errno(e, errno, "cannot open '%s'", path);
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            strbuf_release(&sb);
            return err_errno(e, saved, "cannot read '%s'", path);
        }
        if (n == 0)
            break;
        strbuf_add(&sb, buf, (size_t)n);
    }
    close(fd);
    *out = strbuf_detach(&sb, len);
    return 0;
}

/* All of data to fd; 0, or the errno of the write that failed. */
static int write_all(int fd, const char *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return errno;
        off += (size_t)w;
    }
    return 0;
}

int fs_replace_file(const char *path, const char *data, size_t len,
                    bool durable, struct isotest_err *e)
{
    const char *slash = strrchr(path, '/');
    /* Unique beside it: threads and processes may write one path at once. */
    char *tmp = slash ? xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path,
                                  slash + 1)
                      : xasprintf(".%s.XXXXXX", path);
    int fd = mkstemp(tmp), saved = 0;

    if (fd < 0) {
        saved = errno;
        free(tmp);
        return err_errno(e, saved, "cannot write '%s'", path);
    }
    saved = write_all(fd, data, len);
    /* mkstemp makes it 0600; the file is as readable as any other. */
    if (!saved && fchmod(fd, 0644) < 0)
        saved = errno;
    /* On disk before it carries the name, and the name after the rename. */
    if (!saved && durable && fsync(fd) < 0)
        saved = errno;
    if (close(fd) < 0 && !saved)
        saved = errno;
    if (!saved && rename(tmp, path) < 0)
        saved = errno;
    if (saved) {
        unlink(tmp);
        free(tmp);
        return err_errno(e, saved, "cannot write '%s'", path);
    }
    free(tmp);
    return durable ? fs_sync_dir_of(path, e) : 0;
}

int fs_write_atomic(const char *path, const char *data, size_t len,
                    struct isotest_err *e)
{
    return fs_replace_file(path, data, len, true, e);
}

int fs_sync_dir_of(const char *path, struct isotest_err *e)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash
                    ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                    : xstrdup(".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int saved = fd < 0 || fsync(fd) < 0 ? errno : 0;

    if (fd >= 0)
        close(fd);
    /* Some file systems cannot fsync a folder: that is no failure. */
    int r = saved && saved != EINVAL && saved != EROFS
                ? err_errno(e, saved, "cannot sync folder '%s'", dir)
                : 0;
    free(dir);
    return r;
}

int fs_check_writable(const char *path, const char *what, struct isotest_err *e)
{
    char *probe = xasprintf("%s.probe.%ld", path, (long)getpid());
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0) {
        int saved = errno;
        free(probe);
        return err_errno(e, saved, "cannot write %s '%s'", what, path);
    }
    close(fd);
    unlink(probe);
    free(probe);
    return 0;
}
