/*
 * dispatcher/cli/main.c: `truckroll`, the dispatcher's console: dispatches
 * to a subcommand (commands.h). Only the command table, the top-level usage
 * and the signal flag live here; each subcommand parses its own options.
 */
#include "dispatcher/cli/commands.h"
#include "common/log.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

volatile sig_atomic_t tr_cli_stop;

static void on_signal(int sig)
{
    (void)sig;
    tr_cli_stop = 1;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "job", tr_cli_job, "create, list, show, cancel, reassign and watch jobs" },
    { "contractor", tr_cli_contractor, "add, import (CSV), list, show and change contractors" },
    { "fleet", tr_cli_fleet, "the live fleet: who is online, available, busy, where" },
    { "directory", tr_cli_directory, "who is where: contractors by country, state, county, skill" },
    { "coverage", tr_cli_coverage, "qualified contractors per county or country, gaps, hours" },
    { "where", tr_cli_where, "country / US state / county of a position (no dispatcher needed)" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: truckroll COMMAND [ARGS...]\n"
               "       truckroll COMMAND --help\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nThe console talks to the dispatcher (truckrolld) over MQTT request/response\n"
               "through the broker, so it works from any desk that reaches the broker.\n"
               "Settings: /etc/truckroll/console.conf, ~/.config/truckroll/console.conf,\n"
               "TRUCKROLL_* variables and flags (see 'truckroll job list --help').\n\n"
               "Exit status: 0 ok, 1 the dispatcher answered with an error, 2 usage error,\n"
               "3 no answer (broker unreachable, dispatcher offline or silent past the\n"
               "timeout).\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("truckroll %s\n", TR_VERSION);
        return 0;
    }
    tr_log_set_ident("truckroll");
    tr_log_set_level(TR_LOG_ERROR);      /* the MQTT session's reconnect warnings are noise here */
    if (strcmp(argv[1], "where") != 0) { /* `where -` reads stdin: Ctrl-C ends it plainly */
        struct sigaction sa = { .sa_handler = on_signal }; /* no SA_RESTART: waits end */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "truckroll: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
