/*
 * tests/unit/test_cli_parse.c: the console's parsers (dispatcher/cli/parse.h,
 * table.h): working hours both ways, money, times, positions, numbers,
 * lists, table layout and ages. CSV records: tests/unit/test_csv.c.
 */
#include <stdlib.h>
#include <string.h>

#include "dispatcher/cli/parse.h"
#include "dispatcher/cli/table.h"
#include "tests/support/check.h"

static int shift_is(const struct tr_shift *s, int day, const char *start, const char *end)
{
    return s->day == day && strcmp(s->start, start) == 0 && strcmp(s->end, end) == 0;
}

static void test_hours(void)
{
    struct tr_shift h[TR_MSG_MAX_SHIFTS];
    size_t n = 99;
    const char *why = NULL;
    char buf[256];

    CHECK(tr_cli_parse_hours("Mon-Fri 09:00-17:00, Sat 10:00-14:00", h, 21, &n, &why) == 0);
    CHECK(n == 6);
    CHECK(shift_is(&h[0], 1, "09:00", "17:00") && shift_is(&h[4], 5, "09:00", "17:00"));
    CHECK(shift_is(&h[5], 6, "10:00", "14:00"));
    CHECK(strcmp(tr_cli_format_hours(h, n, buf, sizeof buf),
                 "Mon-Fri 09:00-17:00, Sat 10:00-14:00") == 0);

    /* split days, several ranges, full names, any case, ';' separator */
    CHECK(tr_cli_parse_hours("mon,Wednesday 08:00-12:00 13:00-17:00; SUN 9:00-11:30", h, 21, &n,
                             &why) == 0);
    CHECK(n == 5);
    CHECK(shift_is(&h[0], 1, "08:00", "12:00") && shift_is(&h[1], 1, "13:00", "17:00"));
    CHECK(shift_is(&h[2], 3, "08:00", "12:00") && shift_is(&h[4], 7, "09:00", "11:30"));
    CHECK(strcmp(tr_cli_format_hours(h, n, buf, sizeof buf),
                 "Mon 08:00-12:00 13:00-17:00, Wed 08:00-12:00 13:00-17:00, Sun 09:00-11:30") == 0);

    /* overnight wraps into the next day (Sun -> Mon); 24:00 and 00:00 ends */
    CHECK(tr_cli_parse_hours("Sun 22:00-06:00", h, 21, &n, &why) == 0);
    CHECK(n == 2 && shift_is(&h[0], 1, "00:00", "06:00") && shift_is(&h[1], 7, "22:00", "00:00"));
    CHECK(tr_cli_parse_hours("Fri 18:00-24:00", h, 21, &n, &why) == 0);
    CHECK(n == 1 && shift_is(&h[0], 5, "18:00", "00:00"));
    CHECK(strcmp(tr_cli_format_hours(h, n, buf, sizeof buf), "Fri 18:00-24:00") == 0);
    CHECK(tr_cli_parse_hours("Fri 18:00-00:00", h, 21, &n, &why) == 0 && n == 1);

    /* common/hours.h's syntax: ',' between ranges, ';' between items */
    CHECK(tr_cli_parse_hours("Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-13:00", h, 21, &n, &why) ==
              0 &&
          n == 11);
    CHECK(shift_is(&h[1], 1, "13:00", "17:00") && shift_is(&h[10], 6, "09:00", "13:00"));
    CHECK(tr_cli_parse_hours("never", h, 21, &n, &why) == 0 && n == 0);

    /* a CSV cell may break the line anywhere between words */
    CHECK(tr_cli_parse_hours("Mon-Fri 09:00-17:00,\r\nSat\n10:00-14:00\n", h, 21, &n, &why) == 0 &&
          n == 6);

    /* wrap-around day ranges and the named sets */
    CHECK(tr_cli_parse_hours("Fri-Mon 10:00-11:00", h, 21, &n, &why) == 0 && n == 4);
    CHECK(h[0].day == 1 && h[1].day == 5 && h[2].day == 6 && h[3].day == 7);
    CHECK(tr_cli_parse_hours("weekdays 07:00-15:00, weekends 10:00-12:00", h, 21, &n, &why) == 0 &&
          n == 7);
    CHECK(tr_cli_parse_hours("always", h, 21, &n, &why) == 0 && n == 7);
    CHECK(shift_is(&h[6], 7, "00:00", "00:00"));
    CHECK(strcmp(tr_cli_format_hours(h, n, buf, sizeof buf), "Mon-Sun 00:00-24:00") == 0);
    n = 5;
    CHECK(tr_cli_parse_hours("none", h, 21, &n, &why) == 0 && n == 0);
    CHECK(strcmp(tr_cli_format_hours(h, 0, buf, sizeof buf), "none") == 0);

    /* round trip through the formatter */
    const char *samples[] = { "Mon-Fri 09:00-17:00, Sat 10:00-14:00", "Tue 00:00-24:00",
                              "Mon 06:00-10:00 18:00-22:00, Thu-Fri 12:00-13:00" };
    for (size_t i = 0; i < 3; i++) {
        struct tr_shift again[TR_MSG_MAX_SHIFTS];
        size_t n2 = 0;
        CHECK(tr_cli_parse_hours(samples[i], h, 21, &n, &why) == 0);
        tr_cli_format_hours(h, n, buf, sizeof buf);
        CHECK_MSG(strcmp(buf, samples[i]) == 0, "%s -> %s", samples[i], buf);
        CHECK(tr_cli_parse_hours(buf, again, 21, &n2, &why) == 0 && n2 == n);
        CHECK(memcmp(again, h, n * sizeof h[0]) == 0);
    }

    /* errors */
    const char *bad[] = { "",
                          "Mon",
                          "09:00-17:00",
                          "Mon-Fry 09:00-17:00",
                          "Mon 09:00-09:00",
                          "Mon 9-17",
                          "Mon 24:00-02:00",
                          "Mon 09:60-10:00",
                          "Mon 25:00-26:00",
                          "Mon 09:00-12:00 11:00-13:00",
                          "Mon 09:00-17:00 Tue",
                          "09:00-10:00, Mon 11:00-12:00",
                          "daily 01:00-02:00 03:00-04:00 05:00-06:00 07:00-08:00" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        n = 77;
        CHECK_MSG(tr_cli_parse_hours(bad[i], h, 21, &n, &why) == -1 && why && n == 77,
                  "accepted '%s'", bad[i]);
    }
    CHECK(tr_cli_parse_hours(NULL, h, 21, &n, &why) == -1);
}

