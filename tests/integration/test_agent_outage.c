/*
 * tests/integration/test_agent_outage.c: the real truckroll-agent loses
 * nothing through outages, and the shipped ACL keeps agents apart.
 *
 *   restart    the broker (with persistence) stops for a while and comes
 *              back: every position and event arrives once and in order
 *              (after dedupe by (boot, seq) and by message id), the backlog
 *              mixed with 100 live fixes after the reconnect (the track
 *              outlasts the test, so nothing waits for its end)
 *   offline30  30 simulated minutes at 1 Hz with the broker down (replay at
 *              600x, report every fix): 1,800 positions, all delivered in
 *              order
 *   kill9      SIGKILL with a full outbox (broker down), restart: nothing
 *              lost, the job state survives, the new boot carries on (the
 *              first boot is killed part way through a long track, the
 *              second replays a short one to its end)
 *   acl        schemas/mosquitto.acl.example with per-agent passwords: agent
 *              A cannot publish on B's topics or read B's inbox; its own work
 *
 * argv: CASE ACL_FILE AGENT_BIN [EMULATOR ARGS...].
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/agent_harness.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"

#define WAIT     60000
#define LONGWAIT 180000

static struct ah_exec X;

/* Stop the broker (SIGTERM: it saves its persistence file) and keep its
 * directory for trt_broker_restart. */
static void broker_pause(struct trt_broker *b)
{
    if (b->pid > 0) {
        kill(b->pid, SIGTERM);
        waitpid(b->pid, NULL, 0);
        b->pid = 0;
    }
}

static void offer_accept(struct ah_agent *a, struct ah_observer *o, const char *id)
{
    char msg[1024], topic[128], out[2048];
    /* presence comes after the inbox subscription on the same connection */
    CHECK(ah_wait_int(o, &o->presence_online, 1, WAIT));
    snprintf(msg, sizeof msg,
             "{\"type\":\"offer\",\"id\":\"m-o1\",\"ts\":%lld,\"agent_id\":\"%s\","
             "\"offer_id\":\"o-1\",\"job_id\":\"j-1\",\"job\":{\"title\":\"Install disk\","
             "\"skills\":[\"hdd-install\"]},\"site\":{\"lat\":10.5,\"lon\":10.5},"
             "\"distance_m\":5000,\"eta_s\":600,\"deadline\":%lld}",
             (long long)ah_wall_ms(), id, (long long)ah_wall_ms() + 600000);
    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/inbox", id);
    CHECK(ah_publish(o->m, topic, msg, strlen(msg)) == 0);
    CHECK(ah_wait_status(a, "pending_offers", 1, WAIT));
    CHECK(ah_cli(a, &X, out, sizeof out, "accept", "o-1", NULL) == 0);
}

static int events_are(struct ah_observer *o, const char *const *want, int n)
{
    int ok = 1;
    pthread_mutex_lock(&o->mu);
    ok = o->n_events == n;
    for (int i = 0; ok && i < n; i++)
        ok = strcmp(o->events[i], want[i]) == 0;
    if (!ok) {
        fprintf(stderr, "events (%d, wanted %d):", o->n_events, n);
        for (int i = 0; i < o->n_events; i++)
            fprintf(stderr, " %s", o->events[i]);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&o->mu);
    return ok;
}

/* Wait until the agent's outbox is empty and the observer holds `want`
 * unique positions of boot (NULL: all). */
static int wait_delivered(struct ah_agent *a, struct ah_observer *o, const char *boot, int64_t want)
{
    for (long long until = trt_now_ms() + LONGWAIT; trt_now_ms() < until; trt_sleep_ms(100)) {
        if (ah_observer_unique(o, boot) >= want && ah_status_num(a, "outbox.positions") == 0 &&
            ah_status_num(a, "outbox.events") == 0)
            return 1;
    }
    fprintf(stderr, "delivered %lld of %lld; outbox %g positions %g events\n",
            (long long)ah_observer_unique(o, boot), (long long)want,
            ah_status_num(a, "outbox.positions"), ah_status_num(a, "outbox.events"));
    return 0;
}

/* One outage case: a broker with persistence, a persistent observer as the
 * dispatcher (the broker queues for it while it is away), and the agent
 * replaying a straight track with every fix reported. */
struct outage {
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    char replay[420], speed[40], boot[65];
    const char *extra[5]; /* the agent's arguments, kept for a restart */
};

