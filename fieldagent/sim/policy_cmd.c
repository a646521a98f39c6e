/*
 * fieldagent/sim/policy_cmd.c: `truckroll-sim policy`: replay one GPX track
 * through the reporting policy alone (fieldagent/core/policy.h) beside its
 * two baselines, and print what each would send and how far the
 * dispatcher's estimate strayed. scripts/bench reads its --json output.
 *
 * The error: at every fix after the first, the distance between the fix
 * (the true position) and tr_geo_predict(the last report sent at an
 * EARLIER fix, the fix's time, horizon). A report decided at a fix is taken
 * to land before the next fix, not at once: the honest measure for a
 * dispatcher that hears a report some time after the fix it carries. (If it
 * landed at once the error would be at most the threshold by construction.)
 * With 1 Hz tracks this is the error "one second late"; with sparse
 * receivers (6 s, 11 s between points) it includes everything that happened
 * unseen between the points. A fix that comes more than 10 s after the
 * previous one (the receiver was off: the same 10 s after which the 1 Hz
 * baseline stops counting) is not in max_err_m: no reporter could know
 * where the contractor went meanwhile. Those fixes are counted and their
 * worst error shown in the table. So are fixes the policy rejects as
 * outliers (a jump no vehicle makes: policy.h, F_OUTLIER): such a fix is
 * not where the contractor was, so it is not a true position to measure
 * against; the baselines do not see them either (each reporter is fed the
 * same fixes). Their count and worst error are in the table, never hidden.
 *
 * Does not talk to a broker or read a clock: fix times are the only time,
 * so the output is the same on every run.
 */
#include "fieldagent/sim/sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ERR_BOUND_M      50.0
#define FIXED_PERIOD_MS  1000
#define FIXED_MAX_GAP_MS 10000
#define DEFAULT_DISTANCE 50.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A trace's err_m: empty where there is no estimate yet. */
static const char *err_field(double err, char buf[32])
{
    if (!isfinite(err))
        return "";
    snprintf(buf, 32, "%.2f", err);
    return buf;
}

