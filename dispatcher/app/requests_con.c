/*
 * dispatcher/app/requests_con.c: the directory's write side and listing:
 * contractor.add, contractor.update, contractor.list (worker thread).
 *
 * A contractor is written to the store first (the record), then to the
 * engine (matching) and the working-hours schedule. Answers carry the
 * contractor's live view from the engine: online, available, last position
 * (with its region when boundary data is loaded), last seen, active jobs.
 * The time zone must be one the zoneinfo directory has (the codec only
 * checks its spelling). An add of a contractor already stored with the very
 * same record answers success (unchanged), so a retry is harmless; with a
 * different record, conflict. Searching by region is directory.query's job
 * (requests_dir.c).
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/requests_int.h"

void tr_req_live_view(struct app *a, const struct tr_contractor *c, int64_t now_ms,
                      struct tr_contractor_view *v)
{
    struct tr_engine_contractor_info ci;
    memset(v, 0, sizeof(*v));
    v->c = *c;
    if (tr_engine_contractor_info(a->eng, c->contractor_id, now_ms, &ci) != TR_ENGINE_OK)
        return;
    v->has_online = v->has_available = true;
    v->online = ci.online && ci.why != TR_ENGINE_UNAVAIL_OFFLINE;
    v->available = ci.why == TR_ENGINE_AVAILABLE;
    if (ci.has_fix) {
        v->has_lat = v->has_lon = true;
        v->lat = ci.lat;
        v->lon = ci.lon;
        tr_req_region_of(a, ci.lat, ci.lon, &v->region, &v->has_region);
    }
    if (ci.last_seen >= 946684800000LL && ci.last_seen <= 4102444800000LL) {
        v->has_last_seen = true;
        v->last_seen = ci.last_seen;
    }
    v->has_active_jobs = true;
    v->active_jobs = ci.assigned < 0 ? 0 : ci.assigned > 100 ? 100 : ci.assigned;
}

static bool zone_ok(struct req *r, const char *tz)
{
    const struct tr_tz *z;
    int rc = tr_tz_set_get(r->a->tz, tz, &z);
    if (rc == TR_TZ_OK)
        return true;
    tr_req_error(r, TR_WIRE_BAD_FIELD, "args.timezone", "time zone %s: %s", tz, tr_tz_strerror(rc));
    return false;
}

/* The contractor as the answer; `unchanged` is said for an add only: 0 added,
 * 1 it existed with this record, -1 not an add. */
static void respond_contractor(struct req *r, const struct tr_contractor *c, int unchanged)
{
    struct tr_msg res;
    tr_req_response_init(r, &res);
    tr_req_live_view(r->a, c, r->now_ms, &res.u.response.result.contractor);
    res.u.response.result.has_unchanged = unchanged >= 0;
    res.u.response.result.unchanged = unchanged > 0;
    tr_req_respond(r, &res);
}

static bool to_engine(struct req *r, const struct tr_contractor *c)
{
    int rc = tr_engine_contractor_upsert(r->a->eng, c, r->now_ms);
    if (rc == TR_ENGINE_OK) {
        tr_actions_run(r->a, r->now_ms);
        tr_shifts_update(r->a, c, r->now_ms);
        return true;
    }
    /* the record is stored; matching will know it after a restart at the latest */
    tr_log_error("contractor %s stored but not in the live fleet: %s", c->contractor_id,
                 tr_engine_strerror(rc));
    tr_req_error(r, rc == TR_ENGINE_EFULL ? TR_WIRE_UNAVAILABLE : TR_WIRE_INTERNAL, NULL,
                 "stored, but not in the live fleet: %s", tr_engine_strerror(rc));
    return false;
}

static void store_refused(struct req *r, int rc, const char *id)
{
    switch (rc) {
    case TR_STORE_ERR_EXISTS:
        tr_req_error(r, TR_WIRE_CONFLICT, "args.contractor_id", "contractor %s exists", id);
        break;
    case TR_STORE_ERR_NOT_FOUND:
        tr_req_error(r, TR_WIRE_NOT_FOUND, "args.contractor_id", "no contractor %s", id);
        break;
    case TR_STORE_ERR_SKILLS:
        tr_req_error(r, TR_WIRE_CONFLICT, "args.skills",
                     "the skill dictionary is full (64 distinct skills)");
        break;
    case TR_STORE_ERR_INVALID:
        tr_req_error(r, TR_WIRE_BAD_FIELD, NULL, "%s", tr_store_errmsg(r->a->store));
        break;
    default:
        tr_log_error("contractor %s: %s", id, tr_store_errmsg(r->a->store));
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "the contractor could not be stored");
        break;
    }
}

