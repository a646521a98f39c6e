/*
 * fieldagent/core/policy.h: the agent's position reporting policy.
 *
 * What it does: decide, for each GPS fix, whether the agent sends a
 * position report, and what speed and heading that report carries. The
 * dispatcher shows a contractor at tr_geo_predict(last report, now,
 * horizon_s) (common/geo.h: dead reckoning); the policy runs the very same
 * predictor on its side and reports when:
 *   FIRST     the first usable fix;
 *   MODE      the agent's mode (idle, offered, en route, ...) changed;
 *   DRIFT     the fix is more than threshold_m from the dispatcher's estimate;
 *   AHEAD     it will be, judging by the current velocity (and turn rate), by the time the
 *             next fix has come and a report sent then has been delivered
 *             (look-ahead of one fix interval + latency_ms);
 *   STOP      the contractor has all but stopped while the dispatcher still
 *             moves it at the reported speed (receivers and loggers often
 *             pause at a stop, and a stop is where the next job starts);
 *   HEARTBEAT max_interval_ms passed while moving, or heartbeat_ms while
 *             standing still (presence stays fresh).
 * Each mode has its own threshold and intervals; the dispatcher scales them
 * with agent_config (threshold_m, max_interval_s, heartbeat_s).
 *
 * The error bound, and why the threshold is below it. The dispatcher's
 * error at a fix is the distance from the true position to its estimate
 * from the reports it has. Reports are decided at fix times, so between the
 * fix where a report is sent and the moment it lands (one fix interval at
 * most for a 1 Hz receiver, plus network latency) the dispatcher still
 * extrapolates the previous report. DRIFT alone would let the error reach
 * threshold + (growth over one interval + latency), about 25 m more at
 * 25 m/s in a turn. AHEAD closes that gap: it reports one step early
 * whenever the current velocity says the drift will pass the threshold
 * within the look-ahead. What is left is what the velocity cannot foresee
 * over the look-ahead (braking harder, turning tighter, GPS jumps): a few
 * metres at 1 Hz. STOP covers the case the look-ahead misses, a receiver
 * that goes quiet at a stop while the dispatcher extrapolates. Hence the
 * en-route default of 45 m for a 50 m promise: measured by `truckroll-sim
 * policy` on the real 1 Hz tracks in data/tracks, the worst error stayed
 * below 50 m (see fieldagent/sim/policy_cmd.c). With sparse receivers (one
 * fix every 6 or 11 s) no agent-side rule can bound the error between
 * fixes, since nothing is known there; nor across an outage longer than
 * the look-ahead while the speed changes.
 *
 * What the report carries: the fix's position and time, and the speed and
 * heading the policy chose: the receiver's speed and course; where it gives
 * none, derived from the previous fix (up to vel_gap_ms back, 30 s: sparse
 * loggers still give a velocity), a physically impossible turn held back
 * for one fix. With F_TURN the policy also estimates the turn rate (from
 * successive courses, or successive chords between fixes) and moves a
 * derived heading from the chord's (the heading half an interval ago) to
 * the fix; the look-ahead (AHEAD) then forecasts along the turn, not
 * straight on. With aim_s > 0 the report's heading and speed are those of
 * the chord to where the turn takes it aim_s later (default 0: on the real
 * tracks it saved nothing and cost accuracy). Smoothing the velocity over
 * a few fixes (or choosing, among mean velocities over 4/8/16 s, the one
 * whose line fits the recent track best), or reporting again at the end of
 * each turn, were tried and cost messages or saved none: the newest
 * velocity is the best guess of the next one. The wire contract is
 * unchanged: the dispatcher still carries the last report forward in a
 * straight line (tr_geo_predict); the turn model only decides when to
 * report. Sending the turn rate in `loc` for a curved dispatcher estimate
 * was prototyped and measured on the real tracks: no better than 8 % fewer
 * messages on the winding one, more on the others (data/tracks/README.md).
 * The agent MUST send these values in its `loc` fix, not the raw receiver
 * ones, or the dispatcher's prediction differs from the agent's.
 *
 * Outliers (F_OUTLIER): a fix more than 50 m from the newest used one and
 * further than max_speed_mps (70 m/s, 250 km/h) allows in the time between
 * is a position jump, not a drive: it is rejected and counted in
 * n_outliers (not in n_fixes or n_ignored), and no report is made from it.
 * After two rejections in a row the third such fix is taken as a new start
 * (the receiver really moved, e.g. after a long outage).
 *
 * Fix times come from the receiver and only go forward, except when a
 * wrong receiver clock is corrected (one that did not know the leap seconds
 * yet was 18 s ahead). A fix not after the newest is ignored (a repeat),
 * unless it is more than TR_POLICY_CLOCK_BACK_MS before it: then the fixes
 * before were the wrong ones, and the policy starts afresh from this one
 * (n_clock_back; its first report is TR_REPORT_FIRST), instead of ignoring
 * every real fix until the clock catches up with the wrong one.
 *
 * What it does not do: I/O, clocks (time comes in as now_ms; fix times as
 * fix->t), MQTT, queueing or batching of reports (the outbox does that), or
 * the dispatcher side of the prediction (tr_geo_predict, common/geo.h).
 *
 * The struct tr_policy is a plain state struct so it can live inside the
 * agent's context without allocation: set it up with tr_policy_init and use
 * only the functions below; its members are private, except that callers
 * may read the counters (n_fixes, n_ignored, n_outliers, n_reports) and `cur`, the
 * newest fix as it would be reported. Not thread-safe (one owner). Also
 * here: the two baselines the benchmark compares against (a 50 m
 * distance-threshold reporter and fixed-rate reporting).
 */
