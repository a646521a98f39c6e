/*
 * dispatcher/store/store_jobs.c: jobs: id generation, create (with its first
 * event and outbox rows, durably), get, list, and the open jobs at startup.
 *
 * A job row is checked with the wire contract's rules (as a job_status
 * message) when written and again when read, so a damaged row is reported
 * as corrupt and skipped, never handed on. The job's current offer is the
 * one pending row of `offer` (a partial unique index keeps it to one).
 *
 * Does not: change a job after creation (store_transition.c does, with
 * compare-and-set), decide states (dispatcher/core does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

#define ID_MS_DIGITS  9
#define ID_CTR_DIGITS 4
#define ID_CTR_MAX    (36LL * 36 * 36 * 36)
#define ID_LEN        (2 + ID_MS_DIGITS + 1 + ID_CTR_DIGITS)

static const char b36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

static void put_b36(char *out, int64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--) {
        out[i] = b36[v % 36];
        v /= 36;
    }
}

static bool get_b36(const char *in, int digits, int64_t *v)
{
    *v = 0;
    for (int i = 0; i < digits; i++) {
        const char *p = in[i] ? strchr(b36, in[i]) : NULL;
        if (!p)
            return false;
        *v = *v * 36 + (p - b36);
    }
    return true;
}

/* "j-<ms>-<counter>" in our fixed-width format? */
static bool parse_id(const char *id, int64_t *ms, int64_t *ctr)
{
    return strlen(id) == ID_LEN && id[0] == 'j' && id[1] == '-' && id[2 + ID_MS_DIGITS] == '-' &&
           get_b36(id + 2, ID_MS_DIGITS, ms) && get_b36(id + 3 + ID_MS_DIGITS, ID_CTR_DIGITS, ctr);
}

static void note_id(struct tr_store *s, const char *id)
{
    int64_t ms, ctr;
    if (parse_id(id, &ms, &ctr) && (ms > s->id_ms || (ms == s->id_ms && ctr > s->id_counter))) {
        s->id_ms = ms;
        s->id_counter = ctr;
    }
}

int tr_store_jobs_init(struct tr_store *s)
{
    s->id_ms = 0;
    s->id_counter = -1;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_JOB_MAX_ID,
        "SELECT max(job_id) FROM job WHERE job_id GLOB 'j-[0-9a-z][0-9a-z][0-9a-z][0-9a-z]"
        "[0-9a-z][0-9a-z][0-9a-z][0-9a-z][0-9a-z]-[0-9a-z][0-9a-z][0-9a-z][0-9a-z]'",
        &rc);
    if (!st)
        return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
        note_id(s, (const char *)sqlite3_column_text(st, 0));
    else if (r != SQLITE_ROW)
        rc = tr_store_sqlite_fail(s, false, r, "job ids");
    tr_store_done(st);
    return rc;
}

int tr_store_job_new_id(struct tr_store *s, int64_t now_ms, char id[TR_MSG_ID_SIZE])
{
    if (!s || !id)
        return TR_STORE_ERR_INVALID;
    if (!tr_store_valid_time(now_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "now_ms out of range");
    if (now_ms > s->id_ms) {
        s->id_ms = now_ms;
        s->id_counter = 0;
    } else if (++s->id_counter >= ID_CTR_MAX) {
        s->id_ms++; /* over 1.6 million ids in one ms: borrow the next ms */
        s->id_counter = 0;
    }
    id[0] = 'j';
    id[1] = '-';
    put_b36(id + 2, s->id_ms, ID_MS_DIGITS);
    id[2 + ID_MS_DIGITS] = '-';
    put_b36(id + 3 + ID_MS_DIGITS, s->id_counter, ID_CTR_DIGITS);
    id[ID_LEN] = 0;
    return TR_STORE_OK;
}

/* ---------- rows ---------- */

#define JOB_SELECT                                                                                 \
    "SELECT j.job_id, j.state, j.title, j.description, j.skills, j.language, j.priority,"          \
    " j.tier, j.window_start, j.window_end, j.pay_currency, j.pay_per_hour,"                       \
    " j.pay_per_incident, j.site_lat, j.site_lon, j.site_address, j.site_radius_m,"                \
    " j.has_region, j.country, j.region_state, j.state_fips, j.county_fips, j.county,"             \
    " j.max_radius_km, j.relax_language, j.assignee, j.attempts, j.reason, j.created,"             \
    " j.updated, o.offer_id, o.agent_id, o.deadline, j.id"                                         \
    " FROM job j LEFT JOIN offer o ON o.job = j.id AND o.outcome = 0"

int tr_store_job_validate(struct tr_store *s, const struct tr_store_job *j, int code)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_JOB_STATUS);
    memcpy(m.id, "store", sizeof "store");
    m.ts = TR_STORE_TIME_MIN;
    m.u.job_status.job = j->job;
    struct tr_msg_error e;
    const char *id = tr_msg_valid_msgid(j->job.job_id) ? j->job.job_id : "?";
    if (tr_msg_validate(&m, &e) != TR_MSG_OK)
        return tr_store_fail(s, false, code, "job %s: %s: %s", id, e.field, e.reason);
    if (j->has_max_radius_km && !(j->max_radius_km >= 1 && j->max_radius_km <= 1000))
        return tr_store_fail(s, false, code, "job %s: max_radius_km out of range", id);
    return TR_STORE_OK;
}

