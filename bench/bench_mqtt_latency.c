/*
 * bench/bench_mqtt_latency.c: publish -> receive latency through a private
 * mosquitto (tests/support/broker.h), with and without common/mqtt's
 * TCP_NODELAY fix on paho's socket, for QoS 0 and QoS 1.
 *
 * A publisher session sends a 150-byte payload carrying its CLOCK_MONOTONIC
 * send time at a fixed rate (default 10k msg/s, as in SPEC.md); a subscriber
 * session in the same process records now - send time on arrival. Each case
 * runs --secs seconds (default 0.6) and the whole run is bounded (~10 s with the
 * defaults: 2 broker settings x 2 QoS x 2 client settings). The broker's own
 * set_tcp_nodelay (broker -> subscriber hop) is varied too, since mosquitto
 * 2.0 leaves it off by default. QoS 1 publishes past the in-flight window
 * are skipped (counted), not queued, so pacing stays honest.
 *
 * Prints p50/p99 per case, the ratios off/on, and one JSON line. It asserts
 * nothing: timing on this shared machine is for reading, never for tests.
 */
#include "common/mqtt.h"
#include "tests/support/broker.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAYLOAD 150

struct lat {
    uint64_t *ns; /* one slot per message sent */
    size_t cap;
    atomic_size_t n;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct lat *l = user;
    char buf[24];
    uint64_t sent;
    size_t i;

    (void)topic;
    (void)props;
    if (len < 20)
        return;
    memcpy(buf, payload, 20);
    buf[20] = '\0';
    sent = strtoull(buf, NULL, 10);
    i = atomic_fetch_add(&l->n, 1);
    if (i < l->cap)
        l->ns[i] = mono_ns() - sent;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct result {
    double p50_us, p99_us;
    size_t sent, received, skipped;
};

static int run_case(int port, int qos, int nodelay, int rate, double secs, struct result *r)
{
    static const struct tr_mqtt_callbacks sub_cb = { on_message, NULL, NULL, NULL };
    struct tr_mqtt_options o;
    struct tr_mqtt *sub = NULL, *pub = NULL;
    struct lat l;
    char payload[PAYLOAD + 1];
    size_t total = (size_t)(rate * secs);
    uint64_t period = 1000000000u / (uint64_t)rate, next;
    long long until;
    int rc = -1;

    memset(r, 0, sizeof *r);
    memset(&l, 0, sizeof l);
    l.cap = total;
    if (!(l.ns = calloc(total ? total : 1, sizeof *l.ns)))
        return -1;
    memset(&o, 0, sizeof o);
    o.host = "127.0.0.1";
    o.port = port;
    o.tcp_nodelay = nodelay ? 1 : -1;
    o.max_inflight = 1000;
    o.max_queued = 100000;
    o.client_id = "bench-sub";
    sub = tr_mqtt_new(&o, &sub_cb, &l, NULL);
    o.client_id = "bench-pub";
    pub = tr_mqtt_new(&o, NULL, NULL, NULL);
    if (!sub || !pub || tr_mqtt_connect(sub) || tr_mqtt_connect(pub) ||
        tr_mqtt_wait_connected(sub, 5000) || tr_mqtt_wait_connected(pub, 5000) ||
        tr_mqtt_subscribe(sub, "bench/lat", qos) || tr_mqtt_wait_subscribed(sub, 5000)) {
        fprintf(stderr, "bench_mqtt_latency: cannot set up the sessions\n");
        goto out;
    }
    memset(payload, 'x', PAYLOAD);
    payload[PAYLOAD] = '\0';
    next = mono_ns();
    for (size_t i = 0; i < total; i++) {
        struct timespec ts;
        struct tr_mqtt_pub p = { .qos = qos };
        next += period;
        ts.tv_sec = (time_t)(next / 1000000000u);
        ts.tv_nsec = (long)(next % 1000000000u);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
        snprintf(payload, 21, "%020" PRIu64, mono_ns());
        payload[20] = ' ';
        if (tr_mqtt_publish(pub, "bench/lat", payload, PAYLOAD, &p) == TR_MQTT_OK)
            r->sent++;
        else
            r->skipped++;
    }
    until = trt_now_ms() + 3000;
    while (atomic_load(&l.n) < r->sent && trt_now_ms() < until)
        trt_sleep_ms(10);
    r->received = atomic_load(&l.n);
    if (r->received > l.cap)
        r->received = l.cap;
    if (r->received > 0) {
        qsort(l.ns, r->received, sizeof *l.ns, cmp_u64);
        r->p50_us = (double)l.ns[r->received / 2] / 1e3;
        r->p99_us = (double)l.ns[(r->received * 99) / 100] / 1e3;
        rc = 0;
    }
out:
    tr_mqtt_free(pub);
    tr_mqtt_free(sub);
    free(l.ns);
    return rc;
}

int main(int argc, char **argv)
{
    int rate = 10000;
    double secs = 0.6;
    const char *json_path = NULL;
    struct result res[2][2][2]; /* [broker nodelay][qos][client nodelay] */
    char json[2048];
    size_t jl = 0;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = atoi(argv[++i]);
        else if (strcmp(argv[i], "--secs") == 0 && i + 1 < argc)
            secs = atof(argv[++i]);
        else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
            json_path = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--rate MSG_PER_S] [--secs S] [--json FILE]\n", argv[0]);
            return 2;
        }
    }
    if (rate < 1 || rate > 100000 || secs <= 0 || secs > 30) {
        fprintf(stderr, "bench_mqtt_latency: rate 1..100000, secs 0..30\n");
        return 2;
    }
