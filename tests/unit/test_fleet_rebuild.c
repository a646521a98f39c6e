/*
 * tests/unit/test_fleet_rebuild.c: dispatcher/core/fleet's incremental
 * rebuild (tr_fleet_rebuild_step) against a brute-force scan.
 *
 * Many random steps interleave upserts, moves (small and far), eligibility
 * and skill changes, removes, queries and rebuild steps of random size on
 * random skill bits (so builds are caught in every phase, including the
 * middle of a partition and of the fill), and now and then a whole
 * tr_fleet_rebuild that abandons a build in progress. Every query's answer
 * must equal the brute-force answer exactly, and tr_fleet_check() must find
 * the trees, back pointers and counters consistent. Indexes are big enough
 * (> 2048 entries) for the sampled, resumable split path. No timing.
 */
#include "dispatcher/core/fleet.h"

#include "tests/support/check.h"
#include "tests/support/rng.h"
#include "tests/unit/fleet_brute.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NSKILL 3
#define KMAX   12

struct model {
    uint32_t n;
    struct tr_fleet_entry *e;
    bool *present;
};

struct scenario {
    const char *name;
    uint32_t n;
    unsigned steps;
    unsigned leaf_fill;
    enum tr_fleet_kernel kernel;
    double spread_deg; /* cluster size; 0 = many exact duplicates */
    uint64_t seed;
};

static void place(const struct scenario *sc, struct rng *r, double *lat, double *lon)
{
    static const double clat[4] = { 40.7, 34.0, 41.9, 29.8 },
                        clon[4] = { -74.0, -118.2, -87.6, -95.4 };
    int c = (int)(rnd(r) % 4);
    if (sc->spread_deg == 0.0 && rnd(r) % 2) {
        *lat = clat[c]; /* exact duplicates: ties broken by id, contractor */
        *lon = clon[c];
        return;
    }
    double sd = sc->spread_deg > 0.0 ? sc->spread_deg : 0.01;
    *lat = clat[c] + sd * gauss(r);
    *lon = clon[c] + sd * gauss(r);
    if (rnd(r) % 10 == 0) { /* rural rest */
        *lat = 25.0 + 24.0 * unif(r);
        *lon = -124.0 + 56.0 * unif(r);
    }
}

static void random_entry(const struct scenario *sc, struct rng *r, struct tr_fleet_entry *e)
{
    place(sc, r, &e->lat, &e->lon);
    e->skills = 0;
    while (!e->skills)
        e->skills = rnd(r) & ((UINT64_C(1) << NSKILL) - 1);
    e->skills |= rnd(r) % 3 ? 1u : 0u; /* bit 0 is common: a big index */
    e->eligible = rnd(r) % 5 != 0;
    e->radius_m = INFINITY;
    e->tier = 0;
    e->id = (uint32_t)(rnd(r) % 1000);
}

static void mutate(const struct scenario *sc, struct rng *r, struct model *md, struct tr_fleet *f)
{
    uint32_t c = (uint32_t)(rnd(r) % md->n);
    struct tr_fleet_entry *e = &md->e[c];
    unsigned op = (unsigned)(rnd(r) % 100);

    if (!md->present[c]) {
        random_entry(sc, r, e);
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
        md->present[c] = true;
    } else if (op < 70) {
        e->lat += 0.002 * gauss(r);
        e->lon += 0.002 * gauss(r);
        CHECK(tr_fleet_move(f, c, e->lat, e->lon) == TR_FLEET_OK);
    } else if (op < 80) {
        place(sc, r, &e->lat, &e->lon);
        CHECK(tr_fleet_move(f, c, e->lat, e->lon) == TR_FLEET_OK);
    } else if (op < 88) {
        e->eligible = !e->eligible;
        CHECK(tr_fleet_set_eligible(f, c, e->eligible) == TR_FLEET_OK);
    } else if (op < 94) {
        random_entry(sc, r, e);
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
    } else {
        CHECK(tr_fleet_remove(f, c) == TR_FLEET_OK);
        md->present[c] = false;
    }
}

