/*
 * fieldagent/sim/main.c: truckroll-sim, the field agent's simulator: a
 * table of subcommands, each a function in its own file (sim.h). Add a
 * subcommand by adding a row. Does no work itself. Holds the only mutable
 * static: the signal flag that ends `run`.
 */
#include "fieldagent/sim/sim.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int run_main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return tr_sim_run_main(argc, argv, &stop_flag);
}

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct subcommand commands[] = {
    { "policy", tr_sim_policy_main,
      "replay a GPX track through the position reporting policy (scripts/bench)" },
    { "run", run_main, "run a fleet of simulated agents against a dispatcher (scripts/demo)" },
    { "fleet", tr_sim_fleet_main, "write the demo fleet as a contractor CSV file" },
    { "jobs", tr_sim_jobs_main,
      "a paced feed of demo jobs near a fleet, for truckroll job create" },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
    fprintf(to, "NAME\n"
                "    truckroll-sim - simulate truckroll field agents\n"
                "\n"
                "SYNOPSIS\n"
                "    truckroll-sim COMMAND [ARGS...]\n"
                "    truckroll-sim help [COMMAND]\n"
                "    truckroll-sim --version\n"
                "\n"
                "COMMANDS\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "    %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\n"
                "    truckroll-sim COMMAND --help tells more about one command.\n"
                "\n"
                "EXIT STATUS\n"
                "    That of the command; 2 for an unknown command or option.\n");
}

static const struct subcommand *find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version")) {
        printf("truckroll-sim %s\n", TR_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const struct subcommand *sc = find(argv[2]);
        if (!sc) {
            fprintf(stderr, "truckroll-sim: unknown command '%s' (try --help)\n", argv[2]);
            return 2;
        }
        char help[] = "--help";
        char *args[] = { argv[2], help, NULL };
        return sc->run(2, args);
    }
    const struct subcommand *sc = find(cmd);
    if (!sc) {
        fprintf(stderr, "truckroll-sim: unknown command '%s' (try --help)\n", cmd);
        return 2;
    }
    return sc->run(argc - 1, argv + 1);
}
