/*
 * dispatcher/core/engine.c: the engine's lifecycle, parameters, job table,
 * the timer tick, and read-only views (actions, job view, stats).
 *
 * What it does: creates and frees the engine (two fleet indexes, maps,
 * wheels); starts every call (clears the action list, takes now_ms); the
 * tick that fires contractor timers and offer deadlines, matches queued
 * jobs, retries unassigned ones and rebuilds the index trees when due.
 *
 * What it does not do: handle agent or console inputs (events.c), decide
 * availability (contractors.c) or offers (cascade.c).
 */
#include "dispatcher/core/engine_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *tr_engine_strerror(int err)
{
    switch (err) {
    case TR_ENGINE_OK:
        return "success";
    case TR_ENGINE_ENOMEM:
        return "out of memory";
    case TR_ENGINE_EINVAL:
        return "invalid argument";
    case TR_ENGINE_ENOENT:
        return "unknown job or contractor";
    case TR_ENGINE_EEXIST:
        return "job already open";
    case TR_ENGINE_EFORBIDDEN:
        return "not the offer's agent or the job's assignee";
    case TR_ENGINE_EILLEGAL:
        return "not allowed in the job's current state";
    case TR_ENGINE_ELIMIT:
        return "contractor retired or at their job limit";
    case TR_ENGINE_ESKILLS:
        return "more than 64 distinct skills";
    case TR_ENGINE_EFULL:
        return "contractor capacity or language dictionary full";
    case TR_ENGINE_EREJECTED:
        return "fix rejected";
    default:
        return "unknown engine error";
    }
}

void tr_engine_params_default(struct tr_engine_params *p)
{
    memset(p, 0, sizeof(*p));
    p->capacity = 65536;
    p->detour_factor = 1.3;
    p->speed_kmh[TR_TRAVEL_CAR] = 40.0;
    p->speed_kmh[TR_TRAVEL_MOTORCYCLE] = 45.0;
    p->speed_kmh[TR_TRAVEL_BICYCLE] = 15.0;
    p->speed_kmh[TR_TRAVEL_FOOT] = 5.0;
    p->offer_timeout_ms = 60000;
    p->presence_fresh_ms = 660000;
    p->fix_fresh_ms = 1200000;
    p->max_future_skew_ms = 10000;
    p->base_radius_km = 12.5;
    p->default_max_radius_km = 50.0;
    p->n_widen = 3;
    p->widen_factors[0] = 1.0;
    p->widen_factors[1] = 2.0;
    p->widen_factors[2] = 4.0;
    p->max_attempts = 50;
    p->release_after_ms = 900000;
    p->k = 8;
    p->eta_tie_s = 60.0;
    p->retry_min_interval_ms = 5000;
    p->retry_batch = 64;
    p->reason_refresh_ms = 30000;
    p->predict_refresh_ms = 10000;
    p->predict_horizon_s = 120.0;
    p->rebuild_every = 250000;
    p->kernel = TR_FLEET_KERNEL_AUTO;
}

#define DEF(f)                                                                                     \
    do {                                                                                           \
        if (out->f == 0)                                                                           \
            out->f = d.f;                                                                          \
    } while (0)

