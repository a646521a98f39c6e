/*
 * dispatcher/store/store_contractors.c: the contractor directory: add,
 * partial update, get, list, iterate all, and a contractor's load (active
 * jobs, pending offers).
 *
 * A record is checked with the wire contract's own rules (tr_msg_validate)
 * on the way in and again on the way out, so a damaged or tampered row is
 * reported as corrupt, never handed on. Skills are stored as a mask over the
 * skill dictionary (store_skills.c), languages and working hours as compact
 * text (see store_schema.c for why).
 *
 * Also: whether a record equals the stored one (an add repeated after a
 * crash).
 *
 * Does not: delete contractors (they retire: active = false), or know
 * anything live (positions, presence: those are in memory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatcher/store/store_int.h"

#define CON_COLS                                                                                   \
    "id, contractor_id, name, skills, languages, tier, travel_mode, radius_km, job_limit,"         \
    " timezone, hours, pay_currency, pay_per_hour, pay_per_incident, home_lat, home_lon,"          \
    " active, created, updated"

/* Check c as the contract's contractor record. */
static int validate(struct tr_store *s, const struct tr_contractor *c, int code)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_CONTRACTOR_ADD);
    memcpy(m.id, "store", sizeof "store");
    m.ts = TR_STORE_TIME_MIN;
    m.u.contractor_add = *c;
    struct tr_msg_error e;
    if (tr_msg_validate(&m, &e) != TR_MSG_OK)
        return tr_store_fail(s, false, code, "contractor %s: %s: %s",
                             tr_msg_valid_agent_id(c->contractor_id) ? c->contractor_id : "?",
                             e.field, e.reason);
    return TR_STORE_OK;
}

/* "en es-MX" */
static void langs_text(const struct tr_contractor *c, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < c->n_languages; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%s", i ? " " : "", c->languages[i]);
}

static bool langs_parse(const char *text, struct tr_contractor *c)
{
    c->n_languages = 0;
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        if (n == 0 || n >= TR_MSG_LANG_SIZE || c->n_languages >= TR_MSG_MAX_LANGS)
            return false;
        memcpy(c->languages[c->n_languages], p, n);
        c->languages[c->n_languages++][n] = 0;
        p += n;
        if (sp && !*++p)
            return false; /* trailing space */
    }
    return true;
}

/* "1 08:00-17:00,2 08:00-12:00"; "" = never on shift */
#define SHIFT_TEXT 13
static void hours_text(const struct tr_contractor *c, char *buf, size_t size)
{
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < c->n_hours; i++)
        at += (size_t)snprintf(buf + at, size - at, "%s%d %.5s-%.5s", i ? "," : "", c->hours[i].day,
                               c->hours[i].start, c->hours[i].end);
}

static bool hours_parse(const char *text, struct tr_contractor *c)
{
    c->n_hours = 0;
    const char *p = text;
    while (*p) {
        if (c->n_hours >= TR_MSG_MAX_SHIFTS || strlen(p) < SHIFT_TEXT)
            return false;
        if (p[0] < '1' || p[0] > '7' || p[1] != ' ' || p[7] != '-')
            return false;
        struct tr_shift *h = &c->hours[c->n_hours++];
        h->day = p[0] - '0';
        memcpy(h->start, p + 2, 5);
        h->start[5] = 0;
        memcpy(h->end, p + 8, 5);
        h->end[5] = 0;
        p += SHIFT_TEXT;
        if (*p == ',' && p[1])
            p++;
        else if (*p)
            return false;
    }
    return true;
}

static int corrupt(struct tr_store *s, sqlite3_stmt *st, const char *what)
{
    return tr_store_fail(s, false, TR_STORE_ERR_CORRUPT, "contractor row %lld: bad %s",
                         (long long)sqlite3_column_int64(st, 0), what);
}

