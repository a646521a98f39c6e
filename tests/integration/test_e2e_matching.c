/*
 * tests/integration/test_e2e_matching.c: who gets the offer, end to end
 * through a real mosquitto and the real truckrolld on a real SQLite file.
 *
 *   - the nearest available contractor wins (by ETA), with distance and ETA
 *     in the offer;
 *   - skill and language filters (es matches es-MX);
 *   - working hours in each contractor's own time zone: the same hours
 *     are on shift in Tokyo and off shift in Chicago; a Tokyo contractor
 *     whose shift is hours away (e.g. at 03:00 local) is not offered;
 *   - two jobs racing for one contractor with a job limit of 1: one offer,
 *     the other job waits; it goes to the next contractor who appears.
 *
 * Scenarios share one dispatcher and keep apart by skill names. No timing
 * assertions: every wait is bounded and only its outcome is checked.
 * argv[1]: truckrolld.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tz.h"
#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 40.0
#define SITE_LON (-75.0)
#define WAIT     10000

static struct trd d;
static struct trd_console *con;

/* Every agent of the file, connected at once (see trd_agents_new). */
static const char *const ids[] = { "n-far",       "n-near",       "n-mid",      "s-router-en",
                                   "s-router-es", "s-printer-es", "h-tokyo-on", "h-tokyo-off",
                                   "h-chicago",   "r-solo",       "r-next" };
#define N_AGENTS (sizeof(ids) / sizeof(ids[0]))
static struct trd_agent *pool[N_AGENTS];

static struct trd_agent *agent(const char *id)
{
    for (size_t i = 0; i < N_AGENTS; i++)
        if (strcmp(ids[i], id) == 0)
            return pool[i];
    return NULL;
}

static struct trd_agent *ready_at(const char *id, const char *skills, const char *langs,
                                  double north_km, const char *extra)
{
    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, north_km, 0, &lat, &lon);
    struct trd_agent *ag = agent(id);
    int rc = trd_enroll(con, ag, skills, langs, NULL, extra, lat, lon);
    CHECK_MSG(rc == 0, "agent %s", id);
    return rc == 0 ? ag : NULL;
}

static void test_nearest(void)
{
    struct trd_agent *far = ready_at("n-far", "n-printer", "en", 5, NULL);
    struct trd_agent *near = ready_at("n-near", "n-printer", "en", 2, NULL);
    struct trd_agent *mid = ready_at("n-mid", "n-printer", "en", 3.5, NULL);
    char job[TR_MSG_ID_SIZE];
    struct tr_msg m;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "n-printer", NULL, 0, job) == 0);
    CHECK(near && trd_agent_wait(near, TR_MSG_OFFER, job, &m, WAIT) == 0);
    if (m.type == TR_MSG_OFFER) {
        CHECK_MSG(fabs(m.u.offer.distance_m - 2000) < 20, "distance %.1f", m.u.offer.distance_m);
        /* 2 km x detour 1.3 at 40 km/h */
        CHECK_MSG(abs(m.u.offer.eta_s - 234) <= 3, "eta %d", m.u.offer.eta_s);
        CHECK(m.u.offer.deadline > m.ts);
        CHECK(strcmp(m.u.offer.job.title, "Test job") == 0);
    }
    /* the job says so too */
    struct tr_job j;
    CHECK(trd_job_show(con, job, &j) == 0 && j.state == TR_JOB_OFFERED && j.has_offer &&
          strcmp(j.offer.agent_id, "n-near") == 0 && j.attempts == 1);
    CHECK(far && trd_agent_count(far, TR_MSG_OFFER, job) == 0);
    CHECK(mid && trd_agent_count(mid, TR_MSG_OFFER, job) == 0);
    /* nearest declines: the next nearest */
    CHECK(near && trd_agent_answer(near, job, m.u.offer.offer_id, false, TR_DECLINE_BUSY) == 0);
    CHECK(mid && trd_agent_wait(mid, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK(far && trd_agent_count(far, TR_MSG_OFFER, job) == 0);
}

static void test_skills_languages(void)
{
    struct trd_agent *router_en = ready_at("s-router-en", "s-router", "en", 1, NULL);
    struct trd_agent *router_es =
        ready_at("s-router-es", "s-router,s-printer", "en,es-MX", 3, NULL);
    struct trd_agent *printer = ready_at("s-printer-es", "s-printer", "es", 0.5, NULL);
    char j1[TR_MSG_ID_SIZE], j2[TR_MSG_ID_SIZE], j3[TR_MSG_ID_SIZE];
    /* router + Spanish: only the es-MX speaker (3 km), not the nearer en one */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "s-router", "es", 0, j1) == 0);
    CHECK(router_es && trd_agent_wait(router_es, TR_MSG_OFFER, j1, NULL, WAIT) == 0);
    CHECK(router_en && trd_agent_count(router_en, TR_MSG_OFFER, j1) == 0);
    /* printer: the nearest with the skill */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "s-printer", NULL, 0, j2) == 0);
    CHECK(printer && trd_agent_wait(printer, TR_MSG_OFFER, j2, NULL, WAIT) == 0);
    /* both skills, English: nobody free has both -> unassigned with a reason */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "s-router,s-printer", "en", 0, j3) == 0);
    struct tr_job j;
    CHECK(trd_job_show(con, j3, &j) == 0);
    CHECK_MSG(j.state == TR_JOB_UNASSIGNED && j.has_reason && j.reason[0], "state %s",
              tr_msg_job_state_name(j.state));
    printf("unassigned reason: %s\n", j.reason);
}