static int normalise(const struct tr_engine_params *in, struct tr_engine_params *out)
{
    struct tr_engine_params d;
    tr_engine_params_default(&d);
    if (!in) {
        *out = d;
        return TR_ENGINE_OK;
    }
    *out = *in;
    DEF(capacity);
    DEF(detour_factor);
    for (unsigned m = 0; m < 4; m++)
        DEF(speed_kmh[m]);
    DEF(offer_timeout_ms);
    DEF(presence_fresh_ms);
    DEF(fix_fresh_ms);
    DEF(max_future_skew_ms);
    DEF(base_radius_km);
    DEF(default_max_radius_km);
    if (out->n_widen == 0) {
        out->n_widen = d.n_widen;
        memcpy(out->widen_factors, d.widen_factors, sizeof(d.widen_factors));
    }
    DEF(max_attempts);
    DEF(release_after_ms);
    DEF(k);
    DEF(eta_tie_s);
    DEF(retry_min_interval_ms);
    DEF(retry_batch);
    DEF(reason_refresh_ms);
    DEF(predict_refresh_ms);
    DEF(predict_horizon_s);
    DEF(rebuild_every);

    bool ok = out->capacity <= (1u << 26) && out->detour_factor >= 1.0 &&
              isfinite(out->detour_factor) && out->offer_timeout_ms > 0 &&
              out->presence_fresh_ms > 0 && out->fix_fresh_ms > 0 && out->max_future_skew_ms > 0 &&
              out->base_radius_km > 0.0 && out->default_max_radius_km > 0.0 &&
              out->n_widen <= TR_ENGINE_MAX_STEPS && out->max_attempts > 0 &&
              out->release_after_ms > 0 && out->k <= TR_FLEET_K_MAX && out->eta_tie_s >= 0.0 &&
              out->retry_min_interval_ms > 0 && out->reason_refresh_ms > 0 &&
              out->predict_horizon_s > 0.0;
    for (unsigned m = 0; m < 4; m++)
        ok = ok && out->speed_kmh[m] > 0.0 && isfinite(out->speed_kmh[m]);
    for (unsigned i = 0; i < out->n_widen; i++)
        ok = ok && out->widen_factors[i] > 0.0 && isfinite(out->widen_factors[i]);
    return ok ? TR_ENGINE_OK : TR_ENGINE_EINVAL;
}

static const char *job_key(const void *ctx, uint32_t v)
{
    const struct tr_engine *eng = ctx;
    return eng->job[v].id;
}

static const char *skill_key(const void *ctx, uint32_t v)
{
    const struct tr_engine *eng = ctx;
    return eng->skill[v];
}

static const char *lang_key(const void *ctx, uint32_t v)
{
    const struct tr_engine *eng = ctx;
    return eng->lang[v];
}

static void list_init(struct eng_list *l)
{
    l->head = l->tail = ENG_NONE;
    l->n = 0;
}

int tr_engine_new(const struct tr_engine_params *params, struct tr_engine **out)
{
    struct tr_engine *eng = NULL;
    int rc;

    if (!out)
        return TR_ENGINE_EINVAL;
    *out = NULL;
    eng = calloc(1, sizeof(*eng));
    if (!eng)
        return TR_ENGINE_ENOMEM;
    rc = normalise(params, &eng->p);
    if (rc != TR_ENGINE_OK)
        goto fail;
    tr_idmap_init(&eng->con_map, eng_con_key, eng);
    tr_idmap_init(&eng->job_map, job_key, eng);
    tr_idmap_init(&eng->skill_map, skill_key, eng);
    tr_idmap_init(&eng->lang_map, lang_key, eng);
    tr_wheel_init(&eng->con_wheel);
    tr_wheel_init(&eng->job_wheel);
    list_init(&eng->match_q);
    list_init(&eng->unassigned_q);
    eng->free_job = ENG_NONE;
    eng->group = TR_ENGINE_NO_GROUP;

    struct tr_fleet_params fp = { .kernel = eng->p.kernel };
    rc = TR_ENGINE_ENOMEM;
    if (tr_fleet_new(eng->p.capacity, &fp, &eng->fleet) != TR_FLEET_OK ||
        tr_fleet_new(eng->p.capacity, &fp, &eng->census) != TR_FLEET_OK)
        goto fail;
    eng->con = calloc(eng->p.capacity, sizeof(*eng->con));
    eng->res = calloc(eng->p.k > ENG_PAGE_MAX ? eng->p.k : ENG_PAGE_MAX, sizeof(*eng->res));
    eng->cres = calloc(ENG_CENSUS_PAGE, sizeof(*eng->cres));
    if (!eng->con || !eng->res || !eng->cres ||
        tr_wheel_reserve(&eng->con_wheel, eng->p.capacity) != 0 ||
        tr_idmap_reserve(&eng->skill_map, 64) != TR_ENGINE_OK)
        goto fail;
    *out = eng;
    return TR_ENGINE_OK;
fail:
    tr_engine_free(eng);
    return rc;
}

