/*
 * dispatcher/core/contractors.c: the engine's contractor table and the
 * availability rules.
 *
 * What it does: profiles (skills through a name -> bit dictionary of 64,
 * languages interned to small ids), presence, fixes (validated and counted
 * when rejected), the shell's on-shift flag, jobs today; keeps the fleet
 * index's eligible flag equal to "available now" and a census index of every
 * active contractor with a fix (for the reasons of reason.c); one timer per
 * contractor for the next moment availability can change by time alone
 * (presence or fix going stale, release of a silent assignee, carrying a
 * moving contractor's position forward). Every update is O(1) plus the
 * index's own cost.
 *
 * What it does not do: match, offer or touch jobs (cascade.c does, called
 * from here when an agent goes offline or silent).
 */
#include "dispatcher/core/engine_int.h"

#include "common/geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

uint32_t eng_con_find(const struct tr_engine *eng, const char *id)
{
    if (!id)
        return ENG_NONE;
    return tr_idmap_get(&eng->con_map, id);
}

double eng_speed_mps(const struct tr_engine *eng, unsigned travel_mode)
{
    if (travel_mode > TR_TRAVEL_FOOT)
        travel_mode = TR_TRAVEL_CAR;
    return eng->p.speed_kmh[travel_mode] / 3.6;
}

const char *eng_skill_name(const struct tr_engine *eng, unsigned bit)
{
    return bit < eng->n_skill ? eng->skill[bit] : "?";
}

/* ---------------------------------------------------------- dictionaries */

static uint32_t skill_bit(const struct tr_engine *eng, const char *name)
{
    return tr_idmap_get(&eng->skill_map, name);
}

