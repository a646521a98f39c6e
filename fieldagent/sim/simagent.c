/*
 * fieldagent/sim/simagent.c: one simulated agent: set-up, the inbox, the
 * GPS side (a real drive replayed, or parked fixes) through arrival
 * detection and the reporting policy into the outbox, and the tech's
 * script (see simagent.h). The MQTT side is in simagent_io.c.
 *
 * The tech's script, one job at a time:
 *   offer pending      -> after think_min..max s: decline "busy" when a job
 *                         is held, else decline with a reason (decline_p),
 *                         else accept;
 *   accepted+assigned  -> en route after 0.3..1.5 s: a drive cut from the
 *                         agent's track (route.h) from here to the site;
 *   arrival suggested  -> on site after 0.5..2 s (the detector fired: the
 *                         drive ended inside the site's radius and dwelt);
 *   on site            -> after work_min..max s / speed: failed with a note
 *                         (fail_p), escalate with a note (escalate_p), or
 *                         completed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/hours.h"
#include "common/ids.h"
#include "common/log.h"
#include "fieldagent/sim/route.h"
#include "fieldagent/sim/simagent_int.h"

#define TICK_MS      1000
#define PARK_FIX_MS  1000
#define MAX_GAP_MS   10000
#define REPLAY_BURST 2000 /* replayed fixes handled per step at most */

static const char *const fail_notes[] = { "customer not home", "needs a replacement part",
                                          "wrong model on site" };
static const char *const escalate_notes[] = { "needs a tier 2 network engineer",
                                              "firmware issue beyond field repair" };

void tr_sim_opts_default(struct tr_sim_opts *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 1883;
    o->keepalive_s = 30;
    o->state_dir = ".";
    o->speed = 60;
    o->decline_p = 0.15;
    o->fail_p = 0.08;
    o->escalate_p = 0.04;
    o->think_min_s = 0.5;
    o->think_max_s = 2.5;
    o->work_min_s = 300;
    o->work_max_s = 1500;
    o->roam_p = 0;
    o->presence_heartbeat_s = 60;
    o->seed = 1;
}

static void shift_update(struct tr_sim_agent *a, int64_t now)
{
    const struct tr_shift *h = a->has_hours ? a->hours : NULL;
    a->on_shift = tr_shift_on(a->tz, h, a->n_hours, now);
    if (tr_shift_next_change(a->tz, h, a->n_hours, now, &a->shift_next_ms) != TR_TZ_OK)
        a->shift_next_ms = INT64_MAX;
}

struct tr_sim_agent *tr_sim_agent_new(const struct tr_sim_member *m, size_t index,
                                      const struct tr_gpx *track, const char *track_name,
                                      const struct tr_sim_opts *o, struct tr_sim_queue *q,
                                      int64_t now, char *err, size_t errlen)
{
    struct tr_sim_agent *a = calloc(1, sizeof *a);
    struct tr_arrival_params ap;
    struct tr_outbox_limits lim;
    char path[1024], why[256];
    int rc;

    if (!a) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    a->m = *m;
    a->index = index;
    a->o = o;
    a->q = q;
    a->track = track;
    a->track_name = track_name;
    a->lat = m->home_lat;
    a->lon = m->home_lon;
    tr_pump_init(&a->p, a->m.id, NULL, a->m.id, 20);
    a->presence_heartbeat_s = o->presence_heartbeat_s;
    a->shift_next_ms = INT64_MAX;
    tr_sim_rng_seed(&a->rng, o->seed * UINT64_C(1000003) + index);
    a->roamer = tr_sim_rng_unit(&a->rng) < o->roam_p;
    if (tr_ids_boot_id(a->boot_id) != TR_IDS_OK) {
        snprintf(err, errlen, "no random boot id");
        goto fail;
    }
    if (tr_bus_init(&a->bus, m->id) != TR_BUS_OK) {
        snprintf(err, errlen, "%s is not an agent id", m->id);
        goto fail;
    }
    a->p.loc_topic = tr_bus_topic(&a->bus, TR_BUS_LOC);
    /* arrival: a minute of dwell in simulated time (3 s at least, real) */
    tr_arrival_params_default(&ap);
    ap.dwell_ms = (int64_t)fmax(3000.0, 60000.0 / o->speed);
    ap.max_speed_mps = 2.0 * fmax(1.0, fmin(o->speed, 20.0));
    tr_jobs_init(&a->jobs, m->id, &ap);
    /* the sim's world runs o->speed times faster (drives, work): the policy
     * follows it, so a drive is reported as it would be at 1x */
    struct tr_policy_params pp;
    tr_policy_params_default(&pp);
    tr_policy_params_time_scale(&pp, o->speed);
    tr_policy_init(&a->policy, &pp);
    if ((rc = tr_tz_load(m->timezone, NULL, &a->tz)) != TR_TZ_OK) {
        snprintf(err, errlen, "timezone %s: %s", m->timezone, tr_tz_strerror(rc));
        goto fail;
    }
    if (tr_hours_parse(m->hours[0] ? m->hours : "always", a->hours, TR_MSG_MAX_SHIFTS, &a->n_hours,
                       &a->has_hours, why, sizeof why) != TR_HOURS_OK) {
        snprintf(err, errlen, "hours: %s", why);
        goto fail;
    }
    shift_update(a, now);
    tr_outbox_limits_default(&lim);
    lim.max_positions = 20000;
    lim.max_bytes = 4 << 20;
    lim.cache_kib = 32;
    snprintf(path, sizeof path, "%s/%s.db", o->state_dir, m->id);
    if (tr_outbox_open(path, &lim, &a->ob, why, sizeof why) != TR_OUTBOX_OK) {
        snprintf(err, errlen, "outbox %s: %s", path, why);
        goto fail;
    }
    a->park_next_ms = now + (int64_t)(tr_sim_rng_unit(&a->rng) * PARK_FIX_MS);
    a->tick_next_ms = now + TICK_MS;
    return a;
fail:
    tr_sim_agent_free(a);
    return NULL;
}

