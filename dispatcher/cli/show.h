/*
 * dispatcher/cli/show.h: how the console prints the contract's objects for
 * people: a job or a contractor in full (key/value lines), the table columns
 * of each, and one line per job status change.
 *
 * Plain text only; --json output is client.h's. Times are local.
 */
#ifndef TR_CLI_SHOW_H
#define TR_CLI_SHOW_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/msg.h"
#include "dispatcher/cli/table.h"

/* Why a job waits, for a person: its `reason`, or a default per state
 * ("" when it is not waiting). */
const char *tr_cli_job_why(const struct tr_job *j);

/* All fields, then (n_events > 0) the history as a table. */
void tr_cli_show_job(const struct tr_job *j, const struct tr_job_history *ev, size_t n_events,
                     int64_t now_ms, FILE *out);
/* Job table: ID STATE TITLE SKILLS ASSIGNEE AGE REASON. */
struct tr_cli_table *tr_cli_job_table(void);
int tr_cli_job_row(struct tr_cli_table *t, const struct tr_job *j, int64_t now_ms);
/* "TIME  JOB  STATE  [-> AGENT]  [attempt N]  [reason]" for job watch. */
void tr_cli_job_line(const struct tr_job *j, FILE *out);

void tr_cli_show_contractor(const struct tr_contractor_view *v, int64_t now_ms, FILE *out);
/* Contractor table: ID NAME SKILLS LANGS TIER TRAVEL RADIUS ONLINE AVAIL JOBS SEEN. */
struct tr_cli_table *tr_cli_contractor_table(void);
int tr_cli_contractor_row(struct tr_cli_table *t, const struct tr_contractor_view *v,
                          int64_t now_ms);

/* "a, b, c" from n strings of stride size. */
char *tr_cli_join(const char *items, size_t n, size_t stride, const char *sep, char *buf,
                  size_t cap);

#endif
