/*
 * backup_verify.c: `isotest backup verify FILE`.
 *
 * Each check becomes a struct test_result (suite "backup"), so the
 * console, the JUnit report and the verdict file say the same thing:
 *
 *   backup        manifest, signature, checksum, restore, tables,
 *                 sandbox dropped
 *   backup.tables one case per table: the manifest's count and the
 *                 restored database's
 *   backup.check  one case per --check SQL file
 *
 * A check that cannot be done is skipped, never passed: without a
 * manifest the checksum and the counts are skipped and the verification
 * is incomplete (exit 2); after a failed check the ones that depend on it
 * are skipped (exit 1).  Every message passes the redaction of --db's
 * password and of the sandbox server's before it is shown or stored.
 *
 * Layout: the cases; the checks in order; the command.  The table
 * comparison and the report are in backup_verify_report.c.
 */
#include "backup_verify.h"
#include "backup.h"
#include "backup_archive.h"
#include "common/clock.h"
#include "common/fsutil.h"
#include "runner/options.h"
#include "runner/signals.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the cases ---------------------------------------------------------- */

const char *verify_own(struct verify *v, char *s)
{
    v->owned = xrealloc(v->owned, (v->nowned + 1) * sizeof(*v->owned));
    v->owned[v->nowned++] = s;
    return s;
}

/* A new case, passed until said otherwise; valid until the next one. */
struct test_result *verify_add_case(struct verify *v, const char *cls,
                                    const char *name, const char *file)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 16;
        v->res = xrealloc(v->res, v->cap * sizeof(*v->res));
    }
    struct test_result *r = &v->res[v->n++];
    memset(r, 0, sizeof(*r));
    r->suite = "backup";
    r->classname = cls;
    r->name = verify_own(v, xstrdup(name));
    r->id = verify_own(v, xasprintf("%s.%s", cls, name));
    r->file = file;
    r->done = true;
    r->outcome = OUTCOME_PASSED;
    r->prev_ms = -1;
    r->start_ms = now_ms() - v->t0;
    if (v->sandbox)
        r->sandbox = xstrdup(v->bs.name);
    return r;
}

/* Redacted with --db's password and the sandbox server's. */
char *verify_clean(const struct verify *v, const char *text)
{
    if (!text)
        return NULL;
    char *a = backup_db_redact(&v->dbr, text);
    if (!v->sandbox)
        return a;
    char *b = backup_sandbox_redact(&v->bs, a);
    free(a);
    return b;
}

void verify_set_out(const struct verify *v, struct test_result *r,
                    const char *text)
{
    r->out.data = verify_clean(v, text);
    r->out.len = strlen(r->out.data);
}

void verify_settle(struct verify *v, struct test_result *r, enum outcome o,
                   const char *msg, double t_start)
{
    r->outcome = o;
    free(r->message);
    r->message = verify_clean(v, msg);
    r->time_ms = now_ms() - t_start;
}

void verify_incomplete(struct verify *v, const char *why)
{
    v->incomplete = true;
    if (!v->gap)
        v->gap = xstrdup(why);
}

void verify_print_case(const struct test_result *r, const char *detail)
{
    static const char *const label[] = {"ok", "FAILED", "ERROR", "TIMEOUT",
                                        "skipped"};
    const char *text = r->message ? r->message : detail ? detail : "";

    printf("  %-8s %-16s %s\n", label[r->outcome], r->name, text);
    fflush(stdout);
}

/* ---- the checks, in order ----------------------------------------------- */

static void check_manifest(struct verify *v)
{
    double t = now_ms();
    char *mpath = backup_manifest_path(v->path);
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct test_result *r = verify_add_case(v, "backup", "manifest", v->path);
    char *text = NULL;

    v->manifest = backup_manifest_read(mpath, &v->m, &e);
    if (v->manifest == 0) {
        text = xasprintf("no manifest '%s': the checksum and the row counts "
                         "cannot be checked",
                         mpath);
        verify_settle(v, r, OUTCOME_SKIPPED, text, t);
        verify_incomplete(v, text);
    } else if (v->manifest < 0) {
        verify_settle(v, r, OUTCOME_FAILED, e.msg, t);
    } else {
        bool renamed = !strstr(v->path, v->m.file);
        text = xasprintf("'%s': database '%s', %zu tables, %lld rows, taken "
                         "%s%s",
                         mpath, v->m.database ? v->m.database : "?",
                         v->m.ntables, backup_manifest_rows(&v->m),
                         v->m.created_at ? v->m.created_at : "?",
                         renamed ? " (for a file since renamed)" : "");
        verify_set_out(v, r, text);
        verify_settle(v, r, OUTCOME_PASSED, NULL, t);
    }
    verify_print_case(r, text);
    free(text);
    isotest_err_release(&e);
    free(mpath);
}

