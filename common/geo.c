/*
 * common/geo.c: great-circle distance, bearing, destination, dead reckoning
 * and unit-vector helpers on a spherical Earth. The distance has one
 * definition: the angle between the points' unit vectors (tr_geo_to_unit),
 * 2 atan2(|a - b|, |a + b|), so callers that cache unit vectors (the fleet
 * index) get the same bits. Pure: no I/O, no state, no
 * allocation. Does not know about boundaries, projections or ellipsoids.
 */
#include "common/geo.h"

#include <math.h>
#include <stddef.h>

#define DEG2RAD (3.14159265358979323846 / 180.0)
#define RAD2DEG (180.0 / 3.14159265358979323846)
#define PI      3.14159265358979323846

static double clamp(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

int tr_geo_valid(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && lat >= -90.0 && lat <= 90.0 && lon >= -180.0 &&
           lon <= 180.0;
}

double tr_geo_normalize_lon(double lon)
{
    if (!isfinite(lon))
        return NAN;
    if (lon >= -180.0 && lon < 180.0)
        return lon;
    double x = fmod(lon + 180.0, 360.0);
    if (x < 0.0)
        x += 360.0;
    if (x >= 360.0) /* -tiny + 360 rounds to 360 */
        x = 0.0;
    return x - 180.0;
}

/*
 * atan2(y, x) for y, x >= 0 (NaN in, NaN out), to about 2 ulp: the ratio
 * of the smaller to the larger is in [0, 1]; above 0.66 it is mapped to
 * (t - 1) / (t + 1) with a pi/4 shift, then a 4/5 rational in t^2 (the
 * Cephes Math Library's atan coefficients, Stephen L. Moshier). Pure
 * arithmetic: the same bits on every platform, and about half the cost of
 * libm's atan2.
 */
static double atan2_pos(double y, double x)
{
    double hi = y > x ? y : x, lo = y > x ? x : y;
    if (!(hi > 0.0))
        return hi == 0.0 ? 0.0 : NAN;
    double t = lo / hi;
    int big = t > 0.66;
    double r = big ? (t - 1.0) / (t + 1.0) : t;
    double z = r * r;
    double p = (((-8.750608600031904122785e-1 * z - 1.615753718733365076637e1) * z -
                 7.500855792314704667340e1) *
                    z -
                1.228866684490136173410e2) *
                   z -
               6.485021904942025371773e1;
    double q = ((((z + 2.485846490142306297962e1) * z + 1.650270098316988542046e2) * z +
                 4.328810604912902668951e2) *
                    z +
                4.853903996359136964868e2) *
                   z +
               1.945506571482613964425e2;
    double a = r + r * z * p / q;
    if (big) /* pi/4 in two parts */
        a = 7.85398163397448309616e-1 + (a + 3.061616997868382943065e-17);
    if (y > x) /* pi/2 - a, pi/2 in two parts */
        a = 1.57079632679489661923e0 - (a - 6.123233995736765886130e-17);
    return a;
}

double tr_geo_unit_distance_m(const double a[3], const double b[3], double *chord)
{
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    double sx = a[0] + b[0], sy = a[1] + b[1], sz = a[2] + b[2];
    double c = sqrt(dx * dx + dy * dy + dz * dz);
    double e = sqrt(sx * sx + sy * sy + sz * sz);
    if (chord)
        *chord = c;
    return TR_GEO_EARTH_RADIUS_M * (2.0 * atan2_pos(c, e));
}

double tr_geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double a[3], b[3];
    tr_geo_to_unit(lat1, lon1, a);
    tr_geo_to_unit(lat2, lon2, b);
    return tr_geo_unit_distance_m(a, b, NULL);
}

double tr_geo_bearing_deg(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG2RAD, p2 = lat2 * DEG2RAD;
    double dl = (lon2 - lon1) * DEG2RAD;
    double y = sin(dl) * cos(p2);
    double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
    if (!isfinite(x) || !isfinite(y))
        return NAN;
    if (x == 0.0 && y == 0.0)
        return 0.0;
    double b = atan2(y, x) * RAD2DEG;
    if (b < 0.0)
        b += 360.0;
    if (b >= 360.0)
        b = 0.0;
    return b;
}

void tr_geo_destination(double lat, double lon, double bearing_deg, double dist_m, double *lat_out,
                        double *lon_out)
{
    double p1 = lat * DEG2RAD, l1 = lon * DEG2RAD, th = bearing_deg * DEG2RAD;
    double d = dist_m / TR_GEO_EARTH_RADIUS_M;
    double sp1 = sin(p1), cp1 = cos(p1), sd = sin(d), cd = cos(d);
    double sp2 = clamp(sp1 * cd + cp1 * sd * cos(th), -1.0, 1.0);
    double p2 = asin(sp2);
    double l2 = l1 + atan2(sin(th) * sd * cp1, cd - sp1 * sp2);
    *lat_out = p2 * RAD2DEG;
    *lon_out = tr_geo_normalize_lon(l2 * RAD2DEG);
}

