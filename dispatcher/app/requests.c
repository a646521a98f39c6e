/*
 * dispatcher/app/requests.c: console requests on truckroll/v1/dispatcher/req
 * (worker thread): where to answer, repeated request ids, and the job
 * requests (job.create / list / show / cancel / reassign).
 *
 * Answers go to the MQTT v5 Response Topic with the request's Correlation
 * Data, else to `reply_to` (MQTT 3.1.1), and only to topics of the form
 * truckroll/v1/console/{user}/resp; without either the request is executed
 * and nobody is told. A request id seen before (per console user) gets the
 * answer given the first time, from a small LRU; a job.create retried after a
 * crash of the dispatcher finds its job through the creation event's note
 * "(request <id>)", which recovery reads back, so no job is created twice.
 * Every input was checked by the codec; the rules it cannot know (a region
 * that does not exist, a job in the wrong state) are answered with `error`.
 * directory.query and coverage.query are answered in requests_dir.c.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/requests_int.h"

/* ------------------------------------------------------------- answers */

static void send_answer(struct req *r, const char *json, size_t len)
{
    if (!r->can_answer)
        return;
    tr_publisher_transient(r->a->pub, r->topic, json, len, r->corr, r->corr_len);
    atomic_fetch_add(&r->a->n.responses, 1);
}

static void cache_answer(struct req *r, const char *json, size_t len)
{
    if (r->key[0])
        tr_lru_put(r->a->answers, r->key, json, len);
}

void tr_req_response_init(struct req *r, struct tr_msg *res)
{
    tr_msg_init(res, TR_MSG_RESPONSE);
    tr_app_msgid(r->a, res->id);
    res->ts = tr_app_now_ms();
    snprintf(res->u.response.corr, sizeof(res->u.response.corr), "%s", r->msg->id);
    res->u.response.re = r->msg->type;
}

/* Encode; when the answer would pass 64 KiB, drop list items from the end
 * (the console pages on with offset; total still says how many). */
void tr_req_respond(struct req *r, struct tr_msg *res)
{
    struct tr_result *x = &res->u.response.result;
    char *json = NULL;
    size_t len = 0;
    struct tr_msg_error err;
    for (;;) {
        int rc = tr_msg_encode(res, &json, &len, &err);
        if (rc == TR_MSG_OK)
            break;
        if (rc == TR_MSG_ERR_TOO_LARGE && (x->n_jobs > 1 || x->n_contractors > 1 ||
                                           x->n_events > 1 || x->n_gaps > 1 || x->n_regions > 1)) {
            x->n_jobs /= 2;
            x->n_contractors /= 2;
            x->n_events /= 2;
            if (x->n_gaps > 1) /* coverage: gaps go first */
                x->n_gaps /= 2;
            else
                x->n_regions /= 2;
            continue;
        }
        tr_log_error("request %s: cannot encode the answer: %s: %s", r->msg->id, err.field,
                     err.reason);
        tr_msg_free(res);
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "the answer could not be encoded");
        return;
    }
    tr_msg_free(res);
    cache_answer(r, json, len);
    send_answer(r, json, len);
    free(json);
}

void tr_req_error(struct req *r, enum tr_wire_code code, const char *field, const char *fmt, ...)
{
    struct tr_msg m;
    char buf[1024];
    size_t len = 0;
    va_list ap;
    tr_msg_init(&m, TR_MSG_ERROR);
    tr_app_msgid(r->a, m.id);
    m.ts = tr_app_now_ms();
    m.u.error.has_corr = true;
    snprintf(m.u.error.corr, sizeof(m.u.error.corr), "%s", r->msg->id);
    m.u.error.code = code;
    if (field) {
        m.u.error.has_field = true;
        snprintf(m.u.error.field, sizeof(m.u.error.field), "%s", field);
    }
    va_start(ap, fmt);
    vsnprintf(m.u.error.message, sizeof(m.u.error.message), fmt, ap);
    va_end(ap);
    tr_log_info("request %s (%s) from %s: %s: %s", r->msg->id, tr_msg_type_name(r->msg->type),
                r->actor, tr_msg_wire_code_name(code), m.u.error.message);
    if (tr_msg_encode_buf(&m, buf, sizeof(buf), &len, NULL) != TR_MSG_OK)
        return;
    cache_answer(r, buf, len);
    send_answer(r, buf, len);
}

/* Where to answer: the v5 response topic (then its correlation data), else
 * reply_to. */
