/*
 * tests/integration/test_e2e_cascade.c: the offer cascade end to end
 * through a real mosquitto and the real truckrolld on a real SQLite file.
 *
 *   - decline cascade: nearest declines, the next nearest gets the offer,
 *     and so on until one accepts (assignment sent, events recorded);
 *   - timeout cascade: no answer before the deadline moves the offer on; the
 *     late accept is answered with an offer_expired cancellation;
 *   - a contractor going offline mid-offer (last will) loses the offer at
 *     once (withdrawn), the next one gets it;
 *   - widening: a contractor found only in the second search step; after
 *     their decline nobody fits, the job waits unassigned with a reason, and
 *     is offered as soon as a qualified contractor comes online.
 *
 * argv[1]: truckrolld. No timing assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 30.2672
#define SITE_LON (-97.7431)
#define WAIT     15000

static struct trd d;
static struct trd_console *con;

static const char *const ids[] = { "d-a", "d-b", "d-c", "t-a", "t-b", "o-a", "o-b", "w-a", "w-b" };
#define N_AGENTS (sizeof(ids) / sizeof(ids[0]))
static struct trd_agent *pool[N_AGENTS];

static struct trd_agent *ready_at(const char *id, const char *skills, double north_km)
{
    double lat, lon;
    struct trd_agent *ag = NULL;
    for (size_t i = 0; i < N_AGENTS; i++)
        if (strcmp(ids[i], id) == 0)
            ag = pool[i];
    trd_offset_km(SITE_LAT, SITE_LON, north_km, 0, &lat, &lon);
    int rc = trd_enroll(con, ag, skills, "en", NULL, NULL, lat, lon);
    CHECK_MSG(rc == 0, "agent %s", id);
    return rc == 0 ? ag : NULL;
}

/* Does any event of the job carry note text `what`? */
static bool job_event_has(const char *job, const char *what)
{
    char args[160];
    struct tr_msg r;
    bool hit = false;
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", job);
    if (trd_request(con, "job.show", args, &r, NULL, WAIT) != 0)
        return false;
    if (r.type == TR_MSG_RESPONSE)
        for (size_t i = 0; i < r.u.response.result.n_events; i++)
            hit = hit || (r.u.response.result.events[i].has_note &&
                          strstr(r.u.response.result.events[i].note, what));
    tr_msg_free(&r);
    return hit;
}

