/*
 * dispatcher/core/fleet_index.c: one skill bit's k-d tree, its leaves and
 * overflow: insert, swap-remove, move (three stores when the entry stays in
 * its leaf's cell), and the rebuild into a balanced complete tree.
 *
 * The per-entry operations work on any tree with a given back-pointer
 * generation; the fleet_index_* wrappers apply an update to the live index
 * and, while an incremental rebuild (fleet_rebuild.c) is filling its new tree
 * in contractor order, also to the new tree when the contractor is already
 * in it, so the new tree is exact when it is swapped in.
 *
 * Does not search (fleet_search.c), know about skills beyond its own bit, or
 * validate input (fleet.c does, before anything here runs). Callers reserve
 * overflow room with fleet_index_reserve() first, so nothing here can fail
 * halfway through an update.
 */
#include "dispatcher/core/fleet_int.h"

#include <stdlib.h>
#include <string.h>

#define S FLEET_LEAF_SLOTS

static void leaf_pad(struct fleet_leaf *lf, unsigned from)
{
    for (unsigned j = from; j < S; j++) {
        lf->x[j] = FLEET_PAD;
        lf->y[j] = FLEET_PAD;
        lf->z[j] = FLEET_PAD;
        lf->cid[j] = 0;
        lf->mask[j] = 0;
    }
}

void fleet_leaves_pad(struct fleet_leaf *leaves, size_t n)
{
    for (size_t i = 0; i < n; i++)
        leaf_pad(&leaves[i], 0);
}

static struct fleet_leaf *leaves_alloc(size_t n)
{
    if (n == 0)
        return NULL;
    struct fleet_leaf *l = fleet_big_alloc(n * sizeof(*l), true);
    if (l)
        fleet_leaves_pad(l, n);
    return l;
}

struct fleet_node *fleet_nodes_alloc(uint32_t n_leaves)
{
    /* node j at byte 8 (j + 1) of a 64-byte aligned block: the 8 nodes three
     * levels below node i (8i+7 .. 8i+14) are one cache line */
    size_t n = (n_leaves > 1 ? n_leaves - 1 : 1) + 1;
    struct fleet_node *base = aligned_alloc(64, (n * sizeof(*base) + 63) / 64 * 64);
    return base ? base + 1 : NULL;
}

void fleet_nodes_free(struct fleet_node *nodes)
{
    if (nodes)
        free(nodes - 1);
}

void fleet_tree_free(struct fleet_index *ix)
{
    fleet_nodes_free(ix->nodes);
    free(ix->leaves);
    free(ix->count);
    free(ix->box);
    free(ix->ovf);
    memset(ix, 0, sizeof(*ix));
}

void fleet_index_free(struct fleet_index *ix)
{
    fleet_build_free(ix->build);
    fleet_tree_free(ix);
}

size_t fleet_index_memory(const struct fleet_index *ix)
{
    size_t L = ix->n_leaves;
    return L * (sizeof(struct fleet_leaf) + sizeof(struct fleet_node) + 1 + sizeof(float[6])) +
           (size_t)ix->ovf_blocks * sizeof(struct fleet_leaf) + fleet_build_memory(ix->build);
}

/* Room for one more overflow entry. */
int fleet_tree_reserve(struct fleet_index *ix)
{
    if ((size_t)ix->ovf_n + 1 <= (size_t)ix->ovf_blocks * S)
        return TR_FLEET_OK;
    uint32_t nb = ix->ovf_blocks ? ix->ovf_blocks * 2 : 1;
    struct fleet_leaf *o = aligned_alloc(64, nb * sizeof(*o));
    if (!o)
        return TR_FLEET_ENOMEM;
    if (ix->ovf_blocks)
        memcpy(o, ix->ovf, (size_t)ix->ovf_blocks * sizeof(*o));
    fleet_leaves_pad(o + ix->ovf_blocks, nb - ix->ovf_blocks);
    free(ix->ovf);
    ix->ovf = o;
    ix->ovf_blocks = nb;
    return TR_FLEET_OK;
}

static uint32_t route(const struct fleet_index *ix, const float v[3])
{
    uint32_t node = 0, inner = ix->n_leaves - 1;
    while (node < inner) {
        const struct fleet_node *nd = &ix->nodes[node];
        node = 2 * node + 1 + (v[nd->dim] >= nd->split);
    }
    return node - inner;
}

/* A leaf with room whose cell holds v: the routed one, or when it is full
 * another whose cell also holds v (v on a split plane belongs to both sides:
 * many contractors at one spot then fill several leaves, not the overflow).
 * The routed (full) leaf when there is none. */
