/*
 * dispatcher/geo/boundary_load.c: read and validate geo.bin (format in
 * geo_blob.h), build the indexes, free; error strings; the data file path;
 * region accessors. Every count, offset and coordinate in the file is
 * checked before use, so a truncated or corrupt file is TR_GEO_ERR_FORMAT,
 * never a crash. Lookups live in boundary_lookup.c, the index in
 * boundary_index.c.
 */
#include "dispatcher/geo/boundary_internal.h"
#include "dispatcher/geo/geo_blob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef TR_GEO_DATA_BUILD
#define TR_GEO_DATA_BUILD ""
#endif
#ifndef TR_GEO_DATA_INSTALL
#define TR_GEO_DATA_INSTALL "/usr/share/truckroll/geo.bin"
#endif

const char *tr_geo_strerror(int rc)
{
    switch (rc) {
    case TR_GEO_OK:
        return "success";
    case TR_GEO_ERR_ARG:
        return "invalid argument";
    case TR_GEO_ERR_COORD:
        return "invalid coordinates (need latitude -90..90 and longitude -180..180)";
    case TR_GEO_ERR_IO:
        return "cannot read the boundary data file";
    case TR_GEO_ERR_FORMAT:
        return "the boundary data file is corrupt or of another version";
    case TR_GEO_ERR_NOMEM:
        return "out of memory";
    case TR_GEO_ERR_NOT_FOUND:
        return "no such region";
    default:
        return "unknown error";
    }
}

const char *tr_boundaries_data_path(const char *override)
{
    const char *env = getenv(TR_GEO_DATA_ENV);
    if (override && override[0])
        return override;
    if (env && env[0])
        return env;
    if (TR_GEO_DATA_BUILD[0] && access(TR_GEO_DATA_BUILD, R_OK) == 0)
        return TR_GEO_DATA_BUILD;
    return TR_GEO_DATA_INSTALL;
}

/* A bounds-checked little-endian reader over the file. */
struct reader {
    const unsigned char *p;
    size_t len, off;
    int bad;
};

