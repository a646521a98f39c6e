/*
 * dispatcher/app/actions.c: executing the engine's actions (worker thread).
 *
 * The engine returns groups: a TRANSITION followed by the messages about it
 * (cancellation, assignment, offer, job status). Each group becomes ONE
 * all-or-nothing store step: tr_store_job_transition writes the job, its
 * offers, its event and the group's messages as outbox rows. Messages about
 * no transition (a late accept's offer_expired, a re-sent assignment) go to
 * the outbox on their own.
 *
 * Durability (group commit): the worker wraps each pass in a store batch
 * (tr_actions_batch_begin / _end), so the steps of a pass (a job's creation
 * and its first offer, every input drained in the pass, the tick's
 * transitions) are made durable by ONE synchronous=FULL commit at the end of
 * the pass, and the publisher reads the outbox only after it (SPEC.md: every
 * transition is written before anything is published about it). Outside a
 * batch (recovery, the journal replay, stopping) each step commits itself.
 * A failed batch commit leaves the engine ahead of the disk: the process
 * exits at once, like the crash it is, and recovery + the receive journal
 * (not trimmed past an uncommitted pass) rebuild the truth.
 *
 * When a commit fails (compare-and-set conflict, a job limit, I/O), the rest
 * of the call's actions are dropped and every job they touched is
 * resynchronised from the store (tr_engine_job_forget + recovery), as
 * engine.h requires.
 *
 * It also writes the job's story to the log, one line per transition at
 * info level, e.g.
 *   job j-... -> offered to demo-3, 2.3 km, ETA 4 min (attempt 1)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

#define MAX_GROUP 8

static const char *skills_text(const struct tr_job_spec *s, char *buf, size_t cap)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n_skills && off + 1 < cap; i++) {
        int w = snprintf(buf + off, cap - off, "%s%s", i ? "+" : "", s->skills[i]);
        if (w < 0)
            break;
        off += (size_t)w;
    }
    return buf;
}

static const char *place_text(const struct tr_store_job *j, char *buf, size_t cap)
{
    const struct tr_job *job = &j->job;
    if (job->site.has_address && job->site.address[0])
        snprintf(buf, cap, "%s", job->site.address);
    else if (job->has_region && job->region.has_county)
        snprintf(buf, cap, "%s County%s%s", job->region.county, job->region.has_state ? ", " : "",
                 job->region.has_state ? job->region.state : "");
    else if (job->has_region && job->region.has_country)
        snprintf(buf, cap, "%.5f,%.5f %s", job->site.lat, job->site.lon, job->region.country);
    else
        snprintf(buf, cap, "%.5f,%.5f", job->site.lat, job->site.lon);
    return buf;
}

void tr_story_created(const struct tr_store_job *j, const char *actor)
{
    char sk[600], place[260];
    tr_log_info("job %s created (%s, %s, %s) by %s", j->job.job_id,
                skills_text(&j->job.spec, sk, sizeof(sk)),
                j->job.spec.has_language ? j->job.spec.language : "any language",
                place_text(j, place, sizeof(place)), actor);
}

/* The engine's note says why the previous step ended, then what it did
 * ("declined by a (busy); offered to b (...)"): keep the cause only. */
static void cause_of(const char *note, const char *what, char *out, size_t cap)
{
    const char *semi = strstr(note, "; ");
    out[0] = '\0';
    if (strncmp(note, what, strlen(what)) == 0)
        return;
    size_t n = semi ? (size_t)(semi - note) : strlen(note);
    snprintf(out, cap, ": %.*s", (int)n, note);
}