static void run(const struct scenario *sc)
{
    struct rng r = { sc->seed };
    struct model md = { sc->n, calloc(sc->n, sizeof(*md.e)), calloc(sc->n, sizeof(bool)) };
    struct tr_fleet_params p = { .kernel = sc->kernel, .leaf_fill = sc->leaf_fill };
    struct tr_fleet *f = NULL;
    struct tr_fleet_result want[KMAX], got[KMAX];
    unsigned queries = 0, mismatches = 0, bad_checks = 0, swaps = 0, steps = 0, abandoned = 0;

    CHECK(tr_fleet_new(sc->n, &p, &f) == TR_FLEET_OK);
    if (!f || !md.e || !md.present)
        goto out;
    for (uint32_t c = 0; c < sc->n; c++)
        if (rnd(&r) % 10) {
            random_entry(sc, &r, &md.e[c]);
            CHECK(tr_fleet_upsert(f, c, &md.e[c]) == TR_FLEET_OK);
            md.present[c] = true;
        }
    /* half the scenarios start from an unbuilt fleet (everything in overflow) */
    if (sc->seed % 2)
        CHECK(tr_fleet_rebuild(f, TR_FLEET_ALL_SKILLS) == TR_FLEET_OK);

    for (unsigned s = 0; s < sc->steps; s++) {
        unsigned op = (unsigned)(rnd(&r) % 100);
        if (op < 45) {
            unsigned n = 1 + (unsigned)(rnd(&r) % 40);
            for (unsigned i = 0; i < n; i++)
                mutate(sc, &r, &md, f);
        } else if (op < 80) {
            /* budgets from tiny (stuck mid-partition) to whole phases */
            static const uint64_t budget[] = { 50, 500, 3000, 20000, 100000, 1000000 };
            unsigned bit = (unsigned)(rnd(&r) % NSKILL);
            uint64_t w = budget[rnd(&r) % 6] + rnd(&r) % 100;
            bool done = false;
            CHECK(tr_fleet_rebuild_step(f, bit, w, &done) == TR_FLEET_OK);
            steps++;
            swaps += done;
        } else if (op < 81) {
            CHECK(tr_fleet_rebuild(f, UINT64_C(1) << (rnd(&r) % NSKILL)) == TR_FLEET_OK);
            abandoned++;
        } else {
            struct tr_fleet_query q = { .k = 1 + (unsigned)(rnd(&r) % KMAX) };
            place(sc, &r, &q.lat, &q.lon);
            q.required_skills = UINT64_C(1) << (rnd(&r) % NSKILL);
            if (rnd(&r) % 4 == 0)
                q.required_skills |= 1u;
            size_t ng = 0, nw = trt_fleet_brute(md.e, md.present, md.n, &q, want, q.k, NULL);
            CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK);
            queries++;
            if (!trt_fleet_same(got, ng, want, nw) && mismatches++ < 5)
                fprintf(stderr, "%s: step %u query (%.6f, %.6f) skills %llx k %u: %zu vs %zu\n",
                        sc->name, s, q.lat, q.lon, (unsigned long long)q.required_skills, q.k, ng,
                        nw);
        }
        if (s % 199 == 0 || s + 1 == sc->steps) {
            int line = tr_fleet_check(f);
            if (line && bad_checks++ < 5)
                fprintf(stderr, "%s: step %u: tr_fleet_check failed at %d\n", sc->name, s, line);
        }
    }
    /* finish whatever is in progress (it ends dirty when updates came in
     * meanwhile), then one more build with no traffic: every tree ends
     * clean, consistent and (nearly) without overflow */
    for (unsigned bit = 0; bit < NSKILL; bit++) {
        for (int pass = 0; pass < 2; pass++) {
            bool done = false;
            for (int i = 0; i < 100000 && !done; i++)
                CHECK(tr_fleet_rebuild_step(f, bit, 5000, &done) == TR_FLEET_OK);
            CHECK(done);
        }
        struct tr_fleet_index_stats is;
        CHECK(tr_fleet_index_stats(f, bit, &is) == TR_FLEET_OK);
        CHECK(!is.rebuilding && !is.dirty);
        /* exact duplicates may leave a few in overflow (only leaves whose
         * cell holds the spot can take them) */
        CHECK_MSG(is.overflow * 100 <= is.entries, "%s: bit %u: %u of %u entries in overflow",
                  sc->name, bit, is.overflow, is.entries);
    }
    CHECK(tr_fleet_check(f) == 0);
    CHECK_MSG(mismatches == 0, "%s: %u of %u queries differ from brute force", sc->name, mismatches,
              queries);
    CHECK_MSG(bad_checks == 0, "%s: %u consistency failures", sc->name, bad_checks);
    CHECK_MSG(swaps > 0, "%s: no incremental build completed (%u steps)", sc->name, steps);
    fprintf(stderr, "%s: %u queries, %u rebuild steps, %u swaps, %u whole rebuilds\n", sc->name,
            queries, steps, swaps, abandoned);
out:
    tr_fleet_free(f);
    free(md.e);
    free(md.present);
}

/* A step on a clean tree is done at once; bad arguments are refused. */
static void test_api(void)
{
    struct tr_fleet *f = NULL;
    bool done = false;
    CHECK(tr_fleet_new(100, NULL, &f) == TR_FLEET_OK);
    CHECK(tr_fleet_rebuild_step(NULL, 0, 1, &done) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_rebuild_step(f, 64, 1, &done) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_rebuild_step(f, 0, 1, NULL) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_rebuild_step(f, 5, 1, &done) == TR_FLEET_OK && done);
    struct tr_fleet_entry e = { 40.0, -74.0, 1, true, INFINITY, 0, 7 };
    CHECK(tr_fleet_upsert(f, 3, &e) == TR_FLEET_OK);
    done = false;
    for (int i = 0; i < 1000 && !done; i++)
        CHECK(tr_fleet_rebuild_step(f, 0, 10, &done) == TR_FLEET_OK);
    CHECK(done);
    CHECK(tr_fleet_check(f) == 0);
    struct tr_fleet_stats st;
    tr_fleet_stats(f, &st);
    CHECK(st.rebuilds == 1);
    tr_fleet_free(f);
}

int main(void)
{
    static const struct scenario sc[] = {
        { "clustered", 12000, 4000, 0, TR_FLEET_KERNEL_AUTO, 0.05, 1 },
        { "clustered-scalar", 12000, 3000, 0, TR_FLEET_KERNEL_SCALAR, 0.05, 2 },
        { "duplicates", 9000, 3000, 8, TR_FLEET_KERNEL_AUTO, 0.0, 3 },
        { "small-leaves", 3000, 3000, 8, TR_FLEET_KERNEL_AUTO, 0.2, 4 },
    };
    test_api();
    for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
        run(&sc[i]);
    return check_report("test_fleet_rebuild");
}