#ifndef __OPTIMIZE__
    fprintf(stderr, "bench_mqtt_latency: warning: unoptimised build\n");
#endif
    printf("bench_mqtt_latency: %d msg/s, %.1f s per case, %d-byte payload, loopback\n", rate, secs,
           PAYLOAD);
    jl +=
        (size_t)snprintf(json + jl, sizeof json - jl,
                         "{\"bench\": \"mqtt_latency\", \"rate\": %d, \"secs\": %.1f", rate, secs);
    for (int bn = 0; bn < 2; bn++) {
        struct trt_broker b;
        /* a window larger than mosquitto's default 20 so QoS 1 keeps the pace */
        struct trt_broker_opts bo = { .tcp_nodelay = bn,
                                      .extra_conf = "max_inflight_messages 1000" };
        if (trt_broker_start(&b, &bo) != 0)
            return 1;
        for (int qos = 0; qos < 2; qos++) {
            for (int cn = 0; cn < 2; cn++) {
                struct result *r = &res[bn][qos][cn];
                if (run_case(b.port, qos, cn, rate, secs, r) != 0) {
                    trt_broker_stop(&b);
                    return 1;
                }
                printf("  broker nodelay %-3s QoS %d client nodelay %-3s: p50 %9.1f us  p99 "
                       "%9.1f us  (%zu sent, %zu received, %zu skipped)\n",
                       bn ? "on" : "off", qos, cn ? "on" : "off", r->p50_us, r->p99_us, r->sent,
                       r->received, r->skipped);
                jl += (size_t)snprintf(json + jl, sizeof json - jl,
                                       ", \"b%d_qos%d_c%d_p50_us\": %.1f, "
                                       "\"b%d_qos%d_c%d_p99_us\": %.1f",
                                       bn, qos, cn, r->p50_us, bn, qos, cn, r->p99_us);
            }
            printf("    ratio off/on (client TCP_NODELAY): p50 %.1fx, p99 %.1fx\n",
                   res[bn][qos][0].p50_us / res[bn][qos][1].p50_us,
                   res[bn][qos][0].p99_us / res[bn][qos][1].p99_us);
        }
        trt_broker_stop(&b);
    }
    printf("  ratio QoS 0 p50, everything off / everything on: %.1fx\n",
           res[0][0][0].p50_us / res[1][0][1].p50_us);
    snprintf(json + jl, sizeof json - jl, "}");
    printf("%s\n", json);
    if (json_path) {
        FILE *fp = fopen(json_path, "w");
        if (!fp || fprintf(fp, "%s\n", json) < 0 || fclose(fp) != 0)
            fprintf(stderr, "bench_mqtt_latency: cannot write %s\n", json_path);
    }
    return 0;
}
