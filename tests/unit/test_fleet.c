/*
 * tests/unit/test_fleet.c: dispatcher/core/fleet against a brute-force scan.
 *
 * A model keeps what the fleet was told; after batches of random moves,
 * relinks, skill changes, eligibility flips, removes and partial rebuilds,
 * every query's answer must equal the model's brute-force answer exactly:
 * same contractors, same order (distance, id, contractor), distances equal
 * to tr_geo_distance_m() bit for bit. Covers clustered, uniform, antimeridian,
 * polar and duplicate placements, k 1..20, multi-bit skills, max distance,
 * tier, radius, the extra filter, paging, every vector kernel the CPU has,
 * and invalid input. No timing.
 */
#include "dispatcher/core/fleet.h"

#include "common/geo.h"
#include "tests/support/check.h"
#include "tests/support/rng.h"
#include "tests/unit/fleet_brute.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define NSKILL 8

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : (x > hi ? hi : x);
}

static double wrap_lon(double lon)
{
    while (lon >= 180.0)
        lon -= 360.0;
    while (lon < -180.0)
        lon += 360.0;
    return lon;
}

/* ---- placements ---- */

enum placement { CLUSTERED, UNIFORM, ANTIMERIDIAN, POLAR };

struct world {
    enum placement kind;
    double clat[16], clon[16], csd[16];
};

static void world_init(struct world *w, enum placement kind, struct rng *r)
{
    w->kind = kind;
    for (int i = 0; i < 16; i++) {
        w->clat[i] = -55.0 + 110.0 * unif(r);
        w->clon[i] = -180.0 + 360.0 * unif(r);
        w->csd[i] = 0.02 + 0.5 * unif(r);
    }
}

static void place(const struct world *w, struct rng *r, double *lat, double *lon)
{
    switch (w->kind) {
    case CLUSTERED: {
        int c = (int)(rnd(r) % 16);
        *lat = clampd(w->clat[c] + w->csd[c] * gauss(r), -90.0, 90.0);
        *lon = wrap_lon(w->clon[c] + w->csd[c] * gauss(r));
        return;
    }
    case UNIFORM:
        *lat = asin(2.0 * unif(r) - 1.0) * 180.0 / M_PI;
        *lon = -180.0 + 360.0 * unif(r);
        return;
    case ANTIMERIDIAN:
        *lat = 20.0 * gauss(r) * 0.05 + 10.0;
        *lon = wrap_lon(180.0 + 0.3 * gauss(r));
        if (rnd(r) % 8 == 0)
            *lon = (rnd(r) & 1) ? 180.0 : -180.0;
        return;
    case POLAR:
        *lat = 90.0 - fabs(0.3 * gauss(r));
        *lon = -180.0 + 360.0 * unif(r);
        if (rnd(r) % 10 == 0)
            *lat = (rnd(r) & 1) ? 90.0 : 89.999;
        if (rnd(r) % 4 == 0)
            *lat = -*lat;
        return;
    }
}

/* ---- the model and its brute force ---- */

struct model {
    uint32_t n;
    struct tr_fleet_entry *e;
    bool *present;
};

static uint64_t random_skills(struct rng *r)
{
    uint64_t s = 0;
    int count = 1 + (int)(rnd(r) % 3);
    for (int i = 0; i < count; i++) {
        /* skewed: low bits common */
        unsigned b = (unsigned)(NSKILL * unif(r) * unif(r));
        s |= UINT64_C(1) << b;
    }
    if (rnd(r) % 50 == 0)
        s = 0; /* never indexed */
    if (rnd(r) % 40 == 0)
        s |= UINT64_C(1) << 63;
    return s;
}

static void random_entry(const struct world *w, struct rng *r, struct tr_fleet_entry *e, uint32_t n)
{
    place(w, r, &e->lat, &e->lon);
    e->skills = random_skills(r);
    e->eligible = rnd(r) % 10 < 7;
    e->radius_m = rnd(r) % 5 == 0 ? INFINITY : 1000.0 + 500000.0 * unif(r);
    e->tier = (uint8_t)(rnd(r) % 4);
    e->id = (uint32_t)(rnd(r) % (n / 2 + 1)); /* id ties on purpose */
}

