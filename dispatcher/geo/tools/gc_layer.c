/*
 * dispatcher/geo/tools/gc_layer.c: the generator's layer builder. Turns
 * spherical TopoJSON rings into planar rings (unwrap across the antimeridian,
 * close pole-circling rings through the pole, copy rings shifted by 360
 * degrees into [-180, 180]) and writes geo.bin (geo_blob.h).
 * Build host only; does not check that regions do not overlap.
 */
#include "dispatcher/geo/tools/geo_compile.h"

#include "dispatcher/geo/geo_blob.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gc_layer_init(struct gc_layer *L, double sx, double sy, double tx, double ty)
{
    L->sx = sx;
    L->sy = sy;
    L->tx = tx;
    L->ty = ty;
}

void gc_layer_free(struct gc_layer *L)
{
    free(L->regions);
    free(L->rings);
    topo_points_free(&L->points);
    topo_points_free(&L->tmp);
}

static uint32_t add_string(struct gc_strings *s, const char *str)
{
    size_t len = strlen(str) + 1;
    if (s->n == 0) {
        s->buf = malloc(4096);
        if (!s->buf)
            return TR_GEO_BLOB_NONE;
        s->cap = 4096;
        s->buf[0] = '\0';
        s->n = 1;
    }
    if (len == 1)
        return 0;
    while (s->n + len > s->cap) {
        char *nb = realloc(s->buf, s->cap * 2);
        if (!nb)
            return TR_GEO_BLOB_NONE;
        s->buf = nb;
        s->cap *= 2;
    }
    memcpy(s->buf + s->n, str, len);
    s->n += len;
    return (uint32_t)(s->n - len);
}

int gc_begin_region(struct gc_layer *L, const char *code, const char *abbr, const char *name,
                    uint32_t parent)
{
    struct gc_region *r;
    if (L->n_regions == L->cap_regions) {
        uint32_t ncap = L->cap_regions ? L->cap_regions * 2 : 64;
        struct gc_region *nr = realloc(L->regions, ncap * sizeof(*nr));
        if (!nr)
            return -1;
        L->regions = nr;
        L->cap_regions = ncap;
    }
    r = &L->regions[L->n_regions];
    r->code = add_string(L->strings, code);
    r->abbr = add_string(L->strings, abbr);
    r->name = add_string(L->strings, name);
    if (r->code == TR_GEO_BLOB_NONE || r->abbr == TR_GEO_BLOB_NONE || r->name == TR_GEO_BLOB_NONE)
        return -1;
    r->parent = parent;
    r->first_ring = L->n_rings;
    r->n_rings = 0;
    L->n_regions++;
    return 0;
}

uint32_t gc_find_region(const struct gc_layer *L, const char *code)
{
    for (uint32_t i = 0; i < L->n_regions; i++) {
        if (strcmp(L->strings->buf + L->regions[i].code, code) == 0)
            return i;
    }
    return TR_GEO_BLOB_NONE;
}

/* Append L->tmp shifted by DX as one ring of the current region. */
static int emit_ring(struct gc_layer *L, int64_t dx)
{
    if (L->n_rings == L->cap_rings) {
        uint32_t ncap = L->cap_rings ? L->cap_rings * 2 : 1024;
        uint32_t *nr = realloc(L->rings, 2 * ncap * sizeof(*nr));
        if (!nr)
            return -1;
        L->rings = nr;
        L->cap_rings = ncap;
    }
    L->rings[2 * L->n_rings] = (uint32_t)L->points.n;
    L->rings[2 * L->n_rings + 1] = (uint32_t)L->tmp.n;
    for (size_t k = 0; k < L->tmp.n; k++) {
        int64_t x = (int64_t)L->tmp.xy[2 * k] + dx;
        if (llabs(x) > TR_GEO_BLOB_MAX_COORD)
            return -1;
        if (topo_points_push(&L->points, (int32_t)x, L->tmp.xy[2 * k + 1]) != 0)
            return -1;
    }
    L->n_rings++;
    L->regions[L->n_regions - 1].n_rings++;
    return 0;
}

/* Close the unwrapped ring in L->tmp (which ends SHIFT units east of where it
 * started) through the pole on its side of the equator. */
