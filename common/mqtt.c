/*
 * common/mqtt.c: the session's lifecycle. Options, paho client creation,
 * connect attempts (v5 first, 3.1.1 fallback), the reconnect thread with
 * exponential backoff and jitter, connect/loss callbacks, waits, stats.
 *
 * It does not publish, subscribe or receive (mqtt_io.c) and does not touch
 * sockets (mqtt_nodelay.c). Rule for every file of the session: never hold
 * m->mu or m->pmu while calling into paho, because paho runs our callbacks
 * with its own mutex held and the callbacks take ours.
 *
 * Why our own reconnect thread instead of paho's automaticReconnect: paho's
 * retry has no jitter, does not report sessionPresent on a reconnect, and
 * cannot switch protocol versions.
 */
#include "common/mqtt_int.h"

#include "common/log.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DISCONNECT_WAIT_MS 3000

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void deadline_ts(struct timespec *ts, uint64_t at_ms)
{
    ts->tv_sec = (time_t)(at_ms / 1000u);
    ts->tv_nsec = (long)(at_ms % 1000u) * 1000000L;
}

static uint64_t rng_next(struct tr_mqtt *m)
{
    uint64_t x = m->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    m->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* Next retry delay; m->mu held. */
static uint64_t backoff_ms_locked(struct tr_mqtt *m)
{
    uint64_t d = (uint64_t)m->backoff_min_ms;
    for (int i = 0; i < m->attempt && d < (uint64_t)m->backoff_max_ms; i++)
        d *= 2;
    if (d > (uint64_t)m->backoff_max_ms)
        d = (uint64_t)m->backoff_max_ms;
    if (m->jitter_pct > 0) {
        uint64_t span = d * (uint64_t)m->jitter_pct / 100u;
        if (span > 0)
            d -= rng_next(m) % (span + 1);
    }
    if (m->attempt < 30)
        m->attempt++;
    return d;
}

static void schedule_retry_locked(struct tr_mqtt *m)
{
    m->retry_at = now_ms() + backoff_ms_locked(m);
    pthread_cond_broadcast(&m->cv);
}

/* ---- paho connect callbacks (paho's thread) ---- */

static void connected(struct tr_mqtt *m, int session_present, int version, int receive_max)
{
    struct sockaddr_storage addrs[TR_MQTT_MAX_ADDRS];
    size_t n_addrs;
    int first, notify;

    pthread_mutex_lock(&m->mu);
    m->connecting = 0;
    m->attempt = 0;
    m->refused = 0;
    m->last_error = TR_MQTT_OK;
    m->gen++;
    m->conn_no++;
    n_addrs = m->n_addrs;
    memcpy(addrs, m->addrs, sizeof addrs);
    for (struct tr_mqtt_sub *s = m->subs; s; s = s->next) {
        if (!session_present)
            s->acked = 0;
        s->refused = 0;
    }
    atomic_store(&m->version, version);
    tr_mqtt_io_new_connection(m, session_present,
                              receive_max > 0 && receive_max < m->max_inflight ? receive_max
                                                                               : m->max_inflight);
    atomic_store(&m->connected, 1);
    notify = !m->stopping;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);

    first = atomic_fetch_add(&m->st.connects, 1) == 0;
    if (!first)
        atomic_fetch_add(&m->st.reconnects, 1);
    if (m->tcp_nodelay > 0 && n_addrs > 0)
        (void)tr_mqtt_nodelay_apply(addrs, n_addrs);
    tr_log_info("mqtt %s: connected to %s:%d (MQTT %s, session %s)", m->client_id, m->host, m->port,
                version == 5 ? "5" : "3.1.1", session_present ? "resumed" : "new");
    tr_mqtt_io_resubscribe(m);
    if (notify && m->cb.on_connection)
        m->cb.on_connection(m->user, 1, session_present);
}