struct reject_ctx {
    unsigned mod;
    unsigned calls;
    bool out_of_order;
    struct tr_fleet_result last;
};

/* Rejects contractor indexes divisible by mod; checks it is called in
 * result order. */
static bool reject_some(void *ctx, const struct tr_fleet_candidate *c)
{
    struct reject_ctx *rc = ctx;
    struct tr_fleet_result x = { c->contractor, c->id, c->distance_m };
    if (rc->calls && trt_fleet_cmp(&rc->last, &x) >= 0)
        rc->out_of_order = true;
    rc->last = x;
    rc->calls++;
    return c->contractor % rc->mod != 0;
}

static size_t brute(const struct model *md, const struct tr_fleet_query *q,
                    struct tr_fleet_result *all)
{
    return trt_fleet_brute(md->e, md->present, md->n, q, all, 0, NULL);
}

/* The brute-force answer, applying the extra filter in order like the fleet;
 * *calls: how often the filter must be called. */
static size_t expect(const struct model *md, const struct tr_fleet_query *q,
                     struct tr_fleet_result *all, struct tr_fleet_result *want, unsigned *calls)
{
    bool more;
    size_t n = trt_fleet_brute(md->e, md->present, md->n, q, all, 4 * q->k + 16, &more), k = 0, i;
    for (i = 0; i < n && k < q->k; i++) {
        if (q->filter && all[i].contractor % ((struct reject_ctx *)q->filter_ctx)->mod == 0)
            continue;
        want[k++] = all[i];
    }
    if (k < q->k && more) { /* the filter ate the shortlist: use everything */
        n = brute(md, q, all);
        k = 0;
        for (i = 0; i < n && k < q->k; i++) {
            if (q->filter && all[i].contractor % ((struct reject_ctx *)q->filter_ctx)->mod == 0)
                continue;
            want[k++] = all[i];
        }
    }
    *calls = q->filter ? (unsigned)i : 0;
    return k;
}

/* ---- one randomized scenario ---- */

struct scenario {
    const char *name;
    enum tr_fleet_kernel kernel;
    enum placement placement;
    uint32_t n;
    unsigned leaf_fill;
    int rounds;
    int queries;
    uint64_t seed;
};

static void random_query(const struct world *w, struct rng *r, struct tr_fleet_query *q,
                         struct reject_ctx *rc)
{
    memset(q, 0, sizeof(*q));
    place(w, r, &q->lat, &q->lon);
    unsigned nb = rnd(r) % 10 < 7 ? 1 : (rnd(r) % 5 ? 2 : 3);
    for (unsigned i = 0; i < nb; i++)
        q->required_skills |= UINT64_C(1) << (unsigned)(NSKILL * unif(r) * unif(r));
    if (rnd(r) % 30 == 0)
        q->required_skills = UINT64_C(1) << 63;
    q->k = 1 + (unsigned)(rnd(r) % 20);
    static const double maxd[] = { 0.0, 0.0, 0.0, INFINITY, 500.0, 5000.0, 50000.0, 1e6 };
    q->max_distance_m = maxd[rnd(r) % 8];
    if (rnd(r) % 4 == 0)
        q->min_tier = (uint8_t)(1 + rnd(r) % 3);
    q->within_radius = rnd(r) % 5 == 0;
    if (rnd(r) % 5 == 0) {
        rc->mod = 2 + (unsigned)(rnd(r) % 3);
        q->filter = reject_some;
        q->filter_ctx = rc;
    }
}