static uint32_t route_room(const struct fleet_index *ix, const float v[3])
{
    uint32_t first = route(ix, v);
    if (ix->count[first] < S)
        return first;
    uint32_t stack[FLEET_MAX_DEPTH + 2], inner = ix->n_leaves - 1;
    unsigned sp = 0, tries = 0;
    stack[sp++] = 0;
    while (sp && tries < 64) {
        uint32_t node = stack[--sp];
        if (node >= inner) {
            tries++;
            if (ix->count[node - inner] < S)
                return node - inner;
            continue;
        }
        const struct fleet_node *nd = &ix->nodes[node];
        float x = v[nd->dim];
        if (x <= nd->split)
            stack[sp++] = 2 * node + 1;
        if (x >= nd->split)
            stack[sp++] = 2 * node + 2;
    }
    return first;
}

static void lane_set(struct fleet_leaf *lf, unsigned j, const float v[3], uint32_t c, uint64_t mask)
{
    lf->x[j] = v[0];
    lf->y[j] = v[1];
    lf->z[j] = v[2];
    lf->cid[j] = c;
    lf->mask[j] = mask;
}

static void lane_copy(struct fleet_leaf *dst, unsigned dj, const struct fleet_leaf *src,
                      unsigned sj)
{
    dst->x[dj] = src->x[sj];
    dst->y[dj] = src->y[sj];
    dst->z[dj] = src->z[sj];
    dst->cid[dj] = src->cid[sj];
    dst->mask[dj] = src->mask[sj];
}

void fleet_tree_insert(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                       uint32_t c, const float v[3])
{
    uint64_t mask = f->rec[c].skills;
    uint32_t *bp = fleet_bp_gen(f, c, bit, gen);

    ix->size++;
    ix->dirty = true;
    if (ix->n_leaves) {
        uint32_t l = route_room(ix, v);
        if (ix->count[l] < S) {
            unsigned j = ix->count[l]++;
            lane_set(&ix->leaves[l], j, v, c, mask);
            *bp = l * S + j;
            return;
        }
    }
    /* fleet_index_reserve() made room */
    uint32_t i = ix->ovf_n++;
    lane_set(&ix->ovf[i / S], i % S, v, c, mask);
    *bp = ix->n_leaves * S + i;
}

/* Swap-remove the entry at slot; the last entry of its block takes its place. */
static void remove_slot(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                        uint32_t slot)
{
    uint32_t in_tree = ix->n_leaves * S;
    struct fleet_leaf *lf, *last_lf;
    unsigned j, last_j;
    uint32_t base;

    if (slot < in_tree) {
        uint32_t l = slot / S;
        lf = last_lf = &ix->leaves[l];
        j = slot % S;
        last_j = --ix->count[l];
        base = l * S;
    } else {
        uint32_t i = slot - in_tree, last = --ix->ovf_n;
        lf = &ix->ovf[i / S];
        j = i % S;
        last_lf = &ix->ovf[last / S];
        last_j = last % S;
        base = in_tree + i - j;
    }
    if (lf != last_lf || j != last_j) {
        lane_copy(lf, j, last_lf, last_j);
        *fleet_bp_gen(f, lf->cid[j], bit, gen) = base + j;
    }
    last_lf->x[last_j] = FLEET_PAD;
    last_lf->y[last_j] = FLEET_PAD;
    last_lf->z[last_j] = FLEET_PAD;
    last_lf->cid[last_j] = 0;
    last_lf->mask[last_j] = 0;
    ix->size--;
    ix->dirty = true;
}

void fleet_tree_remove(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                       uint32_t c)
{
    remove_slot(f, ix, bit, gen, *fleet_bp_gen(f, c, bit, gen));
}

static bool in_box(const float b[6], const float v[3])
{
    return v[0] >= b[0] && v[1] >= b[1] && v[2] >= b[2] && v[0] <= b[3] && v[1] <= b[4] &&
           v[2] <= b[5];
}

void fleet_tree_move(struct tr_fleet *f, struct fleet_index *ix, unsigned bit, unsigned gen,
                     uint32_t c, const float v[3])
{
    uint32_t slot = *fleet_bp_gen(f, c, bit, gen);
    uint32_t in_tree = ix->n_leaves * S;

    if (slot < in_tree) {
        uint32_t l = slot / S;
        if (in_box(ix->box[l], v)) {
            struct fleet_leaf *lf = &ix->leaves[l];
            lf->x[slot % S] = v[0];
            lf->y[slot % S] = v[1];
            lf->z[slot % S] = v[2];
            ix->moves_in_leaf++;
            return;
        }
    } else if (ix->n_leaves == 0 || ix->count[route_room(ix, v)] >= S) {
        /* stays in overflow */
        uint32_t i = slot - in_tree;
        struct fleet_leaf *lf = &ix->ovf[i / S];
        lf->x[i % S] = v[0];
        lf->y[i % S] = v[1];
        lf->z[i % S] = v[2];
        ix->moves_in_leaf++;
        return;
    }
    ix->moves_relinked++;
    remove_slot(f, ix, bit, gen, slot);
    fleet_tree_insert(f, ix, bit, gen, c, v);
}

