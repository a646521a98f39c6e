/*
 * tests/unit/test_policy.c: the reporting policy (fieldagent/core/policy.h)
 * and its baselines, on synthetic drives: first fix and mode changes are
 * reported, a straight constant-speed drive needs almost nothing, turns and
 * stops are reported, heartbeats keep a parked agent fresh, agent_config
 * scales the settings, bad fixes are ignored, and on seeded random drives
 * with turns, speed changes and stops the dispatcher's estimate never
 * strays more than 50 m at a fix.
 */
#include "fieldagent/core/policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tests/support/check.h"

#define T0 1700000000000LL

/* A synthetic vehicle on a local flat plane around (LAT0, LON0). */
#define LAT0 52.0
#define LON0 4.3

struct car {
    double x, y;    /* metres east, north of (LAT0, LON0) */
    double speed;   /* m/s */
    double heading; /* degrees */
    int64_t t;      /* ms */
};

static struct tr_fix car_fix(const struct car *c, int64_t seq, bool with_velocity)
{
    struct tr_fix f;
    memset(&f, 0, sizeof f);
    f.seq = seq;
    f.t = c->t;
    double d = hypot(c->x, c->y);
    double b = atan2(c->x, c->y) * 180.0 / 3.14159265358979323846;
    tr_geo_destination(LAT0, LON0, b, d, &f.lat, &f.lon);
    f.mode = 3;
    if (with_velocity) {
        f.has_speed = f.has_heading = true;
        f.speed = c->speed;
        f.heading = fmod(c->heading + 360.0, 360.0);
    }
    return f;
}

/* Move the car dt_ms at its speed and heading, turning at rate_dps and
 * accelerating at acc (m/s^2), in 100 ms steps. */
static void car_step(struct car *c, int64_t dt_ms, double rate_dps, double acc)
{
    for (int64_t t = 0; t < dt_ms; t += 100) {
        c->heading += rate_dps * 0.1;
        c->speed += acc * 0.1;
        if (c->speed < 0.0)
            c->speed = 0.0;
        double h = c->heading * 3.14159265358979323846 / 180.0;
        c->x += c->speed * sin(h) * 0.1;
        c->y += c->speed * cos(h) * 0.1;
        c->t += 100;
    }
}

/* Feed one fix; track the dispatcher's error as the simulator does (from
 * reports of earlier fixes). Returns the reason. */
struct run {
    struct tr_policy p;
    struct tr_geo_report disp;
    bool have_disp;
    double max_err;
    int reports[TR_REPORT_REASONS];
    int fixes;
};

static enum tr_report_reason feed(struct run *r, const struct tr_fix *f, enum tr_agent_mode mode)
{
    if (r->have_disp) {
        double lat, lon;
        tr_geo_predict(&r->disp, f->t, TR_POLICY_HORIZON_S, &lat, &lon);
        double e = tr_geo_distance_m(f->lat, f->lon, lat, lon);
        if (e > r->max_err)
            r->max_err = e;
    }
    struct tr_geo_report rep;
    enum tr_report_reason why = tr_policy_on_fix(&r->p, f, mode, f->t, &rep);
    if (why != TR_REPORT_NONE) {
        r->disp = rep;
        r->have_disp = true;
    }
    r->reports[why]++;
    r->fixes++;
    return why;
}

static int total(const struct run *r)
{
    int n = 0;
    for (int i = 1; i < TR_REPORT_REASONS; i++)
        n += r->reports[i];
    return n;
}

static void run_init(struct run *r)
{
    memset(r, 0, sizeof *r);
    CHECK(tr_policy_init(&r->p, NULL) == TR_POLICY_OK);
}

