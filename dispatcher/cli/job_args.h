/*
 * dispatcher/cli/job_args.h: the flags of `truckroll job create` -> a
 * job.create request (job_args.c). Split from job.c to keep files small.
 */
#ifndef TR_CLI_JOB_ARGS_H
#define TR_CLI_JOB_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"
#include "dispatcher/cli/client.h"

enum {
    TR_JOB_ARG_FIRST = TR_CLI_OPT_OWN,
    TR_JOB_ARG_TITLE = TR_JOB_ARG_FIRST,
    TR_JOB_ARG_DESCRIPTION,
    TR_JOB_ARG_SKILL,
    TR_JOB_ARG_LANG,
    TR_JOB_ARG_PRIORITY,
    TR_JOB_ARG_TIER,
    TR_JOB_ARG_LAT,
    TR_JOB_ARG_LON,
    TR_JOB_ARG_AT,
    TR_JOB_ARG_ADDRESS,
    TR_JOB_ARG_SITE_RADIUS,
    TR_JOB_ARG_COUNTRY,
    TR_JOB_ARG_STATE,
    TR_JOB_ARG_COUNTY,
    TR_JOB_ARG_COUNTY_FIPS,
    TR_JOB_ARG_WINDOW_START,
    TR_JOB_ARG_WINDOW_END,
    TR_JOB_ARG_PAY_INCIDENT,
    TR_JOB_ARG_PAY_HOUR,
    TR_JOB_ARG_CURRENCY,
    TR_JOB_ARG_MAX_RADIUS,
    TR_JOB_ARG_END
};

#define TR_JOB_ARGS_LONGOPTS                                                                       \
    { "title", required_argument, NULL, TR_JOB_ARG_TITLE },                                        \
        { "description", required_argument, NULL, TR_JOB_ARG_DESCRIPTION },                        \
        { "skill", required_argument, NULL, TR_JOB_ARG_SKILL },                                    \
        { "lang", required_argument, NULL, TR_JOB_ARG_LANG },                                      \
        { "priority", required_argument, NULL, TR_JOB_ARG_PRIORITY },                              \
        { "tier", required_argument, NULL, TR_JOB_ARG_TIER },                                      \
        { "lat", required_argument, NULL, TR_JOB_ARG_LAT },                                        \
        { "lon", required_argument, NULL, TR_JOB_ARG_LON },                                        \
        { "at", required_argument, NULL, TR_JOB_ARG_AT },                                          \
        { "address", required_argument, NULL, TR_JOB_ARG_ADDRESS },                                \
        { "site-radius-m", required_argument, NULL, TR_JOB_ARG_SITE_RADIUS },                      \
        { "country", required_argument, NULL, TR_JOB_ARG_COUNTRY },                                \
        { "state", required_argument, NULL, TR_JOB_ARG_STATE },                                    \
        { "county", required_argument, NULL, TR_JOB_ARG_COUNTY },                                  \
        { "county-fips", required_argument, NULL, TR_JOB_ARG_COUNTY_FIPS },                        \
        { "window-start", required_argument, NULL, TR_JOB_ARG_WINDOW_START },                      \
        { "window-end", required_argument, NULL, TR_JOB_ARG_WINDOW_END },                          \
        { "pay-incident", required_argument, NULL, TR_JOB_ARG_PAY_INCIDENT },                      \
        { "pay-hour", required_argument, NULL, TR_JOB_ARG_PAY_HOUR },                              \
        { "currency", required_argument, NULL, TR_JOB_ARG_CURRENCY },                              \
    {                                                                                              \
        "max-radius-km", required_argument, NULL, TR_JOB_ARG_MAX_RADIUS                            \
    }

struct tr_job_args {
    struct tr_msg req; /* TR_MSG_JOB_CREATE, filled as flags come */
    bool has_lat, has_lon, has_at, has_window_start, has_window_end, has_currency;
    const char *country, *state, *county, *county_fips;
};

void tr_job_args_init(struct tr_job_args *a);
/* One flag (a TR_JOB_ARG_* id). TR_CLI_OK or TR_CLI_USAGE (printed). */
int tr_job_args_option(struct tr_cli *c, struct tr_job_args *a, int opt, const char *arg);
/* After configure: cross-flag rules (where, window, pay currency).
 * TR_CLI_OK or TR_CLI_USAGE (printed). */
int tr_job_args_finish(struct tr_cli *c, struct tr_job_args *a);

#endif
