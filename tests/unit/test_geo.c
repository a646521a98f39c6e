/*
 * tests/unit/test_geo.c: common/geo against known distances, round trips on
 * random points, the dead-reckoning contract and the chord conversions.
 * Prints the measured error of tr_geo_fast_distance_m, and of
 * tr_geo_distance_m against a long double reference and against the
 * haversine it replaced.
 */
#include "common/geo.h"
#include "tests/support/check.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

/* xorshift64*: deterministic test points, no global state. */
static double rnd(uint64_t *s, double lo, double hi)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    uint64_t r = *s * 2685821657736338717ULL;
    return lo + (hi - lo) * ((double)(r >> 11) / 9007199254740992.0);
}

static int near(double a, double b, double tol)
{
    return fabs(a - b) <= tol;
}

static double angle_diff(double a, double b)
{
    double d = fmod(fabs(a - b), 360.0);
    return d > 180.0 ? 360.0 - d : d;
}

static void test_known_distances(void)
{
    /* JFK (40.6413, -73.7781) - LAX (33.9416, -118.4085): ~3983 km. */
    double d = tr_geo_distance_m(40.6413, -73.7781, 33.9416, -118.4085);
    CHECK_MSG(fabs(d - 3983e3) / 3983e3 < 0.005, "JFK-LAX %.0f m", d);
    /* Paris (48.8566, 2.3522) - London (51.5074, -0.1278): ~343.5 km. */
    d = tr_geo_distance_m(48.8566, 2.3522, 51.5074, -0.1278);
    CHECK_MSG(fabs(d - 343.5e3) / 343.5e3 < 0.005, "Paris-London %.0f m", d);
    CHECK(near(tr_geo_distance_m(48.8566, 2.3522, 51.5074, -0.1278),
               tr_geo_distance_m(51.5074, -0.1278, 48.8566, 2.3522), 1e-6));
    /* 1 m of latitude is 1/111195 degree. */
    double one_m_deg = 1.0 / (TR_GEO_EARTH_RADIUS_M * 3.14159265358979323846 / 180.0);
    d = tr_geo_distance_m(45.0, 7.0, 45.0 + one_m_deg, 7.0);
    CHECK_MSG(near(d, 1.0, 1e-6), "1 m apart: %.9f", d);
    d = tr_geo_distance_m(45.0, 7.0, 45.0, 7.0);
    CHECK(d == 0.0);
    /* Antipodes: half the circumference, pi * R = 20015.1 km (haversine
     * loses ~1e-8 rad there: a few cm). */
    double half = 3.14159265358979323846 * TR_GEO_EARTH_RADIUS_M;
    d = tr_geo_distance_m(10.0, 20.0, -10.0, -160.0);
    CHECK_MSG(near(d, half, 0.5), "antipodes %.3f", d);
    CHECK(near(half, 20015.1e3, 100.0));
    d = tr_geo_distance_m(90.0, 0.0, -90.0, 0.0);
    CHECK(near(d, half, 1e-3));
    /* Across the antimeridian: 0.2 degree of longitude at the equator. */
    d = tr_geo_distance_m(0.0, 179.9, 0.0, -179.9);
    CHECK_MSG(near(d, 0.2 * half / 180.0, 1e-3), "antimeridian %.3f", d);
    CHECK(isnan(tr_geo_distance_m(NAN, 0, 0, 0)));
    CHECK(isnan(tr_geo_distance_m(0, 0, 0, INFINITY)));
}

static void test_bearing(void)
{
    CHECK(near(tr_geo_bearing_deg(0, 0, 1, 0), 0.0, 1e-9));
    CHECK(near(tr_geo_bearing_deg(0, 0, 0, 1), 90.0, 1e-9));
    CHECK(near(tr_geo_bearing_deg(0, 0, -1, 0), 180.0, 1e-9));
    CHECK(near(tr_geo_bearing_deg(0, 0, 0, -1), 270.0, 1e-9));
    CHECK(near(tr_geo_bearing_deg(0, 179.9, 0, -179.9), 90.0, 1e-9));
    CHECK(tr_geo_bearing_deg(5, 5, 5, 5) == 0.0);
    /* Paris -> London is roughly north-west (~330 degrees). */
    double b = tr_geo_bearing_deg(48.8566, 2.3522, 51.5074, -0.1278);
    CHECK_MSG(b > 325.0 && b < 335.0, "Paris->London %.3f", b);
    for (double lat = -89.0; lat <= 89.0; lat += 1.0) {
        double bb = tr_geo_bearing_deg(lat, 3.0, lat + 0.5, 3.0);
        CHECK(bb >= 0.0 && bb < 360.0 && angle_diff(bb, 0.0) < 1e-9);
    }
    CHECK(isnan(tr_geo_bearing_deg(NAN, 0, 1, 1)));
}