static void test_decline_cascade(void)
{
    struct trd_agent *a = ready_at("d-a", "d-fix", 1), *b = ready_at("d-b", "d-fix", 2),
                     *c = ready_at("d-c", "d-fix", 3);
    struct tr_msg m;
    char job[TR_MSG_ID_SIZE];
    if (!a || !b || !c)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "d-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(trd_agent_answer(a, job, m.u.offer.offer_id, false, TR_DECLINE_TOO_FAR) == 0);
    CHECK(trd_agent_wait(b, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(trd_agent_answer(b, job, m.u.offer.offer_id, false, TR_DECLINE_VEHICLE) == 0);
    CHECK(trd_agent_wait(c, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(trd_agent_answer(c, job, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_agent_wait(c, TR_MSG_ASSIGNMENT, job, &m, WAIT) == 0);
    CHECK(m.type == TR_MSG_ASSIGNMENT && strcmp(m.u.assignment.offer_id, "") != 0);
    struct tr_job j;
    CHECK(trd_job_show(con, job, &j) == 0 && j.state == TR_JOB_ACCEPTED && j.has_assignee &&
          strcmp(j.assignee, "d-c") == 0 && j.attempts == 3);
    CHECK(job_event_has(job, "declined by d-a (too_far)"));
    CHECK(job_event_has(job, "declined by d-b (vehicle)"));
    /* nobody who declined is offered the job again */
    CHECK(trd_agent_count(a, TR_MSG_OFFER, job) == 1 && trd_agent_count(b, TR_MSG_OFFER, job) == 1);
}

static void test_timeout_cascade(void)
{
    struct trd_agent *a = ready_at("t-a", "t-fix", 1), *b = ready_at("t-b", "t-fix", 2);
    struct tr_msg m, late;
    char job[TR_MSG_ID_SIZE];
    if (!a || !b)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "t-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_OFFER, job, &m, WAIT) == 0);
    /* a stays silent: after the deadline the offer moves on */
    CHECK(trd_agent_wait(b, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_CANCELLATION, job, &late, WAIT) == 0 &&
          late.u.cancellation.reason == TR_CANCEL_OFFER_EXPIRED);
    CHECK(job_event_has(job, "no answer from t-a before the deadline"));
    /* the late accept does not take the job */
    CHECK(trd_agent_answer(a, job, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_CANCELLATION, job, &late, WAIT) == 0 &&
          late.u.cancellation.reason == TR_CANCEL_OFFER_EXPIRED);
    struct tr_job j;
    CHECK(trd_job_show(con, job, &j) == 0 && j.has_offer && strcmp(j.offer.agent_id, "t-b") == 0);
    CHECK(trd_agent_count(a, TR_MSG_ASSIGNMENT, job) == 0);
}

static void test_offline_mid_offer(void)
{
    struct trd_agent *a = ready_at("o-a", "o-fix", 1), *b = ready_at("o-b", "o-fix", 2);
    char job[TR_MSG_ID_SIZE];
    if (!a || !b)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "o-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    /* what the broker publishes for a lost connection: the last will */
    CHECK(trd_agent_presence(a, false, false) == 0);
    CHECK(trd_agent_wait(b, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK(job_event_has(job, "offer to o-a withdrawn (went offline)"));
    CHECK(trd_wait_available(con, "o-a", false, WAIT) == 0);
}

static void test_widening(void)
{
    char job[TR_MSG_ID_SIZE], lonely[TR_MSG_ID_SIZE];
    struct tr_msg m;
    struct tr_job j;
    /* nobody has this skill at all */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "w-nobody", NULL, 0, lonely) == 0);
    CHECK(trd_job_show(con, lonely, &j) == 0 && j.state == TR_JOB_UNASSIGNED && j.has_reason);
    printf("no such skill: %s\n", j.reason);

    /* 20 km: outside the first step (12.5 km), inside the second (25 km) */
    struct trd_agent *a = ready_at("w-a", "w-fix", 20);
    if (!a)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "w-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(m.u.offer.distance_m > 19000 && m.u.offer.distance_m < 21000);
    CHECK(trd_agent_answer(a, job, m.u.offer.offer_id, false, TR_DECLINE_PERSONAL) == 0);
    enum tr_job_state last;
    CHECK(trd_wait_state(con, job, TR_JOB_UNASSIGNED, WAIT, &last) == 0);
    CHECK(trd_job_show(con, job, &j) == 0 && j.has_reason && j.reason[0]);
    printf("after the decline: %s\n", j.reason);
    /* someone qualified comes online 40 km away (third step, 50 km) */
    struct trd_agent *b = ready_at("w-b", "w-fix", 40);
    CHECK(b && trd_agent_wait(b, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(b && trd_agent_answer(b, job, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_ACCEPTED, WAIT, &last) == 0);
    CHECK(trd_agent_count(a, TR_MSG_OFFER, job) == 1);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD\n", argv[0]);
        return 2;
    }
    const char *args[] = { "--engine.offer_timeout_ms=2500", "--engine.retry_min_interval_ms=100",
                           NULL };
    CHECK(trd_setup(&d, argv[1], args, &con, ids, N_AGENTS, pool) == 0);
    if (!check_failed) {
        test_decline_cascade();
        test_timeout_cascade();
        test_offline_mid_offer();
        test_widening();
        CHECK(trd_alive(&d));
    }
    CHECK(trd_teardown(&d, con, pool, N_AGENTS, check_failed > 0) == 0);
    return check_report("e2e_cascade");
}
