/*
 * dispatcher/geo/tools/topojson.c: decode TopoJSON arcs (quantized,
 * delta-encoded) and stitch rings, for the build-time generator.
 * Does not handle untransformed (unquantized) topologies: ours all carry a
 * transform. See topojson.h.
 */
#include "dispatcher/geo/tools/topojson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *topo_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        fprintf(stderr, "geo_compile: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 1 << 20;
            char *nb = realloc(buf, ncap + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int topo_points_push(struct topo_points *p, int32_t x, int32_t y)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 256;
        int32_t *nxy = realloc(p->xy, ncap * 2 * sizeof(*nxy));
        if (!nxy)
            return -1;
        p->xy = nxy;
        p->cap = ncap;
    }
    p->xy[2 * p->n] = x;
    p->xy[2 * p->n + 1] = y;
    p->n++;
    return 0;
}

void topo_points_free(struct topo_points *p)
{
    free(p->xy);
    memset(p, 0, sizeof(*p));
}

static int get_pair(const cJSON *arr, double *a, double *b)
{
    const cJSON *x = cJSON_GetArrayItem(arr, 0);
    const cJSON *y = cJSON_GetArrayItem(arr, 1);
    if (!cJSON_IsNumber(x) || !cJSON_IsNumber(y))
        return -1;
    *a = x->valuedouble;
    *b = y->valuedouble;
    return 0;
}

static int decode_arcs(struct topo *t, const cJSON *arcs)
{
    size_t total = 0, i = 0;
    const cJSON *arc;
    t->n_arcs = (size_t)cJSON_GetArraySize(arcs);
    cJSON_ArrayForEach(arc, arcs)
    {
        total += (size_t)cJSON_GetArraySize(arc);
    }
    t->arc_first = calloc(t->n_arcs + 1, sizeof(size_t));
    t->arc_len = calloc(t->n_arcs + 1, sizeof(size_t));
    t->pts = calloc(2 * total + 2, sizeof(int32_t));
    if (!t->arc_first || !t->arc_len || !t->pts)
        return -1;
    size_t k = 0;
    cJSON_ArrayForEach(arc, arcs)
    {
        double x = 0, y = 0;
        const cJSON *pos;
        t->arc_first[i] = k;
        cJSON_ArrayForEach(pos, arc)
        {
            double dx, dy;
            if (get_pair(pos, &dx, &dy) != 0)
                return -1;
            x += dx;
            y += dy;
            if (fabs(x) > 1e8 || fabs(y) > 1e8)
                return -1;
            t->pts[2 * k] = (int32_t)x;
            t->pts[2 * k + 1] = (int32_t)y;
            k++;
        }
        t->arc_len[i] = k - t->arc_first[i];
        i++;
    }
    return 0;
}

int topo_load(const char *path, struct topo *t)
{
    size_t len = 0;
    char *text = topo_read_file(path, &len);
    const cJSON *tr, *scale, *translate, *arcs;
    memset(t, 0, sizeof(*t));
    if (!text)
        return -1;
    t->root = cJSON_ParseWithLength(text, len);
    free(text);
    if (!t->root) {
        fprintf(stderr, "geo_compile: %s: not valid JSON\n", path);
        return -1;
    }
    tr = cJSON_GetObjectItemCaseSensitive(t->root, "transform");
    scale = cJSON_GetObjectItemCaseSensitive(tr, "scale");
    translate = cJSON_GetObjectItemCaseSensitive(tr, "translate");
    arcs = cJSON_GetObjectItemCaseSensitive(t->root, "arcs");
    if (get_pair(scale, &t->sx, &t->sy) != 0 || get_pair(translate, &t->tx, &t->ty) != 0 ||
        !cJSON_IsArray(arcs) || !(t->sx > 0) || !(t->sy > 0)) {
        fprintf(stderr, "geo_compile: %s: not a quantized TopoJSON topology\n", path);
        goto fail;
    }
    if (decode_arcs(t, arcs) != 0) {
        fprintf(stderr, "geo_compile: %s: bad arcs\n", path);
        goto fail;
    }
    return 0;
fail:
    topo_free(t);
    return -1;
}

void topo_free(struct topo *t)
{
    if (!t)
        return;
    cJSON_Delete(t->root);
    free(t->arc_first);
    free(t->arc_len);
    free(t->pts);
    memset(t, 0, sizeof(*t));
}

const cJSON *topo_geometries(const struct topo *t, const char *name)
{
    const cJSON *objects = cJSON_GetObjectItemCaseSensitive(t->root, "objects");
    const cJSON *obj = cJSON_GetObjectItemCaseSensitive(objects, name);
    const cJSON *geoms = cJSON_GetObjectItemCaseSensitive(obj, "geometries");
    return cJSON_IsArray(geoms) ? geoms : NULL;
}

int topo_ring(const struct topo *t, const cJSON *arcs, struct topo_points *out)
{
    const cJSON *a;
    out->n = 0;
    cJSON_ArrayForEach(a, arcs)
    {
        if (!cJSON_IsNumber(a))
            return -1;
        long idx = (long)a->valuedouble;
        int reversed = idx < 0;
        size_t arc = reversed ? (size_t)~idx : (size_t)idx;
        if (arc >= t->n_arcs)
            return -1;
        size_t first = t->arc_first[arc], len = t->arc_len[arc];
        for (size_t j = 0; j < len; j++) {
            size_t k = first + (reversed ? len - 1 - j : j);
            /* Consecutive arcs share their joining point: keep it once. */
            if (j == 0 && out->n > 0)
                continue;
            if (topo_points_push(out, t->pts[2 * k], t->pts[2 * k + 1]) != 0)
                return -1;
        }
    }
    return 0;
}
