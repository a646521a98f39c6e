/*
 * dispatcher/core/fleet_search.c: the float stage of a query. Walks one skill
 * index's k-d tree nearest side first, prunes subtrees by a conservative
 * lower bound, scans leaves with the widest vector unit the CPU has and keeps
 * the m best (smallest float chord^2) in a max-heap.
 *
 * The guarantee fleet_knn.c builds on: when the heap ends full, every entry
 * not in it (within the rest-mask and s >= s_lo) has s >= st->worst, with s
 * computed by the same kernel; when it is not full, it holds every such entry
 * with s < the initial st->worst.
 *
 * Kernels: plain C (any CPU), AVX2+FMA (8 lanes) and AVX-512F (16 lanes),
 * compiled with per-function target attributes so the build needs no
 * -march flag; fleet_search_select() picks one with __builtin_cpu_supports.
 * An index does not fit in cache, so the walk starts memory misses early: on
 * the way down, each node asks for the cache line holding its 8
 * great-grandchildren (fleet_nodes_alloc() aligns them to one line), so the
 * misses of the bottom levels overlap instead of following each other; a
 * leaf's lines (its first FLEET_DEFAULT_FILL entries, without waiting for
 * its count) and its sibling's are prefetched together, and each pushed
 * candidate's contractor record is prefetched for the exact stage.
 * Does not compute exact distances or know about contractors beyond the
 * index's lanes.
 */
#include "dispatcher/core/fleet_int.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FLEET_X86 1
#endif

#define S FLEET_LEAF_SLOTS

/* A subtree is skipped when lb * FLEET_LB_SCALE >= worst, lb being the
 * float sum of squared offsets to its cell. Float rounding makes lb up to ~5
 * ulps high and an entry's s up to ~5 ulps low; 2^-18 is 64 ulps of margin. */
#define FLEET_LB_SCALE (1.0f - 1.0f / 262144.0f)

static inline uint32_t f2u(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof(u));
    return u;
}

static inline float u2f(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof(x));
    return x;
}

/* s is known to be < st->worst and >= st->s_lo. The mask is loaded only
 * when the query needs more bits than the index's own (it lives on other
 * cache lines than the coordinates). */
static inline void consider(struct fleet_search *st, float s, const struct fleet_leaf *lf,
                            unsigned j, uint32_t slot)
{
    if (st->rest && (lf->mask[j] & st->rest) != st->rest)
        return;
    /* the exact stage will read this contractor's record: start the miss now */
    __builtin_prefetch(&st->rec[lf->cid[j]]);
    uint64_t key = (uint64_t)f2u(s) << 32 | slot;
    uint64_t *h = st->heap;
    if (st->n < st->m) {
        uint32_t i = st->n++;
        while (i > 0) {
            uint32_t p = (i - 1) / 2;
            if (h[p] >= key)
                break;
            h[i] = h[p];
            i = p;
        }
        h[i] = key;
        if (st->n == st->m)
            st->worst = u2f((uint32_t)(h[0] >> 32));
        return;
    }
    uint32_t i = 0, n = st->n;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && h[c + 1] > h[c])
            c++;
        if (h[c] <= key)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = key;
    st->worst = u2f((uint32_t)(h[0] >> 32));
}

/* Ask for the coordinate lines of a leaf's usual entries (and their
 * contractor indexes) at once, so the misses overlap; no need to know its
 * count first (another miss). */
static inline void prefetch_leaf(const struct fleet_leaf *lf)
{
    for (unsigned j = 0; j < FLEET_DEFAULT_FILL; j += 16) {
        __builtin_prefetch(lf->x + j);
        __builtin_prefetch(lf->y + j);
        __builtin_prefetch(lf->z + j);
        __builtin_prefetch(lf->cid + j);
    }
}

/* ... and the lines of entries beyond those, once the count is known. */
static inline void prefetch_coords(const struct fleet_leaf *lf, unsigned cnt)
{
    for (unsigned j = FLEET_DEFAULT_FILL; j < cnt; j += 16) {
        __builtin_prefetch(lf->x + j);
        __builtin_prefetch(lf->y + j);
        __builtin_prefetch(lf->z + j);
        __builtin_prefetch(lf->cid + j);
    }
}