#ifndef TR_POLICY_H
#define TR_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/geo.h"
#include "common/msg.h"

#define TR_POLICY_N_MODES 5 /* enum tr_agent_mode: idle .. off_shift */
#define TR_POLICY_HIST    2 /* recent fixes kept for velocity estimates */
/* A fix time this far (ms) before the newest one is a receiver clock
 * correction, not a repeat (see above). */
#define TR_POLICY_CLOCK_BACK_MS 2000

/* The dispatcher's dead-reckoning horizon: both sides must use the same
 * value (tr_geo_predict's max_horizon_s). */
#define TR_POLICY_HORIZON_S 120.0

enum tr_policy_err {
    TR_POLICY_OK = 0,
    TR_POLICY_ERR_INVALID = 1 /* NULL, or a value out of range */
};

/* Why a report was sent. Numbers never change. */
enum tr_report_reason {
    TR_REPORT_NONE = 0,
    TR_REPORT_FIRST = 1,
    TR_REPORT_MODE = 2,
    TR_REPORT_DRIFT = 3,
    TR_REPORT_AHEAD = 4,
    TR_REPORT_STOP = 5,
    TR_REPORT_HEARTBEAT = 6,
    TR_REPORT_REASONS
};

/* Optional parts of the policy (all on by default; the bench and the sim
 * switch them off to show what each buys). */
#define TR_POLICY_F_AHEAD   0x1u /* look-ahead reports */
#define TR_POLICY_F_STOP    0x2u /* stop reports */
#define TR_POLICY_F_TURN    0x4u /* turn-rate model: heading, look-ahead, aimed report */
#define TR_POLICY_F_OUTLIER 0x8u /* reject fixes that imply an impossible speed */
#define TR_POLICY_F_ALL     0xfu

struct tr_policy_mode_params {
    double threshold_m;      /* drift from the dispatcher's estimate that triggers a report */
    int64_t min_interval_ms; /* no DRIFT/AHEAD/STOP report sooner than this after the last */
    int64_t max_interval_ms; /* a report at least this often while moving */
    int64_t heartbeat_ms;    /* a report at least this often while standing still */
};