static void route_answer(struct req *r, const struct inmsg *im, const struct tr_msg *m)
{
    r->can_answer = false;
    r->user[0] = '\0';
    if (im->resp_topic) {
        if (tr_bus_reply_topic_valid(im->resp_topic, strlen(im->resp_topic), r->user)) {
            snprintf(r->topic, sizeof(r->topic), "%s", im->resp_topic);
            r->corr = im->corr;
            r->corr_len = im->corr_len;
            r->can_answer = true;
        } else {
            tr_log_warn("request %s: response topic is not a console's: not answered",
                        m ? m->id : "?");
        }
    } else if (m && m->has_reply_to &&
               tr_bus_reply_topic_valid(m->reply_to, strlen(m->reply_to), r->user)) {
        snprintf(r->topic, sizeof(r->topic), "%s", m->reply_to);
        r->can_answer = true;
    }
    if (r->user[0])
        snprintf(r->actor, sizeof(r->actor), "console:%.56s", r->user); /* a msgid */
    else
        snprintf(r->actor, sizeof(r->actor), "console");
}

void tr_requests_reject(struct app *a, const struct inmsg *im, const struct tr_route_msg *rm,
                        const struct tr_msg_error *err, int route_rc)
{
    struct req r = { .a = a, .msg = &rm->msg };
    route_answer(&r, im, rm->msg.has_reply_to ? &rm->msg : NULL);
    if (!r.can_answer)
        return;
    /* One budget for all consoles: a console's name is only what its reply
     * topic claims, and one record per claimed name would let a console
     * grow the sender table the agents' duplicate and order checks use. */
    if (!tr_agents_error_allowed(a->senders, "console", tr_app_now_ms(),
                                 a->set.error_replies_per_s)) {
        atomic_fetch_add(&a->n.error_replies_dropped, 1);
        return;
    }
    struct tr_msg m;
    char buf[1024];
    size_t len = 0;
    tr_msg_init(&m, TR_MSG_ERROR);
    tr_msg_error_reply(&m, rm->msg.id[0] && tr_msg_valid_msgid(rm->msg.id) ? rm->msg.id : NULL,
                       err);
    m.u.error.code = tr_route_err_wire_code(route_rc, err);
    tr_app_msgid(a, m.id);
    m.ts = tr_app_now_ms();
    if (tr_msg_encode_buf(&m, buf, sizeof(buf), &len, NULL) != TR_MSG_OK)
        return;
    tr_publisher_transient(a->pub, r.topic, buf, len, r.corr, r.corr_len);
    atomic_fetch_add(&a->n.error_replies, 1);
}

/* ------------------------------------------------------------- jobs */

/* Answer with the job as stored (the engine's live reason when it has one). */
static void respond_job(struct req *r, const char *job_id)
{
    struct tr_msg res;
    struct tr_store_job j;
    if (tr_store_job_get(r->a->store, job_id, &j) != TR_STORE_OK) {
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "job %s could not be read back", job_id);
        return;
    }
    tr_req_response_init(r, &res);
    res.u.response.result.job = j.job;
    tr_req_respond(r, &res);
}

void tr_req_region_of(struct app *a, double lat, double lon, struct tr_region *out, bool *has)
{
    struct tr_region_info ri;
    memset(out, 0, sizeof(*out));
    *has = false;
    if (!a->geo || tr_boundaries_lookup(a->geo, lat, lon, &ri) != TR_GEO_OK)
        return;
    tr_req_region_from(&ri, out, has);
}

void tr_req_region_from(const struct tr_region_info *ri_, struct tr_region *out, bool *has)
{
    const struct tr_region_info ri = *ri_;
    memset(out, 0, sizeof(*out));
    *has = false;
    if (!ri.country)
        return;
    *has = true;
    out->has_country = true;
    snprintf(out->country, sizeof(out->country), "%s", ri.country);
    if (ri.state && ri.state_fips && strlen(ri.state) == 2 && strlen(ri.state_fips) == 2) {
        out->has_state = out->has_state_fips = true;
        snprintf(out->state, sizeof(out->state), "%s", ri.state);
        snprintf(out->state_fips, sizeof(out->state_fips), "%s", ri.state_fips);
    }
    if (ri.county && ri.county_fips && strlen(ri.county_fips) == 5) {
        out->has_county = out->has_county_fips = true;
        snprintf(out->county, sizeof(out->county), "%s", ri.county);
        snprintf(out->county_fips, sizeof(out->county_fips), "%s", ri.county_fips);
    }
}

