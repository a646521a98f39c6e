/*
 * dispatcher/core/fleet_check.c: the consistency check of one tree behind
 * tr_fleet_check(): cells nested by the splits, every entry inside its
 * leaf's cell, padding where no entry is, back pointers and contents equal
 * to the contractor table. O(capacity + entries); for tests and debugging,
 * never on a hot path.
 *
 * Does not change anything or check the search (the tests compare answers
 * with a brute-force scan for that).
 */
#include "dispatcher/core/fleet_int.h"

#include "common/geo.h"

#include <string.h>

#define S FLEET_LEAF_SLOTS

static bool inside(const float b[6], float x, float y, float z)
{
    return x >= b[0] && y >= b[1] && z >= b[2] && x <= b[3] && y <= b[4] && z <= b[5];
}

/* Leaf cells must equal what the splits say, from the root's [-2, 2]^3. */
static int check_cells(const struct fleet_index *ix, uint32_t node, const float box[6])
{
    uint32_t inner = ix->n_leaves - 1;
    if (node >= inner)
        return memcmp(ix->box[node - inner], box, sizeof(float[6])) == 0 ? 0 : __LINE__;
    const struct fleet_node *nd = &ix->nodes[node];
    if (nd->dim > 2 || !(nd->split >= box[nd->dim] && nd->split <= box[3 + nd->dim]))
        return __LINE__;
    float cb[6];
    memcpy(cb, box, sizeof(cb));
    cb[3 + nd->dim] = nd->split;
    int line = check_cells(ix, 2 * node + 1, cb);
    if (line)
        return line;
    memcpy(cb, box, sizeof(cb));
    cb[nd->dim] = nd->split;
    return check_cells(ix, 2 * node + 2, cb);
}

static int check_lane(struct tr_fleet *f, const struct fleet_leaf *lf, unsigned j, uint32_t slot,
                      unsigned bit, unsigned gen, uint32_t below)
{
    uint32_t c = lf->cid[j];
    if (c >= below)
        return __LINE__;
    const struct fleet_rec *r = &f->rec[c];
    if (!fleet_is_indexed(r) || !(r->skills >> bit & 1u) || lf->mask[j] != r->skills)
        return __LINE__;
    if (*fleet_bp_gen(f, c, bit, gen) != slot)
        return __LINE__;
    double u[3];
    float v[3];
    tr_geo_to_unit(r->lat, r->lon, u);
    if (memcmp(u, r->u, sizeof(u)) != 0)
        return __LINE__;
    fleet_unit_f(u, v);
    if (lf->x[j] != v[0] || lf->y[j] != v[1] || lf->z[j] != v[2])
        return __LINE__;
    return 0;
}

static bool padded(const struct fleet_leaf *lf, unsigned j)
{
    return lf->x[j] == FLEET_PAD && lf->y[j] == FLEET_PAD && lf->z[j] == FLEET_PAD &&
           lf->mask[j] == 0;
}

int fleet_tree_check(struct tr_fleet *f, const struct fleet_index *ix, unsigned bit, unsigned gen,
                     uint32_t below)
{
    uint64_t n = 0, want = 0;
    int line;

    if (ix->n_leaves) {
        const float root[6] = { -2.0f, -2.0f, -2.0f, 2.0f, 2.0f, 2.0f };
        if (ix->n_leaves & (ix->n_leaves - 1))
            return __LINE__;
        line = check_cells(ix, 0, root);
        if (line)
            return line;
    }
    for (uint32_t l = 0; l < ix->n_leaves; l++) {
        const struct fleet_leaf *lf = &ix->leaves[l];
        if (ix->count[l] > S)
            return __LINE__;
        for (unsigned j = 0; j < S; j++) {
            if (j >= ix->count[l]) {
                if (!padded(lf, j))
                    return __LINE__;
                continue;
            }
            if (!inside(ix->box[l], lf->x[j], lf->y[j], lf->z[j]))
                return __LINE__;
            line = check_lane(f, lf, j, l * S + j, bit, gen, below);
            if (line)
                return line;
            n++;
        }
    }
    for (uint32_t i = 0; i < (uint32_t)ix->ovf_blocks * S; i++) {
        const struct fleet_leaf *lf = &ix->ovf[i / S];
        if (i >= ix->ovf_n) {
            if (!padded(lf, i % S))
                return __LINE__;
            continue;
        }
        line = check_lane(f, lf, i % S, ix->n_leaves * S + i, bit, gen, below);
        if (line)
            return line;
        n++;
    }
    for (uint32_t c = 0; c < below; c++)
        want += fleet_is_indexed(&f->rec[c]) && (f->rec[c].skills >> bit & 1u);
    if (n != want || n != ix->size)
        return __LINE__;
    return 0;
}
