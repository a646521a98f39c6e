/*
 * dispatcher/core/fleet_int.h: the fleet index's internal layout, shared by
 * fleet.c (contractor table), fleet_index.c (tree build and per-entry
 * maintenance), fleet_search.c (float search kernels) and fleet_knn.c (the
 * exact query). Not a public header: nothing outside dispatcher/core/fleet*.c
 * includes it.
 *
 * Layout, per skill bit b, of the index of eligible contractors with bit b:
 *   nodes[0 .. L-2]  complete binary tree in level order (children 2i+1, 2i+2),
 *                    each a split plane (dim, value) over unit vectors;
 *   leaves[0 .. L-1] fixed-stride blocks of FLEET_LEAF_SLOTS entries in SoA
 *                    form; leaf l is node L-1+l, so its address is computed;
 *   count[l], box[l] entries used and the leaf's cell (inclusive bounds);
 *   ovf[]            overflow blocks for entries whose leaf was full (and for
 *                    everything before the first build, when L == 0).
 * Slot numbers: leaf l lane j is l*FLEET_LEAF_SLOTS + j; overflow entry i is
 * L*FLEET_LEAF_SLOTS + i. Unused lanes hold FLEET_PAD coordinates (never
 * within reach of a query) and mask 0.
 *
 * Invariant the search relies on: an entry in the subtree left of a split has
 * coordinate <= split, right of it >= split (the cell bounds are inclusive).
 *
 * Back pointers: each contractor has two slots per skill bit in fleet->bp,
 * generation 0 and 1; an index uses generation ix->gen. An incremental
 * rebuild (fleet_rebuild.c) fills its new tree through the other generation
 * while the live one keeps serving, then swaps by flipping gen.
 */
#ifndef TR_FLEET_INT_H
#define TR_FLEET_INT_H

#include "dispatcher/core/fleet.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLEET_LEAF_SLOTS   64
#define FLEET_DEFAULT_FILL 48
#define FLEET_PAD          1.0e9f /* coordinate of an unused lane: s ~ 3e18 */
#define FLEET_S_MAX        4.5f   /* above any real chord^2 (<= 4) */
#define FLEET_MAX_DEPTH    32
#define FLEET_CAPACITY_MAX (1u << 26)

struct fleet_leaf {
    float x[FLEET_LEAF_SLOTS];
    float y[FLEET_LEAF_SLOTS];
    float z[FLEET_LEAF_SLOTS];
    uint32_t cid[FLEET_LEAF_SLOTS];  /* contractor index */
    uint64_t mask[FLEET_LEAF_SLOTS]; /* the contractor's skills */
};

struct fleet_node {
    float split;
    uint32_t dim;
};

struct fleet_build;

struct fleet_index {
    uint32_t n_leaves; /* L, a power of two; 0 before the first build */
    uint32_t size;     /* entries, leaves + overflow */
    struct fleet_node *nodes;
    struct fleet_leaf *leaves;
    uint8_t *count;
    float (*box)[6]; /* lo x y z, hi x y z */
    struct fleet_leaf *ovf;
    uint32_t ovf_n;      /* entries in overflow */
    uint32_t ovf_blocks; /* allocated overflow blocks */
    uint64_t moves_in_leaf, moves_relinked;
    bool dirty;
    uint8_t gen;               /* back-pointer generation of this tree */
    struct fleet_build *build; /* incremental rebuild in progress, or NULL */
};

/* One contractor; 64 bytes, the query's exact stage reads one line. */
struct fleet_rec {
    double u[3]; /* tr_geo_to_unit(lat, lon): the exact distance's operand */
    double lat, lon;
    double radius_m;
    uint64_t skills;
    uint32_t id;
    uint8_t tier;
    uint8_t flags; /* FLEET_PRESENT, FLEET_ELIGIBLE */
    uint8_t pad_[2];
};

/* A contractor's back-pointer range, kept apart from fleet_rec (which the
 * query reads) since only index maintenance needs it. */
struct fleet_bpr {
    uint32_t off; /* offset in fleet->bp: two slots per set skill bit, by rank */
    uint32_t cap; /* slots owned (2 per skill bit), 0..128 */
};

