/*
 * fieldagent/app/agent_view.c: the `status` and `jobs` answers of the
 * control socket, as JSON text (the field names are documented in
 * fieldagent/README.md; scripts read them with --json).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "fieldagent/app/agent.h"

static char *print(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    char *copy = s ? strdup(s) : NULL;
    cJSON_free(s);
    cJSON_Delete(o);
    return copy;
}

static void add_spec(cJSON *o, const struct tr_job_spec *j, const struct tr_site *site)
{
    cJSON *skills = cJSON_AddArrayToObject(o, "skills");
    cJSON_AddStringToObject(o, "title", j->title);
    for (size_t i = 0; i < j->n_skills; i++)
        cJSON_AddItemToArray(skills, cJSON_CreateString(j->skills[i]));
    if (j->has_description)
        cJSON_AddStringToObject(o, "description", j->description);
    cJSON_AddStringToObject(o, "priority", tr_msg_priority_name(j->priority));
    if (j->has_pay) {
        cJSON *p = cJSON_AddObjectToObject(o, "pay");
        cJSON_AddStringToObject(p, "currency", j->pay.currency);
        if (j->pay.has_per_hour_cents)
            cJSON_AddNumberToObject(p, "per_hour_cents", (double)j->pay.per_hour_cents);
        if (j->pay.has_per_incident_cents)
            cJSON_AddNumberToObject(p, "per_incident_cents", (double)j->pay.per_incident_cents);
    }
    cJSON *s = cJSON_AddObjectToObject(o, "site");
    cJSON_AddNumberToObject(s, "lat", site->lat);
    cJSON_AddNumberToObject(s, "lon", site->lon);
    cJSON_AddNumberToObject(s, "radius_m", site->has_radius_m ? site->radius_m : 100);
    if (site->has_address)
        cJSON_AddStringToObject(s, "address", site->address);
}

static cJSON *offer_json(const struct tr_jobs_offer *of, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "offer_id", of->o.offer_id);
    cJSON_AddStringToObject(o, "job_id", of->o.job_id);
    cJSON_AddNumberToObject(o, "distance_m", of->o.distance_m);
    cJSON_AddNumberToObject(o, "eta_s", of->o.eta_s);
    cJSON_AddNumberToObject(o, "deadline", (double)of->o.deadline);
    cJSON_AddNumberToObject(o, "remaining_ms",
                            (double)(of->o.deadline > now ? of->o.deadline - now : 0));
    add_spec(o, &of->o.job, &of->o.site);
    return o;
}

static cJSON *job_json(const struct tr_jobs_job *j, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "job_id", j->job_id);
    cJSON_AddStringToObject(o, "offer_id", j->offer_id);
    cJSON_AddStringToObject(o, "state", tr_jobs_state_name(j->state));
    cJSON_AddBoolToObject(o, "assigned", j->assigned);
    cJSON_AddNumberToObject(o, "since_s", (double)((now - j->since_ms) / 1000));
    cJSON_AddBoolToObject(o, "arrival_suggested", j->arrival_suggested);
    if (j->arrival.last_distance == j->arrival.last_distance) /* not NaN */
        cJSON_AddNumberToObject(o, "distance_to_site_m", j->arrival.last_distance);
    add_spec(o, &j->spec, &j->site);
    return o;
}

char *agent_jobs_json(struct agent *a, int64_t now)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *offers = cJSON_AddArrayToObject(o, "offers");
    cJSON *jobs = cJSON_AddArrayToObject(o, "jobs");
    cJSON_AddBoolToObject(o, "ok", 1);
    if (tr_jobs_expire(&a->jobs, now) > 0)
        a->state_dirty = true;
    for (size_t i = 0; i < a->jobs.n_offers; i++)
        cJSON_AddItemToArray(offers, offer_json(&a->jobs.offers[i], now));
    for (size_t i = 0; i < a->jobs.n_jobs; i++)
        cJSON_AddItemToArray(jobs, job_json(&a->jobs.jobs[i], now));
    return print(o);
}

static void num(cJSON *o, const char *k, double v)
{
    cJSON_AddNumberToObject(o, k, v);
}

