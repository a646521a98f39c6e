/*
 * tests/integration/test_e2e_shift.c: working hours change while the
 * dispatcher runs (its own timer, from tr_shift_next_change), end to end.
 *
 * sh-early's shift ends at the next local minute, sh-late's starts then. A
 * job needing their skill goes to sh-early (on shift) who declines it; it
 * waits unassigned until sh-late comes on shift, then sh-late is offered it;
 * and sh-early is no longer available after their shift. No timing
 * assertions: only outcomes within bounded waits.
 *
 * Hours have minute resolution, so in UTC the wait for the next minute would
 * be up to 60 s. Both contractors live instead in a zone made here
 * ("TrShift", a TZif file in a private zoneinfo directory given to truckrolld
 * with --tz.zoneinfo_dir) whose UTC offset has a seconds part chosen so that
 * the next local minute starts LEAD_S seconds after the test starts: the
 * same code path (offset, local minute, timer) without the wait.
 *
 * argv[1]: truckrolld.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"
#include "tests/support/tmpdir.h"

#define SITE_LAT 47.6062
#define SITE_LON (-122.3321)
#define LEAD_S   6 /* the next local minute starts this long after the zone is made */
#define ZONE     "TrShift"

static void be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* A TZif version 2 file (RFC 8536) for a fixed offset of utoff seconds east
 * (0..59): no transitions, one type "TRS", footer "TRS-0:00:SS". */
static int write_zone(const char *path, int utoff)
{
    unsigned char hdr[44] = { 'T', 'Z', 'i', 'f', '2' }, type[6];
    char footer[32];
    be32(hdr + 36, 1); /* typecnt */
    be32(hdr + 40, 4); /* charcnt */
    be32(type, (uint32_t)utoff);
    type[4] = 0; /* not DST */
    type[5] = 0; /* designation index */
    int n = snprintf(footer, sizeof(footer), "\nTRS-0:00:%02d\n", utoff);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    for (int block = 0; block < 2; block++) { /* the v1 block, then the v2 block */
        fwrite(hdr, 1, sizeof(hdr), f);
        fwrite(type, 1, sizeof(type), f);
        fwrite("TRS", 1, 4, f);
    }
    fwrite(footer, 1, (size_t)n, f);
    return fclose(f) == 0 ? 0 : -1;
}

static void hhmm(int minute, char out[6])
{
    unsigned h = (unsigned)(minute / 60) % 24u, m = (unsigned)minute % 60u;
    out[0] = (char)('0' + h / 10);
    out[1] = (char)('0' + h % 10);
    out[2] = ':';
    out[3] = (char)('0' + m / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

int main(int argc, char **argv)
{
    struct trd d;
    struct trd_agent *ag[2] = { 0 };
    static const char *const ids[] = { "sh-early", "sh-late" };
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD\n", argv[0]);
        return 2;
    }
    /* the zone: local = UTC + utoff, a local minute starting in LEAD_S s */
    char zdir[256], zpath[300], zarg[300];
    if (tr_test_tmpdir(zdir, sizeof(zdir), "tr-zone-") != 0)
        return 1;
    time_t utc = time(NULL);
    int utoff = (int)((60 - (utc + LEAD_S) % 60) % 60);
    snprintf(zpath, sizeof(zpath), "%s/%s", zdir, ZONE);
    snprintf(zarg, sizeof(zarg), "--tz.zoneinfo_dir=%s", zdir);
    CHECK(write_zone(zpath, utoff) == 0);

    const char *args[] = { "--engine.retry_min_interval_ms=200", zarg, NULL };
    struct trd_console *con = NULL;
    CHECK(trd_setup(&d, argv[1], args, &con, ids, 2, ag) == 0);
    if (check_failed)
        goto out;

    /* local now (UTC + utoff, as the dispatcher computes it from the zone
     * file), and the next local minute boundary (possibly tomorrow) */
    time_t now = utc + utoff;
    long days = (long)(now / 86400);
    int minute = (int)((now % 86400) / 60);
    int day = (int)((days + 3) % 7) + 1; /* 1970-01-01 was a Thursday (4) */
    int next = minute + 1, next_day = day;
    if (next == 1440) {
        next = 0;
        next_day = day % 7 + 1;
    }
    char a[6], b[6], hours_early[300], hours_late[300];
    /* early: from a few minutes ago to the next minute (today) */
    hhmm(minute >= 5 ? minute - 5 : 0, a);
    hhmm(next, b);
    snprintf(hours_early, sizeof(hours_early),
             "\"hours\":[{\"day\":%d,\"start\":\"%s\",\"end\":\"%s\"}]", day, a,
             next == 0 ? "00:00" : b);
    /* late: from the next minute for ten minutes */
    hhmm(next, a);
    hhmm(next + 10 >= 1440 ? 0 : next + 10, b);
    snprintf(hours_late, sizeof(hours_late),
             "\"hours\":[{\"day\":%d,\"start\":\"%s\",\"end\":\"%s\"}]", next_day, a, b);
    printf("%s (UTC+%d s) day %d minute %d: early %s, late %s\n", ZONE, utoff, day, minute,
           hours_early, hours_late);

    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, 3, 0, &lat, &lon);
    CHECK(trd_contractor_add(con, "sh-early", "sh-fix", "en", ZONE, hours_early) == 0);
    CHECK(trd_agent_presence(ag[0], true, true) == 0 && trd_agent_fix(ag[0], lat, lon) == 0);
    trd_offset_km(SITE_LAT, SITE_LON, 1, 0, &lat, &lon);
    CHECK(trd_contractor_add(con, "sh-late", "sh-fix", "en", ZONE, hours_late) == 0);
    CHECK(trd_agent_presence(ag[1], true, true) == 0 && trd_agent_fix(ag[1], lat, lon) == 0);

    char job[TR_MSG_ID_SIZE];
    struct tr_msg m;
    bool late_on = trd_wait_available(con, "sh-late", true, 200) == 0;
    if (!late_on) { /* the usual case: the minute has not turned yet */
        CHECK(trd_wait_available(con, "sh-early", true, 10000) == 0);
        CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "sh-fix", NULL, 0, job) == 0);
        if (trd_agent_wait(ag[0], TR_MSG_OFFER, job, &m, 10000) == 0)
            CHECK(trd_agent_answer(ag[0], job, m.u.offer.offer_id, false, TR_DECLINE_OFF_SHIFT) ==
                  0);
    } else {
        CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "sh-fix", NULL, 0, job) == 0);
    }
    /* the shift turns: the waiting job goes to sh-late */
    CHECK(trd_agent_wait(ag[1], TR_MSG_OFFER, job, NULL, 90000) == 0);
    CHECK(trd_wait_available(con, "sh-early", false, 90000) == 0);
    if (!late_on)
        CHECK(trd_log_count(&d, "contractor sh-late is now on shift") == 1);
    CHECK(trd_alive(&d));
out:
    CHECK(trd_teardown(&d, con, ag, 2, check_failed > 0) == 0);
    tr_test_tmpdir_remove(zdir);
    return check_report("e2e_shift");
}
