/*
 * common/msg_objects.c: the tables of the contract's shared objects (fix,
 * point, site, window, pay, region, job_spec, job, shift, contractor,
 * contractor_view) and of its enumerations, with their cross-field rules.
 *
 * Does: describe each object for the engine in msg_codec.c.
 * Does not: decode or encode anything itself; the message tables are in
 * msg_agent.c and msg_console.c.
 */
#include <string.h>

#include "common/msg_codec.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *const tr_msgc_priority_names[] = { "low", "normal", "high", "urgent", NULL };
const char *const tr_msgc_travel_mode_names[] = { "car", "motorcycle", "bicycle", "foot", NULL };
const char *const tr_msgc_job_state_names[] = { "new",        "offered",   "accepted", "en_route",
                                                "on_site",    "completed", "failed",   "cancelled",
                                                "unassigned", "released",  NULL };
const char *const tr_msgc_agent_mode_names[] = { "idle",    "offered",   "en_route",
                                                 "on_site", "off_shift", NULL };
const char *const tr_msgc_wire_code_names[] = { "bad_json",  "too_large", "bad_type", "bad_field",
                                                "forbidden", "not_found", "conflict", "unavailable",
                                                "internal",  NULL };

/* ---------- fix ---------- */
#define T struct tr_fix
static const struct tr_msgc_field fix_fields[] = {
    R_I64(T, "seq", seq, 0, TR_SEQ_MAX),
    R_TIME(T, "t", t),
    R_NUM(T, "lat", lat, -90, 90),
    R_NUM(T, "lon", lon, -180, 180),
    R_I32(T, "mode", mode, 2, 3),
    O_NUM(T, "acc", acc, has_acc, 0, 100000),
    O_NUM(T, "speed", speed, has_speed, 0, 150),
    TR_FNUM(T, TR_K_NUM, "heading", heading, TR_F_XMAX, TR_OFF(T, has_heading), 0, 360, 0),
};
#undef T
const struct tr_msgc_obj tr_msgd_fix = { "fix", fix_fields, COUNT(fix_fields), NULL };

/* ---------- point ---------- */
#define T struct tr_point
static const struct tr_msgc_field point_fields[] = {
    R_NUM(T, "lat", lat, -90, 90),
    R_NUM(T, "lon", lon, -180, 180),
};
#undef T
const struct tr_msgc_obj tr_msgd_point = { "point", point_fields, COUNT(point_fields), NULL };

/* ---------- site ---------- */
#define T struct tr_site
static const struct tr_msgc_field site_fields[] = {
    R_NUM(T, "lat", lat, -90, 90),
    R_NUM(T, "lon", lon, -180, 180),
    O_STR(T, "address", address, has_address, 0, 200, TR_P_ANY),
    D_I32(T, "radius_m", radius_m, has_radius_m, 10, 5000, 100),
};
#undef T
const struct tr_msgc_obj tr_msgd_site = { "site", site_fields, COUNT(site_fields), NULL };

/* ---------- window ---------- */
static int window_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_window *w = obj;
    if (w->end <= w->start)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, "end", "must be after start");
    return TR_MSG_OK;
}

#define T struct tr_window
static const struct tr_msgc_field window_fields[] = {
    R_TIME(T, "start", start),
    R_TIME(T, "end", end),
};
#undef T
const struct tr_msgc_obj tr_msgd_window = { "window", window_fields, COUNT(window_fields),
                                            window_check };

/* ---------- pay ---------- */
#define T struct tr_pay
static const struct tr_msgc_field pay_fields[] = {
    R_STR(T, "currency", currency, 3, 3, TR_P_CURRENCY),
    O_I64(T, "per_hour_cents", per_hour_cents, has_per_hour_cents, 0, 100000000),
    O_I64(T, "per_incident_cents", per_incident_cents, has_per_incident_cents, 0, 100000000),
};
#undef T
const struct tr_msgc_obj tr_msgd_pay = { "pay", pay_fields, COUNT(pay_fields), NULL };

/* ---------- region ---------- */
#define T struct tr_region
static const struct tr_msgc_field region_fields[] = {
    O_STR(T, "country", country, has_country, 2, 2, TR_P_UPPER2),
    O_STR(T, "state", state, has_state, 2, 2, TR_P_UPPER2),
    O_STR(T, "state_fips", state_fips, has_state_fips, 2, 2, TR_P_DIGITS2),
    O_STR(T, "county_fips", county_fips, has_county_fips, 5, 5, TR_P_DIGITS5),
    O_STR(T, "county", county, has_county, 0, 100, TR_P_ANY),
};
#undef T
const struct tr_msgc_obj tr_msgd_region = { "region", region_fields, COUNT(region_fields), NULL };

