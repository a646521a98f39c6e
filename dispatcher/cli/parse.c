/*
 * dispatcher/cli/parse.c: numbers, money, positions, times and lists typed
 * by people (parse.h). Working hours live in parse_hours.c.
 *
 * Pure: no I/O, no globals; mktime for local times only.
 */
#include "dispatcher/cli/parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TIME_MIN_MS INT64_C(946684800000)
#define TIME_MAX_MS INT64_C(4102444800000)
#define CENTS_MAX   INT64_C(100000000)

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -1;
}

/* Copy s without leading/trailing blanks into buf; -1 if empty or too long. */
static int trimmed(const char *s, char *buf, size_t cap)
{
    size_t a, b;
    if (!s)
        return -1;
    a = strspn(s, " \t");
    b = strlen(s);
    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t'))
        b--;
    if (b == a || b - a >= cap)
        return -1;
    memcpy(buf, s + a, b - a);
    buf[b - a] = '\0';
    return 0;
}

int tr_cli_parse_int(const char *s, long long min, long long max, long long *out, const char **why)
{
    char buf[32];
    char *end = NULL;
    long long v;
    size_t i = 0;
    if (trimmed(s, buf, sizeof buf) != 0)
        return fail(why, "expected a whole number");
    if (buf[0] == '-' || buf[0] == '+')
        i = 1;
    if (buf[i] == '\0')
        return fail(why, "expected a whole number");
    for (; buf[i]; i++)
        if (!isdigit((unsigned char)buf[i]))
            return fail(why, "expected a whole number");
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno == ERANGE || v < min || v > max)
        return fail(why, "out of range");
    *out = v;
    return 0;
}

int tr_cli_parse_double(const char *s, double min, double max, double *out, const char **why)
{
    char buf[64];
    char *end = NULL;
    double v;
    int digits = 0;
    if (trimmed(s, buf, sizeof buf) != 0)
        return fail(why, "expected a number");
    for (size_t i = 0; buf[i]; i++) {
        char c = buf[i];
        if (isdigit((unsigned char)c))
            digits = 1;
        else if (c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E')
            return fail(why, "expected a number");
    }
    if (!digits)
        return fail(why, "expected a number");
    v = strtod(buf, &end);
    if (*end != '\0')
        return fail(why, "expected a number");
    if (!isfinite(v) || v < min || v > max)
        return fail(why, "out of range");
    *out = v;
    return 0;
}

int tr_cli_parse_bool(const char *s, bool *out, const char **why)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    char buf[8];
    if (trimmed(s, buf, sizeof buf) == 0) {
        for (size_t i = 0; i < 4; i++) {
            if (strcasecmp(buf, yes[i]) == 0) {
                *out = true;
                return 0;
            }
            if (strcasecmp(buf, no[i]) == 0) {
                *out = false;
                return 0;
            }
        }
    }
    return fail(why, "expected true or false");
}

int tr_cli_parse_cents(const char *s, int64_t *out, const char **why)
{
    char buf[32];
    int64_t whole = 0, frac = 0;
    size_t i = 0, nfrac = 0;
    if (trimmed(s, buf, sizeof buf) != 0 || !isdigit((unsigned char)buf[0]))
        return fail(why, "expected an amount like 85.00");
    for (; isdigit((unsigned char)buf[i]); i++) {
        whole = whole * 10 + (buf[i] - '0');
        if (whole > CENTS_MAX / 100)
            return fail(why, "amount too large (at most 1000000.00)");
    }
    if (buf[i] == '.') {
        for (i++; isdigit((unsigned char)buf[i]); i++, nfrac++) {
            if (nfrac >= 2)
                return fail(why, "at most two decimals");
            frac = frac * 10 + (buf[i] - '0');
        }
        if (nfrac == 0)
            return fail(why, "expected digits after the decimal point");
    }
    if (buf[i] != '\0')
        return fail(why, "expected an amount like 85.00");
    if (nfrac == 1)
        frac *= 10;
    if (whole * 100 + frac > CENTS_MAX)
        return fail(why, "amount too large (at most 1000000.00)");
    *out = whole * 100 + frac;
    return 0;
}

char *tr_cli_format_cents(int64_t cents, char *buf, size_t cap)
{
    const char *sign = cents < 0 ? "-" : "";
    uint64_t a = cents < 0 ? (uint64_t)0 - (uint64_t)cents : (uint64_t)cents;
    snprintf(buf, cap, "%s%llu.%02llu", sign, (unsigned long long)(a / 100),
             (unsigned long long)(a % 100));
    return buf;
}

