/*
 * fieldagent/core/jobs.c: the handheld's offer/job state machine (see
 * jobs.h). Fixed arrays, linear scans (a handful of entries), no I/O.
 */
#include "fieldagent/core/jobs.h"

#include <stdio.h>
#include <string.h>

#include "common/geo.h"

static void copy_id(char dst[TR_MSG_ID_SIZE], const char *src)
{
    snprintf(dst, TR_MSG_ID_SIZE, "%s", src ? src : "");
}

int tr_jobs_init(struct tr_jobs *j, const char *agent_id, const struct tr_arrival_params *arrival)
{
    if (!j || !agent_id || !tr_msg_valid_agent_id(agent_id))
        return TR_JOBS_ERR_INVALID;
    memset(j, 0, sizeof *j);
    copy_id(j->agent_id, agent_id);
    if (arrival)
        j->arrival = *arrival;
    else
        tr_arrival_params_default(&j->arrival);
    return TR_JOBS_OK;
}

bool tr_jobs_seen(const struct tr_jobs *j, const char *offer_id)
{
    if (!j || !offer_id)
        return false;
    for (size_t i = 0; i < j->n_seen; i++) {
        if (strcmp(j->seen[i], offer_id) == 0)
            return true;
    }
    return false;
}

void tr_jobs_mark_seen(struct tr_jobs *j, const char *offer_id)
{
    if (!j || !offer_id || !offer_id[0] || tr_jobs_seen(j, offer_id))
        return;
    copy_id(j->seen[j->seen_next], offer_id);
    j->seen_next = (j->seen_next + 1) % TR_JOBS_SEEN;
    if (j->n_seen < TR_JOBS_SEEN)
        j->n_seen++;
}

static int offer_index(const struct tr_jobs *j, const char *offer_id)
{
    for (size_t i = 0; i < j->n_offers; i++) {
        if (strcmp(j->offers[i].o.offer_id, offer_id) == 0)
            return (int)i;
    }
    return -1;
}

static int job_index(const struct tr_jobs *j, const char *job_id)
{
    for (size_t i = 0; i < j->n_jobs; i++) {
        if (strcmp(j->jobs[i].job_id, job_id) == 0)
            return (int)i;
    }
    return -1;
}

static void remove_offer(struct tr_jobs *j, size_t i)
{
    memmove(&j->offers[i], &j->offers[i + 1], (j->n_offers - i - 1) * sizeof j->offers[0]);
    j->n_offers--;
}

static void remove_job(struct tr_jobs *j, size_t i)
{
    memmove(&j->jobs[i], &j->jobs[i + 1], (j->n_jobs - i - 1) * sizeof j->jobs[0]);
    j->n_jobs--;
}

static void arm_arrival(struct tr_jobs *j, struct tr_jobs_job *job)
{
    double r = job->site.has_radius_m ? job->site.radius_m : 100;
    if (tr_arrival_init(&job->arrival, &j->arrival, job->site.lat, job->site.lon, r))
        tr_arrival_init(&job->arrival, NULL, job->site.lat, job->site.lon, r);
    job->arrival_suggested = false;
}