/* The rebuild's new tree when it holds contractor c (fill is past it). */
static struct fleet_index *new_tree(struct tr_fleet *f, unsigned bit, uint32_t c)
{
    struct fleet_build *b = f->ix[bit].build;
    if (!b)
        return NULL;
    b->changed = true;
    fleet_seen_mark(b, c);
    return b->phase == FLEET_BUILD_FILL && c < b->next ? &b->nx : NULL;
}

int fleet_index_reserve(struct tr_fleet *f, unsigned bit)
{
    struct fleet_index *ix = &f->ix[bit];
    int rc = fleet_tree_reserve(ix);
    if (rc == TR_FLEET_OK && ix->build && ix->build->phase == FLEET_BUILD_FILL)
        rc = fleet_tree_reserve(&ix->build->nx);
    return rc;
}

void fleet_index_insert(struct tr_fleet *f, unsigned bit, uint32_t c, const float v[3])
{
    struct fleet_index *ix = &f->ix[bit], *nx = new_tree(f, bit, c);
    fleet_tree_insert(f, ix, bit, ix->gen, c, v);
    if (nx)
        fleet_tree_insert(f, nx, bit, ix->gen ^ 1u, c, v);
}

void fleet_index_remove(struct tr_fleet *f, unsigned bit, uint32_t c)
{
    struct fleet_index *ix = &f->ix[bit], *nx = new_tree(f, bit, c);
    fleet_tree_remove(f, ix, bit, ix->gen, c);
    if (nx)
        fleet_tree_remove(f, nx, bit, ix->gen ^ 1u, c);
}

void fleet_index_move(struct tr_fleet *f, unsigned bit, uint32_t c, const float v[3])
{
    struct fleet_index *ix = &f->ix[bit], *nx = new_tree(f, bit, c);
    fleet_tree_move(f, ix, bit, ix->gen, c, v);
    if (nx)
        fleet_tree_move(f, nx, bit, ix->gen ^ 1u, c, v);
}

/* ---- build ---- */

struct bpt {
    float v[3];
    uint32_t src; /* index into the gathered cid / mask arrays */
};

/* Partial sort: a[k] gets the value it would have sorted on dim d, everything
 * before it <= that, everything after >= (Hoare partition, median of three). */
