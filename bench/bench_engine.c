/*
 * bench/bench_engine.c: the pure dispatcher engine's share of "job request
 * -> offer published" (SPEC.md "Figures it must reach", dispatch): the time
 * of tr_engine_job_create up to its SEND_OFFER action, with --count
 * contractors (default 1M) loaded, online, available and placed.
 *
 * Workload: contractors as in bench_knn (90 % around the 100 largest US
 * metro areas, 10 % thin rural rest; 16 skills, Zipf-like, 1-4 each; tier
 * 1-3; 70 % car, 10 % motorcycle, 15 % bicycle, 5 % foot; radius 50 km,
 * job limit 1; English, one in five also es-MX), loaded through the public
 * API (directory upsert, presence, one fix), index trees rebuilt once. Then
 * --jobs jobs with sites drawn like the fleet, one skill (same skew), one in
 * ten asking for "es": each create is timed alone (the figure: those that
 * end in SEND_OFFER; creates ending unassigned, which also compute the
 * reason, are reported apart); between two creates,
 * untimed, the job is cancelled (so the fleet stays as loaded) and
 * --moves position updates stand in for ingest traffic; a tick every 100
 * jobs (index maintenance: its slowest run is reported).
 *
 * Baseline in the same run: a brute-force matcher (a linear scan over every
 * contractor with tr_geo_distance_m, the same filters, steps and ETA
 * ranking) on --verify of the jobs; it also checks the engine picked the
 * same contractor. Timing: clock_gettime(CLOCK_MONOTONIC) around each call.
 * Prints a table and JSON (also to --json FILE). Asserts nothing about time.
 */
#include "bench/bench_world.h"
#include "bench/bench_util.h"

#include "common/geo.h"
#include "dispatcher/core/engine.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NSKILLS BENCH_WORLD_SKILLS
#define T0      1700000000000LL

/* v sorted by the caller; nearest rank. */
static double q_sorted(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

/* The benchmark's own copy of what it told the engine (the baseline scans it). */
struct con {
    double lat, lon;
    uint16_t skills;
    uint8_t tier, mode;
    bool es;
};

struct opts {
    uint32_t count;
    unsigned jobs, verify, moves;
    uint64_t seed;
    const char *json;
};

static int usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s [--count N] [--jobs N] [--verify N] [--moves N] [--seed N] [--json FILE]\n",
            argv0);
    return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
    *o = (struct opts){ 1000000, 20000, 300, 50, 1, NULL };
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return -1;
        const char *a = argv[i], *v = argv[i + 1];
        if (strcmp(a, "--count") == 0)
            o->count = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--jobs") == 0)
            o->jobs = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--verify") == 0)
            o->verify = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--moves") == 0)
            o->moves = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "--seed") == 0)
            o->seed = strtoull(v, NULL, 10);
        else if (strcmp(a, "--json") == 0)
            o->json = v;
        else
            return -1;
    }
    if (o->count == 0 || o->count > (1u << 26) || o->jobs == 0)
        return -1;
    if (o->verify > o->jobs)
        o->verify = o->jobs;
    return 0;
}

static void con_id(uint32_t i, char out[TR_MSG_ID_SIZE])
{
    snprintf(out, TR_MSG_ID_SIZE, "c%07u", i);
}

