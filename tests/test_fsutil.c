/*
 * test_fsutil.c: file-tree helpers (isolation/fsutil.h).
 *
 * Covers: fs_copy_tree (nested folders, contents, modes under a normal and
 * a restrictive umask, symlinks copied as links, dangling ones too, errors
 * naming src or dst), fs_remove_tree (missing path, plain file, symlink to
 * a folder removed without touching its target), fs_mkdirs, fs_chown_tree
 * to ourselves, fs_read_file (NULs, empty file, errors naming the path).
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"

static char tmp[] = "/tmp/isotest-fsutil-XXXXXX";

static void make_tmp(void)
{
    cr_assert_not_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    chmod(tmp, 0700);
    fs_remove_tree(tmp, &e);
    isotest_err_release(&e);
}

static char *at(const char *rel)
{
    return xasprintf("%s/%s", tmp, rel);
}

static void put(const char *rel, const char *text, size_t len, mode_t mode)
{
    char *path = at(rel);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, text, len), (ssize_t)len);
    close(fd);
    cr_assert_eq(chmod(path, mode), 0);
    free(path);
}

static void dir(const char *rel, mode_t mode)
{
    char *path = at(rel);

    cr_assert_eq(mkdir(path, 0700), 0, "mkdir %s", path);
    cr_assert_eq(chmod(path, mode), 0);
    free(path);
}

static void link_to(const char *target, const char *rel)
{
    char *path = at(rel);

    cr_assert_eq(symlink(target, path), 0);
    free(path);
}

static mode_t mode_of(const char *rel)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    cr_assert_eq(lstat(path, &st), 0, "lstat %s", path);
    return st.st_mode;
}

static char *content_of(const char *rel)
{
    char *path = at(rel), *text;
    size_t len;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_read_file(path, &text, &len, &e), 0, "%s", e.msg);
    free(path);
    return text;
}

static char *link_of(const char *rel)
{
    char *path = at(rel);
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);

    cr_assert_geq(n, 0, "readlink %s", path);
    buf[n] = '\0';
    free(path);
    return xstrdup(buf);
}

/* src/ with files, folders and links of several modes. */
static void make_src(void)
{
    dir("src", 0755);
    put("src/a.txt", "alpha\n", 6, 0640);
    dir("src/sub", 0750);
    put("src/sub/b.sh", "#!/bin/sh\n", 10, 0755);
    dir("src/sub/deeper", 0700);
    put("src/sub/deeper/c.bin", "\0\1\2", 3, 0600);
    dir("src/empty", 0711);
    link_to("a.txt", "src/link");
    link_to("../a.txt", "src/sub/up");
    link_to("nowhere", "src/dangling");
}

static void expect_same_mode(const char *a, const char *b)
{
    mode_t ma = mode_of(a) & 07777, mb = mode_of(b) & 07777;

    cr_expect_eq(ma, mb, "mode of %s is %o, of its copy %s %o", a, ma, b, mb);
}

static void check_copy(void)
{
    static const char *const same[] = {
        "",          "/a.txt",      "/sub",
        "/sub/b.sh", "/sub/deeper", "/sub/deeper/c.bin",
        "/empty"};

    for (size_t i = 0; i < sizeof(same) / sizeof(*same); i++) {
        char a[64], b[64];
        snprintf(a, sizeof(a), "src%s", same[i]);
        snprintf(b, sizeof(b), "dst%s", same[i]);
        expect_same_mode(a, b);
    }
    char *text = content_of("dst/a.txt");
    cr_assert_str_eq(text, "alpha\n");
    free(text);
    char *bin = content_of("dst/sub/deeper/c.bin");
    cr_assert_eq(memcmp(bin, "\0\1\2", 3), 0);
    free(bin);

    static const char *const links[][2] = {{"dst/link", "a.txt"},
                                           {"dst/sub/up", "../a.txt"},
                                           {"dst/dangling", "nowhere"}};
    for (size_t i = 0; i < 3; i++) {
        cr_assert(S_ISLNK(mode_of(links[i][0])), "%s is a link", links[i][0]);
        char *target = link_of(links[i][0]);
        cr_assert_str_eq(target, links[i][1]);
        free(target);
    }
}

Test(fsutil, copy_tree, .init = make_tmp, .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *src = at("src"), *dst = at("dst");

    umask(022);
    make_src();
    cr_assert_eq(fs_copy_tree(src, dst, false, 0, 0, &e), 0, "%s", e.msg);
    check_copy();
    free(src);
    free(dst);
}

Test(fsutil, copy_tree_keeps_modes_under_any_umask, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *src = at("src"), *dst = at("dst");

    make_src();
    umask(077); /* a common hardened default */
    int r = fs_copy_tree(src, dst, false, 0, 0, &e);
    free(src);
    free(dst);
    cr_assert_eq(r, 0, "%s", e.msg);
    check_copy();
}

Test(fsutil, copy_tree_to_ourselves_with_chown, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *src = at("src"), *dst = at("dst");

    umask(022);
    make_src();
    cr_assert_eq(fs_copy_tree(src, dst, true, getuid(), getgid(), &e), 0, "%s",
                 e.msg);
    check_copy();
    free(src);
    free(dst);
}

Test(fsutil, copy_tree_errors_name_the_path, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *src = at("src"), *dst = at("dst"), *missing = at("missing");

    make_src();
    dir("dst", 0755);
    cr_assert_eq(fs_copy_tree(src, dst, false, 0, 0, &e), -1,
                 "dst must not exist");
    cr_assert_not_null(strstr(e.msg, dst), "%s", e.msg);
    cr_assert_eq(fs_copy_tree(missing, dst, false, 0, 0, &e), -1);
    cr_assert_not_null(strstr(e.msg, missing), "%s", e.msg);
    isotest_err_release(&e);
    free(src);
    free(dst);
    free(missing);
}

