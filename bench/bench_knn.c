/*
 * bench/bench_knn.c: the "nearest search" figure of SPEC.md, measured side by
 * side with its baselines in one run.
 *
 * Workload: --count contractors (default 1M), 90 % around the 100 largest US
 * metro areas (weighted by population, two gaussian rings scaled by metro
 * size), 10 % spread thinly over the contiguous US; 16 skills with a
 * Zipf-like skew, 1-4 each; 60 % eligible. Then a million position updates
 * (small moves, 2 % eligibility flips) with no rebuild afterwards, then
 * --queries jobs drawn from the same distribution, k = 5 with a one-skill
 * filter (skill drawn with the same skew).
 *
 * Then the periodic rebuild both ways: incrementally (tr_fleet_rebuild_step,
 * --step-work units per step, default the engine's, every skill tree in turn, 10 updates and one
 * timed, verified query between steps, as the engine's ticks interleave
 * them with traffic), reporting the worst single step, i.e. the longest the
 * owning thread is stalled; and whole (tr_fleet_rebuild per tree, as before),
 * reporting the largest single tree's build time, the stall it replaces.
 *
 * Timing: clock_gettime(CLOCK_MONOTONIC) around every single query (the
 * timer's own cost, ~20 ns here, is included and reported separately).
 * Baselines in the same run: a brute-force linear scan with
 * tr_geo_distance_m, which also verifies answers, and an in-memory SQLite
 * R*Tree queried with widening boxes for the same exact answer.
 *
 * Prints a table and a JSON object (also to --json FILE). Not a test: it
 * asserts nothing about time.
 */
#include "bench/bench_knn.h"
#include "bench/bench_world.h"
#include "bench/bench_util.h"

#include "common/geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSKILLS BENCH_WORLD_SKILLS
#define K       5

/* ---- the synthetic fleet ---- */

static uint64_t draw_skill(const struct bench_world *w, struct rng *r)
{
    return UINT64_C(1) << bench_pick_cdf(w->skill_cdf, NSKILLS, unif(r));
}

static uint64_t draw_skills(const struct bench_world *w, struct rng *r)
{
    double u = unif(r);
    int n = u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.90 ? 3 : 4;
    uint64_t s = 0;
    while (__builtin_popcountll(s) < n)
        s |= draw_skill(w, r);
    return s;
}

static double clamp_lat(double lat)
{
    return lat > 90.0 ? 90.0 : lat < -90.0 ? -90.0 : lat;
}

/* ---- brute force: the ground truth and a baseline ---- */

static size_t brute_knn(const struct bench_contractor *c, uint32_t n, double lat, double lon,
                        uint64_t req, unsigned k, struct tr_fleet_result *out)
{
    size_t got = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!c[i].eligible || (c[i].skills & req) != req)
            continue;
        struct tr_fleet_result x = { i, c[i].id, tr_geo_distance_m(lat, lon, c[i].lat, c[i].lon) };
        bench_topk_insert(out, &got, k, &x);
    }
    return got;
}

static bool same(const struct tr_fleet_result *a, size_t na, const struct tr_fleet_result *b,
                 size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].contractor != b[i].contractor || a[i].distance_m != b[i].distance_m)
            return false;
    return true;
}

/* ---- the run ---- */

struct opts {
    uint32_t count;
    unsigned queries, updates, verify, rtree_queries, leaf_fill, hot, step_work;
    enum tr_fleet_kernel kernel;
    uint64_t seed;
    const char *json;
};

struct job {
    double lat, lon;
    uint64_t skill;
};

struct figures {
    double insert_s, build_ms, rebuild_ms, timer_ns;
    double upd_med, upd_p99;
    double med, p99, p999, mean, max;
    double mix_med, mix_p99, rebuilt_med, rebuilt_p99;
    double tree_max_ms; /* the largest single tree's whole rebuild */
    double step_max_ms, step_p99_ms, step_med_ms, inc_total_ms, inc_q_med, inc_q_p99;
    double cpu_max_ms, cpu_p99_ms; /* the same steps in thread CPU time */
    unsigned steps, inc_verified, inc_mismatches;
    double brute_med, rtree_med, rtree_build_s;
    unsigned verified, mismatches, rtree_done, rtree_mismatches;
    uint64_t fallbacks, overflow;
};

