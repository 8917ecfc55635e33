/*
 * options.c: the option scanner, and the options of `isotest run` (their
 * --help text is in options_usage.c).
 */
#include "options.h"
#include "common/strbuf.h"
#include "config.h"
#include "reporters/console.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void push(const char ***v, size_t *n, const char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = s;
}

int options_int(const char *opt, const char *s, long min, long max, long *out,
                struct isotest_err *e)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < min || v > max)
        return err_set(e,
                       "invalid value '%s' for %s: expected a whole number "
                       "from %ld to %ld",
                       s, opt, min, max);
    *out = v;
    return 0;
}

int options_seconds(const char *opt, const char *s, double *out,
                    struct isotest_err *e)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (!*s || *end || errno || !isfinite(v) || v <= 0 || v > 86400 * 7)
        return err_set(e,
                       "invalid value '%s' for %s: expected seconds, more "
                       "than 0",
                       s, opt);
    *out = v;
    return 0;
}

/* options.h; "-jN" too for short options. */
int options_take(int argc, char **argv, int *i, const char *lng,
                 const char *shrt, const char **val, struct isotest_err *e)
{
    const char *a = argv[*i];
    size_t l = strlen(lng);

    if (!strncmp(a, lng, l) && a[l] == '=') {
        *val = a + l + 1;
        return 1;
    }
    if (!strcmp(a, lng) || (shrt && !strcmp(a, shrt))) {
        if (*i + 1 >= argc)
            return err_set(e, "option '%s' needs a value", a);
        *val = argv[++*i];
        return 1;
    }
    if (shrt && !strncmp(a, shrt, strlen(shrt)) && a[strlen(shrt)]) {
        *val = a + strlen(shrt);
        return 1;
    }
    return 0;
}

int options_scan(int argc, char **argv, const struct opt_spec *specs, void *dst,
                 bool pass_unknown, const char ***rest, size_t *nrest,
                 struct isotest_err *e)
{
    bool only_rest = false;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        const struct opt_spec *s;
        int r = 0;

        if (only_rest || a[0] != '-' || !strcmp(a, "-")) {
            push(rest, nrest, a);
            continue;
        }
        if (!strcmp(a, "--") && !pass_unknown) {
            only_rest = true;
            continue;
        }
        for (s = specs; s->lng && r == 0; s++) {
            if (s->kind == OPT_FLAG) {
                r = !strcmp(a, s->lng) || (s->shrt && !strcmp(a, s->shrt));
                if (r)
                    *(bool *)((char *)dst + s->off) = true;
            } else if (s->kind == OPT_OPTIONAL) {
                size_t l = strlen(s->lng);
                r = !strncmp(a, s->lng, l) && (!a[l] || a[l] == '=');
                if (r && s->set(s, a, a[l] ? a + l + 1 : NULL,
                                (char *)dst + s->off, dst, e) < 0)
                    return -1;
            } else {
                r = options_take(argc, argv, &i, s->lng, s->shrt, &v, e);
                if (r > 0 && s->set(s, a, v, (char *)dst + s->off, dst, e) < 0)
                    return -1;
            }
        }
        if (r < 0)
            return -1;
        if (r == 0 && !pass_unknown)
            return err_set(e, "unknown option '%s'", a);
        if (r == 0)
            push(rest, nrest, a);
    }
    return 0;
}

int opt_set_string(const struct opt_spec *s, const char *as, const char *v,
                   void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst, (void)e;
    *(const char **)field = v;
    return 0;
}

/* The spelling the user gave ("-j" or "--jobs") names the option. */
static const char *spelled(const struct opt_spec *s, const char *as)
{
    return s->shrt && !strncmp(as, s->shrt, strlen(s->shrt)) &&
                   strncmp(as, "--", 2)
               ? s->shrt
               : s->lng;
}

int opt_set_int(const struct opt_spec *s, const char *as, const char *v,
                void *field, void *dst, struct isotest_err *e)
{
    long n;

    (void)dst;
    if (options_int(spelled(s, as), v, s->min, s->max, &n, e) < 0)
        return -1;
    *(int *)field = (int)n;
    return 0;
}

/* The same into a size_t field (its min is at least 0). */
static int set_size(const struct opt_spec *s, const char *as, const char *v,
                    void *field, void *dst, struct isotest_err *e)
{
    int n;

    if (opt_set_int(s, as, v, &n, dst, e) < 0)
        return -1;
    *(size_t *)field = (size_t)n;
    return 0;
}

