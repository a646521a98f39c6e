/*
 * tests/unit/test_agent_jobs.c: the handheld's job state machine
 * (fieldagent/core/jobs.h), the agent's mode, the inbox gate
 * (fieldagent/bus/bus.h) and the working-hours parser (common/hours.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/hours.h"
#include "common/log.h"
#include "common/msg.h"
#include "fieldagent/bus/bus.h"
#include "fieldagent/core/jobs.h"
#include "tests/support/check.h"

#define NOW INT64_C(1715688000000)

static void mk_offer(struct tr_offer *o, const char *agent, const char *offer_id,
                     const char *job_id, int64_t deadline)
{
    memset(o, 0, sizeof *o);
    snprintf(o->agent_id, sizeof o->agent_id, "%s", agent);
    snprintf(o->offer_id, sizeof o->offer_id, "%s", offer_id);
    snprintf(o->job_id, sizeof o->job_id, "%s", job_id);
    snprintf(o->job.title, sizeof o->job.title, "Fix router");
    o->job.n_skills = 1;
    snprintf(o->job.skills[0], sizeof o->job.skills[0], "router");
    o->site.lat = 30.2672;
    o->site.lon = -97.7431;
    o->distance_m = 1200;
    o->eta_s = 300;
    o->deadline = deadline;
}

static void test_offers(void)
{
    struct tr_jobs j;
    struct tr_offer o;
    struct tr_offer_answer a;

    CHECK(tr_jobs_init(&j, "tx-1", NULL) == TR_JOBS_OK);
    CHECK(tr_jobs_init(&j, "bad/id", NULL) == TR_JOBS_ERR_INVALID);
    CHECK(tr_jobs_init(&j, "tx-1", NULL) == TR_JOBS_OK);
    CHECK(tr_jobs_mode(&j, true) == TR_MODE_IDLE);
    CHECK(tr_jobs_mode(&j, false) == TR_MODE_OFF_SHIFT);

    mk_offer(&o, "tx-1", "o-1", "j-1", NOW + 30000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    CHECK(j.n_offers == 1);
    CHECK(tr_jobs_mode(&j, true) == TR_MODE_OFFERED);
    CHECK(tr_jobs_mode(&j, false) == TR_MODE_OFFERED);
    /* the same offer again (redelivered after a reconnect): dropped */
    CHECK(tr_jobs_on_offer(&j, &o, NOW + 10) == TR_JOBS_ERR_DUPLICATE);
    CHECK(j.n_offers == 1 && j.st.duplicates == 1);
    /* stale: deadline passed by the agent clock */
    mk_offer(&o, "tx-1", "o-2", "j-2", NOW - 1);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_STALE);
    CHECK(j.n_offers == 1 && j.st.stale == 1);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_DUPLICATE); /* remembered */
    /* another agent's offer */
    mk_offer(&o, "tx-2", "o-3", "j-3", NOW + 30000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_WRONG_AGENT);
    CHECK(j.n_offers == 1);

    /* two offers pending: accept must name one; sorted by deadline */
    mk_offer(&o, "tx-1", "o-4", "j-4", NOW + 20000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    CHECK(j.n_offers == 2 && strcmp(j.offers[0].o.offer_id, "o-4") == 0);
    CHECK(tr_jobs_next_deadline(&j) == NOW + 20000);
    CHECK(tr_jobs_accept(&j, NULL, NOW, &a) == TR_JOBS_ERR_AMBIGUOUS);
    CHECK(tr_jobs_accept(&j, "o-nope", NOW, &a) == TR_JOBS_ERR_NOT_FOUND);
    CHECK(tr_jobs_decline(&j, "o-4", TR_DECLINE_TOO_FAR, "far away", NOW, &a) == TR_JOBS_OK);
    CHECK(a.answer == TR_ANSWER_DECLINE && a.has_reason && a.reason == TR_DECLINE_TOO_FAR);
    CHECK(a.has_note && strcmp(a.note, "far away") == 0);
    CHECK(strcmp(a.job_id, "j-4") == 0 && strcmp(a.agent_id, "tx-1") == 0);
    CHECK(j.n_offers == 1);

    /* accept the only one: a held job in state accepted */
    CHECK(tr_jobs_accept(&j, NULL, NOW + 1000, &a) == TR_JOBS_OK);
    CHECK(a.answer == TR_ANSWER_ACCEPT && !a.has_reason);
    CHECK(strcmp(a.offer_id, "o-1") == 0 && strcmp(a.job_id, "j-1") == 0);
    CHECK(j.n_offers == 0 && j.n_jobs == 1 && j.jobs[0].state == TR_JOBS_ACCEPTED);
    CHECK(!j.jobs[0].assigned);
    CHECK(tr_jobs_mode(&j, true) == TR_MODE_OFFERED);
    CHECK(tr_jobs_accept(&j, NULL, NOW, &a) == TR_JOBS_ERR_NOT_FOUND);
    /* an offer for the job we hold is a duplicate */
    mk_offer(&o, "tx-1", "o-9", "j-1", NOW + 30000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_DUPLICATE);

    /* the assignment confirms it, once */
    struct tr_assignment as;
    memset(&as, 0, sizeof as);
    snprintf(as.agent_id, sizeof as.agent_id, "tx-1");
    snprintf(as.offer_id, sizeof as.offer_id, "o-1");
    snprintf(as.job_id, sizeof as.job_id, "j-1");
    as.job = j.jobs[0].spec;
    as.site = j.jobs[0].site;
    CHECK(tr_jobs_on_assignment(&j, &as, NOW) == TR_JOBS_OK);
    CHECK(j.jobs[0].assigned);
    CHECK(tr_jobs_on_assignment(&j, &as, NOW) == TR_JOBS_ERR_DUPLICATE);
}

