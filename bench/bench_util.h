/*
 * bench/bench_util.h: what the in-process benchmarks share: a monotonic
 * clock in ns and nearest-rank quantiles (plus the seeded generator from
 * tests/support/rng.h). Header-only.
 */
#ifndef TR_BENCH_UTIL_H
#define TR_BENCH_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "tests/support/rng.h"

static inline double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts v; the q-quantile (nearest rank). */
static inline double quantile(double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

#endif