static void test_first_and_mode(void)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 10.0, 90.0, T0 };
    struct tr_fix f = car_fix(&c, 0, true);
    struct tr_geo_report rep;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, &rep) == TR_REPORT_FIRST);
    CHECK(rep.lat == f.lat && rep.t_ms == f.t && rep.speed_mps == 10.0 && rep.heading_deg == 90.0);
    CHECK(rep.has == (TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING));
    double lat, lon;
    CHECK(tr_policy_estimate(&r.p, T0 + 10000, &lat, &lon));
    CHECK(fabs(tr_geo_distance_m(f.lat, f.lon, lat, lon) - 100.0) < 0.01);

    car_step(&c, 1000, 0, 0);
    f = car_fix(&c, 1, true);
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, f.t, NULL) == TR_REPORT_NONE);
    car_step(&c, 1000, 0, 0);
    f = car_fix(&c, 2, true);
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_ON_SITE, f.t, &rep) == TR_REPORT_MODE);
    /* mode change without a fix, on the tick */
    CHECK(tr_policy_on_tick(&r.p, f.t + 500, TR_MODE_ON_SITE, &rep) == TR_REPORT_NONE);
    CHECK(tr_policy_on_tick(&r.p, f.t + 500, TR_MODE_IDLE, &rep) == TR_REPORT_MODE);
    CHECK(rep.t_ms == f.t);

    /* nothing before the first fix */
    struct tr_policy p2;
    tr_policy_init(&p2, NULL);
    CHECK(tr_policy_on_tick(&p2, T0, TR_MODE_IDLE, &rep) == TR_REPORT_NONE);
    CHECK(!tr_policy_estimate(&p2, T0, &lat, &lon));
}

static void test_bad_fixes(void)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 10.0, 0.0, T0 };
    struct tr_fix good = car_fix(&c, 0, true), f;

    f = good;
    f.lat = NAN;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    f = good;
    f.lon = INFINITY;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    f = good;
    f.lat = 91.0;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    f = good;
    f.mode = 1;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    CHECK(tr_policy_on_fix(&r.p, &good, (enum tr_agent_mode)7, T0, NULL) == TR_REPORT_NONE);
    CHECK(r.p.n_ignored == 5 && r.p.n_fixes == 0);
    CHECK(tr_policy_on_fix(&r.p, &good, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_FIRST);
    /* the same time again, and an older one */
    CHECK(tr_policy_on_fix(&r.p, &good, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    f = good;
    f.t -= 1000;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, T0, NULL) == TR_REPORT_NONE);
    CHECK(r.p.n_ignored == 7 && r.p.n_fixes == 1);
    /* NaN speed and heading count as absent: derived from positions */
    car_step(&c, 1000, 0, 0);
    f = car_fix(&c, 1, true);
    f.speed = NAN;
    f.heading = NAN;
    CHECK(tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, f.t, NULL) == TR_REPORT_NONE);
    CHECK(fabs(r.p.cur.speed_mps - 10.0) < 0.01 && fabs(r.p.cur.heading_deg - 0.0) < 0.1);
    CHECK(tr_policy_on_fix(NULL, &f, TR_MODE_EN_ROUTE, f.t, NULL) == TR_REPORT_NONE);
    CHECK(tr_policy_on_fix(&r.p, NULL, TR_MODE_EN_ROUTE, f.t, NULL) == TR_REPORT_NONE);
}

/* One fix dated 18 s ahead (a receiver without its leap seconds), then the
 * corrected clock: reporting carries on from the real fixes at once instead
 * of ignoring them until the clock passes the wrong one. */
static void test_clock_back(void)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 20.0, 0.0, T0 };
    for (int i = 0; i < 10; i++) {
        feed(&r, &(struct tr_fix){ 0 }, TR_MODE_EN_ROUTE); /* ignored: no fix */
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    struct tr_fix ahead = car_fix(&c, 10, true);
    ahead.t += 18000;
    feed(&r, &ahead, TR_MODE_EN_ROUTE);
    car_step(&c, 1000, 0, 0);
    /* a repeat of the newest time, and one a second older: still repeats */
    struct tr_fix again = ahead;
    CHECK(tr_policy_on_fix(&r.p, &again, TR_MODE_EN_ROUTE, again.t, NULL) == TR_REPORT_NONE);
    again.t -= 1000;
    CHECK(tr_policy_on_fix(&r.p, &again, TR_MODE_EN_ROUTE, again.t, NULL) == TR_REPORT_NONE);
    CHECK(r.p.n_clock_back == 0);
    /* the corrected clock: 17 s before the wrong fix */
    struct tr_fix real = car_fix(&c, 11, true);
    CHECK(tr_policy_on_fix(&r.p, &real, TR_MODE_EN_ROUTE, real.t, NULL) == TR_REPORT_FIRST);
    CHECK(r.p.n_clock_back == 1);
    /* and it goes on: a turn is reported within seconds, not after 17 s */
    int turned = 0;
    for (int i = 12; i < 22; i++) {
        car_step(&c, 1000, 30.0, 0);
        struct tr_fix f = car_fix(&c, i, true);
        turned += tr_policy_on_fix(&r.p, &f, TR_MODE_EN_ROUTE, f.t, NULL) != TR_REPORT_NONE;
    }
    CHECK_MSG(turned > 0, "no report in 10 s of turning after the clock correction");
    /* the agent's check before storing a report */
    CHECK(tr_policy_reported_already(T0, T0) && tr_policy_reported_already(T0 - 2000, T0));
    CHECK(!tr_policy_reported_already(T0 + 1, T0) && !tr_policy_reported_already(T0 - 2001, T0));
}