int tr_sim_agent_start(struct tr_sim_agent *a, const char *password)
{
    return sim_mqtt_start(a, password);
}

void tr_sim_agent_free(struct tr_sim_agent *a)
{
    if (!a)
        return;
    tr_mqtt_free(a->mq);
    if (a->ob)
        tr_outbox_close(a->ob);
    tr_tz_free(a->tz);
    tr_gpx_free(a->drive);
    tr_pump_free(&a->p);
    free(a);
}

const char *tr_sim_agent_id(const struct tr_sim_agent *a)
{
    return a->m.id;
}

void tr_sim_agent_get_stats(const struct tr_sim_agent *a, struct tr_sim_agent_stats *out)
{
    struct tr_outbox_stats os;
    *out = a->st;
    out->connected = a->p.connected;
    out->published = a->p.published;
    out->acked = a->p.acked;
    out->outbox_errors += a->p.outbox_errors;
    out->mode = sim_mode(a);
    out->inbox_rejected = a->bus.st.rejected;
    if (tr_outbox_get_stats(a->ob, &os) == TR_OUTBOX_OK) {
        out->outbox_events = os.events;
        out->outbox_positions = os.positions + os.buffered;
    }
}

/* ------------------------------------------------------------ inbox */

void sim_on_inbox(struct tr_sim_agent *a, const char *topic, const char *payload, size_t len,
                  int64_t now)
{
    struct tr_msg m;
    int rc;

    if (tr_bus_inbox(&a->bus, topic, payload, len, &m, NULL) != TR_BUS_OK)
        return; /* logged and counted by the bus */
    switch (m.type) {
    case TR_MSG_OFFER:
        rc = tr_jobs_on_offer(&a->jobs, &m.u.offer, now);
        if (rc == TR_JOBS_OK) {
            a->st.offers++;
            tr_log_info("%s: offer %s for job %s: %.1f km, ETA %d min", a->m.id, m.u.offer.offer_id,
                        m.u.offer.job_id, m.u.offer.distance_m / 1000.0,
                        (m.u.offer.eta_s + 59) / 60);
        } else {
            tr_log_debug("%s: offer %s dropped: %s", a->m.id, m.u.offer.offer_id,
                         tr_jobs_strerror(rc));
        }
        break;
    case TR_MSG_ASSIGNMENT:
        tr_jobs_on_assignment(&a->jobs, &m.u.assignment, now);
        break;
    case TR_MSG_CANCELLATION:
        if (tr_jobs_on_cancellation(&a->jobs, &m.u.cancellation) == TR_JOBS_OK) {
            a->st.cancelled++;
            tr_log_info("%s: job %s cancelled by the dispatcher", a->m.id, m.u.cancellation.job_id);
        }
        break;
    case TR_MSG_AGENT_CONFIG:
        if (tr_policy_apply_config(&a->policy, &m.u.agent_config) == TR_POLICY_OK &&
            m.u.agent_config.has_heartbeat_s)
            a->presence_heartbeat_s = m.u.agent_config.heartbeat_s;
        break;
    case TR_MSG_ERROR:
        a->st.inbox_errors++;
        tr_log_warn("%s: the dispatcher refused our message %s: %s: %s", a->m.id,
                    m.u.error.has_corr ? m.u.error.corr : "-",
                    tr_msg_wire_code_name(m.u.error.code), m.u.error.message);
        break;
    default:
        break;
    }
    tr_msg_free(&m);
}

