/*
 * dispatcher/geo/geo_blob.h: the binary boundary file (geo.bin) that the build
 * generates from the committed TopoJSON (tools/geo_compile.c writes it,
 * boundary_load.c reads it). Internal to dispatcher/geo; not a public API.
 *
 * All integers are little-endian, doubles are IEEE-754 binary64 stored as
 * little-endian 64-bit words. Layout:
 *
 *   "TRGEOBIN"  u32 version  u32 n_layers (= TR_GEO_BLOB_LAYERS)
 *   per layer (countries, states, counties, in that order):
 *     f64 sx, sy, tx, ty          lon = x * sx + tx, lat = y * sy + ty
 *     u32 n_regions, n_rings, n_points
 *     n_regions x { u32 code, abbr, name (string offsets), u32 parent,
 *                   u32 first_ring, u32 n_rings }
 *     n_rings   x { u32 first_point, u32 n_points }      closed: last == first
 *     n_points  x { i32 x, i32 y }                       quantized coordinates
 *   u32 strings_size, strings (NUL-terminated, offset 0 is "")
 *
 * Rings are planar in the layer's quantized space: the generator has already
 * unwrapped rings that cross the antimeridian, closed rings around a pole
 * through the pole, and added copies shifted by 360 degrees where a ring
 * leaves [-180, 180]. A region's inside is the even-odd rule over its rings.
 * parent: county -> state region index; state -> country region index;
 * country -> TR_GEO_BLOB_NONE.
 */
#ifndef TR_GEO_BLOB_H
#define TR_GEO_BLOB_H

#include <stdint.h>

#define TR_GEO_BLOB_MAGIC   "TRGEOBIN"
#define TR_GEO_BLOB_VERSION 1u
#define TR_GEO_BLOB_LAYERS  3u
#define TR_GEO_BLOB_NONE    0xffffffffu

/* Sanity limits the loader enforces (far above the real data). */
#define TR_GEO_BLOB_MAX_REGIONS 100000u
#define TR_GEO_BLOB_MAX_RINGS   1000000u
#define TR_GEO_BLOB_MAX_POINTS  20000000u
#define TR_GEO_BLOB_MAX_STRINGS (16u * 1024u * 1024u)
/* Quantized coordinates stay within this magnitude (a few periods of 1e5). */
#define TR_GEO_BLOB_MAX_COORD 10000000

#endif
