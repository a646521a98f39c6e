/*
 * common/tz_rule.c: the pure half of common/tz.h: the POSIX TZ rule parser
 * (the TZif footer), proleptic Gregorian calendar math, the offset at an
 * instant (transition table, then rule), the next transition, and local
 * time. No I/O, no allocation, no global state; it never calls localtime.
 *
 * Does not load files (tz.c) or evaluate shifts (tz_shift.c).
 */
#include "common/tz_int.h"

#include <limits.h>

/* ---- calendar ---- */

int64_t tr_tz_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

int64_t tr_tz_floor_mod(int64_t a, int64_t b)
{
    return a - tr_tz_floor_div(a, b) * b;
}

int64_t tr_tz_clamp_ms(int64_t utc_ms)
{
    if (utc_ms > TR_TZ_LIMIT_MS)
        return TR_TZ_LIMIT_MS;
    if (utc_ms < -TR_TZ_LIMIT_MS)
        return -TR_TZ_LIMIT_MS;
    return utc_ms;
}

int64_t tr_tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = tr_tz_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void tr_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t z = days + 719468;
    int64_t era = tr_tz_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return len[m - 1] + (m == 2 && is_leap(y));
}

/* ---- POSIX TZ string parser ---- */

struct cursor {
    const char *s;
    size_t len, pos;
};

static int peek(const struct cursor *c)
{
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : -1;
}

static bool is_digit(int ch)
{
    return ch >= '0' && ch <= '9';
}

static bool is_alpha(int ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static bool eat(struct cursor *c, int ch)
{
    if (peek(c) != ch)
        return false;
    c->pos++;
    return true;
}

/* std or dst name: 3 or more letters, or <3 or more of [A-Za-z0-9+-]>. */
static bool parse_name(struct cursor *c)
{
    size_t n = 0;
    if (eat(c, '<')) {
        while (is_alpha(peek(c)) || is_digit(peek(c)) || peek(c) == '+' || peek(c) == '-') {
            c->pos++;
            n++;
        }
        return n >= 3 && eat(c, '>');
    }
    while (is_alpha(peek(c))) {
        c->pos++;
        n++;
    }
    return n >= 3;
}

static bool parse_num(struct cursor *c, int max_digits, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max_digits && is_digit(peek(c))) {
        v = v * 10 + (peek(c) - '0');
        c->pos++;
        n++;
    }
    *out = v;
    return n > 0 && v <= max;
}

/* [+-]hh[:mm[:ss]] with hh <= max_h; seconds, sign applied. */
static bool parse_hms(struct cursor *c, int max_h, int32_t *out)
{
    int sign = 1, h = 0, m = 0, s = 0;
    if (eat(c, '-'))
        sign = -1;
    else
        (void)eat(c, '+');
    if (!parse_num(c, 3, max_h, &h))
        return false;
    if (eat(c, ':')) {
        if (!parse_num(c, 2, 59, &m))
            return false;
        if (eat(c, ':') && !parse_num(c, 2, 59, &s))
            return false;
    }
    *out = (int32_t)(sign * (h * 3600 + m * 60 + s));
    return true;
}

static bool parse_date(struct cursor *c, struct tr_tz_date *d)
{
    *d = (struct tr_tz_date){ .time = 7200 }; /* default 02:00:00 */
    if (eat(c, 'J')) {
        d->kind = 'J';
        if (!parse_num(c, 3, 365, &d->n) || d->n < 1)
            return false;
    } else if (eat(c, 'M')) {
        d->kind = 'M';
        if (!parse_num(c, 2, 12, &d->m) || d->m < 1 || !eat(c, '.') || !parse_num(c, 1, 5, &d->w) ||
            d->w < 1 || !eat(c, '.') || !parse_num(c, 1, 6, &d->d))
            return false;
    } else {
        d->kind = 'D';
        if (!parse_num(c, 3, 365, &d->n))
            return false;
    }
    if (eat(c, '/'))
        return parse_hms(c, 167, &d->time);
    return true;
}

int tr_tz_rule_parse(const char *s, size_t len, struct tr_tz_rule *out)
{
    struct cursor c = { s, len, 0 };
    struct tr_tz_rule r = { 0 };
    int32_t off = 0;
    if (!s || !out)
        return TR_TZ_ERR_INVALID;
    if (!parse_name(&c) || !parse_hms(&c, 24, &off))
        return TR_TZ_ERR_BAD_RULE;
    r.std_utoff = -off; /* POSIX offsets are west-positive */
    if (c.pos < c.len) {
        r.has_dst = true;
        if (!parse_name(&c))
            return TR_TZ_ERR_BAD_RULE;
        r.dst_utoff = r.std_utoff + 3600;
        if (peek(&c) == '+' || peek(&c) == '-' || is_digit(peek(&c))) {
            if (!parse_hms(&c, 24, &off))
                return TR_TZ_ERR_BAD_RULE;
            r.dst_utoff = -off;
        }
        if (c.pos == c.len) { /* no rules: the US ones, as glibc */
            r.start = (struct tr_tz_date){ .kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200 };
            r.end = (struct tr_tz_date){ .kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200 };
        } else if (!eat(&c, ',') || !parse_date(&c, &r.start) || !eat(&c, ',') ||
                   !parse_date(&c, &r.end)) {
            return TR_TZ_ERR_BAD_RULE;
        }
    }
    if (c.pos != c.len)
        return TR_TZ_ERR_BAD_RULE;
    *out = r;
    return TR_TZ_OK;
}

/* ---- rule evaluation ---- */