static void connect_failed(struct tr_mqtt *m, int err, int code, int version)
{
    pthread_mutex_lock(&m->mu);
    m->connecting = 0;
    m->last_error = err;
    m->gen++;
    atomic_fetch_add(&m->st.failures, 1);
    if (err == TR_MQTT_ERR_PROTOCOL && version == 5 && m->protocol == TR_MQTT_PROTO_AUTO) {
        /* paho cannot go back to v5 on this client after a 3.1.1 connect */
        m->fallen_back = 1;
        m->connect_now = 1;
        pthread_cond_broadcast(&m->cv);
    } else {
        m->refused =
            err == TR_MQTT_ERR_AUTH || err == TR_MQTT_ERR_REFUSED || err == TR_MQTT_ERR_PROTOCOL;
        schedule_retry_locked(m);
    }
    pthread_mutex_unlock(&m->mu);
    if (err == TR_MQTT_ERR_PROTOCOL && version == 5 && m->protocol == TR_MQTT_PROTO_AUTO)
        tr_log_info("mqtt %s: broker refused MQTT 5, falling back to 3.1.1", m->client_id);
    else
        tr_log_warn("mqtt %s: connect to %s:%d failed: %s (code %d)", m->client_id, m->host,
                    m->port, tr_mqtt_strerror(err), code);
}

static void on_connect_ok5(void *ctx, MQTTAsync_successData5 *r)
{
    int receive_max = 0;
    if (r && MQTTProperties_hasProperty(&r->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM))
        receive_max =
            MQTTProperties_getNumericValue(&r->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM);
    connected(ctx, r ? r->alt.connect.sessionPresent : 0, 5, receive_max);
}

static void on_connect_ok3(void *ctx, MQTTAsync_successData *r)
{
    connected(ctx, r ? r->alt.connect.sessionPresent : 0, 4, 0);
}

static void on_connect_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    int code = 0, err = TR_MQTT_ERR_CONNECT;
    if (r && (int)r->reasonCode >= 0x80) {
        code = (int)r->reasonCode;
        err = tr_mqtt_map_refusal(code);
    } else if (r && r->code > 0) {
        code = r->code; /* a 3.1.1 broker answering a v5 CONNECT */
        err = tr_mqtt_map_refusal(code);
    } else if (r) {
        code = r->code;
    }
    connect_failed(ctx, err, code, 5);
}

static void on_connect_fail3(void *ctx, MQTTAsync_failureData *r)
{
    int code = r ? r->code : 0;
    connect_failed(ctx, code > 0 ? tr_mqtt_map_refusal(code) : TR_MQTT_ERR_CONNECT, code, 4);
}

void tr_mqtt_lost(struct tr_mqtt *m, int err)
{
    int notify;

    pthread_mutex_lock(&m->mu);
    if (!atomic_load(&m->connected)) {
        pthread_mutex_unlock(&m->mu);
        return;
    }
    atomic_store(&m->connected, 0);
    m->last_error = err;
    m->gen++;
    notify = !m->stopping;
    if (!m->stopping)
        schedule_retry_locked(m);
    pthread_mutex_unlock(&m->mu);
    tr_log_warn("mqtt %s: connection to %s:%d lost", m->client_id, m->host, m->port);
    if (notify && m->cb.on_connection)
        m->cb.on_connection(m->user, 0, 0);
}

/* ---- connect attempts (reconnect thread) ---- */

static void resolve(struct tr_mqtt *m)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    size_t n = 0;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", m->port);
    if (getaddrinfo(m->host, port, &hints, &res) != 0)
        return; /* keep the previous list; paho reports the failure */
    pthread_mutex_lock(&m->mu);
    for (struct addrinfo *a = res; a && n < TR_MQTT_MAX_ADDRS; a = a->ai_next) {
        if (a->ai_addrlen <= sizeof m->addrs[n]) {
            memset(&m->addrs[n], 0, sizeof m->addrs[n]);
            memcpy(&m->addrs[n], a->ai_addr, a->ai_addrlen);
            n++;
        }
    }
    m->n_addrs = n;
    pthread_mutex_unlock(&m->mu);
    freeaddrinfo(res);
}