/* An add of a contractor that exists: answered as a success when the stored
 * record is the requested one (the same add again: a retry after a crash
 * between commit and answer, a journal replay, a re-run import), else
 * conflict. */
static void add_exists(struct req *r, const struct tr_contractor *c)
{
    bool same = false;
    struct tr_contractor stored;
    struct tr_engine_contractor_info ci;
    if (tr_store_contractor_same(r->a->store, c, &same) != TR_STORE_OK || !same ||
        tr_store_contractor_get(r->a->store, c->contractor_id, &stored, NULL) != TR_STORE_OK) {
        tr_req_error(r, TR_WIRE_CONFLICT, "args.contractor_id",
                     "contractor %s exists with a different record (use contractor update)",
                     c->contractor_id);
        return;
    }
    tr_log_info("contractor %s: add repeated by %s with the stored record: unchanged",
                c->contractor_id, r->actor);
    /* the engine knows it unless the first add stopped between the two */
    if (tr_engine_contractor_info(r->a->eng, c->contractor_id, r->now_ms, &ci) ==
            TR_ENGINE_ENOENT &&
        !to_engine(r, &stored))
        return;
    respond_contractor(r, &stored, 1);
}

void tr_req_contractor_add(struct req *r)
{
    const struct tr_contractor *c = &r->msg->u.contractor_add;
    if (!zone_ok(r, c->timezone))
        return;
    int rc = tr_store_contractor_add(r->a->store, c, r->now_ms, NULL);
    if (rc == TR_STORE_ERR_EXISTS) {
        add_exists(r, c);
        return;
    }
    if (rc != TR_STORE_OK) {
        store_refused(r, rc, c->contractor_id);
        return;
    }
    struct tr_contractor stored;
    if (tr_store_contractor_get(r->a->store, c->contractor_id, &stored, NULL) != TR_STORE_OK)
        stored = *c;
    tr_log_info("contractor %s added by %s (%zu skill(s), %s)", c->contractor_id, r->actor,
                stored.n_skills, stored.timezone);
    if (to_engine(r, &stored))
        respond_contractor(r, &stored, 0);
}

void tr_req_contractor_update(struct req *r)
{
    const struct tr_req_contractor_update *u = &r->msg->u.contractor_update;
    if (u->has_timezone && !zone_ok(r, u->c.timezone))
        return;
    struct tr_contractor after;
    int rc = tr_store_contractor_update(r->a->store, u, r->now_ms, &after, NULL);
    if (rc != TR_STORE_OK) {
        store_refused(r, rc, u->c.contractor_id);
        return;
    }
    tr_log_info("contractor %s updated by %s", after.contractor_id, r->actor);
    if (to_engine(r, &after))
        respond_contractor(r, &after, -1);
}

void tr_req_contractor_list(struct req *r)
{
    const struct tr_req_contractor_list *l = &r->msg->u.contractor_list;
    int limit = l->has_limit ? l->limit : 50, offset = l->has_offset ? l->offset : 0;
    struct tr_msg res;
    tr_req_response_init(r, &res);
    struct tr_result *x = &res.u.response.result;
    x->contractors = calloc((size_t)limit, sizeof(*x->contractors));
    if (!x->contractors) {
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "out of memory");
        return;
    }
    /* page through the store; the availability filter is live (engine) */
    int64_t matched = 0;
    int page = 500, at = 0;
    for (;;) {
        struct tr_contractor *cs = NULL;
        size_t n = 0;
        int64_t total = 0;
        struct tr_store_contractor_filter f = { .skill = l->has_skill ? l->skill : NULL,
                                                .active = -1,
                                                .limit = l->has_available ? page : limit,
                                                .offset = l->has_available ? at : offset };
        if (tr_store_contractor_list(r->a->store, &f, &cs, &n, &total, NULL) != TR_STORE_OK) {
            tr_msg_free(&res);
            tr_req_error(r, TR_WIRE_INTERNAL, NULL, "contractors could not be listed");
            return;
        }
        for (size_t i = 0; i < n; i++) {
            struct tr_contractor_view v;
            tr_req_live_view(r->a, &cs[i], r->now_ms, &v);
            if (l->has_available && v.available != l->available)
                continue;
            if ((!l->has_available || matched >= offset) && x->n_contractors < (size_t)limit)
                x->contractors[x->n_contractors++] = v;
            matched++;
        }
        free(cs);
        if (!l->has_available) {
            matched = total;
            break;
        }
        if (n < (size_t)page)
            break;
        at += page;
    }
    x->total = matched;
    tr_req_respond(r, &res);
}
