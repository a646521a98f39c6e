/*
 * dispatcher/cli/commands.h: the subcommands of the `truckroll` console.
 * Each takes the arguments after "truckroll" (argv[0] is the subcommand's
 * name) and returns the process exit code: 0 success, 1 bad input or a
 * failed operation, 2 usage error, 3 missing or unreadable data.
 */
#ifndef TR_CLI_COMMANDS_H
#define TR_CLI_COMMANDS_H

/* truckroll where: country / US state / county of a position (cli/where.c). */
int tr_cli_where(int argc, char **argv);

#endif
