/*
 * dispatcher/geo/boundary_index.c: the point-location index of one layer.
 *
 * A 1-degree root grid over the whole globe; a cell with many edges is split
 * into four, recursively (an adaptive quadtree), until a leaf holds at most
 * LEAF_MAX_EDGES edges. Each leaf knows, at its centre C, which regions
 * contain C (the parity of each region having edges in the leaf, plus the
 * first region containing the whole leaf). A query point P is then decided
 * exactly by counting the leaf's edges that cross the segment C-P: no
 * approximation, the same answer as testing every polygon.
 *
 * Root centres get their parity from a sweep along each grid row (ray
 * casting, as the brute-force test does); children from their parent's
 * centre by the segment rule. Building takes a few hundred milliseconds for
 * the world; lookups allocate nothing.
 */
#include "dispatcher/geo/boundary_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ROOT_NX        360u
#define ROOT_NY        180u
#define LEAF_MAX_EDGES 16u
#define MAX_DEPTH      12
#define MIN_CELL       1.0  /* layer units: below this a cell is not split */
#define HIT_EPS        1e-3 /* cells are grown by this much when testing edges */

struct bedge {
    int32_t ax, ay, bx, by;
    uint32_t region;
};

/* Regions having edges in a cell, with their parity at its centre. */
struct rpar {
    uint32_t region;
    uint32_t par;
};

struct builder {
    struct geo_index *ix;
    struct bedge *edges;
    size_t n_edges;
    size_t cap_nodes, cap_entries, cap_edges;
    int nomem;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 1024;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * size);
    if (!np)
        return -1;
    *p = np;
    *cap = ncap;
    return 0;
}

static int edge_hits_rect(const struct bedge *e, double x0, double y0, double x1, double y1)
{
    x0 -= HIT_EPS;
    y0 -= HIT_EPS;
    x1 += HIT_EPS;
    y1 += HIT_EPS;
    double minx = e->ax < e->bx ? e->ax : e->bx, maxx = e->ax < e->bx ? e->bx : e->ax;
    double miny = e->ay < e->by ? e->ay : e->by, maxy = e->ay < e->by ? e->by : e->ay;
    if (maxx < x0 || minx > x1 || maxy < y0 || miny > y1)
        return 0;
    double o1 = geo_orient(e->ax, e->ay, e->bx, e->by, x0, y0);
    double o2 = geo_orient(e->ax, e->ay, e->bx, e->by, x1, y0);
    double o3 = geo_orient(e->ax, e->ay, e->bx, e->by, x1, y1);
    double o4 = geo_orient(e->ax, e->ay, e->bx, e->by, x0, y1);
    if ((o1 > 0 && o2 > 0 && o3 > 0 && o4 > 0) || (o1 < 0 && o2 < 0 && o3 < 0 && o4 < 0))
        return 0;
    return 1;
}

/* Every edge of the layer, also those outside the globe's rectangle (copies
 * shifted by 360 degrees): the row sweep's rays must see them. */
static int collect_edges(struct builder *bd, const struct geo_layer *L)
{
    size_t cap = 0;
    for (uint32_t r = 0; r < L->n_regions; r++) {
        const struct geo_region *g = &L->regions[r];
        for (uint32_t k = g->first_ring; k < g->first_ring + g->n_rings; k++) {
            uint32_t first = L->rings[2 * k], n = L->rings[2 * k + 1];
            for (uint32_t j = first; j + 1 < first + n; j++) {
                struct bedge e = { L->xy[2 * j], L->xy[2 * j + 1], L->xy[2 * j + 2],
                                   L->xy[2 * j + 3], r };
                if (e.ax == e.bx && e.ay == e.by)
                    continue;
                if (grow((void **)&bd->edges, &cap, bd->n_edges + 1, sizeof(e)) != 0)
                    return -1;
                bd->edges[bd->n_edges++] = e;
            }
        }
    }
    return 0;
}

