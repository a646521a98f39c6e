/*
 * tests/unit/engine_fixture.h: small helpers the engine tests share (header
 * only, static functions): building contractors and jobs, feeding presence
 * and fixes, finding actions, checking invariants after each step.
 */
#ifndef TR_TEST_ENGINE_FIXTURE_H
#define TR_TEST_ENGINE_FIXTURE_H

#include "dispatcher/core/engine.h"

#include "tests/support/check.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define T0      1700000000000LL
#define SITE_LA 40.0
#define SITE_LO (-75.0)

/* A point km kilometres north (positive) or south of the site. */
static inline double north_km(double km)
{
    return SITE_LA + km / 111.195;
}

/* A point km kilometres east of the site (at its latitude). */
static inline double east_km(double km)
{
    return SITE_LO + km / (111.195 * cos(SITE_LA * M_PI / 180.0));
}

struct con_opts {
    const char *skills;    /* "a,b" */
    const char *languages; /* "en,es-MX"; NULL = "en" */
    int tier;              /* 0 = absent */
    int travel;            /* -1 = absent */
    double radius_km;      /* 0 = absent */
    int limit;             /* 0 = absent */
    bool hours;            /* has (empty) hours: the shell decides on_shift */
    bool retired;
};

typedef char fx_word[TR_MSG_LANG_SIZE];

/* Copy with truncation, always NUL-terminated. */
static inline void fx_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static inline size_t split_list(const char *csv, fx_word *out, size_t max, size_t width)
{
    size_t n = 0;
    const char *p = csv;
    while (p && *p && n < max) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= width)
            len = width - 1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        p = e ? e + 1 : NULL;
    }
    return n;
}

static inline void make_contractor(struct tr_contractor *c, const char *id,
                                   const struct con_opts *o)
{
    fx_word tmp[16];
    memset(c, 0, sizeof(*c));
    fx_copy(c->contractor_id, sizeof(c->contractor_id), id);
    snprintf(c->name, sizeof(c->name), "Tech %s", id);
    c->n_skills = split_list(o->skills ? o->skills : "printer", tmp, 16, TR_MSG_SKILL_SIZE);
    for (size_t i = 0; i < c->n_skills; i++)
        fx_copy(c->skills[i], sizeof(c->skills[i]), tmp[i]);
    c->n_languages = split_list(o->languages ? o->languages : "en", tmp, 8, TR_MSG_LANG_SIZE);
    for (size_t i = 0; i < c->n_languages; i++)
        fx_copy(c->languages[i], sizeof(c->languages[i]), tmp[i]);
    if (o->tier) {
        c->has_tier = true;
        c->tier = o->tier;
    }
    if (o->travel >= 0) {
        c->has_travel_mode = true;
        c->travel_mode = (enum tr_travel_mode)o->travel;
    }
    if (o->radius_km > 0) {
        c->has_radius_km = true;
        c->radius_km = o->radius_km;
    }
    if (o->limit) {
        c->has_job_limit = true;
        c->job_limit = o->limit;
    }
    snprintf(c->timezone, sizeof(c->timezone), "UTC");
    c->has_hours = o->hours;
    if (o->retired) {
        c->has_active = true;
        c->active = false;
    }
}

static inline int presence(struct tr_engine *e, const char *id, bool online, bool available,
                           int64_t now)
{
    struct tr_presence p;
    memset(&p, 0, sizeof(p));
    fx_copy(p.agent_id, sizeof(p.agent_id), id);
    snprintf(p.boot_id, sizeof(p.boot_id), "boot1");
    p.online = online;
    if (online) {
        p.has_available = p.has_on_shift = p.has_mode = p.has_active_jobs = true;
        p.available = available;
        p.on_shift = true;
    }
    return tr_engine_presence(e, &p, now);
}

static inline int fix_at(struct tr_engine *e, const char *id, double lat, double lon, int64_t t,
                         int64_t now)
{
    struct tr_fix f;
    memset(&f, 0, sizeof(f));
    f.t = t;
    f.lat = lat;
    f.lon = lon;
    f.mode = 3;
    return tr_engine_fix(e, id, &f, now, NULL);
}

/* A contractor online, available, with a fresh fix at (lat, lon). */
static inline int add_ready(struct tr_engine *e, const char *id, const struct con_opts *o,
                            double lat, double lon, int64_t now)
{
    struct tr_contractor c;
    struct con_opts d = { .travel = -1 };
    make_contractor(&c, id, o ? o : &d);
    int rc = tr_engine_contractor_upsert(e, &c, now);
    if (rc == TR_ENGINE_OK)
        rc = presence(e, id, true, true, now);
    if (rc == TR_ENGINE_OK)
        rc = fix_at(e, id, lat, lon, now, now);
    return rc;
}

