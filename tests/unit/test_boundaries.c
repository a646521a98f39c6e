/*
 * tests/unit/test_boundaries.c: dispatcher/geo point -> country / state /
 * county over the real generated geo.bin (path in argv[1]).
 *
 * Known places (county seats and landmarks in several states, Alaska,
 * Hawaii, the territories, 30+ capitals on every continent), points at sea,
 * the antimeridian and the poles, invalid coordinates, points a few hundred
 * metres either side of county and state lines, and 10,000 random points,
 * all compared with the brute-force reference. Also name/code search,
 * representative points, and loading corrupt files. No timing asserts.
 */
#include "dispatcher/geo/boundary.h"
#include "tests/support/check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct known {
    double lat, lon;
    const char *country, *state, *county_fips, *county;
};

static const struct known us_places[] = {
    { 41.8781, -87.6298, "US", "IL", "17031", "Cook" },         /* Chicago */
    { 30.2747, -97.7404, "US", "TX", "48453", "Travis" },       /* Texas Capitol, Austin */
    { 34.0537, -118.2428, "US", "CA", "06037", "Los Angeles" }, /* LA City Hall */
    { 58.3019, -134.4197, "US", "AK", "02110", "Juneau" },      /* Juneau */
    { 61.2181, -149.9003, "US", "AK", "02020", "Anchorage" },   /* Anchorage */
    { 64.8378, -147.7164, "US", "AK", "02090", "Fairbanks North Star" },
    { 21.3069, -157.8583, "US", "HI", "15003", "Honolulu" },            /* Honolulu */
    { 19.7241, -155.0868, "US", "HI", "15001", "Hawaii" },              /* Hilo */
    { 18.4655, -66.1057, "PR", "PR", "72127", "San Juan" },             /* San Juan */
    { 18.0111, -66.6141, "PR", "PR", "72113", "Ponce" },                /* Ponce */
    { 40.7484, -73.9857, "US", "NY", "36061", "New York" },             /* Empire State Building */
    { 38.8977, -77.0365, "US", "DC", "11001", "District of Columbia" }, /* White House */
    { 25.7617, -80.1918, "US", "FL", "12086", "Miami-Dade" },           /* Miami */
    { 47.6062, -122.3321, "US", "WA", "53033", "King" },                /* Seattle */
    { 39.7392, -104.9903, "US", "CO", "08031", "Denver" },              /* Denver */
    { 13.4757, 144.7489, "GU", "GU", "66010", "Guam" },                 /* Hagatna */
    { 18.3419, -64.9307, "VI", "VI", "78030", "St. Thomas" },           /* Charlotte Amalie */
    { -14.2756, -170.7020, "AS", "AS", "60010", "Eastern" },            /* Pago Pago */
    { 51.8800, -176.6581, "US", "AK", "02016", "Aleutians West" },      /* Adak, west of -180+4 */
    { 52.9000, 172.9000, "US", "AK", "02016", "Aleutians West" },       /* Attu, east of 180 */
    /* Either side of state and county lines (a few hundred metres to 1 km). */
    { 39.0, -94.600, "US", "MO", "29095", "Jackson" },   /* Kansas City, MO side */
    { 39.0, -94.615, "US", "KS", "20091", "Johnson" },   /* Kansas City, KS side */
    { 33.43, -94.035, "US", "AR", "05091", "Miller" },   /* Texarkana, AR */
    { 33.43, -94.050, "US", "TX", "48037", "Bowie" },    /* Texarkana, TX */
    { 37.05, -109.10, "US", "UT", "49037", "San Juan" }, /* Four Corners, 4 ways */
    { 37.05, -109.00, "US", "CO", "08083", "Montezuma" },
    { 36.95, -109.10, "US", "AZ", "04001", "Apache" },
    { 36.95, -109.00, "US", "NM", "35045", "San Juan" },
    { 41.88, -87.90, "US", "IL", "17031", "Cook" }, /* Cook / DuPage line */
    { 41.88, -87.95, "US", "IL", "17043", "DuPage" },
    { 42.00, -120.00, "US", "OR", "41037", "Lake" }, /* OR / CA line at 42N */
    { 41.99, -120.00, "US", "CA", "06049", "Modoc" },
    { 48.95, -97.00, "US", "MN", "27069", "Kittson" }, /* just south of Canada */
    { 32.72, -117.10, "US", "CA", "06073", "San Diego" },
};