/* Local seconds since the epoch (in the zone's wall clock) of date d in year y. */
static int64_t date_local_s(const struct tr_tz_date *d, int64_t y)
{
    int64_t days;
    if (d->kind == 'J') {
        days = tr_tz_days_from_civil(y, 1, 1) + d->n - 1 + (is_leap(y) && d->n >= 60);
    } else if (d->kind == 'D') {
        days = tr_tz_days_from_civil(y, 1, 1) + d->n;
    } else {
        int64_t first = tr_tz_days_from_civil(y, d->m, 1);
        int wday_first = (int)tr_tz_floor_mod(first + 4, 7); /* 0 = Sunday */
        int day = (d->d - wday_first + 7) % 7 + 7 * (d->w - 1);
        while (day >= month_days(y, d->m))
            day -= 7;
        days = first + day;
    }
    return days * TR_TZ_DAY_S + d->time;
}

static int64_t year_of(int64_t t)
{
    int64_t y;
    int m, d;
    tr_tz_civil_from_days(tr_tz_floor_div(t, TR_TZ_DAY_S), &y, &m, &d);
    return y;
}

/* DST start (UTC, given in standard time) and end (given in DST) in year y. */
static void rule_events(const struct tr_tz_rule *r, int64_t y, int64_t *start, int64_t *end)
{
    *start = date_local_s(&r->start, y) - r->std_utoff;
    *end = date_local_s(&r->end, y) - r->dst_utoff;
}

/* The state set by the latest event at or before t among the years around
 * t. On a tie the DST start wins (all-year DST: "EST5EDT,0/0,J365/25"). */
static int32_t rule_offset(const struct tr_tz_rule *r, int64_t t, bool *isdst)
{
    *isdst = false;
    if (!r->has_dst)
        return r->std_utoff;
    int64_t y = year_of(t), best = INT64_MIN;
    for (int64_t yy = y - 1; yy <= y + 1; yy++) {
        int64_t s, e;
        rule_events(r, yy, &s, &e);
        if (e <= t && e > best) {
            best = e;
            *isdst = false;
        }
        if (s <= t && s >= best) {
            best = s;
            *isdst = true;
        }
    }
    return *isdst ? r->dst_utoff : r->std_utoff;
}

static int64_t rule_next(const struct tr_tz_rule *r, int64_t t)
{
    if (!r->has_dst)
        return INT64_MAX;
    int64_t y = year_of(t), best = INT64_MAX;
    for (int64_t yy = y - 1; yy <= y + 2; yy++) {
        int64_t s, e;
        rule_events(r, yy, &s, &e);
        if (s > t && s < best)
            best = s;
        if (e > t && e < best)
            best = e;
    }
    return best;
}

/* Index of the last transition at or before t; -1 if t is before them all. */
static ptrdiff_t find_trans(const struct tr_tz *tz, int64_t t)
{
    size_t lo = 0, hi = tz->n_trans; /* answer + 1 lies in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (ptrdiff_t)lo - 1;
}

int32_t tr_tz_offset_at(const struct tr_tz *tz, int64_t t, bool *isdst)
{
    ptrdiff_t i = find_trans(tz, t);
    bool after_last = tz->n_trans == 0 || i == (ptrdiff_t)tz->n_trans - 1;
    if (after_last && tz->has_rule)
        return rule_offset(&tz->rule, t, isdst);
    const struct tr_tz_ttype *ty = NULL;
    if (tz->n_types > 0)
        ty = &tz->types[i < 0 ? 0 : tz->trans_type[i]];
    *isdst = ty ? ty->isdst : false;
    return ty ? ty->utoff : 0;
}

int64_t tr_tz_next_transition(const struct tr_tz *tz, int64_t t)
{
    ptrdiff_t i = find_trans(tz, t);
    if (i + 1 < (ptrdiff_t)tz->n_trans)
        return tz->trans[i + 1];
    return tz->has_rule ? rule_next(&tz->rule, t) : INT64_MAX;
}

/* ---- public conversions ---- */

int tr_tz_offset_s(const struct tr_tz *tz, int64_t utc_ms)
{
    bool isdst;
    if (!tz)
        return 0;
    return tr_tz_offset_at(tz, tr_tz_floor_div(tr_tz_clamp_ms(utc_ms), 1000), &isdst);
}

void tr_tz_local(const struct tr_tz *tz, int64_t utc_ms, struct tr_tz_local *out)
{
    if (!out)
        return;
    bool isdst = false;
    utc_ms = tr_tz_clamp_ms(utc_ms);
    int32_t off = tz ? tr_tz_offset_at(tz, tr_tz_floor_div(utc_ms, 1000), &isdst) : 0;
    int64_t local_ms = utc_ms + (int64_t)off * 1000;
    int64_t days = tr_tz_floor_div(local_ms, TR_TZ_DAY_MS);
    int ms_of_day = (int)(local_ms - days * TR_TZ_DAY_MS);
    tr_tz_civil_from_days(days, &out->year, &out->month, &out->mday);
    out->yday = (int)(days - tr_tz_days_from_civil(out->year, 1, 1));
    out->wday = (int)tr_tz_floor_mod(days + 3, 7) + 1; /* 1970-01-01 was a Thursday (4) */
    out->hour = ms_of_day / 3600000;
    out->minute = ms_of_day / 60000 % 60;
    out->second = ms_of_day / 1000 % 60;
    out->ms = ms_of_day % 1000;
    out->minute_of_day = ms_of_day / 60000;
    out->offset_s = off;
    out->is_dst = isdst;
}
