/*
 * commands: the subcommands of the isotest command line, each taking
 * argv from its own name on and returning the process exit code (0 all
 * passed, 1 a case failed, 2 nothing could be run, 128+N after signal
 * N).  Main thread only; they print.
 */
#ifndef ISOTEST_COMMANDS_H
#define ISOTEST_COMMANDS_H

#include "discover.h"
#include "isotest.h"
#include "options.h"

#define EXIT_FAILED 1
#define EXIT_CANNOT 2

int cmd_run(int argc, char **argv);   /* cmd_run.c */
int cmd_list(int argc, char **argv);  /* cmd_run.c */
int cmd_clean(int argc, char **argv); /* cmd_clean.c */
int cmd_bench(int argc, char **argv); /* bench.c */
int cmd_exec(int argc, char **argv);  /* cmd_exec.c */

/*
 * Print "isotest: error: MSG" and its hint (with s, any password
 * redacted), then release e.
 */
void cmd_print_error(const struct isotest_session *s, struct isotest_err *e);

/*
 * Close a session (struct cmd_closing *): the callback of
 * signals_cleanup(), so that a second Ctrl-C waits for the close.
 */
struct cmd_closing {
    struct isotest_session *s;
    unsigned flags;
};
void cmd_close_session(void *closing);

/* Discover the cases of o; -1 with e saying why none was found. */
int cmd_discover(const struct run_options *o, struct case_list *cl,
                 struct isotest_err *e);

#endif
