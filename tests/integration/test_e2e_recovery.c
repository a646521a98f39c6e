/*
 * tests/integration/test_e2e_recovery.c: what truckrolld must still know
 * after a crash (SIGKILL) and restart on the same database, end to end
 * through a real mosquitto.
 *
 *   - jobs today: rt-busy (added first: the lower index, which wins a tie
 *     when the counts are equal) accepts and completes two jobs; after a
 *     SIGKILL and restart rt-idle stands at the very same point (equal ETA):
 *     the next job is offered to rt-idle, who has no job today;
 *   - contractor.add repeated: the same record again under a new request id
 *     answers success (unchanged) with skills in another order, a different
 *     record answers conflict; after a SIGKILL (the answer cache is gone)
 *     the first request id sent again answers success, as a console
 *     re-sending after the dispatcher died between commit and answer sees;
 *   - the link lost: another client takes the dispatcher's client id, so
 *     the broker drops its connection and publishes its will (offline,
 *     retained); reconnected, the dispatcher says online again (consoles
 *     refuse to send while it reads offline) and answers.
 *
 * argv[1]: truckrolld. No timing assertions: outcomes within bounded waits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/mqtt.h"
#include "tests/support/check.h"
#include "tests/support/dispatcher_harness.h"

#define SITE_LAT 39.7392
#define SITE_LON (-104.9903)
#define WAIT     15000

static struct trd d;
static struct trd_console *con;

static const char *const ids[] = { "rt-busy", "rt-idle" };
#define N_AGENTS (sizeof(ids) / sizeof(ids[0]))
static struct trd_agent *pool[N_AGENTS];

/* A job at the site, offered to ag, accepted and completed. */
static void one_job_done(struct trd_agent *ag)
{
    char job[TR_MSG_ID_SIZE];
    struct tr_msg m;
    enum tr_job_state last = TR_JOB_NEW;
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "rt-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(ag, TR_MSG_OFFER, job, &m, WAIT) == 0);
    CHECK(trd_agent_answer(ag, job, m.u.offer.offer_id, true, TR_DECLINE_OTHER) == 0);
    CHECK(trd_agent_wait(ag, TR_MSG_ASSIGNMENT, job, NULL, WAIT) == 0);
    CHECK(trd_agent_event(ag, job, TR_EVENT_EN_ROUTE, NULL) == 0);
    CHECK(trd_agent_event(ag, job, TR_EVENT_ON_SITE, NULL) == 0);
    CHECK(trd_agent_event(ag, job, TR_EVENT_COMPLETED, NULL) == 0);
    CHECK_MSG(trd_wait_state(con, job, TR_JOB_COMPLETED, WAIT, &last) == 0, "job %s is %s", job,
              tr_msg_job_state_name(last));
}

static void test_jobs_today(void)
{
    struct trd_agent *busy = pool[0], *idle = pool[1];
    double lat, lon;
    trd_offset_km(SITE_LAT, SITE_LON, 2, 0, &lat, &lon);
    CHECK(trd_enroll(con, busy, "rt-fix", "en", NULL, NULL, lat, lon) == 0);
    one_job_done(busy);
    one_job_done(busy);

    trd_kill9(&d);
    CHECK(trd_spawn(&d) == 0);
    CHECK(trd_log_count(&d, "recovered") >= 2);
    /* rt-idle at the same point: the same ETA as rt-busy */
    CHECK(trd_enroll(con, idle, "rt-fix", "en", NULL, NULL, lat, lon) == 0);
    CHECK(trd_agent_presence(busy, true, true) == 0 && trd_agent_fix(busy, lat, lon) == 0);
    CHECK(trd_wait_available(con, "rt-busy", true, WAIT) == 0);

    char job[TR_MSG_ID_SIZE];
    CHECK(trd_job_create(con, SITE_LAT, SITE_LON, "rt-fix", NULL, 0, job) == 0);
    CHECK(trd_agent_wait(idle, TR_MSG_OFFER, job, NULL, WAIT) == 0);
    CHECK_MSG(trd_agent_count(busy, TR_MSG_OFFER, job) == 0,
              "the contractor with 2 jobs today was offered the tie");
}

