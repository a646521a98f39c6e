/*
 * dispatcher/core/engine_int.h: what the engine's files share and nobody
 * else sees: the contractor and job records, the id map, the timer wheel,
 * the engine handle, and the helpers each file exports to the others.
 *
 * Files: engine.c (lifecycle, public event API), contractors.c (contractor
 * table, availability), match.c (candidate search, ETA ranking), reason.c
 * (why nobody fits), jobsm.c (state graph, offer ids, actions), cascade.c
 * (offers, widening, unassigned queue), recover.c (restart, invariants),
 * idmap.c, wheel.c. Not a public header.
 */
#ifndef TR_ENGINE_INT_H
#define TR_ENGINE_INT_H

#include "dispatcher/core/engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENG_NONE UINT32_MAX
/* An available contractor's move counts as a fleet change (unassigned jobs
 * are retried) once it is this far from where it last counted. */
#define ENG_MOVE_CHANGE_M 500.0
/* Largest page of a candidate search (pages double from params.k). */
#define ENG_PAGE_MAX 256u
/* Page size of the census walks behind reasons. */
#define ENG_CENSUS_PAGE 256u

/* ------------------------------------------------------------ id map */

/* Open addressing from a string key to a uint32 value; the keys live in the
 * caller's records and are read back through `key`. */
typedef const char *(*tr_idmap_key_fn)(const void *ctx, uint32_t value);

struct tr_idmap {
    uint32_t *val; /* value + 1; 0 empty; UINT32_MAX tombstone */
    uint32_t *hash;
    size_t cap, n, tombs;
    tr_idmap_key_fn key;
    const void *ctx;
};

void tr_idmap_init(struct tr_idmap *m, tr_idmap_key_fn key, const void *ctx);
void tr_idmap_free(struct tr_idmap *m);
/* ENG_NONE when absent. */
uint32_t tr_idmap_get(const struct tr_idmap *m, const char *key);
/* Make room for `more` inserts (so later tr_idmap_put calls cannot fail). */
int tr_idmap_reserve(struct tr_idmap *m, size_t more);
/* Insert a key that is absent (reserve first). */
void tr_idmap_put(struct tr_idmap *m, const char *key, uint32_t value);
void tr_idmap_del(struct tr_idmap *m, const char *key);

/* ------------------------------------------------------------ timer wheel */

/* A hashed timer wheel: items 0..cap-1, each armed at most once; O(1) arm,
 * disarm; tr_wheel_due collects items whose deadline <= now. */
#define WHEEL_BUCKETS 4096u
#define WHEEL_GRAIN   100 /* ms per bucket */

struct tr_wheel {
    uint32_t head[WHEEL_BUCKETS];
    uint32_t *next, *prev;
    int64_t *deadline;
    uint8_t *armed;
    uint16_t *bucket;
    uint32_t cap;
    int64_t cursor; /* bucket time (ms / grain) not yet fully processed */
    bool started;
};

void tr_wheel_init(struct tr_wheel *w);
void tr_wheel_free(struct tr_wheel *w);
int tr_wheel_reserve(struct tr_wheel *w, uint32_t cap);
void tr_wheel_arm(struct tr_wheel *w, uint32_t item, int64_t deadline);
void tr_wheel_disarm(struct tr_wheel *w, uint32_t item);
/* Disarm and append to *out (grown as needed) every item due at now. */
int tr_wheel_due(struct tr_wheel *w, int64_t now, uint32_t **out, size_t *n, size_t *cap);

/* ------------------------------------------------------------ records */

struct eng_con {
    char id[TR_MSG_ID_SIZE];
    uint64_t skills;
    double radius_m;
    double lat, lon;             /* last accepted fix */
    double moved_lat, moved_lon; /* where a move last counted as a fleet change */
    double speed_mps, heading_deg;
    unsigned motion; /* TR_GEO_HAS_* of the last fix */
    int64_t fix_t;
    int64_t last_seen; /* last message of any kind from the agent */
    int32_t utc_offset_s;
    int32_t day; /* local day number jobs_today counts */
    uint16_t langs[TR_MSG_MAX_LANGS];
    uint8_t n_langs;
    uint8_t tier, travel_mode, job_limit;
    uint8_t grandfathered; /* load allowed above a lowered limit, shrinking */
    uint8_t offers, assigned;
    uint16_t jobs_today;
    int16_t reported_jobs;
    bool has_hours, active, online, self_available, on_shift, has_fix, seen;
    bool eligible;      /* what the fleet holds */
    bool in_census;     /* present in the census index */
    uint32_t first_job; /* jobs offered to / held by this contractor */
};

struct eng_tried {
    uint32_t con;
    uint8_t kind; /* enum tr_engine_tried_kind */
    uint8_t reason;
    int32_t attempt; /* the offer's attempt number, 0 = unknown */
};

enum eng_queue { Q_NONE = 0, Q_MATCH = 1, Q_UNASSIGNED = 2 };