static void test_normalize(void)
{
    CHECK(tr_geo_normalize_lon(0.0) == 0.0);
    CHECK(tr_geo_normalize_lon(180.0) == -180.0);
    CHECK(tr_geo_normalize_lon(-180.0) == -180.0);
    CHECK(near(tr_geo_normalize_lon(190.0), -170.0, 1e-12));
    CHECK(near(tr_geo_normalize_lon(-190.0), 170.0, 1e-12));
    CHECK(near(tr_geo_normalize_lon(720.5), 0.5, 1e-12));
    CHECK(near(tr_geo_normalize_lon(-540.0), -180.0, 1e-12));
    double x = tr_geo_normalize_lon(-180.0 - 1e-15);
    CHECK(x >= -180.0 && x < 180.0);
    x = tr_geo_normalize_lon(1e300);
    CHECK(x >= -180.0 && x < 180.0);
    CHECK(isnan(tr_geo_normalize_lon(NAN)));
    CHECK(isnan(tr_geo_normalize_lon(-INFINITY)));

    CHECK(tr_geo_valid(0, 0));
    CHECK(tr_geo_valid(90, 180));
    CHECK(tr_geo_valid(-90, -180));
    CHECK(!tr_geo_valid(90.0001, 0));
    CHECK(!tr_geo_valid(0, 180.0001));
    CHECK(!tr_geo_valid(NAN, 0));
    CHECK(!tr_geo_valid(0, INFINITY));
}

static void test_destination_round_trip(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int bad_d = 0, bad_b = 0, bad_range = 0;
    double worst_d = 0.0, worst_b = 0.0;
    for (int i = 0; i < 20000; i++) {
        double lat = rnd(&seed, -85.0, 85.0), lon = rnd(&seed, -180.0, 180.0);
        double brg = rnd(&seed, 0.0, 360.0);
        /* Log-uniform from 1 m to 10000 km (short of antipodal ambiguity). */
        double dist = pow(10.0, rnd(&seed, 0.0, 7.0));
        double lat2, lon2;
        tr_geo_destination(lat, lon, brg, dist, &lat2, &lon2);
        if (!tr_geo_valid(lat2, lon2) || lon2 >= 180.0)
            bad_range++;
        double back_d = tr_geo_distance_m(lat, lon, lat2, lon2);
        double back_b = tr_geo_bearing_deg(lat, lon, lat2, lon2);
        double ed = fabs(back_d - dist) / dist;
        double eb = angle_diff(back_b, brg);
        worst_d = fmax(worst_d, ed);
        worst_b = fmax(worst_b, eb);
        if (ed > 1e-6)
            bad_d++;
        /* Bearing: 1e-6 relative to a full turn. */
        if (eb > 360.0 * 1e-6)
            bad_b++;
    }
    CHECK_MSG(bad_range == 0, "%d destinations out of range", bad_range);
    CHECK_MSG(bad_d == 0, "%d distance round trips off, worst %.3g", bad_d, worst_d);
    CHECK_MSG(bad_b == 0, "%d bearing round trips off, worst %.3g deg", bad_b, worst_b);
    printf("destination round trip: worst distance rel err %.2g, worst bearing err %.2g deg\n",
           worst_d, worst_b);

    double lat2, lon2;
    tr_geo_destination(0.0, 179.95, 90.0, 11119.5, &lat2, &lon2);
    CHECK(near(lat2, 0.0, 1e-9) && near(lon2, -179.95, 1e-3));
    tr_geo_destination(89.999, 0.0, 0.0, 1000.0, &lat2, &lon2);
    CHECK(!isnan(lat2) && !isnan(lon2) && lat2 <= 90.0);
    tr_geo_destination(90.0, 0.0, 180.0, 1000.0, &lat2, &lon2);
    CHECK(!isnan(lat2) && !isnan(lon2) && near(lat2, 90.0 - 1000.0 / 111195.08, 1e-6));
}

