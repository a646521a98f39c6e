/*
 * tests/integration/test_agent_flood.c: a flood on the agent's inbox must
 * not stop its positions. A real mosquitto; the agent replays a track with
 * a report at every fix and a send window of 2, so PUBACKs keep arriving.
 * It is stopped (SIGSTOP) while thousands of bad messages queue up for it
 * at QoS 0, then let go with the flood going on for 3 s more, so paho hands
 * them over faster than the loop can take them: inbox messages past the queue's limit may be
 * dropped (and counted), but no PUBACK or connection change may be: a lost PUBACK held a place of
 * the send window for good, and with two of them lost the agent published nothing more until it
 * reconnected. Rarely (1 run in 3 to 6 here), under such a flood, paho itself never reports the
 * PUBACK of one or two publishes on a connection that stays up (tr_mqtt's count of deliveries stays
 * behind its count of publishes; the cause lies below our code and was not found):
 * broker.ack_timeout_s (5 s here) then reconnects and everything unacknowledged goes out again.
 *
 * Usage: test_agent_flood AGENT_BIN [EMULATOR...]
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tests/integration/agent_harness.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"

#define ID   "flood-1"
#define WAIT 20000

static struct ah_exec X;

int main(int argc, char **argv)
{
    struct trt_broker b;
    struct ah_observer o;
    struct ah_agent a;
    char replay[420], topic[128];

    if (argc < 2) {
        fprintf(stderr, "usage: %s AGENT_BIN [EMULATOR...]\n", argv[0]);
        return 2;
    }
    ah_exec_init(&X, argc - 1, argv + 1);
    CHECK(ah_agent_init(&a, ID) == 0);
    CHECK(ah_agent_track(&a, "track.gpx", 120, 48.137, 11.575, 15.0, replay, sizeof replay) == 0);
    const char *extra[] = { replay,
                            "--gps.replay_loop=true",
                            "--gps.replay_speed=10",
                            "--report.every_fix=true",
                            "--broker.window=2",
                            "--broker.ack_timeout_s=5",
                            NULL };
    CHECK(trt_broker_start(&b, NULL) == 0);
    CHECK(ah_observer_start(&o, b.port, "dispatcher", NULL, NULL, 0) == 0);
    CHECK(ah_agent_start(&a, &X, b.port, extra) == 0);
    if (check_failed)
        return check_report("test_agent_flood");
    CHECK(ah_wait_int(&o, &o.presence_online, 1, WAIT));
    CHECK(ah_wait_status(&a, "counters.acked", 10, WAIT));

    /* the flood: bad offers (an unknown key, so each is parsed to the end)
     * queued while the agent is stopped */
    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/inbox", ID);
    char bad[2048];
    int len = snprintf(bad, sizeof bad, "{\"type\":\"offer\",\"pad\":\"%01800d\"}", 0);
    struct tr_mqtt_pub qos0 = { .qos = 0 };
    int sent = 0;
    CHECK(kill(a.pid, SIGSTOP) == 0);
    for (int i = 0; i < 6000; i++) {
        int rc = tr_mqtt_publish(o.m, topic, bad, (size_t)len, &qos0);
        if (rc == TR_MQTT_OK)
            sent++;
        else
            trt_sleep_ms(1); /* paho's queue is full: let it drain */
    }
    trt_sleep_ms(500); /* let mosquitto take them in */
    CHECK(kill(a.pid, SIGCONT) == 0);
    /* and more for 3 s, while positions (and their PUBACKs) go on */
    for (int64_t end = ah_wall_ms() + 3000; ah_wall_ms() < end;) {
        if (tr_mqtt_publish(o.m, topic, bad, (size_t)len, &qos0) == TR_MQTT_OK)
            sent++;
        else
            trt_sleep_ms(1);
    }

    /* after the burst: every message counted, received or dropped ... */
    double published0 = ah_status_num(&a, "counters.published");
    CHECK(ah_wait_status(&a, "counters.published", published0 + 20, WAIT));
    double received = ah_status_num(&a, "counters.inbox_received");
    double dropped = ah_status_num(&a, "counters.queue_dropped");
    double rejected = ah_status_num(&a, "counters.inbox_rejected");
    CHECK_MSG(received + dropped <= sent, "received %g + dropped %g > sent %d", received, dropped,
              sent);
    CHECK(rejected == received);
    CHECK(ah_status_num(&a, "counters.inbox_accepted") == 0);
    /* ... and the positions flowing again: the window empties (every
     * PUBACK came through) and the outbox keeps up with a fix a 100 ms */
    double published1 = ah_status_num(&a, "counters.published");
    CHECK_MSG(ah_wait_status(&a, "counters.acked", published1 + 20, WAIT),
              "acked %g, published %g -> %g: the send window is stuck",
              ah_status_num(&a, "counters.acked"), published1,
              ah_status_num(&a, "counters.published"));
    CHECK_MSG(ah_status_num(&a, "outbox.positions") < 50, "%g positions waiting in the outbox",
              ah_status_num(&a, "outbox.positions"));
    CHECK(ah_status_num(&a, "connected") == 1);
    printf("test_agent_flood: %d bad messages sent, %g received, %g dropped (queue limit); "
           "published %g -> %g; %g acknowledgement timeout(s)\n",
           sent, received, dropped, published0, ah_status_num(&a, "counters.published"),
           ah_status_num(&a, "counters.ack_timeouts"));

    CHECK(ah_agent_alive(&a));
    CHECK(ah_agent_stop(&a) == 0);
    if (check_failed)
        ah_agent_dump_log(&a);
    ah_observer_stop(&o);
    ah_agent_cleanup(&a);
    trt_broker_stop(&b);
    return check_report("test_agent_flood");
}
