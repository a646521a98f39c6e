/*
 * dispatcher/core/fleet.c: the contractor table of the live fleet index:
 * lifecycle, validation, upsert / move / eligibility / remove, the
 * back-pointer pool (two slots per skill bit, by rank: one per tree
 * generation), rebuild (whole, or in bounded steps via fleet_rebuild.c),
 * stats and the consistency check.
 *
 * Does not search (fleet_knn.c, fleet_search.c) or lay out trees
 * (fleet_index.c). Every mutation validates and reserves memory first, so an
 * error leaves the fleet exactly as it was.
 */
#include "dispatcher/core/fleet_int.h"

#include "common/geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *tr_fleet_strerror(int err)
{
    switch (err) {
    case TR_FLEET_OK:
        return "success";
    case TR_FLEET_ENOMEM:
        return "out of memory";
    case TR_FLEET_EINVAL:
        return "invalid argument";
    case TR_FLEET_ERANGE:
        return "contractor index out of range";
    case TR_FLEET_ECOORD:
        return "invalid coordinates";
    case TR_FLEET_ENOENT:
        return "no such contractor";
    case TR_FLEET_EKERNEL:
        return "vector kernel not supported by this CPU";
    default:
        return "unknown fleet error";
    }
}

const char *tr_fleet_kernel_name(enum tr_fleet_kernel kernel)
{
    switch (kernel) {
    case TR_FLEET_KERNEL_AUTO:
        return "auto";
    case TR_FLEET_KERNEL_SCALAR:
        return "scalar";
    case TR_FLEET_KERNEL_AVX2:
        return "avx2";
    case TR_FLEET_KERNEL_AVX512:
        return "avx512";
    }
    return "unknown";
}

#define HUGE_PAGE ((size_t)2 << 20)

void *fleet_big_alloc(size_t size, bool huge)
{
    if (size < HUGE_PAGE)
        return aligned_alloc(64, (size + 63) / 64 * 64);
    void *p = aligned_alloc(HUGE_PAGE, (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE);
    if (p && huge)
        fleet_big_advise(p, size);
    return p;
}

void fleet_big_release(void *p, size_t size)
{
    /* whole pages inside the block only: malloc's own headers lie outside */
    uintptr_t a = ((uintptr_t)p + 4095) & ~(uintptr_t)4095,
              e = ((uintptr_t)p + size) & ~(uintptr_t)4095;
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_DONTNEED);
}

