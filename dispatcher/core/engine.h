/*
 * dispatcher/core/engine.h: the dispatcher's pure decision engine: the
 * contractor table and availability, matching (filters + ETA ranking), the
 * job state machine and the offer cascade (SPEC.md "Matching", "Job
 * lifecycle").
 *
 * What it does: keeps every contractor's profile, presence, last fix, shift
 * flag and load, and keeps the live fleet index's eligible flag equal to the
 * availability rules in O(1) per update; keeps every open job with its live
 * offer or assignee and the contractors already tried; turns each input
 * (a contractor update, a job, an answer, a job event, a console command, a
 * timer tick) into an ordered list of ACTIONS the shell executes.
 *
 * What it does not do: read a clock (every call takes now_ms: ms since the
 * Unix epoch, non-decreasing across calls), touch MQTT or SQLite, log, keep
 * globals, evaluate time zones (the shell passes "on shift" in), encode
 * messages, create job ids, or remember closed jobs. Not thread-safe: one
 * thread at a time.
 *
 * ------------------------------------------------------------------------
 * ACTIONS. Every call that changes something first clears the engine's
 * action list, then appends to it; tr_engine_actions() returns the list,
 * valid until the next call of any tr_engine_* function other than
 * tr_engine_actions / _stats / _job_view / _contractor_info /
 * _check_invariants. Actions come in GROUPS: a TRANSITION followed by the
 * messages about it, in this order:
 *     TRANSITION, SEND_CANCELLATION, SEND_ASSIGNMENT, SEND_OFFER,
 *     PUBLISH_JOB_STATUS
 * (each at most once per group). A message's `group` is the index of its
 * TRANSITION; messages about no transition (the offer_expired answer to a
 * late accept, a re-sent assignment) have group TR_ENGINE_NO_GROUP and
 * stand alone. The shell commits each TRANSITION and its group's messages in
 * ONE store transaction (tr_store_job_transition with the messages as its
 * outbox), in list order, before publishing anything of that group. One call
 * may yield several groups, also for one job (e.g. accepted -> released,
 * then released -> offered).
 *
 * A TRANSITION maps field by field onto struct tr_store_transition (same
 * offer outcome and assignee-op numbers). Jobs are created in the store
 * (state `new`) by the shell BEFORE tr_engine_job_create; the engine never
 * emits the creation.
 *
 * If the shell cannot commit a TRANSITION (CONFLICT, LIMIT, I/O), it must
 * drop the rest of that call's actions and resynchronise the job from the
 * store with tr_engine_job_forget + tr_engine_recover_job (or restart).
 *
 * Job graph (SPEC.md): new -> offered | unassigned; offered -> offered (the
 * previous offer resolved and the next one made in one transition),
 * accepted, unassigned; accepted -> en_route | on_site | released;
 * en_route -> on_site | released; on_site -> completed | failed | released
 * (escalation only); unassigned -> offered | unassigned (the reason text
 * changed); released -> offered | unassigned; every open state ->
 * cancelled. `released` and `new` are transient: the same call matches the
 * job again.
 *
 * Offers: one live offer per job. A live offer RESERVES one of the
 * contractor's job slots (load = live offers + jobs accepted / en_route /
 * on_site <= job_limit), as the store's LIMIT rule counts pending offers.
 * Offer ids are "<job_id>:o<attempt>" (attempt = 1, 2, ...: the job's
 * `attempts` after the offer), with a hashed job-id prefix when that would
 * exceed 64 characters: deterministic, so a replayed input yields the same
 * ids.
 *
 * Contractors already tried for a job (declined, let an offer expire, had it
 * withdrawn because they went offline, released, escalated or vanished with
 * it) are never offered that job again automatically; a dispatcher's
 * reassign may still pick them.
 */
#ifndef TR_ENGINE_H
#define TR_ENGINE_H

#include "common/msg.h"
#include "dispatcher/core/fleet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tr_engine;

