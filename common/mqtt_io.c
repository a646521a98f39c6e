/*
 * common/mqtt_io.c: what flows over a session. Publish (with v5 properties and
 * per-message delivery tracking), subscribe and re-subscribe, message arrival.
 *
 * Delivery tracking: every QoS 1 publish gets a small heap context
 * (struct tr_mqtt_pending) passed to paho's per-call onSuccess/onFailure; the
 * callback reports the cookie and frees it. Contexts are also linked into a
 * list so tr_mqtt_free can release any paho never completed. No lock is held
 * across a paho call (see mqtt.c).
 *
 * It does not connect or reconnect (mqtt.c).
 */
#include "common/mqtt_int.h"

#include "common/log.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- delivery tracking ---- */

/* NULL with *rc set when out of memory or the window is full. */
static struct tr_mqtt_pending *pending_add(struct tr_mqtt *m, uint64_t cookie, int *rc)
{
    struct tr_mqtt_pending *p = calloc(1, sizeof *p);

    *rc = TR_MQTT_ERR_NOMEM;
    if (!p)
        return NULL;
    p->m = m;
    p->cookie = cookie;
    pthread_mutex_lock(&m->pmu);
    if (m->inflight >= atomic_load(&m->window)) {
        pthread_mutex_unlock(&m->pmu);
        free(p);
        *rc = TR_MQTT_ERR_BUSY;
        return NULL;
    }
    m->inflight++;
    p->gen = m->conn_gen;
    p->next = m->pending;
    if (m->pending)
        m->pending->prev = p;
    m->pending = p;
    pthread_mutex_unlock(&m->pmu);
    *rc = TR_MQTT_OK;
    return p;
}

static void pending_remove(struct tr_mqtt *m, struct tr_mqtt_pending *p)
{
    pthread_mutex_lock(&m->pmu);
    if (p->gen == m->conn_gen && m->inflight > 0)
        m->inflight--;
    if (p->prev)
        p->prev->next = p->next;
    else
        m->pending = p->next;
    if (p->next)
        p->next->prev = p->prev;
    pthread_mutex_unlock(&m->pmu);
    free(p);
}

/* Called from the connect callback before publishing is allowed again. With a
 * resumed session paho resends its in-flight messages, which then count
 * against the new window; without one, paho has dropped them and they count
 * no more (their callbacks may still come and are reported as usual). */
void tr_mqtt_io_new_connection(struct tr_mqtt *m, int session_present, int window)
{
    pthread_mutex_lock(&m->pmu);
    m->conn_gen++;
    m->inflight = 0;
    if (session_present) {
        for (struct tr_mqtt_pending *p = m->pending; p; p = p->next) {
            p->gen = m->conn_gen;
            m->inflight++;
        }
    }
    atomic_store(&m->window, window > 0 ? window : 1);
    pthread_mutex_unlock(&m->pmu);
}

static void publish_done(struct tr_mqtt_pending *p, int ok)
{
    struct tr_mqtt *m = p->m;
    uint64_t cookie = p->cookie;

    pending_remove(m, p);
    if (ok) {
        atomic_fetch_add(&m->st.delivered, 1);
        if (m->cb.on_delivered && !atomic_load(&m->closing))
            m->cb.on_delivered(m->user, cookie);
    } else {
        atomic_fetch_add(&m->st.undelivered, 1);
        if (m->cb.on_undelivered && !atomic_load(&m->closing))
            m->cb.on_undelivered(m->user, cookie);
    }
}

static void on_pub_ok5(void *ctx, MQTTAsync_successData5 *r)
{
    /* a v5 PUBACK may carry a failure reason code */
    publish_done(ctx, !r || (int)r->reasonCode < 0x80);
}

static void on_pub_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    (void)r;
    publish_done(ctx, 0);
}

static void on_pub_ok3(void *ctx, MQTTAsync_successData *r)
{
    (void)r;
    publish_done(ctx, 1);
}

static void on_pub_fail3(void *ctx, MQTTAsync_failureData *r)
{
    (void)r;
    publish_done(ctx, 0);
}

