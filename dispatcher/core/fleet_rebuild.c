/*
 * dispatcher/core/fleet_rebuild.c: the incremental rebuild of one skill
 * bit's tree (tr_fleet_rebuild_step), in steps of bounded work, so the thread
 * that owns the fleet never stalls for a whole build (~0.1 s at 1M).
 *
 * While a build runs, the live tree answers every query and takes every
 * update as usual; the new tree is invisible until it is complete, then
 * replaces the live one in O(1) (pointer moves and a flip of the
 * back-pointer generation). Phases, each resumable after any amount of work:
 *   GATHER  copy the live tree's positions into a scratch array. They only
 *           choose the splits, so an update landing meanwhile costs balance
 *           at worst, never exactness.
 *   SPLIT   choose the splits and cells top-down: a big subtree takes its
 *           dimension and median from a strided sample and is partitioned in
 *           resumable slices, a small one (<= SPLIT_SMALL) exactly at once.
 *   PAD     allocate and pad the new leaves in slices (page faults included).
 *   FILL    insert every indexed contractor, in contractor order, at its
 *           current position. Once the cursor is past a contractor, every
 *           update to it is applied to the new tree too (fleet_index.c), so
 *           when the cursor reaches the end the new tree holds exactly what
 *           the live one holds, and is swapped in. The cursor only visits
 *           contractors marked in `seen` (gathered, or updated in this index
 *           since the build started): anyone indexed now is one of those.
 * Work units are calibrated to roughly a nanosecond each on the development
 * machine (see fleet.h); nothing here reads a clock.
 *
 * Does not choose which tree to rebuild or when (the engine does), search, or
 * run on another thread: the fleet stays single-threaded.
 */
#include "dispatcher/core/fleet_int.h"

#include <stdlib.h>
#include <string.h>

#define S           FLEET_LEAF_SLOTS
#define SPLIT_SMALL 2048u /* a subtree this small gets its splits at once */
#define SAMPLE      1024u /* points sampled to split a bigger one */

/* Work units of each elementary operation (~ ns here). */
#define W_GATHER    7u   /* copy one position (first touch of the scratch) */
#define W_PART      3u   /* one partition step */
#define W_SELECT    7u   /* per point per level of an exact small subtree */
#define W_PAD_LEAF  400u /* pad one fresh leaf (first touch of its pages) */
#define W_WORD      2u   /* one word of the seen bitmap */
#define W_SCAN      20u  /* look at one contractor record */
#define W_INSERT    190u /* unit vector and insert of one entry */
#define W_ITEM      40u  /* fixed cost of a split item */
#define W_START     20000u
#define W_SWAP      50000u
#define GRAVE_CHUNK ((size_t)2 << 20) /* bytes of a dead tree released ... */
#define W_GRAVE     40000u            /* ... for this many units */

struct fleet_split {
    uint32_t node, leaves;
    size_t lo, hi;
    float box[6]; /* lo x y z, hi x y z (inclusive) */
};

void fleet_build_free(struct fleet_build *b)
{
    if (!b)
        return;
    fleet_tree_free(&b->nx);
    free(b->seen);
    free(b->pts);
    free(b->todo);
    free(b);
}

size_t fleet_build_memory(const struct fleet_build *b)
{
    if (!b)
        return 0;
    return sizeof(*b) + fleet_index_memory(&b->nx) + b->cap_pts * sizeof(*b->pts) +
           b->seen_words * sizeof(*b->seen) + b->cap_todo * sizeof(*b->todo);
}

/* ---- start ---- */

