/*
 * tests/fuzz/fuzz_gpx.c: feeds the input to the GPX reader (tr_gpx_parse)
 * with small limits, then drives what it read through the replay helper and
 * the reporting policy. Besides "never crash, leak or hit undefined
 * behaviour", checks: a rejection has a code, a reason and a line inside
 * the input; an accepted document's points are valid fixes (lat/lon in
 * range, time >= 0, seq = index, mode 1..3, speed 0..150, heading
 * 0..360) within the point limit; the replay hands out each point whose
 * time increases, in order; every report the policy makes is finite. Also
 * parses the first bytes as an ISO-8601 time. Built as a libFuzzer target
 * with TR_FUZZ, otherwise linked with replay_main.c to replay the corpus.
 */
#include "fieldagent/core/policy.h"
#include "fieldagent/gps/gpx.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_POINTS 2000

static void check_point(const struct tr_gpx_point *p, size_t i)
{
    const struct tr_fix *f = &p->fix;
    if (!(f->lat >= -90.0 && f->lat <= 90.0 && f->lon >= -180.0 && f->lon <= 180.0) || f->t < 0 ||
        f->seq != (int64_t)i || f->mode < 1 || f->mode > 3 || f->has_acc ||
        (f->has_speed && !(f->speed >= 0.0 && f->speed <= 150.0)) ||
        (f->has_heading && !(f->heading >= 0.0 && f->heading < 360.0)) ||
        (p->has_hdop && !(p->hdop >= 0.0 && isfinite(p->hdop))) || p->line < 1 || p->segment < 0)
        abort();
}

static void drive(const struct tr_gpx *g)
{
    /* replay at 10x, gaps capped: every usable point once, in order */
    struct tr_gpx_replay r;
    struct tr_gpx_replay_opts o = { 10.0, 5000, false };
    if (tr_gpx_replay_init(&r, g, 1000, &o) != TR_GPX_OK)
        abort();
    struct tr_policy pol;
    tr_policy_init(&pol, NULL);
    struct tr_fix f;
    size_t out = 0;
    int64_t last = INT64_MIN;
    for (int64_t now = 1000; out <= g->n_points;) {
        int rc = tr_gpx_replay_next(&r, now, &f);
        if (rc < 0)
            break;
        if (rc == 0) {
            int64_t due = tr_gpx_replay_due_ms(&r);
            if (due <= now)
                abort(); /* something is due but nothing came */
            now = due;
            continue;
        }
        if (f.t < last || f.t > now)
            abort();
        last = f.t;
        out++;
        struct tr_geo_report rep;
        enum tr_agent_mode mode = (enum tr_agent_mode)(out / 97 % TR_POLICY_N_MODES);
        if (tr_policy_on_fix(&pol, &f, mode, now, &rep) != TR_REPORT_NONE &&
            !(isfinite(rep.lat) && isfinite(rep.lon) && isfinite(rep.speed_mps) &&
              (!(rep.has & TR_GEO_HAS_HEADING) || isfinite(rep.heading_deg))))
            abort();
        tr_policy_on_tick(&pol, now + 500, mode, &rep);
    }
    if (out + r.n_skipped != g->n_points)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_gpx *g = NULL;
    struct tr_gpx_error err;
    struct tr_gpx_limits lim = { 1u << 20, MAX_POINTS };
    int64_t ms;

    (void)tr_gpx_parse_time((const char *)data, size < 40 ? size : 40, &ms);
    int rc = tr_gpx_parse((const char *)data, size, &lim, &g, &err);
    if (rc != TR_GPX_OK) {
        size_t lines = 1;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (g || err.code != rc || !err.reason[0] || err.line < 0 || (size_t)err.line > lines)
            abort();
        return 0;
    }
    if (!g || g->n_points > MAX_POINTS || (g->version != 10 && g->version != 11))
        abort();
    for (size_t i = 0; i < g->n_points; i++)
        check_point(&g->points[i], i);
    drive(g);
    tr_gpx_free(g);
    return 0;
}
