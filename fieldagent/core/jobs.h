/*
 * fieldagent/core/jobs.h: the handheld's local view of its offers and jobs
 * (pure): the state machine the tech drives, and the agent's mode for the
 * reporting policy.
 *
 *   offer received -> pending   (duplicate offer id: ignored; deadline
 *                                 passed by the agent clock: dropped)
 *   pending  -> accepted (offer_answer accept, before the deadline)
 *            -> gone     (declined with a reason; expired; cancelled)
 *   assignment        -> the job is confirmed (creates it when the dispatcher
 *                        assigned it by hand without an offer)
 *   accepted -> en_route -> on_site -> completed | failed  (job_event)
 *   accepted | en_route -> released; accepted | en_route | on_site -> escalated
 *   cancellation      -> the offer or job is gone, in any open state
 * The transitions allowed are the dispatcher's (dispatcher/core/events.c),
 * so an event the agent sends is never refused for its state there.
 *
 * Each command fills the wire message to send (struct tr_offer_answer or
 * struct tr_job_event, everything but the envelope id/ts); the caller
 * stores it in the outbox. Offers and jobs are named by id; NULL picks the
 * only candidate (TR_JOBS_ERR_AMBIGUOUS when there are several).
 *
 * Arrival: each job on its way (accepted, en_route) has an arrival detector
 * (arrival.h) fed by tr_jobs_on_fix; when it fires, the job is flagged
 * `arrival_suggested` for the tech to confirm.
 *
 * What it does not do: I/O, clocks (now_ms comes in: the agent's wall
 * clock, which offer deadlines are compared against), message ids, or
 * persistence (the app saves and restores the struct's content). Plain
 * struct, no allocation, fixed capacity; not thread-safe (one owner).
 */
#ifndef TR_JOBS_H
#define TR_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "fieldagent/core/arrival.h"

#define TR_JOBS_MAX_OFFERS 4  /* offers pending at once */
#define TR_JOBS_MAX_ACTIVE 4  /* jobs held at once (accepted .. on_site) */
#define TR_JOBS_SEEN       64 /* offer ids remembered for deduplication */
#define TR_JOBS_LAPSED     8  /* offers dropped at their deadline, remembered for `stale` */
#define TR_JOBS_LAPSED_MS                                                                          \
    60000 /* accept/decline naming none: `stale` this long after one lapsed                        \
           */

enum tr_jobs_err {
    TR_JOBS_OK = 0,
    TR_JOBS_ERR_INVALID = 1,     /* NULL, or a bad argument (missing note, ...) */
    TR_JOBS_ERR_NOT_FOUND = 2,   /* no such offer or job (or none at all) */
    TR_JOBS_ERR_STATE = 3,       /* not allowed in the job's current state */
    TR_JOBS_ERR_AMBIGUOUS = 4,   /* several candidates: name one */
    TR_JOBS_ERR_FULL = 5,        /* no room for another offer or job */
    TR_JOBS_ERR_DUPLICATE = 6,   /* already seen: ignored */
    TR_JOBS_ERR_STALE = 7,       /* offer deadline already passed: dropped */
    TR_JOBS_ERR_WRONG_AGENT = 8, /* the message names another agent */
};

/* The state of a held job. Numbers never change. */
enum tr_jobs_state {
    TR_JOBS_ACCEPTED = 0,
    TR_JOBS_EN_ROUTE = 1,
    TR_JOBS_ON_SITE = 2,
};

struct tr_jobs_offer {
    struct tr_offer o;   /* as received */
    int64_t received_ms; /* agent clock */
};

struct tr_jobs_job {
    char job_id[TR_MSG_ID_SIZE];
    char offer_id[TR_MSG_ID_SIZE]; /* "" when assigned without an offer */
    enum tr_jobs_state state;
    bool assigned; /* the dispatcher's assignment arrived */
    struct tr_job_spec spec;
    struct tr_site site;
    double distance_m; /* from the offer (0 when none) */
    int eta_s;
    int64_t since_ms; /* agent clock of the last state change */
    struct tr_arrival arrival;
    bool arrival_suggested;
};

struct tr_jobs_stats {
    uint64_t offers;     /* offers taken in */
    uint64_t duplicates; /* offers (or assignments) seen before: ignored */
    uint64_t stale;      /* offers whose deadline had passed on arrival */
    uint64_t expired;    /* pending offers that lapsed unanswered */
    uint64_t accepted, declined;
    uint64_t cancelled;      /* offers or jobs removed by a cancellation */
    uint64_t cancel_unknown; /* cancellations for nothing we hold */
    uint64_t assignments;    /* assignments taken in */
    uint64_t events;         /* job events made */
    uint64_t refused;        /* commands refused (state, not found, ...) */
    uint64_t full;           /* offers or jobs refused for lack of room */
    uint64_t arrivals;       /* arrival suggestions */
};

