/*
 * sockserver.c: the accept thread, one thread per connection, and the
 * four requests.
 */
#define _GNU_SOURCE /* accept4: no window in which a child inherits a fd */
#include "sockserver.h"
#include "common/clock.h"
#include "common/err.h"
#include "common/strbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LINE 4096

/* A sandbox a connection holds, and its record. */
struct held {
    struct isotest_sandbox *sb;
    size_t rec;
};

/*
 * Owned by its thread, but for `fd` (which stop shuts down) and `done`
 * (guarded by the server's lock: set when the thread is about to end).
 */
struct conn {
    struct sockserver *ss;
    int fd;
    int id;
    bool done;
    pthread_t thread;
    struct held *held;
    size_t nheld, heldcap;
};

/*
 * `lock` guards conns, nconns, next_id, recs, nrecs, stopping and each
 * connection's `done`; it is never held
 * while talking to the session (which has locks of its own).
 */
struct sockserver {
    struct isotest_session *s;
    char *path;
    int lfd;
    pthread_t accept_thread;
    bool have_accept_thread;
    double t0;
    pthread_mutex_t lock;
    struct conn **conns;
    size_t nconns, conncap;
    int next_id;
    struct sock_record *recs;
    size_t nrecs, reccap;
    bool stopping;
};

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went away; its EOF comes next */
        p += w;
        n -= (size_t)w;
    }
}

static void add_field(struct strbuf *sb, const char *key, const char *val)
{
    strbuf_addf(sb, " %s=", key);
    strbuf_add_urlenc(sb, val ? val : "");
}

static size_t add_record(struct sockserver *ss, const char *test_id,
                         const char *name, int client, double start,
                         double acquire_ms)
{
    pthread_mutex_lock(&ss->lock);
    if (ss->nrecs == ss->reccap) {
        ss->reccap = ss->reccap ? 2 * ss->reccap : 64;
        ss->recs = xrealloc(ss->recs, ss->reccap * sizeof(*ss->recs));
    }
    size_t k = ss->nrecs++;
    ss->recs[k] = (struct sock_record){
        .test_id = test_id && *test_id ? xstrdup(test_id) : NULL,
        .name = xstrdup(name),
        .client = client,
        .start_ms = start - ss->t0,
        .acquire_ms = acquire_ms};
    pthread_mutex_unlock(&ss->lock);
    return k;
}

static void do_acquire(struct conn *c, const char *test_id, struct strbuf *ans)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    double start = now_ms();
    struct isotest_sandbox *sb = isotest_sandbox_acquire(c->ss->s, &e);

    if (!sb) {
        strbuf_addf(ans, "ERR cannot get a sandbox: %s", e.msg);
        isotest_err_release(&e);
        return;
    }
    double ms = isotest_sandbox_acquire_ms(sb);
    if (c->nheld == c->heldcap) {
        c->heldcap = c->heldcap ? 2 * c->heldcap : 4;
        c->held = xrealloc(c->held, c->heldcap * sizeof(*c->held));
    }
    c->held[c->nheld++] =
        (struct held){sb, add_record(c->ss, test_id, isotest_sandbox_name(sb),
                                     c->id, start, ms)};
    strbuf_addstr(ans, "OK");
    add_field(ans, "name", isotest_sandbox_name(sb));
    add_field(ans, "dbname", isotest_sandbox_dbname(sb));
    add_field(ans, "url", isotest_sandbox_url(sb));
    const char *const keys[] = {"host", "port", "user", "password"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
        if (isotest_sandbox_param(sb, keys[i]))
            add_field(ans, keys[i], isotest_sandbox_param(sb, keys[i]));
    add_field(ans, "options", isotest_sandbox_options(sb));
    add_field(ans, "schema", isotest_sandbox_schema(sb));
    strbuf_addf(ans, " acquire_ms=%.3f", ms);
}

/* Give a held sandbox back (drop it, or keep it); the answer in ans. */
static void give_back(struct conn *c, size_t i, bool keep, bool orphaned,
                      struct strbuf *ans)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct held h = c->held[i];
    double ms = 0;
    int r;

    c->held[i] = c->held[--c->nheld];
    if (keep)
        r = isotest_sandbox_keep(h.sb, &e);
    else
        r = isotest_sandbox_release(h.sb, ISOTEST_RELEASE_DISCONNECT, &ms, &e);
    pthread_mutex_lock(&c->ss->lock);
    c->ss->recs[h.rec].release_ms = ms;
    c->ss->recs[h.rec].kept = keep && r == 0;
    c->ss->recs[h.rec].orphaned = orphaned;
    pthread_mutex_unlock(&c->ss->lock);
    if (r < 0)
        strbuf_addf(ans, "ERR %s", e.msg);
    else if (keep)
        strbuf_addstr(ans, "OK");
    else
        strbuf_addf(ans, "OK release_ms=%.3f", ms);
    isotest_err_release(&e);
}

