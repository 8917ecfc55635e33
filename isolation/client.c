/*
 * client.c: libisotest's client of the sandbox socket of `isotest exec`
 * (the protocol: README, "The sandbox socket").
 *
 * One connection; requests take turns under `lock`, each one line out
 * and one line back.  The sandboxes it hands out are ordinary handles
 * (handle.h) whose release and keep come back here.
 */
#include "common/clock.h"
#include "common/err.h"
#include "common/strbuf.h"
#include "handle.h"
#include "isotest.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWER 8192

/* `lock` guards fd and in. */
struct isotest_client {
    pthread_mutex_t lock;
    int fd;
    struct strbuf in; /* bytes read past the last answer */
};

static int send_line(int fd, const char *line, size_t len,
                     struct isotest_err *e)
{
    while (len) {
        ssize_t w = send(fd, line, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return err_errno(e, errno, "cannot write to the sandbox socket");
        line += w;
        len -= (size_t)w;
    }
    return 0;
}

/* One answer line into ans (without "\n"); -1 when the server is gone. */
static int read_answer(struct isotest_client *c, struct strbuf *ans,
                       struct isotest_err *e)
{
    char buf[1024];
    char *nl;

    while (!(nl = memchr(c->in.buf, '\n', c->in.len))) {
        if (c->in.len > MAX_ANSWER)
            return err_set(e, "the sandbox socket answered a line too long");
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_errno(e, errno, "cannot read the sandbox socket");
        if (r == 0)
            return err_set(e, "the sandbox socket closed (isotest exec "
                              "ended?)");
        strbuf_add(&c->in, buf, (size_t)r);
    }
    size_t n = (size_t)(nl - c->in.buf);
    strbuf_add(ans, c->in.buf, n);
    memmove(c->in.buf, nl + 1, c->in.len - n - 1);
    c->in.len -= n + 1;
    c->in.buf[c->in.len] = '\0';
    return 0;
}

/* Send "WORD [ARG]" and read the answer; an "ERR ..." answer is -1. */
static int request(struct isotest_client *c, const char *word, const char *arg,
                   struct strbuf *ans, struct isotest_err *e)
{
    struct strbuf line = STRBUF_INIT;
    int r;

    strbuf_addstr(&line, word);
    if (arg) {
        strbuf_addch(&line, ' ');
        strbuf_add_urlenc(&line, arg);
    }
    strbuf_addch(&line, '\n');
    pthread_mutex_lock(&c->lock);
    r = send_line(c->fd, line.buf, line.len, e);
    if (r == 0)
        r = read_answer(c, ans, e);
    pthread_mutex_unlock(&c->lock);
    strbuf_release(&line);
    if (r == 0 && strncmp(ans->buf, "OK", 2) != 0)
        r = err_set(e, "%s",
                    !strncmp(ans->buf, "ERR ", 4) ? ans->buf + 4 : ans->buf);
    return r;
}

struct isotest_client *isotest_client_attach(const char *path,
                                             struct isotest_err *e)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (!path)
        path = getenv("ISOTEST_SOCKET");
    if (!path || !*path) {
        err_set(e, "no sandbox socket: ISOTEST_SOCKET is not set");
        err_hint(e, "run the tests under `isotest exec -- COMMAND`");
        return NULL;
    }
    if (strlen(path) >= sizeof(addr.sun_path)) {
        err_set(e, "socket path '%s' is too long", path);
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    struct isotest_client *c = xcalloc(1, sizeof(*c));
    strbuf_init(&c->in, 0);
    pthread_mutex_init(&c->lock, NULL);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 ||
        connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        err_errno(e, errno, "cannot connect to the sandbox socket '%s'", path);
        isotest_client_detach(c);
        return NULL;
    }
    struct strbuf ans = STRBUF_INIT;
    if (request(c, "HELLO", NULL, &ans, e) < 0) {
        err_prefix(e, "'%s' is not isotest's sandbox socket", path);
        isotest_client_detach(c);
        c = NULL;
    }
    strbuf_release(&ans);
    return c;
}

/* The decoded value of " key=" in an answer; NULL when absent. */
static char *field(const char *ans, const char *key)
{
    size_t klen = strlen(key);

    for (const char *p = strchr(ans, ' '); p; p = strchr(p + 1, ' ')) {
        if (strncmp(p + 1, key, klen) || p[1 + klen] != '=')
            continue;
        const char *v = p + 2 + klen;
        struct strbuf out = STRBUF_INIT;
        if (strbuf_add_urldec(&out, v, strcspn(v, " ")) < 0) {
            strbuf_release(&out);
            return NULL;
        }
        return strbuf_detach(&out, NULL);
    }
    return NULL;
}

/* A handle from an ACQUIRE answer; NULL with e set when it lacks a part. */
static struct isotest_sandbox *
from_answer(struct isotest_client *c, const char *ans, struct isotest_err *e)
{
    static const char *const keys[] = {"name", "dbname", "schema",  "host",
                                       "port", "user",   "password"};
    char *v[7];
    struct isotest_sandbox *x = NULL;

    for (size_t i = 0; i < 7; i++)
        v[i] = field(ans, keys[i]);
    if (!v[0] || !v[1] || !v[2] || !v[3] || !v[4] || !v[5] ||
        strlen(v[0]) >= IDENT_BUFSZ || strlen(v[1]) >= IDENT_BUFSZ ||
        strlen(v[2]) >= IDENT_BUFSZ) {
        err_set(e, "the sandbox socket gave an answer without its parts");
    } else {
        x = xcalloc(1, sizeof(*x));
        x->client = c;
        memcpy(x->sb.name, v[0], strlen(v[0]) + 1);
        memcpy(x->sb.dbname, v[1], strlen(v[1]) + 1);
        memcpy(x->sb.schema, v[2], strlen(v[2]) + 1);
        handle_describe(x, v[3], v[4], v[5], v[6]);
    }
    for (size_t i = 0; i < 7; i++)
        free(v[i]);
    return x;
}

struct isotest_sandbox *isotest_client_acquire(struct isotest_client *c,
                                               const char *test_id,
                                               struct isotest_err *e)
{
    struct strbuf ans = STRBUF_INIT;
    double start = now_ms();
    struct isotest_sandbox *x = NULL;

    if (request(c, "ACQUIRE", test_id && *test_id ? test_id : NULL, &ans, e) ==
        0)
        x = from_answer(c, ans.buf, e);
    if (x)
        x->sb.acquire_ms = now_ms() - start;
    strbuf_release(&ans);
    return x;
}

int client_sandbox_give_back(struct isotest_sandbox *x, bool keep,
                             struct isotest_err *e)
{
    struct strbuf ans = STRBUF_INIT;
    int r = request(x->client, keep ? "KEEP" : "RELEASE", x->sb.name, &ans, e);

    strbuf_release(&ans);
    return r;
}

void isotest_client_detach(struct isotest_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    strbuf_release(&c->in);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
