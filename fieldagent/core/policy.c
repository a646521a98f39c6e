/*
 * fieldagent/core/policy.c: the reporting policy (see policy.h): the report
 * rules (first, mode, drift, look-ahead, stop, heartbeat) and the
 * dispatcher's scaling. Pure: no clock, no I/O, no allocation. Velocity,
 * turn rate, outliers and the forecast are in policy_track.c, the
 * baselines in policy_baseline.c.
 */
#include "fieldagent/core/policy.h"

#include "fieldagent/core/policy_int.h"

#include <math.h>
#include <string.h>

/* Speeds below this are standing still (the predictor's own cut-off). */
#define STILL_MPS TR_GEO_PREDICT_MIN_SPEED_MPS

static const struct tr_policy_mode_params mode_defaults[TR_POLICY_N_MODES] = {
    [TR_MODE_IDLE] = { 200.0, 5000, 300000, 900000 },
    [TR_MODE_OFFERED] = { 50.0, 0, 60000, 300000 },
    [TR_MODE_EN_ROUTE] = { 45.0, 0, 60000, 300000 },
    [TR_MODE_ON_SITE] = { 100.0, 5000, 300000, 900000 },
    [TR_MODE_OFF_SHIFT] = { 1000.0, 60000, 1800000, 3600000 },
};

void tr_policy_params_default(struct tr_policy_params *pp)
{
    if (!pp)
        return;
    memset(pp, 0, sizeof *pp);
    memcpy(pp->mode, mode_defaults, sizeof pp->mode);
    pp->horizon_s = TR_POLICY_HORIZON_S;
    pp->latency_ms = 1000;
    pp->max_fix_gap_ms = 10000;
    pp->vel_gap_ms = 30000;
    pp->max_speed_mps = 70.0;
    pp->aim_s = 0.0;
    pp->stop_ratio = 0.3;
    pp->stop_min_mps = 3.0;
    pp->features = TR_POLICY_F_ALL;
}

static bool params_ok(const struct tr_policy_params *pp)
{
    for (int m = 0; m < TR_POLICY_N_MODES; m++) {
        const struct tr_policy_mode_params *mp = &pp->mode[m];
        if (!isfinite(mp->threshold_m) || mp->threshold_m <= 0.0 || mp->min_interval_ms < 0 ||
            mp->max_interval_ms <= 0 || mp->heartbeat_ms <= 0)
            return false;
    }
    return isfinite(pp->horizon_s) && pp->horizon_s > 0.0 && pp->latency_ms >= 0 &&
           pp->max_fix_gap_ms > 0 && pp->vel_gap_ms > 0 && isfinite(pp->max_speed_mps) &&
           pp->max_speed_mps > 0.0 && isfinite(pp->aim_s) && pp->aim_s >= 0.0 &&
           pp->aim_s <= 60.0 && isfinite(pp->stop_ratio) && pp->stop_ratio >= 0.0 &&
           pp->stop_ratio < 1.0 && isfinite(pp->stop_min_mps) && pp->stop_min_mps >= STILL_MPS;
}

int tr_policy_init(struct tr_policy *p, const struct tr_policy_params *pp)
{
    if (!p)
        return TR_POLICY_ERR_INVALID;
    memset(p, 0, sizeof *p);
    int rc = TR_POLICY_OK;
    if (pp && params_ok(pp)) {
        p->base = *pp;
    } else {
        tr_policy_params_default(&p->base);
        if (pp)
            rc = TR_POLICY_ERR_INVALID;
    }
    p->p = p->base;
    return rc;
}

static bool fix_usable(const struct tr_fix *f)
{
    return f->mode >= 2 && tr_geo_valid(f->lat, f->lon) && f->t >= 0;
}

static double drift_at(const struct tr_policy *p, int64_t t_ms, double lat, double lon)
{
    double elat, elon;
    tr_geo_predict(&p->last, t_ms, p->p.horizon_s, &elat, &elon);
    return tr_geo_distance_m(lat, lon, elat, elon);
}

/* AHEAD: where the current velocity takes us by the time a report sent at
 * the next fix lands, against where the dispatcher will think we are. */
static bool ahead(const struct tr_policy *p, double threshold_m)
{
    const struct tr_policy_sample *s = &p->hist[0];
    int64_t gap = p->gap_ms > 0 ? p->gap_ms : 1000;
    if (gap < 100)
        gap = 100;
    if (gap > p->p.max_fix_gap_ms)
        gap = p->p.max_fix_gap_ms;
    int64_t la = gap + p->p.latency_ms;
    double lat, lon;
    tr_policy_track_forecast(s, (double)la / 1000.0, (p->p.features & TR_POLICY_F_TURN) != 0, &lat,
                             &lon);
    return drift_at(p, s->t_ms + la, lat, lon) > threshold_m;
}

