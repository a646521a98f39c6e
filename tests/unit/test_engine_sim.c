/*
 * tests/unit/test_engine_sim.c: a randomized simulation of the dispatcher
 * engine (unit.engine.sim).
 *
 * Hundreds of simulated agents and thousands of jobs, driven by a seeded
 * random generator through thousands of steps: jobs created, offers
 * answered (accept, decline, late, never, replayed), progress events (legal,
 * illegal and replayed), agents going offline for minutes or for good,
 * coming back, moving, toggling availability and shift; dispatchers
 * cancelling, reassigning, widening, relaxing; a tick after every step.
 *
 * Every action is applied to a model of the store that enforces what
 * tr_store_job_transition enforces (compare-and-set on the state and the
 * pending offer, offered <=> one pending offer, assignee rules, job limits
 * counting pending offers, final states) and delivered to the agents'
 * inboxes. After every step: tr_engine_check_invariants, the model's rules,
 * at most one agent holding any job. At random points the engine is thrown
 * away and rebuilt from what the model store holds (a SIGKILL and restart),
 * and the run goes on. At the end, with every agent back and willing, every
 * job is finished, cancelled, or unassigned with a reason. No timing.
 */
#include "tests/unit/engine_fixture.h"

#include <stdint.h>
#include <stdlib.h>

#define N_AGENTS 300
#define MAX_JOBS 6000
#ifndef STEPS
#define STEPS 8000
#endif
#define DRAIN 20000
#define INBOX 8

static const char *const SKILLS[] = { "printer", "router", "disk", "wifi", "pos" };
static const char *const LANGS[] = { "en", "es", "es-MX", "de", "fr" };

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static int pick(struct rng *r, int n)
{
    return (int)(rnd(r) % (uint64_t)n);
}

