/*
 * dispatcher/core/cascade.c: the offer cascade (SPEC.md "Offer cascade").
 *
 * What it does: one live offer per job with a deadline; when an offer is
 * declined, expires, or is withdrawn (its agent went offline or retired),
 * the same transition resolves it and makes the next offer; candidates are
 * searched in widening steps (match.c), each step with its own candidate set;
 * when nobody fits, the job waits unassigned with a reason (reason.c) and is
 * retried, a bounded batch per tick, when the fleet changed since its last
 * try. Releases (by the agent, by escalation, by a dispatcher, or because
 * the assignee went silent) put an assigned job back into matching. Keeps
 * each contractor's load (live offers + held jobs) and job list in step.
 *
 * What it does not do: decide whether an input is legal (engine.c checks
 * senders and states before calling in here), or explain why in words
 * (reason.c).
 */
#include "dispatcher/core/engine_int.h"

#include "common/geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- bookkeeping */

void eng_link(struct tr_engine *eng, uint32_t ji, uint32_t ci)
{
    struct eng_job *j = &eng->job[ji];
    struct eng_con *c = &eng->con[ci];
    j->linked = ci;
    j->con_prev = ENG_NONE;
    j->con_next = c->first_job;
    if (c->first_job != ENG_NONE)
        eng->job[c->first_job].con_prev = ji;
    c->first_job = ji;
}

void eng_unlink(struct tr_engine *eng, uint32_t ji)
{
    struct eng_job *j = &eng->job[ji];
    if (j->linked == ENG_NONE)
        return;
    struct eng_con *c = &eng->con[j->linked];
    if (j->con_prev != ENG_NONE)
        eng->job[j->con_prev].con_next = j->con_next;
    else
        c->first_job = j->con_next;
    if (j->con_next != ENG_NONE)
        eng->job[j->con_next].con_prev = j->con_prev;
    j->linked = ENG_NONE;
    j->con_next = j->con_prev = ENG_NONE;
}

static void shrink_grandfathered(struct eng_con *c)
{
    int load = (int)c->offers + (int)c->assigned;
    if (c->grandfathered > load)
        c->grandfathered = (uint8_t)load;
}

/* The live offer's agent gives its slot back (no refresh). */
static uint32_t take_offer(struct tr_engine *eng, uint32_t ji)
{
    struct eng_job *j = &eng->job[ji];
    uint32_t ci = j->offer_con;
    if (ci == ENG_NONE)
        return ENG_NONE;
    eng_unlink(eng, ji);
    eng->con[ci].offers--;
    shrink_grandfathered(&eng->con[ci]);
    j->offer_con = ENG_NONE;
    tr_wheel_disarm(&eng->job_wheel, ji);
    return ci;
}

static uint32_t drop_assignee(struct tr_engine *eng, uint32_t ji)
{
    struct eng_job *j = &eng->job[ji];
    uint32_t ci = j->assignee;
    if (ci == ENG_NONE)
        return ENG_NONE;
    eng_unlink(eng, ji);
    eng->con[ci].assigned--;
    shrink_grandfathered(&eng->con[ci]);
    j->assignee = ENG_NONE;
    return ci;
}

static struct eng_list *queue_of(struct tr_engine *eng, uint8_t q)
{
    return q == Q_MATCH ? &eng->match_q : q == Q_UNASSIGNED ? &eng->unassigned_q : NULL;
}

void eng_queue(struct tr_engine *eng, uint32_t ji, enum eng_queue q)
{
    struct eng_job *j = &eng->job[ji];
    struct eng_list *l = queue_of(eng, j->queue);
    if (l) {
        if (j->q_prev != ENG_NONE)
            eng->job[j->q_prev].q_next = j->q_next;
        else
            l->head = j->q_next;
        if (j->q_next != ENG_NONE)
            eng->job[j->q_next].q_prev = j->q_prev;
        else
            l->tail = j->q_prev;
        l->n--;
    }
    j->queue = (uint8_t)q;
    j->q_next = j->q_prev = ENG_NONE;
    l = queue_of(eng, (uint8_t)q);
    if (!l)
        return;
    j->q_prev = l->tail;
    if (l->tail != ENG_NONE)
        eng->job[l->tail].q_next = ji;
    else
        l->head = ji;
    l->tail = ji;
    l->n++;
}