static void story(const struct tr_engine_action *t, const struct tr_engine_action *offer)
{
    const struct tr_engine_transition *tr = &t->tr;
    const char *id = t->job_id;
    char why[TR_ENGINE_NOTE_SIZE + 4];
    switch (tr->to) {
    case TR_JOB_OFFERED:
        cause_of(tr->note, "offered", why, sizeof(why));
        if (offer)
            tr_log_info("job %s%s -> offered to %s, %.1f km, ETA %d min (attempt %d)", id, why,
                        offer->agent_id, offer->distance_m / 1000.0, (offer->eta_s + 59) / 60,
                        offer->job.attempts);
        else
            tr_log_info("job %s%s -> offered to %s", id, why, tr->offer.agent_id);
        break;
    case TR_JOB_ACCEPTED:
        tr_log_info("job %s -> accepted by %s", id, tr->actor);
        break;
    case TR_JOB_EN_ROUTE:
        tr_log_info("job %s -> en route (%s)", id, tr->actor);
        break;
    case TR_JOB_ON_SITE:
        tr_log_info("job %s -> on site (%s)", id, tr->actor);
        break;
    case TR_JOB_COMPLETED:
        tr_log_info("job %s -> completed by %s", id, tr->actor);
        break;
    case TR_JOB_FAILED:
        tr_log_info("job %s -> failed (%s%s%s)", id, tr->actor, tr->note[0] ? ": " : "", tr->note);
        break;
    case TR_JOB_CANCELLED:
        tr_log_info("job %s -> cancelled (%s)", id, tr->note[0] ? tr->note : tr->actor);
        break;
    case TR_JOB_UNASSIGNED:
        cause_of(tr->note, "unassigned", why, sizeof(why));
        if (tr->from == TR_JOB_UNASSIGNED)
            tr_log_debug("job %s still unassigned: %s", id, tr->reason);
        else
            tr_log_info("job %s%s -> unassigned: %s", id, why,
                        tr->set_reason && tr->reason[0] ? tr->reason : "nobody fits");
        break;
    case TR_JOB_RELEASED:
        tr_log_info("job %s -> released (%s)", id, tr->note[0] ? tr->note : tr->actor);
        break;
    default:
        tr_log_info("job %s -> %s", id, tr_msg_job_state_name(tr->to));
        break;
    }
}

static void count_transition(struct app *a, const struct tr_engine_transition *tr)
{
    atomic_fetch_add(&a->n.transitions, 1);
    switch (tr->to) {
    case TR_JOB_ACCEPTED:
        atomic_fetch_add(&a->n.jobs_assigned, 1);
        break;
    case TR_JOB_COMPLETED:
        atomic_fetch_add(&a->n.jobs_completed, 1);
        break;
    case TR_JOB_FAILED:
        atomic_fetch_add(&a->n.jobs_failed, 1);
        break;
    case TR_JOB_CANCELLED:
        atomic_fetch_add(&a->n.jobs_cancelled, 1);
        break;
    default:
        break;
    }
}

/* Encode one message action: JSON (malloc'ed) and where it goes. */
static int encode_action(struct app *a, const struct tr_engine_action *act,
                         const struct tr_region *region, int64_t now_ms, struct tr_store_outmsg *om,
                         char topic[TR_BUS_TOPIC_SIZE], char **json)
{
    struct tr_bus_out out;
    struct tr_msg *m = &a->scratch;
    struct tr_msg_error err;
    size_t len = 0;
    *json = NULL;
    if (tr_bus_compose(act, region, m, &out) != TR_BUS_OK) {
        tr_log_error("job %s: cannot address a %d action to %s", act->job_id, (int)act->kind,
                     act->agent_id);
        return -1;
    }
    tr_app_msgid(a, m->id);
    m->ts = now_ms;
    if (tr_msg_encode(m, json, &len, &err) != TR_MSG_OK) {
        tr_log_error("job %s: cannot encode %s: %s: %s", act->job_id, tr_msg_type_name(m->type),
                     err.field, err.reason);
        return -1;
    }
    memcpy(topic, out.topic, TR_BUS_TOPIC_SIZE);
    *om = (struct tr_store_outmsg){ .topic = topic,
                                    .payload = *json,
                                    .len = len,
                                    .qos = 1,
                                    .retain = out.retain,
                                    .expiry_at = out.expiry_at };
    return 0;
}