static void make_leaf(struct builder *bd, uint32_t node, const uint32_t *eidx, size_t ne,
                      const struct rpar *rp, size_t nrp, uint32_t noedge)
{
    struct geo_index *ix = bd->ix;
    size_t start = ix->n_entries, i = 0;
    if (grow((void **)&ix->entries, &bd->cap_entries, ix->n_entries + nrp + 1,
             sizeof(*ix->entries)) != 0 ||
        grow((void **)&ix->edges, &bd->cap_edges, ix->n_edges + ne, sizeof(*ix->edges)) != 0) {
        bd->nomem = 1;
        return;
    }
    for (size_t k = 0; k < nrp && rp[k].region < noedge; k++) {
        struct geo_entry *en = &ix->entries[ix->n_entries++];
        en->region = rp[k].region;
        en->inside = rp[k].par;
        en->first_edge = (uint32_t)ix->n_edges;
        while (i < ne && bd->edges[eidx[i]].region != rp[k].region)
            i++;
        for (; i < ne && bd->edges[eidx[i]].region == rp[k].region; i++) {
            const struct bedge *e = &bd->edges[eidx[i]];
            ix->edges[ix->n_edges++] = (struct geo_edge){ e->ax, e->ay, e->bx, e->by };
        }
        en->n_edges = (uint32_t)ix->n_edges - en->first_edge;
    }
    if (noedge != GEO_NONE)
        ix->entries[ix->n_entries++] = (struct geo_entry){ noedge, 1, (uint32_t)ix->n_edges, 0 };
    ix->nodes[node].a = (uint32_t)start;
    ix->nodes[node].b = GEO_LEAF | (uint32_t)(ix->n_entries - start);
}

static void build_node(struct builder *bd, uint32_t node, double x0, double y0, double w, double h,
                       int depth, const uint32_t *eidx, size_t ne, const struct rpar *rp,
                       size_t nrp, uint32_t noedge);

/* Build child Q of NODE: the parities at its centre follow from the
 * parent's centre by counting crossings of the segment between them. */
static void build_child(struct builder *bd, uint32_t child, double x0, double y0, double w,
                        double h, int depth, double pcx, double pcy, const uint32_t *eidx,
                        size_t ne, const struct rpar *rp, size_t nrp, uint32_t noedge,
                        uint32_t *ceidx, struct rpar *crp)
{
    double ccx = geo_cell_cx(x0, w), ccy = geo_cell_cy(y0, h);
    size_t cne = 0, cnrp = 0, i = 0;
    uint32_t cnoedge = noedge;
    for (size_t k = 0; k < nrp; k++) {
        uint32_t par = rp[k].par, has = 0;
        while (i < ne && bd->edges[eidx[i]].region != rp[k].region)
            i++;
        for (; i < ne && bd->edges[eidx[i]].region == rp[k].region; i++) {
            const struct bedge *e = &bd->edges[eidx[i]];
            struct geo_edge ge = { e->ax, e->ay, e->bx, e->by };
            par ^= (uint32_t)geo_segment_crosses(pcx, pcy, ccx, ccy, &ge);
            if (edge_hits_rect(e, x0, y0, x0 + w, y0 + h)) {
                ceidx[cne++] = eidx[i];
                has = 1;
            }
        }
        if (has)
            crp[cnrp++] = (struct rpar){ rp[k].region, par };
        else if (par && rp[k].region < cnoedge)
            cnoedge = rp[k].region;
    }
    build_node(bd, child, x0, y0, w, h, depth, ceidx, cne, crp, cnrp, cnoedge);
}

