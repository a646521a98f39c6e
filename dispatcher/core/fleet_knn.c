/*
 * dispatcher/core/fleet_knn.c: the exact k-nearest query on top of the float
 * search.
 *
 * A round asks fleet_search for the m best candidates by float chord^2 (m a
 * little above k), then computes exact distances lazily in float order and
 * emits a candidate once no uncomputed or uncollected entry can precede it:
 * a float chord sqrt(s) is within E(c) = 2^-24 (4 + 5c) of the true chord
 * (float rounding of both unit vectors <= 2^-24 each, arithmetic <= 2.6
 * ulps relative, the rest is margin for the double chord, whose error is
 * ~1e-15), so an entry with float s >= s_b has a true chord >=
 * sqrt(s_b) - E. When the round runs out of certified candidates before k
 * were accepted, the next round resumes strictly after the last one
 * processed with twice the room; this is also how ties among many equal
 * distances and heavy filters are handled.
 *
 * Distances are tr_geo_unit_distance_m() of the query's and the
 * contractor's double unit vectors (tr_geo_to_unit, cached in fleet_rec at
 * each position update), which is how common/geo.c defines
 * tr_geo_distance_m(): the same bits by construction, with no trig per
 * candidate but one atan2. tests/unit/test_fleet.c checks every reported
 * distance equals tr_geo_distance_m() bit for bit.
 *
 * Does not rank by ETA or pick a contractor: that is the matcher's job.
 */
#include "dispatcher/core/fleet_int.h"

#include "common/geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define U24 (1.0 / 16777216.0)

struct pend {
    double d;
    double c; /* chord |a - b| as tr_geo_unit_distance_m computed it */
    uint32_t id;
    uint32_t ci;
};

