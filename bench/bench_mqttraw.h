/*
 * bench/bench_mqttraw.h: a minimal MQTT 3.1.1 client over a plain TCP socket,
 * for benchmarks only (library tr_benchkit).
 *
 * What it does: CONNECT (keepalive 0, clean session), SUBSCRIBE with one
 * filter, encode PUBLISH packets into a buffer, and two loops:
 *   - a subscriber that reads PUBLISH packets, answers QoS 1 ones with
 *     PUBACK (batched per read) and counts them: nothing else, so it shows
 *     what the broker itself can deliver (SPEC.md: "a raw-socket
 *     subscriber");
 *   - a publisher that writes a pre-encoded stream of QoS 1 PUBLISH packets
 *     as fast as the socket takes them, keeping at most `window` of them
 *     unacknowledged (packet ids cycle 1..65535, so window < 65535).
 * It does not do TLS, MQTT v5, QoS 2, retries, pings or reconnects, and
 * trusts the broker (it is only pointed at a private mosquitto).
 */
#ifndef TR_BENCH_MQTTRAW_H
#define TR_BENCH_MQTTRAW_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds. */
int64_t bench_now_ns(void);

/* Connect to 127.0.0.1:port and complete CONNECT/CONNACK within timeout_ms.
 * Returns the socket, or -1 with a reason on stderr. */
int bench_raw_connect(int port, const char *client_id, int timeout_ms);
/* SUBSCRIBE filter at qos and wait for the SUBACK. 0 on success. */
int bench_raw_subscribe(int fd, const char *filter, int qos, int timeout_ms);
/* DISCONNECT and close. fd < 0 is a no-op. */
void bench_raw_close(int fd);

/* Encode one PUBLISH (qos 0 or 1; pid used for qos 1) into out. Returns the
 * packet length, or 0 when it does not fit in cap. */
size_t bench_raw_publish_packet(unsigned char *out, size_t cap, const char *topic,
                                const void *payload, size_t len, int qos, int retain, uint16_t pid);

/* A stream of pre-encoded QoS 1 PUBLISH packets, ends[i] = end offset of
 * packet i. Grown with bench_stream_add; freed with bench_stream_free. */
struct bench_stream {
    unsigned char *buf;
    size_t len, cap;
    size_t *ends;
    size_t n, cap_n;
    size_t payload_bytes; /* sum of payload lengths */
};
/* Append a PUBLISH with packet id (n % 65535) + 1. 0 on success. */
int bench_stream_add(struct bench_stream *s, const char *topic, const void *payload, size_t len,
                     int qos, int retain);
void bench_stream_free(struct bench_stream *s);

/* Publish every packet of s on fd (QoS 1: at most window unacknowledged),
 * then wait for the last PUBACK, or give up at deadline_ns. Returns the
 * number of packets acknowledged (QoS 0: written). */
size_t bench_raw_publish_stream(int fd, const struct bench_stream *s, size_t window,
                                int64_t deadline_ns);

/* What a subscriber loop saw. `received` is updated as it goes (other
 * threads may read it). */
struct bench_raw_sub {
    atomic_ulong received;
    int64_t first_ns, last_ns; /* monotonic, 0 before the first message */
    uint64_t bytes;            /* payload bytes */
};
/* Read until `expect` PUBLISH packets arrived, stop becomes non-zero, or
 * deadline_ns. PUBACKs every QoS 1 packet. 0 when expect was reached. */
int bench_raw_sub_run(int fd, struct bench_raw_sub *st, uint64_t expect, int64_t deadline_ns,
                      const atomic_int *stop);

#endif