Test(fsutil, remove_tree, .init = make_tmp, .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *src = at("src"), *outside = at("outside/keep.txt");

    make_src();
    dir("outside", 0755);
    put("outside/keep.txt", "keep\n", 5, 0644);
    link_to("../outside", "src/sub/escape");
    dir("src/sub/ro", 0755);
    put("src/sub/ro/f", "x", 1, 0444);
    cr_assert_eq(fs_remove_tree(src, &e), 0, "%s", e.msg);
    cr_assert_eq(access(src, F_OK), -1, "the tree is gone");
    cr_assert_eq(access(outside, F_OK), 0, "a link's target is not followed");
    free(src);
    free(outside);
}

Test(fsutil, remove_missing_file_and_link, .init = make_tmp, .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *missing = at("missing/deeper"), *file = at("f"), *lnk = at("l");
    char *target = at("d/x");

    cr_assert_eq(fs_remove_tree(missing, &e), 0, "a missing path is fine");
    cr_assert_null(e.msg);
    put("f", "x", 1, 0644);
    cr_assert_eq(fs_remove_tree(file, &e), 0, "%s", e.msg);
    cr_assert_eq(access(file, F_OK), -1);
    dir("d", 0755);
    put("d/x", "x", 1, 0644);
    link_to("d", "l");
    cr_assert_eq(fs_remove_tree(lnk, &e), 0, "%s", e.msg);
    cr_assert_eq(access(lnk, F_OK), -1);
    cr_assert_eq(access(target, F_OK), 0, "the link's target stays");
    free(missing);
    free(file);
    free(lnk);
    free(target);
}

Test(fsutil, mkdirs, .init = make_tmp, .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *deep = at("a/b/c"), *slash = at("x/y/"), *under_file = at("f/g/h");
    struct stat st;

    umask(022);
    cr_assert_eq(fs_mkdirs(deep, 0750, &e), 0, "%s", e.msg);
    cr_assert_eq(stat(deep, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0750);
    cr_assert_eq(mode_of("a") & 0777, 0750);
    cr_assert_eq(fs_mkdirs(deep, 0750, &e), 0, "existing is fine: %s", e.msg);
    cr_assert_eq(fs_mkdirs(slash, 0755, &e), 0, "%s", e.msg);
    cr_assert(S_ISDIR(mode_of("x/y")));

    put("f", "file", 4, 0644);
    cr_assert_eq(fs_mkdirs(under_file, 0755, &e), -1);
    char *f_g = at("f/g");
    cr_assert_not_null(strstr(e.msg, f_g), "%s", e.msg);
    free(f_g);
    isotest_err_release(&e);
    free(deep);
    free(slash);
    free(under_file);
}

Test(fsutil, mkdirs_refuses_an_existing_file, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *f = at("f");

    put("f", "file", 4, 0644);
    /* `mkdir -p f` fails with "File exists": a file is not a folder. */
    cr_expect_eq(fs_mkdirs(f, 0755, &e), -1, "fs_mkdirs on a file succeeded");
    cr_expect(e.msg && strstr(e.msg, f), "message names '%s': %s", f, e.msg);
    isotest_err_release(&e);
    free(f);
}

Test(fsutil, read_file, .init = make_tmp, .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *bin = at("bin"), *empty = at("empty"), *big = at("big");
    char *text;
    size_t len;
    struct strbuf sb = STRBUF_INIT;

    put("bin", "a\0b\0", 4, 0644);
    cr_assert_eq(fs_read_file(bin, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 4);
    cr_assert_eq(memcmp(text, "a\0b\0", 5), 0, "NUL-terminated after len");
    free(text);

    put("empty", "", 0, 0644);
    cr_assert_eq(fs_read_file(empty, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, 0);
    cr_assert_str_eq(text, "");
    free(text);

    /* Larger than one read. */
    for (int i = 0; i < 20000; i++)
        strbuf_addf(&sb, "line %05d\n", i);
    put("big", sb.buf, sb.len, 0644);
    cr_assert_eq(fs_read_file(big, &text, &len, &e), 0, "%s", e.msg);
    cr_assert_eq(len, sb.len);
    cr_assert_eq(memcmp(text, sb.buf, len), 0);
    free(text);
    strbuf_release(&sb);
    free(bin);
    free(empty);
    free(big);
}

Test(fsutil, read_file_errors_name_the_path, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *missing = at("missing.sql");
    char *text = NULL;
    size_t len;

    cr_assert_eq(fs_read_file(missing, &text, &len, &e), -1);
    cr_assert_not_null(strstr(e.msg, missing), "%s", e.msg);
    cr_assert_eq(fs_read_file(tmp, &text, &len, &e), -1, "a folder");
    cr_assert_not_null(strstr(e.msg, tmp), "%s", e.msg);
    cr_assert_null(text);
    isotest_err_release(&e);
    free(missing);
}

Test(fsutil, check_writable_leaves_nothing, .init = make_tmp,
     .fini = remove_tmp)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *report = at("report.xml");

    cr_assert_eq(fs_check_writable(report, "report", &e), 0, "%s", e.msg);
    cr_assert_eq(access(report, F_OK), -1, "the path itself is not made");
    DIR *d = opendir(tmp);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    cr_assert_eq(n, 0, "the probe file is left behind");
    free(report);
}

Test(fsutil, check_writable_names_what_and_path)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_check_writable("/nonexistent/dir/r.json", "report", &e),
                 -1);
    cr_assert(strstr(e.msg, "cannot write report '/nonexistent/dir/r.json'"),
              "%s", e.msg);
    isotest_err_release(&e);
}
