/*
 * fieldagent/core/policy_track.c: the policy's picture of its own motion
 * (see policy_int.h): a fix becomes a sample with speed, heading and turn
 * rate; fixes implying an impossible speed are rejected; a constant-turn
 * forecast for the look-ahead; the velocity a report carries. Pure: no
 * clock, no I/O, no allocation. It does not decide when to report.
 */
#include "fieldagent/core/policy_int.h"

#include <math.h>
#include <string.h>

#define PI_D 3.14159265358979323846
/* Speeds below this are standing still (the predictor's own cut-off). */
#define STILL_MPS TR_GEO_PREDICT_MIN_SPEED_MPS
/* Sideways acceleration a road vehicle stays under, m/s^2. */
#define MAX_LAT_ACC 6.0
/* Below this speed a heading change is noise, not a turn. */
#define TURN_MIN_MPS 3.0
/* A jump shorter than this is never an outlier (noise at short intervals). */
#define OUTLIER_MIN_M 50.0
/* The forecast bends at most this far, then goes straight. */
#define MAX_FORECAST_TURN_DEG 90.0

static double norm360(double deg)
{
    double d = fmod(deg, 360.0);
    if (d < 0.0)
        d += 360.0;
    return d >= 360.0 ? 0.0 : d;
}

/* b - a in (-180, 180]. */
static double angle_diff(double a, double b)
{
    double d = fmod(b - a, 360.0);
    if (d > 180.0)
        d -= 360.0;
    else if (d <= -180.0)
        d += 360.0;
    return d;
}

/* The fastest turn (deg/s) a vehicle at v m/s makes within MAX_LAT_ACC. */
static double max_turn_dps(double v)
{
    return v > 0.0 ? (MAX_LAT_ACC / v) * (180.0 / PI_D) : 0.0;
}

static bool is_outlier(const struct tr_policy *p, const struct tr_policy_sample *prev,
                       const struct tr_fix *f)
{
    if (!(p->p.features & TR_POLICY_F_OUTLIER) || !prev || p->n_rejected >= 2)
        return false;
    double moved = tr_geo_distance_m(prev->lat, prev->lon, f->lat, f->lon);
    double dt_s = (double)(f->t - prev->t_ms) / 1000.0;
    return moved > OUTLIER_MIN_M && moved > p->p.max_speed_mps * dt_s;
}

bool tr_policy_track_sample(const struct tr_policy *p, const struct tr_fix *f,
                            struct tr_policy_sample *s)
{
    const struct tr_policy_sample *prev = p->n_hist ? &p->hist[0] : NULL;
    bool turn_model = (p->p.features & TR_POLICY_F_TURN) != 0;

    memset(s, 0, sizeof *s);
    if (is_outlier(p, prev, f))
        return false;
    if (p->n_rejected >= 2) /* the receiver really moved: start afresh */
        prev = NULL;
    int64_t dt = prev ? f->t - prev->t_ms : 0;
    bool near = prev && dt > 0 && dt <= p->p.vel_gap_ms;
    double moved = near ? tr_geo_distance_m(prev->lat, prev->lon, f->lat, f->lon) : 0.0;
    double dt_s = (double)dt / 1000.0;

    s->t_ms = f->t;
    s->lat = f->lat;
    s->lon = tr_geo_normalize_lon(f->lon);
    s->dt_ms = near ? dt : 0;
    if (f->has_speed && isfinite(f->speed) && f->speed >= 0.0)
        s->speed_mps = f->speed > 150.0 ? 150.0 : f->speed;
    else if (near)
        s->speed_mps = fmin(moved / dt_s, 150.0);
    if (near && moved >= 1.0) {
        s->chord_deg = tr_geo_bearing_deg(prev->lat, prev->lon, f->lat, f->lon);
        s->has_chord = isfinite(s->chord_deg);
    }
    bool moving = s->speed_mps >= TURN_MIN_MPS && prev && prev->speed_mps >= TURN_MIN_MPS;

