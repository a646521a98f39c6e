/*
 * dispatcher/store/store.h: the dispatcher's durable record in SQLite.
 *
 * What it does: contractors (the directory), the skill dictionary (skill name
 * -> bit 0..63, stable across restarts), jobs with ONE compare-and-set
 * transition function that writes the job, its offers, its append-only event
 * log (who, what, why, when) and the messages to publish about it (the
 * outbox) in one durable transaction; the outbox; position history and last
 * positions; recovery helpers (open jobs, pending offers, per (agent, boot)
 * high-water seq) for rebuilding the in-memory state at startup.
 *
 * What it does not do: decide anything (the job state machine, matching and
 * the offer cascade live in dispatcher/core), publish (dispatcher/bus reads
 * the outbox), answer nearest-contractor queries (SQLite is the record, not
 * the index), read a clock (time comes in as now_ms), or log (errors are
 * returned; tr_store_errmsg() has the details).
 *
 * Files: the record is one SQLite file `path` (WAL, synchronous=FULL: every
 * job transition is on disk before its outbox rows can be published).
 * Positions live in a second file `path` + "-positions" (WAL,
 * synchronous=NORMAL), written by their own connection: a history batch or a
 * checkpoint of the position WAL never holds the lock a job transition waits
 * for. ":memory:" gives two private in-memory databases (tests).
 *
 * Threads: functions fall in two groups, each with its own SQLite connection:
 *   positions: tr_store_positions_*, tr_store_last_positions_*;
 *   record: everything else.
 * One thread may use each group at a time; the two groups may run
 * concurrently on two threads, and tr_store_checkpoint on a third.
 * tr_store_open/close: no other call running.
 * Callbacks (the *_each iterators) must not call back into the store.
 *
 * Errors: every function returns enum tr_store_err. When it is not OK,
 * tr_store_errmsg() (record group) or tr_store_positions_errmsg() (positions
 * group) says why, with SQLite's own message where there is one.
 * Rows that fail validation when read back (a damaged or tampered database)
 * are reported as TR_STORE_ERR_CORRUPT by single-row reads and skipped and
 * counted by lists and iterators; they never crash the reader.
 *
 * Ownership: arrays returned through `**out` are malloc'ed; the caller frees
 * them with free() (outbox rows with tr_store_outbox_rows_free()). On error
 * *out is NULL and *n is 0. Strings passed in are copied; nothing is kept.
 */
#ifndef TR_STORE_H
#define TR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct tr_store;

/* Numbers never change. */
enum tr_store_err {
    TR_STORE_OK = 0,
    TR_STORE_ERR_NOMEM = 1,
    TR_STORE_ERR_IO = 2,       /* cannot open, read or write the file */
    TR_STORE_ERR_CORRUPT = 3,  /* not a (truckroll) database, damaged, or a row failing checks */
    TR_STORE_ERR_BUSY = 4,     /* locked by another process past the busy timeout */
    TR_STORE_ERR_CONFLICT = 5, /* compare-and-set failed, or a rule would be broken */
    TR_STORE_ERR_NOT_FOUND = 6,
    TR_STORE_ERR_EXISTS = 7,   /* duplicate contractor, job or offer id */
    TR_STORE_ERR_INVALID = 8,  /* bad argument or field value */
    TR_STORE_ERR_VERSION = 9,  /* the database was made by a newer truckroll */
    TR_STORE_ERR_FULL = 10,    /* disk full */
    TR_STORE_ERR_SKILLS = 11,  /* a 65th distinct skill: the dictionary holds 64 */
    TR_STORE_ERR_LIMIT = 12,   /* the contractor is at their job limit */
    TR_STORE_ERR_INTERNAL = 13 /* unexpected SQLite result (a bug) */
};

const char *tr_store_strerror(int err);

/* Schema versions (PRAGMA user_version) this build writes. */
#define TR_STORE_SCHEMA_VERSION     3
#define TR_STORE_POS_SCHEMA_VERSION 1

