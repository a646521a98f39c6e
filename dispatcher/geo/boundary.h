/*
 * dispatcher/geo/boundary.h: point -> country (ISO 3166-1 alpha-2 and name)
 * and, inside the US and its territories, -> state (FIPS, postal code, name)
 * and county (5-digit FIPS, name), by exact point-in-polygon over real
 * boundaries (Natural Earth countries via world-atlas, US Census counties via
 * us-atlas; see data/geo/README.md).
 *
 * The boundaries come from geo.bin, which the build generates from the
 * committed TopoJSON (tools/geo_compile.c); loading builds an adaptive grid
 * index so that a lookup touches a few dozen edges (about a microsecond).
 * No network, no globals: a loaded struct tr_geo_boundaries is read-only and
 * may be shared by threads.
 *
 * What it does not do: geodesic distances (common/ has geo math), reverse
 * geocoding below county level, or anything outside these three layers.
 * Points are WGS84 degrees; lat in [-90, 90], lon in [-180, 180].
 */
#ifndef TR_GEO_BOUNDARY_H
#define TR_GEO_BOUNDARY_H

#include <stddef.h>
#include <stdint.h>

/* Errors: numbers never change. */
enum tr_geo_error {
    TR_GEO_OK = 0,
    TR_GEO_ERR_ARG = 1,       /* NULL where a value is required */
    TR_GEO_ERR_COORD = 2,     /* latitude or longitude out of range or not finite */
    TR_GEO_ERR_IO = 3,        /* the data file could not be read */
    TR_GEO_ERR_FORMAT = 4,    /* the data file is not a valid geo.bin */
    TR_GEO_ERR_NOMEM = 5,     /* out of memory */
    TR_GEO_ERR_NOT_FOUND = 6, /* no such region */
};

const char *tr_geo_strerror(int rc);

/* Loaded boundaries (opaque). */
struct tr_geo_boundaries;

enum tr_geo_level {
    TR_GEO_COUNTRY = 0,
    TR_GEO_STATE = 1,
    TR_GEO_COUNTY = 2,
};

/* What a point is in. Strings point into the loaded boundaries (valid until
 * tr_boundaries_free); a field is NULL and an index -1 where the point is not
 * in such a region. country is NULL but country_name set in the few disputed
 * areas without an ISO code (e.g. "Spratly Is."). In Puerto Rico, Guam, the
 * US Virgin Islands, American Samoa and the Northern Mariana Islands, country
 * is the territory's own code (PR, GU, VI, AS, MP) and state its postal code. */
struct tr_region_info {
    const char *country;      /* ISO 3166-1 alpha-2, "US" */
    const char *country_name; /* "United States" */
    const char *state_fips;   /* "17" */
    const char *state;        /* USPS code, "IL" */
    const char *state_name;   /* "Illinois" */
    const char *county_fips;  /* "17031" */
    const char *county;       /* Census name without suffix, "Cook" */
    int32_t country_index, state_index, county_index;
};

/* One region of a layer. */
struct tr_geo_region {
    enum tr_geo_level level;
    uint32_t index;
    const char *code; /* alpha-2 ("" if disputed), state FIPS, county FIPS */
    const char *abbr; /* alpha-2, state postal code, "" for counties */
    const char *name;
    int32_t parent; /* county -> state index, state -> country index, -1 */
};

/* Load geo.bin from PATH (or from a buffer; LEN bytes, copied). On success
 * *OUT owns the boundaries; free them with tr_boundaries_free. */
int tr_boundaries_load(const char *path, struct tr_geo_boundaries **out);
int tr_boundaries_load_mem(const void *buf, size_t len, struct tr_geo_boundaries **out);
void tr_boundaries_free(struct tr_geo_boundaries *b);

/* The data file to load: OVERRIDE if not NULL or empty, else the environment
 * variable TRUCKROLL_GEO_DATA, else the build tree's geo.bin if it exists,
 * else the installed one (share/truckroll/geo.bin). Never NULL. */
const char *tr_boundaries_data_path(const char *override);
#define TR_GEO_DATA_ENV "TRUCKROLL_GEO_DATA"

/* Where (lat, lon) is. TR_GEO_ERR_COORD for an invalid position (OUT is then
 * cleared). At sea every field is NULL; that is a success. */
int tr_boundaries_lookup(const struct tr_geo_boundaries *b, double lat, double lon,
                         struct tr_region_info *out);
/* The same answer by testing every edge of every polygon of every layer, no
 * index: the reference for tests and the benchmark (about a millisecond). */
int tr_boundaries_lookup_bruteforce(const struct tr_geo_boundaries *b, double lat, double lon,
                                    struct tr_region_info *out);
/* The same scan skipping regions whose bounding box excludes the point (same
 * answers, about ten times faster): the stronger baseline. */
int tr_boundaries_lookup_bruteforce_bbox(const struct tr_geo_boundaries *b, double lat, double lon,
                                         struct tr_region_info *out);

/* Number of regions of LEVEL, and region INDEX of LEVEL. */
uint32_t tr_boundaries_count(const struct tr_geo_boundaries *b, enum tr_geo_level level);
int tr_boundaries_region(const struct tr_geo_boundaries *b, enum tr_geo_level level, uint32_t index,
                         struct tr_geo_region *out);

/* Regions of LEVEL matching QUERY, case-insensitively (and ignoring Latin-1
 * accents): a code (alpha-2; state FIPS or postal code; county FIPS) or a
 * name ("texas", "Cote d'Ivoire"). For counties the name may carry a common
 * suffix ("Cook County") and a state after a comma ("Cook, IL",
 * "Cook County, Illinois"). Writes up to CAP matches in index order to OUT and
 * their total number to *N (more than one: the name is ambiguous; zero is
 * TR_GEO_ERR_NOT_FOUND). */
int tr_boundaries_find(const struct tr_geo_boundaries *b, enum tr_geo_level level,
                       const char *query, struct tr_geo_region *out, size_t cap, size_t *n);

/* A point inside region INDEX of LEVEL (inside its widest part, away from its
 * edges; not the bounding-box centre), checked with tr_boundaries_lookup.
 * TR_GEO_ERR_NOT_FOUND for a region with no area at the data's resolution
 * (Vatican City is a degenerate ring in Natural Earth 1:10m). */
int tr_boundaries_region_point(const struct tr_geo_boundaries *b, enum tr_geo_level level,
                               uint32_t index, double *lat, double *lon);

#endif