/* ------------------------------------------------------------ GPS side */

static void put_report(struct tr_sim_agent *a, const struct tr_geo_report *r,
                       const struct tr_fix *raw)
{
    struct tr_fix f = { .t = r->t_ms, .lat = r->lat, .lon = r->lon, .mode = 3 };
    if (tr_policy_reported_already(r->t_ms, a->last_report_t))
        return;
    f.seq = a->seq + 1;
    if (raw->t == r->t_ms && raw->has_acc) {
        f.has_acc = true;
        f.acc = raw->acc;
    }
    tr_policy_report_motion(r, &f);
    if (tr_outbox_put_fix(a->ob, a->boot_id, &f) != TR_OUTBOX_OK) {
        a->st.outbox_errors++;
        return;
    }
    a->seq = f.seq;
    a->p.pump = true;
    a->last_report_t = r->t_ms;
    a->st.reports++;
}

static void on_fix(struct tr_sim_agent *a, const struct tr_fix *fix, int64_t now)
{
    struct tr_geo_report rep;
    a->st.fixes++;
    a->last_fix = *fix;
    a->have_fix = true;
    a->lat = fix->lat;
    a->lon = fix->lon;
    int hit = tr_jobs_on_fix(&a->jobs, fix);
    if (hit >= 0)
        tr_log_debug("%s: arrival suggested at job %s", a->m.id, a->jobs.jobs[hit].job_id);
    if (tr_policy_on_fix(&a->policy, fix, sim_mode(a), now, &rep) != TR_REPORT_NONE)
        put_report(a, &rep, fix);
}

static void stop_driving(struct tr_sim_agent *a)
{
    a->driving = a->roaming = false;
    tr_gpx_free(a->drive);
    a->drive = NULL;
}

static void start_drive(struct tr_sim_agent *a, struct tr_gpx *g, bool roam, int64_t now)
{
    struct tr_gpx_replay_opts ro = { .speedup = roam ? fmin(a->o->speed, 5.0) : a->o->speed,
                                     .max_gap_ms = MAX_GAP_MS,
                                     .loop = roam };
    stop_driving(a);
    a->drive = g;
    tr_gpx_replay_init(&a->replay, g, now, &ro);
    a->driving = !roam;
    a->roaming = roam;
}

/* The GPS: the drive's due fixes, or a parked fix each second. */
static void move(struct tr_sim_agent *a, int64_t now)
{
    struct tr_fix f;
    if (a->drive) {
        for (int k = 0; k < REPLAY_BURST; k++) {
            int r = tr_gpx_replay_next(&a->replay, now, &f);
            if (r == 1) {
                f.has_acc = true;
                f.acc = 5.0;
                on_fix(a, &f, now);
                continue;
            }
            if (r < 0) { /* arrived at the end of the drive: park there */
                stop_driving(a);
                a->park_next_ms = now;
            }
            break;
        }
        if (a->drive)
            return;
    }
    if (now < a->park_next_ms)
        return;
    f = (struct tr_fix){ .t = now, .lat = a->lat, .lon = a->lon, .mode = 3 };
    f.has_acc = f.has_speed = true;
    f.acc = 5.0;
    f.speed = 0.0;
    on_fix(a, &f, now);
    a->park_next_ms = now + PARK_FIX_MS;
}

/* ------------------------------------------------------------ the tech */

static const char *decline_name(enum tr_decline_reason r)
{
    static const char *const names[] = { "too_far", "busy",     "lacks_skill", "off_shift",
                                         "vehicle", "personal", "other" };
    return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "?";
}

static int64_t after(struct tr_sim_agent *a, int64_t now, double lo_s, double hi_s)
{
    return now + (int64_t)(tr_sim_rng_range(&a->rng, lo_s, hi_s) * 1000.0) + 1;
}