static void build_node(struct builder *bd, uint32_t node, double x0, double y0, double w, double h,
                       int depth, const uint32_t *eidx, size_t ne, const struct rpar *rp,
                       size_t nrp, uint32_t noedge)
{
    struct geo_index *ix = bd->ix;
    if (bd->nomem)
        return;
    if (ne <= LEAF_MAX_EDGES || depth >= MAX_DEPTH || w < MIN_CELL || h < MIN_CELL) {
        make_leaf(bd, node, eidx, ne, rp, nrp, noedge);
        return;
    }
    uint32_t *ceidx = malloc((ne + 1) * sizeof(*ceidx));
    struct rpar *crp = malloc((nrp + 1) * sizeof(*crp));
    if (!ceidx || !crp ||
        grow((void **)&ix->nodes, &bd->cap_nodes, ix->n_nodes + 4, sizeof(*ix->nodes)) != 0) {
        bd->nomem = 1;
        goto out;
    }
    uint32_t first = (uint32_t)ix->n_nodes;
    ix->n_nodes += 4;
    ix->nodes[node].a = first;
    ix->nodes[node].b = 0;
    double cx = geo_cell_cx(x0, w), cy = geo_cell_cy(y0, h), hw = w * 0.5, hh = h * 0.5;
    for (uint32_t q = 0; q < 4; q++) {
        double qx = (q & 1) ? x0 + hw : x0, qy = (q & 2) ? y0 + hh : y0;
        build_child(bd, first + q, qx, qy, hw, hh, depth + 1, cx, cy, eidx, ne, rp, nrp, noedge,
                    ceidx, crp);
    }
out:
    free(ceidx);
    free(crp);
}

/* Root grid: edges per cell, as index lists sorted by edge (so by region). */
static int root_cells(struct builder *bd, size_t **off_out, uint32_t **list_out)
{
    const struct geo_index *ix = bd->ix;
    size_t ncell = (size_t)ix->nx * ix->ny, *off = calloc(ncell + 1, sizeof(*off));
    uint32_t *list = NULL;
    if (!off)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < bd->n_edges; i++) {
            const struct bedge *e = &bd->edges[i];
            double mnx = (e->ax < e->bx ? e->ax : e->bx) - HIT_EPS;
            double mxx = (e->ax < e->bx ? e->bx : e->ax) + HIT_EPS;
            double mny = (e->ay < e->by ? e->ay : e->by) - HIT_EPS;
            double mxy = (e->ay < e->by ? e->by : e->ay) + HIT_EPS;
            long c0 = (long)floor((mnx - ix->x0) / ix->cw),
                 c1 = (long)floor((mxx - ix->x0) / ix->cw);
            long r0 = (long)floor((mny - ix->y0) / ix->ch),
                 r1 = (long)floor((mxy - ix->y0) / ix->ch);
            c0 = c0 < 0 ? 0 : c0;
            r0 = r0 < 0 ? 0 : r0;
            c1 = c1 >= (long)ix->nx ? (long)ix->nx - 1 : c1;
            r1 = r1 >= (long)ix->ny ? (long)ix->ny - 1 : r1;
            for (long r = r0; r <= r1; r++) {
                for (long c = c0; c <= c1; c++) {
                    double x0 = ix->x0 + (double)c * ix->cw, y0 = ix->y0 + (double)r * ix->ch;
                    if (!edge_hits_rect(e, x0, y0, x0 + ix->cw, y0 + ix->ch))
                        continue;
                    size_t cell = (size_t)r * ix->nx + (size_t)c;
                    if (pass == 0)
                        off[cell + 1]++;
                    else
                        list[off[cell]++] = (uint32_t)i;
                }
            }
        }
        if (pass == 0) {
            for (size_t c = 0; c < ncell; c++)
                off[c + 1] += off[c];
            list = malloc((off[ncell] + 1) * sizeof(*list));
            if (!list) {
                free(off);
                return -1;
            }
        } else {
            /* The fill pass advanced each start to the next cell's start. */
            memmove(off + 1, off, ncell * sizeof(*off));
            off[0] = 0;
        }
    }
    *off_out = off;
    *list_out = list;
    return 0;
}

struct crossing {
    double x;
    uint32_t region;
};

static int cmp_crossing_desc(const void *a, const void *b)
{
    const struct crossing *ca = a, *cb = b;
    return ca->x < cb->x ? 1 : ca->x > cb->x ? -1 : 0;
}

/* Sorted set of regions with odd parity at the sweep position. */
struct oddset {
    uint32_t *v;
    size_t n, cap;
};

