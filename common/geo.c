/*
 * common/geo.c: great-circle distance, bearing, destination, dead reckoning
 * and unit-vector helpers on a spherical Earth. Pure: no I/O, no state, no
 * allocation. Does not know about boundaries, projections or ellipsoids.
 */
#include "common/geo.h"

#include <math.h>

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

/* Central angle in radians between two points, haversine atan2 form. */
static double central_angle(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG2RAD, p2 = lat2 * DEG2RAD;
    double sdp = sin((p2 - p1) / 2.0);
    double sdl = sin((lon2 - lon1) * DEG2RAD / 2.0);
    double a = sdp * sdp + cos(p1) * cos(p2) * sdl * sdl;
    a = clamp(a, 0.0, 1.0);
    return 2.0 * atan2(sqrt(a), sqrt(1.0 - a));
}

double tr_geo_distance_m(double lat1, double lon1, double lat2, double lon2)
{
    return TR_GEO_EARTH_RADIUS_M * central_angle(lat1, lon1, lat2, lon2);
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

void tr_geo_to_unit(double lat, double lon, double v[3])
{
    double p = lat * DEG2RAD, l = lon * DEG2RAD;
    double cp = cos(p);
    v[0] = cp * cos(l);
    v[1] = cp * sin(l);
    v[2] = sin(p);
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
