/*
 * dispatcher/geo/tools/geo_compile.c: build-time generator of geo.bin (format
 * in geo_blob.h) from the committed data in data/geo/: Natural Earth
 * countries (world-atlas TopoJSON), US Census states and counties (us-atlas
 * TopoJSON), ISO 3166-1 numeric -> alpha-2 (country-codes.tsv) and country
 * names (countries-list.json).
 *
 * What it does to the geometry: world-atlas rings are spherical (they cross
 * the antimeridian with short edges and Antarctica's ring circles the south
 * pole), so each ring is unwrapped in longitude; a ring whose longitudes do
 * not come back (it circles a pole) is closed through that pole; a ring
 * reaching outside [-180, 180] gets copies shifted by 360 degrees. Countries
 * with several features (e.g. Australia's external territories) become one
 * region. It does not simplify or reproject. Runs on the build host only.
 *
 *   geo_compile --world W.json --us US.json --codes C.tsv --names N.json -o OUT
 */
#include "dispatcher/geo/geo_blob.h"
#include "dispatcher/geo/tools/geo_compile.h"
#include "dispatcher/geo/tools/topojson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* US state FIPS -> postal code, and the ISO 3166-1 country of the area. */
static const struct {
    const char *fips, *postal, *country;
} state_codes[] = {
    { "01", "AL", "US" }, { "02", "AK", "US" }, { "04", "AZ", "US" }, { "05", "AR", "US" },
    { "06", "CA", "US" }, { "08", "CO", "US" }, { "09", "CT", "US" }, { "10", "DE", "US" },
    { "11", "DC", "US" }, { "12", "FL", "US" }, { "13", "GA", "US" }, { "15", "HI", "US" },
    { "16", "ID", "US" }, { "17", "IL", "US" }, { "18", "IN", "US" }, { "19", "IA", "US" },
    { "20", "KS", "US" }, { "21", "KY", "US" }, { "22", "LA", "US" }, { "23", "ME", "US" },
    { "24", "MD", "US" }, { "25", "MA", "US" }, { "26", "MI", "US" }, { "27", "MN", "US" },
    { "28", "MS", "US" }, { "29", "MO", "US" }, { "30", "MT", "US" }, { "31", "NE", "US" },
    { "32", "NV", "US" }, { "33", "NH", "US" }, { "34", "NJ", "US" }, { "35", "NM", "US" },
    { "36", "NY", "US" }, { "37", "NC", "US" }, { "38", "ND", "US" }, { "39", "OH", "US" },
    { "40", "OK", "US" }, { "41", "OR", "US" }, { "42", "PA", "US" }, { "44", "RI", "US" },
    { "45", "SC", "US" }, { "46", "SD", "US" }, { "47", "TN", "US" }, { "48", "TX", "US" },
    { "49", "UT", "US" }, { "50", "VT", "US" }, { "51", "VA", "US" }, { "53", "WA", "US" },
    { "54", "WV", "US" }, { "55", "WI", "US" }, { "56", "WY", "US" }, { "60", "AS", "AS" },
    { "64", "FM", "FM" }, { "66", "GU", "GU" }, { "68", "MH", "MH" }, { "69", "MP", "MP" },
    { "70", "PW", "PW" }, { "72", "PR", "PR" }, { "74", "UM", "UM" }, { "78", "VI", "VI" },
};

struct feature {
    const cJSON *geom;
    const char *key; /* alpha-2, or the Natural Earth name when there is none */
    int has_code;
    const char *name;
};

static int load_codes(const char *path, struct gc_codes *codes)
{
    FILE *f = fopen(path, "r");
    char line[256];
    if (!f) {
        perror(path);
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        char *code = tab + 1;
        code[strcspn(code, "\r\n")] = '\0';
        if (strcmp(code, "-") == 0)
            code[0] = '\0';
        if (codes->n == GC_MAX_CODES || strlen(line) >= sizeof(codes->key[0]) ||
            strlen(code) >= sizeof(codes->alpha2[0])) {
            fprintf(stderr, "geo_compile: %s: bad line '%s'\n", path, line);
            fclose(f);
            return -1;
        }
        memcpy(codes->key[codes->n], line, strlen(line) + 1);
        memcpy(codes->alpha2[codes->n], code, strlen(code) + 1);
        codes->n++;
    }
    fclose(f);
    return 0;
}

static const char *code_for(const struct gc_codes *codes, const char *key, int *found)
{
    for (size_t i = 0; i < codes->n; i++) {
        if (strcmp(codes->key[i], key) == 0) {
            *found = 1;
            return codes->alpha2[i];
        }
    }
    *found = 0;
    return "";
}

static const char *prop_name(const cJSON *geom)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(geom, "properties");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(props, "name");
    return cJSON_IsString(name) ? name->valuestring : "";
}

static const char *geom_id(const cJSON *geom)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(geom, "id");
    return cJSON_IsString(id) ? id->valuestring : NULL;
}

