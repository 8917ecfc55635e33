/*
 * sockserver: the sandbox socket of `isotest exec`, which hands the
 * session's sandboxes to the processes of a test framework.
 *
 * A Unix stream socket (mode 0600, in a private 0700 folder); one thread
 * accepts, one thread serves each connection.  The protocol is lines of
 * text (README, "The sandbox socket"):
 *
 *   HELLO                  OK version=V run=RUNID isolation=MODE
 *   ACQUIRE [TEST-ID]      OK name=N dbname=D url=U host=H port=P user=R
 *                             [password=W] options=O schema=S
 *                             acquire_ms=MS
 *   RELEASE NAME           OK release_ms=MS
 *   KEEP NAME              OK
 *   (anything else)        ERR message
 *
 * Values and TEST-ID are percent-encoded.  A sandbox belongs to the
 * connection that acquired it; one still held when its connection closes
 * is released then.
 *
 * Call sequence: sockserver_start(), then the framework runs;
 * sockserver_stop() (closes every connection, releases what they held),
 * sockserver_records() for the report, sockserver_free().  Start and stop
 * from one thread.
 */
#ifndef ISOTEST_SOCKSERVER_H
#define ISOTEST_SOCKSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "isotest.h"

/* What happened to one sandbox handed out, for the run's report. */
struct sock_record {
    char *test_id;   /* as the client named it, or NULL */
    char *name;      /* the sandbox */
    int client;      /* connection number, from 0 */
    double start_ms; /* offset from the server's start */
    double acquire_ms;
    double release_ms;
    bool kept;
    bool orphaned; /* released because its connection closed */
};

struct sockserver;

/* Listen at DIR/socket (DIR must exist and be private); NULL with e set. */
struct sockserver *sockserver_start(struct isotest_session *s, const char *dir,
                                    struct isotest_err *e);
const char *sockserver_path(const struct sockserver *ss);

/* Stop serving; every sandbox still held is released.  Idempotent. */
void sockserver_stop(struct sockserver *ss);

/* The records of every sandbox handed out, in order; owned by ss. */
const struct sock_record *sockserver_records(const struct sockserver *ss,
                                             size_t *n);

void sockserver_free(struct sockserver *ss);

#endif
