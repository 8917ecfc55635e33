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

/* mkdtemp(path), or the test fails. */
void unit_tmp_make(char *path);
/* Remove the folder and all it holds; quiet when it is gone. */
void unit_tmp_remove(const char *path);

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

#endif