/* Append every ring of GEOM (Polygon or MultiPolygon) to layer L. */
static int add_geometry(struct gc_layer *L, const struct topo *t, const cJSON *geom,
                        struct topo_points *scratch)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(geom, "type");
    const cJSON *arcs = cJSON_GetObjectItemCaseSensitive(geom, "arcs");
    const cJSON *poly, *ring;
    int multi;
    if (!cJSON_IsString(type))
        return 0; /* a null geometry: nothing to add */
    multi = strcmp(type->valuestring, "MultiPolygon") == 0;
    if (!multi && strcmp(type->valuestring, "Polygon") != 0)
        return 0;
    if (!cJSON_IsArray(arcs))
        return -1;
    if (!multi) {
        cJSON_ArrayForEach(ring, arcs)
        {
            if (topo_ring(t, ring, scratch) != 0 || gc_add_ring(L, scratch) != 0)
                return -1;
        }
        return 0;
    }
    cJSON_ArrayForEach(poly, arcs)
    {
        cJSON_ArrayForEach(ring, poly)
        {
            if (topo_ring(t, ring, scratch) != 0 || gc_add_ring(L, scratch) != 0)
                return -1;
        }
    }
    return 0;
}

static int cmp_features(const void *a, const void *b)
{
    const struct feature *fa = a, *fb = b;
    if (fa->has_code != fb->has_code)
        return fa->has_code ? -1 : 1;
    return strcmp(fa->key, fb->key);
}

static int build_countries(struct gc_layer *L, const struct topo *t, const struct gc_codes *codes,
                           const cJSON *names, struct topo_points *scratch)
{
    const cJSON *geoms = topo_geometries(t, "countries"), *g;
    size_t n = 0, i = 0;
    struct feature *f;
    int rc = -1;
    if (!geoms) {
        fprintf(stderr, "geo_compile: world file has no 'countries' object\n");
        return -1;
    }
    f = calloc((size_t)cJSON_GetArraySize(geoms) + 1, sizeof(*f));
    if (!f)
        return -1;
    cJSON_ArrayForEach(g, geoms)
    {
        char key[64];
        int found = 0;
        const char *id = geom_id(g), *code;
        if (id)
            snprintf(key, sizeof(key), "%s", id);
        else
            snprintf(key, sizeof(key), "name:%s", prop_name(g));
        code = code_for(codes, key, &found);
        if (!found) {
            fprintf(stderr, "geo_compile: no alpha-2 for feature '%s' (%s)\n", key, prop_name(g));
            goto out;
        }
        f[n].geom = g;
        f[n].has_code = code[0] != '\0';
        f[n].key = f[n].has_code ? code : prop_name(g);
        const cJSON *entry = cJSON_GetObjectItemCaseSensitive(names, code);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(entry, "name");
        f[n].name = f[n].has_code && cJSON_IsString(nm) ? nm->valuestring : prop_name(g);
        n++;
    }
    /* Stable grouping: sort by key so a country's features are adjacent. */
    qsort(f, n, sizeof(*f), cmp_features);
    while (i < n) {
        size_t j = i;
        if (gc_begin_region(L, f[i].has_code ? f[i].key : "", f[i].has_code ? f[i].key : "",
                            f[i].name, TR_GEO_BLOB_NONE) != 0)
            goto out;
        for (; j < n && strcmp(f[j].key, f[i].key) == 0; j++) {
            if (add_geometry(L, t, f[j].geom, scratch) != 0)
                goto out;
        }
        i = j;
    }
    rc = 0;
out:
    free(f);
    return rc;
}

static int cmp_geom_id(const void *a, const void *b)
{
    const cJSON *const *ga = a, *const *gb = b;
    const char *ia = geom_id(*ga), *ib = geom_id(*gb);
    return strcmp(ia ? ia : "", ib ? ib : "");
}

/* The geometries of OBJECT sorted by id, in a new array (caller frees). */
static const cJSON **sorted_geoms(const struct topo *t, const char *object, size_t *n)
{
    const cJSON *geoms = topo_geometries(t, object), *g;
    const cJSON **v;
    *n = 0;
    if (!geoms)
        return NULL;
    v = calloc((size_t)cJSON_GetArraySize(geoms) + 1, sizeof(*v));
    if (!v)
        return NULL;
    cJSON_ArrayForEach(g, geoms)
    {
        if (!geom_id(g))
            continue;
        v[(*n)++] = g;
    }
    qsort(v, *n, sizeof(*v), cmp_geom_id);
    return v;
}