int eng_tried_add(struct eng_job *j, uint32_t ci, enum tr_engine_tried_kind kind,
                  enum tr_decline_reason reason, int attempt)
{
    if (j->n_tried == j->cap_tried) {
        uint32_t cap = j->cap_tried ? j->cap_tried * 2 : 4;
        struct eng_tried *t = realloc(j->tried, cap * sizeof(*t));
        if (!t)
            return TR_ENGINE_ENOMEM;
        j->tried = t;
        j->cap_tried = cap;
    }
    j->tried[j->n_tried++] = (struct eng_tried){
        .con = ci, .kind = (uint8_t)kind, .reason = (uint8_t)reason, .attempt = attempt
    };
    return TR_ENGINE_OK;
}

bool eng_budget_left(const struct tr_engine *eng, const struct eng_job *j)
{
    return j->attempts < 10000 && j->attempts - j->attempt_base < eng->p.max_attempts;
}

/* ---------------------------------------------------------- matching */

static void fill_resolve(struct tr_engine_transition *t, const struct eng_resolve *rs,
                         const char *prev_offer)
{
    t->has_expect_offer = true;
    eng_copy(t->expect_offer_id, sizeof(t->expect_offer_id), prev_offer);
    t->resolve_offer = true;
    t->outcome = rs->outcome;
    t->has_decline_reason = rs->has_decline_reason;
    t->decline_reason = rs->decline_reason;
    eng_copy(t->offer_note, sizeof(t->offer_note), rs->offer_note);
}

static void fill_extra(struct tr_engine_transition *t, const struct eng_extra *x)
{
    if (!x)
        return;
    t->set_max_radius_km = x->set_max_radius_km;
    t->max_radius_km = x->max_radius_km;
    t->set_relax_language = x->set_relax_language;
    t->relax_language = x->relax_language;
}

static void cancel_msg(struct tr_engine *eng, struct eng_job *j, uint32_t ci, const char *offer_id,
                       enum tr_cancel_reason reason, const char *note)
{
    struct tr_engine_action *a = eng_act_msg(eng, j, TR_ENGINE_SEND_CANCELLATION, ci, true);
    a->has_offer_id = offer_id && offer_id[0];
    eng_copy(a->offer_id, sizeof(a->offer_id), offer_id);
    a->cancel_reason = reason;
    a->has_note = note && note[0];
    eng_copy(a->note, sizeof(a->note), note);
}

static void publish(struct tr_engine *eng, struct eng_job *j)
{
    (void)eng_act_msg(eng, j, TR_ENGINE_PUBLISH_JOB_STATUS, ENG_NONE, true);
}

static struct eng_pick forced_pick(struct tr_engine *eng, const struct eng_job *j, uint32_t ci)
{
    const struct eng_con *c = &eng->con[ci];
    struct eng_pick p = { .con = ci };
    if (c->has_fix)
        p.distance_m = tr_geo_distance_m(j->site.lat, j->site.lon, c->lat, c->lon);
    p.eta_s = p.distance_m * eng->p.detour_factor / eng_speed_mps(eng, c->travel_mode);
    return p;
}

static int search(struct tr_engine *eng, struct eng_job *j, struct eng_pick *pick, bool *found)
{
    *found = false;
    if (!eng_budget_left(eng, j))
        return TR_ENGINE_OK;
    return eng_best(eng, j, pick, found);
}

