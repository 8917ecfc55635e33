/*
 * test_options.c: the `isotest run` command line (runner/options.h).
 *
 * Covers: defaults; every spelling of -j/--jobs and of valued long options
 * (table); bad values and usage errors with their exact one-line messages
 * (table); --isolation values; "--" and "-" as paths; repeatable
 * --extension/--filter; --list/--each pairing; --help; strict number
 * parsing helpers; --results-dir and --ignore-space-change.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "reporters/console.h"
#include "runner/options.h"

#define MAXARGS 8

/*
 * argv as a fixed table (parameters are copied between processes): the
 * first "" ends it, so an empty argument is written EMPTY.
 */
#define EMPTY "''"

struct args {
    char v[MAXARGS][48];
};

static int argc_of(const struct args *a)
{
    int n = 0;

    while (n < MAXARGS && a->v[n][0])
        n++;
    return n;
}

/* Parse a NULL-terminated list of arguments (argv[0] is "run"). */
static int parse_list(char **argv, struct run_options *o, struct isotest_err *e)
{
    int argc = 0;

    while (argv[argc])
        argc++;
    return options_parse(argc, argv, o, e);
}

static int parse_args(struct args *a, struct run_options *o,
                      struct isotest_err *e)
{
    char *argv[MAXARGS + 1];
    int argc = argc_of(a);

    for (int i = 0; i < argc; i++)
        argv[i] = strcmp(a->v[i], EMPTY) ? a->v[i] : "";
    argv[argc] = NULL;
    return options_parse(argc, argv, o, e);
}

Test(options, defaults)
{
    char *argv[] = {"run", "suite", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.mode, ISOTEST_DATABASE);
    cr_assert_eq(o.jobs, 0);
    cr_assert_float_eq(o.timeout_s, 300, 1e-9);
    cr_assert_eq(o.output_cap, 1 << 20);
    cr_assert_eq(o.npaths, 1);
    cr_assert_eq(o.paths[0], argv[1], "paths point into argv");
    cr_assert_null(o.db);
    cr_assert_null(o.migrations);
    cr_assert_null(o.junit);
    cr_assert_null(o.history);
    cr_assert_null(o.compare_with);
    cr_assert(!o.no_history);
    cr_assert(!o.always_psql);
    cr_assert_eq(o.pool, -1, "-1: as many as jobs");
    cr_assert_null(o.list_cmd);
    cr_assert_null(o.each_cmd);
    cr_assert_eq(o.nextensions + o.nfilters, 0);
    cr_assert(!o.keep_failed && !o.fail_fast && !o.no_cache && !o.help);
    options_release(&o);
}

struct jobs_case {
    struct args a;
    int jobs;
};

