/*
 * tests/unit/test_sim_fleet.c: the fleet simulator's pure parts:
 *   - the fleet file (contractor CSV): quoting, CRLF, a BOM, home as
 *     "LAT,LON" or home_lat/home_lon, inactive rows, the importer's other
 *     columns; rejected: unknown or missing columns, bad ids, homes, hours,
 *     duplicates;
 *   - the demo roster reads back, spans several US areas and two more
 *     countries, and the job feed picks skills members have;
 *   - drives cut from every real track in data/tracks start exactly where
 *     the contractor is and end exactly at the site, with every point valid
 *     and near the trip; a shifted track starts at the given place;
 *   - a drive sped up 60x as the demo drives, through the policy scaled to
 *     it (tr_policy_params_time_scale): no fix is taken for an outlier that
 *     is not one at 1x (unscaled, most of a sparse track's were), and the
 *     reports stay within 4x of 1x (speeds over the wire's 150 m/s cannot
 *     be reported, so dead reckoning falls behind and reports more).
 * argv[1]: the tracks dir.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/geo.h"
#include "fieldagent/core/policy.h"
#include "fieldagent/sim/fleet.h"
#include "fieldagent/sim/route.h"
#include "tests/support/check.h"

static int parse(const char *csv, struct tr_sim_fleet *f, char *err)
{
    return tr_sim_fleet_parse(csv, strlen(csv), f, err, 200);
}

static void test_parse(void)
{
    struct tr_sim_fleet f;
    char err[200];
    const char *ok = "\xEF\xBB\xBF"
                     "ID,Name,Skills,Languages,Timezone,Hours,Travel-Mode,home,tier,active\r\n"
                     "tx-1,\"Ruiz, Ana\",router;printer,es;en,America/Chicago,"
                     "\"Mon-Fri 09:00-17:00; Sat 10:00-14:00\",bicycle,\"30.27,-97.74\",2,true\r\n"
                     "\r\n"
                     "tx-2,Ben,router,en,America/Chicago,,,\"30.3, -97.7\",,\r\n"
                     "tx-3,Off,router,en,UTC,,,\"1,2\",,false\n";
    CHECK(parse(ok, &f, err) == TR_SIM_FLEET_OK);
    CHECK_MSG(f.n == 2, "%zu rows (the inactive one left out)", f.n);
    if (f.n == 2) {
        CHECK(strcmp(f.m[0].id, "tx-1") == 0 && strcmp(f.m[0].name, "Ruiz, Ana") == 0);
        CHECK(f.m[0].travel_mode == TR_TRAVEL_BICYCLE && f.m[1].travel_mode == TR_TRAVEL_CAR);
        CHECK(fabs(f.m[0].home_lat - 30.27) < 1e-9 && fabs(f.m[0].home_lon + 97.74) < 1e-9);
        CHECK(strcmp(f.m[0].hours, "Mon-Fri 09:00-17:00; Sat 10:00-14:00") == 0);
        CHECK(strcmp(f.m[1].hours, "") == 0 && f.m[1].line == 4);
        CHECK(strcmp(f.m[0].skills, "router;printer") == 0);
    }
    tr_sim_fleet_free(&f);
    tr_sim_fleet_free(NULL);

    CHECK(parse("contractor_id,timezone,home_lat,home_lon\na,UTC,1,2\n", &f, err) == 0 &&
          f.n == 1 && f.m[0].home_lon == 2);
    tr_sim_fleet_free(&f);

    static const struct {
        const char *csv;
        int rc;
        const char *what;
    } bad[] = {
        { "id,timezone,home,colour\na,UTC,\"1,2\",red\n", TR_SIM_FLEET_ERR_SYNTAX, "unknown" },
        { "id,timezone\na,UTC\n", TR_SIM_FLEET_ERR_SYNTAX, "home" },
        { "id,id,timezone,home\na,a,UTC,\"1,2\"\n", TR_SIM_FLEET_ERR_SYNTAX, "twice" },
        { "id,timezone,home\na/b,UTC,\"1,2\"\n", TR_SIM_FLEET_ERR_ROW, "agent id" },
        { "id,timezone,home\na#,UTC,\"1,2\"\n", TR_SIM_FLEET_ERR_ROW, "agent id" },
        { "id,timezone,home\na,UTC,\"91,2\"\n", TR_SIM_FLEET_ERR_ROW, "home" },
        { "id,timezone,home\na,UTC,north\n", TR_SIM_FLEET_ERR_ROW, "LAT,LON" },
        { "id,timezone,home\na,,\"1,2\"\n", TR_SIM_FLEET_ERR_ROW, "timezone" },
        { "id,timezone,home,hours\na,UTC,\"1,2\",Mon 9-5\n", TR_SIM_FLEET_ERR_ROW, "hours" },
        { "id,timezone,home,travel_mode\na,UTC,\"1,2\",rocket\n", TR_SIM_FLEET_ERR_ROW, "travel" },
        { "id,timezone,home\na,UTC\n", TR_SIM_FLEET_ERR_ROW, "cells" },
        { "id,timezone,home\na,UTC,\"1,2\"\na,UTC,\"1,2\"\n", TR_SIM_FLEET_ERR_DUPLICATE, "twice" },
        { "id,timezone,home\na,UTC,\"1,2\n", TR_SIM_FLEET_ERR_SYNTAX, "quote" },
        { "id,timezone,home\n", TR_SIM_FLEET_ERR_EMPTY, "no active" },
        { "", TR_SIM_FLEET_ERR_EMPTY, "header" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        int rc = parse(bad[i].csv, &f, err);
        CHECK_MSG(rc == bad[i].rc && strstr(err, bad[i].what) && f.n == 0 && !f.m,
                  "case %zu: rc %d (%s) err '%s'", i, rc, tr_sim_fleet_strerror(rc), err);
    }
    CHECK(tr_sim_fleet_load("/nonexistent/fleet.csv", &f, err, sizeof err) == TR_SIM_FLEET_ERR_IO);
}

static void test_demo(void)
{
    char *buf = NULL, err[200];
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    struct tr_sim_fleet f;
    CHECK(tr_sim_fleet_write_demo(mem, 36, "demo", 7) == 0);
    fclose(mem);
    CHECK_MSG(tr_sim_fleet_parse(buf, len, &f, err, sizeof err) == TR_SIM_FLEET_OK, "%s", err);
    CHECK(f.n == 36);
    size_t us = 0, es = 0, de = 0, hours = 0;
    for (size_t i = 0; i < f.n; i++) {
        us += strncmp(f.m[i].timezone, "America/", 8) == 0;
        es += strcmp(f.m[i].timezone, "Europe/Madrid") == 0;
        de += strcmp(f.m[i].timezone, "Europe/Berlin") == 0;
        hours += f.m[i].hours[0] != '\0';
    }
    CHECK(us >= 20 && es >= 2 && de >= 2 && hours > 0 && hours < f.n);
    CHECK(strcmp(f.m[35].id, "demo-36") == 0);

    /* the same seed, the same file */
    char *buf2 = NULL;
    size_t len2 = 0;
    mem = open_memstream(&buf2, &len2);
    tr_sim_fleet_write_demo(mem, 36, "demo", 7);
    fclose(mem);
    CHECK(len == len2 && memcmp(buf, buf2, len) == 0);
    free(buf2);

    struct tr_sim_rng r;
    tr_sim_rng_seed(&r, 3);
    size_t nobody = 0;
    for (int i = 0; i < 300; i++) {
        struct tr_sim_job j;
        tr_sim_fleet_next_job(&f, &r, &j);
        CHECK(tr_geo_valid(j.lat, j.lon) && j.skill[0] && j.address[0] && j.title[0]);
        if (strcmp(j.skill, "elevator-repair") == 0) {
            nobody++;
            continue;
        }
        bool someone = false; /* a member within ~70 km has the skill */
        for (size_t k = 0; k < f.n && !someone; k++)
            someone = strstr(f.m[k].skills, j.skill) &&
                      tr_geo_distance_m(j.lat, j.lon, f.m[k].home_lat, f.m[k].home_lon) < 70000;
        CHECK_MSG(someone, "job %d needs %s", i, j.skill);
    }
    CHECK(nobody > 0 && nobody < 60);
    tr_sim_fleet_free(&f);
    free(buf);
}