static void test_lifecycle(void)
{
    struct tr_jobs j;
    struct tr_offer o;
    struct tr_offer_answer a;
    struct tr_job_event e;
    struct tr_point here = { 30.0, -97.0 };

    tr_jobs_init(&j, "tx-1", NULL);
    mk_offer(&o, "tx-1", "o-1", "j-1", NOW + 30000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    CHECK(tr_jobs_accept(&j, "o-1", NOW, &a) == TR_JOBS_OK);

    /* completed before on site: refused, state unchanged */
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_COMPLETED, NULL, NULL, NOW, &e) == TR_JOBS_ERR_STATE);
    CHECK(j.jobs[0].state == TR_JOBS_ACCEPTED);
    /* failed needs a note */
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_FAILED, NULL, NULL, NOW, &e) == TR_JOBS_ERR_INVALID);
    CHECK(tr_jobs_event(&j, "j-x", TR_EVENT_EN_ROUTE, NULL, NULL, NOW, &e) ==
          TR_JOBS_ERR_NOT_FOUND);

    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_EN_ROUTE, NULL, &here, NOW, &e) == TR_JOBS_OK);
    CHECK(e.event == TR_EVENT_EN_ROUTE && e.has_lat && e.lat == 30.0 && !e.has_note);
    CHECK(strcmp(e.job_id, "j-1") == 0);
    CHECK(tr_jobs_mode(&j, false) == TR_MODE_EN_ROUTE);
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_EN_ROUTE, NULL, NULL, NOW, &e) == TR_JOBS_ERR_STATE);
    CHECK(tr_jobs_event(&j, "j-1", TR_EVENT_ON_SITE, NULL, NULL, NOW, &e) == TR_JOBS_OK);
    CHECK(tr_jobs_mode(&j, true) == TR_MODE_ON_SITE);
    /* release only before on site */
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_RELEASE, NULL, NULL, NOW, &e) == TR_JOBS_ERR_STATE);
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_COMPLETED, "all good", NULL, NOW, &e) == TR_JOBS_OK);
    CHECK(e.has_note && strcmp(e.note, "all good") == 0);
    CHECK(j.n_jobs == 0 && tr_jobs_mode(&j, true) == TR_MODE_IDLE);

    /* escalate from en route; release from accepted */
    mk_offer(&o, "tx-1", "o-2", "j-2", NOW + 30000);
    tr_jobs_on_offer(&j, &o, NOW);
    tr_jobs_accept(&j, NULL, NOW, &a);
    tr_jobs_event(&j, NULL, TR_EVENT_EN_ROUTE, NULL, NULL, NOW, &e);
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_ESCALATE, NULL, NULL, NOW, &e) == TR_JOBS_ERR_INVALID);
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_ESCALATE, "needs tier 3", NULL, NOW, &e) == TR_JOBS_OK);
    CHECK(j.n_jobs == 0);
    mk_offer(&o, "tx-1", "o-3", "j-3", NOW + 30000);
    tr_jobs_on_offer(&j, &o, NOW);
    tr_jobs_accept(&j, NULL, NOW, &a);
    CHECK(tr_jobs_event(&j, NULL, TR_EVENT_RELEASE, NULL, NULL, NOW, &e) == TR_JOBS_OK);
    CHECK(j.n_jobs == 0);
    CHECK(j.st.events == 6 && j.st.accepted == 3);
}