    if (f->has_heading && isfinite(f->heading)) {
        s->heading_deg = norm360(f->heading);
        s->has_heading = true;
        if (near && moving && prev->has_heading)
            s->turn_dps = angle_diff(prev->heading_deg, s->heading_deg) / dt_s;
    } else if (s->has_chord) {
        /* The chord's bearing is the heading half an interval ago; in a
         * steady turn the heading now is further round by turn x dt / 2. */
        s->heading_deg = s->chord_deg;
        s->has_heading = true;
        if (moving && prev->has_chord && prev->dt_ms > 0) {
            double mid_s = (dt_s + (double)prev->dt_ms / 1000.0) / 2.0;
            s->turn_dps = angle_diff(prev->chord_deg, s->chord_deg) / mid_s;
        }
        /* A position jump can reverse a derived heading; a vehicle cannot
         * turn faster than ~MAX_LAT_ACC sideways allows. Hold the previous
         * heading once; a real turn shows again at the next fix. */
        if (moving && prev->has_heading && !prev->held) {
            double max_deg = 10.0 + dt_s * max_turn_dps(s->speed_mps);
            if (fabs(angle_diff(prev->heading_deg, s->heading_deg)) > max_deg) {
                s->heading_deg = prev->heading_deg;
                s->held = true;
                s->turn_dps = 0.0;
            }
        }
        if (turn_model && !s->held)
            s->heading_deg = norm360(s->heading_deg + s->turn_dps * dt_s / 2.0);
    } else if (prev && prev->has_heading) {
        s->heading_deg = prev->heading_deg;
        s->has_heading = true;
    }
    double lim = max_turn_dps(s->speed_mps);
    if (!isfinite(s->turn_dps) || !moving)
        s->turn_dps = 0.0;
    else if (fabs(s->turn_dps) > lim)
        s->turn_dps = copysign(lim, s->turn_dps);
    return true;
}

void tr_policy_track_forecast(const struct tr_policy_sample *s, double tau_s, bool turn,
                              double *lat, double *lon)
{
    *lat = s->lat;
    *lon = s->lon;
    if (!s->has_heading || s->speed_mps < STILL_MPS || !(tau_s > 0.0))
        return;
    double w = turn ? s->turn_dps : 0.0;
    double v = s->speed_mps;
    if (fabs(w * tau_s) < 0.5) {
        tr_geo_destination(s->lat, s->lon, s->heading_deg, v * tau_s, lat, lon);
        return;
    }
    double t1 = tau_s;
    if (fabs(w) * t1 > MAX_FORECAST_TURN_DEG)
        t1 = MAX_FORECAST_TURN_DEG / fabs(w);
    double wr = w * PI_D / 180.0;
    double chord = 2.0 * v * sin(fabs(wr) * t1 / 2.0) / fabs(wr);
    tr_geo_destination(s->lat, s->lon, s->heading_deg + w * t1 / 2.0, chord, lat, lon);
    if (t1 < tau_s)
        tr_geo_destination(*lat, *lon, s->heading_deg + w * t1, v * (tau_s - t1), lat, lon);
}

void tr_policy_track_report(const struct tr_policy *p, struct tr_geo_report *r)
{
    const struct tr_policy_sample *s = &p->hist[0];
    memset(r, 0, sizeof *r);
    r->lat = s->lat;
    r->lon = s->lon;
    r->t_ms = s->t_ms;
    r->speed_mps = s->speed_mps;
    r->has = TR_GEO_HAS_SPEED;
    if (!s->has_heading)
        return;
    r->heading_deg = s->heading_deg;
    r->has |= TR_GEO_HAS_HEADING;
    double aim = p->p.aim_s;
    if (!(p->p.features & TR_POLICY_F_TURN) || !(aim > 0.0) || s->turn_dps == 0.0 ||
        s->speed_mps < STILL_MPS)
        return;
    double lat, lon;
    tr_policy_track_forecast(s, aim, true, &lat, &lon);
    double d = tr_geo_distance_m(s->lat, s->lon, lat, lon);
    double b = tr_geo_bearing_deg(s->lat, s->lon, lat, lon);
    if (!isfinite(b) || !(d > 0.0))
        return;
    r->heading_deg = norm360(b);
    r->speed_mps = d / aim;
    if (r->speed_mps < STILL_MPS) /* the predictor would stand still */
        r->speed_mps = STILL_MPS;
}
