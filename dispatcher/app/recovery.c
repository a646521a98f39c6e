/*
 * dispatcher/app/recovery.c: rebuilding the in-memory state from the store
 * at startup (main thread, before the worker and the writer start), and one
 * job at a time when a commit failed (worker thread).
 *
 * Order (engine.h): contractors (profile, working hours now), their last
 * positions, then every open job with its pending offer and the contractors
 * already tried; the engine emits nothing here, and its first tick expires
 * offers whose deadline passed while the dispatcher was down, matches jobs
 * caught in new / released and retries unassigned ones. Presence is not
 * stored: the agents' retained presence arrives when the dispatcher
 * subscribes, and timers wait recovery.grace_ms for it.
 * Also restored: the (agent, boot, seq) high-water marks (position dedupe),
 * and each contractor's jobs today (offers accepted on their local today:
 * the fairness tie-break). Which job.create request made which job needs no
 * restoring: the store answers it (tr_store_job_by_request).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

struct open_jobs {
    struct tr_store_job *j;
    size_t n, cap;
};

static enum tr_engine_tried_kind tried_kind(enum tr_store_offer_outcome o)
{
    switch (o) {
    case TR_OFFER_DECLINED:
        return TR_ENGINE_TRIED_DECLINED;
    case TR_OFFER_EXPIRED:
        return TR_ENGINE_TRIED_EXPIRED;
    case TR_OFFER_WITHDRAWN:
        return TR_ENGINE_TRIED_WITHDRAWN;
    default:
        return TR_ENGINE_TRIED_RELEASED;
    }
}

int tr_recovery_job(struct app *a, const struct tr_store_job *sj, int64_t now_ms)
{
    const struct tr_job *job = &sj->job;
    struct tr_store_offer *offers = NULL;
    size_t n_offers = 0;
    int rc = tr_store_job_offers(a->store, job->job_id, &offers, &n_offers);
    if (rc != TR_STORE_OK) {
        tr_log_warn("job %s: offers not readable (%s): recovering without them", job->job_id,
                    tr_store_errmsg(a->store));
        n_offers = 0;
    }
    struct tr_engine_tried *tried = calloc(n_offers ? n_offers : 1, sizeof(*tried));
    if (!tried) {
        free(offers);
        return TR_ENGINE_ENOMEM;
    }
    size_t n_tried = 0;
    const char *accepted = NULL;
    for (size_t i = 0; i < n_offers; i++) {
        const struct tr_store_offer *o = &offers[i];
        if (o->outcome == TR_OFFER_PENDING)
            continue;
        if (o->outcome == TR_OFFER_ACCEPTED && job->has_assignee &&
            strcmp(o->agent_id, job->assignee) == 0) {
            accepted = o->offer_id; /* the latest one wins */
            continue;
        }
        tried[n_tried].agent_id = o->agent_id;
        tried[n_tried].kind = tried_kind(o->outcome);
        tried[n_tried].decline_reason =
            o->has_decline_reason ? o->decline_reason : TR_DECLINE_OTHER;
        tried[n_tried].offer_id = o->offer_id;
        n_tried++;
    }
    struct tr_engine_job_record r = {
        .job_id = job->job_id,
        .state = job->state,
        .spec = &job->spec,
        .site = &job->site,
        .max_radius_km = sj->has_max_radius_km ? sj->max_radius_km : 0.0,
        .relax_language = sj->relax_language,
        .attempts = job->attempts,
        .created = job->created,
        .updated = job->updated,
        .assignee = job->has_assignee ? job->assignee : NULL,
        .accepted_offer_id = accepted,
        .offer_id = job->has_offer ? job->offer.offer_id : NULL,
        .offer_agent = job->has_offer ? job->offer.agent_id : NULL,
        .offer_deadline = job->has_offer ? job->offer.deadline : 0,
        .reason = job->has_reason ? job->reason : NULL,
        .tried = tried,
        .n_tried = n_tried,
    };
    rc = tr_engine_recover_job(a->eng, &r, now_ms);
    free(tried);
    free(offers);
    return rc;
}

static int on_contractor(void *ctx, const struct tr_contractor *c,
                         const struct tr_store_contractor_meta *meta)
{
    struct app *a = ctx;
    int64_t now = tr_app_now_ms();
    (void)meta;
    int rc = tr_engine_contractor_upsert(a->eng, c, now);
    if (rc != TR_ENGINE_OK) {
        tr_log_error("contractor %s not loaded: %s", c->contractor_id, tr_engine_strerror(rc));
        return 0;
    }
    tr_shifts_update(a, c, now);
    return 0;
}