/* Numbers never change. */
enum tr_engine_error {
    TR_ENGINE_OK = 0,
    TR_ENGINE_ENOMEM = 1,     /* out of memory; the engine is unchanged */
    TR_ENGINE_EINVAL = 2,     /* bad argument or field (NULL, out of range, bad id) */
    TR_ENGINE_ENOENT = 3,     /* unknown job or contractor */
    TR_ENGINE_EEXIST = 4,     /* the job id is already open */
    TR_ENGINE_EFORBIDDEN = 5, /* the sender is not the offer's agent / the job's assignee */
    TR_ENGINE_EILLEGAL = 6,   /* not allowed in the job's current state */
    TR_ENGINE_ELIMIT = 7,     /* contractor retired or at their job limit (reassign) */
    TR_ENGINE_ESKILLS = 8,    /* a 65th distinct skill: the dictionary holds 64 */
    TR_ENGINE_EFULL = 9,      /* contractor capacity or language dictionary full */
    TR_ENGINE_EREJECTED = 10, /* a fix failed validation (see enum tr_engine_fix_reject) */
};

const char *tr_engine_strerror(int err);

#define TR_ENGINE_MAX_STEPS 8
#define TR_ENGINE_NOTE_SIZE TR_MSG_LONGNOTE_SIZE /* event notes: <= 500 bytes */
#define TR_ENGINE_NO_GROUP  SIZE_MAX

/*
 * Tunables. A field left 0 takes the default in brackets.
 *   capacity            contractors at most (the fleet index size) [65536]
 *   detour_factor       road distance / great-circle distance [1.3]
 *   speed_kmh[mode]     average door-to-door speed by enum tr_travel_mode:
 *                       car 40 (urban average with stops), motorcycle 45
 *                       (filters through traffic), bicycle 15, foot 5
 *   offer_timeout_ms    an offer's deadline after it is made [60 s]
 *   presence_fresh_ms   no message from the agent for longer = offline [11 min:
 *                       two of the agent's 300 s presence heartbeats and a
 *                       minute; a dead link is caught sooner by its will]
 *   fix_fresh_ms        a fix older than this is stale [20 min: an idle agent
 *                       standing still reports every 15 min]
 *   max_future_skew_ms  a fix dated later than now + this is rejected [30 s]
 *   base_radius_km      first search radius [12.5]
 *   default_max_radius_km  a job's max radius when job.create gave none [50]
 *   widen_factors       search radii base * f (capped at the job's max
 *                       radius); the max radius itself is always the last
 *                       step [1, 2, 4]: 12.5, 25, 50 km by default. Each
 *                       step is its own candidate set: ETA ranks within a
 *                       step, and a later step is searched only when the
 *                       earlier ones hold nobody
 *   max_attempts        offers per job before it waits as unassigned; a
 *                       dispatcher command or a restart grants another
 *                       budget [50]
 *   release_after_ms    an assignee silent this long loses accepted /
 *                       en_route jobs (released) [15 min]; on_site jobs stay
 *   k                   page size of each nearest query [8]
 *   eta_tie_s           ETAs within this of the best are a tie, broken by
 *                       fewest jobs today [60 s]
 *   retry_min_interval_ms  an unassigned job is retried at most this often,
 *                       and only when the fleet changed [5 s]
 *   retry_batch         unassigned jobs retried per tick at most [64]
 *   reason_refresh_ms   an unassigned job's reason is recomputed at most
 *                       this often on retries [30 s]
 *   predict_refresh_ms  an available moving contractor's index position is
 *                       carried forward (tr_geo_predict) this often [10 s];
 *                       negative = never
 *   predict_horizon_s   ... but never further than this past the fix [120 s]
 *   rebuild_every       fleet index updates between rebuild cycles [250000];
 *                       a cycle rebuilds the changed skill trees one after
 *                       the other, in bounded steps (one per tick, well
 *                       under a millisecond each: tr_fleet_rebuild_step)
 *   kernel              fleet vector kernel [auto]
 */
struct tr_engine_params {
    uint32_t capacity;
    double detour_factor;
    double speed_kmh[4];
    int64_t offer_timeout_ms;
    int64_t presence_fresh_ms;
    int64_t fix_fresh_ms;
    int64_t max_future_skew_ms;
    double base_radius_km;
    double default_max_radius_km;
    unsigned n_widen;
    double widen_factors[TR_ENGINE_MAX_STEPS];
    int max_attempts;
    int64_t release_after_ms;
    unsigned k;
    double eta_tie_s;
    int64_t retry_min_interval_ms;
    unsigned retry_batch;
    int64_t reason_refresh_ms;
    int64_t predict_refresh_ms;
    double predict_horizon_s;
    uint64_t rebuild_every;
    enum tr_fleet_kernel kernel;
};

