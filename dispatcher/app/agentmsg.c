/*
 * dispatcher/app/agentmsg.c: messages from agents, after bus/route decoded
 * them and checked the topic's agent id against the payload (worker thread).
 *
 *   presence      dropped when its id was seen or it is older than the last
 *                 one of the same boot; else to the engine (online, available,
 *                 active jobs; offline withdraws live offers at once).
 *   loc           each fix at or below the (agent, boot) high-water seq is
 *                 dropped (duplicates, stale replays); the others go to the
 *                 engine (live index, availability), the history batch and the
 *                 in-memory last position.
 *   offer_answer,
 *   job_event     dropped when the id was seen; else to the engine, whose
 *                 actions are executed. A refusal is answered with an
 *                 `error` on the agent's inbox (not_found / forbidden /
 *                 conflict), except a job event the job already reflects (a
 *                 resend after a crash of the dispatcher): that is a
 *                 duplicate.
 * Messages from ids that are not contractors are counted and ignored (no
 * reply: the broker account exists but the directory does not know it).
 */
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

static const char *event_name(enum tr_event_kind e)
{
    static const char *const names[] = { "en_route", "on_site",  "completed",
                                         "failed",   "escalate", "release" };
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

void tr_agentmsg_error(struct app *a, const char *agent_id, const char *corr,
                       enum tr_wire_code code, const char *field, const char *text)
{
    char topic[TR_BUS_TOPIC_SIZE];
    struct tr_msg *m = &a->scratch;
    char buf[1024];
    size_t len = 0;
    if (!agent_id || tr_bus_inbox_topic(topic, agent_id) != TR_BUS_OK)
        return;
    if (!tr_agents_error_allowed(a->senders, agent_id, tr_app_now_ms(),
                                 a->set.error_replies_per_s)) {
        atomic_fetch_add(&a->n.error_replies_dropped, 1);
        return;
    }
    tr_msg_init(m, TR_MSG_ERROR);
    tr_app_msgid(a, m->id);
    m->ts = tr_app_now_ms();
    if (corr && tr_msg_valid_msgid(corr)) {
        m->u.error.has_corr = true;
        snprintf(m->u.error.corr, sizeof(m->u.error.corr), "%s", corr);
    }
    m->u.error.code = code;
    if (field && field[0]) {
        m->u.error.has_field = true;
        snprintf(m->u.error.field, sizeof(m->u.error.field), "%s", field);
    }
    snprintf(m->u.error.message, sizeof(m->u.error.message), "%s", text && text[0] ? text : "?");
    if (tr_msg_encode_buf(m, buf, sizeof(buf), &len, NULL) != TR_MSG_OK)
        return;
    tr_publisher_transient(a->pub, topic, buf, len, NULL, 0);
    atomic_fetch_add(&a->n.error_replies, 1);
}

/* The agents.* reporting settings, once per boot of a contractor's agent
 * that comes online (schemas/topics.md, agent_config). */
static void send_agent_config(struct app *a, const char *agent_id)
{
    const struct tr_agent_config *c = &a->agent_cfg;
    char topic[TR_BUS_TOPIC_SIZE];
    char buf[512];
    size_t len = 0;
    if (!(c->has_threshold_m || c->has_max_interval_s || c->has_heartbeat_s) ||
        tr_bus_inbox_topic(topic, agent_id) != TR_BUS_OK ||
        !tr_agents_config_due(a->senders, agent_id))
        return;
    struct tr_msg *m = &a->scratch;
    tr_msg_init(m, TR_MSG_AGENT_CONFIG);
    tr_app_msgid(a, m->id);
    m->ts = tr_app_now_ms();
    m->u.agent_config = *c;
    snprintf(m->u.agent_config.agent_id, sizeof(m->u.agent_config.agent_id), "%s", agent_id);
    if (tr_msg_encode_buf(m, buf, sizeof(buf), &len, NULL) != TR_MSG_OK)
        return;
    tr_publisher_transient(a->pub, topic, buf, len, NULL, 0);
    atomic_fetch_add(&a->n.agent_configs, 1);
    tr_log_debug("agent_config sent to %s", agent_id);
}

static void on_presence(struct app *a, const struct tr_route_msg *rm, int64_t now_ms)
{
    const struct tr_presence *p = &rm->msg.u.presence;
    bool will = !p->online && p->has_reason && p->reason == TR_PRESENCE_WILL;
    /* a last will is dated when its connection began, and repeated under
     * the same id after a reconnect: see tr_agents_will_stale (going
     * offline twice changes nothing, so no dedupe either) */
    if (!will && tr_agents_duplicate(a->senders, rm->agent_id, rm->msg.id)) {
        atomic_fetch_add(&a->n.duplicates, 1);
        return;
    }
    if (will ? tr_agents_will_stale(a->senders, rm->agent_id, p->boot_id)
             : tr_agents_presence_stale(a->senders, rm->agent_id, p->boot_id, rm->msg.ts)) {
        atomic_fetch_add(&a->n.stale_presence, 1);
        return;
    }
    struct tr_engine_contractor_info before;
    bool known = tr_engine_contractor_info(a->eng, rm->agent_id, now_ms, &before) == TR_ENGINE_OK;
    int rc = tr_engine_presence(a->eng, p, now_ms);
    if (rc == TR_ENGINE_ENOENT || !known) {
        atomic_fetch_add(&a->n.unknown_agent, 1);
        tr_log_debug("presence of %s, who is not a contractor: ignored", rm->agent_id);
        return;
    }
    if (rc != TR_ENGINE_OK) {
        tr_log_warn("presence of %s refused: %s", rm->agent_id, tr_engine_strerror(rc));
        return;
    }
    tr_actions_run(a, now_ms);
    if (p->online)
        send_agent_config(a, rm->agent_id);
    if (p->online != before.online || (p->online && p->available != before.self_available)) {
        if (p->online)
            tr_log_info("agent %s online: %s, %s, %d active job(s)", rm->agent_id,
                        p->available ? "available" : "unavailable",
                        p->on_shift ? "on shift" : "off shift", p->active_jobs);
        else
            tr_log_info("agent %s offline%s", rm->agent_id,
                        !p->has_reason                  ? ""
                        : p->reason == TR_PRESENCE_WILL ? " (last will: connection lost)"
                                                        : " (shut down)");
    }
}

static void on_loc(struct app *a, const struct tr_route_msg *rm, int64_t now_ms)
{
    const struct tr_loc *l = &rm->msg.u.loc;
    size_t taken = 0;
    for (size_t i = 0; i < l->n_fixes; i++) {
        const struct tr_fix *f = &l->fixes[i];
        if (!tr_agents_seq_new(a->senders, rm->agent_id, l->boot_id, f->seq)) {
            atomic_fetch_add(&a->n.fixes_dup, 1);
            continue;
        }
        enum tr_engine_fix_reject why = TR_ENGINE_FIX_OK;
        int rc = tr_engine_fix(a->eng, rm->agent_id, f, now_ms, &why);
        if (rc == TR_ENGINE_EREJECTED && why != TR_ENGINE_FIX_UNKNOWN && why != TR_ENGINE_FIX_OLD) {
            /* a fix from the future would make later real fixes look stale */
            atomic_fetch_add(&a->n.fixes_rejected, 1);
            tr_log_debug("agent %s fix seq %lld rejected: %s", rm->agent_id, (long long)f->seq,
                         tr_engine_fix_reject_name(why));
            continue;
        }
        if (rc == TR_ENGINE_OK)
            tr_actions_run(a, now_ms);
        tr_poswriter_add(a->pw, rm->agent_id, l->boot_id, f, now_ms);
        tr_agents_last_update(a->senders, rm->agent_id, l->boot_id, f, now_ms);
        taken++;
    }
    atomic_fetch_add(&a->n.fixes, taken);
    if (taken)
        tr_log_debug("agent %s position: %zu fix(es), last %.5f,%.5f", rm->agent_id, taken,
                     l->fixes[l->n_fixes - 1].lat, l->fixes[l->n_fixes - 1].lon);
}

/* How far along a job is, for comparing a job event with the stored state. */
static int rank(enum tr_job_state s)
{
    switch (s) {
    case TR_JOB_EN_ROUTE:
        return 1;
    case TR_JOB_ON_SITE:
        return 2;
    case TR_JOB_COMPLETED:
    case TR_JOB_FAILED:
        return 3;
    default:
        return 0;
    }
}

/* A job event the job already reflects: the same agent holds (or finished)
 * it and it is at or past the event's step. Agents send their events again
 * when they cannot know whether the dispatcher got them (after a crash of
 * the dispatcher): that is a duplicate, not an error. */
static bool already_applied(struct app *a, const struct tr_job_event *ev)
{
    struct tr_store_job j;
    enum tr_job_state want;
    switch (ev->event) {
    case TR_EVENT_EN_ROUTE:
        want = TR_JOB_EN_ROUTE;
        break;
    case TR_EVENT_ON_SITE:
        want = TR_JOB_ON_SITE;
        break;
    case TR_EVENT_COMPLETED:
        want = TR_JOB_COMPLETED;
        break;
    case TR_EVENT_FAILED:
        want = TR_JOB_FAILED;
        break;
    default:
        return false; /* escalate / release moved the job on: nothing to compare */
    }
    if (tr_store_job_get(a->store, ev->job_id, &j) != TR_STORE_OK || !j.job.has_assignee ||
        strcmp(j.job.assignee, ev->agent_id) != 0)
        return false;
    if (rank(want) == 3)
        return j.job.state == want; /* completed is not failed */
    return rank(j.job.state) >= rank(want);
}

static void refuse(struct app *a, const struct tr_route_msg *rm, int rc, const char *what,
                   const char *job_id)
{
    char text[300];
    enum tr_wire_code code = rc == TR_ENGINE_ENOENT       ? TR_WIRE_NOT_FOUND
                             : rc == TR_ENGINE_EFORBIDDEN ? TR_WIRE_FORBIDDEN
                             : rc == TR_ENGINE_EINVAL     ? TR_WIRE_BAD_FIELD
                                                          : TR_WIRE_CONFLICT;
    atomic_fetch_add(&a->n.refused, 1);
    snprintf(text, sizeof(text), "%s for job %s refused: %s", what, job_id, tr_engine_strerror(rc));
    tr_log_warn("agent %s: %s", rm->agent_id, text);
    tr_agentmsg_error(a, rm->agent_id, rm->msg.id, code, NULL, text);
}

static void on_event(struct app *a, const struct tr_route_msg *rm, int64_t now_ms)
{
    struct tr_engine_contractor_info ci;
    if (tr_agents_duplicate(a->senders, rm->agent_id, rm->msg.id)) {
        atomic_fetch_add(&a->n.duplicates, 1);
        return;
    }
    if (tr_engine_contractor_info(a->eng, rm->agent_id, now_ms, &ci) != TR_ENGINE_OK) {
        /* not provisioned as a contractor: nothing it says can apply */
        atomic_fetch_add(&a->n.unknown_agent, 1);
        tr_log_warn("agent %s is not a contractor: %s ignored", rm->agent_id,
                    tr_msg_type_name(rm->msg.type));
        return;
    }
    int rc;
    if (rm->msg.type == TR_MSG_OFFER_ANSWER) {
        const struct tr_offer_answer *ans = &rm->msg.u.offer_answer;
        rc = tr_engine_offer_answer(a->eng, ans, now_ms);
        if (rc == TR_ENGINE_OK)
            tr_actions_run(a, now_ms);
        if (rc == TR_ENGINE_OK)
            tr_log_debug("agent %s %s offer %s", rm->agent_id,
                         ans->answer == TR_ANSWER_ACCEPT ? "accepted" : "declined", ans->offer_id);
        else
            refuse(a, rm, rc, ans->answer == TR_ANSWER_ACCEPT ? "accept" : "decline", ans->job_id);
    } else {
        const struct tr_job_event *ev = &rm->msg.u.job_event;
        rc = tr_engine_job_event(a->eng, ev, now_ms);
        if (rc == TR_ENGINE_OK) {
            tr_actions_run(a, now_ms);
            tr_log_debug("agent %s job %s: %s", rm->agent_id, ev->job_id, event_name(ev->event));
        } else if ((rc == TR_ENGINE_ENOENT || rc == TR_ENGINE_EILLEGAL) && already_applied(a, ev)) {
            atomic_fetch_add(&a->n.duplicates, 1);
            tr_log_debug("agent %s job %s: %s again (already applied)", rm->agent_id, ev->job_id,
                         event_name(ev->event));
        } else {
            refuse(a, rm, rc, event_name(ev->event), ev->job_id);
        }
    }
}

void tr_agentmsg_handle(struct app *a, struct tr_route_msg *rm, int64_t now_ms)
{
    switch (rm->msg.type) {
    case TR_MSG_PRESENCE:
        on_presence(a, rm, now_ms);
        break;
    case TR_MSG_LOC:
        on_loc(a, rm, now_ms);
        break;
    case TR_MSG_OFFER_ANSWER:
    case TR_MSG_JOB_EVENT:
        on_event(a, rm, now_ms);
        break;
    default:
        break;
    }
}