/* STOP: the dispatcher moves us at a speed we have all but lost: we
 * stand still, or are down to stop_ratio of a reported speed of at least
 * stop_min_mps. */
static bool stopped(const struct tr_policy *p)
{
    const struct tr_geo_report *l = &p->last;
    double v = p->hist[0].speed_mps;
    if (!(l->has & TR_GEO_HAS_HEADING) || l->speed_mps < STILL_MPS)
        return false;
    return v < STILL_MPS ||
           (l->speed_mps >= p->p.stop_min_mps && v < p->p.stop_ratio * l->speed_mps);
}

static enum tr_report_reason emit(struct tr_policy *p, enum tr_report_reason why,
                                  enum tr_agent_mode mode, int64_t now_ms,
                                  struct tr_geo_report *out)
{
    p->last = p->cur;
    p->have_report = true;
    p->last_mode = mode;
    p->last_now_ms = now_ms;
    p->n_reports[why]++;
    if (out)
        *out = p->cur;
    return why;
}

static bool mode_ok(enum tr_agent_mode mode)
{
    return (int)mode >= 0 && (int)mode < TR_POLICY_N_MODES;
}

/* HEARTBEAT: the interval of the current state has passed. */
static bool interval_passed(struct tr_policy *p, const struct tr_policy_mode_params *mp,
                            int64_t now_ms)
{
    if (now_ms < p->last_now_ms) /* the clock went back: count from now */
        p->last_now_ms = now_ms;
    bool moving = p->last.speed_mps >= STILL_MPS || p->cur.speed_mps >= STILL_MPS;
    return now_ms - p->last_now_ms >= (moving ? mp->max_interval_ms : mp->heartbeat_ms);
}

enum tr_report_reason tr_policy_on_fix(struct tr_policy *p, const struct tr_fix *fix,
                                       enum tr_agent_mode mode, int64_t now_ms,
                                       struct tr_geo_report *report_out)
{
    if (!p || !fix)
        return TR_REPORT_NONE;
    if (!fix_usable(fix) || !mode_ok(mode)) {
        p->n_ignored++;
        return TR_REPORT_NONE;
    }
    if (p->n_hist && fix->t <= p->hist[0].t_ms) {
        if (p->hist[0].t_ms - fix->t <= TR_POLICY_CLOCK_BACK_MS) {
            p->n_ignored++; /* a repeat */
            return TR_REPORT_NONE;
        }
        /* the receiver's clock was corrected: what came before was dated
         * wrong; start afresh from this fix */
        p->n_clock_back++;
        p->n_hist = 0;
        p->gap_ms = 0;
        p->n_rejected = 0;
        p->have_report = false;
    }
    struct tr_policy_sample s;
    if (!tr_policy_track_sample(p, fix, &s)) {
        p->n_rejected++;
        p->n_outliers++;
        return TR_REPORT_NONE;
    }
    if (s.dt_ms > 0) /* the fix interval, for the look-ahead */
        p->gap_ms = s.dt_ms;
    p->n_rejected = 0;
    memmove(&p->hist[1], &p->hist[0], sizeof p->hist[0] * (TR_POLICY_HIST - 1));
    p->hist[0] = s;
    if (p->n_hist < TR_POLICY_HIST)
        p->n_hist++;
    p->n_fixes++;
    tr_policy_track_report(p, &p->cur);

    if (!p->have_report)
        return emit(p, TR_REPORT_FIRST, mode, now_ms, report_out);
    if (mode != p->last_mode)
        return emit(p, TR_REPORT_MODE, mode, now_ms, report_out);

    const struct tr_policy_mode_params *mp = &p->p.mode[mode];
    if (now_ms - p->last_now_ms >= mp->min_interval_ms) {
        if (drift_at(p, s.t_ms, s.lat, s.lon) > mp->threshold_m)
            return emit(p, TR_REPORT_DRIFT, mode, now_ms, report_out);
        if ((p->p.features & TR_POLICY_F_AHEAD) && ahead(p, mp->threshold_m))
            return emit(p, TR_REPORT_AHEAD, mode, now_ms, report_out);
        if ((p->p.features & TR_POLICY_F_STOP) && stopped(p))
            return emit(p, TR_REPORT_STOP, mode, now_ms, report_out);
    }
    if (interval_passed(p, mp, now_ms))
        return emit(p, TR_REPORT_HEARTBEAT, mode, now_ms, report_out);
    return TR_REPORT_NONE;
}

enum tr_report_reason tr_policy_on_tick(struct tr_policy *p, int64_t now_ms,
                                        enum tr_agent_mode mode, struct tr_geo_report *report_out)
{
    if (!p || p->n_hist == 0 || !mode_ok(mode))
        return TR_REPORT_NONE;
    if (!p->have_report)
        return emit(p, TR_REPORT_FIRST, mode, now_ms, report_out);
    if (mode != p->last_mode)
        return emit(p, TR_REPORT_MODE, mode, now_ms, report_out);
    if (interval_passed(p, &p->p.mode[mode], now_ms))
        return emit(p, TR_REPORT_HEARTBEAT, mode, now_ms, report_out);
    return TR_REPORT_NONE;
}