int tr_sim_policy_run(const struct tr_gpx *g, const struct tr_policy_params *pp,
                      const struct tr_agent_config *cfg, enum tr_agent_mode mode, double distance_m,
                      FILE *trace, struct tr_sim_policy_result *out)
{
    struct tr_policy pol;
    struct tr_distance_reporter dist;
    struct tr_fixed_rate fixed;
    struct tr_geo_report disp; /* what the dispatcher has before this fix */
    bool have_disp = false;
    double *errs = NULL;
    size_t n_errs = 0;
    int64_t t_first = 0, t_last = 0;
    int rc = -1;

    if (!g || !out)
        return -1;
    memset(out, 0, sizeof *out);
    if (tr_policy_init(&pol, pp) != TR_POLICY_OK)
        return -1;
    if (cfg && tr_policy_apply_config(&pol, cfg) != TR_POLICY_OK)
        return -1;
    tr_distance_reporter_init(&dist, distance_m);
    tr_fixed_rate_init(&fixed, FIXED_PERIOD_MS, FIXED_MAX_GAP_MS);
    errs = malloc((g->n_points ? g->n_points : 1) * sizeof *errs);
    if (!errs)
        return -1;
    if (trace)
        fprintf(trace, "line,t_ms,lat,lon,speed,heading,err_m,reason\n");
    out->points = g->n_points;
    for (size_t i = 0; i < g->n_points; i++) {
        const struct tr_fix *f = &g->points[i].fix;
        uint64_t used_before = pol.n_fixes, outliers_before = pol.n_outliers;
        struct tr_geo_report rep;
        double err = NAN;
        char ebuf[32];

        if (have_disp && f->mode >= 2 && tr_geo_valid(f->lat, f->lon)) {
            double lat, lon;
            tr_geo_predict(&disp, f->t, pol.p.horizon_s, &lat, &lon);
            err = tr_geo_distance_m(f->lat, f->lon, lat, lon);
        }
        enum tr_report_reason why = tr_policy_on_fix(&pol, f, mode, f->t, &rep);
        if (pol.n_outliers != outliers_before) { /* rejected as an impossible jump */
            out->outliers++;
            if (isfinite(err) && err > out->max_err_outlier_m)
                out->max_err_outlier_m = err;
            if (trace)
                fprintf(trace, "%d,%lld,%.7f,%.7f,,,%s,outlier\n", g->points[i].line,
                        (long long)f->t, f->lat, f->lon, err_field(err, ebuf));
            continue;
        }
        if (pol.n_fixes == used_before) { /* ignored by the policy */
            out->skipped++;
            continue;
        }
        bool after_gap = out->fixes > 0 && f->t - t_last > FIXED_MAX_GAP_MS;
        if (out->fixes == 0)
            t_first = f->t;
        t_last = f->t;
        out->fixes++;
        if (isfinite(err) && after_gap) {
            out->after_gaps++;
            if (err > out->max_err_after_gap_m)
                out->max_err_after_gap_m = err;
        } else if (isfinite(err)) {
            errs[n_errs++] = err;
            if (err > out->max_err_m) {
                out->max_err_m = err;
                out->max_err_line = (size_t)g->points[i].line;
            }
            if (err > ERR_BOUND_M)
                out->over_50m++;
        }
        tr_distance_reporter_on_fix(&dist, f);
        tr_fixed_rate_on_fix(&fixed, f);
        if (why != TR_REPORT_NONE) {
            disp = rep;
            have_disp = true;
            out->messages++;
            out->reasons[why]++;
        }
        if (trace)
            fprintf(trace, "%d,%lld,%.7f,%.7f,%.2f,%.1f,%s,%s\n", g->points[i].line,
                    (long long)f->t, f->lat, f->lon, pol.cur.speed_mps, pol.cur.heading_deg,
                    err_field(err, ebuf), why == TR_REPORT_NONE ? "" : tr_policy_reason_name(why));
    }
    if (out->fixes == 0)
        goto done;
    out->duration_ms = t_last - t_first;
    out->fixed_rate_messages = tr_fixed_rate_messages(&fixed);
    out->distance_messages = dist.messages;
    out->ratio = (double)out->messages / (double)out->fixed_rate_messages;
    if (n_errs > 0) {
        qsort(errs, n_errs, sizeof *errs, cmp_double);
        out->p95_err_m = errs[(size_t)((double)(n_errs - 1) * 0.95)];
    }
    rc = 0;
done:
    free(errs);
    return rc;
}