#define ADD_ARGS(name, skills)                                                                     \
    "{\"contractor_id\":\"rt-add\",\"name\":\"" name "\",\"skills\":[" skills "],"                 \
    "\"languages\":[\"en\",\"es-MX\"],\"timezone\":\"America/Denver\",\"tier\":2,"                 \
    "\"radius_km\":30.5,\"hours\":[{\"day\":1,\"start\":\"08:00\",\"end\":\"17:00\"}],"            \
    "\"pay\":{\"currency\":\"USD\",\"per_hour_cents\":4500},\"home\":{\"lat\":39.7,"               \
    "\"lon\":-104.9}}"

/* The answer to a contractor.add sent under id: 0 added, 2 success with
 * "unchanged" (it existed with this record), 1 conflict, -1 anything else. */
static int add_as(const char *id, const char *args)
{
    struct tr_msg r;
    if (trd_request_id(con, id, "contractor.add", args, &r, WAIT) != 0)
        return -1;
    int rc = -1;
    if (r.type == TR_MSG_RESPONSE && r.u.response.re == TR_MSG_CONTRACTOR_ADD &&
        strcmp(r.u.response.result.contractor.c.contractor_id, "rt-add") == 0 &&
        r.u.response.result.has_unchanged)
        rc = r.u.response.result.unchanged ? 2 : 0;
    else if (r.type == TR_MSG_ERROR && r.u.error.code == TR_WIRE_CONFLICT)
        rc = 1;
    if (rc < 0)
        printf("add %s: %s %s\n", id, tr_msg_type_name(r.type),
               r.type == TR_MSG_ERROR ? r.u.error.message : "");
    tr_msg_free(&r);
    return rc;
}

static void test_add_repeated(void)
{
    const char *same = ADD_ARGS("Ana Ruiz", "\"hvac\",\"rt-fix\"");
    CHECK(add_as("rt-add-1", same) == 0);
    /* the same record under a new id (skills in another order): success */
    CHECK(add_as("rt-add-2", ADD_ARGS("Ana Ruiz", "\"rt-fix\",\"hvac\"")) == 2);
    CHECK(trd_log_count(&d, "contractor rt-add: add repeated") == 1);
    /* a different record: conflict */
    CHECK(add_as("rt-add-3", ADD_ARGS("Ana Ruiz-Diaz", "\"hvac\",\"rt-fix\"")) == 1);
    CHECK(add_as("rt-add-4", ADD_ARGS("Ana Ruiz", "\"hvac\"")) == 1);
    /* crash: the answer cache is gone; the console sends the first id again */
    trd_kill9(&d);
    CHECK(trd_spawn(&d) == 0);
    CHECK(add_as("rt-add-1", same) == 2);
    CHECK(add_as("rt-add-3", ADD_ARGS("Ana Ruiz-Diaz", "\"hvac\",\"rt-fix\"")) == 1);
}

/* job.create retried with the same request id after a crash, with more
 * than a thousand jobs made since (recovery once kept only the newest
 * thousand request ids, in memory; the receive journal may replay older
 * ones after a crash under load): the same job, never a second one. */
#define CREATE_ARGS                                                                                \
    "{\"title\":\"Retry\",\"skills\":[\"rt-none\"],\"site\":{\"lat\":41.88,\"lon\":-87.63}}"

static int job_count(void)
{
    struct tr_msg r;
    int n = -1;
    if (trd_request(con, "job.list", "{\"limit\":1}", &r, NULL, WAIT) == 0 &&
        r.type == TR_MSG_RESPONSE)
        n = (int)r.u.response.result.total;
    tr_msg_free(&r);
    return n;
}

static bool create_as(const char *id, char job_id[TR_MSG_ID_SIZE])
{
    struct tr_msg r;
    bool ok = trd_request_id(con, id, "job.create", CREATE_ARGS, &r, WAIT) == 0 &&
              r.type == TR_MSG_RESPONSE && r.u.response.result.job.job_id[0];
    if (ok)
        snprintf(job_id, TR_MSG_ID_SIZE, "%s", r.u.response.result.job.job_id);
    tr_msg_free(&r);
    return ok;
}

