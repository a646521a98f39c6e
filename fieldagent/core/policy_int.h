/*
 * fieldagent/core/policy_int.h: what policy.c and policy_track.c share
 * inside tr_agent_core; not for other modules (use policy.h).
 *
 * policy_track.c turns a GPS fix into the policy's sample (outlier check,
 * speed, heading, turn rate), forecasts the agent's own position a few
 * seconds ahead, and chooses the velocity a report carries. It does not
 * decide when to report (policy.c does).
 */
#ifndef TR_POLICY_INT_H
#define TR_POLICY_INT_H

#include <stdbool.h>

#include "fieldagent/core/policy.h"

/* The sample for fix f given the history in p. Returns false when f is an
 * outlier to reject (F_OUTLIER: it implies more than max_speed_mps from the
 * newest sample; after two rejections in a row the third is taken, as a new
 * start: the receiver really moved). */
bool tr_policy_track_sample(const struct tr_policy *p, const struct tr_fix *f,
                            struct tr_policy_sample *s);

/* Where s will be tau_s seconds after its fix: along its heading at its
 * speed, bending at its turn rate when `turn` (at most a quarter turn, then
 * straight on). Stays put without a heading or below the predictor's
 * standstill speed. */
void tr_policy_track_forecast(const struct tr_policy_sample *s, double tau_s, bool turn,
                              double *lat, double *lon);

/* The report for the newest sample: its position and time, and the speed
 * and heading to carry (F_TURN with a known turn rate: aimed at where the
 * turn takes it aim_s ahead, so the dispatcher's straight line is the chord
 * of the turn). */
void tr_policy_track_report(const struct tr_policy *p, struct tr_geo_report *r);

#endif