static void answer(struct tr_sim_agent *a, int64_t now)
{
    static const enum tr_decline_reason reasons[] = { TR_DECLINE_TOO_FAR, TR_DECLINE_VEHICLE,
                                                      TR_DECLINE_PERSONAL, TR_DECLINE_OTHER };
    struct tr_msg m;
    const struct tr_jobs_offer *o;
    int rc;

    a->answer_at = 0;
    if (a->jobs.n_offers == 0)
        return;
    o = &a->jobs.offers[0];
    char offer_id[TR_MSG_ID_SIZE], job_id[TR_MSG_ID_SIZE];
    snprintf(offer_id, sizeof offer_id, "%s", o->o.offer_id);
    snprintf(job_id, sizeof job_id, "%s", o->o.job_id);
    tr_msg_init(&m, TR_MSG_OFFER_ANSWER);
    struct tr_jobs saved = a->jobs;
    bool accept = a->jobs.n_jobs == 0 && tr_sim_rng_unit(&a->rng) >= a->o->decline_p;
    enum tr_decline_reason why = TR_DECLINE_BUSY;
    if (accept) {
        rc = tr_jobs_accept(&a->jobs, offer_id, now, &m.u.offer_answer);
    } else {
        if (a->jobs.n_jobs == 0)
            why = reasons[tr_sim_rng_next(&a->rng) % (sizeof reasons / sizeof reasons[0])];
        rc = tr_jobs_decline(&a->jobs, offer_id, why,
                             why == TR_DECLINE_OTHER ? "stuck in traffic" : NULL, now,
                             &m.u.offer_answer);
    }
    if (rc != TR_JOBS_OK) {
        tr_log_debug("%s: answer to offer %s refused: %s", a->m.id, offer_id, tr_jobs_strerror(rc));
        return;
    }
    if (sim_store_event(a, &m, now) != 0) {
        a->jobs = saved;
        return;
    }
    if (accept) {
        a->st.accepted++;
        tr_log_info("%s: accepted job %s", a->m.id, job_id);
    } else {
        a->st.declined++;
        tr_log_info("%s: declined job %s (%s)", a->m.id, job_id, decline_name(why));
    }
}

static int job_event(struct tr_sim_agent *a, const char *job_id, enum tr_event_kind ev,
                     const char *note, int64_t now)
{
    struct tr_msg m;
    struct tr_point here = { a->lat, a->lon };
    struct tr_jobs saved = a->jobs;
    tr_msg_init(&m, TR_MSG_JOB_EVENT);
    if (tr_jobs_event(&a->jobs, job_id, ev, note, &here, now, &m.u.job_event) != TR_JOBS_OK)
        return -1;
    if (sim_store_event(a, &m, now) != 0) {
        a->jobs = saved;
        return -1;
    }
    return 0;
}

static void go(struct tr_sim_agent *a, const struct tr_jobs_job *j, int64_t now)
{
    char id[TR_MSG_ID_SIZE];
    snprintf(id, sizeof id, "%s", j->job_id);
    if (job_event(a, id, TR_EVENT_EN_ROUTE, NULL, now) != 0)
        return;
    a->st.en_route++;
    struct tr_gpx *g = NULL;
    size_t start = (size_t)(tr_sim_rng_next(&a->rng) % (a->track->n_points + 1));
    int rc = tr_sim_route_fit(a->track, start, a->lat, a->lon, j->site.lat, j->site.lon, &g);
    if (rc != TR_SIM_ROUTE_OK) {
        tr_log_warn("%s: no drive from %s: %s; teleporting to the site", a->m.id, a->track_name,
                    tr_sim_route_strerror(rc));
        stop_driving(a);
        a->lat = j->site.lat;
        a->lon = j->site.lon;
        return;
    }
    double len_m = 0;
    for (size_t i = 1; i < g->n_points; i++)
        len_m += tr_geo_distance_m(g->points[i - 1].fix.lat, g->points[i - 1].fix.lon,
                                   g->points[i].fix.lat, g->points[i].fix.lon);
    tr_log_info("%s: en route to job %s: %.1f km drive cut from %s", a->m.id, id, len_m / 1000.0,
                a->track_name);
    start_drive(a, g, false, now);
}

static void finish(struct tr_sim_agent *a, const char *job_id, int64_t now)
{
    double u = tr_sim_rng_unit(&a->rng);
    char id[TR_MSG_ID_SIZE];
    snprintf(id, sizeof id, "%s", job_id);
    if (u < a->o->fail_p) {
        const char *note = fail_notes[tr_sim_rng_next(&a->rng) % 3];
        if (job_event(a, id, TR_EVENT_FAILED, note, now) == 0) {
            a->st.failed++;
            tr_log_info("%s: job %s failed: %s", a->m.id, id, note);
        }
    } else if (u < a->o->fail_p + a->o->escalate_p) {
        const char *note = escalate_notes[tr_sim_rng_next(&a->rng) % 2];
        if (job_event(a, id, TR_EVENT_ESCALATE, note, now) == 0) {
            a->st.escalated++;
            tr_log_info("%s: job %s escalated: %s", a->m.id, id, note);
        }
    } else if (job_event(a, id, TR_EVENT_COMPLETED, NULL, now) == 0) {
        a->st.completed++;
        tr_log_info("%s: job %s completed", a->m.id, id);
    }
}

