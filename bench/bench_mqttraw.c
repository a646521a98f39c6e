/*
 * bench/bench_mqttraw.c: the minimal MQTT 3.1.1 client of bench_mqttraw.h
 * (connect, subscribe, PUBLISH encoding, a counting subscriber loop and a
 * windowed publisher loop). Benchmarks only: no TLS, no v5, no retries.
 */
#include "bench/bench_mqttraw.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RBUF (256 * 1024)

int64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t put_varint(unsigned char *p, size_t v)
{
    size_t n = 0;
    do {
        unsigned char b = (unsigned char)(v % 128);
        v /= 128;
        if (v)
            b |= 0x80;
        p[n++] = b;
    } while (v && n < 4);
    return n;
}

static size_t put_str(unsigned char *p, const char *s, size_t len)
{
    p[0] = (unsigned char)(len >> 8);
    p[1] = (unsigned char)(len & 0xff);
    memcpy(p + 2, s, len);
    return len + 2;
}

/* Write all of buf (blocking socket). 0 on success. */
static int write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Read one whole packet (blocking with a deadline) into buf. Returns its
 * total length, or -1. */
static ssize_t read_packet(int fd, unsigned char *buf, size_t cap, int timeout_ms)
{
    size_t have = 0, need = 2;
    int64_t until = bench_now_ns() + (int64_t)timeout_ms * 1000000;
    while (have < need) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        int left = (int)((until - bench_now_ns()) / 1000000);
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return -1;
        ssize_t r = recv(fd, buf + have, need - have, 0);
        if (r <= 0)
            return -1;
        have += (size_t)r;
        if (have >= 2 && need == 2) {
            /* decode the remaining length as far as it is there */
            size_t v = 0, mul = 1, i = 1;
            for (;;) {
                if (i >= have) {
                    need = have + 1;
                    break;
                }
                v += (buf[i] & 0x7f) * mul;
                mul *= 128;
                if (!(buf[i] & 0x80)) {
                    need = i + 1 + v;
                    break;
                }
                if (++i > 4)
                    return -1;
            }
            if (need > cap)
                return -1;
        }
    }
    return (ssize_t)need;
}