int eng_lang_intern(struct tr_engine *eng, const char *tag, uint16_t *out)
{
    uint32_t id = tr_idmap_get(&eng->lang_map, tag);
    if (id != ENG_NONE) {
        *out = (uint16_t)id;
        return TR_ENGINE_OK;
    }
    if (eng->n_lang >= UINT16_MAX)
        return TR_ENGINE_EFULL;
    if (eng->n_lang == eng->cap_lang) {
        uint32_t cap = eng->cap_lang ? eng->cap_lang * 2 : 64;
        char(*l)[TR_MSG_LANG_SIZE] = realloc(eng->lang, cap * sizeof(*l));
        if (!l)
            return TR_ENGINE_ENOMEM;
        eng->lang = l;
        eng->cap_lang = cap;
    }
    if (tr_idmap_reserve(&eng->lang_map, 1) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    eng_copy(eng->lang[eng->n_lang], TR_MSG_LANG_SIZE, tag);
    tr_idmap_put(&eng->lang_map, tag, eng->n_lang);
    *out = (uint16_t)eng->n_lang++;
    return TR_ENGINE_OK;
}

/* ---------------------------------------------------------- availability */

void eng_fleet_changed(struct tr_engine *eng, uint64_t skills)
{
    eng->epoch++;
    for (uint64_t m = skills; m; m &= m - 1)
        eng->skill_epoch[__builtin_ctzll(m)] = eng->epoch;
}

static bool presence_fresh(const struct tr_engine *eng, const struct eng_con *c, int64_t now)
{
    return c->online && now - c->last_seen <= eng->p.presence_fresh_ms;
}

static bool fix_fresh(const struct tr_engine *eng, const struct eng_con *c, int64_t now)
{
    return c->has_fix && now - c->fix_t <= eng->p.fix_fresh_ms &&
           c->fix_t <= now + eng->p.max_future_skew_ms;
}

enum tr_engine_unavail eng_con_unavail(const struct tr_engine *eng, const struct eng_con *c,
                                       int64_t now)
{
    if (!c->active)
        return TR_ENGINE_UNAVAIL_RETIRED;
    if (!presence_fresh(eng, c, now))
        return TR_ENGINE_UNAVAIL_OFFLINE;
    if (!fix_fresh(eng, c, now))
        return TR_ENGINE_UNAVAIL_NO_FIX;
    if (!c->on_shift)
        return TR_ENGINE_UNAVAIL_OFF_SHIFT;
    if (!c->self_available)
        return TR_ENGINE_UNAVAIL_SELF;
    if ((int)c->offers + (int)c->assigned >= (int)c->job_limit)
        return TR_ENGINE_UNAVAIL_BUSY;
    return TR_ENGINE_AVAILABLE;
}

static bool moving(const struct eng_con *c)
{
    return (c->motion & (TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING)) ==
               (TR_GEO_HAS_SPEED | TR_GEO_HAS_HEADING) &&
           c->speed_mps >= TR_GEO_PREDICT_MIN_SPEED_MPS;
}

/* Accepted / en_route jobs: what a silent agent can lose. */
static bool holds_droppable(const struct tr_engine *eng, const struct eng_con *c)
{
    if (c->assigned == 0)
        return false;
    for (uint32_t ji = c->first_job; ji != ENG_NONE; ji = eng->job[ji].con_next) {
        enum tr_job_state s = eng->job[ji].state;
        if (s == TR_JOB_ACCEPTED || s == TR_JOB_EN_ROUTE)
            return true;
    }
    return false;
}

static void arm_timer(struct tr_engine *eng, uint32_t ci)
{
    const struct eng_con *c = &eng->con[ci];
    int64_t now = eng->now, next = INT64_MAX;
    if (presence_fresh(eng, c, now))
        next = c->last_seen + eng->p.presence_fresh_ms + 1;
    if (fix_fresh(eng, c, now) && c->fix_t + eng->p.fix_fresh_ms + 1 < next)
        next = c->fix_t + eng->p.fix_fresh_ms + 1;
    if (holds_droppable(eng, c) && c->last_seen + eng->p.release_after_ms + 1 < next)
        next = c->last_seen + eng->p.release_after_ms + 1;
    if (c->eligible && eng->p.predict_refresh_ms >= 0 && moving(c) &&
        (double)(now - c->fix_t) < eng->p.predict_horizon_s * 1000.0 &&
        now + eng->p.predict_refresh_ms < next)
        next = now + (eng->p.predict_refresh_ms > 0 ? eng->p.predict_refresh_ms : 1);
    if (next == INT64_MAX)
        tr_wheel_disarm(&eng->con_wheel, ci);
    else
        tr_wheel_arm(&eng->con_wheel, ci, next);
}

void eng_con_refresh(struct tr_engine *eng, uint32_t ci)
{
    struct eng_con *c = &eng->con[ci];
    bool avail = c->has_fix && eng_con_unavail(eng, c, eng->now) == TR_ENGINE_AVAILABLE;
    if (avail != c->eligible) {
        /* the fleet holds an entry exactly when has_fix */
        (void)tr_fleet_set_eligible(eng->fleet, ci, avail);
        c->eligible = avail;
        if (avail) {
            eng_fleet_changed(eng, c->skills);
            c->moved_lat = c->lat;
            c->moved_lon = c->lon;
        }
    }
    arm_timer(eng, ci);
}

static int32_t day_of(int64_t now, int32_t off_s)
{
    int64_t t = now + (int64_t)off_s * 1000;
    int64_t d = t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
    return (int32_t)d;
}

int eng_con_jobs_today(const struct tr_engine *eng, const struct eng_con *c, int64_t now)
{
    (void)eng;
    return c->day == day_of(now, c->utc_offset_s) ? c->jobs_today : 0;
}

void eng_con_count_accept(struct tr_engine *eng, uint32_t ci)
{
    eng_con_count_accept_at(eng, ci, eng->now);
}

void eng_con_count_accept_at(struct tr_engine *eng, uint32_t ci, int64_t t)
{
    struct eng_con *c = &eng->con[ci];
    int32_t d = day_of(eng->now, c->utc_offset_s);
    if (day_of(t, c->utc_offset_s) != d)
        return; /* another local day: not today's */
    if (c->day != d) {
        c->day = d;
        c->jobs_today = 0;
    }
    if (c->jobs_today < UINT16_MAX)
        c->jobs_today++;
}

void eng_con_timer(struct tr_engine *eng, uint32_t ci)
{
    struct eng_con *c = &eng->con[ci];
    int64_t now = eng->now;
    if (holds_droppable(eng, c) && now - c->last_seen > eng->p.release_after_ms)
        (void)eng_vanish(eng, ci);
    if (c->offers > 0 && !presence_fresh(eng, c, now))
        (void)eng_withdraw_offers(eng, ci, "went offline");
    if (c->eligible && moving(c) && c->has_fix) {
        struct tr_geo_report r = { .lat = c->lat,
                                   .lon = c->lon,
                                   .speed_mps = c->speed_mps,
                                   .heading_deg = c->heading_deg,
                                   .t_ms = c->fix_t,
                                   .has = c->motion };
        double lat, lon;
        tr_geo_predict(&r, now, eng->p.predict_horizon_s, &lat, &lon);
        if (tr_geo_valid(lat, lon) && tr_fleet_move(eng->fleet, ci, lat, lon) == TR_FLEET_OK &&
            tr_geo_fast_distance_m(lat, lon, c->moved_lat, c->moved_lon) > ENG_MOVE_CHANGE_M) {
            eng_fleet_changed(eng, c->skills);
            c->moved_lat = lat;
            c->moved_lon = lon;
        }
    }
    eng_con_refresh(eng, ci);
}

/* ---------------------------------------------------------- profile */

const char *eng_con_key(const void *ctx, uint32_t v)
{
    const struct tr_engine *eng = ctx;
    return eng->con[v].id;
}

static bool valid_profile(const struct tr_contractor *c)
{
    if (!tr_msg_valid_agent_id(c->contractor_id))
        return false;
    if (c->n_skills < 1 || c->n_skills > TR_MSG_MAX_SKILLS)
        return false;
    for (size_t i = 0; i < c->n_skills; i++)
        if (!tr_msg_valid_skill(c->skills[i]))
            return false;
    if (c->n_languages < 1 || c->n_languages > TR_MSG_MAX_LANGS)
        return false;
    for (size_t i = 0; i < c->n_languages; i++)
        if (!tr_msg_valid_lang(c->languages[i]))
            return false;
    if (c->has_tier && (c->tier < 1 || c->tier > 5))
        return false;
    if (c->has_travel_mode && (unsigned)c->travel_mode > TR_TRAVEL_FOOT)
        return false;
    if (c->has_radius_km && !(c->radius_km >= 1.0 && c->radius_km <= 500.0))
        return false;
    if (c->has_job_limit && (c->job_limit < 1 || c->job_limit > 20))
        return false;
    return true;
}

static struct tr_fleet_entry fleet_entry(const struct eng_con *c, uint32_t ci, bool eligible)
{
    struct tr_fleet_entry e = { .lat = c->lat,
                                .lon = c->lon,
                                .skills = c->skills,
                                .eligible = eligible,
                                .radius_m = c->radius_m,
                                .tier = c->tier,
                                .id = ci };
    return e;
}

/* Put the contractor's record into both indexes (after a profile change or
 * the first fix). */
static int index_put(struct tr_engine *eng, uint32_t ci)
{
    struct eng_con *c = &eng->con[ci];
    if (!c->has_fix)
        return TR_ENGINE_OK;
    struct tr_fleet_entry e = fleet_entry(c, ci, c->eligible);
    if (tr_fleet_upsert(eng->fleet, ci, &e) != TR_FLEET_OK)
        return TR_ENGINE_ENOMEM;
    e.eligible = c->active;
    if (tr_fleet_upsert(eng->census, ci, &e) != TR_FLEET_OK)
        return TR_ENGINE_ENOMEM;
    c->in_census = c->active;
    return TR_ENGINE_OK;
}

int tr_engine_contractor_upsert(struct tr_engine *eng, const struct tr_contractor *in,
                                int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!in || !valid_profile(in))
        return TR_ENGINE_EINVAL;

    /* everything that can fail, before any change */
    unsigned new_skills = 0;
    char fresh[TR_MSG_MAX_SKILLS][TR_MSG_SKILL_SIZE];
    for (size_t i = 0; i < in->n_skills; i++) {
        if (skill_bit(eng, in->skills[i]) != ENG_NONE)
            continue;
        bool dup = false;
        for (unsigned k = 0; k < new_skills; k++)
            dup = dup || strcmp(fresh[k], in->skills[i]) == 0;
        if (!dup)
            eng_copy(fresh[new_skills++], TR_MSG_SKILL_SIZE, in->skills[i]);
    }
    if (eng->n_skill + new_skills > 64)
        return TR_ENGINE_ESKILLS;
    uint32_t ci = eng_con_find(eng, in->contractor_id);
    if (ci == ENG_NONE) {
        if (eng->n_con >= eng->p.capacity)
            return TR_ENGINE_EFULL;
        if (tr_idmap_reserve(&eng->con_map, 1) != TR_ENGINE_OK)
            return TR_ENGINE_ENOMEM;
    }
    if (tr_idmap_reserve(&eng->skill_map, new_skills) != TR_ENGINE_OK)
        return TR_ENGINE_ENOMEM;
    uint16_t langs[TR_MSG_MAX_LANGS] = { 0 };
    for (size_t i = 0; i < in->n_languages; i++) {
        int rc = eng_lang_intern(eng, in->languages[i], &langs[i]);
        if (rc != TR_ENGINE_OK)
            return rc; /* interned tags are harmless leftovers */
    }

    for (unsigned k = 0; k < new_skills; k++) {
        eng_copy(eng->skill[eng->n_skill], TR_MSG_SKILL_SIZE, fresh[k]);
        tr_idmap_put(&eng->skill_map, fresh[k], eng->n_skill);
        eng->n_skill++;
    }
    bool created = ci == ENG_NONE;
    if (created) {
        ci = eng->n_con++;
        struct eng_con *c = &eng->con[ci];
        memset(c, 0, sizeof(*c));
        eng_copy(c->id, sizeof(c->id), in->contractor_id);
        c->first_job = ENG_NONE;
        c->reported_jobs = -1;
        tr_idmap_put(&eng->con_map, c->id, ci);
    }
    struct eng_con *c = &eng->con[ci];
    uint64_t mask = 0;
    for (size_t i = 0; i < in->n_skills; i++)
        mask |= UINT64_C(1) << skill_bit(eng, in->skills[i]);
    bool was_active = c->active;
    int old_limit = c->job_limit;
    c->skills = mask;
    memcpy(c->langs, langs, sizeof(langs));
    c->n_langs = (uint8_t)in->n_languages;
    c->tier = (uint8_t)(in->has_tier ? in->tier : 1);
    c->travel_mode = (uint8_t)(in->has_travel_mode ? in->travel_mode : TR_TRAVEL_CAR);
    c->radius_m = (in->has_radius_km ? in->radius_km : 50.0) * 1000.0;
    c->job_limit = (uint8_t)(in->has_job_limit ? in->job_limit : 1);
    c->active = in->has_active ? in->active : true;
    if (created || c->has_hours != in->has_hours)
        c->on_shift = !in->has_hours; /* with hours: the shell says when */
    c->has_hours = in->has_hours;
    int load = (int)c->offers + (int)c->assigned;
    if (!created && c->job_limit < old_limit && load > c->job_limit && load > c->grandfathered)
        c->grandfathered = (uint8_t)load;

    int rc = index_put(eng, ci);
    if (rc != TR_ENGINE_OK)
        return rc;
    if (was_active && !c->active && c->offers > 0)
        (void)eng_withdraw_offers(eng, ci, "retired");
    eng_con_refresh(eng, ci);
    if (c->eligible)
        eng_fleet_changed(eng, c->skills); /* skills, radius or tier may open new matches */
    return TR_ENGINE_OK;
}

