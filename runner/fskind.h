/*
 * fskind: which filesystem a path is on, for advice about where a
 * server's data should live (tmpfs clones fast).  Linux statfs() magic
 * numbers; thread-safe.
 */
#ifndef ISOTEST_FSKIND_H
#define ISOTEST_FSKIND_H

#include <stdbool.h>

/* "tmpfs", "ext2/3/4", ... for a statfs() f_type; NULL for others. */
const char *fskind_name(unsigned long f_type);
/* Is a filesystem of that name held in memory (tmpfs, ramfs)? */
bool fskind_in_memory(const char *name);
/* 1 when path is on tmpfs (or ramfs), 0 when not, -1 when unknown. */
int fskind_path_on_tmpfs(const char *path);

#endif