static struct fleet_build *build_new(struct tr_fleet *f, unsigned bit)
{
    const struct fleet_index *ix = &f->ix[bit];
    struct fleet_build *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    size_t n = ix->size;
    uint32_t L = 0;
    if (n) {
        L = 1;
        while (n > (size_t)L * f->leaf_fill)
            L *= 2;
    }
    b->nx.n_leaves = L;
    b->seen_words = (f->capacity + 63) / 64;
    b->seen = calloc(b->seen_words, sizeof(*b->seen));
    b->cap_pts = n + n / 8 + 64;
    b->pts = fleet_big_alloc(b->cap_pts * sizeof(*b->pts), false);
    b->cap_todo = 2 * FLEET_MAX_DEPTH + 4;
    b->todo = malloc(b->cap_todo * sizeof(*b->todo));
    if (L) {
        b->nx.nodes = fleet_nodes_alloc(L);
        b->nx.count = calloc(L, 1);
        b->nx.box = malloc(L * sizeof(*b->nx.box));
    }
    if (!b->seen || !b->pts || !b->todo || (L && (!b->nx.nodes || !b->nx.count || !b->nx.box))) {
        fleet_build_free(b);
        return NULL;
    }
    b->phase = FLEET_BUILD_GATHER;
    return b;
}

/* ---- gather ---- */

static uint64_t gather(struct fleet_build *b, const struct fleet_index *ix, uint64_t work)
{
    uint64_t used = 0;
    uint32_t in_tree = ix->n_leaves * S;
    while (used < work) {
        if (b->next < in_tree) {
            uint32_t l = b->next / S;
            const struct fleet_leaf *lf = &ix->leaves[l];
            for (unsigned j = 0; j < ix->count[l]; j++) {
                fleet_seen_mark(b, lf->cid[j]);
                if (b->n_pts == b->cap_pts)
                    continue;
                b->pts[b->n_pts][0] = lf->x[j];
                b->pts[b->n_pts][1] = lf->y[j];
                b->pts[b->n_pts][2] = lf->z[j];
                b->n_pts++;
            }
            b->next += S;
            used += W_GATHER * ix->count[l] + W_GATHER;
        } else if (b->next - in_tree < ix->ovf_n) {
            uint32_t i = b->next - in_tree;
            const struct fleet_leaf *lf = &ix->ovf[i / S];
            fleet_seen_mark(b, lf->cid[i % S]);
            if (b->n_pts < b->cap_pts) {
                b->pts[b->n_pts][0] = lf->x[i % S];
                b->pts[b->n_pts][1] = lf->y[i % S];
                b->pts[b->n_pts][2] = lf->z[i % S];
                b->n_pts++;
            }
            b->next++;
            used += W_GATHER;
        } else {
            struct fleet_split root = {
                0, b->nx.n_leaves, 0, b->n_pts, { -2.0f, -2.0f, -2.0f, 2.0f, 2.0f, 2.0f }
            };
            b->todo[0] = root;
            b->n_todo = b->nx.n_leaves ? 1 : 0;
            b->next = 0;
            b->phase = b->nx.n_leaves ? FLEET_BUILD_SPLIT : FLEET_BUILD_FILL;
            break;
        }
    }
    return used;
}

/* ---- split ---- */

/* Partial sort of p[0..n) on dim d around rank k (as fleet_index.c's). */
static void select_nth(float (*a)[3], size_t n, size_t k, unsigned d)
{
    size_t lo = 0, hi = n - 1;
    float t[3];
#define SWAP(x, y)                                                                                 \
    (memcpy(t, a[x], sizeof(t)), memcpy(a[x], a[y], sizeof(t)), memcpy(a[y], t, sizeof(t)))
    while (hi > lo + 16) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid][d] < a[lo][d])
            SWAP(mid, lo);
        if (a[hi][d] < a[lo][d])
            SWAP(hi, lo);
        if (a[hi][d] < a[mid][d])
            SWAP(hi, mid);
        float pivot = a[mid][d];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i][d] < pivot)
                i++;
            while (a[j][d] > pivot)
                j--;
            if (i <= j) {
                SWAP(i, j);
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return;
    }
    for (size_t i = lo + 1; i <= hi; i++) {
        float x[3];
        memcpy(x, a[i], sizeof(x));
        size_t j = i;
        while (j > lo && a[j - 1][d] > x[d]) {
            memcpy(a[j], a[j - 1], sizeof(x));
            j--;
        }
        memcpy(a[j], x, sizeof(x));
    }