static void test_fast_distance(void)
{
    uint64_t seed = 12345;
    double worst10 = 0.0, worst100 = 0.0;
    for (int i = 0; i < 20000; i++) {
        double lat = rnd(&seed, -80.0, 80.0), lon = rnd(&seed, -180.0, 180.0);
        double dist = pow(10.0, rnd(&seed, 0.0, 5.0)); /* 1 m .. 100 km */
        double lat2, lon2;
        tr_geo_destination(lat, lon, rnd(&seed, 0.0, 360.0), dist, &lat2, &lon2);
        if (fabs(lat2) > 80.0)
            continue;
        double exact = tr_geo_distance_m(lat, lon, lat2, lon2);
        double fast = tr_geo_fast_distance_m(lat, lon, lat2, lon2);
        double e = fabs(fast - exact) / exact;
        if (dist <= 10e3)
            worst10 = fmax(worst10, e);
        worst100 = fmax(worst100, e);
    }
    printf("fast distance: worst rel err %.3g (<= 10 km), %.3g (<= 100 km), |lat| <= 80\n", worst10,
           worst100);
    CHECK(worst10 < 1e-5);
    CHECK(worst100 < 5e-4);
    CHECK(near(tr_geo_fast_distance_m(0.0, 179.9, 0.0, -179.9),
               tr_geo_distance_m(0.0, 179.9, 0.0, -179.9), 1e-3));
}

