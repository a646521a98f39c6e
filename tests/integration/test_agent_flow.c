/*
 * tests/integration/test_agent_flow.c: the real truckroll-agent against a
 * private mosquitto, GPS from a GPX replay (or a real gpsd via gpsfake).
 *
 *   presence  retained presence on connect, positions flow per the policy,
 *             kill -9 -> the broker publishes the will (offline, retained)
 *   offers    offer -> `jobs` shows it -> `accept` -> offer_answer; assignment;
 *             arrival suggested; en route / arrive / done in order; stale,
 *             duplicate, redelivered, cancelled, declined and lapsed offers;
 *             `watch` rings for each new offer; clean stop -> shutdown presence
 *   gpsd      fixes from a real gpsd fed by gpsfake become positions
 *   state     the state file cannot be written at first; once it can, it is
 *             written without another change, and kill -9 keeps the offer
 *   clock     the wall clock steps back an hour (an LD_PRELOAD, DATA_ARG):
 *             on/off shift follows at once
 *
 * argv: CASE DATA_ARG AGENT_BIN [EMULATOR ARGS...]; DATA_ARG is an NMEA log
 * (gpsd), the clockshift library (clock), "-" otherwise. Bad input: test_agent_badinput.c; outages:
 * test_agent_outage.c.
 */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/agent_harness.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"
#include "tests/support/gpsfake.h"

#define WAIT     30000
#define SITE_LAT 30.2672
#define SITE_LON -97.7431

static struct ah_exec X;

static int offer_json(char *buf, size_t cap, const char *msg_id, const char *agent,
                      const char *offer_id, const char *job_id, int64_t deadline)
{
    return snprintf(buf, cap,
                    "{\"type\":\"offer\",\"id\":\"%s\",\"ts\":%lld,\"agent_id\":\"%s\","
                    "\"offer_id\":\"%s\",\"job_id\":\"%s\",\"job\":{\"title\":\"Fix the router\","
                    "\"skills\":[\"router\"],\"pay\":{\"currency\":\"USD\","
                    "\"per_incident_cents\":9000}},\"site\":{\"lat\":%.4f,\"lon\":%.4f,"
                    "\"address\":\"100 Congress Ave\",\"radius_m\":100},\"distance_m\":1200,"
                    "\"eta_s\":300,\"deadline\":%lld}",
                    msg_id, (long long)ah_wall_ms(), agent, offer_id, job_id, SITE_LAT, SITE_LON,
                    (long long)deadline);
}

static void send_inbox(struct ah_observer *o, const char *agent, const char *payload)
{
    char topic[128];
    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/inbox", agent);
    CHECK(ah_publish(o->m, topic, payload, strlen(payload)) == 0);
}

static int start_all(struct trt_broker *b, struct ah_observer *o, struct ah_agent *a,
                     const char *id, const char *const *extra)
{
    if (trt_broker_start(b, NULL) != 0)
        return -1;
    if (ah_observer_start(o, b->port, "obs", NULL, NULL, 0) != 0)
        return -1;
    if (ah_agent_init(a, id) != 0 || ah_agent_start(a, &X, b->port, extra) != 0) {
        ah_agent_dump_log(a);
        return -1;
    }
    return 0;
}