static void mutate(const struct world *w, struct rng *r, struct model *md, struct tr_fleet *f)
{
    uint32_t c = (uint32_t)(rnd(r) % md->n);
    struct tr_fleet_entry *e = &md->e[c];
    unsigned op = (unsigned)(rnd(r) % 100);
    int rc;

    if (!md->present[c]) {
        random_entry(w, r, e, md->n);
        rc = tr_fleet_upsert(f, c, e);
        CHECK(rc == TR_FLEET_OK);
        md->present[c] = true;
        return;
    }
    if (op < 65) { /* small move, like a vehicle between reports */
        double lat = clampd(e->lat + 0.002 * gauss(r), -90.0, 90.0);
        double lon = wrap_lon(e->lon + 0.002 * gauss(r));
        rc = tr_fleet_move(f, c, lat, lon);
        CHECK(rc == TR_FLEET_OK);
        e->lat = lat;
        e->lon = lon;
    } else if (op < 75) { /* jump anywhere */
        place(w, r, &e->lat, &e->lon);
        CHECK(tr_fleet_move(f, c, e->lat, e->lon) == TR_FLEET_OK);
    } else if (op < 85) {
        e->eligible = !e->eligible;
        CHECK(tr_fleet_set_eligible(f, c, e->eligible) == TR_FLEET_OK);
    } else if (op < 90) { /* skills change */
        e->skills = random_skills(r);
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
    } else if (op < 94) { /* same place, other attributes */
        e->tier = (uint8_t)(rnd(r) % 4);
        e->radius_m = 1000.0 + 500000.0 * unif(r);
        e->id = (uint32_t)(rnd(r) % (md->n / 2 + 1));
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
    } else if (op < 97) {
        random_entry(w, r, e, md->n);
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
    } else {
        CHECK(tr_fleet_remove(f, c) == TR_FLEET_OK);
        md->present[c] = false;
    }
}

static void check_stats(const struct model *md, const struct tr_fleet *f)
{
    struct tr_fleet_stats st;
    uint32_t present = 0, indexed = 0;
    uint64_t entries = 0;
    tr_fleet_stats(f, &st);
    for (uint32_t c = 0; c < md->n; c++) {
        if (!md->present[c])
            continue;
        present++;
        if (md->e[c].eligible && md->e[c].skills) {
            indexed++;
            entries += (uint64_t)__builtin_popcountll(md->e[c].skills);
        }
    }
    CHECK(st.contractors == present);
    CHECK(st.indexed == indexed);
    CHECK(st.entries == entries);
}

static void run_scenario(const struct scenario *sc)
{
    struct rng r = { sc->seed };
    struct world w;
    struct model md = { sc->n, calloc(sc->n, sizeof(*md.e)), calloc(sc->n, sizeof(bool)) };
    struct tr_fleet_result *all = malloc(sc->n * sizeof(*all));
    struct tr_fleet_result want[TR_FLEET_K_MAX], got[TR_FLEET_K_MAX];
    struct tr_fleet_params p = { .kernel = sc->kernel, .leaf_fill = sc->leaf_fill };
    struct tr_fleet *f = NULL;
    int mismatches = 0, queries = 0;

    world_init(&w, sc->placement, &r);
    CHECK(tr_fleet_new(sc->n, &p, &f) == TR_FLEET_OK);
    if (!f || !md.e || !md.present || !all)
        goto out;
    for (uint32_t c = 0; c < sc->n; c++) {
        if (rnd(&r) % 20 == 0)
            continue; /* a few never present */
        random_entry(&w, &r, &md.e[c], sc->n);
        CHECK(tr_fleet_upsert(f, c, &md.e[c]) == TR_FLEET_OK);
        md.present[c] = true;
    }
    for (int round = 0; round < sc->rounds; round++) {
        /* round 0 queries the unbuilt fleet (everything in overflow) */
        if (round == 1 || round % 3 == 2)
            CHECK(tr_fleet_rebuild(f, TR_FLEET_ALL_SKILLS) == TR_FLEET_OK);
        else if (round % 3 == 0)
            CHECK(tr_fleet_rebuild(f, rnd(&r)) == TR_FLEET_OK); /* some bits only */
        if (round > 0)
            for (uint32_t i = 0; i < sc->n / 4; i++)
                mutate(&w, &r, &md, f);
        check_stats(&md, f);
        int line = tr_fleet_check(f);
        CHECK_MSG(line == 0, "%s: round %d: tr_fleet_check failed at %d", sc->name, round, line);
        for (int qi = 0; qi < sc->queries; qi++) {
            struct tr_fleet_query q;
            struct reject_ctx rc = { 0 };
            size_t ng = 0;
            unsigned calls = 0;
            random_query(&w, &r, &q, &rc);
            size_t nw = expect(&md, &q, all, want, &calls);
            int err = tr_fleet_knn(f, &q, got, &ng);
            CHECK(err == TR_FLEET_OK);
            queries++;
            if (!trt_fleet_same(got, ng, want, nw) && mismatches++ < 5)
                fprintf(stderr, "%s: round %d query %d (%.6f, %.6f) skills %llx k %u: %zu vs %zu\n",
                        sc->name, round, qi, q.lat, q.lon, (unsigned long long)q.required_skills,
                        q.k, ng, nw);
            CHECK(rc.calls == calls && !rc.out_of_order);
            /* page 2: strictly after the last result of page 1 */
            if (ng == q.k && rnd(&r) % 3 == 0) {
                struct tr_fleet_result last = got[ng - 1];
                q.after = &last;
                rc.calls = 0;
                nw = expect(&md, &q, all, want, &calls);
                CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK);
                CHECK(rc.calls == calls && !rc.out_of_order);
                queries++;
                if (!trt_fleet_same(got, ng, want, nw) && mismatches++ < 5)
                    fprintf(stderr, "%s: round %d query %d page 2 mismatch\n", sc->name, round, qi);
            }
        }
    }
    CHECK_MSG(mismatches == 0, "%s: %d of %d queries differ from brute force", sc->name, mismatches,
              queries);
