/*
 * fieldagent/gps/gpx_replay.c: hand out a parsed track's points at real or
 * accelerated pace against a clock the caller passes in (see gpx.h). Pure:
 * no clock of its own, no sleeping, no I/O, no allocation.
 */
#include "fieldagent/gps/gpx.h"

#include <math.h>
#include <string.h>

/* Track milliseconds -> caller milliseconds at the replay's speed-up. */
static int64_t scaled(const struct tr_gpx_replay *r, int64_t track_ms)
{
    return (int64_t)llround((double)track_ms / r->o.speedup);
}

/* The pause between two loops of the track: a track second, but never
 * under 1 ms, so a fast replay's clock still moves from loop to loop. */
static int64_t loop_gap(const struct tr_gpx_replay *r)
{
    int64_t gap = scaled(r, 1000);
    return gap > 0 ? gap : 1;
}

/* A point with a fix (<fix>none</fix> is mode 1: a receiver without one,
 * skipped as gpsd's are), later than the last one handed out. */
static bool usable(const struct tr_gpx_replay *r, size_t i)
{
    const struct tr_fix *f = &r->g->points[i].fix;
    return f->mode >= 2 && (!r->started || f->t > r->last_t);
}

/* Index of the next usable point from r->next (n_points if none). */
static size_t next_usable(const struct tr_gpx_replay *r)
{
    size_t i = r->next;
    while (i < r->g->n_points && !usable(r, i))
        i++;
    return i;
}

/* Compressed track time of point i (usable) from the loop's start. */
static int64_t track_time(const struct tr_gpx_replay *r, size_t i)
{
    if (!r->started)
        return 0;
    int64_t gap = r->g->points[i].fix.t - r->last_t;
    if (r->o.max_gap_ms > 0 && gap > r->o.max_gap_ms)
        gap = r->o.max_gap_ms;
    return r->track_ms + gap;
}

/* When point i (usable) is due: by the track, but always at least 1 ms
 * after the point before, so fix times increase however fast the replay
 * (at most 1000 fixes a second of the caller's clock). */
static int64_t due_of(const struct tr_gpx_replay *r, size_t i)
{
    int64_t due = r->start_ms + scaled(r, track_time(r, i));
    return r->started && due <= r->last_due_ms ? r->last_due_ms + 1 : due;
}

int tr_gpx_replay_init(struct tr_gpx_replay *r, const struct tr_gpx *g, int64_t start_ms,
                       const struct tr_gpx_replay_opts *opts)
{
    if (!r || !g)
        return TR_GPX_ERR_INVALID;
    memset(r, 0, sizeof *r);
    r->g = g;
    if (opts)
        r->o = *opts;
    if (r->o.speedup == 0.0)
        r->o.speedup = 1.0;
    if (!isfinite(r->o.speedup) || r->o.speedup < 0.0 || r->o.max_gap_ms < 0)
        return TR_GPX_ERR_INVALID;
    r->start_ms = start_ms;
    r->last_due_ms = start_ms;
    return TR_GPX_OK;
}

int64_t tr_gpx_replay_due_ms(const struct tr_gpx_replay *r)
{
    if (!r || !r->g || r->g->n_points == 0)
        return INT64_MAX;
    size_t i = next_usable(r);
    if (i < r->g->n_points)
        return due_of(r, i);
    if (!r->o.loop)
        return INT64_MAX;
    return r->last_due_ms + loop_gap(r); /* the next loop's first point */
}

int tr_gpx_replay_next(struct tr_gpx_replay *r, int64_t now_ms, struct tr_fix *fix)
{
    if (!r || !r->g || !fix || r->g->n_points == 0)
        return -1;
    size_t i = next_usable(r);
    if (i == r->g->n_points) {
        /* no loop, or a track without one usable point: the end */
        if (!r->o.loop || !r->started) {
            r->n_skipped += i - r->next; /* the unusable tail */
            r->next = i;
            return -1;
        }
        if (now_ms < tr_gpx_replay_due_ms(r))
            return 0;
        /* start the next loop: its first usable point is due now */
        r->n_skipped += i - r->next;
        r->start_ms = r->last_due_ms + loop_gap(r);
        r->next = 0;
        r->started = false;
        r->track_ms = 0;
        i = next_usable(r); /* a usable point exists: the last loop handed one out */
        r->n_skipped += i;
        r->next = i;
    }
    int64_t tt = track_time(r, i);
    int64_t due = due_of(r, i);
    if (now_ms < due)
        return 0;
    r->n_skipped += i - r->next;
    *fix = r->g->points[i].fix;
    fix->t = due;
    fix->seq = r->seq++;
    if (fix->has_speed) {
        fix->speed *= r->o.speedup;
        if (fix->speed > 150.0)
            fix->has_speed = false;
    }
    r->track_ms = tt;
    r->last_t = r->g->points[i].fix.t;
    r->started = true;
    r->next = i + 1;
    r->last_due_ms = due;
    return 1;
}
