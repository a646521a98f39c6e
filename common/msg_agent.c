/*
 * common/msg_agent.c: the tables of the messages between agent and
 * dispatcher (presence, loc, offer, offer_answer, job_event, assignment,
 * cancellation, agent_config, job_status, error) and their cross-field
 * rules. Offsets are into struct tr_msg.
 *
 * Does: describe each message for the engine in msg_codec.c.
 * Does not: check that agent_id equals the topic's (the bus does that).
 */
#include "common/msg_codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define T        struct tr_msg
#define MSG(name, fields, check)                                                                   \
    static const struct tr_msgc_obj name = { #name, fields, COUNT(fields), check }

static const char *const presence_reasons[] = { "will", "shutdown", NULL };
static const char *const answers[] = { "accept", "decline", NULL };
static const char *const decline_reasons[] = { "too_far", "busy",     "lacks_skill", "off_shift",
                                               "vehicle", "personal", "other",       NULL };
static const char *const events[] = { "en_route", "on_site", "completed", "failed",
                                      "escalate", "release", NULL };
static const char *const cancel_reasons[] = { "cancelled", "offer_expired", "reassigned", "closed",
                                              NULL };

/* ---------- presence ---------- */
static int presence_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_presence *p = &((const struct tr_msg *)obj)->u.presence;
    if (p->online) {
        const char *miss = !p->has_available     ? "available"
                           : !p->has_on_shift    ? "on_shift"
                           : !p->has_mode        ? "mode"
                           : !p->has_active_jobs ? "active_jobs"
                                                 : NULL;
        if (miss)
            return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, miss, "required when online");
        if (p->has_reason)
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, "reason", "only when offline");
    }
    return TR_MSG_OK;
}

static const struct tr_msgc_field presence_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.presence.agent_id),
    R_ID(T, "boot_id", u.presence.boot_id),
    R_BOOL(T, "online", u.presence.online),
    O_BOOL(T, "available", u.presence.available, u.presence.has_available),
    O_BOOL(T, "on_shift", u.presence.on_shift, u.presence.has_on_shift),
    O_ENUM(T, "mode", u.presence.mode, u.presence.has_mode, tr_msgc_agent_mode_names),
    O_I32(T, "active_jobs", u.presence.active_jobs, u.presence.has_active_jobs, 0, 100),
    O_ENUM(T, "reason", u.presence.reason, u.presence.has_reason, presence_reasons),
    O_STR(T, "version", u.presence.version, u.presence.has_version, 0, 32, TR_P_ANY),
};
MSG(presence, presence_fields, presence_check);

/* ---------- loc ---------- */
static int loc_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_loc *l = &((const struct tr_msg *)obj)->u.loc;
    struct tr_msgc_path here = { .up = at, .key = "fixes" };
    for (size_t i = 1; i < l->n_fixes; i++) {
        if (l->fixes[i].seq <= l->fixes[i - 1].seq) {
            struct tr_msgc_path el = { .up = &here, .key = NULL, .idx = i };
            return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, &el, "seq",
                                "must be greater than the previous fix's");
        }
    }
    return TR_MSG_OK;
}

static const struct tr_msgc_field loc_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.loc.agent_id),
    R_ID(T, "boot_id", u.loc.boot_id),
    TR_FOBJS(T, "fixes", u.loc.fixes, u.loc.n_fixes, TR_F_REQ, TR_NOHAS, 1, &tr_msgd_fix),
};
MSG(loc, loc_fields, loc_check);

/* ---------- offer ---------- */
static const struct tr_msgc_field offer_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.offer.agent_id),
    R_ID(T, "offer_id", u.offer.offer_id),
    R_ID(T, "job_id", u.offer.job_id),
    R_OBJ(T, "job", u.offer.job, &tr_msgd_job_spec),
    R_OBJ(T, "site", u.offer.site, &tr_msgd_site),
    R_NUM(T, "distance_m", u.offer.distance_m, 0, 20040000),
    R_I32(T, "eta_s", u.offer.eta_s, 0, 604800),
    R_TIME(T, "deadline", u.offer.deadline),
};
MSG(offer, offer_fields, NULL);

/* ---------- offer_answer ---------- */
static int answer_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_offer_answer *a = &((const struct tr_msg *)obj)->u.offer_answer;
    if (a->answer == TR_ANSWER_DECLINE && !a->has_reason)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, "reason", "required when declining");
    return TR_MSG_OK;
}

static const struct tr_msgc_field answer_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.offer_answer.agent_id),
    R_ID(T, "offer_id", u.offer_answer.offer_id),
    R_ID(T, "job_id", u.offer_answer.job_id),
    R_ENUM(T, "answer", u.offer_answer.answer, answers),
    O_ENUM(T, "reason", u.offer_answer.reason, u.offer_answer.has_reason, decline_reasons),
    O_STR(T, "note", u.offer_answer.note, u.offer_answer.has_note, 0, 200, TR_P_ANY),
};
MSG(offer_answer, answer_fields, answer_check);

