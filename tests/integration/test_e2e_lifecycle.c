/*
 * tests/integration/test_e2e_lifecycle.c: a job's life end to end through a
 * real mosquitto and the real truckrolld on a real SQLite file.
 *
 *   - accepted -> en route -> on site -> completed, and -> failed with a
 *     note; job.show's events and job.list;
 *   - escalation: the job comes back with a higher tier and goes to a
 *     higher-tier contractor, never to the one who escalated;
 *   - release: back to matching, to the next contractor;
 *   - cancel from offered and from accepted (the agent is told), a repeated
 *     cancel (same answer), a cancel of a finished job (conflict);
 *   - reassign by hand;
 *   - duplicated and replayed messages: the same accept twice (one
 *     assignment), an accept replayed under a new id (the assignment again),
 *     a replayed position (seq) and an older presence (ts) change nothing, a
 *     repeated request id gets the first answer and creates one job;
 *   - contractor.update / list, directory.query (unavailable without
 *     boundary data), and a console speaking MQTT 3.1.1 (reply_to).
 *
 * argv[1]: truckrolld. No timing assertions.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 41.8781
#define SITE_LON (-87.6298)
#define WAIT     15000

static struct trd d;
static struct trd_console *con;

static const char *const ids[] = { "l-a", "e-1", "e-2", "r-1", "r-2",
                                   "c-1", "x-1", "x-2", "u-1", "p-1" };
#define N_AGENTS (sizeof(ids) / sizeof(ids[0]))
static struct trd_agent *pool[N_AGENTS];

static struct trd_agent *ready_at(const char *id, const char *skills, double north_km,
                                  const char *extra)
{
    double lat, lon;
    struct trd_agent *ag = NULL;
    for (size_t i = 0; i < N_AGENTS; i++)
        if (strcmp(ids[i], id) == 0)
            ag = pool[i];
    trd_offset_km(SITE_LAT, SITE_LON, north_km, 0, &lat, &lon);
    int rc = trd_enroll(con, ag, skills, "en", NULL, extra, lat, lon);
    CHECK_MSG(rc == 0, "agent %s", id);
    return rc == 0 ? ag : NULL;
}

/* Create a job and have ag accept it: the offer in *offer. */
static int create_accepted(struct trd_agent *ag, const char *skill, char job[TR_MSG_ID_SIZE],
                           struct tr_msg *offer)
{
    if (trd_job_create(con, SITE_LAT, SITE_LON, skill, NULL, 0, job) != 0 ||
        trd_agent_wait(ag, TR_MSG_OFFER, job, offer, WAIT) != 0 ||
        trd_agent_answer(ag, job, offer->u.offer.offer_id, true, TR_DECLINE_OTHER) != 0 ||
        trd_agent_wait(ag, TR_MSG_ASSIGNMENT, job, NULL, WAIT) != 0)
        return -1;
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_complete_and_fail(void)
{
    struct trd_agent *a = ready_at("l-a", "l-fix", 1, "\"job_limit\":2");
    char job[TR_MSG_ID_SIZE], job2[TR_MSG_ID_SIZE];
    struct tr_msg m;
    if (!a)
        return;
    CHECK(create_accepted(a, "l-fix", job, &m) == 0);
    CHECK(trd_agent_event(a, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(a, job, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_agent_event(a, job, TR_EVENT_COMPLETED, "replaced the router") == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_COMPLETED, WAIT, NULL) == 0);

    char args[200];
    struct tr_msg r;
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", job);
    CHECK(trd_request(con, "job.show", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE);
    if (r.type == TR_MSG_RESPONSE) {
        static const enum tr_job_state want[] = {
            TR_JOB_NEW,      TR_JOB_OFFERED, TR_JOB_ACCEPTED,
            TR_JOB_EN_ROUTE, TR_JOB_ON_SITE, TR_JOB_COMPLETED
        };
        const struct tr_result *x = &r.u.response.result;
        CHECK_MSG(x->n_events == 6, "%zu events", x->n_events);
        for (size_t i = 0; i < x->n_events && i < 6; i++)
            CHECK(x->events[i].state == want[i]);
        CHECK(x->n_events == 6 && strcmp(x->events[5].actor, "l-a") == 0);
    }
    tr_msg_free(&r);

    /* failed, with the tech's note */
    CHECK(create_accepted(a, "l-fix", job2, &m) == 0);
    CHECK(trd_agent_event(a, job2, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(a, job2, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_agent_event(a, job2, TR_EVENT_FAILED, "no spare parts") == 0);
    CHECK(trd_wait_state(con, job2, TR_JOB_FAILED, WAIT, NULL) == 0);
    /* completed before on_site is refused with an error, nothing changes */
    CHECK(trd_agent_event(a, job2, TR_EVENT_COMPLETED, NULL) == 0);
    CHECK(trd_agent_wait(a, TR_MSG_ERROR, NULL, NULL, WAIT) == 0);

    CHECK(trd_request(con, "job.list", "{\"state\":\"completed\"}", &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_RESPONSE);
    bool listed = false;
    for (size_t i = 0; r.type == TR_MSG_RESPONSE && i < r.u.response.result.n_jobs; i++)
        listed = listed || strcmp(r.u.response.result.jobs[i].job_id, job) == 0;
    CHECK(listed && r.u.response.result.total >= 1);
    tr_msg_free(&r);
}

static void test_escalate(void)
{
    struct trd_agent *e1 = ready_at("e-1", "e-net", 1, NULL);
    struct trd_agent *e2 = ready_at("e-2", "e-net", 6, "\"tier\":2");
    char job[TR_MSG_ID_SIZE];
    struct tr_msg m;
    if (!e1 || !e2)
        return;
    CHECK(create_accepted(e1, "e-net", job, &m) == 0);
    CHECK(trd_agent_event(e1, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(e1, job, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_agent_event(e1, job, TR_EVENT_ESCALATE, "needs a fibre specialist") == 0);
    CHECK(trd_agent_wait(e2, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(m.type == TR_MSG_OFFER && m.u.offer.job.tier == 2);
    struct tr_job j;
    CHECK(trd_job_show(con, job, &j) == 0 && j.spec.tier == 2 && j.state == TR_JOB_OFFERED);
    CHECK(trd_agent_count(e1, TR_MSG_OFFER, job) == 1);
}

static void test_release(void)
{
    struct trd_agent *r1 = ready_at("r-1", "r-fix", 1, NULL);
    struct trd_agent *r2 = ready_at("r-2", "r-fix", 3, NULL);
    char job[TR_MSG_ID_SIZE];
    struct tr_msg m;
    if (!r1 || !r2)
        return;
    CHECK(create_accepted(r1, "r-fix", job, &m) == 0);
    CHECK(trd_agent_event(r1, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(r1, job, TR_EVENT_RELEASE, "flat tyre") == 0);
    CHECK(trd_agent_wait(r2, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK(trd_wait_available(con, "r-1", true, WAIT) == 0);
}

static void test_cancel_reassign(void)
{
    struct trd_agent *c1 = ready_at("c-1", "c-fix", 1, NULL);
    char job[TR_MSG_ID_SIZE], args[200];
    struct tr_msg m, r;
    if (!c1)
        return;
    /* from offered */
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "c-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(c1, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\",\"note\":\"customer called\"}", job);
    CHECK(trd_request(con, "job.cancel", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE &&
          r.u.response.result.job.state == TR_JOB_CANCELLED);
    tr_msg_free(&r);
    CHECK(trd_agent_wait(c1, TR_MSG_CANCELLATION, job, &m, WAIT) == 0 &&
          m.u.cancellation.reason == TR_CANCEL_CANCELLED);
    /* again (a new request): the same state, no error */
    CHECK(trd_request(con, "job.cancel", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE &&
          r.u.response.result.job.state == TR_JOB_CANCELLED);
    tr_msg_free(&r);

    /* from accepted */
    CHECK(create_accepted(c1, "c-fix", job, &m) == 0);
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", job);
    CHECK(trd_request(con, "job.cancel", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE);
    tr_msg_free(&r);
    CHECK(trd_agent_wait(c1, TR_MSG_CANCELLATION, job, NULL, WAIT) == 0);

    /* a finished job cannot be cancelled */
    CHECK(create_accepted(c1, "c-fix", job, &m) == 0);
    CHECK(trd_agent_event(c1, job, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_agent_event(c1, job, TR_EVENT_COMPLETED, NULL) == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_COMPLETED, WAIT, NULL) == 0);
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", job);
    CHECK(trd_request(con, "job.cancel", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_ERROR &&
          r.u.error.code == TR_WIRE_CONFLICT);
    tr_msg_free(&r);
    CHECK(trd_request(con, "job.cancel", "{\"job_id\":\"j-none\"}", &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_NOT_FOUND);
    tr_msg_free(&r);

    /* reassign by hand from the nearest to another */
    struct trd_agent *x1 = ready_at("x-1", "x-fix", 1, NULL);
    struct trd_agent *x2 = ready_at("x-2", "x-fix", 9, NULL);
    if (!x1 || !x2)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "x-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(x1, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\",\"agent_id\":\"x-2\"}", job);
    CHECK(trd_request(con, "job.reassign", args, &r, NULL, WAIT) == 0 && r.type == TR_MSG_RESPONSE);
    tr_msg_free(&r);
    CHECK(trd_agent_wait(x2, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(trd_agent_wait(x1, TR_MSG_CANCELLATION, job, NULL, WAIT) == 0);
    CHECK(trd_agent_answer(x2, job, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_ACCEPTED, WAIT, NULL) == 0);
}

static void test_duplicates(void)
{
    struct trd_agent *p = ready_at("p-1", "p-fix", 1, NULL);
    char job[TR_MSG_ID_SIZE];
    struct tr_msg offer, m;
    if (!p)
        return;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "p-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(p, TR_MSG_OFFER, job, &offer, WAIT) == 0);
    /* the same accept twice (a QoS 1 redelivery: same id) */
    tr_msg_init(&m, TR_MSG_OFFER_ANSWER);
    snprintf(m.u.offer_answer.agent_id, TR_MSG_ID_SIZE, "p-1");
    snprintf(m.u.offer_answer.job_id, TR_MSG_ID_SIZE, "%s", job);
    snprintf(m.u.offer_answer.offer_id, TR_MSG_ID_SIZE, "%s", offer.u.offer.offer_id);
    m.u.offer_answer.answer = TR_ANSWER_ACCEPT;
    CHECK(trd_agent_send(p, "event", &m) == 0);
    CHECK(trd_agent_send(p, "event", &m) == 0);
    /* events on one topic keep their order: after this one, both were seen */
    CHECK(trd_agent_event(p, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_EN_ROUTE, WAIT, NULL) == 0);
    CHECK_MSG(trd_agent_count(p, TR_MSG_ASSIGNMENT, job) == 1, "%d assignments",
              trd_agent_count(p, TR_MSG_ASSIGNMENT, job));
    /* the accept replayed under a new id: the assignment is sent again */
    m.id[0] = '\0';
    m.ts = 0;
    CHECK(trd_agent_send(p, "event", &m) == 0);
    CHECK(trd_agent_wait(p, TR_MSG_ASSIGNMENT, job, NULL, WAIT) == 0);
    CHECK(trd_agent_wait(p, TR_MSG_ASSIGNMENT, job, NULL, WAIT) == 0);
    /* en_route again (a resend): already applied, no error */
    CHECK(trd_agent_event(p, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(p, job, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_wait_state(con, job, TR_JOB_ON_SITE, WAIT, NULL) == 0);
    CHECK(trd_agent_count(p, TR_MSG_ERROR, NULL) == 0);

    /* an older presence of the same boot (a retained copy racing a live one)
     * does not undo a newer one */
    CHECK(trd_agent_presence(p, true, false) == 0); /* newest: unavailable */
    CHECK(trd_wait_available(con, "p-1", false, WAIT) == 0);
    tr_msg_init(&m, TR_MSG_PRESENCE);
    snprintf(m.u.presence.agent_id, TR_MSG_ID_SIZE, "p-1");
    snprintf(m.u.presence.boot_id, TR_MSG_ID_SIZE, "%s", trd_agent_boot(p));
    m.u.presence.online = true;
    m.u.presence.has_available = m.u.presence.has_on_shift = m.u.presence.has_mode = true;
    m.u.presence.has_active_jobs = true;
    m.u.presence.available = m.u.presence.on_shift = true;
    m.ts = now_ms() - 60000;
    CHECK(trd_agent_send(p, "state", &m) == 0);
    /* a spoofed presence after it on the same topic: its error reply means the
     * older presence was handled */
    static const char spoof[] = "{\"type\":\"presence\",\"id\":\"sp-1\",\"ts\":1764000000000,"
                                "\"agent_id\":\"p-2\",\"boot_id\":\"b1\",\"online\":false}";
    CHECK(trd_agent_raw(p, "p-1", "state", spoof, sizeof(spoof) - 1) == 0);
    CHECK(trd_agent_wait(p, TR_MSG_ERROR, NULL, &m, WAIT) == 0 &&
          m.u.error.code == TR_WIRE_FORBIDDEN);
    CHECK(trd_wait_available(con, "p-1", false, WAIT) == 0);

    /* a repeated request id gets the first answer and makes one job */
    char args[300], rid[TR_MSG_ID_SIZE];
    struct tr_msg r, r1, r2;
    snprintf(args, sizeof(args),
             "{\"title\":\"Once\",\"skills\":[\"p-fix\"],\"site\":{\"lat\":%.5f,\"lon\":%.5f}}",
             SITE_LAT, SITE_LON);
    CHECK(trd_request(con, "job.create", args, &r1, rid, WAIT) == 0 && r1.type == TR_MSG_RESPONSE);
    CHECK(trd_request_id(con, rid, "job.create", args, &r2, WAIT) == 0 &&
          r2.type == TR_MSG_RESPONSE);
    CHECK(r1.type == TR_MSG_RESPONSE && r2.type == TR_MSG_RESPONSE &&
          strcmp(r1.u.response.result.job.job_id, r2.u.response.result.job.job_id) == 0);
    CHECK(trd_request(con, "job.list", "{\"limit\":1000}", &r, NULL, WAIT) == 0);
    int once = 0;
    for (size_t i = 0; r.type == TR_MSG_RESPONSE && i < r.u.response.result.n_jobs; i++)
        once += strcmp(r.u.response.result.jobs[i].spec.title, "Once") == 0;
    CHECK(once == 1);
    tr_msg_free(&r);
    tr_msg_free(&r1);
    tr_msg_free(&r2);
}

static double listed_lat(const char *skill)
{
    char args[100];
    struct tr_msg r;
    double lat = 0;
    snprintf(args, sizeof(args), "{\"skill\":\"%s\"}", skill);
    if (trd_request(con, "contractor.list", args, &r, NULL, WAIT) == 0 &&
        r.type == TR_MSG_RESPONSE && r.u.response.result.n_contractors == 1 &&
        r.u.response.result.contractors[0].has_lat)
        lat = r.u.response.result.contractors[0].lat;
    tr_msg_free(&r);
    return lat;
}

static void test_replayed_position(void)
{
    struct trd_agent *u = NULL;
    for (size_t i = 0; i < N_AGENTS; i++)
        if (strcmp(ids[i], "u-1") == 0)
            u = pool[i];
    double lat, lon, far_lat, far_lon;
    trd_offset_km(SITE_LAT, SITE_LON, 2, 0, &lat, &lon);
    CHECK(u && trd_enroll(con, u, "u-fix", "en", NULL, NULL, lat, lon) == 0);
    if (!u)
        return;
    double before = listed_lat("u-fix");
    CHECK(before != 0);
    /* trd_enroll sent seq 1; replay seq 1 somewhere else with a fresh time */
    struct tr_msg m;
    trd_offset_km(SITE_LAT, SITE_LON, 80, 0, &far_lat, &far_lon);
    tr_msg_init(&m, TR_MSG_LOC);
    snprintf(m.u.loc.agent_id, TR_MSG_ID_SIZE, "u-1");
    snprintf(m.u.loc.boot_id, TR_MSG_ID_SIZE, "%s", trd_agent_boot(u));
    m.u.loc.n_fixes = 1;
    m.u.loc.fixes[0] =
        (struct tr_fix){ .seq = 1, .t = now_ms(), .lat = far_lat, .lon = far_lon, .mode = 3 };
    CHECK(trd_agent_send(u, "loc", &m) == 0);
    /* then a bad loc on the same topic: its error means the replay was handled */
    static const char bad[] = "{\"type\":\"loc\",\"id\":\"bad-1\",\"ts\":1764000000000,"
                              "\"agent_id\":\"u-1\",\"boot_id\":\"b\",\"fixes\":[{\"seq\":9,"
                              "\"t\":1764000000000,\"lat\":91,\"lon\":0,\"mode\":3}]}";
    CHECK(trd_agent_raw(u, "u-1", "loc", bad, sizeof(bad) - 1) == 0);
    CHECK(trd_agent_wait(u, TR_MSG_ERROR, NULL, &m, WAIT) == 0 &&
          m.u.error.code == TR_WIRE_BAD_FIELD);
    CHECK_MSG(listed_lat("u-fix") == before, "moved to %.5f", listed_lat("u-fix"));
}

static void test_console_and_directory(void)
{
    struct tr_msg r;
    /* contractor.update: new skills show in contractor.list */
    CHECK(trd_request(con, "contractor.update",
                      "{\"contractor_id\":\"l-a\",\"skills\":[\"l-fix\",\"l-extra\"]}", &r, NULL,
                      WAIT) == 0 &&
          r.type == TR_MSG_RESPONSE && r.u.response.result.contractor.c.n_skills == 2);
    tr_msg_free(&r);
    CHECK(trd_request(con, "contractor.list", "{\"skill\":\"l-extra\"}", &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_RESPONSE && r.u.response.result.n_contractors == 1 &&
          r.u.response.result.total == 1);
    tr_msg_free(&r);
    CHECK(trd_request(con, "contractor.update",
                      "{\"contractor_id\":\"nobody-here\",\"name\":\"X\"}", &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_NOT_FOUND);
    tr_msg_free(&r);
    /* a time zone that does not exist */
    CHECK(trd_request(con, "contractor.add",
                      "{\"contractor_id\":\"tz-bad\",\"name\":\"T\",\"skills\":[\"a\"],"
                      "\"languages\":[\"en\"],\"timezone\":\"Mars/Olympus\"}",
                      &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_BAD_FIELD);
    tr_msg_free(&r);
    /* a duplicate contractor */
    CHECK(trd_request(con, "contractor.add",
                      "{\"contractor_id\":\"l-a\",\"name\":\"T\",\"skills\":[\"a\"],"
                      "\"languages\":[\"en\"],\"timezone\":\"UTC\"}",
                      &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_CONFLICT);
    tr_msg_free(&r);
    /* directory queries need boundary data (the harness runs with geo.data=none;
     * test_e2e_directory covers them with it) */
    CHECK(trd_request(con, "directory.query", "{\"country\":\"US\"}", &r, NULL, WAIT) == 0 &&
          r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_UNAVAILABLE &&
          strstr(r.u.error.message, "no boundary data") != NULL);
    tr_msg_free(&r);
    /* MQTT 3.1.1: the answer comes back through reply_to */
    struct trd_console *old = trd_console_new(&d, "old-console", true);
    CHECK(old != NULL);
    if (old) {
        CHECK(trd_request(old, "job.list", "{\"limit\":5}", &r, NULL, WAIT) == 0 &&
              r.type == TR_MSG_RESPONSE && r.u.response.re == TR_MSG_JOB_LIST);
        tr_msg_free(&r);
        trd_console_free(old);
    }
}

static uint32_t fnv1a(const unsigned char *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* A job.create the dispatcher received (and paho acknowledged) just before
 * it died: the receive journal (app/journal.c) replays it at the next start,
 * the job is created and the console gets its answer. */
static void test_journal_replay(void)
{
    CHECK(trd_stop(&d) == 0);
    char path[400], id[] = "journal-req-1", topic[] = "truckroll/v1/dispatcher/req";
    char rt[] = "truckroll/v1/console/tester/resp", payload[400];
    int plen = snprintf(payload, sizeof(payload),
                        "{\"type\":\"job.create\",\"id\":\"%s\",\"ts\":%lld,\"args\":{\"title\":"
                        "\"From the journal\",\"skills\":[\"c-fix\"],\"site\":{\"lat\":%.4f,"
                        "\"lon\":%.4f}}}",
                        id, (long long)now_ms(), SITE_LAT, SITE_LON);
    size_t tl = strlen(topic), rl = strlen(rt), cl = strlen(id), body = tl + rl + cl + (size_t)plen;
    unsigned char rec[1024];
    uint32_t h[7] = {
        0x314a5254u, (uint32_t)body, (uint32_t)tl, (uint32_t)rl, (uint32_t)cl, (uint32_t)plen, 0
    };
    unsigned char *p = rec + sizeof(h);
    memcpy(p, topic, tl);
    memcpy(p + tl, rt, rl);
    memcpy(p + tl + rl, id, cl);
    memcpy(p + tl + rl + cl, payload, (size_t)plen);
    h[6] = fnv1a(rec + sizeof(h), body);
    memcpy(rec, h, sizeof(h));
    snprintf(path, sizeof(path), "%s-recv", d.db);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(rec, 1, sizeof(h) + body, f) == sizeof(h) + body);
    if (f)
        fclose(f);
    CHECK(trd_spawn(&d) == 0);
    /* the answer comes to the console with the request's id */
    struct tr_msg r;
    CHECK(trd_request_id(con, id, "job.show", "{\"job_id\":\"none\"}", &r, WAIT) == 0);
    bool created = r.type == TR_MSG_RESPONSE && r.u.response.re == TR_MSG_JOB_CREATE &&
                   strcmp(r.u.response.result.job.spec.title, "From the journal") == 0;
    CHECK_MSG(created, "answer %s", tr_msg_type_name(r.type));
    tr_msg_free(&r);
    CHECK(trd_log_count(&d, "receive journal: 1 message(s)") == 1);
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
        test_complete_and_fail();
        test_escalate();
        test_release();
        test_cancel_reassign();
        test_duplicates();
        test_replayed_position();
        test_console_and_directory();
        test_journal_replay();
        CHECK(trd_alive(&d));
    }
    CHECK(trd_teardown(&d, con, pool, N_AGENTS, check_failed > 0) == 0);
    return check_report("e2e_lifecycle");
}
