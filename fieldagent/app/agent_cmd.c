/*
 * fieldagent/app/agent_cmd.c: what the agent does with an inbox message,
 * a GPS fix, or a command from the control socket.
 *
 * Inbox: through the bus gate (bad input is logged, counted, and changes
 * nothing), then into the job state machine or the reporting policy.
 * Fixes: arrival detection, then the reporting policy; a report becomes a
 * position in the outbox. Commands: the job state machine makes the
 * message, which is stored in the outbox (durably) before the command is
 * answered; if the outbox refuses it, the state machine is put back as it
 * was. The status and jobs answers are built here (cJSON stays in this
 * file: answers leave as text).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fieldagent/app/agent.h"

/* ---------------------------------------------------------------- inbox */

void agent_on_inbox(struct agent *a, const char *topic, const char *payload, size_t len)
{
    struct tr_msg m;
    int64_t now = agent_now_ms();
    int rc;

    if (tr_bus_inbox(&a->bus, topic, payload, len, &m, NULL) != TR_BUS_OK)
        return; /* logged and counted by the bus */
    switch (m.type) {
    case TR_MSG_OFFER: {
        const struct tr_offer *o = &m.u.offer;
        rc = tr_jobs_on_offer(&a->jobs, o, now);
        if (rc == TR_JOBS_OK)
            tr_log_info("offer %s for job %s: %.0f m, eta %d s, answer within %lld s", o->offer_id,
                        o->job_id, o->distance_m, o->eta_s,
                        (long long)((o->deadline - now) / 1000));
        else
            tr_log_info("offer %s for job %s dropped: %s", o->offer_id, o->job_id,
                        tr_jobs_strerror(rc));
        a->state_dirty = true; /* the dedupe memory changed too */
        break;
    }
    case TR_MSG_ASSIGNMENT:
        rc = tr_jobs_on_assignment(&a->jobs, &m.u.assignment, now);
        tr_log_info("assignment of job %s: %s", m.u.assignment.job_id,
                    rc == TR_JOBS_OK ? "ours" : tr_jobs_strerror(rc));
        a->state_dirty = true;
        break;
    case TR_MSG_CANCELLATION:
        rc = tr_jobs_on_cancellation(&a->jobs, &m.u.cancellation);
        tr_log_info("cancellation of job %s: %s", m.u.cancellation.job_id,
                    rc == TR_JOBS_OK ? "removed" : tr_jobs_strerror(rc));
        a->state_dirty = true;
        break;
    case TR_MSG_AGENT_CONFIG:
        if (tr_policy_apply_config(&a->policy, &m.u.agent_config) == TR_POLICY_OK) {
            a->c.configs++;
            if (m.u.agent_config.has_heartbeat_s)
                a->presence_heartbeat_s = m.u.agent_config.heartbeat_s;
            tr_log_info("agent_config applied");
        } else {
            a->c.configs_bad++;
            tr_log_warn("agent_config refused by the reporting policy");
        }
        break;
    case TR_MSG_ERROR:
        a->c.inbox_errors++;
        tr_log_warn("the dispatcher refused our message %s: %s%s%s: %s",
                    m.u.error.has_corr ? m.u.error.corr : "-",
                    tr_msg_wire_code_name(m.u.error.code), m.u.error.has_field ? " at " : "",
                    m.u.error.has_field ? m.u.error.field : "", m.u.error.message);
        break;
    default:
        break;
    }
    tr_msg_free(&m);
}

/* ---------------------------------------------------------------- fixes */

static void put_report(struct agent *a, const struct tr_geo_report *r, const struct tr_fix *raw)
{
    struct tr_fix f = { .t = r->t_ms, .lat = r->lat, .lon = r->lon, .mode = raw->mode };
    int rc;

    if (tr_policy_reported_already(r->t_ms, a->last_report_t))
        return; /* that fix was reported already */
    f.seq = a->seq + 1;
    if (f.mode < 2 || f.mode > 3)
        f.mode = 2;
    if (raw->t == r->t_ms && raw->has_acc && raw->acc >= 0 && raw->acc <= 100000) {
        f.has_acc = true;
        f.acc = raw->acc;
    }
    tr_policy_report_motion(r, &f);
    rc = tr_outbox_put_fix(a->ob, a->boot_id, &f);
    if (rc != TR_OUTBOX_OK) {
        a->c.outbox_errors++;
        tr_log_warn("outbox: position %lld not stored: %s", (long long)f.seq,
                    tr_outbox_last_error(a->ob));
        return;
    }
    a->seq = f.seq;
    a->p.pump = true;
    a->last_report_t = r->t_ms;
    a->c.reports++;
}

