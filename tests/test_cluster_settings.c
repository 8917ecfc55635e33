/*
 * test_cluster_settings.c: the embedded server's command line and the
 * user's settings (isolation/cluster_settings.c): the form check (table),
 * the user's settings after isotest's own (so they win), and the setting
 * a start-up failure names picked out of the server log.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "isolation/cluster_int.h"

struct form_case {
    char setting[48];
    bool ok;
};

ParameterizedTestParameters(cluster_settings, form)
{
    static struct form_case cases[] = {
        {"max_locks_per_transaction=1024", true},
        {"work_mem=64MB", true},
        {"auto_explain.log_min_duration=0", true},
        {"search_path=a,b", true},
        {"listen_addresses=", true},
        {"work_mem", false},
        {"=1", false},
        {"work mem=1", false},
        {"work-mem=1", false},
        {"", false},
    };
    return cr_make_param_array(struct form_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct form_case *c, cluster_settings, form)
{
    struct isotest_err e = ISOTEST_ERR_INIT;
    int r = cluster_setting_check(c->setting, &e);

    cr_expect_eq(r, c->ok ? 0 : -1, "'%s'", c->setting);
    if (!c->ok)
        cr_expect(e.msg && strstr(e.msg, c->setting), "%s",
                  e.msg ? e.msg : "(none)");
    isotest_err_release(&e);
}

Test(cluster_settings, user_settings_come_last)
{
    char *settings[] = {"max_locks_per_transaction=1000", "work_mem=64MB"};
    struct cluster c;

    memset(&c, 0, sizeof(c));
    c.datadir = "/d";
    c.settings = settings;
    c.n_settings = 2;
    const char **argv = cluster_server_argv(&c, "/bin/postgres", "sock=x");
    size_t n = 0, own = 0;
    while (argv[n]) {
        if (!strcmp(argv[n], "max_locks_per_transaction=256"))
            own = n;
        n++;
    }
    cr_assert_geq(n, 4);
    cr_expect_str_eq(argv[0], "/bin/postgres");
    cr_expect(own > 0, "isotest's own value is there");
    cr_expect_str_eq(argv[n - 4], "-c");
    cr_expect_str_eq(argv[n - 3], "max_locks_per_transaction=1000");
    cr_expect_str_eq(argv[n - 2], "-c");
    cr_expect_str_eq(argv[n - 1], "work_mem=64MB");
    free(argv);
}

Test(cluster_settings, refused_setting_is_named)
{
    char *settings[] = {"work_mem=1MB", "max_connections=abc"};
    struct cluster c;
    struct isotest_err e = ISOTEST_ERR_INIT;

    memset(&c, 0, sizeof(c));
    c.settings = settings;
    c.n_settings = 2;
    err_set(&e, "embedded server exited during start-up");
    cluster_refused_setting(&c, "LOG:  starting\n", &e);
    cr_expect_str_eq(e.msg, "embedded server exited during start-up");
    cluster_refused_setting(
        &c,
        "embedded server exited during start-up\nserver log (last lines):\n"
        "2026-01-01 FATAL:  invalid value for parameter \"max_connections\": "
        "\"abc\"\nLOG:  done",
        &e);
    cr_expect_str_eq(e.msg, "the embedded server refused server option "
                            "'max_connections=abc': invalid value for "
                            "parameter \"max_connections\": \"abc\"");
    isotest_err_release(&e);
}