struct capital {
    double lat, lon;
    const char *country;
};

static const struct capital capitals[] = {
    /* Europe */
    { 48.8566, 2.3522, "FR" },
    { 52.5200, 13.4050, "DE" },
    { 40.4168, -3.7038, "ES" },
    { 41.9028, 12.4964, "IT" },
    { 51.5074, -0.1278, "GB" },
    { 55.7558, 37.6173, "RU" },
    { 59.9139, 10.7522, "NO" },
    { 52.2297, 21.0122, "PL" },
    /* Asia */
    { 35.6762, 139.6503, "JP" },
    { 39.9042, 116.4074, "CN" },
    { 28.6139, 77.2090, "IN" },
    { -6.2088, 106.8456, "ID" },
    { 13.7563, 100.5018, "TH" },
    { 24.7136, 46.6753, "SA" },
    { 1.3521, 103.8198, "SG" },
    { 37.5665, 126.9780, "KR" },
    { 35.6892, 51.3890, "IR" },
    /* Africa */
    { 30.0444, 31.2357, "EG" },
    { -1.2921, 36.8219, "KE" },
    { 9.0765, 7.3986, "NG" },
    { -25.7479, 28.2293, "ZA" },
    { 14.7167, -17.4677, "SN" },
    { 9.0300, 38.7400, "ET" },
    { -4.4419, 15.2663, "CD" },
    /* North and Central America */
    { 45.4215, -75.6972, "CA" },
    { 19.4326, -99.1332, "MX" },
    { 38.8977, -77.0365, "US" },
    { 23.1136, -82.3666, "CU" },
    { 8.9824, -79.5199, "PA" },
    /* South America */
    { -15.7939, -47.8828, "BR" },
    { -34.6083, -58.3712, "AR" },
    { -12.0464, -77.0428, "PE" },
    { 4.7110, -74.0721, "CO" },
    { -33.4489, -70.6693, "CL" },
    { 10.4806, -66.9036, "VE" },
    /* Oceania */
    { -35.2809, 149.1300, "AU" },
    { -41.2865, 174.7762, "NZ" },
    { -18.1248, 178.4501, "FJ" },
    { -9.4438, 147.1803, "PG" },
    /* Antarctica: McMurdo Station */
    { -77.8460, 166.6760, "AQ" },
};

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int same_info(const struct tr_region_info *a, const struct tr_region_info *b)
{
    return a->country_index == b->country_index && a->state_index == b->state_index &&
           a->county_index == b->county_index;
}

static void check_against_bruteforce(const struct tr_geo_boundaries *b, double lat, double lon)
{
    struct tr_region_info fast, slow;
    int rc1 = tr_boundaries_lookup(b, lat, lon, &fast);
    int rc2 = tr_boundaries_lookup_bruteforce(b, lat, lon, &slow);
    CHECK_MSG(rc1 == rc2 && same_info(&fast, &slow),
              "index and brute force differ at %.7f %.7f: %d/%d/%d vs %d/%d/%d", lat, lon,
              fast.country_index, fast.state_index, fast.county_index, slow.country_index,
              slow.state_index, slow.county_index);
}

static void test_us_places(const struct tr_geo_boundaries *b)
{
    for (size_t i = 0; i < sizeof(us_places) / sizeof(us_places[0]); i++) {
        const struct known *k = &us_places[i];
        struct tr_region_info in;
        CHECK(tr_boundaries_lookup(b, k->lat, k->lon, &in) == TR_GEO_OK);
        CHECK_MSG(same_str(in.country, k->country) && same_str(in.state, k->state) &&
                      same_str(in.county_fips, k->county_fips) && same_str(in.county, k->county),
                  "%.4f %.4f: want %s %s %s %s, got %s %s %s %s", k->lat, k->lon, k->country,
                  k->state, k->county_fips, k->county, in.country, in.state, in.county_fips,
                  in.county);
        CHECK(in.state_fips && in.county_fips && strncmp(in.state_fips, in.county_fips, 2) == 0);
        CHECK(in.country_name && in.state_name);
        check_against_bruteforce(b, k->lat, k->lon);
    }
    struct tr_region_info in;
    CHECK(tr_boundaries_lookup(b, 41.8781, -87.6298, &in) == TR_GEO_OK);
    CHECK(same_str(in.country_name, "United States") && same_str(in.state_name, "Illinois") &&
          same_str(in.state_fips, "17"));
}

