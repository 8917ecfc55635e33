/*
 * fskind.c: which filesystem a path is on.
 */
#include "fskind.h"

#include <string.h>
#include <sys/vfs.h>

/* The filesystem's name (statfs magic numbers), NULL for others. */
const char *fskind_name(unsigned long f_type)
{
    switch (f_type) {
    case 0x01021994UL: return "tmpfs";
    case 0x858458f6UL: return "ramfs";
    case 0xef53UL: return "ext2/3/4";
    case 0x58465342UL: return "xfs";
    case 0x9123683eUL: return "btrfs";
    case 0x794c7630UL: return "overlay";
    case 0x2fc12fc1UL: return "zfs";
    }
    return NULL;
}

bool fskind_in_memory(const char *fs)
{
    return fs && (!strcmp(fs, "tmpfs") || !strcmp(fs, "ramfs"));
}

/* 1 when path is on tmpfs (or ramfs), 0 when not, -1 when unknown. */
int fskind_path_on_tmpfs(const char *path)
{
    struct statfs fs;

    if (!path || statfs(path, &fs) < 0)
        return -1;
    return fskind_in_memory(fskind_name((unsigned long)fs.f_type));
}