static inline void make_job(struct tr_job_spec *s, struct tr_site *site, const char *skills,
                            const char *lang, int tier)
{
    fx_word tmp[16];
    memset(s, 0, sizeof(*s));
    memset(site, 0, sizeof(*site));
    snprintf(s->title, sizeof(s->title), "Fix it");
    s->n_skills = split_list(skills, tmp, 16, TR_MSG_SKILL_SIZE);
    for (size_t i = 0; i < s->n_skills; i++)
        fx_copy(s->skills[i], sizeof(s->skills[i]), tmp[i]);
    if (lang) {
        s->has_language = true;
        fx_copy(s->language, sizeof(s->language), lang);
    }
    if (tier) {
        s->has_tier = true;
        s->tier = tier;
    }
    site->lat = SITE_LA;
    site->lon = SITE_LO;
}

static inline int create_job(struct tr_engine *e, const char *id, const char *skills,
                             const char *lang, int tier, double max_radius_km, int64_t now)
{
    struct tr_job_spec s;
    struct tr_site site;
    make_job(&s, &site, skills, lang, tier);
    return tr_engine_job_create(e, id, &s, &site, max_radius_km, now);
}

/* The n-th action of a kind in the last call's list (NULL if none). */
static inline const struct tr_engine_action *find_act(struct tr_engine *e,
                                                      enum tr_engine_action_kind kind, int nth)
{
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    for (size_t i = 0; i < n; i++)
        if (a[i].kind == kind && nth-- == 0)
            return &a[i];
    return NULL;
}

static inline size_t count_act(struct tr_engine *e, enum tr_engine_action_kind kind)
{
    size_t n, c = 0;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    for (size_t i = 0; i < n; i++)
        c += a[i].kind == kind;
    return c;
}

/* The agent the last call offered a job to ("" if none). */
static inline const char *offered_to(struct tr_engine *e)
{
    const struct tr_engine_action *a = find_act(e, TR_ENGINE_SEND_OFFER, 0);
    return a ? a->agent_id : "";
}

/* Groups well formed: every message after its TRANSITION, same job. */
static inline bool groups_ok(struct tr_engine *e)
{
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(e, &n);
    size_t open = TR_ENGINE_NO_GROUP;
    int rank = 0;
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind == TR_ENGINE_TRANSITION) {
            if (a[i].group != i)
                return false;
            open = i;
            rank = 1;
            continue;
        }
        if (a[i].group == TR_ENGINE_NO_GROUP)
            continue;
        if (a[i].group != open || strcmp(a[i].job_id, a[open].job_id) != 0)
            return false;
        /* CANCELLATION(2) < ASSIGNMENT(3) < OFFER(4) < PUBLISH(5) */
        int r = a[i].kind == TR_ENGINE_SEND_CANCELLATION    ? 2
                : a[i].kind == TR_ENGINE_SEND_ASSIGNMENT    ? 3
                : a[i].kind == TR_ENGINE_SEND_OFFER         ? 4
                : a[i].kind == TR_ENGINE_PUBLISH_JOB_STATUS ? 5
                                                            : 0;
        if (r <= rank)
            return false;
        rank = r;
    }
    return true;
}

static inline bool engine_ok(struct tr_engine *e)
{
    char why[256];
    int rc = tr_engine_check_invariants(e, why, sizeof(why));
    if (rc != TR_ENGINE_OK)
        fprintf(stderr, "invariant: %s\n", why);
    return rc == TR_ENGINE_OK && groups_ok(e);
}

static inline struct tr_offer_answer answer(const char *agent, const char *job, const char *offer,
                                            bool accept, enum tr_decline_reason why)
{
    struct tr_offer_answer a;
    memset(&a, 0, sizeof(a));
    fx_copy(a.agent_id, sizeof(a.agent_id), agent);
    fx_copy(a.job_id, sizeof(a.job_id), job);
    fx_copy(a.offer_id, sizeof(a.offer_id), offer);
    a.answer = accept ? TR_ANSWER_ACCEPT : TR_ANSWER_DECLINE;
    if (!accept) {
        a.has_reason = true;
        a.reason = why;
    }
    return a;
}

static inline struct tr_job_event event(const char *agent, const char *job, enum tr_event_kind kind,
                                        const char *note)
{
    struct tr_job_event ev;
    memset(&ev, 0, sizeof(ev));
    fx_copy(ev.agent_id, sizeof(ev.agent_id), agent);
    fx_copy(ev.job_id, sizeof(ev.job_id), job);
    ev.event = kind;
    if (note) {
        ev.has_note = true;
        fx_copy(ev.note, sizeof(ev.note), note);
    }
    return ev;
}

#endif