static void make_offer(struct tr_engine *eng, uint32_t ji, enum tr_job_state from,
                       const struct eng_resolve *rs, uint32_t prev, const char *prev_offer,
                       const struct eng_extra *x, const char *actor, const char *note,
                       const struct eng_pick *pick)
{
    struct eng_job *j = &eng->job[ji];
    uint32_t ci = pick->con;
    j->attempts++;
    eng_offer_id(j->id, j->attempts, j->offer_id);
    j->state = TR_JOB_OFFERED;
    j->offer_con = ci;
    j->offer_deadline = eng->now + eng->p.offer_timeout_ms;
    eng_link(eng, ji, ci);
    eng->con[ci].offers++;
    tr_wheel_arm(&eng->job_wheel, ji, j->offer_deadline);
    eng_queue(eng, ji, Q_NONE);
    j->reason[0] = '\0';

    double dist = pick->distance_m > 20040000.0 ? 20040000.0 : pick->distance_m;
    double eta = pick->eta_s > 604800.0 ? 604800.0 : pick->eta_s;
    struct tr_engine_transition *t = eng_act_transition(eng, j, from, actor);
    if (rs)
        fill_resolve(t, rs, prev_offer);
    t->new_offer = true;
    eng_copy(t->offer.offer_id, sizeof(t->offer.offer_id), j->offer_id);
    eng_copy(t->offer.agent_id, sizeof(t->offer.agent_id), eng->con[ci].id);
    t->offer.deadline = j->offer_deadline;
    t->set_reason = true;
    fill_extra(t, x);
    char buf[TR_ENGINE_NOTE_SIZE + 200];
    snprintf(buf, sizeof(buf), "%s%soffered to %s (%.1f km, ETA %d min)", note ? note : "",
             note && note[0] ? "; " : "", eng->con[ci].id, dist / 1000.0,
             (int)((eta + 59.0) / 60.0));
    eng_copy(t->note, sizeof(t->note), buf);

    if (rs && rs->cancel && prev != ENG_NONE)
        cancel_msg(eng, j, prev, prev_offer, rs->cancel_reason, rs->cancel_note);
    struct tr_engine_action *a = eng_act_msg(eng, j, TR_ENGINE_SEND_OFFER, ci, true);
    a->has_offer_id = true;
    eng_copy(a->offer_id, sizeof(a->offer_id), j->offer_id);
    a->distance_m = dist;
    a->eta_s = (int)lround(eta);
    a->deadline = j->offer_deadline;
    publish(eng, j);
    eng->st.offers_made++;
    eng_con_refresh(eng, ci);
}

int eng_match(struct tr_engine *eng, uint32_t ji, const struct eng_resolve *rs,
              const struct eng_extra *x, const char *actor, const char *note, uint32_t force_con)
{
    struct eng_job *j = &eng->job[ji];
    enum tr_job_state from = j->state;
    char prev_offer[TR_MSG_ID_SIZE] = "";
    uint32_t prev = ENG_NONE;

    if (eng_act_reserve(eng, 5) != TR_ENGINE_OK) {
        if (from == TR_JOB_NEW || from == TR_JOB_RELEASED)
            eng_queue(eng, ji, Q_MATCH); /* never left outside matching */
        return TR_ENGINE_ENOMEM;
    }
    if (from == TR_JOB_OFFERED) {
        eng_copy(prev_offer, sizeof(prev_offer), j->offer_id);
        prev = take_offer(eng, ji);
        if (prev != ENG_NONE)
            eng_con_refresh(eng, prev);
    } else {
        rs = NULL;
    }
    if (x && x->set_max_radius_km)
        j->max_radius_km = x->max_radius_km;
    if (x && x->set_relax_language)
        j->relax_language = x->relax_language;
    j->try_epoch = eng->epoch;
    j->last_try = eng->now;

    struct eng_pick pick = { 0 };
    bool found = false;
    int rc = TR_ENGINE_OK;
    if (force_con != ENG_NONE) {
        pick = forced_pick(eng, j, force_con);
        found = true;
    } else {
        rc = search(eng, j, &pick, &found);
    }
    if (found) {
        make_offer(eng, ji, from, rs, prev, prev_offer, x, actor, note, &pick);
        return TR_ENGINE_OK;
    }

    char reason[TR_MSG_NOTE_SIZE];
    bool fresh = from == TR_JOB_UNASSIGNED && !x && j->reason[0] &&
                 eng->now - j->reason_at < eng->p.reason_refresh_ms;
    if (rc != TR_ENGINE_OK)
        eng_copy(reason, sizeof(reason), "matching ran out of memory; will retry");
    else if (fresh)
        eng_copy(reason, sizeof(reason), j->reason);
    else
        eng_reason(eng, j, reason, sizeof(reason));
    if (!fresh)
        j->reason_at = eng->now;
    if (from == TR_JOB_UNASSIGNED && !x && strcmp(reason, j->reason) == 0) {
        eng_queue(eng, ji, Q_UNASSIGNED); /* to the back of the retry line */
        return TR_ENGINE_OK;
    }
    j->state = TR_JOB_UNASSIGNED;
    eng_copy(j->reason, sizeof(j->reason), reason);
    eng_queue(eng, ji, Q_UNASSIGNED);

    struct tr_engine_transition *t = eng_act_transition(eng, j, from, actor);
    if (rs)
        fill_resolve(t, rs, prev_offer);
    t->set_reason = true;
    eng_copy(t->reason, sizeof(t->reason), reason);
    fill_extra(t, x);
    char buf[TR_ENGINE_NOTE_SIZE + 300];
    snprintf(buf, sizeof(buf), "%s%sunassigned: %s", note ? note : "", note && note[0] ? "; " : "",
             reason);
    eng_copy(t->note, sizeof(t->note), buf);
    if (rs && rs->cancel && prev != ENG_NONE)
        cancel_msg(eng, j, prev, prev_offer, rs->cancel_reason, rs->cancel_note);
    publish(eng, j);
    return TR_ENGINE_OK;
}

