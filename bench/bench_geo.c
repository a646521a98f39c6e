/*
 * bench/bench_geo.c: the "tag every position" figure: point -> country /
 * US state / county (dispatcher/geo) per point, against brute force.
 *
 * Workload: --points positions (default 200,000): half around the 100
 * largest US metro areas (weighted by population, gaussian, sigma ~25 km),
 * a quarter uniform over the contiguous US box, a quarter uniform over the
 * globe's area (so mostly sea). Every lookup answers country, state and
 * county together.
 *
 * Timing: clock_gettime(CLOCK_MONOTONIC) around each lookup (the timer's own
 * cost is measured and reported apart), plus one untimed pass for the mean.
 * Baselines on the first --brute points (default 2,000), same run: testing
 * every edge of every polygon (tr_boundaries_lookup_bruteforce, the
 * geo_vs_bruteforce_ratio), and the same with a bounding-box test per region
 * first (geo_vs_bbox_bruteforce_ratio); both must give the same answers as
 * the index, which the run checks.
 *
 * Prints a table and a JSON object (also to --json FILE). Not a test: it
 * asserts nothing about time.
 */
#include "bench/bench_metros.h"
#include "bench/bench_util.h"
#include "dispatcher/geo/boundary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct opts {
    unsigned points, brute;
    uint64_t seed;
    const char *data, *json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    o->points = 200000;
    o->brute = 2000;
    o->seed = 42;
    o->data = NULL;
    o->json = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        if (strcmp(a, "--points") == 0)
            o->points = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--brute") == 0)
            o->brute = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o->seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--data") == 0)
            o->data = v;
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else
            return -1;
    }
    if (o->points == 0)
        return -1;
    if (o->brute > o->points)
        o->brute = o->points;
    return 0;
}

static void make_points(struct rng *r, double *lat, double *lon, unsigned n)
{
    const size_t nm = sizeof(bench_metros) / sizeof(bench_metros[0]);
    double total = 0;
    for (size_t m = 0; m < nm; m++)
        total += bench_metros[m].pop_k;
    for (unsigned i = 0; i < n; i++) {
        unsigned kind = i % 4;
        if (kind < 2) { /* around a metro area, by population */
            double pick = unif(r) * total;
            size_t m = 0;
            while (m + 1 < nm && pick >= bench_metros[m].pop_k) {
                pick -= bench_metros[m].pop_k;
                m++;
            }
            lat[i] = bench_metros[m].lat + 0.22 * gauss(r);
            lon[i] = bench_metros[m].lon + 0.28 * gauss(r);
        } else if (kind == 2) { /* contiguous US box */
            lat[i] = 24.5 + 25.0 * unif(r);
            lon[i] = -125.0 + 58.5 * unif(r);
        } else { /* the globe, uniform by area */
            lat[i] = asin(2.0 * unif(r) - 1.0) * 180.0 / M_PI;
            lon[i] = -180.0 + 360.0 * unif(r);
        }
    }
}