char *agent_status_json(struct agent *a, int64_t now)
{
    struct tr_outbox_stats ob = { 0 };
    struct tr_control_stats cs = { 0 };
    cJSON *o = cJSON_CreateObject(), *g, *x;

    tr_outbox_get_stats(a->ob, &ob);
    tr_control_get_stats(a->ctl, &cs);
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON_AddStringToObject(o, "agent_id", a->s.agent_id);
    cJSON_AddStringToObject(o, "boot_id", a->boot_id);
    cJSON_AddStringToObject(o, "version", TR_VERSION);
    num(o, "uptime_s", (double)((now - a->started_ms) / 1000));
    cJSON_AddBoolToObject(o, "connected", a->p.connected);
    cJSON_AddBoolToObject(o, "available", a->available);
    cJSON_AddBoolToObject(o, "on_shift", a->on_shift);
    cJSON_AddStringToObject(o, "mode", tr_msg_agent_mode_name(agent_mode(a)));
    num(o, "active_jobs", (double)a->jobs.n_jobs);
    num(o, "pending_offers", (double)a->jobs.n_offers);
    num(o, "seq", (double)a->seq);

    g = cJSON_AddObjectToObject(o, "gps");
    cJSON_AddStringToObject(g, "source", a->gpx ? "replay" : "gpsd");
    cJSON_AddBoolToObject(g, "connected", a->gpx ? !a->replay_done : tr_gpsd_connected(a->gpsd));
    cJSON_AddBoolToObject(g, "fix", a->have_fix);
    num(g, "fixes", (double)a->c.fixes);
    if (a->have_fix) {
        num(g, "mode", a->last_fix.mode);
        num(g, "age_ms", (double)(now - a->last_fix_at));
        num(g, "lat", a->last_fix.lat);
        num(g, "lon", a->last_fix.lon);
        if (a->last_fix.has_speed)
            num(g, "speed", a->last_fix.speed);
        if (a->last_fix.has_acc)
            num(g, "acc", a->last_fix.acc);
    }
    if (a->gpx)
        cJSON_AddBoolToObject(g, "replay_done", a->replay_done);

    /* the reporting in force: the agent's settings, or what the
     * dispatcher's last agent_config made of them */
    const struct tr_policy_mode_params *er = &a->policy.p.mode[TR_MODE_EN_ROUTE];
    x = cJSON_AddObjectToObject(o, "reporting");
    num(x, "threshold_m", er->threshold_m);
    num(x, "max_interval_s", (double)er->max_interval_ms / 1000.0);
    num(x, "heartbeat_s", (double)a->presence_heartbeat_s);
    cJSON_AddStringToObject(x, "source", a->c.configs ? "dispatcher" : "agent");

    x = cJSON_AddObjectToObject(o, "outbox");
    num(x, "events", (double)ob.events);
    num(x, "positions", (double)(ob.positions + ob.buffered));
    num(x, "in_flight", a->p.inflight);
    num(x, "thinned", (double)ob.thinned);
    num(x, "dropped", (double)ob.dropped);

    if (a->jobs.n_offers)
        cJSON_AddItemToObject(o, "offer", offer_json(&a->jobs.offers[0], now));
    for (size_t i = 0; i < a->jobs.n_jobs; i++) {
        if (a->jobs.jobs[i].arrival_suggested) {
            cJSON_AddStringToObject(o, "arrival_suggested", a->jobs.jobs[i].job_id);
            break;
        }
    }

    x = cJSON_AddObjectToObject(o, "counters");
    num(x, "inbox_received", (double)a->bus.st.received);
    num(x, "inbox_accepted", (double)a->bus.st.accepted);
    num(x, "inbox_rejected", (double)a->bus.st.rejected);
    num(x, "inbox_duplicates", (double)a->bus.st.by_err[TR_BUS_ERR_DUPLICATE]);
    num(x, "inbox_errors", (double)a->c.inbox_errors);
    num(x, "offers", (double)a->jobs.st.offers);
    num(x, "offers_duplicate", (double)a->jobs.st.duplicates);
    num(x, "offers_stale", (double)a->jobs.st.stale);
    num(x, "offers_expired", (double)a->jobs.st.expired);
    num(x, "cancellations", (double)a->jobs.st.cancelled);
    num(x, "commands_refused", (double)a->jobs.st.refused);
    num(x, "arrivals", (double)a->jobs.st.arrivals);
    num(x, "control_requests", (double)cs.requests);
    num(x, "control_rejected",
        (double)(cs.bad_json + cs.too_large + cs.bad_request + cs.unknown_command));
    num(x, "control_clients_refused", (double)cs.clients_refused);
    num(x, "control_clients_evicted", (double)cs.clients_evicted);
    num(x, "fixes", (double)a->c.fixes);
    num(x, "reports", (double)a->c.reports);
    num(x, "published", (double)a->p.published);
    num(x, "acked", (double)a->p.acked);
    num(x, "presence_sent", (double)a->c.presence_sent);
    num(x, "configs", (double)a->c.configs);
    num(x, "outbox_errors", (double)(a->c.outbox_errors + a->p.outbox_errors));
    num(x, "requeues", (double)a->p.requeues);
    num(x, "ack_timeouts", (double)a->p.ack_timeouts);
    pthread_mutex_lock(&a->q.mu);
    num(x, "queue_dropped", (double)a->q.dropped);
    pthread_mutex_unlock(&a->q.mu);
    return print(o);
}