/* Decode a CON_COLS row; CORRUPT if any check fails. */
static int from_row(struct tr_store *s, sqlite3_stmt *st, struct tr_contractor *c,
                    struct tr_store_contractor_meta *m)
{
    memset(c, 0, sizeof *c);
    memset(m, 0, sizeof *m);
    int64_t id, mask;
    char langs[TR_MSG_MAX_LANGS * TR_MSG_LANG_SIZE];
    char hours[TR_MSG_MAX_SHIFTS * (SHIFT_TEXT + 1) + 1];
    int travel = 0, active = 1;
    bool has_cur, has_hour, has_inc, has_lat, has_lon;
    if (!tr_store_col_i64(st, 0, &id) || id < 1 || id > UINT32_MAX)
        return corrupt(s, st, "id");
    m->row_id = (uint32_t)id;
    if (!tr_store_col_text(st, 1, c->contractor_id, sizeof c->contractor_id) ||
        !tr_store_col_text(st, 2, c->name, sizeof c->name))
        return corrupt(s, st, "id or name");
    if (!tr_store_col_i64(st, 3, &mask) || !tr_store_skills_names(s, (uint64_t)mask, c))
        return corrupt(s, st, "skills");
    m->skill_mask = (uint64_t)mask;
    if (!tr_store_col_text(st, 4, langs, sizeof langs) || !langs_parse(langs, c))
        return corrupt(s, st, "languages");
    c->tier = 1;
    c->travel_mode = TR_TRAVEL_CAR;
    c->radius_km = 50;
    c->job_limit = 1;
    if (!tr_store_col_int_opt(st, 5, &c->has_tier, 1, 5, &c->tier) ||
        !tr_store_col_int_opt(st, 6, &c->has_travel_mode, 0, TR_TRAVEL_FOOT, &travel) ||
        !tr_store_col_dbl_opt(st, 7, &c->has_radius_km, &c->radius_km) ||
        !tr_store_col_int_opt(st, 8, &c->has_job_limit, 1, 20, &c->job_limit))
        return corrupt(s, st, "tier, travel mode, radius or job limit");
    if (c->has_travel_mode)
        c->travel_mode = (enum tr_travel_mode)travel;
    if (!c->has_radius_km)
        c->radius_km = 50;
    if (!tr_store_col_text(st, 9, c->timezone, sizeof c->timezone))
        return corrupt(s, st, "timezone");
    if (!tr_store_col_text_opt(st, 10, &c->has_hours, hours, sizeof hours) ||
        (c->has_hours && !hours_parse(hours, c)))
        return corrupt(s, st, "hours");
    if (!tr_store_col_text_opt(st, 11, &has_cur, c->pay.currency, sizeof c->pay.currency) ||
        !tr_store_col_i64_opt(st, 12, &has_hour, &c->pay.per_hour_cents) ||
        !tr_store_col_i64_opt(st, 13, &has_inc, &c->pay.per_incident_cents) ||
        (!has_cur && (has_hour || has_inc)))
        return corrupt(s, st, "pay");
    c->has_pay = has_cur;
    c->pay.has_per_hour_cents = has_hour;
    c->pay.has_per_incident_cents = has_inc;
    if (!tr_store_col_dbl_opt(st, 14, &has_lat, &c->home.lat) ||
        !tr_store_col_dbl_opt(st, 15, &has_lon, &c->home.lon) || has_lat != has_lon)
        return corrupt(s, st, "home");
    c->has_home = has_lat;
    if (!tr_store_col_int_opt(st, 16, &c->has_active, 0, 1, &active))
        return corrupt(s, st, "active");
    c->active = active != 0;
    if (!tr_store_col_i64(st, 17, &m->created) || !tr_store_col_i64(st, 18, &m->updated))
        return corrupt(s, st, "times");
    return validate(s, c, TR_STORE_ERR_CORRUPT);
}

/* from_row for the row loops (store_row.c): a record alone, or with its
 * meta. */
static int decode_contractor(struct tr_store *s, sqlite3_stmt *st, void *item)
{
    struct tr_store_contractor_meta m;
    return from_row(s, st, item, &m);
}

struct row_item {
    struct tr_contractor c;
    struct tr_store_contractor_meta m;
};

static int decode_row_item(struct tr_store *s, sqlite3_stmt *st, void *item)
{
    struct row_item *x = item;
    return from_row(s, st, &x->c, &x->m);
}

