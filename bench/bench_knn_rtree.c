/*
 * bench/bench_knn_rtree.c: the SQLite R*Tree baseline for bench_knn, the way
 * a dispatcher would use SQLite as its spatial index: one rtree of the
 * eligible contractors' positions (degrees, degenerate boxes), queried with
 * bounding boxes that double in size until the k nearest are certified by
 * great-circle distance (tr_geo_distance_m). Gives the same answer as the
 * fleet index; measures only queries (the table is built once from the final
 * state).
 */
#include "bench/bench_knn.h"

#include "common/geo.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>

struct bench_rtree {
    sqlite3 *db;
    sqlite3_stmt *q;
};

void bench_topk_insert(struct tr_fleet_result *out, size_t *n, unsigned k,
                       const struct tr_fleet_result *x)
{
    size_t i = *n;
    if (i == k) {
        const struct tr_fleet_result *w = &out[k - 1];
        if (x->distance_m > w->distance_m ||
            (x->distance_m == w->distance_m &&
             (x->id > w->id || (x->id == w->id && x->contractor > w->contractor))))
            return;
        i--;
    } else {
        (*n)++;
    }
    while (i > 0) {
        const struct tr_fleet_result *p = &out[i - 1];
        if (p->distance_m < x->distance_m ||
            (p->distance_m == x->distance_m &&
             (p->id < x->id || (p->id == x->id && p->contractor < x->contractor))))
            break;
        out[i] = *p;
        i--;
    }
    out[i] = *x;
}

void bench_rtree_close(struct bench_rtree *rt)
{
    if (!rt)
        return;
    sqlite3_finalize(rt->q);
    sqlite3_close(rt->db);
    free(rt);
}

int bench_rtree_open(const struct bench_contractor *c, uint32_t n, struct bench_rtree **out)
{
    struct bench_rtree *rt = calloc(1, sizeof(*rt));
    sqlite3_stmt *ins = NULL;
    int rc = -1;

    *out = NULL;
    if (!rt || sqlite3_open(":memory:", &rt->db) != SQLITE_OK)
        goto out;
    if (sqlite3_exec(rt->db,
                     "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                     "CREATE VIRTUAL TABLE pos USING rtree(cid, minlat, maxlat, minlon, maxlon,"
                     " +skills INTEGER, +lat REAL, +lon REAL, +uid INTEGER);"
                     "BEGIN;",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(rt->db, "INSERT INTO pos VALUES (?1, ?2, ?2, ?3, ?3, ?4, ?2, ?3, ?5)",
                           -1, &ins, NULL) != SQLITE_OK)
        goto out;
    for (uint32_t i = 0; i < n; i++) {
        if (!c[i].eligible || !c[i].skills)
            continue;
        sqlite3_bind_int64(ins, 1, i);
        sqlite3_bind_double(ins, 2, c[i].lat);
        sqlite3_bind_double(ins, 3, c[i].lon);
        sqlite3_bind_int64(ins, 4, (sqlite3_int64)c[i].skills);
        sqlite3_bind_int64(ins, 5, c[i].id);
        if (sqlite3_step(ins) != SQLITE_DONE)
            goto out;
        sqlite3_reset(ins);
    }
    if (sqlite3_exec(rt->db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    /* overlap form: rtree boxes are float32 rounded outwards */
    if (sqlite3_prepare_v2(rt->db,
                           "SELECT cid, lat, lon, uid FROM pos WHERE maxlat >= ?1 AND minlat <= ?2"
                           " AND maxlon >= ?3 AND minlon <= ?4 AND (skills & ?5) = ?5",
                           -1, &rt->q, NULL) != SQLITE_OK)
        goto out;
    *out = rt;
    rt = NULL;
    rc = 0;
out:
    sqlite3_finalize(ins);
    bench_rtree_close(rt);
    return rc;
}

int bench_rtree_knn(struct bench_rtree *rt, double lat, double lon, uint64_t req, unsigned k,
                    struct tr_fleet_result *out, size_t *n_out)
{
    const double R = TR_GEO_EARTH_RADIUS_M, deg = 180.0 / M_PI;

    for (double r = 2000.0;; r *= 2.0) {
        double th = r / R, dlat = th * deg + 1e-7, dlon = 180.0;
        double phi = fabs(lat) / deg;
        if (th < M_PI / 2 - phi - 1e-9)
            dlon = asin(fmin(1.0, sin(th) / cos(phi))) * deg + 1e-7;
        bool all = th >= M_PI;
        size_t n = 0, within = 0;

        sqlite3_bind_double(rt->q, 1, all ? -90.0 : lat - dlat);
        sqlite3_bind_double(rt->q, 2, all ? 90.0 : lat + dlat);
        sqlite3_bind_double(rt->q, 3, all || dlon >= 180.0 ? -180.0 : lon - dlon);
        sqlite3_bind_double(rt->q, 4, all || dlon >= 180.0 ? 180.0 : lon + dlon);
        sqlite3_bind_int64(rt->q, 5, (sqlite3_int64)req);
        int step;
        while ((step = sqlite3_step(rt->q)) == SQLITE_ROW) {
            struct tr_fleet_result x = {
                .contractor = (uint32_t)sqlite3_column_int64(rt->q, 0),
                .id = (uint32_t)sqlite3_column_int64(rt->q, 3),
            };
            x.distance_m = tr_geo_distance_m(lat, lon, sqlite3_column_double(rt->q, 1),
                                             sqlite3_column_double(rt->q, 2));
            if (x.distance_m <= r || all) {
                within++;
                bench_topk_insert(out, &n, k, &x);
            }
        }
        sqlite3_reset(rt->q);
        if (step != SQLITE_DONE)
            return -1;
        /* a box crossing the antimeridian is not handled: the US fleet has none */
        if (within >= k || all || (dlon >= 180.0 && dlat >= 180.0)) {
            *n_out = n;
            return 0;
        }
    }
}
