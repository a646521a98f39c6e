/*
 * dispatcher/core/match.c: candidate filtering and ETA ranking (SPEC.md
 * "Matching").
 *
 * What it does: the job's required skill bits and language filter; the
 * widening steps' radii; the best candidate within a radius, exactly:
 * the fleet index pages through available contractors with every required
 * skill, tier >= the job's and the job inside their service radius, nearest
 * first; an extra filter drops those already tried for the job, those who do
 * not speak the language (BCP-47 prefix, tr_msg_lang_matches) and, as a
 * last exact check at now_ms, anyone no longer available (a timer that has
 * not fired yet cannot make a stale contractor a candidate).
 *
 * Paging: k results first, then pages twice as large up to ENG_PAGE_MAX.
 *
 * Widening: the steps' radii are nested; one walk outwards serves them all
 * (a step's candidate set is complete as soon as a candidate lies beyond its
 * radius; the next step is used only when that set is empty).
 *
 * Ranking: ETA = great-circle distance x detour factor / speed of the
 * contractor's travel mode. Every ETA within eta_tie_s of the best is a tie,
 * won by the fewest jobs today, then the lower ETA, then the lower
 * contractor index. Paging stops once the nearest unseen contractor, even at
 * the fastest travel speed, cannot come within the tie band: the result is
 * the same as ranking every candidate in the radius.
 *
 * What it does not do: change anything (no offers, no state), explain an
 * empty result (reason.c).
 */
#include "dispatcher/core/engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool eng_job_mask(struct tr_engine *eng, struct eng_job *j, uint64_t *mask)
{
    if (j->mask_dict != eng->n_skill || j->mask == 0) {
        uint64_t m = 0;
        bool ok = true;
        for (size_t i = 0; i < j->spec.n_skills; i++) {
            uint32_t b = tr_idmap_get(&eng->skill_map, j->spec.skills[i]);
            if (b == ENG_NONE)
                ok = false;
            else
                m |= UINT64_C(1) << b;
        }
        j->mask = m;
        j->mask_ok = ok;
        j->mask_dict = eng->n_skill;
    }
    *mask = j->mask;
    return j->mask_ok && j->mask != 0;
}

static bool lang_filtered(const struct eng_job *j)
{
    return j->spec.has_language && !j->relax_language;
}

bool eng_job_langs(struct tr_engine *eng, struct eng_job *j)
{
    if (!lang_filtered(j) || j->lang_dict == eng->n_lang)
        return true;
    uint32_t words = (eng->n_lang + 63) / 64;
    if (words > j->lang_words) {
        uint32_t nw = words * 2;
        uint64_t *b = realloc(j->lang_ok, nw * sizeof(*b));
        if (!b)
            return false;
        memset(b + j->lang_words, 0, (nw - j->lang_words) * sizeof(*b));
        j->lang_ok = b;
        j->lang_words = nw;
    }
    for (uint32_t id = j->lang_dict; id < eng->n_lang; id++)
        if (tr_msg_lang_matches(j->spec.language, eng->lang[id]))
            j->lang_ok[id / 64] |= UINT64_C(1) << (id % 64);
    j->lang_dict = eng->n_lang;
    return true;
}

bool eng_con_speaks(const struct tr_engine *eng, const struct eng_job *j, const struct eng_con *c)
{
    if (!lang_filtered(j))
        return true;
    for (unsigned i = 0; i < c->n_langs; i++) {
        uint16_t id = c->langs[i];
        if (id < j->lang_dict && (j->lang_ok[id / 64] >> (id % 64)) & 1u)
            return true;
        if (id >= j->lang_dict && tr_msg_lang_matches(j->spec.language, eng->lang[id]))
            return true;
    }
    return false;
}

bool eng_job_tried(const struct eng_job *j, uint32_t ci)
{
    for (uint32_t i = 0; i < j->n_tried; i++)
        if (j->tried[i].con == ci)
            return true;
    return false;
}

double eng_job_max_radius_km(const struct tr_engine *eng, const struct eng_job *j)
{
    return j->max_radius_km > 0.0 ? j->max_radius_km : eng->p.default_max_radius_km;
}

unsigned eng_steps(const struct tr_engine *eng, const struct eng_job *j,
                   double out[TR_ENGINE_MAX_STEPS + 1])
{
    double max = eng_job_max_radius_km(eng, j);
    unsigned n = 0;
    for (unsigned i = 0; i < eng->p.n_widen; i++) {
        double r = eng->p.base_radius_km * eng->p.widen_factors[i];
        if (r > max)
            r = max;
        if (n == 0 || r > out[n - 1])
            out[n++] = r;
    }
    if (n == 0 || out[n - 1] < max)
        out[n++] = max;
    return n;
}

/* ---------------------------------------------------------- search */

struct filt {
    const struct tr_engine *eng;
    const struct eng_job *j;
    int64_t now;
};

