/*
 * config: the suite configuration file, isotest.conf.
 *
 * The file holds command-line options, one a line, spelled as on the
 * command line: "--name value" (split at the first blank; the value is
 * the rest of the line, taken literally, without quotes), "--name=value"
 * or a flag alone.  Blank lines and lines whose first non-blank is '#'
 * are skipped.  config_load() only splits the file into lines; which
 * options exist, and which take paths, is options.c's business
 * (options_parse() reads the file and merges it under the command line).
 *
 * The suite folder of a list of PATHs is the first PATH when it is a
 * folder, else the folder the first PATH is in ("." with no PATH):
 * isotest.conf and .isotest-history live there.
 *
 * Call sequence: config_load(), the lines, config_release().  Not
 * thread-safe; a loaded config is read-only.
 */
#ifndef ISOTEST_CONFIG_H
#define ISOTEST_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

#define CONFIG_FILE_NAME "isotest.conf"

struct config_line {
    int lineno;
    char *name;   /* "--jobs", "-j", or a stray word (the caller says no) */
    char *value;  /* the rest of the line, or NULL for none */
    bool with_eq; /* spelled "--name=value" */
};

struct config {
    char *path; /* as given */
    char *dir;  /* its folder: relative paths in it start there */
    struct config_line *v;
    size_t n;
};

/*
 * Read and split the file.  -1 with e naming the path when it cannot be
 * read or holds a NUL byte.
 */
int config_load(struct config *c, const char *path, struct isotest_err *e);
void config_release(struct config *c);

/*
 * A path from the file, made relative to the place the command runs
 * in: relative ones are put under c->dir.  "-" (stdout) stays.  The
 * caller frees the result.
 */
char *config_path_value(const struct config *c, const char *value);

/* The suite folder (above) of these PATHs; the caller frees it. */
char *config_suite_dir(const char *const *paths, size_t npaths);

/*
 * The configuration file for these PATHs when none is named: the suite
 * folder's isotest.conf, or NULL when there is none.  The caller frees.
 */
char *config_default_path(const char *const *paths, size_t npaths);

#endif