#define TR_STORE_MAX_SKILLS 64
#define TR_STORE_TOPIC_SIZE 256                  /* MQTT topic, <= 255 bytes */
#define TR_STORE_NOTE_SIZE  TR_MSG_LONGNOTE_SIZE /* event notes: <= 500 bytes */

/* Time values: ms since the Unix epoch, in the contract's time_ms range. */

/* ------------------------------------------------------------------ open */

enum tr_store_flags {
    TR_STORE_CREATE = 1u << 0, /* create the files when missing */
};

/*
 * Open (and create with TR_STORE_CREATE) the store at `path`, migrate an
 * older schema to the current one, and fold position history written after
 * the last flush into the last positions (so tr_store_positions_high_water
 * is exact after a crash). Refuses a file that is not a truckroll database
 * (TR_STORE_ERR_CORRUPT) or was made by a newer build (TR_STORE_ERR_VERSION).
 * On failure *out is NULL and err (may be NULL) says why.
 */
int tr_store_open(const char *path, unsigned flags, struct tr_store **out, char *err,
                  size_t errlen);
/* NULL is a no-op. */
void tr_store_close(struct tr_store *s);

/* Why the last failing call of each group failed ("" if none). */
const char *tr_store_errmsg(const struct tr_store *s);
const char *tr_store_positions_errmsg(const struct tr_store *s);

/* PRAGMA integrity_check and foreign_key_check on both files (record group
 * and positions group: call with neither in use). CORRUPT with the first
 * problem in the message. */
int tr_store_check(struct tr_store *s);

/* ----------------------------------------------------------- contractors */

/* What the store adds to a contractor record. */
struct tr_store_contractor_meta {
    uint32_t row_id;     /* stable small id, never reused: the fleet index's id */
    uint64_t skill_mask; /* bit i = skill with dictionary bit i */
    int64_t created, updated;
};

/*
 * Add a contractor. Absent optional fields stay absent (has_x false) and read
 * back with the contract's default in the value. Skills are a set: they read
 * back in dictionary bit order; languages keep their order. New skills get
 * dictionary bits in the same transaction. EXISTS for a duplicate contractor_id;
 * SKILLS when the dictionary would exceed 64; INVALID for a field out of
 * the contract. meta may be NULL.
 */
int tr_store_contractor_add(struct tr_store *s, const struct tr_contractor *c, int64_t now_ms,
                            struct tr_store_contractor_meta *meta);

/* Whether the stored contractor c->contractor_id holds exactly the record c
 * (skills compared as a set, optional fields by presence and value): an add
 * repeated after a crash finds its own record. NOT_FOUND if unknown,
 * INVALID for c out of the contract. */
int tr_store_contractor_same(struct tr_store *s, const struct tr_contractor *c, bool *same);

/* Change only the fields given (u->has_name, has_skills, has_languages,
 * has_timezone, and c.has_x for the optional ones). NOT_FOUND if unknown.
 * `after` (may be NULL) receives the record as stored. */
int tr_store_contractor_update(struct tr_store *s, const struct tr_req_contractor_update *u,
                               int64_t now_ms, struct tr_contractor *after,
                               struct tr_store_contractor_meta *meta);

int tr_store_contractor_get(struct tr_store *s, const char *contractor_id,
                            struct tr_contractor *out, struct tr_store_contractor_meta *meta);

struct tr_store_contractor_filter {
    const char *skill; /* NULL: any */
    int active;        /* -1 any, 0 retired only, 1 active only */
    int limit;         /* 1..1000 */
    int offset;        /* 0.. */
};

/* Contractors in row_id order. *total counts all matching rows (may be NULL);
 * corrupt rows are skipped (and counted in *n_corrupt, may be NULL). */
int tr_store_contractor_list(struct tr_store *s, const struct tr_store_contractor_filter *f,
                             struct tr_contractor **out, size_t *n, int64_t *total,
                             size_t *n_corrupt);

/* Every contractor, in row_id order (for loading the fleet at startup).
 * cb returns 0 to go on, non-zero to stop (tr_store_contractors_each then
 * returns OK). Corrupt rows are skipped and counted. */