static int on_last_position(void *ctx, const struct tr_store_position *p)
{
    struct app *a = ctx;
    enum tr_engine_fix_reject why;
    (void)tr_engine_fix(a->eng, p->agent_id, &p->fix, tr_app_now_ms(), &why);
    return 0;
}

static int on_high_water(void *ctx, const char *agent, const char *boot, int64_t seq)
{
    struct app *a = ctx;
    (void)tr_agents_load_high_water(a->senders, agent, boot, seq);
    return 0;
}

struct accepts {
    struct app *a;
    int64_t now_ms;
    size_t counted;
};

static int on_accept(void *ctx, const char *agent_id, int64_t accepted_ms)
{
    struct accepts *x = ctx;
    if (tr_engine_recover_accept(x->a->eng, agent_id, accepted_ms, x->now_ms) == TR_ENGINE_OK)
        x->counted++;
    return 0;
}

/* "jobs today" (the ranking's tie-break) from the offers accepted in the last
 * day; the engine keeps those of each contractor's local today. After the
 * contractors and their shift flags (which carry the UTC offset). */
static void restore_jobs_today(struct app *a, int64_t now_ms)
{
    struct accepts x = { .a = a, .now_ms = now_ms };
    size_t bad = 0;
    int rc = tr_store_accepts_since(a->store, now_ms - 86400000, on_accept, &x, &bad);
    if (rc != TR_STORE_OK)
        tr_log_warn("jobs today not restored: %s", tr_store_errmsg(a->store));
    else if (bad)
        tr_log_warn("%zu damaged offer row(s) skipped counting jobs today", bad);
    else
        tr_log_debug("jobs today: %zu accept(s) of the last day looked at", x.counted);
}

static int on_open_job(void *ctx, const struct tr_store_job *j)
{
    struct open_jobs *o = ctx;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 64;
        struct tr_store_job *p = realloc(o->j, cap * sizeof(*p));
        if (!p)
            return 1;
        o->j = p;
        o->cap = cap;
    }
    o->j[o->n++] = *j;
    return 0;
}

int tr_recovery_run(struct app *a, int64_t now_ms)
{
    size_t bad = 0;
    int rc = tr_store_contractors_each(a->store, on_contractor, a, &bad);
    if (rc != TR_STORE_OK) {
        tr_log_error("cannot load contractors: %s", tr_store_errmsg(a->store));
        return -1;
    }
    if (bad)
        tr_log_warn("%zu damaged contractor row(s) skipped", bad);
    rc = tr_store_last_positions_each(a->store, on_last_position, a, &bad);
    if (rc != TR_STORE_OK)
        tr_log_warn("last positions not loaded: %s", tr_store_positions_errmsg(a->store));
    rc = tr_store_positions_high_water(a->store, on_high_water, a, &bad);
    if (rc != TR_STORE_OK)
        tr_log_warn("position high-water marks not loaded: %s",
                    tr_store_positions_errmsg(a->store));
    (void)tr_engine_fleet_rebuild(a->eng);
    restore_jobs_today(a, now_ms);

    struct open_jobs o = { 0 };
    rc = tr_store_jobs_open(a->store, on_open_job, &o, &bad);
    if (rc != TR_STORE_OK) {
        tr_log_error("cannot read open jobs: %s", tr_store_errmsg(a->store));
        free(o.j);
        return -1;
    }
    size_t ok = 0;
    for (size_t i = 0; i < o.n; i++) {
        int r = tr_recovery_job(a, &o.j[i], now_ms);
        if (r == TR_ENGINE_OK)
            ok++;
        else
            tr_log_error("job %s (%s) not recovered: %s", o.j[i].job.job_id,
                         tr_msg_job_state_name(o.j[i].job.state), tr_engine_strerror(r));
    }
    free(o.j);
    int64_t outbox = 0;
    (void)tr_store_outbox_count(a->store, &outbox);
    struct tr_engine_stats st;
    tr_engine_stats(a->eng, &st);
    tr_log_info("recovered %u contractor(s), %zu of %zu open job(s) (%u offered, %u assigned, "
                "%u unassigned), %lld outbox message(s) to publish",
                st.contractors, ok, o.n, st.offered, st.assigned, st.unassigned, (long long)outbox);
    return 0;
}