static int odd_toggle(struct oddset *s, uint8_t *par, uint32_t region)
{
    size_t i = 0;
    par[region] ^= 1;
    while (i < s->n && s->v[i] < region)
        i++;
    if (!par[region]) {
        memmove(s->v + i, s->v + i + 1, (s->n - i - 1) * sizeof(*s->v));
        s->n--;
        return 0;
    }
    if (grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)) != 0)
        return -1;
    memmove(s->v + i + 1, s->v + i, (s->n - i) * sizeof(*s->v));
    s->v[i] = region;
    s->n++;
    return 0;
}

/* Where every edge crosses the horizontal line through each root row's
 * centres, grouped by row (the rays of the row sweep). */
static int row_crossings(struct builder *bd, size_t **off_out, struct crossing **cr_out)
{
    const struct geo_index *ix = bd->ix;
    size_t *off = calloc(ix->ny + 1, sizeof(*off));
    struct crossing *cr = NULL;
    if (!off)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < bd->n_edges; i++) {
            const struct bedge *e = &bd->edges[i];
            double mny = e->ay < e->by ? e->ay : e->by, mxy = e->ay < e->by ? e->by : e->ay;
            long r0 = (long)floor((mny - ix->y0) / ix->ch) - 1;
            long r1 = (long)floor((mxy - ix->y0) / ix->ch) + 1;
            r0 = r0 < 0 ? 0 : r0;
            r1 = r1 >= (long)ix->ny ? (long)ix->ny - 1 : r1;
            for (long r = r0; r <= r1; r++) {
                double cy = geo_cell_cy(ix->y0 + (double)r * ix->ch, ix->ch);
                if ((e->ay > cy) == (e->by > cy))
                    continue;
                if (pass == 0) {
                    off[r + 1]++;
                    continue;
                }
                struct crossing *c = &cr[off[r]++];
                c->x = e->ax + (cy - e->ay) * (double)(e->bx - e->ax) / (double)(e->by - e->ay);
                c->region = e->region;
            }
        }
        if (pass == 0) {
            for (uint32_t r = 0; r < ix->ny; r++)
                off[r + 1] += off[r];
            cr = malloc((off[ix->ny] + 1) * sizeof(*cr));
            if (!cr) {
                free(off);
                return -1;
            }
        } else {
            memmove(off + 1, off, ix->ny * sizeof(*off));
            off[0] = 0;
        }
    }
    *off_out = off;
    *cr_out = cr;
    return 0;
}

/* Sweep root row R from east to west, building each of its cells. CR holds
 * the row's crossings. */
static int sweep_row(struct builder *bd, uint32_t r, const size_t *off, const uint32_t *list,
                     struct crossing *cr, size_t ncr, uint8_t *par, struct rpar *rp,
                     size_t n_regions)
{
    struct geo_index *ix = bd->ix;
    double y0 = ix->y0 + (double)r * ix->ch;
    size_t next = 0;
    struct oddset odd = { NULL, 0, 0 };
    int rc = -1;
    qsort(cr, ncr, sizeof(*cr), cmp_crossing_desc);
    memset(par, 0, n_regions);
    for (long c = (long)ix->nx - 1; c >= 0; c--) {
        double x0 = ix->x0 + (double)c * ix->cw, cx = geo_cell_cx(x0, ix->cw);
        size_t cell = (size_t)r * ix->nx + (size_t)c, nrp = 0;
        uint32_t noedge = GEO_NONE;
        for (; next < ncr && cr[next].x > cx; next++) {
            if (odd_toggle(&odd, par, cr[next].region) != 0)
                goto out;
        }
        const uint32_t *eidx = list + off[cell];
        size_t ne = off[cell + 1] - off[cell];
        for (size_t i = 0; i < ne; i++) {
            uint32_t reg = bd->edges[eidx[i]].region;
            if (nrp == 0 || rp[nrp - 1].region != reg)
                rp[nrp++] = (struct rpar){ reg, par[reg] };
        }
        for (size_t k = 0, j = 0; k < odd.n && noedge == GEO_NONE; k++) {
            while (j < nrp && rp[j].region < odd.v[k])
                j++;
            if (j == nrp || rp[j].region != odd.v[k])
                noedge = odd.v[k];
        }
        build_node(bd, (uint32_t)cell, x0, y0, ix->cw, ix->ch, 0, eidx, ne, rp, nrp, noedge);
        if (bd->nomem)
            goto out;
    }
    rc = 0;
out:
    free(odd.v);
    return rc;
}