out:
    tr_fleet_free(f);
    free(md.e);
    free(md.present);
    free(all);
}

/* ---- duplicates, ties and paging through everything ---- */

static void test_duplicates_and_paging(void)
{
    enum { N = 1200 };
    struct rng r = { 42 };
    struct model md = { N, calloc(N, sizeof(*md.e)), calloc(N, sizeof(bool)) };
    struct tr_fleet_result *all = malloc(N * sizeof(*all)), *seen = malloc(N * sizeof(*seen));
    struct tr_fleet_result want[TR_FLEET_K_MAX], got[TR_FLEET_K_MAX];
    struct tr_fleet *f = NULL;
    struct tr_fleet_stats st;
    unsigned calls;

    CHECK(tr_fleet_new(N, NULL, &f) == TR_FLEET_OK);
    if (!f || !md.e || !md.present || !all || !seen)
        goto out;
    for (uint32_t c = 0; c < N; c++) {
        struct tr_fleet_entry *e = &md.e[c];
        if (c < 500) { /* 500 at one spot, ids tie in pairs */
            e->lat = 48.8566;
            e->lon = 2.3522;
        } else if (c < 700) { /* 200 more on a 1 m ring: equal distances */
            double a = 2.0 * M_PI * (c - 500) / 200.0;
            tr_geo_destination(48.8566, 2.3522, a * 180.0 / M_PI, 1.0, &e->lat, &e->lon);
        } else {
            e->lat = 48.8566 + 0.2 * gauss(&r);
            e->lon = 2.3522 + 0.2 * gauss(&r);
        }
        e->skills = c % 3 ? 0x3 : 0x1;
        e->eligible = true;
        e->radius_m = INFINITY;
        e->id = c / 2;
        CHECK(tr_fleet_upsert(f, c, e) == TR_FLEET_OK);
        md.present[c] = true;
    }
    CHECK(tr_fleet_rebuild(f, TR_FLEET_ALL_SKILLS) == TR_FLEET_OK);

    /* k = 20 at the duplicate spot: ties broken by id, then contractor */
    struct tr_fleet_query q = { .lat = 48.8566, .lon = 2.3522, .required_skills = 0x1, .k = 20 };
    size_t ng = 0, nw = expect(&md, &q, all, want, &calls);
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK);
    CHECK(trt_fleet_same(got, ng, want, nw) && ng == 20);
    tr_fleet_stats(f, &st);
    CHECK(st.fallback_rounds > 0);

    /* page through everything with bit 1 within 30 km, 7 at a time */
    for (int pass = 0; pass < 2; pass++) {
        struct tr_fleet_query pq = { .lat = 48.8566 + 0.00001 * pass,
                                     .lon = 2.3522,
                                     .required_skills = 0x3,
                                     .k = 7,
                                     .max_distance_m = 30000.0 };
        size_t total = brute(&md, &pq, all), n_seen = 0;
        struct tr_fleet_result last;
        for (;;) {
            CHECK(tr_fleet_knn(f, &pq, got, &ng) == TR_FLEET_OK);
            if (ng == 0 || n_seen + ng > N)
                break;
            memcpy(seen + n_seen, got, ng * sizeof(*got));
            n_seen += ng;
            last = got[ng - 1];
            pq.after = &last;
        }
        CHECK(total > 300);
        CHECK(trt_fleet_same(seen, n_seen, all, total));
    }

    /* a k larger than the qualifying set returns all of them */
    struct tr_fleet_query big = { .lat = 0.0, .lon = 0.0, .required_skills = 0x2, .k = 1000 };
    struct tr_fleet_result *many = malloc(1000 * sizeof(*many));
    if (many) {
        size_t total = brute(&md, &big, all);
        CHECK(tr_fleet_knn(f, &big, many, &ng) == TR_FLEET_OK);
        CHECK(trt_fleet_same(many, ng, all, total < 1000 ? total : 1000));
        free(many);
    }
