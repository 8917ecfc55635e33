/*
 * main.c: the isotest command line, dispatching to the commands
 * (commands.h); the signal registry starts first (signals.h).
 */
#include "commands.h"
#include "signals.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: isotest <command> [options]\n"
    "\n"
    "  run PATH...     run test cases in parallel, each in its own sandbox\n"
    "  list PATH...    print the cases a run would execute\n"
    "  accept PATH...  make the results files of expected-output cases\n"
    "                  (results/NAME.out) their expected files\n"
    "  bench PATH...   the suite serially and in parallel, compared\n"
    "  exec -- CMD     run a test framework with a sandbox per test,\n"
    "                  handed out over a local socket\n"
    "  clean           drop what dead runs left on a server\n"
    "  backup          backups proven by restore: create, verify, restore, "
    "list\n"
    "  merge IN.xml... the JUnit reports of a run's shards (--shard) as\n"
    "                  one report (-o OUT.xml), summary and exit code\n"
    "  drift           a live database's schema against its migrations\n"
    "  audit           test objects left in a database that should have "
    "none\n"
    "  doctor          what a sandbox costs on a server, why, and the mode "
    "to use\n"
    "\n"
    "  isotest <command> --help   options of a command\n"
    "  isotest --version\n";

static const struct {
    const char *name;
    int (*fn)(int, char **);
} commands[] = {
    {"run", cmd_run},       {"list", cmd_list},     {"bench", cmd_bench},
    {"clean", cmd_clean},   {"exec", cmd_exec},     {"merge", cmd_merge},
    {"backup", cmd_backup}, {"drift", cmd_drift},   {"audit", cmd_audit},
    {"doctor", cmd_doctor}, {"accept", cmd_accept},
};

static void xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int main(int argc, char **argv)
{
    int (*fn)(int, char **) = NULL;

    if (argc < 2) {
        fputs(usage, stderr);
        return EXIT_CANNOT;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("isotest %s\n", ISOTEST_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            fn = commands[i].fn;
    if (!fn) {
        fprintf(stderr, "isotest: error: unknown command '%s' (", argv[1]);
        for (size_t i = 0; i < sizeof(commands) / sizeof(*commands); i++)
            fprintf(stderr, "%s%s", i ? ", " : "", commands[i].name);
        fputs(")\n", stderr);
        return EXIT_CANNOT;
    }
    xmlInitParser();
    /* Errors come back as return values; libxml2 must not print them. */
    xmlSetGenericErrorFunc(NULL, xml_quiet);
    if (signals_start() < 0) {
        fputs("isotest: error: cannot start the signal thread\n", stderr);
        return EXIT_CANNOT;
    }
    int code = fn(argc - 1, argv + 1);
    signals_stop();
    xmlCleanupParser();
    return code;
}
