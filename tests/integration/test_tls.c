/*
 * tests/integration/test_tls.c: MQTT over TLS, for real: a private mosquitto
 * with a TLS listener whose certificate comes from a CA made at test time
 * (tls_certs.h), and
 *   1. common/mqtt sessions (what both daemons use): one over TLS trusting
 *      the test CA exchanges messages both ways with one on the plain
 *      listener; one trusting an unrelated CA never connects (the broker's
 *      certificate is verified);
 *   2. the real truckroll-agent with broker.tls / broker.ca_file: its
 *      presence and positions arrive through TLS, and an offer sent to its
 *      inbox reaches it.
 *
 *   test_tls AGENT_EXE [EMULATOR ARGS...]
 *
 * This guards how the process initialises OpenSSL (common/mqtt.c: paho is
 * told not to, and the session does it only when TLS is configured). Every
 * wait is bounded; nothing asserts on elapsed time.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/mqtt.h"
#include "tests/integration/agent_harness.h"
#include "tests/integration/tls_certs.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"

#define WAIT 20000

struct rx {
    pthread_mutex_t mu;
    int n;
    char last[128];
};

static void on_msg(void *user, const char *topic, const void *payload, size_t len,
                   const struct tr_mqtt_msg_props *props)
{
    struct rx *r = user;
    (void)topic;
    (void)props;
    pthread_mutex_lock(&r->mu);
    r->n++;
    snprintf(r->last, sizeof r->last, "%.*s", (int)(len < 100 ? len : 100), (const char *)payload);
    pthread_mutex_unlock(&r->mu);
}

static int rx_wait(struct rx *r, int want, const char *text)
{
    for (long long until = trt_now_ms() + WAIT; trt_now_ms() < until;) {
        pthread_mutex_lock(&r->mu);
        int ok = r->n >= want && (!text || strcmp(r->last, text) == 0);
        pthread_mutex_unlock(&r->mu);
        if (ok)
            return 1;
        trt_sleep_ms(20);
    }
    return 0;
}

static struct tr_mqtt *session(int port, const char *cid, int tls, const char *ca, struct rx *r)
{
    struct tr_mqtt_options mo = { .host = "127.0.0.1",
                                  .port = port,
                                  .client_id = cid,
                                  .tls = tls,
                                  .ca_file = ca,
                                  .reconnect_min_ms = 200,
                                  .reconnect_max_ms = 1000 };
    struct tr_mqtt_callbacks cb = { .on_message = on_msg };
    int rc;
    struct tr_mqtt *m = tr_mqtt_new(&mo, &cb, r, &rc);
    if (!m)
        fprintf(stderr, "tr_mqtt_new: %s\n", tr_mqtt_strerror(rc));
    return m;
}

static void sessions(const struct trt_broker *b, int tls_port, const char *dir)
{
    struct rx rt = { .mu = PTHREAD_MUTEX_INITIALIZER }, rp = { .mu = PTHREAD_MUTEX_INITIALIZER },
              rbad = { .mu = PTHREAD_MUTEX_INITIALIZER };
    char ca[400], other[400];
    struct tr_mqtt_pub q1 = { .qos = 1 };
    struct tr_mqtt_stats st;

    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(other, sizeof other, "%s/other-ca.pem", dir);
    struct tr_mqtt *t = session(tls_port, "tls-client", 1, ca, &rt);
    struct tr_mqtt *p = session(b->port, "plain-client", 0, NULL, &rp);
    struct tr_mqtt *bad = session(tls_port, "tls-wrong-ca", 1, other, &rbad);
    CHECK(t && p && bad);
    if (!t || !p || !bad)
        goto out;
    tr_mqtt_subscribe(t, "tls/to-tls", 1);
    tr_mqtt_subscribe(p, "tls/to-plain", 1);
    tr_mqtt_connect(t);
    tr_mqtt_connect(p);
    tr_mqtt_connect(bad);
    CHECK(tr_mqtt_wait_connected(t, WAIT) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_connected(p, WAIT) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(t, WAIT) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(p, WAIT) == TR_MQTT_OK);

    CHECK(tr_mqtt_publish(p, "tls/to-tls", "plain->tls", 10, &q1) == TR_MQTT_OK);
    CHECK(rx_wait(&rt, 1, "plain->tls"));
    CHECK(tr_mqtt_publish(t, "tls/to-plain", "tls->plain", 10, &q1) == TR_MQTT_OK);
    CHECK(rx_wait(&rp, 1, "tls->plain"));

    /* the unrelated CA: attempts fail, it never connects */
    for (long long until = trt_now_ms() + WAIT; trt_now_ms() < until;) {
        tr_mqtt_get_stats(bad, &st);
        if (st.connect_failures >= 2)
            break;
        trt_sleep_ms(50);
    }
    tr_mqtt_get_stats(bad, &st);
    CHECK_MSG(st.connect_failures >= 2, "failures %llu", (unsigned long long)st.connect_failures);
    CHECK(st.connects == 0);
    CHECK(!tr_mqtt_is_connected(bad));
