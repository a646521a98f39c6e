/*
 * tests/fuzz/fuzz_tz.c: fuzz harness for common/tz: every input goes to
 * tr_tz_load_mem() (TZif) and, up to its first NUL, to tr_tz_from_posix()
 * (POSIX TZ strings). Whatever loads is then evaluated at instants taken
 * from the input and at fixed ones (0, 2026, 2100, the clamp limits,
 * INT64_MIN/MAX), with a schedule of shifts also taken from the input.
 *
 * For every input: no crash, leak or undefined behaviour, and these hold,
 * else it aborts: offsets within +-26 h; tr_tz_local() fields in range and
 * agreeing with tr_tz_offset_s(); tr_shift_next_change() returns a later
 * instant where the status differs while 1 ms before it does not; the UTC
 * hour mask has no bits above 23 and includes every hour whose start is on
 * shift.
 */
#include "common/tz.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SHIFTS 6

static int64_t take64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

static void check_local(const struct tr_tz *tz, int64_t t)
{
    struct tr_tz_local l;
    tr_tz_local(tz, t, &l);
    int off = tr_tz_offset_s(tz, t);
    if (off < -26 * 3600 || off > 26 * 3600 || off != l.offset_s || l.month < 1 || l.month > 12 ||
        l.mday < 1 || l.mday > 31 || l.yday < 0 || l.yday > 365 || l.wday < 1 || l.wday > 7 ||
        l.hour < 0 || l.hour > 23 || l.minute < 0 || l.minute > 59 || l.second < 0 ||
        l.second > 59 || l.ms < 0 || l.ms > 999 || l.minute_of_day != l.hour * 60 + l.minute)
        abort();
}

static void check_shifts(const struct tr_tz *tz, const struct tr_shift *sh, size_t n, int64_t t)
{
    int64_t nx;
    bool s0 = tr_shift_on(tz, sh, n, t);
    int rc = tr_shift_next_change(tz, sh, n, t, &nx);
    if (rc == TR_TZ_OK) {
        if (t > TR_TZ_LIMIT_MS || t < -TR_TZ_LIMIT_MS)
            t = t > 0 ? TR_TZ_LIMIT_MS : -TR_TZ_LIMIT_MS;
        if (nx <= t || tr_shift_on(tz, sh, n, nx) == s0 || tr_shift_on(tz, sh, n, nx - 1) != s0)
            abort();
    } else if (rc != TR_TZ_ERR_NO_CHANGE || nx != INT64_MAX) {
        abort();
    }
    uint32_t mask;
    tr_shift_hours_utc(tz, sh, n, t, &mask);
    if (mask >> 24)
        abort();
    if (t >= -TR_TZ_LIMIT_MS && t <= TR_TZ_LIMIT_MS - 86400000)
        for (int h = 0; h < 24; h++)
            if (tr_shift_on(tz, sh, n, t + h * INT64_C(3600000)) && !(mask & (1u << h)))
                abort();
}

static void exercise(const struct tr_tz *tz, const uint8_t *data, size_t size)
{
    static const int64_t fixed[] = { 0,
                                     INT64_C(1773000000000), /* 2026-03 */
                                     INT64_C(1793000000000), /* 2026-10 */
                                     INT64_C(4102444800000), /* 2100 */
                                     INT64_C(-5000000000000),
                                     TR_TZ_LIMIT_MS,
                                     -TR_TZ_LIMIT_MS,
                                     INT64_MIN,
                                     INT64_MAX };
    struct tr_shift sh[MAX_SHIFTS];
    size_t n = 0;
    /* a schedule from the first bytes: data[0] % 7 shifts of 3 bytes each */
    size_t want = size > 0 ? data[0] % 7u : 0;
    for (; n < want && 1 + 3 * n + 3 <= size; n++) {
        const uint8_t *p = data + 1 + 3 * n;
        sh[n].day = p[0] % 9; /* 0 and 8 are invalid */
        snprintf(sh[n].start, sizeof sh[n].start, "%02u:%02u", p[1] % 25u, p[1] / 25u * 7u % 61u);
        snprintf(sh[n].end, sizeof sh[n].end, "%02u:%02u", p[2] % 25u, p[2] / 25u * 7u % 61u);
    }
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        check_local(tz, fixed[i]);
        if (i < 5)
            check_shifts(tz, sh, n, fixed[i]);
    }
    for (size_t off = 0; off + 8 <= size && off < 64; off += 8) {
        int64_t t = take64(data + size - 8 - off);
        check_local(tz, t);
        check_local(tz, t >> 20); /* near the epoch: inside real tables */
        check_shifts(tz, sh, n, t >> 20);
    }
    check_shifts(tz, NULL, 0, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_tz *tz = NULL;
    if (tr_tz_load_mem(data, size, NULL, &tz) == TR_TZ_OK) {
        exercise(tz, data, size);
        tr_tz_free(tz);
    } else if (tz) {
        abort(); /* an error must leave *out NULL */
    }

    char str[300];
    size_t len = size < sizeof str - 1 ? size : sizeof str - 1;
    memcpy(str, data, len);
    str[len] = '\0';
    size_t sl = strlen(str);
    if (sl > 0 && str[sl - 1] == '\n')
        str[sl - 1] = '\0'; /* corpus files end in a newline */
    if (tr_tz_from_posix(str, &tz) == TR_TZ_OK) {
        exercise(tz, data, size);
        tr_tz_free(tz);
    }
    return 0;
}