static void select_nth(struct bpt *a, size_t n, size_t k, unsigned d)
{
    size_t lo = 0, hi = n - 1;
    while (hi > lo + 16) {
        size_t mid = lo + (hi - lo) / 2;
        struct bpt t;
        if (a[mid].v[d] < a[lo].v[d]) {
            t = a[mid], a[mid] = a[lo], a[lo] = t;
        }
        if (a[hi].v[d] < a[lo].v[d]) {
            t = a[hi], a[hi] = a[lo], a[lo] = t;
        }
        if (a[hi].v[d] < a[mid].v[d]) {
            t = a[hi], a[hi] = a[mid], a[mid] = t;
        }
        float pivot = a[mid].v[d];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (a[i].v[d] < pivot)
                i++;
            while (a[j].v[d] > pivot)
                j--;
            if (i <= j) {
                t = a[i], a[i] = a[j], a[j] = t;
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
        struct bpt t = a[i];
        size_t j = i;
        while (j > lo && a[j - 1].v[d] > t.v[d]) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = t;
    }
}

struct build {
    struct tr_fleet *f;
    unsigned bit;
    uint32_t n_leaves;
    struct fleet_node *nodes;
    struct fleet_leaf *leaves;
    uint8_t *count;
    float (*box)[6];
    struct bpt *pts;
    const uint32_t *cid;
    const uint64_t *mask;
};

static void build_node(struct build *b, uint32_t node, size_t lo, size_t hi, uint32_t leaves,
                       const float box[6])
{
    if (leaves == 1) {
        uint32_t l = node - (b->n_leaves - 1);
        struct fleet_leaf *lf = &b->leaves[l];
        memcpy(b->box[l], box, sizeof(float[6]));
        b->count[l] = (uint8_t)(hi - lo);
        for (size_t i = lo; i < hi; i++) {
            unsigned j = (unsigned)(i - lo);
            uint32_t src = b->pts[i].src;
            lane_set(lf, j, b->pts[i].v, b->cid[src], b->mask[src]);
            *fleet_bp(b->f, b->cid[src], b->bit) = l * S + j;
        }
        return;
    }
    float lo3[3] = { box[3], box[4], box[5] }, hi3[3] = { box[0], box[1], box[2] };
    for (size_t i = lo; i < hi; i++)
        for (unsigned d = 0; d < 3; d++) {
            float x = b->pts[i].v[d];
            lo3[d] = x < lo3[d] ? x : lo3[d];
            hi3[d] = x > hi3[d] ? x : hi3[d];
        }
    unsigned dim = 0;
    float best = -1.0f;
    for (unsigned d = 0; d < 3; d++) {
        float ext = hi > lo ? hi3[d] - lo3[d] : box[3 + d] - box[d];
        if (ext > best) {
            best = ext;
            dim = d;
        }
    }
    size_t mid = lo + (hi - lo) / 2;
    float split;
    if (hi > lo) {
        select_nth(b->pts + lo, hi - lo, mid - lo, dim);
        split = b->pts[mid].v[dim];
    } else {
        split = box[dim] / 2 + box[3 + dim] / 2;
    }
    b->nodes[node].split = split;
    b->nodes[node].dim = dim;
    float cb[6];
    memcpy(cb, box, sizeof(cb));
    cb[3 + dim] = split;
    build_node(b, 2 * node + 1, lo, mid, leaves / 2, cb);
    memcpy(cb, box, sizeof(cb));
    cb[dim] = split;
    build_node(b, 2 * node + 2, mid, hi, leaves / 2, cb);
}

/* Gather every entry of the index, then lay it out as a fresh balanced tree. */
int fleet_index_build(struct tr_fleet *f, unsigned bit)
{
    struct fleet_index *ix = &f->ix[bit];
    /* a whole build at once supersedes an incremental one in progress */
    fleet_build_free(ix->build);
    ix->build = NULL;
    struct build b = { .f = f, .bit = bit };
    uint32_t *cid = NULL;
    uint64_t *mask = NULL;
    size_t n = ix->size, k = 0;
    int rc = TR_FLEET_ENOMEM;

    uint32_t L = 0;
    if (n) {
        L = 1;
        while (n > (size_t)L * f->leaf_fill)
            L *= 2;
    }
    b.n_leaves = L;
    b.pts = malloc((n ? n : 1) * sizeof(*b.pts));
    cid = malloc((n ? n : 1) * sizeof(*cid));
    mask = malloc((n ? n : 1) * sizeof(*mask));
    if (L) {
        b.nodes = fleet_nodes_alloc(L);
        b.leaves = leaves_alloc(L);
        b.count = calloc(L, 1);
        b.box = malloc(L * sizeof(*b.box));
    }
    if (!b.pts || !cid || !mask || (L && (!b.nodes || !b.leaves || !b.count || !b.box)))
        goto out;

    for (uint32_t l = 0; l < ix->n_leaves; l++) {
        const struct fleet_leaf *lf = &ix->leaves[l];
        for (unsigned j = 0; j < ix->count[l]; j++, k++) {
            b.pts[k] = (struct bpt){ { lf->x[j], lf->y[j], lf->z[j] }, (uint32_t)k };
            cid[k] = lf->cid[j];
            mask[k] = lf->mask[j];
        }
    }
    for (uint32_t i = 0; i < ix->ovf_n; i++, k++) {
        const struct fleet_leaf *lf = &ix->ovf[i / S];
        unsigned j = i % S;
        b.pts[k] = (struct bpt){ { lf->x[j], lf->y[j], lf->z[j] }, (uint32_t)k };
        cid[k] = lf->cid[j];
        mask[k] = lf->mask[j];
    }
    b.cid = cid;
    b.mask = mask;
    if (L) {
        const float root[6] = { -2.0f, -2.0f, -2.0f, 2.0f, 2.0f, 2.0f };
        build_node(&b, 0, 0, n, L, root);
    }

    fleet_nodes_free(ix->nodes);
    free(ix->leaves);
    free(ix->count);
    free(ix->box);
    ix->nodes = b.nodes;
    ix->leaves = b.leaves;
    ix->count = b.count;
    ix->box = b.box;
    ix->n_leaves = L;
    b.nodes = NULL;
    b.leaves = NULL;
    b.count = NULL;
    b.box = NULL;
    if (ix->ovf_blocks > 4) {
        /* the overflow held everything before the first build: let it go */
        free(ix->ovf);
        ix->ovf = NULL;
        ix->ovf_blocks = 0;
    }
    for (uint32_t i = 0; i < ix->ovf_blocks; i++)
        leaf_pad(&ix->ovf[i], 0);
    ix->ovf_n = 0;
    ix->moves_in_leaf = 0;
    ix->moves_relinked = 0;
    ix->dirty = false;
    f->rebuilds++;
    rc = TR_FLEET_OK;
out:
    free(b.pts);
    free(cid);
    free(mask);
    fleet_nodes_free(b.nodes);
    free(b.leaves);
    free(b.count);
    free(b.box);
    return rc;
}