/* Fill every field with its default. */
void tr_engine_params_default(struct tr_engine_params *p);

/* params may be NULL (all defaults). On success *out owns a new engine. */
int tr_engine_new(const struct tr_engine_params *params, struct tr_engine **out);
/* NULL is a no-op. */
void tr_engine_free(struct tr_engine *eng);

/* ---------------------------------------------------------------- actions */

enum tr_engine_action_kind {
    TR_ENGINE_TRANSITION = 1,
    TR_ENGINE_SEND_OFFER = 2,
    TR_ENGINE_SEND_ASSIGNMENT = 3,
    TR_ENGINE_SEND_CANCELLATION = 4,
    TR_ENGINE_PUBLISH_JOB_STATUS = 5,
};

/* Same numbers as enum tr_store_offer_outcome. */
enum tr_engine_offer_outcome {
    TR_ENGINE_OUTCOME_ACCEPTED = 1,
    TR_ENGINE_OUTCOME_DECLINED = 2,
    TR_ENGINE_OUTCOME_EXPIRED = 3,
    TR_ENGINE_OUTCOME_WITHDRAWN = 4,
};

/* Same numbers as enum tr_store_assignee_op. */
enum tr_engine_assignee_op {
    TR_ENGINE_ASSIGNEE_KEEP = 0, /* accepting an offer sets its agent (store rule) */
    TR_ENGINE_ASSIGNEE_SET = 1,
    TR_ENGINE_ASSIGNEE_CLEAR = 2,
};

/* One compare-and-set job transition (see struct tr_store_transition). */
struct tr_engine_transition {
    enum tr_job_state from, to;
    char actor[TR_MSG_ID_SIZE]; /* agent id, "dispatcher", or the console actor given */
    char note[TR_ENGINE_NOTE_SIZE];

    bool has_expect_offer; /* the job's pending offer must be this one */
    char expect_offer_id[TR_MSG_ID_SIZE];

    bool resolve_offer; /* set the pending offer's outcome */
    enum tr_engine_offer_outcome outcome;
    bool has_decline_reason;
    enum tr_decline_reason decline_reason;
    char offer_note[TR_MSG_NOTE_SIZE]; /* the agent's note, "" = none */

    bool new_offer; /* make offer.offer_id pending for offer.agent_id */
    struct tr_job_offer offer;

    enum tr_engine_assignee_op assignee_op;
    char assignee[TR_MSG_ID_SIZE]; /* for SET */

    bool set_reason;               /* reason: "" clears */
    char reason[TR_MSG_NOTE_SIZE]; /* why it is stuck, for a person (<= 200 bytes) */
    bool set_tier;                 /* escalation */
    int tier;
    bool set_max_radius_km;
    double max_radius_km;
    bool set_relax_language;
    bool relax_language;
};

struct tr_engine_action {
    enum tr_engine_action_kind kind;
    char job_id[TR_MSG_ID_SIZE];
    size_t group; /* index of this group's TRANSITION, or TR_ENGINE_NO_GROUP */

    struct tr_engine_transition tr; /* TRANSITION */

    /* SEND_*: the agent's inbox */
    char agent_id[TR_MSG_ID_SIZE];
    bool has_offer_id; /* always for OFFER and ASSIGNMENT */
    char offer_id[TR_MSG_ID_SIZE];
    double distance_m;                   /* OFFER */
    int eta_s;                           /* OFFER */
    int64_t deadline;                    /* OFFER (also the MQTT v5 message expiry) */
    enum tr_cancel_reason cancel_reason; /* CANCELLATION */
    bool has_note;                       /* CANCELLATION */
    char note[TR_MSG_NOTE_SIZE];

    /* Every action: the job as it is right after this action (spec with the
     * current tier, site, state, assignee, pending offer, attempts, reason,
     * created, updated = now). region is not known here (has_region false).
     * OFFER and ASSIGNMENT take job.spec and job.site from it. */
    struct tr_job job;
};

/* The actions of the last call (see the top of this file). */
const struct tr_engine_action *tr_engine_actions(const struct tr_engine *eng, size_t *n);

/* ------------------------------------------------------------ contractors */