int tr_jobs_on_offer(struct tr_jobs *j, const struct tr_offer *o, int64_t now_ms)
{
    size_t at;

    if (!j || !o)
        return TR_JOBS_ERR_INVALID;
    if (strcmp(o->agent_id, j->agent_id) != 0)
        return TR_JOBS_ERR_WRONG_AGENT;
    if (tr_jobs_seen(j, o->offer_id) || job_index(j, o->job_id) >= 0) {
        j->st.duplicates++;
        return TR_JOBS_ERR_DUPLICATE;
    }
    if (o->deadline <= now_ms) {
        tr_jobs_mark_seen(j, o->offer_id);
        j->st.stale++;
        return TR_JOBS_ERR_STALE;
    }
    /* a newer offer for a job we were already offered replaces it (so it
     * needs no room of its own) */
    size_t same = 0;
    while (same < j->n_offers && strcmp(j->offers[same].o.job_id, o->job_id) != 0)
        same++;
    if (same == j->n_offers && j->n_offers >= TR_JOBS_MAX_OFFERS) {
        j->st.full++;
        return TR_JOBS_ERR_FULL;
    }
    tr_jobs_mark_seen(j, o->offer_id);
    if (same < j->n_offers)
        remove_offer(j, same);
    for (at = 0; at < j->n_offers && j->offers[at].o.deadline <= o->deadline; at++) {
    }
    memmove(&j->offers[at + 1], &j->offers[at], (j->n_offers - at) * sizeof j->offers[0]);
    j->offers[at].o = *o;
    j->offers[at].received_ms = now_ms;
    j->n_offers++;
    j->st.offers++;
    return TR_JOBS_OK;
}

static struct tr_jobs_job *add_job(struct tr_jobs *j, const char *job_id, const char *offer_id,
                                   const struct tr_job_spec *spec, const struct tr_site *site,
                                   int64_t now_ms)
{
    struct tr_jobs_job *job;
    if (j->n_jobs >= TR_JOBS_MAX_ACTIVE)
        return NULL;
    job = &j->jobs[j->n_jobs++];
    memset(job, 0, sizeof *job);
    copy_id(job->job_id, job_id);
    copy_id(job->offer_id, offer_id);
    job->state = TR_JOBS_ACCEPTED;
    job->spec = *spec;
    job->site = *site;
    job->since_ms = now_ms;
    arm_arrival(j, job);
    return job;
}

int tr_jobs_on_assignment(struct tr_jobs *j, const struct tr_assignment *a, int64_t now_ms)
{
    int i;
    struct tr_jobs_job *job;

    if (!j || !a)
        return TR_JOBS_ERR_INVALID;
    if (strcmp(a->agent_id, j->agent_id) != 0)
        return TR_JOBS_ERR_WRONG_AGENT;
    i = job_index(j, a->job_id);
    if (i >= 0) {
        job = &j->jobs[i];
        if (job->assigned) {
            j->st.duplicates++;
            return TR_JOBS_ERR_DUPLICATE;
        }
        job->assigned = true;
        job->spec = a->job; /* the dispatcher's copy wins */
        if (job->site.lat != a->site.lat || job->site.lon != a->site.lon ||
            job->site.radius_m != a->site.radius_m) {
            job->site = a->site;
            arm_arrival(j, job);
        }
        j->st.assignments++;
        return TR_JOBS_OK;
    }
    /* assigned by hand, or our accept's offer is gone from memory */
    int oi = offer_index(j, a->offer_id);
    if (oi >= 0)
        remove_offer(j, (size_t)oi);
    tr_jobs_mark_seen(j, a->offer_id);
    job = add_job(j, a->job_id, a->offer_id, &a->job, &a->site, now_ms);
    if (!job) {
        j->st.full++;
        return TR_JOBS_ERR_FULL;
    }
    job->assigned = true;
    j->st.assignments++;
    return TR_JOBS_OK;
}

int tr_jobs_on_cancellation(struct tr_jobs *j, const struct tr_cancellation *c)
{
    bool hit = false;
    int i;

    if (!j || !c)
        return TR_JOBS_ERR_INVALID;
    if (strcmp(c->agent_id, j->agent_id) != 0)
        return TR_JOBS_ERR_WRONG_AGENT;
    if (c->has_offer_id) {
        tr_jobs_mark_seen(j, c->offer_id); /* a late copy of that offer is stale */
        if ((i = offer_index(j, c->offer_id)) >= 0) {
            remove_offer(j, (size_t)i);
            hit = true;
        }
    }
    for (size_t k = 0; k < j->n_offers;) {
        if (strcmp(j->offers[k].o.job_id, c->job_id) == 0 && !c->has_offer_id) {
            remove_offer(j, k);
            hit = true;
        } else {
            k++;
        }
    }
    if ((i = job_index(j, c->job_id)) >= 0 && (!c->has_offer_id || !j->jobs[i].offer_id[0] ||
                                               strcmp(j->jobs[i].offer_id, c->offer_id) == 0)) {
        remove_job(j, (size_t)i);
        hit = true;
    }
    if (!hit) {
        j->st.cancel_unknown++;
        return TR_JOBS_ERR_NOT_FOUND;
    }
    j->st.cancelled++;
    return TR_JOBS_OK;
}