struct eng_job {
    char id[TR_MSG_ID_SIZE];
    bool used;
    enum tr_job_state state;
    struct tr_job_spec spec;
    struct tr_site site;
    double max_radius_km;
    bool relax_language;
    int attempts, attempt_base;
    int64_t created, updated;
    uint32_t offer_con;
    int64_t offer_deadline;
    uint32_t assignee;
    char offer_id[TR_MSG_ID_SIZE]; /* the live offer, or the one the assignee accepted */
    uint32_t linked;               /* whose job list holds it: offer_con or assignee */
    uint32_t con_next, con_prev;
    struct eng_tried *tried;
    uint32_t n_tried, cap_tried;
    uint64_t mask; /* skill bits, valid for mask_dict skills in the dictionary */
    bool mask_ok;  /* every skill is in the dictionary */
    unsigned mask_dict;
    uint64_t *lang_ok; /* bitset over language ids matching spec.language */
    uint32_t lang_dict, lang_words;
    char reason[TR_MSG_NOTE_SIZE];
    int64_t reason_at;
    uint8_t queue;
    uint32_t q_next, q_prev;
    uint64_t try_epoch;
    int64_t last_try;
};

/* A candidate: contractor, distance to the job, ETA. */
struct eng_pick {
    uint32_t con;
    double distance_m, eta_s;
};

/* A fleet's rebuild cycle (engine.c). */
struct eng_rebuild {
    uint64_t pending; /* skill trees still to rebuild in this cycle */
    uint64_t u0;      /* updates_since_rebuild when the cycle started */
};

struct eng_list {
    uint32_t head, tail;
    uint32_t n;
};

struct tr_engine {
    struct tr_engine_params p;
    struct tr_fleet *fleet;  /* available contractors (eligible = available) */
    struct tr_fleet *census; /* every active contractor with a fix (reasons) */

    struct eng_con *con;
    uint32_t n_con;
    struct tr_idmap con_map;

    struct eng_job *job;
    uint32_t n_job, cap_job;
    uint32_t free_job; /* free list through q_next */
    uint32_t open_jobs;
    struct tr_idmap job_map;

    char skill[64][TR_MSG_SKILL_SIZE];
    unsigned n_skill;
    struct tr_idmap skill_map;
    char (*lang)[TR_MSG_LANG_SIZE];
    uint32_t n_lang, cap_lang;
    struct tr_idmap lang_map;

    struct tr_wheel con_wheel, job_wheel;
    uint32_t *due;
    size_t n_due, cap_due;

    struct eng_list match_q, unassigned_q;
    uint64_t epoch; /* bumped when a contractor becomes available or an available one moves */
    uint64_t skill_epoch[64]; /* the last epoch that touched a contractor with skill bit b */
    int64_t last_tick;
    struct eng_rebuild rebuild[2]; /* fleet, census */
    int64_t now;                   /* of the current call */

    struct tr_engine_action *act;
    size_t n_act, cap_act;
    size_t group; /* the open group's TRANSITION index */

    struct tr_fleet_result *res;  /* max(k, ENG_PAGE_MAX) results */
    struct tr_fleet_result *cres; /* ENG_CENSUS_PAGE results */
    struct eng_pick *pool;        /* candidates near the best ETA */
    size_t n_pool, cap_pool;
    struct tr_engine_stats st;
};

/* ------------------------------------------------------------ helpers */

/* engine.c */
void eng_begin(struct tr_engine *eng, int64_t now_ms);

/* contractors.c */
const char *eng_con_key(const void *ctx, uint32_t v);
uint32_t eng_con_find(const struct tr_engine *eng, const char *id);
/* A contractor with these skills became available, moved or changed. */
void eng_fleet_changed(struct tr_engine *eng, uint64_t skills);
enum tr_engine_unavail eng_con_unavail(const struct tr_engine *eng, const struct eng_con *c,
                                       int64_t now);
/* Recompute availability at eng->now, update the fleet flag, re-arm the
 * contractor's timer, bump the epoch when it becomes available. */
void eng_con_refresh(struct tr_engine *eng, uint32_t ci);
int eng_con_jobs_today(const struct tr_engine *eng, const struct eng_con *c, int64_t now);
void eng_con_count_accept(struct tr_engine *eng, uint32_t ci);
/* Count an accept made at t (<= eng->now) when t falls on the contractor's
 * local today (its current UTC offset); other days are ignored. */
void eng_con_count_accept_at(struct tr_engine *eng, uint32_t ci, int64_t t);
/* Contractor timer fired. */
void eng_con_timer(struct tr_engine *eng, uint32_t ci);
double eng_speed_mps(const struct tr_engine *eng, unsigned travel_mode);
const char *eng_skill_name(const struct tr_engine *eng, unsigned bit);
int eng_lang_intern(struct tr_engine *eng, const char *tag, uint16_t *out);