static void test_presence(void)
{
    struct trt_broker b;
    struct ah_observer o, late;
    struct ah_agent a;
    char replay[420], out[4096];

    CHECK(ah_agent_init(&a, "tx-pres") == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 300, SITE_LAT, SITE_LON, 12.0, replay, sizeof replay) ==
          0);
    const char *extra[] = { replay, "--gps.replay_speed=10", "--gps.replay_loop=true", NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_observer_start(&o, b.port, "obs", NULL, NULL, 0) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);

    CHECK_MSG(ah_wait_int(&o, &o.presence_online, 1, WAIT), "no presence");
    CHECK(strcmp(o.last_presence_mode, "idle") == 0);
    CHECK_MSG(ah_wait_int(&o, &o.loc_msgs, 2, WAIT), "no positions");
    CHECK(ah_wait_status(&a, "connected", 1, WAIT));
    CHECK(ah_wait_status(&a, "counters.reports", 2, WAIT));
    /* the policy thins: far fewer reports than fixes */
    CHECK(ah_wait_status(&a, "counters.fixes", 60, WAIT));
    double fixes = ah_status_num(&a, "counters.fixes"),
           reps = ah_status_num(&a, "counters.reports");
    CHECK_MSG(reps < fixes / 2, "%g reports for %g fixes", reps, fixes);
    CHECK(ah_cli(&a, &X, out, sizeof out, "status", NULL) == 0);
    CHECK(strstr(out, "connection: connected") != NULL);

    /* the dispatcher tightens reporting (agents.* in truckrolld.conf) */
    char rs[32];
    ah_status_str(&a, "reporting.source", rs, sizeof rs);
    CHECK(strcmp(rs, "agent") == 0 && ah_status_num(&a, "reporting.threshold_m") == 45);
    char cfg[300];
    int cn = snprintf(cfg, sizeof cfg,
                      "{\"type\":\"agent_config\",\"id\":\"cfg-1\",\"ts\":%lld,"
                      "\"agent_id\":\"tx-pres\",\"threshold_m\":20,\"heartbeat_s\":30}",
                      (long long)ah_wall_ms());
    CHECK(ah_publish(o.m, "truckroll/v1/agent/tx-pres/inbox", cfg, (size_t)cn) == 0);
    CHECK(ah_wait_status(&a, "counters.configs", 1, WAIT));
    ah_status_str(&a, "reporting.source", rs, sizeof rs);
    CHECK(strcmp(rs, "dispatcher") == 0);
    CHECK(ah_status_num(&a, "reporting.threshold_m") == 20);
    CHECK(ah_status_num(&a, "reporting.heartbeat_s") == 30);
    CHECK(ah_status_num(&a, "reporting.max_interval_s") == 60); /* not in the message */

    ah_agent_kill9(&a);
    CHECK_MSG(ah_wait_int(&o, &o.presence_will, 1, WAIT), "no last will");
    /* retained: a late subscriber sees the will */
    CHECK(ah_observer_start(&late, b.port, "late", NULL, NULL, 0) == 0);
    CHECK(ah_wait_int(&late, &late.presence_will, 1, WAIT));
    CHECK(late.presence_online == 0);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_observer_stop(&late);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
}

/* Bounded wait until file path contains needle; 1 when it does. */
static int file_has(const char *path, const char *needle, int timeout_ms)
{
    for (long long until = trt_now_ms() + timeout_ms; trt_now_ms() < until; trt_sleep_ms(20)) {
        char buf[65536];
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = '\0';
        if (strstr(buf, needle))
            return 1;
    }
    return 0;
}

/* Terminal bells in file path. */
static int bells(const char *path)
{
    FILE *f = fopen(path, "r");
    int c, n = 0;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\a';
    if (f)
        fclose(f);
    return n;
}

static int event_is(struct ah_observer *o, int i, const char *what)
{
    pthread_mutex_lock(&o->mu);
    int ok = i < o->n_events && strcmp(o->events[i], what) == 0;
    if (!ok)
        fprintf(stderr, "event %d: %s, wanted %s\n", i, i < o->n_events ? o->events[i] : "-", what);
    pthread_mutex_unlock(&o->mu);
    return ok;
}