static void usage(FILE *to)
{
    fputs("NAME\n"
          "    truckroll-sim policy - replay a GPX track through the position reporting policy\n"
          "\n"
          "SYNOPSIS\n"
          "    truckroll-sim policy TRACK.gpx [--state STATE] [--threshold M] [--json]\n"
          "                         [--distance M] [--latency MS] [--no-ahead] [--no-stop]\n"
          "                         [--no-turn] [--no-outlier] [--trace FILE]\n"
          "\n"
          "DESCRIPTION\n"
          "    Feeds the timed track points of TRACK.gpx (GPX 1.0 or 1.1), in file order, to\n"
          "    the field agent's reporting policy as GPS fixes in one agent state, and counts\n"
          "    the position reports it would send. Beside it, on the same fixes, run fixed\n"
          "    1 Hz reporting and a distance-threshold reporter (a report whenever the\n"
          "    contractor is 50 m from its last report). Nothing is sent anywhere and no\n"
          "    clock is read: the fix times drive everything, so the result is the same on\n"
          "    every run and every machine.\n"
          "\n"
          "    Points with <fix>none</fix>, or whose time does not increase, are skipped as\n"
          "    the agent skips such fixes. Where the file has no <speed> or <course>, the\n"
          "    policy derives them from consecutive points, as it does for a receiver that\n"
          "    gives none.\n"
          "\n"
          "OPTIONS\n"
          "    --state STATE   agent state: idle, offered, en_route (default), on_site,\n"
          "                    off_shift. Each has its own threshold and intervals.\n"
          "    --threshold M   the en-route threshold in metres (5..2000), as the\n"
          "                    dispatcher's agent_config threshold_m sets it; the other\n"
          "                    states scale from it. Default 45.\n"
          "    --distance M    the distance reporter's threshold in metres. Default 50.\n"
          "    --latency MS    delivery latency the policy's look-ahead allows for, in\n"
          "                    milliseconds (0..60000). Default 1000.\n"
          "    --no-ahead, --no-stop\n"
          "                    switch off the look-ahead or the stop rule of the policy, to\n"
          "                    see what each buys.\n"
          "    --no-turn       switch off the turn-rate model (heading, look-ahead and the\n"
          "                    aimed heading of reports: straight lines only).\n"
          "    --no-outlier    use every fix, even one that implies an impossible speed.\n"
          "    --json          print one JSON object instead of the table.\n"
          "    --trace FILE    write one CSV line per fix used or rejected as an outlier\n"
          "                    to FILE ('-': stdout): line,t_ms,lat,lon,speed,heading,\n"
          "                    err_m,reason (err_m empty before the first report).\n"
          "    -h, --help      print this help.\n"
          "\n"
          "OUTPUT\n"
          "    With --json, exactly:\n"
          "      {\"fixes\":N,\"messages\":M,\"ratio\":R,\"max_err_m\":E,"
          "\"distance_policy_messages\":D}\n"
          "    fixes      fixes the policy used;\n"
          "    messages   position reports it sent;\n"
          "    ratio      messages over those of fixed 1 Hz reporting for the track's\n"
          "               duration, gaps between fixes over 10 s counted as 10 s;\n"
          "    max_err_m  at every fix, the distance between the true position and the\n"
          "               dispatcher's estimate (the last report carried forward by its\n"
          "               speed and heading), the worst over the track. A report decided\n"
          "               at a fix counts from the next fix on (it is in flight until\n"
          "               then), so this includes one fix interval of latency. Fixes\n"
          "               more than 10 s after the previous one (the receiver was off)\n"
          "               are left out and shown apart in the table, and so are fixes\n"
          "               the policy rejected as impossible jumps (outliers);\n"
          "    distance_policy_messages\n"
          "               what the distance-threshold reporter sends on the same fixes.\n"
          "    The table adds the reasons for the reports, the 95th percentile error and\n"
          "    how many fixes were over 50 m.\n"
          "\n"
          "EXIT STATUS\n"
          "    0 on success; 1 when the track cannot be read or holds no usable fix;\n"
          "    2 on a usage error.\n"
          "\n"
          "EXAMPLES\n"
          "    truckroll-sim policy data/tracks/sbn-v13.gpx --state en_route --json\n"
          "    truckroll-sim policy data/tracks/bike.gpx --threshold 25\n"
          "    truckroll-sim policy data/tracks/iblue747.gpx --no-ahead --trace /tmp/t.csv\n",
          to);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(d) || d < lo || d > hi)
        return -1;
    *out = d;
    return 0;
}

static void print_table(const char *path, enum tr_agent_mode mode,
                        const struct tr_sim_policy_result *r)
{
    printf("track        %s\n", path);
    printf("state        %s\n", tr_msg_agent_mode_name(mode));
    printf("points       %zu (%zu used as fixes, %zu skipped)\n", r->points, r->fixes, r->skipped);
    printf("duration     %.0f s\n", (double)r->duration_ms / 1000.0);
    printf("%-24s %10s %10s\n", "reporter", "messages", "vs 1 Hz");
    printf("%-24s %10llu %10.4f\n", "fixed 1 Hz", (unsigned long long)r->fixed_rate_messages, 1.0);
    printf("%-24s %10llu %10.4f\n", "distance threshold", (unsigned long long)r->distance_messages,
           (double)r->distance_messages / (double)r->fixed_rate_messages);
    printf("%-24s %10llu %10.4f\n", "adaptive policy", (unsigned long long)r->messages, r->ratio);
    printf("policy vs distance       %.3f\n",
           r->distance_messages ? (double)r->messages / (double)r->distance_messages : 0.0);
    printf("reasons     ");
    for (int i = 1; i < TR_REPORT_REASONS; i++)
        printf(" %s %llu", tr_policy_reason_name((enum tr_report_reason)i),
               (unsigned long long)r->reasons[i]);
    printf("\n");
    printf("error        max %.1f m (line %zu), p95 %.1f m, %zu fixes over 50 m\n", r->max_err_m,
           r->max_err_line, r->p95_err_m, r->over_50m);
    printf("after gaps   %zu fixes more than 10 s after the previous one, not in the above:"
           " max %.1f m\n",
           r->after_gaps, r->max_err_after_gap_m);
    printf("outliers     %zu fixes rejected as impossible jumps, not in the above: max %.1f m\n",
           r->outliers, r->max_err_outlier_m);
}