static bool skills_parse(const char *text, struct tr_job_spec *spec)
{
    spec->n_skills = 0;
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (n == 0 || n >= TR_MSG_SKILL_SIZE || spec->n_skills >= TR_MSG_MAX_SKILLS)
            return false;
        memcpy(spec->skills[spec->n_skills], p, n);
        spec->skills[spec->n_skills++][n] = 0;
        p += n;
        if (sp && !*++p)
            return false;
    }
    return true;
}

static void skills_text(const struct tr_job_spec *spec, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < spec->n_skills; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? " " : "", spec->skills[i]);
}

static int bad_row(struct tr_store *s, sqlite3_stmt *st, const char *what)
{
    return tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "job row %lld: bad %s",
                         (long long)sqlite3_column_int64(st, 33), what);
}

/* Decode a JOB_SELECT row. */
static int from_row(struct tr_store *s, sqlite3_stmt *st, struct tr_store_job *out, int64_t *rowid)
{
    memset(out, 0, sizeof *out);
    struct tr_job *j = &out->job;
    struct tr_job_spec *sp = &j->spec;
    char skills[TR_MSG_MAX_SKILLS * TR_MSG_SKILL_SIZE];
    int state, prio = TR_PRIORITY_NORMAL, has_region, relax;
    bool has_end, has_cur, has_hour, has_inc;
    if (!tr_store_col_text(st, 0, j->job_id, sizeof j->job_id) ||
        !tr_store_col_int(st, 1, TR_JOB_NEW, TR_JOB_RELEASED, &state))
        return bad_row(s, st, "id or state");
    j->state = (enum tr_job_state)state;
    if (!tr_store_col_text(st, 2, sp->title, sizeof sp->title) ||
        !tr_store_col_text_opt(st, 3, &sp->has_description, sp->description,
                               sizeof sp->description) ||
        !tr_store_col_text(st, 4, skills, sizeof skills) || !skills_parse(skills, sp) ||
        !tr_store_col_text_opt(st, 5, &sp->has_language, sp->language, sizeof sp->language))
        return bad_row(s, st, "title, description, skills or language");
    sp->tier = 1;
    if (!tr_store_col_int_opt(st, 6, &sp->has_priority, 0, TR_PRIORITY_URGENT, &prio) ||
        !tr_store_col_int_opt(st, 7, &sp->has_tier, 1, 5, &sp->tier) ||
        !tr_store_col_i64_opt(st, 8, &sp->has_window, &sp->window.start) ||
        !tr_store_col_i64_opt(st, 9, &has_end, &sp->window.end) || has_end != sp->has_window)
        return bad_row(s, st, "priority, tier or window");
    sp->priority = sp->has_priority ? (enum tr_priority)prio : TR_PRIORITY_NORMAL;
    if (!tr_store_col_text_opt(st, 10, &has_cur, sp->pay.currency, sizeof sp->pay.currency) ||
        !tr_store_col_i64_opt(st, 11, &has_hour, &sp->pay.per_hour_cents) ||
        !tr_store_col_i64_opt(st, 12, &has_inc, &sp->pay.per_incident_cents) ||
        (!has_cur && (has_hour || has_inc)))
        return bad_row(s, st, "pay");
    sp->has_pay = has_cur;
    sp->pay.has_per_hour_cents = has_hour;
    sp->pay.has_per_incident_cents = has_inc;
    j->site.radius_m = 100;
    if (!tr_store_col_dbl(st, 13, &j->site.lat) || !tr_store_col_dbl(st, 14, &j->site.lon) ||
        !tr_store_col_text_opt(st, 15, &j->site.has_address, j->site.address,
                               sizeof j->site.address) ||
        !tr_store_col_int_opt(st, 16, &j->site.has_radius_m, 10, 5000, &j->site.radius_m))
        return bad_row(s, st, "site");
    if (!j->site.has_radius_m)
        j->site.radius_m = 100;
    struct tr_region *r = &j->region;
    if (!tr_store_col_int(st, 17, 0, 1, &has_region) ||
        !tr_store_col_text_opt(st, 18, &r->has_country, r->country, sizeof r->country) ||
        !tr_store_col_text_opt(st, 19, &r->has_state, r->state, sizeof r->state) ||
        !tr_store_col_text_opt(st, 20, &r->has_state_fips, r->state_fips, sizeof r->state_fips) ||
        !tr_store_col_text_opt(st, 21, &r->has_county_fips, r->county_fips,
                               sizeof r->county_fips) ||
        !tr_store_col_text_opt(st, 22, &r->has_county, r->county, sizeof r->county))
        return bad_row(s, st, "region");
    j->has_region = has_region != 0;
    if (!tr_store_col_dbl_opt(st, 23, &out->has_max_radius_km, &out->max_radius_km) ||
        !tr_store_col_int(st, 24, 0, 1, &relax))
        return bad_row(s, st, "radius");
    out->relax_language = relax != 0;
    if (!tr_store_col_text_opt(st, 25, &j->has_assignee, j->assignee, sizeof j->assignee) ||
        !tr_store_col_int(st, 26, 0, 10000, &j->attempts) ||
        !tr_store_col_text_opt(st, 27, &j->has_reason, j->reason, sizeof j->reason) ||
        !tr_store_col_i64(st, 28, &j->created) || !tr_store_col_i64(st, 29, &j->updated))
        return bad_row(s, st, "assignee, attempts, reason or times");
    bool has_agent, has_deadline;
    if (!tr_store_col_text_opt(st, 30, &j->has_offer, j->offer.offer_id,
                               sizeof j->offer.offer_id) ||
        !tr_store_col_text_opt(st, 31, &has_agent, j->offer.agent_id, sizeof j->offer.agent_id) ||
        !tr_store_col_i64_opt(st, 32, &has_deadline, &j->offer.deadline) ||
        has_agent != j->has_offer || has_deadline != j->has_offer)
        return bad_row(s, st, "offer");
    /* the rules the transitions keep */
    bool active =
        j->state == TR_JOB_ACCEPTED || j->state == TR_JOB_EN_ROUTE || j->state == TR_JOB_ON_SITE;
    if ((j->state == TR_JOB_OFFERED) != j->has_offer || (active && !j->has_assignee))
        return bad_row(s, st, "state (offer or assignee does not match)");
    if (rowid && !tr_store_col_i64(st, 33, rowid))
        return bad_row(s, st, "rowid");
    return tr_store_job_validate(s, out, TR_STORE_ERR_CORRUPT);
}

