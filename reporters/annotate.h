/*
 * annotate: failures as GitHub Actions workflow commands, so that they
 * show on the pull request beside the line that failed.
 *
 * After a run under GitHub Actions (GITHUB_ACTIONS=true), each failed
 * case is one line
 *
 *     ::error file=PATH,line=N,title=ID::MESSAGE
 *
 * (",line=N" only when the failure names its line: a SQL case's message
 * "PATH:LINE: ERROR: ...", or psql's "psql:FILE:LINE: ERROR: ..." in its
 * message or detail), and each case that passed on a retry is a
 * "::warning" naming its first failure.  Cases never started (an
 * interrupted run) get none.  Values are escaped as the runner reads
 * them: '%', CR and LF in the message; those and ':' and ',' in a
 * property.
 *
 * Pure; thread-safe.  The caller prints what annotate_github() builds.
 */
#ifndef ISOTEST_ANNOTATE_H
#define ISOTEST_ANNOTATE_H

#include <stddef.h>

#include "common/strbuf.h"
#include "result.h"

/* The escaped forms; the caller frees them. */
char *annotate_escape_data(const char *s);
char *annotate_escape_property(const char *s);

/*
 * The line a failure points at in file (a case's path as reported), from
 * its message or its detail (either may be NULL); 0 when neither says.
 */
long annotate_line(const char *file, const char *message, const char *detail);

/*
 * The workflow commands for n results, appended to sb.  GitHub wants
 * paths relative to the checkout: a file under `workspace`
 * ($GITHUB_WORKSPACE; may be NULL) is named relative to it.
 */
void annotate_github(struct strbuf *sb, const struct test_result *results,
                     size_t n, const char *workspace);

#endif