static bool check_signature(struct verify *v)
{
    double t = now_ms();
    struct strbuf detail = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct test_result *r = verify_add_case(v, "backup", "signature", v->path);
    bool readable = access(v->path, R_OK) == 0;

    v->format = backup_format_of(v->path, v->manifest == 1 ? &v->m : NULL);
    int ok = backup_signature(v->path, v->format, &detail, &e) == 0;
    if (ok)
        verify_set_out(v, r, detail.buf);
    /* A file that is not there could not be verified at all. */
    verify_settle(v, r,
                  ok         ? OUTCOME_PASSED
                  : readable ? OUTCOME_FAILED
                             : OUTCOME_ERROR,
                  e.msg, t);
    verify_print_case(r, detail.buf);
    strbuf_release(&detail);
    isotest_err_release(&e);
    return ok;
}

/* 1 passed, 0 skipped, -1 failed. */
static int check_checksum(struct verify *v)
{
    double t = now_ms();
    struct strbuf detail = STRBUF_INIT;
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct test_result *r = verify_add_case(v, "backup", "checksum", v->path);
    int ok = 0;

    if (v->manifest != 1) {
        verify_settle(v, r, OUTCOME_SKIPPED,
                      v->manifest == 0 ? "no manifest to compare with"
                                       : "the manifest cannot be used",
                      t);
    } else if (backup_checksum(v->path, &v->m, &detail, &e) == 0) {
        verify_set_out(v, r, detail.buf);
        verify_settle(v, r, OUTCOME_PASSED, NULL, t);
        ok = 1;
    } else {
        verify_settle(v, r, OUTCOME_FAILED, e.msg, t);
        ok = -1;
    }
    verify_print_case(r, detail.buf);
    strbuf_release(&detail);
    isotest_err_release(&e);
    return ok;
}

/* Plain dumps name their owners: make sure the sandbox's server has them. */
static int prepare_roles(struct verify *v, struct strbuf *note,
                         struct isotest_err *e)
{
    if (v->format != BACKUP_PLAIN || v->manifest != 1)
        return 0;
    return backup_sandbox_roles(&v->bs, v->m.roles, v->m.nroles, note, e);
}

/* Why no sandbox could be had, with what to do about it. */
static char *open_failure(const struct verify *v, const struct isotest_err *e)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addstr(&sb, e->msg);
    if (e->hint)
        strbuf_addf(&sb, " (%s)", e->hint);
    if (v->o.db)
        strbuf_addstr(&sb, "; verify restores into a new database on the "
                           "--db server, which its role must be allowed "
                           "to create; without --db an embedded server is "
                           "used");
    return strbuf_detach(&sb, NULL);
}

static void do_restore(struct verify *v, const char *blocked)
{
    double t = now_ms();
    struct isotest_err e = ISOTEST_ERR_INIT;
    struct strbuf note = STRBUF_INIT;
    struct test_result *r;

    if (blocked) {
        r = verify_add_case(v, "backup", "restore", v->path);
        verify_settle(v, r, OUTCOME_SKIPPED, blocked, t);
    } else if (backup_sandbox_open(&v->bs, v->o.db, &e) < 0) {
        r = verify_add_case(v, "backup", "restore", v->path);
        char *msg = open_failure(v, &e);
        verify_settle(v, r, OUTCOME_ERROR, msg, t);
        free(msg);
    } else {
        v->sandbox = true;
        r = verify_add_case(v, "backup", "restore", v->path);
        if (prepare_roles(v, &note, &e) < 0 ||
            backup_sandbox_restore(&v->bs, v->path, v->format, v->o.jobs, &e) <
                0) {
            verify_settle(v, r, OUTCOME_FAILED, e.msg, t);
            if (note.len)
                r->detail = verify_clean(v, note.buf);
        } else {
            v->restored = true;
            r->acquire_ms = v->bs.acquire_ms;
            strbuf_addf(&note, "%srestored into sandbox '%s' (PostgreSQL %s)",
                        note.len ? "; " : "", v->bs.name, v->bs.server_version);
            verify_set_out(v, r, note.buf);
            verify_settle(v, r, OUTCOME_PASSED, NULL, t);
        }
    }
    if (signals_interrupted() && r->outcome == OUTCOME_FAILED)
        verify_settle(v, r, OUTCOME_ERROR, "interrupted", t);
    verify_print_case(r, r->out.data);
    strbuf_release(&note);
    isotest_err_release(&e);
}