size_t tr_jobs_expire(struct tr_jobs *j, int64_t now_ms)
{
    size_t n = 0;
    if (!j)
        return 0;
    while (j->n_offers && j->offers[0].o.deadline <= now_ms) {
        copy_id(j->lapsed[j->lapsed_next].offer_id, j->offers[0].o.offer_id);
        j->lapsed[j->lapsed_next].deadline = j->offers[0].o.deadline;
        j->lapsed_next = (j->lapsed_next + 1) % TR_JOBS_LAPSED;
        remove_offer(j, 0);
        n++;
    }
    j->st.expired += n;
    return n;
}

int64_t tr_jobs_next_deadline(const struct tr_jobs *j)
{
    return (j && j->n_offers) ? j->offers[0].o.deadline : INT64_MAX;
}

/* Whether offer_id (NULL: any, in the last TR_JOBS_LAPSED_MS) was dropped at
 * its deadline lately. */
static bool lapsed(const struct tr_jobs *j, const char *offer_id, int64_t now_ms)
{
    for (size_t i = 0; i < TR_JOBS_LAPSED; i++) {
        const char *id = j->lapsed[i].offer_id;
        if (id[0] && (offer_id ? strcmp(id, offer_id) == 0
                               : now_ms - j->lapsed[i].deadline <= TR_JOBS_LAPSED_MS))
            return true;
    }
    return false;
}

/* The offer named, or the only one pending; expired offers are dropped
 * first. STALE when the one named (or, naming none, the last one) has
 * lapsed, now or lately (the loop drops offers at their deadline). */
static int pick_offer(struct tr_jobs *j, const char *offer_id, int64_t now_ms)
{
    int i;
    bool named = offer_id && offer_id[0];
    tr_jobs_expire(j, now_ms);
    if (named) {
        i = offer_index(j, offer_id);
        return i >= 0                        ? i
               : lapsed(j, offer_id, now_ms) ? -TR_JOBS_ERR_STALE
                                             : -TR_JOBS_ERR_NOT_FOUND;
    }
    if (j->n_offers == 0)
        return lapsed(j, NULL, now_ms) ? -TR_JOBS_ERR_STALE : -TR_JOBS_ERR_NOT_FOUND;
    return j->n_offers == 1 ? 0 : -TR_JOBS_ERR_AMBIGUOUS;
}

static void answer_of(const struct tr_jobs *j, const struct tr_offer *o, enum tr_answer a,
                      struct tr_offer_answer *out)
{
    memset(out, 0, sizeof *out);
    copy_id(out->agent_id, j->agent_id);
    copy_id(out->offer_id, o->offer_id);
    copy_id(out->job_id, o->job_id);
    out->answer = a;
}

int tr_jobs_accept(struct tr_jobs *j, const char *offer_id, int64_t now_ms,
                   struct tr_offer_answer *out)
{
    int i;
    struct tr_jobs_job *job;

    if (!j || !out)
        return TR_JOBS_ERR_INVALID;
    if ((i = pick_offer(j, offer_id, now_ms)) < 0) {
        j->st.refused++;
        return -i;
    }
    if (j->n_jobs >= TR_JOBS_MAX_ACTIVE) {
        j->st.full++;
        return TR_JOBS_ERR_FULL;
    }
    const struct tr_offer *o = &j->offers[i].o;
    answer_of(j, o, TR_ANSWER_ACCEPT, out);
    job = add_job(j, o->job_id, o->offer_id, &o->job, &o->site, now_ms);
    job->distance_m = o->distance_m;
    job->eta_s = o->eta_s;
    remove_offer(j, (size_t)i);
    j->st.accepted++;
    return TR_JOBS_OK;
}

