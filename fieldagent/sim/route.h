/*
 * fieldagent/sim/route.h: a simulated drive cut from a real GPX track
 * (pure).
 *
 * What it does: take a stretch of a recorded track (data/tracks) and move it
 * so that it starts where the contractor is and ends at the job site: from
 * a start point, the stretch runs until the straight-line distance from its
 * start reaches the distance to the site (or the track ends), then the
 * whole stretch is turned and scaled about its start (a similarity
 * transform in a local flat frame) so that its end lands on the site. The
 * turns, stops, speed changes and GPS noise of the real drive are kept;
 * speeds scale with the stretch (usually by 0.5 .. 2) and courses turn with
 * it. Points with <fix>none</fix> or a time that does not increase are
 * left out. Also: the same track merely shifted (no turn, no scale) so its
 * first point is at a given place, for contractors roaming their area.
 *
 * The result is a struct tr_gpx (fieldagent/gps/gpx.h) that the replay
 * helper (tr_gpx_replay_*) hands out against the simulator's clock, as the
 * real agent replays gps.replay files.
 *
 * What it does not do: roads (the stretch goes where the recorded car went,
 * turned), I/O or clocks. The flat frame is good to a few metres over the
 * tens of kilometres a job is away.
 */
#ifndef TR_SIM_ROUTE_H
#define TR_SIM_ROUTE_H

#include <stddef.h>

#include "fieldagent/gps/gpx.h"

enum tr_sim_route_err {
    TR_SIM_ROUTE_OK = 0,
    TR_SIM_ROUTE_ERR_INVALID = 1, /* NULL, invalid coordinates */
    TR_SIM_ROUTE_ERR_TRACK = 2,   /* the track has no stretch that moves (< 2 usable points) */
    TR_SIM_ROUTE_ERR_NOMEM = 3,
};

/* Shortest stretch displacement used; shorter trips are scaled down from it. */
#define TR_SIM_ROUTE_MIN_M 300.0

/*
 * A drive from (from_lat, from_lon) to (to_lat, to_lon) cut from track,
 * starting at point index `start` (taken modulo the number of points; a
 * start whose stretch barely moves is moved on through the track). On
 * success *out is the caller's (tr_gpx_free): its first point is exactly
 * `from`, its last exactly `to`, times as in the track.
 */
int tr_sim_route_fit(const struct tr_gpx *track, size_t start, double from_lat, double from_lon,
                     double to_lat, double to_lon, struct tr_gpx **out);

/* The whole track shifted so that its first usable point is at (lat, lon). */
int tr_sim_route_shift(const struct tr_gpx *track, double lat, double lon, struct tr_gpx **out);

const char *tr_sim_route_strerror(int err);

#endif
