/*
 * fieldagent/core/arrival.c: dwell-in-radius arrival detection with
 * hysteresis (see arrival.h). Pure: distances from common/geo.
 */
#include "fieldagent/core/arrival.h"

#include <math.h>

#include "common/geo.h"

void tr_arrival_params_default(struct tr_arrival_params *p)
{
    p->dwell_ms = 60000;
    p->max_speed_mps = 2.0;
    p->exit_factor = 1.5;
    p->exit_min_m = 25.0;
}

int tr_arrival_init(struct tr_arrival *a, const struct tr_arrival_params *p, double lat, double lon,
                    double radius_m)
{
    struct tr_arrival_params d;

    if (!a)
        return TR_ARRIVAL_ERR_INVALID;
    tr_arrival_params_default(&d);
    *a = (struct tr_arrival){ .p = d, .last_distance = NAN };
    if (p) {
        if (p->dwell_ms < 0 || p->dwell_ms > 3600000 || !isfinite(p->max_speed_mps) ||
            p->max_speed_mps < 0 || !isfinite(p->exit_factor) || p->exit_factor < 1.0 ||
            !isfinite(p->exit_min_m) || p->exit_min_m < 0)
            return TR_ARRIVAL_ERR_INVALID;
        a->p = *p;
    }
    if (!tr_geo_valid(lat, lon) || !isfinite(radius_m) || radius_m <= 0)
        return TR_ARRIVAL_ERR_INVALID;
    a->lat = lat;
    a->lon = lon;
    a->radius_m = radius_m;
    a->exit_m = fmax(radius_m * a->p.exit_factor, radius_m + a->p.exit_min_m);
    return TR_ARRIVAL_OK;
}

enum tr_arrival_event tr_arrival_on_fix(struct tr_arrival *a, const struct tr_fix *fix)
{
    enum tr_arrival_event ev = TR_ARRIVAL_NONE;
    double d;
    bool fast;

    if (!a || !fix || a->radius_m <= 0 || fix->mode < 2 || !tr_geo_valid(fix->lat, fix->lon))
        return TR_ARRIVAL_NONE;
    if (a->last_t && fix->t <= a->last_t)
        return TR_ARRIVAL_NONE;
    if (fix->has_acc && isfinite(fix->acc) && fix->acc > a->radius_m)
        return TR_ARRIVAL_NONE; /* too vague to tell inside from outside */
    if (a->dwell_running && a->last_t && fix->t - a->last_t > a->p.dwell_ms &&
        a->state == TR_ARRIVAL_DWELLING)
        a->dwell_running = false; /* a gap longer than the dwell: start over */
    a->last_t = fix->t;
    d = tr_geo_distance_m(a->lat, a->lon, fix->lat, fix->lon);
    a->last_distance = d;
    fast = fix->has_speed && isfinite(fix->speed) && fix->speed > a->p.max_speed_mps;

    if (d > a->exit_m) {
        bool was = a->inside || a->state != TR_ARRIVAL_OUTSIDE;
        a->inside = false;
        a->dwell_running = false;
        a->state = TR_ARRIVAL_OUTSIDE;
        return was ? TR_ARRIVAL_LEFT : TR_ARRIVAL_NONE;
    }
    if (d <= a->radius_m && !a->inside) {
        a->inside = true;
        if (a->state == TR_ARRIVAL_OUTSIDE) {
            a->state = TR_ARRIVAL_DWELLING;
            ev = TR_ARRIVAL_ENTERED;
        }
    }
    if (!a->inside || a->state != TR_ARRIVAL_DWELLING)
        return ev;
    if (fast) {
        a->dwell_running = false; /* passing through */
        return ev;
    }
    if (!a->dwell_running) {
        a->dwell_running = true;
        a->dwell_start = fix->t;
    }
    if (fix->t - a->dwell_start >= a->p.dwell_ms) {
        a->state = TR_ARRIVAL_SUGGESTED;
        return TR_ARRIVAL_SUGGEST;
    }
    return ev;
}

const char *tr_arrival_event_name(enum tr_arrival_event e)
{
    switch (e) {
    case TR_ARRIVAL_NONE:
        return "none";
    case TR_ARRIVAL_ENTERED:
        return "entered";
    case TR_ARRIVAL_SUGGEST:
        return "suggest";
    case TR_ARRIVAL_LEFT:
        return "left";
    }
    return "?";
}
