/*
 * fieldagent/core/arrival.h: arrival detection at a job site (pure).
 *
 * What it does: from the fixes the agent sees, decide when the tech has
 * arrived at a site: after dwelling inside the site's radius for dwell_ms
 * of fix time at a low speed, it suggests "arrived" once (the tech confirms
 * with `truckroll-agent arrive`; nothing is sent by itself). Hysteresis
 * keeps a noisy fix at the edge from flapping the state:
 *   - a fix counts as inside at distance <= radius_m, and as outside only
 *     beyond exit_radius = max(radius_m * exit_factor, radius_m + exit_min_m);
 *     in between the state does not change (a dwell under way goes on);
 *   - a fix moving faster than max_speed_mps restarts the dwell (driving
 *     past the site is not arriving);
 *   - a fix whose accuracy (acc) is worse than the radius is ignored;
 *   - after a suggestion, leaving past the exit radius re-arms it (LEFT).
 * Time is the fixes' own time (fix->t); fixes not after the previous one
 * are ignored, and a gap between fixes longer than dwell_ms restarts the
 * dwell (nothing is known about the gap).
 *
 * What it does not do: I/O, clocks, or decide anything about the job state
 * (fieldagent/core/jobs.c owns one detector per active job). Plain struct,
 * no allocation; not thread-safe (one owner).
 */
#ifndef TR_ARRIVAL_H
#define TR_ARRIVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"

enum tr_arrival_err {
    TR_ARRIVAL_OK = 0,
    TR_ARRIVAL_ERR_INVALID = 1, /* NULL, bad site, parameters out of range */
};

enum tr_arrival_event {
    TR_ARRIVAL_NONE = 0,
    TR_ARRIVAL_ENTERED = 1, /* first fix inside the radius: dwell starts */
    TR_ARRIVAL_SUGGEST = 2, /* dwelled long enough: suggest "arrived" (once) */
    TR_ARRIVAL_LEFT = 3,    /* left past the exit radius (after entering) */
};

enum tr_arrival_state { TR_ARRIVAL_OUTSIDE = 0, TR_ARRIVAL_DWELLING = 1, TR_ARRIVAL_SUGGESTED = 2 };

struct tr_arrival_params {
    int64_t dwell_ms;     /* default 60000; 0 ..= 3600000 */
    double max_speed_mps; /* default 2.0 (walking pace; a parked car) */
    double exit_factor;   /* default 1.5; >= 1 */
    double exit_min_m;    /* default 25; >= 0 */
};

struct tr_arrival {
    struct tr_arrival_params p;
    double lat, lon, radius_m, exit_m;
    enum tr_arrival_state state;
    bool inside;          /* last counted fix was inside (with hysteresis) */
    bool dwell_running;   /* a dwell is timed from dwell_start */
    int64_t dwell_start;  /* fix time the dwell started */
    int64_t last_t;       /* time of the last fix looked at */
    double last_distance; /* metres from the site, NaN before any fix */
};

void tr_arrival_params_default(struct tr_arrival_params *p);

/* Watch the site (lat, lon) with radius_m (the contract's 10 ..= 5000).
 * p may be NULL (defaults). */
int tr_arrival_init(struct tr_arrival *a, const struct tr_arrival_params *p, double lat, double lon,
                    double radius_m);

/* One fix. Returns what changed (NONE most of the time). */
enum tr_arrival_event tr_arrival_on_fix(struct tr_arrival *a, const struct tr_fix *fix);

const char *tr_arrival_event_name(enum tr_arrival_event e);

#endif