/* The float s in the top half of a candidate key. */
static float u2f_bits(uint64_t key)
{
    uint32_t u = (uint32_t)(key >> 32);
    float x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

static double err_bound(double c)
{
    return U24 * (4.0 + 5.0 * c);
}

/* Lower bound on the exact chord of every entry whose float s is >= s. */
static double cert_bound(float s)
{
    double c = sqrt((double)s);
    return c - err_bound(c);
}

static bool key_less(const struct pend *a, const struct pend *b)
{
    if (a->d != b->d)
        return a->d < b->d;
    if (a->id != b->id)
        return a->id < b->id;
    return a->ci < b->ci;
}

static void pend_push(struct pend *h, size_t *n, struct pend x)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!key_less(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

static struct pend pend_pop(struct pend *h, size_t *n)
{
    struct pend top = h[0], x = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && key_less(&h[c + 1], &h[c]))
            c++;
        if (!key_less(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = x;
    return top;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void sort_keys(uint64_t *k, size_t n)
{
    if (n > 32) {
        qsort(k, n, sizeof(*k), cmp_u64);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint64_t x = k[i];
        size_t j = i;
        while (j > 0 && k[j - 1] > x) {
            k[j] = k[j - 1];
            j--;
        }
        k[j] = x;
    }
}

static int scratch(struct tr_fleet *f, size_t m)
{
    if (m > f->heap_cap) {
        size_t cap = m * 2;
        uint64_t *h = malloc(cap * sizeof(*h));
        struct pend *p = malloc(cap * sizeof(*p));
        if (!h || !p) {
            free(h);
            free(p);
            return TR_FLEET_ENOMEM;
        }
        free(f->heap);
        free(f->pend);
        f->heap = h;
        f->pend = p;
        f->heap_cap = cap;
        f->pend_cap = cap;
    }
    return TR_FLEET_OK;
}

static bool accept(const struct tr_fleet *f, const struct tr_fleet_query *q, const struct pend *x)
{
    const struct fleet_rec *r = &f->rec[x->ci];
    if (r->tier < q->min_tier)
        return false;
    if (q->within_radius && !(x->d <= r->radius_m))
        return false;
    if (q->filter) {
        struct tr_fleet_candidate c = {
            .contractor = x->ci,
            .id = x->id,
            .distance_m = x->d,
            .lat = r->lat,
            .lon = r->lon,
            .skills = r->skills,
            .radius_m = r->radius_m,
            .tier = r->tier,
        };
        return q->filter(q->filter_ctx, &c);
    }
    return true;
}

static int check_query(const struct tr_fleet *f, const struct tr_fleet_query *q,
                       const struct tr_fleet_result *out, const size_t *n_out)
{
    if (!f || !q || !out || !n_out)
        return TR_FLEET_EINVAL;
    if (!tr_geo_valid(q->lat, q->lon))
        return TR_FLEET_ECOORD;
    if (q->k == 0 || q->k > TR_FLEET_K_MAX || q->required_skills == 0)
        return TR_FLEET_EINVAL;
    if (isnan(q->max_distance_m) || q->max_distance_m < 0.0)
        return TR_FLEET_EINVAL;
    if (q->after && !(q->after->distance_m >= 0.0))
        return TR_FLEET_EINVAL;
    return TR_FLEET_OK;
}

int tr_fleet_knn(struct tr_fleet *f, const struct tr_fleet_query *q, struct tr_fleet_result *out,
                 size_t *n_out)
{
    int rc = check_query(f, q, out, n_out);
    if (rc != TR_FLEET_OK)
        return rc;
    *n_out = 0;
    f->queries++;

    /* the rarest required bit's index; the other bits are a mask test */
    unsigned bit = 0;
    uint32_t best = UINT32_MAX;
    for (uint64_t m = q->required_skills; m; m &= m - 1) {
        unsigned b = (unsigned)__builtin_ctzll(m);
        if (f->ix[b].size < best) {
            best = f->ix[b].size;
            bit = b;
        }
    }
    if (best == 0)
        return TR_FLEET_OK;
    const struct fleet_index *ix = &f->ix[bit];

    double maxd = q->max_distance_m;
    float s_hi = FLEET_S_MAX;
    if (maxd == 0.0 || maxd >= M_PI * TR_GEO_EARTH_RADIUS_M) {
        maxd = INFINITY;
    } else {
        double c = tr_geo_m_to_chord(maxd) + err_bound(2.0) + 1e-9;
        double s = c * c * (1.0 + 1e-6);
        if (s < FLEET_S_MAX)
            s_hi = (float)s;
    }

    /* the query's unit vector exactly as tr_geo_distance_m computes it, and
     * rounded to float for the search (the rounding is inside the bound) */
    double qu[3];
    tr_geo_to_unit(q->lat, q->lon, qu);
    struct fleet_search st = { .rest = q->required_skills & ~(UINT64_C(1) << bit) };
    st.q[0] = (float)qu[0];
    st.q[1] = (float)qu[1];
    st.q[2] = (float)qu[2];

    struct pend after = { 0 };
    bool has_after = q->after != NULL;
    if (has_after)
        after = (struct pend){ .d = q->after->distance_m,
                               .id = q->after->id,
                               .ci = q->after->contractor };

    size_t m = q->k + 2 + q->k / 8, nout = 0;
    for (unsigned round = 0;; round++) {
        if (round)
            f->fallback_rounds++;
        if (m > (size_t)ix->size + 1)
            m = (size_t)ix->size + 1;
        rc = scratch(f, m);
        if (rc != TR_FLEET_OK)
            return rc;

        st.s_lo = 0.0f;
        if (has_after) {
            double ca = tr_geo_m_to_chord(after.d);
            double lo = ca - err_bound(ca) - 1e-9;
            if (lo > 0.0)
                st.s_lo = (float)(lo * lo * (1.0 - 1e-6));
        }
        st.worst = s_hi;
        st.m = (uint32_t)m;
        st.n = 0;
        st.heap = f->heap;
        st.rec = f->rec;
        f->search(ix, &st);
        bool full = st.n == st.m;

        /* float order; the slot becomes the contractor index */
        uint64_t *cand = f->heap;
        sort_keys(cand, st.n);
        for (uint32_t i = 0; i < st.n; i++) {
            unsigned lane;
            const struct fleet_leaf *lf = fleet_index_slot(ix, (uint32_t)cand[i], &lane);
            uint32_t ci = lf->cid[lane];
            __builtin_prefetch(&f->rec[ci]);
            cand[i] = (cand[i] & ~(uint64_t)UINT32_MAX) | ci;
        }

        struct pend *pend = f->pend, last = { 0 };
        size_t np = 0;
        bool has_last = false;
        uint32_t i = 0;
        for (;;) {
            double lb = i < st.n ? cert_bound(u2f_bits(cand[i]))
                        : full   ? cert_bound(st.worst)
                                 : INFINITY;
            while (np && pend[0].c < lb) {
                struct pend x = pend_pop(pend, &np);
                if (has_after && !key_less(&after, &x))
                    continue;
                if (x.d > maxd)
                    goto done;
                has_last = true;
                last = x;
                if (!accept(f, q, &x))
                    continue;
                out[nout].contractor = x.ci;
                out[nout].id = x.id;
                out[nout].distance_m = x.d;
                if (++nout == q->k)
                    goto done;
            }
            if (i >= st.n)
                break;
            uint32_t ci = (uint32_t)cand[i++];
            struct pend x = { .id = f->rec[ci].id, .ci = ci };
            x.d = tr_geo_unit_distance_m(qu, f->rec[ci].u, &x.c);
            pend_push(pend, &np, x);
        }
        if (!full)
            break;
        if (has_last) {
            after = last;
            has_after = true;
        }
        m = m * 2 + 16;
    }
done:
    *n_out = nout;
    return TR_FLEET_OK;
}