static int start_attempt(struct tr_mqtt *m, int version)
{
    MQTTAsync_connectOptions v5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_connectOptions v3 = MQTTAsync_connectOptions_initializer;
    MQTTAsync_connectOptions *co = version == 5 ? &v5 : &v3;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    int rc;

    co->keepAliveInterval = m->keepalive_s;
    co->connectTimeout = m->connect_timeout_s;
    co->maxInflight = m->max_inflight;
    co->retryInterval = 0;
    co->automaticReconnect = 0;
    co->username = m->username;
    co->password = m->password;
    co->context = m;
    if (m->will_topic) {
        will.topicName = m->will_topic;
        will.message = NULL;
        will.payload.data = m->will_payload;
        will.payload.len = (int)m->will_len;
        will.qos = m->will_qos;
        will.retained = m->will_retain;
        co->will = &will;
    }
    if (m->tls) {
        ssl.trustStore = m->ca_file;
        ssl.keyStore = m->cert_file;
        ssl.privateKey = m->key_file;
        ssl.enableServerCertAuth = !m->tls_skip_verify;
        ssl.verify = !m->tls_skip_verify;
        co->ssl = &ssl;
    }
    if (version == 5) {
        co->cleansession = 0;
        co->cleanstart = !m->persistent;
        if (m->persistent) {
            MQTTProperty p;
            memset(&p, 0, sizeof p);
            p.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
            p.value.integer4 = m->session_expiry_s;
            if (MQTTProperties_add(&props, &p) != 0)
                return TR_MQTT_ERR_NOMEM;
            co->connectProperties = &props;
        }
        co->onSuccess5 = on_connect_ok5;
        co->onFailure5 = on_connect_fail5;
    } else {
        co->MQTTVersion = MQTTVERSION_3_1_1;
        co->cleansession = !m->persistent;
        co->onSuccess = on_connect_ok3;
        co->onFailure = on_connect_fail3;
    }
    atomic_fetch_add(&m->st.attempts, 1);
    tr_log_debug("mqtt %s: connecting to %s (MQTT %s)", m->client_id, m->uri,
                 version == 5 ? "5" : "3.1.1");
    rc = MQTTAsync_connect(m->cli, co);
    MQTTProperties_free(&props);
    if (rc != MQTTASYNC_SUCCESS) {
        tr_log_warn("mqtt %s: MQTTAsync_connect refused the options (paho %d)", m->client_id, rc);
        return tr_mqtt_map_paho(rc);
    }
    return TR_MQTT_OK;
}

static void *reconnect_thread(void *arg)
{
    struct tr_mqtt *m = arg;

    pthread_mutex_lock(&m->mu);
    while (!m->stopping) {
        if (m->connect_now && !m->connecting && !atomic_load(&m->connected)) {
            int version = (m->protocol == TR_MQTT_PROTO_V311 || m->fallen_back) ? 4 : 5;
            int rc;
            m->connect_now = 0;
            m->connecting = 1;
            pthread_mutex_unlock(&m->mu);
            resolve(m);
            rc = start_attempt(m, version);
            pthread_mutex_lock(&m->mu);
            if (rc != TR_MQTT_OK) {
                m->connecting = 0;
                m->last_error = rc;
                m->gen++;
                atomic_fetch_add(&m->st.failures, 1);
                schedule_retry_locked(m);
            }
            continue;
        }
        if (m->retry_at) {
            struct timespec ts;
            if (now_ms() >= m->retry_at) {
                m->retry_at = 0;
                m->connect_now = 1;
                continue;
            }
            deadline_ts(&ts, m->retry_at);
            pthread_cond_timedwait(&m->cv, &m->mu, &ts);
        } else {
            pthread_cond_wait(&m->cv, &m->mu);
        }
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* ---- public API ---- */

static int init_sync(struct tr_mqtt *m)
{
    pthread_condattr_t ca;
    int rc = TR_MQTT_ERR_THREAD;

    if (pthread_condattr_init(&ca) != 0)
        return rc;
    if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 && pthread_cond_init(&m->cv, &ca) == 0)
        rc = TR_MQTT_OK;
    pthread_condattr_destroy(&ca);
    if (rc != TR_MQTT_OK)
        return rc;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        pthread_cond_destroy(&m->cv);
        return TR_MQTT_ERR_THREAD;
    }
    if (pthread_mutex_init(&m->pmu, NULL) != 0) {
        pthread_mutex_destroy(&m->mu);
        pthread_cond_destroy(&m->cv);
        return TR_MQTT_ERR_THREAD;
    }
    m->sync_ok = 1;
    return TR_MQTT_OK;
}