static void do_give_back(struct conn *c, const char *name, bool keep,
                         struct strbuf *ans)
{
    for (size_t i = 0; i < c->nheld; i++)
        if (!strcmp(isotest_sandbox_name(c->held[i].sb), name)) {
            give_back(c, i, keep, false, ans);
            return;
        }
    strbuf_addf(ans, "ERR no sandbox '%s' is held by this connection", name);
}

/* One request line (without its newline); the answer goes to ans. */
static void handle(struct conn *c, const char *line, struct strbuf *ans)
{
    const char *sp = strchr(line, ' ');
    size_t vlen = sp ? strlen(sp + 1) : 0;
    size_t wlen = sp ? (size_t)(sp - line) : strlen(line);
    struct strbuf arg = STRBUF_INIT;

    if (sp && strbuf_add_urldec(&arg, sp + 1, vlen) < 0) {
        strbuf_addstr(ans, "ERR bad percent-encoding in the argument");
    } else if (wlen == 5 && !strncmp(line, "HELLO", 5) && !sp) {
        const struct isotest_session_info *si = isotest_session_info(c->ss->s);
        strbuf_addf(ans, "OK version=%s run=%s isolation=%s", ISOTEST_VERSION,
                    si->runid, si->isolation);
    } else if (wlen == 7 && !strncmp(line, "ACQUIRE", 7)) {
        do_acquire(c, arg.buf, ans);
    } else if ((wlen == 7 && !strncmp(line, "RELEASE", 7)) ||
               (wlen == 4 && !strncmp(line, "KEEP", 4))) {
        if (!arg.len)
            strbuf_addf(ans, "ERR %.*s needs a sandbox name", (int)wlen, line);
        else
            do_give_back(c, arg.buf, wlen == 4, ans);
    } else {
        strbuf_addf(ans,
                    "ERR unknown request '%.*s' (HELLO, ACQUIRE, "
                    "RELEASE, KEEP)",
                    (int)(wlen > 40 ? 40 : wlen), line);
    }
    strbuf_release(&arg);
}

/*
 * Answer every complete line in `in` and keep the rest; -1 when a line is
 * over MAX_LINE (however the client's writes fell).  Lines end in "\n" (a
 * "\r" before it is dropped); a NUL byte makes a line unreadable: it
 * cannot be part of any request.
 */
static int answer_lines(struct conn *c, struct strbuf *in, struct strbuf *ans)
{
    char *nl;

    while ((nl = memchr(in->buf, '\n', in->len))) {
        size_t n = (size_t)(nl - in->buf);
        size_t len = n && in->buf[n - 1] == '\r' ? n - 1 : n;
        if (len > MAX_LINE)
            return -1;
        in->buf[len] = '\0';
        strbuf_reset(ans);
        if (strlen(in->buf) != len)
            strbuf_addstr(ans, "ERR a NUL byte in the request");
        else
            handle(c, in->buf, ans);
        strbuf_addch(ans, '\n');
        send_all(c->fd, ans->buf, ans->len);
        size_t rest = in->len - n - 1;
        memmove(in->buf, nl + 1, rest);
        in->len = rest;
        in->buf[rest] = '\0';
    }
    return in->len > MAX_LINE ? -1 : 0;
}

