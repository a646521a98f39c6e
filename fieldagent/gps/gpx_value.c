/*
 * fieldagent/gps/gpx_value.c: the leaf values of a GPX file: decimal
 * numbers (lat, lon, speed, course, hdop) and xsd:dateTime times. Strict
 * grammar, no locale surprises (the number grammar is checked here before
 * strtod sees it; programs never set LC_NUMERIC), no allocation.
 */
#include "fieldagent/gps/gpx.h"
#include "fieldagent/gps/gpx_xml.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

int tr_xml_number(struct tr_xml_slice v, double *out)
{
    const char *s = v.s;
    size_t len = v.len, i = 0, digits = 0;
    char buf[TR_GPX_MAX_VALUE];

    trim(&s, &len);
    if (len == 0 || len >= sizeof buf)
        return -1;
    /* [+-]? digits [. digits] ([eE] [+-]? digits)?  with a digit somewhere
     * in the mantissa */
    if (s[i] == '+' || s[i] == '-')
        i++;
    while (i < len && is_digit((unsigned char)s[i]))
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && is_digit((unsigned char)s[i]))
            i++, digits++;
    }
    if (digits == 0)
        return -1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t e = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-'))
            i++;
        while (i < len && is_digit((unsigned char)s[i]))
            i++, e++;
        if (e == 0)
            return -1;
    }
    if (i != len)
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    double d = strtod(buf, NULL);
    if (!isfinite(d))
        return -1;
    *out = d;
    return 0;
}

/* n digits at s as an int; -1 if any is not a digit. */
static int digits_at(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

int tr_gpx_parse_time(const char *s, size_t len, int64_t *ms_out)
{
    if (!s || !ms_out)
        return -1;
    trim(&s, &len);
    /* YYYY-MM-DDThh:mm:ss = 19 bytes */
    if (len < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -1;
    int y = digits_at(s, 4), mo = digits_at(s + 5, 2), d = digits_at(s + 8, 2);
    int h = digits_at(s + 11, 2), mi = digits_at(s + 14, 2), se = digits_at(s + 17, 2);
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || se < 0 || se > 60 || d > days_in_month(y, mo))
        return -1;
    size_t i = 19;
    int64_t frac_ms = 0;
    if (i < len && s[i] == '.') {
        size_t n = 0;
        i++;
        int64_t scale = 100;
        while (i < len && is_digit((unsigned char)s[i])) {
            if (n < 3) {
                frac_ms += (s[i] - '0') * scale;
                scale /= 10;
            }
            i++, n++;
        }
        if (n == 0)
            return -1;
    }
    int64_t offset_min = 0;
    if (i < len && s[i] == 'Z') {
        i++;
    } else if (i < len && (s[i] == '+' || s[i] == '-')) {
        if (len - i < 6 || s[i + 3] != ':')
            return -1;
        int oh = digits_at(s + i + 1, 2), om = digits_at(s + i + 4, 2);
        if (oh < 0 || om < 0 || om > 59 || oh * 60 + om > 14 * 60)
            return -1;
        offset_min = (s[i] == '-' ? -1 : 1) * (int64_t)(oh * 60 + om);
        i += 6;
    }
    if (i != len)
        return -1;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + se;
    secs -= offset_min * 60; /* local = UTC + offset */
    int64_t ms = secs * 1000 + frac_ms;
    if (ms < 0)
        return -1;
    *ms_out = ms;
    return 0;
}