ParameterizedTestParameters(options, jobs_forms)
{
    static struct jobs_case cases[] = {
        {{{"run", "--jobs", "4", "p"}}, 4},
        {{{"run", "--jobs=4", "p"}}, 4},
        {{{"run", "-j4", "p"}}, 4},
        {{{"run", "-j", "4", "p"}}, 4},
        {{{"run", "p", "-j", "1"}}, 1},
        {{{"run", "-j1024", "p"}}, 1024},
        {{{"run", "-j2", "-j", "3", "p"}}, 3},
    };

    return cr_make_param_array(struct jobs_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct jobs_case *c, options, jobs_forms)
{
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_args(&c->a, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.jobs, c->jobs);
    cr_assert_eq(o.npaths, 1);
    cr_assert_str_eq(o.paths[0], "p");
    options_release(&o);
}

struct error_case {
    struct args a;
    char msg[120];
};

ParameterizedTestParameters(options, errors)
{
    static struct error_case cases[] = {
        {{{"run", "-j0", "p"}},
         "invalid value '0' for -j: expected a whole number from 1 to 1024"},
        {{{"run", "-j", "0", "p"}},
         "invalid value '0' for -j: expected a whole number from 1 to 1024"},
        {{{"run", "--jobs", "abc", "p"}},
         "invalid value 'abc' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs=-1", "p"}},
         "invalid value '-1' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs", "-1", "p"}},
         "invalid value '-1' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs", "1025", "p"}},
         "invalid value '1025' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs", "4x", "p"}},
         "invalid value '4x' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs=", "p"}},
         "invalid value '' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--jobs", "99999999999999999999", "p"}},
         "invalid value '99999999999999999999' for --jobs: expected a whole "
         "number from 1 to 1024"},
        {{{"run", "--timeout", "0", "p"}},
         "invalid value '0' for --timeout: expected seconds, more than 0"},
        {{{"run", "--timeout", "abc", "p"}},
         "invalid value 'abc' for --timeout: expected seconds, more than 0"},
        {{{"run", "--timeout=-1", "p"}},
         "invalid value '-1' for --timeout: expected seconds, more than 0"},
        {{{"run", "--timeout", "nan", "p"}},
         "invalid value 'nan' for --timeout: expected seconds, more than 0"},
        {{{"run", "--timeout", "inf", "p"}},
         "invalid value 'inf' for --timeout: expected seconds, more than 0"},
        {{{"run", "--bogus", "p"}}, "unknown option '--bogus'"},
        {{{"run", "-x", "p"}}, "unknown option '-x'"},
        {{{"run", "--jobsx=3", "p"}}, "unknown option '--jobsx=3'"},
        {{{"run", "p", "--jobs"}}, "option '--jobs' needs a value"},
        {{{"run", "p", "-j"}}, "option '-j' needs a value"},
        {{{"run", "p", "--db"}}, "option '--db' needs a value"},
        {{{"run", "p", "--filter"}}, "option '--filter' needs a value"},
        {{{"run", "--isolation", "bogus", "p"}},
         "invalid value 'bogus' for --isolation: expected database, schema "
         "or none"},
        {{{"run", "--isolation=Schema", "p"}},
         "invalid value 'Schema' for --isolation: expected database, schema "
         "or none"},
        {{{"run", "--output-cap", "100", "p"}},
         "invalid value '100' for --output-cap: expected a whole number from "
         "1024 to 1073741824"},
        {{{"run", "--clone-strategy", "fast", "p"}},
         "invalid value 'fast' for --clone-strategy: expected FILE_COPY or "
         "WAL_LOG"},
        {{{"run", "--extension", EMPTY, "p"}},
         "invalid value '' for --extension"},
        {{{"run", "--jobs", EMPTY, "p"}},
         "invalid value '' for --jobs: expected a whole number from 1 to "
         "1024"},
        {{{"run", "--pool", "257", "p"}},
         "invalid value '257' for --pool: expected a whole number from 0 to "
         "256"},
        {{{"run", "--list", "ls"}},
         "--list needs --each (the command to run for each listed id)"},
        {{{"run", "--each", "echo {}", "p"}},
         "--each needs --list (the command that lists the test ids)"},
        {{{"run", "--list", "ls", "--each", "echo"}},
         "--each template 'echo' has no '{}' for the test id"},
        {{{"run"}}, "no PATH given: name a suite folder or test files"},
        {{{"run", "--jobs", "4", "--fail-fast"}},
         "no PATH given: name a suite folder or test files"},
        {{{"run", "--server-option", "work_mem", "p"}},
         "--server-option: invalid server option 'work_mem': expected "
         "NAME=VALUE, NAME a PostgreSQL parameter"},
        {{{"run", "--server-option", "=1", "p"}},
         "--server-option: invalid server option '=1': expected "
         "NAME=VALUE, NAME a PostgreSQL parameter"},
        {{{"run", "--server-option", "a b=1", "p"}},
         "--server-option: invalid server option 'a b=1': expected "
         "NAME=VALUE, NAME a PostgreSQL parameter"},
        {{{"run", "--color=sometimes", "p"}},
         "invalid value 'sometimes' for --color: expected auto, always or "
         "never"},
        {{{"run", "--db", "host=x", "--server-option", "work_mem=1MB", "p"}},
         "--server-option 'work_mem=1MB' sets up the embedded server: --db "
         "names a server isotest does not start"},
    };

    return cr_make_param_array(struct error_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct error_case *c, options, errors)
{
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_args(&c->a, &o, &e), -1, "expected: %s", c->msg);
    cr_assert_not_null(e.msg);
    cr_assert_str_eq(e.msg, c->msg);
    cr_assert_null(o.paths, "arrays are released on failure");
    cr_assert_null(o.extensions);
    cr_assert_null(o.filters);
    isotest_err_release(&e);
}

