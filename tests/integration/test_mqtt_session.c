/*
 * tests/integration/test_mqtt_session.c: common/mqtt against a private
 * mosquitto (tests/support/broker.h) and, for the protocol fallback, a tiny
 * fake broker that refuses MQTT 5.
 *
 * Covers: 1000 QoS 1 messages delivered (PUBACK callbacks) and received in
 * order; last will after a cut connection (and reconnecting by itself), none
 * after a clean free; persistent sessions
 * (v5 and 3.1.1) receiving what was published while away; broker restart
 * without persistence (reconnect by itself, session_present=0, subscriptions
 * restored); forced 3.1.1; automatic v5 -> 3.1.1 fallback; v5 message expiry,
 * response topic and correlation data; tr_mqtt_reconnect (down, then up by
 * itself with the session); bad credentials refused without a busy loop. Outcomes only: every wait
 * is bounded and nothing asserts on time.
 */
#include "common/log.h"
#include "common/mqtt.h"
#include "tests/support/broker.h"
#include "tests/support/check.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define WAIT_MS 15000

/* What one session saw, filled by its callbacks (paho's thread). */
struct rx {
    pthread_mutex_t mu;
    int received, out_of_order, next_seq;
    int delivered, undelivered;
    uint64_t cookie_sum;
    int ups, downs, last_sp;
    int retained;
    char topic[128], payload[256];
    int has_expiry;
    uint32_t expiry_s;
    char rtopic[128];
    unsigned char corr[64];
    size_t corr_len;
};

static void rx_init(struct rx *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    r->last_sp = -1;
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *p)
{
    struct rx *r = user;
    int seq = -1;

    pthread_mutex_lock(&r->mu);
    r->received++;
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    if (len >= sizeof r->payload)
        len = sizeof r->payload - 1;
    memcpy(r->payload, payload, len);
    r->payload[len] = '\0';
    if (sscanf(r->payload, "seq=%d", &seq) == 1) {
        if (seq != r->next_seq)
            r->out_of_order++;
        r->next_seq = seq + 1;
    }
    r->retained = p->retained;
    r->has_expiry = p->has_expiry;
    r->expiry_s = p->expiry_s;
    r->rtopic[0] = '\0';
    if (p->response_topic && p->response_topic_len < sizeof r->rtopic) {
        memcpy(r->rtopic, p->response_topic, p->response_topic_len);
        r->rtopic[p->response_topic_len] = '\0';
    }
    r->corr_len = 0;
    if (p->correlation && p->correlation_len <= sizeof r->corr) {
        memcpy(r->corr, p->correlation, p->correlation_len);
        r->corr_len = p->correlation_len;
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_delivered(void *user, uint64_t cookie)
{
    struct rx *r = user;
    pthread_mutex_lock(&r->mu);
    r->delivered++;
    r->cookie_sum += cookie;
    pthread_mutex_unlock(&r->mu);
}

static void on_undelivered(void *user, uint64_t cookie)
{
    struct rx *r = user;
    (void)cookie;
    pthread_mutex_lock(&r->mu);
    r->undelivered++;
    pthread_mutex_unlock(&r->mu);
}

static void on_connection(void *user, int up, int session_present)
{
    struct rx *r = user;
    pthread_mutex_lock(&r->mu);
    if (up) {
        r->ups++;
        r->last_sp = session_present;
    } else {
        r->downs++;
    }
    pthread_mutex_unlock(&r->mu);
}

static const struct tr_mqtt_callbacks callbacks = { on_message, on_delivered, on_undelivered,
                                                    on_connection };

/* Read one int field of r under its lock. */
static int rx_get(struct rx *r, const int *field)
{
    int v;
    pthread_mutex_lock(&r->mu);
    v = *field;
    pthread_mutex_unlock(&r->mu);
    return v;
}

/* Poll until *field >= want or WAIT_MS; returns the last value seen. */
static int wait_at_least(struct rx *r, const int *field, int want)
{
    long long until = trt_now_ms() + WAIT_MS;
    int v;
    while ((v = rx_get(r, field)) < want && trt_now_ms() < until)
        trt_sleep_ms(5);
    return v;
}

static void base_opts(struct tr_mqtt_options *o, int port, const char *id)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = port;
    o->client_id = id;
    o->reconnect_min_ms = 100;
    o->reconnect_max_ms = 1000;
    o->keepalive_s = 10;
}

static struct tr_mqtt *session(const struct tr_mqtt_options *o, struct rx *r)
{
    int err = -1;
    struct tr_mqtt *m = tr_mqtt_new(o, &callbacks, r, &err);
    CHECK_MSG(m != NULL, "tr_mqtt_new(%s): %s", o->client_id, tr_mqtt_strerror(err));
    if (m)
        CHECK(tr_mqtt_connect(m) == TR_MQTT_OK);
    return m;
}

static int connected(struct tr_mqtt *m)
{
    int rc = tr_mqtt_wait_connected(m, WAIT_MS);
    CHECK_MSG(rc == TR_MQTT_OK, "wait_connected: %s", tr_mqtt_strerror(rc));
    return rc == TR_MQTT_OK;
}

static int publish_retry(struct tr_mqtt *m, const char *topic, const char *text,
                         const struct tr_mqtt_pub *pub)
{
    long long until = trt_now_ms() + WAIT_MS;
    int rc;
    while ((rc = tr_mqtt_publish(m, topic, text, strlen(text), pub)) == TR_MQTT_ERR_BUSY &&
           trt_now_ms() < until)
        trt_sleep_ms(1);
    return rc;
}

/* ---- last will: the connection is cut without a DISCONNECT ---- */

/* shutdown() every TCP socket of this process whose peer is 127.0.0.1:port:
 * to the broker that is a connection dying without DISCONNECT, as when a
 * device loses its network or is killed, and it needs no second process
 * (forking a process that runs paho's threads is unsafe). */
static int cut_connections(int port)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == dirfd(d))
            continue;
        memset(&peer, 0, sizeof peer);
        if (getpeername(fd, (struct sockaddr *)&peer, &len) == 0 && peer.sin_family == AF_INET &&
            ntohs(peer.sin_port) == port && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
            shutdown(fd, SHUT_RDWR) == 0)
            n++;
    }
    closedir(d);
    return n;
}

