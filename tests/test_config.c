/*
 * test_config.c: the suite configuration file (runner/config.h) and how
 * options_parse() merges it under the command line (runner/options.h).
 *
 * Covers: splitting lines ("--name value" at the first blank, the value
 * taken literally; "--name=value"; flags; comments, blank lines, CRLF);
 * the suite folder of a list of PATHs; the default file found in it;
 * relative paths made relative to the file's folder; the command line
 * winning over the file, lists accumulating; --config FILE and
 * --no-config; every kind of bad line (table) failing with FILE:LINE
 * and the option.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/fsutil.h"
#include "common/strbuf.h"
#include "runner/config.h"
#include "runner/options.h"
#include "unit_tmp.h"

UNIT_TMP_FOLDER("/tmp/isotest-test-config-XXXXXX")

/* Write <tmp>/<rel> (folders made); returns the path, caller frees. */
static char *put(const char *rel, const char *text)
{
    char *path = xasprintf("%s/%s", tmp, rel);
    char *dir = xstrndup(path, (size_t)(strrchr(path, '/') - path));
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(fs_mkdirs(dir, 0755, &e), 0, "%s", e.msg);
    cr_assert_eq(fs_write_atomic(path, text, strlen(text), &e), 0, "%s", e.msg);
    free(dir);
    return path;
}