static int build_us(struct gc_layer *states, struct gc_layer *counties,
                    const struct gc_layer *countries, const struct topo *t,
                    struct topo_points *scratch)
{
    size_t ns = 0, nc = 0;
    const cJSON **sg = sorted_geoms(t, "states", &ns);
    const cJSON **cg = sorted_geoms(t, "counties", &nc);
    int rc = -1;
    if (!sg || !cg || ns == 0 || nc == 0) {
        fprintf(stderr, "geo_compile: US file lacks 'states' or 'counties'\n");
        goto out;
    }
    for (size_t i = 0; i < ns; i++) {
        const char *fips = geom_id(sg[i]);
        size_t k = 0;
        while (k < sizeof(state_codes) / sizeof(state_codes[0]) &&
               strcmp(state_codes[k].fips, fips) != 0)
            k++;
        if (k == sizeof(state_codes) / sizeof(state_codes[0])) {
            fprintf(stderr, "geo_compile: unknown state FIPS %s\n", fips);
            goto out;
        }
        uint32_t country = gc_find_region(countries, state_codes[k].country);
        if (country == TR_GEO_BLOB_NONE) {
            fprintf(stderr, "geo_compile: no country %s for state %s\n", state_codes[k].country,
                    fips);
            goto out;
        }
        if (gc_begin_region(states, fips, state_codes[k].postal, prop_name(sg[i]), country) != 0 ||
            add_geometry(states, t, sg[i], scratch) != 0)
            goto out;
    }
    for (size_t i = 0; i < nc; i++) {
        const char *fips = geom_id(cg[i]);
        char st[3] = { fips[0], fips[0] ? fips[1] : '\0', '\0' };
        uint32_t state = gc_find_region(states, st);
        if (strlen(fips) != 5 || state == TR_GEO_BLOB_NONE) {
            fprintf(stderr, "geo_compile: county %s has no state\n", fips);
            goto out;
        }
        if (gc_begin_region(counties, fips, "", prop_name(cg[i]), state) != 0 ||
            add_geometry(counties, t, cg[i], scratch) != 0)
            goto out;
    }
    rc = 0;
out:
    free(sg);
    free(cg);
    return rc;
}

static void usage(void)
{
    fprintf(stderr, "usage: geo_compile --world W.json --us US.json --codes C.tsv "
                    "--names N.json -o OUT\n");
}

int main(int argc, char **argv)
{
    const char *world = NULL, *us = NULL, *codes_path = NULL, *names_path = NULL, *out = NULL;
    struct topo tw, tu;
    struct gc_codes *codes = calloc(1, sizeof(*codes));
    struct gc_layer layers[TR_GEO_BLOB_LAYERS];
    struct gc_strings strings;
    struct topo_points scratch = { 0 };
    cJSON *names = NULL;
    int rc = 1;
    memset(&tw, 0, sizeof(tw));
    memset(&tu, 0, sizeof(tu));
    memset(layers, 0, sizeof(layers));
    memset(&strings, 0, sizeof(strings));
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--world") == 0)
            world = argv[i + 1];
        else if (strcmp(argv[i], "--us") == 0)
            us = argv[i + 1];
        else if (strcmp(argv[i], "--codes") == 0)
            codes_path = argv[i + 1];
        else if (strcmp(argv[i], "--names") == 0)
            names_path = argv[i + 1];
        else if (strcmp(argv[i], "-o") == 0)
            out = argv[i + 1];
    }
    if (!world || !us || !codes_path || !names_path || !out || !codes) {
        usage();
        goto done;
    }
    names = gc_read_json(names_path);
    if (!names || load_codes(codes_path, codes) != 0 || topo_load(world, &tw) != 0 ||
        topo_load(us, &tu) != 0)
        goto done;
    for (unsigned i = 0; i < TR_GEO_BLOB_LAYERS; i++)
        layers[i].strings = &strings;
    gc_layer_init(&layers[0], tw.sx, tw.sy, tw.tx, tw.ty);
    gc_layer_init(&layers[1], tu.sx, tu.sy, tu.tx, tu.ty);
    gc_layer_init(&layers[2], tu.sx, tu.sy, tu.tx, tu.ty);
    if (build_countries(&layers[0], &tw, codes, names, &scratch) != 0 ||
        build_us(&layers[1], &layers[2], &layers[0], &tu, &scratch) != 0)
        goto done;
    if (gc_write(out, layers, &strings) != 0)
        goto done;
    for (unsigned i = 0; i < TR_GEO_BLOB_LAYERS; i++)
        printf("geo_compile: layer %u: %u regions, %u rings, %u points, %u pole rings, "
               "%u antimeridian copies\n",
               i, layers[i].n_regions, layers[i].n_rings, (unsigned)layers[i].points.n,
               layers[i].pole_rings, layers[i].copies);
    rc = 0;
done:
    for (unsigned i = 0; i < TR_GEO_BLOB_LAYERS; i++)
        gc_layer_free(&layers[i]);
    free(strings.buf);
    topo_points_free(&scratch);
    topo_free(&tw);
    topo_free(&tu);
    cJSON_Delete(names);
    free(codes);
    return rc;
}
