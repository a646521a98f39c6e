/*
 * dispatcher/geo/boundary_lookup.c: point -> country / state / county, by
 * the index (tr_boundaries_lookup) and by testing every polygon
 * (tr_boundaries_lookup_bruteforce, the reference).
 *
 * Which answer wins where the two sources disagree near a coast or border:
 * inside a US Census county the country is the one of its state (US, or PR,
 * GU, VI, AS, MP for the territories); elsewhere it is Natural Earth's.
 * The state is the county's state (us-atlas states are merged counties).
 */
#include "dispatcher/geo/boundary_internal.h"

#include <math.h>
#include <string.h>

int geo_normalize(double *lat, double *lon)
{
    if (!isfinite(*lat) || !isfinite(*lon) || *lat < -90.0 || *lat > 90.0 || *lon < -180.0 ||
        *lon > 180.0)
        return TR_GEO_ERR_COORD;
    /* 180 and -180 are one meridian; the data cuts polygons there, so step
     * just east of it rather than land exactly on a cut edge. */
    if (*lon == 180.0 || *lon == -180.0)
        *lon = -180.0 + 1e-9;
    return TR_GEO_OK;
}

int geo_region_contains(const struct geo_layer *L, uint32_t region, double x, double y)
{
    const struct geo_region *g = &L->regions[region];
    int inside = 0;
    for (uint32_t k = g->first_ring; k < g->first_ring + g->n_rings; k++) {
        const int32_t *p = L->xy + 2 * (size_t)L->rings[2 * k];
        uint32_t n = L->rings[2 * k + 1];
        for (uint32_t j = 0; j + 1 < n; j++, p += 2) {
            double ax = p[0], ay = p[1], bx = p[2], by = p[3];
            if ((ay > y) == (by > y))
                continue;
            /* Ray to the east: crossed when the point is left of the edge
             * taken upwards. */
            double o = geo_orient(ax, ay, bx, by, x, y);
            if (by > ay ? o > 0 : o < 0)
                inside ^= 1;
        }
    }
    return inside;
}

static void clear_info(struct tr_region_info *out)
{
    memset(out, 0, sizeof(*out));
    out->country_index = out->state_index = out->county_index = -1;
}

void geo_fill_info(const struct tr_geo_boundaries *b, uint32_t country, uint32_t state,
                   uint32_t county, struct tr_region_info *out)
{
    clear_info(out);
    if (county != GEO_NONE) {
        const struct geo_region *g = &b->layers[TR_GEO_COUNTY].regions[county];
        out->county_index = (int32_t)county;
        out->county_fips = g->code;
        out->county = g->name;
    }
    if (state != GEO_NONE) {
        const struct geo_region *g = &b->layers[TR_GEO_STATE].regions[state];
        out->state_index = (int32_t)state;
        out->state_fips = g->code;
        out->state = g->abbr;
        out->state_name = g->name;
    }
    if (country != GEO_NONE) {
        const struct geo_region *g = &b->layers[TR_GEO_COUNTRY].regions[country];
        out->country_index = (int32_t)country;
        out->country = g->code[0] ? g->code : NULL;
        out->country_name = g->name;
    }
}

int tr_boundaries_lookup(const struct tr_geo_boundaries *b, double lat, double lon,
                         struct tr_region_info *out)
{
    double x, y;
    uint32_t country = GEO_NONE, state = GEO_NONE, county;
    int rc;
    if (!b || !out)
        return TR_GEO_ERR_ARG;
    clear_info(out);
    rc = geo_normalize(&lat, &lon);
    if (rc != TR_GEO_OK)
        return rc;
    geo_to_layer(&b->layers[TR_GEO_COUNTY], lat, lon, &x, &y);
    county = geo_index_find(&b->county_ix, x, y);
    if (county != GEO_NONE) {
        state = b->layers[TR_GEO_COUNTY].regions[county].parent;
        country = b->layers[TR_GEO_STATE].regions[state].parent;
    } else {
        geo_to_layer(&b->layers[TR_GEO_COUNTRY], lat, lon, &x, &y);
        country = geo_index_find(&b->country_ix, x, y);
    }
    geo_fill_info(b, country, state, county, out);
    return TR_GEO_OK;
}

static uint32_t first_containing(const struct geo_layer *L, double lat, double lon, int bbox)
{
    double x, y;
    geo_to_layer(L, lat, lon, &x, &y);
    for (uint32_t r = 0; r < L->n_regions; r++) {
        const struct geo_region *g = &L->regions[r];
        /* Outside the box the even-odd count is even anyway: same answer. */
        if (bbox && (x < g->minx || x > g->maxx || y < g->miny || y > g->maxy))
            continue;
        if (geo_region_contains(L, r, x, y))
            return r;
    }
    return GEO_NONE;
}

static int bruteforce(const struct tr_geo_boundaries *b, double lat, double lon,
                      struct tr_region_info *out, int bbox)
{
    uint32_t country, state, county;
    int rc;
    if (!b || !out)
        return TR_GEO_ERR_ARG;
    clear_info(out);
    rc = geo_normalize(&lat, &lon);
    if (rc != TR_GEO_OK)
        return rc;
    country = first_containing(&b->layers[TR_GEO_COUNTRY], lat, lon, bbox);
    state = first_containing(&b->layers[TR_GEO_STATE], lat, lon, bbox);
    county = first_containing(&b->layers[TR_GEO_COUNTY], lat, lon, bbox);
    if (state != GEO_NONE)
        country = b->layers[TR_GEO_STATE].regions[state].parent;
    geo_fill_info(b, country, state, county, out);
    return TR_GEO_OK;
}

int tr_boundaries_lookup_bruteforce(const struct tr_geo_boundaries *b, double lat, double lon,
                                    struct tr_region_info *out)
{
    return bruteforce(b, lat, lon, out, 0);
}

int tr_boundaries_lookup_bruteforce_bbox(const struct tr_geo_boundaries *b, double lat, double lon,
                                         struct tr_region_info *out)
{
    return bruteforce(b, lat, lon, out, 1);
}