Test(options, extension_name_too_long)
{
    char name[65];
    char *argv[] = {"run", "--extension", name, "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(name, 'x', 64);
    name[64] = '\0';
    cr_assert_eq(parse_list(argv, &o, &e), -1);
    cr_assert_not_null(strstr(e.msg, "--extension"), "%s", e.msg);
    isotest_err_release(&e);
    name[63] = '\0';
    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.nextensions, 1);
    options_release(&o);
}

Test(options, timeout_accepts_fractions)
{
    char *a[] = {"run", "--timeout", "1.5", "p", NULL};
    char *b[] = {"run", "--timeout=0.25", "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(a, &o, &e), 0, "%s", e.msg);
    cr_assert_float_eq(o.timeout_s, 1.5, 1e-9);
    options_release(&o);
    cr_assert_eq(parse_list(b, &o, &e), 0, "%s", e.msg);
    cr_assert_float_eq(o.timeout_s, 0.25, 1e-9);
    options_release(&o);
}

struct mode_case {
    char arg[32];
    enum isotest_isolation mode;
};

ParameterizedTestParameters(options, isolation)
{
    static struct mode_case cases[] = {
        {"--isolation=database", ISOTEST_DATABASE},
        {"--isolation=schema", ISOTEST_SCHEMA},
        {"--isolation=none", ISOTEST_NONE},
    };

    return cr_make_param_array(struct mode_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct mode_case *c, options, isolation)
{
    char *argv[] = {"run", c->arg, "p", NULL};
    char *spaced[] = {"run", "--isolation", strchr(c->arg, '=') + 1, "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.mode, c->mode);
    options_release(&o);
    cr_assert_eq(parse_list(spaced, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.mode, c->mode);
    options_release(&o);
}

Test(options, double_dash_ends_options)
{
    char *argv[] = {"run", "-j2", "a", "--", "-weird", "--jobs", "-", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.jobs, 2);
    cr_assert_eq(o.npaths, 4);
    cr_assert_str_eq(o.paths[0], "a");
    cr_assert_str_eq(o.paths[1], "-weird");
    cr_assert_str_eq(o.paths[2], "--jobs");
    cr_assert_str_eq(o.paths[3], "-");
    options_release(&o);
}

Test(options, lone_dash_is_a_path)
{
    char *argv[] = {"run", "-", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.npaths, 1);
    cr_assert_str_eq(o.paths[0], "-");
    options_release(&o);
}

Test(options, repeatable_options_keep_order)
{
    char *argv[] = {"run",      "--extension", "pgtap",
                    "s1",       "--filter=a*", "--extension=hstore",
                    "--filter", "*b",          "s2",
                    NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.nextensions, 2);
    cr_assert_str_eq(o.extensions[0], "pgtap");
    cr_assert_str_eq(o.extensions[1], "hstore");
    cr_assert_eq(o.nfilters, 2);
    cr_assert_str_eq(o.filters[0], "a*");
    cr_assert_str_eq(o.filters[1], "*b");
    cr_assert_eq(o.npaths, 2);
    cr_assert_str_eq(o.paths[0], "s1");
    cr_assert_str_eq(o.paths[1], "s2");
    options_release(&o);
    cr_assert_null(o.extensions);
    cr_assert_eq(o.nextensions + o.nfilters + o.npaths, 0);
}

Test(options, valued_and_flag_options)
{
    char *argv[] = {"run",
                    "--db=postgresql://u@h/db",
                    "--migrations",
                    "migr",
                    "--junit",
                    "out.xml",
                    "--output-cap=2048",
                    "--clone-strategy",
                    "WAL_LOG",
                    "--keep-failed",
                    "--fail-fast",
                    "--no-cache",
                    "--history",
                    "h.tsv",
                    "--compare-with=old.xml",
                    "--no-history",
                    "--always-psql",
                    "--pool",
                    "0",
                    "p",
                    NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_str_eq(o.db, "postgresql://u@h/db");
    cr_assert_str_eq(o.migrations, "migr");
    cr_assert_str_eq(o.junit, "out.xml");
    cr_assert_eq(o.output_cap, 2048);
    cr_assert_str_eq(o.clone_strategy, "WAL_LOG");
    cr_assert(o.keep_failed && o.fail_fast && o.no_cache);
    cr_assert_str_eq(o.history, "h.tsv");
    cr_assert_str_eq(o.compare_with, "old.xml");
    cr_assert(o.no_history);
    cr_assert(o.always_psql);
    cr_assert_eq(o.pool, 0);
    options_release(&o);
}

/* The pg_regress workflow's options; accept's table takes the same. */
Test(options, results_dir_and_ignore_space_change)
{
    char *argv[] = {"run", "--results-dir=out/", "--ignore-space-change", "p",
                    NULL};
    char *plain[] = {"run", "p", NULL};
    char *empty[] = {"run", "--results-dir", "", "p", NULL};
    char *file[] = {"run", "--results-dir", "/dev/null", "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(plain, &o, &e), 0, "%s", e.msg);
    cr_assert_null(o.results_dir);
    cr_assert(!o.ignore_space_change, "exact is the default");
    options_release(&o);
    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_str_eq(o.results_dir, "out/");
    cr_assert(o.ignore_space_change);
    options_release(&o);
    cr_assert_eq(parse_list(empty, &o, &e), -1);
    cr_assert_str_eq(e.msg,
                     "invalid value '' for --results-dir: expected a folder");
    isotest_err_release(&e);
    cr_assert_eq(parse_list(file, &o, &e), -1);
    cr_assert_str_eq(e.msg,
                     "invalid value '/dev/null' for --results-dir: not a "
                     "folder");
    isotest_err_release(&e);
    cr_assert_not_null(strstr(options_run_usage, "--results-dir DIR"));
    cr_assert_not_null(strstr(options_run_usage, "--ignore-space-change"));
}

Test(options, list_and_each_need_no_path)
{
    char *argv[] = {"run", "--list", "printf 'a\\n'", "--each=sh -c {}", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_str_eq(o.list_cmd, "printf 'a\\n'");
    cr_assert_str_eq(o.each_cmd, "sh -c {}");
    cr_assert_eq(o.npaths, 0);
    options_release(&o);
}

Test(options, help_skips_the_usage_checks)
{
    char *a[] = {"run", "--help", NULL};
    char *b[] = {"run", "-h", "--list", "x", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(a, &o, &e), 0, "%s", e.msg);
    cr_assert(o.help);
    options_release(&o);
    cr_assert_eq(parse_list(b, &o, &e), 0, "%s", e.msg);
    cr_assert(o.help);
    options_release(&o);
    cr_assert_not_null(strstr(options_run_usage, "--jobs"));
}

Test(options, number_helpers)
{
    long n = 0;
    double d = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(options_int("--x", "17", 1, 20, &n, &e), 0);
    cr_assert_eq(n, 17);
    cr_assert_eq(options_int("--x", "21", 1, 20, &n, &e), -1);
    cr_assert_str_eq(e.msg, "invalid value '21' for --x: expected a whole "
                            "number from 1 to 20");
    cr_assert_eq(n, 17, "output untouched on error");
    cr_assert_eq(options_seconds("--t", "2.5", &d, &e), 0);
    cr_assert_float_eq(d, 2.5, 1e-9);
    cr_assert_eq(options_seconds("--t", "1e9", &d, &e), -1);
    cr_assert_float_eq(d, 2.5, 1e-9);
    isotest_err_release(&e);
}

/* The scanner itself, on a table of its own (as bench and clean use it). */
struct scanned {
    bool flag;
    const char *name;
    int count;
};

#define SC(field) offsetof(struct scanned, field)
static const struct opt_spec scan_specs[] = {
    {"--flag", "-f", OPT_FLAG, SC(flag), 0, 0, NULL},
    {"--name", NULL, OPT_VALUE, SC(name), 0, 0, opt_set_string},
    {"--count", "-c", OPT_VALUE, SC(count), 1, 9, opt_set_int},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef SC

Test(options, scan_passes_unknown_options_on_in_order)
{
    char *argv[] = {"bench",    "--timeout", "5",  "-c3", "--flag", "suite",
                    "--name=x", "--pool=2",  "--", "-j",  NULL};
    struct scanned s = {0};
    const char **rest = NULL;
    size_t nrest = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(
        options_scan(10, argv, scan_specs, &s, true, &rest, &nrest, &e), 0,
        "%s", e.msg);
    cr_assert(s.flag);
    cr_assert_eq(s.count, 3);
    cr_assert_str_eq(s.name, "x");
    const char *want[] = {"--timeout", "5", "suite", "--pool=2", "--", "-j"};
    cr_assert_eq(nrest, 6);
    for (size_t i = 0; i < nrest; i++)
        cr_assert_str_eq(rest[i], want[i]);
    free(rest);
}

Test(options, scan_refuses_unknown_and_names_the_spelling)
{
    char *a[] = {"clean", "--bogus", NULL};
    char *b[] = {"clean", "-c", "10", NULL};
    char *c[] = {"clean", "--name", NULL};
    struct scanned s = {0};
    const char **rest = NULL;
    size_t nrest = 0;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(options_scan(2, a, scan_specs, &s, false, &rest, &nrest, &e),
                 -1);
    cr_assert_str_eq(e.msg, "unknown option '--bogus'");
    cr_assert_eq(options_scan(3, b, scan_specs, &s, false, &rest, &nrest, &e),
                 -1);
    cr_assert_str_eq(e.msg, "invalid value '10' for -c: expected a whole "
                            "number from 1 to 9");
    cr_assert_eq(options_scan(2, c, scan_specs, &s, false, &rest, &nrest, &e),
                 -1);
    cr_assert_str_eq(e.msg, "option '--name' needs a value");
    free(rest);
    isotest_err_release(&e);
}

Test(options, server_options_repeat_in_order_and_pg_bindir)
{
    char *argv[] = {"run",
                    "--server-option",
                    "max_locks_per_transaction=1024",
                    "--server-option=auto_explain.log_min_duration=0",
                    "--pg-bindir",
                    "/opt/pg/bin",
                    "suite",
                    NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(argv, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.nserver_options, 2);
    cr_expect_str_eq(o.server_options[0], "max_locks_per_transaction=1024");
    cr_expect_str_eq(o.server_options[1], "auto_explain.log_min_duration=0");
    cr_expect_str_eq(o.pg_bindir, "/opt/pg/bin");
    cr_expect_eq(o.npaths, 1);
    options_release(&o);
    cr_expect_null(o.server_options);
    cr_expect_eq(o.nserver_options, 0);
}

Test(options, color)
{
    char *dflt[] = {"run", "p", NULL};
    char *always[] = {"run", "--color=always", "p", NULL};
    char *never[] = {"run", "--color", "never", "p", NULL};
    struct run_options o;
    struct isotest_err e = ISOTEST_ERR_INIT;

    cr_assert_eq(parse_list(dflt, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.color, CONSOLE_COLOR_AUTO);
    options_release(&o);
    cr_assert_eq(parse_list(always, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.color, CONSOLE_COLOR_ALWAYS);
    options_release(&o);
    cr_assert_eq(parse_list(never, &o, &e), 0, "%s", e.msg);
    cr_assert_eq(o.color, CONSOLE_COLOR_NEVER);
    options_release(&o);
}
