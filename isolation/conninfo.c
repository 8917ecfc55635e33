/*
 * conninfo.c: checking a --db value before anything connects, with a
 * message that names the problem in libpq's words and never shows a
 * password.  Layout: masking the passwords of a key=value string and of
 * a URL, then the check.
 */
#include "common/err.h"
#include "common/strbuf.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Is the keyword at p (length n) "password"? */
static bool is_password_key(const char *p, size_t n)
{
    return n == 8 && !strncasecmp(p, "password", 8);
}

/*
 * A key=value string with every password value made "***".  An unquoted
 * value runs to the next blank; the words after it up to the next
 * "key=" are taken as part of it (an unquoted password with a blank).
 */
static void mask_keywords(struct strbuf *sb, const char *db)
{
    const char *p = db;

    while (*p) {
        const char *k = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - k);
        strbuf_add(sb, k, klen);
        const char *q = p;
        while (isspace((unsigned char)*q))
            q++;
        if (*q != '=' || !is_password_key(k, klen)) {
            if (*p)
                strbuf_add(sb, p++, 1);
            continue;
        }
        strbuf_addstr(sb, "=***");
        for (q++; isspace((unsigned char)*q);)
            q++;
        if (*q == '\'') {
            for (q++; *q && *q != '\''; q++)
                if (*q == '\\' && q[1])
                    q++;
            if (*q)
                q++;
        } else {
            /* Words up to the next that holds '='. */
            for (;;) {
                while (*q && !isspace((unsigned char)*q))
                    q++;
                const char *w = q;
                while (isspace((unsigned char)*w))
                    w++;
                size_t wl = strcspn(w, " \t\n\r\f\v");
                if (!*w || memchr(w, '=', wl))
                    break;
                q = w;
            }
        }
        p = q;
    }
}

/* A URI with the password of its user part and of ?password= as "***". */
static void mask_uri(struct strbuf *sb, const char *db)
{
    const char *rest = strstr(db, "://") + 3;
    size_t auth = strcspn(rest, "@/?");
    const char *colon = memchr(rest, ':', auth);

    strbuf_add(sb, db, (size_t)(rest - db));
    if (rest[auth] == '@' && colon) {
        strbuf_add(sb, rest, (size_t)(colon - rest) + 1);
        strbuf_addstr(sb, "***");
        rest += auth;
    }
    for (const char *p = rest; *p;) {
        bool param = p > db && (p[-1] == '?' || p[-1] == '&');
        if (param && !strncmp(p, "password=", 9)) {
            strbuf_addstr(sb, "password=***");
            p += 9 + strcspn(p + 9, "&");
        } else {
            strbuf_add(sb, p++, 1);
        }
    }
}

/*
 * The user's value with its passwords masked, for quoting in a message.
 * The caller frees it.
 */
static char *conninfo_masked(const char *db)
{
    struct strbuf sb = STRBUF_INIT;

    if (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11))
        mask_uri(&sb, db);
    else
        mask_keywords(&sb, db);
    return strbuf_detach(&sb, NULL);
}

/* libpq's own message for s, one line; NULL when s parses. */
static char *parse_error(const char *s)
{
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(s, &msg);
    struct strbuf sb = STRBUF_INIT;

    if (opts) {
        PQconninfoFree(opts);
        return NULL;
    }
    strbuf_addstr(&sb, msg ? msg : "cannot parse it");
    strbuf_rtrim(&sb);
    PQfreemem(msg);
    return strbuf_detach(&sb, NULL);
}

/*
 * libpq's message may quote the value, password and all.  So the value
 * is quoted with its passwords masked, and libpq's words are those for
 * the masked value, which fails the same way unless the password itself
 * was the problem: then the message says only that.
 */
int isotest_conninfo_check(const char *db, struct isotest_err *e)
{
    char *why = parse_error(db);

    if (!why)
        return 0;
    free(why);
    char *masked = conninfo_masked(db);
    why = parse_error(masked);
    if (why)
        err_set(e, "invalid --db value '%s': %s", masked, why);
    else
        err_set(e,
                "invalid --db value '%s': libpq cannot read its password "
                "(not shown; %s)",
                masked,
                strstr(masked, "://")
                    ? "percent-encode it in a URL: %40 for @"
                    : "quote one with blanks: password='...'");
    err_hint(e, "--db takes a libpq URL (postgresql://user@host:5432/db) or "
                "key=value pairs (host=localhost port=5432)");
    free(masked);
    free(why);
    return -1;
}