void tr_mqtt_io_free_pending(struct tr_mqtt *m)
{
    struct tr_mqtt_pending *p = m->pending, *next;
    for (; p; p = next) {
        next = p->next;
        atomic_fetch_add(&m->st.undelivered, 1);
        free(p);
    }
    m->pending = NULL;
}

/* ---- publish ---- */

static int add_prop(MQTTProperties *props, enum MQTTPropertyCodes id, const void *data, size_t len,
                    uint32_t num)
{
    MQTTProperty p;
    memset(&p, 0, sizeof p);
    p.identifier = id;
    if (data) {
        p.value.data.data = (char *)data; /* paho copies it */
        p.value.data.len = (int)len;
    } else {
        p.value.integer4 = num;
    }
    return MQTTProperties_add(props, &p) == 0 ? TR_MQTT_OK : TR_MQTT_ERR_NOMEM;
}

static int check_topic(const char *topic)
{
    if (!topic || !topic[0] || strlen(topic) > 65535)
        return 0;
    return strpbrk(topic, "+#") == NULL; /* a broker drops a client publishing to a wildcard */
}

int tr_mqtt_publish(struct tr_mqtt *m, const char *topic, const void *payload, size_t len,
                    const struct tr_mqtt_pub *pub)
{
    static const struct tr_mqtt_pub defaults;
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    struct tr_mqtt_pending *p = NULL;
    int v5, rc = TR_MQTT_OK;

    if (!pub)
        pub = &defaults;
    if (!m || !check_topic(topic) || (len && !payload) || len > 256u * 1024u * 1024u ||
        pub->qos < 0 || pub->qos > 1 || (pub->correlation_len && !pub->correlation) ||
        pub->correlation_len > 65535 || (pub->response_topic && !check_topic(pub->response_topic)))
        return TR_MQTT_ERR_INVALID;
    if (!atomic_load(&m->connected))
        return TR_MQTT_ERR_NOT_CONNECTED;
    v5 = atomic_load(&m->version) == 5;
    msg.payload = (void *)payload;
    msg.payloadlen = (int)len;
    msg.qos = pub->qos;
    msg.retained = pub->retain ? 1 : 0;
    if (v5 && pub->expiry_s)
        rc = add_prop(&msg.properties, MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL, NULL, 0,
                      pub->expiry_s);
    if (v5 && rc == TR_MQTT_OK && pub->response_topic)
        rc = add_prop(&msg.properties, MQTTPROPERTY_CODE_RESPONSE_TOPIC, pub->response_topic,
                      strlen(pub->response_topic), 0);
    if (v5 && rc == TR_MQTT_OK && pub->correlation)
        rc = add_prop(&msg.properties, MQTTPROPERTY_CODE_CORRELATION_DATA, pub->correlation,
                      pub->correlation_len, 0);
    if (rc != TR_MQTT_OK)
        goto out;
    if (pub->qos > 0) {
        if (!(p = pending_add(m, pub->cookie, &rc)))
            goto out;
        ro.context = p;
        if (v5) {
            ro.onSuccess5 = on_pub_ok5;
            ro.onFailure5 = on_pub_fail5;
        } else {
            ro.onSuccess = on_pub_ok3;
            ro.onFailure = on_pub_fail3;
        }
    }
    rc = MQTTAsync_sendMessage(m->cli, topic, &msg, &ro);
    if (rc != MQTTASYNC_SUCCESS) {
        /* nothing was queued, so no callback will come for p */
        if (p)
            pending_remove(m, p);
        rc = tr_mqtt_map_paho(rc);
        goto out;
    }
    atomic_fetch_add(&m->st.published, 1);
    rc = TR_MQTT_OK;
out:
    MQTTProperties_free(&msg.properties);
    return rc;
}

/* ---- subscribe ---- */

static void sub_result(struct tr_mqtt_sub *s, int ok, int refused)
{
    struct tr_mqtt *m = s->m;
    pthread_mutex_lock(&m->mu);
    if (ok)
        s->acked = 1;
    if (refused)
        s->refused = 1;
    m->gen++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (refused)
        tr_log_warn("mqtt %s: broker refused subscription %s", m->client_id, s->filter);
}