int tr_store_contractors_each(struct tr_store *s,
                              int (*cb)(void *ctx, const struct tr_contractor *c,
                                        const struct tr_store_contractor_meta *meta),
                              void *ctx, size_t *n_corrupt);

/* Jobs assigned to the agent in accepted / en_route / on_site, and its
 * pending offers. Either out pointer may be NULL. */
int tr_store_contractor_load(struct tr_store *s, const char *agent_id, int *active_jobs,
                             int *pending_offers);

/* Offers accepted at or after since_ms (their `answered` time), newest
 * first: cb(ctx, agent_id, accepted_ms) returns 0 to go on, non-zero to
 * stop (then OK). For restoring "jobs today" after a restart: it reads back
 * from the newest offer and stops at offers made more than
 * TR_STORE_OFFER_MAX_MS before since_ms (no offer lives longer), so it costs
 * the recent offers, not the whole history. Damaged rows are skipped and
 * counted in *n_corrupt (may be NULL). */
#define TR_STORE_OFFER_MAX_MS 86400000LL
int tr_store_accepts_since(struct tr_store *s, int64_t since_ms,
                           int (*cb)(void *ctx, const char *agent_id, int64_t accepted_ms),
                           void *ctx, size_t *n_corrupt);

/* ------------------------------------------------------ skill dictionary */

/* Bit of a known skill: OK, or NOT_FOUND (no bit is assigned here). */
int tr_store_skill_bit(struct tr_store *s, const char *skill, int *bit);
/* Name of bit 0..63, or NULL when unassigned. Valid until the next call of
 * the record group. */
const char *tr_store_skill_name(const struct tr_store *s, int bit);
/* Mask of a list of skills (a job's requirements). Unknown skills set
 * *all_known false (nobody can have them) and add no bit. */
int tr_store_skill_mask(struct tr_store *s, const char (*skills)[TR_MSG_SKILL_SIZE], size_t n,
                        uint64_t *mask, bool *all_known);

/* ------------------------------------------------------------------ jobs */

/* A job as stored: the contract's view plus what matching needs again after
 * a restart. */
struct tr_store_job {
    struct tr_job job;
    bool has_max_radius_km;
    double max_radius_km; /* 1..1000 (job.create / job.reassign) */
    bool relax_language;
};

/* One message to publish once the transaction has committed. */
struct tr_store_outmsg {
    const char *topic; /* 1..255 bytes, no wildcards */
    const void *payload;
    size_t len; /* 0..TR_MSG_MAX_BYTES */
    int qos;    /* 0..2 */
    bool retain;
    int64_t expiry_at; /* 0 = none; else time_ms after which it is not worth sending */
};

/*
 * A fresh job id "j-<9 base36 chars of ms>-<4 base36 counter>": unique in
 * this database (always above every id it holds), sorting in creation order,
 * and matching the contract's msgid pattern.
 */
int tr_store_job_new_id(struct tr_store *s, int64_t now_ms, char id[TR_MSG_ID_SIZE]);

/*
 * Create a job in state `new` with its first event (actor, note) and the
 * outbox messages, in one durable transaction. In: job->job.spec, site,
 * region (has_region), has_max_radius_km/relax_language, and job->job.job_id
 * ("" = generate one). Out: job_id, state, created = updated = now_ms,
 * attempts 0. Other fields must be empty (no assignee, no offer). EXISTS if
 * the id is taken.
 */
int tr_store_job_create(struct tr_store *s, struct tr_store_job *job, const char *actor,
                        const char *note, int64_t now_ms, const struct tr_store_outmsg *out,
                        size_t n_out);
/* The same for a console request: (actor, request) is stored with the job
 * in the same transaction (EXISTS if that pair made a job already), for
 * tr_store_job_by_request. request must be a msgid. */
int tr_store_job_create_for(struct tr_store *s, struct tr_store_job *job, const char *actor,
                            const char *request, const char *note, int64_t now_ms,
                            const struct tr_store_outmsg *out, size_t n_out);
