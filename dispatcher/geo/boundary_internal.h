/*
 * dispatcher/geo/boundary_internal.h: the loaded form of geo.bin and the
 * grid index, shared by the boundary_*.c files. Not a public API.
 *
 * Coordinates inside a layer are the TopoJSON quantized units (doubles for
 * query points, int32 for vertices): x = (lon - tx) / sx, y = (lat - ty) / sy.
 */
#ifndef TR_GEO_BOUNDARY_INTERNAL_H
#define TR_GEO_BOUNDARY_INTERNAL_H

#include "dispatcher/geo/boundary.h"

#include <stdint.h>

#define GEO_NONE 0xffffffffu

struct geo_region {
    const char *code, *abbr, *name;
    uint32_t parent, first_ring, n_rings;
    int32_t minx, miny, maxx, maxy; /* bounding box of its rings */
};

struct geo_layer {
    double sx, sy, tx, ty;
    uint32_t n_regions, n_rings, n_points;
    struct geo_region *regions;
    uint32_t *rings; /* first_point, n_points pairs */
    int32_t *xy;     /* x, y pairs */
};

/* An edge as the index stores it. */
struct geo_edge {
    int32_t ax, ay, bx, by;
};

/* A leaf lists the regions that may contain its points: each with the
 * parity of the region at the leaf's centre C and the region's edges that
 * touch the leaf. A point P of the leaf is in the region iff that parity,
 * flipped once per edge crossing the segment C-P, is odd. */
struct geo_entry {
    uint32_t region;
    uint32_t inside; /* parity at the leaf centre */
    uint32_t first_edge, n_edges;
};

#define GEO_LEAF 0x80000000u
/* Inner node: a = index of its 4 children (SW, SE, NW, NE), b = 0.
 * Leaf: a = first entry, b = GEO_LEAF | number of entries. */
struct geo_node {
    uint32_t a, b;
};

struct geo_index {
    double x0, y0, cw, ch; /* root grid origin and cell size, layer units */
    uint32_t nx, ny;
    struct geo_node *nodes;
    struct geo_entry *entries;
    struct geo_edge *edges;
    size_t n_nodes, n_entries, n_edges;
};

struct tr_geo_boundaries {
    struct geo_layer layers[3]; /* enum tr_geo_level order */
    char *strings;
    struct geo_index country_ix, county_ix;
};

/* Where the centre used for a cell [x0, x0 + w) lies: off the middle by a
 * little so that it is never on a vertex or an axis-parallel edge. */
static inline double geo_cell_cx(double x0, double w)
{
    return x0 + w * 0.5123456789;
}

static inline double geo_cell_cy(double y0, double h)
{
    return y0 + h * 0.5234567891;
}

static inline double geo_orient(double ax, double ay, double bx, double by, double px, double py)
{
    return (bx - ax) * (py - ay) - (by - ay) * (px - ax);
}

/* Does segment C-P cross edge E? A vertex exactly on the line C-P counts as
 * being on its non-positive side, so a path through a vertex is counted
 * once or not at all, consistently (simulation of simplicity). */
static inline int geo_segment_crosses(double cx, double cy, double px, double py,
                                      const struct geo_edge *e)
{
    double oa = geo_orient(cx, cy, px, py, e->ax, e->ay);
    double ob = geo_orient(cx, cy, px, py, e->bx, e->by);
    if ((oa > 0) == (ob > 0))
        return 0;
    double oc = geo_orient(e->ax, e->ay, e->bx, e->by, cx, cy);
    double op = geo_orient(e->ax, e->ay, e->bx, e->by, px, py);
    return (oc > 0) != (op > 0);
}

/* Layer coordinates of a position. */
static inline void geo_to_layer(const struct geo_layer *L, double lat, double lon, double *x,
                                double *y)
{
    *x = (lon - L->tx) / L->sx;
    *y = (lat - L->ty) / L->sy;
}

/* Even-odd test of (x, y) against every ring of REGION (the reference). */
int geo_region_contains(const struct geo_layer *L, uint32_t region, double x, double y);

/* Validate and normalize a position (lon 180 -> -180, off the exact
 * antimeridian). Returns TR_GEO_OK or TR_GEO_ERR_COORD. */
int geo_normalize(double *lat, double *lon);

/* Build IX over layer L (boundary_index.c); free with geo_index_free. */
int geo_index_build(struct geo_index *ix, const struct geo_layer *L);
void geo_index_free(struct geo_index *ix);
/* Region of L containing (x, y) by the index, or GEO_NONE. */
uint32_t geo_index_find(const struct geo_index *ix, double x, double y);

/* Fill OUT from the county / state / country indexes found (GEO_NONE = none). */
void geo_fill_info(const struct tr_geo_boundaries *b, uint32_t country, uint32_t state,
                   uint32_t county, struct tr_region_info *out);

#endif
