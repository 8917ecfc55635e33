/*
 * discover_list.c: cases from a listing command (--list/--each), one per
 * line it prints, each id one shell word in the --each template.
 */
#include "common/proc.h"
#include "common/strbuf.h"
#include "discover.h"

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *discover_shell_quote(const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_addch(&sb, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            strbuf_addstr(&sb, "'\\''");
        else
            strbuf_addch(&sb, *s);
    }
    strbuf_addch(&sb, '\'');
    return strbuf_detach(&sb, NULL);
}

int discover_listing(const struct discover_opts *o, struct case_list *cl,
                     struct isotest_err *e)
{
    const char *argv[] = {"/bin/sh", "-c", o->list_cmd, NULL};
    struct proc_spec spec = {.argv = argv};
    struct proc p;
    struct strbuf out = STRBUF_INIT, errb = STRBUF_INIT;
    struct proc_status st;

    out.max = errb.max = 16 << 20;
    if (proc_start(&p, &spec, e) < 0)
        return err_prefix(e, "cannot run listing command '%s'", o->list_cmd);
    if (proc_capture(&p, &out, &errb, 600000, SIGTERM, 2000, NULL, &st, e) <
        0) {
        strbuf_release(&out);
        strbuf_release(&errb);
        return -1;
    }
    if (!st.exited || st.code != 0) {
        strbuf_rtrim(&errb);
        err_set(e, "listing command '%s' failed (%s %d)%s%s", o->list_cmd,
                st.exited ? "exit code" : "signal", st.code,
                errb.len ? ":\n" : "", errb.buf);
        strbuf_release(&out);
        strbuf_release(&errb);
        return -1;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        cwd[0] = '\0';
    size_t nids = 0;
    for (char *line = out.buf; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        size_t len = strlen(line);
        while (len && isspace((unsigned char)line[len - 1]))
            line[--len] = '\0';
        char *id = line;
        while (isspace((unsigned char)*id))
            id++;
        if (*id) {
            nids++;
            struct test_case *c = case_list_add(cl);
            c->kind = CASE_COMMAND;
            c->suite = xstrdup("list");
            c->classname = xstrdup("list");
            c->name = xstrdup(id);
            c->id = xasprintf("list/%s", id);
            c->abspath = xstrdup(o->list_cmd);
            c->dir = xstrdup(cwd);
            char *q = discover_shell_quote(id);
            struct strbuf cmd = STRBUF_INIT;
            for (const char *t = o->each_cmd; *t; t++) {
                if (t[0] == '{' && t[1] == '}') {
                    strbuf_addstr(&cmd, q);
                    t++;
                } else {
                    strbuf_addch(&cmd, *t);
                }
            }
            free(q);
            c->shell = strbuf_detach(&cmd, NULL);
            c->path = xstrdup(c->shell); /* what ran, for the report */
            if (!discover_filter_match(c->id, o->filters, o->nfilters))
                case_list_drop_last(cl);
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    strbuf_release(&out);
    strbuf_release(&errb);
    if (!nids)
        return err_set(e, "listing command '%s' printed no test ids",
                       o->list_cmd);
    return 0;
}