/* from_row for the row loops (store_row.c). */
static int decode_job(struct tr_store *s, sqlite3_stmt *st, void *item)
{
    return from_row(s, st, item, NULL);
}

int tr_store_job_read(struct tr_store *s, const char *job_id, struct tr_store_job *out,
                      int64_t *rowid)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_JOB_GET, JOB_SELECT " WHERE j.job_id = ?1", &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, job_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = from_row(s, st, out, rowid);
    else if (r == SQLITE_DONE)
        rc = tr_store_fail(s, false, TR_STORE_ERR_NOT_FOUND, "job %s not found", job_id);
    else
        rc = tr_store_sqlite_fail(s, false, r, "job get");
    tr_store_done(st);
    return rc;
}

int tr_store_job_get(struct tr_store *s, const char *job_id, struct tr_store_job *out)
{
    if (!s || !out)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_msgid(job_id))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad job id");
    return tr_store_job_read(s, job_id, out, NULL);
}

/* ---------- create ---------- */

int tr_store_job_create(struct tr_store *s, struct tr_store_job *job, const char *actor,
                        const char *note, int64_t now_ms, const struct tr_store_outmsg *out,
                        size_t n_out)
{
    return tr_store_job_create_for(s, job, actor, NULL, note, now_ms, out, n_out);
}

int tr_store_job_by_request(struct tr_store *s, const char *actor, const char *request,
                            char job_id[TR_MSG_ID_SIZE])
{
    if (!s || !actor || !request || !job_id)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, ST_JOB_BY_REQUEST,
                                     "SELECT j.job_id FROM job_request r JOIN job j ON j.id = r.job"
                                     " WHERE r.actor = ?1 AND r.request = ?2",
                                     &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, actor);
    tr_store_bind_text(st, 2, request);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        tr_store_copy(job_id, TR_MSG_ID_SIZE, (const char *)sqlite3_column_text(st, 0));
        rc = TR_STORE_OK;
    } else if (step == SQLITE_DONE) {
        rc = TR_STORE_ERR_NOT_FOUND;
    } else {
        rc = tr_store_sqlite_fail(s, false, step, "job by request");
    }
    tr_store_done(st);
    return rc;
}