struct tr_jobs {
    char agent_id[TR_MSG_ID_SIZE];
    struct tr_arrival_params arrival;
    size_t n_offers;
    struct tr_jobs_offer offers[TR_JOBS_MAX_OFFERS]; /* by deadline, soonest first */
    size_t n_jobs;
    struct tr_jobs_job jobs[TR_JOBS_MAX_ACTIVE]; /* oldest first */
    char seen[TR_JOBS_SEEN][TR_MSG_ID_SIZE];     /* ring of offer ids */
    size_t seen_next, n_seen;
    struct {
        char offer_id[TR_MSG_ID_SIZE];
        int64_t deadline;
    } lapsed[TR_JOBS_LAPSED]; /* ring: offers tr_jobs_expire dropped */
    size_t lapsed_next;
    struct tr_jobs_stats st;
};

/* Empty state for agent_id; arrival may be NULL (defaults). */
int tr_jobs_init(struct tr_jobs *j, const char *agent_id, const struct tr_arrival_params *arrival);

/* ---- from the dispatcher (already decoded and checked by the bus) ---- */

/* TR_JOBS_OK: a new pending offer. DUPLICATE: its offer id was seen
 * before (or it is for a job already held). STALE: deadline <= now_ms.
 * FULL: no room. WRONG_AGENT: not addressed to us. */
int tr_jobs_on_offer(struct tr_jobs *j, const struct tr_offer *o, int64_t now_ms);
/* OK: job created or confirmed. DUPLICATE: already confirmed (ignored). */
int tr_jobs_on_assignment(struct tr_jobs *j, const struct tr_assignment *a, int64_t now_ms);
/* OK: the offer and/or job it names is gone. NOT_FOUND: nothing held. */
int tr_jobs_on_cancellation(struct tr_jobs *j, const struct tr_cancellation *c);
/* Drop pending offers whose deadline is <= now_ms; returns how many. */
size_t tr_jobs_expire(struct tr_jobs *j, int64_t now_ms);
/* Soonest pending offer deadline, INT64_MAX when none. */
int64_t tr_jobs_next_deadline(const struct tr_jobs *j);

/* ---- the tech's commands (each fills the message to send) ---- */

int tr_jobs_accept(struct tr_jobs *j, const char *offer_id, int64_t now_ms,
                   struct tr_offer_answer *out);
/* note may be NULL. */
int tr_jobs_decline(struct tr_jobs *j, const char *offer_id, enum tr_decline_reason reason,
                    const char *note, int64_t now_ms, struct tr_offer_answer *out);
/* en_route, on_site, completed, failed, escalate, release. note may be NULL
 * (required for failed and escalate: TR_JOBS_ERR_INVALID otherwise). pos may
 * be NULL (the event then carries no position). */
int tr_jobs_event(struct tr_jobs *j, const char *job_id, enum tr_event_kind ev, const char *note,
                  const struct tr_point *pos, int64_t now_ms, struct tr_job_event *out);

/* ---- GPS ---- */

/* Feed a fix to the arrival detectors; returns the index of a job that got
 * its arrival suggestion with this fix, or -1. */
int tr_jobs_on_fix(struct tr_jobs *j, const struct tr_fix *fix);

/* ---- views ---- */

/* idle / offered / en_route / on_site / off_shift, for the policy and the
 * presence: a held job wins over off shift (a tech may finish after
 * hours); on_site > en_route (en route) > offered (an offer pending, or a
 * job accepted but not yet en route) > off_shift > idle. */
enum tr_agent_mode tr_jobs_mode(const struct tr_jobs *j, bool on_shift);
const struct tr_jobs_offer *tr_jobs_find_offer(const struct tr_jobs *j, const char *offer_id);
const struct tr_jobs_job *tr_jobs_find_job(const struct tr_jobs *j, const char *job_id);
/* Whether offer_id was seen (dedupe memory). */
bool tr_jobs_seen(const struct tr_jobs *j, const char *offer_id);
/* Remember an offer id as seen (restoring saved state). */
void tr_jobs_mark_seen(struct tr_jobs *j, const char *offer_id);

const char *tr_jobs_state_name(enum tr_jobs_state s); /* "accepted", "en_route", "on_site" */
const char *tr_jobs_strerror(int err);

#endif
