/*
 * handle: struct isotest_sandbox, the sandbox a caller of libisotest
 * holds, whether a session in this process made it (session.c) or a
 * client got it from another process's socket (client.c).  It carries
 * how to connect, built once, and the public accessors read it.
 * A handle belongs to one thread at a time.
 */
#ifndef ISOTEST_HANDLE_H
#define ISOTEST_HANDLE_H

#include <stdbool.h>

#include "isotest.h"
#include "sandbox.h"

struct isotest_sandbox {
    struct isotest_session *s;     /* the session's, or NULL */
    struct isotest_client *client; /* the client's, or NULL */
    struct sandbox sb;             /* name, dbname, schema, timings */
    char *host, *port, *user;      /* owned copies */
    char *password;                /* owned; NULL when none is needed */
    char *conninfo, *url, *options;
    const char *keys[8];
    const char *vals[8];
};

/*
 * Copy the server's parts into x and build its conninfo, URL, search_path
 * option and keyword/value arrays from them and x->sb.
 */
/* A conninfo for dbname on a server, as the session reaches it. */
char *handle_conninfo(const char *host, const char *port, const char *user,
                      const char *password, const char *dbname);

void handle_describe(struct isotest_sandbox *x, const char *host,
                     const char *port, const char *user, const char *password);
void handle_free(struct isotest_sandbox *x);

/* session.c: the same verbs for a session's sandbox. */
struct isotest_sandbox *session_sandbox_acquire(struct isotest_session *s,
                                                struct isotest_err *e);
int session_sandbox_release(struct isotest_sandbox *x, unsigned flags,
                            struct isotest_err *e);
int session_sandbox_keep(struct isotest_sandbox *x, struct isotest_err *e);

/* client.c: give a client's sandbox back over its socket. */
int client_sandbox_give_back(struct isotest_sandbox *x, bool keep,
                             struct isotest_err *e);

#endif
