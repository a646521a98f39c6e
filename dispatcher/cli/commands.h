/*
 * dispatcher/cli/commands.h: the subcommands of the `truckroll` console.
 * Each takes the arguments after "truckroll" (argv[0] is the subcommand's
 * name) and returns the process exit code: 0 success, 1 bad input or a
 * failed operation (an error answer from the dispatcher), 2 usage error,
 * 3 missing data, or no answer (broker unreachable, dispatcher offline or
 * silent past the timeout). See client.h for the commands that talk to the
 * dispatcher.
 */
#ifndef TR_CLI_COMMANDS_H
#define TR_CLI_COMMANDS_H

#include <signal.h>

/* Set by main.c's SIGINT/SIGTERM handler; long waits end when it is. */
extern volatile sig_atomic_t tr_cli_stop;

/* truckroll where: country / US state / county of a position (cli/where.c). */
int tr_cli_where(int argc, char **argv);
/* truckroll job create|list|show|cancel|reassign|watch (cli/job.c). */
int tr_cli_job(int argc, char **argv);
/* truckroll contractor add|import|list|show|set (cli/contractor.c). */
int tr_cli_contractor(int argc, char **argv);
/* truckroll fleet: the live table (cli/fleet.c). */
int tr_cli_fleet(int argc, char **argv);
/* truckroll directory / coverage: who is where, and the gaps (cli/directory.c). */
int tr_cli_directory(int argc, char **argv);
int tr_cli_coverage(int argc, char **argv);

#endif