static void free_fields(struct tr_mqtt *m)
{
    tr_mqtt_io_free_pending(m);
    tr_mqtt_io_free_subs(m);
    if (m->sync_ok) {
        pthread_mutex_destroy(&m->pmu);
        pthread_mutex_destroy(&m->mu);
        pthread_cond_destroy(&m->cv);
    }
    if (m->password)
        memset(m->password, 0, strlen(m->password));
    free(m->host);
    free(m->client_id);
    free(m->username);
    free(m->password);
    free(m->uri);
    free(m->ca_file);
    free(m->cert_file);
    free(m->key_file);
    free(m->will_topic);
    free(m->will_payload);
    free(m);
}

/*
 * paho 1.3.12 tears its global state down whenever its last client is
 * destroyed (MQTTAsync_terminate), and Log_terminate there frees paho's trace
 * ring without the lock its threads log under. A paho thread logging an error
 * at that moment allocates a new ring (Log_pretrace sees the size reset),
 * which the next client's Log_initialize then overwrites: 125 KB lost, and a
 * use-after-free on the way (seen as a LeakSanitizer failure in
 * integration.mqtt_session, which destroys and re-creates its last client
 * many times). One client that is never connected nor destroyed keeps the
 * count above zero, so paho sets its state up once per process.
 */
static pthread_once_t anchor_once = PTHREAD_ONCE_INIT;
static MQTTAsync anchor_cli;

static void anchor_create(void)
{
    if (MQTTAsync_create(&anchor_cli, "tcp://127.0.0.1:1", "truckroll-anchor",
                         MQTTCLIENT_PERSISTENCE_NONE, NULL) != MQTTASYNC_SUCCESS)
        anchor_cli = NULL; /* only the race above comes back */
}

struct tr_mqtt *tr_mqtt_new(const struct tr_mqtt_options *opts, const struct tr_mqtt_callbacks *cb,
                            void *user, int *err)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
    struct tr_mqtt *m = NULL;
    int rc;

    if ((rc = tr_mqtt_check_options(opts)) != TR_MQTT_OK)
        goto fail;
    if (!(m = calloc(1, sizeof *m))) {
        rc = TR_MQTT_ERR_NOMEM;
        goto fail;
    }
    if ((rc = tr_mqtt_copy_options(m, opts)) != TR_MQTT_OK || (rc = init_sync(m)) != TR_MQTT_OK)
        goto fail;
    if (m->tls && (rc = tr_mqtt_tls_init()) != TR_MQTT_OK) /* see tr_mqtt_global_init */
        goto fail;
    if (cb)
        m->cb = *cb;
    m->user = user;
    if (getrandom(&m->rng, sizeof m->rng, GRND_NONBLOCK) != (ssize_t)sizeof m->rng)
        m->rng = now_ms() ^ (uint64_t)(uintptr_t)m;
    m->rng |= 1;

    /* No offline buffer: a publish while disconnected fails at once and the
     * outbox keeps it. maxBufferedMessages also bounds paho's queue while
     * connected (TR_MQTT_ERR_BUSY). */
    co.sendWhileDisconnected = 0;
    co.maxBufferedMessages = m->max_queued;
    co.MQTTVersion = m->protocol == TR_MQTT_PROTO_V311 ? MQTTVERSION_3_1_1 : MQTTVERSION_5;
    co.persistQoS0 = 0;
    pthread_once(&anchor_once, anchor_create);
    rc = MQTTAsync_createWithOptions(&m->cli, m->uri, m->client_id, MQTTCLIENT_PERSISTENCE_NONE,
                                     NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        m->cli = NULL;
        rc = tr_mqtt_map_paho(rc);
        goto fail;
    }
    if ((rc = tr_mqtt_io_install(m)) != TR_MQTT_OK)
        goto fail;
    if (pthread_create(&m->thread, NULL, reconnect_thread, m) != 0) {
        rc = TR_MQTT_ERR_THREAD;
        goto fail;
    }
    m->thread_started = 1;
    if (err)
        *err = TR_MQTT_OK;
    return m;

fail:
    if (err)
        *err = rc;
    if (m) {
        if (m->cli)
            MQTTAsync_destroy(&m->cli);
        free_fields(m);
    }
    return NULL;
}