static void teardown(struct outage *c)
{
    if (check_failed)
        ah_agent_dump_log(&c->a);
    ah_agent_stop(&c->a);
    ah_observer_stop(&c->o);
    ah_agent_cleanup(&c->a);
    trt_broker_stop(&c->b);
}

/* Start it all for agent id: a track of `points` fixes `step` m apart,
 * replayed at `speed` x; with offline the broker is stopped before the
 * agent starts. 0 when the agent runs (its boot id in c->boot); otherwise
 * everything is torn down again. */
static int start(struct outage *c, const char *id, size_t points, double step, int speed,
                 bool offline)
{
    struct trt_broker_opts bo = { .persistence = 1 };
    CHECK(ah_agent_init(&c->a, id) == 0);
    CHECK(ah_agent_track(&c->a, "track.gpx", points, 10.0, 10.0, step, c->replay,
                         sizeof c->replay) == 0);
    snprintf(c->speed, sizeof c->speed, "--gps.replay_speed=%d", speed);
    CHECK(trt_broker_start(&c->b, &bo) == 0);
    CHECK(ah_observer_start(&c->o, c->b.port, "obs-dispatcher", NULL, NULL, 1) == 0);
    if (offline)
        broker_pause(&c->b);
    c->extra[0] = c->replay;
    c->extra[1] = c->speed;
    c->extra[2] = "--report.every_fix=true";
    c->extra[3] = "--broker.reconnect_max_s=1";
    c->extra[4] = NULL;
    CHECK(ah_agent_start(&c->a, &X, c->b.port, c->extra) == 0);
    if (check_failed) {
        teardown(c);
        return -1;
    }
    ah_status_str(&c->a, "boot_id", c->boot, sizeof c->boot);
    return 0;
}

static void test_restart(void)
{
    struct outage c;
    const char *id = "tx-restart";

    if (start(&c, id, 6000, 8.0, 20, false) != 0) /* 5 min of track */
        return;
    CHECK(ah_wait_int(&c.o, &c.o.loc_msgs, 5, WAIT));
    offer_accept(&c.a, &c.o, id);
    CHECK(ah_wait_int(&c.o, &c.o.n_events, 1, WAIT));

    broker_pause(&c.b);
    CHECK(ah_wait_status(&c.a, "counters.requeues", 2, WAIT)); /* noticed the loss */
    double s0 = ah_status_num(&c.a, "seq");
    char out[1024];
    CHECK(ah_cli(&c.a, &X, out, sizeof out, "enroute", NULL) == 0);
    CHECK(ah_cli(&c.a, &X, out, sizeof out, "arrive", NULL) == 0);
    CHECK(ah_wait_status(&c.a, "seq", s0 + 40, WAIT)); /* a while offline */
    CHECK(ah_status_num(&c.a, "outbox.events") == 2);
    CHECK(trt_broker_restart(&c.b) == 0);
    double s1 = ah_status_num(&c.a, "seq");

    /* the backlog and live fixes after the reconnect: every fix up to 100
     * past the restart arrives (1..total kept, no gap; the replay goes on) */
    CHECK(ah_wait_status(&c.a, "seq", s1 + 100, LONGWAIT));
    int64_t total = (int64_t)ah_status_num(&c.a, "seq");
    CHECK(ah_status_num(&c.a, "gps.replay_done") == 0); /* still live */
    for (long long until = trt_now_ms() + LONGWAIT;
         ah_observer_unique(&c.o, c.boot) < total && trt_now_ms() < until;)
        trt_sleep_ms(50);
    CHECK_MSG(ah_observer_unique(&c.o, c.boot) >= total, "delivered %lld of %lld",
              (long long)ah_observer_unique(&c.o, c.boot), (long long)total);
    CHECK(ah_observer_in_order(&c.o));
    const char *want[] = { "offer_answer:accept", "job_event:en_route", "job_event:on_site" };
    CHECK(ah_wait_int(&c.o, &c.o.n_events, 3, WAIT) && events_are(&c.o, want, 3));
    CHECK(ah_status_num(&c.a, "outbox.events") == 0);
    printf("restart: %lld positions once and in order (broker back at %g; %lld duplicates "
           "dropped), %d events\n",
           (long long)total, s1, (long long)c.o.boots[0].dups, c.o.n_events);
    teardown(&c);
}

