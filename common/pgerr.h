/*
 * pgerr: the one way isotest writes a PostgreSQL error in a message.
 *
 *     SEVERITY: primary message (SQLSTATE 42P01)
 *
 * the form every failure message uses (a case's, a migration's), whether
 * the error came as a PGresult from libpq or as text psql printed.
 * Pure; thread-safe.
 */
#ifndef ISOTEST_PGERR_H
#define ISOTEST_PGERR_H

#include <stddef.h>

#include <libpq-fe.h>

#include "strbuf.h"

/*
 * Append "SEV: MSG (SQLSTATE STATE)": sev NULL is "ERROR", state NULL or
 * "" leaves the parenthesis out; msg is msglen bytes.
 */
void pgerr_add(struct strbuf *sb, const char *sev, const char *msg,
               size_t msglen, const char *state);

/*
 * The same from a failed result's fields (libpq's whole message, trimmed,
 * when it has no primary message); with `verbose`, DETAIL, HINT and
 * CONTEXT follow on lines of their own.
 */
void pgerr_add_result(struct strbuf *sb, const PGresult *res, int verbose);

#endif