static int load(struct tr_engine *e, struct con *c, uint32_t n, const struct bench_world *w,
                struct rng *r)
{
    static const double mode_cdf[4] = { 0.70, 0.80, 0.95, 1.0 };
    struct tr_contractor p;
    for (uint32_t i = 0; i < n; i++) {
        memset(&p, 0, sizeof(p));
        con_id(i, p.contractor_id);
        snprintf(p.name, sizeof(p.name), "Tech %u", i);
        double u = unif(r);
        int ns = u < 0.45 ? 1 : u < 0.75 ? 2 : u < 0.90 ? 3 : 4;
        while (__builtin_popcount(c[i].skills) < ns)
            c[i].skills |= (uint16_t)(1u << bench_pick_cdf(w->skill_cdf, NSKILLS, unif(r)));
        for (int b = 0; b < NSKILLS; b++)
            if (c[i].skills & (1u << b))
                snprintf(p.skills[p.n_skills++], TR_MSG_SKILL_SIZE, "s%02d", b);
        c[i].es = unif(r) < 0.2;
        snprintf(p.languages[p.n_languages++], TR_MSG_LANG_SIZE, "en");
        if (c[i].es)
            snprintf(p.languages[p.n_languages++], TR_MSG_LANG_SIZE, "es-MX");
        c[i].tier = (uint8_t)(1 + rnd(r) % 3);
        c[i].mode = (uint8_t)bench_pick_cdf(mode_cdf, 4, unif(r));
        p.has_tier = p.has_travel_mode = true;
        p.tier = c[i].tier;
        p.travel_mode = (enum tr_travel_mode)c[i].mode;
        snprintf(p.timezone, sizeof(p.timezone), "UTC");
        bench_world_place(w, r, &c[i].lat, &c[i].lon);
        if (c[i].lat > 89.0)
            c[i].lat = 89.0;
        c[i].lon = tr_geo_normalize_lon(c[i].lon);
        struct tr_presence pr = { .online = true,
                                  .has_available = true,
                                  .available = true,
                                  .has_on_shift = true,
                                  .on_shift = true,
                                  .has_mode = true,
                                  .has_active_jobs = true };
        snprintf(pr.agent_id, sizeof(pr.agent_id), "%s", p.contractor_id);
        snprintf(pr.boot_id, sizeof(pr.boot_id), "b1");
        struct tr_fix f = { .t = T0, .lat = c[i].lat, .lon = c[i].lon, .mode = 3 };
        int rc = tr_engine_contractor_upsert(e, &p, T0);
        if (rc == TR_ENGINE_OK)
            rc = tr_engine_presence(e, &pr, T0);
        if (rc == TR_ENGINE_OK)
            rc = tr_engine_fix(e, p.contractor_id, &f, T0, NULL);
        if (rc != TR_ENGINE_OK) {
            fprintf(stderr, "bench_engine: load %u: %s\n", i, tr_engine_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* The baseline: every contractor, the engine's rules (steps, ETA tie band,
 * then lower ETA, then lower index; jobs today are all 0 here). */
static long brute(const struct con *c, uint32_t n, const struct tr_engine_params *p, double lat,
                  double lon, unsigned skill, bool es)
{
    double steps[3] = { p->base_radius_km * 1000.0, p->base_radius_km * 2000.0,
                        p->default_max_radius_km * 1000.0 };
    double best = INFINITY;
    int best_step = 3;
    double *eta = malloc(n * sizeof(*eta));
    int *step = malloc(n * sizeof(*step));
    if (!eta || !step) {
        free(eta);
        free(step);
        return -2;
    }
    for (uint32_t i = 0; i < n; i++) {
        step[i] = 3;
        if (!(c[i].skills & (1u << skill)) || (es && !c[i].es))
            continue;
        double d = tr_geo_distance_m(lat, lon, c[i].lat, c[i].lon);
        if (!(d <= 50000.0))
            continue;
        int s = d <= steps[0] ? 0 : d <= steps[1] ? 1 : d <= steps[2] ? 2 : 3;
        step[i] = s;
        eta[i] = d * p->detour_factor / (p->speed_kmh[c[i].mode] / 3.6);
        if (s < best_step || (s == best_step && eta[i] < best)) {
            best_step = s;
            best = eta[i];
        }
    }
    long pick = -1;
    for (uint32_t i = 0; i < n && best_step < 3; i++)
        if (step[i] <= best_step && eta[i] <= best + p->eta_tie_s &&
            (pick < 0 || eta[i] < eta[pick]))
            pick = (long)i;
    free(eta);
    free(step);
    return pick;
}

static void write_json(FILE *f, const struct opts *o, double p50, double p99, double p999,
                       double mx, double ratio, bool match, unsigned unassigned, double load_s,
                       double brute_med)
{
    fprintf(f,
            "{\"engine_create_p50_us\": %.2f, \"engine_create_p99_us\": %.2f, "
            "\"engine_create_p999_us\": %.2f, \"engine_create_max_us\": %.2f, "
            "\"engine_bruteforce_median_us\": %.1f, \"engine_vs_bruteforce_ratio\": %.1f, "
            "\"engine_matches_bruteforce\": %s, \"engine_contractors\": %u, "
            "\"engine_jobs\": %u, \"engine_unassigned\": %u, \"engine_load_s\": %.1f}\n",
            p50, p99, p999, mx, brute_med, ratio, match ? "true" : "false", o->count, o->jobs,
            unassigned, load_s);
}

int main(int argc, char **argv)
{
    struct opts o;
    struct bench_world w;
    struct tr_engine *e = NULL;
    struct tr_engine_params p;

    if (parse(argc, argv, &o) != 0)
        return usage(argv[0]);
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_engine: warning: unoptimised build, numbers are meaningless\n");
#endif
    bench_world_init(&w);
    struct rng r = { o.seed };
    tr_engine_params_default(&p);
    p.capacity = o.count;
    struct con *c = calloc(o.count, sizeof(*c));
    double *lat = malloc(o.jobs * sizeof(*lat)), *ulat = malloc(o.jobs * sizeof(*ulat));
    double *blat = malloc((o.verify + 1) * sizeof(*blat));
    if (!c || !lat || !ulat || !blat || tr_engine_new(&p, &e) != TR_ENGINE_OK) {
        fprintf(stderr, "bench_engine: setup failed\n");
        return 1;
    }
    double t0 = now_ns();
    if (load(e, c, o.count, &w, &r) != 0)
        return 1;
    double t1 = now_ns();
    if (tr_engine_fleet_rebuild(e) != TR_ENGINE_OK)
        return 1;
    double load_s = (t1 - t0) / 1e9, rebuild_ms = (now_ns() - t1) / 1e6;

    unsigned unassigned = 0, verified = 0, mismatches = 0, n_offered = 0;
    double tick_max_ms = 0.0;
    int64_t now = T0;
    char job_id[TR_MSG_ID_SIZE], want[TR_MSG_ID_SIZE];
    for (unsigned j = 0; j < o.jobs; j++) {
        struct tr_job_spec spec;
        struct tr_site site;
        memset(&spec, 0, sizeof(spec));
        memset(&site, 0, sizeof(site));
        snprintf(spec.title, sizeof(spec.title), "job");
        unsigned skill = (unsigned)bench_pick_cdf(w.skill_cdf, NSKILLS, unif(&r));
        spec.n_skills = 1;
        snprintf(spec.skills[0], TR_MSG_SKILL_SIZE, "s%02u", skill);
        bool es = unif(&r) < 0.1;
        if (es) {
            spec.has_language = true;
            snprintf(spec.language, sizeof(spec.language), "es");
        }
        bench_world_place(&w, &r, &site.lat, &site.lon);
        site.lon = tr_geo_normalize_lon(site.lon);
        snprintf(job_id, sizeof(job_id), "j-%u", j);
        now += 1;

        double a = now_ns();
        int rc = tr_engine_job_create(e, job_id, &spec, &site, 0, now);
        double b = now_ns();
        if (rc != TR_ENGINE_OK) {
            fprintf(stderr, "bench_engine: create: %s\n", tr_engine_strerror(rc));
            return 1;
        }
        size_t n;
        const struct tr_engine_action *act = tr_engine_actions(e, &n);
        const char *got = "";
        for (size_t i = 0; i < n; i++)
            if (act[i].kind == TR_ENGINE_SEND_OFFER)
                got = act[i].agent_id;
        if (got[0])
            lat[n_offered++] = (b - a) / 1000.0;
        else
            ulat[unassigned++] = (b - a) / 1000.0;
        if (j < o.verify) {
            char got_copy[TR_MSG_ID_SIZE];
            snprintf(got_copy, sizeof(got_copy), "%s", got);
            a = now_ns();
            long pick = brute(c, o.count, &p, site.lat, site.lon, skill, es);
            blat[verified++] = (now_ns() - a) / 1000.0;
            if (pick >= 0)
                con_id((uint32_t)pick, want);
            else
                want[0] = '\0';
            if (strcmp(want, got_copy) != 0)
                mismatches++;
        }
        if (got[0] && tr_engine_job_cancel(e, job_id, "bench", NULL, now) != TR_ENGINE_OK)
            return 1;
        if (!got[0])
            (void)tr_engine_job_forget(e, job_id, now);
        for (unsigned m = 0; m < o.moves; m++) {
            uint32_t i = (uint32_t)(rnd(&r) % o.count);
            double nlat = c[i].lat + 0.150 * gauss(&r) / 111.195;
            if (nlat > 89.0 || nlat < -89.0)
                continue;
            c[i].lat = nlat;
            c[i].lon = tr_geo_normalize_lon(c[i].lon + 0.150 * gauss(&r) /
                                                           (111.195 * cos(nlat * M_PI / 180.0)));
            struct tr_fix f = { .t = now, .lat = c[i].lat, .lon = c[i].lon, .mode = 3 };
            char id[TR_MSG_ID_SIZE];
            con_id(i, id);
            (void)tr_engine_fix(e, id, &f, now, NULL);
        }
        if (j % 100 == 99) {
            a = now_ns();
            (void)tr_engine_tick(e, now);
            double tick_ms = (now_ns() - a) / 1e6;
            if (tick_ms > tick_max_ms)
                tick_max_ms = tick_ms;
        }
    }
    qsort(lat, n_offered, sizeof(*lat), cmp_double);
    qsort(ulat, unassigned, sizeof(*ulat), cmp_double);
    qsort(blat, verified, sizeof(*blat), cmp_double);
    double p50 = q_sorted(lat, n_offered, 0.5), p99 = q_sorted(lat, n_offered, 0.99);
    double p999 = q_sorted(lat, n_offered, 0.999), mx = n_offered ? lat[n_offered - 1] : NAN;
    double bmed = q_sorted(blat, verified, 0.5);
    bool match = verified > 0 && mismatches == 0;
    printf("\nbench_engine: %u contractors loaded in %.1f s (index trees rebuilt in %.0f ms), "
           "%u jobs (%u unassigned), %u moves between jobs\n",
           o.count, load_s, rebuild_ms, o.jobs, unassigned, o.moves);
    printf("  %-34s %10s %10s %10s %10s\n", "", "p50 us", "p99 us", "p99.9 us", "max us");
    printf("  %-34s %10.2f %10.2f %10.2f %10.2f\n", "engine job_create -> SEND_OFFER", p50, p99,
           p999, mx);
    if (unassigned)
        printf("  %-34s %10.2f %10.2f %10.2f %10.2f\n", "engine job_create -> unassigned",
               q_sorted(ulat, unassigned, 0.5), q_sorted(ulat, unassigned, 0.99),
               q_sorted(ulat, unassigned, 0.999), ulat[unassigned - 1]);
    printf("  %-34s %10.1f   (%u jobs)\n", "brute-force matcher (baseline)", bmed, verified);
    printf("  slowest tick (untimed above; index maintenance, one skill tree): %.1f ms\n",
           tick_max_ms);
    printf("  ratio brute / engine (medians): %.0fx; same pick as brute force: %s (%u of %u)\n",
           bmed / p50, match ? "yes" : "NO", verified - mismatches, verified);
    write_json(stdout, &o, p50, p99, p999, mx, bmed / p50, match, unassigned, load_s, bmed);
    if (o.json) {
        FILE *f = fopen(o.json, "w");
        if (f) {
            write_json(f, &o, p50, p99, p999, mx, bmed / p50, match, unassigned, load_s, bmed);
            fclose(f);
        }
    }
    tr_engine_free(e);
    free(c);
    free(lat);
    free(ulat);
    free(blat);
    return 0;
}