/* ---------------------------------------------------------- presence, fixes */

int tr_engine_presence(struct tr_engine *eng, const struct tr_presence *p, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!p)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, p->agent_id);
    if (ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    struct eng_con *c = &eng->con[ci];
    eng->st.presences++;
    if (now_ms > c->last_seen)
        c->last_seen = now_ms;
    c->online = p->online;
    if (p->online) {
        if (p->has_available)
            c->self_available = p->available;
        if (p->has_active_jobs)
            c->reported_jobs = (int16_t)(p->active_jobs < 0 ? 0 : p->active_jobs);
    } else if (c->offers > 0) {
        (void)eng_withdraw_offers(eng, ci, "went offline");
    }
    eng_con_refresh(eng, ci);
    return TR_ENGINE_OK;
}

const char *tr_engine_fix_reject_name(enum tr_engine_fix_reject r)
{
    switch (r) {
    case TR_ENGINE_FIX_OK:
        return "ok";
    case TR_ENGINE_FIX_UNKNOWN:
        return "unknown agent";
    case TR_ENGINE_FIX_MODE:
        return "mode < 2";
    case TR_ENGINE_FIX_NONFINITE:
        return "non-finite value";
    case TR_ENGINE_FIX_RANGE:
        return "coordinates out of range";
    case TR_ENGINE_FIX_FUTURE:
        return "dated in the future";
    case TR_ENGINE_FIX_OLD:
        return "not newer than the last fix";
    case TR_ENGINE_FIX_N:
        break;
    }
    return "?";
}