/*
 * Insert or replace a contractor's directory profile (skills by name: the
 * engine keeps its own name -> bit dictionary of at most 64 skills, filled
 * in first-seen order; languages interned likewise). Defaults of absent
 * optional fields are the contract's. active false = retired: never matched,
 * live offers withdrawn (assigned jobs stay). Lowering job_limit below the
 * current load withdraws nothing; no new offer until under the limit.
 * ESKILLS, EFULL, EINVAL leave everything unchanged.
 */
int tr_engine_contractor_upsert(struct tr_engine *eng, const struct tr_contractor *c,
                                int64_t now_ms);

/* A presence message (the bus checked agent_id against the topic). Online
 * sets available/active_jobs/mode; offline withdraws the agent's live offers
 * at once. Any message from the agent keeps its presence fresh. ENOENT for
 * an unknown agent. */
int tr_engine_presence(struct tr_engine *eng, const struct tr_presence *p, int64_t now_ms);

enum tr_engine_fix_reject {
    TR_ENGINE_FIX_OK = 0,
    TR_ENGINE_FIX_UNKNOWN = 1,   /* not a known contractor */
    TR_ENGINE_FIX_MODE = 2,      /* mode < 2 */
    TR_ENGINE_FIX_NONFINITE = 3, /* NaN or infinite lat, lon, speed or heading */
    TR_ENGINE_FIX_RANGE = 4,     /* lat / lon out of range */
    TR_ENGINE_FIX_FUTURE = 5,    /* t > now + max_future_skew */
    TR_ENGINE_FIX_OLD = 6,       /* t not after the last accepted fix's */
    TR_ENGINE_FIX_N = 7
};
const char *tr_engine_fix_reject_name(enum tr_engine_fix_reject r);

/* One fix of the agent, in order (feed a loc batch fix by fix). A rejected
 * fix changes nothing but a counter: EREJECTED with *why (may be NULL). */
int tr_engine_fix(struct tr_engine *eng, const char *agent_id, const struct tr_fix *fix,
                  int64_t now_ms, enum tr_engine_fix_reject *why);

/* The shell's verdict from the contractor's hours and time zone, and the
 * zone's current UTC offset (for "jobs today", counted per local day).
 * A contractor without hours (always on shift by the contract) starts on
 * shift; one with hours starts off shift until the shell says otherwise. */
int tr_engine_set_on_shift(struct tr_engine *eng, const char *agent_id, bool on_shift,
                           int32_t utc_offset_s, int64_t now_ms);

/* Restore "jobs accepted today" after a restart (fairness tie-break). */
int tr_engine_set_jobs_today(struct tr_engine *eng, const char *agent_id, int jobs_today,
                             int64_t now_ms);

/* Why a contractor is not available (the first rule that fails). */
enum tr_engine_unavail {
    TR_ENGINE_AVAILABLE = 0,
    TR_ENGINE_UNAVAIL_RETIRED = 1,
    TR_ENGINE_UNAVAIL_OFFLINE = 2,
    TR_ENGINE_UNAVAIL_NO_FIX = 3, /* no fix, or a stale one */
    TR_ENGINE_UNAVAIL_OFF_SHIFT = 4,
    TR_ENGINE_UNAVAIL_SELF = 5, /* declared unavailable */
    TR_ENGINE_UNAVAIL_BUSY = 6, /* at the job limit */
};
const char *tr_engine_unavail_name(enum tr_engine_unavail u);

struct tr_engine_contractor_info {
    uint32_t index; /* the fleet index slot */
    bool active, online, self_available, on_shift, has_fix;
    bool eligible;              /* what the fleet index holds */
    enum tr_engine_unavail why; /* evaluated at now_ms */
    double lat, lon;            /* last accepted fix */
    int64_t fix_t, last_seen;
    int load, offers, assigned, job_limit, jobs_today;
    int reported_active_jobs; /* from presence, -1 if none */
};

int tr_engine_contractor_info(const struct tr_engine *eng, const char *agent_id, int64_t now_ms,
                              struct tr_engine_contractor_info *out);

/* Sweeps over the whole fleet (the web map feed): contractors live in slots
 * 0 .. tr_engine_contractor_count() - 1, one each, in the order they were
 * first added; a slot is never reused (retired contractors keep theirs,
 * active false). tr_engine_contractor_at fills *out like
 * tr_engine_contractor_info and points *agent_id at the engine's copy of the
 * id (valid until the next call that changes the engine). ENOENT past the
 * end. */