int tr_store_job_create_for(struct tr_store *s, struct tr_store_job *job, const char *actor,
                            const char *request, const char *note, int64_t now_ms,
                            const struct tr_store_outmsg *out, size_t n_out)
{
    if (!s || !job || (!out && n_out))
        return TR_STORE_ERR_INVALID;
    if (request && !tr_msg_valid_msgid(request))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad request id");
    if (!tr_store_valid_time(now_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "now_ms out of range");
    if (!tr_msg_valid_msgid(actor) || (note && !tr_store_valid_text(note, TR_STORE_NOTE_SIZE - 1)))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad actor or note");
    struct tr_job *j = &job->job;
    if (j->has_assignee || j->has_offer || j->attempts || j->has_reason)
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID,
                             "a new job has no assignee, offer, attempts or reason");
    char id[TR_MSG_ID_SIZE];
    if (!j->job_id[0]) {
        int rc = tr_store_job_new_id(s, now_ms, id);
        if (rc != TR_STORE_OK)
            return rc;
    } else {
        tr_store_copy(id, sizeof id, j->job_id);
    }
    /* validate a copy: job is written only on success */
    struct tr_store_job *v = malloc(sizeof *v);
    if (!v)
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    *v = *job;
    memcpy(v->job.job_id, id, sizeof id);
    v->job.state = TR_JOB_NEW;
    v->job.created = v->job.updated = now_ms;
    int rc = tr_store_job_validate(s, v, TR_STORE_ERR_INVALID);
    if (rc != TR_STORE_OK)
        goto out;
    rc = tr_store_begin(s, false);
    if (rc != TR_STORE_OK)
        goto out;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_JOB_INSERT,
        "INSERT INTO job (job_id, state, title, description, skills, language, priority, tier,"
        " window_start, window_end, pay_currency, pay_per_hour, pay_per_incident, site_lat,"
        " site_lon, site_address, site_radius_m, has_region, country, region_state, state_fips,"
        " county_fips, county, max_radius_km, relax_language, created, updated) VALUES (?1, 0,"
        " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
        " ?20, ?21, ?22, ?23, ?24, ?25, ?25)",
        &rc);
    if (!st)
        goto fail;
    const struct tr_job_spec *sp = &v->job.spec;
    const struct tr_region *r = &v->job.region;
    bool reg = v->job.has_region;
    char skills[TR_MSG_MAX_SKILLS * TR_MSG_SKILL_SIZE];
    skills_text(sp, skills, sizeof skills);
    tr_store_bind_text(st, 1, id);
    tr_store_bind_text(st, 2, sp->title);
    tr_store_bind_text_opt(st, 3, sp->has_description, sp->description);
    tr_store_bind_text(st, 4, skills);
    tr_store_bind_text_opt(st, 5, sp->has_language, sp->language);
    tr_store_bind_i64_opt(st, 6, sp->has_priority, sp->priority);
    tr_store_bind_i64_opt(st, 7, sp->has_tier, sp->tier);
    tr_store_bind_i64_opt(st, 8, sp->has_window, sp->window.start);
    tr_store_bind_i64_opt(st, 9, sp->has_window, sp->window.end);
    tr_store_bind_text_opt(st, 10, sp->has_pay, sp->pay.currency);
    tr_store_bind_i64_opt(st, 11, sp->has_pay && sp->pay.has_per_hour_cents,
                          sp->pay.per_hour_cents);
    tr_store_bind_i64_opt(st, 12, sp->has_pay && sp->pay.has_per_incident_cents,
                          sp->pay.per_incident_cents);
    sqlite3_bind_double(st, 13, v->job.site.lat);
    sqlite3_bind_double(st, 14, v->job.site.lon);
    tr_store_bind_text_opt(st, 15, v->job.site.has_address, v->job.site.address);
    tr_store_bind_i64_opt(st, 16, v->job.site.has_radius_m, v->job.site.radius_m);
    sqlite3_bind_int(st, 17, reg);
    tr_store_bind_text_opt(st, 18, reg && r->has_country, r->country);
    tr_store_bind_text_opt(st, 19, reg && r->has_state, r->state);
    tr_store_bind_text_opt(st, 20, reg && r->has_state_fips, r->state_fips);
    tr_store_bind_text_opt(st, 21, reg && r->has_county_fips, r->county_fips);
    tr_store_bind_text_opt(st, 22, reg && r->has_county, r->county);
    tr_store_bind_dbl_opt(st, 23, v->has_max_radius_km, v->max_radius_km);
    sqlite3_bind_int(st, 24, v->relax_language);
    sqlite3_bind_int64(st, 25, now_ms);
    rc = tr_store_exec_stmt(s, false, st, "job insert");
    if (rc == TR_STORE_ERR_EXISTS)
        rc = tr_store_fail(s, false, rc, "job %s already exists", id);
    if (rc != TR_STORE_OK)
        goto fail;
    int64_t rowid = sqlite3_last_insert_rowid(s->db);
    if (request) {
        st =
            tr_store_stmt(s, ST_JOB_REQUEST_INSERT,
                          "INSERT INTO job_request (actor, request, job) VALUES (?1, ?2, ?3)", &rc);
        if (!st)
            goto fail;
        tr_store_bind_text(st, 1, actor);
        tr_store_bind_text(st, 2, request);
        sqlite3_bind_int64(st, 3, rowid);
        rc = tr_store_exec_stmt(s, false, st, "job request insert");
        if (rc == TR_STORE_ERR_EXISTS)
            rc = tr_store_fail(s, false, rc, "request %s made a job already", request);
        if (rc != TR_STORE_OK)
            goto fail;
    }
    rc = tr_store_event_insert(s, rowid, now_ms, false, TR_JOB_NEW, TR_JOB_NEW, actor, note);
    if (rc == TR_STORE_OK)
        rc = tr_store_outbox_insert(s, out, n_out, now_ms);
    if (rc != TR_STORE_OK)
        goto fail;
    rc = tr_store_commit(s, false);
    if (rc != TR_STORE_OK)
        goto fail;
    note_id(s, id);
    *job = *v;
    goto out;
