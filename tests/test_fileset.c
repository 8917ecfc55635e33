/*
 * test_fileset.c: the set of files by device and inode (runner/fileset.h).
 *
 * Covers: a pair is new once, the same inode on another device is another
 * file, and the set keeps every member across its growth.
 */
#include <criterion/criterion.h>

#include "runner/fileset.h"

Test(fileset, a_pair_is_new_once)
{
    struct fileset s = {0};

    cr_assert(fileset_add(&s, 1, 42));
    cr_assert_not(fileset_add(&s, 1, 42));
    cr_assert(fileset_add(&s, 2, 42), "another device, another file");
    cr_assert_eq(s.n, 2);
    fileset_release(&s);
    cr_assert_eq(s.n, 0);
}

Test(fileset, members_survive_growth)
{
    struct fileset s = {0};

    for (ino_t i = 0; i < 5000; i++)
        cr_assert(fileset_add(&s, 7, i * 4096));
    for (ino_t i = 0; i < 5000; i++)
        cr_assert_not(fileset_add(&s, 7, i * 4096), "lost %lu",
                      (unsigned long)i);
    cr_assert_eq(s.n, 5000);
    cr_assert_leq(2 * s.n, s.cap, "more than half full");
    fileset_release(&s);
}