uint32_t tr_engine_contractor_count(const struct tr_engine *eng);
int tr_engine_contractor_at(const struct tr_engine *eng, uint32_t index, int64_t now_ms,
                            const char **agent_id, struct tr_engine_contractor_info *out);

/* ------------------------------------------------------------------- jobs */

/*
 * Start matching a job the shell has just stored in state `new`.
 * max_radius_km 0 = default, else 1..1000. Emits new -> offered or
 * new -> unassigned. EEXIST if the id is open; EINVAL for a spec or site out
 * of the contract.
 */
int tr_engine_job_create(struct tr_engine *eng, const char *job_id, const struct tr_job_spec *spec,
                         const struct tr_site *site, double max_radius_km, int64_t now_ms);

/*
 * An agent's answer. Accept of the live offer: offered -> accepted,
 * SEND_ASSIGNMENT. Decline: the next candidate. Accept of an offer that is
 * no longer live (expired, withdrawn, job closed or unknown): a standalone
 * SEND_CANCELLATION(offer_expired), OK. Accept repeated for the offer that
 * made the sender the assignee: the assignment is sent again, OK. A stale
 * decline: nothing, OK. EFORBIDDEN when the sender was never offered that
 * offer; EILLEGAL for a decline of an accepted offer (use release).
 */
int tr_engine_offer_answer(struct tr_engine *eng, const struct tr_offer_answer *a, int64_t now_ms);

/* A job event from the assigned agent. ENOENT unknown job, EFORBIDDEN not
 * the assignee, EILLEGAL not allowed now (on_site twice, completed before
 * on_site, ...). Nothing changes on error. */
int tr_engine_job_event(struct tr_engine *eng, const struct tr_job_event *ev, int64_t now_ms);

/* Dispatcher commands. actor: e.g. "console:alice" (msgid pattern).
 * cancel: any open state -> cancelled, telling the offer's agent or the
 * assignee. */
int tr_engine_job_cancel(struct tr_engine *eng, const char *job_id, const char *actor,
                         const char *note, int64_t now_ms);
/* Offer the job to agent_id now (any availability except retired / at the
 * limit: ELIMIT), withdrawing a live offer or taking it from an accepted /
 * en_route assignee. EILLEGAL from on_site or when it is already theirs. */
int tr_engine_job_reassign(struct tr_engine *eng, const char *job_id, const char *agent_id,
                           const char *actor, int64_t now_ms);
/* Widen the max radius (has_radius: 1..1000 km) and / or stop requiring the
 * language; the job is matched again at once when it waits unassigned. Only
 * for new / offered / unassigned / released jobs (EILLEGAL otherwise). */
int tr_engine_job_adjust(struct tr_engine *eng, const char *job_id, bool has_radius,
                         double radius_km, bool relax_language, const char *actor, int64_t now_ms);

/*
 * Timers: offers past their deadline expire (next candidate); contractors
 * whose presence or fix went stale become unavailable (offers of agents gone
 * offline are withdrawn); assignees silent for release_after lose accepted /
 * en_route jobs; moving contractors' index positions are carried forward;
 * jobs waiting for matching (after recovery) are matched; unassigned jobs
 * are retried when the fleet changed for them since their last try (a
 * contractor with one of their skills became available, moved 500 m or had
 * their profile changed), at most retry_batch per tick and each at most
 * every retry_min_interval_ms; the index trees are rebuilt when due. Call it
 * often (e.g. every 100-1000 ms).
 */
int tr_engine_tick(struct tr_engine *eng, int64_t now_ms);

/* Rebuild the fleet index trees now (after a bulk load). */
int tr_engine_fleet_rebuild(struct tr_engine *eng);

/* The engine's view of an open job (region absent, updated = last change). */
int tr_engine_job_view(const struct tr_engine *eng, const char *job_id, struct tr_job *out);

/* ---------------------------------------------------------------- recovery */

/* Why a contractor is excluded from a job (one per offer not pending, plus
 * assignees who dropped it). From the store: an offer with outcome declined
 * / expired / withdrawn gives that kind; an accepted offer whose agent is
 * not the current assignee gives RELEASED. */
enum tr_engine_tried_kind {
    TR_ENGINE_TRIED_DECLINED = 0,
    TR_ENGINE_TRIED_EXPIRED = 1,   /* no answer before the deadline */
    TR_ENGINE_TRIED_WITHDRAWN = 2, /* went offline / retired / reassigned while offered */
    TR_ENGINE_TRIED_RELEASED = 3,  /* accepted, then released */
    TR_ENGINE_TRIED_ESCALATED = 4,
    TR_ENGINE_TRIED_VANISHED = 5, /* accepted, then silent for release_after */
};

