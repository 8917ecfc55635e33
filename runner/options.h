/*
 * options: the command line of `isotest run` (and of `list`, which takes
 * the same selection options).
 *
 * options_parse() fills a struct run_options from argv without printing;
 * a bad option or value comes back as one line naming it (exit 2 in main).
 * It reads the suite's configuration file too (config.h): the file's
 * options come first, so the command line's win.  Strings point into
 * argv or into the struct; the arrays are owned by the struct
 * (options_release()).
 */
#ifndef ISOTEST_OPTIONS_H
#define ISOTEST_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "isotest.h"
#include "shard.h"

struct run_options {
    const char *db;
    const char *migrations;
    enum isotest_isolation mode;
    int jobs; /* 0: the number of online CPUs */
    const char *junit;
    const char *html; /* a timeline page */
    double timeout_s;
    const char **paths;
    size_t npaths;
    const char **extensions;
    size_t nextensions;
    const char **filters;
    size_t nfilters;
    bool keep_failed;
    bool fail_fast;
    const char *list_cmd;
    const char *each_cmd;
    size_t output_cap;
    bool no_cache;
    const char *clone_strategy;
    const char *history; /* NULL: SUITE/.isotest-history */
    bool no_history;
    bool always_psql;
    int pool;                 /* -1: the job count */
    const char *compare_with; /* a previous JUnit report */
    int retries;              /* runs of a failed case after the first */
    bool fail_on_flaky;       /* a case that passed on a retry fails the run */
    bool fail_on_escape;      /* a change outside the sandboxes fails it */
    bool no_escape_check;     /* do not look for such changes */
    const char *tap;          /* a TAP 14 report; "-": stdout */
    const char *schema_from;  /* template from this database's schema */
    const char **exclude_schemas; /* ... without these schemas */
    size_t nexclude_schemas;
    struct shard shard;     /* --shard K/N or auto; .total 0: all cases */
    const char **psql_vars; /* --set NAME=VALUE, in order */
    size_t npsql_vars;
    const char **envs; /* --env NAME=VALUE, in order */
    size_t nenvs;
    const char **pass_envs; /* --pass-env NAME */
    size_t npass_envs;
    const char *config; /* --config FILE */
    bool no_config;
    /* Expected-output cases (expected.h). */
    const char *results_dir;     /* --results-dir; NULL: results/ beside */
    bool ignore_space_change;    /* compare as diff -b does */
    const char **server_options; /* --server-option NAME=VALUE, in order */
    size_t nserver_options;
    const char *pg_bindir;  /* --pg-bindir: the embedded server's binaries */
    const char *suite_name; /* --suite: names the suite (templates) */
    const char *pgtap_functions; /* regex of test functions; NULL: none */
    int pgtap_batch; /* test functions per sandbox; 0: not given (1) */
    int color;       /* --color: an enum console_color (default auto) */
    bool help;
    /* Owned: the configuration file read (NULL: none), and its options. */
    char *config_path;
    char **config_args;
    size_t nconfig_args;
};

/*
 * The one option scanner, driven by a table.  An OPT_FLAG sets the bool
 * at `off` in the destination struct; an OPT_VALUE takes a value (in
 * every spelling options_take() accepts) and hands it to `set`, with the
 * field at `off`, the whole struct and the spelling used (for messages).
 * An OPT_PATH is an OPT_VALUE whose value, in a configuration file, is
 * relative to the file's folder.  An OPT_OPTIONAL takes a value only as
 * "--name=value"; "--name" alone calls `set` with a NULL value.  A table
 * ends with a NULL `lng`.
 */
enum opt_kind {
    OPT_FLAG,
    OPT_VALUE,
    OPT_PATH,    /* a value that is a path */
    OPT_OPTIONAL /* a value only as --name=value */
};

struct opt_spec {
    const char *lng;  /* "--jobs" */
    const char *shrt; /* "-j", or NULL */
    enum opt_kind kind;
    size_t off;    /* offsetof the field in the destination */
    long min, max; /* for opt_set_int and friends */
    int (*set)(const struct opt_spec *s, const char *as, const char *v,
               void *field, void *dst, struct isotest_err *e);
};

/* Setters for the common kinds: a string, an int in [min, max]. */
int opt_set_string(const struct opt_spec *s, const char *as, const char *v,
                   void *field, void *dst, struct isotest_err *e);
int opt_set_int(const struct opt_spec *s, const char *as, const char *v,
                void *field, void *dst, struct isotest_err *e);
/* An enum isotest_isolation; a clone strategy string (FILE_COPY, WAL_LOG). */
int opt_set_isolation(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e);
int opt_set_strategy(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e);

/* --results-dir: a folder, or a path where one can be made. */
int opt_set_results_dir(const struct opt_spec *s, const char *as, const char *v,
                        void *field, void *dst, struct isotest_err *e);

/*
 * Scan argv[1..] (argv[0] is the command) against specs into dst.  Other
 * arguments go to *rest (grown with realloc, the caller frees it); after
 * "--" everything does.  An unknown option is an error, or with
 * pass_unknown goes to *rest too (bench hands those to its runs).
 */
int options_scan(int argc, char **argv, const struct opt_spec *specs, void *dst,
                 bool pass_unknown, const char ***rest, size_t *nrest,
                 struct isotest_err *e);

/*
 * argv[0] is the subcommand ("run").  Unless --no-config, the
 * configuration file (--config FILE, else the suite folder's
 * isotest.conf when there is one) is read too, its options before the
 * command line's.  Returns 0, or -1 with e naming the option and value
 * at fault ("FILE:LINE: ..." for one from the file).  Any command that
 * takes a suite calls this, and so gets the file.
 */
int options_parse(int argc, char **argv, struct run_options *o,
                  struct isotest_err *e);
void options_release(struct run_options *o);

/*
 * Match argv[*i] against an option that takes a value: "--name value",
 * "--name=value" and, with a short form, "-j value" or "-jvalue".
 * Returns 1 with *val set (and *i past the value), 0 when it is another
 * argument, -1 with e set when the value is missing.
 */
int options_take(int argc, char **argv, int *i, const char *lng,
                 const char *shrt, const char **val, struct isotest_err *e);

/* Strict integer and number parsing (whole string, in range). */
int options_int(const char *opt, const char *s, long min, long max, long *out,
                struct isotest_err *e);
int options_seconds(const char *opt, const char *s, double *out,
                    struct isotest_err *e);

extern const char options_run_usage[];

#endif
