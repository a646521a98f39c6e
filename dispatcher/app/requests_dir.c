/*
 * dispatcher/app/requests_dir.c: directory.query (who is where) and
 * coverage.query (how many qualified contractors per county or country, who
 * is on shift now, the regions with nobody, the UTC hours nobody covers).
 * Worker thread.
 *
 * Region tagging is lazy: a contractor's regions are looked up at query time
 * (about 0.15 us per point), from the engine's last accepted fix (the
 * current region) and from the record's home (the home region); nothing is
 * stored, so a region can never be stale. The directory places a contractor
 * where they are now (current region, else home region) and never shows the
 * fix itself (no lat/lon in its answers: the county, not the position);
 * coverage counts contractors by where they are based (home region, else
 * current region). Retired contractors are in neither.
 *
 * Names are resolved with tr_boundaries_find: an unknown region is
 * `not_found`, an ambiguous county name is `bad_field` with the choices in
 * the message. Without boundary data both requests are `unavailable`.
 * Nothing here writes anything.
 */
#include <stdlib.h>
#include <string.h>

#include "common/geo.h"
#include "common/log.h"
#include "dispatcher/app/requests_int.h"

#define DAY_MS   86400000LL
#define MAX_GAPS 300 /* coverage gaps listed (the answer must stay under 64 KiB) */

/* ------------------------------------------------------------- helpers */

/* Call fn for each active contractor with skill (NULL: any), a page at a
 * time. 0, or -1 when the store failed. */
static int each_contractor(struct req *r, const char *skill,
                           void (*fn)(void *u, const struct tr_contractor *c), void *u)
{
    int page = 500, at = 0;
    for (;;) {
        struct tr_contractor *cs = NULL;
        size_t n = 0;
        struct tr_store_contractor_filter f = {
            .skill = skill, .active = 1, .limit = page, .offset = at
        };
        if (tr_store_contractor_list(r->a->store, &f, &cs, &n, NULL, NULL) != TR_STORE_OK)
            return -1;
        for (size_t i = 0; i < n; i++)
            fn(u, &cs[i]);
        free(cs);
        if (n < (size_t)page)
            return 0;
        at += page;
    }
}