static void test_money(void)
{
    int64_t c = -1;
    const char *why = NULL;
    char buf[32];
    CHECK(tr_cli_parse_cents("85.00", &c, &why) == 0 && c == 8500);
    CHECK(tr_cli_parse_cents("85", &c, &why) == 0 && c == 8500);
    CHECK(tr_cli_parse_cents("85.5", &c, &why) == 0 && c == 8550);
    CHECK(tr_cli_parse_cents(" 0.07 ", &c, &why) == 0 && c == 7);
    CHECK(tr_cli_parse_cents("1000000.00", &c, &why) == 0 && c == 100000000);
    const char *bad[] = { "1000000.01", "10000000", "-1",  "85.123", "85.", ".5",
                          "1e3",        "8,50",     "$85", "85 USD", "",    "abc" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        c = 42;
        CHECK_MSG(tr_cli_parse_cents(bad[i], &c, &why) == -1 && c == 42, "accepted '%s'", bad[i]);
    }
    CHECK(strcmp(tr_cli_format_cents(8500, buf, sizeof buf), "85.00") == 0);
    CHECK(strcmp(tr_cli_format_cents(7, buf, sizeof buf), "0.07") == 0);
    CHECK(strcmp(tr_cli_format_cents(100000000, buf, sizeof buf), "1000000.00") == 0);
}