static int usage(const char *argv0)
{
    fprintf(
        stderr,
        "usage: %s [--count N] [--queries N] [--updates N] [--verify N] [--rtree N]\n"
        "          [--kernel auto|scalar|avx2|avx512] [--leaf-fill N] [--seed N] [--json FILE]\n"
        "          [--step-work N]  (incremental rebuild units per step; 0 = skip)\n"
        "          [--hot 1]  (diagnostic: run each query once untimed first)\n",
        argv0);
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ 1000000, 20000, 1000000, 1000, 500, 0, 0, 300000, TR_FLEET_KERNEL_AUTO,
                        1,       NULL };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--count") == 0)
            o->count = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--queries") == 0)
            o->queries = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--updates") == 0)
            o->updates = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--verify") == 0)
            o->verify = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--rtree") == 0)
            o->rtree_queries = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--step-work") == 0)
            o->step_work = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--hot") == 0)
            o->hot = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--leaf-fill") == 0)
            o->leaf_fill = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o->seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else if (strcmp(a, "--kernel") == 0) {
            if (strcmp(v, "auto") == 0)
                o->kernel = TR_FLEET_KERNEL_AUTO;
            else if (strcmp(v, "scalar") == 0)
                o->kernel = TR_FLEET_KERNEL_SCALAR;
            else if (strcmp(v, "avx2") == 0)
                o->kernel = TR_FLEET_KERNEL_AVX2;
            else if (strcmp(v, "avx512") == 0)
                o->kernel = TR_FLEET_KERNEL_AVX512;
            else
                return -1;
        } else
            return -1;
    }
    if (o->count == 0 || o->queries == 0)
        return -1;
    if (o->verify > o->queries)
        o->verify = o->queries;
    if (o->rtree_queries > o->queries)
        o->rtree_queries = o->queries;
    return 0;
}

static double timer_overhead_ns(void)
{
    enum { N = 20000 };
    double *v = malloc(N * sizeof(*v)), med = NAN;
    if (!v)
        return med;
    for (int i = 0; i < N; i++) {
        double t0 = now_ns();
        v[i] = now_ns() - t0;
    }
    med = quantile(v, N, 0.5);
    free(v);
    return med;
}

/* Timed k=5 queries over jobs[0..n); lat[] gets per-query ns. answers may be NULL.
 * hot: run each query once untimed first (compute cost without cache misses). */
static void run_queries(struct tr_fleet *f, const struct job *jobs, unsigned n, double *lat,
                        struct tr_fleet_result *answers, size_t *counts, bool hot)
{
    struct tr_fleet_result res[K];
    for (unsigned i = 0; i < n; i++) {
        struct tr_fleet_query q = {
            .lat = jobs[i].lat, .lon = jobs[i].lon, .required_skills = jobs[i].skill, .k = K
        };
        size_t got = 0;
        if (hot)
            tr_fleet_knn(f, &q, res, &got);
        double t0 = now_ns();
        int rc = tr_fleet_knn(f, &q, res, &got);
        double t1 = now_ns();
        lat[i] = t1 - t0;
        if (rc != TR_FLEET_OK) {
            fprintf(stderr, "bench_knn: query: %s\n", tr_fleet_strerror(rc));
            exit(1);
        }
        if (answers) {
            memcpy(answers + (size_t)i * K, res, got * sizeof(*res));
            counts[i] = got;
        }
    }
}

static void move_one(struct tr_fleet *f, struct bench_contractor *c, struct rng *r, uint32_t n)
{
    uint32_t i = (uint32_t)(rnd(r) % n);
    int rc;
    if (unif(r) < 0.02) {
        c[i].eligible = !c[i].eligible;
        rc = tr_fleet_set_eligible(f, i, c[i].eligible);
    } else {
        c[i].lat = clamp_lat(c[i].lat + 0.150 * gauss(r) / 111.195);
        c[i].lon += 0.150 * gauss(r) / (111.195 * cos(c[i].lat * M_PI / 180.0));
        rc = tr_fleet_move(f, i, c[i].lat, c[i].lon);
    }
    if (rc != TR_FLEET_OK) {
        fprintf(stderr, "bench_knn: update: %s\n", tr_fleet_strerror(rc));
        exit(1);
    }
}

/* This thread's CPU time: a step's own cost, without the time the shared
 * machine's scheduler took the CPU away in the middle of it. */