int tr_cli_parse_position(const char *s, double *lat, double *lon, const char **why)
{
    char buf[96];
    char *sep;
    double a, b;
    if (trimmed(s, buf, sizeof buf) != 0)
        return fail(why, "expected LAT,LON");
    sep = strchr(buf, ',');
    if (!sep) {
        sep = strpbrk(buf, " \t");
        if (!sep)
            return fail(why, "expected LAT,LON");
    }
    *sep = '\0';
    if (tr_cli_parse_double(buf, -1e9, 1e9, &a, NULL) != 0 ||
        tr_cli_parse_double(sep + 1, -1e9, 1e9, &b, NULL) != 0)
        return fail(why, "expected LAT,LON (two numbers)");
    if (a < -90 || a > 90)
        return fail(why, "latitude out of range -90..90");
    if (b < -180 || b > 180)
        return fail(why, "longitude out of range -180..180");
    *lat = a;
    *lon = b;
    return 0;
}

/* Read exactly n digits at *p into *v. */
static int digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

static int parse_relative(const char *p, int64_t now_ms, int64_t *out, const char **why)
{
    long long n;
    char num[24];
    size_t len = strlen(p);
    int64_t unit;
    if (len < 2 || len >= sizeof num)
        return fail(why, "expected +N followed by s, m, h or d");
    switch (p[len - 1]) {
    case 's':
        unit = 1000;
        break;
    case 'm':
        unit = 60000;
        break;
    case 'h':
        unit = 3600000;
        break;
    case 'd':
        unit = 86400000;
        break;
    default:
        return fail(why, "expected +N followed by s, m, h or d");
    }
    memcpy(num, p, len - 1);
    num[len - 1] = '\0';
    if (tr_cli_parse_int(num, 0, 36500LL * 86400, &n, why) != 0)
        return -1;
    *out = now_ms + (int64_t)n * unit;
    return 0;
}

int tr_cli_parse_time(const char *s, int64_t now_ms, int64_t *out, const char **why)
{
    char buf[64];
    const char *p = buf;
    int y, mo, d, h, mi, sec = 0, ms = 0, zone = 0, has_zone = 0;
    int64_t t;
    if (trimmed(s, buf, sizeof buf) != 0)
        return fail(why, "expected a time like 2024-05-14T09:00Z");
    if (strcmp(buf, "now") == 0) {
        t = now_ms;
    } else if (buf[0] == '+') {
        if (parse_relative(buf + 1, now_ms, &t, why) != 0)
            return -1;
    } else if (buf[0] == '@') {
        long long v;
        if (tr_cli_parse_int(buf + 1, 0, TIME_MAX_MS, &v, why) != 0)
            return -1;
        t = v;
    } else {
        if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
            digits(&p, 2, &d) || (*p != 'T' && *p != 't' && *p != ' '))
            return fail(why, "expected YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]");
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return fail(why, "expected YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]");
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec))
                return fail(why, "bad seconds");
            if (*p == '.') {
                int scale = 100, nd = 0;
                for (p++; isdigit((unsigned char)*p); p++, nd++) {
                    ms += (*p - '0') * scale;
                    scale /= 10;
                }
                if (nd == 0)
                    return fail(why, "bad fraction of a second");
            }
        }
        if (*p == 'Z' || *p == 'z') {
            has_zone = 1;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, zh, zm = 0;
            if (digits(&p, 2, &zh))
                return fail(why, "bad zone offset (+HH:MM)");
            if (*p == ':')
                p++;
            if (isdigit((unsigned char)*p) && digits(&p, 2, &zm))
                return fail(why, "bad zone offset (+HH:MM)");
            if (zh > 23 || zm > 59)
                return fail(why, "bad zone offset (+HH:MM)");
            zone = sign * (zh * 60 + zm);
            has_zone = 1;
        }
        if (*p != '\0')
            return fail(why, "unexpected text after the time");
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
            return fail(why, "no such date or time");
        struct tm tm = { .tm_year = y - 1900,
                         .tm_mon = mo - 1,
                         .tm_mday = d,
                         .tm_hour = h,
                         .tm_min = mi,
                         .tm_sec = sec,
                         .tm_isdst = -1 };
        time_t secs = has_zone ? timegm(&tm) : mktime(&tm);
        if (secs == (time_t)-1 && !(has_zone && y == 1969))
            return fail(why, "time not representable");
        t = ((int64_t)secs - (int64_t)zone * 60) * 1000 + ms;
    }
    if (t < TIME_MIN_MS || t > TIME_MAX_MS)
        return fail(why, "time outside 2000-01-01 .. 2100-01-01");
    *out = t;
    return 0;
}

int tr_cli_split_list(char *s, char **items, size_t cap, const char **why)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, ",; \t", &save); tok; tok = strtok_r(NULL, ",; \t", &save)) {
        if (n >= cap)
            return fail(why, "too many items");
        items[n++] = tok;
    }
    return (int)n;
}
