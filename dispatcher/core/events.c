/*
 * dispatcher/core/events.c: the engine's inputs about jobs: a new job, an
 * agent's answer to an offer, a job event from the assignee, and the
 * dispatcher's commands (cancel, reassign, widen / relax).
 *
 * What it does: checks who is asking and whether the job's state allows it
 * (rejecting and counting otherwise, with nothing changed), then moves the
 * job, emitting the TRANSITION groups engine.h describes. Late and
 * duplicated answers are answered, not errors: a late accept gets an
 * offer_expired cancellation, a repeated accept the assignment again.
 *
 * What it does not do: pick candidates (cascade.c / match.c) or track
 * contractor state beyond "the sender was heard from now".
 */
#include "dispatcher/core/engine_int.h"

#include "common/geo.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static bool valid_spec(const struct tr_job_spec *s)
{
    if (s->n_skills < 1 || s->n_skills > TR_MSG_MAX_SKILLS)
        return false;
    for (size_t i = 0; i < s->n_skills; i++)
        if (!tr_msg_valid_skill(s->skills[i]))
            return false;
    if (s->has_language && !tr_msg_valid_lang(s->language))
        return false;
    if (s->has_tier && (s->tier < 1 || s->tier > 5))
        return false;
    return true;
}

static bool valid_radius(double km)
{
    return km >= 1.0 && km <= 1000.0;
}

/* The agent was heard from: presence stays fresh. */
static void touch(struct tr_engine *eng, uint32_t ci)
{
    if (eng->con[ci].last_seen < eng->now)
        eng->con[ci].last_seen = eng->now;
    eng_con_refresh(eng, ci);
}

int tr_engine_job_create(struct tr_engine *eng, const char *job_id, const struct tr_job_spec *spec,
                         const struct tr_site *site, double max_radius_km, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!job_id || !spec || !site || !tr_msg_valid_msgid(job_id) || !valid_spec(spec) ||
        !tr_geo_valid(site->lat, site->lon) ||
        !(max_radius_km == 0.0 || valid_radius(max_radius_km)))
        return TR_ENGINE_EINVAL;
    if (eng_job_find(eng, job_id) != ENG_NONE)
        return TR_ENGINE_EEXIST;
    uint32_t ji = eng_job_alloc(eng);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOMEM;
    struct eng_job *j = &eng->job[ji];
    eng_copy(j->id, sizeof(j->id), job_id);
    j->state = TR_JOB_NEW;
    j->spec = *spec;
    if (!j->spec.has_tier)
        j->spec.tier = 1;
    j->site = *site;
    j->site.lon = tr_geo_normalize_lon(site->lon);
    j->max_radius_km = max_radius_km;
    j->created = j->updated = eng->now;
    tr_idmap_put(&eng->job_map, j->id, ji);
    int rc = eng_match(eng, ji, NULL, NULL, "dispatcher", NULL, ENG_NONE);
    if (rc != TR_ENGINE_OK) {
        eng_job_close(eng, ji);
        eng->n_act = 0;
    }
    return rc;
}

/* ---------------------------------------------------------- answers */

