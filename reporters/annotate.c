/*
 * annotate.c: GitHub Actions workflow commands.  Layout: escaping, the
 * line a failure names, the commands.
 */
#include "annotate.h"
#include "xmlsafe.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* GitHub's escapeData / escapeProperty (actions/toolkit command.ts). */
static char *escape(const char *s, bool property)
{
    struct strbuf sb = STRBUF_INIT;

    for (; *s; s++) {
        if (*s == '%')
            strbuf_addstr(&sb, "%25");
        else if (*s == '\r')
            strbuf_addstr(&sb, "%0D");
        else if (*s == '\n')
            strbuf_addstr(&sb, "%0A");
        else if (property && *s == ':')
            strbuf_addstr(&sb, "%3A");
        else if (property && *s == ',')
            strbuf_addstr(&sb, "%2C");
        else
            strbuf_addch(&sb, *s);
    }
    return strbuf_detach(&sb, NULL);
}

char *annotate_escape_data(const char *s)
{
    return escape(s, false);
}

char *annotate_escape_property(const char *s)
{
    return escape(s, true);
}

/* "LINE:" at p: LINE (1 to 9 digits, not 0), else 0. */
static long line_at(const char *p)
{
    long n = 0;
    size_t k = 0;

    while (p[k] >= '0' && p[k] <= '9' && k < 9)
        n = n * 10 + (p[k++] - '0');
    return k && p[k] == ':' ? n : 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

/*
 * psql's "psql:FILE:LINE: " anywhere in text, for FILE the case's own
 * file (psql names it as it was given, relative to the case's folder; a
 * file the case included with \i is another file).
 */
static long psql_line(const char *file, const char *text)
{
    const char *want = base_name(file);

    for (const char *p = text; p && (p = strstr(p, "psql:")); p++) {
        const char *name = p + 5;
        size_t len = strcspn(name, ":\n");
        if (name[len] != ':')
            continue;
        char *got = xstrndup(name, len);
        bool same = !strcmp(base_name(got), want);
        free(got);
        long n = same ? line_at(name + len + 1) : 0;
        if (n)
            return n;
    }
    return 0;
}

long annotate_line(const char *file, const char *message, const char *detail)
{
    if (!file || !*file)
        return 0;
    size_t fl = strlen(file);
    if (message && !strncmp(message, file, fl) && message[fl] == ':') {
        long n = line_at(message + fl + 1);
        if (n)
            return n;
    }
    long n = message ? psql_line(file, message) : 0;
    return n ? n : detail ? psql_line(file, detail) : 0;
}

/* file relative to workspace when it is inside it; else file. */
static const char *in_workspace(const char *file, const char *workspace)
{
    size_t wl = workspace ? strlen(workspace) : 0;

    while (wl > 1 && workspace[wl - 1] == '/')
        wl--;
    if (file && wl && !strncmp(file, workspace, wl) && file[wl] == '/' &&
        file[wl + 1])
        return file + wl + 1;
    return file;
}

/* One command: "::KIND file=F,line=N,title=T::MESSAGE\n". */
static void command(struct strbuf *sb, const char *kind, const char *file,
                    long line, const char *title, const char *message)
{
    char *t = annotate_escape_property(title);
    char *safe = xmlsafe_text(message, strlen(message));
    char *m = annotate_escape_data(safe);

    strbuf_addf(sb, "::%s ", kind);
    if (file && *file) {
        char *f = annotate_escape_property(file);
        strbuf_addf(sb, "file=%s,", f);
        free(f);
        if (line > 0)
            strbuf_addf(sb, "line=%ld,", line);
    }
    strbuf_addf(sb, "title=%s::%s\n", t, m);
    free(t);
    free(safe);
    free(m);
}

void annotate_github(struct strbuf *sb, const struct test_result *results,
                     size_t n, const char *workspace)
{
    for (size_t i = 0; i < n; i++) {
        const struct test_result *r = &results[i];
        const char *file = in_workspace(r->file, workspace);
        if (r->done && outcome_is_failure(r->outcome)) {
            command(sb, "error", file,
                    annotate_line(r->file, r->message, r->detail), r->id,
                    r->message ? r->message : outcome_name(r->outcome));
        } else if (result_flaky(r)) {
            const struct test_try *t = &r->retried[0];
            const char *first =
                t->message ? t->message : outcome_name(t->outcome);
            char *msg = xasprintf("flaky: passed on try %zu; try 1: %s",
                                  r->nretried + 1, first);
            command(sb, "warning", file,
                    annotate_line(r->file, t->message, t->detail), r->id, msg);
            free(msg);
        }
    }
}