static void test_expiry_cancel(void)
{
    struct tr_jobs j;
    struct tr_offer o;
    struct tr_offer_answer a;
    struct tr_cancellation c;

    tr_jobs_init(&j, "tx-1", NULL);
    mk_offer(&o, "tx-1", "o-1", "j-1", NOW + 1000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    /* accepting after the deadline: stale, and the offer is gone */
    CHECK(tr_jobs_accept(&j, "o-1", NOW + 1000, &a) == TR_JOBS_ERR_STALE);
    CHECK(j.n_offers == 0 && j.n_jobs == 0 && j.st.expired == 1);

    mk_offer(&o, "tx-1", "o-2", "j-2", NOW + 1000);
    tr_jobs_on_offer(&j, &o, NOW);
    mk_offer(&o, "tx-1", "o-3", "j-3", NOW + 5000);
    tr_jobs_on_offer(&j, &o, NOW);
    CHECK(tr_jobs_expire(&j, NOW + 999) == 0);
    CHECK(tr_jobs_expire(&j, NOW + 1000) == 1);
    CHECK(j.n_offers == 1 && strcmp(j.offers[0].o.offer_id, "o-3") == 0);
    /* cancellation of the pending offer */
    memset(&c, 0, sizeof c);
    snprintf(c.agent_id, sizeof c.agent_id, "tx-1");
    snprintf(c.job_id, sizeof c.job_id, "j-3");
    c.has_offer_id = true;
    snprintf(c.offer_id, sizeof c.offer_id, "o-3");
    c.reason = TR_CANCEL_OFFER_EXPIRED;
    CHECK(tr_jobs_on_cancellation(&j, &c) == TR_JOBS_OK);
    CHECK(j.n_offers == 0);
    CHECK(tr_jobs_on_cancellation(&j, &c) == TR_JOBS_ERR_NOT_FOUND);
    /* a late copy of the cancelled offer is not taken */
    mk_offer(&o, "tx-1", "o-3", "j-3", NOW + 5000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_DUPLICATE);

    /* cancellation of a held job (by job id) */
    mk_offer(&o, "tx-1", "o-4", "j-4", NOW + 5000);
    tr_jobs_on_offer(&j, &o, NOW);
    tr_jobs_accept(&j, NULL, NOW, &a);
    memset(&c, 0, sizeof c);
    snprintf(c.agent_id, sizeof c.agent_id, "tx-1");
    snprintf(c.job_id, sizeof c.job_id, "j-4");
    c.reason = TR_CANCEL_CANCELLED;
    CHECK(tr_jobs_on_cancellation(&j, &c) == TR_JOBS_OK);
    CHECK(j.n_jobs == 0);

    /* a job assigned by hand (no offer) */
    struct tr_assignment as;
    memset(&as, 0, sizeof as);
    snprintf(as.agent_id, sizeof as.agent_id, "tx-1");
    snprintf(as.offer_id, sizeof as.offer_id, "o-hand");
    snprintf(as.job_id, sizeof as.job_id, "j-5");
    as.job = o.job;
    as.site = o.site;
    CHECK(tr_jobs_on_assignment(&j, &as, NOW) == TR_JOBS_OK);
    CHECK(j.n_jobs == 1 && j.jobs[0].assigned && j.jobs[0].state == TR_JOBS_ACCEPTED);
    snprintf(as.agent_id, sizeof as.agent_id, "tx-2");
    CHECK(tr_jobs_on_assignment(&j, &as, NOW) == TR_JOBS_ERR_WRONG_AGENT);

    /* capacity: at most TR_JOBS_MAX_OFFERS pending */
    char id[16];
    for (int i = 0; i < TR_JOBS_MAX_OFFERS; i++) {
        snprintf(id, sizeof id, "of-%d", i);
        mk_offer(&o, "tx-1", id, id, NOW + 60000);
        CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    }
    mk_offer(&o, "tx-1", "of-x", "of-x", NOW + 60000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_ERR_FULL);
}

/* The daemon drops offers at their deadline, before the tech answers:
 * answering one that lapsed is `stale`, named or not (for a minute), never
 * `not_found`. A newer offer for a job already offered replaces it even
 * when every place is taken. */
static void test_lapsed_and_replaced(void)
{
    struct tr_jobs j;
    struct tr_offer o;
    struct tr_offer_answer a;

    tr_jobs_init(&j, "tx-1", NULL);
    mk_offer(&o, "tx-1", "o-2", "j-2", NOW + 1000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    mk_offer(&o, "tx-1", "o-3", "j-3", NOW + 5000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW) == TR_JOBS_OK);
    CHECK(tr_jobs_expire(&j, NOW + 1000) == 1);
    CHECK(tr_jobs_accept(&j, "o-2", NOW + 1005, &a) == TR_JOBS_ERR_STALE);
    CHECK(tr_jobs_decline(&j, "o-2", TR_DECLINE_BUSY, NULL, NOW + 1005, &a) == TR_JOBS_ERR_STALE);
    CHECK(tr_jobs_accept(&j, "o-9", NOW + 1005, &a) == TR_JOBS_ERR_NOT_FOUND);
    CHECK(tr_jobs_expire(&j, NOW + 5000) == 1); /* o-3 */
    CHECK(tr_jobs_accept(&j, NULL, NOW + 5005, &a) == TR_JOBS_ERR_STALE);
    CHECK(tr_jobs_accept(&j, NULL, NOW + 5000 + TR_JOBS_LAPSED_MS + 1, &a) ==
          TR_JOBS_ERR_NOT_FOUND);
    CHECK(tr_jobs_accept(&j, "o-3", NOW + 5000 + TR_JOBS_LAPSED_MS + 1, &a) == TR_JOBS_ERR_STALE);
    CHECK(j.n_jobs == 0 && j.n_offers == 0);

    /* every place taken; a newer offer for j-1 replaces o-1, another job is full */
    char id[16], job[16];
    for (int i = 1; i <= TR_JOBS_MAX_OFFERS; i++) {
        snprintf(id, sizeof id, "p-%d", i);
        snprintf(job, sizeof job, "k-%d", i);
        mk_offer(&o, "tx-1", id, job, NOW + 100000 + i);
        CHECK(tr_jobs_on_offer(&j, &o, NOW + 10000) == TR_JOBS_OK);
    }
    mk_offer(&o, "tx-1", "p-9", "k-1", NOW + 200000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW + 10000) == TR_JOBS_OK);
    CHECK(j.n_offers == TR_JOBS_MAX_OFFERS);
    CHECK(tr_jobs_accept(&j, "p-1", NOW + 10000, &a) == TR_JOBS_ERR_NOT_FOUND);
    mk_offer(&o, "tx-1", "p-10", "k-10", NOW + 200000);
    CHECK(tr_jobs_on_offer(&j, &o, NOW + 10000) == TR_JOBS_ERR_FULL);
    CHECK(tr_jobs_accept(&j, "p-9", NOW + 10000, &a) == TR_JOBS_OK);
    CHECK(j.n_jobs == 1 && strcmp(j.jobs[0].job_id, "k-1") == 0);
}