_Static_assert(sizeof(struct fleet_rec) == 64, "fleet_rec is one cache line");

#define FLEET_PRESENT  0x1u
#define FLEET_ELIGIBLE 0x2u

/* Float stage of a query: collect the m smallest s = |p - q|^2 (float) with
 * s_lo <= s < worst among entries whose mask has every bit of rest. */
struct fleet_search {
    float q[3];
    float s_lo;
    float worst;                 /* in: the upper limit; out: the m-th best when full */
    uint64_t rest;               /* required bits other than the index's own; 0 = none */
    uint32_t m, n;               /* heap capacity and size */
    uint64_t *heap;              /* max-heap of (float bits of s) << 32 | slot */
    const struct fleet_rec *rec; /* for prefetching candidates' records */
};

typedef void (*fleet_search_fn)(const struct fleet_index *ix, struct fleet_search *st);

struct tr_fleet {
    uint32_t capacity;
    unsigned leaf_fill;
    enum tr_fleet_kernel kernel;
    fleet_search_fn search;
    struct fleet_rec *rec;
    struct fleet_bpr *bpr; /* per contractor */
    uint32_t *bp;
    size_t bp_len, bp_alloc, bp_garbage;
    struct fleet_index ix[64];
    /* query scratch */
    uint64_t *heap;
    size_t heap_cap;
    void *pend;
    size_t pend_cap;
    /* old trees' big arrays being released by rebuild steps (fleet_rebuild.c) */
    struct fleet_grave {
        void *p;
        size_t len, off;
    } grave[2];
    /* counters */
    uint32_t contractors, indexed;
    uint64_t updates_since_rebuild, queries, fallback_rounds, rebuilds;
};

static inline unsigned fleet_rank(uint64_t skills, unsigned bit)
{
    uint64_t below = bit == 0 ? 0 : skills & ((UINT64_C(1) << bit) - 1);
    return (unsigned)__builtin_popcountll(below);
}

/* The back-pointer of contractor c in a tree of bit b using generation gen. */
static inline uint32_t *fleet_bp_gen(struct tr_fleet *f, uint32_t c, unsigned bit, unsigned gen)
{
    return &f->bp[f->bpr[c].off + 2 * fleet_rank(f->rec[c].skills, bit) + gen];
}

/* ... in the live index of bit b. */
static inline uint32_t *fleet_bp(struct tr_fleet *f, uint32_t c, unsigned bit)
{
    return fleet_bp_gen(f, c, bit, f->ix[bit].gen);
}

/* Present, eligible and with a skill: in the index of every bit it has. */
static inline bool fleet_is_indexed(const struct fleet_rec *r)
{
    return (r->flags & (FLEET_PRESENT | FLEET_ELIGIBLE)) == (FLEET_PRESENT | FLEET_ELIGIBLE) &&
           r->skills != 0;
}

/* The float lane of a stored unit vector (fleet_rec.u): what the trees hold. */
static inline void fleet_unit_f(const double u[3], float v[3])
{
    v[0] = (float)u[0];
    v[1] = (float)u[1];
    v[2] = (float)u[2];
}
/* 64-byte aligned; when large, 2 MiB aligned and, with `huge` or after
 * fleet_big_advise(), backed by transparent huge pages (an index's random
 * accesses then miss the TLB far less: ~4 % of a query). Advising before the
 * first touch makes the page faults compact memory synchronously, which can
 * take milliseconds; advising after lets the kernel collapse the pages in the
 * background. Free with free(). */
void *fleet_big_alloc(size_t size, bool huge);
void fleet_big_advise(void *p, size_t size);
/* Give the pages of [p, p + size) back to the system (contents are lost). */
void fleet_big_release(void *p, size_t size);

/* fleet_index.c. The fleet_tree_* functions work on any tree (the live one
 * or one being built) with the given back-pointer generation; the
 * fleet_index_* ones on bit's live index, and also keep an incremental
 * rebuild's new tree up to date. */