static int set_seconds(const struct opt_spec *s, const char *as, const char *v,
                       void *field, void *dst, struct isotest_err *e)
{
    (void)as, (void)dst;
    return options_seconds(s->lng, v, (double *)field, e);
}

int opt_set_isolation(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (isotest_isolation_parse(v, (enum isotest_isolation *)field) < 0)
        return err_set(e,
                       "invalid value '%s' for --isolation: expected "
                       "database, schema or none",
                       v);
    return 0;
}

int opt_set_strategy(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (strcmp(v, "FILE_COPY") && strcmp(v, "WAL_LOG"))
        return err_set(e,
                       "invalid value '%s' for --clone-strategy: "
                       "expected FILE_COPY or WAL_LOG",
                       v);
    *(const char **)field = v;
    return 0;
}

/* The list options of a run: the field is the array, counts beside it. */
static int push_to(const struct opt_spec *s, const char *v, void *dst)
{
    struct run_options *o = dst;
    const char ***arr = (const char ***)((char *)dst + s->off);
    size_t *n = arr == &o->extensions       ? &o->nextensions
                : arr == &o->filters        ? &o->nfilters
                : arr == &o->psql_vars      ? &o->npsql_vars
                : arr == &o->envs           ? &o->nenvs
                : arr == &o->pass_envs      ? &o->npass_envs
                : arr == &o->server_options ? &o->nserver_options
                                            : &o->nexclude_schemas;

    push(arr, n, v);
    return 0;
}

static int set_extension(const struct opt_spec *s, const char *as,
                         const char *v, void *field, void *dst,
                         struct isotest_err *e)
{
    (void)as, (void)field;
    if (!*v || strlen(v) > 63)
        return err_set(e, "invalid value '%s' for --extension", v);
    return push_to(s, v, dst);
}

static int set_filter(const struct opt_spec *s, const char *as, const char *v,
                      void *field, void *dst, struct isotest_err *e)
{
    (void)as, (void)field, (void)e;
    return push_to(s, v, dst);
}

/* [A-Za-z0-9_]+, and with a leading digit only when `digit_first`. */
static bool var_name(const char *s, size_t n, bool digit_first)
{
    if (!n || (!digit_first && *s >= '0' && *s <= '9'))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            return false;
    return true;
}

/* --set NAME=VALUE (a psql variable) and --env NAME=VALUE. */
static int set_assignment(const struct opt_spec *s, const char *as,
                          const char *v, void *field, void *dst,
                          struct isotest_err *e)
{
    const char *eq = strchr(v, '=');
    bool psql = !strcmp(s->lng, "--set");

    (void)as, (void)field;
    if (!eq || !var_name(v, (size_t)(eq - v), psql))
        return err_set(e,
                       "invalid value '%s' for %s: expected NAME=VALUE, "
                       "NAME of letters, digits and '_'",
                       v, s->lng);
    return push_to(s, v, dst);
}

static int set_pass_env(const struct opt_spec *s, const char *as, const char *v,
                        void *field, void *dst, struct isotest_err *e)
{
    (void)as, (void)field;
    if (!var_name(v, strlen(v), false))
        return err_set(e,
                       "invalid value '%s' for --pass-env: expected a "
                       "variable name (letters, digits and '_')",
                       v);
    return push_to(s, v, dst);
}

/* NAME=VALUE, checked here so that a bad one fails before discovery. */
static int set_server_option(const struct opt_spec *s, const char *as,
                             const char *v, void *field, void *dst,
                             struct isotest_err *e)
{
    (void)as, (void)field;
    if (isotest_server_option_check(v, e) < 0)
        return err_prefix(e, "--server-option");
    return push_to(s, v, dst);
}

static int set_shard(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    return shard_parse(v, (struct shard *)field, e);
}

/* ---- the pg_regress workflow's option (run, accept) ---- */

/* Checked now, so that no case runs before a bad value is refused. */
int opt_set_results_dir(const struct opt_spec *s, const char *as, const char *v,
                        void *field, void *dst, struct isotest_err *e)
{
    struct stat st;

    (void)as, (void)dst;
    if (!*v)
        return err_set(e, "invalid value '' for %s: expected a folder", s->lng);
    if (stat(v, &st) == 0 && !S_ISDIR(st.st_mode))
        return err_set(e, "invalid value '%s' for %s: not a folder", v, s->lng);
    *(const char **)field = v;
    return 0;
}