typedef void (*scan_fn)(const struct fleet_leaf *lf, unsigned cnt, uint32_t slot0,
                        struct fleet_search *st);

struct stack_entry {
    uint32_t node;
    float lb;
    float off[3];
};

/* Leaves collected by the walk before any of them is scanned. */
#define FLEET_BATCH 8

struct batch_entry {
    uint32_t leaf;
    float lb;
};

/*
 * The tree walk, inlined into each kernel's own function so the leaf scan is
 * a direct call compiled for that instruction set. off0..2 are the query's
 * per-axis offsets to the current cell (0 inside it); lb their squared sum.
 *
 * The walk visits leaves nearest side first, but in batches: it collects up
 * to FLEET_BATCH leaves that the current worst does not prune (asking for
 * their lines as it goes, so their misses overlap instead of following each
 * other), then scans them, skipping any the scans before it pruned. The first
 * batch is the query's own leaf alone, so that the later ones are collected
 * against a worst that already holds m candidates. Pruning with a stale (so
 * larger) worst only visits more, never fewer, so the guarantee above holds.
 */
static inline __attribute__((always_inline)) void search_body(const struct fleet_index *ix,
                                                              struct fleet_search *st, scan_fn scan)
{
    const uint32_t L = ix->n_leaves;

    if (L) {
        struct stack_entry stack[FLEET_MAX_DEPTH + 2];
        struct batch_entry batch[FLEET_BATCH];
        unsigned sp = 0, cap = 1;
        const uint32_t inner = L - 1;
        uint32_t node = 0;
        const float q0 = st->q[0], q1 = st->q[1], q2 = st->q[2];
        float off0 = 0.0f, off1 = 0.0f, off2 = 0.0f, cur_lb = 0.0f;
        bool have = true, more = true;
        while (more) {
            unsigned nb = 0;
            while (nb < cap) {
                if (!have) {
                    for (;;) {
                        if (sp == 0) {
                            more = false;
                            break;
                        }
                        struct stack_entry *e = &stack[--sp];
                        if (e->lb * FLEET_LB_SCALE < st->worst) {
                            node = e->node;
                            cur_lb = e->lb;
                            off0 = e->off[0];
                            off1 = e->off[1];
                            off2 = e->off[2];
                            break;
                        }
                    }
                    if (!more)
                        break;
                }
                while (node < inner) {
                    const struct fleet_node *nd = &ix->nodes[node];
                    uint32_t ahead = 8 * node + 7; /* three levels down */
                    if (ahead < inner)
                        __builtin_prefetch(&ix->nodes[ahead]);
                    unsigned d = nd->dim;
                    float diff = (d == 0 ? q0 : d == 1 ? q1 : q2) - nd->split;
                    float f0 = d == 0 ? diff : off0, f1 = d == 1 ? diff : off1,
                          f2 = d == 2 ? diff : off2;
                    float lb = f0 * f0 + f1 * f1 + f2 * f2;
                    uint32_t left = 2 * node + 1;
                    uint32_t go_right = diff >= 0.0f;
                    struct stack_entry *e = &stack[sp];
                    e->node = left + (go_right ^ 1u);
                    e->lb = lb;
                    e->off[0] = f0;
                    e->off[1] = f1;
                    e->off[2] = f2;
                    node = left + go_right;
                    sp += lb * FLEET_LB_SCALE < st->worst;
                }
                uint32_t l = node - inner;
                prefetch_leaf(&ix->leaves[l]);
                __builtin_prefetch(&ix->count[l]);
                batch[nb].leaf = l;
                batch[nb].lb = cur_lb;
                nb++;
                have = false;
            }
            if (cap == 1 && L > 1) /* the likeliest next leaf: overlap its misses */
                prefetch_leaf(&ix->leaves[batch[0].leaf ^ 1u]);
            for (unsigned i = 0; i < nb; i++) {
                uint32_t l = batch[i].leaf;
                if (batch[i].lb * FLEET_LB_SCALE < st->worst)
                    scan(&ix->leaves[l], ix->count[l], l * S, st);
            }
            cap = FLEET_BATCH;
        }
    }
    for (uint32_t i = 0; i < ix->ovf_n; i += S) {
        uint32_t cnt = ix->ovf_n - i < S ? ix->ovf_n - i : S;
        scan(&ix->ovf[i / S], cnt, L * S + i, st);
    }
}

