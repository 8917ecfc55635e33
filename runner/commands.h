/*
 * commands: the subcommands of the isotest command line, each taking
 * argv from its own name on and returning the process exit code (0 all
 * passed, 1 a case failed, 2 nothing could be run, 128+N after signal
 * N).  Main thread only; they print.
 */
#ifndef ISOTEST_COMMANDS_H
#define ISOTEST_COMMANDS_H

#include <stdio.h>

#include "discover.h"
#include "isotest.h"
#include "options.h"

#define EXIT_FAILED 1
#define EXIT_CANNOT 2

int cmd_run(int argc, char **argv);    /* cmd_run.c */
int cmd_list(int argc, char **argv);   /* cmd_run.c */
int cmd_clean(int argc, char **argv);  /* cmd_clean.c */
int cmd_bench(int argc, char **argv);  /* bench.c */
int cmd_exec(int argc, char **argv);   /* cmd_exec.c */
int cmd_merge(int argc, char **argv);  /* cmd_merge.c */
int cmd_backup(int argc, char **argv); /* production/backup_cmd.c */
int cmd_drift(int argc, char **argv);  /* production/drift_cmd.c */
int cmd_audit(int argc, char **argv);  /* production/audit_cmd.c */
int cmd_doctor(int argc, char **argv); /* cmd_doctor.c */
int cmd_accept(int argc, char **argv); /* cmd_accept.c */

/*
 * After a run (cmd_doctor.c): when the session's median sandbox making
 * time is over cmd_slow_clone_ms() (100 ms, or $ISOTEST_SLOW_CLONE_MS),
 * say so once on out, with the figure and what would help.
 */
void cmd_clone_note(const struct isotest_session *s, FILE *out);
double cmd_slow_clone_ms(void);

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
    bool quiet; /* the server is lost: a failed close says nothing new */
};
void cmd_close_session(void *closing);

/* Discover the cases of o; -1 with e saying why none was found. */
int cmd_discover(const struct run_options *o, struct case_list *cl,
                 struct isotest_err *e);

/* SUITE/.isotest-history for o's PATHs (config.h says which is SUITE). */
char *cmd_history_path(const struct run_options *o);

/* --shard: keep this part's cases of cl, and say on stderr what it holds. */
struct history;
struct shard_plan;
void cmd_apply_shard(const struct run_options *o, struct case_list *cl,
                     const struct history *h, const char *source,
                     struct shard_plan *p);

#endif