int tr_sim_policy_main(int argc, char **argv)
{
    const char *path = NULL, *trace_path = NULL;
    enum tr_agent_mode mode = TR_MODE_EN_ROUTE;
    struct tr_agent_config cfg;
    struct tr_policy_params pp;
    double distance = DEFAULT_DISTANCE, d;
    bool json = false;
    struct tr_gpx *g = NULL;
    struct tr_gpx_error gerr;
    FILE *trace = NULL;
    int rc = 2;

    memset(&cfg, 0, sizeof cfg);
    tr_policy_params_default(&pp);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--no-ahead")) {
            pp.features &= ~TR_POLICY_F_AHEAD;
        } else if (!strcmp(a, "--no-stop")) {
            pp.features &= ~TR_POLICY_F_STOP;
        } else if (!strcmp(a, "--no-turn")) {
            pp.features &= ~TR_POLICY_F_TURN;
        } else if (!strcmp(a, "--no-outlier")) {
            pp.features &= ~TR_POLICY_F_OUTLIER;
        } else if (!strcmp(a, "--state") && val) {
            if (tr_msg_agent_mode_parse(val, &mode) != 0) {
                fprintf(stderr, "truckroll-sim policy: unknown state '%s'\n", val);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--threshold") && val) {
            if (parse_double(val, 5.0, 2000.0, &cfg.threshold_m) != 0) {
                fprintf(stderr, "truckroll-sim policy: --threshold wants 5..2000 m\n");
                return 2;
            }
            cfg.has_threshold_m = true;
            i++;
        } else if (!strcmp(a, "--distance") && val) {
            if (parse_double(val, 1.0, 100000.0, &distance) != 0) {
                fprintf(stderr, "truckroll-sim policy: --distance wants 1..100000 m\n");
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--latency") && val) {
            if (parse_double(val, 0.0, 60000.0, &d) != 0) {
                fprintf(stderr, "truckroll-sim policy: --latency wants 0..60000 ms\n");
                return 2;
            }
            pp.latency_ms = (int64_t)d;
            i++;
        } else if (!strcmp(a, "--trace") && val) {
            trace_path = val;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr,
                    "truckroll-sim policy: unknown or incomplete option '%s' (try --help)\n", a);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "truckroll-sim policy: one track only (try --help)\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "truckroll-sim policy: no track given (try --help)\n");
        return 2;
    }
    rc = 1;
    int grc = tr_gpx_load_file(path, NULL, &g, &gerr);
    if (grc != TR_GPX_OK) {
        fprintf(stderr, "truckroll-sim policy: %s:%d: %s: %s\n", path, gerr.line,
                tr_gpx_strerror(grc), gerr.reason);
        goto done;
    }
    if (trace_path) {
        trace = strcmp(trace_path, "-") ? fopen(trace_path, "w") : stdout;
        if (!trace) {
            fprintf(stderr, "truckroll-sim policy: %s: %s\n", trace_path, strerror(errno));
            goto done;
        }
    }
    struct tr_sim_policy_result r;
    if (tr_sim_policy_run(g, &pp, cfg.has_threshold_m ? &cfg : NULL, mode, distance, trace, &r) !=
        0) {
        fprintf(stderr, "truckroll-sim policy: %s: no usable fix\n", path);
        goto done;
    }
    if (json)
        printf("{\"fixes\":%zu,\"messages\":%llu,\"ratio\":%.4f,\"max_err_m\":%.2f,"
               "\"distance_policy_messages\":%llu}\n",
               r.fixes, (unsigned long long)r.messages, r.ratio, r.max_err_m,
               (unsigned long long)r.distance_messages);
    else
        print_table(path, mode, &r);
    rc = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "truckroll-sim policy: cannot write the output\n");
        rc = 1;
    }
done:
    if (trace && trace != stdout && fclose(trace) != 0 && rc == 0) {
        fprintf(stderr, "truckroll-sim policy: cannot write the trace\n");
        rc = 1;
    }
    tr_gpx_free(g);
    return rc;
}
