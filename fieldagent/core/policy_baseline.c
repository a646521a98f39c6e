/*
 * fieldagent/core/policy_baseline.c: the two reporters the reporting policy
 * is measured against (see policy.h): a distance-threshold reporter and
 * fixed-rate reporting. Pure, tiny, no allocation; not used by the agent.
 */
#include "fieldagent/core/policy.h"

#include <string.h>

static bool usable(const struct tr_fix *f)
{
    return f && f->mode >= 2 && tr_geo_valid(f->lat, f->lon);
}

void tr_distance_reporter_init(struct tr_distance_reporter *d, double threshold_m)
{
    if (!d)
        return;
    memset(d, 0, sizeof *d);
    d->threshold_m = threshold_m;
}

bool tr_distance_reporter_on_fix(struct tr_distance_reporter *d, const struct tr_fix *fix)
{
    if (!d || !usable(fix))
        return false;
    if (d->have && tr_geo_distance_m(d->lat, d->lon, fix->lat, fix->lon) < d->threshold_m)
        return false;
    d->have = true;
    d->lat = fix->lat;
    d->lon = fix->lon;
    d->messages++;
    return true;
}

void tr_fixed_rate_init(struct tr_fixed_rate *f, int64_t period_ms, int64_t max_gap_ms)
{
    if (!f)
        return;
    memset(f, 0, sizeof *f);
    f->period_ms = period_ms > 0 ? period_ms : 1000;
    f->max_gap_ms = max_gap_ms > 0 ? max_gap_ms : f->period_ms;
}

void tr_fixed_rate_on_fix(struct tr_fixed_rate *f, const struct tr_fix *fix)
{
    if (!f || !usable(fix))
        return;
    if (!f->have) {
        f->have = true;
        f->last_t_ms = fix->t;
        return;
    }
    int64_t dt = fix->t - f->last_t_ms;
    if (dt <= 0)
        return;
    f->counted_ms += dt < f->max_gap_ms ? dt : f->max_gap_ms;
    f->last_t_ms = fix->t;
}

uint64_t tr_fixed_rate_messages(const struct tr_fixed_rate *f)
{
    if (!f || !f->have)
        return 0;
    return 1u + (uint64_t)((f->counted_ms + f->period_ms / 2) / f->period_ms);
}