/* A standalone cancellation about a job that may be gone. */
static int late_cancel(struct tr_engine *eng, const char *job_id, uint32_t ci, const char *offer_id)
{
    if (eng_act_reserve(eng, 1) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    uint32_t ji = eng_job_find(eng, job_id);
    struct tr_engine_action *a = &eng->act[eng->n_act++];
    memset(a, 0, sizeof(*a));
    a->kind = TR_ENGINE_SEND_CANCELLATION;
    a->group = TR_ENGINE_NO_GROUP;
    eng_copy(a->job_id, sizeof(a->job_id), job_id);
    if (ji != ENG_NONE)
        eng_job_to_msg(eng, &eng->job[ji], &a->job);
    else
        eng_copy(a->job.job_id, sizeof(a->job.job_id), job_id);
    eng_copy(a->agent_id, sizeof(a->agent_id), eng->con[ci].id);
    a->has_offer_id = true;
    eng_copy(a->offer_id, sizeof(a->offer_id), offer_id);
    a->cancel_reason = TR_CANCEL_OFFER_EXPIRED;
    a->has_note = true;
    eng_copy(a->note, sizeof(a->note), "this offer is no longer open");
    eng->st.stale_answers++;
    return TR_ENGINE_OK;
}

static int accept_offer(struct tr_engine *eng, uint32_t ji, uint32_t ci)
{
    struct eng_job *j = &eng->job[ji];
    if (eng_act_reserve(eng, 3) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    struct eng_con *c = &eng->con[ci];
    c->offers--;
    c->assigned++;
    j->assignee = ci;
    j->offer_con = ENG_NONE;
    tr_wheel_disarm(&eng->job_wheel, ji);
    j->state = TR_JOB_ACCEPTED;

    struct tr_engine_transition *t = eng_act_transition(eng, j, TR_JOB_OFFERED, c->id);
    t->has_expect_offer = true;
    eng_copy(t->expect_offer_id, sizeof(t->expect_offer_id), j->offer_id);
    t->resolve_offer = true;
    t->outcome = TR_ENGINE_OUTCOME_ACCEPTED;
    t->assignee_op = TR_ENGINE_ASSIGNEE_SET;
    eng_copy(t->assignee, sizeof(t->assignee), c->id);
    snprintf(t->note, sizeof(t->note), "accepted by %s", c->id);
    struct tr_engine_action *a = eng_act_msg(eng, j, TR_ENGINE_SEND_ASSIGNMENT, ci, true);
    a->has_offer_id = true;
    eng_copy(a->offer_id, sizeof(a->offer_id), j->offer_id);
    (void)eng_act_msg(eng, j, TR_ENGINE_PUBLISH_JOB_STATUS, ENG_NONE, true);
    eng_con_count_accept(eng, ci);
    eng_con_refresh(eng, ci);
    eng->st.accepts++;
    return TR_ENGINE_OK;
}

static int decline_offer(struct tr_engine *eng, uint32_t ji, uint32_t ci,
                         const struct tr_offer_answer *a)
{
    struct eng_job *j = &eng->job[ji];
    enum tr_decline_reason why = a->has_reason ? a->reason : TR_DECLINE_OTHER;
    if ((unsigned)why > TR_DECLINE_OTHER)
        why = TR_DECLINE_OTHER;
    if (eng_tried_add(j, ci, TR_ENGINE_TRIED_DECLINED, why, j->attempts) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    static const char *const names[] = { "too_far", "busy",     "lacks_skill", "off_shift",
                                         "vehicle", "personal", "other" };
    char note[160];
    snprintf(note, sizeof(note), "declined by %s (%s)", eng->con[ci].id, names[why]);
    struct eng_resolve rs = { .outcome = TR_ENGINE_OUTCOME_DECLINED,
                              .has_decline_reason = true,
                              .decline_reason = why,
                              .offer_note = a->has_note ? a->note : NULL };
    eng->st.declines++;
    return eng_match(eng, ji, &rs, NULL, eng->con[ci].id, note, ENG_NONE);
}

static bool was_offered(const struct eng_job *j, uint32_t ci, int attempt)
{
    if (attempt <= 0)
        return false;
    for (uint32_t i = 0; i < j->n_tried; i++)
        if (j->tried[i].con == ci && j->tried[i].attempt == attempt)
            return true;
    return false;
}

static bool assigned_state(enum tr_job_state s)
{
    return s == TR_JOB_ACCEPTED || s == TR_JOB_EN_ROUTE || s == TR_JOB_ON_SITE;
}

int tr_engine_offer_answer(struct tr_engine *eng, const struct tr_offer_answer *a, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!a)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, a->agent_id);
    if (ci == ENG_NONE) {
        eng->st.rejected_answers++;
        return TR_ENGINE_ENOENT;
    }
    touch(eng, ci);
    bool accept = a->answer == TR_ANSWER_ACCEPT;
    uint32_t ji = eng_job_find(eng, a->job_id);
    if (ji == ENG_NONE) {
        if (!accept) {
            eng->st.stale_answers++;
            return TR_ENGINE_OK;
        }
        return late_cancel(eng, a->job_id, ci, a->offer_id);
    }
    struct eng_job *j = &eng->job[ji];
    if (j->state == TR_JOB_OFFERED && strcmp(j->offer_id, a->offer_id) == 0) {
        if (j->offer_con != ci) {
            eng->st.rejected_answers++;
            return TR_ENGINE_EFORBIDDEN;
        }
        if (j->offer_deadline <= eng->now)
            return eng_offer_expired(eng, ji); /* too late: it tells the agent */
        return accept ? accept_offer(eng, ji, ci) : decline_offer(eng, ji, ci, a);
    }
    if (assigned_state(j->state) && j->assignee == ci && strcmp(j->offer_id, a->offer_id) == 0) {
        if (!accept) {
            eng->st.rejected_answers++;
            return TR_ENGINE_EILLEGAL; /* accepted already: release instead */
        }
        if (eng_act_reserve(eng, 1) != TR_ENGINE_OK)
            return TR_ENGINE_ENOMEM;
        struct tr_engine_action *m = eng_act_msg(eng, j, TR_ENGINE_SEND_ASSIGNMENT, ci, false);
        m->has_offer_id = true;
        eng_copy(m->offer_id, sizeof(m->offer_id), j->offer_id);
        eng->st.duplicate_accepts++;
        return TR_ENGINE_OK;
    }
    if (!was_offered(j, ci, eng_offer_attempt(j->id, a->offer_id))) {
        eng->st.rejected_answers++;
        return TR_ENGINE_EFORBIDDEN;
    }
    if (!accept) {
        eng->st.stale_answers++;
        return TR_ENGINE_OK;
    }
    return late_cancel(eng, j->id, ci, a->offer_id);
}

/* ---------------------------------------------------------- job events */

static int progress(struct tr_engine *eng, uint32_t ji, enum tr_job_state to, const char *actor,
                    const char *note)
{
    struct eng_job *j = &eng->job[ji];
    if (eng_act_reserve(eng, 2) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    enum tr_job_state from = j->state;
    j->state = to;
    struct tr_engine_transition *t = eng_act_transition(eng, j, from, actor);
    eng_copy(t->note, sizeof(t->note), note);
    (void)eng_act_msg(eng, j, TR_ENGINE_PUBLISH_JOB_STATUS, ENG_NONE, true);
    if (!eng_state_open(to))
        eng_job_close(eng, ji);
    return TR_ENGINE_OK;
}

int tr_engine_job_event(struct tr_engine *eng, const struct tr_job_event *ev, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!ev)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, ev->agent_id);
    uint32_t ji = eng_job_find(eng, ev->job_id);
    if (ji == ENG_NONE || ci == ENG_NONE) {
        eng->st.rejected_events++;
        return TR_ENGINE_ENOENT;
    }
    struct eng_job *j = &eng->job[ji];
    if (j->assignee != ci) {
        eng->st.rejected_events++;
        return TR_ENGINE_EFORBIDDEN;
    }
    enum tr_job_state s = j->state;
    const char *note = ev->has_note ? ev->note : "";
    char buf[TR_ENGINE_NOTE_SIZE + 100];
    int rc = TR_ENGINE_EILLEGAL;
    switch (ev->event) {
    case TR_EVENT_EN_ROUTE:
        if (s == TR_JOB_ACCEPTED)
            rc = progress(eng, ji, TR_JOB_EN_ROUTE, eng->con[ci].id, note);
        break;
    case TR_EVENT_ON_SITE:
        if (s == TR_JOB_ACCEPTED || s == TR_JOB_EN_ROUTE)
            rc = progress(eng, ji, TR_JOB_ON_SITE, eng->con[ci].id, note);
        break;
    case TR_EVENT_COMPLETED:
    case TR_EVENT_FAILED:
        if (s == TR_JOB_ON_SITE) {
            bool ok = ev->event == TR_EVENT_COMPLETED;
            rc = progress(eng, ji, ok ? TR_JOB_COMPLETED : TR_JOB_FAILED, eng->con[ci].id, note);
            if (rc == TR_ENGINE_OK)
                (ok ? eng->st.completed++ : eng->st.failed++);
        }
        break;
    case TR_EVENT_ESCALATE:
        if (assigned_state(s)) {
            int tier = (j->spec.has_tier ? j->spec.tier : 1) + 1;
            snprintf(buf, sizeof(buf), "escalated by %s: %s", eng->con[ci].id, note);
            rc = eng_release(eng, ji, eng->con[ci].id, buf, TR_ENGINE_TRIED_ESCALATED, false, NULL,
                             tier > 5 ? 5 : tier, ENG_NONE);
            if (rc == TR_ENGINE_OK)
                eng->st.escalations++;
        }
        break;
    case TR_EVENT_RELEASE:
        if (s == TR_JOB_ACCEPTED || s == TR_JOB_EN_ROUTE) {
            snprintf(buf, sizeof(buf), "released by %s%s%s", eng->con[ci].id, note[0] ? ": " : "",
                     note);
            rc = eng_release(eng, ji, eng->con[ci].id, buf, TR_ENGINE_TRIED_RELEASED, false, NULL,
                             0, ENG_NONE);
            if (rc == TR_ENGINE_OK)
                eng->st.releases++;
        }
        break;
    }
    if (rc == TR_ENGINE_EILLEGAL)
        eng->st.rejected_events++;
    if (eng_con_find(eng, ev->agent_id) == ci)
        touch(eng, ci);
    return rc;
}

