/*
 * dispatcher/app/fleetfeed.c: the live map feed. Publishes one small
 * retained `fleet` message per contractor on truckroll/v1/fleet/<id>
 * (QoS 0) for the web map and consoles (schemas/topics.md).
 *
 * What it does: on the worker thread (it reads the engine), sweeps the
 * contractor slots with a cursor so that every contractor is looked at once
 * per fleet_feed.sweep_ms (the work per call is proportional to the time
 * since the last call, at most FLEET_VISITS_PER_CALL, so a million-strong
 * fleet is swept in ~6 s instead); publishes a contractor
 * whose state differs from the last copy published, who moved more than
 * fleet_feed.move_m from it, or who was never published since the start or
 * the last reconnect; clears the retained copy (empty payload) of a retired
 * contractor. Limits: one message per contractor per
 * fleet_feed.min_interval_s, and fleet_feed.max_per_s in total (a token
 * bucket with one second of burst). Nothing is queued: what does not fit,
 * or what the session refuses (not connected, queue full), is simply seen
 * again at a later sweep, so the worker never waits here.
 *
 * What it does not do: subscribe (it never reads the feed back), persist
 * anything, or decide availability (the engine does; this only names it).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/geo.h"
#include "common/log.h"
#include "dispatcher/app/app.h"

#define FLEET_TOPIC           TR_TOPIC_PREFIX "fleet/"
#define FLEET_VISITS_PER_CALL 8192.0 /* ~0.5 ms of engine lookups */

/* last published state of a slot, besides enum tr_fleet_state */
enum { FF_NONE = 0xff, FF_CLEARED = 0xfe };

struct ff_slot {
    float lat, lon; /* last published position; NAN: none */
    int64_t at;     /* when last published; 0: never */
    uint8_t state;  /* enum tr_fleet_state, FF_NONE, FF_CLEARED */
};

struct fleetfeed {
    struct ff_slot *slot;
    uint32_t cap;
    uint32_t cursor;
    double credit; /* slots due to be visited */
    double tokens; /* messages allowed now */
    int64_t last_ms;
    uint64_t connects; /* the session's connect count when last seen */
    struct tr_msg *msg;
};