static enum tr_engine_fix_reject check_fix(const struct tr_engine *eng, const struct eng_con *c,
                                           const struct tr_fix *f, int64_t now)
{
    if (f->mode < 2)
        return TR_ENGINE_FIX_MODE;
    if (!isfinite(f->lat) || !isfinite(f->lon) || (f->has_speed && !isfinite(f->speed)) ||
        (f->has_heading && !isfinite(f->heading)))
        return TR_ENGINE_FIX_NONFINITE;
    if (!tr_geo_valid(f->lat, f->lon) || (f->has_speed && (f->speed < 0.0 || f->speed > 150.0)))
        return TR_ENGINE_FIX_RANGE;
    if (f->t > now + eng->p.max_future_skew_ms)
        return TR_ENGINE_FIX_FUTURE;
    if (c->has_fix && f->t <= c->fix_t)
        return TR_ENGINE_FIX_OLD;
    return TR_ENGINE_FIX_OK;
}

int tr_engine_fix(struct tr_engine *eng, const char *agent_id, const struct tr_fix *f,
                  int64_t now_ms, enum tr_engine_fix_reject *why)
{
    enum tr_engine_fix_reject r = TR_ENGINE_FIX_UNKNOWN;
    if (why)
        *why = TR_ENGINE_FIX_OK;
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (!agent_id || !f)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ci != ENG_NONE)
        r = check_fix(eng, &eng->con[ci], f, now_ms);
    if (r != TR_ENGINE_FIX_OK) {
        eng->st.fixes_rejected[r]++;
        if (why)
            *why = r;
        return TR_ENGINE_EREJECTED;
    }
    struct eng_con *c = &eng->con[ci];
    bool first = !c->has_fix;
    c->lat = f->lat;
    c->lon = tr_geo_normalize_lon(f->lon);
    c->fix_t = f->t;
    c->speed_mps = f->has_speed ? f->speed : 0.0;
    c->heading_deg = f->has_heading ? f->heading : 0.0;
    c->motion = (f->has_speed ? TR_GEO_HAS_SPEED : 0u) | (f->has_heading ? TR_GEO_HAS_HEADING : 0u);
    c->has_fix = true;
    if (now_ms > c->last_seen)
        c->last_seen = now_ms;
    eng->st.fixes++;
    if (first) {
        c->eligible = false;
        int rc = index_put(eng, ci);
        if (rc != TR_ENGINE_OK) {
            c->has_fix = false;
            return rc;
        }
    } else {
        (void)tr_fleet_move(eng->fleet, ci, c->lat, c->lon);
        if (c->in_census)
            (void)tr_fleet_move(eng->census, ci, c->lat, c->lon);
        if (c->eligible && tr_geo_fast_distance_m(c->lat, c->lon, c->moved_lat, c->moved_lon) >
                               ENG_MOVE_CHANGE_M) {
            eng_fleet_changed(eng, c->skills);
            c->moved_lat = c->lat;
            c->moved_lon = c->lon;
        }
    }
    eng_con_refresh(eng, ci);
    return TR_ENGINE_OK;
}