/* The job that request `request` of `actor` made: OK and its id, or
 * NOT_FOUND. */
int tr_store_job_by_request(struct tr_store *s, const char *actor, const char *request,
                            char job_id[TR_MSG_ID_SIZE]);

int tr_store_job_get(struct tr_store *s, const char *job_id, struct tr_store_job *out);

/* Newest first. state NULL = any. */
int tr_store_job_list(struct tr_store *s, const enum tr_job_state *state, int limit, int offset,
                      struct tr_store_job **out, size_t *n, int64_t *total, size_t *n_corrupt);

/* Every job not completed / failed / cancelled, oldest first (startup). */
int tr_store_jobs_open(struct tr_store *s, int (*cb)(void *ctx, const struct tr_store_job *job),
                       void *ctx, size_t *n_corrupt);

/* ---------------------------------------------------------------- offers */

enum tr_store_offer_outcome {
    TR_OFFER_PENDING = 0,
    TR_OFFER_ACCEPTED = 1,
    TR_OFFER_DECLINED = 2,
    TR_OFFER_EXPIRED = 3,
    TR_OFFER_WITHDRAWN = 4 /* the dispatcher took it back (cancel, reassign, agent gone) */
};
const char *tr_store_offer_outcome_name(enum tr_store_offer_outcome o);

struct tr_store_offer {
    char offer_id[TR_MSG_ID_SIZE];
    char job_id[TR_MSG_ID_SIZE];
    char agent_id[TR_MSG_ID_SIZE];
    int64_t created, deadline;
    enum tr_store_offer_outcome outcome;
    bool has_answered;
    int64_t answered; /* when the outcome was set */
    bool has_decline_reason;
    enum tr_decline_reason decline_reason;
    char note[TR_MSG_NOTE_SIZE]; /* "" = none */
};

/* All offers of a job, oldest first. */
int tr_store_job_offers(struct tr_store *s, const char *job_id, struct tr_store_offer **out,
                        size_t *n);
/* Every pending offer, earliest deadline first (startup: re-arm timers). */
int tr_store_offers_pending(struct tr_store *s,
                            int (*cb)(void *ctx, const struct tr_store_offer *offer), void *ctx,
                            size_t *n_corrupt);

/* ---------------------------------------------------------------- events */

struct tr_store_event {
    int64_t seq; /* increasing in append order across the database */
    int64_t ts;
    bool has_from; /* false for the creation event */
    enum tr_job_state from, to;
    char actor[TR_MSG_ID_SIZE];
    char note[TR_STORE_NOTE_SIZE]; /* "" = none */
};

/* A job's events in append order, at most `limit` (1..100000) from the
 * first. */
int tr_store_job_events(struct tr_store *s, const char *job_id, size_t limit,
                        struct tr_store_event **out, size_t *n);

/* ------------------------------------------------------------ transition */

enum tr_store_assignee_op {
    TR_ASSIGNEE_KEEP = 0, /* unchanged (accepting an offer sets its agent) */
    TR_ASSIGNEE_SET = 1,
    TR_ASSIGNEE_CLEAR = 2
};

/*
 * One job transition. Zero-initialise, then fill what applies.
 *
 * Checked first (CONFLICT and nothing written when any fails):
 *   - the job is in state `from` (compare-and-set);
 *   - expect_offer_id, when set, is the job's pending offer (an answer to an
 *     older offer must not move the job);
 *   - resolve_offer needs a pending offer.
 * Rules held after the change (INVALID when the request would break them):
 *   - completed, failed and cancelled are final;
 *   - state offered <=> exactly one pending offer (a new offer needs the
 *     previous one resolved in the same request);
 *   - accepted / en_route / on_site have an assignee; new, offered,
 *     unassigned and released have none (cleared automatically);
 *   - a new assignee or a new offer's agent is an active contractor under
 *     their job limit (LIMIT otherwise), counting their pending offers for a
 *     new offer.
 * Written in one transaction, committed with synchronous=FULL before
 * returning: the job row (state, updated = now_ms, assignee, attempts + 1 for
 * a new offer, reason, tier, radius, language), the offer rows, one event
 * (from, to, actor, note, now_ms) and the outbox messages.
 */