/* Bind c to ?2..?18 (the CON_COLS order without id, created, updated). */
static void bind_record(sqlite3_stmt *st, const struct tr_contractor *c, uint64_t mask, char *langs,
                        size_t langs_size, char *hours, size_t hours_size)
{
    langs_text(c, langs, langs_size);
    hours_text(c, hours, hours_size);
    tr_store_bind_text(st, 2, c->contractor_id);
    tr_store_bind_text(st, 3, c->name);
    sqlite3_bind_int64(st, 4, (int64_t)mask);
    tr_store_bind_text(st, 5, langs);
    tr_store_bind_i64_opt(st, 6, c->has_tier, c->tier);
    tr_store_bind_i64_opt(st, 7, c->has_travel_mode, c->travel_mode);
    tr_store_bind_dbl_opt(st, 8, c->has_radius_km, c->radius_km);
    tr_store_bind_i64_opt(st, 9, c->has_job_limit, c->job_limit);
    tr_store_bind_text(st, 10, c->timezone);
    tr_store_bind_text_opt(st, 11, c->has_hours, hours);
    tr_store_bind_text_opt(st, 12, c->has_pay, c->pay.currency);
    tr_store_bind_i64_opt(st, 13, c->has_pay && c->pay.has_per_hour_cents, c->pay.per_hour_cents);
    tr_store_bind_i64_opt(st, 14, c->has_pay && c->pay.has_per_incident_cents,
                          c->pay.per_incident_cents);
    tr_store_bind_dbl_opt(st, 15, c->has_home, c->home.lat);
    tr_store_bind_dbl_opt(st, 16, c->has_home, c->home.lon);
    tr_store_bind_i64_opt(st, 17, c->has_active, c->active);
}

/* Read one contractor by id inside or outside a transaction. */
static int get_row(struct tr_store *s, const char *contractor_id, struct tr_contractor *c,
                   struct tr_store_contractor_meta *m)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_CON_GET, "SELECT " CON_COLS " FROM contractor WHERE contractor_id = ?1", &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, contractor_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        rc = from_row(s, st, c, m);
    else if (r == SQLITE_DONE)
        rc = tr_store_fail(s, false, TR_STORE_ERR_NOT_FOUND, "contractor %s not found",
                           contractor_id);
    else
        rc = tr_store_sqlite_fail(s, false, r, "contractor get");
    tr_store_done(st);
    return rc;
}

