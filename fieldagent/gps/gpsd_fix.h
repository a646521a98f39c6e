/*
 * fieldagent/gps/gpsd_fix.h: the pure part of the gpsd source (library
 * tr_agent_gps): one gpsd TPV report -> a checked struct tr_fix, and the
 * epoch filter that turns gpsd's several TPV reports per receiver epoch into
 * one fix per distinct fix time.
 *
 * What it does: check a TPV's mode, time, position and optional fields
 * (gpsd reports missing values as NaN), convert gpsd's time to ms since the
 * Unix epoch, refuse fixes dated in the future of the caller's clock, and
 * pick which TPV of an epoch to publish. No I/O, no clock (time comes in as
 * now_ms), no libgps: it never includes <gps.h>, so tests use it without
 * gpsd. gpsd_source.c fills a struct tr_gpsd_tpv from libgps and calls it.
 *
 * The epoch rule (TR_GPSD_EMIT_LAST, the default): gpsd sends a TPV after
 * most sentences of a receiver epoch (RMC, then GGA, then GSA ...), each
 * with the same time and more fields merged in. The filter holds the latest
 * good TPV of the current time and publishes it when a TPV with another time
 * arrives, when hold_ms pass after the epoch started, or on a forced flush
 * (disconnect). So exactly one fix per distinct time, the most complete one,
 * at most about one epoch late. TR_GPSD_EMIT_FIRST publishes the first good
 * TPV of each time at once and drops the rest (lowest latency, fewer
 * fields). Either way a TPV with the time of the last published fix is
 * dropped (counted as a duplicate: gpsd repeats epochs, e.g. after a
 * reconnect), but times may go backwards: a fix is not refused for being
 * older than the last one, so one bad future-dated fix cannot make later
 * real fixes look stale.
 *
 * A no-fix TPV (mode < 2), or one refused for another reason, ends the held
 * epoch when its time differs from the held one; newer gpsd versions repeat
 * the last good time on no-fix reports, which therefore do not cancel it.
 *
 * All functions are thread-safe on distinct objects; nothing is allocated.
 */
#ifndef TR_GPSD_FIX_H
#define TR_GPSD_FIX_H

#include "common/msg.h"

#include <stdbool.h>
#include <stdint.h>

/* One TPV report as libgps decoded it. Doubles are NaN when gpsd did not
 * send the field. */
struct tr_gpsd_tpv {
    int mode;         /* 0 not seen, 1 no fix, 2 2D, 3 3D */
    bool has_time;    /* false: the TPV had no time */
    int64_t time_sec; /* fix time, seconds since the Unix epoch (UTC) */
    long time_nsec;   /* 0 ..= 999999999 */
    double lat, lon;  /* degrees */
    double eph;       /* horizontal error estimate, m */
    double epx, epy;  /* longitude / latitude error estimates, m */
    double speed;     /* m/s over ground */
    double track;     /* course over ground, degrees true */
};

/* Why a TPV gave no fix. Numbers never change. */
enum tr_gpsd_skip {
    TR_GPSD_SKIP_NONE = 0,         /* a good fix */
    TR_GPSD_SKIP_NO_FIX = 1,       /* mode < 2 (or > 3) */
    TR_GPSD_SKIP_NO_TIME = 2,      /* no time */
    TR_GPSD_SKIP_BAD_TIME = 3,     /* outside the contract's time_ms range (2000 ..= 2100) */
    TR_GPSD_SKIP_FUTURE = 4,       /* later than now_ms + max_future_ms */
    TR_GPSD_SKIP_BAD_POSITION = 5, /* lat or lon missing or not finite */
    TR_GPSD_SKIP_OUT_OF_RANGE = 6, /* |lat| > 90 or |lon| > 180 */
};

/* max_future_ms value that turns the future-time check off. */
#define TR_GPSD_NO_FUTURE_CHECK INT64_C(-1)

/* time_ms bounds of the wire contract (schemas/README.md). */
#define TR_GPSD_TIME_MS_MIN INT64_C(946684800000)
#define TR_GPSD_TIME_MS_MAX INT64_C(4102444800000)