#undef SWAP
}

/* The widest dimension of the points (of the cell when there are none). */
static unsigned widest(float (*p)[3], size_t n, size_t stride, const float box[6])
{
    float lo3[3] = { box[3], box[4], box[5] }, hi3[3] = { box[0], box[1], box[2] };
    for (size_t i = 0; i < n; i += stride)
        for (unsigned d = 0; d < 3; d++) {
            float x = p[i][d];
            lo3[d] = x < lo3[d] ? x : lo3[d];
            hi3[d] = x > hi3[d] ? x : hi3[d];
        }
    unsigned dim = 0;
    float best = -1.0f;
    for (unsigned d = 0; d < 3; d++) {
        float ext = n ? hi3[d] - lo3[d] : box[3 + d] - box[d];
        if (ext > best) {
            best = ext;
            dim = d;
        }
    }
    return dim;
}

static void set_split(struct fleet_build *b, const struct fleet_split *it, unsigned dim,
                      float split, size_t mid, struct fleet_split *left, struct fleet_split *right)
{
    b->nx.nodes[it->node].split = split;
    b->nx.nodes[it->node].dim = dim;
    *left = (struct fleet_split){ 2 * it->node + 1, it->leaves / 2, it->lo, mid, { 0 } };
    *right = (struct fleet_split){ 2 * it->node + 2, it->leaves / 2, mid, it->hi, { 0 } };
    memcpy(left->box, it->box, sizeof(it->box));
    memcpy(right->box, it->box, sizeof(it->box));
    left->box[3 + dim] = split;
    right->box[dim] = split;
}

/* A whole small subtree: exact medians, like the one-shot build. */
static uint64_t split_small(struct fleet_build *b, const struct fleet_split *it)
{
    if (it->leaves == 1) {
        memcpy(b->nx.box[it->node - (b->nx.n_leaves - 1)], it->box, sizeof(it->box));
        return 1;
    }
    size_t n = it->hi - it->lo, mid = it->lo + n / 2;
    unsigned dim = widest(b->pts + it->lo, n, 1, it->box);
    float split;
    if (n) {
        select_nth(b->pts + it->lo, n, mid - it->lo, dim);
        split = b->pts[mid][dim];
    } else {
        split = it->box[dim] / 2 + it->box[3 + dim] / 2;
    }
    struct fleet_split l, r;
    set_split(b, it, dim, split, mid, &l, &r);
    return W_SELECT * n + W_ITEM + split_small(b, &l) + split_small(b, &r);
}

/* Choose dimension and pivot of a big item from a strided sample. */
static void start_partition(struct fleet_build *b, const struct fleet_split *it)
{
    float smp[SAMPLE][3];
    size_t n = it->hi - it->lo, stride = n / SAMPLE, ns = 0;
    for (size_t i = it->lo; i < it->hi && ns < SAMPLE; i += stride, ns++)
        memcpy(smp[ns], b->pts[i], sizeof(smp[ns]));
    b->pdim = widest(smp, ns, 1, it->box);
    select_nth(smp, ns, ns / 2, b->pdim);
    b->pivot = smp[ns / 2][b->pdim];
    b->pi = (int64_t)it->lo;
    b->pj = (int64_t)it->hi - 1;
    b->parting = true;
}

/* Hoare partition, resumable: [lo, pi) <= pivot, (pj, hi) >= pivot. */
static uint64_t partition(struct fleet_build *b, uint64_t work)
{
    float(*a)[3] = b->pts;
    const unsigned d = b->pdim;
    const float pivot = b->pivot;
    int64_t i = b->pi, j = b->pj;
    uint64_t used = 0;
    while (i <= j && used < work) {
        if (a[i][d] < pivot) {
            i++;
        } else if (a[j][d] > pivot) {
            j--;
        } else {
            float t[3];
            memcpy(t, a[i], sizeof(t));
            memcpy(a[i], a[j], sizeof(t));
            memcpy(a[j], t, sizeof(t));
            i++;
            j--;
        }
        used += W_PART;
    }
    b->pi = i;
    b->pj = j;
    return used;
}