/* ---------------------------------------------------------- commands */

static bool valid_actor(const char *actor)
{
    return actor && tr_msg_valid_msgid(actor);
}

int tr_engine_job_cancel(struct tr_engine *eng, const char *job_id, const char *actor,
                         const char *note, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!valid_actor(actor))
        return TR_ENGINE_EINVAL;
    uint32_t ji = eng_job_find(eng, job_id);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOENT;
    if (eng_act_reserve(eng, 3) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    struct eng_job *j = &eng->job[ji];
    enum tr_job_state from = j->state;
    uint32_t tell = from == TR_JOB_OFFERED ? j->offer_con : j->assignee;
    j->state = TR_JOB_CANCELLED;
    struct tr_engine_transition *t = eng_act_transition(eng, j, from, actor);
    char buf[TR_ENGINE_NOTE_SIZE + 100];
    snprintf(buf, sizeof(buf), "cancelled by %s%s%s", actor, note && note[0] ? ": " : "",
             note ? note : "");
    eng_copy(t->note, sizeof(t->note), buf);
    if (from == TR_JOB_OFFERED) {
        t->has_expect_offer = true;
        eng_copy(t->expect_offer_id, sizeof(t->expect_offer_id), j->offer_id);
        t->resolve_offer = true;
        t->outcome = TR_ENGINE_OUTCOME_WITHDRAWN;
    }
    if (tell != ENG_NONE) {
        struct tr_engine_action *a = eng_act_msg(eng, j, TR_ENGINE_SEND_CANCELLATION, tell, true);
        a->has_offer_id = true;
        eng_copy(a->offer_id, sizeof(a->offer_id), j->offer_id);
        a->cancel_reason = TR_CANCEL_CANCELLED;
        a->has_note = note && note[0];
        eng_copy(a->note, sizeof(a->note), note);
    }
    (void)eng_act_msg(eng, j, TR_ENGINE_PUBLISH_JOB_STATUS, ENG_NONE, true);
    eng_job_close(eng, ji);
    eng->st.cancels++;
    return TR_ENGINE_OK;
}

