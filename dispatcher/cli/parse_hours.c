/*
 * dispatcher/cli/parse_hours.c: working hours as people write them
 * ("Mon-Fri 09:00-17:00, Sat 10:00-14:00") <-> the contract's shifts
 * (parse.h tr_cli_parse_hours / tr_cli_format_hours).
 *
 * Pure: no I/O, no globals. It does not know time zones: shifts are local
 * times in the contractor's zone, as on the wire.
 */
#include "dispatcher/cli/parse.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY_MIN 1440

static const char *const day_abbr[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
static const char *const day_full[] = { "monday", "tuesday",  "wednesday", "thursday",
                                        "friday", "saturday", "sunday" };

struct span {
    int day;        /* 1..7 */
    int start, end; /* minutes, end 1..1440 */
};

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

/* 1..7, or 0 when w is not a day name. */
static int day_of(const char *w, size_t len)
{
    for (int i = 0; i < 7; i++) {
        if ((len == 3 && strncasecmp(w, day_abbr[i], 3) == 0) ||
            (len == strlen(day_full[i]) && strncasecmp(w, day_full[i], len) == 0))
            return i + 1;
    }
    return 0;
}

/* A day word -> bit mask (bit d-1 for day d), 0 when not a day word. */
static unsigned day_mask(const char *w)
{
    size_t len = strlen(w);
    const char *dash = strchr(w, '-');
    if (strcasecmp(w, "daily") == 0 || strcasecmp(w, "everyday") == 0)
        return 0x7f;
    if (strcasecmp(w, "weekdays") == 0)
        return 0x1f;
    if (strcasecmp(w, "weekends") == 0)
        return 0x60;
    if (!dash) {
        int d = day_of(w, len);
        return d ? 1u << (d - 1) : 0;
    }
    int a = day_of(w, (size_t)(dash - w)), b = day_of(dash + 1, strlen(dash + 1));
    if (!a || !b)
        return 0;
    unsigned m = 0;
    for (int d = a;; d = d % 7 + 1) {
        m |= 1u << (d - 1);
        if (d == b)
            break;
    }
    return m;
}

/* "H:MM" or "HH:MM" -> minutes 0..1440 (24:00 only as 1440). */
static int hhmm(const char *s, size_t len, int *out)
{
    int h = 0, m;
    size_t i = 0;
    if (len < 4 || len > 5 || s[len - 3] != ':')
        return -1;
    for (; i < len - 3; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        h = h * 10 + (s[i] - '0');
    }
    if (!isdigit((unsigned char)s[len - 2]) || !isdigit((unsigned char)s[len - 1]))
        return -1;
    m = (s[len - 2] - '0') * 10 + (s[len - 1] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int add_span(struct span *sp, size_t *n, size_t cap, int day, int start, int end,
                    const char **why)
{
    if (*n >= cap)
        return fail(why, "too many shifts (at most 21)");
    sp[*n].day = day;
    sp[*n].start = start;
    sp[*n].end = end;
    (*n)++;
    return 0;
}

/* One "HH:MM-HH:MM" for every day in mask. */
static int add_range(const char *w, unsigned mask, struct span *sp, size_t *n, size_t cap,
                     const char **why)
{
    const char *dash = strchr(w, '-');
    int a, b;
    if (!dash || hhmm(w, (size_t)(dash - w), &a) != 0 || hhmm(dash + 1, strlen(dash + 1), &b))
        return fail(why, "expected a time range like 09:00-17:00");
    if (a == DAY_MIN)
        return fail(why, "a shift cannot start at 24:00");
    if (b == 0)
        b = DAY_MIN;
    if (a == b)
        return fail(why, "empty time range");
    if (!mask)
        return fail(why, "a time range needs days before it (Mon-Fri 09:00-17:00)");
    for (int d = 1; d <= 7; d++) {
        if (!(mask & (1u << (d - 1))))
            continue;
        if (b > a) {
            if (add_span(sp, n, cap, d, a, b, why))
                return -1;
        } else { /* overnight: until midnight, then the next day from midnight */
            if (add_span(sp, n, cap, d, a, DAY_MIN, why) ||
                add_span(sp, n, cap, d % 7 + 1, 0, b, why))
                return -1;
        }
    }
    return 0;
}

static int cmp_span(const void *pa, const void *pb)
{
    const struct span *a = pa, *b = pb;
    if (a->day != b->day)
        return a->day - b->day;
    return a->start - b->start;
}

static void put_hhmm(char out[TR_MSG_HHMM_SIZE], int min)
{
    min %= DAY_MIN; /* 24:00 is "00:00" on the wire */
    if (min < 0)
        min = 0;
    out[0] = (char)('0' + min / 600);
    out[1] = (char)('0' + min / 60 % 10);
    out[2] = ':';
    out[3] = (char)('0' + min % 60 / 10);
    out[4] = (char)('0' + min % 10);
    out[5] = '\0';
}

int tr_cli_parse_hours(const char *s, struct tr_shift *out, size_t cap, size_t *n, const char **why)
{
    struct span sp[TR_MSG_MAX_SHIFTS];
    size_t ns = 0, len;
    unsigned mask = 0;
    int entry_has_times = 0;
    char buf[512], *p;
    if (cap > TR_MSG_MAX_SHIFTS)
        cap = TR_MSG_MAX_SHIFTS;
    if (!s || (len = strlen(s)) >= sizeof buf)
        return fail(why, "hours text too long");
    memcpy(buf, s, len + 1);
    for (char *q = buf; *q; q++) /* a CSV cell may break the line */
        if (*q == '\n' || *q == '\r')
            *q = ' ';
    p = buf + strspn(buf, " \t");
    for (size_t e = strlen(p); e > 0 && (p[e - 1] == ' ' || p[e - 1] == '\t'); e--)
        p[e - 1] = '\0';
    if (strcasecmp(p, "none") == 0 || strcasecmp(p, "never") == 0) {
        *n = 0;
        return 0;
    }
    if (strcasecmp(p, "always") == 0 || strcmp(p, "24/7") == 0)
        snprintf(buf, sizeof buf, "daily 00:00-24:00");
    /* Days open a group (or join the one still without times); ranges apply
     * to the open group's days, so "Mon-Fri 08:00-12:00,13:00-17:00" and
     * "Mon-Fri 08:00-12:00 13:00-17:00" mean the same. */
    for (p = buf; *p;) {
        size_t wl = strcspn(p, ",; \t");
        char sepc = p[wl];
        p[wl] = '\0';
        if (wl > 0 && isdigit((unsigned char)p[0])) {
            if (add_range(p, mask, sp, &ns, cap, why))
                return -1;
            entry_has_times = 1;
        } else if (wl > 0) {
            unsigned m = day_mask(p);
            if (!m)
                return fail(why, "unknown day (Mon..Sun, Mon-Fri, daily, weekdays, weekends)");
            if (entry_has_times) { /* a new group */
                mask = 0;
                entry_has_times = 0;
            }
            mask |= m;
        }
        p += wl + (sepc != '\0');
    }
    if (mask && !entry_has_times)
        return fail(why, "days without a time range");
    if (ns == 0)
        return fail(why, "no shifts (write 'none' for never on shift)");
    qsort(sp, ns, sizeof sp[0], cmp_span);
    for (size_t i = 1; i < ns; i++)
        if (sp[i].day == sp[i - 1].day && sp[i].start < sp[i - 1].end)
            return fail(why, "overlapping shifts on the same day");
    for (size_t i = 0; i < ns; i++) {
        out[i].day = sp[i].day;
        put_hhmm(out[i].start, sp[i].start);
        put_hhmm(out[i].end, sp[i].end);
    }
    *n = ns;
    return 0;
}

/* The ranges of one day as "09:00-12:00 13:00-17:00" ("" when none). */
static void day_ranges(const struct tr_shift *h, size_t n, int day, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (h[i].day != day)
            continue;
        const char *end = strcmp(h[i].end, "00:00") == 0 ? "24:00" : h[i].end;
        int w = snprintf(buf + used, cap - used, "%s%s-%s", used ? " " : "", h[i].start, end);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

char *tr_cli_format_hours(const struct tr_shift *h, size_t n, char *buf, size_t cap)
{
    char r[8][160];
    size_t used = 0;
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (n == 0) {
        snprintf(buf, cap, "none");
        return buf;
    }
    for (int d = 1; d <= 7; d++)
        day_ranges(h, n, d, r[d], sizeof r[d]);
    for (int d = 1; d <= 7;) {
        int e = d;
        if (r[d][0] == '\0') {
            d++;
            continue;
        }
        while (e < 7 && strcmp(r[e + 1], r[d]) == 0)
            e++;
        int w = e == d ? snprintf(buf + used, cap - used, "%s%s %s", used ? ", " : "",
                                  day_abbr[d - 1], r[d])
                       : snprintf(buf + used, cap - used, "%s%s-%s %s", used ? ", " : "",
                                  day_abbr[d - 1], day_abbr[e - 1], r[d]);
        if (w < 0 || (size_t)w >= cap - used)
            break;
        used += (size_t)w;
        d = e + 1;
    }
    return buf;
}