/* ---------------------------------------------------------- releases */

int eng_release(struct tr_engine *eng, uint32_t ji, const char *actor, const char *note,
                enum tr_engine_tried_kind kind, bool tell, const char *cancel_note, int tier,
                uint32_t force_con)
{
    struct eng_job *j = &eng->job[ji];
    enum tr_job_state from = j->state;
    uint32_t ci = j->assignee;
    char offer[TR_MSG_ID_SIZE];

    if (ci == ENG_NONE || eng_act_reserve(eng, 8) != TR_ENGINE_OK)
        return ci == ENG_NONE ? TR_ENGINE_EINVAL : TR_ENGINE_ENOMEM;
    if (eng_tried_add(j, ci, kind, TR_DECLINE_OTHER, j->attempts) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    eng_copy(offer, sizeof(offer), j->offer_id);
    drop_assignee(eng, ji);
    j->state = TR_JOB_RELEASED;
    if (tier > 0) {
        j->spec.has_tier = true;
        j->spec.tier = tier;
    }
    struct tr_engine_transition *t = eng_act_transition(eng, j, from, actor);
    eng_copy(t->note, sizeof(t->note), note);
    t->assignee_op = TR_ENGINE_ASSIGNEE_CLEAR;
    if (tier > 0) {
        t->set_tier = true;
        t->tier = tier;
    }
    if (tell)
        cancel_msg(eng, j, ci, offer, TR_CANCEL_REASSIGNED, cancel_note);
    publish(eng, j);
    eng_con_refresh(eng, ci);
    return eng_match(eng, ji, NULL, NULL, "dispatcher", NULL, force_con);
}

void eng_job_close(struct tr_engine *eng, uint32_t ji)
{
    uint32_t a = take_offer(eng, ji);
    uint32_t b = drop_assignee(eng, ji);
    if (a != ENG_NONE)
        eng_con_refresh(eng, a);
    if (b != ENG_NONE)
        eng_con_refresh(eng, b);
    eng_queue(eng, ji, Q_NONE);
    tr_wheel_disarm(&eng->job_wheel, ji);
    eng_job_free_slot(eng, ji);
}

/* Jobs of contractor ci matching pred, copied out (the list changes). */
static size_t jobs_of(const struct tr_engine *eng, uint32_t ci, bool offered, uint32_t *out,
                      size_t max)
{
    size_t n = 0;
    for (uint32_t ji = eng->con[ci].first_job; ji != ENG_NONE && n < max;
         ji = eng->job[ji].con_next) {
        const struct eng_job *j = &eng->job[ji];
        if (offered ? (j->state == TR_JOB_OFFERED && j->offer_con == ci)
                    : ((j->state == TR_JOB_ACCEPTED || j->state == TR_JOB_EN_ROUTE) &&
                       j->assignee == ci))
            out[n++] = ji;
    }
    return n;
}

int eng_withdraw_offers(struct tr_engine *eng, uint32_t ci, const char *why)
{
    uint32_t list[256];
    size_t n = jobs_of(eng, ci, true, list, 256);
    int rc = TR_ENGINE_OK;
    for (size_t i = 0; i < n; i++) {
        struct eng_job *j = &eng->job[list[i]];
        if (eng_tried_add(j, ci, TR_ENGINE_TRIED_WITHDRAWN, TR_DECLINE_OTHER, j->attempts) !=
            TR_ENGINE_OK)
            return TR_ENGINE_ENOMEM;
        char note[160], cnote[120];
        snprintf(note, sizeof(note), "offer to %s withdrawn (%s)", eng->con[ci].id, why);
        snprintf(cnote, sizeof(cnote), "offer withdrawn: %s", why);
        struct eng_resolve rs = { .outcome = TR_ENGINE_OUTCOME_WITHDRAWN,
                                  .cancel = true,
                                  .cancel_reason = TR_CANCEL_OFFER_EXPIRED,
                                  .cancel_note = cnote };
        eng->st.withdrawals++;
        int r = eng_match(eng, list[i], &rs, NULL, "dispatcher", note, ENG_NONE);
        if (r != TR_ENGINE_OK)
            rc = r;
    }
    return rc;
}

int eng_vanish(struct tr_engine *eng, uint32_t ci)
{
    uint32_t list[256];
    size_t n = jobs_of(eng, ci, false, list, 256);
    int rc = TR_ENGINE_OK;
    long min = (long)(eng->p.release_after_ms / 60000);
    for (size_t i = 0; i < n; i++) {
        char note[200];
        snprintf(note, sizeof(note), "no contact from %s for %ld min: released", eng->con[ci].id,
                 min);
        eng->st.vanished++;
        int r = eng_release(eng, list[i], "dispatcher", note, TR_ENGINE_TRIED_VANISHED, true,
                            "released: no contact from you", 0, ENG_NONE);
        if (r != TR_ENGINE_OK)
            rc = r;
    }
    return rc;
}

int eng_offer_expired(struct tr_engine *eng, uint32_t ji)
{
    struct eng_job *j = &eng->job[ji];
    if (!j->used || j->state != TR_JOB_OFFERED || j->offer_con == ENG_NONE ||
        j->offer_deadline > eng->now)
        return TR_ENGINE_OK;
    uint32_t ci = j->offer_con;
    if (eng_tried_add(j, ci, TR_ENGINE_TRIED_EXPIRED, TR_DECLINE_OTHER, j->attempts) !=
        TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    char note[160];
    snprintf(note, sizeof(note), "no answer from %s before the deadline", eng->con[ci].id);
    struct eng_resolve rs = { .outcome = TR_ENGINE_OUTCOME_EXPIRED,
                              .cancel = true,
                              .cancel_reason = TR_CANCEL_OFFER_EXPIRED,
                              .cancel_note = "no answer before the deadline" };
    eng->st.expiries++;
    return eng_match(eng, ji, &rs, NULL, "dispatcher", note, ENG_NONE);
}

/* Did anything that could match this job change since its last try? Only
 * contractors with one of its skills count; a skill nobody had gets a bit
 * when someone adds it. */
static bool fleet_changed_for(const struct tr_engine *eng, const struct eng_job *j)
{
    if (!j->mask_ok)
        return j->mask_dict != eng->n_skill;
    for (uint64_t m = j->mask; m; m &= m - 1)
        if (eng->skill_epoch[__builtin_ctzll(m)] > j->try_epoch)
            return true;
    return false;
}

int eng_retry_unassigned(struct tr_engine *eng)
{
    struct eng_list *q = &eng->unassigned_q;
    size_t visits = q->n < (size_t)eng->p.retry_batch * 4 ? q->n : (size_t)eng->p.retry_batch * 4;
    unsigned budget = eng->p.retry_batch;
    int rc = TR_ENGINE_OK;
    for (size_t v = 0; v < visits && budget > 0 && q->head != ENG_NONE; v++) {
        uint32_t ji = q->head;
        struct eng_job *j = &eng->job[ji];
        eng_queue(eng, ji, Q_UNASSIGNED); /* to the back */
        if (!fleet_changed_for(eng, j) || eng->now - j->last_try < eng->p.retry_min_interval_ms ||
            !eng_budget_left(eng, j))
            continue;
        budget--;
        eng->st.retries++;
        int r = eng_match(eng, ji, NULL, NULL, "dispatcher", "fleet changed", ENG_NONE);
        if (r != TR_ENGINE_OK)
            rc = r;
    }
    return rc;
}

int eng_match_queued(struct tr_engine *eng)
{
    while (eng->match_q.head != ENG_NONE) {
        uint32_t ji = eng->match_q.head;
        eng_queue(eng, ji, Q_NONE);
        int r = eng_match(eng, ji, NULL, NULL, "dispatcher", NULL, ENG_NONE);
        if (r != TR_ENGINE_OK) {
            eng_queue(eng, ji, Q_MATCH); /* try again at the next tick */
            return r;
        }
    }
    return TR_ENGINE_OK;
}