static double cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void one_query(struct tr_fleet *f, const struct job *jb, struct tr_fleet_result *res,
                      size_t *got)
{
    struct tr_fleet_query q = {
        .lat = jb->lat, .lon = jb->lon, .required_skills = jb->skill, .k = K
    };
    int rc = tr_fleet_knn(f, &q, res, got);
    if (rc != TR_FLEET_OK) {
        fprintf(stderr, "bench_knn: query: %s\n", tr_fleet_strerror(rc));
        exit(1);
    }
}

/* The periodic rebuild of every skill tree in bounded steps, with traffic
 * between steps (10 updates, one timed query, every 16th verified). */
static void run_incremental(struct tr_fleet *f, struct bench_contractor *c, struct rng *r,
                            const struct opts *o, const struct job *jobs, struct figures *g)
{
    size_t cap = 4096, n = 0;
    double *step = malloc(cap * sizeof(*step)), *ql = malloc(cap * sizeof(*ql)), work = 0.0;
    double *cpu = malloc(cap * sizeof(*cpu));
    struct tr_fleet_result res[K], want[K];
    if (!step || !ql || !cpu) {
        fprintf(stderr, "bench_knn: out of memory\n");
        exit(1);
    }
    for (unsigned bit = 0; bit < NSKILLS; bit++) {
        bool done = false;
        while (!done) {
            double c0 = cpu_ns(), t0 = now_ns();
            int rc = tr_fleet_rebuild_step(f, bit, o->step_work, &done);
            double t1 = now_ns(), c1 = cpu_ns();
            if (rc != TR_FLEET_OK) {
                fprintf(stderr, "bench_knn: rebuild step: %s\n", tr_fleet_strerror(rc));
                exit(1);
            }
            if (n == cap) {
                cap *= 2;
                double *a = realloc(step, cap * sizeof(*step)), *b = realloc(ql, cap * sizeof(*ql));
                double *cc = a && b ? realloc(cpu, cap * sizeof(*cpu)) : NULL;
                if (!a || !b || !cc) {
                    fprintf(stderr, "bench_knn: out of memory\n");
                    exit(1);
                }
                step = a;
                ql = b;
                cpu = cc;
            }
            step[n] = t1 - t0;
            cpu[n] = c1 - c0;
            work += t1 - t0;
            for (int u = 0; u < 10; u++)
                move_one(f, c, r, o->count);
            const struct job *jb = &jobs[n % o->queries];
            size_t got = 0;
            double q0 = now_ns();
            one_query(f, jb, res, &got);
            ql[n] = now_ns() - q0;
            if (n % 16 == 0 && g->inc_verified < o->verify / 4) {
                size_t nw = brute_knn(c, o->count, jb->lat, jb->lon, jb->skill, K, want);
                g->inc_verified++;
                g->inc_mismatches += !same(res, got, want, nw);
            }
            n++;
        }
    }
    g->steps = (unsigned)n;
    g->inc_total_ms = work / 1e6;
    g->step_med_ms = quantile(step, n, 0.5) / 1e6;
    g->step_p99_ms = quantile(step, n, 0.99) / 1e6;
    g->step_max_ms = step[n - 1] / 1e6;
    g->cpu_p99_ms = quantile(cpu, n, 0.99) / 1e6;
    g->cpu_max_ms = cpu[n - 1] / 1e6;
    g->inc_q_med = quantile(ql, n, 0.5);
    g->inc_q_p99 = quantile(ql, n, 0.99);
    free(step);
    free(ql);
    free(cpu);
}

