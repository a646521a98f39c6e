/*
 * common/geo.h: spherical geo math shared by the dispatcher and the agent.
 *
 * Everything works on a sphere of radius TR_GEO_EARTH_RADIUS_M (the IUGG mean
 * Earth radius); angles are degrees, distances metres, latitudes in
 * [-90, 90], longitudes in [-180, 180). Results on a sphere differ from the
 * WGS-84 ellipsoid by up to ~0.5 %, which is fine for dispatch.
 *
 * Pure functions: no allocation, no I/O, no state. Non-finite input gives
 * NaN output (except tr_geo_predict, which stays put; see below). Does not
 * do ellipsoidal geodesy, projections or boundary lookups (dispatcher/geo).
 *
 * Both sides call these same functions, so their results agree up to the
 * last-bit rounding of each platform's libm (x86-64 vs ARM), i.e. far below
 * a millimetre. tr_geo_to_unit and tr_geo_distance_m use no libm function
 * but sqrt and fmod (both exact or correctly rounded), so they give the same
 * bits everywhere as long as the compiler does not contract a * b + c into
 * fused multiply-adds (common/CMakeLists.txt builds geo.c with
 * -ffp-contract=off).
 */
#ifndef TR_GEO_H
#define TR_GEO_H

#include <stdint.h>

/* Mean Earth radius (IUGG R1), metres. */
#define TR_GEO_EARTH_RADIUS_M 6371008.8

/* 1 if lat and lon are finite, lat in [-90, 90] and lon in [-180, 180]. */
int tr_geo_valid(double lat, double lon);

/* Longitude folded into [-180, 180); NaN if not finite. */
double tr_geo_normalize_lon(double lon);

/* Great-circle distance in metres: exactly
 *   tr_geo_to_unit(lat1, lon1, a); tr_geo_to_unit(lat2, lon2, b);
 *   tr_geo_unit_distance_m(a, b, NULL)
 * i.e. R * 2 atan2(|a - b|, |a + b|) over double unit vectors, well
 * conditioned at every range: a few nanometres from the exact spherical
 * distance from 1 mm to antipodal points (tests/unit/test_geo.c checks it
 * against a long double reference, and against the haversine it replaced,
 * which was up to 0.24 m off at antipodes). */
double tr_geo_distance_m(double lat1, double lon1, double lat2, double lon2);

/* Initial great-circle bearing from point 1 towards point 2, degrees in
 * [0, 360), 0 = north, 90 = east. 0 when the points coincide; from a pole the
 * result follows the longitude convention of atan2 and is not meaningful. */
double tr_geo_bearing_deg(double lat1, double lon1, double lat2, double lon2);

/* The point reached from (lat, lon) after dist_m metres along the great
 * circle whose initial bearing is bearing_deg. *lon_out is in [-180, 180). */
void tr_geo_destination(double lat, double lon, double bearing_deg, double dist_m, double *lat_out,
                        double *lon_out);

/*
 * Equirectangular approximation of tr_geo_distance_m: one cos, one sqrt, no
 * other trig; handles the antimeridian. Use it for short-range filtering
 * only. Relative error against tr_geo_distance_m, measured by
 * tests/unit/test_geo.c over random pairs with |lat| <= 80:
 *   distance <= 10 km:  below 0.001 %  (under 10 cm at 10 km)
 *   distance <= 100 km: below 0.05 %   (under 50 m at 100 km)
 * It degrades near the poles (it ignores meridian convergence across the
 * pair) and is meaningless across hundreds of kilometres.
 */
double tr_geo_fast_distance_m(double lat1, double lon1, double lat2, double lon2);

/* Unit vector on the sphere: x towards (0, 0), y towards (0, 90), z north.
 * The one place a point becomes a vector for tr_geo_distance_m. Its sin and
 * cos are common/geo.c's own (within ~2 ulp, exact at multiples of 90
 * degrees); any finite lat and lon are accepted, non-finite give NaN. */
void tr_geo_to_unit(double lat, double lon, double v[3]);

/* Great-circle metres between two unit vectors from tr_geo_to_unit:
 * R * 2 atan2(|a - b|, |a + b|). tr_geo_distance_m is this on the vectors of
 * its points, so a caller that keeps the vectors gets the same bits with
 * no trig but one atan2 (common/geo.c's own, ~2 ulp). If chord is not
 * NULL it receives |a - b| as computed (the chord length, 0..2). */
double tr_geo_unit_distance_m(const double a[3], const double b[3], double *chord);

/* Chord length between two unit vectors (0..2) <-> great-circle metres
 * (0..pi*R). Both are strictly increasing, so a spatial index can compare
 * chords instead of distances. Inputs outside the range are clamped. */
double tr_geo_chord_to_m(double chord);
double tr_geo_m_to_chord(double metres);

/* ---- dead reckoning: the contract between agent and dispatcher ---- */

#define TR_GEO_HAS_SPEED   0x1u /* speed_mps is set */
#define TR_GEO_HAS_HEADING 0x2u /* heading_deg is set */

/* Below this speed (m/s) a report is treated as stationary: GPS heading is
 * noise when standing still. */
#define TR_GEO_PREDICT_MIN_SPEED_MPS 0.5

/* A position report as both sides see it. */
struct tr_geo_report {
    double lat, lon;    /* degrees */
    double speed_mps;   /* ground speed, valid if has & TR_GEO_HAS_SPEED */
    double heading_deg; /* course over ground, 0 = north, clockwise, if has & ..._HEADING */
    int64_t t_ms;       /* time of the fix, ms since the Unix epoch */
    unsigned has;       /* TR_GEO_HAS_* bits */
};

/*
 * Predict where the reporter is at now_ms from its last report r:
 *
 *   elapsed_s = min((now_ms - r->t_ms) / 1000, max_horizon_s)
 *   (*lat, *lon) = tr_geo_destination(r->lat, r->lon, r->heading_deg,
 *                                     r->speed_mps * elapsed_s)
 *
 * i.e. straight along the great circle of the reported heading at constant
 * reported speed. The prediction stays put at (r->lat, r->lon), with the
 * longitude normalised, when any of these holds:
 *   - r lacks TR_GEO_HAS_SPEED or TR_GEO_HAS_HEADING;
 *   - speed_mps or heading_deg is not finite, or speed_mps is below
 *     TR_GEO_PREDICT_MIN_SPEED_MPS;
 *   - now_ms <= r->t_ms (no time has passed, or the clock went backwards);
 *   - max_horizon_s is not finite or <= 0;
 *   - speed_mps * elapsed_s overflows to infinity.
 * If (r->lat, r->lon) is not tr_geo_valid, both outputs are NaN.
 * The agent reports when its real fix drifts from this prediction past its
 * threshold; the dispatcher shows this prediction between reports. Any
 * change here changes the wire behaviour of both sides: update both together.
 */
void tr_geo_predict(const struct tr_geo_report *r, int64_t now_ms, double max_horizon_s,
                    double *lat, double *lon);

#endif