static void to_store_transition(const struct tr_engine_action *act, int64_t now_ms,
                                struct tr_store_transition *t)
{
    const struct tr_engine_transition *tr = &act->tr;
    memset(t, 0, sizeof(*t));
    t->job_id = act->job_id;
    t->from = tr->from;
    t->to = tr->to;
    t->actor = tr->actor[0] ? tr->actor : "dispatcher";
    t->note = tr->note[0] ? tr->note : NULL;
    t->now_ms = now_ms;
    t->expect_offer_id = tr->has_expect_offer ? tr->expect_offer_id : NULL;
    t->resolve_offer = tr->resolve_offer;
    t->outcome = (enum tr_store_offer_outcome)tr->outcome;
    t->has_decline_reason = tr->has_decline_reason;
    t->decline_reason = tr->decline_reason;
    t->offer_note = tr->offer_note[0] ? tr->offer_note : NULL;
    t->new_offer = tr->new_offer;
    t->offer = tr->offer;
    t->assignee_op = (enum tr_store_assignee_op)tr->assignee_op;
    t->assignee = tr->assignee_op == TR_ENGINE_ASSIGNEE_SET ? tr->assignee : NULL;
    t->reason = tr->set_reason ? tr->reason : NULL;
    t->set_tier = tr->set_tier;
    t->tier = tr->tier;
    t->set_max_radius_km = tr->set_max_radius_km;
    t->max_radius_km = tr->max_radius_km;
    t->set_relax_language = tr->set_relax_language;
    t->relax_language = tr->relax_language;
}

/* Commit acts[g] (a TRANSITION) and its messages acts[g+1 .. end-1]. */
static bool commit_group(struct app *a, const struct tr_engine_action *acts, size_t g, size_t end,
                         int64_t now_ms)
{
    const struct tr_engine_action *t = &acts[g];
    struct tr_store_job before;
    const struct tr_region *region = NULL;
    if (tr_store_job_get(a->store, t->job_id, &before) == TR_STORE_OK && before.job.has_region)
        region = &before.job.region;

    struct tr_store_outmsg om[MAX_GROUP];
    char topics[MAX_GROUP][TR_BUS_TOPIC_SIZE];
    char *json[MAX_GROUP] = { 0 };
    const struct tr_engine_action *offer = NULL;
    size_t n = 0;
    bool ok = true;
    for (size_t i = g + 1; i < end && n < MAX_GROUP; i++) {
        if (acts[i].kind == TR_ENGINE_SEND_OFFER)
            offer = &acts[i];
        if (encode_action(a, &acts[i], region, now_ms, &om[n], topics[n], &json[n]) == 0)
            n++;
        else
            free(json[n]);
    }
    struct tr_store_transition st;
    to_store_transition(t, now_ms, &st);
    st.out = om;
    st.n_out = n;
    int rc = tr_store_job_transition(a->store, &st, NULL);
    for (size_t i = 0; i < n; i++)
        free(json[i]);
    if (rc != TR_STORE_OK) {
        atomic_fetch_add(&a->n.commit_failures, 1);
        tr_log_error("job %s: transition %s -> %s not committed: %s: %s", t->job_id,
                     tr_msg_job_state_name(t->tr.from), tr_msg_job_state_name(t->tr.to),
                     tr_store_strerror(rc), tr_store_errmsg(a->store));
        ok = false;
    } else {
        count_transition(a, &t->tr);
        story(t, offer);
        if (n)
            tr_publisher_outbox_changed(a->pub);
    }
    return ok;
}