static int parse(struct run_options *o, struct isotest_err *e, ...)
{
    char *argv[16];
    int argc = 0;
    va_list ap;

    argv[argc++] = "run";
    va_start(ap, e);
    for (char *a; (a = va_arg(ap, char *)) != NULL && argc < 15;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return options_parse(argc, argv, o, e);
}

Test(config, splits_lines, .init = make_tmp, .fini = remove_tmp)
{
    char *path = put("suite/isotest.conf", "# a comment\n"
                                           "\n"
                                           "   # an indented comment\n"
                                           "--set SHOW_CONTEXT=never\r\n"
                                           "--each   pytest -q {}  \n"
                                           "--jobs=4\n"
                                           "\t--fail-fast\n"
                                           "--env X=a=b c");
    struct config c;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(config_load(&c, path, &e), 0, "%s", e.msg);
    cr_assert_eq(c.n, 5);
    cr_assert_str_eq(c.v[0].name, "--set");
    cr_assert_str_eq(c.v[0].value, "SHOW_CONTEXT=never");
    cr_assert_eq(c.v[0].lineno, 4);
    cr_assert_str_eq(c.v[1].name, "--each");
    cr_assert_str_eq(c.v[1].value, "pytest -q {}");
    cr_assert_str_eq(c.v[2].name, "--jobs");
    cr_assert_str_eq(c.v[2].value, "4");
    cr_assert(c.v[2].with_eq);
    cr_assert_str_eq(c.v[3].name, "--fail-fast");
    cr_assert_null(c.v[3].value);
    cr_assert_eq(c.v[3].lineno, 7);
    cr_assert_str_eq(c.v[4].value, "X=a=b c");
    cr_assert_eq(c.v[4].lineno, 8);
    char *dir = xasprintf("%s/suite", tmp);
    cr_assert_str_eq(c.dir, dir);
    char *rel = config_path_value(&c, "db");
    char *want = xasprintf("%s/suite/db", tmp);
    cr_assert_str_eq(rel, want);
    free(rel);
    rel = config_path_value(&c, "/abs/db");
    cr_assert_str_eq(rel, "/abs/db");
    free(rel);
    rel = config_path_value(&c, "-");
    cr_assert_str_eq(rel, "-");
    free(rel);
    config_release(&c);
    free(want);
    free(dir);
    free(path);
}

Test(config, missing_file_is_an_error, .init = make_tmp, .fini = remove_tmp)
{
    struct config c;
    struct isotest_err e = ISOTEST_ERR_INIT;
    char *path = xasprintf("%s/none.conf", tmp);

    cr_assert_eq(config_load(&c, path, &e), -1);
    cr_assert_not_null(strstr(e.msg, "none.conf"), "%s", e.msg);
    isotest_err_release(&e);
    free(path);
}

Test(config, suite_dir_of_paths, .init = make_tmp, .fini = remove_tmp)
{
    char *file = put("suite/sql/a.sql", "SELECT 1;\n");
    char *suite = xasprintf("%s/suite", tmp);
    char *sql = xasprintf("%s/suite/sql", tmp);
    const char *p1[] = {suite, file};
    const char *p2[] = {file, suite};
    const char *p3[] = {"a.sql"};
    char *d;

    d = config_suite_dir(p1, 2);
    cr_assert_str_eq(d, suite);
    free(d);
    d = config_suite_dir(p2, 2);
    cr_assert_str_eq(d, sql, "a file: its folder");
    free(d);
    d = config_suite_dir(p3, 1);
    cr_assert_str_eq(d, ".");
    free(d);
    d = config_suite_dir(NULL, 0);
    cr_assert_str_eq(d, ".");
    free(d);
    cr_assert_null(config_default_path(p1, 2), "no isotest.conf yet");
    char *conf = put("suite/isotest.conf", "--fail-fast\n");
    d = config_default_path(p1, 2);
    cr_assert_str_eq(d, conf);
    free(d);
    free(conf);
    free(file);
    free(suite);
    free(sql);
}

Test(config, command_line_wins, .init = make_tmp, .fini = remove_tmp)
{
    char *conf = put("suite/isotest.conf", "--jobs 3\n"
                                           "--migrations db\n"
                                           "--junit=out/report.xml\n"
                                           "--tap -\n"
                                           "--isolation schema\n"
                                           "--set A=1\n"
                                           "--env E=file\n"
                                           "--filter 'x'\n"
                                           "--always-psql\n");
    char *suite = xasprintf("%s/suite", tmp);
    char *db = xasprintf("%s/suite/db", tmp);
    char *junit = xasprintf("%s/suite/out/report.xml", tmp);
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(
        parse(&o, &e, "-j", "5", "--set", "A=2", "--env", "E=cli", suite, NULL),
        0, "%s", e.msg);
    cr_assert_str_eq(o.config_path, conf);
    cr_assert_eq(o.jobs, 5, "the command line wins");
    cr_assert_eq(o.mode, ISOTEST_SCHEMA);
    cr_assert_str_eq(o.migrations, db, "relative to the file's folder");
    cr_assert_str_eq(o.junit, junit);
    cr_assert_str_eq(o.tap, "-");
    cr_assert(o.always_psql);
    cr_assert_eq(o.npsql_vars, 2);
    cr_assert_str_eq(o.psql_vars[0], "A=1");
    cr_assert_str_eq(o.psql_vars[1], "A=2", "later: the command line's");
    cr_assert_eq(o.nenvs, 2);
    cr_assert_str_eq(o.envs[1], "E=cli");
    cr_assert_eq(o.nfilters, 1);
    cr_assert_str_eq(o.filters[0], "'x'", "taken literally");
    cr_assert_eq(o.npaths, 1);
    cr_assert_str_eq(o.paths[0], suite);
    options_release(&o);

    /* --no-config: the file is not read. */
    cr_assert_eq(parse(&o, &e, "--no-config", suite, NULL), 0, "%s", e.msg);
    cr_assert_null(o.config_path);
    cr_assert_eq(o.jobs, 0);
    cr_assert_eq(o.npsql_vars, 0);
    options_release(&o);
    free(suite);
    free(db);
    free(junit);
    free(conf);
}

Test(config, named_file, .init = make_tmp, .fini = remove_tmp)
{
    char *conf = put("elsewhere/ci.conf", "--history h\n--retries 2\n");
    char *hist = xasprintf("%s/elsewhere/h", tmp);
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(&o, &e, "--config", conf, "x.sql", NULL), 0, "%s",
                 e.msg);
    cr_assert_str_eq(o.config_path, conf);
    cr_assert_str_eq(o.history, hist);
    cr_assert_eq(o.retries, 2);
    options_release(&o);

    cr_assert_eq(parse(&o, &e, "--config", conf, "--no-config", "x.sql", NULL),
                 -1);
    cr_assert_str_eq(e.msg, "--config and --no-config exclude each other");
    isotest_err_release(&e);

    char *missing = xasprintf("%s/missing.conf", tmp);
    cr_assert_eq(parse(&o, &e, "--config", missing, "x.sql", NULL), -1);
    cr_assert_not_null(strstr(e.msg, "missing.conf"), "%s", e.msg);
    isotest_err_release(&e);
    free(missing);
    free(hist);
    free(conf);
}