out:
    tr_fleet_free(f);
    free(md.e);
    free(md.present);
    free(all);
    free(seen);
}

/* ---- edges of the sphere and of the skill mask ---- */

static void test_edges(void)
{
    struct tr_fleet *f = NULL;
    struct tr_fleet_result got[4];
    size_t ng = 9;

    CHECK(tr_fleet_new(8, NULL, &f) == TR_FLEET_OK);
    if (!f)
        return;
    struct tr_fleet_entry e = { .lat = 90.0,
                                .lon = 180.0,
                                .skills = UINT64_C(1) << 63,
                                .eligible = true,
                                .radius_m = INFINITY,
                                .id = 7 };
    CHECK(tr_fleet_upsert(f, 0, &e) == TR_FLEET_OK);
    e = (struct tr_fleet_entry){ .lat = -90.0,
                                 .lon = -180.0,
                                 .skills = UINT64_C(1) << 63,
                                 .eligible = true,
                                 .radius_m = INFINITY,
                                 .id = 8 };
    CHECK(tr_fleet_upsert(f, 1, &e) == TR_FLEET_OK);
    e.skills = 0; /* present but never a candidate */
    e.lat = 0.0;
    CHECK(tr_fleet_upsert(f, 2, &e) == TR_FLEET_OK);
    e = (struct tr_fleet_entry){ .lat = 0.0, .lon = 179.9999, .skills = 0x4, .eligible = false };
    CHECK(tr_fleet_upsert(f, 3, &e) == TR_FLEET_OK);

    /* from the south pole: the north pole is ~pi R away */
    struct tr_fleet_query q = {
        .lat = -90.0, .lon = 0.0, .required_skills = UINT64_C(1) << 63, .k = 4
    };
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK);
    CHECK(ng == 2 && got[0].contractor == 1 && got[1].contractor == 0);
    CHECK(ng == 2 && got[1].distance_m == tr_geo_distance_m(-90.0, 0.0, 90.0, 180.0));
    /* an empty index, an ineligible contractor, and flipping it on */
    q = (struct tr_fleet_query){ .lat = 0.0, .lon = -179.9999, .required_skills = 0x4, .k = 1 };
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK && ng == 0);
    CHECK(tr_fleet_set_eligible(f, 3, true) == TR_FLEET_OK);
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK && ng == 1 && got[0].contractor == 3);
    CHECK(ng == 1 && got[0].distance_m < 30.0);
    q.max_distance_m = 10.0;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK && ng == 0);
    q.required_skills = 0x5; /* bit 0 nobody has */
    q.max_distance_m = 0.0;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK && ng == 0);

    struct tr_fleet_stats st;
    tr_fleet_stats(f, &st);
    CHECK(st.contractors == 4 && st.indexed == 3 && st.entries == 3);
    CHECK(st.kernel != TR_FLEET_KERNEL_AUTO);
    struct tr_fleet_entry back;
    CHECK(tr_fleet_get(f, 0, &back) == TR_FLEET_OK && back.id == 7 && back.lat == 90.0);
    CHECK(tr_fleet_remove(f, 0) == TR_FLEET_OK);
    CHECK(tr_fleet_get(f, 0, &back) == TR_FLEET_ENOENT);
    tr_fleet_free(f);
}