/* A point inside the region a job.create named (county, else country). */
static bool region_point(struct app *a, const struct tr_region *rg, double *lat, double *lon)
{
    struct tr_geo_region hit[2];
    size_t n = 0;
    char q[TR_MSG_COUNTY_SIZE + 8];
    enum tr_geo_level level = TR_GEO_COUNTRY;
    if (!a->geo)
        return false;
    if (rg->has_county_fips) {
        level = TR_GEO_COUNTY;
        snprintf(q, sizeof(q), "%s", rg->county_fips);
    } else if (rg->has_county && rg->has_state) {
        level = TR_GEO_COUNTY;
        snprintf(q, sizeof(q), "%s, %s", rg->county, rg->state);
    } else {
        snprintf(q, sizeof(q), "%s", rg->country);
    }
    if (tr_boundaries_find(a->geo, level, q, hit, 2, &n) != TR_GEO_OK || n != 1)
        return false;
    return tr_boundaries_region_point(a->geo, level, hit[0].index, lat, lon) == TR_GEO_OK;
}

static void copy_utf8(char *dst, size_t cap, const char *src);

static void job_create(struct req *r)
{
    struct app *a = r->a;
    const struct tr_req_job_create *c = &r->msg->u.job_create;
    struct tr_store_job j;
    /* a retry, or a request replayed from the receive journal after a
     * crash: the store knows every request's job, however old */
    char made[TR_MSG_ID_SIZE];
    if (tr_store_job_by_request(a->store, r->actor, r->msg->id, made) == TR_STORE_OK) {
        respond_job(r, made);
        return;
    }
    memset(&j, 0, sizeof(j));
    j.job.spec = c->spec;
    if (c->has_site) {
        j.job.site = c->site;
        tr_req_region_of(a, c->site.lat, c->site.lon, &j.job.region, &j.job.has_region);
    } else {
        double lat, lon;
        if (!a->geo) {
            tr_req_error(r, TR_WIRE_UNAVAILABLE, "region",
                         "no boundary data loaded: give the job a site (lat, lon)");
            return;
        }
        if (!region_point(a, &c->region, &lat, &lon)) {
            tr_req_error(r, TR_WIRE_NOT_FOUND, "region", "no such region (or an ambiguous name)");
            return;
        }
        j.job.site.lat = lat;
        j.job.site.lon = lon;
        /* the whole region of the point (county_fips and names filled in) */
        tr_req_region_of(a, lat, lon, &j.job.region, &j.job.has_region);
        if (!j.job.has_region) {
            j.job.has_region = true;
            j.job.region = c->region;
        }
    }
    j.has_max_radius_km = c->has_max_radius_km;
    j.max_radius_km = c->max_radius_km;
    char note[TR_MSG_NOTE_SIZE], full[400], where[160] = "";
    if (!c->has_site) {
        const struct tr_region *g = &j.job.region;
        if (g->has_county)
            snprintf(where, sizeof(where), "; site is a representative point of %.100s County, %s",
                     g->county, g->state);
        else
            snprintf(where, sizeof(where), "; site is a representative point of %s", g->country);
    }
    /* recovery reads "(request <id>)" back: keep it first */
    snprintf(full, sizeof(full), "created by %s (request %s)%s", r->actor, r->msg->id, where);
    copy_utf8(note, sizeof(note), full); /* the region part may be cut, the request id stays */
    if (where[0])
        tr_log_info("job.create %s: %s", r->msg->id, where + 2);
    int rc = tr_store_job_create_for(a->store, &j, r->actor, r->msg->id, note, r->now_ms, NULL, 0);
    if (rc != TR_STORE_OK) {
        tr_log_error("job.create %s: %s", r->msg->id, tr_store_errmsg(a->store));
        tr_req_error(r, rc == TR_STORE_ERR_INVALID ? TR_WIRE_BAD_FIELD : TR_WIRE_INTERNAL, NULL,
                     "the job could not be stored: %s", tr_store_strerror(rc));
        return;
    }
    atomic_fetch_add(&a->n.jobs_created, 1);
    tr_story_created(&j, r->actor);
    rc = tr_engine_job_create(a->eng, j.job.job_id, &j.job.spec, &j.job.site,
                              j.has_max_radius_km ? j.max_radius_km : 0.0, r->now_ms);
    if (rc == TR_ENGINE_OK) {
        tr_actions_run(a, r->now_ms);
    } else {
        tr_log_error("job %s: matching did not start: %s", j.job.job_id, tr_engine_strerror(rc));
        tr_actions_resync(a, j.job.job_id, r->now_ms);
    }
    respond_job(r, j.job.job_id);
}