/* ---------- job_spec (also flattened into job and job.create args) ---------- */
/* P: the path from T to the struct tr_job_spec, with a trailing '.', or empty */
#define JOB_SPEC_FIELDS(T, P)                                                                      \
    R_STR(T, "title", P title, 1, 120, TR_P_ANY),                                                  \
        O_STR(T, "description", P description, P has_description, 0, 1000, TR_P_ANY),              \
        TR_FSTRS(T, "skills", P skills, P n_skills, TR_F_REQ, TR_NOHAS, 1, 1, 32, TR_P_SKILL),     \
        O_STR(T, "language", P language, P has_language, 2, 30, TR_P_LANG),                        \
        D_ENUM(T, "priority", P priority, P has_priority, tr_msgc_priority_names,                  \
               TR_PRIORITY_NORMAL),                                                                \
        D_I32(T, "tier", P tier, P has_tier, 1, 5, 1),                                             \
        O_OBJ(T, "window", P window, P has_window, &tr_msgd_window),                               \
        O_OBJ(T, "pay", P pay, P has_pay, &tr_msgd_pay)

#define T struct tr_job_spec
static const struct tr_msgc_field job_spec_fields[] = { JOB_SPEC_FIELDS(T, ) };
#undef T
const struct tr_msgc_obj tr_msgd_job_spec = { "job_spec", job_spec_fields, COUNT(job_spec_fields),
                                              NULL };

/* ---------- job ---------- */
#define T struct tr_job_offer
static const struct tr_msgc_field job_offer_fields[] = {
    R_ID(T, "offer_id", offer_id),
    R_AGENT(T, "agent_id", agent_id),
    R_TIME(T, "deadline", deadline),
};
#undef T
const struct tr_msgc_obj tr_msgd_job_offer = { "job_offer", job_offer_fields,
                                               COUNT(job_offer_fields), NULL };

#define T struct tr_job
static const struct tr_msgc_field job_fields[] = {
    JOB_SPEC_FIELDS(T, spec.),
    R_ID(T, "job_id", job_id),
    R_ENUM(T, "state", state, tr_msgc_job_state_names),
    R_OBJ(T, "site", site, &tr_msgd_site),
    O_OBJ(T, "region", region, has_region, &tr_msgd_region),
    R_TIME(T, "created", created),
    R_TIME(T, "updated", updated),
    O_STR(T, "assignee", assignee, has_assignee, 1, 64, TR_P_AGENT_ID),
    O_OBJ(T, "offer", offer, has_offer, &tr_msgd_job_offer),
    R_I32(T, "attempts", attempts, 0, 10000),
    O_STR(T, "reason", reason, has_reason, 0, 200, TR_P_ANY),
};
#undef T
const struct tr_msgc_obj tr_msgd_job = { "job", job_fields, COUNT(job_fields), NULL };

/* ---------- shift ---------- */
static int shift_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_shift *s = obj;
    if (strcmp(s->end, "00:00") != 0 && strcmp(s->start, s->end) >= 0)
        return tr_msgc_fail(err, TR_MSG_ERR_BAD_FIELD, at, "end",
                            "must be after start (or 00:00 for midnight)");
    return TR_MSG_OK;
}

#define T struct tr_shift
static const struct tr_msgc_field shift_fields[] = {
    R_I32(T, "day", day, 1, 7),
    R_STR(T, "start", start, 5, 5, TR_P_HHMM),
    R_STR(T, "end", end, 5, 5, TR_P_HHMM),
};
#undef T
const struct tr_msgc_obj tr_msgd_shift = { "shift", shift_fields, COUNT(shift_fields),
                                           shift_check };

/* ---------- contractor ---------- */
#define CONTRACTOR_FIELDS(T, P)                                                                    \
    R_AGENT(T, "contractor_id", P contractor_id), R_STR(T, "name", P name, 1, 100, TR_P_ANY),      \
        TR_FSTRS(T, "skills", P skills, P n_skills, TR_F_REQ, TR_NOHAS, 1, 1, 32, TR_P_SKILL),     \
        TR_FSTRS(T, "languages", P languages, P n_languages, TR_F_REQ, TR_NOHAS, 1, 2, 30,         \
                 TR_P_LANG),                                                                       \
        CONTRACTOR_OPT_FIELDS(T, P, TR_F_DEF), R_STR(T, "timezone", P timezone, 1, 92, TR_P_TZ),   \
        CONTRACTOR_OPT2_FIELDS(T, P, TR_F_DEF)

/* the optional keys, shared with contractor.update (which fills no defaults) */
#define CONTRACTOR_OPT_FIELDS(T, P, DEF)                                                           \
    TR_FNUM(T, TR_K_I32, "tier", P tier, DEF, TR_OFF(T, P has_tier), 1, 5, 1),                     \
        TR_FENUM(T, "travel_mode", P travel_mode, DEF, TR_OFF(T, P has_travel_mode),               \
                 tr_msgc_travel_mode_names, 0, TR_TRAVEL_CAR),                                     \
        TR_FNUM(T, TR_K_NUM, "radius_km", P radius_km, DEF, TR_OFF(T, P has_radius_km), 1, 500,    \
                50),                                                                               \
        TR_FNUM(T, TR_K_I32, "job_limit", P job_limit, DEF, TR_OFF(T, P has_job_limit), 1, 20, 1)