struct tr_store_transition {
    const char *job_id;
    enum tr_job_state from, to;
    const char *actor; /* msgid pattern: an agent id, "dispatcher", "console:<user>" */
    const char *note;  /* why; NULL or "" = none; <= 500 bytes */
    int64_t now_ms;

    const char *expect_offer_id; /* NULL = not checked */

    bool resolve_offer; /* set the pending offer's outcome */
    enum tr_store_offer_outcome outcome;
    bool has_decline_reason;
    enum tr_decline_reason decline_reason;
    const char *offer_note; /* the agent's note, <= 200 bytes */

    bool new_offer; /* make offer.offer_id pending for offer.agent_id */
    struct tr_job_offer offer;

    enum tr_store_assignee_op assignee_op;
    const char *assignee; /* for TR_ASSIGNEE_SET */

    const char *reason; /* why it is stuck, for a person: NULL keep, "" clear */
    bool set_tier;      /* escalation raises the required tier */
    int tier;
    bool set_max_radius_km;
    double max_radius_km;
    bool set_relax_language;
    bool relax_language;

    const struct tr_store_outmsg *out;
    size_t n_out;
};

/* `after` (may be NULL) receives the job as committed. */
int tr_store_job_transition(struct tr_store *s, const struct tr_store_transition *t,
                            struct tr_store_job *after);

/* ----------------------------------------------------------- group commit */

/*
 * Group commit for the record group (store_batch.c). Between
 * tr_store_batch_begin and tr_store_batch_commit every record-group write
 * (tr_store_job_create, tr_store_job_transition, outbox, contractors, ...)
 * is one step of a single outer transaction: each step keeps its own checks,
 * event rows and all-or-nothing effect (a failing step undoes only itself
 * and returns its error as usual), but NOTHING is durable, and the outbox
 * cannot be read for publishing (tr_store_outbox_pending returns INVALID),
 * until tr_store_batch_commit commits them all with ONE synchronous=FULL
 * commit. Reads inside the batch see its steps. The outer transaction is
 * begun by the first write: an empty batch costs nothing.
 *
 * tr_store_batch_commit: OK when everything is on disk (*steps, may be
 * NULL: how many steps it held); otherwise none of the batch's steps were
 * written (IO, or what COMMIT failed with) and the caller must treat every
 * change it made during the batch as never having happened. Either way the
 * batch is closed. Record group's thread only.
 */
int tr_store_batch_begin(struct tr_store *s);
int tr_store_batch_commit(struct tr_store *s, size_t *steps);
bool tr_store_batch_active(const struct tr_store *s);

/*
 * Checkpoints of the record's WAL, kept out of the record group's commits:
 * the record connection does not checkpoint by itself (only past ~20000
 * frames, should nobody call tr_store_checkpoint). tr_store_wal_frames
 * (record group): frames in the WAL after the last commit (the WAL file
 * restarts from its beginning at the first commit after a checkpoint that
 * copied all of it; under back-to-back commits it may keep growing until a
 * pause, which is harmless).
 * tr_store_checkpoint: a PASSIVE checkpoint (never blocks the record group)
 * through a third connection of its own, opened on first use; it may run on
 * any ONE thread, concurrently with both groups. *wal_frames / *done_frames
 * (may be NULL): frames in the WAL / copied to the database. ":memory:": a
 * no-op.
 */
int64_t tr_store_wal_frames(const struct tr_store *s);
/* Record group: true once each time the WAL has grown by
 * TR_STORE_CHECKPOINT_FRAMES since the last time it said so (the caller then
 * has tr_store_checkpoint run on its other thread). A WAL that restarted
 * from its beginning starts the count again. */
#define TR_STORE_CHECKPOINT_FRAMES 1000
bool tr_store_checkpoint_due(struct tr_store *s);
int tr_store_checkpoint(struct tr_store *s, int64_t *wal_frames, int64_t *done_frames);

