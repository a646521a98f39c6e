/*
 * tests/integration/test_e2e_shift.c: working hours change while the
 * dispatcher runs (its own timer, from tr_shift_next_change), end to end.
 *
 * sh-early's shift ends at the next minute, sh-late's starts then (both in
 * UTC; hours have minute resolution, so this test waits up to ~70 s). A job
 * needing their skill goes to sh-early (on shift) who declines it; it waits
 * unassigned until sh-late comes on shift, then sh-late is offered it; and
 * sh-early is no longer available after their shift. No timing assertions:
 * only outcomes within bounded waits.
 *
 * argv[1]: truckrolld.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 47.6062
#define SITE_LON (-122.3321)

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
    const char *args[] = { "--engine.retry_min_interval_ms=200", NULL };
    struct trd_console *con = NULL;
    CHECK(trd_setup(&d, argv[1], args, &con, ids, 2, ag) == 0);
    if (check_failed)
        goto out;

    /* UTC now, and the next minute boundary (possibly tomorrow) */
    time_t now = time(NULL);
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
    printf("UTC day %d minute %d: early %s, late %s\n", day, minute, hours_early, hours_late);

    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, 3, 0, &lat, &lon);
    CHECK(trd_contractor_add(con, "sh-early", "sh-fix", "en", "UTC", hours_early) == 0);
    CHECK(trd_agent_presence(ag[0], true, true) == 0 && trd_agent_fix(ag[0], lat, lon) == 0);
    trd_offset_km(SITE_LAT, SITE_LON, 1, 0, &lat, &lon);
    CHECK(trd_contractor_add(con, "sh-late", "sh-fix", "en", "UTC", hours_late) == 0);
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
    return check_report("e2e_shift");
}