/* --pgtap-functions[=PATTERN]: a POSIX regular expression, as pgTAP's. */
static int set_pgtap_functions(const struct opt_spec *s, const char *as,
                               const char *v, void *field, void *dst,
                               struct isotest_err *e)
{
    (void)s, (void)as, (void)dst;
    if (v && !*v)
        return err_set(e, "invalid value '' for --pgtap-functions: expected "
                          "a regular expression for the test functions' "
                          "names (default ^test)");
    *(const char **)field = v ? v : "^test";
    return 0;
}

/* --color=auto|always|never. */
static int set_color(const struct opt_spec *s, const char *as, const char *v,
                     void *field, void *dst, struct isotest_err *e)
{
    static const char *const words[] = {"auto", "always", "never"};
    static const enum console_color of[] = {
        CONSOLE_COLOR_AUTO, CONSOLE_COLOR_ALWAYS, CONSOLE_COLOR_NEVER};

    (void)s, (void)as, (void)dst;
    for (size_t i = 0; i < 3; i++)
        if (!strcmp(v, words[i])) {
            *(int *)field = (int)of[i];
            return 0;
        }
    return err_set(e,
                   "invalid value '%s' for --color: expected auto, always "
                   "or never",
                   v);
}

#define RUN(field) offsetof(struct run_options, field)
static const struct opt_spec run_specs[] = {
    {"--help", "-h", OPT_FLAG, RUN(help), 0, 0, NULL},
    {"--keep-failed", NULL, OPT_FLAG, RUN(keep_failed), 0, 0, NULL},
    {"--fail-fast", NULL, OPT_FLAG, RUN(fail_fast), 0, 0, NULL},
    {"--fail-on-flaky", NULL, OPT_FLAG, RUN(fail_on_flaky), 0, 0, NULL},
    {"--fail-on-escape", NULL, OPT_FLAG, RUN(fail_on_escape), 0, 0, NULL},
    {"--no-escape-check", NULL, OPT_FLAG, RUN(no_escape_check), 0, 0, NULL},
    {"--retries", NULL, OPT_VALUE, RUN(retries), 0, 100, opt_set_int},
    {"--tap", NULL, OPT_PATH, RUN(tap), 0, 0, opt_set_string},
    {"--no-history", NULL, OPT_FLAG, RUN(no_history), 0, 0, NULL},
    {"--always-psql", NULL, OPT_FLAG, RUN(always_psql), 0, 0, NULL},
    {"--no-cache", NULL, OPT_FLAG, RUN(no_cache), 0, 0, NULL},
    {"--db", NULL, OPT_VALUE, RUN(db), 0, 0, opt_set_string},
    {"--migrations", NULL, OPT_PATH, RUN(migrations), 0, 0, opt_set_string},
    {"--isolation", NULL, OPT_VALUE, RUN(mode), 0, 0, opt_set_isolation},
    {"--jobs", "-j", OPT_VALUE, RUN(jobs), 1, 1024, opt_set_int},
    {"--junit", NULL, OPT_PATH, RUN(junit), 0, 0, opt_set_string},
    {"--html", NULL, OPT_PATH, RUN(html), 0, 0, opt_set_string},
    {"--timeout", NULL, OPT_VALUE, RUN(timeout_s), 0, 0, set_seconds},
    {"--extension", NULL, OPT_VALUE, RUN(extensions), 0, 0, set_extension},
    {"--filter", NULL, OPT_VALUE, RUN(filters), 0, 0, set_filter},
    {"--list", NULL, OPT_VALUE, RUN(list_cmd), 0, 0, opt_set_string},
    {"--each", NULL, OPT_VALUE, RUN(each_cmd), 0, 0, opt_set_string},
    {"--output-cap", NULL, OPT_VALUE, RUN(output_cap), 1024, 1L << 30,
     set_size},
    {"--pool", NULL, OPT_VALUE, RUN(pool), 0, 256, opt_set_int},
    {"--history", NULL, OPT_PATH, RUN(history), 0, 0, opt_set_string},
    {"--compare-with", NULL, OPT_PATH, RUN(compare_with), 0, 0, opt_set_string},
    {"--clone-strategy", NULL, OPT_VALUE, RUN(clone_strategy), 0, 0,
     opt_set_strategy},
    {"--schema-from", NULL, OPT_VALUE, RUN(schema_from), 0, 0, opt_set_string},
    {"--exclude-schema", NULL, OPT_VALUE, RUN(exclude_schemas), 0, 0,
     set_filter},
    {"--shard", NULL, OPT_VALUE, RUN(shard), 0, 0, set_shard},
    {"--results-dir", NULL, OPT_PATH, RUN(results_dir), 0, 0,
     opt_set_results_dir},
    {"--ignore-space-change", NULL, OPT_FLAG, RUN(ignore_space_change), 0, 0,
     NULL},
    {"--set", NULL, OPT_VALUE, RUN(psql_vars), 0, 0, set_assignment},
    {"--env", NULL, OPT_VALUE, RUN(envs), 0, 0, set_assignment},
    {"--pass-env", NULL, OPT_VALUE, RUN(pass_envs), 0, 0, set_pass_env},
    {"--config", NULL, OPT_VALUE, RUN(config), 0, 0, opt_set_string},
    {"--no-config", NULL, OPT_FLAG, RUN(no_config), 0, 0, NULL},
    {"--server-option", NULL, OPT_VALUE, RUN(server_options), 0, 0,
     set_server_option},
    {"--pg-bindir", NULL, OPT_PATH, RUN(pg_bindir), 0, 0, opt_set_string},
    {"--suite", NULL, OPT_VALUE, RUN(suite_name), 0, 0, opt_set_string},
    {"--pgtap-functions", NULL, OPT_OPTIONAL, RUN(pgtap_functions), 0, 0,
     set_pgtap_functions},
    {"--pgtap-batch", NULL, OPT_VALUE, RUN(pgtap_batch), 1, 1000000,
     opt_set_int},
    {"--color", NULL, OPT_VALUE, RUN(color), 0, 0, set_color},
    {NULL, NULL, OPT_FLAG, 0, 0, 0, NULL},
};
#undef RUN