int fleet_tree_reserve(struct fleet_index *ix);
void fleet_tree_insert(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                       uint32_t c, const float v[3]);
void fleet_tree_remove(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                       uint32_t c);
void fleet_tree_move(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                     uint32_t c, const float v[3]);
/* Frees the tree's arrays (not a rebuild in progress) and zeroes *ix. */
void fleet_tree_free(struct fleet_index *ix);
/* The split array of a tree of n_leaves leaves (see fleet_search.c for why
 * it is laid out off by one node); free with fleet_nodes_free. */
struct fleet_node *fleet_nodes_alloc(uint32_t n_leaves);
void fleet_nodes_free(struct fleet_node *nodes);
void fleet_leaves_pad(struct fleet_leaf *leaves, size_t n);
int fleet_index_reserve(struct tr_fleet *f, unsigned bit);
void fleet_index_insert(struct tr_fleet *f, unsigned bit, uint32_t c, const float v[3]);
void fleet_index_remove(struct tr_fleet *f, unsigned bit, uint32_t c);
void fleet_index_move(struct tr_fleet *f, unsigned bit, uint32_t c, const float v[3]);
int fleet_index_build(struct tr_fleet *f, unsigned bit);
/* Frees the tree and any rebuild in progress. */
void fleet_index_free(struct fleet_index *ix);
size_t fleet_index_memory(const struct fleet_index *ix);
/* Entry at a slot (leaf or overflow); inline, the query maps every
 * candidate through it. The tree's slots are a multiple of the stride, so
 * the lane is slot % FLEET_LEAF_SLOTS either way. */
static inline const struct fleet_leaf *fleet_index_slot(const struct fleet_index *ix, uint32_t slot,
                                                        unsigned *lane)
{
    uint32_t in_tree = ix->n_leaves * FLEET_LEAF_SLOTS;
    *lane = slot % FLEET_LEAF_SLOTS;
    return slot < in_tree ? &ix->leaves[slot / FLEET_LEAF_SLOTS]
                          : &ix->ovf[(slot - in_tree) / FLEET_LEAF_SLOTS];
}
/* Consistency of one tree (for tr_fleet_check): it holds exactly the
 * contractors below `below` indexed with bit, at their positions, each where
 * its back pointer of generation gen says, inside its leaf's cell, with the
 * cells nested by the splits. 0 if so, else the line number that failed. */
int fleet_tree_check(struct tr_fleet *f, const struct fleet_index *ix, unsigned bit, unsigned gen,
                     uint32_t below);

/* fleet_rebuild.c: the incremental rebuild (tr_fleet_rebuild_step). */
enum fleet_phase { FLEET_BUILD_GATHER, FLEET_BUILD_SPLIT, FLEET_BUILD_PAD, FLEET_BUILD_FILL };

struct fleet_split; /* a subtree whose splits are still to be chosen */

struct fleet_build {
    enum fleet_phase phase;
    struct fleet_index nx; /* the new tree; its back pointers use gen ^ 1 */
    uint32_t next;         /* gather: next old slot; pad: next leaf; fill: next contractor */
    bool changed;          /* the live index changed since the build started */
    uint64_t *seen;        /* contractors in the index at some time since the start */
    size_t seen_words;
    float (*pts)[3]; /* gathered positions, partitioned by the split phase */
    size_t n_pts, cap_pts;
    struct fleet_split *todo; /* split work stack */
    unsigned n_todo, cap_todo;
    bool parting;   /* the top of todo is being partitioned ... */
    int64_t pi, pj; /* ... and these are the partition's cursors */
    float pivot;
    unsigned pdim;
};
static inline void fleet_seen_mark(struct fleet_build *b, uint32_t c)
{
    b->seen[c / 64] |= UINT64_C(1) << (c % 64);
}
int fleet_rebuild_step(struct tr_fleet *f, unsigned bit, uint64_t work, bool *done);
void fleet_build_free(struct fleet_build *b);
void fleet_grave_free(struct tr_fleet *f);
size_t fleet_build_memory(const struct fleet_build *b);

/* fleet_search.c */
fleet_search_fn fleet_search_select(enum tr_fleet_kernel kernel);

#endif