int tr_engine_job_reassign(struct tr_engine *eng, const char *job_id, const char *agent_id,
                           const char *actor, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!valid_actor(actor))
        return TR_ENGINE_EINVAL;
    uint32_t ji = eng_job_find(eng, job_id);
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ji == ENG_NONE || ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    struct eng_job *j = &eng->job[ji];
    const struct eng_con *c = &eng->con[ci];
    if (!c->active || (int)c->offers + (int)c->assigned >= (int)c->job_limit)
        return TR_ENGINE_ELIMIT;
    char note[200];
    snprintf(note, sizeof(note), "reassigned to %s by %s", c->id, actor);
    switch (j->state) {
    case TR_JOB_OFFERED: {
        if (j->offer_con == ci)
            return TR_ENGINE_EILLEGAL;
        if (eng_tried_add(j, j->offer_con, TR_ENGINE_TRIED_WITHDRAWN, TR_DECLINE_OTHER,
                          j->attempts) != TR_ENGINE_OK)
            return TR_ENGINE_ENOMEM;
        struct eng_resolve rs = { .outcome = TR_ENGINE_OUTCOME_WITHDRAWN,
                                  .cancel = true,
                                  .cancel_reason = TR_CANCEL_REASSIGNED,
                                  .cancel_note = "reassigned by the dispatcher" };
        j->attempt_base = j->attempts;
        return eng_match(eng, ji, &rs, NULL, actor, note, ci);
    }
    case TR_JOB_ACCEPTED:
    case TR_JOB_EN_ROUTE:
        if (j->assignee == ci)
            return TR_ENGINE_EILLEGAL;
        j->attempt_base = j->attempts;
        return eng_release(eng, ji, actor, note, TR_ENGINE_TRIED_RELEASED, true,
                           "reassigned by the dispatcher", 0, ci);
    case TR_JOB_NEW:
    case TR_JOB_UNASSIGNED:
    case TR_JOB_RELEASED:
        j->attempt_base = j->attempts;
        eng_queue(eng, ji, Q_NONE);
        return eng_match(eng, ji, NULL, NULL, actor, note, ci);
    default:
        return TR_ENGINE_EILLEGAL;
    }
}

