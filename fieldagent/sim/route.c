/*
 * fieldagent/sim/route.c: drives cut from real tracks (see route.h).
 */
#include "fieldagent/sim/route.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/geo.h"

#define EARTH_R 6371008.8
#define DEG     (M_PI / 180.0)

/* Usable points of the track (mode >= 2, time increasing), copied. */
static size_t usable(const struct tr_gpx *g, struct tr_gpx_point *out)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_points; i++) {
        const struct tr_gpx_point *p = &g->points[i];
        if (p->fix.mode < 2 || !tr_geo_valid(p->fix.lat, p->fix.lon))
            continue;
        if (n && p->fix.t <= out[n - 1].fix.t)
            continue;
        out[n++] = *p;
    }
    return n;
}

/* (lat, lon) in metres east / north of (lat0, lon0), flat frame. */
static void to_xy(double lat0, double lon0, double lat, double lon, double *x, double *y)
{
    double dlon = tr_geo_normalize_lon(lon - lon0);
    *x = dlon * DEG * EARTH_R * cos(lat0 * DEG);
    *y = (lat - lat0) * DEG * EARTH_R;
}

static void from_xy(double lat0, double lon0, double x, double y, double *lat, double *lon)
{
    *lat = lat0 + y / (EARTH_R * DEG);
    *lon = tr_geo_normalize_lon(lon0 + x / (EARTH_R * DEG * cos(lat0 * DEG)));
}

static struct tr_gpx *new_gpx(size_t n)
{
    struct tr_gpx *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    if (!(g->points = calloc(n ? n : 1, sizeof *g->points))) {
        free(g);
        return NULL;
    }
    g->version = 11;
    g->n_tracks = g->n_segments = 1;
    return g;
}

/* End index (exclusive bound n) of the stretch from s: the first point at
 * least want_m from pts[s], else the farthest one. *disp its distance. */
static size_t stretch_end(const struct tr_gpx_point *pts, size_t n, size_t s, double want_m,
                          double *disp)
{
    size_t best = s;
    double bd = 0;
    for (size_t i = s + 1; i < n; i++) {
        double d =
            tr_geo_distance_m(pts[s].fix.lat, pts[s].fix.lon, pts[i].fix.lat, pts[i].fix.lon);
        if (d > bd) {
            bd = d;
            best = i;
        }
        if (d >= want_m)
            break;
    }
    *disp = bd;
    return best;
}