static void standalone(struct app *a, const struct tr_engine_action *act, int64_t now_ms)
{
    struct tr_store_outmsg om;
    char topic[TR_BUS_TOPIC_SIZE];
    char *json = NULL;
    if (encode_action(a, act, NULL, now_ms, &om, topic, &json) != 0) {
        free(json);
        return;
    }
    int rc = tr_store_outbox_enqueue(a->store, &om, 1, now_ms);
    free(json);
    if (rc != TR_STORE_OK) {
        tr_log_error("job %s: message to %s not queued: %s", act->job_id, act->agent_id,
                     tr_store_errmsg(a->store));
        return;
    }
    if (act->kind == TR_ENGINE_SEND_CANCELLATION)
        tr_log_info("job %s: told %s the offer is no longer open", act->job_id, act->agent_id);
    else if (act->kind == TR_ENGINE_SEND_ASSIGNMENT)
        tr_log_info("job %s: assignment sent again to %s", act->job_id, act->agent_id);
    tr_publisher_outbox_changed(a->pub);
}

void tr_actions_batch_begin(struct app *a)
{
    if (tr_store_batch_begin(a->store) != TR_STORE_OK)
        tr_log_warn("group commit not started: %s (each step commits itself)",
                    tr_store_errmsg(a->store));
}

size_t tr_actions_batch_end(struct app *a)
{
    size_t steps = 0;
    if (!tr_store_batch_active(a->store))
        return 0;
    int rc = tr_store_batch_commit(a->store, &steps);
    if (rc == TR_STORE_OK) {
        /* the WAL is checkpointed on the writer thread, never in a commit */
        if (a->pw && tr_store_checkpoint_due(a->store))
            tr_poswriter_checkpoint(a->pw);
        return steps;
    }
    atomic_fetch_add(&a->n.commit_failures, 1);
    tr_log_error("group commit of %zu step(s) failed: %s: %s; exiting so that recovery "
                 "rebuilds the state from the store and the receive journal",
                 steps, tr_store_strerror(rc), tr_store_errmsg(a->store));
    _exit(EXIT_FAILURE);
}

void tr_actions_resync(struct app *a, const char *job_id, int64_t now_ms)
{
    struct tr_store_job j;
    atomic_fetch_add(&a->n.resyncs, 1);
    (void)tr_engine_job_forget(a->eng, job_id, now_ms);
    int rc = tr_store_job_get(a->store, job_id, &j);
    if (rc != TR_STORE_OK) {
        tr_log_error("job %s: cannot reload: %s", job_id, tr_store_errmsg(a->store));
        return;
    }
    enum tr_job_state s = j.job.state;
    if (s == TR_JOB_COMPLETED || s == TR_JOB_FAILED || s == TR_JOB_CANCELLED)
        return;
    rc = tr_recovery_job(a, &j, now_ms);
    if (rc != TR_ENGINE_OK)
        tr_log_error("job %s: cannot resynchronise: %s", job_id, tr_engine_strerror(rc));
    else
        tr_log_warn("job %s resynchronised from the store (%s)", job_id, tr_msg_job_state_name(s));
}

void tr_actions_run(struct app *a, int64_t now_ms)
{
    size_t n = 0;
    const struct tr_engine_action *acts = tr_engine_actions(a->eng, &n);
    size_t i = 0;
    while (i < n) {
        if (acts[i].kind != TR_ENGINE_TRANSITION) {
            standalone(a, &acts[i], now_ms);
            i++;
            continue;
        }
        size_t end = i + 1;
        while (end < n && acts[end].kind != TR_ENGINE_TRANSITION && acts[end].group == i)
            end++;
        if (commit_group(a, acts, i, end, now_ms)) {
            i = end;
            continue;
        }
        /* drop the rest; resync every job it touched (copy the ids first:
         * engine calls invalidate the list) */
        size_t m = 0;
        char(*ids)[TR_MSG_ID_SIZE] = malloc((n - i) * sizeof(*ids));
        for (size_t k = i; ids && k < n; k++) {
            bool seen = false;
            for (size_t x = 0; x < m && !seen; x++)
                seen = strcmp(ids[x], acts[k].job_id) == 0;
            if (!seen)
                memcpy(ids[m++], acts[k].job_id, TR_MSG_ID_SIZE);
        }
        for (size_t x = 0; x < m; x++)
            tr_actions_resync(a, ids[x], now_ms);
        free(ids);
        return;
    }
}
