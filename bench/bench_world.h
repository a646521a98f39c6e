/*
 * bench/bench_world.h: the synthetic geography and skill skew that the
 * in-process benchmarks bench_knn and bench_engine draw their fleets and
 * job sites from, with the caller's own seeded generator
 * (tests/support/rng.h), so one seed gives the same world in both.
 *
 * 90 % of places around the 100 largest US metro areas (bench_metros.h,
 * weighted by population, a gaussian ring scaled by metro size, three times
 * wider for three in ten: suburbs and exurbs), 10 % thinly over the
 * contiguous US; BENCH_WORLD_SKILLS skills with a Zipf-like skew (1/(b+1)^1.1).
 *
 * What it does not do: clamp or normalise what it places (callers do), or
 * build contractors. bench_fleet.h is a different generator on purpose: a
 * pure function of (seed, index) for the daemon benchmarks' cached stores.
 * Header-only; no state outside the caller's struct.
 */
#ifndef TR_BENCH_WORLD_H
#define TR_BENCH_WORLD_H

#include <math.h>

#include "bench/bench_metros.h"
#include "tests/support/rng.h"

#define BENCH_WORLD_SKILLS 16

struct bench_world {
    double metro_cdf[BENCH_N_METROS];
    double skill_cdf[BENCH_WORLD_SKILLS];
};

static inline void bench_world_init(struct bench_world *w)
{
    double sum = 0.0;
    for (int i = 0; i < BENCH_N_METROS; i++)
        w->metro_cdf[i] = (sum += bench_metros[i].pop_k);
    for (int i = 0; i < BENCH_N_METROS; i++)
        w->metro_cdf[i] /= sum;
    sum = 0.0;
    for (int b = 0; b < BENCH_WORLD_SKILLS; b++)
        w->skill_cdf[b] = (sum += 1.0 / pow(b + 1, 1.1));
    for (int b = 0; b < BENCH_WORLD_SKILLS; b++)
        w->skill_cdf[b] /= sum;
}

/* The first i with cdf[i] >= u (cdf ascending, n >= 1; n - 1 when none). */
static inline int bench_pick_cdf(const double *cdf, int n, double u)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Where a contractor (or a job) is: a metro ring, or the thin rural rest. */
static inline void bench_world_place(const struct bench_world *w, struct rng *r, double *lat,
                                     double *lon)
{
    if (unif(r) < 0.10) {
        *lat = 25.5 + 23.5 * unif(r);
        *lon = -124.0 + 56.5 * unif(r);
        return;
    }
    const struct bench_metro *m =
        &bench_metros[bench_pick_cdf(w->metro_cdf, BENCH_N_METROS, unif(r))];
    double sigma_km = 3.0 + 6.0 * sqrt(m->pop_k / 1000.0);
    if (unif(r) < 0.3)
        sigma_km *= 3.0; /* suburbs and exurbs */
    double dn = sigma_km * gauss(r), de = sigma_km * gauss(r);
    *lat = m->lat + dn / 111.195;
    *lon = m->lon + de / (111.195 * cos(m->lat * M_PI / 180.0));
}

#endif