static void test_capitals(const struct tr_geo_boundaries *b)
{
    size_t n = sizeof(capitals) / sizeof(capitals[0]);
    CHECK(n >= 20);
    for (size_t i = 0; i < n; i++) {
        struct tr_region_info in;
        CHECK(tr_boundaries_lookup(b, capitals[i].lat, capitals[i].lon, &in) == TR_GEO_OK);
        CHECK_MSG(same_str(in.country, capitals[i].country), "%.4f %.4f: want %s, got %s",
                  capitals[i].lat, capitals[i].lon, capitals[i].country, in.country);
        CHECK(in.country_name != NULL);
        check_against_bruteforce(b, capitals[i].lat, capitals[i].lon);
    }
}

static void expect_sea(const struct tr_geo_boundaries *b, double lat, double lon)
{
    struct tr_region_info in;
    CHECK(tr_boundaries_lookup(b, lat, lon, &in) == TR_GEO_OK);
    CHECK_MSG(!in.country && !in.country_name && !in.state && !in.county &&
                  in.country_index == -1 && in.state_index == -1 && in.county_index == -1,
              "%.4f %.4f should be at sea, got %s", lat, lon, in.country_name);
    check_against_bruteforce(b, lat, lon);
}

static void expect_country(const struct tr_geo_boundaries *b, double lat, double lon,
                           const char *country)
{
    struct tr_region_info in;
    CHECK(tr_boundaries_lookup(b, lat, lon, &in) == TR_GEO_OK);
    CHECK_MSG(same_str(in.country, country), "%.4f %.4f: want %s, got %s", lat, lon, country,
              in.country);
    check_against_bruteforce(b, lat, lon);
}

static void test_sea_poles_antimeridian(const struct tr_geo_boundaries *b)
{
    expect_sea(b, 0, -30);  /* mid Atlantic */
    expect_sea(b, 30, -40); /* North Atlantic */
    expect_sea(b, 0, -150); /* mid Pacific */
    expect_sea(b, -30, 80); /* Indian Ocean */
    expect_sea(b, 25, -90); /* Gulf of Mexico */
    expect_sea(b, 35, 18);  /* Mediterranean */
    expect_sea(b, 90, 0);   /* North Pole */
    expect_sea(b, 90, 180);
    expect_sea(b, 0, 180); /* on the antimeridian, at sea */
    expect_sea(b, 0, -180);
    expect_country(b, -90, 0, "AQ"); /* South Pole, every longitude */
    expect_country(b, -90, 180, "AQ");
    expect_country(b, -90, -180, "AQ");
    expect_country(b, -89.5, 123.4, "AQ");
    expect_country(b, -85, -179.999, "AQ");
    expect_country(b, -85, 179.999, "AQ");
    /* Chukotka straddles the antimeridian. */
    expect_country(b, 68, 180, "RU");
    expect_country(b, 68, -180, "RU");
    expect_country(b, 66, 175, "RU");
    expect_country(b, 67, -175, "RU");
    expect_country(b, 65.5, 179.5, "RU");
    /* Fiji too. */
    expect_country(b, -16.5, 180, "FJ");
    expect_country(b, -16.8, -179.9, "FJ");
    expect_country(b, -18.1248, 178.4501, "FJ");
}

static void test_invalid(const struct tr_geo_boundaries *b)
{
    const double bad[][2] = { { 90.0001, 0 },  { -90.0001, 0 },  { 0, 180.0001 },
                              { 0, -181 },     { NAN, 0 },       { 0, NAN },
                              { INFINITY, 0 }, { 0, -INFINITY }, { 1e300, 1e300 } };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tr_region_info in;
        in.country = "stale";
        CHECK(tr_boundaries_lookup(b, bad[i][0], bad[i][1], &in) == TR_GEO_ERR_COORD);
        CHECK(in.country == NULL && in.country_index == -1 && in.county_index == -1);
        CHECK(tr_boundaries_lookup_bruteforce(b, bad[i][0], bad[i][1], &in) == TR_GEO_ERR_COORD);
    }
    CHECK(tr_boundaries_lookup(NULL, 0, 0, NULL) == TR_GEO_ERR_ARG);
    CHECK(strstr(tr_geo_strerror(TR_GEO_ERR_COORD), "latitude") != NULL);
    for (int rc = 0; rc <= 7; rc++)
        CHECK(tr_geo_strerror(rc) != NULL);
}