/* The held job's next step, when its time has come (act_at), or schedule it. */
static void script(struct tr_sim_agent *a, int64_t now)
{
    if (a->jobs.n_offers > 0 && !a->answer_at)
        a->answer_at = after(a, now, a->o->think_min_s, a->o->think_max_s);
    if (a->answer_at && now >= a->answer_at)
        answer(a, now);
    if (a->jobs.n_jobs == 0) {
        a->act_at = 0;
        if (a->driving) /* cancelled or released on the way */
            stop_driving(a);
        return;
    }
    const struct tr_jobs_job *j = &a->jobs.jobs[0];
    bool ready = (j->state == TR_JOBS_ACCEPTED && j->assigned) ||
                 (j->state == TR_JOBS_EN_ROUTE && j->arrival_suggested) ||
                 j->state == TR_JOBS_ON_SITE;
    if (!ready) {
        a->act_at = 0;
        return;
    }
    if (!a->act_at) {
        if (j->state == TR_JOBS_ACCEPTED)
            a->act_at = after(a, now, 0.3, 1.5);
        else if (j->state == TR_JOBS_EN_ROUTE)
            a->act_at = after(a, now, 0.5, 2.0);
        else
            a->act_at =
                after(a, now, a->o->work_min_s / a->o->speed, a->o->work_max_s / a->o->speed);
        return;
    }
    if (now < a->act_at)
        return;
    a->act_at = 0;
    if (j->state == TR_JOBS_ACCEPTED) {
        go(a, j, now);
    } else if (j->state == TR_JOBS_EN_ROUTE) {
        char id[TR_MSG_ID_SIZE];
        snprintf(id, sizeof id, "%s", j->job_id);
        if (job_event(a, id, TR_EVENT_ON_SITE, NULL, now) == 0) {
            a->st.on_site++;
            tr_log_info("%s: on site at job %s", a->m.id, id);
        }
        stop_driving(a);
    } else {
        finish(a, j->job_id, now);
    }
}

void tr_sim_agent_step(struct tr_sim_agent *a, int64_t now)
{
    size_t lapsed;
    if (now >= a->shift_next_ms)
        shift_update(a, now);
    if ((lapsed = tr_jobs_expire(&a->jobs, now)) > 0) {
        a->st.expired += lapsed;
        a->answer_at = 0;
    }
    if (!a->p.stopping)
        script(a, now);
    if (a->roamer && !a->drive && a->jobs.n_jobs == 0 && a->jobs.n_offers == 0) {
        struct tr_gpx *g = NULL;
        if (tr_sim_route_shift(a->track, a->lat, a->lon, &g) == TR_SIM_ROUTE_OK)
            start_drive(a, g, true, now);
    } else if (a->roaming && (a->jobs.n_jobs > 0 || a->jobs.n_offers > 0)) {
        stop_driving(a); /* pull over to take the offer */
    }
    move(a, now);
    if (now >= a->tick_next_ms) {
        struct tr_geo_report rep;
        if (a->have_fix && tr_policy_on_tick(&a->policy, now, sim_mode(a), &rep) != TR_REPORT_NONE)
            put_report(a, &rep, &a->last_fix);
        a->tick_next_ms = now + TICK_MS;
    }
    tr_outbox_flush(a->ob, now);
    sim_presence_maybe(a, now);
    sim_pump(a, now);
}

static int64_t min64(int64_t x, int64_t y)
{
    return x < y ? x : y;
}

int64_t tr_sim_agent_wake(const struct tr_sim_agent *a, int64_t now)
{
    int64_t w = min64(now + TICK_MS, a->tick_next_ms);
    w = min64(w, tr_jobs_next_deadline(&a->jobs));
    w = min64(w, a->shift_next_ms);
    if (a->answer_at)
        w = min64(w, a->answer_at);
    if (a->act_at)
        w = min64(w, a->act_at);
    if (a->drive)
        w = min64(w, tr_gpx_replay_due_ms(&a->replay));
    else
        w = min64(w, a->park_next_ms);
    if (a->p.connected && a->presence_dirty)
        w = min64(w, now + 100);
    if (a->p.held && a->p.connected)
        w = min64(w, now + 50);
    if (a->jobs.n_offers > 0 && !a->answer_at)
        w = now;
    return w;
}