static void test_straight_line(bool with_velocity)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 20.0, 45.0, T0 };
    for (int i = 0; i < 600; i++) {
        struct tr_fix f = car_fix(&c, i, with_velocity);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    /* the first fix, one more when the velocity becomes known (derived),
     * and a heartbeat each max_interval (60 s) */
    CHECK_MSG(total(&r) <= 11 + !with_velocity, "%d reports", total(&r));
    CHECK(r.reports[TR_REPORT_DRIFT] == 0);
    CHECK(r.reports[TR_REPORT_HEARTBEAT] >= 9);
    /* the plane of struct car is not quite a great circle: ~2 m over 12 km;
     * without a receiver velocity the first report stands still for 1 s */
    CHECK_MSG(r.max_err < (with_velocity ? 5.0 : 25.0), "max err %.2f", r.max_err);
}

static void test_turn(void)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 15.0, 0.0, T0 };
    int i = 0;
    for (; i < 30; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    CHECK(total(&r) == 1);
    /* a 90 degree right turn over 6 s, then straight on */
    int before = total(&r);
    for (; i < 36; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 15.0, 0);
    }
    for (; i < 60; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    CHECK(total(&r) > before);
    CHECK(r.reports[TR_REPORT_AHEAD] + r.reports[TR_REPORT_DRIFT] >= 1);
    CHECK_MSG(total(&r) <= before + 4, "%d reports for one turn", total(&r) - before);
    CHECK_MSG(r.max_err <= 50.0, "max err %.1f", r.max_err);
}

static void test_stop_and_heartbeat(void)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 15.0, 180.0, T0 };
    int i = 0;
    for (; i < 20; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    /* brake hard to a stop, then the receiver goes quiet for 20 s */
    for (; i < 25; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, -4.0);
    }
    CHECK(r.reports[TR_REPORT_STOP] + r.reports[TR_REPORT_AHEAD] >= 1);
    CHECK(r.disp.speed_mps < TR_GEO_PREDICT_MIN_SPEED_MPS);
    car_step(&c, 20000, 0, 0);
    int before = total(&r);
    /* parked for 1000 s at 1 Hz: heartbeats every 300 s, nothing else */
    for (int k = 0; k <= 1000; k++, i++) {
        struct tr_fix f = car_fix(&c, i, true);
        feed(&r, &f, TR_MODE_EN_ROUTE);
        car_step(&c, 1000, 0, 0);
    }
    CHECK_MSG(r.max_err <= 50.0, "max err %.1f", r.max_err);
    CHECK_MSG(total(&r) - before == 3, "%d reports while parked", total(&r) - before);
    CHECK(r.reports[TR_REPORT_HEARTBEAT] == 3);

    /* no fixes at all: the tick sends the heartbeat */
    struct tr_geo_report rep;
    int64_t now = c.t;
    int beats = 0;
    for (int k = 0; k < 900; k++, now += 1000)
        beats += tr_policy_on_tick(&r.p, now, TR_MODE_EN_ROUTE, &rep) == TR_REPORT_HEARTBEAT;
    CHECK_MSG(beats == 3, "%d beats", beats);
    /* a clock that jumps back does not send a burst */
    CHECK(tr_policy_on_tick(&r.p, T0, TR_MODE_EN_ROUTE, &rep) == TR_REPORT_NONE);
    CHECK(tr_policy_on_tick(&r.p, T0 + 1000, TR_MODE_EN_ROUTE, &rep) == TR_REPORT_NONE);
}