void agent_on_fix(struct agent *a, const struct tr_fix *fix, int64_t now)
{
    struct tr_geo_report rep;
    enum tr_report_reason why;
    int hit;

    a->c.fixes++;
    a->last_fix = *fix;
    a->have_fix = true;
    a->last_fix_at = now;
    hit = tr_jobs_on_fix(&a->jobs, fix);
    if (hit >= 0) {
        tr_log_info("arrival: inside the site of job %s; confirm with `truckroll-agent arrive`",
                    a->jobs.jobs[hit].job_id);
        a->state_dirty = true;
    }
    why = tr_policy_on_fix(&a->policy, fix, agent_mode(a), now, &rep);
    if (why == TR_REPORT_NONE && a->s.report_every_fix && a->policy.cur.t_ms == fix->t) {
        rep = a->policy.cur;
        why = TR_REPORT_HEARTBEAT;
    }
    if (why != TR_REPORT_NONE)
        put_report(a, &rep, fix);
}

/* A policy tick: the mode changed or a heartbeat is due. */
void agent_policy_tick(struct agent *a, int64_t now)
{
    struct tr_geo_report rep;
    if (a->have_fix && tr_policy_on_tick(&a->policy, now, agent_mode(a), &rep) != TR_REPORT_NONE)
        put_report(a, &rep, &a->last_fix);
}

/* ------------------------------------------------------------- commands */

static char *print(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    char *copy = s ? strdup(s) : NULL;
    cJSON_free(s);
    cJSON_Delete(o);
    return copy;
}

static char *fail(const char *code, const char *msg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 0);
    cJSON_AddStringToObject(o, "error", code);
    cJSON_AddStringToObject(o, "message", msg);
    return print(o);
}

static char *jobs_fail(int rc)
{
    switch (rc) {
    case TR_JOBS_ERR_NOT_FOUND:
        return fail("not_found", "no such offer or job (see `truckroll-agent jobs`)");
    case TR_JOBS_ERR_STATE:
        return fail("state", "not allowed in the job's current state");
    case TR_JOBS_ERR_AMBIGUOUS:
        return fail("ambiguous", "several offers or jobs: name one");
    case TR_JOBS_ERR_FULL:
        return fail("full", "no room for another job");
    case TR_JOBS_ERR_STALE:
        return fail("stale", "the offer's deadline has passed");
    default:
        return fail("bad_request", tr_jobs_strerror(rc));
    }
}

/* Encode and store one outgoing event. 0, TR_OUTBOX_ERR_DISK_FULL, or -1. */
static int store_event(struct agent *a, struct tr_msg *m)
{
    char buf[4096];
    size_t len;
    struct tr_msg_error e;
    int rc;

    agent_msgid(a, m->id, 'e');
    m->ts = agent_now_ms();
    if (tr_msg_encode_buf(m, buf, sizeof buf, &len, &e) != TR_MSG_OK) {
        tr_log_warn("cannot encode %s: %s at %s", tr_msg_type_name(m->type), e.reason, e.field);
        return -1;
    }
    rc = tr_outbox_put_event(a->ob, tr_bus_topic(&a->bus, TR_BUS_EVENT), buf, len, NULL);
    if (rc != TR_OUTBOX_OK) {
        a->c.outbox_errors++;
        tr_log_error("outbox: event not stored: %s", tr_outbox_last_error(a->ob));
        return rc == TR_OUTBOX_ERR_DISK_FULL ? rc : -1;
    }
    a->p.pump = true;
    return 0;
}

