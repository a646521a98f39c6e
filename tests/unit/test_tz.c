/*
 * tests/unit/test_tz.c: common/tz against the system's zoneinfo (Debian's
 * tzdata; argv[1] overrides /usr/share/zoneinfo): known offsets around the
 * 2026 DST changes, far future (footer rule) and past, name validation,
 * POSIX TZ strings, corrupt TZif data, the zone set, and working hours
 * (DST gaps and overlaps, next change, UTC hour masks).
 *
 * It also cross-checks every offset and local date against glibc's
 * localtime_r with setenv("TZ") for thousands of random instants per zone.
 * That is process-global state, allowed here only because this test is
 * single-threaded; the library itself never touches TZ.
 */
#include "common/tz.h"
#include "tests/support/check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *g_dir = "/usr/share/zoneinfo";

#define H       3600
#define HOUR_MS INT64_C(3600000)
#define MIN_MS  INT64_C(60000)

/* UTC instant in ms; a naive calendar, independent of the library's. */
static int64_t utc(int64_t y, int mo, int d, int h, int mi, int s)
{
    static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int64_t days = 0;
    for (int64_t yy = 1970; yy < y; yy++)
        days += 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
    for (int64_t yy = y; yy < 1970; yy++)
        days -= 365 + ((yy % 4 == 0 && yy % 100 != 0) || yy % 400 == 0);
    for (int m = 1; m < mo; m++)
        days += mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    days += d - 1;
    return ((days * 24 + h) * 60 + mi) * MIN_MS + s * INT64_C(1000);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static struct tr_tz *load(const char *name)
{
    struct tr_tz *tz = NULL;
    int rc = tr_tz_load(name, g_dir, &tz);
    CHECK_MSG(rc == TR_TZ_OK, "%s: %s", name, tr_tz_strerror(rc));
    return tz;
}

static void check_off(const char *name, int64_t ms, int want)
{
    struct tr_tz *tz = load(name);
    int got = tr_tz_offset_s(tz, ms);
    CHECK_MSG(got == want, "%s at %lld: %d, want %d", name, (long long)ms, got, want);
    tr_tz_free(tz);
}

static void test_names(void)
{
    const char *good[] = { "UTC",       "America/Chicago", "America/Argentina/Buenos_Aires",
                           "Etc/GMT+5", "Etc/GMT-14",      "abcdefghijklmnopqrstuvwxyz0123" };
    const char *bad[] = { "",     "../etc/passwd", "/abs",     "America/../etc",
                          "a//b", "A/b/c/d",       "America/", ".",
                          "1abc", "Ame rica",      "x/./y",    "abcdefghijklmnopqrstuvwxyz01234" };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        CHECK_MSG(tr_tz_name_valid(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(!tr_tz_name_valid(bad[i]), "%s", bad[i]);
    CHECK(!tr_tz_name_valid(NULL));

    struct tr_tz *tz = (struct tr_tz *)&tz;
    CHECK(tr_tz_load("../etc/passwd", g_dir, &tz) == TR_TZ_ERR_BAD_NAME && tz == NULL);
    CHECK(tr_tz_load("/abs", g_dir, &tz) == TR_TZ_ERR_BAD_NAME);
    CHECK(tr_tz_load("Nope/Zone", g_dir, &tz) == TR_TZ_ERR_NOT_FOUND && tz == NULL);
    CHECK(tr_tz_load("America", g_dir, &tz) == TR_TZ_ERR_NOT_FOUND);
    CHECK(tr_tz_load(NULL, g_dir, &tz) == TR_TZ_ERR_BAD_NAME);
    CHECK(tr_tz_load("UTC", g_dir, NULL) == TR_TZ_ERR_INVALID);
    CHECK(strcmp(tr_tz_strerror(TR_TZ_ERR_NOT_FOUND), tr_tz_strerror(TR_TZ_ERR_BAD_NAME)) != 0);
    CHECK(strlen(tr_tz_strerror(12345)) > 0);

    /* UTC works without any zoneinfo; other zones do not */
    CHECK(tr_tz_load("UTC", "/nonexistent", &tz) == TR_TZ_OK);
    CHECK(tz && tr_tz_offset_s(tz, utc(2026, 7, 1, 0, 0, 0)) == 0);
    CHECK(strcmp(tr_tz_name(tz), "UTC") == 0);
    tr_tz_free(tz);
    CHECK(tr_tz_load("Etc/UTC", "/nonexistent", &tz) == TR_TZ_OK);
    tr_tz_free(tz);
    CHECK(tr_tz_load("America/Chicago", "/nonexistent", &tz) == TR_TZ_ERR_NOT_FOUND);
    /* leap-second zones ("right/", Debian's tzdata-legacy) are refused */
    char path[512];
    snprintf(path, sizeof path, "%s/right/UTC", g_dir);
    FILE *f = fopen(path, "rb");
    if (f) {
        fclose(f);
        CHECK(tr_tz_load("right/UTC", g_dir, &tz) == TR_TZ_ERR_UNSUPPORTED && !tz);
    }

    /* $TZDIR when no directory is given */
    setenv("TZDIR", "/nonexistent", 1);
    CHECK(tr_tz_load("America/Chicago", NULL, &tz) == TR_TZ_ERR_NOT_FOUND);
    setenv("TZDIR", g_dir, 1);
    CHECK(tr_tz_load("America/Chicago", NULL, &tz) == TR_TZ_OK);
    tr_tz_free(tz);
    unsetenv("TZDIR");
    tr_tz_free(NULL);
}

static void test_offsets(void)
{
    /* both 2026 US transitions, to the second */
    check_off("America/Chicago", utc(2026, 3, 8, 7, 59, 59), -6 * H);
    check_off("America/Chicago", utc(2026, 3, 8, 8, 0, 0), -5 * H);
    check_off("America/Chicago", utc(2026, 11, 1, 6, 59, 59), -5 * H);
    check_off("America/Chicago", utc(2026, 11, 1, 7, 0, 0), -6 * H);
    check_off("America/New_York", utc(2026, 3, 8, 6, 59, 59), -5 * H);
    check_off("America/New_York", utc(2026, 3, 8, 7, 0, 0), -4 * H);
    check_off("America/New_York", utc(2026, 11, 1, 5, 59, 59), -4 * H);
    check_off("America/New_York", utc(2026, 11, 1, 6, 0, 0), -5 * H);
    check_off("America/New_York", utc(2026, 11, 1, 6, 0, 0) - 1, -4 * H); /* 1 ms before */
    check_off("Europe/Berlin", utc(2026, 3, 29, 0, 59, 59), 1 * H);
    check_off("Europe/Berlin", utc(2026, 3, 29, 1, 0, 0), 2 * H);
    check_off("Europe/Berlin", utc(2026, 10, 25, 0, 59, 59), 2 * H);
    check_off("Europe/Berlin", utc(2026, 10, 25, 1, 0, 0), 1 * H);
    check_off("Australia/Sydney", utc(2026, 4, 4, 15, 59, 59), 11 * H);
    check_off("Australia/Sydney", utc(2026, 4, 4, 16, 0, 0), 10 * H);
    check_off("Australia/Sydney", utc(2026, 10, 3, 15, 59, 59), 10 * H);
    check_off("Australia/Sydney", utc(2026, 10, 3, 16, 0, 0), 11 * H);
    check_off("Asia/Tokyo", utc(2026, 3, 10, 1, 0, 0), 9 * H);
    check_off("Asia/Kolkata", utc(2026, 7, 1, 0, 0, 0), 5 * H + 1800);
    check_off("America/St_Johns", utc(2026, 1, 15, 0, 0, 0), -3 * H - 1800);
    check_off("America/St_Johns", utc(2026, 7, 15, 0, 0, 0), -2 * H - 1800);
    check_off("Pacific/Chatham", utc(2026, 1, 15, 0, 0, 0), 13 * H + 2700);
    check_off("Pacific/Chatham", utc(2026, 7, 15, 0, 0, 0), 12 * H + 2700);
    check_off("UTC", utc(2026, 7, 15, 0, 0, 0), 0);
    /* far future: past the table, from the footer rule */
    check_off("America/Chicago", utc(2100, 1, 15, 0, 0, 0), -6 * H);
    check_off("America/Chicago", utc(2100, 7, 15, 0, 0, 0), -5 * H);
    check_off("America/Chicago", utc(2100, 3, 14, 7, 59, 59), -6 * H);
    check_off("America/Chicago", utc(2100, 3, 14, 8, 0, 0), -5 * H);
    check_off("Europe/Berlin", utc(2150, 7, 1, 0, 0, 0), 2 * H);
    check_off("Australia/Sydney", utc(2150, 1, 1, 0, 0, 0), 11 * H);
    /* past: local mean time, and Japan's post-war DST */
    check_off("America/Chicago", utc(1850, 1, 1, 0, 0, 0), -21036);
    check_off("America/Chicago", utc(1900, 1, 1, 0, 0, 0), -6 * H);
    check_off("Asia/Tokyo", utc(1949, 7, 1, 0, 0, 0), 10 * H);

    /* local fields: Tokyo, Tuesday 2026-03-10 03:00:00.250 */
    struct tr_tz *tz = load("Asia/Tokyo");
    struct tr_tz_local l;
    tr_tz_local(tz, utc(2026, 3, 9, 18, 0, 0) + 250, &l);
    CHECK(l.year == 2026 && l.month == 3 && l.mday == 10 && l.wday == 2 && l.hour == 3);
    CHECK(l.minute == 0 && l.second == 0 && l.ms == 250 && l.minute_of_day == 180);
    CHECK(l.yday == 68 && l.offset_s == 9 * H && !l.is_dst);
    tr_tz_free(tz);
    tz = load("America/St_Johns");
    tr_tz_local(tz, utc(2026, 7, 15, 0, 0, 0), &l); /* 2026-07-14 21:30 NDT, a Tuesday */
    CHECK(l.mday == 14 && l.wday == 2 && l.minute_of_day == 21 * 60 + 30 && l.is_dst);
    /* extreme inputs are clamped, never overflow */
    tr_tz_local(tz, INT64_MAX, &l);
    CHECK(l.month >= 1 && l.month <= 12 && l.wday >= 1 && l.wday <= 7);
    tr_tz_local(tz, INT64_MIN, &l);
    CHECK(l.month >= 1 && l.month <= 12 && l.minute_of_day >= 0 && l.minute_of_day < 1440);
    tr_tz_free(tz);
    tr_tz_local(NULL, 0, &l); /* NULL zone = UTC: 1970-01-01 was a Thursday */
    CHECK(l.year == 1970 && l.wday == 4 && l.offset_s == 0);
}

/* tr_tz_offset_s and tr_tz_local against glibc at random instants. */
static void cross_check(const char *name, struct tr_tz *tz, int64_t lo_s, int64_t hi_s, int count)
{
    int bad = 0;
    setenv("TZ", name, 1);
    tzset();
    for (int i = 0; i < count; i++) {
        int64_t s = lo_s + (int64_t)(rnd() % (uint64_t)(hi_s - lo_s));
        time_t tt = (time_t)s;
        struct tm tm;
        struct tr_tz_local l;
        if (!localtime_r(&tt, &tm))
            continue;
        tr_tz_local(tz, s * 1000, &l);
        if (l.offset_s != tm.tm_gmtoff || l.year != tm.tm_year + 1900 || l.month != tm.tm_mon + 1 ||
            l.mday != tm.tm_mday || l.hour != tm.tm_hour || l.minute != tm.tm_min ||
            l.second != tm.tm_sec || l.wday != (tm.tm_wday + 6) % 7 + 1 || l.yday != tm.tm_yday ||
            l.is_dst != (tm.tm_isdst > 0) || tr_tz_offset_s(tz, s * 1000) != l.offset_s) {
            if (bad++ < 5)
                fprintf(stderr, "%s at %lld: ours %d %lld-%02d-%02d %02d:%02d dst %d, glibc %ld\n",
                        name, (long long)s, l.offset_s, (long long)l.year, l.month, l.mday, l.hour,
                        l.minute, l.is_dst, (long)tm.tm_gmtoff);
        }
    }
    CHECK_MSG(bad == 0, "%s: %d of %d instants disagree with glibc", name, bad, count);
}

static void test_glibc(void)
{
    static const char *zones[] = {
        "America/Chicago",   "America/New_York",    "Europe/Berlin",
        "Asia/Tokyo",        "Australia/Sydney",    "Asia/Kolkata",
        "America/St_Johns",  "Pacific/Chatham",     "UTC",
        "America/Nuuk",      "America/Santiago",    "Europe/Dublin",
        "Asia/Tehran",       "Australia/Lord_Howe", "Africa/Casablanca",
        "America/Sao_Paulo", "Pacific/Kiritimati",  "Asia/Gaza",
        "Europe/London",     "America/Los_Angeles",
    };
    /* 32-bit time_t (armhf): glibc only covers 1901..2038 */
    int64_t lo = sizeof(time_t) >= 8 ? utc(1800, 1, 1, 0, 0, 0) / 1000 : INT32_MIN;
    int64_t hi = sizeof(time_t) >= 8 ? utc(2200, 1, 1, 0, 0, 0) / 1000 : INT32_MAX;
    int64_t now_lo = utc(2000, 1, 1, 0, 0, 0) / 1000, now_hi = utc(2038, 1, 1, 0, 0, 0) / 1000;
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        struct tr_tz *tz = load(zones[i]);
        if (!tz)
            continue;
        cross_check(zones[i], tz, lo, hi, 2000);
        cross_check(zones[i], tz, now_lo, now_hi, 2000);
        if (sizeof(time_t) >= 8) /* past the table: the footer rule */
            cross_check(zones[i], tz, now_hi, hi, 2000);
        tr_tz_free(tz);
    }
    /* bare POSIX strings (glibc parses them when no such file exists) */
    static const char *rules[] = { "EST5EDT,M3.2.0,M11.1.0",
                                   "<+09>-9",
                                   "CET-1CEST,M3.5.0,M10.5.0/3",
                                   "AEST-10AEDT,M10.1.0,M4.1.0/3",
                                   "XXX3YYY,J60/2,J300/2",
                                   "XXX3YYY,59/2,299/2",
                                   "<-02>2<-01>,M3.5.0/-1,M10.5.0/0",
                                   "IST-5:30" };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        struct tr_tz *tz = NULL;
        int rc = tr_tz_from_posix(rules[i], &tz);
        CHECK_MSG(rc == TR_TZ_OK, "%s: %s", rules[i], tr_tz_strerror(rc));
        if (tz)
            cross_check(rules[i], tz, now_lo, now_hi, 2000);
        tr_tz_free(tz);
    }
    unsetenv("TZ");
    tzset();
}

static void test_posix(void)
{
    struct tr_tz *tz = NULL;
    CHECK(tr_tz_from_posix("EST5EDT,0/0,J365/25", &tz) == TR_TZ_OK); /* DST all year */
    CHECK(tr_tz_offset_s(tz, utc(2026, 1, 1, 3, 0, 0)) == -4 * H);
    CHECK(tr_tz_offset_s(tz, utc(2026, 12, 31, 23, 0, 0)) == -4 * H);
    CHECK(tr_tz_offset_s(tz, utc(2027, 1, 1, 5, 0, 0)) == -4 * H);
    tr_tz_free(tz);
    CHECK(tr_tz_from_posix("EST5EDT", &tz) == TR_TZ_OK); /* US rules by default */
    CHECK(tr_tz_offset_s(tz, utc(2026, 3, 8, 7, 0, 0)) == -4 * H);
    CHECK(tr_tz_offset_s(tz, utc(2026, 3, 8, 6, 59, 59)) == -5 * H);
    tr_tz_free(tz);
    static const char *bad[] = { "",
                                 "E",
                                 "EST",
                                 "EST5EDT,M13.1.0,M11.1.0",
                                 "EST5EDT,M3.2.0",
                                 "EST25",
                                 "<+9>-9",
                                 "<+09-9",
                                 "EST5EDT,J0,J5",
                                 "EST5EDT,366,5",
                                 "EST5EDT,M3.2.0/168,M11.1.0",
                                 "EST5EDT,M3.0.0,M11.1.0",
                                 "EST5EDT,M3.2.7,M11.1.0",
                                 "EST5:60",
                                 "EST5EDT,M3.2.0,M11.1.0x",
                                 "EST5 " };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        tz = (struct tr_tz *)&tz;
        CHECK_MSG(tr_tz_from_posix(bad[i], &tz) == TR_TZ_ERR_BAD_RULE && tz == NULL, "'%s'",
                  bad[i]);
    }
    CHECK(tr_tz_from_posix(NULL, &tz) == TR_TZ_ERR_INVALID);
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(TR_TZ_MAX_FILE);
    *len = 0;
    if (f && buf)
        *len = fread(buf, 1, TR_TZ_MAX_FILE, f);
    if (f)
        fclose(f);
    return buf;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void test_corrupt(void)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/America/Chicago", g_dir);
    uint8_t *buf = read_all(path, &len);
    struct tr_tz *tz = NULL;
    CHECK(len > 1000 && tr_tz_load_mem(buf, len, "America/Chicago", &tz) == TR_TZ_OK);
    tr_tz_free(tz);
    CHECK(tr_tz_load_mem(buf, len, "../x", &tz) == TR_TZ_ERR_BAD_NAME && !tz);

    /* every truncation is an error */
    int ok = 0;
    for (size_t n = 0; n < len; n++) {
        ok += tr_tz_load_mem(buf, n, NULL, &tz) == TR_TZ_OK;
        tr_tz_free(tz);
    }
    CHECK(ok == 0);

    /* random byte flips: an answer either way, never a crash (ASan/UBSan) */
    uint8_t *copy = malloc(len);
    for (int i = 0; i < 3000 && copy; i++) {
        memcpy(copy, buf, len);
        for (int k = 0; k < 1 + i % 4; k++)
            copy[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
        if (tr_tz_load_mem(copy, len, NULL, &tz) == TR_TZ_OK) {
            (void)tr_tz_offset_s(tz, (int64_t)(rnd() % (UINT64_C(1) << 44)));
            tr_tz_free(tz);
        }
    }

    /* targeted damage: magic, version, type count, transition order,
     * leap seconds, trailing bytes, footer */
    struct {
        size_t at;
        uint8_t val;
        int want;
    } cases[] = { { 0, 'X', TR_TZ_ERR_CORRUPT },
                  { 4, '9', TR_TZ_ERR_CORRUPT },
                  { 39, 0, TR_TZ_ERR_CORRUPT } };
    for (size_t i = 0; copy && i < sizeof cases / sizeof *cases; i++) {
        memcpy(copy, buf, len);
        copy[cases[i].at] = cases[i].val;
        CHECK_MSG(tr_tz_load_mem(copy, len, NULL, &tz) == cases[i].want, "case %zu", i);
    }
    if (copy) {
        memcpy(copy, buf, len);
        put32(copy + 28, 1); /* a leap second record in the v1 header */
        CHECK(tr_tz_load_mem(copy, len, NULL, &tz) != TR_TZ_OK);
        memcpy(copy, buf, len);
        copy[len - 3] = '!'; /* footer "...M11.1.0\n" -> "...M11.1!0\n" */
        CHECK(tr_tz_load_mem(copy, len, NULL, &tz) == TR_TZ_ERR_CORRUPT);
    }
    uint8_t *longer = malloc(len + 1);
    if (longer) {
        memcpy(longer, buf, len);
        longer[len] = '\n';
        CHECK(tr_tz_load_mem(longer, len + 1, NULL, &tz) == TR_TZ_ERR_CORRUPT);
    }
    CHECK(tr_tz_load_mem(buf, TR_TZ_MAX_FILE + 1, NULL, &tz) == TR_TZ_ERR_TOO_LARGE);
    CHECK(tr_tz_load_mem(NULL, 10, NULL, &tz) == TR_TZ_ERR_INVALID);
    CHECK(tr_tz_load_mem("TZif", 4, NULL, &tz) == TR_TZ_ERR_CORRUPT);

    /* a hand-made version-1 file: header + v1 block of Chicago only */
    uint32_t c[6];
    for (int k = 0; k < 6; k++)
        c[k] = (uint32_t)buf[20 + 4 * k] << 24 | (uint32_t)buf[21 + 4 * k] << 16 |
               (uint32_t)buf[22 + 4 * k] << 8 | buf[23 + 4 * k];
    size_t v1 = 44 + c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
    if (copy && v1 < len) {
        memcpy(copy, buf, v1);
        copy[4] = 0;
        CHECK(tr_tz_load_mem(copy, v1, NULL, &tz) == TR_TZ_OK);
        CHECK(tr_tz_offset_s(tz, utc(2026, 7, 1, 0, 0, 0)) == -5 * H);
        CHECK(tr_tz_offset_s(tz, utc(1950, 1, 1, 0, 0, 0)) == -6 * H);
        tr_tz_free(tz);
        /* a transition index past the types */
        if (c[3] > 0) {
            copy[44 + c[3] * 4] = (uint8_t)c[4];
            CHECK(tr_tz_load_mem(copy, v1, NULL, &tz) == TR_TZ_ERR_CORRUPT);
            memcpy(copy, buf, v1);
            copy[4] = 0;
            memcpy(copy + 48, copy + 44, 4); /* two equal times: not ascending */
            CHECK(tr_tz_load_mem(copy, v1, NULL, &tz) == TR_TZ_ERR_CORRUPT);
        }
    }
    free(longer);
    free(copy);
    free(buf);
}

static void test_set(void)
{
    struct tr_tz_set *set = NULL;
    const struct tr_tz *a = NULL, *b = NULL;
    CHECK(tr_tz_set_new(g_dir, &set) == TR_TZ_OK);
    CHECK(tr_tz_set_get(set, "America/Chicago", &a) == TR_TZ_OK && a);
    CHECK(tr_tz_set_get(set, "America/Chicago", &b) == TR_TZ_OK && a == b);
    CHECK(tr_tz_set_get(set, "Nope/Zone", &b) == TR_TZ_ERR_NOT_FOUND && !b);
    CHECK(tr_tz_set_get(set, "Nope/Zone", &b) == TR_TZ_ERR_NOT_FOUND && !b);
    CHECK(tr_tz_set_get(set, "../etc/passwd", &b) == TR_TZ_ERR_BAD_NAME);
    CHECK(tr_tz_set_count(set) == 2);
    /* many zones: the table grows, handed-out pointers stay valid */
    static const char *more[] = { "Europe/Berlin",
                                  "Asia/Tokyo",
                                  "Australia/Sydney",
                                  "Asia/Kolkata",
                                  "America/St_Johns",
                                  "Pacific/Chatham",
                                  "UTC",
                                  "Etc/UTC",
                                  "Europe/Paris",
                                  "Europe/Madrid",
                                  "Africa/Lagos",
                                  "America/Denver",
                                  "America/Phoenix",
                                  "Asia/Shanghai" };
    char name[32];
    for (int i = 0; i < 60; i++) {
        snprintf(name, sizeof name, "Missing/Zone%d", i);
        CHECK(tr_tz_set_get(set, name, &b) == TR_TZ_ERR_NOT_FOUND);
    }
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        CHECK_MSG(tr_tz_set_get(set, more[i], &b) == TR_TZ_OK && b, "%s", more[i]);
    CHECK(tr_tz_set_get(set, "America/Chicago", &b) == TR_TZ_OK && a == b);
    CHECK(tr_tz_offset_s(a, utc(2026, 7, 1, 0, 0, 0)) == -5 * H);
    CHECK(tr_tz_set_count(set) == 2 + 60 + sizeof more / sizeof *more);
    tr_tz_set_free(set);
    tr_tz_set_free(NULL);
    CHECK(tr_tz_set_new("/nonexistent", &set) == TR_TZ_OK);
    CHECK(tr_tz_set_get(set, "UTC", &a) == TR_TZ_OK && tr_tz_offset_s(a, 0) == 0);
    tr_tz_set_free(set);
}

#define SHIFT(d, s, e)                                                                             \
    {                                                                                              \
        .day = d, .start = s, .end = e                                                             \
    }

/* Invariants of tr_shift_next_change at random instants. */
static void check_next(const struct tr_tz *tz, const struct tr_shift *sh, size_t n, int64_t base)
{
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        int64_t t = base + (int64_t)(rnd() % (uint64_t)(400 * 86400000LL));
        int64_t nx;
        bool s0 = tr_shift_on(tz, sh, n, t);
        if (tr_shift_next_change(tz, sh, n, t, &nx) != TR_TZ_OK) {
            bad++;
            continue;
        }
        bool fine =
            nx > t && tr_shift_on(tz, sh, n, nx) != s0 && tr_shift_on(tz, sh, n, nx - 1) == s0;
        for (int64_t u = t; fine && u < nx; u += 7 * MIN_MS)
            fine = tr_shift_on(tz, sh, n, u) == s0;
        bad += !fine;
    }
    CHECK_MSG(bad == 0, "%s: %d bad next changes", tr_tz_name(tz), bad);
}