/* ---------------------------------------------------------------- outbox */

struct tr_store_outbox_row {
    int64_t id; /* increasing, never reused (even after deletes) */
    char topic[TR_STORE_TOPIC_SIZE];
    unsigned char *payload; /* malloc'ed, len bytes (+ a NUL not counted) */
    size_t len;
    int qos;
    bool retain;
    int64_t expiry_at; /* 0 = none */
    int64_t created;
};

/* Messages not tied to a job transition (agent_config, ...): one durable
 * transaction. */
int tr_store_outbox_enqueue(struct tr_store *s, const struct tr_store_outmsg *m, size_t n,
                            int64_t now_ms);
/*
 * Up to `limit` (1..10000) rows with id > after_id, in id order. The
 * publisher keeps the last id it handed to the MQTT client as its cursor (in
 * memory); after a restart it starts again from 0, so everything not yet
 * deleted is published again (receivers dedupe by message id). Damaged
 * rows are skipped (never published) and counted in *n_corrupt (may be NULL).
 */
int tr_store_outbox_pending(struct tr_store *s, int64_t after_id, size_t limit,
                            struct tr_store_outbox_row **out, size_t *n, size_t *n_corrupt);
void tr_store_outbox_rows_free(struct tr_store_outbox_row *rows, size_t n);
/* Delete after the broker acknowledged them (PUBACK; QoS 0: once written).
 * Unknown ids are ignored. Committed with synchronous=NORMAL (no fsync of
 * its own): after a crash a deleted row may come back and be published
 * again (receivers dedupe by message id). */
int tr_store_outbox_delete(struct tr_store *s, const int64_t *ids, size_t n);
int tr_store_outbox_count(struct tr_store *s, int64_t *n);

/* ------------------------------------------------------------- positions */

struct tr_store_position {
    char agent_id[TR_MSG_ID_SIZE];
    char boot_id[TR_MSG_ID_SIZE];
    struct tr_fix fix; /* checked as the contract's fix */
    int64_t received;  /* when the dispatcher got it (retention uses it) */
};

/*
 * Append a batch to the history in ONE transaction (callers batch ~1000 rows
 * or 50 ms). Rows failing the checks are skipped and counted in *n_rejected
 * (may be NULL); the others are written.
 */
int tr_store_positions_append(struct tr_store *s, const struct tr_store_position *rows, size_t n,
                              size_t *n_rejected);

/*
 * Write the caller's in-memory last positions, one row per (agent, boot),
 * in one transaction; a row never moves an (agent, boot) to a lower seq.
 * Also marks the history as folded up to now: call it with a snapshot taken
 * after the fixes of every history batch already appended (e.g. on the same
 * FIFO as the batches). After a crash, tr_store_open folds the history
 * appended since the last flush, so nothing acknowledged is forgotten.
 */
int tr_store_last_positions_flush(struct tr_store *s, const struct tr_store_position *rows,
                                  size_t n, size_t *n_rejected);

/* Highest seq per (agent, boot) stored (dedupe state at startup). */
int tr_store_positions_high_water(struct tr_store *s,
                                  int (*cb)(void *ctx, const char *agent_id, const char *boot_id,
                                            int64_t seq),
                                  void *ctx, size_t *n_corrupt);
/* The newest stored position of each agent (by fix time), agent order. */
int tr_store_last_positions_each(struct tr_store *s,
                                 int (*cb)(void *ctx, const struct tr_store_position *p), void *ctx,
                                 size_t *n_corrupt);

/*
 * Retention: delete at most max_rows (1..1000000) history rows received
 * before cutoff_ms, oldest first, in one transaction, and the last-position
 * rows of boots not seen since cutoff_ms that are not an agent's newest.
 * Call again while *deleted == max_rows.
 */
int tr_store_positions_prune(struct tr_store *s, int64_t cutoff_ms, size_t max_rows,
                             size_t *deleted);
/* History rows stored (for tests and the bench). */
int tr_store_positions_count(struct tr_store *s, int64_t *n);

#endif