/* Every day [from, to) local hours as a JSON hours array ("to" 24 = 00:00). */
static void hours_json(char *out, size_t cap, int from, int to)
{
    size_t o = (size_t)snprintf(out, cap, "\"hours\":[");
    for (int day = 1; day <= 7; day++)
        o += (size_t)snprintf(out + o, cap - o,
                              "%s{\"day\":%d,\"start\":\"%02d:00\",\"end\":\"%02d:00\"}",
                              day > 1 ? "," : "", day, from, to % 24);
    snprintf(out + o, cap - o, "]");
}

static int local_hour(const char *zone)
{
    struct tr_tz *tz = NULL;
    struct tr_tz_local l;
    if (tr_tz_load(zone, NULL, &tz) != TR_TZ_OK)
        return -1;
    tr_tz_local(tz, (int64_t)time(NULL) * 1000, &l);
    tr_tz_free(tz);
    return l.hour;
}

static void test_hours_time_zones(void)
{
    int h = local_hour("Asia/Tokyo");
    CHECK(h >= 0);
    if (h < 0)
        return;
    /* on shift now in Tokyo: [h-1, h+1) clipped to the day (a minute from a
     * boundary only at hh:59, and the test takes seconds) */
    int from = h > 0 ? h - 1 : 0, to = h + 1;
    /* hours away from now: e.g. a 03:00 local clock is outside 05:00-06:00 */
    int off_from = h + 3 <= 24 ? h + 2 : h - 4, off_to = off_from + 1;
    char on[1200], off[1200];
    hours_json(on, sizeof(on), from, to);
    hours_json(off, sizeof(off), off_from, off_to);
    printf("Tokyo local hour %d: on shift %02d-%02d, off-shift contractor %02d-%02d\n", h, from, to,
           off_from, off_to);

    double lat, lon;
    struct trd_agent *tokyo_on, *tokyo_off, *chicago;
    /* Tokyo, on shift, farthest */
    CHECK(trd_contractor_add(con, "h-tokyo-on", "h-repair", "ja,en", "Asia/Tokyo", on) == 0);
    /* Tokyo, shift hours away, nearest */
    CHECK(trd_contractor_add(con, "h-tokyo-off", "h-repair", "ja,en", "Asia/Tokyo", off) == 0);
    /* the same hours as tokyo-on, read in Chicago (14-15 h behind): off */
    CHECK(trd_contractor_add(con, "h-chicago", "h-repair", "en", "America/Chicago", on) == 0);
    tokyo_on = agent("h-tokyo-on");
    tokyo_off = agent("h-tokyo-off");
    chicago = agent("h-chicago");
    CHECK(tokyo_on && tokyo_off && chicago);
    if (!tokyo_on || !tokyo_off || !chicago)
        return;
    trd_offset_km(SITE_LAT, SITE_LON, 8, 0, &lat, &lon);
    CHECK(trd_agent_presence(tokyo_on, true, true) == 0 && trd_agent_fix(tokyo_on, lat, lon) == 0);
    trd_offset_km(SITE_LAT, SITE_LON, 1, 0, &lat, &lon);
    CHECK(trd_agent_presence(tokyo_off, true, true) == 0 &&
          trd_agent_fix(tokyo_off, lat, lon) == 0);
    trd_offset_km(SITE_LAT, SITE_LON, 2, 0, &lat, &lon);
    CHECK(trd_agent_presence(chicago, true, true) == 0 && trd_agent_fix(chicago, lat, lon) == 0);
    CHECK(trd_wait_available(con, "h-tokyo-on", true, WAIT) == 0);
    CHECK(trd_wait_available(con, "h-tokyo-off", false, WAIT) == 0);
    CHECK(trd_wait_available(con, "h-chicago", false, WAIT) == 0);

    char job[TR_MSG_ID_SIZE];
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "h-repair", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(tokyo_on, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK(trd_agent_count(tokyo_off, TR_MSG_OFFER, job) == 0);
    CHECK(trd_agent_count(chicago, TR_MSG_OFFER, job) == 0);
}

static void test_race(void)
{
    /* job limit 1 (the default): two jobs at once, one contractor */
    struct trd_agent *solo = ready_at("r-solo", "r-fix", "en", 1, NULL);
    char j1[TR_MSG_ID_SIZE], j2[TR_MSG_ID_SIZE];
    struct tr_msg m;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "r-fix", NULL, 0, j1) == 0);
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "r-fix", NULL, 0, j2) == 0);
    CHECK(solo && trd_agent_wait(solo, TR_MSG_OFFER, j1, &m, WAIT) == 0);
    struct tr_job a, b;
    CHECK(trd_job_show(con, j1, &a) == 0 && a.state == TR_JOB_OFFERED);
    CHECK(trd_job_show(con, j2, &b) == 0 && b.state == TR_JOB_UNASSIGNED);
    CHECK_MSG(solo && trd_agent_count(solo, TR_MSG_OFFER, NULL) == 1, "offers %d (%d for j1)",
              trd_agent_count(solo, TR_MSG_OFFER, NULL), trd_agent_count(solo, TR_MSG_OFFER, j1));
    /* accepting the first keeps the second away from the busy contractor */
    CHECK(solo && trd_agent_answer(solo, j1, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(solo && trd_agent_wait(solo, TR_MSG_ASSIGNMENT, j1, NULL, WAIT) == 0);
    /* a second contractor shows up: the waiting job goes to them */
    struct trd_agent *next = ready_at("r-next", "r-fix", "en", 4, NULL);
    CHECK(next && trd_agent_wait(next, TR_MSG_OFFER, j2, NULL, WAIT) == 0);
    CHECK(solo && trd_agent_count(solo, TR_MSG_OFFER, j2) == 0);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD\n", argv[0]);
        return 2;
    }
    const char *args[] = { "--engine.retry_min_interval_ms=100", NULL };
    CHECK(trd_setup(&d, argv[1], args, &con, ids, N_AGENTS, pool) == 0);
    if (!check_failed) {
        test_nearest();
        test_skills_languages();
        test_hours_time_zones();
        test_race();
        CHECK(trd_alive(&d));
    }
    CHECK(trd_teardown(&d, con, pool, N_AGENTS, check_failed > 0) == 0);
    return check_report("e2e_matching");
}