int bench_raw_connect(int port, const char *client_id, int timeout_ms)
{
    struct sockaddr_in sa;
    unsigned char pkt[512], body[512];
    size_t idl = strlen(client_id), bl = 0, pl = 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (fd < 0 || idl > 200)
        goto fail;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto fail;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bl += put_str(body, "MQTT", 4);
    body[bl++] = 4;    /* protocol level 3.1.1 */
    body[bl++] = 0x02; /* clean session */
    body[bl++] = 0;    /* keepalive 0: off, so no PINGREQ is ever needed */
    body[bl++] = 0;
    bl += put_str(body + bl, client_id, idl);
    pkt[pl++] = 0x10;
    pl += put_varint(pkt + pl, bl);
    memcpy(pkt + pl, body, bl);
    pl += bl;
    if (write_all(fd, pkt, pl) != 0)
        goto fail;
    ssize_t n = read_packet(fd, pkt, sizeof pkt, timeout_ms);
    if (n != 4 || pkt[0] != 0x20 || pkt[3] != 0) {
        fprintf(stderr, "bench_mqttraw: CONNACK missing or refused (port %d)\n", port);
        goto fail;
    }
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    fprintf(stderr, "bench_mqttraw: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
    return -1;
}

int bench_raw_subscribe(int fd, const char *filter, int qos, int timeout_ms)
{
    unsigned char pkt[512], body[512];
    size_t fl = strlen(filter), bl = 0, pl = 0;
    if (fl > 400)
        return -1;
    body[bl++] = 0;
    body[bl++] = 1; /* packet id 1 */
    bl += put_str(body + bl, filter, fl);
    body[bl++] = (unsigned char)qos;
    pkt[pl++] = 0x82;
    pl += put_varint(pkt + pl, bl);
    memcpy(pkt + pl, body, bl);
    pl += bl;
    if (write_all(fd, pkt, pl) != 0)
        return -1;
    ssize_t n = read_packet(fd, pkt, sizeof pkt, timeout_ms);
    if (n != 5 || pkt[0] != 0x90 || pkt[4] > 2) {
        fprintf(stderr, "bench_mqttraw: SUBACK missing or refused for %s\n", filter);
        return -1;
    }
    return 0;
}

void bench_raw_close(int fd)
{
    static const unsigned char disc[2] = { 0xe0, 0x00 };
    if (fd < 0)
        return;
    (void)write_all(fd, disc, sizeof disc);
    close(fd);
}

size_t bench_raw_publish_packet(unsigned char *out, size_t cap, const char *topic,
                                const void *payload, size_t len, int qos, int retain, uint16_t pid)
{
    size_t tl = strlen(topic);
    size_t rem = 2 + tl + (qos ? 2 : 0) + len, n = 0;
    if (tl > 65535 || rem > 268435455 || 1 + 4 + rem > cap)
        return 0;
    out[n++] = (unsigned char)(0x30 | (qos ? 0x02 : 0) | (retain ? 0x01 : 0));
    n += put_varint(out + n, rem);
    n += put_str(out + n, topic, tl);
    if (qos) {
        out[n++] = (unsigned char)(pid >> 8);
        out[n++] = (unsigned char)(pid & 0xff);
    }
    memcpy(out + n, payload, len);
    return n + len;
}

int bench_stream_add(struct bench_stream *s, const char *topic, const void *payload, size_t len,
                     int qos, int retain)
{
    size_t need = strlen(topic) + len + 16;
    if (s->len + need > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : (size_t)1 << 20;
        while (cap < s->len + need)
            cap *= 2;
        unsigned char *b = realloc(s->buf, cap);
        if (!b)
            return -1;
        s->buf = b;
        s->cap = cap;
    }
    if (s->n == s->cap_n) {
        size_t cap = s->cap_n ? s->cap_n * 2 : 4096;
        size_t *e = realloc(s->ends, cap * sizeof *e);
        if (!e)
            return -1;
        s->ends = e;
        s->cap_n = cap;
    }
    size_t w = bench_raw_publish_packet(s->buf + s->len, s->cap - s->len, topic, payload, len, qos,
                                        retain, (uint16_t)(s->n % 65535 + 1));
    if (!w)
        return -1;
    s->len += w;
    s->ends[s->n++] = s->len;
    s->payload_bytes += len;
    return 0;
}

void bench_stream_free(struct bench_stream *s)
{
    free(s->buf);
    free(s->ends);
    memset(s, 0, sizeof *s);
}

/* Count the PUBACKs in what was read; keeps a partial packet in buf. */
static size_t eat_acks(unsigned char *buf, size_t *have)
{
    size_t i = 0, acks = 0;
    while (*have - i >= 2) {
        size_t len = 2 + buf[i + 1]; /* PUBACK and friends: remaining length < 128 */
        if (*have - i < len)
            break;
        if ((buf[i] & 0xf0) == 0x40)
            acks++;
        i += len;
    }
    memmove(buf, buf + i, *have - i);
    *have -= i;
    return acks;
}

size_t bench_raw_publish_stream(int fd, const struct bench_stream *s, size_t window,
                                int64_t deadline_ns)
{
    unsigned char rb[4096];
    size_t have = 0, pos = 0, sent = 0, acked = 0;
    int qos1 = s->n > 0 && (s->buf[0] & 0x06) != 0;
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    if (window == 0 || window > 60000)
        window = 60000;
    while ((qos1 ? acked : sent) < s->n && bench_now_ns() < deadline_ns) {
        size_t base = qos1 ? acked : sent;
        size_t limit = base + window < s->n ? base + window : s->n;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (sent < limit)
            pfd.events |= POLLOUT;
        if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
            break;
        if (pfd.revents & (POLLERR | POLLHUP))
            break;
        if (pfd.revents & POLLIN) {
            ssize_t r = recv(fd, rb + have, sizeof rb - have, 0);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
                break;
            if (r > 0) {
                have += (size_t)r;
                acked += eat_acks(rb, &have);
            }
        }
        if (pfd.revents & POLLOUT) {
            size_t end = s->ends[limit - 1];
            if (end > pos) {
                ssize_t w = send(fd, s->buf + pos, end - pos, MSG_NOSIGNAL);
                if (w < 0 && errno != EAGAIN && errno != EINTR)
                    break;
                if (w > 0)
                    pos += (size_t)w;
                while (sent < s->n && s->ends[sent] <= pos)
                    sent++;
            }
        }
    }
    fcntl(fd, F_SETFL, fl);
    return qos1 ? acked : sent;
}

int bench_raw_sub_run(int fd, struct bench_raw_sub *st, uint64_t expect, int64_t deadline_ns,
                      const atomic_int *stop)
{
    unsigned char *buf = malloc(RBUF), *acks = malloc(RBUF);
    size_t have = 0;
    uint64_t got = atomic_load(&st->received);
    int rc = -1;
    if (!buf || !acks)
        goto out;
    while (got < expect && bench_now_ns() < deadline_ns && !(stop && atomic_load(stop))) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 50) <= 0)
            continue;
        ssize_t r = recv(fd, buf + have, RBUF - have, 0);
        if (r <= 0)
            break;
        int64_t now = bench_now_ns();
        have += (size_t)r;
        size_t i = 0, na = 0;
        uint64_t n = 0;
        while (have - i >= 2) {
            size_t v = 0, mul = 1, j = i + 1;
            int complete = 0;
            while (j < have && j < i + 5) {
                v += (buf[j] & 0x7f) * mul;
                mul *= 128;
                if (!(buf[j++] & 0x80)) {
                    complete = 1;
                    break;
                }
            }
            if (!complete || have - j < v)
                break; /* the rest of this packet is still on its way */
            if ((buf[i] & 0xf0) == 0x30) {
                int qos = (buf[i] >> 1) & 3;
                size_t tl = ((size_t)buf[j] << 8) | buf[j + 1];
                size_t hdr = 2 + tl + (qos ? 2 : 0);
                if (qos == 1 && na + 4 <= RBUF) {
                    acks[na++] = 0x40;
                    acks[na++] = 0x02;
                    acks[na++] = buf[j + 2 + tl];
                    acks[na++] = buf[j + 3 + tl];
                }
                st->bytes += v > hdr ? v - hdr : 0;
                n++;
            }
            i = j + v;
        }
        memmove(buf, buf + i, have - i);
        have -= i;
        if (na && write_all(fd, acks, na) != 0)
            break;
        if (n) {
            if (!st->first_ns)
                st->first_ns = now;
            st->last_ns = now;
            got = atomic_fetch_add(&st->received, n) + n;
        }
        if (have == RBUF)
            break; /* a packet larger than the buffer: not ours */
    }
    rc = got >= expect ? 0 : -1;
out:
    free(buf);
    free(acks);
    return rc;
}
