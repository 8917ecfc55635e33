/*
 * fsutil: the few file-tree operations the embedded cluster needs.
 *
 * All functions are thread-safe (they use *at() calls and no cwd) and
 * report failures through struct isotest_err, naming the path at fault.
 */
#ifndef ISOTEST_FSUTIL_H
#define ISOTEST_FSUTIL_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

/*
 * Copy the tree at src to dst (which must not exist), keeping modes.
 * With chown_to set, every copy is owned by uid:gid.
 */
int fs_copy_tree(const char *src, const char *dst, bool chown_to, uid_t uid,
                 gid_t gid, struct isotest_err *e);

/* Remove the tree at path; a missing path is not an error. */
int fs_remove_tree(const char *path, struct isotest_err *e);

/* mkdir -p with the given mode for the directories it creates. */
int fs_mkdirs(const char *path, mode_t mode, struct isotest_err *e);

/*
 * Write data to a temporary file beside path and rename it over path, so a
 * reader never sees half a file; both the file and the rename are synced
 * to disk before it returns.  -1 with e naming the path.
 */
int fs_write_atomic(const char *path, const char *data, size_t len,
                    struct isotest_err *e);

/*
 * The same, synced only when `durable` (a file the next run makes again
 * need not be).  The temporary name is unique, so threads or processes
 * writing one path at once never mix their bytes: the last rename wins.
 */
int fs_replace_file(const char *path, const char *data, size_t len,
                    bool durable, struct isotest_err *e);

/*
 * Whether a file can be created beside path (a probe file is made and
 * removed; path itself is not touched).  -1 with "cannot write WHAT
 * 'PATH': reason".
 */
int fs_check_writable(const char *path, const char *what,
                      struct isotest_err *e);

/* fsync the folder holding path, so a rename in it is durable. */
int fs_sync_dir_of(const char *path, struct isotest_err *e);

/* Read a whole file; the caller frees *out.  -1 with e naming the path. */
int fs_read_file(const char *path, char **out, size_t *len,
                 struct isotest_err *e);

#endif