static uint32_t rd_u32(struct reader *r)
{
    if (r->bad || r->off > r->len || r->len - r->off < 4) {
        r->bad = 1;
        return 0;
    }
    const unsigned char *b = r->p + r->off;
    r->off += 4;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static double rd_f64(struct reader *r)
{
    uint64_t lo = rd_u32(r), hi = rd_u32(r);
    uint64_t v = lo | hi << 32;
    double d;
    memcpy(&d, &v, sizeof(d));
    return d;
}

static int read_layer(struct reader *r, struct geo_layer *L, uint32_t *str_offs)
{
    L->sx = rd_f64(r);
    L->sy = rd_f64(r);
    L->tx = rd_f64(r);
    L->ty = rd_f64(r);
    L->n_regions = rd_u32(r);
    L->n_rings = rd_u32(r);
    L->n_points = rd_u32(r);
    if (r->bad || !(L->sx > 1e-9 && L->sx < 1) || !(L->sy > 1e-9 && L->sy < 1) ||
        !(L->tx >= -360 && L->tx <= 360) || !(L->ty >= -180 && L->ty <= 180) || L->n_regions == 0 ||
        L->n_regions > TR_GEO_BLOB_MAX_REGIONS || L->n_rings > TR_GEO_BLOB_MAX_RINGS ||
        L->n_points > TR_GEO_BLOB_MAX_POINTS)
        return TR_GEO_ERR_FORMAT;
    /* The rest of the layer must fit in the file before allocating for it. */
    if ((r->len - r->off) / 4 <
        (size_t)L->n_regions * 6 + (size_t)L->n_rings * 2 + (size_t)L->n_points * 2)
        return TR_GEO_ERR_FORMAT;
    L->regions = calloc(L->n_regions, sizeof(*L->regions));
    L->rings = calloc((size_t)L->n_rings * 2 + 1, sizeof(*L->rings));
    L->xy = calloc((size_t)L->n_points * 2 + 1, sizeof(*L->xy));
    if (!L->regions || !L->rings || !L->xy)
        return TR_GEO_ERR_NOMEM;
    for (uint32_t i = 0; i < L->n_regions; i++) {
        struct geo_region *g = &L->regions[i];
        str_offs[3 * i] = rd_u32(r);
        str_offs[3 * i + 1] = rd_u32(r);
        str_offs[3 * i + 2] = rd_u32(r);
        g->parent = rd_u32(r);
        g->first_ring = rd_u32(r);
        g->n_rings = rd_u32(r);
        if (g->first_ring > L->n_rings || g->n_rings > L->n_rings - g->first_ring)
            return TR_GEO_ERR_FORMAT;
    }
    for (uint32_t i = 0; i < L->n_rings; i++) {
        uint32_t first = rd_u32(r), n = rd_u32(r);
        if (first > L->n_points || n > L->n_points - first || n < 2)
            return TR_GEO_ERR_FORMAT;
        L->rings[2 * i] = first;
        L->rings[2 * i + 1] = n;
    }
    for (size_t k = 0; k < (size_t)L->n_points * 2; k++) {
        int32_t v = (int32_t)rd_u32(r);
        if (v > TR_GEO_BLOB_MAX_COORD || v < -TR_GEO_BLOB_MAX_COORD)
            return TR_GEO_ERR_FORMAT;
        L->xy[k] = v;
    }
    return r->bad ? TR_GEO_ERR_FORMAT : TR_GEO_OK;
}

static void region_bbox(const struct geo_layer *L, struct geo_region *g)
{
    g->minx = g->miny = INT32_MAX;
    g->maxx = g->maxy = INT32_MIN;
    for (uint32_t k = 0; k < g->n_rings; k++) {
        uint32_t first = L->rings[2 * (g->first_ring + k)],
                 n = L->rings[2 * (g->first_ring + k) + 1];
        for (uint32_t j = first; j < first + n; j++) {
            int32_t x = L->xy[2 * j], y = L->xy[2 * j + 1];
            g->minx = x < g->minx ? x : g->minx;
            g->maxx = x > g->maxx ? x : g->maxx;
            g->miny = y < g->miny ? y : g->miny;
            g->maxy = y > g->maxy ? y : g->maxy;
        }
    }
}

/* Resolve string offsets and check parents once all layers are read. */
static int link_layers(struct tr_geo_boundaries *b, uint32_t *const offs[3], size_t strings_size)
{
    for (unsigned l = 0; l < 3; l++) {
        struct geo_layer *L = &b->layers[l];
        uint32_t parent_count = l == 0 ? 0 : b->layers[l - 1].n_regions;
        for (uint32_t i = 0; i < L->n_regions; i++) {
            struct geo_region *g = &L->regions[i];
            uint32_t *o = &offs[l][3 * i];
            if (o[0] >= strings_size || o[1] >= strings_size || o[2] >= strings_size)
                return TR_GEO_ERR_FORMAT;
            g->code = b->strings + o[0];
            g->abbr = b->strings + o[1];
            g->name = b->strings + o[2];
            if (l == 0 ? g->parent != GEO_NONE : g->parent >= parent_count)
                return TR_GEO_ERR_FORMAT;
            region_bbox(L, g);
        }
    }
    return TR_GEO_OK;
}

static int parse(struct tr_geo_boundaries *b, const unsigned char *buf, size_t len)
{
    struct reader r = { buf, len, 0, 0 };
    uint32_t *offs[3] = { NULL, NULL, NULL };
    int rc = TR_GEO_ERR_FORMAT;
    if (len < 16 || memcmp(buf, TR_GEO_BLOB_MAGIC, 8) != 0)
        return TR_GEO_ERR_FORMAT;
    r.off = 8;
    if (rd_u32(&r) != TR_GEO_BLOB_VERSION || rd_u32(&r) != TR_GEO_BLOB_LAYERS)
        return TR_GEO_ERR_FORMAT;
    for (unsigned l = 0; l < 3; l++) {
        /* Peek the region count to size the string-offset scratch. */
        struct reader peek = r;
        peek.off += 32;
        uint32_t n = rd_u32(&peek);
        if (peek.bad || n == 0 || n > TR_GEO_BLOB_MAX_REGIONS)
            goto out;
        offs[l] = calloc((size_t)n * 3, sizeof(uint32_t));
        if (!offs[l]) {
            rc = TR_GEO_ERR_NOMEM;
            goto out;
        }
        rc = read_layer(&r, &b->layers[l], offs[l]);
        if (rc != TR_GEO_OK)
            goto out;
    }
    rc = TR_GEO_ERR_FORMAT;
    uint32_t strings_size = rd_u32(&r);
    if (r.bad || strings_size == 0 || strings_size > TR_GEO_BLOB_MAX_STRINGS ||
        strings_size != len - r.off || buf[len - 1] != '\0')
        goto out;
    b->strings = malloc(strings_size);
    if (!b->strings) {
        rc = TR_GEO_ERR_NOMEM;
        goto out;
    }
    memcpy(b->strings, buf + r.off, strings_size);
    rc = link_layers(b, offs, strings_size);
out:
    for (unsigned l = 0; l < 3; l++)
        free(offs[l]);
    return rc;
}

int tr_boundaries_load_mem(const void *buf, size_t len, struct tr_geo_boundaries **out)
{
    struct tr_geo_boundaries *b = NULL;
    int rc;
    if (!buf || !out)
        return TR_GEO_ERR_ARG;
    *out = NULL;
    b = calloc(1, sizeof(*b));
    if (!b)
        return TR_GEO_ERR_NOMEM;
    rc = parse(b, buf, len);
    if (rc == TR_GEO_OK)
        rc = geo_index_build(&b->country_ix, &b->layers[TR_GEO_COUNTRY]);
    if (rc == TR_GEO_OK)
        rc = geo_index_build(&b->county_ix, &b->layers[TR_GEO_COUNTY]);
    if (rc != TR_GEO_OK) {
        tr_boundaries_free(b);
        return rc;
    }
    *out = b;
    return TR_GEO_OK;
}

int tr_boundaries_load(const char *path, struct tr_geo_boundaries **out)
{
    FILE *f = NULL;
    unsigned char *buf = NULL;
    long size;
    int rc = TR_GEO_ERR_IO;
    if (!path || !out)
        return TR_GEO_ERR_ARG;
    *out = NULL;
    f = fopen(path, "rb");
    if (!f)
        goto out;
    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    if ((unsigned long)size > 512ul * 1024 * 1024) {
        rc = TR_GEO_ERR_FORMAT;
        goto out;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        rc = TR_GEO_ERR_NOMEM;
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size)
        goto out;
    rc = tr_boundaries_load_mem(buf, (size_t)size, out);
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

void tr_boundaries_free(struct tr_geo_boundaries *b)
{
    if (!b)
        return;
    for (unsigned l = 0; l < 3; l++) {
        free(b->layers[l].regions);
        free(b->layers[l].rings);
        free(b->layers[l].xy);
    }
    geo_index_free(&b->country_ix);
    geo_index_free(&b->county_ix);
    free(b->strings);
    free(b);
}

uint32_t tr_boundaries_count(const struct tr_geo_boundaries *b, enum tr_geo_level level)
{
    if (!b || (unsigned)level > TR_GEO_COUNTY)
        return 0;
    return b->layers[level].n_regions;
}

int tr_boundaries_region(const struct tr_geo_boundaries *b, enum tr_geo_level level, uint32_t index,
                         struct tr_geo_region *out)
{
    if (!b || !out || (unsigned)level > TR_GEO_COUNTY)
        return TR_GEO_ERR_ARG;
    if (index >= b->layers[level].n_regions)
        return TR_GEO_ERR_NOT_FOUND;
    const struct geo_region *g = &b->layers[level].regions[index];
    out->level = level;
    out->index = index;
    out->code = g->code;
    out->abbr = g->abbr;
    out->name = g->name;
    out->parent = g->parent == GEO_NONE ? -1 : (int32_t)g->parent;
    return TR_GEO_OK;
}
