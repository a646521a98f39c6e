/*
 * tests/support/rng.h: the seeded random numbers tests and benchmarks share
 * (splitmix64, uniform [0,1), standard normal by Box-Muller), so the same
 * seed gives the same fleet everywhere. Header-only; no state outside the
 * caller's struct.
 */
#ifndef TR_TEST_RNG_H
#define TR_TEST_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
    uint64_t s;
};

static inline uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static inline double unif(struct rng *r)
{
    return (double)(rnd(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline double gauss(struct rng *r)
{
    double u = unif(r) + 1e-300, v = unif(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

#endif