int tr_store_contractor_add(struct tr_store *s, const struct tr_contractor *c, int64_t now_ms,
                            struct tr_store_contractor_meta *meta)
{
    if (!s || !c)
        return TR_STORE_ERR_INVALID;
    if (!tr_store_valid_time(now_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "now_ms out of range");
    int rc = validate(s, c, TR_STORE_ERR_INVALID);
    if (rc != TR_STORE_OK)
        return rc;
    rc = tr_store_begin(s, false);
    if (rc != TR_STORE_OK)
        return rc;
    uint64_t mask = 0;
    char langs[TR_MSG_MAX_LANGS * TR_MSG_LANG_SIZE];
    char hours[TR_MSG_MAX_SHIFTS * (SHIFT_TEXT + 1) + 1];
    rc = tr_store_skills_assign(s, c->skills, c->n_skills, now_ms, &mask);
    if (rc != TR_STORE_OK)
        goto fail;
    sqlite3_stmt *st = tr_store_stmt(s, ST_CON_INSERT,
                                     "INSERT INTO contractor (" CON_COLS
                                     ") VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                                     " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
                                     &rc);
    if (!st)
        goto fail;
    bind_record(st, c, mask, langs, sizeof langs, hours, sizeof hours);
    sqlite3_bind_int64(st, 18, now_ms);
    rc = tr_store_exec_stmt(s, false, st, "contractor insert");
    if (rc == TR_STORE_ERR_EXISTS)
        rc = tr_store_fail(s, false, rc, "contractor %s already exists", c->contractor_id);
    if (rc != TR_STORE_OK)
        goto fail;
    int64_t row = sqlite3_last_insert_rowid(s->db);
    rc = tr_store_commit(s, false);
    if (rc != TR_STORE_OK)
        goto fail;
    if (meta) {
        meta->row_id = (uint32_t)row;
        meta->skill_mask = mask;
        meta->created = meta->updated = now_ms;
    }
    return TR_STORE_OK;
fail:
    tr_store_rollback(s, false);
    tr_store_skills_load(s); /* forget bits assigned in the rolled-back transaction */
    return rc;
}

/* Is c (a valid record) what is stored as b with skill mask b_mask? Compared
 * in the stored form: skills as a set, languages and hours in order,
 * optional fields by presence and then value. */
static bool same_record(struct tr_store *s, const struct tr_contractor *c,
                        const struct tr_contractor *b, uint64_t b_mask)
{
    uint64_t mask = 0;
    bool known = false;
    if (tr_store_skill_mask(s, c->skills, c->n_skills, &mask, &known) != TR_STORE_OK || !known ||
        mask != b_mask)
        return false;
    char t1[TR_MSG_MAX_LANGS * TR_MSG_LANG_SIZE + TR_MSG_MAX_SHIFTS * (SHIFT_TEXT + 1) + 1];
    char t2[sizeof t1];
    langs_text(c, t1, sizeof t1);
    langs_text(b, t2, sizeof t2);
    if (strcmp(c->name, b->name) != 0 || strcmp(t1, t2) != 0 ||
        strcmp(c->timezone, b->timezone) != 0)
        return false;
#define SAME_OPT(has, f) (c->has == b->has && (!c->has || c->f == b->f))
    if (!SAME_OPT(has_tier, tier) || !SAME_OPT(has_travel_mode, travel_mode) ||
        !SAME_OPT(has_radius_km, radius_km) || !SAME_OPT(has_job_limit, job_limit) ||
        !SAME_OPT(has_home, home.lat) || !SAME_OPT(has_home, home.lon) ||
        !SAME_OPT(has_active, active) || c->has_pay != b->has_pay || c->has_hours != b->has_hours)
        return false;
#undef SAME_OPT
    if (c->has_pay) {
#define SAME_PAY(has, f) (c->pay.has == b->pay.has && (!c->pay.has || c->pay.f == b->pay.f))
        if (strcmp(c->pay.currency, b->pay.currency) != 0 ||
            !SAME_PAY(has_per_hour_cents, per_hour_cents) ||
            !SAME_PAY(has_per_incident_cents, per_incident_cents))
            return false;
#undef SAME_PAY
    }
    if (c->has_hours) {
        hours_text(c, t1, sizeof t1);
        hours_text(b, t2, sizeof t2);
        if (strcmp(t1, t2) != 0)
            return false;
    }
    return true;
}

int tr_store_contractor_same(struct tr_store *s, const struct tr_contractor *c, bool *same)
{
    if (same)
        *same = false;
    if (!s || !c || !same)
        return TR_STORE_ERR_INVALID;
    int rc = validate(s, c, TR_STORE_ERR_INVALID);
    if (rc != TR_STORE_OK)
        return rc;
    struct tr_contractor *b = malloc(sizeof *b);
    if (!b)
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    struct tr_store_contractor_meta m;
    rc = get_row(s, c->contractor_id, b, &m);
    if (rc == TR_STORE_OK)
        *same = same_record(s, c, b, m.skill_mask);
    free(b);
    return rc;
}

/* Apply the keys given in u to c. */
static void apply_update(struct tr_contractor *c, const struct tr_req_contractor_update *u)
{
    const struct tr_contractor *n = &u->c;
    if (u->has_name)
        memcpy(c->name, n->name, sizeof c->name);
    if (u->has_skills) {
        c->n_skills = n->n_skills;
        memcpy(c->skills, n->skills, sizeof c->skills);
    }
    if (u->has_languages) {
        c->n_languages = n->n_languages;
        memcpy(c->languages, n->languages, sizeof c->languages);
    }
    if (u->has_timezone)
        memcpy(c->timezone, n->timezone, sizeof c->timezone);
    if (n->has_tier) {
        c->has_tier = true;
        c->tier = n->tier;
    }
    if (n->has_travel_mode) {
        c->has_travel_mode = true;
        c->travel_mode = n->travel_mode;
    }
    if (n->has_radius_km) {
        c->has_radius_km = true;
        c->radius_km = n->radius_km;
    }
    if (n->has_job_limit) {
        c->has_job_limit = true;
        c->job_limit = n->job_limit;
    }
    if (n->has_hours) {
        c->has_hours = true;
        c->n_hours = n->n_hours;
        memcpy(c->hours, n->hours, sizeof c->hours);
    }
    if (n->has_pay) {
        c->has_pay = true;
        c->pay = n->pay;
    }
    if (n->has_home) {
        c->has_home = true;
        c->home = n->home;
    }
    if (n->has_active) {
        c->has_active = true;
        c->active = n->active;
    }
}

int tr_store_contractor_update(struct tr_store *s, const struct tr_req_contractor_update *u,
                               int64_t now_ms, struct tr_contractor *after,
                               struct tr_store_contractor_meta *meta)
{
    if (!s || !u)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_agent_id(u->c.contractor_id))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad contractor id");
    if (!tr_store_valid_time(now_ms))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "now_ms out of range");
    struct tr_contractor *c = malloc(sizeof *c);
    if (!c)
        return tr_store_fail(s, false, TR_STORE_ERR_NOMEM, "out of memory");
    struct tr_store_contractor_meta m;
    int rc = tr_store_begin(s, false);
    if (rc != TR_STORE_OK)
        goto out;
    rc = get_row(s, u->c.contractor_id, c, &m);
    if (rc != TR_STORE_OK)
        goto fail;
    apply_update(c, u);
    rc = validate(s, c, TR_STORE_ERR_INVALID);
    if (rc != TR_STORE_OK)
        goto fail;
    uint64_t mask = 0;
    rc = tr_store_skills_assign(s, c->skills, c->n_skills, now_ms, &mask);
    if (rc != TR_STORE_OK)
        goto fail;
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_CON_UPDATE,
        "UPDATE contractor SET name = ?3, skills = ?4, languages = ?5, tier = ?6,"
        " travel_mode = ?7, radius_km = ?8, job_limit = ?9, timezone = ?10, hours = ?11,"
        " pay_currency = ?12, pay_per_hour = ?13, pay_per_incident = ?14, home_lat = ?15,"
        " home_lon = ?16, active = ?17, updated = ?18 WHERE id = ?1 AND contractor_id = ?2",
        &rc);
    if (!st)
        goto fail;
    char langs[TR_MSG_MAX_LANGS * TR_MSG_LANG_SIZE];
    char hours[TR_MSG_MAX_SHIFTS * (SHIFT_TEXT + 1) + 1];
    bind_record(st, c, mask, langs, sizeof langs, hours, sizeof hours);
    sqlite3_bind_int64(st, 1, m.row_id);
    sqlite3_bind_int64(st, 18, now_ms);
    rc = tr_store_exec_stmt(s, false, st, "contractor update");
    if (rc != TR_STORE_OK)
        goto fail;
    rc = tr_store_commit(s, false);
    if (rc != TR_STORE_OK)
        goto fail;
    m.skill_mask = mask;
    m.updated = now_ms;
    /* read back what the next reader will see (defaults filled in) */
    rc = get_row(s, u->c.contractor_id, c, &m);
    if (rc == TR_STORE_OK && after)
        *after = *c;
    if (rc == TR_STORE_OK && meta)
        *meta = m;
    goto out;