/* ---- invalid input changes nothing ---- */

static void test_invalid(void)
{
    struct tr_fleet *f = NULL;
    struct tr_fleet_params p = { .leaf_fill = 4 };
    struct tr_fleet_result got[2];
    size_t ng;

    CHECK(tr_fleet_new(0, NULL, &f) == TR_FLEET_EINVAL && f == NULL);
    CHECK(tr_fleet_new((1u << 26) + 1, NULL, &f) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_new(10, &p, &f) == TR_FLEET_EINVAL);
    p = (struct tr_fleet_params){ .kernel = (enum tr_fleet_kernel)9 };
    CHECK(tr_fleet_new(10, &p, &f) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_new(10, NULL, NULL) == TR_FLEET_EINVAL);
    tr_fleet_free(NULL);

    CHECK(tr_fleet_new(10, NULL, &f) == TR_FLEET_OK);
    if (!f)
        return;
    struct tr_fleet_entry ok = {
        .lat = 10.0, .lon = 20.0, .skills = 1, .eligible = true, .radius_m = 5000.0, .id = 1
    };
    CHECK(tr_fleet_upsert(f, 3, &ok) == TR_FLEET_OK);
    const double bad[][2] = { { NAN, 0.0 },       { 0.0, NAN },     { INFINITY, 0.0 },
                              { 0.0, -INFINITY }, { 90.0001, 0.0 }, { -91.0, 0.0 },
                              { 0.0, 180.001 },   { 0.0, -181.0 } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_fleet_entry e = ok;
        e.lat = bad[i][0];
        e.lon = bad[i][1];
        CHECK(tr_fleet_upsert(f, 3, &e) == TR_FLEET_ECOORD);
        CHECK(tr_fleet_upsert(f, 4, &e) == TR_FLEET_ECOORD);
        CHECK(tr_fleet_move(f, 3, e.lat, e.lon) == TR_FLEET_ECOORD);
        struct tr_fleet_query q = { .lat = e.lat, .lon = e.lon, .required_skills = 1, .k = 1 };
        CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_ECOORD);
    }
    struct tr_fleet_entry e = ok;
    e.radius_m = NAN;
    CHECK(tr_fleet_upsert(f, 3, &e) == TR_FLEET_EINVAL);
    e.radius_m = -1.0;
    CHECK(tr_fleet_upsert(f, 3, &e) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_upsert(f, 10, &ok) == TR_FLEET_ERANGE);
    CHECK(tr_fleet_upsert(f, 3, NULL) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_move(f, 5, 1.0, 1.0) == TR_FLEET_ENOENT);
    CHECK(tr_fleet_move(f, 11, 1.0, 1.0) == TR_FLEET_ERANGE);
    CHECK(tr_fleet_set_eligible(f, 5, true) == TR_FLEET_ENOENT);
    CHECK(tr_fleet_remove(f, 5) == TR_FLEET_ENOENT);
    CHECK(tr_fleet_remove(f, 99) == TR_FLEET_ERANGE);
    struct tr_fleet_entry back;
    CHECK(tr_fleet_get(f, 3, &back) == TR_FLEET_OK && back.lat == 10.0 && back.lon == 20.0);
    CHECK(back.radius_m == 5000.0);

    struct tr_fleet_query q = { .lat = 10.0, .lon = 20.0, .required_skills = 1, .k = 1 };
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_OK && ng == 1 && got[0].contractor == 3);
    q.k = 0;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.k = TR_FLEET_K_MAX + 1;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.k = 1;
    q.required_skills = 0;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.required_skills = 1;
    q.max_distance_m = NAN;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.max_distance_m = -5.0;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.max_distance_m = 0.0;
    struct tr_fleet_result after = { 0, 0, NAN };
    q.after = &after;
    CHECK(tr_fleet_knn(f, &q, got, &ng) == TR_FLEET_EINVAL);
    q.after = NULL;
    CHECK(tr_fleet_knn(f, &q, NULL, &ng) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_knn(f, &q, got, NULL) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_knn(NULL, &q, got, &ng) == TR_FLEET_EINVAL);
    struct tr_fleet_index_stats is;
    CHECK(tr_fleet_index_stats(f, 64, &is) == TR_FLEET_EINVAL);
    CHECK(tr_fleet_index_stats(f, 0, &is) == TR_FLEET_OK && is.entries == 1);

    for (int err = 0; err <= 6; err++)
        CHECK(strcmp(tr_fleet_strerror(err), "unknown fleet error") != 0);
    CHECK(strcmp(tr_fleet_strerror(77), "unknown fleet error") == 0);
    CHECK(strcmp(tr_fleet_kernel_name(TR_FLEET_KERNEL_AVX512), "avx512") == 0);
    tr_fleet_free(f);
}