static uint64_t split_step(struct fleet_build *b, uint64_t work)
{
    uint64_t used = 0;
    while (used < work) {
        if (b->n_todo == 0) {
            free(b->pts);
            b->pts = NULL;
            b->cap_pts = b->n_pts = 0;
            /* small pages now: huge ones would be compacted at fault time */
            b->nx.leaves = fleet_big_alloc((size_t)b->nx.n_leaves * sizeof(*b->nx.leaves), false);
            if (!b->nx.leaves)
                return UINT64_MAX; /* ENOMEM */
            b->next = 0;
            b->phase = FLEET_BUILD_PAD;
            return used + W_ITEM;
        }
        struct fleet_split *it = &b->todo[b->n_todo - 1];
        if (it->leaves == 1 || it->hi - it->lo <= SPLIT_SMALL) {
            struct fleet_split x = *it;
            b->n_todo--;
            used += split_small(b, &x);
            continue;
        }
        if (!b->parting) {
            start_partition(b, it);
            used += W_ITEM + 20u * SAMPLE;
        }
        used += partition(b, work - (used < work ? used : work));
        if (b->pi <= b->pj)
            break; /* resume next step */
        b->parting = false;
        struct fleet_split x = *it, l, r;
        b->n_todo--;
        set_split(b, &x, b->pdim, b->pivot, (size_t)b->pi, &l, &r);
        b->todo[b->n_todo++] = r;
        b->todo[b->n_todo++] = l;
    }
    return used;
}

/* ---- pad, fill, swap ---- */

static uint64_t pad_step(struct fleet_build *b, uint64_t work)
{
    uint64_t want = work / W_PAD_LEAF + 1, left = b->nx.n_leaves - b->next;
    uint32_t n = (uint32_t)(want < left ? want : left);
    fleet_leaves_pad(b->nx.leaves + b->next, n);
    b->next += n;
    if (b->next == b->nx.n_leaves) {
        fleet_big_advise(b->nx.leaves, (size_t)b->nx.n_leaves * sizeof(*b->nx.leaves));
        b->next = 0;
        b->phase = FLEET_BUILD_FILL;
    }
    return (uint64_t)n * W_PAD_LEAF;
}

static int fill_step(struct tr_fleet *f, unsigned bit, struct fleet_build *b, uint64_t work,
                     uint64_t *used)
{
    const uint64_t mask = UINT64_C(1) << bit;
    const unsigned gen = f->ix[bit].gen ^ 1u;
    while (*used < work && b->next < f->capacity) {
        uint32_t c = b->next;
        uint64_t word = b->seen[c / 64] & (~UINT64_C(0) << (c % 64));
        *used += W_WORD;
        if (!word) {
            b->next = (c / 64 + 1) * 64; /* nobody here was ever in the index */
            continue;
        }
        c = c / 64 * 64 + (uint32_t)__builtin_ctzll(word);
        if (c >= f->capacity)
            break;
        const struct fleet_rec *r = &f->rec[c];
        *used += W_SCAN;
        if ((r->skills & mask) && fleet_is_indexed(r)) {
            if (fleet_tree_reserve(&b->nx) != TR_FLEET_OK)
                return TR_FLEET_ENOMEM;
            float v[3];
            fleet_unit_f(r->u, v);
            fleet_tree_insert(f, &b->nx, bit, gen, c, v);
            *used += W_INSERT;
        }
        b->next = c + 1;
    }
    if (b->next > f->capacity)
        b->next = f->capacity;
    return TR_FLEET_OK;
}

/* ---- the old tree's big arrays, released a slice per step ---- */

void fleet_grave_free(struct tr_fleet *f)
{
    for (unsigned i = 0; i < 2; i++) {
        free(f->grave[i].p);
        memset(&f->grave[i], 0, sizeof(f->grave[i]));
    }
}

