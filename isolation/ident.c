/*
 * ident.c: naming rules for everything isotest creates.
 */
#include "ident.h"
#include "common/strbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(IDENT_PREFIX) == 9,
               "IDENT_RUNID_POS_STR is strlen(IDENT_PREFIX) + 1");

bool ident_valid(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > IDENT_MAX)
        return false;
    if (name[0] >= '0' && name[0] <= '9')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool ident_runid_valid(const char *runid)
{
    for (int i = 0; i < IDENT_RUNID_LEN; i++)
        if (!is_hex(runid[i]))
            return false;
    return runid[IDENT_RUNID_LEN] == '\0';
}

int ident_runid_new(char *buf, struct isotest_err *e)
{
    unsigned char raw[IDENT_RUNID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return err_errno(e, errno, "cannot open '/dev/urandom'");
    ssize_t n = read(fd, raw, sizeof(raw));
    int saved = errno;
    close(fd);
    if (n != (ssize_t)sizeof(raw))
        return err_errno(e, n < 0 ? saved : EIO, "cannot read '/dev/urandom'");
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(buf + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

int32_t ident_runid_key(const char *runid)
{
    uint32_t v = 0;

    for (int i = 0; i < IDENT_RUNID_LEN && runid[i]; i++) {
        char c = runid[i];
        v = v * 16 + (uint32_t)(c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return (int32_t)v;
}

int ident_run_object(char out[IDENT_BUFSZ], const char *runid,
                     const char *suffix, struct isotest_err *e)
{
    if (!ident_runid_valid(runid))
        return err_set(e, "invalid run id '%s'", runid);
    int n = snprintf(out, IDENT_BUFSZ, IDENT_PREFIX "%s_%s", runid, suffix);
    if (n < 0 || n >= IDENT_BUFSZ || !ident_valid(out))
        return err_set(e, "invalid object name '" IDENT_PREFIX "%s_%s'", runid,
                       suffix);
    return 0;
}

int ident_sandbox(char out[IDENT_BUFSZ], const char *runid, unsigned n,
                  struct isotest_err *e)
{
    char suffix[16];

    snprintf(suffix, sizeof(suffix), "%u", n);
    return ident_run_object(out, runid, suffix, e);
}

char *ident_run_regex(const char *runid)
{
    /* A run id, then "_" and a suffix of the ident_valid() alphabet. */
    if (runid)
        return xasprintf("^" IDENT_PREFIX "%s_[a-z0-9_]+$", runid);
    return xasprintf("^" IDENT_PREFIX "[0-9a-f]{%d}_[a-z0-9_]+$",
                     IDENT_RUNID_LEN);
}

char *ident_template_regex(void)
{
    return xasprintf("^" IDENT_TPL_PREFIX "[0-9a-f]{%d}$", IDENT_TPL_HASH_LEN);
}

char *ident_quote(PGconn *conn, const char *name, struct isotest_err *e)
{
    if (!ident_valid(name)) {
        err_set(e, "refusing invalid identifier '%s'", name);
        return NULL;
    }
    char *q = PQescapeIdentifier(conn, name, strlen(name));
    if (!q)
        err_set(e, "cannot quote identifier '%s': %s", name,
                PQerrorMessage(conn));
    return q;
}