fail:
    tr_store_rollback(s, false);
    tr_store_skills_load(s);
out:
    free(c);
    return rc;
}

int tr_store_contractor_get(struct tr_store *s, const char *contractor_id,
                            struct tr_contractor *out, struct tr_store_contractor_meta *meta)
{
    if (!s || !out)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_agent_id(contractor_id))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad contractor id");
    struct tr_store_contractor_meta m;
    int rc = get_row(s, contractor_id, out, &m);
    if (rc == TR_STORE_OK && meta)
        *meta = m;
    return rc;
}

int tr_store_contractor_list(struct tr_store *s, const struct tr_store_contractor_filter *f,
                             struct tr_contractor **out, size_t *n, int64_t *total,
                             size_t *n_corrupt)
{
    if (out)
        *out = NULL;
    if (n)
        *n = 0;
    if (!s || !f || !out || !n)
        return TR_STORE_ERR_INVALID;
    if (f->limit < 1 || f->limit > TR_MSG_MAX_LIST || f->offset < 0 || f->active < -1 ||
        f->active > 1 || (f->skill && !tr_msg_valid_skill(f->skill)))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad filter");
    int64_t mask = 0;
    if (f->skill) {
        int bit;
        if (tr_store_skill_bit(s, f->skill, &bit) != TR_STORE_OK) {
            if (total)
                *total = 0; /* nobody has a skill the dictionary never saw */
            return TR_STORE_OK;
        }
        mask = (int64_t)(UINT64_C(1) << bit);
    }
#define CON_WHERE " WHERE (?1 = 0 OR (skills & ?1) != 0) AND (?2 < 0 OR coalesce(active, 1) = ?2)"
    int rc;
    if (total) {
        sqlite3_stmt *st =
            tr_store_stmt(s, ST_CON_COUNT, "SELECT count(*) FROM contractor" CON_WHERE, &rc);
        if (!st)
            return rc;
        sqlite3_bind_int64(st, 1, mask);
        sqlite3_bind_int(st, 2, f->active);
        int r = sqlite3_step(st);
        if (r != SQLITE_ROW) {
            tr_store_done(st);
            return tr_store_sqlite_fail(s, false, r, "contractor count");
        }
        *total = sqlite3_column_int64(st, 0);
        tr_store_done(st);
    }
    sqlite3_stmt *st = tr_store_stmt(
        s, ST_CON_LIST,
        "SELECT " CON_COLS " FROM contractor" CON_WHERE " ORDER BY id LIMIT ?3 OFFSET ?4", &rc);
#undef CON_WHERE
    if (!st)
        return rc;
    sqlite3_bind_int64(st, 1, mask);
    sqlite3_bind_int(st, 2, f->active);
    sqlite3_bind_int(st, 3, f->limit);
    sqlite3_bind_int(st, 4, f->offset);
    void *arr = NULL;
    rc = tr_store_rows_array(s, st, sizeof **out, (size_t)f->limit, decode_contractor,
                             "contractor list", &arr, n, n_corrupt);
    *out = arr;
    return rc;
}