static bool speaks(const struct tr_contractor *c, const char *lang)
{
    for (size_t i = 0; i < c->n_languages; i++)
        if (tr_msg_lang_matches(lang, c->languages[i]))
            return true;
    return false;
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* The request's geo data, or an `unavailable` answer. */
static const struct tr_geo_boundaries *geo_or_error(struct req *r)
{
    if (!r->a->geo)
        tr_req_error(r, TR_WIRE_UNAVAILABLE, NULL,
                     "no boundary data loaded (geo.data): directory queries are not available");
    return r->a->geo;
}

/* A skill nobody has ever had is an error, not an empty answer. */
static bool skill_known(struct req *r, const char *skill)
{
    int bit;
    if (tr_store_skill_bit(r->a->store, skill, &bit) == TR_STORE_OK)
        return true;
    tr_req_error(r, TR_WIRE_NOT_FOUND, "args.skill", "unknown skill %s: no contractor has it",
                 skill);
    return false;
}

/* Region filters resolved to indices (-1: not filtered). */
struct place {
    int32_t country, state, county;
    char country_code[3];
};

static int find_one(struct req *r, enum tr_geo_level level, const char *q, const char *field,
                    const char *what, int32_t *index)
{
    const struct tr_geo_boundaries *g = r->a->geo;
    struct tr_geo_region hit[12];
    size_t n = 0;
    int rc = tr_boundaries_find(g, level, q, hit, 12, &n);
    if (rc == TR_GEO_ERR_NOT_FOUND || (rc == TR_GEO_OK && n == 0)) {
        tr_req_error(r, TR_WIRE_NOT_FOUND, field, "no %s %s", what, q);
        return -1;
    }
    if (rc != TR_GEO_OK) {
        tr_req_error(r, TR_WIRE_BAD_FIELD, field, "%s %s: %s", what, q, tr_geo_strerror(rc));
        return -1;
    }
    if (n > 1) {
        char list[TR_MSG_TEXT_SIZE] = "";
        size_t used = 0;
        for (size_t i = 0; i < n && i < 12; i++) {
            struct tr_geo_region st;
            const char *ab = "";
            if (level == TR_GEO_COUNTY && hit[i].parent >= 0 &&
                tr_boundaries_region(g, TR_GEO_STATE, (uint32_t)hit[i].parent, &st) == TR_GEO_OK)
                ab = st.abbr;
            int k = snprintf(list + used, sizeof(list) - used, "%s%s%s%s (%s)", i ? "; " : "",
                             hit[i].name, ab[0] ? ", " : "", ab, hit[i].code);
            if (k < 0 || (size_t)k >= sizeof(list) - used) {
                list[used] = '\0';
                break;
            }
            used += (size_t)k;
        }
        tr_req_error(r, TR_WIRE_BAD_FIELD, field, "%zu %ss match %s: %s%s", n, what, q, list,
                     n > 12 ? "; ..." : "");
        return -1;
    }
    *index = (int32_t)hit[0].index;
    return 0;
}

/* Resolve country / state / county arguments (any may be NULL). */
static int resolve_place(struct req *r, const char *country, const char *state, const char *county,
                         struct place *p)
{
    const struct tr_geo_boundaries *g = r->a->geo;
    struct tr_geo_region reg;
    p->country = p->state = p->county = -1;
    p->country_code[0] = '\0';
    if (country) {
        if (find_one(r, TR_GEO_COUNTRY, country, "args.country", "country", &p->country))
            return -1;
        snprintf(p->country_code, sizeof(p->country_code), "%s", country);
    }
    if (state) {
        if (country && strcmp(country, "US") != 0) {
            tr_req_error(r, TR_WIRE_BAD_FIELD, "args.state", "states are only known in the US");
            return -1;
        }
        if (find_one(r, TR_GEO_STATE, state, "args.state", "state", &p->state))
            return -1;
    }
    if (county) {
        char q[TR_MSG_COUNTY_SIZE + 8];
        bool by_name = !all_digits(county);
        if (country && strcmp(country, "US") != 0) {
            tr_req_error(r, TR_WIRE_BAD_FIELD, "args.county", "counties are only known in the US");
            return -1;
        }
        if (by_name && p->state >= 0 && !strchr(county, ',') &&
            tr_boundaries_region(g, TR_GEO_STATE, (uint32_t)p->state, &reg) == TR_GEO_OK)
            snprintf(q, sizeof(q), "%s, %s", county, reg.abbr);
        else
            snprintf(q, sizeof(q), "%s", county);
        if (find_one(r, TR_GEO_COUNTY, q, "args.county", "county", &p->county))
            return -1;
        if (p->state >= 0 &&
            tr_boundaries_region(g, TR_GEO_COUNTY, (uint32_t)p->county, &reg) == TR_GEO_OK &&
            reg.parent != p->state) {
            tr_req_error(r, TR_WIRE_NOT_FOUND, "args.county", "county %s is not in state %s",
                         county, state);
            return -1;
        }
    }
    return 0;
}

static bool in_place(const struct place *p, const struct tr_region_info *ri)
{
    if (p->country_code[0] && (!ri->country || strcmp(ri->country, p->country_code) != 0))
        return false;
    if (p->state >= 0 && ri->state_index != p->state)
        return false;
    if (p->county >= 0 && ri->county_index != p->county)
        return false;
    return true;
}

/* ------------------------------------------------------------- directory */

struct dir {
    struct req *r;
    const struct tr_req_directory_query *q;
    struct place p;
    struct tr_contractor_view *v;
    size_t n, cap;
    bool failed;
};

static void dir_one(void *u, const struct tr_contractor *c)
{
    struct dir *d = u;
    struct app *a = d->r->a;
    struct tr_contractor_view v;
    struct tr_region_info ri;
    bool has_ri = false;
    double lat = 0, lon = 0;
    if (d->failed || (d->q->has_language && !speaks(c, d->q->language)))
        return;
    tr_req_live_view(a, c, d->r->now_ms, &v);
    if (d->q->has_available && v.available != d->q->available)
        return;
    if (v.has_lat && tr_boundaries_lookup(a->geo, v.lat, v.lon, &ri) == TR_GEO_OK) {
        has_ri = true;
        lat = v.lat;
        lon = v.lon;
    } else if (c->has_home &&
               tr_boundaries_lookup(a->geo, c->home.lat, c->home.lon, &ri) == TR_GEO_OK) {
        has_ri = true;
        lat = c->home.lat;
        lon = c->home.lon;
    }
    if (!has_ri)
        memset(&ri, 0, sizeof(ri));
    if ((d->p.country_code[0] || d->p.state >= 0 || d->p.county >= 0) &&
        (!has_ri || !in_place(&d->p, &ri)))
        return;
    /* the directory shows the county, not the fix */
    v.has_lat = v.has_lon = false;
    v.lat = v.lon = 0;
    v.has_region = false;
    memset(&v.region, 0, sizeof(v.region));
    if (has_ri)
        tr_req_region_from(&ri, &v.region, &v.has_region);
    if (d->q->has_near) {
        if (!has_ri)
            return; /* nowhere known: cannot be sorted by distance */
        double m = tr_geo_distance_m(d->q->near.lat, d->q->near.lon, lat, lon);
        v.has_distance_m = true;
        v.distance_m = m < 0 ? 0 : m > 20040000 ? 20040000 : m;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct tr_contractor_view *nv = realloc(d->v, cap * sizeof(*nv));
        if (!nv) {
            d->failed = true;
            return;
        }
        d->v = nv;
        d->cap = cap;
    }
    d->v[d->n++] = v;
}

static int by_distance(const void *x, const void *y)
{
    const struct tr_contractor_view *a = x, *b = y;
    if (a->distance_m != b->distance_m)
        return a->distance_m < b->distance_m ? -1 : 1;
    return strcmp(a->c.contractor_id, b->c.contractor_id);
}

static int by_id(const void *x, const void *y)
{
    const struct tr_contractor_view *a = x, *b = y;
    return strcmp(a->c.contractor_id, b->c.contractor_id);
}

void tr_req_directory_query(struct req *r)
{
    const struct tr_req_directory_query *q = &r->msg->u.directory_query;
    struct dir d = { .r = r, .q = q };
    if (!geo_or_error(r) || (q->has_skill && !skill_known(r, q->skill)))
        return;
    if (resolve_place(r, q->has_country ? q->country : NULL, q->has_state ? q->state : NULL,
                      q->has_county ? q->county : NULL, &d.p))
        return;
    if (each_contractor(r, q->has_skill ? q->skill : NULL, dir_one, &d) || d.failed) {
        free(d.v);
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "contractors could not be listed");
        return;
    }
    if (d.n > 1)
        qsort(d.v, d.n, sizeof(*d.v), q->has_near ? by_distance : by_id);
    struct tr_msg res;
    tr_req_response_init(r, &res);
    struct tr_result *x = &res.u.response.result;
    size_t limit = (size_t)(q->has_limit ? q->limit : 50);
    x->total = (int64_t)d.n;
    x->n_contractors = d.n < limit ? d.n : limit;
    x->contractors = d.v; /* freed with the message */
    if (!x->contractors)
        x->contractors = calloc(1, sizeof(*x->contractors));
    tr_req_respond(r, &res);
}