fail:
    tr_store_rollback(s, false);
out:
    free(v);
    return rc;
}

/* ---------- lists ---------- */

int tr_store_job_list(struct tr_store *s, const enum tr_job_state *state, int limit, int offset,
                      struct tr_store_job **out, size_t *n, int64_t *total, size_t *n_corrupt)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !out || !n)
        return TR_STORE_ERR_INVALID;
    if (limit < 1 || limit > TR_MSG_MAX_LIST || offset < 0 ||
        (state && (*state < TR_JOB_NEW || *state > TR_JOB_RELEASED)))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad state, limit or offset");
    int rc;
    if (total) {
        sqlite3_stmt *st = state ? tr_store_stmt(s, ST_JOB_COUNT_STATE,
                                                 "SELECT count(*) FROM job WHERE state = ?1", &rc)
                                 : tr_store_stmt(s, ST_JOB_COUNT, "SELECT count(*) FROM job", &rc);
        if (!st)
            return rc;
        if (state)
            sqlite3_bind_int(st, 1, (int)*state);
        int r = sqlite3_step(st);
        *total = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        tr_store_done(st);
        if (r != SQLITE_ROW)
            return tr_store_sqlite_fail(s, false, r, "job count");
    }
    sqlite3_stmt *st =
        state
            ? tr_store_stmt(s, ST_JOB_LIST_STATE,
                            JOB_SELECT " WHERE j.state = ?1 ORDER BY j.id DESC LIMIT ?2 OFFSET ?3",
                            &rc)
            : tr_store_stmt(s, ST_JOB_LIST, JOB_SELECT " ORDER BY j.id DESC LIMIT ?2 OFFSET ?3",
                            &rc);
    if (!st)
        return rc;
    if (state)
        sqlite3_bind_int(st, 1, (int)*state);
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int(st, 3, offset);
    void *arr = NULL;
    rc = tr_store_rows_array(s, st, sizeof **out, (size_t)limit, decode_job, "job list", &arr, n,
                             n_corrupt);
    *out = arr;
    return rc;
}

struct open_ctx {
    int (*cb)(void *ctx, const struct tr_store_job *job);
    void *ctx;
};

static int open_one(void *ctx, const void *item)
{
    const struct open_ctx *o = ctx;
    return o->cb(o->ctx, item);
}

int tr_store_jobs_open(struct tr_store *s, int (*cb)(void *ctx, const struct tr_store_job *job),
                       void *ctx, size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_JOB_OPEN, JOB_SELECT " WHERE j.state IN (0, 1, 2, 3, 4, 8, 9) ORDER BY j.id", &rc);
    if (!st)
        return rc;
    struct open_ctx o = { cb, ctx };
    return tr_store_rows_each(s, st, sizeof(struct tr_store_job), decode_job, open_one, &o,
                              "open jobs", n_corrupt);
}