/* Serve requests until EOF or a line too long (refused, then closed). */
static void serve(struct conn *c)
{
    struct strbuf in = STRBUF_INIT, ans = STRBUF_INIT;
    char buf[1024];

    for (;;) {
        if (answer_lines(c, &in, &ans) < 0) {
            send_all(c->fd, "ERR request line too long\n", 26);
            break;
        }
        ssize_t r = read(c->fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        strbuf_add(&in, buf, (size_t)r);
    }
    strbuf_release(&in);
    strbuf_release(&ans);
}

static void *conn_thread(void *arg)
{
    struct conn *c = arg;
    struct strbuf ignore = STRBUF_INIT;

    serve(c);
    /*
     * The client sees the end at once (after a refused line, say); the
     * descriptor itself is closed when the thread is joined.
     */
    shutdown(c->fd, SHUT_RDWR);
    /* A client that went away holding sandboxes: they go now. */
    while (c->nheld) {
        strbuf_reset(&ignore);
        give_back(c, c->nheld - 1, false, true, &ignore);
    }
    strbuf_release(&ignore);
    pthread_mutex_lock(&c->ss->lock);
    c->done = true;
    pthread_mutex_unlock(&c->ss->lock);
    return NULL;
}

static void conn_free(struct conn *c)
{
    pthread_join(c->thread, NULL);
    close(c->fd);
    free(c->held);
    free(c);
}

/*
 * Join the threads of connections that ended, so that a framework that
 * connects once per test (Criterion) does not pile up finished threads.
 * Called with the lock held; their threads no longer take it.
 */
static void reap_done(struct sockserver *ss)
{
    size_t k = 0;

    for (size_t i = 0; i < ss->nconns; i++) {
        if (ss->conns[i]->done)
            conn_free(ss->conns[i]);
        else
            ss->conns[k++] = ss->conns[i];
    }
    ss->nconns = k;
}

static void start_conn(struct sockserver *ss, int fd)
{
    struct conn *c = xcalloc(1, sizeof(*c));

    c->ss = ss;
    c->fd = fd;
    pthread_mutex_lock(&ss->lock);
    reap_done(ss);
    if (ss->nconns == ss->conncap) {
        ss->conncap = ss->conncap ? 2 * ss->conncap : 16;
        ss->conns = xrealloc(ss->conns, ss->conncap * sizeof(*ss->conns));
    }
    c->id = ss->next_id;
    if (ss->stopping || pthread_create(&c->thread, NULL, conn_thread, c)) {
        pthread_mutex_unlock(&ss->lock);
        close(fd);
        free(c);
        return;
    }
    ss->next_id++;
    ss->conns[ss->nconns++] = c;
    pthread_mutex_unlock(&ss->lock);
}

static void *accept_thread(void *arg)
{
    struct sockserver *ss = arg;

    for (;;) {
        int fd = accept4(ss->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED ||
                       errno == EMFILE || errno == ENFILE)) {
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000); /* out of descriptors: let some close */
            continue;
        }
        if (fd < 0)
            return NULL; /* shut down by sockserver_stop */
        start_conn(ss, fd);
    }
}

static int listen_at(struct sockserver *ss, struct isotest_err *e)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    if (strlen(ss->path) >= sizeof(addr.sun_path))
        return err_set(e, "socket path '%s' is too long", ss->path);
    memcpy(addr.sun_path, ss->path, strlen(ss->path) + 1);
    ss->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ss->lfd < 0)
        return err_errno(e, errno, "cannot create a socket");
    /* Created 0600 from the start: no moment at which others may connect. */
    mode_t old = umask(0177);
    int r = bind(ss->lfd, (struct sockaddr *)&addr, sizeof(addr));
    int saved = errno;
    umask(old);
    if (r < 0 || listen(ss->lfd, 128) < 0)
        return err_errno(e, r < 0 ? saved : errno, "cannot listen at '%s'",
                         ss->path);
    return 0;
}

struct sockserver *sockserver_start(struct isotest_session *s, const char *dir,
                                    struct isotest_err *e)
{
    struct sockserver *ss = xcalloc(1, sizeof(*ss));

    ss->s = s;
    ss->t0 = now_ms();
    ss->lfd = -1;
    ss->path = xasprintf("%s/socket", dir);
    pthread_mutex_init(&ss->lock, NULL);
    if (listen_at(ss, e) < 0 ||
        pthread_create(&ss->accept_thread, NULL, accept_thread, ss) != 0) {
        if (!e->msg)
            err_set(e, "cannot start the socket's thread");
        sockserver_free(ss);
        return NULL;
    }
    ss->have_accept_thread = true;
    return ss;
}

const char *sockserver_path(const struct sockserver *ss)
{
    return ss->path;
}

void sockserver_stop(struct sockserver *ss)
{
    pthread_mutex_lock(&ss->lock);
    bool was = ss->stopping;
    ss->stopping = true;
    pthread_mutex_unlock(&ss->lock);
    if (was)
        return;
    if (ss->lfd >= 0)
        shutdown(ss->lfd, SHUT_RDWR); /* accept() returns: the thread ends */
    if (ss->have_accept_thread)
        pthread_join(ss->accept_thread, NULL);
    /* No new connection now; end the others' reads. */
    for (size_t i = 0; i < ss->nconns; i++)
        shutdown(ss->conns[i]->fd, SHUT_RDWR);
    for (size_t i = 0; i < ss->nconns; i++)
        conn_free(ss->conns[i]);
    ss->nconns = 0;
    if (ss->lfd >= 0)
        close(ss->lfd);
    ss->lfd = -1;
    unlink(ss->path);
}

const struct sock_record *sockserver_records(const struct sockserver *ss,
                                             size_t *n)
{
    *n = ss->nrecs;
    return ss->recs;
}

void sockserver_free(struct sockserver *ss)
{
    if (!ss)
        return;
    sockserver_stop(ss);
    for (size_t i = 0; i < ss->nrecs; i++) {
        free(ss->recs[i].test_id);
        free(ss->recs[i].name);
    }
    free(ss->conns);
    free(ss->recs);
    free(ss->path);
    pthread_mutex_destroy(&ss->lock);
    free(ss);
}