static void test_offers(void)
{
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    char replay[420], out[8192], msg[2048], s[64];
    const char *id = "tx-offers";

    CHECK(ah_agent_init(&a, id) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 60, SITE_LAT, SITE_LON, 0.0, replay, sizeof replay) ==
          0); /* standing at the site */
    const char *extra[] = { replay, "--gps.replay_loop=true", "--arrival.dwell_s=1", NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_observer_start(&o, b.port, "obs", NULL, NULL, 0) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    /* presence comes after the inbox subscription on the same connection */
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));

    /* offer -> jobs -> accept -> offer_answer */
    offer_json(msg, sizeof msg, "m-1", id, "o-1", "j-1", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    CHECK(ah_cli(&a, &X, out, sizeof out, "jobs", NULL) == 0);
    CHECK_MSG(strstr(out, "OFFER o-1") && strstr(out, "100 Congress Ave"), "%s", out);
    CHECK(ah_cli(&a, &X, out, sizeof out, "jobs", "--json", NULL) == 0);
    CHECK(strstr(out, "\"remaining_ms\"") != NULL);
    ah_status_str(&a, "mode", s, sizeof s);
    CHECK(strcmp(s, "offered") == 0);
    CHECK(ah_cli(&a, &X, out, sizeof out, "accept", NULL) == 0);
    CHECK(strstr(out, "accepted offer o-1") != NULL);
    CHECK(ah_wait_int(&o, &o.n_events, 1, WAIT) && event_is(&o, 0, "offer_answer:accept"));
    CHECK(ah_cli(&a, &X, out, sizeof out, "accept", NULL) == 1); /* nothing pending */

    /* the dispatcher's assignment; the tech stands at the site: arrival */
    snprintf(msg, sizeof msg,
             "{\"type\":\"assignment\",\"id\":\"m-a1\",\"ts\":%lld,\"agent_id\":\"%s\","
             "\"offer_id\":\"o-1\",\"job_id\":\"j-1\",\"job\":{\"title\":\"Fix the router\","
             "\"skills\":[\"router\"]},\"site\":{\"lat\":%.4f,\"lon\":%.4f}}",
             (long long)ah_wall_ms(), id, SITE_LAT, SITE_LON);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.inbox_accepted", 2, WAIT));
    CHECK(ah_wait_status(&a, "counters.arrivals", 1, WAIT));
    ah_status_str(&a, "arrival_suggested", s, sizeof s);
    CHECK_MSG(strcmp(s, "j-1") == 0, "arrival_suggested '%s'", s);

    CHECK(ah_cli(&a, &X, out, sizeof out, "done", NULL) == 1); /* not on site yet */
    CHECK(ah_cli(&a, &X, out, sizeof out, "enroute", NULL) == 0);
    CHECK(ah_cli(&a, &X, out, sizeof out, "arrive", "j-1", NULL) == 0);
    ah_status_str(&a, "mode", s, sizeof s);
    CHECK(strcmp(s, "on_site") == 0);
    CHECK(ah_cli(&a, &X, out, sizeof out, "done", "--note", "router replaced", NULL) == 0);
    CHECK(ah_wait_int(&o, &o.n_events, 4, WAIT));
    CHECK(event_is(&o, 1, "job_event:en_route"));
    CHECK(event_is(&o, 2, "job_event:on_site"));
    CHECK(event_is(&o, 3, "job_event:completed"));
    CHECK(ah_status_num(&a, "active_jobs") == 0);

    /* stale (deadline passed by the agent clock), duplicate offer id,
     * redelivered message id: all dropped */
    offer_json(msg, sizeof msg, "m-2", id, "o-2", "j-2", ah_wall_ms() - 1000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.offers_stale", 1, WAIT));
    offer_json(msg, sizeof msg, "m-3", id, "o-1", "j-1", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.offers_duplicate", 1, WAIT));
    offer_json(msg, sizeof msg, "m-1", id, "o-9", "j-9", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.inbox_duplicates", 1, WAIT));
    CHECK(ah_status_num(&a, "pending_offers") == 0);

    /* cancelled while pending */
    offer_json(msg, sizeof msg, "m-4", id, "o-3", "j-3", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    snprintf(msg, sizeof msg,
             "{\"type\":\"cancellation\",\"id\":\"m-5\",\"ts\":%lld,\"agent_id\":\"%s\","
             "\"job_id\":\"j-3\",\"offer_id\":\"o-3\",\"reason\":\"reassigned\"}",
             (long long)ah_wall_ms(), id);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.cancellations", 1, WAIT));
    CHECK(ah_status_num(&a, "pending_offers") == 0);

    /* declined with a reason */
    offer_json(msg, sizeof msg, "m-6", id, "o-4", "j-4", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    CHECK(ah_cli(&a, &X, out, sizeof out, "decline", "o-4", "--reason", "nope", NULL) == 2);
    CHECK(ah_cli(&a, &X, out, sizeof out, "decline", "o-4", "--reason", "too_far", "--note",
                 "bridge closed", NULL) == 0);
    CHECK(ah_wait_int(&o, &o.n_events, 5, WAIT) && event_is(&o, 4, "offer_answer:decline"));

    /* watch rings for each new offer, also one behind an earlier deadline */
    char wpath[400];
    snprintf(wpath, sizeof wpath, "%s/watch.out", a.dir);
    offer_json(msg, sizeof msg, "m-8", id, "o-6", "j-6", ah_wall_ms() + 120000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    pid_t w = ah_cli_start(&a, &X, wpath, "watch", "--interval-ms", "100", NULL);
    CHECK(w > 0 && file_has(wpath, "OFFER o-6", WAIT));
    offer_json(msg, sizeof msg, "m-9", id, "o-7", "j-7", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(file_has(wpath, "OFFER o-7", WAIT));
    if (w > 0) {
        kill(w, SIGTERM);
        waitpid(w, NULL, 0);
    }
    CHECK_MSG(bells(wpath) == 2, "%d bells for two offers", bells(wpath));
    for (int i = 6; i <= 7; i++) { /* withdrawn by the dispatcher */
        snprintf(msg, sizeof msg,
                 "{\"type\":\"cancellation\",\"id\":\"m-c%d\",\"ts\":%lld,\"agent_id\":\"%s\","
                 "\"job_id\":\"j-%d\",\"offer_id\":\"o-%d\",\"reason\":\"reassigned\"}",
                 i, (long long)ah_wall_ms(), id, i, i);
        send_inbox(&o, id, msg);
    }
    CHECK(ah_wait_status(&a, "counters.cancellations", 3, WAIT));
    CHECK(ah_status_num(&a, "pending_offers") == 0);

    /* lapses unanswered */
    offer_json(msg, sizeof msg, "m-7", id, "o-5", "j-5", ah_wall_ms() + 2000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "counters.offers_expired", 1, WAIT));
    CHECK(ah_status_num(&a, "pending_offers") == 0);

    /* the available switch reaches the presence */
    CHECK(ah_cli(&a, &X, out, sizeof out, "unavailable", NULL) == 0);
    CHECK(ah_status_num(&a, "available") == 0);
    CHECK(ah_cli(&a, &X, out, sizeof out, "available", NULL) == 0);

    /* clean stop: shutdown presence, exit 0 */
    CHECK(ah_agent_stop(&a) == 0);
    CHECK(ah_wait_int(&o, &o.presence_shutdown, 1, WAIT));
    CHECK(o.presence_will == 0);
    CHECK(o.event_dups == 0 || o.n_events == 5);
    CHECK(o.n_events == 5);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
}

static void test_gpsd(const char *log)
{
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    struct trt_gpsfake f;
    struct trt_gpsfake_opts fo = { .cycle = "0.005" };
    char port[48];

    CHECK(trt_gpsfake_start(&f, log, &fo) == 0);
    if (check_failed)
        return;
    snprintf(port, sizeof port, "--gps.port=%d", f.port);
    const char *extra[] = { port, "--report.every_fix=true", NULL };
    CHECK(start_all(&b, &o, &a, "tx-gpsd", extra) == 0);
    CHECK(ah_wait_status(&a, "gps.fix", 1, 60000));
    CHECK(ah_wait_status(&a, "counters.fixes", 5, 60000));
    CHECK(ah_wait_int(&o, &o.loc_msgs, 1, WAIT));
    CHECK(ah_observer_unique(&o, NULL) >= 1);
    double mode = ah_status_num(&a, "gps.mode");
    CHECK(mode == 2 || mode == 3);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_agent_stop(&a);
    trt_gpsfake_cleanup(&f);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
}

/* The state file (offers, jobs, the switch) cannot be written at first (its
 * directory is missing: storage gone or full); once it can, the agent writes
 * it without another change, and a kill -9 then keeps the offer. */
static void test_state(void)
{
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    char replay[420], dir[400], arg[480], state[420], msg[2048];
    const char *id = "tx-state";
    struct stat st;

    CHECK(ah_agent_init(&a, id) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 60, SITE_LAT, SITE_LON, 0.0, replay, sizeof replay) == 0);
    snprintf(dir, sizeof dir, "%s/sd", a.dir);
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(arg, sizeof arg, "--store.state_path=%s", state);
    const char *extra[] = { replay, "--gps.replay_loop=true", arg, NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_observer_start(&o, b.port, "obs", NULL, NULL, 0) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));
    offer_json(msg, sizeof msg, "m-1", id, "o-1", "j-1", ah_wall_ms() + 300000);
    send_inbox(&o, id, msg);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    CHECK(stat(state, &st) != 0); /* could not be written */
    CHECK(mkdir(dir, 0700) == 0); /* the storage is back */
    int written = 0;
    for (long long until = trt_now_ms() + WAIT; !written && trt_now_ms() < until; trt_sleep_ms(50))
        written = stat(state, &st) == 0;
    CHECK_MSG(written, "the state file is written once it can be");
    ah_agent_kill9(&a);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    CHECK(ah_status_num(&a, "pending_offers") == 1);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_agent_stop(&a);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
}

/* Write the clock shift (ms) for the clockshift preload. */
static void shift_clock(const char *path, long long ms)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%lld\n", ms);
        fclose(f);
    }
}

/* The wall clock steps back (NTP, GPS time) under a running agent, through
 * the clockshift preload (argv DATA_ARG): the shift is worked out again at
 * once, not at the boundary computed from the later time. Working hours are
 * set to one hour starting 30 min from now (UTC): off shift; one hour ahead:
 * on shift; back to now: off shift again. */
static void test_clock(const char *preload)
{
    struct trt_broker b;
    struct ah_agent a;
    char replay[420], hours[96], shift[400], s[64];
    const char *id = "tx-clock";
    time_t t = time(NULL) + 30 * 60;
    struct tm from, to;
    time_t t2 = t + 60 * 60;

    gmtime_r(&t, &from);
    gmtime_r(&t2, &to);
    snprintf(hours, sizeof hours, "--agent.hours=daily %02d:%02d-%02d:%02d", from.tm_hour,
             from.tm_min, to.tm_hour, to.tm_min);
    CHECK(ah_agent_init(&a, id) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 60, SITE_LAT, SITE_LON, 0.0, replay, sizeof replay) == 0);
    snprintf(shift, sizeof shift, "%s/clock-shift", a.dir);
    shift_clock(shift, 0);
    setenv("TR_CLOCK_SHIFT_FILE", shift, 1);
    setenv("LD_PRELOAD", preload, 1);
    setenv("ASAN_OPTIONS", "verify_asan_link_order=0", 1); /* the preload comes first */
    const char *extra[] = { replay, "--gps.replay_loop=true", hours, "--agent.timezone=UTC", NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    unsetenv("LD_PRELOAD");
    CHECK(ah_status_num(&a, "on_shift") == 0);
    shift_clock(shift, 60LL * 60 * 1000); /* one hour ahead: inside the hours */
    CHECK(ah_wait_status(&a, "on_shift", 1, WAIT));
    shift_clock(shift, 0); /* and back */
    int off = 0;
    for (long long until = trt_now_ms() + WAIT; !off && trt_now_ms() < until; trt_sleep_ms(50))
        off = ah_status_num(&a, "on_shift") == 0;
    CHECK_MSG(off, "off shift again after the clock stepped back");
    ah_status_str(&a, "mode", s, sizeof s);
    CHECK_MSG(strcmp(s, "off_shift") == 0, "mode %s", s);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_agent_stop(&a);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s presence|offers|gpsd|state|clock DATA AGENT_BIN [EMULATOR...]\n",
                argv[0]);
        return 2;
    }
    ah_exec_init(&X, argc - 3, argv + 3);
    if (strcmp(argv[1], "presence") == 0)
        test_presence();
    else if (strcmp(argv[1], "offers") == 0)
        test_offers();
    else if (strcmp(argv[1], "gpsd") == 0)
        test_gpsd(argv[2]);
    else if (strcmp(argv[1], "state") == 0)
        test_state();
    else if (strcmp(argv[1], "clock") == 0)
        test_clock(argv[2]);
    else
        return 2;
    return check_report(argv[1]);
}
