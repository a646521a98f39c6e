/*
 * dispatcher/core/fleet.h: the live fleet spatial index (pure core).
 *
 * Holds every contractor's last known position, skills and availability and
 * answers "the k nearest available contractors with these skills" exactly,
 * in about a microsecond at a million contractors.
 *
 * What it does:
 *   - one index per skill bit, holding only eligible contractors with that
 *     skill; a query searches the index of its rarest required bit and
 *     filters the other required bits with one mask compare;
 *   - each index is a complete k-d tree over float32 unit vectors stored as an
 *     implicit array with fixed-stride leaves; the leaf scan uses the widest
 *     vector unit the CPU has (AVX-512, AVX2 or plain C, chosen at run time);
 *   - float distances carry a proven error bound: the search keeps a few more
 *     candidates than asked and certifies the answer against the bound, and
 *     falls back to wider exact rounds when it cannot, so the result is always
 *     exactly what a brute-force scan with tr_geo_distance_m gives.
 *
 * What it does not do: decide availability (the caller evaluates presence,
 * fix quality, shift, self-declared state and job limit and passes one
 * "eligible" flag), rank by ETA, pick or offer a contractor, read a clock,
 * log, or touch MQTT or SQLite. Not thread-safe: one thread at a time (a
 * query uses scratch space inside the fleet).
 *
 * Distances are tr_geo_distance_m(job_lat, job_lon, contractor_lat,
 * contractor_lon) from common/geo.h, bit for bit. Results are ordered by
 * (distance_m, id, contractor), ascending.
 */
#ifndef TR_FLEET_H
#define TR_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tr_fleet;

enum tr_fleet_error {
    TR_FLEET_OK = 0,
    TR_FLEET_ENOMEM = 1,  /* out of memory; the fleet is unchanged */
    TR_FLEET_EINVAL = 2,  /* bad argument (NULL, k out of range, no skill, NaN radius...) */
    TR_FLEET_ERANGE = 3,  /* contractor index >= capacity */
    TR_FLEET_ECOORD = 4,  /* non-finite or out-of-range latitude / longitude */
    TR_FLEET_ENOENT = 5,  /* no contractor at that index */
    TR_FLEET_EKERNEL = 6, /* the requested vector kernel is not supported by this CPU */
};

const char *tr_fleet_strerror(int err);

/* Leaf scan kernels. AUTO picks the widest the CPU supports. */
enum tr_fleet_kernel {
    TR_FLEET_KERNEL_AUTO = 0,
    TR_FLEET_KERNEL_SCALAR = 1,
    TR_FLEET_KERNEL_AVX2 = 2,   /* AVX2 + FMA, 8 lanes */
    TR_FLEET_KERNEL_AVX512 = 3, /* AVX-512F, 16 lanes */
};

const char *tr_fleet_kernel_name(enum tr_fleet_kernel kernel);
/* True if this CPU (and OS) can run the kernel; AUTO and SCALAR always can. */
bool tr_fleet_kernel_supported(enum tr_fleet_kernel kernel);

struct tr_fleet_params {
    enum tr_fleet_kernel kernel; /* 0 = AUTO */
    unsigned leaf_fill;          /* entries per leaf after a rebuild, 8..56; 0 = 48 */
};

#define TR_FLEET_K_MAX      1024u
#define TR_FLEET_ALL_SKILLS UINT64_MAX

/* What the caller knows about one contractor. */
struct tr_fleet_entry {
    double lat, lon; /* degrees, tr_geo_valid(): finite, [-90, 90], [-180, 180] */
    uint64_t skills; /* bit i = skill i; 0 = not indexed (never a candidate) */
    bool eligible;   /* every availability rule holds right now (caller decides) */
    double radius_m; /* service radius, >= 0, may be INFINITY; see within_radius */
    uint8_t tier;    /* skill tier, higher = more senior; see min_tier */
    uint32_t id;     /* the caller's own id (e.g. database row), opaque here */
};

/*
 * capacity: contractor indexes are 0..capacity-1 (at most 2^26), dense, the
 * caller's choice (e.g. a row number). params may be NULL for defaults.
 * On success *out owns a new fleet; free it with tr_fleet_free.
 */
int tr_fleet_new(uint32_t capacity, const struct tr_fleet_params *params, struct tr_fleet **out);
void tr_fleet_free(struct tr_fleet *fleet);

/* Insert or replace contractor `contractor`. Invalid input (coordinates,
 * radius) changes nothing. */
int tr_fleet_upsert(struct tr_fleet *fleet, uint32_t contractor, const struct tr_fleet_entry *e);
/* Position-only update, the hot path of ingest (ENOENT if never upserted). */
int tr_fleet_move(struct tr_fleet *fleet, uint32_t contractor, double lat, double lon);
int tr_fleet_set_eligible(struct tr_fleet *fleet, uint32_t contractor, bool eligible);
/* Forget the contractor (ENOENT if absent). */
int tr_fleet_remove(struct tr_fleet *fleet, uint32_t contractor);
int tr_fleet_get(const struct tr_fleet *fleet, uint32_t contractor, struct tr_fleet_entry *out);