void fleet_big_advise(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    if (p && size >= HUGE_PAGE)
        (void)madvise(p, (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#else
    (void)p;
    (void)size;
#endif
}

int tr_fleet_new(uint32_t capacity, const struct tr_fleet_params *params, struct tr_fleet **out)
{
    struct tr_fleet_params p = { 0 };
    struct tr_fleet *f = NULL;

    if (!out)
        return TR_FLEET_EINVAL;
    *out = NULL;
    if (params)
        p = *params;
    if (capacity == 0 || capacity > FLEET_CAPACITY_MAX)
        return TR_FLEET_EINVAL;
    if (p.leaf_fill == 0)
        p.leaf_fill = FLEET_DEFAULT_FILL;
    if (p.leaf_fill < 8 || p.leaf_fill > 56)
        return TR_FLEET_EINVAL;
    if (p.kernel > TR_FLEET_KERNEL_AVX512)
        return TR_FLEET_EINVAL;
    if (!tr_fleet_kernel_supported(p.kernel))
        return TR_FLEET_EKERNEL;
    if (p.kernel == TR_FLEET_KERNEL_AUTO)
        p.kernel = tr_fleet_kernel_supported(TR_FLEET_KERNEL_AVX512) ? TR_FLEET_KERNEL_AVX512
                   : tr_fleet_kernel_supported(TR_FLEET_KERNEL_AVX2) ? TR_FLEET_KERNEL_AVX2
                                                                     : TR_FLEET_KERNEL_SCALAR;

    f = calloc(1, sizeof(*f));
    if (!f)
        return TR_FLEET_ENOMEM;
    f->capacity = capacity;
    f->leaf_fill = p.leaf_fill;
    f->kernel = p.kernel;
    f->search = fleet_search_select(p.kernel);
    f->rec = fleet_big_alloc((size_t)capacity * sizeof(*f->rec), true);
    if (!f->rec) {
        free(f);
        return TR_FLEET_ENOMEM;
    }
    memset(f->rec, 0, (size_t)capacity * sizeof(*f->rec));
    f->bpr = calloc(capacity, sizeof(*f->bpr));
    if (!f->bpr) {
        free(f->rec);
        free(f);
        return TR_FLEET_ENOMEM;
    }
    *out = f;
    return TR_FLEET_OK;
}

void tr_fleet_free(struct tr_fleet *f)
{
    if (!f)
        return;
    for (unsigned b = 0; b < 64; b++)
        fleet_index_free(&f->ix[b]);
    fleet_grave_free(f);
    free(f->rec);
    free(f->bpr);
    free(f->bp);
    free(f->heap);
    free(f->pend);
    free(f);
}

/* Move the live back-pointer ranges to a fresh pool without the garbage. */
static int bp_compact(struct tr_fleet *f, size_t extra)
{
    size_t live = f->bp_len - f->bp_garbage, cap = (live + extra) * 2 + 64;
    uint32_t *nbp = malloc(cap * sizeof(*nbp));
    size_t len = 0;

    if (!nbp)
        return TR_FLEET_ENOMEM;
    for (uint32_t c = 0; c < f->capacity; c++) {
        struct fleet_bpr *r = &f->bpr[c];
        if (r->cap == 0)
            continue;
        memcpy(nbp + len, f->bp + r->off, r->cap * sizeof(*nbp));
        r->off = (uint32_t)len;
        len += r->cap;
    }
    free(f->bp);
    f->bp = nbp;
    f->bp_len = len;
    f->bp_alloc = cap;
    f->bp_garbage = 0;
    return TR_FLEET_OK;
}

/* Make sure the pool has room for contractor c to hold `skills`; its range
 * itself moves only in bp_assign(), after the old entries are gone. */
static int bp_reserve(struct tr_fleet *f, uint32_t c, uint64_t skills)
{
    unsigned need = 2u * (unsigned)__builtin_popcountll(skills);

    if (need <= f->bpr[c].cap || f->bp_len + need <= f->bp_alloc)
        return TR_FLEET_OK;
    if (f->bp_garbage > f->bp_len / 2)
        return bp_compact(f, need);
    size_t cap = (f->bp_len + need) * 2 + 64;
    uint32_t *nbp = realloc(f->bp, cap * sizeof(*nbp));
    if (!nbp)
        return TR_FLEET_ENOMEM;
    f->bp = nbp;
    f->bp_alloc = cap;
    return TR_FLEET_OK;
}

static void bp_assign(struct tr_fleet *f, uint32_t c, uint64_t skills)
{
    struct fleet_bpr *r = &f->bpr[c];
    unsigned need = 2u * (unsigned)__builtin_popcountll(skills);

    if (need <= r->cap)
        return;
    f->bp_garbage += r->cap;
    r->off = (uint32_t)f->bp_len;
    r->cap = need;
    f->bp_len += need;
}

static int reserve_indexes(struct tr_fleet *f, uint64_t skills)
{
    for (uint64_t m = skills; m; m &= m - 1) {
        int rc = fleet_index_reserve(f, (unsigned)__builtin_ctzll(m));
        if (rc != TR_FLEET_OK)
            return rc;
    }
    return TR_FLEET_OK;
}

static void insert_all(struct tr_fleet *f, uint32_t c)
{
    const struct fleet_rec *r = &f->rec[c];
    float v[3];
    fleet_unit_f(r->u, v);
    for (uint64_t m = r->skills; m; m &= m - 1)
        fleet_index_insert(f, (unsigned)__builtin_ctzll(m), c, v);
    f->indexed++;
}

static void remove_all(struct tr_fleet *f, uint32_t c)
{
    for (uint64_t m = f->rec[c].skills; m; m &= m - 1)
        fleet_index_remove(f, (unsigned)__builtin_ctzll(m), c);
    f->indexed--;
}

int tr_fleet_upsert(struct tr_fleet *f, uint32_t c, const struct tr_fleet_entry *e)
{
    if (!f || !e)
        return TR_FLEET_EINVAL;
    if (c >= f->capacity)
        return TR_FLEET_ERANGE;
    if (!tr_geo_valid(e->lat, e->lon))
        return TR_FLEET_ECOORD;
    if (isnan(e->radius_m) || e->radius_m < 0.0)
        return TR_FLEET_EINVAL;

    struct fleet_rec *r = &f->rec[c];
    bool was = fleet_is_indexed(r);
    bool will = e->eligible && e->skills != 0;
    int rc;

    if (was && will && r->skills == e->skills) {
        if (r->lat != e->lat || r->lon != e->lon) {
            rc = tr_fleet_move(f, c, e->lat, e->lon);
            if (rc != TR_FLEET_OK)
                return rc;
        } else {
            f->updates_since_rebuild++;
        }
        r->id = e->id;
        r->radius_m = e->radius_m;
        r->tier = e->tier;
        return TR_FLEET_OK;
    }
    if (will) {
        rc = bp_reserve(f, c, e->skills);
        if (rc == TR_FLEET_OK)
            rc = reserve_indexes(f, e->skills);
        if (rc != TR_FLEET_OK)
            return rc;
    }
    if (was)
        remove_all(f, c);
    if (!(r->flags & FLEET_PRESENT))
        f->contractors++;
    r->lat = e->lat;
    r->lon = e->lon;
    tr_geo_to_unit(e->lat, e->lon, r->u);
    r->radius_m = e->radius_m;
    r->skills = e->skills;
    r->id = e->id;
    r->tier = e->tier;
    r->flags = (uint8_t)(FLEET_PRESENT | (e->eligible ? FLEET_ELIGIBLE : 0));
    if (will) {
        bp_assign(f, c, r->skills);
        insert_all(f, c);
    }
    f->updates_since_rebuild++;
    return TR_FLEET_OK;
}

int tr_fleet_move(struct tr_fleet *f, uint32_t c, double lat, double lon)
{
    if (!f)
        return TR_FLEET_EINVAL;
    if (c >= f->capacity)
        return TR_FLEET_ERANGE;
    if (!tr_geo_valid(lat, lon))
        return TR_FLEET_ECOORD;
    struct fleet_rec *r = &f->rec[c];
    if (!(r->flags & FLEET_PRESENT))
        return TR_FLEET_ENOENT;
    if (fleet_is_indexed(r)) {
        int rc = reserve_indexes(f, r->skills);
        if (rc != TR_FLEET_OK)
            return rc;
    }
    double u[3];
    tr_geo_to_unit(lat, lon, u);
    if (fleet_is_indexed(r)) {
        float v[3];
        fleet_unit_f(u, v);
        for (uint64_t m = r->skills; m; m &= m - 1)
            fleet_index_move(f, (unsigned)__builtin_ctzll(m), c, v);
    }
    r->lat = lat;
    r->lon = lon;
    memcpy(r->u, u, sizeof(u));
    f->updates_since_rebuild++;
    return TR_FLEET_OK;
}

int tr_fleet_set_eligible(struct tr_fleet *f, uint32_t c, bool eligible)
{
    if (!f)
        return TR_FLEET_EINVAL;
    if (c >= f->capacity)
        return TR_FLEET_ERANGE;
    struct fleet_rec *r = &f->rec[c];
    if (!(r->flags & FLEET_PRESENT))
        return TR_FLEET_ENOENT;
    f->updates_since_rebuild++;
    if (eligible == ((r->flags & FLEET_ELIGIBLE) != 0))
        return TR_FLEET_OK;
    if (eligible && r->skills) {
        int rc = bp_reserve(f, c, r->skills);
        if (rc == TR_FLEET_OK)
            rc = reserve_indexes(f, r->skills);
        if (rc != TR_FLEET_OK)
            return rc;
    }
    if (fleet_is_indexed(r))
        remove_all(f, c);
    r->flags = (uint8_t)(eligible ? r->flags | FLEET_ELIGIBLE : r->flags & ~FLEET_ELIGIBLE);
    if (fleet_is_indexed(r)) {
        bp_assign(f, c, r->skills);
        insert_all(f, c);
    }
    return TR_FLEET_OK;
}

int tr_fleet_remove(struct tr_fleet *f, uint32_t c)
{
    if (!f)
        return TR_FLEET_EINVAL;
    if (c >= f->capacity)
        return TR_FLEET_ERANGE;
    struct fleet_rec *r = &f->rec[c];
    if (!(r->flags & FLEET_PRESENT))
        return TR_FLEET_ENOENT;
    if (fleet_is_indexed(r))
        remove_all(f, c);
    f->bp_garbage += f->bpr[c].cap;
    memset(r, 0, sizeof(*r));
    memset(&f->bpr[c], 0, sizeof(f->bpr[c]));
    f->contractors--;
    f->updates_since_rebuild++;
    return TR_FLEET_OK;
}

int tr_fleet_get(const struct tr_fleet *f, uint32_t c, struct tr_fleet_entry *out)
{
    if (!f || !out)
        return TR_FLEET_EINVAL;
    if (c >= f->capacity)
        return TR_FLEET_ERANGE;
    const struct fleet_rec *r = &f->rec[c];
    if (!(r->flags & FLEET_PRESENT))
        return TR_FLEET_ENOENT;
    out->lat = r->lat;
    out->lon = r->lon;
    out->skills = r->skills;
    out->eligible = (r->flags & FLEET_ELIGIBLE) != 0;
    out->radius_m = r->radius_m;
    out->tier = r->tier;
    out->id = r->id;
    return TR_FLEET_OK;
}

int tr_fleet_rebuild(struct tr_fleet *f, uint64_t skills)
{
    if (!f)
        return TR_FLEET_EINVAL;
    for (uint64_t m = skills; m; m &= m - 1) {
        unsigned b = (unsigned)__builtin_ctzll(m);
        if (!f->ix[b].dirty)
            continue;
        int rc = fleet_index_build(f, b);
        if (rc != TR_FLEET_OK)
            return rc;
    }
    if (skills == TR_FLEET_ALL_SKILLS)
        f->updates_since_rebuild = 0;
    return TR_FLEET_OK;
}

int tr_fleet_rebuild_step(struct tr_fleet *f, unsigned skill_bit, uint64_t work, bool *done)
{
    if (!f || !done || skill_bit >= 64)
        return TR_FLEET_EINVAL;
    return fleet_rebuild_step(f, skill_bit, work, done);
}

int tr_fleet_check(const struct tr_fleet *fleet)
{
    struct tr_fleet *f = (struct tr_fleet *)fleet; /* fleet_bp() is not const; nothing is written */
    uint32_t indexed = 0, contractors = 0;
    if (!f)
        return -1;
    for (uint32_t c = 0; c < f->capacity; c++) {
        const struct fleet_rec *r = &f->rec[c];
        contractors += (r->flags & FLEET_PRESENT) != 0;
        indexed += fleet_is_indexed(r);
        if (fleet_is_indexed(r) && f->bpr[c].cap < 2u * (unsigned)__builtin_popcountll(r->skills))
            return __LINE__;
    }
    if (contractors != f->contractors || indexed != f->indexed)
        return __LINE__;
    for (unsigned b = 0; b < 64; b++) {
        const struct fleet_index *ix = &f->ix[b];
        int line = fleet_tree_check(f, ix, b, ix->gen, f->capacity);
        if (line)
            return line;
        if (ix->build && ix->build->phase == FLEET_BUILD_FILL) {
            line = fleet_tree_check(f, &ix->build->nx, b, ix->gen ^ 1u, ix->build->next);
            if (line)
                return line;
        }
    }
    return 0;
}

void tr_fleet_stats(const struct tr_fleet *f, struct tr_fleet_stats *out)
{
    memset(out, 0, sizeof(*out));
    if (!f)
        return;
    out->kernel = f->kernel;
    out->capacity = f->capacity;
    out->contractors = f->contractors;
    out->indexed = f->indexed;
    out->updates_since_rebuild = f->updates_since_rebuild;
    out->queries = f->queries;
    out->fallback_rounds = f->fallback_rounds;
    out->rebuilds = f->rebuilds;
    out->memory_bytes = sizeof(*f) + (size_t)f->capacity * (sizeof(*f->rec) + sizeof(*f->bpr)) +
                        f->bp_alloc * sizeof(*f->bp) + f->heap_cap * sizeof(*f->heap);
    for (unsigned b = 0; b < 64; b++) {
        out->entries += f->ix[b].size;
        out->overflow += f->ix[b].ovf_n;
        out->memory_bytes += fleet_index_memory(&f->ix[b]);
    }
}

int tr_fleet_index_stats(const struct tr_fleet *f, unsigned bit, struct tr_fleet_index_stats *out)
{
    if (!f || !out || bit >= 64)
        return TR_FLEET_EINVAL;
    const struct fleet_index *ix = &f->ix[bit];
    memset(out, 0, sizeof(*out));
    out->entries = ix->size;
    out->leaves = ix->n_leaves;
    out->overflow = ix->ovf_n;
    for (uint32_t l = 0; l < ix->n_leaves; l++)
        if (ix->count[l] > out->max_leaf)
            out->max_leaf = ix->count[l];
    out->moves_in_leaf = ix->moves_in_leaf;
    out->moves_relinked = ix->moves_relinked;
    out->dirty = ix->dirty;
    out->rebuilding = ix->build != NULL;
    return TR_FLEET_OK;
}