int tr_engine_job_adjust(struct tr_engine *eng, const char *job_id, bool has_radius,
                         double radius_km, bool relax_language, const char *actor, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!valid_actor(actor) || (!has_radius && !relax_language) ||
        (has_radius && !valid_radius(radius_km)))
        return TR_ENGINE_EINVAL;
    uint32_t ji = eng_job_find(eng, job_id);
    if (ji == ENG_NONE)
        return TR_ENGINE_ENOENT;
    struct eng_job *j = &eng->job[ji];
    struct eng_extra x = { .set_max_radius_km = has_radius,
                           .max_radius_km = radius_km,
                           .set_relax_language = relax_language,
                           .relax_language = true };
    char note[200];
    snprintf(note, sizeof(note), "%s%s%s by %s", has_radius ? "max radius set" : "",
             has_radius && relax_language ? ", " : "", relax_language ? "language relaxed" : "",
             actor);
    switch (j->state) {
    case TR_JOB_OFFERED: {
        if (eng_act_reserve(eng, 2) != TR_ENGINE_OK)
            return TR_ENGINE_ENOMEM;
        if (has_radius)
            j->max_radius_km = radius_km;
        if (relax_language)
            j->relax_language = true;
        j->attempt_base = j->attempts;
        struct tr_engine_transition *t = eng_act_transition(eng, j, TR_JOB_OFFERED, actor);
        eng_copy(t->note, sizeof(t->note), note);
        t->set_max_radius_km = has_radius;
        t->max_radius_km = radius_km;
        t->set_relax_language = relax_language;
        t->relax_language = true;
        (void)eng_act_msg(eng, j, TR_ENGINE_PUBLISH_JOB_STATUS, ENG_NONE, true);
        return TR_ENGINE_OK;
    }
    case TR_JOB_NEW:
    case TR_JOB_UNASSIGNED:
    case TR_JOB_RELEASED:
        j->attempt_base = j->attempts;
        eng_queue(eng, ji, Q_NONE);
        return eng_match(eng, ji, NULL, &x, actor, note, ENG_NONE);
    default:
        return TR_ENGINE_EILLEGAL;
    }
}