/* ------------------------------------------------------------- coverage */

struct cov {
    struct req *r;
    const struct tr_req_coverage_query *q;
    enum tr_geo_level level; /* rows are counties or countries */
    int32_t *scope;          /* per region of level: row number, -1 out of scope */
    int64_t *qualified, *on_shift;
    uint32_t mask24;
    int64_t day_start;
};

static void cov_one(void *u, const struct tr_contractor *c)
{
    struct cov *v = u;
    struct app *a = v->r->a;
    struct tr_region_info ri;
    struct tr_engine_contractor_info ci;
    bool has = false;
    if (v->q->has_language && !speaks(c, v->q->language))
        return;
    if (c->has_home)
        has = tr_boundaries_lookup(a->geo, c->home.lat, c->home.lon, &ri) == TR_GEO_OK;
    if (!has &&
        tr_engine_contractor_info(a->eng, c->contractor_id, v->r->now_ms, &ci) == TR_ENGINE_OK &&
        ci.has_fix)
        has = tr_boundaries_lookup(a->geo, ci.lat, ci.lon, &ri) == TR_GEO_OK;
    if (!has)
        return;
    int32_t idx = v->level == TR_GEO_COUNTY ? ri.county_index : ri.country_index;
    if (idx < 0 || v->scope[idx] < 0)
        return;
    const struct tr_tz *tz = NULL;
    if (tr_tz_set_get(a->tz, c->timezone, &tz) != TR_TZ_OK)
        tz = NULL; /* as shifts.c: UTC */
    const struct tr_shift *hours = c->has_hours ? c->hours : NULL;
    uint32_t m = 0;
    tr_shift_hours_utc(tz, hours, c->n_hours, v->day_start, &m);
    v->mask24 |= m;
    v->qualified[idx]++;
    if (tr_shift_on(tz, hours, c->n_hours, v->r->now_ms))
        v->on_shift[idx]++;
}