static void test_time(void)
{
    int64_t t = 0, now = INT64_C(1715688000000); /* 2024-05-14T12:00:00Z */
    const char *why = NULL;
    CHECK(tr_cli_parse_time("2024-05-14T12:00:00Z", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("2024-05-14T12:00Z", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("2024-05-14 14:00:00+02:00", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("2024-05-14T07:00:00-0500", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("2024-05-14T17:30+05:30", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("2024-05-14T12:00:00.250Z", now, &t, &why) == 0 && t == now + 250);
    CHECK(tr_cli_parse_time("2024-02-29T00:00Z", now, &t, &why) == 0 &&
          t == INT64_C(1709164800000));
    CHECK(tr_cli_parse_time("now", now, &t, &why) == 0 && t == now);
    CHECK(tr_cli_parse_time("+2h", now, &t, &why) == 0 && t == now + 7200000);
    CHECK(tr_cli_parse_time("+90m", now, &t, &why) == 0 && t == now + 5400000);
    CHECK(tr_cli_parse_time("+1d", now, &t, &why) == 0 && t == now + 86400000);
    CHECK(tr_cli_parse_time("@1715688000000", now, &t, &why) == 0 && t == now);
    /* no zone: local time, here TZ=UTC (set in main) */
    CHECK(tr_cli_parse_time("2024-05-14T12:00", now, &t, &why) == 0 && t == now);
    const char *bad[] = { "2023-02-29T00:00Z",
                          "2024-13-01T00:00Z",
                          "2024-05-14",
                          "2024-05-14T24:00Z",
                          "2024-05-14T12:00:00Q",
                          "1999-12-31T23:59Z",
                          "2100-01-02T00:00Z",
                          "+5",
                          "+-5m",
                          "@12",
                          "tomorrow",
                          "2024-5-14T12:00Z" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = 1;
        why = NULL;
        CHECK_MSG(tr_cli_parse_time(bad[i], now, &t, &why) == -1 && t == 1 && why, "accepted '%s'",
                  bad[i]);
    }
}

static void test_numbers(void)
{
    double lat = 0, lon = 0, d = 0;
    long long v = 0;
    bool b = false;
    const char *why = NULL;
    CHECK(tr_cli_parse_position("30.2672,-97.7431", &lat, &lon, &why) == 0);
    CHECK(lat == 30.2672 && lon == -97.7431);
    CHECK(tr_cli_parse_position(" -33.8688 151.2093 ", &lat, &lon, &why) == 0 && lat < 0);
    CHECK(tr_cli_parse_position("91,0", &lat, &lon, &why) == -1);
    CHECK(tr_cli_parse_position("0,181", &lat, &lon, &why) == -1);
    CHECK(tr_cli_parse_position("0", &lat, &lon, &why) == -1);
    CHECK(tr_cli_parse_position("nan,0", &lat, &lon, &why) == -1);
    CHECK(tr_cli_parse_position("1e999,0", &lat, &lon, &why) == -1);
    CHECK(tr_cli_parse_double("12.5", 1, 500, &d, &why) == 0 && d == 12.5);
    CHECK(tr_cli_parse_double("0.5", 1, 500, &d, &why) == -1);
    CHECK(tr_cli_parse_double("inf", -1e9, 1e9, &d, &why) == -1);
    CHECK(tr_cli_parse_double("0x10", 0, 100, &d, &why) == -1);
    CHECK(tr_cli_parse_double("5km", 0, 100, &d, &why) == -1);
    CHECK(tr_cli_parse_int("20", 1, 20, &v, &why) == 0 && v == 20);
    CHECK(tr_cli_parse_int("21", 1, 20, &v, &why) == -1);
    CHECK(tr_cli_parse_int("2.0", 1, 20, &v, &why) == -1);
    CHECK(tr_cli_parse_int("99999999999999999999", 0, 10, &v, &why) == -1);
    CHECK(tr_cli_parse_int("", 0, 10, &v, &why) == -1);
    CHECK(tr_cli_parse_bool("Yes", &b, &why) == 0 && b);
    CHECK(tr_cli_parse_bool("off", &b, &why) == 0 && !b);
    CHECK(tr_cli_parse_bool("maybe", &b, &why) == -1);

    char list[] = "install, network;printer  es";
    char *items[8];
    CHECK(tr_cli_split_list(list, items, 8, &why) == 4);
    CHECK(strcmp(items[0], "install") == 0 && strcmp(items[3], "es") == 0);
    char many[] = "a,b,c";
    CHECK(tr_cli_split_list(many, items, 2, &why) == -1);
    char none[] = " , ;";
    CHECK(tr_cli_split_list(none, items, 2, &why) == 0);
}

static void test_table(void)
{
    static const char *const hdr[] = { "ID", "TITLE", "N" };
    struct tr_cli_table *t = tr_cli_table_new(3, hdr);
    const char *r1[] = { "j-1", "Replace the broken disk in rack 4", "7" };
    const char *r2[] = { "j-22", "Café", "" };
    char buf[512] = "";
    FILE *f = tmpfile();
    CHECK(t && f);
    if (!t || !f)
        return;
    tr_cli_table_set_max(t, 1, 12);
    tr_cli_table_align_right(t, 2);
    CHECK(tr_cli_table_add(t, r1) == 0 && tr_cli_table_add(t, r2) == 0);
    CHECK(tr_cli_table_rows(t) == 2);
    tr_cli_table_print(t, f);
    rewind(f);
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    buf[got] = '\0';
    CHECK_MSG(strcmp(buf, "ID    TITLE         N\n"
                          "j-1   Replace t...  7\n"
                          "j-22  Café          -\n") == 0,
              "%s", buf);
    fclose(f);
    tr_cli_table_free(t);
    tr_cli_table_free(NULL);
    CHECK(tr_cli_utf8_len("Café") == 4);

    char a[24];
    CHECK(strcmp(tr_cli_fmt_age(45000, a, sizeof a), "45s") == 0);
    CHECK(strcmp(tr_cli_fmt_age(12 * 60000 + 5000, a, sizeof a), "12m") == 0);
    CHECK(strcmp(tr_cli_fmt_age(3 * 3600000 + 5 * 60000, a, sizeof a), "3h05m") == 0);
    CHECK(strcmp(tr_cli_fmt_age(2 * 86400000LL + 4 * 3600000, a, sizeof a), "2d04h") == 0);
    CHECK(strcmp(tr_cli_fmt_age(-5, a, sizeof a), "-") == 0);
    CHECK(strcmp(tr_cli_fmt_time(INT64_C(1715688000000), a, sizeof a), "2024-05-14 12:00:00") == 0);
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    test_hours();
    test_money();
    test_time();
    test_numbers();
    test_table();
    return check_report("test_cli_parse");
}
