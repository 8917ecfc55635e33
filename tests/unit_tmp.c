/*
 * unit_tmp.c: the scratch folder of unit tests.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp() */
#include "unit_tmp.h"
#include "common/err.h"
#include "common/fsutil.h"

#include <criterion/criterion.h>
#include <stdlib.h>

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