static void job_list(struct req *r)
{
    const struct tr_req_job_list *l = &r->msg->u.job_list;
    struct tr_store_job *jobs = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = tr_store_job_list(r->a->store, l->has_state ? &l->state : NULL,
                               l->has_limit ? l->limit : 50, l->has_offset ? l->offset : 0, &jobs,
                               &n, &total, NULL);
    if (rc != TR_STORE_OK) {
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "jobs could not be listed");
        return;
    }
    struct tr_msg res;
    tr_req_response_init(r, &res);
    struct tr_result *x = &res.u.response.result;
    x->jobs = calloc(n ? n : 1, sizeof(*x->jobs));
    if (!x->jobs) {
        free(jobs);
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "out of memory");
        return;
    }
    for (size_t i = 0; i < n; i++)
        x->jobs[i] = jobs[i].job;
    x->n_jobs = n;
    x->total = total;
    free(jobs);
    tr_req_respond(r, &res);
}

/* Copy at most cap-1 bytes, not splitting a UTF-8 sequence. */
static void copy_utf8(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void job_show(struct req *r)
{
    struct app *a = r->a;
    const char *id = r->msg->u.job_show.job_id;
    struct tr_store_job j;
    int rc = tr_store_job_get(a->store, id, &j);
    if (rc == TR_STORE_ERR_NOT_FOUND) {
        tr_req_error(r, TR_WIRE_NOT_FOUND, "args.job_id", "no job %s", id);
        return;
    }
    if (rc != TR_STORE_OK) {
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "job %s could not be read", id);
        return;
    }
    struct tr_store_event *ev = NULL;
    size_t n = 0;
    if (tr_store_job_events(a->store, id, TR_MSG_MAX_LIST, &ev, &n) != TR_STORE_OK)
        n = 0;
    struct tr_msg res;
    tr_req_response_init(r, &res);
    struct tr_result *x = &res.u.response.result;
    x->job = j.job;
    struct tr_job live;
    if (tr_engine_job_view(a->eng, id, &live) == TR_ENGINE_OK && live.has_reason) {
        x->job.has_reason = true;
        memcpy(x->job.reason, live.reason, sizeof(x->job.reason));
    }
    x->events = calloc(n ? n : 1, sizeof(*x->events));
    for (size_t i = 0; x->events && i < n; i++) {
        struct tr_job_history *h = &x->events[i];
        h->ts = ev[i].ts;
        h->state = ev[i].to;
        copy_utf8(h->actor, sizeof(h->actor), ev[i].actor[0] ? ev[i].actor : "dispatcher");
        if (ev[i].note[0]) {
            h->has_note = true;
            copy_utf8(h->note, sizeof(h->note), ev[i].note);
        }
    }
    x->n_events = x->events ? n : 0;
    free(ev);
    tr_req_respond(r, &res);
}

/* After an engine refusal of a command on a job: an answer that makes a
 * retry idempotent, or the error. */
static void job_refused(struct req *r, const char *id, int rc, enum tr_job_state want)
{
    struct tr_store_job j;
    if (rc == TR_ENGINE_ENOENT) {
        if (tr_store_job_get(r->a->store, id, &j) != TR_STORE_OK) {
            tr_req_error(r, TR_WIRE_NOT_FOUND, "args.job_id", "no job %s", id);
            return;
        }
        if (j.job.state == want) {
            respond_job(r, id);
            return;
        }
        tr_req_error(r, TR_WIRE_CONFLICT, "args.job_id", "job %s is %s", id,
                     tr_msg_job_state_name(j.job.state));
        return;
    }
    if (rc == TR_ENGINE_ELIMIT) {
        tr_req_error(r, TR_WIRE_CONFLICT, "args.agent_id",
                     "that contractor is retired or at their job limit");
        return;
    }
    if (rc == TR_ENGINE_EINVAL) {
        tr_req_error(r, TR_WIRE_BAD_FIELD, NULL, "invalid request: %s", tr_engine_strerror(rc));
        return;
    }
    tr_req_error(r, TR_WIRE_CONFLICT, "args.job_id", "not possible now: %s",
                 tr_engine_strerror(rc));
}