static void run_checks(struct verify *v)
{
    char **files = NULL;
    size_t n = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;
    size_t plen = strlen(v->o.check);

    if (backup_checks_find(v->o.check, &files, &n, &e) < 0) {
        struct test_result *r =
            verify_add_case(v, "backup.check", v->o.check, v->o.check);
        verify_settle(v, r, OUTCOME_ERROR, e.msg, now_ms());
        verify_print_case(r, NULL);
    }
    for (size_t k = 0; k < n; k++) {
        const char *rel =
            !strncmp(files[k], v->o.check, plen) && files[k][plen] == '/'
                ? files[k] + plen + 1
                : files[k];
        double t = now_ms();
        struct test_result *r = verify_add_case(
            v, "backup.check", rel, verify_own(v, xstrdup(files[k])));
        if (!v->restored)
            verify_settle(v, r, OUTCOME_SKIPPED, "not restored", t);
        else {
            backup_sandbox_check(&v->bs, files[k], r);
            r->time_ms = now_ms() - t;
        }
        verify_print_case(r, NULL);
    }
    backup_strv_free(files, n);
    isotest_err_release(&e);
}

static void drop_sandbox(struct verify *v)
{
    double ms = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    if (!v->sandbox)
        return;
    struct test_result *r =
        verify_add_case(v, "backup", "sandbox dropped", v->path);
    char *text = xasprintf("dropped sandbox '%s'", v->bs.name);
    double t = now_ms();
    if (backup_sandbox_close(&v->bs, &ms, &e) < 0)
        verify_settle(v, r, OUTCOME_ERROR, e.msg, t);
    else {
        verify_set_out(v, r, text);
        r->time_ms = now_ms() - t;
    }
    r->release_ms = ms;
    v->sandbox = false;
    verify_print_case(r, text);
    free(text);
    isotest_err_release(&e);
}

/* ---- the command -------------------------------------------------------- */

#define VO(field) offsetof(struct verify_opts, field)
static const struct opt_spec verify_specs[] = {
    {"--db", NULL, OPT_VALUE, VO(db), 0, 0, opt_set_string},
    {"--junit", NULL, OPT_VALUE, VO(junit), 0, 0, opt_set_string},
    {"--check", NULL, OPT_VALUE, VO(check), 0, 0, opt_set_string},
    {"--jobs", "-j", OPT_VALUE, VO(jobs), 1, 64, opt_set_int},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef VO

static int verify_parse(int argc, char **argv, struct verify *v,
                        struct isotest_err *e)
{
    const char **rest = NULL;
    size_t nrest = 0;

    v->o = (struct verify_opts){NULL, NULL, NULL, 1};
    int r =
        options_scan(argc, argv, verify_specs, &v->o, false, &rest, &nrest, e);
    if (r == 0 && nrest != 1)
        r = err_set(e,
                    nrest ? "unexpected argument '%s' (one backup at a "
                            "time)"
                          : "no backup given: backup verify FILE",
                    nrest ? rest[1] : "");
    if (r == 0) {
        v->path = xstrdup(rest[0]);
        for (size_t l = strlen(v->path); l > 1 && v->path[l - 1] == '/';)
            v->path[--l] = '\0';
    }
    free(rest);
    if (r == 0 && v->o.db && backup_db_parse(&v->dbr, v->o.db, e) < 0)
        r = -1;
    if (r == 0 && v->o.junit)
        r = fs_check_writable(v->o.junit, "report", e);
    return r;
}

static void verify_release(struct verify *v)
{
    for (size_t k = 0; k < v->n; k++)
        result_release(&v->res[k]);
    free(v->res);
    for (size_t k = 0; k < v->nowned; k++)
        free(v->owned[k]);
    free(v->owned);
    backup_manifest_release(&v->m);
    backup_db_release(&v->dbr);
    free(v->path);
    free(v->gap);
}

int backup_cmd_verify(int argc, char **argv)
{
    struct verify v;
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(&v, 0, sizeof(v));
    v.t0 = now_ms();
    if (verify_parse(argc, argv, &v, &e) < 0) {
        backup_print_error(&v.dbr, &e);
        verify_release(&v);
        return BACKUP_CANNOT;
    }
    printf("verifying %s\n", v.path);
    check_manifest(&v);
    bool sig = check_signature(&v);
    int sum = check_checksum(&v);
    do_restore(&v, !sig      ? "not attempted: the signature check failed"
                   : sum < 0 ? "not attempted: the checksum does not match "
                               "the manifest"
                             : NULL);
    verify_check_tables(&v);
    if (v.o.check && !signals_interrupted())
        run_checks(&v);
    char *server_version = v.sandbox ? xstrdup(v.bs.server_version) : NULL;
    drop_sandbox(&v);
    int code = verify_conclude(&v, server_version);
    free(server_version);
    verify_release(&v);
    return signals_interrupted() ? signals_exit_code() : code;
}
