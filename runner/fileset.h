/*
 * fileset: a set of files by identity (device and inode), so that a walk
 * visits each folder and file once however many links lead to it.
 *
 * Call sequence: a zeroed struct fileset, fileset_add() any number of
 * times, fileset_release().  Not thread-safe.
 */
#ifndef ISOTEST_FILESET_H
#define ISOTEST_FILESET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fileset_entry {
    dev_t dev;
    ino_t ino;
    bool used;
};

struct fileset {
    struct fileset_entry *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

/* Add (dev, ino); true when it was not in the set yet. */
bool fileset_add(struct fileset *s, dev_t dev, ino_t ino);

void fileset_release(struct fileset *s);

#endif