static int same(const struct tr_region_info *a, const struct tr_region_info *b)
{
    return a->country_index == b->country_index && a->state_index == b->state_index &&
           a->county_index == b->county_index;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct tr_geo_boundaries *b = NULL;
    int rc;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr,
                "usage: %s [--points N] [--brute N] [--seed N] [--data FILE] "
                "[--json FILE]\n",
                argv[0]);
        return 2;
    }
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_geo: warning: unoptimised build, numbers are meaningless\n");
#endif
    const char *path = tr_boundaries_data_path(o.data);
    double t0 = now_ns();
    rc = tr_boundaries_load(path, &b);
    double load_ms = (now_ns() - t0) / 1e6;
    if (rc != TR_GEO_OK) {
        fprintf(stderr, "bench_geo: %s: %s\n", path, tr_geo_strerror(rc));
        return 1;
    }
    double *lat = malloc(o.points * sizeof(double)), *lon = malloc(o.points * sizeof(double));
    double *t = malloc(o.points * sizeof(double)), *tb = malloc((o.brute + 1) * sizeof(double));
    double *tbb = malloc((o.brute + 1) * sizeof(double));
    struct tr_region_info *ans = malloc(o.points * sizeof(*ans));
    if (!lat || !lon || !t || !tb || !tbb || !ans) {
        fprintf(stderr, "bench_geo: out of memory\n");
        return 1;
    }
    struct rng r = { o.seed };
    make_points(&r, lat, lon, o.points);

    /* Timer cost, to report beside the per-lookup figures. */
    double timer[1001];
    for (int i = 0; i < 1001; i++) {
        double a = now_ns();
        timer[i] = now_ns() - a;
    }
    double timer_ns = quantile(timer, 1001, 0.5);

    /* Warm-up, then one untimed pass (mean), then a timed pass (each lookup). */
    for (unsigned i = 0; i < o.points && i < 10000; i++)
        tr_boundaries_lookup(b, lat[i], lon[i], &ans[i]);
    t0 = now_ns();
    for (unsigned i = 0; i < o.points; i++)
        tr_boundaries_lookup(b, lat[i], lon[i], &ans[i]);
    double mean_ns = (now_ns() - t0) / o.points;
    unsigned land = 0, in_county = 0;
    for (unsigned i = 0; i < o.points; i++) {
        struct tr_region_info x;
        double a = now_ns();
        tr_boundaries_lookup(b, lat[i], lon[i], &x);
        t[i] = now_ns() - a;
        land += x.country_index >= 0;
        in_county += x.county_index >= 0;
    }
    double med = quantile(t, o.points, 0.5), p99 = quantile(t, o.points, 0.99);
    double p999 = quantile(t, o.points, 0.999), max = t[o.points - 1];

    /* Brute force, both ways, on the first points; answers must agree. */
    unsigned mismatches = 0;
    for (unsigned i = 0; i < o.brute; i++) {
        struct tr_region_info x, y;
        double a = now_ns();
        tr_boundaries_lookup_bruteforce(b, lat[i], lon[i], &x);
        tb[i] = now_ns() - a;
        a = now_ns();
        tr_boundaries_lookup_bruteforce_bbox(b, lat[i], lon[i], &y);
        tbb[i] = now_ns() - a;
        if (!same(&x, &ans[i]) || !same(&y, &ans[i]))
            mismatches++;
    }
    double brute_med = quantile(tb, o.brute, 0.5), bbox_med = quantile(tbb, o.brute, 0.5);
    /* Ratios of medians measured the same way (each with its timer). */
    double ratio = brute_med / med, bbox_ratio = bbox_med / med;

    printf("bench_geo: %u points (1/2 near US metros, 1/4 US box, 1/4 globe), data %s\n", o.points,
           path);
    printf("  %u on land, %u in a US county; load + index build %.0f ms\n", land, in_county,
           load_ms);
    printf("  %-46s %12s %12s\n", "", "median us", "p99 us");
    printf("  %-46s %12.3f %12.3f\n", "index lookup (country + state + county)", med / 1e3,
           p99 / 1e3);
    printf("  %-46s %12.1f %12s\n", "brute force, every edge of every polygon", brute_med / 1e3,
           "");
    printf("  %-46s %12.1f %12s\n", "brute force, bounding box per region first", bbox_med / 1e3,
           "");
    printf("  p99.9 %.3f us, max %.3f us, mean of an untimed pass %.3f us, timer %.0f ns\n",
           p999 / 1e3, max / 1e3, mean_ns / 1e3, timer_ns);
    printf("  verified %u points against both brute forces: %u mismatches\n", o.brute, mismatches);
    printf("  ratios: %.0fx brute force, %.0fx bounding-box brute force\n", ratio, bbox_ratio);
    printf("  targets: median <= 2 us %s, >= 100x brute force %s, same answers %s\n",
           med <= 2000.0 ? "MET" : "MISSED", ratio >= 100.0 ? "MET" : "MISSED",
           mismatches == 0 ? "MET" : "MISSED");

    char json[1536];
    snprintf(json, sizeof(json),
             "{\"bench\": \"geo\", \"points\": %u, \"brute_points\": %u, "
             "\"timing\": \"clock_gettime per lookup\", \"timer_overhead_ns\": %.0f, "
             "\"geo_lookup_median_us\": %.3f, \"geo_lookup_p99_us\": %.3f, "
             "\"geo_lookup_p999_us\": %.3f, \"geo_lookup_mean_us\": %.3f, "
             "\"geo_bruteforce_median_us\": %.1f, \"geo_bbox_bruteforce_median_us\": %.1f, "
             "\"geo_vs_bruteforce_ratio\": %.1f, \"geo_vs_bbox_bruteforce_ratio\": %.1f, "
             "\"geo_matches_bruteforce\": %s, \"geo_load_ms\": %.1f, \"land_points\": %u, "
             "\"county_points\": %u}",
             o.points, o.brute, timer_ns, med / 1e3, p99 / 1e3, p999 / 1e3, mean_ns / 1e3,
             brute_med / 1e3, bbox_med / 1e3, ratio, bbox_ratio, mismatches == 0 ? "true" : "false",
             load_ms, land, in_county);
    printf("%s\n", json);
    if (o.json) {
        FILE *fp = fopen(o.json, "w");
        if (!fp || fprintf(fp, "%s\n", json) < 0 || fclose(fp) != 0)
            fprintf(stderr, "bench_geo: cannot write %s\n", o.json);
    }
    free(lat);
    free(lon);
    free(t);
    free(tb);
    free(tbb);
    free(ans);
    tr_boundaries_free(b);
    return mismatches == 0 ? 0 : 1;
}