int tr_fleetfeed_new(struct fleetfeed **out)
{
    struct fleetfeed *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->msg = calloc(1, sizeof(*f->msg));
    if (!f->msg) {
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

void tr_fleetfeed_free(struct fleetfeed *f)
{
    if (!f)
        return;
    free(f->slot);
    free(f->msg);
    free(f);
}

static void reset_slots(struct ff_slot *s, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++)
        s[i] = (struct ff_slot){ .lat = NAN, .lon = NAN, .at = 0, .state = FF_NONE };
}

static int grow(struct fleetfeed *f, uint32_t n)
{
    if (n <= f->cap)
        return 0;
    uint32_t cap = f->cap ? f->cap : 1024;
    while (cap < n)
        cap = cap > UINT32_MAX / 2 ? n : cap * 2;
    struct ff_slot *s = realloc(f->slot, (size_t)cap * sizeof(*s));
    if (!s)
        return -1;
    reset_slots(s, f->cap, cap);
    f->slot = s;
    f->cap = cap;
    return 0;
}

/* The map's name for what the engine knows (README.md `fleet`: the first
 * that applies wins). */
static enum tr_fleet_state state_of(const struct tr_engine_contractor_info *ci)
{
    if (!ci->online)
        return TR_FLEET_OFFLINE;
    if (ci->assigned > 0)
        return TR_FLEET_BUSY;
    if (ci->offers > 0)
        return TR_FLEET_OFFERED;
    if (!ci->on_shift)
        return TR_FLEET_OFF_SHIFT;
    if (ci->why == TR_ENGINE_AVAILABLE)
        return TR_FLEET_FREE;
    return ci->why == TR_ENGINE_UNAVAIL_BUSY ? TR_FLEET_BUSY : TR_FLEET_UNAVAILABLE;
}

static double round4(double v)
{
    return round(v * 1e4) / 1e4;
}

/* Publish (or clear, when ci is NULL) one contractor's copy. */
static int publish(struct app *a, struct fleetfeed *f, const char *id,
                   const struct tr_engine_contractor_info *ci, enum tr_fleet_state st, int64_t now)
{
    char topic[sizeof(FLEET_TOPIC) + TR_MSG_ID_SIZE], buf[512];
    size_t len = 0;
    struct tr_mqtt_pub pub = { .qos = 0, .retain = 1 };
    snprintf(topic, sizeof(topic), FLEET_TOPIC "%s", id);
    if (ci) {
        struct tr_msg *m = f->msg;
        struct tr_msg_error err;
        tr_msg_init(m, TR_MSG_FLEET);
        tr_app_msgid(a, m->id);
        m->ts = now;
        snprintf(m->u.fleet.contractor_id, sizeof(m->u.fleet.contractor_id), "%s", id);
        m->u.fleet.state = st;
        if (ci->has_fix && isfinite(ci->lat) && isfinite(ci->lon)) {
            m->u.fleet.has_lat = m->u.fleet.has_lon = true;
            m->u.fleet.lat = round4(ci->lat);
            m->u.fleet.lon = round4(ci->lon);
        }
        if (ci->last_seen >= 946684800000LL && ci->last_seen <= 4102444800000LL) {
            m->u.fleet.has_last_seen = true;
            m->u.fleet.last_seen = ci->last_seen;
        }
        int rc = tr_msg_encode_buf(m, buf, sizeof(buf), &len, &err);
        if (rc != TR_MSG_OK) {
            tr_log_warn("fleet feed: cannot encode %s: %s: %s", id, err.field, err.reason);
            return -2; /* never publishable: skip, do not stop the sweep */
        }
    }
    int rc = tr_mqtt_publish(a->mqtt, topic, buf, len, &pub);
    return rc == TR_MQTT_OK ? 0 : -1;
}

/* One slot: 1 published, 0 nothing to do (or not yet allowed), -1 stop the
 * sweep here (no budget or the session refused). */
static int visit(struct app *a, struct fleetfeed *f, uint32_t i, int64_t now)
{
    const struct settings *s = &a->set;
    struct ff_slot *sl = &f->slot[i];
    struct tr_engine_contractor_info ci;
    const char *id = NULL;
    if (tr_engine_contractor_at(a->eng, i, now, &id, &ci) != TR_ENGINE_OK || !id ||
        !tr_msg_valid_agent_id(id))
        return 0;
    if (!ci.active) { /* retired: off the map */
        if (sl->state == FF_CLEARED)
            return 0;
        if (f->tokens < 1.0)
            return -1;
        if (publish(a, f, id, NULL, TR_FLEET_OFFLINE, now) != 0) {
            atomic_fetch_add(&a->n.fleet_deferred, 1);
            return -1;
        }
        f->tokens -= 1.0;
        *sl = (struct ff_slot){ .lat = NAN, .lon = NAN, .at = now, .state = FF_CLEARED };
        atomic_fetch_add(&a->n.fleet_cleared, 1);
        return 1;
    }
    enum tr_fleet_state st = state_of(&ci);
    bool has_pos = ci.has_fix && isfinite(ci.lat) && isfinite(ci.lon);
    bool due = sl->state != (uint8_t)st || has_pos != !isnan(sl->lat);
    if (!due && has_pos)
        due = tr_geo_distance_m(sl->lat, sl->lon, ci.lat, ci.lon) > s->fleet_move_m;
    if (!due)
        return 0;
    if (sl->at && now - sl->at < (int64_t)s->fleet_min_interval_s * 1000)
        return 0; /* seen again at a later sweep */
    if (f->tokens < 1.0)
        return -1;
    int rc = publish(a, f, id, &ci, st, now);
    if (rc == -2)
        return 0;
    if (rc != 0) {
        atomic_fetch_add(&a->n.fleet_deferred, 1);
        return -1;
    }
    f->tokens -= 1.0;
    sl->state = (uint8_t)st;
    sl->lat = has_pos ? (float)ci.lat : NAN;
    sl->lon = has_pos ? (float)ci.lon : NAN;
    sl->at = now;
    atomic_fetch_add(&a->n.fleet_published, 1);
    return 1;
}

void tr_fleetfeed_run(struct app *a, int64_t now_ms)
{
    struct fleetfeed *f = a->ff;
    const struct settings *s = &a->set;
    if (!f || !s->fleet_enabled || now_ms < a->serving_since || !a->mqtt)
        return;
    struct tr_mqtt_stats st;
    tr_mqtt_get_stats(a->mqtt, &st);
    if (st.connects != f->connects) { /* the broker may have lost its retained copies */
        f->connects = st.connects;
        if (f->slot)
            reset_slots(f->slot, 0, f->cap);
    }
    int64_t elapsed = f->last_ms ? now_ms - f->last_ms : 0;
    if (elapsed < 0)
        elapsed = 0;
    if (elapsed > 10000)
        elapsed = 10000;
    f->last_ms = now_ms;
    double burst = s->fleet_max_per_s > 1 ? (double)s->fleet_max_per_s : 1.0;
    f->tokens += (double)elapsed * s->fleet_max_per_s / 1000.0;
    if (f->tokens > burst)
        f->tokens = burst;

    uint32_t n = tr_engine_contractor_count(a->eng);
    if (n == 0 || grow(f, n) != 0)
        return;
    f->credit += (double)n * (double)elapsed / (double)s->fleet_sweep_ms;
    if (f->credit > n)
        f->credit = n;
    /* A bounded slice per call, so a job request never waits behind a long
     * sweep: at 1M contractors and the 50 ms tick a full sweep then takes
     * ~3 s instead of sweep_ms (topics.md says so). */
    if (f->credit > FLEET_VISITS_PER_CALL)
        f->credit = FLEET_VISITS_PER_CALL;
    while (f->credit >= 1.0) {
        if (f->cursor >= n)
            f->cursor = 0;
        if (visit(a, f, f->cursor, now_ms) < 0)
            break; /* this slot again next time */
        f->cursor++;
        f->credit -= 1.0;
    }
}
