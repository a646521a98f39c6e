/*
 * dispatcher/geo/tools/topojson.h: a small TopoJSON reader for the build-time
 * generator (geo_compile). It decodes the quantized, delta-encoded arcs and
 * stitches a ring's arcs into one closed list of quantized points.
 *
 * It does not reproject or simplify, and only supports what our data uses:
 * a top-level "transform", Polygon / MultiPolygon geometries in
 * GeometryCollection objects. Runs on the build host only.
 */
#ifndef TR_GEO_TOPOJSON_H
#define TR_GEO_TOPOJSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct topo {
    double sx, sy, tx, ty; /* lon = x * sx + tx, lat = y * sy + ty */
    size_t n_arcs;
    size_t *arc_first; /* index of the arc's first point in pts */
    size_t *arc_len;   /* number of points of the arc */
    int32_t *pts;      /* absolute quantized x, y pairs */
    cJSON *root;       /* the parsed document (owned) */
};

/* A growable list of quantized points (x, y pairs). */
struct topo_points {
    int32_t *xy;
    size_t n, cap;
};

/* Read a whole file, NUL-terminated (caller frees); NULL after a message. */
char *topo_read_file(const char *path, size_t *len);

/* Read and decode PATH. Returns 0, or -1 after printing why to stderr. */
int topo_load(const char *path, struct topo *t);
void topo_free(struct topo *t);

/* The "geometries" array of GeometryCollection object NAME, or NULL. */
const cJSON *topo_geometries(const struct topo *t, const char *name);

/* Replace OUT's content with the closed ring made of the arc indexes in
 * ARCS (negative index ~i = arc i reversed). Returns 0 or -1 (bad index,
 * no memory). */
int topo_ring(const struct topo *t, const cJSON *arcs, struct topo_points *out);

int topo_points_push(struct topo_points *p, int32_t x, int32_t y);
void topo_points_free(struct topo_points *p);

#endif