static void on_sub_ok5(void *ctx, MQTTAsync_successData5 *r)
{
    int refused = r && (int)r->reasonCode >= 0x80;
    sub_result(ctx, !refused, refused);
}

static void on_sub_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    /* a reason code means the broker answered; otherwise the connection went */
    sub_result(ctx, 0, r && (int)r->reasonCode >= 0x80);
}

static void on_sub_ok3(void *ctx, MQTTAsync_successData *r)
{
    int refused = r && r->alt.qos == 0x80;
    sub_result(ctx, !refused, refused);
}

static void on_sub_fail3(void *ctx, MQTTAsync_failureData *r)
{
    (void)r;
    sub_result(ctx, 0, 0);
}

static int send_sub(struct tr_mqtt *m, struct tr_mqtt_sub *s)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    ro.context = s;
    if (atomic_load(&m->version) == 5) {
        ro.onSuccess5 = on_sub_ok5;
        ro.onFailure5 = on_sub_fail5;
    } else {
        ro.onSuccess = on_sub_ok3;
        ro.onFailure = on_sub_fail3;
    }
    rc = MQTTAsync_subscribe(m->cli, s->filter, s->qos, &ro);
    if (rc != MQTTASYNC_SUCCESS && rc != MQTTASYNC_DISCONNECTED)
        tr_log_warn("mqtt %s: subscribe %s failed (paho %d)", m->client_id, s->filter, rc);
    return rc == MQTTASYNC_SUCCESS ? TR_MQTT_OK : tr_mqtt_map_paho(rc);
}

void tr_mqtt_io_resubscribe(struct tr_mqtt *m)
{
    struct tr_mqtt_sub *todo[64];
    struct tr_mqtt_sub *s;
    size_t n;

    /* Subscriptions are never removed while the session lives, so the list
     * can be walked in batches without holding mu across paho calls. */
    pthread_mutex_lock(&m->mu);
    s = m->subs;
    pthread_mutex_unlock(&m->mu);
    while (s) {
        pthread_mutex_lock(&m->mu);
        for (n = 0; s && n < 64; s = s->next) {
            if (!s->acked && s->sent_conn != m->conn_no) {
                s->sent_conn = m->conn_no;
                todo[n++] = s;
            }
        }
        pthread_mutex_unlock(&m->mu);
        for (size_t i = 0; i < n; i++)
            (void)send_sub(m, todo[i]);
    }
}

int tr_mqtt_subscribe(struct tr_mqtt *m, const char *filter, int qos)
{
    struct tr_mqtt_sub *s;
    int send_now;

    if (!m || !filter || !filter[0] || strlen(filter) > 65535 || qos < 0 || qos > 1)
        return TR_MQTT_ERR_INVALID;
    pthread_mutex_lock(&m->mu);
    for (s = m->subs; s; s = s->next) {
        if (strcmp(s->filter, filter) == 0)
            break;
    }
    if (s) {
        s->qos = qos;
        s->acked = 0;
        s->refused = 0;
        s->sent_conn = 0;
    } else {
        if (!(s = calloc(1, sizeof *s)) || !(s->filter = strdup(filter))) {
            pthread_mutex_unlock(&m->mu);
            free(s);
            return TR_MQTT_ERR_NOMEM;
        }
        s->m = m;
        s->qos = qos;
        s->next = m->subs;
        m->subs = s;
    }
    /* connected() sets connected and conn_no under mu and then re-subscribes
     * what was not sent on this connection: each filter goes out once (a
     * second SUBSCRIBE would deliver retained messages twice) */
    send_now = atomic_load(&m->connected) && s->sent_conn != m->conn_no;
    if (send_now)
        s->sent_conn = m->conn_no;
    pthread_mutex_unlock(&m->mu);
    if (send_now) {
        int rc = send_sub(m, s);
        /* not connected any more: the next connect re-subscribes */
        return rc == TR_MQTT_ERR_NOT_CONNECTED ? TR_MQTT_OK : rc;
    }
    return TR_MQTT_OK;
}