static void test_config(void)
{
    struct tr_policy p;
    tr_policy_init(&p, NULL);
    const struct tr_policy_mode_params *en = tr_policy_mode(&p, TR_MODE_EN_ROUTE);
    const struct tr_policy_mode_params *idle = tr_policy_mode(&p, TR_MODE_IDLE);
    CHECK(en->threshold_m == 45.0 && idle->threshold_m == 200.0);
    CHECK(en->max_interval_ms == 60000 && en->heartbeat_ms == 300000);

    struct tr_agent_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.has_threshold_m = true;
    cfg.threshold_m = 90.0;
    CHECK(tr_policy_apply_config(&p, &cfg) == TR_POLICY_OK);
    CHECK(en->threshold_m == 90.0 && idle->threshold_m == 400.0);
    CHECK(en->max_interval_ms == 60000);
    cfg.has_threshold_m = false;
    cfg.has_max_interval_s = cfg.has_heartbeat_s = true;
    cfg.max_interval_s = 30;
    cfg.heartbeat_s = 600;
    CHECK(tr_policy_apply_config(&p, &cfg) == TR_POLICY_OK);
    CHECK(en->threshold_m == 90.0 && en->max_interval_ms == 30000 && en->heartbeat_ms == 600000);
    CHECK(idle->max_interval_ms == 150000 && idle->heartbeat_ms == 1800000);
    /* out of range: refused, nothing changes */
    cfg.max_interval_s = 4;
    CHECK(tr_policy_apply_config(&p, &cfg) == TR_POLICY_ERR_INVALID);
    cfg.max_interval_s = 30;
    cfg.has_threshold_m = true;
    cfg.threshold_m = NAN;
    CHECK(tr_policy_apply_config(&p, &cfg) == TR_POLICY_ERR_INVALID);
    cfg.threshold_m = 2001;
    CHECK(tr_policy_apply_config(&p, &cfg) == TR_POLICY_ERR_INVALID);
    CHECK(en->threshold_m == 90.0 && en->max_interval_ms == 30000);
    CHECK(tr_policy_apply_config(NULL, &cfg) == TR_POLICY_ERR_INVALID);

    /* a tighter threshold means more reports on the same wiggly drive */
    int counts[2];
    for (int k = 0; k < 2; k++) {
        struct run r;
        run_init(&r);
        if (k == 1) {
            struct tr_agent_config c2;
            memset(&c2, 0, sizeof c2);
            c2.has_threshold_m = true;
            c2.threshold_m = 10.0;
            tr_policy_apply_config(&r.p, &c2);
        }
        struct car c = { 0, 0, 12.0, 0.0, T0 };
        for (int i = 0; i < 300; i++) {
            struct tr_fix f = car_fix(&c, i, true);
            feed(&r, &f, TR_MODE_EN_ROUTE);
            car_step(&c, 1000, 8.0 * sin(i / 10.0), 0);
        }
        counts[k] = total(&r);
        CHECK_MSG(r.max_err <= (k ? 15.0 : 50.0), "threshold case %d: max err %.1f", k, r.max_err);
    }
    CHECK_MSG(counts[1] > counts[0] * 2, "%d vs %d", counts[1], counts[0]);

    /* bad parameters fall back to the defaults */
    struct tr_policy_params pp;
    tr_policy_params_default(&pp);
    pp.mode[TR_MODE_IDLE].threshold_m = -1;
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_ERR_INVALID);
    CHECK(tr_policy_mode(&p, TR_MODE_IDLE)->threshold_m == 200.0);
    CHECK(tr_policy_init(NULL, NULL) == TR_POLICY_ERR_INVALID);
    CHECK(tr_policy_mode(&p, (enum tr_agent_mode)9) == NULL);
}

