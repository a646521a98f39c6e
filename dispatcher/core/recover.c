/*
 * dispatcher/core/recover.c: rebuilding the engine's open jobs from the
 * store after a restart, and dropping one job to resynchronise it.
 *
 * What it does: takes each open job as the store holds it (state, assignee,
 * pending offer with its deadline, contractors already tried) and restores
 * the in-memory job, the contractor's load and job list, the offer timer and
 * the queues, without emitting anything. The first tick then expires offers
 * whose deadline passed during the downtime, matches jobs caught in `new` or
 * `released`, and retries unassigned ones: nothing lost, nothing assigned
 * twice, nothing stuck.
 *
 * Also counts the accepts stored for today back into each contractor's
 * "jobs today" (the ranking's fairness tie-break), so a restart does not
 * reset everybody to zero.
 *
 * What it does not do: read the store (the shell does), restore contractors
 * (the shell replays directory, presence, last fixes and shift flags first).
 */
#include "dispatcher/core/engine_int.h"

#include "common/geo.h"

#include <string.h>

static void add_load(struct eng_con *c, bool offer)
{
    if (offer)
        c->offers++;
    else
        c->assigned++;
    int load = (int)c->offers + (int)c->assigned;
    if (load > c->job_limit && load > c->grandfathered)
        c->grandfathered = (uint8_t)(load > 255 ? 255 : load);
}

static bool valid_record(const struct tr_engine_job_record *r)
{
    if (!r->job_id || !tr_msg_valid_msgid(r->job_id) || !r->spec || !r->site)
        return false;
    if (!eng_state_open(r->state) || r->attempts < 0 || r->attempts > 10000)
        return false;
    if (r->spec->n_skills < 1 || r->spec->n_skills > TR_MSG_MAX_SKILLS)
        return false;
    for (size_t i = 0; i < r->spec->n_skills; i++)
        if (!tr_msg_valid_skill(r->spec->skills[i]))
            return false;
    if (r->spec->has_language && !tr_msg_valid_lang(r->spec->language))
        return false;
    if (r->spec->has_tier && (r->spec->tier < 1 || r->spec->tier > 5))
        return false;
    if (!tr_geo_valid(r->site->lat, r->site->lon))
        return false;
    if (!(r->max_radius_km == 0.0 || (r->max_radius_km >= 1.0 && r->max_radius_km <= 1000.0)))
        return false;
    if (r->state == TR_JOB_OFFERED &&
        (!r->offer_id || !tr_msg_valid_msgid(r->offer_id) || !r->offer_agent))
        return false;
    if ((r->state == TR_JOB_ACCEPTED || r->state == TR_JOB_EN_ROUTE ||
         r->state == TR_JOB_ON_SITE) &&
        (!r->assignee || (r->accepted_offer_id && !tr_msg_valid_msgid(r->accepted_offer_id))))
        return false;
    return r->n_tried == 0 || r->tried;
}

int tr_engine_recover_job(struct tr_engine *eng, const struct tr_engine_job_record *r,
                          int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!r || !valid_record(r))
        return TR_ENGINE_EINVAL;
    if (eng_job_find(eng, r->job_id) != ENG_NONE)
        return TR_ENGINE_EEXIST;
    bool offered = r->state == TR_JOB_OFFERED;
    bool assigned =
        r->state == TR_JOB_ACCEPTED || r->state == TR_JOB_EN_ROUTE || r->state == TR_JOB_ON_SITE;
    uint32_t ci = ENG_NONE;
    if (offered || assigned) {
        ci = eng_con_find(eng, offered ? r->offer_agent : r->assignee);
        if (ci == ENG_NONE)
            return TR_ENGINE_ENOENT;
    }
    uint32_t ji = eng_job_alloc(eng);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOMEM;
    struct eng_job *j = &eng->job[ji];
    eng_copy(j->id, sizeof(j->id), r->job_id);
    j->state = r->state;
    j->spec = *r->spec;
    if (!j->spec.has_tier)
        j->spec.tier = 1;
    j->site = *r->site;
    j->site.lon = tr_geo_normalize_lon(r->site->lon);
    j->max_radius_km = r->max_radius_km;
    j->relax_language = r->relax_language;
    j->attempts = j->attempt_base = r->attempts;
    j->created = r->created;
    j->updated = r->updated;
    for (size_t i = 0; i < r->n_tried; i++) {
        const struct tr_engine_tried *t = &r->tried[i];
        uint32_t tc = eng_con_find(eng, t->agent_id);
        if (tc == ENG_NONE || (unsigned)t->kind > TR_ENGINE_TRIED_VANISHED)
            continue;
        int attempt = t->offer_id ? eng_offer_attempt(r->job_id, t->offer_id) : 0;
        enum tr_decline_reason why =
            (unsigned)t->decline_reason > TR_DECLINE_OTHER ? TR_DECLINE_OTHER : t->decline_reason;
        if (eng_tried_add(j, tc, t->kind, why, attempt < 0 ? 0 : attempt) != TR_ENGINE_OK) {
            eng_job_free_slot(eng, ji);
            return TR_ENGINE_ENOMEM;
        }
    }
    tr_idmap_put(&eng->job_map, j->id, ji);

    switch (r->state) {
    case TR_JOB_NEW:
    case TR_JOB_RELEASED:
        eng_queue(eng, ji, Q_MATCH);
        break;
    case TR_JOB_UNASSIGNED:
        eng_copy(j->reason, sizeof(j->reason),
                 r->reason && r->reason[0] ? r->reason : "waiting for a retry after a restart");
        j->try_epoch = 0; /* retried at the first tick */
        j->mask_dict = UINT32_MAX;
        eng_queue(eng, ji, Q_UNASSIGNED);
        break;
    case TR_JOB_OFFERED:
        eng_copy(j->offer_id, sizeof(j->offer_id), r->offer_id);
        j->offer_con = ci;
        j->offer_deadline = r->offer_deadline;
        eng_link(eng, ji, ci);
        add_load(&eng->con[ci], true);
        tr_wheel_arm(&eng->job_wheel, ji, r->offer_deadline);
        break;
    default: /* assigned */
        if (r->accepted_offer_id)
            eng_copy(j->offer_id, sizeof(j->offer_id), r->accepted_offer_id);
        else
            eng_offer_id(j->id, j->attempts, j->offer_id);
        j->assignee = ci;
        eng_link(eng, ji, ci);
        add_load(&eng->con[ci], false);
        break;
    }
    if (ci != ENG_NONE)
        eng_con_refresh(eng, ci);
    return TR_ENGINE_OK;
}

int tr_engine_recover_accept(struct tr_engine *eng, const char *agent_id, int64_t accepted_ms,
                             int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!agent_id)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    eng_con_count_accept_at(eng, ci, accepted_ms);
    return TR_ENGINE_OK;
}

int tr_engine_job_forget(struct tr_engine *eng, const char *job_id, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!job_id)
        return TR_ENGINE_EINVAL;
    uint32_t ji = eng_job_find(eng, job_id);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOENT;
    eng_job_close(eng, ji);
    return TR_ENGINE_OK;
}