struct tr_engine_tried {
    const char *agent_id;
    enum tr_engine_tried_kind kind;
    enum tr_decline_reason decline_reason; /* DECLINED */
    const char *offer_id;                  /* may be NULL */
};

/* An open job as the store holds it (tr_store_jobs_open, offers, events). */
struct tr_engine_job_record {
    const char *job_id;
    enum tr_job_state state; /* open: not completed / failed / cancelled */
    const struct tr_job_spec *spec;
    const struct tr_site *site;
    double max_radius_km; /* 0 = default */
    bool relax_language;
    int attempts;
    int64_t created, updated;
    const char *assignee;          /* accepted / en_route / on_site */
    const char *accepted_offer_id; /* the offer the assignee accepted; NULL = the
                                      attempts-th offer id */
    const char *offer_id;          /* offered: the pending offer */
    const char *offer_agent;
    int64_t offer_deadline; /* may be in the past: it expires at the first tick */
    const char *reason;     /* unassigned; may be NULL */
    const struct tr_engine_tried *tried;
    size_t n_tried;
};

/*
 * Rebuild one open job after a restart: load contractors (upsert, presence,
 * fixes, shift) first, then every open job, then tick. No actions; jobs in
 * new / released are matched at the next tick, offers past their deadline
 * expire then. A record breaking a rule (an offered job without an offer,
 * an unknown assignee or offer agent) is refused (EINVAL, ENOENT) and
 * changes nothing. A contractor found holding more than their limit keeps
 * it (no new offers until under it). Tried agents not known are skipped.
 */
int tr_engine_recover_job(struct tr_engine *eng, const struct tr_engine_job_record *r,
                          int64_t now_ms);
/*
 * Count one accept the store holds (an offer the agent accepted at
 * accepted_ms) into the contractor's "jobs today" when it falls on their
 * local today (by the UTC offset from tr_engine_set_on_shift: call this after
 * the shift flags). Earlier days are ignored. Call it once per stored accept
 * after a restart, not for accepts the engine made itself. No actions.
 * ENOENT for an unknown agent.
 */
int tr_engine_recover_accept(struct tr_engine *eng, const char *agent_id, int64_t accepted_ms,
                             int64_t now_ms);
/* Drop an open job from memory without any action (resync after a failed
 * commit, before tr_engine_recover_job). */
int tr_engine_job_forget(struct tr_engine *eng, const char *job_id, int64_t now_ms);

/* ------------------------------------------------------------ diagnostics */

struct tr_engine_stats {
    uint32_t contractors, eligible;
    uint32_t open_jobs, offered, assigned, unassigned;
    uint64_t fixes, fixes_rejected[TR_ENGINE_FIX_N];
    uint64_t presences;
    uint64_t offers_made, accepts, declines, expiries, withdrawals;
    uint64_t stale_answers, duplicate_accepts;
    uint64_t rejected_answers; /* EFORBIDDEN / EILLEGAL / unknown */
    uint64_t rejected_events;  /* ENOENT / EFORBIDDEN / EILLEGAL */
    uint64_t releases, escalations, vanished, cancels, completed, failed;
    uint64_t retries, knn_queries, census_queries, rebuilds;
};

void tr_engine_stats(const struct tr_engine *eng, struct tr_engine_stats *out);
/* Open and unassigned jobs in O(1), for gauges read every tick
 * (tr_engine_stats walks every contractor: ~10 ms at 1M). */
void tr_engine_job_gauges(const struct tr_engine *eng, uint32_t *open_jobs, uint32_t *unassigned);

/*
 * Check every invariant (for tests; O(contractors + jobs)): no job has two
 * assignees or two live offers; every contractor's load (live offers + held
 * jobs) is what the jobs say and within their limit; every open job is
 * offered (one live offer whose deadline is after the last tick), assigned,
 * or unassigned with a reason (new / released only while queued for
 * matching); the fleet's eligible flags equal the engine's; ids map both
 * ways. Returns OK, or EINVAL with the first violation in why.
 */
int tr_engine_check_invariants(const struct tr_engine *eng, char *why, size_t why_len);

#endif
