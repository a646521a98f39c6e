/*
 * dispatcher/cli/main.c: `truckroll`, the dispatcher's console: dispatches
 * to a subcommand (commands.h). Only the command table and the top-level
 * usage live here; each subcommand parses its own options.
 */
#include "dispatcher/cli/commands.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "where", tr_cli_where, "country / US state / county of a position (no dispatcher needed)" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: truckroll COMMAND [ARGS...]\n"
               "       truckroll COMMAND --help\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
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
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "truckroll: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
