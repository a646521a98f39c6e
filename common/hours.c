/*
 * common/hours.c: "Mon-Fri 08:00-17:00" <-> struct tr_shift lists (see
 * hours.h). A hand-written scanner over one NUL-terminated string; no
 * allocation, no locale (day names compared ASCII case-insensitively).
 */
#include "common/hours.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const day_names[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

struct scan {
    const char *p;
    char *err;
    size_t errlen;
};

static int fail(struct scan *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct scan *s, int code, const char *fmt, ...)
{
    va_list ap;
    if (s->err && s->errlen) {
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

static void skip_spaces(struct scan *s)
{
    while (*s->p == ' ' || *s->p == '\t')
        s->p++;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool word_is(const char *w, size_t len, const char *name)
{
    if (strlen(name) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (lower(w[i]) != lower(name[i]))
            return false;
    }
    return true;
}

/* A day name at s->p: 0..6, or -1. Accepts the 3-letter names and the full
 * English names. */
static int day_at(struct scan *s)
{
    static const char *const full[7] = { "monday", "tuesday",  "wednesday", "thursday",
                                         "friday", "saturday", "sunday" };
    const char *w = s->p;
    size_t len = 0;
    while ((w[len] >= 'a' && w[len] <= 'z') || (w[len] >= 'A' && w[len] <= 'Z'))
        len++;
    for (int d = 0; d < 7; d++) {
        if (word_is(w, len, day_names[d]) || word_is(w, len, full[d])) {
            s->p += len;
            return d;
        }
    }
    return -1;
}

/* Days part: a bit per day (bit 0 = Monday). */
static int parse_days(struct scan *s, unsigned *mask)
{
    *mask = 0;
    skip_spaces(s);
    if (word_is(s->p, 5, "daily") && !((s->p[5] | 32) >= 'a' && (s->p[5] | 32) <= 'z')) {
        s->p += 5;
        *mask = 0x7f;
        return TR_HOURS_OK;
    }
    for (;;) {
        int a, b;
        skip_spaces(s);
        if ((a = day_at(s)) < 0)
            return fail(s, TR_HOURS_ERR_DAY, "unknown day at \"%.12s\"", s->p);
        b = a;
        skip_spaces(s);
        if (*s->p == '-') {
            s->p++;
            skip_spaces(s);
            if ((b = day_at(s)) < 0)
                return fail(s, TR_HOURS_ERR_DAY, "unknown day at \"%.12s\"", s->p);
        }
        for (int d = a;; d = (d + 1) % 7) {
            *mask |= 1u << d;
            if (d == b)
                break;
        }
        skip_spaces(s);
        if (*s->p != ',')
            return TR_HOURS_OK;
        s->p++;
    }
}

/* HH:MM -> minutes; allow_24: "24:00" accepted (as 1440). */
static int parse_time(struct scan *s, int *min)
{
    const char *p = s->p;
    int h, m;
    if (!(p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] == ':' && p[3] >= '0' &&
          p[3] <= '9' && p[4] >= '0' && p[4] <= '9'))
        return fail(s, TR_HOURS_ERR_TIME, "expected HH:MM at \"%.12s\"", p);
    h = (p[0] - '0') * 10 + (p[1] - '0');
    m = (p[3] - '0') * 10 + (p[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return fail(s, TR_HOURS_ERR_TIME, "time out of range: \"%.5s\"", p);
    s->p += 5;
    *min = h * 60 + m;
    return TR_HOURS_OK;
}

static void hhmm(char out[TR_MSG_HHMM_SIZE], int min)
{
    int h, m;
    min = ((min % 1440) + 1440) % 1440;
    h = min / 60;
    m = min % 60;
    out[0] = (char)('0' + h / 10);
    out[1] = (char)('0' + h % 10);
    out[2] = ':';
    out[3] = (char)('0' + m / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

static int add_shift(struct scan *s, struct tr_shift *out, size_t cap, size_t *n, int day,
                     int start, int end)
{
    if (*n >= cap)
        return fail(s, TR_HOURS_ERR_TOO_MANY, "more than %zu shifts", cap);
    out[*n].day = day + 1;
    hhmm(out[*n].start, start);
    hhmm(out[*n].end, end);
    (*n)++;
    return TR_HOURS_OK;
}

static int parse_item(struct scan *s, struct tr_shift *out, size_t cap, size_t *n)
{
    unsigned mask;
    int rc, ranges[TR_MSG_MAX_SHIFTS][2], nr = 0;

    if ((rc = parse_days(s, &mask)))
        return rc;
    for (;;) {
        int a, b;
        skip_spaces(s);
        if ((rc = parse_time(s, &a)))
            return rc;
        if (a == 1440)
            return fail(s, TR_HOURS_ERR_TIME, "a range cannot start at 24:00");
        skip_spaces(s);
        if (*s->p != '-')
            return fail(s, TR_HOURS_ERR_SYNTAX, "expected '-' at \"%.12s\"", s->p);
        s->p++;
        skip_spaces(s);
        if ((rc = parse_time(s, &b)))
            return rc;
        if (b == 0)
            b = 1440;
        if (a == b)
            return fail(s, TR_HOURS_ERR_EMPTY, "empty range %02d:%02d-%02d:%02d", a / 60, a % 60,
                        b / 60 % 24, b % 60);
        if (nr >= TR_MSG_MAX_SHIFTS)
            return fail(s, TR_HOURS_ERR_TOO_MANY, "too many ranges");
        ranges[nr][0] = a;
        ranges[nr][1] = b;
        nr++;
        skip_spaces(s);
        if (*s->p != ',')
            break;
        s->p++;
    }
    for (int d = 0; d < 7; d++) {
        if (!(mask & (1u << d)))
            continue;
        for (int r = 0; r < nr; r++) {
            int a = ranges[r][0], b = ranges[r][1];
            if (b > a) {
                rc = add_shift(s, out, cap, n, d, a, b);
            } else { /* crosses midnight */
                rc = add_shift(s, out, cap, n, d, a, 1440);
                if (!rc)
                    rc = add_shift(s, out, cap, n, (d + 1) % 7, 0, b);
            }
            if (rc)
                return rc;
        }
    }
    return TR_HOURS_OK;
}

int tr_hours_parse(const char *text, struct tr_shift *out, size_t cap, size_t *n, bool *has_hours,
                   char *err, size_t errlen)
{
    struct scan s = { text, err, errlen };
    int rc = TR_HOURS_OK;

    if (!text || !out || !n || !has_hours)
        return TR_HOURS_ERR_INVALID;
    *n = 0;
    *has_hours = true;
    if (err && errlen)
        err[0] = '\0';
    skip_spaces(&s);
    size_t len = strlen(s.p);
    while (len && (s.p[len - 1] == ' ' || s.p[len - 1] == '\t'))
        len--;
    if (len == 0 || word_is(s.p, len, "always")) {
        *has_hours = false;
        return TR_HOURS_OK;
    }
    if (word_is(s.p, len, "never"))
        return TR_HOURS_OK;
    for (;;) {
        if ((rc = parse_item(&s, out, cap, n)))
            break;
        skip_spaces(&s);
        if (*s.p == '\0')
            return TR_HOURS_OK;
        if (*s.p != ';') {
            rc = fail(&s, TR_HOURS_ERR_SYNTAX, "unexpected \"%.12s\"", s.p);
            break;
        }
        s.p++;
        skip_spaces(&s);
        if (*s.p == '\0')
            return TR_HOURS_OK; /* a trailing ';' */
    }
    *n = 0;
    return rc;
}

size_t tr_hours_format(const struct tr_shift *shifts, size_t n, bool has_hours, char *buf,
                       size_t cap)
{
    size_t at = 0;
    int w;

    if (cap)
        buf[0] = '\0';
    if (!has_hours || !shifts || n == 0) {
        w = snprintf(buf, cap, "%s", has_hours ? "never" : "always");
        return w < 0 ? 0 : (size_t)w;
    }
    for (size_t i = 0; i < n; i++) {
        const struct tr_shift *h = &shifts[i];
        const char *day = (h->day >= 1 && h->day <= 7) ? day_names[h->day - 1] : "?";
        const char *end = strcmp(h->end, "00:00") == 0 ? "24:00" : h->end;
        w = snprintf(at < cap ? buf + at : NULL, at < cap ? cap - at : 0, "%s%s %.5s-%.5s",
                     i ? "; " : "", day, h->start, end);
        if (w < 0)
            return at;
        at += (size_t)w;
    }
    return at;
}

const char *tr_hours_strerror(int err)
{
    switch (err) {
    case TR_HOURS_OK:
        return "ok";
    case TR_HOURS_ERR_INVALID:
        return "invalid argument";
    case TR_HOURS_ERR_SYNTAX:
        return "syntax error in hours";
    case TR_HOURS_ERR_DAY:
        return "unknown day name";
    case TR_HOURS_ERR_TIME:
        return "bad time (HH:MM)";
    case TR_HOURS_ERR_EMPTY:
        return "empty time range";
    case TR_HOURS_ERR_TOO_MANY:
        return "too many shifts";
    default:
        return "unknown hours error";
    }
}