struct tr_policy_params {
    struct tr_policy_mode_params mode[TR_POLICY_N_MODES]; /* by enum tr_agent_mode */
    double horizon_s;                                     /* TR_POLICY_HORIZON_S */
    int64_t latency_ms;     /* expected delivery latency, added to the look-ahead */
    int64_t max_fix_gap_ms; /* the longest fix interval the look-ahead assumes */
    int64_t vel_gap_ms;     /* fixes further apart than this do not give a velocity */
    double max_speed_mps;   /* F_OUTLIER: a fix this fast from the last one is rejected */
    double aim_s;           /* F_TURN: the reported heading aims this far along the turn */
    double stop_ratio;      /* F_STOP: report when speed < this x the reported speed ... */
    double stop_min_mps;    /* ... and the reported speed is at least this */
    unsigned features;      /* TR_POLICY_F_* */
};

/* One recent fix, as the policy sees it. */
struct tr_policy_sample {
    int64_t t_ms;
    double lat, lon;
    double speed_mps, heading_deg; /* estimated; heading valid if has_heading */
    bool has_heading;
    bool held;        /* heading held over from the previous fix (implausible turn) */
    double chord_deg; /* bearing from the previous fix, if has_chord */
    bool has_chord;
    double turn_dps; /* estimated turn rate, degrees/s clockwise (0: none known) */
    int64_t dt_ms;   /* interval from the previous sample it was derived from (0: none) */
};

/* The policy's state: members are private but for those named above. */
struct tr_policy {
    struct tr_policy_params base; /* as given to tr_policy_init */
    struct tr_policy_params p;    /* base scaled by agent_config */
    bool have_report;
    struct tr_geo_report last; /* the last report: what the dispatcher extrapolates */
    enum tr_agent_mode last_mode;
    int64_t last_now_ms; /* now_ms of the last report */
    int n_hist;
    struct tr_policy_sample hist[TR_POLICY_HIST]; /* newest first */
    struct tr_geo_report cur;                     /* the newest fix, as it would be reported */
    int64_t gap_ms;                               /* smoothed fix interval (0: not known yet) */
    int n_rejected;                               /* outliers rejected in a row */
    uint64_t n_fixes, n_ignored, n_outliers;
    uint64_t n_clock_back; /* receiver clock corrections: started afresh */
    uint64_t n_reports[TR_REPORT_REASONS];
};

/* Defaults: en route 45 m, 60 s moving, 300 s still, no minimum interval;
 * offered 50 m; on site 100 m; idle 200 m; off shift 1000 m (longer
 * intervals as the mode loosens); horizon TR_POLICY_HORIZON_S, latency
 * 1000 ms, fix gap 10 s, velocity gap 30 s, outliers above 70 m/s, aim 0 s,
 * stop at 0.3 x a reported speed of 3 m/s or more, all features. */
void tr_policy_params_default(struct tr_policy_params *pp);
/* Whether a report dated t_ms repeats one already sent (the last one sent
 * dated last_ms): not later, and not a clock correction's fresh start
 * (more than TR_POLICY_CLOCK_BACK_MS before it, see above). */
bool tr_policy_reported_already(int64_t t_ms, int64_t last_ms);
/* For a world that runs factor (> 0) times faster than the clock, as a
 * replay sped up by factor does: every duration (intervals, heartbeats,
 * latency, fix and velocity gaps, aim) divided by it and every speed limit
 * (outliers, stops) multiplied, so the policy reports a sped-up drive as it
 * would the drive at 1x. The horizon stays: it is the dispatcher's.
 * Nothing happens for a factor that is not finite and > 0. */
void tr_policy_params_time_scale(struct tr_policy_params *pp, double factor);
/* Start with no report sent. pp may be NULL (defaults). Returns
 * TR_POLICY_ERR_INVALID for a NULL p, or thresholds / intervals that are
 * not finite or not positive, or aim_s outside 0..60 (then p is set up
 * with the defaults). */
int tr_policy_init(struct tr_policy *p, const struct tr_policy_params *pp);