struct bad_line {
    char text[48];
    int line;
    char want[96];
};

ParameterizedTestParameters(config, bad_lines)
{
    static struct bad_line cases[] = {
        {"--jobs 2\n--no-such-option\n", 2,
         "unknown option '--no-such-option'"},
        {"--jobs\n", 1, "option '--jobs' needs a value"},
        {"--jobs many\n", 1, "invalid value 'many' for --jobs"},
        {"# c\n--fail-fast now\n", 2, "option '--fail-fast' takes no value"},
        {"sql/a.sql\n", 1, "'sql/a.sql' is not an option"},
        {"--config other.conf\n", 1, "'--config' cannot be used"},
        {"--no-config\n", 1, "'--no-config' cannot be used"},
        {"--jobs 2\n--\n", 2, "'--' cannot be used"},
        {"-\n", 1, "'-' is not an option"},
        {"--fail-fast=yes\n", 1, "option '--fail-fast' takes no value"},
        {"--set novalue\n", 1, "invalid value 'novalue' for --set"},
        {"--env 1X=y\n", 1, "invalid value '1X=y' for --env"},
        {"--pass-env A-B\n", 1, "invalid value 'A-B' for --pass-env"},
    };

    return cr_make_param_array(struct bad_line, cases,
                               sizeof(cases) / sizeof(*cases));
}

ParameterizedTest(struct bad_line *c, config, bad_lines, .init = make_tmp,
                  .fini = remove_tmp)
{
    char *conf = put("s/isotest.conf", c->text);
    char *suite = xasprintf("%s/s", tmp);
    char *prefix = xasprintf("%s:%d: ", conf, c->line);
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(&o, &e, suite, NULL), -1, "%s", c->text);
    cr_assert_eq(strncmp(e.msg, prefix, strlen(prefix)), 0,
                 "'%s' should start with '%s'", e.msg, prefix);
    cr_assert_not_null(strstr(e.msg, c->want), "'%s' should say '%s'", e.msg,
                       c->want);
    isotest_err_release(&e);
    free(prefix);
    free(suite);
    free(conf);
}

Test(config, set_env_and_pass_env_values)
{
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse(&o, &e, "--set", "ON_ERROR_STOP=0", "--set=V=", "--env",
                       "PGOPTIONS=-c lock_timeout=10s", "--pass-env", "HOME",
                       "--no-config", "x.sql", NULL),
                 0, "%s", e.msg);
    cr_assert_eq(o.npsql_vars, 2);
    cr_assert_str_eq(o.psql_vars[1], "V=");
    cr_assert_str_eq(o.envs[0], "PGOPTIONS=-c lock_timeout=10s");
    cr_assert_str_eq(o.pass_envs[0], "HOME");
    options_release(&o);
    cr_assert_eq(parse(&o, &e, "--env", "=x", "x.sql", NULL), -1);
    cr_assert_str_eq(e.msg, "invalid value '=x' for --env: expected "
                            "NAME=VALUE, NAME of letters, digits and '_'");
    isotest_err_release(&e);
}