static void test_will(int port)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *sub, *clean, *w;
    struct rx r, rc, rw;

    /* the only connection of this process to the broker while it is cut */
    rx_init(&rw);
    base_opts(&o, port, "will-victim");
    o.will_topic = "t/will/victim";
    o.will_payload = "gone";
    o.will_len = 4;
    o.will_qos = 1;
    o.will_retain = 1;
    w = session(&o, &rw);
    connected(w);
    CHECK(cut_connections(port) == 1);
    CHECK(wait_at_least(&rw, &rw.downs, 1) == 1);
    /* and it comes back by itself */
    CHECK(wait_at_least(&rw, &rw.ups, 2) == 2);
    CHECK(tr_mqtt_wait_connected(w, WAIT_MS) == TR_MQTT_OK);
    tr_mqtt_free(w); /* clean: no second will */

    /* a session freed cleanly sends DISCONNECT: its will must not appear */
    rx_init(&rc);
    base_opts(&o, port, "will-clean");
    o.will_topic = "t/will/clean";
    o.will_payload = "should not appear";
    o.will_len = 17;
    o.will_qos = 1;
    o.will_retain = 1;
    clean = session(&o, &rc);
    connected(clean);
    tr_mqtt_free(clean);

    rx_init(&r);
    base_opts(&o, port, "will-watcher");
    sub = session(&o, &r);
    connected(sub);
    CHECK(tr_mqtt_subscribe(sub, "t/will/#", 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    /* retained messages come right after SUBACK; a marker published after
     * that arrives after them on the same connection */
    CHECK(publish_retry(sub, "t/will/marker", "marker", &(struct tr_mqtt_pub){ .qos = 1 }) ==
          TR_MQTT_OK);
    wait_at_least(&r, &r.received, 2);
    pthread_mutex_lock(&r.mu);
    CHECK_MSG(r.received == 2, "received %d (want the will and the marker)", r.received);
    CHECK(strcmp(r.topic, "t/will/marker") == 0);
    pthread_mutex_unlock(&r.mu);
    tr_mqtt_free(sub);

    /* the will itself, alone */
    rx_init(&r);
    base_opts(&o, port, "will-watcher2");
    sub = session(&o, &r);
    connected(sub);
    CHECK(tr_mqtt_subscribe(sub, "t/will/victim", 1) == TR_MQTT_OK);
    CHECK(wait_at_least(&r, &r.received, 1) == 1);
    pthread_mutex_lock(&r.mu);
    CHECK(strcmp(r.topic, "t/will/victim") == 0 && strcmp(r.payload, "gone") == 0);
    CHECK(r.retained == 1);
    pthread_mutex_unlock(&r.mu);
    tr_mqtt_free(sub);
}

/* ---- 1000 QoS 1 messages, in order, every PUBACK reported ---- */

static void pubsub_n(int port, enum tr_mqtt_protocol proto, const char *tag, int n)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *sub, *pub;
    struct rx rs, rp;
    char id[64], topic[64], text[64];
    uint64_t want_sum = 0;
    struct tr_mqtt_stats st;

    rx_init(&rs);
    rx_init(&rp);
    snprintf(topic, sizeof topic, "t/seq/%s", tag);
    snprintf(id, sizeof id, "sub-%s", tag);
    base_opts(&o, port, id);
    o.protocol = proto;
    sub = session(&o, &rs);
    snprintf(id, sizeof id, "pub-%s", tag);
    o.client_id = id;
    pub = session(&o, &rp);
    if (!connected(sub) || !connected(pub))
        goto out;
    CHECK(tr_mqtt_protocol_version(sub) == (proto == TR_MQTT_PROTO_V311 ? 4 : 5));
    CHECK(tr_mqtt_subscribe(sub, topic, 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    for (int i = 0; i < n; i++) {
        struct tr_mqtt_pub p = { .qos = 1, .cookie = (uint64_t)i + 1 };
        snprintf(text, sizeof text, "seq=%d", i);
        if (publish_retry(pub, topic, text, &p) != TR_MQTT_OK) {
            CHECK_MSG(0, "publish %d failed", i);
            break;
        }
        want_sum += (uint64_t)i + 1;
    }
    CHECK_MSG(wait_at_least(&rp, &rp.delivered, n) == n, "%s: delivered %d of %d", tag,
              rx_get(&rp, &rp.delivered), n);
    CHECK_MSG(wait_at_least(&rs, &rs.received, n) == n, "%s: received %d of %d", tag,
              rx_get(&rs, &rs.received), n);
    pthread_mutex_lock(&rp.mu);
    CHECK(rp.cookie_sum == want_sum);
    CHECK(rp.undelivered == 0);
    pthread_mutex_unlock(&rp.mu);
    CHECK_MSG(rx_get(&rs, &rs.out_of_order) == 0, "%s: %d out of order", tag,
              rx_get(&rs, &rs.out_of_order));
    tr_mqtt_get_stats(pub, &st);
    CHECK(st.published == (uint64_t)n && st.delivered == (uint64_t)n);
    tr_mqtt_get_stats(sub, &st);
    CHECK(st.received == (uint64_t)n);
out:
    tr_mqtt_free(sub);
    tr_mqtt_free(pub);
}

/* ---- v5 properties arrive; on 3.1.1 they are dropped ---- */

static void props(int port, enum tr_mqtt_protocol proto)
{
    static const unsigned char corr[] = { 'c', 'o', 0, 'r', 'r', 0xff };
    struct tr_mqtt_options o;
    struct tr_mqtt *sub, *pub;
    struct rx rs, rp;
    int v5 = proto != TR_MQTT_PROTO_V311;
    struct tr_mqtt_pub p = { .qos = 1,
                             .expiry_s = 60,
                             .response_topic = "t/reply/1",
                             .correlation = corr,
                             .correlation_len = sizeof corr,
                             .cookie = 7 };

    rx_init(&rs);
    rx_init(&rp);
    base_opts(&o, port, v5 ? "props-sub5" : "props-sub3");
    o.protocol = proto;
    sub = session(&o, &rs);
    o.client_id = v5 ? "props-pub5" : "props-pub3";
    pub = session(&o, &rp);
    if (!connected(sub) || !connected(pub))
        goto out;
    CHECK(tr_mqtt_subscribe(sub, "t/props", 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    CHECK(publish_retry(pub, "t/props", "request", &p) == TR_MQTT_OK);
    CHECK(wait_at_least(&rs, &rs.received, 1) == 1);
    pthread_mutex_lock(&rs.mu);
    CHECK(strcmp(rs.payload, "request") == 0);
    if (v5) {
        CHECK(rs.has_expiry && rs.expiry_s > 0 && rs.expiry_s <= 60);
        CHECK(strcmp(rs.rtopic, "t/reply/1") == 0);
        CHECK(rs.corr_len == sizeof corr && memcmp(rs.corr, corr, sizeof corr) == 0);
    } else {
        CHECK(!rs.has_expiry && rs.rtopic[0] == '\0' && rs.corr_len == 0);
    }
    pthread_mutex_unlock(&rs.mu);
    CHECK(wait_at_least(&rp, &rp.delivered, 1) == 1);
    pthread_mutex_lock(&rp.mu);
    CHECK(rp.cookie_sum == 7);
    pthread_mutex_unlock(&rp.mu);
out:
    tr_mqtt_free(sub);
    tr_mqtt_free(pub);
}

/* ---- persistent session: messages published while away arrive ---- */

static void persistent(int port, enum tr_mqtt_protocol proto, const char *tag)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *sub, *pub;
    struct rx rs, rp;
    char id[64], topic[64], text[32];

    rx_init(&rs);
    rx_init(&rp);
    snprintf(id, sizeof id, "persist-sub-%s", tag);
    snprintf(topic, sizeof topic, "t/persist/%s", tag);
    base_opts(&o, port, id);
    o.protocol = proto;
    o.persistent = 1;
    o.session_expiry_s = 600;
    sub = session(&o, &rs);
    if (!connected(sub))
        goto out;
    CHECK(tr_mqtt_subscribe(sub, topic, 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    tr_mqtt_free(sub);

    base_opts(&o, port, "persist-pub");
    o.protocol = proto;
    pub = session(&o, &rp);
    if (connected(pub)) {
        for (int i = 0; i < 20; i++) {
            snprintf(text, sizeof text, "seq=%d", i);
            CHECK(publish_retry(pub, topic, text, &(struct tr_mqtt_pub){ .qos = 1 }) == TR_MQTT_OK);
        }
        CHECK(wait_at_least(&rp, &rp.delivered, 20) == 20);
    }
    tr_mqtt_free(pub);

    /* same client id, no subscribe call: the broker kept the session */
    rx_init(&rs);
    base_opts(&o, port, id);
    o.protocol = proto;
    o.persistent = 1;
    o.session_expiry_s = 600;
    sub = session(&o, &rs);
    if (!connected(sub))
        goto out;
    CHECK(wait_at_least(&rs, &rs.ups, 1) >= 1);
    CHECK_MSG(rx_get(&rs, &rs.last_sp) == 1, "%s: session_present %d", tag,
              rx_get(&rs, &rs.last_sp));
    CHECK_MSG(wait_at_least(&rs, &rs.received, 20) == 20, "%s: received %d of 20", tag,
              rx_get(&rs, &rs.received));
    CHECK(rx_get(&rs, &rs.out_of_order) == 0);
out:
    tr_mqtt_free(sub);
}

/* ---- tr_mqtt_reconnect: closed by us, back by itself ---- */

static void reconnect(int port, enum tr_mqtt_protocol proto, const char *tag)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *m;
    struct tr_mqtt_stats st;
    struct rx r;
    char id[64], topic[64];

    rx_init(&r);
    snprintf(id, sizeof id, "reconnect-%s", tag);
    snprintf(topic, sizeof topic, "t/reconnect/%s", tag);
    base_opts(&o, port, id);
    o.protocol = proto;
    o.persistent = 1;
    o.session_expiry_s = 600;
    m = session(&o, &r);
    if (!connected(m)) {
        tr_mqtt_free(m);
        return;
    }
    CHECK(tr_mqtt_subscribe(m, topic, 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(m, WAIT_MS) == TR_MQTT_OK);
    CHECK(wait_at_least(&r, &r.ups, 1) == 1);
    CHECK(tr_mqtt_reconnect(m) == TR_MQTT_OK);
    CHECK_MSG(wait_at_least(&r, &r.downs, 1) == 1, "%s: no down after tr_mqtt_reconnect", tag);
    CHECK_MSG(wait_at_least(&r, &r.ups, 2) == 2, "%s: not back after tr_mqtt_reconnect", tag);
    CHECK_MSG(rx_get(&r, &r.last_sp) == 1, "%s: session_present %d after a reconnect", tag,
              rx_get(&r, &r.last_sp));
    tr_mqtt_get_stats(m, &st);
    CHECK(st.connects == 2 && st.reconnects == 1);
    /* the session works: its own message comes back, acknowledged */
    CHECK(publish_retry(m, topic, "seq=0", &(struct tr_mqtt_pub){ .qos = 1, .cookie = 7 }) ==
          TR_MQTT_OK);
    CHECK(wait_at_least(&r, &r.delivered, 1) == 1);
    CHECK(wait_at_least(&r, &r.received, 1) == 1);
    tr_mqtt_free(m);

    /* nothing to close */
    base_opts(&o, port, "reconnect-never");
    m = tr_mqtt_new(&o, NULL, NULL, NULL);
    CHECK(m && tr_mqtt_reconnect(m) == TR_MQTT_ERR_NOT_CONNECTED);
    tr_mqtt_free(m);
    CHECK(tr_mqtt_reconnect(NULL) == TR_MQTT_ERR_INVALID);
}

/* ---- broker restart without persistence ---- */

static void restart(struct trt_broker *b)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *sub, *pub;
    struct rx rs, rp;
    struct tr_mqtt_stats st;

    rx_init(&rs);
    rx_init(&rp);
    base_opts(&o, b->port, "restart-sub");
    o.persistent = 1;
    sub = session(&o, &rs);
    base_opts(&o, b->port, "restart-pub");
    pub = session(&o, &rp);
    if (!connected(sub) || !connected(pub))
        goto out;
    CHECK(tr_mqtt_subscribe(sub, "t/restart", 1) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    CHECK(wait_at_least(&rs, &rs.ups, 1) == 1 && wait_at_least(&rp, &rp.ups, 1) == 1);

    CHECK(trt_broker_restart(b) == 0);
    CHECK(wait_at_least(&rs, &rs.downs, 1) >= 1 && wait_at_least(&rp, &rp.downs, 1) >= 1);
    CHECK_MSG(wait_at_least(&rs, &rs.ups, 2) >= 2, "subscriber did not reconnect");
    CHECK_MSG(wait_at_least(&rp, &rp.ups, 2) >= 2, "publisher did not reconnect");
    CHECK(rx_get(&rs, &rs.last_sp) == 0 && rx_get(&rp, &rp.last_sp) == 0);
    CHECK(tr_mqtt_wait_connected(sub, WAIT_MS) == TR_MQTT_OK);
    CHECK(tr_mqtt_wait_connected(pub, WAIT_MS) == TR_MQTT_OK);
    /* the session re-subscribed by itself */
    CHECK(tr_mqtt_wait_subscribed(sub, WAIT_MS) == TR_MQTT_OK);
    CHECK(publish_retry(pub, "t/restart", "after", &(struct tr_mqtt_pub){ .qos = 1 }) ==
          TR_MQTT_OK);
    CHECK(wait_at_least(&rs, &rs.received, 1) == 1);
    tr_mqtt_get_stats(sub, &st);
    CHECK(st.reconnects >= 1 && st.connects >= 2);
out:
    tr_mqtt_free(sub);
    tr_mqtt_free(pub);
}

/* ---- a fake broker that refuses MQTT 5 with a 3.1.1 CONNACK ---- */

struct fake {
    int lfd, levels[2], ok;
};

/* Read one CONNECT and return its protocol level, or -1. */
static int read_connect_level(int fd)
{
    unsigned char h, b, buf[16];
    size_t got = 0;

    if (recv(fd, &h, 1, MSG_WAITALL) != 1 || (h & 0xf0) != 0x10)
        return -1;
    do { /* remaining length varint */
        if (recv(fd, &b, 1, MSG_WAITALL) != 1)
            return -1;
    } while (b & 0x80);
    /* 00 04 'M' 'Q' 'T' 'T' level */
    while (got < 7) {
        ssize_t n = recv(fd, buf + got, 7 - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return memcmp(buf, "\0\4MQTT", 6) == 0 ? buf[6] : -1;
}

static void *fake_broker(void *arg)
{
    struct fake *f = arg;
    struct timeval tv = { 5, 0 };
    char drain[256];

    for (int i = 0; i < 2; i++) {
        static const unsigned char refuse[] = { 0x20, 0x02, 0x00, 0x01 };
        static const unsigned char accept_[] = { 0x20, 0x02, 0x00, 0x00 };
        struct pollfd p = { f->lfd, POLLIN, 0 };
        int fd;
        if (poll(&p, 1, WAIT_MS) != 1 || (fd = accept(f->lfd, NULL, NULL)) < 0)
            return NULL;
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        f->levels[i] = read_connect_level(fd);
        if (i == 0) {
            (void)!send(fd, refuse, sizeof refuse, MSG_NOSIGNAL);
        } else {
            (void)!send(fd, accept_, sizeof accept_, MSG_NOSIGNAL);
            f->ok = 1;
            while (recv(fd, drain, sizeof drain, 0) > 0) { /* until DISCONNECT/close */
            }
        }
        close(fd);
    }
    return NULL;
}

static void fallback(void)
{
    struct fake f = { -1, { 0, 0 }, 0 };
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    struct tr_mqtt_options o;
    struct tr_mqtt *m;
    struct rx r;
    pthread_t t;

    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    f.lfd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(f.lfd >= 0 && bind(f.lfd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
          listen(f.lfd, 4) == 0 && getsockname(f.lfd, (struct sockaddr *)&sa, &len) == 0);
    CHECK(pthread_create(&t, NULL, fake_broker, &f) == 0);
    rx_init(&r);
    base_opts(&o, ntohs(sa.sin_port), "fallback");
    m = session(&o, &r);
    CHECK(tr_mqtt_wait_connected(m, WAIT_MS) == TR_MQTT_OK);
    CHECK(tr_mqtt_protocol_version(m) == 4);
    tr_mqtt_free(m);
    pthread_join(t, NULL);
    close(f.lfd);
    CHECK_MSG(f.levels[0] == 5 && f.levels[1] == 4, "levels %d then %d", f.levels[0], f.levels[1]);
    CHECK(f.ok == 1);
}

/* ---- bad credentials ---- */

static void credentials(void)
{
    static const struct trt_broker_user users[] = { { "agent1", "s3cret" } };
    struct trt_broker_opts bo = { .users = users, .n_users = 1 };
    struct trt_broker b;
    struct tr_mqtt_options o;
    struct tr_mqtt *m;
    struct tr_mqtt_stats st;
    struct rx r;
    int rc;

    if (trt_broker_start(&b, &bo) != 0) {
        CHECK_MSG(0, "auth broker did not start");
        return;
    }
    for (int proto = 0; proto < 2; proto++) {
        rx_init(&r);
        base_opts(&o, b.port, "bad-creds");
        o.protocol = proto ? TR_MQTT_PROTO_V311 : TR_MQTT_PROTO_AUTO;
        o.username = "agent1";
        o.password = "wrong";
        o.reconnect_min_ms = 200;
        m = session(&o, &r);
        rc = tr_mqtt_wait_connected(m, WAIT_MS);
        CHECK_MSG(rc == TR_MQTT_ERR_AUTH, "bad password gave %s", tr_mqtt_strerror(rc));
        CHECK(tr_mqtt_last_error(m) == TR_MQTT_ERR_AUTH);
        CHECK(!tr_mqtt_is_connected(m));
        CHECK(tr_mqtt_publish(m, "t/x", "x", 1, NULL) == TR_MQTT_ERR_NOT_CONNECTED);
        /* retries go on with backoff, not in a loop: a second of waiting
         * holds a handful of attempts (200, 400, 800 ms ...) */
        trt_sleep_ms(1000);
        tr_mqtt_get_stats(m, &st);
        CHECK_MSG(st.connect_attempts >= 1 && st.connect_attempts <= 8, "%llu attempts",
                  (unsigned long long)st.connect_attempts);
        CHECK(st.connects == 0 && rx_get(&r, &r.ups) == 0);
        tr_mqtt_free(m);
    }

    rx_init(&r);
    base_opts(&o, b.port, "no-creds");
    m = session(&o, &r);
    rc = tr_mqtt_wait_connected(m, WAIT_MS);
    CHECK_MSG(rc == TR_MQTT_ERR_AUTH, "anonymous gave %s", tr_mqtt_strerror(rc));
    tr_mqtt_free(m);

    rx_init(&r);
    base_opts(&o, b.port, "good-creds");
    o.username = "agent1";
    o.password = "s3cret";
    m = session(&o, &r);
    CHECK(tr_mqtt_wait_connected(m, WAIT_MS) == TR_MQTT_OK);
    tr_mqtt_free(m);
    trt_broker_stop(&b);
}

static void api_edges(int port)
{
    struct tr_mqtt_options o;
    struct tr_mqtt *m;
    int err = 0;

    tr_mqtt_free(NULL);
    CHECK(tr_mqtt_new(NULL, NULL, NULL, &err) == NULL && err == TR_MQTT_ERR_INVALID);
    base_opts(&o, 0, "x");
    CHECK(tr_mqtt_new(&o, NULL, NULL, &err) == NULL && err == TR_MQTT_ERR_INVALID);
    base_opts(&o, port, "edges");
    m = tr_mqtt_new(&o, NULL, NULL, &err);
    CHECK(m != NULL);
    CHECK(tr_mqtt_publish(m, "t/x", "x", 1, NULL) == TR_MQTT_ERR_NOT_CONNECTED);
    CHECK(tr_mqtt_connect(m) == TR_MQTT_OK);
    CHECK(tr_mqtt_connect(m) == TR_MQTT_ERR_STATE);
    CHECK(tr_mqtt_wait_connected(m, WAIT_MS) == TR_MQTT_OK);
    CHECK(tr_mqtt_publish(m, "t/+/x", "x", 1, NULL) == TR_MQTT_ERR_INVALID);
    CHECK(tr_mqtt_publish(m, "t/x", "x", 1, &(struct tr_mqtt_pub){ .qos = 2 }) ==
          TR_MQTT_ERR_INVALID);
    CHECK(tr_mqtt_publish(m, "t/x", NULL, 0, NULL) == TR_MQTT_OK);
    CHECK(strcmp(tr_mqtt_strerror(12345), "unknown mqtt error") == 0);
    tr_mqtt_free(m);
}

int main(void)
{
    struct trt_broker b;

    signal(SIGPIPE, SIG_IGN);
    tr_log_set_ident("test_mqtt_session");
    tr_log_set_level(TR_LOG_WARN);
    if (trt_broker_start(&b, NULL) != 0) {
        CHECK_MSG(0, "broker did not start");
        return check_report("test_mqtt_session");
    }
    test_will(b.port);
    api_edges(b.port);
    pubsub_n(b.port, TR_MQTT_PROTO_AUTO, "v5", 1000);
    pubsub_n(b.port, TR_MQTT_PROTO_V311, "v311", 1000);
    props(b.port, TR_MQTT_PROTO_AUTO);
    props(b.port, TR_MQTT_PROTO_V311);
    persistent(b.port, TR_MQTT_PROTO_AUTO, "v5");
    persistent(b.port, TR_MQTT_PROTO_V311, "v311");
    reconnect(b.port, TR_MQTT_PROTO_AUTO, "v5");
    reconnect(b.port, TR_MQTT_PROTO_V311, "v311");
    fallback();
    restart(&b);
    CHECK(trt_broker_alive(&b));
    trt_broker_stop(&b);
    credentials();
    return check_report("test_mqtt_session");
}
