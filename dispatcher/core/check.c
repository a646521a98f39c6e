/*
 * dispatcher/core/check.c: tr_engine_check_invariants, the engine's
 * self-check for tests (O(contractors + jobs)).
 *
 * What it checks: every open job is offered (one live offer, linked to that
 * agent, deadline after the last tick, timer armed), assigned (one assignee,
 * linked, no offer), unassigned with a reason and queued for retries, or
 * new / released and queued for matching; every contractor's job list holds
 * exactly the jobs offered to or held by them and their counts match; load
 * within the limit (or a lowered limit's grandfathered load); the fleet's
 * eligible flags are the engine's, and an eligible contractor passes every
 * rule that does not depend on time; ids map both ways.
 *
 * What it does not do: repair anything.
 */
#include "dispatcher/core/engine_int.h"

#include <stdarg.h>
#include <stdio.h>

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return TR_ENGINE_EINVAL;
}

static int check_job(const struct tr_engine *eng, uint32_t ji, char *why, size_t len,
                     uint32_t *offered, uint32_t *held)
{
    const struct eng_job *j = &eng->job[ji];
    const char *id = j->id;
    if (tr_idmap_get(&eng->job_map, id) != ji)
        return fail(why, len, "job %s: id map disagrees", id);
    if (!eng_state_open(j->state))
        return fail(why, len, "job %s: closed state %d kept", id, (int)j->state);
    switch (j->state) {
    case TR_JOB_OFFERED:
        (*offered)++;
        if (j->offer_con >= eng->n_con || j->assignee != ENG_NONE || j->linked != j->offer_con)
            return fail(why, len, "job %s: offered without one live offer", id);
        if (j->queue != Q_NONE)
            return fail(why, len, "job %s: offered but queued", id);
        if (j->offer_deadline <= eng->last_tick)
            return fail(why, len, "job %s: offer deadline passed at the last tick", id);
        if (!eng->job_wheel.armed[ji] || eng->job_wheel.deadline[ji] != j->offer_deadline)
            return fail(why, len, "job %s: offer timer not armed", id);
        if (!j->offer_id[0])
            return fail(why, len, "job %s: offer without an id", id);
        break;
    case TR_JOB_ACCEPTED:
    case TR_JOB_EN_ROUTE:
    case TR_JOB_ON_SITE:
        (*held)++;
        if (j->assignee >= eng->n_con || j->offer_con != ENG_NONE || j->linked != j->assignee)
            return fail(why, len, "job %s: assigned without one assignee", id);
        if (j->queue != Q_NONE)
            return fail(why, len, "job %s: assigned but queued", id);
        break;
    case TR_JOB_UNASSIGNED:
        if (!j->reason[0])
            return fail(why, len, "job %s: unassigned without a reason", id);
        if (j->queue != Q_UNASSIGNED)
            return fail(why, len, "job %s: unassigned but not queued for retries", id);
        break;
    default: /* new, released: only while queued for matching */
        if (j->queue != Q_MATCH)
            return fail(why, len, "job %s: %s outside the matching queue", id,
                        tr_msg_job_state_name(j->state));
        break;
    }
    if ((j->state == TR_JOB_UNASSIGNED || j->state == TR_JOB_NEW || j->state == TR_JOB_RELEASED) &&
        (j->offer_con != ENG_NONE || j->assignee != ENG_NONE || j->linked != ENG_NONE))
        return fail(why, len, "job %s: %s but holds an offer or an assignee", id,
                    tr_msg_job_state_name(j->state));
    return TR_ENGINE_OK;
}

static int check_con(const struct tr_engine *eng, uint32_t ci, char *why, size_t len)
{
    const struct eng_con *c = &eng->con[ci];
    if (tr_idmap_get(&eng->con_map, c->id) != ci)
        return fail(why, len, "contractor %s: id map disagrees", c->id);
    unsigned offers = 0, held = 0, steps = 0;
    for (uint32_t ji = c->first_job; ji != ENG_NONE; ji = eng->job[ji].con_next) {
        const struct eng_job *j = &eng->job[ji];
        if (++steps > eng->n_job || !j->used || j->linked != ci)
            return fail(why, len, "contractor %s: job list broken", c->id);
        if (j->state == TR_JOB_OFFERED && j->offer_con == ci)
            offers++;
        else if (j->assignee == ci)
            held++;
        else
            return fail(why, len, "contractor %s: lists job %s that is not theirs", c->id, j->id);
    }
    if (offers != c->offers || held != c->assigned)
        return fail(why, len, "contractor %s: counts %u+%u, lists %u+%u", c->id, c->offers,
                    c->assigned, offers, held);
    int load = (int)offers + (int)held;
    if (load > c->job_limit && load > c->grandfathered)
        return fail(why, len, "contractor %s: load %d over limit %d", c->id, load, c->job_limit);
    if (c->has_fix) {
        struct tr_fleet_entry e;
        if (tr_fleet_get(eng->fleet, ci, &e) != TR_FLEET_OK || e.eligible != c->eligible)
            return fail(why, len, "contractor %s: fleet eligible flag differs", c->id);
    } else if (c->eligible) {
        return fail(why, len, "contractor %s: eligible without a fix", c->id);
    }
    if (c->eligible &&
        (!c->active || !c->online || !c->on_shift || !c->self_available || load >= c->job_limit))
        return fail(why, len, "contractor %s: eligible but not available", c->id);
    return TR_ENGINE_OK;
}

static int check_queue(const struct tr_engine *eng, const struct eng_list *l, uint8_t q, char *why,
                       size_t len)
{
    uint32_t n = 0, prev = ENG_NONE;
    for (uint32_t ji = l->head; ji != ENG_NONE; ji = eng->job[ji].q_next) {
        if (++n > eng->n_job || !eng->job[ji].used || eng->job[ji].queue != q ||
            eng->job[ji].q_prev != prev)
            return fail(why, len, "queue %u broken", q);
        prev = ji;
    }
    if (n != l->n || l->tail != prev)
        return fail(why, len, "queue %u: %u members, counted %u", q, n, l->n);
    return TR_ENGINE_OK;
}

int tr_engine_check_invariants(const struct tr_engine *eng, char *why, size_t why_len)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    uint32_t offered = 0, held = 0, open = 0, offers = 0, assigned = 0;
    for (uint32_t ji = 0; ji < eng->n_job; ji++) {
        if (!eng->job[ji].used)
            continue;
        open++;
        int rc = check_job(eng, ji, why, why_len, &offered, &held);
        if (rc != TR_ENGINE_OK)
            return rc;
    }
    if (open != eng->open_jobs || eng->job_map.n != open)
        return fail(why, why_len, "%u open jobs, counted %u, mapped %zu", open, eng->open_jobs,
                    eng->job_map.n);
    for (uint32_t ci = 0; ci < eng->n_con; ci++) {
        int rc = check_con(eng, ci, why, why_len);
        if (rc != TR_ENGINE_OK)
            return rc;
        offers += eng->con[ci].offers;
        assigned += eng->con[ci].assigned;
    }
    if (offers != offered || assigned != held)
        return fail(why, why_len, "offers %u vs offered jobs %u, held %u vs assigned jobs %u",
                    offers, offered, assigned, held);
    int rc = check_queue(eng, &eng->match_q, Q_MATCH, why, why_len);
    if (rc == TR_ENGINE_OK)
        rc = check_queue(eng, &eng->unassigned_q, Q_UNASSIGNED, why, why_len);
    if (rc == TR_ENGINE_OK && why && why_len)
        why[0] = '\0';
    return rc;
}