/* tr_shift_hours_utc against sampling every UTC minute. */
static void check_hours(const struct tr_tz *tz, const struct tr_shift *sh, size_t n, int64_t day)
{
    uint32_t mask, want = 0;
    tr_shift_hours_utc(tz, sh, n, day, &mask);
    for (int m = 0; m < 1440; m++)
        if (tr_shift_on(tz, sh, n, day + m * MIN_MS))
            want |= 1u << (m / 60);
    CHECK_MSG(mask == want, "%s: mask %06x, want %06x", tr_tz_name(tz), mask, want);
}

static void test_shifts(void)
{
    struct tr_tz *tokyo = load("Asia/Tokyo"), *chi = load("America/Chicago");
    struct tr_tz *kol = load("Asia/Kolkata");
    struct tr_shift week[5];
    for (int d = 0; d < 5; d++)
        week[d] = (struct tr_shift)SHIFT(d + 1, "09:00", "18:00");
    int64_t nx;

    /* Tokyo, Mon-Fri 09:00-18:00: off at 03:00 Tuesday, on at 10:00 */
    int64_t tue3 = utc(2026, 3, 9, 18, 0, 0), tue10 = utc(2026, 3, 10, 1, 0, 0);
    CHECK(!tr_shift_on(tokyo, week, 5, tue3));
    CHECK(tr_shift_on(tokyo, week, 5, tue10));
    CHECK(tr_shift_next_change(tokyo, week, 5, tue3, &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 10, 0, 0, 0));
    CHECK(tr_shift_next_change(tokyo, week, 5, tue10, &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 10, 9, 0, 0));
    /* Friday 18:00 -> Monday 09:00 */
    CHECK(tr_shift_next_change(tokyo, week, 5, utc(2026, 3, 13, 9, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 16, 0, 0, 0));
    uint32_t mask;
    tr_shift_hours_utc(tokyo, week, 5, utc(2026, 3, 10, 0, 0, 0), &mask);
    CHECK(mask == 0x1ffu); /* 09:00-18:00 JST = 00:00-09:00 UTC */
    tr_shift_hours_utc(tokyo, week, 5, utc(2026, 3, 15, 0, 0, 0), &mask);
    CHECK(mask == 0); /* Sunday UTC */
    tr_shift_hours_utc(kol, week, 5, utc(2026, 3, 10, 0, 0, 0), &mask);
    CHECK(mask == 0x1ff8u); /* 03:30-12:30 UTC: hours 3..12 */

    /* absent hours: always on; an empty schedule: never */
    CHECK(tr_shift_on(tokyo, NULL, 0, tue3));
    CHECK(tr_shift_next_change(tokyo, NULL, 0, tue3, &nx) == TR_TZ_ERR_NO_CHANGE &&
          nx == INT64_MAX);
    tr_shift_hours_utc(tokyo, NULL, 0, 0, &mask);
    CHECK(mask == 0xffffffu);
    CHECK(!tr_shift_on(tokyo, week, 0, tue10));
    CHECK(tr_shift_next_change(tokyo, week, 0, tue3, &nx) == TR_TZ_ERR_NO_CHANGE);
    tr_shift_hours_utc(tokyo, week, 0, 0, &mask);
    CHECK(mask == 0);
    struct tr_shift all[7];
    for (int d = 0; d < 7; d++)
        all[d] = (struct tr_shift)SHIFT(d + 1, "00:00", "00:00");
    CHECK(tr_shift_on(chi, all, 7, tue3));
    CHECK(tr_shift_next_change(chi, all, 7, tue3, &nx) == TR_TZ_ERR_NO_CHANGE);

    /* crossing midnight as two entries, "00:00" as the end; and Sun -> Mon */
    struct tr_shift night[] = { SHIFT(1, "22:00", "00:00"), SHIFT(2, "00:00", "06:00"),
                                SHIFT(7, "22:00", "00:00"), SHIFT(1, "00:00", "02:00") };
    struct tr_tz *u = load("UTC");
    CHECK(tr_shift_on(u, night, 4, utc(2026, 3, 9, 23, 59, 59)));
    CHECK(tr_shift_on(u, night, 4, utc(2026, 3, 10, 0, 0, 0)));
    CHECK(!tr_shift_on(u, night, 4, utc(2026, 3, 10, 6, 0, 0)));
    CHECK(tr_shift_next_change(u, night, 4, utc(2026, 3, 9, 21, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 9, 22, 0, 0));
    CHECK(tr_shift_next_change(u, night, 4, utc(2026, 3, 9, 22, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 10, 6, 0, 0));
    CHECK(tr_shift_next_change(u, night, 4, utc(2026, 3, 15, 23, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 16, 2, 0, 0));

    /* entries that break the contract never match */
    struct tr_shift broken[] = { SHIFT(0, "09:00", "18:00"), SHIFT(8, "09:00", "18:00"),
                                 SHIFT(2, "24:00", "00:00"), SHIFT(2, "9:00", "18:00"),
                                 SHIFT(2, "18:00", "09:00"), SHIFT(2, "09:00", "09:00"),
                                 SHIFT(2, "09:60", "10:00") };
    CHECK(!tr_shift_on(tokyo, broken, 7, tue10));
    CHECK(tr_shift_next_change(tokyo, broken, 7, tue10, &nx) == TR_TZ_ERR_NO_CHANGE);
    CHECK(tr_shift_parse_hhmm("23:59") == 1439 && tr_shift_parse_hhmm("00:00") == 0);
    CHECK(tr_shift_parse_hhmm("12:3") == -1 && tr_shift_parse_hhmm(NULL) == -1);

    /* spring forward in Chicago (2026-03-08, 02:00 CST -> 03:00 CDT) */
    struct tr_shift gap[] = { SHIFT(7, "02:30", "03:30") };
    CHECK(!tr_shift_on(chi, gap, 1, utc(2026, 3, 8, 7, 59, 59)));
    CHECK(tr_shift_on(chi, gap, 1, utc(2026, 3, 8, 8, 0, 0)));
    CHECK(tr_shift_next_change(chi, gap, 1, utc(2026, 3, 8, 7, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 8, 8, 0, 0)); /* starts at the jump */
    CHECK(tr_shift_next_change(chi, gap, 1, nx, &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 8, 8, 30, 0));
    struct tr_shift inside[] = { SHIFT(7, "02:00", "02:30") }; /* does not happen that day */
    CHECK(tr_shift_next_change(chi, inside, 1, utc(2026, 3, 7, 12, 0, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 3, 15, 7, 0, 0));
    /* fall back (2026-11-01, 01:00-02:00 twice): on in both passes */
    struct tr_shift over[] = { SHIFT(7, "00:00", "01:30") };
    CHECK(tr_shift_on(chi, over, 1, utc(2026, 11, 1, 6, 0, 0)));
    CHECK(!tr_shift_on(chi, over, 1, utc(2026, 11, 1, 6, 30, 0)));
    CHECK(tr_shift_on(chi, over, 1, utc(2026, 11, 1, 7, 0, 0)));
    CHECK(!tr_shift_on(chi, over, 1, utc(2026, 11, 1, 7, 30, 0)));
    CHECK(tr_shift_next_change(chi, over, 1, utc(2026, 11, 1, 6, 30, 0), &nx) == TR_TZ_OK &&
          nx == utc(2026, 11, 1, 7, 0, 0));
    CHECK(tr_shift_next_change(chi, over, 1, nx, &nx) == TR_TZ_OK &&
          nx == utc(2026, 11, 1, 7, 30, 0));

    /* invariants across zones and a mixed schedule */
    struct tr_shift mixed[] = { SHIFT(1, "08:00", "12:00"), SHIFT(1, "13:00", "17:30"),
                                SHIFT(3, "00:00", "00:00"), SHIFT(5, "23:45", "00:00"),
                                SHIFT(6, "00:00", "00:15"), SHIFT(7, "01:30", "02:45") };
    static const char *zones[] = { "America/Chicago",     "Australia/Sydney", "Pacific/Chatham",
                                   "America/St_Johns",    "Asia/Kolkata",     "America/Nuuk",
                                   "Australia/Lord_Howe", "Europe/Dublin" };
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        struct tr_tz *tz = load(zones[i]);
        if (!tz)
            continue;
        check_next(tz, mixed, 6, utc(2025, 6, 1, 0, 0, 0));
        check_next(tz, mixed, 6, utc(2099, 6, 1, 0, 0, 0)); /* footer rule */
        check_next(tz, gap, 1, utc(2026, 1, 1, 0, 0, 0));
        for (int d = 0; d < 30; d++) {
            int64_t day = utc(2026, 1, 1, 0, 0, 0) + (int64_t)(rnd() % 400) * 86400000LL;
            check_hours(tz, mixed, 6, day);
            check_hours(tz, week, 5, day);
        }
        check_hours(tz, gap, 1, utc(2026, 3, 8, 0, 0, 0));
        check_hours(tz, over, 1, utc(2026, 11, 1, 0, 0, 0));
        tr_tz_free(tz);
    }
    tr_tz_free(u);
    tr_tz_free(kol);
    tr_tz_free(chi);
    tr_tz_free(tokyo);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        g_dir = argv[1];
    test_names();
    test_offsets();
    test_posix();
    test_corrupt();
    test_set();
    test_shifts();
    test_glibc();
    return check_report("unit.tz");
}
