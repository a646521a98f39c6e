/*
 * tests/unit/fleet_brute.c: the fleet tests' brute-force oracle (see
 * fleet_brute.h). Plain loops and qsort; nothing here is fast on purpose.
 */
#include "tests/unit/fleet_brute.h"

#include "common/geo.h"

#include <math.h>
#include <stdlib.h>

int trt_fleet_cmp(const void *a, const void *b)
{
    const struct tr_fleet_result *x = a, *y = b;
    if (x->distance_m != y->distance_m)
        return x->distance_m < y->distance_m ? -1 : 1;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->contractor < y->contractor ? -1 : x->contractor > y->contractor;
}

bool trt_fleet_before(const struct tr_fleet_result *a, const struct tr_fleet_result *b)
{
    return trt_fleet_cmp(a, b) < 0;
}

bool trt_fleet_keep_best(struct tr_fleet_result *out, size_t *n, size_t k,
                         const struct tr_fleet_result *x)
{
    if (k == 0 || (*n >= k && !trt_fleet_before(x, &out[k - 1])))
        return false;
    size_t i = *n < k ? (*n)++ : k - 1;
    while (i > 0 && trt_fleet_before(x, &out[i - 1])) {
        out[i] = out[i - 1];
        i--;
    }
    out[i] = *x;
    return true;
}

bool trt_fleet_same(const struct tr_fleet_result *a, size_t na, const struct tr_fleet_result *b,
                    size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].contractor != b[i].contractor || a[i].id != b[i].id ||
            a[i].distance_m != b[i].distance_m)
            return false;
    return true;
}

size_t trt_fleet_brute(const struct tr_fleet_entry *e, const bool *present, uint32_t n,
                       const struct tr_fleet_query *q, struct tr_fleet_result *out, size_t limit,
                       bool *more)
{
    size_t got = 0;
    double maxd = q->max_distance_m == 0.0 ? INFINITY : q->max_distance_m;
    bool left_out = false;
    for (uint32_t c = 0; c < n; c++) {
        const struct tr_fleet_entry *x = &e[c];
        if (!present[c] || !x->eligible || x->skills == 0 ||
            (x->skills & q->required_skills) != q->required_skills)
            continue;
        struct tr_fleet_result r = { c, x->id, tr_geo_distance_m(q->lat, q->lon, x->lat, x->lon) };
        if (r.distance_m > maxd || x->tier < q->min_tier)
            continue;
        if (q->within_radius && !(r.distance_m <= x->radius_m))
            continue;
        if (q->after && trt_fleet_cmp(&r, q->after) <= 0)
            continue;
        if (!limit) {
            out[got++] = r;
            continue;
        }
        left_out |= got == limit;
        trt_fleet_keep_best(out, &got, limit, &r);
    }
    if (!limit)
        qsort(out, got, sizeof *out, trt_fleet_cmp);
    if (more)
        *more = left_out;
    return got;
}