int tr_engine_set_on_shift(struct tr_engine *eng, const char *agent_id, bool on_shift,
                           int32_t utc_offset_s, int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (utc_offset_s < -18 * 3600 || utc_offset_s > 18 * 3600)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    struct eng_con *c = &eng->con[ci];
    if (c->utc_offset_s != utc_offset_s) {
        int today = eng_con_jobs_today(eng, c, now_ms);
        c->utc_offset_s = utc_offset_s;
        c->day = day_of(now_ms, utc_offset_s);
        c->jobs_today = (uint16_t)today;
    }
    c->on_shift = on_shift;
    eng_con_refresh(eng, ci);
    return TR_ENGINE_OK;
}

int tr_engine_set_jobs_today(struct tr_engine *eng, const char *agent_id, int jobs_today,
                             int64_t now_ms)
{
    if (!eng)
        return TR_ENGINE_EINVAL;
    eng_begin(eng, now_ms); /* clears the last call's actions */
    if (jobs_today < 0 || jobs_today > UINT16_MAX)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    struct eng_con *c = &eng->con[ci];
    c->day = day_of(now_ms, c->utc_offset_s);
    c->jobs_today = (uint16_t)jobs_today;
    return TR_ENGINE_OK;
}

const char *tr_engine_unavail_name(enum tr_engine_unavail u)
{
    switch (u) {
    case TR_ENGINE_AVAILABLE:
        return "available";
    case TR_ENGINE_UNAVAIL_RETIRED:
        return "retired";
    case TR_ENGINE_UNAVAIL_OFFLINE:
        return "offline";
    case TR_ENGINE_UNAVAIL_NO_FIX:
        return "no fresh fix";
    case TR_ENGINE_UNAVAIL_OFF_SHIFT:
        return "off shift";
    case TR_ENGINE_UNAVAIL_SELF:
        return "unavailable";
    case TR_ENGINE_UNAVAIL_BUSY:
        return "busy";
    }
    return "?";
}

