/*
 * dispatcher/cli/job.h: what the `truckroll job` subcommands share inside
 * cli/ (job.c: create, list, show, cancel, reassign; job_watch.c: watch and
 * following one job for create --wait).
 */
#ifndef TR_CLI_JOB_H
#define TR_CLI_JOB_H

#include <stdint.h>

#include "common/msg.h"
#include "dispatcher/cli/client.h"

/* Follow job_id's status topic (subscribed and connected already) and
 * print each change on stderr until the job reaches `target` or a later
 * state of its lifecycle (0), is cancelled or failed (1), deadline (3), or
 * an interrupt (130: the wait was cut short, nothing is known).
 * A job waiting as unassigned is followed on: the dispatcher retries it. */
int tr_cli_job_wait(struct tr_cli *c, const char *job_id, enum tr_job_state target,
                    int64_t deadline);

/* truckroll job watch [ID] */
int tr_cli_job_watch(int argc, char **argv);

/* The status topic of one job ("truckroll/v1/job/ID/status"), or of all
 * with id NULL. */
void tr_cli_job_topic(const char *id, char *buf, size_t cap);

#endif
