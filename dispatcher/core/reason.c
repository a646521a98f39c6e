/*
 * dispatcher/core/reason.c: why nobody fits a job, in words a dispatcher
 * can act on (the `reason` of an unassigned job, <= 200 bytes).
 *
 * What it does: counts, at the job's max radius, the active contractors
 * with a known position (the census index) through the filters one after
 * the other (skills, tier, language, their own service radius), then sorts
 * the qualified ones into tried (by outcome and decline reason) and
 * unavailable (by the first availability rule that fails), and writes the
 * most specific sentence:
 *   "nobody with skill router-repair within 50 km"
 *   "nobody of tier >= 3 with skill router-repair within 50 km"
 *   "nobody speaking de within 100 km"
 *   "3 qualified within 50 km, all busy"
 *   "5 qualified within 50 km, none available (2 busy, 2 offline, 1 off shift)"
 *   "all 4 candidates declined (2 too_far, 1 busy, 1 off_shift)"
 *   "6 qualified within 50 km: 4 tried (3 no answer, 1 went offline), 2 busy"
 * Cost: census queries in pages of ENG_CENSUS_PAGE over the contractors with
 * the skills within the radius.
 *
 * What it does not do: search for a candidate or change state.
 */
#include "dispatcher/core/engine_int.h"

#include <stdio.h>
#include <string.h>

#define N_DECLINE (TR_DECLINE_OTHER + 1)
#define N_TRIED   (TR_ENGINE_TRIED_VANISHED + 1)
#define N_UNAV    (TR_ENGINE_UNAVAIL_BUSY + 1)

struct census {
    const struct tr_engine *eng;
    const struct eng_job *j;
    int64_t now;
    int tier;
    unsigned skills, tiered, speaking, qualified, tried, unavailable, available;
    unsigned decline[N_DECLINE];
    unsigned kind[N_TRIED];
    unsigned unav[N_UNAV];
};

static const struct eng_tried *find_tried(const struct eng_job *j, uint32_t ci)
{
    for (uint32_t i = j->n_tried; i-- > 0;)
        if (j->tried[i].con == ci)
            return &j->tried[i];
    return NULL;
}

static void count_one(struct census *s, const struct tr_fleet_result *r)
{
    const struct eng_con *c = &s->eng->con[r->contractor];
    s->skills++;
    if (c->tier < s->tier)
        return;
    s->tiered++;
    if (!eng_con_speaks(s->eng, s->j, c))
        return;
    s->speaking++;
    if (!(r->distance_m <= c->radius_m))
        return;
    s->qualified++;
    const struct eng_tried *t = find_tried(s->j, r->contractor);
    if (t) {
        s->tried++;
        s->kind[t->kind]++;
        if (t->kind == TR_ENGINE_TRIED_DECLINED && t->reason < N_DECLINE)
            s->decline[t->reason]++;
        return;
    }
    enum tr_engine_unavail u = eng_con_unavail(s->eng, c, s->now);
    if (u == TR_ENGINE_AVAILABLE) {
        s->available++;
    } else {
        s->unavailable++;
        s->unav[u]++;
    }
}

/* Every census entry with the job's skills within max_m, a page at a time. */
static void census_walk(struct tr_engine *eng, struct census *s, uint64_t mask, double max_m)
{
    struct tr_fleet_result last;
    struct tr_fleet_query q = { .lat = s->j->site.lat,
                                .lon = s->j->site.lon,
                                .required_skills = mask,
                                .k = ENG_CENSUS_PAGE,
                                .max_distance_m = max_m };
    for (;;) {
        size_t n = 0;
        eng->st.census_queries++;
        if (tr_fleet_knn(eng->census, &q, eng->cres, &n) != TR_FLEET_OK)
            return;
        for (size_t i = 0; i < n; i++)
            count_one(s, &eng->cres[i]);
        if (n < q.k)
            return;
        last = eng->cres[n - 1];
        q.after = &last;
    }
}

static const char *decline_name(unsigned r)
{
    static const char *const names[N_DECLINE] = { "too_far", "busy",     "lacks_skill", "off_shift",
                                                  "vehicle", "personal", "other" };
    return r < N_DECLINE ? names[r] : "other";
}

static const char *kind_name(unsigned k)
{
    static const char *const names[N_TRIED] = { "declined", "no answer", "went offline",
                                                "released", "escalated", "vanished" };
    return k < N_TRIED ? names[k] : "?";
}

/* Append ", " separated "N name" items to buf. */
static void add_item(char *buf, size_t len, unsigned n, const char *name)
{
    size_t at = strlen(buf);
    if (n == 0 || at >= len)
        return;
    snprintf(buf + at, len - at, "%s%u %s", at ? ", " : "", n, name);
}

