/*
 * dispatcher/geo/boundary_find.c: regions by name or code, and a
 * representative point inside a region.
 *
 * Names compare case-insensitively with Latin-1 accents folded ("Dona Ana"
 * finds "Doña Ana"); there is no fuzzy matching. The representative point
 * comes from scanlines: the middle of the widest inside span of several
 * horizontal lines, re-centred vertically, scored by the smaller of the two
 * spans, and then checked with the index lookup.
 */
#include "dispatcher/geo/boundary_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FOLD_MAX 256

/* Fold S into OUT: ASCII lower case, Latin-1 letters to their base letter,
 * surrounding blanks trimmed, inner runs of blanks to one space. */
static int fold(const char *s, size_t len, char *out)
{
    static const char latin1[] = "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"; /* U+00C0..U+00DF */
    size_t n = 0;
    int space = 0;
    for (size_t i = 0; i < len && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        char f;
        if (c == ' ' || c == '\t') {
            space = n > 0;
            continue;
        }
        if (c == 0xC3 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0xBF) {
            f = latin1[((unsigned char)s[i + 1] - 0x80) & 0x1F];
            i++;
            if (!f)
                f = '?';
        } else {
            f = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
        }
        if (n + 2 >= FOLD_MAX)
            return -1;
        if (space)
            out[n++] = ' ';
        space = 0;
        out[n++] = f;
    }
    out[n] = '\0';
    return 0;
}

static int same(const char *folded, const char *s)
{
    char buf[FOLD_MAX];
    return fold(s, strlen(s), buf) == 0 && strcmp(folded, buf) == 0;
}

/* Remove a trailing county-type word ("county", "parish", ...) if any. */
static void strip_suffix(char *name)
{
    static const char *const suffixes[] = { " county",          " parish",    " borough",
                                            " census area",     " municipio", " municipality",
                                            " city and borough" };
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && strcmp(name + n - k, suffixes[i]) == 0) {
            name[n - k] = '\0';
            return;
        }
    }
}

static int region_matches(const struct tr_geo_boundaries *b, enum tr_geo_level level, uint32_t i,
                          const char *q, const char *q_stripped, const char *q_state)
{
    const struct geo_region *g = &b->layers[level].regions[i];
    if (level != TR_GEO_COUNTY)
        return (g->code[0] && same(q, g->code)) || (g->abbr[0] && same(q, g->abbr)) ||
               same(q, g->name);
    if (q_state) {
        const struct geo_region *s = &b->layers[TR_GEO_STATE].regions[g->parent];
        if (!same(q_state, s->code) && !same(q_state, s->abbr) && !same(q_state, s->name))
            return 0;
    }
    return same(q, g->code) || same(q, g->name) || same(q_stripped, g->name);
}

int tr_boundaries_find(const struct tr_geo_boundaries *b, enum tr_geo_level level,
                       const char *query, struct tr_geo_region *out, size_t cap, size_t *n)
{
    char q[FOLD_MAX], stripped[FOLD_MAX], st[FOLD_MAX];
    const char *comma;
    size_t found = 0;
    if (!b || !query || !n || (cap > 0 && !out) || (unsigned)level > TR_GEO_COUNTY)
        return TR_GEO_ERR_ARG;
    *n = 0;
    comma = level == TR_GEO_COUNTY ? strrchr(query, ',') : NULL;
    if (fold(query, comma ? (size_t)(comma - query) : strlen(query), q) != 0 ||
        (comma && fold(comma + 1, strlen(comma + 1), st) != 0))
        return TR_GEO_ERR_NOT_FOUND;
    if (!q[0])
        return TR_GEO_ERR_NOT_FOUND;
    memcpy(stripped, q, sizeof(q));
    strip_suffix(stripped);
    for (uint32_t i = 0; i < b->layers[level].n_regions; i++) {
        if (!region_matches(b, level, i, q, stripped, comma ? st : NULL))
            continue;
        if (found < cap)
            tr_boundaries_region(b, level, i, &out[found]);
        found++;
    }
    *n = found;
    return found ? TR_GEO_OK : TR_GEO_ERR_NOT_FOUND;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Crossings of region G's edges with the line y = V (horizontal, or x = V
 * when VERTICAL), sorted, into OUT; returns how many. */
static size_t scan(const struct geo_layer *L, const struct geo_region *g, double v, int vertical,
                   double *out)
{
    size_t n = 0;
    for (uint32_t k = g->first_ring; k < g->first_ring + g->n_rings; k++) {
        const int32_t *p = L->xy + 2 * (size_t)L->rings[2 * k];
        for (uint32_t j = 0; j + 1 < L->rings[2 * k + 1]; j++, p += 2) {
            double a = vertical ? p[0] : p[1], b = vertical ? p[2] : p[3];
            double ao = vertical ? p[1] : p[0], bo = vertical ? p[3] : p[2];
            if ((a > v) == (b > v))
                continue;
            out[n++] = ao + (v - a) * (bo - ao) / (b - a);
        }
    }
    qsort(out, n, sizeof(*out), cmp_double);
    return n;
}