/*
 * A new fix at the agent's time now_ms, in mode `mode`. Fixes with mode < 2,
 * a non-finite or out-of-range lat/lon, or a time not after the previous
 * fix's are ignored (counted in n_ignored); outliers are rejected (counted
 * in n_outliers; see above). Non-finite or negative speed and non-finite
 * heading count as absent; absent ones are derived from the previous fix.
 * Returns TR_REPORT_NONE, or the reason for a report, which is then in
 * *report_out (t_ms = fix->t, the fix's position, the chosen speed and
 * heading) and becomes the policy's idea of what the dispatcher has.
 * report_out may be NULL.
 */
enum tr_report_reason tr_policy_on_fix(struct tr_policy *p, const struct tr_fix *fix,
                                       enum tr_agent_mode mode, int64_t now_ms,
                                       struct tr_geo_report *report_out);

/*
 * No fix (yet): call periodically (e.g. each second). Returns MODE when the
 * mode changed, HEARTBEAT when the interval of the current state passed
 * since the last report, else NONE; NONE too before any usable fix. The
 * report is the newest fix as last estimated (it may be the one already
 * sent: the caller may resend it or only refresh its presence).
 */
enum tr_report_reason tr_policy_on_tick(struct tr_policy *p, int64_t now_ms,
                                        enum tr_agent_mode mode, struct tr_geo_report *report_out);

/*
 * The dispatcher's agent_config: threshold_m (5 ..= 2000) sets the en-route
 * threshold and scales the other modes' by the same factor; max_interval_s
 * (5 ..= 3600) and heartbeat_s (30 ..= 3600) likewise set the en-route
 * intervals and scale the others. Absent keys leave their part as it is.
 * Out-of-range values: TR_POLICY_ERR_INVALID and nothing changes.
 */
int tr_policy_apply_config(struct tr_policy *p, const struct tr_agent_config *cfg);

/* The dispatcher's estimate at t_ms from the reports so far (what it
 * shows). Returns false (and leaves lat/lon) before the first report. */
bool tr_policy_estimate(const struct tr_policy *p, int64_t t_ms, double *lat, double *lon);
/* Copy a report's speed and heading into the fix it is stored as, where
 * they are present and plausible (speed 0 ..= 150 m/s, heading 0 ..< 360);
 * leaves the fix's other fields alone. */
void tr_policy_report_motion(const struct tr_geo_report *r, struct tr_fix *f);
/* The effective settings of a mode (after agent_config). */
const struct tr_policy_mode_params *tr_policy_mode(const struct tr_policy *p,
                                                   enum tr_agent_mode mode);

const char *tr_policy_reason_name(enum tr_report_reason r); /* "first", ..., "?" */
const char *tr_policy_strerror(int code);

/* ---- baselines (bench/, truckroll-sim policy) ---- */

/* Reports when the fix is threshold_m or more from the last reported
 * position (the first fix too): the usual tracker setting at 50 m. */
struct tr_distance_reporter {
    double threshold_m;
    bool have;
    double lat, lon;
    uint64_t messages;
};
void tr_distance_reporter_init(struct tr_distance_reporter *d, double threshold_m);
/* True when this fix is reported. Invalid fixes (as above) are ignored. */
bool tr_distance_reporter_on_fix(struct tr_distance_reporter *d, const struct tr_fix *fix);

/* Fixed-rate reporting: one message every period_ms for as long as fixes
 * keep coming, where a gap between fixes longer than max_gap_ms counts as
 * max_gap_ms (a receiver that is off sends nothing). messages =
 * 1 + round(counted time / period). */
struct tr_fixed_rate {
    int64_t period_ms, max_gap_ms;
    bool have;
    int64_t last_t_ms;
    int64_t counted_ms;
};
void tr_fixed_rate_init(struct tr_fixed_rate *f, int64_t period_ms, int64_t max_gap_ms);
void tr_fixed_rate_on_fix(struct tr_fixed_rate *f, const struct tr_fix *fix);
uint64_t tr_fixed_rate_messages(const struct tr_fixed_rate *f);

#endif