static void tried_list(const struct census *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (unsigned r = 0; r < N_DECLINE; r++)
        add_item(buf, len, s->decline[r], decline_name(r));
    for (unsigned k = 1; k < N_TRIED; k++)
        add_item(buf, len, s->kind[k], kind_name(k));
}

static void unav_list(const struct census *s, char *buf, size_t len)
{
    buf[0] = '\0';
    for (unsigned u = N_UNAV; u-- > 1;)
        add_item(buf, len, s->unav[u], tr_engine_unavail_name((enum tr_engine_unavail)u));
}

static void skill_list(const struct eng_job *j, char *buf, size_t len)
{
    buf[0] = '\0';
    for (size_t i = 0; i < j->spec.n_skills; i++) {
        size_t at = strlen(buf);
        if (at < len)
            snprintf(buf + at, len - at, "%s%s", i ? " + " : "", j->spec.skills[i]);
    }
}

/* The first required skill nobody within the radius has, or NULL. */
static const char *missing_skill(struct tr_engine *eng, const struct eng_job *j, double max_m)
{
    for (size_t i = 0; i < j->spec.n_skills; i++) {
        uint32_t b = tr_idmap_get(&eng->skill_map, j->spec.skills[i]);
        if (b == ENG_NONE)
            return j->spec.skills[i];
        struct tr_fleet_query q = { .lat = j->site.lat,
                                    .lon = j->site.lon,
                                    .required_skills = UINT64_C(1) << b,
                                    .k = 1,
                                    .max_distance_m = max_m };
        size_t n = 0;
        eng->st.census_queries++;
        if (tr_fleet_knn(eng->census, &q, eng->res, &n) == TR_FLEET_OK && n == 0)
            return j->spec.skills[i];
    }
    return NULL;
}

void eng_reason(struct tr_engine *eng, struct eng_job *j, char *out, size_t len)
{
    double km = eng_job_max_radius_km(eng, j), max_m = km * 1000.0;
    char a[TR_MSG_NOTE_SIZE], b[TR_MSG_NOTE_SIZE];
    uint64_t mask;

    if (j->attempts >= 10000 || j->attempts - j->attempt_base >= eng->p.max_attempts) {
        snprintf(out, len, "no one accepted after %d offers; widen, relax or reassign",
                 j->attempts - j->attempt_base);
        return;
    }
    bool known = eng_job_mask(eng, j, &mask);
    const char *miss = missing_skill(eng, j, max_m);
    if (!known || miss) {
        snprintf(out, len, "nobody with skill %s within %g km", miss ? miss : "?", km);
        return;
    }
    if (!eng_job_langs(eng, j)) {
        snprintf(out, len, "nobody available within %g km", km);
        return;
    }
    struct census s = {
        .eng = eng, .j = j, .now = eng->now, .tier = j->spec.has_tier ? j->spec.tier : 1
    };
    census_walk(eng, &s, mask, max_m);

    skill_list(j, a, sizeof(a));
    if (s.skills == 0) {
        snprintf(out, len, "nobody with skills %s within %g km", a, km);
    } else if (s.tiered == 0) {
        snprintf(out, len, "nobody of tier >= %d with skill %s within %g km", s.tier, a, km);
    } else if (s.speaking == 0) {
        snprintf(out, len, "nobody speaking %s within %g km", j->spec.language, km);
    } else if (s.qualified == 0) {
        snprintf(out, len, "%u qualified within %g km, none has the site in their service radius",
                 s.speaking, km);
    } else if (s.available > 0) {
        snprintf(out, len, "%u qualified within %g km, %u available but not offered yet",
                 s.qualified, km, s.available);
    } else if (s.tried == 0) {
        unsigned kinds = 0, only = 0;
        for (unsigned u = 1; u < N_UNAV; u++)
            if (s.unav[u]) {
                kinds++;
                only = u;
            }
        if (kinds == 1) {
            snprintf(out, len, "%u qualified within %g km, all %s", s.qualified, km,
                     tr_engine_unavail_name((enum tr_engine_unavail)only));
        } else {
            unav_list(&s, b, sizeof(b));
            snprintf(out, len, "%u qualified within %g km, none available (%s)", s.qualified, km,
                     b);
        }
    } else if (s.unavailable == 0) {
        tried_list(&s, b, sizeof(b));
        if (s.kind[TR_ENGINE_TRIED_DECLINED] == s.tried)
            snprintf(out, len, "all %u candidates declined (%s)", s.tried, b);
        else
            snprintf(out, len, "all %u candidates tried (%s)", s.tried, b);
    } else {
        tried_list(&s, a, sizeof(a));
        unav_list(&s, b, sizeof(b));
        snprintf(out, len, "%u qualified within %g km: %u tried (%s), %s", s.qualified, km, s.tried,
                 a, b);
    }
}