/* ---- plain C ---- */

static void scan_scalar(const struct fleet_leaf *lf, unsigned cnt, uint32_t slot0,
                        struct fleet_search *st)
{
    const float qx = st->q[0], qy = st->q[1], qz = st->q[2];
    for (unsigned j = 0; j < cnt; j++) {
        float dx = lf->x[j] - qx, dy = lf->y[j] - qy, dz = lf->z[j] - qz;
        float s = dx * dx + dy * dy + dz * dz;
        if (s < st->worst && s >= st->s_lo)
            consider(st, s, lf, j, slot0 + j);
    }
}

static void search_scalar(const struct fleet_index *ix, struct fleet_search *st)
{
    search_body(ix, st, scan_scalar);
}

#ifdef FLEET_X86

/* ---- AVX2 + FMA, 8 lanes ---- */

__attribute__((target("avx2,fma"))) static void scan_avx2(const struct fleet_leaf *lf, unsigned cnt,
                                                          uint32_t slot0, struct fleet_search *st)
{
    const __m256 qx = _mm256_set1_ps(st->q[0]), qy = _mm256_set1_ps(st->q[1]),
                 qz = _mm256_set1_ps(st->q[2]), lo = _mm256_set1_ps(st->s_lo);
    prefetch_coords(lf, cnt);
    for (unsigned j = 0; j < cnt; j += 8) {
        __m256 dx = _mm256_sub_ps(_mm256_load_ps(lf->x + j), qx);
        __m256 dy = _mm256_sub_ps(_mm256_load_ps(lf->y + j), qy);
        __m256 dz = _mm256_sub_ps(_mm256_load_ps(lf->z + j), qz);
        __m256 s = _mm256_fmadd_ps(dz, dz, _mm256_fmadd_ps(dy, dy, _mm256_mul_ps(dx, dx)));
        __m256 ok = _mm256_and_ps(_mm256_cmp_ps(s, _mm256_set1_ps(st->worst), _CMP_LT_OQ),
                                  _mm256_cmp_ps(s, lo, _CMP_GE_OQ));
        unsigned hit = (unsigned)_mm256_movemask_ps(ok);
        if (hit) {
            float sv[8];
            _mm256_storeu_ps(sv, s);
            do {
                unsigned k = (unsigned)__builtin_ctz(hit);
                hit &= hit - 1;
                if (sv[k] < st->worst)
                    consider(st, sv[k], lf, j + k, slot0 + j + k);
            } while (hit);
        }
    }
}

__attribute__((target("avx2,fma"))) static void search_avx2(const struct fleet_index *ix,
                                                            struct fleet_search *st)
{
    search_body(ix, st, scan_avx2);
}

/* ---- AVX-512F, 16 lanes ---- */

/*
 * First leaf of a query (heap empty): lower worst to the m-th smallest of the
 * 16 per-column minima of s. Those are m real entries with s <= T, so the heap
 * fills within this leaf, and entries with s > T could never have stayed in
 * it: the invariant of the search holds, with ~m pushes instead of ~3m.
 * Only for plain queries (no rest mask, no s_lo), m <= 16 and >= 16 entries.
 */
