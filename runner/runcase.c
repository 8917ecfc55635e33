/*
 * runcase.c: environments, psql invocations, outcome rules.
 */
#include "runcase.h"
#include "casereport.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "common/pgerr.h"
#include "common/proc.h"
#include "common/strbuf.h"
#include "expected.h"
#include "sqlexec.h"
#include "tap.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void runcase_sandbox_of(const struct isotest_sandbox *sb,
                        struct runcase_sandbox *out)
{
    out->host = isotest_sandbox_param(sb, "host");
    out->port = isotest_sandbox_param(sb, "port");
    out->user = isotest_sandbox_param(sb, "user");
    out->password = isotest_sandbox_param(sb, "password");
    out->dbname = isotest_sandbox_dbname(sb);
    out->name = isotest_sandbox_name(sb);
    out->options = isotest_sandbox_options(sb);
    out->url = isotest_sandbox_url(sb);
}

char **runcase_env(const struct runcase_sandbox *sb, const char *case_id,
                   int worker, const char *const *extra)
{
    return caseenv_build(NULL, sb, case_id, worker, false, extra);
}

void runcase_env_free(char **env)
{
    caseenv_free(env);
}

char *runcase_psql_command(const struct runcase_sandbox *sb)
{
    struct strbuf cmd = STRBUF_INIT;
    char *host = discover_shell_quote(sb->host);
    char *user = discover_shell_quote(sb->user);
    const char *options = sb->options;

    /* Sandbox names are [a-z0-9_] and ports digits: no quoting needed. */
    if (options[0])
        strbuf_addf(&cmd, "PGOPTIONS='%s' ", options);
    strbuf_addf(&cmd, "psql -h %s -p %s -U %s -d %s", host, sb->port, user,
                sb->dbname);
    free(host);
    free(user);
    return strbuf_detach(&cmd, NULL);
}

/*
 * Keep the captured output for the report.  A case that prints its
 * DATABASE_URL or PGPASSWORD would put the password in the report: every
 * form of it is replaced by *** here, the one place all captured output
 * passes.  The buffers were capped a little above the cap, so that a
 * password straddling the cap is still whole when it is replaced; the cut
 * to the real cap comes after.
 */
void runcase_keep_output(const struct isotest_session *t, size_t cap,
                         struct test_result *r, struct strbuf *out,
                         struct strbuf *err)
{
    struct strbuf *bufs[2] = {out, err};
    struct captured *dst[2] = {&r->out, &r->err};
    size_t secret = isotest_redact_slack(t);

    for (int i = 0; i < 2; i++) {
        size_t len, dropped = bufs[i]->dropped;
        if (secret && dropped) {
            /* Cut in the middle of a password: that start goes too. */
            size_t tail = isotest_redact_tail(t, bufs[i]->buf, bufs[i]->len);
            bufs[i]->len -= tail;
            dropped += tail;
        }
        char *data = secret
                         ? isotest_redact(t, bufs[i]->buf, bufs[i]->len, &len)
                         : strbuf_detach(bufs[i], &len);
        if (len > cap) {
            dropped += len - cap;
            len = cap;
            data[len] = '\0';
        }
        dst[i]->data = data;
        dst[i]->len = len;
        dst[i]->dropped = dropped;
        strbuf_reset(bufs[i]);
    }
}

/*
 * psql's first error line: "psql:FILE:LINE: ERROR:  42P01: message".
 * Rewritten as "PATH:LINE: ERROR:  message (SQLSTATE 42P01)".
 */