/* Hand a big array to the graveyard (freed at once when both slots are
 * taken, which steps of normal size never let happen). */
static void grave_put(struct tr_fleet *f, void *p, size_t len)
{
    if (!p)
        return;
    for (unsigned i = 0; i < 2; i++)
        if (!f->grave[i].p) {
            f->grave[i] = (struct fleet_grave){ p, len, 0 };
            return;
        }
    free(p);
}

/* Give the pages back a slice at a time (madvise: the unmap cost of a big
 * free() is proportional to its pages), then free the (now empty) block. */
static uint64_t grave_drain(struct tr_fleet *f, uint64_t work)
{
    uint64_t used = 0;
    for (unsigned i = 0; i < 2 && used < work; i++) {
        struct fleet_grave *g = &f->grave[i];
        while (g->p && used < work) {
            size_t left = g->len - g->off, n = left < GRAVE_CHUNK ? left : GRAVE_CHUNK;
            if (n >= 4096)
                fleet_big_release((char *)g->p + g->off, n);
            g->off += n;
            used += W_GRAVE;
            if (g->off >= g->len) {
                free(g->p);
                memset(g, 0, sizeof(*g));
            }
        }
    }
    return used;
}

static void swap_in(struct tr_fleet *f, unsigned bit)
{
    struct fleet_index *ix = &f->ix[bit];
    struct fleet_build *b = ix->build;
    unsigned gen = ix->gen ^ 1u;
    bool changed = b->changed;

    ix->build = NULL;
    grave_put(f, ix->leaves, (size_t)ix->n_leaves * sizeof(*ix->leaves));
    grave_put(f, ix->ovf, (size_t)ix->ovf_blocks * sizeof(*ix->ovf));
    ix->leaves = NULL;
    ix->ovf = NULL;
    fleet_tree_free(ix);
    *ix = b->nx;
    memset(&b->nx, 0, sizeof(b->nx));
    ix->gen = (uint8_t)gen;
    ix->build = NULL;
    ix->dirty = changed;
    ix->moves_in_leaf = 0;
    ix->moves_relinked = 0;
    fleet_build_free(b);
    f->rebuilds++;
}

int fleet_rebuild_step(struct tr_fleet *f, unsigned bit, uint64_t work, bool *done)
{
    struct fleet_index *ix = &f->ix[bit];
    uint64_t used = 0;
    int rc = TR_FLEET_OK;

    *done = false;
    used = grave_drain(f, work / 2);
    if (!ix->build) {
        if (!ix->dirty) {
            *done = true;
            return TR_FLEET_OK;
        }
        ix->build = build_new(f, bit);
        if (!ix->build)
            return TR_FLEET_ENOMEM;
        used += W_START;
    }
    struct fleet_build *b = ix->build;
    while (used < work) {
        uint64_t left = work - used;
        switch (b->phase) {
        case FLEET_BUILD_GATHER:
            used += gather(b, ix, left);
            break;
        case FLEET_BUILD_SPLIT: {
            uint64_t u = split_step(b, left);
            if (u == UINT64_MAX)
                rc = TR_FLEET_ENOMEM;
            else
                used += u;
            break;
        }
        case FLEET_BUILD_PAD:
            used += pad_step(b, left);
            break;
        case FLEET_BUILD_FILL:
            if (b->next >= f->capacity) {
                /* complete (and kept up to date since): the swap gets a step
                 * of its own */
                if (used + W_SWAP > work && used > 0)
                    return TR_FLEET_OK;
                swap_in(f, bit);
                *done = true;
                return TR_FLEET_OK;
            }
            rc = fill_step(f, bit, b, work, &used);
            break;
        }
        if (rc != TR_FLEET_OK) {
            /* give up this build; the live tree is untouched and keeps working */
            fleet_build_free(b);
            ix->build = NULL;
            return rc;
        }
    }
    return TR_FLEET_OK;
}