int tr_jobs_decline(struct tr_jobs *j, const char *offer_id, enum tr_decline_reason reason,
                    const char *note, int64_t now_ms, struct tr_offer_answer *out)
{
    int i;

    if (!j || !out || (unsigned)reason > TR_DECLINE_OTHER ||
        (note && strlen(note) >= TR_MSG_NOTE_SIZE))
        return TR_JOBS_ERR_INVALID;
    if ((i = pick_offer(j, offer_id, now_ms)) < 0) {
        j->st.refused++;
        return -i;
    }
    answer_of(j, &j->offers[i].o, TR_ANSWER_DECLINE, out);
    out->has_reason = true;
    out->reason = reason;
    if (note && note[0]) {
        out->has_note = true;
        snprintf(out->note, sizeof out->note, "%s", note);
    }
    remove_offer(j, (size_t)i);
    j->st.declined++;
    return TR_JOBS_OK;
}

static bool allowed(enum tr_jobs_state s, enum tr_event_kind ev)
{
    switch (ev) {
    case TR_EVENT_EN_ROUTE:
        return s == TR_JOBS_ACCEPTED;
    case TR_EVENT_ON_SITE:
        return s == TR_JOBS_ACCEPTED || s == TR_JOBS_EN_ROUTE;
    case TR_EVENT_COMPLETED:
    case TR_EVENT_FAILED:
        return s == TR_JOBS_ON_SITE;
    case TR_EVENT_ESCALATE:
        return true;
    case TR_EVENT_RELEASE:
        return s == TR_JOBS_ACCEPTED || s == TR_JOBS_EN_ROUTE;
    }
    return false;
}

int tr_jobs_event(struct tr_jobs *j, const char *job_id, enum tr_event_kind ev, const char *note,
                  const struct tr_point *pos, int64_t now_ms, struct tr_job_event *out)
{
    int i = -1;
    struct tr_jobs_job *job;
    bool need_note = ev == TR_EVENT_FAILED || ev == TR_EVENT_ESCALATE;

    if (!j || !out || (unsigned)ev > TR_EVENT_RELEASE ||
        (note && strlen(note) >= TR_MSG_LONGNOTE_SIZE) || (need_note && (!note || !note[0])))
        return TR_JOBS_ERR_INVALID;
    if (job_id && job_id[0]) {
        i = job_index(j, job_id);
    } else if (j->n_jobs > 1) {
        /* several jobs: the only one this event fits */
        int fits = 0;
        for (size_t k = 0; k < j->n_jobs; k++) {
            if (allowed(j->jobs[k].state, ev)) {
                fits++;
                i = (int)k;
            }
        }
        if (fits > 1) {
            j->st.refused++;
            return TR_JOBS_ERR_AMBIGUOUS;
        }
        if (fits == 0) {
            j->st.refused++;
            return TR_JOBS_ERR_STATE;
        }
    } else if (j->n_jobs == 1) {
        i = 0;
    }
    if (i < 0) {
        j->st.refused++;
        return TR_JOBS_ERR_NOT_FOUND;
    }
    job = &j->jobs[i];
    if (!allowed(job->state, ev)) {
        j->st.refused++;
        return TR_JOBS_ERR_STATE;
    }
    memset(out, 0, sizeof *out);
    copy_id(out->agent_id, j->agent_id);
    copy_id(out->job_id, job->job_id);
    out->event = ev;
    if (note && note[0]) {
        out->has_note = true;
        snprintf(out->note, sizeof out->note, "%s", note);
    }
    if (pos && tr_geo_valid(pos->lat, pos->lon)) {
        out->has_lat = out->has_lon = true;
        out->lat = pos->lat;
        out->lon = pos->lon;
    }
    j->st.events++;
    switch (ev) {
    case TR_EVENT_EN_ROUTE:
        job->state = TR_JOBS_EN_ROUTE;
        job->since_ms = now_ms;
        break;
    case TR_EVENT_ON_SITE:
        job->state = TR_JOBS_ON_SITE;
        job->since_ms = now_ms;
        job->arrival_suggested = false;
        break;
    default: /* completed, failed, escalate, release: the job leaves us */
        remove_job(j, (size_t)i);
        break;
    }
    return TR_JOBS_OK;
}