static char *psql_error(const char *stderr_text, const char *display_path)
{
    const char *p = stderr_text;

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *err = NULL;
        for (size_t i = 0; i + 6 < n; i++)
            if (!strncmp(p + i, "ERROR:", 6) || !strncmp(p + i, "FATAL:", 6)) {
                err = p + i;
                break;
            }
        if (err) {
            struct strbuf sb = STRBUF_INIT;
            const char *line_no = NULL;
            /* psql:FILE:LINE: */
            if (!strncmp(p, "psql:", 5)) {
                const char *colon2 = NULL;
                for (const char *q = err - 2; q > p + 5; q--)
                    if (*q == ':') {
                        colon2 = q;
                        break;
                    }
                if (colon2) {
                    const char *c1 = colon2 - 1;
                    while (c1 > p + 5 && *c1 >= '0' && *c1 <= '9')
                        c1--;
                    if (*c1 == ':')
                        line_no = c1 + 1;
                }
            }
            const char *msg = err + 6;
            while (*msg == ' ')
                msg++;
            size_t rest = n - (size_t)(msg - p);
            char state[6] = "";
            if (rest > 7 && msg[5] == ':' && msg[6] == ' ') {
                memcpy(state, msg, 5);
                msg += 7;
                while (*msg == ' ')
                    msg++;
                rest = n - (size_t)(msg - p);
            }
            strbuf_addstr(&sb, display_path);
            if (line_no) {
                strbuf_addch(&sb, ':');
                while (*line_no >= '0' && *line_no <= '9')
                    strbuf_addch(&sb, *line_no++);
            }
            char sev[6];
            memcpy(sev, err, 5);
            sev[5] = '\0';
            strbuf_addstr(&sb, ": ");
            pgerr_add(&sb, sev, msg, rest, state);
            return strbuf_detach(&sb, NULL);
        }
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

/*
 * err_line: the first error as "PATH:LINE: ERROR: text (SQLSTATE x)", or
 * NULL; owned by the caller.
 */
static void judge_sql(const struct proc_status *st, const char *err_line,
                      struct test_result *r)
{
    struct tap_result tap;

    tap_parse(r->out.data, r->out.len, &tap);
    if (tap.seen) {
        if (tap_passed(&tap) && st->exited && st->code == 0) {
            r->outcome = tap.skip_all ? OUTCOME_SKIPPED : OUTCOME_PASSED;
        } else {
            r->outcome = OUTCOME_FAILED;
            r->message = err_line ? xstrdup(err_line)
                         : tap.summary
                             ? xstrdup(tap.summary)
                             : xasprintf("psql exited with code %d", st->code);
            struct strbuf d = STRBUF_INIT;
            if (tap.diagnostics)
                strbuf_addstr(&d, tap.diagnostics);
            if (err_line && r->err.len) {
                /* The console has err_line: the verbose text is extra. */
                r->detail_short = true;
                r->detail_short_len = d.len;
                strbuf_add(&d, r->err.data, r->err.len);
            }
            if (d.len)
                r->detail = strbuf_detach(&d, NULL);
            strbuf_release(&d);
        }
    } else if (st->exited && st->code == 0) {
        r->outcome = OUTCOME_PASSED;
    } else {
        r->outcome =
            st->exited && st->code == 2 ? OUTCOME_ERROR : OUTCOME_FAILED;
        r->message = err_line ? xstrdup(err_line)
                              : xasprintf("psql exited with code %d", st->code);
        if (r->err.len)
            r->detail = xstrndup(r->err.data, r->err.len);
        /* The console shows err_line alone; the reports, the whole text. */
        r->detail_short = err_line && r->detail;
        r->detail_short_len = 0;
    }
    tap_release(&tap);
}

static void judge_command(const struct proc_status *st, struct test_result *r)
{
    if (st->exited && st->code == 0) {
        r->outcome = OUTCOME_PASSED;
    } else if (st->exited && st->code == 77) {
        r->outcome = OUTCOME_SKIPPED;
        r->message = xstrdup("skipped (exit code 77)");
    } else if (st->exited) {
        r->outcome = OUTCOME_FAILED;
        r->message = xasprintf("exit code %d", st->code);
    } else {
        r->outcome = OUTCOME_ERROR;
        r->message = xasprintf("killed by %s (exit code %d)",
                               proc_signame(st->code), 128 + st->code);
    }
}

/*
 * A plain or TAP SQL case, run over libpq in this process (sqlexec.h says
 * why).  False, with nothing done, when the file needs psql.
 */
static bool run_in_process(const struct runcase_ctx *ctx,
                           const struct test_case *c,
                           const struct isotest_sandbox *sb,
                           struct test_result *r)
{
    char *text = NULL;
    size_t len = 0, nstmts = 0;
    struct sql_stmt *stmts = NULL;
    const char *why;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct sqlexec_vars vars = SQLEXEC_VARS_INIT;

    /* What only psql would honour: a variable, or a PG* in its env. */
    if ((ctx->env && ctx->env->psql_only) ||
        sqlexec_vars_set(&vars, ctx->psql_vars, ctx->npsql_vars) < 0)
        return false;
    if (fs_read_file(c->abspath, &text, &len, &e) < 0) {
        isotest_err_release(
            &e); /* psql reports an unreadable file its own way */
        return false;
    }
    if (sqlscan_split(text, len, &stmts, &nstmts, &why) < 0) {
        free(text);
        return false;
    }
    char connect_timeout[32] = "";
    if (ctx->timeout_s > 0)
        snprintf(connect_timeout, sizeof(connect_timeout), "%ld",
                 (long)ctx->timeout_s + 1);
    const char *keys[16], *vals[16];
    const char *const *sk = isotest_sandbox_keywords(sb);
    const char *const *sv = isotest_sandbox_values(sb);
    /* The user's PGOPTIONS, merged as for a child (caseenv.h). */
    char *options =
        caseenv_options(ctx->env, isotest_sandbox_options(sb), false);
    int k = 0;
    bool have_options = false;
    for (; sk[k] && k < 13; k++) {
        keys[k] = sk[k], vals[k] = sv[k];
        if (!strcmp(sk[k], "options"))
            vals[k] = options, have_options = true;
    }
    if (options[0] && !have_options)
        keys[k] = "options", vals[k++] = options;
    if (connect_timeout[0])
        keys[k] = "connect_timeout", vals[k++] = connect_timeout;
    keys[k] = NULL, vals[k] = NULL;

    struct sqlexec_spec spec = {.keywords = keys,
                                .values = vals,
                                .display_path = c->path,
                                .text = text,
                                .stmts = stmts,
                                .nstmts = nstmts,
                                .timeout_ms = (long)(ctx->timeout_s * 1000),
                                .grace_ms = 2000,
                                .stop = ctx->stop,
                                .vars = vars};
    struct sqlexec_status st;
    struct strbuf out, err;
    size_t slack = isotest_redact_slack(ctx->session);
    strbuf_init(&out, ctx->output_cap + slack);
    strbuf_init(&err, ctx->output_cap + slack);
    double start = now_ms();

    sqlexec_run(&spec, &out, &err, &st);
    bool done = st.code != SQLEXEC_NEED_PSQL;
    if (done) {
        r->time_ms = now_ms() - start;
        runcase_keep_output(ctx->session, ctx->output_cap, r, &out, &err);
        if (st.timed_out) {
            r->outcome = OUTCOME_TIMEOUT;
            r->message = xasprintf("timed out after %g s", ctx->timeout_s);
        } else if (st.stopped) {
            r->outcome = OUTCOME_ERROR;
            r->message = xstrdup("interrupted");
        } else {
            struct proc_status ps = {.exited = true, .code = (int)st.code};
            char *line = st.message && slack
                             ? isotest_redact(ctx->session, st.message,
                                              strlen(st.message), NULL)
                             : NULL;
            judge_sql(&ps, line ? line : st.message, r);
            free(line);
        }
    }
    free(st.message);
    strbuf_release(&out);
    strbuf_release(&err);
    free(stmts);
    free(text);
    free(options);
    return done;
}

/*
 * Fill argv (and spec->argv) for the child that runs c: psql for a SQL
 * case, the shell for a listed command, else the program itself.  In
 * expected mode psql runs pg_regress's way: the file on stdin, echoed
 * (the environment adds pg_regress's settings, caseenv.h).  The user's
 * psql variables come after isotest's, so theirs win.  argv has room
 * for 20 + 2 * ctx->npsql_vars entries.
 */
static void child_argv(const struct runcase_ctx *ctx, const struct test_case *c,
                       bool expected_mode, const char **argv,
                       struct proc_spec *spec)
{
    const char *file = strrchr(c->abspath, '/') + 1;
    int a = 0;

    if (c->kind == CASE_SQL) {
        argv[a++] = ctx->psql;
        argv[a++] = "-X";
        if (expected_mode) {
            argv[a++] = "-a";
            argv[a++] = "-q";
            argv[a++] = "-v";
            argv[a++] = "HIDE_TABLEAM=on";
            argv[a++] = "-v";
            argv[a++] = "HIDE_TOAST_COMPRESSION=on";
            spec->stdin_path = c->abspath;
            spec->merge_stderr = true;
        } else {
            argv[a++] = "-q";
            argv[a++] = "-t";
            argv[a++] = "-A";
            argv[a++] = "-v";
            argv[a++] = "ON_ERROR_STOP=1";
            argv[a++] = "-v";
            argv[a++] = "VERBOSITY=verbose";
            argv[a++] = "--pset=pager=off";
        }
        for (size_t i = 0; i < ctx->npsql_vars; i++) {
            argv[a++] = "--set";
            argv[a++] = ctx->psql_vars[i];
        }
        if (!expected_mode) {
            argv[a++] = "-f";
            argv[a++] = file;
        }
    } else if (c->shell) {
        argv[a++] = "/bin/sh";
        argv[a++] = "-c";
        argv[a++] = c->shell;
    } else {
        argv[a++] = c->abspath;
    }
    argv[a] = NULL;
    spec->argv = argv;
}

/* The outcome of a case run as a child, from how the child ended. */
static void judge_child(const struct runcase_ctx *ctx,
                        const struct test_case *c, bool expected_mode,
                        const struct proc_status *st, struct test_result *r)
{
    if (st->timed_out) {
        r->outcome = OUTCOME_TIMEOUT;
        r->message = xasprintf("timed out after %g s", ctx->timeout_s);
    } else if (ctx->stop && atomic_load(ctx->stop)) {
        r->outcome = OUTCOME_ERROR;
        r->message = xstrdup("interrupted");
    } else if (c->kind == CASE_COMMAND) {
        judge_command(st, r);
    } else if (expected_mode) {
        /* psql itself failed (no server, bad file): not a diff. */
        if (!st->exited || st->code == 2) {
            r->outcome = OUTCOME_ERROR;
            r->message =
                st->exited
                    ? xasprintf("psql exited with code %d", st->code)
                    : xasprintf("psql killed by %s", proc_signame(st->code));
            r->detail = xstrndup(r->out.data, r->out.len);
            return;
        }
        struct expected_opts xo = {.results_dir = ctx->results_dir,
                                   .ignore_space = ctx->ignore_space_change};
        expected_judge(&xo, c, r);
    } else {
        char *err_line = st->exited && st->code != 0
                             ? psql_error(r->err.data, c->path)
                             : NULL;
        judge_sql(st, err_line, r);
        free(err_line);
    }
}

void runcase_run(const struct runcase_ctx *ctx, const struct test_case *c,
                 const struct isotest_sandbox *sb, int worker,
                 atomic_int *pid_slot, struct test_result *r)
{
    const char *command[] = {NULL, NULL};
    bool expected_mode = c->kind == CASE_SQL && c->expected_dir;
    struct proc_spec spec = {.cwd = c->dir};

    if (c->kind == CASE_SQL && !expected_mode && !ctx->always_psql &&
        run_in_process(ctx, c, sb, r))
        return;
    const char **argv = xcalloc(20 + 2 * ctx->npsql_vars, sizeof(*argv));
    child_argv(ctx, c, expected_mode, argv, &spec);
    char *report =
        c->kind == CASE_COMMAND ? casereport_path(ctx->tmpdir) : NULL;
    char *report_var =
        report ? xasprintf("ISOTEST_CASE_REPORT=%s", report) : NULL;
    command[0] = report_var;

    struct runcase_sandbox view;
    runcase_sandbox_of(sb, &view);
    char **env =
        caseenv_build(ctx->env, &view, c->id, worker, expected_mode, command);
    spec.envp = (const char *const *)env;

    struct strbuf out, err;
    size_t slack = isotest_redact_slack(ctx->session);
    strbuf_init(&out, ctx->output_cap + slack);
    strbuf_init(&err, ctx->output_cap + slack);
    struct proc p;
    struct proc_status st;
    struct isotest_err e = ISOTEST_ERR_INIT;
    double start = now_ms();
    long timeout_ms = (long)(ctx->timeout_s * 1000);

    if (proc_start(&p, &spec, &e) < 0) {
        r->outcome = OUTCOME_ERROR;
        r->message = xstrdup(e.msg);
        goto done;
    }
    atomic_store(pid_slot, p.pid);
    /* psql cancels its query on the server when it gets SIGINT. */
    int r2 = proc_capture(&p, &out, &err, timeout_ms,
                          c->kind == CASE_SQL ? SIGINT : SIGTERM, 2000,
                          ctx->stop, &st, &e);
    atomic_store(pid_slot, 0);
    r->time_ms = now_ms() - start;
    runcase_keep_output(ctx->session, ctx->output_cap, r, &out, &err);
    if (r2 < 0) {
        r->outcome = OUTCOME_ERROR;
        r->message = xstrdup(e.msg);
        goto done;
    }
    judge_child(ctx, c, expected_mode, &st, r);
    casereport_judge(report, &st, r);
done:
    if (!r->time_ms)
        r->time_ms = now_ms() - start;
    strbuf_release(&out);
    strbuf_release(&err);
    isotest_err_release(&e);
    caseenv_free(env);
    free(argv);
    if (report)
        unlink(report);
    free(report);
    free(report_var);
}