/* dir/name as a track, or NULL (a failed check). */
static struct tr_gpx *load(const char *dir, const char *name)
{
    char path[512];
    struct tr_gpx *g = NULL;
    struct tr_gpx_error ge;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (tr_gpx_load_file(path, NULL, &g, &ge) != TR_GPX_OK)
        CHECK_MSG(0, "%s: %s", path, ge.reason);
    return g;
}

static void test_routes(const char *dir)
{
    static const char *const tracks[] = {
        "sbn-v13.gpx", "mtk_logger_m241.gpx", "garmin-virb-ultra-30.gpx", "iblue747.gpx",
        "bike.gpx",    "tpo-sample2.gpx"
    };
    const double from_lat = 41.88, from_lon = -87.63;
    for (size_t t = 0; t < sizeof tracks / sizeof tracks[0]; t++) {
        struct tr_gpx *g = load(dir, tracks[t]);
        if (!g)
            continue;
        for (int k = 0; k < 4; k++) {
            double km = k == 0 ? 0.05 : k * 4.0; /* 50 m (scaled down), 4, 8, 12 km */
            double to_lat = from_lat + km / 111.195 * 0.6, to_lon = from_lon - km / 83.0 * 0.8;
            struct tr_gpx *r = NULL;
            int rc = tr_sim_route_fit(g, (size_t)k * 97, from_lat, from_lon, to_lat, to_lon, &r);
            CHECK_MSG(rc == TR_SIM_ROUTE_OK && r && r->n_points >= 2, "%s %g km: %s", tracks[t], km,
                      tr_sim_route_strerror(rc));
            if (!r)
                continue;
            const struct tr_fix *first = &r->points[0].fix, *last = &r->points[r->n_points - 1].fix;
            CHECK(first->lat == from_lat && first->lon == from_lon);
            CHECK(last->lat == to_lat && last->lon == to_lon);
            double d = tr_geo_distance_m(from_lat, from_lon, to_lat, to_lon);
            bool ok = true;
            for (size_t i = 0; i < r->n_points; i++) {
                const struct tr_fix *f = &r->points[i].fix;
                ok = ok && tr_geo_valid(f->lat, f->lon) && f->mode >= 2 &&
                     (i == 0 || f->t > r->points[i - 1].fix.t) &&
                     (!f->has_speed || (f->speed >= 0 && f->speed <= 150)) &&
                     (!f->has_heading || (f->heading >= 0 && f->heading < 360)) &&
                     tr_geo_distance_m(from_lat, from_lon, f->lat, f->lon) < 10 * fmax(d, 300);
            }
            CHECK_MSG(ok, "%s %g km: every point valid and near the trip", tracks[t], km);
            tr_gpx_free(r);
        }
        struct tr_gpx *s = NULL;
        CHECK(tr_sim_route_shift(g, 48.1, 11.5, &s) == TR_SIM_ROUTE_OK && s &&
              fabs(s->points[0].fix.lat - 48.1) < 1e-9 && fabs(s->points[0].fix.lon - 11.5) < 1e-9);
        tr_gpx_free(s);
        tr_gpx_free(g);
    }
    struct tr_gpx *r = NULL;
    CHECK(tr_sim_route_fit(NULL, 0, 1, 2, 3, 4, &r) == TR_SIM_ROUTE_ERR_INVALID && !r);
}