int tr_jobs_on_fix(struct tr_jobs *j, const struct tr_fix *fix)
{
    int hit = -1;
    if (!j || !fix)
        return -1;
    for (size_t i = 0; i < j->n_jobs; i++) {
        struct tr_jobs_job *job = &j->jobs[i];
        enum tr_arrival_event e;
        if (job->state == TR_JOBS_ON_SITE)
            continue;
        e = tr_arrival_on_fix(&job->arrival, fix);
        if (e == TR_ARRIVAL_SUGGEST && !job->arrival_suggested) {
            job->arrival_suggested = true;
            j->st.arrivals++;
            hit = (int)i;
        } else if (e == TR_ARRIVAL_LEFT) {
            job->arrival_suggested = false;
        }
    }
    return hit;
}

enum tr_agent_mode tr_jobs_mode(const struct tr_jobs *j, bool on_shift)
{
    bool en_route = false, offered = j && j->n_offers > 0;
    for (size_t i = 0; j && i < j->n_jobs; i++) {
        if (j->jobs[i].state == TR_JOBS_ON_SITE)
            return TR_MODE_ON_SITE;
        if (j->jobs[i].state == TR_JOBS_EN_ROUTE)
            en_route = true;
        else
            offered = true;
    }
    if (en_route)
        return TR_MODE_EN_ROUTE;
    if (offered)
        return TR_MODE_OFFERED;
    return on_shift ? TR_MODE_IDLE : TR_MODE_OFF_SHIFT;
}

const struct tr_jobs_offer *tr_jobs_find_offer(const struct tr_jobs *j, const char *offer_id)
{
    int i = (j && offer_id) ? offer_index(j, offer_id) : -1;
    return i >= 0 ? &j->offers[i] : NULL;
}

const struct tr_jobs_job *tr_jobs_find_job(const struct tr_jobs *j, const char *job_id)
{
    int i = (j && job_id) ? job_index(j, job_id) : -1;
    return i >= 0 ? &j->jobs[i] : NULL;
}

const char *tr_jobs_state_name(enum tr_jobs_state s)
{
    switch (s) {
    case TR_JOBS_ACCEPTED:
        return "accepted";
    case TR_JOBS_EN_ROUTE:
        return "en_route";
    case TR_JOBS_ON_SITE:
        return "on_site";
    }
    return "?";
}

const char *tr_jobs_strerror(int err)
{
    switch (err) {
    case TR_JOBS_OK:
        return "ok";
    case TR_JOBS_ERR_INVALID:
        return "invalid argument";
    case TR_JOBS_ERR_NOT_FOUND:
        return "no such offer or job";
    case TR_JOBS_ERR_STATE:
        return "not allowed in the job's current state";
    case TR_JOBS_ERR_AMBIGUOUS:
        return "several offers or jobs: name one";
    case TR_JOBS_ERR_FULL:
        return "no room for another offer or job";
    case TR_JOBS_ERR_DUPLICATE:
        return "already seen";
    case TR_JOBS_ERR_STALE:
        return "offer deadline already passed";
    case TR_JOBS_ERR_WRONG_AGENT:
        return "addressed to another agent";
    default:
        return "unknown jobs error";
    }
}