int tr_engine_contractor_info(const struct tr_engine *eng, const char *agent_id, int64_t now_ms,
                              struct tr_engine_contractor_info *out)
{
    if (!eng || !out)
        return TR_ENGINE_EINVAL;
    uint32_t ci = eng_con_find(eng, agent_id);
    if (ci == ENG_NONE)
        return TR_ENGINE_ENOENT;
    const struct eng_con *c = &eng->con[ci];
    memset(out, 0, sizeof(*out));
    out->index = ci;
    out->active = c->active;
    out->online = presence_fresh(eng, c, now_ms);
    out->self_available = c->self_available;
    out->on_shift = c->on_shift;
    out->has_fix = c->has_fix;
    out->eligible = c->eligible;
    out->why = eng_con_unavail(eng, c, now_ms);
    out->lat = c->lat;
    out->lon = c->lon;
    out->fix_t = c->fix_t;
    out->last_seen = c->last_seen;
    out->offers = c->offers;
    out->assigned = c->assigned;
    out->load = c->offers + c->assigned;
    out->job_limit = c->job_limit;
    out->jobs_today = eng_con_jobs_today(eng, c, now_ms);
    out->reported_active_jobs = c->reported_jobs;
    return TR_ENGINE_OK;
}

uint32_t tr_engine_contractor_count(const struct tr_engine *eng)
{
    return eng ? eng->n_con : 0;
}

int tr_engine_contractor_at(const struct tr_engine *eng, uint32_t index, int64_t now_ms,
                            const char **agent_id, struct tr_engine_contractor_info *out)
{
    if (!eng || !agent_id || !out)
        return TR_ENGINE_EINVAL;
    if (index >= eng->n_con)
        return TR_ENGINE_ENOENT;
    *agent_id = eng->con[index].id;
    return tr_engine_contractor_info(eng, eng->con[index].id, now_ms, out);
}
