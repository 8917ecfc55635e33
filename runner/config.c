/*
 * config.c: reading isotest.conf into lines, and where a suite's files
 * live.
 */
#include "config.h"
#include "common/fsutil.h"
#include "common/strbuf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* One line, without its '\n'; comment and blank lines add nothing. */
static void add_line(struct config *c, char *line, int lineno)
{
    char *end = line + strlen(line);

    while (blank(*line))
        line++;
    while (end > line && blank(end[-1]))
        *--end = '\0';
    if (!*line || *line == '#')
        return;
    struct config_line l = {.lineno = lineno};
    size_t n = strcspn(line, " \t");
    char *eq = line[0] == '-' && line[1] == '-' ? memchr(line, '=', n) : NULL;
    if (eq) {
        l.name = xstrndup(line, (size_t)(eq - line));
        l.value = xstrdup(eq + 1);
        l.with_eq = true;
    } else {
        l.name = xstrndup(line, n);
        const char *v = line + n;
        while (blank(*v))
            v++;
        l.value = *v ? xstrdup(v) : NULL;
    }
    c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
    c->v[c->n++] = l;
}

int config_load(struct config *c, const char *path, struct isotest_err *e)
{
    char *text = NULL;
    size_t len = 0;

    memset(c, 0, sizeof(*c));
    if (fs_read_file(path, &text, &len, e) < 0)
        return err_prefix(e, "cannot read the configuration file");
    if (memchr(text, '\0', len)) {
        free(text);
        return err_set(e, "'%s' is not a configuration file (a NUL byte)",
                       path);
    }
    c->path = xstrdup(path);
    const char *slash = strrchr(path, '/');
    c->dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path))
                   : xstrdup(".");
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        add_line(c, line, ++lineno);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return 0;
}

void config_release(struct config *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].value);
    }
    free(c->v);
    free(c->path);
    free(c->dir);
    memset(c, 0, sizeof(*c));
}

char *config_path_value(const struct config *c, const char *value)
{
    if (value[0] == '/' || !strcmp(value, "-") || !strcmp(c->dir, "."))
        return xstrdup(value);
    return xasprintf("%s/%s", c->dir, value);
}

char *config_suite_dir(const char *const *paths, size_t npaths)
{
    struct stat st;

    if (!npaths)
        return xstrdup(".");
    const char *p = paths[0];
    if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
        return xstrdup(p);
    const char *slash = strrchr(p, '/');
    if (!slash)
        return xstrdup(".");
    return slash == p ? xstrdup("/") : xstrndup(p, (size_t)(slash - p));
}

char *config_default_path(const char *const *paths, size_t npaths)
{
    char *dir = config_suite_dir(paths, npaths);
    char *path = !strcmp(dir, ".")
                     ? xstrdup(CONFIG_FILE_NAME)
                     : xasprintf("%s%s" CONFIG_FILE_NAME, dir,
                                 dir[strlen(dir) - 1] == '/' ? "" : "/");

    free(dir);
    if (access(path, F_OK) == 0)
        return path;
    free(path);
    return NULL;
}