/* match.c */
/* The job's required bits; false if a skill is unknown (nobody has it). */
bool eng_job_mask(struct tr_engine *eng, struct eng_job *j, uint64_t *mask);
/* Refresh the job's language bitset; false on ENOMEM. */
bool eng_job_langs(struct tr_engine *eng, struct eng_job *j);
bool eng_con_speaks(const struct tr_engine *eng, const struct eng_job *j, const struct eng_con *c);
bool eng_job_tried(const struct eng_job *j, uint32_t ci);
double eng_job_max_radius_km(const struct tr_engine *eng, const struct eng_job *j);
/* Radii of the widening steps in km, ascending; returns how many. */
unsigned eng_steps(const struct tr_engine *eng, const struct eng_job *j,
                   double out[TR_ENGINE_MAX_STEPS + 1]);
/* The best candidate by ETA in the first widening step that has one;
 * *found false when no step has any. */
int eng_best(struct tr_engine *eng, struct eng_job *j, struct eng_pick *out, bool *found);

/* reason.c */
void eng_reason(struct tr_engine *eng, struct eng_job *j, char *out, size_t len);

/* jobsm.c */
bool eng_edge_ok(enum tr_job_state from, enum tr_job_state to);
bool eng_state_open(enum tr_job_state s);
void eng_offer_id(const char *job_id, int attempt, char out[TR_MSG_ID_SIZE]);
/* The attempt number an offer id of this job encodes, or -1. */
int eng_offer_attempt(const char *job_id, const char *offer_id);
void eng_copy(char *dst, size_t size, const char *src); /* truncates on a UTF-8 boundary */
void eng_job_to_msg(const struct tr_engine *eng, const struct eng_job *j, struct tr_job *out);
/* Room for `more` actions, so that the appends below cannot fail. */
int eng_act_reserve(struct tr_engine *eng, size_t more);
/* Append a TRANSITION from `from` to the job's (already updated) state; it
 * opens a group. */
struct tr_engine_transition *eng_act_transition(struct tr_engine *eng, struct eng_job *j,
                                                enum tr_job_state from, const char *actor);
/* Append a message to agent ci (ENG_NONE: none), in the open group or not. */
struct tr_engine_action *eng_act_msg(struct tr_engine *eng, struct eng_job *j,
                                     enum tr_engine_action_kind kind, uint32_t ci, bool grouped);

/* cascade.c */
struct eng_resolve {
    enum tr_engine_offer_outcome outcome;
    bool has_decline_reason;
    enum tr_decline_reason decline_reason;
    const char *offer_note;
    bool cancel; /* tell the previous agent */
    enum tr_cancel_reason cancel_reason;
    const char *cancel_note;
};
/* Changes a dispatcher asked for, carried by the next transition. */
struct eng_extra {
    bool set_max_radius_km;
    double max_radius_km;
    bool set_relax_language;
    bool relax_language;
};
void eng_link(struct tr_engine *eng, uint32_t ji, uint32_t ci);
void eng_unlink(struct tr_engine *eng, uint32_t ji);
void eng_queue(struct tr_engine *eng, uint32_t ji, enum eng_queue q);
int eng_tried_add(struct eng_job *j, uint32_t ci, enum tr_engine_tried_kind kind,
                  enum tr_decline_reason reason, int attempt);
bool eng_budget_left(const struct tr_engine *eng, const struct eng_job *j);
/*
 * The job is in state new / offered (its live offer is resolved here as rs
 * says; rs required) / unassigned / released: make the next offer, or wait
 * unassigned with a reason. One TRANSITION group, none when an unassigned
 * job stays unassigned for the same reason with nothing to record. x may be
 * NULL. force_con: a dispatcher's pick (ENG_NONE = search).
 */
int eng_match(struct tr_engine *eng, uint32_t ji, const struct eng_resolve *rs,
              const struct eng_extra *x, const char *actor, const char *note, uint32_t force_con);
/* An assigned job back to matching: X -> released (tell the assignee when
 * tell), then eng_match. tier > 0: escalation to that tier. */
int eng_release(struct tr_engine *eng, uint32_t ji, const char *actor, const char *note,
                enum tr_engine_tried_kind kind, bool tell, const char *cancel_note, int tier,
                uint32_t force_con);
/* Forget a job in memory (after its terminal transition was emitted, or
 * for tr_engine_job_forget): frees its contractor's slot. */
void eng_job_close(struct tr_engine *eng, uint32_t ji);
/* Withdraw every live offer of a contractor (offline, retired). */
int eng_withdraw_offers(struct tr_engine *eng, uint32_t ci, const char *why);
/* Release accepted / en_route jobs of a contractor silent too long. */
int eng_vanish(struct tr_engine *eng, uint32_t ci);
/* Offer deadline timer fired. */
int eng_offer_expired(struct tr_engine *eng, uint32_t ji);
int eng_retry_unassigned(struct tr_engine *eng);
int eng_match_queued(struct tr_engine *eng);

/* engine.c */
uint32_t eng_job_alloc(struct tr_engine *eng);
void eng_job_free_slot(struct tr_engine *eng, uint32_t ji);
uint32_t eng_job_find(const struct tr_engine *eng, const char *id);

#endif