/* The wire region of region INDEX of LEVEL. */
static void region_of_index(const struct tr_geo_boundaries *g, enum tr_geo_level level,
                            uint32_t index, struct tr_region *out)
{
    struct tr_geo_region reg, st, co;
    memset(out, 0, sizeof(*out));
    if (tr_boundaries_region(g, level, index, &reg) != TR_GEO_OK)
        return;
    if (level == TR_GEO_COUNTRY) {
        out->has_country = true;
        snprintf(out->country, sizeof(out->country), "%s", reg.code);
        return;
    }
    out->has_county = out->has_county_fips = true;
    snprintf(out->county, sizeof(out->county), "%s", reg.name);
    snprintf(out->county_fips, sizeof(out->county_fips), "%s", reg.code);
    if (reg.parent < 0 || tr_boundaries_region(g, TR_GEO_STATE, (uint32_t)reg.parent, &st))
        return;
    out->has_state = out->has_state_fips = true;
    snprintf(out->state, sizeof(out->state), "%s", st.abbr);
    snprintf(out->state_fips, sizeof(out->state_fips), "%s", st.code);
    if (st.parent >= 0 &&
        tr_boundaries_region(g, TR_GEO_COUNTRY, (uint32_t)st.parent, &co) == TR_GEO_OK &&
        strlen(co.code) == 2) {
        out->has_country = true;
        snprintf(out->country, sizeof(out->country), "%s", co.code);
    }
}

/* Which regions the answer covers: counties of the state, counties of the
 * country (when it has any), else the country, or every country. */
static size_t cov_scope(struct cov *v, const struct place *p)
{
    const struct tr_geo_boundaries *g = v->r->a->geo;
    uint32_t nc = tr_boundaries_count(g, TR_GEO_COUNTY);
    size_t rows = 0;
    if (p->state >= 0 || p->country >= 0) {
        for (uint32_t i = 0; i < nc; i++) {
            struct tr_geo_region c, s;
            v->scope[i] = -1;
            if (tr_boundaries_region(g, TR_GEO_COUNTY, i, &c) || c.parent < 0 ||
                tr_boundaries_region(g, TR_GEO_STATE, (uint32_t)c.parent, &s))
                continue;
            if (p->state >= 0 ? c.parent == p->state : s.parent == p->country)
                v->scope[i] = (int32_t)rows++;
        }
        if (rows > 0 || p->state >= 0)
            return rows;
    }
    v->level = TR_GEO_COUNTRY;
    uint32_t n = tr_boundaries_count(g, TR_GEO_COUNTRY);
    for (uint32_t i = 0; i < n; i++) {
        struct tr_geo_region c;
        v->scope[i] = -1;
        if (tr_boundaries_region(g, TR_GEO_COUNTRY, i, &c) || strlen(c.code) != 2)
            continue;
        if (p->country < 0 || (int32_t)i == p->country)
            v->scope[i] = (int32_t)rows++;
    }
    return rows;
}