struct each_ctx {
    int (*cb)(void *ctx, const struct tr_contractor *c,
              const struct tr_store_contractor_meta *meta);
    void *ctx;
};

static int each_one(void *ctx, const void *item)
{
    const struct each_ctx *e = ctx;
    const struct row_item *x = item;
    return e->cb(e->ctx, &x->c, &x->m);
}

int tr_store_contractors_each(struct tr_store *s,
                              int (*cb)(void *ctx, const struct tr_contractor *c,
                                        const struct tr_store_contractor_meta *meta),
                              void *ctx, size_t *n_corrupt)
{
    if (n_corrupt)
        *n_corrupt = 0;
    if (!s || !cb)
        return TR_STORE_ERR_INVALID;
    int rc;
    sqlite3_stmt *st =
        tr_store_stmt(s, ST_CON_ALL, "SELECT " CON_COLS " FROM contractor ORDER BY id", &rc);
    if (!st)
        return rc;
    struct each_ctx e = { cb, ctx };
    return tr_store_rows_each(s, st, sizeof(struct row_item), decode_row_item, each_one, &e,
                              "contractor scan", n_corrupt);
}

static int count_one(struct tr_store *s, int id, const char *sql, const char *agent_id, int *out)
{
    int rc;
    sqlite3_stmt *st = tr_store_stmt(s, id, sql, &rc);
    if (!st)
        return rc;
    tr_store_bind_text(st, 1, agent_id);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    else
        rc = tr_store_sqlite_fail(s, false, r, "count");
    tr_store_done(st);
    return rc;
}

int tr_store_contractor_load(struct tr_store *s, const char *agent_id, int *active_jobs,
                             int *pending_offers)
{
    if (!s)
        return TR_STORE_ERR_INVALID;
    if (!tr_msg_valid_agent_id(agent_id))
        return tr_store_fail(s, false, TR_STORE_ERR_INVALID, "bad agent id");
    int a = 0, p = 0;
    int rc = count_one(s, ST_CON_ACTIVE_JOBS,
                       "SELECT count(*) FROM job WHERE assignee = ?1 AND state IN (2, 3, 4)",
                       agent_id, &a);
    if (rc == TR_STORE_OK)
        rc = count_one(s, ST_CON_PENDING_OFFERS,
                       "SELECT count(*) FROM offer WHERE agent_id = ?1 AND outcome = 0", agent_id,
                       &p);
    if (rc == TR_STORE_OK) {
        if (active_jobs)
            *active_jobs = a;
        if (pending_offers)
            *pending_offers = p;
    }
    return rc;
}