int tr_mqtt_connect(struct tr_mqtt *m)
{
    int rc = TR_MQTT_OK;

    if (!m)
        return TR_MQTT_ERR_INVALID;
    pthread_mutex_lock(&m->mu);
    if (m->started || m->stopping) {
        rc = TR_MQTT_ERR_STATE;
    } else {
        m->started = 1;
        m->connect_now = 1;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

/* A DISCONNECT went out (or could not): tr_mqtt_free waits for this; after
 * tr_mqtt_reconnect it is a lost connection, retried as usual. */
static void on_disc_ok5(void *ctx, MQTTAsync_successData5 *r)
{
    struct tr_mqtt *m = ctx;
    (void)r;
    pthread_mutex_lock(&m->mu);
    int stopping = m->stopping;
    m->disconnect_done = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (!stopping)
        tr_mqtt_lost(m, TR_MQTT_ERR_TIMEOUT);
}

static void on_disc_ok3(void *ctx, MQTTAsync_successData *r)
{
    (void)r;
    on_disc_ok5(ctx, NULL);
}

static void on_disc_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    (void)r;
    on_disc_ok5(ctx, NULL);
}

static void on_disc_fail3(void *ctx, MQTTAsync_failureData *r)
{
    (void)r;
    on_disc_ok5(ctx, NULL);
}

/* Send DISCONNECT (no will); the on_disc callbacks answer. paho's return code. */
static int send_disconnect(struct tr_mqtt *m)
{
    MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
    MQTTAsync_disconnectOptions d3 = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions *d = atomic_load(&m->version) == 5 ? &d5 : &d3;
    d->timeout = 1000;
    d->context = m;
    if (d == &d5) {
        d->onSuccess5 = on_disc_ok5;
        d->onFailure5 = on_disc_fail5;
    } else {
        d->onSuccess = on_disc_ok3;
        d->onFailure = on_disc_fail3;
    }
    return MQTTAsync_disconnect(m->cli, d);
}

int tr_mqtt_reconnect(struct tr_mqtt *m)
{
    if (!m)
        return TR_MQTT_ERR_INVALID;
    if (!atomic_load(&m->connected))
        return TR_MQTT_ERR_NOT_CONNECTED;
    tr_log_warn("mqtt %s: closing the connection to %s:%d to start afresh", m->client_id, m->host,
                m->port);
    int rc = send_disconnect(m);
    return rc == MQTTASYNC_SUCCESS ? TR_MQTT_OK : tr_mqtt_map_paho(rc);
}

void tr_mqtt_free(struct tr_mqtt *m)
{
    if (!m)
        return;
    atomic_store(&m->closing, 1);
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->thread_started)
        pthread_join(m->thread, NULL);
    {
        /* let an attempt in flight finish, so a connection that just came up
         * is closed with DISCONNECT (no will) rather than dropped */
        struct timespec ts;
        deadline_ts(&ts, now_ms() + DISCONNECT_WAIT_MS);
        pthread_mutex_lock(&m->mu);
        while (m->connecting) {
            if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) == ETIMEDOUT)
                break;
        }
        pthread_mutex_unlock(&m->mu);
    }

    if (atomic_load(&m->connected)) {
        pthread_mutex_lock(&m->mu);
        m->disconnect_done = 0; /* a tr_mqtt_reconnect's may have set it */
        pthread_mutex_unlock(&m->mu);
        if (send_disconnect(m) == MQTTASYNC_SUCCESS) {
            struct timespec ts;
            deadline_ts(&ts, now_ms() + DISCONNECT_WAIT_MS);
            pthread_mutex_lock(&m->mu);
            while (!m->disconnect_done) {
                if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) == ETIMEDOUT)
                    break;
            }
            pthread_mutex_unlock(&m->mu);
        }
        atomic_store(&m->connected, 0);
    }
    MQTTAsync_destroy(&m->cli);
    free_fields(m);
}

int tr_mqtt_wait_connected(struct tr_mqtt *m, int timeout_ms)
{
    struct timespec ts;
    int rc = TR_MQTT_ERR_TIMEOUT;

    if (!m || timeout_ms < 0)
        return TR_MQTT_ERR_INVALID;
    deadline_ts(&ts, now_ms() + (uint64_t)timeout_ms);
    pthread_mutex_lock(&m->mu);
    for (;;) {
        if (atomic_load(&m->connected)) {
            rc = TR_MQTT_OK;
            break;
        }
        if (m->refused) {
            rc = m->last_error;
            break;
        }
        if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) == ETIMEDOUT) {
            rc = atomic_load(&m->connected) ? TR_MQTT_OK : TR_MQTT_ERR_TIMEOUT;
            break;
        }
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}