/* ---------- job_event ---------- */
static int event_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_job_event *e = &((const struct tr_msg *)obj)->u.job_event;
    if ((e->event == TR_EVENT_FAILED || e->event == TR_EVENT_ESCALATE) && !e->has_note)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, "note",
                            "required for failed and escalate");
    if (e->has_lat != e->has_lon)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, e->has_lat ? "lon" : "lat",
                            "lat and lon go together");
    return TR_MSG_OK;
}

static const struct tr_msgc_field event_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.job_event.agent_id),
    R_ID(T, "job_id", u.job_event.job_id),
    R_ENUM(T, "event", u.job_event.event, events),
    O_STR(T, "note", u.job_event.note, u.job_event.has_note, 0, 500, TR_P_ANY),
    O_NUM(T, "lat", u.job_event.lat, u.job_event.has_lat, -90, 90),
    O_NUM(T, "lon", u.job_event.lon, u.job_event.has_lon, -180, 180),
};
MSG(job_event, event_fields, event_check);

/* ---------- assignment ---------- */
static const struct tr_msgc_field assignment_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.assignment.agent_id),
    R_ID(T, "offer_id", u.assignment.offer_id),
    R_ID(T, "job_id", u.assignment.job_id),
    R_OBJ(T, "job", u.assignment.job, &tr_msgd_job_spec),
    R_OBJ(T, "site", u.assignment.site, &tr_msgd_site),
};
MSG(assignment, assignment_fields, NULL);

/* ---------- cancellation ---------- */
static const struct tr_msgc_field cancellation_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.cancellation.agent_id),
    R_ID(T, "job_id", u.cancellation.job_id),
    O_STR(T, "offer_id", u.cancellation.offer_id, u.cancellation.has_offer_id, 1, 64, TR_P_MSGID),
    R_ENUM(T, "reason", u.cancellation.reason, cancel_reasons),
    O_STR(T, "note", u.cancellation.note, u.cancellation.has_note, 0, 200, TR_P_ANY),
};
MSG(cancellation, cancellation_fields, NULL);

/* ---------- agent_config ---------- */
static int config_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_agent_config *c = &((const struct tr_msg *)obj)->u.agent_config;
    if (!c->has_threshold_m && !c->has_max_interval_s && !c->has_heartbeat_s)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, "threshold_m",
                            "at least one of threshold_m, max_interval_s, heartbeat_s");
    return TR_MSG_OK;
}

static const struct tr_msgc_field config_fields[] = {
    TR_ENVELOPE,
    R_AGENT(T, "agent_id", u.agent_config.agent_id),
    O_NUM(T, "threshold_m", u.agent_config.threshold_m, u.agent_config.has_threshold_m, 5, 2000),
    O_I32(T, "max_interval_s", u.agent_config.max_interval_s, u.agent_config.has_max_interval_s, 5,
          3600),
    O_I32(T, "heartbeat_s", u.agent_config.heartbeat_s, u.agent_config.has_heartbeat_s, 30, 3600),
};
MSG(agent_config, config_fields, config_check);

/* ---------- job_status ---------- */
static const struct tr_msgc_field job_status_fields[] = {
    TR_ENVELOPE,
    R_OBJ(T, "job", u.job_status.job, &tr_msgd_job),
};
MSG(job_status, job_status_fields, NULL);

/* ---------- error ---------- */
static const struct tr_msgc_field error_fields[] = {
    TR_ENVELOPE,
    O_STR(T, "corr", u.error.corr, u.error.has_corr, 1, 64, TR_P_MSGID),
    R_ENUM(T, "code", u.error.code, tr_msgc_wire_code_names),
    O_STR(T, "field", u.error.field, u.error.has_field, 0, 128, TR_P_ANY),
    R_STR(T, "message", u.error.message, 1, 300, TR_P_ANY),
};
MSG(error, error_fields, NULL);

const struct tr_msgc_obj *tr_msgc_agent_desc(enum tr_msg_type type)
{
    switch (type) {
    case TR_MSG_PRESENCE:
        return &presence;
    case TR_MSG_LOC:
        return &loc;
    case TR_MSG_OFFER:
        return &offer;
    case TR_MSG_OFFER_ANSWER:
        return &offer_answer;
    case TR_MSG_JOB_EVENT:
        return &job_event;
    case TR_MSG_ASSIGNMENT:
        return &assignment;
    case TR_MSG_CANCELLATION:
        return &cancellation;
    case TR_MSG_AGENT_CONFIG:
        return &agent_config;
    case TR_MSG_JOB_STATUS:
        return &job_status;
    case TR_MSG_ERROR:
        return &error;
    default:
        return tr_msgc_fleet_desc(type); /* dispatcher -> map feed (msg_fleet.c), or NULL */
    }
}
