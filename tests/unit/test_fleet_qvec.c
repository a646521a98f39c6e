/*
 * tests/unit/test_fleet_qvec.c: the fleet query's own unit vector (a short
 * polynomial sin/cos in fleet_knn.c, not libm) and the batched tree walk
 * (fleet_search.c), checked through the public API against a brute-force
 * scan with tr_geo_distance_m, bit for bit.
 *
 * Queries sit on the polynomial's quarter-turn boundaries (longitude and
 * latitude 0, +-45, +-90, +-135, +-180 degrees and a hair either side), at
 * the poles and on the antimeridian, over contractors packed tightly around
 * them, many at identical or mirrored positions so that distances tie and
 * the id / contractor order decides. Every kernel this CPU has is run.
 * Does not time anything.
 */
#include "dispatcher/core/fleet.h"

#include "common/geo.h"
#include "tests/support/check.h"
#include "tests/unit/fleet_brute.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define N_MAX 6000
#define K_MAX 40

struct pt {
    double lat, lon;
    uint64_t skills;
    uint32_t id;
};

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double unif(uint64_t *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static double clamp_lat(double lat)
{
    return lat > 90.0 ? 90.0 : lat < -90.0 ? -90.0 : lat;
}

static double wrap_lon(double lon)
{
    while (lon > 180.0)
        lon -= 360.0;
    while (lon < -180.0)
        lon += 360.0;
    return lon;
}

static size_t brute(const struct pt *p, uint32_t n, double lat, double lon, uint64_t req,
                    unsigned k, struct tr_fleet_result *out)
{
    size_t got = 0;
    for (uint32_t i = 0; i < n; i++) {
        if ((p[i].skills & req) != req)
            continue;
        struct tr_fleet_result x = { i, p[i].id, tr_geo_distance_m(lat, lon, p[i].lat, p[i].lon) };
        trt_fleet_keep_best(out, &got, k, &x);
    }
    return got;
}

/* Contractors around (lat, lon): a tight cloud, exact copies of some of
 * them, and mirror images across the query's meridian and parallel. */
static uint32_t fill(struct pt *p, uint32_t n, uint32_t cap, double lat, double lon, uint64_t *s)
{
    for (unsigned i = 0; i < 300 && n + 4 <= cap; i++) {
        double sd = i % 3 == 0 ? 1e-6 : i % 3 == 1 ? 1e-3 : 0.2;
        double dlat = sd * (2.0 * unif(s) - 1.0), dlon = sd * (2.0 * unif(s) - 1.0);
        uint64_t sk = (rnd(s) & 3) | 1;
        uint32_t id = (uint32_t)(rnd(s) % 50); /* repeated ids: ties go to the contractor */
        p[n++] = (struct pt){ clamp_lat(lat + dlat), wrap_lon(lon + dlon), sk, id };
        p[n++] = (struct pt){ clamp_lat(lat + dlat), wrap_lon(lon - dlon), sk, id };
        p[n++] = (struct pt){ clamp_lat(lat - dlat), wrap_lon(lon + dlon), sk, id + 1 };
        if (i % 4 == 0) { /* an identical twin */
            p[n] = p[n - 1];
            n++;
        }
    }
    return n;
}

static void run(enum tr_fleet_kernel kernel, bool rebuilt)
{
    static const double marks[] = { 0.0, 45.0, 90.0, 135.0, 180.0 };
    static const double hair[] = { 0.0, 1e-9, -1e-9, 1e-4, -1e-4 };
    struct pt *p = malloc(N_MAX * sizeof(*p));
    struct tr_fleet *f = NULL;
    struct tr_fleet_params prm = { .kernel = kernel, .leaf_fill = 8 };
    CHECK(p != NULL);
    CHECK(tr_fleet_new(N_MAX, &prm, &f) == TR_FLEET_OK);
    if (!p || !f) {
        free(p);
        tr_fleet_free(f);
        return;
    }
    uint64_t s = 0x9e3779b97f4a7c15u;
    uint32_t n = 0;
    /* query spots: every quarter-turn mark in longitude at a few latitudes,
     * and in latitude at a few longitudes */
    double spots[64][2];
    unsigned ns = 0;
    for (unsigned i = 0; i < 5; i++) {
        double sg = i % 2 ? -1.0 : 1.0;
        spots[ns][0] = 10.0 * i - 20.0;
        spots[ns++][1] = sg * marks[i];
        spots[ns][0] = sg * marks[i] / 2.0; /* 0, 22.5, 45, 67.5, 90 degrees */
        spots[ns++][1] = 37.0 * i - 70.0;
    }
    spots[ns][0] = -90.0;
    spots[ns++][1] = 0.0;
    spots[ns][0] = 45.0;
    spots[ns++][1] = -180.0;
    for (unsigned i = 0; i < ns; i++)
        n = fill(p, n, N_MAX, spots[i][0], spots[i][1], &s);
    for (uint32_t i = 0; i < n; i++) {
        struct tr_fleet_entry e = { p[i].lat, p[i].lon, p[i].skills, true, INFINITY, 0, p[i].id };
        CHECK(tr_fleet_upsert(f, i, &e) == TR_FLEET_OK);
    }
    if (rebuilt)
        CHECK(tr_fleet_rebuild(f, TR_FLEET_ALL_SKILLS) == TR_FLEET_OK);

    struct tr_fleet_result got[K_MAX], want[K_MAX];
    unsigned bad = 0, runs = 0;
    for (unsigned i = 0; i < ns; i++)
        for (unsigned h = 0; h < 5; h++)
            for (unsigned a = 0; a < 2; a++) {
                double lat = spots[i][0], lon = spots[i][1];
                if (a == 0)
                    lon = wrap_lon(lon + hair[h]);
                else
                    lat = clamp_lat(lat + hair[h]);
                static const unsigned ks[] = { 1, 5, 13, K_MAX };
                for (unsigned kk = 0; kk < 4; kk++) {
                    uint64_t req = kk % 2 ? 3 : 1;
                    struct tr_fleet_query q = {
                        .lat = lat, .lon = lon, .required_skills = req, .k = ks[kk]
                    };
                    size_t ng = 0;
                    int rc = tr_fleet_knn(f, &q, got, &ng);
                    size_t nw = brute(p, n, lat, lon, req, ks[kk], want);
                    runs++;
                    if (!(rc == TR_FLEET_OK && trt_fleet_same(got, ng, want, nw)) && bad++ < 5)
                        fprintf(stderr, "mismatch at %.12g %.12g k=%u req=%llu (%s)\n", lat, lon,
                                ks[kk], (unsigned long long)req, tr_fleet_kernel_name(kernel));
                }
            }
    CHECK_MSG(bad == 0, "%u of %u queries differ from brute force", bad, runs);
    CHECK(tr_fleet_check(f) == 0);
    tr_fleet_free(f);
    free(p);
}

int main(void)
{
    static const enum tr_fleet_kernel kernels[] = { TR_FLEET_KERNEL_SCALAR, TR_FLEET_KERNEL_AVX2,
                                                    TR_FLEET_KERNEL_AVX512 };
    for (unsigned i = 0; i < 3; i++) {
        if (!tr_fleet_kernel_supported(kernels[i]))
            continue;
        run(kernels[i], false);
        run(kernels[i], true);
    }
    return check_report("test_fleet_qvec");
}
