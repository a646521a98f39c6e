/*
 * tests/unit/test_policy_track.c: the reporting policy's own motion model
 * (fieldagent/core/policy_track.c through policy.h and policy_int.h):
 * fixes implying an impossible speed are rejected and counted (and a
 * receiver that really moved is followed after two), sparse fixes still
 * give a velocity, a turn is seen from positions alone (turn rate, heading
 * at the fix rather than the chord's), the constant-turn forecast follows a
 * circle, and the new parameters are validated. Synthetic tracks only.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fieldagent/core/policy.h"
#include "fieldagent/core/policy_int.h"
#include "tests/support/check.h"

#define T0   1700000000000LL
#define LAT0 52.0
#define LON0 4.3
#define PI_D 3.14159265358979323846

/* A fix at (x east, y north) metres from (LAT0, LON0), no velocity. */
static struct tr_fix fix_at(double x, double y, int64_t t)
{
    struct tr_fix f;
    memset(&f, 0, sizeof f);
    f.t = t;
    f.mode = 3;
    tr_geo_destination(LAT0, LON0, atan2(x, y) * 180.0 / PI_D, hypot(x, y), &f.lat, &f.lon);
    return f;
}

/* A point on a circle of radius rad around (0, rad) driven clockwise from
 * (0, 0) heading east at v m/s: after t_s seconds. */
static void circle(double rad, double v, double t_s, double *x, double *y, double *heading)
{
    double a = v * t_s / rad; /* radians turned */
    *x = rad * sin(a);
    *y = rad - rad * cos(a);
    *heading = 90.0 - a * 180.0 / PI_D;
}

static double angle_err(double a, double b)
{
    double d = fmod(fabs(a - b), 360.0);
    return d > 180.0 ? 360.0 - d : d;
}

static void test_outliers(void)
{
    struct tr_policy p;
    struct tr_geo_report rep;
    CHECK(tr_policy_init(&p, NULL) == TR_POLICY_OK);
    int64_t t = T0;
    for (int i = 0; i < 10; i++, t += 1000) {
        struct tr_fix f = fix_at(20.0 * i, 0.0, t);
        tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, t, &rep);
    }
    CHECK(p.n_fixes == 10 && p.n_outliers == 0);
    /* 400 m sideways in one second: 400 m/s, rejected, no report */
    struct tr_fix jump = fix_at(200.0, 400.0, t);
    CHECK(tr_policy_on_fix(&p, &jump, TR_MODE_EN_ROUTE, t, &rep) == TR_REPORT_NONE);
    CHECK(p.n_outliers == 1 && p.n_fixes == 10);
    CHECK(fabs(p.hist[0].speed_mps - 20.0) < 0.5); /* the track goes on as before */
    t += 1000;
    struct tr_fix back = fix_at(220.0, 0.0, t);
    tr_policy_on_fix(&p, &back, TR_MODE_EN_ROUTE, t, &rep);
    CHECK(p.n_outliers == 1 && p.n_fixes == 11);
    CHECK(fabs(p.hist[0].speed_mps - 20.0) < 0.5);
    /* a fix 70 m/s away within 50 m is noise at a short interval, not an outlier */
    struct tr_fix near = fix_at(260.0, 0.0, t + 500);
    tr_policy_on_fix(&p, &near, TR_MODE_EN_ROUTE, t + 500, &rep);
    CHECK(p.n_outliers == 1 && p.n_fixes == 12);
    t += 1500;

    /* the receiver really moved 5 km: two rejections, then followed */
    for (int i = 0; i < 3; i++, t += 1000) {
        struct tr_fix far = fix_at(5000.0 + 20.0 * i, 0.0, t);
        tr_policy_on_fix(&p, &far, TR_MODE_EN_ROUTE, t, &rep);
    }
    CHECK(p.n_outliers == 3 && p.n_fixes == 13);
    CHECK(p.hist[0].dt_ms == 0); /* a new start: no velocity from the jump */
    struct tr_fix next = fix_at(5060.0, 0.0, t);
    tr_policy_on_fix(&p, &next, TR_MODE_EN_ROUTE, t, &rep);
    CHECK(p.n_outliers == 3 && p.n_fixes == 14);
    CHECK(fabs(p.hist[0].speed_mps - 20.0) < 0.5);

    /* switched off: every fix is used */
    struct tr_policy_params pp;
    tr_policy_params_default(&pp);
    pp.features &= ~TR_POLICY_F_OUTLIER;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_OK);
    struct tr_fix a = fix_at(0.0, 0.0, T0), b = fix_at(0.0, 1000.0, T0 + 1000);
    tr_policy_on_fix(&p, &a, TR_MODE_EN_ROUTE, T0, &rep);
    tr_policy_on_fix(&p, &b, TR_MODE_EN_ROUTE, T0 + 1000, &rep);
    CHECK(p.n_outliers == 0 && p.n_fixes == 2);
}

static void test_sparse_velocity(void)
{
    struct tr_policy p;
    struct tr_geo_report rep;
    CHECK(tr_policy_init(&p, NULL) == TR_POLICY_OK);
    /* one fix every 15 s at 25 m/s, no receiver speed */
    for (int i = 0; i < 4; i++) {
        struct tr_fix f = fix_at(0.0, 375.0 * i, T0 + 15000 * i);
        tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, f.t, &rep);
    }
    CHECK(fabs(p.cur.speed_mps - 25.0) < 0.2);
    CHECK(angle_err(p.cur.heading_deg, 0.0) < 0.5);
    /* a minute apart: too long to give a velocity */
    struct tr_fix f = fix_at(0.0, 3000.0, T0 + 45000 + 60000);
    tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, f.t, &rep);
    CHECK(p.cur.speed_mps == 0.0);
}