bool tr_policy_reported_already(int64_t t_ms, int64_t last_ms)
{
    return t_ms <= last_ms && last_ms - t_ms <= TR_POLICY_CLOCK_BACK_MS;
}

void tr_policy_params_time_scale(struct tr_policy_params *pp, double factor)
{
    if (!pp || !isfinite(factor) || factor <= 0.0)
        return;
    for (int m = 0; m < TR_POLICY_N_MODES; m++) {
        struct tr_policy_mode_params *mp = &pp->mode[m];
        mp->min_interval_ms = llround((double)mp->min_interval_ms / factor);
        mp->max_interval_ms = llround((double)mp->max_interval_ms / factor);
        mp->heartbeat_ms = llround((double)mp->heartbeat_ms / factor);
    }
    pp->latency_ms = llround((double)pp->latency_ms / factor);
    pp->max_fix_gap_ms = llround((double)pp->max_fix_gap_ms / factor);
    pp->vel_gap_ms = llround((double)pp->vel_gap_ms / factor);
    pp->aim_s /= factor;
    pp->max_speed_mps *= factor;
    pp->stop_min_mps *= factor;
}

int tr_policy_apply_config(struct tr_policy *p, const struct tr_agent_config *cfg)
{
    if (!p || !cfg)
        return TR_POLICY_ERR_INVALID;
    if ((cfg->has_threshold_m &&
         !(isfinite(cfg->threshold_m) && cfg->threshold_m >= 5.0 && cfg->threshold_m <= 2000.0)) ||
        (cfg->has_max_interval_s && (cfg->max_interval_s < 5 || cfg->max_interval_s > 3600)) ||
        (cfg->has_heartbeat_s && (cfg->heartbeat_s < 30 || cfg->heartbeat_s > 3600)))
        return TR_POLICY_ERR_INVALID;
    const struct tr_policy_mode_params *b = &p->base.mode[TR_MODE_EN_ROUTE];
    for (int m = 0; m < TR_POLICY_N_MODES; m++) {
        const struct tr_policy_mode_params *bm = &p->base.mode[m];
        struct tr_policy_mode_params *em = &p->p.mode[m];
        if (cfg->has_threshold_m)
            em->threshold_m = bm->threshold_m * (cfg->threshold_m / b->threshold_m);
        if (cfg->has_max_interval_s)
            em->max_interval_ms =
                (int64_t)llround((double)bm->max_interval_ms *
                                 (cfg->max_interval_s * 1000.0 / (double)b->max_interval_ms));
        if (cfg->has_heartbeat_s)
            em->heartbeat_ms = (int64_t)llround(
                (double)bm->heartbeat_ms * (cfg->heartbeat_s * 1000.0 / (double)b->heartbeat_ms));
    }
    return TR_POLICY_OK;
}

bool tr_policy_estimate(const struct tr_policy *p, int64_t t_ms, double *lat, double *lon)
{
    if (!p || !p->have_report || !lat || !lon)
        return false;
    tr_geo_predict(&p->last, t_ms, p->p.horizon_s, lat, lon);
    return true;
}

const struct tr_policy_mode_params *tr_policy_mode(const struct tr_policy *p,
                                                   enum tr_agent_mode mode)
{
    if (!p || !mode_ok(mode))
        return NULL;
    return &p->p.mode[mode];
}

void tr_policy_report_motion(const struct tr_geo_report *r, struct tr_fix *f)
{
    if ((r->has & TR_GEO_HAS_SPEED) && isfinite(r->speed_mps) && r->speed_mps >= 0 &&
        r->speed_mps <= 150) {
        f->has_speed = true;
        f->speed = r->speed_mps;
    }
    if ((r->has & TR_GEO_HAS_HEADING) && isfinite(r->heading_deg) && r->heading_deg >= 0 &&
        r->heading_deg < 360) {
        f->has_heading = true;
        f->heading = r->heading_deg;
    }
}

const char *tr_policy_reason_name(enum tr_report_reason r)
{
    static const char *const names[TR_REPORT_REASONS] = { "none",  "first", "mode",     "drift",
                                                          "ahead", "stop",  "heartbeat" };
    return (int)r >= 0 && r < TR_REPORT_REASONS ? names[r] : "?";
}

const char *tr_policy_strerror(int code)
{
    switch (code) {
    case TR_POLICY_OK:
        return "success";
    case TR_POLICY_ERR_INVALID:
        return "invalid argument";
    default:
        return "unknown error";
    }
}