/* What no single option can say: the combinations. */
static int check_run(const struct run_options *o, struct isotest_err *e)
{
    if (!!o->list_cmd != !!o->each_cmd)
        return err_set(e, o->list_cmd ? "--list needs --each (the command "
                                        "to run for each listed id)"
                                      : "--each needs --list (the command "
                                        "that lists the test ids)");
    if (o->each_cmd && !strstr(o->each_cmd, "{}"))
        return err_set(e, "--each template '%s' has no '{}' for the test id",
                       o->each_cmd);
    if (o->schema_from && o->migrations)
        return err_set(e, "--schema-from and --migrations exclude each other");
    if (o->schema_from && o->mode == ISOTEST_SCHEMA)
        return err_set(e, "--schema-from needs --isolation database or none "
                          "(a schema dump names its schemas)");
    if (o->nexclude_schemas && !o->schema_from)
        return err_set(e, "--exclude-schema needs --schema-from");
    if (o->fail_on_escape && o->no_escape_check)
        return err_set(e, "--fail-on-escape and --no-escape-check exclude "
                          "each other");
    if (o->nserver_options && o->db)
        return err_set(e,
                       "--server-option '%s' sets up the embedded server: "
                       "--db names a server isotest does not start",
                       o->server_options[0]);
    if (!o->npaths && !o->list_cmd)
        return err_set(e, "no PATH given: name a suite folder or test files");
    if (o->pgtap_batch && !o->pgtap_functions)
        return err_set(e, "--pgtap-batch needs --pgtap-functions");
    if (o->pgtap_functions && !o->npaths)
        return err_set(e, "--pgtap-functions needs a suite PATH (its "
                          "migrations create the test functions)");
    return 0;
}

static int scan_run(int argc, char **argv, struct run_options *o,
                    struct isotest_err *e)
{
    memset(o, 0, sizeof(*o));
    o->mode = ISOTEST_DATABASE;
    o->timeout_s = 300;
    o->output_cap = 1 << 20;
    o->pool = -1;
    return options_scan(argc, argv, run_specs, o, false, &o->paths, &o->npaths,
                        e);
}

static const struct opt_spec *spec_named(const char *name)
{
    for (const struct opt_spec *s = run_specs; s->lng; s++)
        if (!strcmp(name, s->lng) || (s->shrt && !strcmp(name, s->shrt)))
            return s;
    return NULL;
}

/*
 * One line of the file as arguments (appended to *args), checked on its
 * own: what is wrong with it is said with its line number.
 */