/* One candidate as the extra filter sees it. */
struct tr_fleet_candidate {
    uint32_t contractor;
    uint32_t id;
    double distance_m;
    double lat, lon;
    uint64_t skills;
    double radius_m;
    uint8_t tier;
};

/* Return true to accept the candidate. Called in result order (distance,
 * id, contractor), at most once per candidate per query, only on candidates
 * that passed every built-in filter, and never after k were accepted. It must
 * not modify the fleet. */
typedef bool (*tr_fleet_filter_fn)(void *ctx, const struct tr_fleet_candidate *c);

struct tr_fleet_result {
    uint32_t contractor;
    uint32_t id;
    double distance_m; /* == tr_geo_distance_m(q.lat, q.lon, lat, lon) */
};

struct tr_fleet_query {
    double lat, lon;          /* the job, tr_geo_valid() */
    uint64_t required_skills; /* every bit required, at least one bit */
    unsigned k;               /* 1..TR_FLEET_K_MAX */
    double max_distance_m;    /* only distance_m <= this; 0 or INFINITY = no limit */
    uint8_t min_tier;         /* only tier >= this (0 = any) */
    bool within_radius;       /* only contractors whose radius_m >= distance_m */
    /* Paging, "the next best beyond these": only results strictly after this
     * one in (distance_m, id, contractor) order. NULL = from the start. */
    const struct tr_fleet_result *after;
    tr_fleet_filter_fn filter; /* optional (language, ...) */
    void *filter_ctx;
};

/*
 * The k best contractors for the query, into out[0..*n_out), best first.
 * out must hold q->k results. Fewer than k when fewer qualify. Exact: the
 * same set, order and distances as a brute-force scan over all eligible
 * contractors with tr_geo_distance_m and the same filters.
 */
int tr_fleet_knn(struct tr_fleet *fleet, const struct tr_fleet_query *q,
                 struct tr_fleet_result *out, size_t *n_out);

/*
 * Rebuild the trees of the skill bits in `skills` that changed since their
 * last build (TR_FLEET_ALL_SKILLS for all). Moves keep every answer exact
 * without rebuilds, but leaves drift out of balance and full leaves spill into
 * a linearly scanned overflow: rebuild every few hundred thousand updates, or
 * when stats show overflow. Cost is O(n log n) per index (tens of ms at 400k).
 * On ENOMEM the old trees stay in place and keep working. Stalls the caller
 * for the whole build: a server thread should use tr_fleet_rebuild_step.
 */
int tr_fleet_rebuild(struct tr_fleet *fleet, uint64_t skills);

/*
 * The same rebuild of one skill bit's tree, spread over many calls so that
 * none stalls its thread: each call does about `work` units, one unit being
 * roughly a nanosecond of CPU on the development machine (500000 ~ 0.5 ms;
 * a 400k-entry tree takes ~150-250 M units in all). Meanwhile the old tree
 * answers every query and takes every update, and results stay exact at
 * every moment; the new tree, kept up to date while it is filled, replaces
 * the old one inside the call that sets *done = true. A call on a clean tree
 * with no build in progress sets *done at once. A build holds a second tree
 * of that bit until it finishes; tr_fleet_rebuild of the bit abandons it.
 * On ENOMEM the build is abandoned, the old tree stays and keeps working.
 */
int tr_fleet_rebuild_step(struct tr_fleet *fleet, unsigned skill_bit, uint64_t work, bool *done);

/* Internal consistency of every tree, back pointer and counter (and of a
 * rebuild in progress): 0, or an identifier of the first check that failed.
 * O(capacity + entries); for tests. */
int tr_fleet_check(const struct tr_fleet *fleet);

struct tr_fleet_stats {
    enum tr_fleet_kernel kernel; /* the kernel in use (never AUTO) */
    uint32_t capacity;
    uint32_t contractors;           /* present */
    uint32_t indexed;               /* present, eligible, with at least one skill */
    uint64_t entries;               /* sum over skill indexes */
    uint64_t overflow;              /* entries in overflow areas (scanned linearly) */
    uint64_t updates_since_rebuild; /* upsert/move/eligible/remove calls since the last
                                       tr_fleet_rebuild(TR_FLEET_ALL_SKILLS) */
    uint64_t queries;
    uint64_t fallback_rounds; /* extra exact rounds (certification failed) */
    uint64_t rebuilds;        /* index builds done */
    size_t memory_bytes;      /* approximate heap use */
};

void tr_fleet_stats(const struct tr_fleet *fleet, struct tr_fleet_stats *out);

struct tr_fleet_index_stats {
    uint32_t entries;
    uint32_t leaves; /* 0 before the first build */
    uint32_t overflow;
    uint32_t max_leaf;      /* fullest leaf */
    uint64_t moves_in_leaf; /* since the last build */
    uint64_t moves_relinked;
    bool dirty;      /* changed since the last build */
    bool rebuilding; /* a tr_fleet_rebuild_step build is in progress */
};

/* Per skill bit (0..63). */
int tr_fleet_index_stats(const struct tr_fleet *fleet, unsigned skill_bit,
                         struct tr_fleet_index_stats *out);

#endif