/* A grid of points around lines where several regions meet. */
static void test_near_borders(const struct tr_geo_boundaries *b)
{
    const double centres[][2] = {
        { 39.0, -94.6075 },   /* KS / MO */
        { 36.999, -109.045 }, /* Four Corners */
        { 41.88, -87.92 },    /* Cook / DuPage */
        { 33.43, -94.043 },   /* TX / AR */
        { 49.0, -97.2 },      /* US / Canada */
        { 32.54, -117.03 },   /* US / Mexico */
        { 42.0, -120.0 },     /* OR / CA / NV */
        { 18.2, -66.5 },      /* Puerto Rico interior */
    };
    for (size_t c = 0; c < sizeof(centres) / sizeof(centres[0]); c++) {
        for (int i = -5; i <= 5; i++) {
            for (int j = -5; j <= 5; j++)
                check_against_bruteforce(b, centres[c][0] + i * 0.0021, centres[c][1] + j * 0.0023);
        }
    }
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_uniform(uint64_t *s, double lo, double hi)
{
    return lo + (hi - lo) * (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void test_random(const struct tr_geo_boundaries *b, int n)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    int mismatches = 0, land = 0;
    for (int i = 0; i < n; i++) {
        double lat, lon;
        if (i % 2) { /* contiguous US */
            lat = rng_uniform(&s, 24.5, 49.5);
            lon = rng_uniform(&s, -125, -66.5);
        } else {
            lat = rng_uniform(&s, -90, 90);
            lon = rng_uniform(&s, -180, 180);
        }
        struct tr_region_info fast, slow, plain;
        tr_boundaries_lookup(b, lat, lon, &fast);
        /* Every point against the box-filtered scan, every tenth also
         * against the plain one (slow in a debug build). */
        tr_boundaries_lookup_bruteforce_bbox(b, lat, lon, &slow);
        if (i % 10 == 0) {
            tr_boundaries_lookup_bruteforce(b, lat, lon, &plain);
            CHECK(same_info(&plain, &slow));
        }
        if (!same_info(&fast, &slow)) {
            if (mismatches++ < 5)
                fprintf(stderr, "random point %.9f %.9f differs\n", lat, lon);
        }
        land += fast.country_index >= 0;
    }
    CHECK_MSG(mismatches == 0, "%d of %d random points differ from brute force", mismatches, n);
    CHECK(land > n / 2 && land < n); /* some land, some sea */
}

static void test_find(const struct tr_geo_boundaries *b)
{
    struct tr_geo_region r[64];
    size_t n = 0;
    CHECK(tr_boundaries_count(b, TR_GEO_COUNTRY) > 200);
    CHECK(tr_boundaries_count(b, TR_GEO_STATE) == 56);
    CHECK(tr_boundaries_count(b, TR_GEO_COUNTY) > 3200);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "cook", r, 64, &n) == TR_GEO_OK && n >= 3);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "Cook County, IL", r, 64, &n) == TR_GEO_OK &&
          n == 1 && strcmp(r[0].code, "17031") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "travis county, texas", r, 64, &n) == TR_GEO_OK &&
          n == 1 && strcmp(r[0].code, "48453") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "06037", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].name, "Los Angeles") == 0 && r[0].parent >= 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "dona ana", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].code, "35013") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTY, "Washington", r, 4, &n) == TR_GEO_OK && n > 20);
    CHECK(tr_boundaries_find(b, TR_GEO_STATE, "tx", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].name, "Texas") == 0 && strcmp(r[0].code, "48") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_STATE, "  new   york ", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].abbr, "NY") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_STATE, "72", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].abbr, "PR") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, "us", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].name, "United States") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, "FRANCE", r, 64, &n) == TR_GEO_OK && n == 1 &&
          strcmp(r[0].code, "FR") == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, "Atlantis", r, 64, &n) == TR_GEO_ERR_NOT_FOUND &&
          n == 0);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, "", r, 64, &n) == TR_GEO_ERR_NOT_FOUND);
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, NULL, r, 64, &n) == TR_GEO_ERR_ARG);
    struct tr_geo_region one;
    CHECK(tr_boundaries_region(b, TR_GEO_STATE, 9999, &one) == TR_GEO_ERR_NOT_FOUND);
}