static void job_cancel(struct req *r)
{
    const struct tr_req_job_cancel *c = &r->msg->u.job_cancel;
    int rc = tr_engine_job_cancel(r->a->eng, c->job_id, r->actor, c->has_note ? c->note : NULL,
                                  r->now_ms);
    if (rc != TR_ENGINE_OK) {
        job_refused(r, c->job_id, rc, TR_JOB_CANCELLED);
        return;
    }
    tr_actions_run(r->a, r->now_ms);
    respond_job(r, c->job_id);
}

static void job_reassign(struct req *r)
{
    const struct tr_req_job_reassign *c = &r->msg->u.job_reassign;
    struct app *a = r->a;
    int rc = TR_ENGINE_OK;
    if (!c->has_agent_id && !c->has_radius_km && !c->has_relax_language) {
        tr_req_error(r, TR_WIRE_BAD_FIELD, "args",
                     "give agent_id (assign by hand), radius_km or relax_language");
        return;
    }
    if (c->has_radius_km || (c->has_relax_language && c->relax_language)) {
        rc = tr_engine_job_adjust(a->eng, c->job_id, c->has_radius_km, c->radius_km,
                                  c->has_relax_language && c->relax_language, r->actor, r->now_ms);
        if (rc == TR_ENGINE_OK)
            tr_actions_run(a, r->now_ms);
        else if (!(c->has_agent_id && rc == TR_ENGINE_EILLEGAL)) {
            job_refused(r, c->job_id, rc, (enum tr_job_state) - 1);
            return;
        }
    }
    if (c->has_agent_id) {
        struct tr_job open;
        rc = tr_engine_job_reassign(a->eng, c->job_id, c->agent_id, r->actor, r->now_ms);
        if (rc == TR_ENGINE_ENOENT &&
            tr_engine_job_view(a->eng, c->job_id, &open) == TR_ENGINE_OK) {
            tr_req_error(r, TR_WIRE_NOT_FOUND, "args.agent_id", "no contractor %s", c->agent_id);
            return;
        }
        if (rc != TR_ENGINE_OK) {
            job_refused(r, c->job_id, rc, (enum tr_job_state) - 1);
            return;
        }
        tr_actions_run(a, r->now_ms);
    }
    respond_job(r, c->job_id);
}

/* ------------------------------------------------------------- dispatch */

void tr_requests_handle(struct app *a, struct tr_route_msg *rm, const struct inmsg *im,
                        int64_t now_ms)
{
    struct req r = { .a = a, .msg = &rm->msg, .now_ms = now_ms };
    route_answer(&r, im, &rm->msg);
    atomic_fetch_add(&a->n.requests, 1);
    snprintf(r.key, sizeof(r.key), "%s\n%s", r.actor, rm->msg.id);
    size_t len = 0;
    const char *prev = tr_lru_get(a->answers, r.key, &len);
    if (prev) {
        atomic_fetch_add(&a->n.duplicates, 1);
        tr_log_debug("request %s from %s repeated: first answer sent again", rm->msg.id, r.actor);
        send_answer(&r, prev, len);
        return;
    }
    tr_log_debug("request %s %s from %s", rm->msg.id, tr_msg_type_name(rm->msg.type), r.actor);
    switch (rm->msg.type) {
    case TR_MSG_JOB_CREATE:
        job_create(&r);
        break;
    case TR_MSG_JOB_LIST:
        job_list(&r);
        break;
    case TR_MSG_JOB_SHOW:
        job_show(&r);
        break;
    case TR_MSG_JOB_CANCEL:
        job_cancel(&r);
        break;
    case TR_MSG_JOB_REASSIGN:
        job_reassign(&r);
        break;
    case TR_MSG_CONTRACTOR_ADD:
        tr_req_contractor_add(&r);
        break;
    case TR_MSG_CONTRACTOR_UPDATE:
        tr_req_contractor_update(&r);
        break;
    case TR_MSG_CONTRACTOR_LIST:
        tr_req_contractor_list(&r);
        break;
    case TR_MSG_DIRECTORY_QUERY:
        tr_req_directory_query(&r);
        break;
    case TR_MSG_COVERAGE_QUERY:
        tr_req_coverage_query(&r);
        break;
    default:
        tr_req_error(&r, TR_WIRE_BAD_TYPE, "type", "not a request");
        break;
    }
}