__attribute__((target("avx512f,popcnt"))) static void
first_threshold_avx512(const struct fleet_leaf *lf, unsigned cnt, struct fleet_search *st,
                       __m512 qx, __m512 qy, __m512 qz)
{
    __m512 cm = _mm512_set1_ps(FLEET_S_MAX);
    for (unsigned j = 0; j < cnt; j += 16) {
        __m512 dx = _mm512_sub_ps(_mm512_load_ps(lf->x + j), qx);
        __m512 dy = _mm512_sub_ps(_mm512_load_ps(lf->y + j), qy);
        __m512 dz = _mm512_sub_ps(_mm512_load_ps(lf->z + j), qz);
        cm = _mm512_min_ps(cm,
                           _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_mul_ps(dx, dx))));
    }
    float v[16], t = 0.0f;
    _mm512_storeu_ps(v, cm);
    for (unsigned i = 0; i < 16; i++) {
        unsigned below = (unsigned)_mm512_cmp_ps_mask(cm, _mm512_set1_ps(v[i]), _CMP_LT_OQ);
        if ((unsigned)__builtin_popcount(below) < st->m && v[i] > t)
            t = v[i];
    }
    float up = u2f(f2u(t) + 1u); /* the next float above t: s <= t qualifies */
    if (up < st->worst)
        st->worst = up;
}

__attribute__((target("avx512f,popcnt"))) static void
scan_avx512(const struct fleet_leaf *lf, unsigned cnt, uint32_t slot0, struct fleet_search *st)
{
    const __m512 qx = _mm512_set1_ps(st->q[0]), qy = _mm512_set1_ps(st->q[1]),
                 qz = _mm512_set1_ps(st->q[2]), lo = _mm512_set1_ps(st->s_lo);
    prefetch_coords(lf, cnt);
    if (st->n == 0 && st->rest == 0 && st->s_lo == 0.0f && st->m <= 16 && cnt >= 16)
        first_threshold_avx512(lf, cnt, st, qx, qy, qz);
    for (unsigned j = 0; j < cnt; j += 16) {
        __m512 dx = _mm512_sub_ps(_mm512_load_ps(lf->x + j), qx);
        __m512 dy = _mm512_sub_ps(_mm512_load_ps(lf->y + j), qy);
        __m512 dz = _mm512_sub_ps(_mm512_load_ps(lf->z + j), qz);
        __m512 s = _mm512_fmadd_ps(dz, dz, _mm512_fmadd_ps(dy, dy, _mm512_mul_ps(dx, dx)));
        __mmask16 hit = _mm512_cmp_ps_mask(s, _mm512_set1_ps(st->worst), _CMP_LT_OQ);
        hit = _mm512_mask_cmp_ps_mask(hit, s, lo, _CMP_GE_OQ);
        if (hit) {
            float sv[16];
            unsigned h = hit;
            _mm512_storeu_ps(sv, s);
            do {
                unsigned k = (unsigned)__builtin_ctz(h);
                h &= h - 1;
                if (sv[k] < st->worst)
                    consider(st, sv[k], lf, j + k, slot0 + j + k);
            } while (h);
        }
    }
}

__attribute__((target("avx512f,popcnt"))) static void search_avx512(const struct fleet_index *ix,
                                                                    struct fleet_search *st)
{
    search_body(ix, st, scan_avx512);
}

#endif

bool tr_fleet_kernel_supported(enum tr_fleet_kernel kernel)
{
    switch (kernel) {
    case TR_FLEET_KERNEL_AUTO:
    case TR_FLEET_KERNEL_SCALAR:
        return true;
#ifdef FLEET_X86
    case TR_FLEET_KERNEL_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case TR_FLEET_KERNEL_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt");
#else
    case TR_FLEET_KERNEL_AVX2:
    case TR_FLEET_KERNEL_AVX512:
        return false;
#endif
    }
    return false;
}

fleet_search_fn fleet_search_select(enum tr_fleet_kernel kernel)
{
    switch (kernel) {
#ifdef FLEET_X86
    case TR_FLEET_KERNEL_AVX2:
        return search_avx2;
    case TR_FLEET_KERNEL_AVX512:
        return search_avx512;
#endif
    case TR_FLEET_KERNEL_SCALAR:
        return search_scalar;
    default:
        return NULL;
    }
}