double tr_geo_fast_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double dlon = lon2 - lon1;
    if (dlon >= 180.0 || dlon < -180.0)
        dlon = tr_geo_normalize_lon(dlon);
    double x = dlon * DEG2RAD * cos((lat1 + lat2) * 0.5 * DEG2RAD);
    double y = (lat2 - lat1) * DEG2RAD;
    return TR_GEO_EARTH_RADIUS_M * sqrt(x * x + y * y);
}

/*
 * sin and cos of an angle in degrees, to about 1 ulp: the reduction to
 * r in [-45, 45] degrees is exact (fmod, and x - 90 q by Sterbenz), so
 * multiples of 90 degrees give exact 0 and +-1; then Taylor series in
 * radians to degree 17 and 18 (the first term left out is below 3e-18 for
 * |r| <= pi/4). Pure arithmetic, so every platform gets the same bits
 * (floating-point contraction is off in C11 mode); about half the cost of
 * libm's sin and cos. Non-finite input gives NaN.
 */
static void sincos_deg(double deg, double *s, double *c)
{
    if (!isfinite(deg)) {
        *s = *c = NAN;
        return;
    }
    if (fabs(deg) > 360.0)
        deg = fmod(deg, 360.0);
    /* nearest quadrant, |q| <= 4 (a cast, not a libm call) */
    int q = (int)(deg / 90.0 + (deg < 0.0 ? -0.5 : 0.5));
    double r = (deg - 90.0 * q) * DEG2RAD;
    double r2 = r * r;
    double sp =
        -1.0 / 6.0 +
        r2 * (1.0 / 120.0 +
              r2 * (-1.0 / 5040.0 +
                    r2 * (1.0 / 362880.0 + r2 * (-1.0 / 39916800.0 +
                                                 r2 * (1.0 / 6227020800.0 +
                                                       r2 * (-1.0 / 1307674368000.0 +
                                                             r2 * (1.0 / 355687428096000.0)))))));
    double sr = r + r * r2 * sp;
    double cp =
        1.0 / 24.0 +
        r2 * (-1.0 / 720.0 +
              r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0 +
                                          r2 * (1.0 / 479001600.0 +
                                                r2 * (-1.0 / 87178291200.0 +
                                                      r2 * (1.0 / 20922789888000.0 +
                                                            r2 * (-1.0 / 6402373705728000.0)))))));
    double cr = 1.0 - 0.5 * r2 + r2 * r2 * cp;
    switch ((unsigned)q & 3u) {
    case 0:
        *s = sr;
        *c = cr;
        break;
    case 1:
        *s = cr;
        *c = -sr;
        break;
    case 2:
        *s = -sr;
        *c = -cr;
        break;
    default:
        *s = -cr;
        *c = sr;
        break;
    }
}

void tr_geo_to_unit(double lat, double lon, double v[3])
{
    double sp, cp, sl, cl;
    sincos_deg(lat, &sp, &cp);
    sincos_deg(lon, &sl, &cl);
    v[0] = cp * cl;
    v[1] = cp * sl;
    v[2] = sp;
}

double tr_geo_chord_to_m(double chord)
{
    if (isnan(chord))
        return NAN;
    chord = clamp(chord, 0.0, 2.0);
    return TR_GEO_EARTH_RADIUS_M * 2.0 * asin(chord / 2.0);
}

double tr_geo_m_to_chord(double metres)
{
    if (isnan(metres))
        return NAN;
    double angle = clamp(metres / TR_GEO_EARTH_RADIUS_M, 0.0, PI);
    return 2.0 * sin(angle / 2.0);
}

void tr_geo_predict(const struct tr_geo_report *r, int64_t now_ms, double max_horizon_s,
                    double *lat, double *lon)
{
    const unsigned need = TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING;

    if (!tr_geo_valid(r->lat, r->lon)) {
        *lat = NAN;
        *lon = NAN;
        return;
    }
    *lat = r->lat;
    *lon = tr_geo_normalize_lon(r->lon);
    if ((r->has & need) != need || !isfinite(r->speed_mps) || !isfinite(r->heading_deg) ||
        r->speed_mps < TR_GEO_PREDICT_MIN_SPEED_MPS || now_ms <= r->t_ms ||
        !isfinite(max_horizon_s) || max_horizon_s <= 0.0)
        return;

    /* Unsigned subtraction: exact for any now_ms > t_ms, no overflow. */
    double elapsed_s = (double)((uint64_t)now_ms - (uint64_t)r->t_ms) / 1000.0;
    if (elapsed_s > max_horizon_s)
        elapsed_s = max_horizon_s;
    double dist_m = r->speed_mps * elapsed_s;
    if (!isfinite(dist_m))
        return;
    tr_geo_destination(r->lat, r->lon, r->heading_deg, dist_m, lat, lon);
}