void tr_req_coverage_query(struct req *r)
{
    const struct tr_req_coverage_query *q = &r->msg->u.coverage_query;
    const struct tr_geo_boundaries *g = geo_or_error(r);
    struct place p;
    struct tr_msg res;
    if (!g || (q->has_skill && !skill_known(r, q->skill)))
        return;
    if (resolve_place(r, q->has_country ? q->country : NULL, q->has_state ? q->state : NULL, NULL,
                      &p))
        return;
    uint32_t nc = tr_boundaries_count(g, TR_GEO_COUNTY),
             nk = tr_boundaries_count(g, TR_GEO_COUNTRY);
    size_t cap = (nc > nk ? nc : nk) + 1;
    struct cov v = { .r = r, .q = q, .level = TR_GEO_COUNTY };
    v.scope = malloc(cap * sizeof(*v.scope));
    v.qualified = calloc(cap, sizeof(*v.qualified));
    v.on_shift = calloc(cap, sizeof(*v.on_shift));
    v.day_start = r->now_ms - r->now_ms % DAY_MS;
    tr_req_response_init(r, &res);
    struct tr_result *x = &res.u.response.result;
    if (!v.scope || !v.qualified || !v.on_shift)
        goto nomem;
    cov_scope(&v, &p);
    if (each_contractor(r, q->has_skill ? q->skill : NULL, cov_one, &v)) {
        tr_req_error(r, TR_WIRE_INTERNAL, NULL, "contractors could not be listed");
        goto done;
    }
    uint32_t n = tr_boundaries_count(g, v.level);
    size_t n_rows = 0, n_gaps = 0;
    for (uint32_t i = 0; i < n; i++)
        if (v.scope[i] >= 0 && v.qualified[i] > 0)
            n_rows++;
        else if (v.scope[i] >= 0)
            n_gaps++;
    x->regions = calloc(n_rows ? n_rows : 1, sizeof(*x->regions));
    x->gaps = calloc(n_gaps ? (n_gaps < MAX_GAPS ? n_gaps : MAX_GAPS) : 1, sizeof(*x->gaps));
    if (!x->regions || !x->gaps)
        goto nomem;
    for (uint32_t i = 0; i < n; i++) {
        if (v.scope[i] < 0)
            continue;
        if (v.qualified[i] > 0 && x->n_regions < TR_MSG_MAX_REGIONS) {
            struct tr_coverage_row *row = &x->regions[x->n_regions++];
            region_of_index(g, v.level, i, &row->region);
            row->qualified = v.qualified[i];
            row->on_shift = v.on_shift[i];
        } else if (v.qualified[i] == 0 && x->n_gaps < MAX_GAPS) {
            region_of_index(g, v.level, i, &x->gaps[x->n_gaps++]);
        }
    }
    for (int h = 0; h < 24; h++)
        if (!(v.mask24 & (1u << h)))
            x->uncovered_hours_utc[x->n_uncovered_hours_utc++] = h;
    if (n_gaps > x->n_gaps)
        tr_log_info("coverage %s: %zu gaps, %zu listed", r->msg->id, n_gaps, x->n_gaps);
    free(v.scope);
    free(v.qualified);
    free(v.on_shift);
    tr_req_respond(r, &res);
    return;
nomem:
    tr_req_error(r, TR_WIRE_INTERNAL, NULL, "out of memory");
done:
    tr_msg_free(&res);
    free(v.scope);
    free(v.qualified);
    free(v.on_shift);
}