static int verify(const struct tr_geo_boundaries *b, enum tr_geo_level level, uint32_t index,
                  double lat, double lon)
{
    struct tr_region_info info;
    if (tr_boundaries_lookup(b, lat, lon, &info) != TR_GEO_OK)
        return 0;
    int32_t got = level == TR_GEO_COUNTRY ? info.country_index
                  : level == TR_GEO_STATE ? info.state_index
                                          : info.county_index;
    return got == (int32_t)index;
}

struct rp_search {
    const struct tr_geo_boundaries *b;
    enum tr_geo_level level;
    uint32_t index;
    const struct geo_layer *L;
    const struct geo_region *g;
    double *xs, *ys;
    double dx0, dx1, dy0, dy1; /* the globe in layer units */
    double best, lat, lon;
};

/* Candidates on the horizontal line Y: the middle of each inside span,
 * re-centred vertically; keep the one with the largest smaller extent. */
static void try_line(struct rp_search *s, double y)
{
    const struct geo_layer *L = s->L;
    size_t nx = scan(L, s->g, y, 0, s->xs);
    for (size_t i = 0; i + 1 < nx; i += 2) {
        double a = fmax(s->xs[i], s->dx0), c = fmin(s->xs[i + 1], s->dx1);
        if (c <= a)
            continue;
        double mx = 0.5 * (a + c), clat = y * L->sy + L->ty;
        double w = (c - a) * L->sx * cos(clat * M_PI / 180.0);
        if (w <= s->best)
            continue;
        size_t ny = scan(L, s->g, mx, 1, s->ys);
        double my = y, h = 0;
        for (size_t j = 0; j + 1 < ny; j += 2) {
            if (s->ys[j] <= y && y <= s->ys[j + 1]) {
                double lo = fmax(s->ys[j], s->dy0), hi = fmin(s->ys[j + 1], s->dy1);
                my = 0.5 * (lo + hi);
                h = (hi - lo) * L->sy;
                break;
            }
        }
        double score = fmin(w, h);
        double plat = my * L->sy + L->ty, plon = mx * L->sx + L->tx;
        if (score > s->best && verify(s->b, s->level, s->index, plat, plon)) {
            s->best = score;
            s->lat = plat;
            s->lon = plon;
        }
    }
}

int tr_boundaries_region_point(const struct tr_geo_boundaries *b, enum tr_geo_level level,
                               uint32_t index, double *lat, double *lon)
{
    enum { LINES = 24, RING_LINES = 4 };
    struct rp_search s;
    size_t cap = 0;
    if (!b || !lat || !lon || (unsigned)level > TR_GEO_COUNTY)
        return TR_GEO_ERR_ARG;
    memset(&s, 0, sizeof(s));
    s.b = b;
    s.level = level;
    s.index = index;
    s.L = &b->layers[level];
    if (index >= s.L->n_regions)
        return TR_GEO_ERR_NOT_FOUND;
    s.g = &s.L->regions[index];
    for (uint32_t k = s.g->first_ring; k < s.g->first_ring + s.g->n_rings; k++)
        cap += s.L->rings[2 * k + 1];
    s.xs = malloc((cap + 1) * sizeof(double));
    s.ys = malloc((cap + 1) * sizeof(double));
    if (!s.xs || !s.ys) {
        free(s.xs);
        free(s.ys);
        return TR_GEO_ERR_NOMEM;
    }
    s.dx0 = (-180.0 - s.L->tx) / s.L->sx;
    s.dx1 = (180.0 - s.L->tx) / s.L->sx;
    s.dy0 = (-90.0 - s.L->ty) / s.L->sy;
    s.dy1 = (90.0 - s.L->ty) / s.L->sy;
    s.best = -1;
    /* Lines across the whole region (its box clipped to the globe)... */
    double y0 = fmax(s.g->miny, s.dy0), y1 = fmin(s.g->maxy, s.dy1);
    for (int line = 0; line < LINES; line++)
        try_line(&s, y0 + (y1 - y0) * (line + 0.5137) / LINES);
    /* ...and if they all missed (small islands far apart), across each ring. */
    int missed = s.best < 0;
    for (uint32_t k = s.g->first_ring; missed && k < s.g->first_ring + s.g->n_rings; k++) {
        const int32_t *p = s.L->xy + 2 * (size_t)s.L->rings[2 * k];
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        for (uint32_t j = 0; j < s.L->rings[2 * k + 1]; j++) {
            lo = p[2 * j + 1] < lo ? p[2 * j + 1] : lo;
            hi = p[2 * j + 1] > hi ? p[2 * j + 1] : hi;
        }
        for (int line = 0; line < RING_LINES; line++)
            try_line(&s, lo + (hi - lo) * (line + 0.5137) / RING_LINES);
    }
    free(s.xs);
    free(s.ys);
    if (s.best < 0)
        return TR_GEO_ERR_NOT_FOUND; /* no area at this resolution (Vatican City) */
    *lat = s.lat;
    *lon = s.lon;
    return TR_GEO_OK;
}