static bool candidate_ok(void *ctx, const struct tr_fleet_candidate *cand)
{
    const struct filt *f = ctx;
    const struct eng_con *c = &f->eng->con[cand->contractor];
    if (eng_job_tried(f->j, cand->contractor))
        return false;
    if (!eng_con_speaks(f->eng, f->j, c))
        return false;
    return eng_con_unavail(f->eng, c, f->now) == TR_ENGINE_AVAILABLE;
}

static int pool_push(struct tr_engine *eng, struct eng_pick p)
{
    if (eng->n_pool == eng->cap_pool) {
        size_t cap = eng->cap_pool ? eng->cap_pool * 2 : 64;
        struct eng_pick *n = realloc(eng->pool, cap * sizeof(*n));
        if (!n)
            return TR_ENGINE_ENOMEM;
        eng->pool = n;
        eng->cap_pool = cap;
    }
    eng->pool[eng->n_pool++] = p;
    return TR_ENGINE_OK;
}

/* a better than b among the tied */
static bool tie_better(const struct tr_engine *eng, const struct eng_pick *a,
                       const struct eng_pick *b)
{
    int ja = eng_con_jobs_today(eng, &eng->con[a->con], eng->now);
    int jb = eng_con_jobs_today(eng, &eng->con[b->con], eng->now);
    if (ja != jb)
        return ja < jb;
    if (a->eta_s != b->eta_s)
        return a->eta_s < b->eta_s;
    return a->con < b->con;
}

int eng_best(struct tr_engine *eng, struct eng_job *j, struct eng_pick *out, bool *found)
{
    uint64_t mask;
    *found = false;
    if (!eng_job_mask(eng, j, &mask))
        return TR_ENGINE_OK;
    if (!eng_job_langs(eng, j))
        return TR_ENGINE_ENOMEM;

    double radii[TR_ENGINE_MAX_STEPS + 1];
    unsigned n_steps = eng_steps(eng, j, radii), step = 0;
    double vmax = 0.0;
    for (unsigned m = 0; m <= TR_TRAVEL_FOOT; m++)
        if (eng_speed_mps(eng, m) > vmax)
            vmax = eng_speed_mps(eng, m);
    double detour = eng->p.detour_factor, tie = eng->p.eta_tie_s, best = INFINITY;
    struct filt f = { .eng = eng, .j = j, .now = eng->now };
    struct tr_fleet_result last;
    struct tr_fleet_query q = { .lat = j->site.lat,
                                .lon = j->site.lon,
                                .required_skills = mask,
                                .k = eng->p.k,
                                .max_distance_m = radii[n_steps - 1] * 1000.0,
                                .min_tier = (uint8_t)(j->spec.has_tier ? j->spec.tier : 1),
                                .within_radius = true,
                                .filter = candidate_ok,
                                .filter_ctx = &f };
    /* One walk outwards through every step: candidates come nearest first,
     * so a step's set is complete once a candidate lies beyond its radius. */
    eng->n_pool = 0;
    for (;;) {
        size_t n = 0;
        eng->st.knn_queries++;
        int rc = tr_fleet_knn(eng->fleet, &q, eng->res, &n);
        if (rc == TR_FLEET_ENOMEM)
            return TR_ENGINE_ENOMEM;
        if (rc != TR_FLEET_OK)
            return TR_ENGINE_EINVAL;
        for (size_t i = 0; i < n; i++) {
            const struct tr_fleet_result *r = &eng->res[i];
            while (step + 1 < n_steps && r->distance_m > radii[step] * 1000.0) {
                if (eng->n_pool > 0)
                    goto pick; /* this step has candidates: the next one is not searched */
                step++;
            }
            if (r->distance_m * detour / vmax > best + tie)
                goto pick; /* nobody further can join the tie band */
            const struct eng_con *c = &eng->con[r->contractor];
            struct eng_pick p = { .con = r->contractor, .distance_m = r->distance_m };
            p.eta_s = p.distance_m * detour / eng_speed_mps(eng, c->travel_mode);
            if (p.eta_s > best + tie)
                continue;
            if (p.eta_s < best)
                best = p.eta_s;
            if (pool_push(eng, p) != TR_ENGINE_OK)
                return TR_ENGINE_ENOMEM;
        }
        if (n < q.k)
            break;
        last = eng->res[n - 1];
        q.after = &last;
        /* a slow nearest candidate (foot, bicycle) means a long walk: bigger pages */
        q.k = q.k * 2 > ENG_PAGE_MAX ? ENG_PAGE_MAX : q.k * 2;
    }
pick:
    for (size_t i = 0; i < eng->n_pool; i++) {
        const struct eng_pick *p = &eng->pool[i];
        if (p->eta_s > best + tie)
            continue;
        if (!*found || tie_better(eng, p, out)) {
            *out = *p;
            *found = true;
        }
    }
    return TR_ENGINE_OK;
}