/* Every region's representative point is inside it (by index and brute force). */
static void test_region_points(const struct tr_geo_boundaries *b)
{
    for (int level = TR_GEO_COUNTRY; level <= TR_GEO_COUNTY; level++) {
        uint32_t n = tr_boundaries_count(b, (enum tr_geo_level)level);
        int failed = 0;
        for (uint32_t i = 0; i < n; i++) {
            double lat = 0, lon = 0;
            struct tr_region_info in;
            int rc = tr_boundaries_region_point(b, (enum tr_geo_level)level, i, &lat, &lon);
            tr_boundaries_lookup_bruteforce(b, lat, lon, &in);
            int32_t got = level == TR_GEO_COUNTRY ? in.country_index
                          : level == TR_GEO_STATE ? in.state_index
                                                  : in.county_index;
            struct tr_geo_region reg;
            tr_boundaries_region(b, (enum tr_geo_level)level, i, &reg);
            if (level == TR_GEO_COUNTRY && strcmp(reg.code, "VA") == 0) {
                /* Vatican City has no area in Natural Earth 1:10m. */
                CHECK(rc == TR_GEO_ERR_NOT_FOUND);
                continue;
            }
            if (rc != TR_GEO_OK || got != (int32_t)i) {
                if (failed++ < 5)
                    fprintf(stderr, "region point of level %d region %u: rc %d, in %d\n", level, i,
                            rc, got);
            }
            /* Counties are many: brute-force a sample only. */
            if (level == TR_GEO_COUNTY)
                i += 16;
        }
        CHECK_MSG(failed == 0, "%d representative points of level %d are wrong", failed, level);
    }
    double lat, lon;
    struct tr_geo_region r;
    size_t n;
    CHECK(tr_boundaries_find(b, TR_GEO_COUNTRY, "US", &r, 1, &n) == TR_GEO_OK);
    CHECK(tr_boundaries_region_point(b, TR_GEO_COUNTRY, r.index, &lat, &lon) == TR_GEO_OK);
    CHECK(lat > 24 && lat < 50 && lon > -125 && lon < -66); /* the main body, not an island */
}

static unsigned char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long size;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)size);
        if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)size;
    }
    fclose(f);
    return buf;
}

static void test_corrupt(const char *path)
{
    struct tr_geo_boundaries *b = (struct tr_geo_boundaries *)1;
    size_t len = 0;
    unsigned char *buf = read_all(path, &len);
    CHECK(buf != NULL);
    CHECK(tr_boundaries_load("/nonexistent/geo.bin", &b) == TR_GEO_ERR_IO && b == NULL);
    CHECK(tr_boundaries_load_mem("garbage", 7, &b) == TR_GEO_ERR_FORMAT && b == NULL);
    tr_boundaries_free(NULL);
    if (!buf)
        return;
    const size_t cuts[] = { 0, 8, 16, 47, 48, 60, 1000, len / 2, len - 1 };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        CHECK(tr_boundaries_load_mem(buf, cuts[i], &b) == TR_GEO_ERR_FORMAT && b == NULL);
    /* Damage counts, offsets and coordinates: rejected or loaded, never a crash. */
    const size_t spots[] = { 8, 12, 48, 52, 56, 60, 64, 80, 100, 200, 5000, len - 8 };
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        unsigned char saved[4];
        memcpy(saved, buf + spots[i], 4);
        memset(buf + spots[i], 0xff, 4);
        int rc = tr_boundaries_load_mem(buf, len, &b);
        CHECK(rc == TR_GEO_OK || rc == TR_GEO_ERR_FORMAT);
        tr_boundaries_free(b);
        memcpy(buf + spots[i], saved, 4);
    }
    CHECK(tr_boundaries_load_mem(buf, len, &b) == TR_GEO_OK);
    tr_boundaries_free(b);
    free(buf);
}

int main(int argc, char **argv)
{
    const char *path = tr_boundaries_data_path(argc > 1 ? argv[1] : NULL);
    int n_random = argc > 2 ? atoi(argv[2]) : 10000;
    struct tr_geo_boundaries *b = NULL;
    int rc = tr_boundaries_load(path, &b);
    CHECK_MSG(rc == TR_GEO_OK, "%s: %s", path, tr_geo_strerror(rc));
    if (rc != TR_GEO_OK)
        return check_report("unit.boundaries");
    test_us_places(b);
    test_capitals(b);
    test_sea_poles_antimeridian(b);
    test_invalid(b);
    test_near_borders(b);
    test_find(b);
    test_region_points(b);
    test_random(b, n_random);
    tr_boundaries_free(b);
    test_corrupt(path);
    return check_report("unit.boundaries");
}