int main(void)
{
    const struct scenario sc[] = {
        { "clustered", TR_FLEET_KERNEL_AUTO, CLUSTERED, 20000, 0, 5, 60, 1 },
        { "uniform", TR_FLEET_KERNEL_AUTO, UNIFORM, 8000, 0, 4, 50, 2 },
        { "antimeridian", TR_FLEET_KERNEL_AUTO, ANTIMERIDIAN, 4000, 0, 4, 50, 3 },
        { "polar", TR_FLEET_KERNEL_AUTO, POLAR, 4000, 0, 4, 50, 4 },
        { "overflow", TR_FLEET_KERNEL_AUTO, CLUSTERED, 6000, 8, 5, 50, 5 },
        { "scalar", TR_FLEET_KERNEL_SCALAR, CLUSTERED, 4000, 0, 4, 40, 6 },
        { "avx2", TR_FLEET_KERNEL_AVX2, CLUSTERED, 4000, 0, 4, 40, 7 },
        { "avx512", TR_FLEET_KERNEL_AVX512, CLUSTERED, 4000, 0, 4, 40, 8 },
        /* tree depths 0 .. 11 (the skill indexes differ in size): every way
         * the split levels can fall into the node layout's groups */
        { "depth-a", TR_FLEET_KERNEL_AUTO, CLUSTERED, 40, 8, 4, 30, 9 },
        { "depth-b", TR_FLEET_KERNEL_AUTO, UNIFORM, 300, 8, 4, 30, 10 },
        { "depth-c", TR_FLEET_KERNEL_AUTO, CLUSTERED, 1100, 8, 4, 30, 11 },
        { "depth-d", TR_FLEET_KERNEL_AUTO, POLAR, 5000, 8, 4, 30, 12 },
        { "depth-e", TR_FLEET_KERNEL_AUTO, CLUSTERED, 24000, 8, 3, 30, 13 },
    };
    for (size_t i = 0; i < sizeof(sc) / sizeof(sc[0]); i++) {
        if (!tr_fleet_kernel_supported(sc[i].kernel)) {
            printf("test_fleet: %s kernel not supported here, skipped\n", sc[i].name);
            continue;
        }
        run_scenario(&sc[i]);
    }
    test_duplicates_and_paging();
    test_edges();
    test_invalid();
    return check_report("test_fleet");
}
