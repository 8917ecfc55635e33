/*
 * commands.c: what the commands share: printing an error, closing a
 * session under the signal registry.
 */
#include "commands.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_print_error(const struct isotest_session *s, struct isotest_err *e)
{
    const char *msg = e->msg ? e->msg : "unknown error";
    char *m = s ? isotest_redact(s, msg, strlen(msg), NULL) : NULL;

    fprintf(stderr, "isotest: error: %s\n", m ? m : msg);
    free(m);
    if (e->hint) {
        char *h = s ? isotest_redact(s, e->hint, strlen(e->hint), NULL) : NULL;
        fprintf(stderr, "hint: %s\n", h ? h : e->hint);
        free(h);
    }
    isotest_err_release(e);
}

/* Under signals_cleanup(): a second Ctrl-C waits for the close. */
void cmd_close_session(void *arg)
{
    struct cmd_closing *c = arg;
    struct isotest_err e = ISOTEST_ERR_INIT;

    signals_watch_session(NULL);
    if (c->s && isotest_session_close(c->s, c->flags, &e) < 0 && !c->quiet)
        cmd_print_error(NULL, &e);
    isotest_err_release(&e);
}