int tr_mqtt_wait_subscribed(struct tr_mqtt *m, int timeout_ms)
{
    struct timespec ts;
    uint64_t at;
    int rc = TR_MQTT_ERR_TIMEOUT;

    if (!m || timeout_ms < 0)
        return TR_MQTT_ERR_INVALID;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    at = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u + (uint64_t)timeout_ms;
    ts.tv_sec = (time_t)(at / 1000u);
    ts.tv_nsec = (long)(at % 1000u) * 1000000L;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        int all = atomic_load(&m->connected), refused = 0;
        for (struct tr_mqtt_sub *s = m->subs; s; s = s->next) {
            all = all && s->acked;
            refused = refused || s->refused;
        }
        if (refused) {
            rc = TR_MQTT_ERR_SUBSCRIBE;
            break;
        }
        if (all) {
            rc = TR_MQTT_OK;
            break;
        }
        if (pthread_cond_timedwait(&m->cv, &m->mu, &ts) != 0)
            break;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

void tr_mqtt_io_free_subs(struct tr_mqtt *m)
{
    struct tr_mqtt_sub *s = m->subs, *next;
    for (; s; s = next) {
        next = s->next;
        free(s->filter);
        free(s);
    }
    m->subs = NULL;
}

/* ---- arrival and loss (paho's thread) ---- */

static void read_props(MQTTProperties *p, struct tr_mqtt_msg_props *out)
{
    MQTTProperty *q;

    if (MQTTProperties_hasProperty(p, MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL)) {
        out->has_expiry = 1;
        out->expiry_s =
            (uint32_t)MQTTProperties_getNumericValue(p, MQTTPROPERTY_CODE_MESSAGE_EXPIRY_INTERVAL);
    }
    if ((q = MQTTProperties_getProperty(p, MQTTPROPERTY_CODE_RESPONSE_TOPIC)) &&
        q->value.data.len >= 0) {
        out->response_topic = q->value.data.data;
        out->response_topic_len = (size_t)q->value.data.len;
    }
    if ((q = MQTTProperties_getProperty(p, MQTTPROPERTY_CODE_CORRELATION_DATA)) &&
        q->value.data.len >= 0) {
        out->correlation = q->value.data.data;
        out->correlation_len = (size_t)q->value.data.len;
    }
}

static int on_arrived(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
    struct tr_mqtt *m = ctx;
    struct tr_mqtt_msg_props props;

    /* paho passes 0 or the length; a length past the first NUL means NULs
     * inside the topic, which MQTT forbids: drop such a message */
    if ((topic_len == 0 || (size_t)topic_len == strlen(topic)) && msg->payloadlen >= 0 &&
        (msg->payloadlen == 0 || msg->payload)) {
        memset(&props, 0, sizeof props);
        props.qos = msg->qos;
        props.retained = msg->retained;
        if (msg->struct_version >= 1)
            read_props(&msg->properties, &props);
        atomic_fetch_add(&m->st.received, 1);
        if (m->cb.on_message && !atomic_load(&m->closing))
            m->cb.on_message(m->user, topic, msg->payload, (size_t)msg->payloadlen, &props);
    }
    MQTTAsync_freeMessage(&msg);
    MQTTAsync_free(topic);
    return 1;
}

void tr_mqtt_io_connection_lost(void *ctx, char *cause)
{
    (void)cause;
    tr_mqtt_lost(ctx, TR_MQTT_ERR_CONNECT);
}

static void on_disconnected(void *ctx, MQTTProperties *props, enum MQTTReasonCodes rc)
{
    (void)props;
    (void)rc;
    tr_mqtt_lost(ctx, TR_MQTT_ERR_CONNECT); /* v5 DISCONNECT from the broker */
}

int tr_mqtt_io_install(struct tr_mqtt *m)
{
    int rc = MQTTAsync_setCallbacks(m->cli, m, tr_mqtt_io_connection_lost, on_arrived, NULL);
    if (rc == MQTTASYNC_SUCCESS)
        rc = MQTTAsync_setDisconnected(m->cli, m, on_disconnected);
    return rc == MQTTASYNC_SUCCESS ? TR_MQTT_OK : tr_mqtt_map_paho(rc);
}