static double unif(struct rng *r)
{
    return (double)(rnd(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* ------------------------------------------------------------ the model */

struct moffer {
    char id[TR_MSG_ID_SIZE];
    int agent;
    int outcome; /* 0 pending, enum tr_engine_offer_outcome */
    int decline;
};

struct mjob {
    char id[TR_MSG_ID_SIZE];
    enum tr_job_state state;
    int assignee;
    int pending; /* index into offers, -1 */
    int64_t deadline;
    int attempts;
    struct tr_job_spec spec;
    struct tr_site site;
    double max_radius;
    bool relax;
    char reason[TR_MSG_NOTE_SIZE];
    int64_t created, updated;
    struct moffer offers[64];
    int n_offers;
};

struct slot {
    int job;
    char offer[TR_MSG_ID_SIZE];
    bool used;
};

struct magent {
    char id[TR_MSG_ID_SIZE];
    struct tr_contractor prof;
    bool online, available, on_shift, gone;
    int64_t back_at, last_presence, fix_t;
    double lat, lon;
    struct slot inbox[INBOX];
    struct slot held[24];
};

struct replay {
    bool is_event;
    int agent;
    struct tr_offer_answer a;
    struct tr_job_event ev;
};

struct sim {
    struct rng r;
    struct tr_engine *e;
    struct tr_engine_params p;
    int64_t now;
    struct magent ag[N_AGENTS];
    struct mjob *jobs;
    int n_jobs;
    struct replay rp[64];
    int n_rp;
    int load[N_AGENTS]; /* live offers + held jobs, kept by apply_transition */
    int failures;
    unsigned long transitions, recoveries, errors_seen;
};

static void failf(struct sim *s, const char *what, const char *job)
{
    if (s->failures++ < 20)
        fprintf(stderr, "sim: %s (job %s, t=%lld)\n", what, job ? job : "-",
                (long long)(s->now - T0));
}

static int job_index(struct sim *s, const char *id)
{
    int n = 0;
    if (sscanf(id, "j%d", &n) != 1 || n < 0 || n >= s->n_jobs || strcmp(s->jobs[n].id, id) != 0)
        return -1;
    return n;
}

static int agent_index(const struct sim *s, const char *id)
{
    int n = 0;
    if (sscanf(id, "a%d", &n) != 1 || n < 0 || n >= N_AGENTS)
        return -1;
    return strcmp(s->ag[n].id, id) == 0 ? n : -1;
}

static bool open_state(enum tr_job_state st)
{
    return st != TR_JOB_COMPLETED && st != TR_JOB_FAILED && st != TR_JOB_CANCELLED;
}

static bool held_state(enum tr_job_state st)
{
    return st == TR_JOB_ACCEPTED || st == TR_JOB_EN_ROUTE || st == TR_JOB_ON_SITE;
}

static int model_load(const struct sim *s, int agent)
{
    int load = 0;
    for (int j = 0; j < s->n_jobs; j++) {
        const struct mjob *m = &s->jobs[j];
        if (!open_state(m->state))
            continue;
        if (held_state(m->state) && m->assignee == agent)
            load++;
        if (m->pending >= 0 && m->offers[m->pending].agent == agent)
            load++;
    }
    return load;
}

static void contrib(struct sim *s, const struct mjob *m, int sign)
{
    if (!open_state(m->state))
        return;
    if (held_state(m->state) && m->assignee >= 0)
        s->load[m->assignee] += sign;
    if (m->pending >= 0)
        s->load[m->offers[m->pending].agent] += sign;
}

/* The store's legal edges (SPEC.md), independent of the engine's table. */
static bool model_edge(enum tr_job_state f, enum tr_job_state t)
{
    if (!open_state(f))
        return false;
    if (t == TR_JOB_CANCELLED)
        return true;
    switch (f) {
    case TR_JOB_NEW:
    case TR_JOB_RELEASED:
        return t == TR_JOB_OFFERED || t == TR_JOB_UNASSIGNED;
    case TR_JOB_UNASSIGNED:
        return t == TR_JOB_OFFERED || t == TR_JOB_UNASSIGNED;
    case TR_JOB_OFFERED:
        return t == TR_JOB_OFFERED || t == TR_JOB_ACCEPTED || t == TR_JOB_UNASSIGNED;
    case TR_JOB_ACCEPTED:
        return t == TR_JOB_EN_ROUTE || t == TR_JOB_ON_SITE || t == TR_JOB_RELEASED;
    case TR_JOB_EN_ROUTE:
        return t == TR_JOB_ON_SITE || t == TR_JOB_RELEASED;
    case TR_JOB_ON_SITE:
        return t == TR_JOB_COMPLETED || t == TR_JOB_FAILED || t == TR_JOB_RELEASED;
    default:
        return false;
    }
}

static void slot_drop(struct slot *sl, int n, int job, const char *offer)
{
    for (int i = 0; i < n; i++)
        if (sl[i].used && sl[i].job == job && (!offer || !offer[0] || !strcmp(sl[i].offer, offer)))
            sl[i].used = false;
}

static void slot_add(struct sim *s, struct slot *sl, int n, int job, const char *offer)
{
    for (int i = 0; i < n; i++)
        if (sl[i].used && sl[i].job == job && !strcmp(sl[i].offer, offer))
            return;
    for (int i = 0; i < n; i++)
        if (!sl[i].used) {
            sl[i] = (struct slot){ .job = job, .used = true };
            snprintf(sl[i].offer, sizeof(sl[i].offer), "%s", offer);
            return;
        }
    failf(s, "agent slots full", NULL);
}

static void apply_cas(struct sim *s, struct mjob *m, const struct tr_engine_transition *t);

/* The store's compare-and-set transition. */
static void apply_transition(struct sim *s, const struct tr_engine_action *a)
{
    const struct tr_engine_transition *t = &a->tr;
    int j = job_index(s, a->job_id);
    if (j < 0) {
        failf(s, "transition for an unknown job", a->job_id);
        return;
    }
    struct mjob *m = &s->jobs[j];
    s->transitions++;
    contrib(s, m, -1);
    apply_cas(s, m, t);
    contrib(s, m, +1);
}

static void apply_cas(struct sim *s, struct mjob *m, const struct tr_engine_transition *t)
{
    if (m->state != t->from || !model_edge(t->from, t->to)) {
        if (s->failures < 5)
            fprintf(stderr, "  model %s, transition %s -> %s: %s\n",
                    tr_msg_job_state_name(m->state), tr_msg_job_state_name(t->from),
                    tr_msg_job_state_name(t->to), t->note);
        failf(s, "CAS: wrong from state or illegal edge", m->id);
        return;
    }
    if (t->has_expect_offer &&
        (m->pending < 0 || strcmp(m->offers[m->pending].id, t->expect_offer_id) != 0)) {
        if (s->failures < 5)
            fprintf(stderr, "  model %s pending %s, transition %s -> %s expects %s: %s\n",
                    tr_msg_job_state_name(m->state),
                    m->pending >= 0 ? m->offers[m->pending].id : "-",
                    tr_msg_job_state_name(t->from), tr_msg_job_state_name(t->to),
                    t->expect_offer_id, t->note);
        failf(s, "CAS: expected offer is not the pending one", m->id);
        return;
    }
    if (t->resolve_offer) {
        if (m->pending < 0) {
            failf(s, "resolve without a pending offer", m->id);
            return;
        }
        m->offers[m->pending].outcome = (int)t->outcome;
        m->offers[m->pending].decline = t->has_decline_reason ? (int)t->decline_reason : -1;
        if (t->outcome == TR_ENGINE_OUTCOME_ACCEPTED)
            m->assignee = m->offers[m->pending].agent;
        m->pending = -1;
    }
    if (t->assignee_op == TR_ENGINE_ASSIGNEE_SET)
        m->assignee = agent_index(s, t->assignee);
    else if (t->assignee_op == TR_ENGINE_ASSIGNEE_CLEAR)
        m->assignee = -1;
    if (t->new_offer) {
        int ag = agent_index(s, t->offer.agent_id);
        if (m->pending >= 0 || ag < 0 || m->n_offers >= 64) {
            failf(s, "new offer while one is pending", m->id);
            return;
        }
        const struct magent *g = &s->ag[ag];
        int limit = g->prof.has_job_limit ? g->prof.job_limit : 1;
        if (s->load[ag] >= limit) {
            failf(s, "LIMIT: offer to a contractor at their limit", m->id);
            return;
        }
        for (int i = 0; i < m->n_offers; i++)
            if (!strcmp(m->offers[i].id, t->offer.offer_id))
                failf(s, "offer id reused", m->id);
        struct moffer *o = &m->offers[m->n_offers];
        snprintf(o->id, sizeof(o->id), "%s", t->offer.offer_id);
        o->agent = ag;
        o->outcome = 0;
        m->pending = m->n_offers++;
        m->deadline = t->offer.deadline;
        m->attempts++;
    }
    m->state = t->to;
    if (!held_state(m->state) && open_state(m->state))
        m->assignee = -1;
    if (held_state(m->state) && m->assignee < 0)
        failf(s, "held state without an assignee", m->id);
    if ((m->state == TR_JOB_OFFERED) != (m->pending >= 0))
        failf(s, "offered <=> one pending offer broken", m->id);
    if (t->set_reason)
        snprintf(m->reason, sizeof(m->reason), "%s", t->reason);
    if (t->set_tier)
        m->spec.tier = t->tier;
    if (t->set_max_radius_km)
        m->max_radius = t->max_radius_km;
    if (t->set_relax_language)
        m->relax = t->relax_language;
    if (m->state == TR_JOB_UNASSIGNED && !m->reason[0])
        failf(s, "unassigned without a reason", m->id);
    m->updated = s->now;
}

static void apply_actions(struct sim *s)
{
    size_t n;
    const struct tr_engine_action *a = tr_engine_actions(s->e, &n);
    if (!groups_ok(s->e))
        failf(s, "action groups out of order", NULL);
    for (size_t i = 0; i < n; i++) {
        int j = job_index(s, a[i].job_id);
        int ag = agent_index(s, a[i].agent_id);
        switch (a[i].kind) {
        case TR_ENGINE_TRANSITION:
            apply_transition(s, &a[i]);
            break;
        case TR_ENGINE_SEND_OFFER:
            if (j < 0 || ag < 0 || s->jobs[j].pending < 0 ||
                strcmp(s->jobs[j].offers[s->jobs[j].pending].id, a[i].offer_id) != 0 ||
                s->jobs[j].offers[s->jobs[j].pending].agent != ag)
                failf(s, "offer sent that is not the pending one", a[i].job_id);
            else
                slot_add(s, s->ag[ag].inbox, INBOX, j, a[i].offer_id);
            break;
        case TR_ENGINE_SEND_ASSIGNMENT:
            if (j < 0 || ag < 0 || s->jobs[j].assignee != ag || !held_state(s->jobs[j].state))
                failf(s, "assignment sent to someone not the assignee", a[i].job_id);
            else
                slot_add(s, s->ag[ag].held, 24, j, a[i].offer_id);
            break;
        case TR_ENGINE_SEND_CANCELLATION:
            if (ag < 0) {
                failf(s, "cancellation to nobody", a[i].job_id);
            } else if (j >= 0) {
                slot_drop(s->ag[ag].inbox, INBOX, j, a[i].has_offer_id ? a[i].offer_id : NULL);
                if (a[i].cancel_reason != TR_CANCEL_OFFER_EXPIRED)
                    slot_drop(s->ag[ag].held, 24, j, NULL);
            }
            break;
        case TR_ENGINE_PUBLISH_JOB_STATUS:
            if (j < 0 || a[i].job.state != s->jobs[j].state)
                failf(s, "published state differs from the store", a[i].job_id);
            break;
        }
    }
}

/* ------------------------------------------------------------ checks */

static void check_all(struct sim *s, bool deep)
{
    char why[256];
    if (tr_engine_check_invariants(s->e, why, sizeof(why)) != TR_ENGINE_OK) {
        failf(s, why, NULL);
    }
    /* at most one agent holds each job, and only its assignee */
    static int holders[MAX_JOBS]; /* test scratch */
    memset(holders, 0, sizeof(int) * (size_t)s->n_jobs);
    for (int g = 0; g < N_AGENTS; g++)
        for (int i = 0; i < 24; i++)
            if (s->ag[g].held[i].used) {
                int j = s->ag[g].held[i].job;
                if (++holders[j] > 1)
                    failf(s, "two agents hold one job", s->jobs[j].id);
                if (s->jobs[j].assignee != g || !held_state(s->jobs[j].state))
                    failf(s, "an agent holds a job that is not theirs", s->jobs[j].id);
            }
    if (!deep)
        return;
    for (int g = 0; g < N_AGENTS; g++) {
        int limit = s->ag[g].prof.has_job_limit ? s->ag[g].prof.job_limit : 1;
        if (model_load(s, g) > limit)
            failf(s, "model load over the limit", s->ag[g].id);
        if (model_load(s, g) != s->load[g])
            failf(s, "model load counter wrong", s->ag[g].id);
    }
    unsigned open = 0;
    for (int j = 0; j < s->n_jobs; j++) {
        const struct mjob *m = &s->jobs[j];
        struct tr_job v;
        int rc = tr_engine_job_view(s->e, m->id, &v);
        if (!open_state(m->state)) {
            if (rc == TR_ENGINE_OK)
                failf(s, "closed job still open in the engine", m->id);
            continue;
        }
        open++;
        if (rc != TR_ENGINE_OK || v.state != m->state)
            failf(s, "engine and store disagree on a job's state", m->id);
    }
    struct tr_engine_stats st;
    tr_engine_stats(s->e, &st);
    if (st.open_jobs != open)
        failf(s, "open job counts differ", NULL);
}

/* ------------------------------------------------------------ agents */

static void send_fix(struct sim *s, int g)
{
    struct magent *a = &s->ag[g];
    if (s->now <= a->fix_t)
        return;
    a->fix_t = s->now;
    CHECK(fix_at(s->e, a->id, a->lat, a->lon, a->fix_t, s->now) == TR_ENGINE_OK);
    apply_actions(s);
}

static void send_presence(struct sim *s, int g)
{
    struct magent *a = &s->ag[g];
    CHECK(presence(s->e, a->id, a->online, a->available, s->now) == TR_ENGINE_OK);
    a->last_presence = s->now;
    apply_actions(s);
}

static void note_replay(struct sim *s, const struct replay *r)
{
    s->rp[s->n_rp % 64] = *r;
    s->n_rp++;
}

static void do_answer(struct sim *s, int g, struct tr_offer_answer *a, bool remember)
{
    int rc = tr_engine_offer_answer(s->e, a, s->now);
    if (rc != TR_ENGINE_OK)
        s->errors_seen++;
    apply_actions(s);
    if (remember) {
        struct replay r = { .agent = g, .a = *a };
        note_replay(s, &r);
    }
}

static void do_event(struct sim *s, int g, struct tr_job_event *ev, bool remember)
{
    int rc = tr_engine_job_event(s->e, ev, s->now);
    if (rc != TR_ENGINE_OK)
        s->errors_seen++;
    apply_actions(s);
    int j = job_index(s, ev->job_id);
    if (rc == TR_ENGINE_OK && j >= 0 &&
        (ev->event == TR_EVENT_COMPLETED || ev->event == TR_EVENT_FAILED ||
         ev->event == TR_EVENT_ESCALATE || ev->event == TR_EVENT_RELEASE))
        slot_drop(s->ag[g].held, 24, j, NULL);
    if (remember) {
        struct replay r = { .is_event = true, .agent = g, .ev = *ev };
        note_replay(s, &r);
    }
}

static void agent_act(struct sim *s, int g, bool drain)
{
    struct magent *a = &s->ag[g];
    if (!a->online)
        return;
    for (int i = 0; i < INBOX; i++) {
        if (!a->inbox[i].used)
            continue;
        if (!drain && unif(&s->r) < 0.3)
            return; /* thinks about it */
        int j = a->inbox[i].job;
        bool accept = drain || unif(&s->r) < 0.6;
        struct tr_offer_answer ans =
            answer(a->id, s->jobs[j].id, a->inbox[i].offer, accept,
                   (enum tr_decline_reason)pick(&s->r, TR_DECLINE_OTHER + 1));
        if (!drain && unif(&s->r) < 0.2)
            snprintf(ans.note, sizeof(ans.note), "sorry");
        a->inbox[i].used = false;
        do_answer(s, g, &ans, true);
        return;
    }
    for (int i = 0; i < 24; i++) {
        if (!a->held[i].used)
            continue;
        int j = a->held[i].job;
        enum tr_job_state st = s->jobs[j].state;
        double u = unif(&s->r);
        enum tr_event_kind k = TR_EVENT_ON_SITE;
        const char *note = NULL;
        if (st == TR_JOB_ACCEPTED)
            k = drain || u < 0.8 ? TR_EVENT_EN_ROUTE
                : u < 0.9        ? TR_EVENT_RELEASE
                                 : TR_EVENT_ON_SITE;
        else if (st == TR_JOB_EN_ROUTE)
            k = drain || u < 0.9 ? TR_EVENT_ON_SITE : TR_EVENT_RELEASE;
        else if (st == TR_JOB_ON_SITE)
            k = drain || u < 0.7           ? TR_EVENT_COMPLETED
                : u < 0.85                 ? TR_EVENT_FAILED
                : s->jobs[j].spec.tier < 3 ? TR_EVENT_ESCALATE
                                           : TR_EVENT_COMPLETED;
        if (k == TR_EVENT_FAILED || k == TR_EVENT_ESCALATE)
            note = "needs more";
        struct tr_job_event ev = event(a->id, s->jobs[j].id, k, note);
        do_event(s, g, &ev, true);
        return;
    }
}

/* ------------------------------------------------------------ world */

static void make_agents(struct sim *s)
{
    for (int g = 0; g < N_AGENTS; g++) {
        struct magent *a = &s->ag[g];
        memset(a, 0, sizeof(*a));
        snprintf(a->id, sizeof(a->id), "a%d", g);
        char skills[64] = "", langs[32];
        int ns = 1 + pick(&s->r, 3);
        for (int k = 0; k < ns; k++) {
            const char *sk = SKILLS[pick(&s->r, 5)];
            if (!strstr(skills, sk))
                snprintf(skills + strlen(skills), sizeof(skills) - strlen(skills), "%s%s",
                         skills[0] ? "," : "", sk);
        }
        snprintf(langs, sizeof(langs), "en%s", pick(&s->r, 4) == 0 ? ",es-MX" : "");
        if (pick(&s->r, 10) == 0)
            snprintf(langs, sizeof(langs), "de");
        struct con_opts o = { .skills = skills,
                              .languages = langs,
                              .tier = 1 + pick(&s->r, 3),
                              .travel = pick(&s->r, 4),
                              .radius_km = 20 + pick(&s->r, 60),
                              .limit = 1 + pick(&s->r, 3),
                              .hours = pick(&s->r, 5) == 0 };
        make_contractor(&a->prof, a->id, &o);
        a->online = pick(&s->r, 10) != 0;
        a->available = true;
        a->on_shift = true;
        int cluster = pick(&s->r, 3);
        a->lat = SITE_LA + cluster * 0.3 + (unif(&s->r) - 0.5) * 0.5;
        a->lon = SITE_LO + cluster * 0.3 + (unif(&s->r) - 0.5) * 0.6;
    }
}

/* Load the agents into a (new) engine, as a restart would: directory,
 * retained presence, last positions, shift flags. */
static void load_agents(struct sim *s)
{
    for (int g = 0; g < N_AGENTS; g++) {
        struct magent *a = &s->ag[g];
        CHECK(tr_engine_contractor_upsert(s->e, &a->prof, s->now) == TR_ENGINE_OK);
        if (a->prof.has_hours)
            CHECK(tr_engine_set_on_shift(s->e, a->id, a->on_shift, 0, s->now) == TR_ENGINE_OK);
        if (a->online || a->last_presence)
            CHECK(presence(s->e, a->id, a->online, a->available, a->last_presence) == TR_ENGINE_OK);
        if (a->fix_t)
            CHECK(fix_at(s->e, a->id, a->lat, a->lon, a->fix_t, s->now) == TR_ENGINE_OK);
    }
}

/* SIGKILL: rebuild a new engine from the store model. */
static void restart(struct sim *s)
{
    tr_engine_free(s->e);
    s->e = NULL;
    CHECK(tr_engine_new(&s->p, &s->e) == TR_ENGINE_OK);
    load_agents(s);
    for (int j = 0; j < s->n_jobs; j++) {
        struct mjob *m = &s->jobs[j];
        if (!open_state(m->state))
            continue;
        struct tr_engine_tried tried[64];
        size_t nt = 0;
        const char *accepted = NULL;
        for (int i = 0; i < m->n_offers; i++) {
            const struct moffer *o = &m->offers[i];
            struct tr_engine_tried t = { .agent_id = s->ag[o->agent].id, .offer_id = o->id };
            if (o->outcome == 0)
                continue;
            if (o->outcome == TR_ENGINE_OUTCOME_ACCEPTED) {
                if (held_state(m->state) && m->assignee == o->agent) {
                    accepted = o->id;
                    continue;
                }
                t.kind = TR_ENGINE_TRIED_RELEASED;
            } else if (o->outcome == TR_ENGINE_OUTCOME_DECLINED) {
                t.kind = TR_ENGINE_TRIED_DECLINED;
                t.decline_reason = (enum tr_decline_reason)(o->decline < 0 ? 6 : o->decline);
            } else {
                t.kind = o->outcome == TR_ENGINE_OUTCOME_EXPIRED ? TR_ENGINE_TRIED_EXPIRED
                                                                 : TR_ENGINE_TRIED_WITHDRAWN;
            }
            tried[nt++] = t;
        }
        struct tr_engine_job_record r = {
            .job_id = m->id,
            .state = m->state,
            .spec = &m->spec,
            .site = &m->site,
            .max_radius_km = m->max_radius,
            .relax_language = m->relax,
            .attempts = m->attempts,
            .created = m->created,
            .updated = m->updated,
            .assignee = held_state(m->state) ? s->ag[m->assignee].id : NULL,
            .accepted_offer_id = accepted,
            .offer_id = m->pending >= 0 ? m->offers[m->pending].id : NULL,
            .offer_agent = m->pending >= 0 ? s->ag[m->offers[m->pending].agent].id : NULL,
            .offer_deadline = m->deadline,
            .reason = m->reason,
            .tried = tried,
            .n_tried = nt,
        };
        int rc = tr_engine_recover_job(s->e, &r, s->now);
        if (rc != TR_ENGINE_OK)
            failf(s, "recovery refused a job", m->id);
    }
    s->recoveries++;
    CHECK(tr_engine_tick(s->e, s->now) == TR_ENGINE_OK);
    apply_actions(s);
}

static void create(struct sim *s)
{
    if (s->n_jobs >= MAX_JOBS)
        return;
    struct mjob *m = &s->jobs[s->n_jobs];
    memset(m, 0, sizeof(*m));
    snprintf(m->id, sizeof(m->id), "j%d", s->n_jobs);
    char skills[40];
    int s1 = pick(&s->r, 5), s2 = pick(&s->r, 5);
    if (pick(&s->r, 4) == 0 && s1 != s2)
        snprintf(skills, sizeof(skills), "%s,%s", SKILLS[s1], SKILLS[s2]);
    else
        snprintf(skills, sizeof(skills), "%s", SKILLS[s1]);
    make_job(&m->spec, &m->site, skills, pick(&s->r, 5) == 0 ? LANGS[pick(&s->r, 5)] : NULL,
             pick(&s->r, 5) == 0 ? 2 : 0);
    int cluster = pick(&s->r, 3);
    m->site.lat = SITE_LA + cluster * 0.3 + (unif(&s->r) - 0.5) * 0.5;
    m->site.lon = SITE_LO + cluster * 0.3 + (unif(&s->r) - 0.5) * 0.6;
    m->state = TR_JOB_NEW;
    m->assignee = -1;
    m->pending = -1;
    m->max_radius = pick(&s->r, 3) == 0 ? 20 + pick(&s->r, 100) : 0;
    m->created = m->updated = s->now;
    if (!m->spec.has_tier)
        m->spec.tier = 1;
    s->n_jobs++;
    int rc = tr_engine_job_create(s->e, m->id, &m->spec, &m->site, m->max_radius, s->now);
    CHECK(rc == TR_ENGINE_OK);
    apply_actions(s);
}

static int random_open_job(struct sim *s)
{
    for (int tries = 0; tries < 20 && s->n_jobs > 0; tries++) {
        int j = s->n_jobs - 1 - pick(&s->r, s->n_jobs < 200 ? s->n_jobs : 200);
        if (open_state(s->jobs[j].state))
            return j;
    }
    return -1;
}

static void world_step(struct sim *s, bool drain)
{
    s->now += 200 + pick(&s->r, 2800);
    for (int g = 0; g < N_AGENTS; g++) {
        struct magent *a = &s->ag[g];
        if (!a->online && !a->gone && a->back_at && s->now >= a->back_at) {
            a->online = true;
            send_presence(s, g);
            send_fix(s, g);
        }
        if (drain && !a->online) {
            a->online = a->available = true;
            a->gone = false;
            send_presence(s, g);
        }
        if (drain && (!a->available || !a->on_shift)) {
            a->available = a->on_shift = true;
            send_presence(s, g);
            if (a->prof.has_hours)
                CHECK(tr_engine_set_on_shift(s->e, a->id, true, 0, s->now) == TR_ENGINE_OK);
            apply_actions(s);
        }
        if (a->online && s->now - a->last_presence > 50000)
            send_presence(s, g);
        if (a->online && s->now - a->fix_t > 240000)
            send_fix(s, g);
    }
    double u = unif(&s->r);
    int g = pick(&s->r, N_AGENTS);
    struct magent *a = &s->ag[g];
    if (!drain && u < 0.30) {
        create(s);
    } else if (!drain && u < 0.33) { /* goes offline: minutes, or long enough to vanish */
        if (a->online) {
            a->online = false;
            a->back_at = s->now + 60000 * (1 + pick(&s->r, 30));
            a->gone = pick(&s->r, 20) == 0;
            if (pick(&s->r, 2))
                send_presence(s, g); /* clean shutdown; else it just goes silent */
        }
    } else if (!drain && u < 0.36) {
        a->available = !a->available;
        if (a->online)
            send_presence(s, g);
    } else if (!drain && u < 0.37 && a->prof.has_hours) {
        a->on_shift = !a->on_shift;
        CHECK(tr_engine_set_on_shift(s->e, a->id, a->on_shift, 0, s->now) == TR_ENGINE_OK);
        apply_actions(s);
    } else if (u < 0.45) { /* moves */
        if (a->online) {
            a->lat += (unif(&s->r) - 0.5) * 0.02;
            a->lon += (unif(&s->r) - 0.5) * 0.02;
            send_fix(s, g);
        }
    } else if (!drain && u < 0.47) {
        int j = random_open_job(s);
        if (j >= 0) {
            CHECK(tr_engine_job_cancel(s->e, s->jobs[j].id, "console:sim", "changed plans",
                                       s->now) == TR_ENGINE_OK);
            apply_actions(s);
        }
    } else if (!drain && u < 0.48) {
        int j = random_open_job(s);
        if (j >= 0) {
            int rc = tr_engine_job_reassign(s->e, s->jobs[j].id, a->id, "console:sim", s->now);
            if (rc != TR_ENGINE_OK)
                s->errors_seen++;
            apply_actions(s);
        }
    } else if (!drain && u < 0.49) {
        int j = random_open_job(s);
        if (j >= 0) {
            int rc =
                tr_engine_job_adjust(s->e, s->jobs[j].id, pick(&s->r, 2), 60 + pick(&s->r, 100),
                                     pick(&s->r, 2), "console:sim", s->now);
            if (rc != TR_ENGINE_OK)
                s->errors_seen++;
            apply_actions(s);
        }
    } else if (!drain && u < 0.52 && s->n_rp > 0) { /* a replayed input */
        struct replay r = s->rp[pick(&s->r, s->n_rp < 64 ? s->n_rp : 64)];
        if (r.is_event)
            do_event(s, r.agent, &r.ev, false);
        else
            do_answer(s, r.agent, &r.a, false);
    } else if (!drain) {
        for (int k = 0; k < 6; k++)
            agent_act(s, pick(&s->r, N_AGENTS), drain);
    }
    if (drain) /* everyone answers and works */
        for (int k = 0; k < N_AGENTS; k++)
            agent_act(s, k, drain);
    CHECK(tr_engine_tick(s->e, s->now) == TR_ENGINE_OK);
    apply_actions(s);
}

static void run(uint64_t seed)
{
    struct sim *s = calloc(1, sizeof(*s));
    s->jobs = calloc(MAX_JOBS, sizeof(*s->jobs));
    s->r.s = seed;
    s->now = T0;
    tr_engine_params_default(&s->p);
    s->p.capacity = 1024;
    make_agents(s);
    CHECK(tr_engine_new(&s->p, &s->e) == TR_ENGINE_OK);
    load_agents(s);
    for (int g = 0; g < N_AGENTS; g++)
        if (s->ag[g].online) {
            send_presence(s, g);
            send_fix(s, g);
        }
    for (int step = 0; step < STEPS; step++) {
        world_step(s, false);
        check_all(s, step % 100 == 0);
        if (pick(&s->r, 1500) == 0) {
            restart(s);
            check_all(s, true);
        }
    }
    restart(s);
    check_all(s, true);
    int quiet = 0, step;
    for (step = 0; step < DRAIN && quiet < 400; step++) {
        world_step(s, true);
        check_all(s, step % 200 == 0);
        bool busy = false;
        for (int j = 0; j < s->n_jobs && !busy; j++)
            busy = s->jobs[j].state == TR_JOB_OFFERED || held_state(s->jobs[j].state) ||
                   s->jobs[j].state == TR_JOB_NEW || s->jobs[j].state == TR_JOB_RELEASED;
        quiet = busy ? 0 : quiet + 1;
    }
    check_all(s, true);
    int done = 0, unassigned = 0, cancelled = 0, other = 0;
    for (int j = 0; j < s->n_jobs; j++) {
        const struct mjob *m = &s->jobs[j];
        if (m->state == TR_JOB_COMPLETED || m->state == TR_JOB_FAILED)
            done++;
        else if (m->state == TR_JOB_CANCELLED)
            cancelled++;
        else if (m->state == TR_JOB_UNASSIGNED && m->reason[0])
            unassigned++;
        else {
            other++;
            failf(s, "job neither finished nor legitimately unassigned", m->id);
        }
    }
    CHECK(quiet >= 400);
    CHECK(other == 0);
    CHECK(s->failures == 0);
    CHECK(done > s->n_jobs / 3);
    CHECK(s->recoveries >= 2);
    struct tr_engine_stats st;
    tr_engine_stats(s->e, &st);
    printf("seed %llu: %d jobs (%d done, %d cancelled, %d unassigned), %lu transitions, "
           "%lu restarts, %lu rejected inputs, drain %d steps\n",
           (unsigned long long)seed, s->n_jobs, done, cancelled, unassigned, s->transitions,
           s->recoveries, s->errors_seen, step);
    tr_engine_free(s->e);
    free(s->jobs);
    free(s);
}

int main(int argc, char **argv)
{
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 20240611u;
    run(seed);
    run(seed + 1);
    return check_report("unit.engine.sim");
}