static int close_through_pole(struct gc_layer *L)
{
    size_t n = L->tmp.n;
    double mean_y = 0, y_equator = -L->ty / L->sy;
    int32_t x_first = L->tmp.xy[0], y_first = L->tmp.xy[1];
    int32_t x_last = L->tmp.xy[2 * (n - 1)], y_pole;
    for (size_t k = 0; k < n; k++)
        mean_y += L->tmp.xy[2 * k + 1];
    mean_y /= (double)n;
    if (mean_y < y_equator)
        y_pole = (int32_t)floor((-90.0 - L->ty) / L->sy) - 1;
    else
        y_pole = (int32_t)ceil((90.0 - L->ty) / L->sy) + 1;
    L->pole_rings++;
    if (topo_points_push(&L->tmp, x_last, y_pole) != 0 ||
        topo_points_push(&L->tmp, x_first, y_pole) != 0 ||
        topo_points_push(&L->tmp, x_first, y_first) != 0)
        return -1;
    return 0;
}

int gc_add_ring(struct gc_layer *L, const struct topo_points *ring)
{
    double period = 360.0 / L->sx;
    int64_t p = (int64_t)llround(period), shift = 0;
    int32_t minx, maxx;
    double d0 = (-180.0 - L->tx) / L->sx, d1 = (180.0 - L->tx) / L->sx;
    if (ring->n < 4 || L->n_regions == 0)
        return 0; /* degenerate: no area */
    L->tmp.n = 0;
    for (size_t k = 0; k < ring->n; k++) {
        int32_t x = ring->xy[2 * k], y = ring->xy[2 * k + 1];
        if (k > 0) {
            double d = (double)x - (double)ring->xy[2 * (k - 1)];
            /* An edge longer than half the globe crosses the antimeridian. */
            if (d > period / 2)
                shift -= p;
            else if (d < -period / 2)
                shift += p;
        }
        if (topo_points_push(&L->tmp, (int32_t)(x + shift), y) != 0)
            return -1;
    }
    if (shift != 0) {
        if (llabs(shift) != p) {
            fprintf(stderr, "geo_compile: a ring winds around the globe more than once\n");
            return -1;
        }
        if (close_through_pole(L) != 0)
            return -1;
    }
    minx = maxx = L->tmp.xy[0];
    for (size_t k = 0; k < L->tmp.n; k++) {
        int32_t x = L->tmp.xy[2 * k];
        minx = x < minx ? x : minx;
        maxx = x > maxx ? x : maxx;
    }
    for (int s = -2; s <= 2; s++) {
        double lo = (double)minx + s * (double)p, hi = (double)maxx + s * (double)p;
        if (hi < d0 || lo > d1)
            continue;
        if (emit_ring(L, s * p) != 0)
            return -1;
        if (s != 0)
            L->copies++;
    }
    return 0;
}

cJSON *gc_read_json(const char *path)
{
    size_t len = 0;
    char *text = topo_read_file(path, &len);
    cJSON *j = text ? cJSON_ParseWithLength(text, len) : NULL;
    if (text && !j)
        fprintf(stderr, "geo_compile: %s: not valid JSON\n", path);
    free(text);
    return j;
}

static void put_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { (unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 24) };
    fwrite(b, 1, 4, f);
}

static void put_f64(FILE *f, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof(v));
    put_u32(f, (uint32_t)v);
    put_u32(f, (uint32_t)(v >> 32));
}

int gc_write(const char *path, const struct gc_layer *layers, const struct gc_strings *strings)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    fwrite(TR_GEO_BLOB_MAGIC, 1, 8, f);
    put_u32(f, TR_GEO_BLOB_VERSION);
    put_u32(f, TR_GEO_BLOB_LAYERS);
    for (unsigned i = 0; i < TR_GEO_BLOB_LAYERS; i++) {
        const struct gc_layer *L = &layers[i];
        put_f64(f, L->sx);
        put_f64(f, L->sy);
        put_f64(f, L->tx);
        put_f64(f, L->ty);
        put_u32(f, L->n_regions);
        put_u32(f, L->n_rings);
        put_u32(f, (uint32_t)L->points.n);
        for (uint32_t r = 0; r < L->n_regions; r++) {
            const struct gc_region *g = &L->regions[r];
            put_u32(f, g->code);
            put_u32(f, g->abbr);
            put_u32(f, g->name);
            put_u32(f, g->parent);
            put_u32(f, g->first_ring);
            put_u32(f, g->n_rings);
        }
        for (uint32_t r = 0; r < 2 * L->n_rings; r++)
            put_u32(f, L->rings[r]);
        for (size_t k = 0; k < 2 * L->points.n; k++)
            put_u32(f, (uint32_t)L->points.xy[k]);
    }
    put_u32(f, (uint32_t)strings->n);
    fwrite(strings->buf, 1, strings->n, f);
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "geo_compile: %s: write failed\n", path);
        return -1;
    }
    return 0;
}
