/*
 * test_integration_library.c: libisotest as a user gets it -- the staged
 * install that `make integration` makes ($ISOTEST_STAGE: bin, include,
 * lib, lib/pkgconfig) -- and examples/c built against it with nothing but
 * pkg-config.
 *
 * The example runs once on a server the PG* variables name (a private one
 * from helpers.h) and once with no PG* variable at all (the embedded
 * server); each time all 16 sandboxes must be isolated and nothing may be
 * left behind: no sandbox database, no run folder.  Each test builds in a
 * copy of examples/c in its own scratch folder, since the tests run in
 * parallel and would otherwise race on examples/c/app.
 *
 * The installed files are checked too: only isotest_* symbols exported by
 * either library, only isotest.h installed, and a static link against
 * libisotest.a that works.
 *
 * Layout: running commands; the example; the installed files.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/proc.h"
#include "common/strbuf.h"

/* The embedded server's cache that itest_run() gives isotest (helpers.c),
   so that the example starts from a cached data folder too. */
#define SUMMARY "16 sandboxes, 16 isolated"

extern char **environ;

TestSuite(library, .fini = itest_teardown, .timeout = 240);

/* A copy of examples/c in the test's scratch folder; the caller frees it. */
static char *copy_example(void)
{
    char *dir = itest_tmpfile("c");
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("cp", "-R", "examples/c", dir), NULL, NULL);
    cr_assert_eq(r.code, 0, "cannot copy examples/c: %s", r.err);
    itest_result_release(&r);
    return dir;
}

/* ---- the example -------------------------------------------------------- */

/* Build and run the example; assert it found every sandbox isolated. */
static void run_example(struct itest_result *r, const char *const *env)
{
    char *dir = copy_example();

    itest_run_example_cmd(
        r, ARGV("make", "--no-print-directory", "clean", "check"), dir, env);
    cr_assert_eq(r->code, 0, "make check exited %d\n%s\n%s", r->code, r->out,
                 r->err);
    cr_assert(strstr(r->out, "\n" SUMMARY "\n"), "no '%s' line:\n%s", SUMMARY,
              r->out);
    cr_assert(strstr(r->out, "acquire+release per sandbox: median "),
              "no timing line:\n%s", r->out);
    free(dir);
}

Test(library, example_on_the_server_pg_variables_name)
{
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    struct itest_result r;

    run_example(&r, ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    /* The session used that server: its template is there, and the
       example says where it was. */
    cr_assert(strstr(r.out, itest_cluster_sockdir()) &&
                  !strstr(r.out, "(embedded)"),
              "not on the named server:\n%s", r.out);
    cr_assert_eq(itest_db_count(ci, "isotest\\_tpl\\_%"), 1);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(host);
}

Test(library, example_on_the_embedded_server)
{
    char **before = itest_run_dirs();
    struct itest_result r;

    run_example(&r, NULL);
    cr_assert(strstr(r.out, "(embedded)"), "not on an embedded server:\n%s",
              r.out);
    itest_assert_no_new_run_dirs(before);
    itest_strv_free(before);
    itest_result_release(&r);
}

/* ---- the installed files ------------------------------------------------ */

/* Assert every symbol `nm nm_flags lib` lists is named isotest_*. */
static void assert_only_isotest(const char *lib, const char *nm_flags)
{
    char *path = xasprintf("%s/lib/%s", itest_stage(), lib);
    char *cmd = xasprintf("nm %s %s", nm_flags, path);
    struct itest_result r;
    struct strbuf bad = STRBUF_INIT;
    int good = 0;

    itest_run_example_cmd(&r, ARGV("sh", "-c", cmd), NULL, NULL);
    cr_assert_eq(r.code, 0, "%s: %s", cmd, r.err);
    /* Lines read "<address> <type> <name>"; an archive adds "member.o:"
       headers and blank lines. */
    for (char *line = r.out; *line;) {
        size_t len = strcspn(line, "\n");
        size_t at = len;
        while (at > 0 && line[at - 1] != ' ')
            at--;
        if (at > 0 && line[len - 1] != ':') {
            const char *name = line + at;
            size_t n = len - at;
            if (n >= 8 && !strncmp(name, "isotest_", 8))
                good++;
            else
                strbuf_addf(&bad, " %.*s", (int)n, name);
        }
        line += len + (line[len] == '\n');
    }
    cr_assert(bad.len == 0, "%s exports names outside isotest_*:%s", path,
              bad.buf);
    cr_assert(good >= 10, "%s exports only %d isotest_* names:\n%s", path, good,
              r.out);
    strbuf_release(&bad);
    itest_result_release(&r);
    free(cmd);
    free(path);
}

Test(library, exports_only_isotest_names)
{
    assert_only_isotest("libisotest.so", "-D --defined-only");
    assert_only_isotest("libisotest.a", "-g --defined-only");
}

Test(library, installs_one_header)
{
    char *inc = xasprintf("%s/include", itest_stage());
    DIR *d = opendir(inc);
    struct dirent *de;
    struct strbuf names = STRBUF_INIT;

    cr_assert(d, "cannot read '%s'", inc);
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            strbuf_addf(&names, " %s", de->d_name);
    closedir(d);
    cr_assert_str_eq(names.buf, " isotest.h", "'%s' holds:%s", inc, names.buf);
    strbuf_release(&names);
    free(inc);
}

/*
 * The .pc's static flags are enough to link the example with
 * libisotest.a: -lisotest becomes -l:libisotest.a, since the linker would
 * take the shared library from the same folder.  The program must not
 * need libisotest.so, and must work.
 *
 * libpq itself stays shared: Debian's libpq.pc lists, for a static link,
 * libpgcommon and libpgport, which only postgresql-server-dev ships.  So
 * pkg-config is shown a copy of libpq.pc without its Libs.private; the
 * Requires.private and Libs.private of isotest.pc (libcrypto, -lm,
 * -pthread) are still all that completes the link.
 */
Test(library, example_links_statically)
{
    char *dir = copy_example();
    const char *script =
        "set -e\n"
        "mkdir shared-pq\n"
        "sed '/^Libs.private:/d' "
        "\"$(pkg-config --variable=pcfiledir libpq)/libpq.pc\" "
        "> shared-pq/libpq.pc\n"
        "export PKG_CONFIG_PATH=\"$PWD/shared-pq:$PKG_CONFIG_PATH\"\n"
        "libs=$(pkg-config --static --libs isotest libpq "
        "| sed 's/-lisotest/-l:libisotest.a/')\n"
        "cc -std=c11 -Wall -Wextra -Werror -pthread "
        "$(pkg-config --static --cflags isotest libpq) "
        "-o app-static app.c $libs\n"
        "if readelf -d app-static | grep -q 'NEEDED.*libisotest'; then\n"
        "    echo 'app-static needs libisotest.so' >&2; exit 1\n"
        "fi\n"
        "./app-static\n";
    const char *ci = itest_cluster_start();
    char *host = xasprintf("PGHOST=%s", itest_cluster_sockdir());
    struct itest_result r;

    itest_run_example_cmd(&r, ARGV("sh", "-c", script), dir,
                          ARGV(host, "PGPORT=5432", "PGUSER=postgres"));
    cr_assert_eq(r.code, 0, "static link or run failed (%d)\n%s\n%s", r.code,
                 r.out, r.err);
    cr_assert(strstr(r.out, "\n" SUMMARY "\n"), "no '%s' line:\n%s", SUMMARY,
              r.out);
    itest_assert_no_sandboxes(ci);
    itest_result_release(&r);
    free(host);
    free(dir);
}