static int config_line_args(const struct config *c, const struct config_line *l,
                            char ***args, size_t *nargs, struct isotest_err *e)
{
    const struct opt_spec *s = spec_named(l->name);
    char *toks[3] = {"run", l->name, NULL};
    struct run_options scratch;
    int r = 0;

    /* "--" would turn the command line's options into paths. */
    if ((s && (s->off == offsetof(struct run_options, config) ||
               s->off == offsetof(struct run_options, no_config))) ||
        !strcmp(l->name, "--"))
        r = err_set(e, "'%s' cannot be used in a configuration file", l->name);
    else if (l->name[0] != '-' || !strcmp(l->name, "-"))
        r = err_set(e,
                    "'%s' is not an option (the paths to run go on the "
                    "command line)",
                    l->name);
    else if (s && s->kind == OPT_FLAG && l->value)
        r = err_set(e, "option '%s' takes no value", l->name);
    if (r == 0) {
        toks[2] = l->value && s && s->kind == OPT_PATH
                      ? config_path_value(c, l->value)
                  : l->value ? xstrdup(l->value)
                             : NULL;
        /* An optional value only ever comes as one word: --name=value. */
        if (toks[2] && s && s->kind == OPT_OPTIONAL) {
            char *joined = xasprintf("%s=%s", l->name, toks[2]);
            free(toks[2]);
            toks[2] = NULL;
            toks[1] = joined;
        }
        r = scan_run(toks[2] ? 3 : 2, toks, &scratch, e);
        if (r == 0 && scratch.npaths)
            r = err_set(e, "unexpected '%s' after '%s'", scratch.paths[0],
                        l->name);
        options_release(&scratch);
    }
    if (r < 0) {
        free(toks[2]);
        if (toks[1] != l->name)
            free(toks[1]);
        return err_prefix(e, "%s:%d", c->path, l->lineno);
    }
    *args = xrealloc(*args, (*nargs + 2) * sizeof(**args));
    (*args)[(*nargs)++] = toks[1] != l->name ? toks[1] : xstrdup(l->name);
    if (toks[2])
        (*args)[(*nargs)++] = toks[2];
    return 0;
}

/*
 * The file's options, then argv's: scanned again into o, which then owns
 * the file's strings.  Nothing happens without a file.
 */
static int merge_config(int argc, char **argv, struct run_options *o,
                        struct isotest_err *e)
{
    if (o->no_config)
        return o->config ? err_set(e, "--config and --no-config exclude "
                                      "each other")
                         : 0;
    char *path = o->config ? xstrdup(o->config)
                           : config_default_path(o->paths, o->npaths);
    if (!path)
        return 0;
    struct config c;
    char **args = NULL;
    size_t nargs = 0;
    int r = config_load(&c, path, e);
    free(path);
    for (size_t i = 0; r == 0 && i < c.n; i++)
        r = config_line_args(&c, &c.v[i], &args, &nargs, e);
    if (r == 0) {
        char **merged = xcalloc(nargs + (size_t)argc + 1, sizeof(*merged));
        merged[0] = argv[0];
        memcpy(merged + 1, args, nargs * sizeof(*args));
        memcpy(merged + 1 + nargs, argv + 1,
               (size_t)(argc - 1) * sizeof(*argv));
        options_release(o);
        r = scan_run((int)nargs + argc, merged, o, e);
        free(merged);
        o->config_path = xstrdup(c.path);
    }
    o->config_args = args;
    o->nconfig_args = nargs;
    config_release(&c);
    return r;
}

int options_parse(int argc, char **argv, struct run_options *o,
                  struct isotest_err *e)
{
    if (scan_run(argc, argv, o, e) < 0 ||
        (!o->help && merge_config(argc, argv, o, e) < 0) ||
        (!o->help && check_run(o, e) < 0)) {
        options_release(o);
        return -1;
    }
    return 0;
}

void options_release(struct run_options *o)
{
    free(o->paths);
    free(o->extensions);
    free(o->filters);
    free(o->exclude_schemas);
    free(o->psql_vars);
    free(o->envs);
    free(o->pass_envs);
    free(o->server_options);
    o->paths = o->extensions = o->filters = o->exclude_schemas = NULL;
    o->psql_vars = o->envs = o->pass_envs = o->server_options = NULL;
    o->npaths = o->nextensions = o->nfilters = o->nexclude_schemas = 0;
    o->npsql_vars = o->nenvs = o->npass_envs = o->nserver_options = 0;
    for (size_t i = 0; i < o->nconfig_args; i++)
        free(o->config_args[i]);
    free(o->config_args);
    free(o->config_path);
    o->config_args = NULL;
    o->config_path = NULL;
    o->nconfig_args = 0;
}
