/*
 * unit_tmp.c: the scratch folder of unit tests.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp() */
#include "unit_tmp.h"
#include "common/err.h"
#include "common/fsutil.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/strbuf.h"

void unit_tmp_make(char *path)
{
    cr_assert_not_null(mkdtemp(path), "mkdtemp(%s)", path);
}

void unit_tmp_remove(const char *path)
{
    struct isotest_err e = ISOTEST_ERR_INIT;

    fs_remove_tree(path, &e);
    isotest_err_release(&e);
}

char *unit_tmp_resolve(const char *path)
{
    char *real = realpath(path, NULL);

    cr_assert_not_null(real, "realpath(%s)", path);
    return real;
}

void unit_tmp_put(const char *root, const char *rel, const char *text,
                  mode_t mode)
{
    char *path = xasprintf("%s/%s", root, rel);
    char *slash = strrchr(path, '/');
    struct isotest_err e = ISOTEST_ERR_INIT;

    *slash = '\0';
    cr_assert_eq(fs_mkdirs(path, 0755, &e), 0, "%s", e.msg);
    *slash = '/';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert_geq(fd, 0, "cannot create %s", path);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(chmod(path, mode), 0);
    free(path);
}