void tr_engine_free(struct tr_engine *eng)
{
    if (!eng)
        return;
    for (uint32_t i = 0; i < eng->n_job; i++) {
        free(eng->job[i].tried);
        free(eng->job[i].lang_ok);
    }
    free(eng->job);
    free(eng->con);
    free(eng->lang);
    free(eng->act);
    free(eng->res);
    free(eng->cres);
    free(eng->pool);
    free(eng->due);
    tr_idmap_free(&eng->con_map);
    tr_idmap_free(&eng->job_map);
    tr_idmap_free(&eng->skill_map);
    tr_idmap_free(&eng->lang_map);
    tr_wheel_free(&eng->con_wheel);
    tr_wheel_free(&eng->job_wheel);
    tr_fleet_free(eng->fleet);
    tr_fleet_free(eng->census);
    free(eng);
}

void eng_begin(struct tr_engine *eng, int64_t now_ms)
{
    eng->n_act = 0;
    eng->group = TR_ENGINE_NO_GROUP;
    if (now_ms > eng->now)
        eng->now = now_ms; /* never backwards */
}

const struct tr_engine_action *tr_engine_actions(const struct tr_engine *eng, size_t *n)
{
    if (!eng || !n) {
        if (n)
            *n = 0;
        return NULL;
    }
    *n = eng->n_act;
    return eng->act;
}

/* ---------------------------------------------------------- job table */

uint32_t eng_job_find(const struct tr_engine *eng, const char *id)
{
    if (!id)
        return ENG_NONE;
    return tr_idmap_get(&eng->job_map, id);
}

/* A zeroed slot, not yet in the map; ENG_NONE when out of memory. */
uint32_t eng_job_alloc(struct tr_engine *eng)
{
    uint32_t ji;
    if (tr_idmap_reserve(&eng->job_map, 1) != TR_ENGINE_OK)
        return ENG_NONE;
    if (eng->free_job != ENG_NONE) {
        ji = eng->free_job;
        eng->free_job = eng->job[ji].q_next;
    } else {
        if (eng->n_job == eng->cap_job) {
            uint32_t cap = eng->cap_job ? eng->cap_job * 2 : 64;
            struct eng_job *j = realloc(eng->job, cap * sizeof(*j));
            if (!j)
                return ENG_NONE;
            eng->job = j;
            eng->cap_job = cap;
        }
        if (tr_wheel_reserve(&eng->job_wheel, eng->cap_job) != TR_ENGINE_OK)
            return ENG_NONE;
        ji = eng->n_job++;
    }
    struct eng_job *j = &eng->job[ji];
    memset(j, 0, sizeof(*j));
    j->used = true;
    j->offer_con = j->assignee = j->linked = ENG_NONE;
    j->con_next = j->con_prev = j->q_next = j->q_prev = ENG_NONE;
    eng->open_jobs++;
    return ji;
}

void eng_job_free_slot(struct tr_engine *eng, uint32_t ji)
{
    struct eng_job *j = &eng->job[ji];
    if (!j->used)
        return;
    if (eng_job_find(eng, j->id) == ji)
        tr_idmap_del(&eng->job_map, j->id);
    free(j->tried);
    free(j->lang_ok);
    j->tried = NULL;
    j->lang_ok = NULL;
    j->used = false;
    j->q_next = eng->free_job;
    eng->free_job = ji;
    eng->open_jobs--;
}

/* ---------------------------------------------------------- tick */

/* Fleet index rebuild work per tick, in tr_fleet_rebuild_step units (~ns):
 * a tick never stalls much longer than this for index maintenance. */
#define ENG_REBUILD_WORK 300000u

/* Index maintenance, spread out: when a fleet is due (rebuild_every updates
 * since the last cycle, or a large overflow), its changed skill trees are
 * rebuilt one after the other, each in bounded steps, one step per tick
 * (a whole tree at 1M contractors would stall a tick for ~0.1 s). */
static void maybe_rebuild(struct tr_engine *eng, struct tr_fleet *f, struct eng_rebuild *rb,
                          uint64_t every)
{
    struct tr_fleet_stats s;
    tr_fleet_stats(f, &s);
    if (s.updates_since_rebuild < rb->u0)
        rb->u0 = 0; /* a full rebuild happened in between */
    if (rb->pending == 0 && (s.updates_since_rebuild - rb->u0 >= every ||
                             (s.overflow > 1024 && s.overflow * 8 > s.entries))) {
        for (unsigned b = 0; b < 64; b++) {
            struct tr_fleet_index_stats is;
            if (tr_fleet_index_stats(f, b, &is) == TR_FLEET_OK && is.dirty)
                rb->pending |= UINT64_C(1) << b;
        }
        rb->u0 = s.updates_since_rebuild;
    }
    if (rb->pending) {
        unsigned bit = (unsigned)__builtin_ctzll(rb->pending);
        bool done = false;
        int r = tr_fleet_rebuild_step(f, bit, ENG_REBUILD_WORK, &done);
        if (r != TR_FLEET_OK || done)
            rb->pending &= ~(UINT64_C(1) << bit); /* ENOMEM: retried next cycle */
        if (r == TR_FLEET_OK && done)
            eng->st.rebuilds++;
    }
}

