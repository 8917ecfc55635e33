/*
 * backup_verify: the inside of `isotest backup verify` (backup.h), shared
 * by its two files: backup_verify.c (the cases, the checks in order, the
 * command) and backup_verify_report.c (the table comparison, the JUnit
 * report, the verdict file and the exit code).
 *
 * Each check becomes a struct test_result of suite "backup", added with
 * verify_add_case() and settled with verify_settle(); every text passes
 * verify_clean() (the redaction of --db's password and of the sandbox
 * server's) before it is stored.  Main thread only.
 */
#ifndef ISOTEST_BACKUP_VERIFY_H
#define ISOTEST_BACKUP_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "backup_manifest.h"
#include "backup_pg.h"
#include "backup_sandbox.h"
#include "reporters/result.h"

struct verify_opts {
    const char *db, *junit, *check;
    int jobs;
};

struct verify {
    struct verify_opts o;
    char *path;
    struct backup_manifest m;
    int manifest; /* 1 read, 0 none, -1 unusable */
    enum backup_format format;
    struct backup_db dbr; /* --db, for its password only */
    struct backup_sandbox bs;
    bool sandbox, restored;
    struct test_result *res;
    size_t n, cap;
    char **owned; /* the results' identity strings */
    size_t nowned;
    bool incomplete;
    char *gap; /* why it is incomplete */
    double t0;
};

/* Keep s (malloc'ed) until the verification ends; returns it. */
const char *verify_own(struct verify *v, char *s);
/* A new case, passed until said otherwise; valid until the next one. */
struct test_result *verify_add_case(struct verify *v, const char *cls,
                                    const char *name, const char *file);
/* A redacted copy of text (NULL for NULL); the caller frees it. */
char *verify_clean(const struct verify *v, const char *text);
/* The case's system-out text. */
void verify_set_out(const struct verify *v, struct test_result *r,
                    const char *text);
/* Its outcome, message (may be NULL) and time since t_start. */
void verify_settle(struct verify *v, struct test_result *r, enum outcome o,
                   const char *msg, double t_start);
/* A check that could not be done: the verification is incomplete. */
void verify_incomplete(struct verify *v, const char *why);
/* "  ok       name             text" on stdout. */
void verify_print_case(const struct test_result *r, const char *detail);

/* The "tables" case and one case per table (backup_verify_report.c). */
void verify_check_tables(struct verify *v);
/*
 * Print the summary, write the JUnit report (--junit) and the verdict
 * file; the exit code.
 */
int verify_conclude(struct verify *v, const char *server_version);

#endif
