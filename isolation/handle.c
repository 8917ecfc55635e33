/*
 * handle.c: building a sandbox's connection strings, the accessors, and
 * release and keep for either kind of sandbox.
 */
#include "handle.h"
#include "common/clock.h"
#include "common/strbuf.h"
#include "target.h"

#include <stdlib.h>
#include <string.h>

/* libpq's conninfo quoting: 'value' with \ and ' escaped. */
static void add_conninfo(struct strbuf *sb, const char *key, const char *val)
{
    strbuf_addf(sb, "%s%s='", sb->len ? " " : "", key);
    for (const char *p = val; *p; p++) {
        if (*p == '\'' || *p == '\\')
            strbuf_addch(sb, '\\');
        strbuf_addch(sb, *p);
    }
    strbuf_addch(sb, '\'');
}

char *handle_conninfo(const char *host, const char *port, const char *user,
                      const char *password, const char *dbname)
{
    struct strbuf ci = STRBUF_INIT;

    add_conninfo(&ci, "host", host);
    add_conninfo(&ci, "port", port);
    add_conninfo(&ci, "user", user);
    add_conninfo(&ci, "dbname", dbname);
    add_conninfo(&ci, "application_name", "isotest");
    if (password)
        add_conninfo(&ci, "password", password);
    return strbuf_detach(&ci, NULL);
}

void handle_describe(struct isotest_sandbox *x, const char *host,
                     const char *port, const char *user, const char *password)
{
    struct strbuf ci = STRBUF_INIT;
    int k = 0;

    x->host = xstrdup(host);
    x->port = xstrdup(port);
    x->user = xstrdup(user);
    x->password = password ? xstrdup(password) : NULL;
    x->options =
        x->sb.schema[0] ? target_search_path_option(x->sb.schema) : xstrdup("");
    x->keys[k] = "host", x->vals[k++] = x->host;
    x->keys[k] = "port", x->vals[k++] = x->port;
    x->keys[k] = "user", x->vals[k++] = x->user;
    x->keys[k] = "dbname", x->vals[k++] = x->sb.dbname;
    /* The sandbox name as application_name lets release find stragglers. */
    x->keys[k] = "application_name", x->vals[k++] = x->sb.name;
    if (x->password)
        x->keys[k] = "password", x->vals[k++] = x->password;
    if (x->options[0])
        x->keys[k] = "options", x->vals[k++] = x->options;
    x->keys[k] = NULL, x->vals[k] = NULL;
    for (int i = 0; i < k; i++)
        add_conninfo(&ci, x->keys[i], x->vals[i]);
    x->conninfo = strbuf_detach(&ci, NULL);
    /* application_name in the URL too: release finds stragglers by it. */
    x->url = target_url_parts(x->host, x->port, x->user, x->password,
                              x->sb.dbname, x->options, x->sb.name);
}

void handle_free(struct isotest_sandbox *x)
{
    free(x->host);
    free(x->port);
    free(x->user);
    if (x->password) {
        memset(x->password, 0, strlen(x->password));
        free(x->password);
    }
    free(x->conninfo);
    free(x->url);
    free(x->options);
    free(x);
}

struct isotest_sandbox *isotest_sandbox_acquire(struct isotest_session *s,
                                                struct isotest_err *e)
{
    return session_sandbox_acquire(s, e);
}

int isotest_sandbox_release(struct isotest_sandbox *x, unsigned flags,
                            double *release_ms, struct isotest_err *e)
{
    int r;

    if (x->client) {
        double start = now_ms();
        r = client_sandbox_give_back(x, false, e);
        x->sb.release_ms = now_ms() - start;
    } else {
        r = session_sandbox_release(x, flags, e);
    }
    if (release_ms)
        *release_ms = x->sb.release_ms;
    handle_free(x);
    return r;
}

int isotest_sandbox_keep(struct isotest_sandbox *x, struct isotest_err *e)
{
    int r = x->client ? client_sandbox_give_back(x, true, e)
                      : session_sandbox_keep(x, e);

    handle_free(x);
    return r;
}

const char *isotest_sandbox_conninfo(const struct isotest_sandbox *x)
{
    return x->conninfo;
}

const char *isotest_sandbox_url(const struct isotest_sandbox *x)
{
    return x->url;
}

const char *const *isotest_sandbox_keywords(const struct isotest_sandbox *x)
{
    return x->keys;
}

const char *const *isotest_sandbox_values(const struct isotest_sandbox *x)
{
    return x->vals;
}

const char *isotest_sandbox_param(const struct isotest_sandbox *x,
                                  const char *keyword)
{
    for (int i = 0; x->keys[i]; i++)
        if (!strcmp(x->keys[i], keyword))
            return x->vals[i];
    return NULL;
}

const char *isotest_sandbox_options(const struct isotest_sandbox *x)
{
    return x->options;
}

const char *isotest_sandbox_name(const struct isotest_sandbox *x)
{
    return x->sb.name;
}

const char *isotest_sandbox_dbname(const struct isotest_sandbox *x)
{
    return x->sb.dbname;
}

const char *isotest_sandbox_schema(const struct isotest_sandbox *x)
{
    return x->sb.schema;
}

double isotest_sandbox_acquire_ms(const struct isotest_sandbox *x)
{
    return x->sb.acquire_ms;
}