static void test_predict(void)
{
    struct tr_geo_report r = { .lat = 45.0, .lon = 7.0, .t_ms = 1700000000000LL };
    double lat, lon;

    /* No speed/heading: stay put. */
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);

    /* North at 10 m/s for 60 s: 600 m. */
    r.has = TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING;
    r.speed_mps = 10.0;
    r.heading_deg = 0.0;
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK_MSG(near(tr_geo_distance_m(45.0, 7.0, lat, lon), 600.0, 1e-6), "%.9f",
              tr_geo_distance_m(45.0, 7.0, lat, lon));
    CHECK(lat > 45.0 && near(lon, 7.0, 1e-12));

    /* Horizon cap: 600 s elapsed, 120 s horizon: 1200 m. */
    tr_geo_predict(&r, r.t_ms + 600000, 120.0, &lat, &lon);
    CHECK(near(tr_geo_distance_m(45.0, 7.0, lat, lon), 1200.0, 1e-6));

    /* Only one of the two bits: stay put. */
    r.has = TR_GEO_HAS_SPEED;
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    r.has = TR_GEO_HAS_HEADING;
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    r.has = TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING;

    /* Slow: stay put. Just above the threshold: moves. */
    r.speed_mps = 0.49;
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    r.speed_mps = TR_GEO_PREDICT_MIN_SPEED_MPS;
    tr_geo_predict(&r, r.t_ms + 60000, 120.0, &lat, &lon);
    CHECK(near(tr_geo_distance_m(45.0, 7.0, lat, lon), 30.0, 1e-6));
    r.speed_mps = 10.0;

    /* Negative or zero elapsed, bad horizon, NaN speed: stay put. */
    tr_geo_predict(&r, r.t_ms - 5000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    tr_geo_predict(&r, r.t_ms, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    tr_geo_predict(&r, r.t_ms + 1000, 0.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    tr_geo_predict(&r, r.t_ms + 1000, NAN, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    r.speed_mps = NAN;
    tr_geo_predict(&r, r.t_ms + 1000, 120.0, &lat, &lon);
    CHECK(lat == 45.0 && lon == 7.0);
    r.speed_mps = 1e308;
    tr_geo_predict(&r, r.t_ms + 100000, 1e6, &lat, &lon);
    CHECK(!isnan(lat) && !isnan(lon));
    r.speed_mps = 10.0;

    /* Extreme timestamps do not overflow. */
    r.t_ms = INT64_MIN;
    tr_geo_predict(&r, INT64_MAX, 60.0, &lat, &lon);
    CHECK(near(tr_geo_distance_m(45.0, 7.0, lat, lon), 600.0, 1e-6));
    r.t_ms = 0;

    /* East across the antimeridian, and over the poles: never NaN, in range. */
    r.lat = 0.0;
    r.lon = 179.999;
    r.heading_deg = 90.0;
    r.speed_mps = 30.0;
    tr_geo_predict(&r, 60000, 120.0, &lat, &lon);
    CHECK(tr_geo_valid(lat, lon) && lon < 0.0 && lon > -180.0);
    int nan_seen = 0;
    for (int i = 0; i < 360; i += 15) {
        for (double plat = -90.0; plat <= 90.0; plat += 45.0) {
            struct tr_geo_report p = { .lat = plat,
                                       .lon = 180.0,
                                       .speed_mps = 25.0,
                                       .heading_deg = i,
                                       .t_ms = 0,
                                       .has = TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING };
            tr_geo_predict(&p, 120000, 300.0, &lat, &lon);
            if (!tr_geo_valid(lat, lon) || lon >= 180.0)
                nan_seen++;
            else if (!near(tr_geo_distance_m(plat, 180.0, lat, lon), 3000.0, 1e-5))
                nan_seen++;
        }
    }
    CHECK_MSG(nan_seen == 0, "%d bad predictions near poles/antimeridian", nan_seen);

    /* Invalid reported position: NaN out. */
    r.lat = 91.0;
    tr_geo_predict(&r, 1000, 60.0, &lat, &lon);
    CHECK(isnan(lat) && isnan(lon));
}

static void test_chord(void)
{
    double v[3];
    tr_geo_to_unit(0, 0, v);
    CHECK(near(v[0], 1, 1e-15) && near(v[1], 0, 1e-15) && near(v[2], 0, 1e-15));
    tr_geo_to_unit(0, 90, v);
    CHECK(near(v[0], 0, 1e-15) && near(v[1], 1, 1e-15));
    tr_geo_to_unit(90, 0, v);
    CHECK(near(v[2], 1, 1e-15));

    /* Chord between unit vectors agrees with the great-circle distance. */
    uint64_t seed = 777;
    int bad = 0;
    for (int i = 0; i < 5000; i++) {
        double a[3], b[3];
        double la = rnd(&seed, -90, 90), loa = rnd(&seed, -180, 180);
        double lb = rnd(&seed, -90, 90), lob = rnd(&seed, -180, 180);
        tr_geo_to_unit(la, loa, a);
        tr_geo_to_unit(lb, lob, b);
        double c = sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) +
                        (a[2] - b[2]) * (a[2] - b[2]));
        double d = tr_geo_distance_m(la, loa, lb, lob);
        if (fabs(tr_geo_chord_to_m(c) - d) > 1e-3 * fmax(1.0, d / 1e6))
            bad++;
    }
    CHECK_MSG(bad == 0, "%d chord/distance mismatches", bad);

    /* Monotone and mutually inverse. */
    double prev_m = -1.0, prev_c = -1.0;
    int mono = 1, inv = 1;
    for (int i = 0; i <= 2000; i++) {
        double c = 2.0 * i / 2000.0;
        double m = tr_geo_chord_to_m(c);
        if (!(m > prev_m))
            mono = 0;
        prev_m = m;
        if (!near(tr_geo_m_to_chord(m), c, 1e-12))
            inv = 0;
        double mm = 20015e3 * i / 2000.0;
        double cc = tr_geo_m_to_chord(mm);
        if (!(cc > prev_c))
            mono = 0;
        prev_c = cc;
        if (!near(tr_geo_chord_to_m(cc), mm, 1e-6 * fmax(1.0, mm / 1e3)))
            inv = 0;
    }
    CHECK(mono);
    CHECK(inv);
    CHECK(tr_geo_chord_to_m(0.0) == 0.0);
    CHECK(tr_geo_m_to_chord(0.0) == 0.0);
    CHECK(near(tr_geo_chord_to_m(2.0), 3.14159265358979323846 * TR_GEO_EARTH_RADIUS_M, 1e-6));
    CHECK(tr_geo_chord_to_m(3.0) == tr_geo_chord_to_m(2.0));
    CHECK(tr_geo_m_to_chord(-5.0) == 0.0);
    CHECK(tr_geo_m_to_chord(1e9) == 2.0);
    CHECK(near(tr_geo_chord_to_m(tr_geo_m_to_chord(1.0)), 1.0, 1e-9));
}

/* The reference: the same vector formula in long double (80-bit on x86-64;
 * on targets where long double is double this only checks consistency). */
static long double ref_m(double lat1, double lon1, double lat2, double lon2)
{
    const long double k = 3.14159265358979323846264338327950288L / 180.0L;
    long double p1 = lat1 * k, l1 = lon1 * k, p2 = lat2 * k, l2 = lon2 * k;
    long double a[3] = { cosl(p1) * cosl(l1), cosl(p1) * sinl(l1), sinl(p1) };
    long double b[3] = { cosl(p2) * cosl(l2), cosl(p2) * sinl(l2), sinl(p2) };
    long double d2 = 0.0L, s2 = 0.0L;
    for (int i = 0; i < 3; i++) {
        d2 += (a[i] - b[i]) * (a[i] - b[i]);
        s2 += (a[i] + b[i]) * (a[i] + b[i]);
    }
    return (long double)TR_GEO_EARTH_RADIUS_M * 2.0L * atan2l(sqrtl(d2), sqrtl(s2));
}

/* The haversine (atan2 form) tr_geo_distance_m used before the vector form. */
static double old_haversine_m(double lat1, double lon1, double lat2, double lon2)
{
    const double k = 3.14159265358979323846 / 180.0;
    double p1 = lat1 * k, p2 = lat2 * k;
    double sdp = sin((p2 - p1) / 2.0);
    double sdl = sin((lon2 - lon1) * k / 2.0);
    double a = sdp * sdp + cos(p1) * cos(p2) * sdl * sdl;
    a = a < 0.0 ? 0.0 : (a > 1.0 ? 1.0 : a);
    return TR_GEO_EARTH_RADIUS_M * 2.0 * atan2(sqrt(a), sqrt(1.0 - a));
}

struct acc {
    const char *name;
    double max_ref, max_old; /* max |d - reference|, |d - old haversine|, metres */
};

static void acc_add(struct acc *a, double lat1, double lon1, double lat2, double lon2)
{
    double d = tr_geo_distance_m(lat1, lon1, lat2, lon2);
    double r = (double)fabsl((long double)d - ref_m(lat1, lon1, lat2, lon2));
    double o = fabs(d - old_haversine_m(lat1, lon1, lat2, lon2));
    if (!(r <= a->max_ref)) /* NaN counts as worst */
        a->max_ref = isnan(r) ? INFINITY : r;
    if (!(o <= a->max_old))
        a->max_old = isnan(o) ? INFINITY : o;
    /* the same bits as the unit-vector form it is defined as */
    double u[3], v[3];
    tr_geo_to_unit(lat1, lon1, u);
    tr_geo_to_unit(lat2, lon2, v);
    if (tr_geo_unit_distance_m(u, v, NULL) != d)
        a->max_ref = INFINITY;
}

static void acc_report(const struct acc *a, double tol_ref, double tol_old)
{
    printf("test_geo: distance %-12s max |d - ref| %.3g m, max |d - old haversine| %.3g m\n",
           a->name, a->max_ref, a->max_old);
    CHECK_MSG(a->max_ref <= tol_ref, "%s: %g m from the reference", a->name, a->max_ref);
    CHECK_MSG(a->max_old <= tol_old, "%s: %g m from the old haversine", a->name, a->max_old);
}

static void test_distance_accuracy(void)
{
    uint64_t seed = 4242;
    struct acc global = { "global", 0, 0 }, tiny = { "1 mm", 0, 0 }, near_m = { "1 m", 0, 0 },
               anti = { "antipodal", 0, 0 }, pole = { "poles", 0, 0 },
               am = { "antimeridian", 0, 0 };

    for (int i = 0; i < 20000; i++) {
        double la = rnd(&seed, -90, 90), loa = rnd(&seed, -180, 180);
        double lb = rnd(&seed, -90, 90), lob = rnd(&seed, -180, 180);
        acc_add(&global, la, loa, lb, lob);
        /* 1 mm and 1 m apart: ~9e-9 and ~9e-6 degrees of latitude */
        double t = rnd(&seed, 0, 6.283185307179586);
        double dl = 1e-3 / 111195.0;
        acc_add(&tiny, la, loa, la + dl * cos(t), tr_geo_normalize_lon(loa + dl * sin(t)));
        acc_add(&near_m, la * 0.99, loa, la * 0.99 + 1e3 * dl * cos(t), loa + 1e3 * dl * sin(t));
        /* exactly antipodal, and a hair off it */
        double ob = tr_geo_normalize_lon(loa + 180.0);
        acc_add(&anti, la, loa, -la, ob);
        acc_add(&anti, la, loa, -la + dl * cos(t), tr_geo_normalize_lon(ob + 1e3 * dl * sin(t)));
        /* at and next to a pole, any longitudes */
        acc_add(&pole, 90.0, loa, 90.0, lob);
        acc_add(&pole, -90.0, loa, -90.0 + 1e3 * dl, lob);
        acc_add(&pole, 90.0, loa, lb, lob);
        /* across the antimeridian */
        acc_add(&am, la, 179.9999, la, -179.9999);
        acc_add(&am, la * 0.5, -180.0, lb * 0.5, 179.0 + rnd(&seed, 0, 1));
    }
    /* Rounding the unit vectors to double costs a few nanometres absolute
     * at any range (so ~3e-6 relative at 1 mm). The old haversine's own
     * error grows towards antipodes (~0.24 m there) and poles (~0.06 mm);
     * elsewhere the two agree to well under a micrometre. */
    acc_report(&global, 1e-7, 1e-5);
    acc_report(&tiny, 1e-8, 1e-8);
    acc_report(&near_m, 1e-8, 1e-8);
    acc_report(&anti, 1e-7, 0.5);
    acc_report(&pole, 1e-7, 1e-3);
    acc_report(&am, 1e-7, 1e-5);

    /* the unit vector itself (common/geo.c's own sin and cos): within a
     * couple of ulps of long double, exact at multiples of 90 degrees */
    double worst = 0.0;
    for (int i = 0; i < 20000; i++) {
        double la = rnd(&seed, -90, 90), lo = rnd(&seed, -540, 540);
        const long double k = 3.14159265358979323846264338327950288L / 180.0L;
        long double p = la * k, l = lo * k;
        long double w[3] = { cosl(p) * cosl(l), cosl(p) * sinl(l), sinl(p) };
        double v[3];
        tr_geo_to_unit(la, lo, v);
        for (int j = 0; j < 3; j++)
            worst = fmax(worst, (double)fabsl((long double)v[j] - w[j]));
    }
    printf("test_geo: unit vector worst component error %.3g\n", worst);
    /* where long double is double (armhf) the reference's own rounding of
     * lon * pi / 180 (up to ~9.4 rad here) dominates */
    CHECK_MSG(worst <= (LDBL_MANT_DIG > 53 ? 5e-16 : 4e-15), "unit vector error %g", worst);
    double v[3];
    tr_geo_to_unit(90.0, 123.0, v);
    CHECK(v[0] == 0.0 && v[1] == 0.0 && v[2] == 1.0);
    tr_geo_to_unit(-90.0, -180.0, v);
    CHECK(v[0] == 0.0 && v[1] == 0.0 && v[2] == -1.0);
    tr_geo_to_unit(0.0, 90.0, v);
    CHECK(v[0] == 0.0 && v[1] == 1.0 && v[2] == 0.0);
    tr_geo_to_unit(0.0, -180.0, v);
    CHECK(v[0] == -1.0 && v[1] == 0.0 && v[2] == 0.0);
    tr_geo_to_unit(NAN, 0.0, v);
    CHECK(isnan(v[0]) && isnan(v[2]));

    /* exact cases */
    CHECK(tr_geo_distance_m(12.5, 33.25, 12.5, 33.25) == 0.0);
    CHECK(tr_geo_distance_m(90.0, 10.0, 90.0, 10.0) == 0.0);
    CHECK(near(tr_geo_distance_m(0, 0, 0, 180), 3.14159265358979323846 * TR_GEO_EARTH_RADIUS_M,
               1e-6));
    CHECK(near(tr_geo_distance_m(90, 0, -90, 0), 3.14159265358979323846 * TR_GEO_EARTH_RADIUS_M,
               1e-6));
    CHECK(isnan(tr_geo_distance_m(NAN, 0, 0, 0)));
    CHECK(isnan(tr_geo_distance_m(0, 0, 0, INFINITY)));
    CHECK(tr_geo_distance_m(10, 20, 30, 40) == tr_geo_distance_m(30, 40, 10, 20));
}

int main(void)
{
    test_known_distances();
    test_bearing();
    test_normalize();
    test_destination_round_trip();
    test_fast_distance();
    test_predict();
    test_chord();
    test_distance_accuracy();
    return check_report("test_geo");
}
