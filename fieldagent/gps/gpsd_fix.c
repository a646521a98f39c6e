/*
 * fieldagent/gps/gpsd_fix.c: checks one gpsd TPV report and picks one fix
 * per receiver epoch (see gpsd_fix.h). Pure: no I/O, no clock, no libgps.
 */
#include "fieldagent/gps/gpsd_fix.h"

#include <math.h>
#include <string.h>

#define DEFAULT_HOLD_MS 1500
#define ACC_MAX         100000.0 /* m, contract's fix.acc */
#define SPEED_MAX       150.0    /* m/s, contract's fix.speed */

int64_t tr_gpsd_time_ms(int64_t sec, long nsec)
{
    int64_t ms;

    /* normalise nanoseconds into 0 ..= 999999999 first */
    sec += nsec / 1000000000L;
    nsec %= 1000000000L;
    if (nsec < 0) {
        nsec += 1000000000L;
        sec -= 1;
    }
    if (sec > INT64_MAX / 1000 - 1)
        return INT64_MAX;
    if (sec < INT64_MIN / 1000 + 1)
        return INT64_MIN;
    ms = sec * 1000;
    return ms + (int64_t)((nsec + 500000L) / 1000000L);
}

int64_t tr_gpsd_time_ms_from_double(double seconds)
{
    double ms;

    if (!isfinite(seconds))
        return 0;
    ms = seconds * 1000.0;
    if (ms >= 9.2e18)
        return INT64_MAX;
    if (ms <= -9.2e18)
        return INT64_MIN;
    return (int64_t)llround(ms);
}

/* Horizontal accuracy: eph when gpsd gave it, else from epx / epy. NaN when
 * neither is known. */
static double horizontal_error(const struct tr_gpsd_tpv *tpv)
{
    bool x = isfinite(tpv->epx), y = isfinite(tpv->epy);

    if (isfinite(tpv->eph))
        return tpv->eph;
    if (x && y)
        return hypot(tpv->epx, tpv->epy);
    if (x)
        return tpv->epx;
    if (y)
        return tpv->epy;
    return NAN;
}

/* Set the optional fields that are present and in range; count the others. */
static int optional_fields(const struct tr_gpsd_tpv *tpv, struct tr_fix *out)
{
    double acc = horizontal_error(tpv), track = tpv->track;
    int dropped = 0;

    if (isfinite(acc)) {
        if (acc >= 0.0 && acc <= ACC_MAX) {
            out->has_acc = true;
            out->acc = acc;
        } else {
            dropped++;
        }
    }
    if (isfinite(tpv->speed)) {
        if (tpv->speed >= 0.0 && tpv->speed <= SPEED_MAX) {
            out->has_speed = true;
            out->speed = tpv->speed == 0.0 ? 0.0 : tpv->speed; /* no -0 */
        } else {
            dropped++;
        }
    }
    if (isfinite(track)) {
        if (track == 360.0)
            track = 0.0;
        if (track >= 0.0 && track < 360.0) {
            out->has_heading = true;
            out->heading = track == 0.0 ? 0.0 : track;
        } else {
            dropped++;
        }
    }
    return dropped;
}

enum tr_gpsd_skip tr_gpsd_tpv_to_fix(const struct tr_gpsd_tpv *tpv, int64_t now_ms,
                                     int64_t max_future_ms, struct tr_fix *out, int *dropped)
{
    int64_t t = 0;

    memset(out, 0, sizeof *out);
    if (dropped)
        *dropped = 0;
    if (tpv->has_time) {
        t = tr_gpsd_time_ms(tpv->time_sec, tpv->time_nsec);
        out->t = t;
    }
    if (tpv->mode != 2 && tpv->mode != 3)
        return TR_GPSD_SKIP_NO_FIX;
    if (!tpv->has_time)
        return TR_GPSD_SKIP_NO_TIME;
    if (t < TR_GPSD_TIME_MS_MIN || t > TR_GPSD_TIME_MS_MAX)
        return TR_GPSD_SKIP_BAD_TIME;
    if (max_future_ms >= 0 && now_ms <= INT64_MAX - max_future_ms && t > now_ms + max_future_ms)
        return TR_GPSD_SKIP_FUTURE;
    if (!isfinite(tpv->lat) || !isfinite(tpv->lon))
        return TR_GPSD_SKIP_BAD_POSITION;
    if (tpv->lat < -90.0 || tpv->lat > 90.0 || tpv->lon < -180.0 || tpv->lon > 180.0)
        return TR_GPSD_SKIP_OUT_OF_RANGE;

    out->lat = tpv->lat;
    out->lon = tpv->lon;
    out->mode = tpv->mode;
    if (dropped)
        *dropped = optional_fields(tpv, out);
    else
        optional_fields(tpv, out);
    return TR_GPSD_SKIP_NONE;
}