/* Drive a circle with fixes every dt_ms (no receiver velocity) through a
 * policy with `features`; return the last sample. */
static struct tr_policy_sample drive_circle(unsigned features, int64_t dt_ms, double rad, double v,
                                            int n, double *true_heading)
{
    struct tr_policy p;
    struct tr_policy_params pp;
    struct tr_geo_report rep;
    tr_policy_params_default(&pp);
    pp.features = features;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_OK);
    for (int i = 0; i < n; i++) {
        double x, y;
        double t_s = (double)(dt_ms * i) / 1000.0;
        circle(rad, v, t_s, &x, &y, true_heading);
        struct tr_fix f = fix_at(x, y, T0 + dt_ms * i);
        tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, f.t, &rep);
    }
    return p.hist[0];
}

static void test_turn_estimate(void)
{
    /* 20 m/s on a 400 m radius: 2.86 deg/s clockwise... */
    double rad = 400.0, v = 20.0, truth;
    double rate = -v / rad * 180.0 / PI_D; /* heading decreases: counter-clockwise */
    struct tr_policy_sample s = drive_circle(TR_POLICY_F_ALL, 5000, rad, v, 6, &truth);
    CHECK_MSG(fabs(s.turn_dps - rate) < 0.1, "turn %.3f want %.3f", s.turn_dps, rate);
    /* the chord lags by rate x dt / 2 = 7 deg; the model puts it back */
    CHECK_MSG(angle_err(s.heading_deg, truth) < 0.5, "heading %.2f want %.2f", s.heading_deg,
              truth);
    struct tr_policy_sample straight =
        drive_circle(TR_POLICY_F_ALL & ~TR_POLICY_F_TURN, 5000, rad, v, 6, &truth);
    CHECK(angle_err(straight.heading_deg, truth) > 5.0);

    /* the forecast follows the circle; a straight line does not */
    double lat, lon, x, y, h;
    circle(rad, v, 25.0 + 8.0, &x, &y, &h);
    struct tr_fix want = fix_at(x, y, 0);
    tr_policy_track_forecast(&s, 8.0, true, &lat, &lon);
    double e_turn = tr_geo_distance_m(lat, lon, want.lat, want.lon);
    tr_policy_track_forecast(&s, 8.0, false, &lat, &lon);
    double e_line = tr_geo_distance_m(lat, lon, want.lat, want.lon);
    CHECK_MSG(e_turn < 1.0 && e_line > 10.0, "forecast %.1f m, straight %.1f m", e_turn, e_line);
    /* no more than a quarter turn, then straight on: never a loop */
    tr_policy_track_forecast(&s, 600.0, true, &lat, &lon);
    CHECK(tr_geo_valid(lat, lon));
    CHECK(tr_geo_distance_m(s.lat, s.lon, lat, lon) > 5000.0);

    /* too slow to tell a turn from noise */
    struct tr_policy_sample slow = drive_circle(TR_POLICY_F_ALL, 1000, 5.0, 2.0, 6, &truth);
    CHECK(slow.turn_dps == 0.0);
    /* tighter than the sideways acceleration allows: clamped (6 m/s^2 at 20 m/s) */
    struct tr_policy_sample tight = drive_circle(TR_POLICY_F_ALL, 1000, 40.0, 20.0, 4, &truth);
    CHECK(tight.speed_mps > 15.0);
    CHECK(fabs(tight.turn_dps) <= 6.0 / tight.speed_mps * 180.0 / PI_D + 1e-9);
    CHECK(fabs(tight.turn_dps) > 10.0);
}

static void test_aim(void)
{
    /* an aimed report: the dispatcher's straight line meets the circle aim_s on */
    struct tr_policy p;
    struct tr_policy_params pp;
    struct tr_geo_report rep;
    double rad = 300.0, v = 15.0, x, y, h;
    tr_policy_params_default(&pp);
    pp.aim_s = 6.0;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_OK);
    for (int i = 0; i < 6; i++) {
        circle(rad, v, (double)i, &x, &y, &h);
        struct tr_fix f = fix_at(x, y, T0 + 1000 * i);
        tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, f.t, &rep);
    }
    circle(rad, v, 5.0 + 6.0, &x, &y, &h);
    struct tr_fix want = fix_at(x, y, 0);
    double lat, lon;
    tr_geo_predict(&p.cur, p.cur.t_ms + 6000, TR_POLICY_HORIZON_S, &lat, &lon);
    CHECK_MSG(tr_geo_distance_m(lat, lon, want.lat, want.lon) < 1.5, "aimed %.1f m off",
              tr_geo_distance_m(lat, lon, want.lat, want.lon));
    CHECK(p.cur.speed_mps < v); /* the chord is shorter than the arc */
}

static void test_params(void)
{
    struct tr_policy p;
    struct tr_policy_params pp;
    tr_policy_params_default(&pp);
    CHECK(pp.vel_gap_ms == 30000 && pp.max_speed_mps == 70.0 && pp.aim_s == 0.0);
    CHECK(pp.features == TR_POLICY_F_ALL);
    pp.max_speed_mps = NAN;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_ERR_INVALID);
    tr_policy_params_default(&pp);
    pp.vel_gap_ms = 0;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_ERR_INVALID);
    tr_policy_params_default(&pp);
    pp.aim_s = -1.0;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_ERR_INVALID);
    CHECK(p.p.aim_s == 0.0); /* the defaults instead */
}

int main(void)
{
    test_outliers();
    test_sparse_velocity();
    test_turn_estimate();
    test_aim();
    test_params();
    return check_report("test_policy_track");
}