int tr_engine_tick(struct tr_engine *eng, int64_t now_ms)
{
    int rc = TR_ENGINE_OK, r;
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms);

    eng->n_due = 0;
    if (tr_wheel_due(&eng->con_wheel, eng->now, &eng->due, &eng->n_due, &eng->cap_due) != 0)
        rc = TR_ENGINE_ENOMEM;
    for (size_t i = 0; i < eng->n_due; i++)
        eng_con_timer(eng, eng->due[i]);

    eng->n_due = 0;
    if (tr_wheel_due(&eng->job_wheel, eng->now, &eng->due, &eng->n_due, &eng->cap_due) != 0)
        rc = TR_ENGINE_ENOMEM;
    for (size_t i = 0; i < eng->n_due; i++) {
        uint32_t ji = eng->due[i];
        r = eng_offer_expired(eng, ji);
        if (r != TR_ENGINE_OK) {
            rc = r;
            /* try again at the next tick */
            if (eng->job[ji].used && eng->job[ji].state == TR_JOB_OFFERED)
                tr_wheel_arm(&eng->job_wheel, ji, eng->job[ji].offer_deadline);
        }
    }
    r = eng_match_queued(eng);
    if (r != TR_ENGINE_OK)
        rc = r;
    r = eng_retry_unassigned(eng);
    if (r != TR_ENGINE_OK)
        rc = r;
    maybe_rebuild(eng, eng->fleet, &eng->rebuild[0], eng->p.rebuild_every);
    /* the census only serves reasons: balance matters less there */
    maybe_rebuild(eng, eng->census, &eng->rebuild[1], eng->p.rebuild_every * 4);
    eng->last_tick = eng->now;
    return rc;
}

int tr_engine_fleet_rebuild(struct tr_engine *eng)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    if (tr_fleet_rebuild(eng->fleet, TR_FLEET_ALL_SKILLS) != TR_FLEET_OK ||
        tr_fleet_rebuild(eng->census, TR_FLEET_ALL_SKILLS) != TR_FLEET_OK)
        return TR_ENGINE_ENOMEM;
    eng->st.rebuilds += 2;
    return TR_ENGINE_OK;
}

/* ---------------------------------------------------------- views */

int tr_engine_job_view(const struct tr_engine *eng, const char *job_id, struct tr_job *out)
{
    if (!eng || !out)
        return TR_ENGINE_EINVAL;
    uint32_t ji = eng_job_find(eng, job_id);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOENT;
    eng_job_to_msg(eng, &eng->job[ji], out);
    return TR_ENGINE_OK;
}

void tr_engine_stats(const struct tr_engine *eng, struct tr_engine_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    if (!eng)
        return;
    *out = eng->st;
    out->contractors = eng->n_con;
    for (uint32_t ci = 0; ci < eng->n_con; ci++)
        out->eligible += eng->con[ci].eligible;
    out->open_jobs = eng->open_jobs;
    for (uint32_t ji = 0; ji < eng->n_job; ji++) {
        const struct eng_job *j = &eng->job[ji];
        if (!j->used)
            continue;
        out->offered += j->state == TR_JOB_OFFERED;
        out->assigned += j->assignee != ENG_NONE;
        out->unassigned += j->state == TR_JOB_UNASSIGNED;
    }
}

void tr_engine_job_gauges(const struct tr_engine *eng, uint32_t *open_jobs, uint32_t *unassigned)
{
    /* unassigned <=> in the retry queue (tr_engine_check_invariants) */
    *open_jobs = eng ? eng->open_jobs : 0;
    *unassigned = eng ? eng->unassigned_q.n : 0;
}