/* A drive cut from track, replayed at speedup through the en-route policy
 * scaled to it: reports and rejected outliers. */
static void drive(const struct tr_gpx *track, double speedup, unsigned long *reports,
                  unsigned long *outliers)
{
    struct tr_gpx *d = NULL;
    struct tr_policy_params pp;
    struct tr_policy p;
    struct tr_gpx_replay r;
    struct tr_gpx_replay_opts o = { .speedup = speedup, .max_gap_ms = 10000 };
    struct tr_fix f;
    struct tr_geo_report rep;
    *reports = *outliers = 0;
    if (tr_sim_route_fit(track, 100, 30.30, -97.77, 30.30, -97.69, &d) != TR_SIM_ROUTE_OK)
        return;
    tr_policy_params_default(&pp);
    tr_policy_params_time_scale(&pp, speedup);
    CHECK(tr_policy_init(&p, &pp) == TR_POLICY_OK);
    int64_t now = 1700000000000LL;
    tr_gpx_replay_init(&r, d, now, &o);
    for (int guard = 0; guard < 100000000; guard++) {
        int k = tr_gpx_replay_next(&r, now, &f);
        if (k < 0)
            break;
        if (k == 0) {
            now = tr_gpx_replay_due_ms(&r);
            continue;
        }
        if (tr_policy_on_fix(&p, &f, TR_MODE_EN_ROUTE, now, &rep) != TR_REPORT_NONE)
            (*reports)++;
    }
    *outliers = (unsigned long)p.n_outliers;
    tr_gpx_free(d);
}

static void test_speedup(const char *dir)
{
    static const char *const tracks[] = { "sbn-v13.gpx", "iblue747.gpx", "tpo-sample2.gpx" };
    for (size_t t = 0; t < sizeof tracks / sizeof tracks[0]; t++) {
        struct tr_gpx *g = load(dir, tracks[t]);
        if (!g)
            continue;
        unsigned long r1, o1, r60, o60;
        drive(g, 1, &r1, &o1);
        drive(g, 60, &r60, &o60);
        CHECK_MSG(r1 > 0 && o60 == o1 && r60 >= r1 && r60 <= 4 * r1,
                  "%s: %lu reports, %lu outliers at 1x; %lu, %lu at 60x", tracks[t], r1, o1, r60,
                  o60);
        tr_gpx_free(g);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRACKS_DIR\n", argv[0]);
        return 2;
    }
    test_parse();
    test_demo();
    test_routes(argv[1]);
    test_speedup(argv[1]);
    return check_report("unit.sim_fleet");
}