/* Seconds + nanoseconds -> ms since the Unix epoch, rounded to the nearest ms
 * (gpsd's "...:53.408Z" may decode as .407999999 s). Saturates instead of
 * overflowing. */
int64_t tr_gpsd_time_ms(int64_t sec, long nsec);

/* libgps before API 9 gave the time as a double of seconds: the same in ms,
 * rounded; NaN and infinities give 0 (not a valid time). */
int64_t tr_gpsd_time_ms_from_double(double seconds);

/* Check one TPV and fill *out (seq 0: the caller numbers fixes). Optional
 * fields are set only when finite and inside the contract's range: acc from
 * eph (or epx/epy when eph is missing), speed, heading from track (360 is 0).
 * *dropped (may be NULL) gets the number of optional fields present but
 * omitted as out of range. max_future_ms < 0 turns the future check off.
 * Returns TR_GPSD_SKIP_NONE when *out is a fix to use; otherwise *out is
 * zeroed except t (the TPV's time when it had a usable one). */
enum tr_gpsd_skip tr_gpsd_tpv_to_fix(const struct tr_gpsd_tpv *tpv, int64_t now_ms,
                                     int64_t max_future_ms, struct tr_fix *out, int *dropped);

const char *tr_gpsd_skip_name(enum tr_gpsd_skip skip);

/* --- the epoch filter --- */
enum tr_gpsd_emit {
    TR_GPSD_EMIT_LAST = 0,  /* hold each epoch, publish its latest good TPV */
    TR_GPSD_EMIT_FIRST = 1, /* publish the first good TPV of each time at once */
};

/* What the filter did with an input (for counters). */
enum tr_gpsd_epoch_note {
    TR_GPSD_EPOCH_NEW = 0,       /* a new epoch started (held, or emitted with EMIT_FIRST) */
    TR_GPSD_EPOCH_SAME = 1,      /* a later TPV of the held epoch: it replaces the held fix */
    TR_GPSD_EPOCH_DUPLICATE = 2, /* its time was already published: dropped */
    TR_GPSD_EPOCH_IGNORED = 3,   /* a refused TPV that did not end the epoch */
    TR_GPSD_EPOCH_ENDED = 4,     /* a refused TPV with another time: the held fix was emitted */
};

/* A plain value; initialise with tr_gpsd_epoch_init. */
struct tr_gpsd_epoch {
    enum tr_gpsd_emit emit;
    int64_t hold_ms;
    bool held;
    int64_t held_since; /* now_ms when the held epoch started */
    struct tr_fix fix;  /* the held fix */
    bool has_last;
    int64_t last_t; /* time of the last fix emitted */
};

/* hold_ms <= 0 means 1500. */
void tr_gpsd_epoch_init(struct tr_gpsd_epoch *e, enum tr_gpsd_emit emit, int64_t hold_ms);

/* Feed a good fix. Returns 1 and fills *out when a fix is to be published
 * now (the previous epoch, or this one with EMIT_FIRST), else 0. */
int tr_gpsd_epoch_fix(struct tr_gpsd_epoch *e, const struct tr_fix *fix, int64_t now_ms,
                      struct tr_fix *out, enum tr_gpsd_epoch_note *note);

/* Feed a refused TPV: has_time/t is its time when it had one. Returns 1 and
 * fills *out when it ended the held epoch. */
int tr_gpsd_epoch_refused(struct tr_gpsd_epoch *e, bool has_time, int64_t t, struct tr_fix *out,
                          enum tr_gpsd_epoch_note *note);

/* Publish the held fix when hold_ms have passed since its epoch started (or
 * always when force is true). Returns 1 and fills *out when it did. A clock
 * that went backwards restarts the wait. */
int tr_gpsd_epoch_flush(struct tr_gpsd_epoch *e, int64_t now_ms, bool force, struct tr_fix *out);

/* now_ms-based deadline of the held fix, or -1 when nothing is held. */
int64_t tr_gpsd_epoch_deadline(const struct tr_gpsd_epoch *e);

#endif