static const enum tr_event_kind event_of[TR_CTL_COUNT] = {
    [TR_CTL_ENROUTE] = TR_EVENT_EN_ROUTE,  [TR_CTL_ARRIVE] = TR_EVENT_ON_SITE,
    [TR_CTL_DONE] = TR_EVENT_COMPLETED,    [TR_CTL_FAIL] = TR_EVENT_FAILED,
    [TR_CTL_ESCALATE] = TR_EVENT_ESCALATE, [TR_CTL_RELEASE] = TR_EVENT_RELEASE,
};

static char *job_command(struct agent *a, const struct tr_ctl_req *r, int64_t now)
{
    struct tr_jobs saved = a->jobs; /* put back if the outbox refuses */
    struct tr_msg m;
    struct tr_point here, *pos = NULL;
    int rc;
    cJSON *o;

    if (r->cmd == TR_CTL_ACCEPT || r->cmd == TR_CTL_DECLINE) {
        tr_msg_init(&m, TR_MSG_OFFER_ANSWER);
        if (r->cmd == TR_CTL_ACCEPT)
            rc = tr_jobs_accept(&a->jobs, r->has_offer ? r->offer : NULL, now, &m.u.offer_answer);
        else
            rc = tr_jobs_decline(&a->jobs, r->has_offer ? r->offer : NULL, r->reason,
                                 r->has_note ? r->note : NULL, now, &m.u.offer_answer);
    } else {
        tr_msg_init(&m, TR_MSG_JOB_EVENT);
        if (a->have_fix && now - a->last_fix_at < 60000) {
            here = (struct tr_point){ a->last_fix.lat, a->last_fix.lon };
            pos = &here;
        }
        rc = tr_jobs_event(&a->jobs, r->has_job ? r->job : NULL, event_of[r->cmd],
                           r->has_note ? r->note : NULL, pos, now, &m.u.job_event);
    }
    if (rc != TR_JOBS_OK) {
        a->state_dirty = a->state_dirty || rc == TR_JOBS_ERR_STALE;
        return jobs_fail(rc);
    }
    if ((rc = store_event(a, &m)) != 0) {
        a->jobs = saved;
        if (rc == TR_OUTBOX_ERR_DISK_FULL)
            return fail("storage_full", "the device's storage is full: nothing was sent or "
                                        "changed; free some space and try again");
        return fail("internal", "could not store the message (see the agent's log)");
    }
    a->state_dirty = true;
    o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "cmd", tr_ctl_cmd_name(r->cmd));
    if (m.type == TR_MSG_OFFER_ANSWER) {
        cJSON_AddStringToObject(o, "offer_id", m.u.offer_answer.offer_id);
        cJSON_AddStringToObject(o, "job_id", m.u.offer_answer.job_id);
        tr_log_info("%s offer %s (job %s)", r->cmd == TR_CTL_ACCEPT ? "accepted" : "declined",
                    m.u.offer_answer.offer_id, m.u.offer_answer.job_id);
    } else {
        static const char *const names[] = { "en_route", "on_site",  "completed",
                                             "failed",   "escalate", "release" };
        const char *name = names[m.u.job_event.event];
        cJSON_AddStringToObject(o, "job_id", m.u.job_event.job_id);
        cJSON_AddStringToObject(o, "event", name);
        tr_log_info("job %s: %s", m.u.job_event.job_id, name);
    }
    cJSON_AddStringToObject(o, "msg_id", m.id);
    return print(o);
}

char *agent_control(void *user, const struct tr_ctl_req *r)
{
    struct agent *a = user;
    int64_t now = agent_now_ms();
    cJSON *o;

    switch (r->cmd) {
    case TR_CTL_STATUS:
        return agent_status_json(a, now);
    case TR_CTL_JOBS:
        return agent_jobs_json(a, now);
    case TR_CTL_AVAILABLE:
    case TR_CTL_UNAVAILABLE:
        if (a->available != (r->cmd == TR_CTL_AVAILABLE)) {
            a->available = r->cmd == TR_CTL_AVAILABLE;
            a->state_dirty = true;
            tr_log_info("the tech is now %s", a->available ? "available" : "unavailable");
        }
        o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", 1);
        cJSON_AddStringToObject(o, "cmd", tr_ctl_cmd_name(r->cmd));
        cJSON_AddBoolToObject(o, "available", a->available);
        return print(o);
    default:
        return job_command(a, r, now);
    }
}