static void test_offline30(void)
{
    struct outage c;

    if (start(&c, "tx-offline", 1800, 10.0, 600, true) != 0) /* offline from the start */
        return;
    CHECK(ah_wait_status(&c.a, "gps.replay_done", 1, LONGWAIT));
    CHECK(ah_status_num(&c.a, "seq") == 1800);
    CHECK(ah_status_num(&c.a, "outbox.positions") == 1800);
    CHECK(ah_status_num(&c.a, "connected") == 0);
    CHECK(trt_broker_restart(&c.b) == 0);
    CHECK(wait_delivered(&c.a, &c.o, c.boot, 1800));
    CHECK(ah_observer_unique(&c.o, c.boot) == 1800);
    CHECK(ah_observer_in_order(&c.o));
    printf("offline30: 1800 positions delivered once and in order in %d loc messages\n",
           c.o.loc_msgs);
    teardown(&c);
}

static void test_kill9(void)
{
    struct outage c;
    char boot2[65], out[4096];
    const char *id = "tx-kill";

    if (start(&c, id, 6000, 8.0, 40, false) != 0) /* killed long before its end */
        return;
    const char *boot1 = c.boot;
    offer_accept(&c.a, &c.o, id);
    CHECK(ah_wait_int(&c.o, &c.o.n_events, 1, WAIT));

    broker_pause(&c.b);
    CHECK(ah_cli(&c.a, &X, out, sizeof out, "enroute", NULL) == 0);
    CHECK(ah_wait_status(&c.a, "outbox.positions", 150, WAIT)); /* a full outbox */
    double s1 = ah_status_num(&c.a, "seq");
    ah_agent_kill9(&c.a);

    /* the same files, a new boot, replaying a short track to its end */
    CHECK(ah_agent_track(&c.a, "track2.gpx", 200, 10.0, 10.0, 8.0, c.replay, sizeof c.replay) == 0);
    CHECK(ah_agent_start(&c.a, &X, c.b.port, c.extra) == 0);
    ah_status_str(&c.a, "boot_id", boot2, sizeof boot2);
    CHECK(strcmp(boot1, boot2) != 0);
    CHECK(ah_status_num(&c.a, "outbox.events") == 1);
    CHECK(ah_cli(&c.a, &X, out, sizeof out, "jobs", NULL) == 0);
    CHECK_MSG(strstr(out, "JOB j-1  en_route") != NULL, "%s", out); /* state survived */
    CHECK(ah_cli(&c.a, &X, out, sizeof out, "arrive", NULL) == 0);
    CHECK(trt_broker_restart(&c.b) == 0);

    CHECK(ah_wait_status(&c.a, "gps.replay_done", 1, LONGWAIT));
    int64_t n2 = (int64_t)ah_status_num(&c.a, "seq");
    CHECK(wait_delivered(&c.a, &c.o, boot2, n2));
    int64_t n1 = ah_observer_unique(&c.o, boot1);
    CHECK_MSG(n1 >= (int64_t)s1, "boot 1: %lld delivered, %g stored before the kill", (long long)n1,
              s1);
    CHECK(ah_observer_in_order(&c.o)); /* each boot: 1..max, no gap */
    const char *want[] = { "offer_answer:accept", "job_event:en_route", "job_event:on_site" };
    CHECK(ah_wait_int(&c.o, &c.o.n_events, 3, WAIT) && events_are(&c.o, want, 3));
    printf("kill9: boot 1 %lld positions (%g stored before SIGKILL), boot 2 %lld, events %d\n",
           (long long)n1, s1, (long long)n2, c.o.n_events);
    teardown(&c);
}

/* ---------------------------------------------------------------- ACL */

struct probe {
    pthread_mutex_t mu;
    int received;
};

static void probe_msg(void *user, const char *topic, const void *p, size_t len,
                      const struct tr_mqtt_msg_props *props)
{
    struct probe *pr = user;
    (void)topic, (void)p, (void)len, (void)props;
    pthread_mutex_lock(&pr->mu);
    pr->received++;
    pthread_mutex_unlock(&pr->mu);
}

static struct tr_mqtt *client(int port, const char *user, const char *pass, struct probe *pr)
{
    struct tr_mqtt_options mo = {
        .host = "127.0.0.1", .port = port, .client_id = user, .username = user, .password = pass
    };
    struct tr_mqtt_callbacks cb = { .on_message = probe_msg };
    int err;
    struct tr_mqtt *m = tr_mqtt_new(&mo, &cb, pr, &err);
    if (m)
        tr_mqtt_connect(m);
    return m;
}