const char *tr_gpsd_skip_name(enum tr_gpsd_skip skip)
{
    switch (skip) {
    case TR_GPSD_SKIP_NONE:
        return "ok";
    case TR_GPSD_SKIP_NO_FIX:
        return "no fix (mode < 2)";
    case TR_GPSD_SKIP_NO_TIME:
        return "no time";
    case TR_GPSD_SKIP_BAD_TIME:
        return "time out of range";
    case TR_GPSD_SKIP_FUTURE:
        return "time in the future";
    case TR_GPSD_SKIP_BAD_POSITION:
        return "position missing or not finite";
    case TR_GPSD_SKIP_OUT_OF_RANGE:
        return "position out of range";
    }
    return "unknown";
}

void tr_gpsd_epoch_init(struct tr_gpsd_epoch *e, enum tr_gpsd_emit emit, int64_t hold_ms)
{
    memset(e, 0, sizeof *e);
    e->emit = emit;
    e->hold_ms = hold_ms > 0 ? hold_ms : DEFAULT_HOLD_MS;
}

/* Hand out the held fix and remember its time. */
static int emit_held(struct tr_gpsd_epoch *e, struct tr_fix *out)
{
    *out = e->fix;
    e->has_last = true;
    e->last_t = e->fix.t;
    e->held = false;
    return 1;
}

int tr_gpsd_epoch_fix(struct tr_gpsd_epoch *e, const struct tr_fix *fix, int64_t now_ms,
                      struct tr_fix *out, enum tr_gpsd_epoch_note *note)
{
    int r = 0;

    if (e->held && e->fix.t == fix->t) {
        e->fix = *fix; /* gpsd merged more of the epoch into this one */
        *note = TR_GPSD_EPOCH_SAME;
        return 0;
    }
    if (e->has_last && e->last_t == fix->t) {
        *note = TR_GPSD_EPOCH_DUPLICATE;
        return 0;
    }
    *note = TR_GPSD_EPOCH_NEW;
    if (e->emit == TR_GPSD_EMIT_FIRST) {
        e->fix = *fix;
        return emit_held(e, out);
    }
    if (e->held)
        r = emit_held(e, out);
    e->fix = *fix;
    e->held = true;
    e->held_since = now_ms;
    return r;
}

int tr_gpsd_epoch_refused(struct tr_gpsd_epoch *e, bool has_time, int64_t t, struct tr_fix *out,
                          enum tr_gpsd_epoch_note *note)
{
    if (!e->held || !has_time || t == e->fix.t) {
        *note = TR_GPSD_EPOCH_IGNORED;
        return 0;
    }
    *note = TR_GPSD_EPOCH_ENDED;
    return emit_held(e, out);
}

int tr_gpsd_epoch_flush(struct tr_gpsd_epoch *e, int64_t now_ms, bool force, struct tr_fix *out)
{
    if (!e->held)
        return 0;
    if (!force) {
        if (now_ms < e->held_since) {
            e->held_since = now_ms;
            return 0;
        }
        if (now_ms - e->held_since < e->hold_ms)
            return 0;
    }
    return emit_held(e, out);
}

int64_t tr_gpsd_epoch_deadline(const struct tr_gpsd_epoch *e)
{
    if (!e->held)
        return -1;
    if (e->held_since > INT64_MAX - e->hold_ms)
        return INT64_MAX;
    return e->held_since + e->hold_ms;
}