static void test_arrival_in_jobs(void)
{
    struct tr_jobs j;
    struct tr_offer o;
    struct tr_offer_answer a;
    struct tr_fix f = { .mode = 3, .lat = 30.2672, .lon = -97.7431, .has_speed = true };
    int hit = -1;

    tr_jobs_init(&j, "tx-1", NULL);
    mk_offer(&o, "tx-1", "o-1", "j-1", NOW + 30000);
    tr_jobs_on_offer(&j, &o, NOW);
    tr_jobs_accept(&j, NULL, NOW, &a);
    for (int i = 0; i <= 70 && hit < 0; i++) {
        f.t = NOW + i * 1000;
        hit = tr_jobs_on_fix(&j, &f);
    }
    CHECK(hit == 0 && j.jobs[0].arrival_suggested && j.st.arrivals == 1);
    f.t += 1000;
    CHECK(tr_jobs_on_fix(&j, &f) == -1); /* once */
}

static void test_hours(void)
{
    struct tr_shift s[TR_MSG_MAX_SHIFTS];
    size_t n;
    bool has;
    char err[128], buf[512];

    CHECK(tr_hours_parse("Mon-Fri 08:00-17:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_OK);
    CHECK(has && n == 5 && s[0].day == 1 && s[4].day == 5);
    CHECK(strcmp(s[0].start, "08:00") == 0 && strcmp(s[0].end, "17:00") == 0);
    CHECK(tr_hours_parse("mon-fri 08:00-12:00, 13:00-17:00; Sat 09:00-13:00", s, TR_MSG_MAX_SHIFTS,
                         &n, &has, err, sizeof err) == TR_HOURS_OK);
    CHECK(n == 11 && s[10].day == 6);
    CHECK(tr_hours_parse("Sun 22:00-06:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_OK);
    CHECK(n == 2 && s[0].day == 7 && strcmp(s[0].end, "00:00") == 0 && s[1].day == 1 &&
          strcmp(s[1].start, "00:00") == 0 && strcmp(s[1].end, "06:00") == 0);
    CHECK(tr_hours_parse("Fri-Mon 10:00-24:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_OK);
    CHECK(n == 4 && strcmp(s[0].end, "00:00") == 0);
    CHECK(tr_hours_parse("daily 00:00-00:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_OK);
    CHECK(n == 7);
    CHECK(tr_hours_parse("always", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
              TR_HOURS_OK &&
          !has && n == 0);
    CHECK(tr_hours_parse("never", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) == TR_HOURS_OK &&
          has && n == 0);
    CHECK(tr_hours_parse("Mon 08:00-08:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_EMPTY);
    CHECK(tr_hours_parse("Mnd 08:00-17:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_DAY);
    CHECK(err[0] != '\0');
    CHECK(tr_hours_parse("Mon 8:00-17:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_TIME);
    CHECK(tr_hours_parse("Mon 08:00-25:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_TIME);
    CHECK(tr_hours_parse("Mon 08:00 17:00", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_SYNTAX);
    CHECK(tr_hours_parse("Mon 08:00-17:00 x", s, TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) ==
          TR_HOURS_ERR_SYNTAX);
    CHECK(tr_hours_parse("daily 08:00-09:00,10:00-11:00,12:00-13:00,14:00-15:00", s,
                         TR_MSG_MAX_SHIFTS, &n, &has, err, sizeof err) == TR_HOURS_ERR_TOO_MANY);
    CHECK(n == 0);
    tr_hours_parse("Mon-Tue 08:00-17:00", s, TR_MSG_MAX_SHIFTS, &n, &has, NULL, 0);
    tr_hours_format(s, n, has, buf, sizeof buf);
    CHECK(strcmp(buf, "Mon 08:00-17:00; Tue 08:00-17:00") == 0);
    /* round trip */
    size_t n2;
    struct tr_shift s2[TR_MSG_MAX_SHIFTS];
    CHECK(tr_hours_parse(buf, s2, TR_MSG_MAX_SHIFTS, &n2, &has, NULL, 0) == 0 && n2 == n &&
          memcmp(s, s2, n * sizeof s[0]) == 0);
}

static void test_bus(void)
{
    struct tr_bus b;
    struct tr_msg m;
    struct tr_msg_error e;
    const char *topic;
    char buf[1024];
    int len;

    CHECK(tr_bus_init(&b, "es-madrid-003") == TR_BUS_OK);
    CHECK(tr_bus_init(&b, "a/b") == TR_BUS_ERR_INVALID);
    CHECK(tr_bus_init(&b, "es-madrid-003") == TR_BUS_OK);
    topic = tr_bus_topic(&b, TR_BUS_INBOX);
    CHECK(strcmp(topic, "truckroll/v1/agent/es-madrid-003/inbox") == 0);
    CHECK(strcmp(tr_bus_topic(&b, TR_BUS_STATE), "truckroll/v1/agent/es-madrid-003/state") == 0);
    len = snprintf(buf, sizeof buf,
                   "{\"type\":\"offer\",\"id\":\"m-1\",\"ts\":1715688000000,"
                   "\"agent_id\":\"es-madrid-003\",\"offer_id\":\"o-1\",\"job_id\":\"j-1\","
                   "\"job\":{\"title\":\"x\",\"skills\":[\"hdd-install\"]},"
                   "\"site\":{\"lat\":40.4,\"lon\":-3.7},\"distance_m\":0,\"eta_s\":0,"
                   "\"deadline\":1715688045000}");
    CHECK(tr_bus_inbox(&b, topic, buf, (size_t)len, &m, &e) == TR_BUS_OK);
    CHECK(m.type == TR_MSG_OFFER && strcmp(m.u.offer.offer_id, "o-1") == 0);
    tr_msg_free(&m);
    /* the same message id again: a redelivery */
    CHECK(tr_bus_inbox(&b, topic, buf, (size_t)len, &m, &e) == TR_BUS_ERR_DUPLICATE);
    /* wrong topic */
    CHECK(tr_bus_inbox(&b, "truckroll/v1/agent/x/inbox", buf, (size_t)len, &m, &e) ==
          TR_BUS_ERR_TOPIC);
    /* another agent's offer */
    len = snprintf(buf, sizeof buf,
                   "{\"type\":\"agent_config\",\"id\":\"m-2\",\"ts\":1715688000000,"
                   "\"agent_id\":\"victim\",\"threshold_m\":50}");
    CHECK(tr_bus_inbox(&b, topic, buf, (size_t)len, &m, &e) == TR_BUS_ERR_AGENT);
    /* a valid message of a type the inbox does not carry */
    len = snprintf(buf, sizeof buf,
                   "{\"type\":\"presence\",\"id\":\"m-3\",\"ts\":1715688000000,"
                   "\"agent_id\":\"es-madrid-003\",\"boot_id\":\"b1\",\"online\":false}");
    CHECK(tr_bus_inbox(&b, topic, buf, (size_t)len, &m, &e) == TR_BUS_ERR_TYPE);
    /* garbage */
    CHECK(tr_bus_inbox(&b, topic, "{\"type\":", 8, &m, &e) == TR_BUS_ERR_DECODE);
    CHECK(e.code == TR_MSG_ERR_BAD_JSON);
    CHECK(tr_bus_inbox(&b, topic, "", 0, &m, &e) == TR_BUS_ERR_DECODE);
    CHECK(b.st.received == 7 && b.st.accepted == 1 && b.st.rejected == 5);
    CHECK(b.st.by_err[TR_BUS_ERR_DUPLICATE] == 1 && b.st.by_err[TR_BUS_ERR_DECODE] == 2);
    CHECK(b.st.by_type[TR_MSG_OFFER] == 1);
}

int main(void)
{
    tr_log_set_level(TR_LOG_ERROR);
    test_offers();
    test_lifecycle();
    test_expiry_cancel();
    test_lapsed_and_replaced();
    test_arrival_in_jobs();
    test_hours();
    test_bus();
    return check_report("test_agent_jobs");
}