#define CONTRACTOR_OPT2_FIELDS(T, P, DEF)                                                          \
    TR_FOBJS(T, "hours", P hours, P n_hours, 0, TR_OFF(T, P has_hours), 0, &tr_msgd_shift),        \
        O_OBJ(T, "pay", P pay, P has_pay, &tr_msgd_pay),                                           \
        O_OBJ(T, "home", P home, P has_home, &tr_msgd_point),                                      \
        TR_FNUM(T, TR_K_BOOL, "active", P active, DEF, TR_OFF(T, P has_active), 0, 1, 1)

#define T struct tr_contractor
static const struct tr_msgc_field contractor_fields[] = { CONTRACTOR_FIELDS(T, ) };
#undef T
const struct tr_msgc_obj tr_msgd_contractor = { "contractor", contractor_fields,
                                                COUNT(contractor_fields), NULL };

/* ---------- contractor_view ---------- */
static int view_check(const void *obj, const struct tr_msgc_path *at, struct tr_msg_error *err)
{
    const struct tr_contractor_view *v = obj;
    if (v->has_lat != v->has_lon)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, at, v->has_lat ? "lon" : "lat",
                            "lat and lon go together");
    return TR_MSG_OK;
}

#define T struct tr_contractor_view
static const struct tr_msgc_field view_fields[] = {
    CONTRACTOR_FIELDS(T, c.),
    O_BOOL(T, "online", online, has_online),
    O_BOOL(T, "available", available, has_available),
    O_NUM(T, "lat", lat, has_lat, -90, 90),
    O_NUM(T, "lon", lon, has_lon, -180, 180),
    O_TIME(T, "last_seen", last_seen, has_last_seen),
    O_I32(T, "active_jobs", active_jobs, has_active_jobs, 0, 100),
    O_OBJ(T, "region", region, has_region, &tr_msgd_region),
    O_NUM(T, "distance_m", distance_m, has_distance_m, 0, 20040000),
};
#undef T
const struct tr_msgc_obj tr_msgd_contractor_view = { "contractor_view", view_fields,
                                                     COUNT(view_fields), view_check };

/* ---------- contractor.update args (all keys but contractor_id optional) ---------- */
#define T struct tr_req_contractor_update
static const struct tr_msgc_field contractor_update_fields[] = {
    R_AGENT(T, "contractor_id", c.contractor_id),
    O_STR(T, "name", c.name, has_name, 1, 100, TR_P_ANY),
    TR_FSTRS(T, "skills", c.skills, c.n_skills, 0, TR_OFF(T, has_skills), 1, 1, 32, TR_P_SKILL),
    TR_FSTRS(T, "languages", c.languages, c.n_languages, 0, TR_OFF(T, has_languages), 1, 2, 30,
             TR_P_LANG),
    CONTRACTOR_OPT_FIELDS(T, c., 0),
    O_STR(T, "timezone", c.timezone, has_timezone, 1, 92, TR_P_TZ),
    CONTRACTOR_OPT2_FIELDS(T, c., 0),
};
#undef T
const struct tr_msgc_obj tr_msgd_contractor_update = { "contractor.update args",
                                                       contractor_update_fields,
                                                       COUNT(contractor_update_fields), NULL };

/* ---------- job.create args: job_spec keys + exactly one of site / region ---------- */
static int job_create_check(const void *obj, const struct tr_msgc_path *at,
                            struct tr_msg_error *err)
{
    const struct tr_req_job_create *a = obj;
    if (a->has_site == a->has_region)
        return tr_msgc_fail(err, a->has_site ? TR_MSG_ERR_BAD_FIELD : TR_MSG_ERR_MISSING, at,
                            "site", "exactly one of site or region");
    if (!a->has_region)
        return TR_MSG_OK;
    const struct tr_region *r = &a->region;
    struct tr_msgc_path here = { .up = at, .key = "region" };
    if (!r->has_country)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, &here, "country", "missing");
    if (r->has_state_fips != r->has_county_fips)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, &here,
                            r->has_state_fips ? "county_fips" : "state_fips",
                            "state_fips and county_fips go together");
    if (r->has_state != r->has_county)
        return tr_msgc_fail(err, TR_MSG_ERR_MISSING, &here, r->has_state ? "county" : "state",
                            "state and county go together");
    return TR_MSG_OK;
}

#define T struct tr_req_job_create
static const struct tr_msgc_field job_create_fields[] = {
    JOB_SPEC_FIELDS(T, spec.),
    O_OBJ(T, "site", site, has_site, &tr_msgd_site),
    O_OBJ(T, "region", region, has_region, &tr_msgd_region),
    O_NUM(T, "max_radius_km", max_radius_km, has_max_radius_km, 1, 1000),
};
#undef T
const struct tr_msgc_obj tr_msgd_job_create_args = { "job.create args", job_create_fields,
                                                     COUNT(job_create_fields), job_create_check };