static void report(const struct opts *o, const struct figures *g, enum tr_fleet_kernel kernel)
{
    double rtree_ratio = g->rtree_med / g->med, brute_ratio = g->brute_med / g->med;
    bool matches = g->verified > 0 && g->mismatches == 0 && g->rtree_mismatches == 0;

    printf("\nbench_knn: %u contractors, %u queries (k=%d, one skill), kernel %s\n", o->count,
           o->queries, K, tr_fleet_kernel_name(kernel));
    printf("  timing: clock_gettime(CLOCK_MONOTONIC) per query, timer cost %.0f ns included\n",
           g->timer_ns);
    printf("  %-44s %12s %12s\n", "", "median us", "p99 us");
    printf("  %-44s %12.3f %12.3f\n", "fleet knn after updates (no rebuild)", g->med / 1e3,
           g->p99 / 1e3);
    printf("  %-44s %12.3f %12.3f\n", "fleet knn, 10 updates between queries", g->mix_med / 1e3,
           g->mix_p99 / 1e3);
    printf("  %-44s %12.3f %12.3f\n", "fleet knn after a full rebuild", g->rebuilt_med / 1e3,
           g->rebuilt_p99 / 1e3);
    printf("  %-44s %12.3f %12.3f\n", "fleet update (move / eligibility)", g->upd_med / 1e3,
           g->upd_p99 / 1e3);
    printf("  %-44s %12.1f %12s\n", "brute-force scan", g->brute_med / 1e3, "");
    printf("  %-44s %12.1f %12s\n", "SQLite R*Tree, widening boxes", g->rtree_med / 1e3, "");
    printf("  p99.9 %.3f us, max %.3f us, mean %.3f us; exact fallback rounds %llu\n",
           g->p999 / 1e3, g->max / 1e3, g->mean / 1e3, (unsigned long long)g->fallbacks);
    printf("  verified %u queries against brute force: %u mismatches; R*Tree %u queries: %u "
           "mismatches\n",
           g->verified, g->mismatches, g->rtree_done, g->rtree_mismatches);
    printf("  initial load %.2f s, first build %.0f ms, rebuild after updates %.0f ms, "
           "overflow entries %llu, R*Tree build %.1f s\n",
           g->insert_s, g->build_ms, g->rebuild_ms, (unsigned long long)g->overflow,
           g->rtree_build_s);
    if (o->step_work)
        printf("  incremental rebuild of all trees, %u units a step: %u steps, %.0f ms of steps in "
               "all\n    worst step %.3f ms wall (p99 %.3f, median %.3f), %.3f ms thread CPU "
               "(p99 %.3f)\n    queries between steps median %.3f us, p99 %.3f us, %u "
               "verified: %u mismatches\n",
               o->step_work, g->steps, g->inc_total_ms, g->step_max_ms, g->step_p99_ms,
               g->step_med_ms, g->cpu_max_ms, g->cpu_p99_ms, g->inc_q_med / 1e3, g->inc_q_p99 / 1e3,
               g->inc_verified, g->inc_mismatches);
    printf("  whole rebuild: largest single tree %.1f ms (the stall a tick would take)\n",
           g->tree_max_ms);
    printf("  targets: median <= 1 us %s, p99 <= 3 us %s, exact %s, >= 100x R*Tree %s\n",
           g->med <= 1000.0 ? "MET" : "MISSED", g->p99 <= 3000.0 ? "MET" : "MISSED",
           matches ? "MET" : "MISSED", rtree_ratio >= 100.0 ? "MET" : "MISSED");

    char json[3072];
    snprintf(json, sizeof(json),
             "{\"bench\": \"knn\", \"contractors\": %u, \"queries\": %u, \"k\": %d, "
             "\"kernel\": \"%s\", \"timing\": \"clock_gettime per query\", "
             "\"timer_overhead_ns\": %.0f, "
             "\"knn_1m_median_us\": %.3f, \"knn_1m_p99_us\": %.3f, \"knn_1m_p999_us\": %.3f, "
             "\"knn_mixed_median_us\": %.3f, \"knn_mixed_p99_us\": %.3f, "
             "\"knn_rebuilt_median_us\": %.3f, \"knn_rebuilt_p99_us\": %.3f, "
             "\"knn_vs_rtree_ratio\": %.1f, \"knn_vs_bruteforce_ratio\": %.1f, "
             "\"rtree_median_us\": %.1f, \"bruteforce_median_us\": %.1f, "
             "\"knn_matches_bruteforce\": %s, \"verified_queries\": %u, \"rtree_queries\": %u, "
             "\"knn_update_median_us\": %.3f, \"knn_update_p99_us\": %.3f, "
             "\"knn_rebuild_ms\": %.1f, \"knn_first_build_ms\": %.1f, "
             "\"fallback_rounds\": %llu, \"overflow_entries\": %llu, "
             "\"knn_rebuild_tree_max_ms\": %.1f, \"knn_rebuild_step_work\": %u, "
             "\"knn_rebuild_steps\": %u, \"knn_rebuild_step_max_ms\": %.3f, "
             "\"knn_rebuild_step_p99_ms\": %.3f, \"knn_rebuild_step_cpu_max_ms\": %.3f, "
             "\"knn_rebuild_step_cpu_p99_ms\": %.3f, \"knn_rebuild_incremental_ms\": %.1f, "
             "\"knn_during_rebuild_median_us\": %.3f, \"knn_during_rebuild_p99_us\": %.3f, "
             "\"knn_during_rebuild_mismatches\": %u}",
             o->count, o->queries, K, tr_fleet_kernel_name(kernel), g->timer_ns, g->med / 1e3,
             g->p99 / 1e3, g->p999 / 1e3, g->mix_med / 1e3, g->mix_p99 / 1e3, g->rebuilt_med / 1e3,
             g->rebuilt_p99 / 1e3, rtree_ratio, brute_ratio, g->rtree_med / 1e3, g->brute_med / 1e3,
             matches ? "true" : "false", g->verified, g->rtree_done, g->upd_med / 1e3,
             g->upd_p99 / 1e3, g->rebuild_ms, g->build_ms, (unsigned long long)g->fallbacks,
             (unsigned long long)g->overflow, g->tree_max_ms, o->step_work, g->steps,
             g->step_max_ms, g->step_p99_ms, g->cpu_max_ms, g->cpu_p99_ms, g->inc_total_ms,
             g->inc_q_med / 1e3, g->inc_q_p99 / 1e3, g->inc_mismatches);
    printf("%s\n", json);
    if (o->json) {
        FILE *fp = fopen(o->json, "w");
        if (!fp || fprintf(fp, "%s\n", json) < 0 || fclose(fp) != 0)
            fprintf(stderr, "bench_knn: cannot write %s\n", o->json);
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench_world w;
    struct figures g = { 0 };
    struct tr_fleet *f = NULL;
    struct tr_fleet_stats st;
    struct bench_rtree *rt = NULL;

    if (parse(argc, argv, &o) != 0)
        return usage(argv[0]);
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_knn: warning: unoptimised build, numbers are meaningless\n");
#endif
    bench_world_init(&w);
    struct rng r = { o.seed };
    unsigned nmix = o.queries / 2;
    size_t nlat = o.updates > o.queries ? o.updates : o.queries;
    struct bench_contractor *c = calloc(o.count, sizeof(*c));
    struct job *jobs = malloc((o.queries + 2000) * sizeof(*jobs));
    double *lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
    struct tr_fleet_result *answers = malloc((size_t)o.verify * K * sizeof(*answers) + 1);
    size_t *counts = malloc((o.verify + 1) * sizeof(*counts));
    struct tr_fleet_params p = { .kernel = o.kernel, .leaf_fill = o.leaf_fill };
    if (!c || !jobs || !lat || !answers || !counts ||
        tr_fleet_new(o.count, &p, &f) != TR_FLEET_OK) {
        fprintf(stderr, "bench_knn: setup failed (memory or kernel)\n");
        return 1;
    }
    g.timer_ns = timer_overhead_ns();

    /* 1. the fleet */
    double t0 = now_ns();
    for (uint32_t i = 0; i < o.count; i++) {
        bench_world_place(&w, &r, &c[i].lat, &c[i].lon);
        c[i].skills = draw_skills(&w, &r);
        c[i].eligible = unif(&r) < 0.6;
        c[i].id = i;
        struct tr_fleet_entry e = { c[i].lat, c[i].lon, c[i].skills, c[i].eligible,
                                    INFINITY, 0,        c[i].id };
        if (tr_fleet_upsert(f, i, &e) != TR_FLEET_OK)
            return 1;
    }
    g.insert_s = (now_ns() - t0) / 1e9;
    t0 = now_ns();
    if (tr_fleet_rebuild(f, TR_FLEET_ALL_SKILLS) != TR_FLEET_OK)
        return 1;
    g.build_ms = (now_ns() - t0) / 1e6;
    fprintf(stderr, "bench_knn: loaded %u contractors in %.2f s, built in %.0f ms\n", o.count,
            g.insert_s, g.build_ms);

    /* 2. a million updates, no rebuild after them */
    for (unsigned i = 0; i < o.updates; i++) {
        double u0 = now_ns();
        move_one(f, c, &r, o.count);
        lat[i] = now_ns() - u0;
    }
    g.upd_med = quantile(lat, o.updates, 0.5);
    g.upd_p99 = quantile(lat, o.updates, 0.99);
    tr_fleet_stats(f, &st);
    g.overflow = st.overflow;
    fprintf(stderr, "bench_knn: %u updates, median %.3f us, overflow %llu\n", o.updates,
            g.upd_med / 1e3, (unsigned long long)st.overflow);

    /* 3. timed queries, after a warm-up on other jobs */
    for (unsigned i = 0; i < o.queries + 2000; i++) {
        bench_world_place(&w, &r, &jobs[i].lat, &jobs[i].lon);
        jobs[i].skill = draw_skill(&w, &r);
    }
    run_queries(f, jobs + o.queries, 2000, lat, NULL, NULL, o.hot);
    uint64_t fb0 = st.fallback_rounds;
    run_queries(f, jobs, o.verify, lat, answers, counts, o.hot);
    run_queries(f, jobs + o.verify, o.queries - o.verify, lat + o.verify, NULL, NULL, o.hot);
    tr_fleet_stats(f, &st);
    g.fallbacks = st.fallback_rounds - fb0;
    double sum = 0.0;
    for (unsigned i = 0; i < o.queries; i++)
        sum += lat[i];
    g.mean = sum / o.queries;
    g.med = quantile(lat, o.queries, 0.5);
    g.p99 = quantile(lat, o.queries, 0.99);
    g.p999 = quantile(lat, o.queries, 0.999);
    g.max = lat[o.queries - 1];

    /* 4. brute force: ground truth and baseline */
    struct tr_fleet_result want[K];
    for (unsigned i = 0; i < o.verify; i++) {
        double b0 = now_ns();
        size_t nw = brute_knn(c, o.count, jobs[i].lat, jobs[i].lon, jobs[i].skill, K, want);
        lat[i] = now_ns() - b0;
        g.verified++;
        if (!same(answers + (size_t)i * K, counts[i], want, nw))
            g.mismatches++;
    }
    g.brute_med = quantile(lat, o.verify, 0.5);
    fprintf(stderr, "bench_knn: brute force %u queries, %u mismatches\n", g.verified, g.mismatches);

    /* 5. SQLite R*Tree over the same final state */
    t0 = now_ns();
    if (o.rtree_queries && bench_rtree_open(c, o.count, &rt) != 0) {
        fprintf(stderr, "bench_knn: sqlite rtree setup failed\n");
        return 1;
    }
    g.rtree_build_s = (now_ns() - t0) / 1e9;
    for (unsigned i = 0; i < o.rtree_queries; i++) {
        size_t nr = 0;
        double q0 = now_ns();
        int rc = bench_rtree_knn(rt, jobs[i].lat, jobs[i].lon, jobs[i].skill, K, want, &nr);
        lat[i] = now_ns() - q0;
        g.rtree_done++;
        if (rc != 0 || (i < o.verify && !same(answers + (size_t)i * K, counts[i], want, nr)))
            g.rtree_mismatches++;
    }
    g.rtree_med = quantile(lat, o.rtree_queries, 0.5);
    bench_rtree_close(rt);

    /* 6. queries under update traffic (10 updates before each) */
    for (unsigned i = 0; i < nmix; i++) {
        for (int u = 0; u < 10; u++)
            move_one(f, c, &r, o.count);
        run_queries(f, jobs + i, 1, lat + i, NULL, NULL, o.hot);
    }
    g.mix_med = quantile(lat, nmix, 0.5);
    g.mix_p99 = quantile(lat, nmix, 0.99);

    /* 7. the periodic rebuild in bounded steps under traffic, then whole
     * (one tree at a time, as the engine did), and queries right after it */
    if (o.step_work)
        run_incremental(f, c, &r, &o, jobs, &g);
    for (unsigned bit = 0; bit < NSKILLS; bit++) {
        t0 = now_ns();
        if (tr_fleet_rebuild(f, UINT64_C(1) << bit) != TR_FLEET_OK)
            return 1;
        double ms = (now_ns() - t0) / 1e6;
        g.rebuild_ms += ms;
        g.tree_max_ms = ms > g.tree_max_ms ? ms : g.tree_max_ms;
    }
    run_queries(f, jobs, o.queries, lat, NULL, NULL, o.hot);
    g.rebuilt_med = quantile(lat, o.queries, 0.5);
    g.rebuilt_p99 = quantile(lat, o.queries, 0.99);

    tr_fleet_stats(f, &st);
    report(&o, &g, st.kernel);
    tr_fleet_free(f);
    free(c);
    free(jobs);
    free(lat);
    free(answers);
    free(counts);
    return 0;
}
