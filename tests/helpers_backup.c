/*
 * helpers_backup.c: what the `isotest backup` integration tests share
 * (test_integration_backup.c, test_integration_backup_restore.c).
 *
 * The strings a test makes are kept (bk_keep()) and freed together at its
 * end (bk_release_kept()).
 */
#include "helpers_backup.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"

static char *kept[128];
static size_t nkept;

char *bk_keep(char *s)
{
    cr_assert(nkept < sizeof(kept) / sizeof(*kept), "bk_keep(): too many");
    return kept[nkept++] = s;
}

void bk_release_kept(void)
{
    while (nkept)
        free(kept[--nkept]);
}

const char *bk_sub(const char *name)
{
    return bk_keep(itest_tmpsubdir(name));
}

void bk_assert_contains(const char *text, const char *needle, const char *what)
{
    cr_assert(strstr(text, needle), "%s: no '%s' in:\n%s", what, needle, text);
}

/*
 * Run isotest with args, assert its exit code and, unless NULL, that
 * `needle` is on its stdout or stderr.  Its stdout and stderr, joined
 * (kept).
 */
const char *bk_expect(const char *const *args, int code, const char *needle,
                      const char *what)
{
    struct itest_result r;

    itest_run(&r, args, NULL);
    itest_assert_exit(&r, code, what);
    char *both = bk_keep(xasprintf("%s\n%s", r.out, r.err));
    if (needle)
        bk_assert_contains(both, needle, what);
    itest_result_release(&r);
    return both;
}

/* Create database `db` on ci (with the seed in it); its conninfo. */
const char *bk_new_db(const char *ci, const char *db, bool seed)
{
    char *sql = xasprintf("CREATE DATABASE %s", db);
    const char *dci = bk_keep(xasprintf("%s dbname=%s", ci, db));

    itest_sql(ci, sql);
    if (seed) {
        char *text = itest_read_file(SEED);
        itest_sql(dci, text);
        free(text);
    }
    free(sql);
    return dci;
}

/* The path on the line "LEAD...': PATH" of out (kept). */
const char *bk_printed_path(const char *out, const char *lead)
{
    char *line = itest_line_starting(out, lead);

    cr_assert(line, "no line '%s...' in:\n%s", lead, out);
    char *p = strstr(line, "': ");
    cr_assert(p, "no path in '%s'", line);
    const char *path = bk_keep(xstrdup(p + 3));
    free(line);
    return path;
}

/* `backup create --db dci --dir dir` plus up to two more arguments. */
const char *bk_create(const char *dci, const char *dir, const char *a1,
                      const char *a2)
{
    const char *out =
        bk_expect(ARGV("backup", "create", "--db", dci, "--dir", dir, a1, a2),
                  0, NULL, "backup create");
    return bk_printed_path(out, "backup of database ");
}

/* `backup verify path` with --db ci and --junit unless NULL, and more. */
const char *bk_verify(const char *path, const char *ci, const char *junit,
                      const char *more, const char *val, int code,
                      const char *needle)
{
    const char *args[12] = {"backup", "verify", path};
    size_t n = 3;
    const char *opt[3][2] = {{"--db", ci}, {"--junit", junit}, {more, val}};

    for (int k = 0; k < 3; k++)
        if (opt[k][0] && opt[k][1]) {
            args[n++] = opt[k][0];
            args[n++] = opt[k][1];
        }
    return bk_expect(args, code, needle, path);
}

/* The manifest's row count of table `name`, as create writes it. */
long long bk_manifest_rows(const char *backup, const char *name)
{
    char *text =
        bk_keep(itest_read_file(bk_keep(xasprintf("%s.json", backup))));
    char *key = bk_keep(xasprintf("\"name\": \"%s\", \"rows\": ", name));
    char *p = strstr(text, key);

    cr_assert(p, "no table '%s' in the manifest:\n%s", name, text);
    return strtoll(p + strlen(key), NULL, 10);
}

/* Run a program (not isotest) that must succeed; its output (kept). */
const char *bk_tool(const char *const *argv)
{
    char *out;
    int rc = itest_run_tool(argv, &out, NULL);

    cr_assert_eq(rc, 0, "'%s %s' failed: %s", argv[0], argv[1], out);
    return bk_keep(out);
}

/* pg_dump -Fp of a database, without pg_dump's per-run \restrict keys. */
char *bk_dump_of(const char *dci)
{
    const char *out = bk_tool(ARGV("pg_dump", "-d", dci));
    struct strbuf sb = STRBUF_INIT;

    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        if (strncmp(p, "\\restrict ", 10) && strncmp(p, "\\unrestrict ", 12))
            strbuf_add(&sb, p, len);
        p += len;
    }
    return bk_keep(strbuf_detach(&sb, NULL));
}

/* XOR the byte `from_end` bytes before the end of the file. */
void bk_flip_byte(const char *path, long from_end)
{
    FILE *f = fopen(path, "r+b");

    cr_assert(f, "cannot open '%s'", path);
    cr_assert(fseek(f, -from_end, SEEK_END) == 0);
    int c = fgetc(f);
    cr_assert(fseek(f, -from_end, SEEK_END) == 0);
    fputc(c ^ 0xff, f);
    cr_assert(fclose(f) == 0);
}

const char *bk_in_dir(const char *dir, const char *name)
{
    return bk_keep(xasprintf("%s/%s", dir, name));
}

long long bk_count_of(const char *dci, const char *sql)
{
    char *v = itest_sql_value(dci, sql);
    long long n = atoll(v);

    free(v);
    return n;
}
