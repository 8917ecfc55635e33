/*
 * pgerr.c: "SEVERITY: message (SQLSTATE x)".
 */
#include "pgerr.h"

#include <string.h>

void pgerr_add(struct strbuf *sb, const char *sev, const char *msg,
               size_t msglen, const char *state)
{
    strbuf_addf(sb, "%s: ", sev ? sev : "ERROR");
    strbuf_add(sb, msg, msglen);
    if (state && *state)
        strbuf_addf(sb, " (SQLSTATE %s)", state);
}

void pgerr_add_result(struct strbuf *sb, const PGresult *res, int verbose)
{
    static const struct {
        int field;
        const char *label;
    } extra[] = {{PG_DIAG_MESSAGE_DETAIL, "DETAIL"},
                 {PG_DIAG_MESSAGE_HINT, "HINT"},
                 {PG_DIAG_CONTEXT, "CONTEXT"}};
    /* Not localized: the same words whatever lc_messages says. */
    const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    if (!msg) {
        size_t at = sb->len;
        strbuf_addstr(sb, PQresultErrorMessage(res));
        strbuf_rtrim(sb);
        if (sb->len == at)
            strbuf_addstr(sb, "unknown error");
        return;
    }
    pgerr_add(sb, sev, msg, strlen(msg),
              PQresultErrorField(res, PG_DIAG_SQLSTATE));
    for (size_t i = 0; verbose && i < sizeof(extra) / sizeof(*extra); i++) {
        const char *v = PQresultErrorField(res, extra[i].field);
        if (v)
            strbuf_addf(sb, "\n%s:  %s", extra[i].label, v);
    }
}
