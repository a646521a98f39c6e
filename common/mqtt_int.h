/*
 * common/mqtt_int.h: private to common/mqtt*.c. The session struct and the
 * helpers the session files share. Not for any other module.
 *
 * Files: mqtt.c (lifecycle, connect, reconnect thread), mqtt_io.c (publish,
 * subscribe, message arrival, delivery tracking), mqtt_nodelay.c
 * (TCP_NODELAY on paho's socket), mqtt_util.c (options, code mapping,
 * accessors, strerror).
 */
#ifndef TR_MQTT_INT_H
#define TR_MQTT_INT_H

#include "common/mqtt.h"

#include <MQTTAsync.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* A QoS>0 publish paho has not completed yet; the context of its callbacks. */
struct tr_mqtt_pending {
    struct tr_mqtt *m;
    uint64_t cookie;
    unsigned gen; /* connection it counts against (see inflight) */
    struct tr_mqtt_pending *prev, *next;
};

struct tr_mqtt_sub {
    struct tr_mqtt *m;
    char *filter;
    int qos;
    int acked;          /* acknowledged, and the broker still has it */
    unsigned sent_conn; /* conn_no it was last sent on: once per connection */
    int refused;
    struct tr_mqtt_sub *next;
};

#define TR_MQTT_MAX_ADDRS 8

struct tr_mqtt {
    /* options, strings owned */
    char *host, *client_id, *username, *password, *uri;
    char *ca_file, *cert_file, *key_file;
    char *will_topic;
    void *will_payload;
    size_t will_len;
    int port, tls, tls_skip_verify, keepalive_s, connect_timeout_s, persistent;
    uint32_t session_expiry_s;
    enum tr_mqtt_protocol protocol;
    int will_qos, will_retain;
    int backoff_min_ms, backoff_max_ms, jitter_pct;
    int max_inflight, max_queued, tcp_nodelay;

    struct tr_mqtt_callbacks cb;
    void *user;
    MQTTAsync cli;

    /* state, under mu */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int thread_started;
    int sync_ok;       /* mu, pmu, cv initialised */
    int started;       /* tr_mqtt_connect called */
    int stopping;      /* tr_mqtt_free running: no new attempts, no user callbacks */
    int connecting;    /* an attempt is in flight */
    int connect_now;   /* the thread should start an attempt */
    uint64_t retry_at; /* CLOCK_MONOTONIC ms of the next attempt, 0 = none */
    int attempt;       /* failed attempts since the last success (backoff exponent) */
    int fallen_back;   /* AUTO fell back to 3.1.1 (sticky: paho cannot go back) */
    int refused;       /* last attempt refused for good (auth, id, ...) */
    int last_error;
    uint64_t gen;     /* bumped on every connect/loss: wakes waiters */
    unsigned conn_no; /* successful connects so far */
    int disconnect_done;
    uint64_t rng; /* xorshift state for jitter */
    struct tr_mqtt_sub *subs;

    /* resolved broker addresses, under mu, for the TCP_NODELAY scan */
    struct sockaddr_storage addrs[TR_MQTT_MAX_ADDRS];
    size_t n_addrs;

    /* read without mu */
    atomic_int closing; /* tr_mqtt_free started: no more user callbacks */
    atomic_int connected;
    atomic_int version; /* 5 or 4 once connected */

    /* in-flight publish contexts, under pmu (never held across a paho call).
     * paho 1.3.12 does not wake its send thread when a PUBACK frees an
     * in-flight slot: a QoS 1 publish queued beyond the window then waits for
     * paho's 1 s timer (measured: 20 msg/s with a window of 20). So the
     * session never hands paho more than the window: inflight counts the
     * contexts of the current connection (gen == conn_gen) and a publish
     * past window gets TR_MQTT_ERR_BUSY. */
    pthread_mutex_t pmu;
    struct tr_mqtt_pending *pending;
    int inflight;
    unsigned conn_gen;
    atomic_int window; /* min(max_inflight, the v5 broker's Receive Maximum) */

    struct {
        atomic_ullong published, delivered, undelivered, received;
        atomic_ullong connects, reconnects, attempts, failures;
    } st;
};

/* mqtt_io.c */
int tr_mqtt_io_install(struct tr_mqtt *m); /* paho setCallbacks */
void tr_mqtt_io_new_connection(struct tr_mqtt *m, int session_present, int window);
void tr_mqtt_io_resubscribe(struct tr_mqtt *m);  /* after a connect without session */
void tr_mqtt_io_free_pending(struct tr_mqtt *m); /* after MQTTAsync_destroy */
void tr_mqtt_io_free_subs(struct tr_mqtt *m);
void tr_mqtt_io_connection_lost(void *ctx, char *cause); /* paho connectionLost */

/* mqtt.c */
void tr_mqtt_lost(struct tr_mqtt *m, int err); /* connection dropped: schedule a retry */

/* mqtt_init.c: initialise OpenSSL for a TLS session (TR_MQTT_OK or TR_MQTT_ERR_TLS) */
int tr_mqtt_tls_init(void);

/* mqtt_util.c */
int tr_mqtt_map_paho(int rc);      /* MQTTASYNC_* -> enum tr_mqtt_err */
int tr_mqtt_map_refusal(int code); /* 3.1.1 CONNACK rc or v5 reason -> enum tr_mqtt_err */
int tr_mqtt_check_options(const struct tr_mqtt_options *o);
int tr_mqtt_copy_options(struct tr_mqtt *m, const struct tr_mqtt_options *o); /* + defaults */

/* mqtt_nodelay.c: set TCP_NODELAY on this process's TCP sockets connected to
 * one of addrs (port in network order inside each address). Returns how many
 * sockets were changed. */
int tr_mqtt_nodelay_apply(const struct sockaddr_storage *addrs, size_t n);

#endif