int tr_sim_route_fit(const struct tr_gpx *track, size_t start, double from_lat, double from_lon,
                     double to_lat, double to_lon, struct tr_gpx **out)
{
    struct tr_gpx_point *pts;
    struct tr_gpx *g = NULL;
    size_t n, s = 0, e = 0;
    double disp = 0, want;
    int rc = TR_SIM_ROUTE_OK;

    if (!out)
        return TR_SIM_ROUTE_ERR_INVALID;
    *out = NULL;
    if (!track || !tr_geo_valid(from_lat, from_lon) || !tr_geo_valid(to_lat, to_lon))
        return TR_SIM_ROUTE_ERR_INVALID;
    if (!(pts = malloc((track->n_points ? track->n_points : 1) * sizeof *pts)))
        return TR_SIM_ROUTE_ERR_NOMEM;
    n = usable(track, pts);
    if (n < 2) {
        rc = TR_SIM_ROUTE_ERR_TRACK;
        goto done;
    }
    want = fmax(tr_geo_distance_m(from_lat, from_lon, to_lat, to_lon), TR_SIM_ROUTE_MIN_M);
    /* try the asked start, then starts spread over the track: keep the
     * stretch that comes nearest to the wanted displacement */
    double best_disp = -1;
    for (size_t k = 0; k < 8; k++) {
        size_t s1 = (start + k * (n / 8 + 1)) % (n - 1), e1;
        double d1;
        e1 = stretch_end(pts, n, s1, want, &d1);
        if (d1 > best_disp) {
            best_disp = d1;
            s = s1;
            e = e1;
            disp = d1;
        }
        if (d1 >= want * 0.5)
            break;
    }
    if (disp < 1.0) {
        rc = TR_SIM_ROUTE_ERR_TRACK;
        goto done;
    }
    /* similarity transform about pts[s]: v (track) -> w (trip) */
    double vx, vy, wx, wy;
    to_xy(pts[s].fix.lat, pts[s].fix.lon, pts[e].fix.lat, pts[e].fix.lon, &vx, &vy);
    to_xy(from_lat, from_lon, to_lat, to_lon, &wx, &wy);
    double scale = hypot(wx, wy) / hypot(vx, vy);
    double turn = atan2(wy, wx) - atan2(vy, vx); /* counter-clockwise, radians */
    double c = cos(turn) * scale, sn = sin(turn) * scale;
    if (!(g = new_gpx(e - s + 1))) {
        rc = TR_SIM_ROUTE_ERR_NOMEM;
        goto done;
    }
    for (size_t i = s; i <= e; i++) {
        struct tr_gpx_point p = pts[i];
        double x, y;
        to_xy(pts[s].fix.lat, pts[s].fix.lon, p.fix.lat, p.fix.lon, &x, &y);
        from_xy(from_lat, from_lon, x * c - y * sn, x * sn + y * c, &p.fix.lat, &p.fix.lon);
        if (p.fix.has_speed) {
            p.fix.speed *= scale;
            p.fix.has_speed = p.fix.speed <= 150.0;
        }
        if (p.fix.has_heading) { /* a compass course turns clockwise */
            double h = fmod(p.fix.heading - turn / DEG, 360.0);
            p.fix.heading = h < 0 ? h + 360.0 : (h >= 360.0 ? 0.0 : h);
        }
        p.fix.seq = (int64_t)g->n_points;
        g->points[g->n_points++] = p;
    }
    g->points[0].fix.lat = from_lat;
    g->points[0].fix.lon = from_lon;
    g->points[g->n_points - 1].fix.lat = to_lat;
    g->points[g->n_points - 1].fix.lon = to_lon;
    *out = g;
done:
    free(pts);
    return rc;
}

int tr_sim_route_shift(const struct tr_gpx *track, double lat, double lon, struct tr_gpx **out)
{
    struct tr_gpx *g;
    size_t n;

    if (!out)
        return TR_SIM_ROUTE_ERR_INVALID;
    *out = NULL;
    if (!track || !tr_geo_valid(lat, lon))
        return TR_SIM_ROUTE_ERR_INVALID;
    if (!(g = new_gpx(track->n_points)))
        return TR_SIM_ROUTE_ERR_NOMEM;
    n = usable(track, g->points);
    if (n < 2) {
        tr_gpx_free(g);
        return TR_SIM_ROUTE_ERR_TRACK;
    }
    double lat0 = g->points[0].fix.lat, lon0 = g->points[0].fix.lon;
    for (size_t i = 0; i < n; i++) {
        double x, y;
        to_xy(lat0, lon0, g->points[i].fix.lat, g->points[i].fix.lon, &x, &y);
        from_xy(lat, lon, x, y, &g->points[i].fix.lat, &g->points[i].fix.lon);
        g->points[i].fix.seq = (int64_t)i;
    }
    g->n_points = n;
    *out = g;
    return TR_SIM_ROUTE_OK;
}

const char *tr_sim_route_strerror(int err)
{
    switch (err) {
    case TR_SIM_ROUTE_OK:
        return "ok";
    case TR_SIM_ROUTE_ERR_INVALID:
        return "invalid argument";
    case TR_SIM_ROUTE_ERR_TRACK:
        return "the track has no stretch that moves";
    case TR_SIM_ROUTE_ERR_NOMEM:
        return "out of memory";
    default:
        return "unknown route error";
    }
}
