/*
 * common/tz_shift.c: working hours for common/tz.h: is a contractor on
 * shift at an instant (by the wall clock of their own zone), when does that
 * next change, and which UTC hours of a day are covered. Pure: no I/O, no
 * clock, no allocation.
 *
 * How the next change is found: between two offset transitions the local
 * clock advances with UTC, so the status can only change where the local
 * clock reaches a shift boundary (a minute of the week) or where the offset
 * jumps. The search steps from one such instant to the next and stops at the
 * first one where the status differs.
 *
 * Does not load zones (tz.c) or convert times by itself (tz_rule.c).
 */
#include "common/tz_int.h"

#define WEEK_MIN   (7 * 1440)
#define WEEK_MS    (7 * TR_TZ_DAY_MS)
#define HOUR_MS    INT64_C(3600000)
#define HORIZON_MS (15 * TR_TZ_DAY_MS)
#define MAX_STEPS  100000

int tr_shift_parse_hhmm(const char *s)
{
    if (!s || s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[2] != ':' || s[3] < '0' ||
        s[3] > '5' || s[4] < '0' || s[4] > '9' || s[5] != '\0')
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    return h > 23 ? -1 : h * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

/* A schedule as minutes of the week [lo, hi) (Monday 00:00 = 0), parsed
 * once per call. Entries that break the contract are left out. */
struct spans {
    size_t n;
    int lo[TR_SHIFT_MAX], hi[TR_SHIFT_MAX];
};

static void compile(const struct tr_shift *shifts, size_t n, struct spans *sp)
{
    sp->n = 0;
    for (size_t i = 0; i < n && i < TR_SHIFT_MAX; i++) {
        const struct tr_shift *s = &shifts[i];
        int a = tr_shift_parse_hhmm(s->start), b = tr_shift_parse_hhmm(s->end);
        if (s->day < 1 || s->day > 7 || a < 0 || b < 0)
            continue;
        if (b == 0)
            b = 1440; /* "00:00" as an end: midnight at the end of the day */
        if (a >= b)
            continue;
        sp->lo[sp->n] = (s->day - 1) * 1440 + a;
        sp->hi[sp->n] = (s->day - 1) * 1440 + b;
        sp->n++;
    }
}

static bool on_minute(const struct spans *sp, int mow)
{
    for (size_t i = 0; i < sp->n; i++)
        if (sp->lo[i] <= mow && mow < sp->hi[i])
            return true;
    return false;
}

/* The first boundary strictly after minute-of-week mow, in minutes (may be
 * >= WEEK_MIN: next week); -1 if there is none. */
static int next_boundary(const struct spans *sp, int mow)
{
    int best = -1;
    for (size_t i = 0; i < sp->n; i++) {
        int b[2] = { sp->lo[i], sp->hi[i] };
        for (int k = 0; k < 2; k++) {
            int v = b[k] > mow ? b[k] : b[k] + WEEK_MIN;
            if (best < 0 || v < best)
                best = v;
        }
    }
    return best;
}

/* Local milliseconds since Monday 00:00 at an instant (t clamped). */
static int64_t week_ms(const struct tr_tz *tz, int64_t t)
{
    bool isdst;
    int32_t off = tz ? tr_tz_offset_at(tz, tr_tz_floor_div(t, 1000), &isdst) : 0;
    /* 1970-01-01 was a Thursday: 3 days after a Monday */
    return tr_tz_floor_mod(t + (int64_t)off * 1000 + 3 * TR_TZ_DAY_MS, WEEK_MS);
}

static bool on_at(const struct tr_tz *tz, const struct spans *sp, int64_t t)
{
    return on_minute(sp, (int)(week_ms(tz, tr_tz_clamp_ms(t)) / 60000));
}

bool tr_shift_on(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n, int64_t utc_ms)
{
    struct spans sp;
    if (!shifts)
        return true;
    compile(shifts, n, &sp);
    return on_at(tz, &sp, utc_ms);
}

/* True when the weekly pattern is all on or all off. */
static bool constant(const struct spans *sp)
{
    bool first = on_minute(sp, 0);
    for (size_t i = 0; i < sp->n; i++)
        if (on_minute(sp, sp->lo[i]) != first || on_minute(sp, sp->hi[i] % WEEK_MIN) != first)
            return false;
    return true;
}

/* is_constant: constant(sp), computed once by the caller (it is O(n^2)). */
static int next_change(const struct tr_tz *tz, const struct spans *sp, bool is_constant,
                       int64_t utc_ms, int64_t *next_ms)
{
    *next_ms = INT64_MAX;
    if (is_constant)
        return TR_TZ_ERR_NO_CHANGE;
    int64_t t = tr_tz_clamp_ms(utc_ms);
    int64_t horizon = t + HORIZON_MS;
    bool s0 = on_at(tz, sp, t);
    for (int step = 0; step < MAX_STEPS; step++) {
        int64_t w = week_ms(tz, t);
        int b = next_boundary(sp, (int)(w / 60000));
        if (b < 0)
            break;
        int64_t nt = t + ((int64_t)b * 60000 - w);
        int64_t tr = tz ? tr_tz_next_transition(tz, tr_tz_floor_div(t, 1000)) : INT64_MAX;
        if (tr <= INT64_MAX / 1000 && tr * 1000 < nt)
            nt = tr * 1000;
        if (nt > horizon || nt > TR_TZ_LIMIT_MS)
            break;
        if (on_at(tz, sp, nt) != s0) {
            *next_ms = nt;
            return TR_TZ_OK;
        }
        t = nt;
    }
    return TR_TZ_ERR_NO_CHANGE;
}

int tr_shift_next_change(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n,
                         int64_t utc_ms, int64_t *next_ms)
{
    struct spans sp;
    if (!next_ms)
        return TR_TZ_ERR_INVALID;
    *next_ms = INT64_MAX;
    if (!shifts)
        return TR_TZ_ERR_NO_CHANGE;
    compile(shifts, n, &sp);
    return next_change(tz, &sp, constant(&sp), utc_ms, next_ms);
}

void tr_shift_hours_utc(const struct tr_tz *tz, const struct tr_shift *shifts, size_t n,
                        int64_t day_start_utc_ms, uint32_t *mask24)
{
    struct spans sp;
    if (!mask24)
        return;
    *mask24 = shifts ? 0 : 0xffffffu;
    if (!shifts)
        return;
    compile(shifts, n, &sp);
    bool is_constant = constant(&sp);
    int64_t ds = tr_tz_clamp_ms(day_start_utc_ms), end = ds + 24 * HOUR_MS, t = ds;
    bool on = on_at(tz, &sp, t);
    while (t < end) {
        int64_t nx, seg_end = end;
        if (next_change(tz, &sp, is_constant, t, &nx) == TR_TZ_OK && nx < end)
            seg_end = nx;
        if (on)
            for (int64_t h = (t - ds) / HOUR_MS; h <= (seg_end - 1 - ds) / HOUR_MS; h++)
                *mask24 |= 1u << h;
        t = seg_end;
        on = !on;
    }
}