static void loc_json(char *buf, size_t cap, const char *agent, const char *boot)
{
    snprintf(buf, cap,
             "{\"type\":\"loc\",\"id\":\"%s-1\",\"ts\":%lld,\"agent_id\":\"%s\","
             "\"boot_id\":\"%s\",\"fixes\":[{\"seq\":1,\"t\":%lld,\"lat\":1,\"lon\":2,"
             "\"mode\":3}]}",
             boot, (long long)ah_wall_ms(), agent, boot, (long long)ah_wall_ms());
}

static void test_acl(const char *acl)
{
    const struct trt_broker_user users[] = { { "dispatcher", "d-secret" },
                                             { "agent-a", "a-secret" },
                                             { "agent-b", "b-secret" },
                                             { "webmap", "w-secret" },
                                             { "console", "c-secret" } };
    struct trt_broker_opts bo = { .users = users, .n_users = 5, .acl_file = acl };
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    struct probe pa = { .received = 0 }, pa2 = { .received = 0 };
    char msg[512], pwfile[400];

    pthread_mutex_init(&pa.mu, NULL);
    pthread_mutex_init(&pa2.mu, NULL);
    CHECK(trt_broker_start(&b, &bo) == 0);
    CHECK(ah_observer_start(&o, b.port, "dispatcher", "dispatcher", "d-secret", 0) == 0);
    if (check_failed)
        return;

    /* A reads its own inbox, not B's */
    struct tr_mqtt *ma = client(b.port, "agent-a", "a-secret", &pa);
    CHECK(ma && tr_mqtt_wait_connected(ma, WAIT) == TR_MQTT_OK);
    tr_mqtt_subscribe(ma, "truckroll/v1/agent/agent-a/inbox", 1);
    CHECK(tr_mqtt_wait_subscribed(ma, WAIT) == TR_MQTT_OK);
    /* mosquitto 2.0 may grant the SUBSCRIBE (and then checks read access
     * per message) or refuse it: either way nothing of B's may arrive */
    tr_mqtt_subscribe(ma, "truckroll/v1/agent/agent-b/inbox", 1);
    int sub = tr_mqtt_wait_subscribed(ma, WAIT);
    CHECK(sub == TR_MQTT_OK || sub == TR_MQTT_ERR_SUBSCRIBE);
    const char *inbox_b = "truckroll/v1/agent/agent-b/inbox";
    CHECK(ah_publish(o.m, inbox_b, "{\"probe\":1}", 11) == 0);
    CHECK(ah_publish(o.m, "truckroll/v1/agent/agent-a/inbox", "{\"probe\":2}", 11) == 0);
    for (int i = 0, got = 0; i < 200 && !got; i++) {
        trt_sleep_ms(20);
        pthread_mutex_lock(&pa.mu);
        got = pa.received;
        pthread_mutex_unlock(&pa.mu);
    }
    trt_sleep_ms(300); /* give a wrongly routed copy time to show up too */
    pthread_mutex_lock(&pa.mu);
    CHECK_MSG(pa.received == 1, "agent-a received %d inbox messages (own: 1)", pa.received);
    pthread_mutex_unlock(&pa.mu);

    /* the fleet feed (truckroll/v1/fleet/#): the read-only webmap account
     * reads it, an agent does not */
    struct probe pf = { .received = 0 };
    pthread_mutex_init(&pf.mu, NULL);
    struct tr_mqtt *mw = client(b.port, "webmap", "w-secret", &pf);
    CHECK(mw && tr_mqtt_wait_connected(mw, WAIT) == TR_MQTT_OK);
    tr_mqtt_subscribe(mw, "truckroll/v1/fleet/#", 0);
    CHECK(tr_mqtt_wait_subscribed(mw, WAIT) == TR_MQTT_OK);
    tr_mqtt_subscribe(ma, "truckroll/v1/fleet/#", 0);
    sub = tr_mqtt_wait_subscribed(ma, WAIT);
    CHECK(sub == TR_MQTT_OK || sub == TR_MQTT_ERR_SUBSCRIBE);
    CHECK(ah_publish(o.m, "truckroll/v1/fleet/agent-b", "{\"probe\":3}", 11) == 0);
    for (int i = 0, got = 0; i < 200 && !got; i++) {
        trt_sleep_ms(20);
        pthread_mutex_lock(&pf.mu);
        got = pf.received;
        pthread_mutex_unlock(&pf.mu);
    }
    trt_sleep_ms(300);
    pthread_mutex_lock(&pf.mu);
    CHECK_MSG(pf.received == 1, "webmap received %d fleet messages (1)", pf.received);
    pthread_mutex_unlock(&pf.mu);
    pthread_mutex_lock(&pa.mu);
    CHECK_MSG(pa.received == 1, "agent-a read the fleet feed (%d messages)", pa.received);
    pthread_mutex_unlock(&pa.mu);

    /* the every-user patterns grant agent topics by user name: the web map
     * and console accounts have theirs denied, so they cannot pose as an
     * agent called webmap or console */
    struct tr_mqtt *mc = client(b.port, "console", "c-secret", &pf);
    CHECK(mc && tr_mqtt_wait_connected(mc, WAIT) == TR_MQTT_OK);
    static const char *const posers[] = { "webmap", "console" };
    for (int i = 0; i < 2; i++) {
        char topic[80];
        loc_json(msg, sizeof msg, posers[i], "poser");
        snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/loc", posers[i]);
        tr_mqtt_publish(i ? mc : mw, topic, msg, strlen(msg), &(struct tr_mqtt_pub){ .qos = 1 });
    }
    tr_mqtt_free(mc);
    tr_mqtt_free(mw);
    pthread_mutex_destroy(&pf.mu);

    /* A publishes as B: nobody sees it; as itself: the dispatcher does */
    loc_json(msg, sizeof msg, "agent-b", "spoofed");
    tr_mqtt_publish(ma, "truckroll/v1/agent/agent-b/loc", msg, strlen(msg),
                    &(struct tr_mqtt_pub){ .qos = 1 });
    tr_mqtt_publish(ma, "truckroll/v1/agent/agent-b/state", "{}", 2,
                    &(struct tr_mqtt_pub){ .qos = 1, .retain = 1 });
    loc_json(msg, sizeof msg, "agent-a", "own");
    CHECK(ah_publish(ma, "truckroll/v1/agent/agent-a/loc", msg, strlen(msg)) == 0);
    CHECK(ah_wait_int(&o, &o.loc_msgs, 1, WAIT));
    CHECK(ah_observer_unique(&o, "own") == 1);
    CHECK(ah_observer_unique(&o, "spoofed") == 0);
    CHECK(ah_observer_unique(&o, "poser") == 0);
    /* A cannot take B's identity either: a connection as B with A's password fails */
    struct tr_mqtt *mb = client(b.port, "agent-b", "a-secret", &pa2);
    CHECK(mb && tr_mqtt_wait_connected(mb, 5000) != TR_MQTT_OK);
    tr_mqtt_free(mb);
    tr_mqtt_free(ma);

    /* the real agent with its own credentials: presence and positions pass */
    CHECK(ah_agent_init(&a, "agent-a") == 0);
    snprintf(pwfile, sizeof pwfile, "%s/password", a.dir);
    FILE *f = fopen(pwfile, "w");
    CHECK(f && fputs("a-secret\n", f) >= 0 && fclose(f) == 0);
    char pw[440], replay[420];
    snprintf(pw, sizeof pw, "--broker.password_file=%s", pwfile);
    CHECK(ah_agent_track(&a, "track.gpx", 30, 10, 10, 5, replay, sizeof replay) == 0);
    const char *extra[] = { pw, replay, NULL };
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));
    CHECK(ah_wait_int(&o, &o.loc_msgs, 2, WAIT));
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_agent_stop(&a);
    ah_agent_cleanup(&a);
    ah_observer_stop(&o);
    trt_broker_stop(&b);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s restart|offline30|kill9|acl ACL AGENT_BIN [EMULATOR...]\n",
                argv[0]);
        return 2;
    }
    ah_exec_init(&X, argc - 3, argv + 3);
    if (strcmp(argv[1], "restart") == 0)
        test_restart();
    else if (strcmp(argv[1], "offline30") == 0)
        test_offline30();
    else if (strcmp(argv[1], "kill9") == 0)
        test_kill9();
    else if (strcmp(argv[1], "acl") == 0)
        test_acl(argv[2]);
    else
        return 2;
    return check_report(argv[1]);
}