static void test_create_retried(void)
{
    char first[TR_MSG_ID_SIZE] = "", again[TR_MSG_ID_SIZE] = "";
    int before = job_count();
    CHECK(create_as("rt-create-0", first));
    for (int i = 1; i <= 1010; i++) { /* answers not awaited: the count below is */
        char req[400];
        int n = snprintf(req, sizeof req,
                         "{\"type\":\"job.create\",\"id\":\"rt-create-%d\",\"ts\":1764000000000,"
                         "\"args\":" CREATE_ARGS "}",
                         i);
        CHECK(trd_console_send(con, req, (size_t)n) == 0);
    }
    int n = 0;
    for (int k = 0; k < 600 && (n = job_count()) < before + 1011; k++)
        trt_sleep_ms(100);
    CHECK_MSG(n == before + 1011, "%d jobs, %d expected", n, before + 1011);
    trd_kill9(&d);
    CHECK(trd_spawn(&d) == 0);
    CHECK(create_as("rt-create-0", again) && strcmp(first, again) == 0);
    CHECK_MSG((n = job_count()) == before + 1011, "after the retry: %d jobs, %d expected", n,
              before + 1011);
}

/* A journal record as truckrolld's receive journal writes it
 * (dispatcher/app/journal.c): header, then topic and payload. */
static uint32_t fnv1a(const char *p, size_t n, uint32_t h)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 16777619u;
    }
    return h;
}

static bool journal_put(FILE *f, const char *topic, const char *payload)
{
    size_t tl = strlen(topic), pl = strlen(payload);
    uint32_t h[7] = { 0x314a5254u, (uint32_t)(tl + pl), (uint32_t)tl, 0, 0, (uint32_t)pl, 0 };
    h[6] = fnv1a(payload, pl, fnv1a(topic, tl, 2166136261u));
    return fwrite(h, sizeof h, 1, f) == 1 && fwrite(topic, 1, tl, f) == tl &&
           fwrite(payload, 1, pl, f) == pl;
}

/* A receive journal bigger than the replay's 4 MiB window, left by a
 * crash: every record in it is handled, the last one too. */
static void test_big_journal(void)
{
    char path[400], req[70000], pad[60001];
    int before = job_count();
    trd_kill9(&d);
    snprintf(path, sizeof path, "%s-recv", d.db);
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    if (!f)
        return;
    memset(pad, 'x', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < 90; i++) { /* ~5.4 MB: 89 over-long (refused) requests, then a good one */
        snprintf(req, sizeof req,
                 "{\"type\":\"job.create\",\"id\":\"rt-journal-%d\",\"ts\":1764000000000,"
                 "\"args\":{\"title\":\"Journal\",\"skills\":[\"rt-none\"],"
                 "\"site\":{\"lat\":41.88,\"lon\":-87.63},\"description\":\"%.*s\"}}",
                 i, i == 89 ? 10 : 60000, pad);
        CHECK(journal_put(f, "truckroll/v1/dispatcher/req", req));
    }
    CHECK(fclose(f) == 0);
    CHECK(trd_spawn(&d) == 0);
    CHECK(trd_log_count(&d, "90 message(s) received before the last stop handled again") == 1);
    CHECK_MSG(job_count() == before + 1, "the last record's job: %d jobs, %d expected", job_count(),
              before + 1);
}

static void test_link_lost(void)
{
    struct timespec now;
    struct tr_mqtt_options mo = { .host = "127.0.0.1",
                                  .port = d.broker.port,
                                  .client_id = "truckrolld" };
    struct tr_mqtt_callbacks cb = { 0 };
    struct tr_msg r;
    int rc;

    clock_gettime(CLOCK_REALTIME, &now);
    int64_t t0 = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    struct tr_mqtt *m = tr_mqtt_new(&mo, &cb, NULL, &rc);
    CHECK(m != NULL);
    if (m) {
        tr_mqtt_connect(m);
        CHECK(tr_mqtt_wait_connected(m, WAIT) == TR_MQTT_OK); /* the takeover */
        tr_mqtt_free(m);
    }
    CHECK_MSG(trd_wait_online_since(&d, t0, WAIT) == 0, "online again after the link came back");
    rc = trd_request(con, "contractor.list", "{\"limit\":1}", &r, NULL, WAIT);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK(r.type == TR_MSG_RESPONSE);
        tr_msg_free(&r);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TRUCKROLLD\n", argv[0]);
        return 2;
    }
    CHECK(trd_setup(&d, argv[1], NULL, &con, ids, N_AGENTS, pool) == 0);
    if (!check_failed) {
        test_jobs_today();
        test_add_repeated();
        test_create_retried();
        test_big_journal();
        test_link_lost();
        CHECK(trd_alive(&d));
    }
    CHECK(trd_teardown(&d, con, pool, N_AGENTS, check_failed > 0) == 0);
    return check_report("e2e_recovery");
}