/* xorshift64*: a seeded PRNG for reproducible random drives. */
static double rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return (double)((*s * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

/* A random drive: segments of cruising, turning (bounded by 4 m/s^2
 * sideways), speeding up, braking, and stops of up to a minute. */
static void random_drive(uint64_t seed, bool with_velocity, double *max_err, double *ratio)
{
    struct run r;
    run_init(&r);
    struct car c = { 0, 0, 0.0, rnd(&seed) * 360.0, T0 };
    int i = 0;
    while (i < 3600) {
        double u = rnd(&seed);
        int len = 3 + (int)(rnd(&seed) * 25);
        double rate = 0.0, acc = 0.0, target = 0.0;
        if (u < 0.35) {
            double max_rate = c.speed > 1.0 ? 4.0 / c.speed * 57.3 : 30.0;
            rate = (rnd(&seed) * 2.0 - 1.0) * fmin(max_rate, 30.0);
        } else if (u < 0.6) {
            target = rnd(&seed) * 30.0; /* up to 108 km/h */
            acc = target > c.speed ? 2.0 : -3.0;
        } else if (u < 0.7) {
            acc = -4.0; /* to a stop, then wait */
            target = 0.0;
        }
        for (int k = 0; k < len && i < 3600; k++, i++) {
            struct tr_fix f = car_fix(&c, i, with_velocity);
            feed(&r, &f, TR_MODE_EN_ROUTE);
            double a = acc;
            if ((acc > 0 && c.speed >= target) || (acc < 0 && c.speed <= target))
                a = 0.0;
            car_step(&c, 1000, rate, a);
        }
    }
    *max_err = r.max_err;
    *ratio = (double)total(&r) / r.fixes;
}

static void test_random_drives(void)
{
    for (uint64_t seed = 1; seed <= 12; seed++) {
        for (int v = 0; v < 2; v++) {
            double err, ratio;
            random_drive(seed * 0x9E3779B97F4A7C15ULL, v == 1, &err, &ratio);
            CHECK_MSG(err <= 50.0, "seed %llu velocity %d: max err %.1f m",
                      (unsigned long long)seed, v, err);
            CHECK_MSG(ratio <= 0.25, "seed %llu velocity %d: ratio %.3f", (unsigned long long)seed,
                      v, ratio);
        }
    }
}

static void test_baselines(void)
{
    struct tr_distance_reporter d;
    struct tr_fixed_rate fr;
    tr_distance_reporter_init(&d, 50.0);
    tr_fixed_rate_init(&fr, 1000, 10000);
    struct car c = { 0, 0, 10.2, 0.0, T0 };
    int sent = 0;
    for (int i = 0; i < 101; i++) {
        struct tr_fix f = car_fix(&c, i, true);
        sent += tr_distance_reporter_on_fix(&d, &f);
        tr_fixed_rate_on_fix(&fr, &f);
        car_step(&c, 1000, 0, 0);
    }
    /* 1020 m at 10.2 m/s: the first fix and every 51 m (5 s) */
    CHECK_MSG(sent == 21 && d.messages == 21, "%d", sent);
    CHECK(tr_fixed_rate_messages(&fr) == 101);
    /* a 60 s gap counts as 10 s */
    car_step(&c, 60000, 0, 0);
    struct tr_fix f = car_fix(&c, 200, true);
    tr_fixed_rate_on_fix(&fr, &f);
    CHECK(tr_fixed_rate_messages(&fr) == 111);
    f.mode = 1;
    CHECK(!tr_distance_reporter_on_fix(&d, &f));
    struct tr_fixed_rate empty;
    tr_fixed_rate_init(&empty, 0, 0);
    CHECK(tr_fixed_rate_messages(&empty) == 0);
}

static void test_names(void)
{
    CHECK(strcmp(tr_policy_reason_name(TR_REPORT_FIRST), "first") == 0);
    CHECK(strcmp(tr_policy_reason_name(TR_REPORT_AHEAD), "ahead") == 0);
    CHECK(strcmp(tr_policy_reason_name(TR_REPORT_HEARTBEAT), "heartbeat") == 0);
    CHECK(strcmp(tr_policy_reason_name((enum tr_report_reason)42), "?") == 0);
    CHECK(strcmp(tr_policy_strerror(TR_POLICY_ERR_INVALID), "invalid argument") == 0);
}

int main(void)
{
    test_first_and_mode();
    test_bad_fixes();
    test_clock_back();
    test_straight_line(true);
    test_straight_line(false);
    test_turn();
    test_stop_and_heartbeat();
    test_config();
    test_random_drives();
    test_baselines();
    test_names();
    return check_report("test_policy");
}