int geo_index_build(struct geo_index *ix, const struct geo_layer *L)
{
    struct builder bd = { ix, NULL, 0, 0, 0, 0, 0 };
    size_t *off = NULL, *roff = NULL;
    uint32_t *list = NULL;
    struct crossing *cr = NULL;
    uint8_t *par = calloc(L->n_regions + 1, 1);
    struct rpar *rp = calloc(L->n_regions + 1, sizeof(*rp));
    int rc = TR_GEO_ERR_NOMEM;
    memset(ix, 0, sizeof(*ix));
    ix->nx = ROOT_NX;
    ix->ny = ROOT_NY;
    ix->x0 = (-180.0 - L->tx) / L->sx - 0.5;
    ix->y0 = (-90.0 - L->ty) / L->sy - 0.5;
    ix->cw = ((180.0 - L->tx) / L->sx + 0.5 - ix->x0) / ROOT_NX;
    ix->ch = ((90.0 - L->ty) / L->sy + 0.5 - ix->y0) / ROOT_NY;
    bd.cap_nodes = (size_t)ROOT_NX * ROOT_NY;
    ix->n_nodes = bd.cap_nodes;
    ix->nodes = calloc(bd.cap_nodes, sizeof(*ix->nodes));
    if (!par || !rp || !ix->nodes)
        goto out;
    if (collect_edges(&bd, L) != 0 || root_cells(&bd, &off, &list) != 0 ||
        row_crossings(&bd, &roff, &cr) != 0)
        goto out;
    for (uint32_t r = 0; r < ix->ny; r++) {
        if (sweep_row(&bd, r, off, list, cr + roff[r], roff[r + 1] - roff[r], par, rp,
                      L->n_regions) != 0)
            goto out;
    }
    rc = TR_GEO_OK;
out:
    free(bd.edges);
    free(off);
    free(roff);
    free(cr);
    free(list);
    free(par);
    free(rp);
    if (rc != TR_GEO_OK)
        geo_index_free(ix);
    return rc;
}

void geo_index_free(struct geo_index *ix)
{
    if (!ix)
        return;
    free(ix->nodes);
    free(ix->entries);
    free(ix->edges);
    memset(ix, 0, sizeof(*ix));
}

uint32_t geo_index_find(const struct geo_index *ix, double x, double y)
{
    double fx = (x - ix->x0) / ix->cw, fy = (y - ix->y0) / ix->ch;
    uint32_t col = fx <= 0 ? 0 : fx >= ix->nx ? ix->nx - 1 : (uint32_t)fx;
    uint32_t row = fy <= 0 ? 0 : fy >= ix->ny ? ix->ny - 1 : (uint32_t)fy;
    double x0 = ix->x0 + (double)col * ix->cw, y0 = ix->y0 + (double)row * ix->ch;
    double w = ix->cw, h = ix->ch;
    const struct geo_node *n = &ix->nodes[(size_t)row * ix->nx + col];
    while (!(n->b & GEO_LEAF)) {
        double hw = w * 0.5, hh = h * 0.5;
        uint32_t q = 0;
        if (x >= x0 + hw) {
            x0 = x0 + hw;
            q |= 1;
        }
        if (y >= y0 + hh) {
            y0 = y0 + hh;
            q |= 2;
        }
        w = hw;
        h = hh;
        n = &ix->nodes[n->a + q];
    }
    double cx = geo_cell_cx(x0, w), cy = geo_cell_cy(y0, h);
    const struct geo_entry *en = &ix->entries[n->a];
    for (uint32_t k = 0; k < (n->b & ~GEO_LEAF); k++, en++) {
        uint32_t inside = en->inside;
        const struct geo_edge *e = &ix->edges[en->first_edge];
        for (uint32_t j = 0; j < en->n_edges; j++)
            inside ^= (uint32_t)geo_segment_crosses(cx, cy, x, y, &e[j]);
        if (inside)
            return en->region;
    }
    return GEO_NONE;
}
