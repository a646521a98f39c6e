/*
 * fieldagent/sim/sim.h: truckroll-sim's subcommands (one function each,
 * called from main.c's table) and the replay measurement behind
 * `truckroll-sim policy`, which tests and benchmarks may call directly.
 *
 * The fleet simulator (`run`) and the demo's roster and job feed (`fleet`,
 * `jobs`) are here too as entry points; their parts are fleet.h, route.h
 * and simagent.h.
 *
 * What the policy replay does not do: talk to a broker or read a clock.
 */
#ifndef TR_SIM_H
#define TR_SIM_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "common/msg.h"
#include "fieldagent/core/policy.h"
#include "fieldagent/gps/gpx.h"

/* What one replay of a track through the policy measured. */
struct tr_sim_policy_result {
    size_t points;       /* timed points in the file */
    size_t fixes;        /* fixes the policy used (mode >= 2, time increasing) */
    size_t skipped;      /* points it ignored */
    int64_t duration_ms; /* first to last used fix */
    uint64_t messages;   /* reports the policy sent */
    uint64_t reasons[TR_REPORT_REASONS];
    uint64_t fixed_rate_messages; /* 1 Hz, gaps over 10 s counted as 10 s */
    uint64_t distance_messages;   /* the distance-threshold reporter */
    double ratio;                 /* messages / fixed_rate_messages */
    double max_err_m;             /* worst dispatcher error at a fix (see policy_cmd.c) */
    double p95_err_m;
    size_t max_err_line;        /* GPX line of the worst fix */
    size_t over_50m;            /* fixes where the error was over 50 m */
    size_t after_gaps;          /* fixes more than 10 s after the previous one */
    double max_err_after_gap_m; /* their worst error (not in max_err_m) */
    size_t outliers;            /* fixes the policy rejected as impossible jumps */
    double max_err_outlier_m;   /* their worst error (not in max_err_m) */
};

/* Replay every point of g as a fix (fix time = now) in `mode`, with the
 * policy set up from pp (NULL: defaults) and then cfg (NULL: none), beside
 * a distance reporter at distance_m and 1 Hz fixed-rate reporting. trace
 * (may be NULL) gets one CSV line per fix used or rejected as an outlier
 * (err_m empty where there is no estimate yet). Returns 0, or -1 when g holds
 * no usable fix or an argument is bad. */
int tr_sim_policy_run(const struct tr_gpx *g, const struct tr_policy_params *pp,
                      const struct tr_agent_config *cfg, enum tr_agent_mode mode, double distance_m,
                      FILE *trace, struct tr_sim_policy_result *out);

/* Subcommands: argv[0] is the subcommand's name. Return the exit status. */
int tr_sim_policy_main(int argc, char **argv);
int tr_sim_fleet_main(int argc, char **argv);
int tr_sim_jobs_main(int argc, char **argv);
/* `run`: stops when *stop becomes non-zero (main.c's signal flag). */
int tr_sim_run_main(int argc, char **argv, volatile sig_atomic_t *stop);

#endif
