/*
 * unit_tmp: a scratch folder for a unit test file.
 *
 * UNIT_TMP_FOLDER("/tmp/isotest-NAME-XXXXXX") at file scope gives the file
 * `tmp` (the folder's path once made) and make_tmp() / remove_tmp() for a
 * test's .init and .fini.  Criterion runs each test in a process of its
 * own, so each test gets a folder of its own.
 */
#ifndef ISOTEST_UNIT_TMP_H
#define ISOTEST_UNIT_TMP_H

#include <sys/types.h>

/* mkdtemp(path), or the test fails. */
void unit_tmp_make(char *path);
/* Remove the folder and all it holds; quiet when it is gone. */
void unit_tmp_remove(const char *path);
/* realpath(path), or the test fails; the caller frees it. */
char *unit_tmp_resolve(const char *path);
/* Create root/rel, and the folders it needs, holding text, with mode. */
void unit_tmp_put(const char *root, const char *rel, const char *text,
                  mode_t mode);

#define UNIT_TMP_FOLDER(template)                                              \
    static char tmp[] = template;                                              \
    static void make_tmp(void)                                                 \
    {                                                                          \
        unit_tmp_make(tmp);                                                    \
    }                                                                          \
    static void remove_tmp(void)                                               \
    {                                                                          \
        unit_tmp_remove(tmp);                                                  \
    }

/*
 * The same, plus `real_tmp`: tmp with symbolic links resolved, as code
 * that calls realpath() sees it.
 */
#define UNIT_TMP_FOLDER_RESOLVED(template)                                     \
    static char tmp[] = template;                                              \
    static char *real_tmp;                                                     \
    static void make_tmp(void)                                                 \
    {                                                                          \
        unit_tmp_make(tmp);                                                    \
        real_tmp = unit_tmp_resolve(tmp);                                      \
    }                                                                          \
    static void remove_tmp(void)                                               \
    {                                                                          \
        unit_tmp_remove(tmp);                                                  \
        free(real_tmp);                                                        \
    }

#endif