out:
    tr_mqtt_free(bad);
    tr_mqtt_free(t);
    tr_mqtt_free(p);
}

static void agent(int argc, char **argv, const struct trt_broker *b, int tls_port, const char *dir)
{
    struct ah_exec x;
    struct ah_agent a;
    struct ah_observer o;
    char replay[420], ca[420], msg[1024], topic[128];
    const char *id = "tls-agent";
    bool obs = false;

    ah_exec_init(&x, argc, argv);
    CHECK(ah_agent_init(&a, id) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 120, 30.2672, -97.7431, 30.0, replay, sizeof replay) ==
          0);
    snprintf(ca, sizeof ca, "--broker.ca_file=%s/ca.pem", dir);
    const char *extra[] = { replay,
                            "--gps.replay_loop=true",
                            "--report.every_fix=true",
                            "--broker.host=127.0.0.1",
                            "--broker.tls=true",
                            ca,
                            NULL };
    CHECK(ah_observer_start(&o, b->port, "tls-obs", NULL, NULL, 0) == 0);
    obs = true;
    CHECK(ah_agent_start(&a, &x, tls_port, extra) == 0);
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));
    CHECK(ah_wait_int(&o, &o.loc_msgs, 2, WAIT));

    /* the inbox, through TLS */
    snprintf(msg, sizeof msg,
             "{\"type\":\"offer\",\"id\":\"m-tls-1\",\"ts\":%lld,\"agent_id\":\"%s\","
             "\"offer_id\":\"o-tls\",\"job_id\":\"j-tls\",\"job\":{\"title\":\"Fix the router\","
             "\"skills\":[\"router\"]},\"site\":{\"lat\":30.2672,\"lon\":-97.7431},"
             "\"distance_m\":1200,\"eta_s\":300,\"deadline\":%lld}",
             (long long)ah_wall_ms(), id, (long long)(ah_wall_ms() + 300000));
    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/inbox", id);
    CHECK(ah_publish(o.m, topic, msg, strlen(msg)) == 0);
    CHECK(ah_wait_status(&a, "pending_offers", 1, WAIT));
    CHECK(ah_agent_stop(&a) == 0);
    if (check_failed)
        ah_agent_dump_log(&a);
    if (obs)
        ah_observer_stop(&o);
    ah_agent_cleanup(&a);
}

int main(int argc, char **argv)
{
    struct trt_broker b;
    char dir[] = "/tmp/tr-tls-XXXXXX", conf[2048];
    int tls_port;

    if (argc < 2) {
        fprintf(stderr, "usage: test_tls AGENT_EXE [EMULATOR ARGS...]\n");
        return 2;
    }
    /* as the daemons do: paho leaves OpenSSL alone, the TLS sessions below
     * initialise it themselves (common/mqtt_init.c) */
    tr_mqtt_global_init();
    memset(&b, 0, sizeof b);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    CHECK(tls_certs_make(dir) == 0);
    tls_port = trt_free_port();
    CHECK(tls_port > 0);
    tls_listener_conf(conf, sizeof conf, tls_port, dir);
    struct trt_broker_opts bo = { .extra_conf = conf };
    CHECK(trt_broker_start(&b, &bo) == 0);
    CHECK(tls_wait_port(tls_port, WAIT) == 0);
    if (!check_failed) {
        sessions(&b, tls_port, dir);
        agent(argc - 1, argv + 1, &b, tls_port, dir);
    }
    trt_broker_stop(&b);
    const char *rm[] = { "rm", "-rf", dir, NULL };
    tls_run(rm);
    return check_report("test_tls");
}
