/*
 * dispatcher/geo/tools/geo_compile.h: the generator's layer builder
 * (gc_layer.c): regions, rings with antimeridian / pole handling, the string
 * table, and writing geo.bin. Build host only; see geo_compile.c.
 */
#ifndef TR_GEO_COMPILE_H
#define TR_GEO_COMPILE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "dispatcher/geo/tools/topojson.h"

#define GC_MAX_CODES 512

/* country-codes.tsv: key ("840" or "name:Kosovo") -> alpha-2 ("" = none). */
struct gc_codes {
    size_t n;
    char key[GC_MAX_CODES][64];
    char alpha2[GC_MAX_CODES][4];
};

struct gc_strings {
    char *buf;
    size_t n, cap;
};

struct gc_region {
    uint32_t code, abbr, name, parent, first_ring, n_rings;
};

struct gc_layer {
    double sx, sy, tx, ty;
    struct gc_strings *strings; /* shared by all layers, not owned */
    struct gc_region *regions;
    uint32_t n_regions, cap_regions;
    uint32_t *rings; /* first_point, n_points pairs */
    uint32_t n_rings, cap_rings;
    struct topo_points points;
    struct topo_points tmp;
    uint32_t pole_rings, copies;
};

void gc_layer_init(struct gc_layer *L, double sx, double sy, double tx, double ty);
void gc_layer_free(struct gc_layer *L);
/* Start a new region; the rings added next belong to it. */
int gc_begin_region(struct gc_layer *L, const char *code, const char *abbr, const char *name,
                    uint32_t parent);
/* Add a closed ring of quantized points to the current region. */
int gc_add_ring(struct gc_layer *L, const struct topo_points *ring);
/* Index of the first region whose code is CODE, or TR_GEO_BLOB_NONE. */
uint32_t gc_find_region(const struct gc_layer *L, const char *code);
cJSON *gc_read_json(const char *path);
int gc_write(const char *path, const struct gc_layer *layers, const struct gc_strings *strings);

#endif
