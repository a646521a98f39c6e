/*
 * common/mqtt_util.c: the session's plain parts. Option checking and copying
 * (with defaults), paho and CONNACK code mapping, the read-only accessors
 * and tr_mqtt_strerror. No threads, callbacks or network here.
 */
#include "common/mqtt_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEF_KEEPALIVE_S     30
#define DEF_CONNECT_TIMEOUT 10
#define DEF_SESSION_EXPIRY  (7u * 24u * 3600u)
#define DEF_BACKOFF_MIN_MS  500
#define DEF_BACKOFF_MAX_MS  30000
#define DEF_JITTER_PCT      20
#define DEF_MAX_INFLIGHT    20
#define DEF_MAX_QUEUED      1000

int tr_mqtt_map_paho(int rc)
{
    switch (rc) {
    case MQTTASYNC_SUCCESS:
        return TR_MQTT_OK;
    case MQTTASYNC_DISCONNECTED:
        return TR_MQTT_ERR_NOT_CONNECTED;
    case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
    case MQTTASYNC_MAX_BUFFERED_MESSAGES:
    case MQTTASYNC_NO_MORE_MSGIDS:
    case MQTTASYNC_MAX_BUFFERED:
        return TR_MQTT_ERR_BUSY;
    case MQTTASYNC_BAD_UTF8_STRING:
    case MQTTASYNC_NULL_PARAMETER:
    case MQTTASYNC_TOPICNAME_TRUNCATED:
    case MQTTASYNC_BAD_QOS:
    case MQTTASYNC_BAD_PROTOCOL:
    case MQTTASYNC_BAD_MQTT_OPTION:
    case MQTTASYNC_0_LEN_WILL_TOPIC:
        return TR_MQTT_ERR_INVALID;
    default:
        return TR_MQTT_ERR_PAHO;
    }
}

/* A CONNACK refusal: 3.1.1 return codes 1..5, v5 reason codes >= 0x80. */
int tr_mqtt_map_refusal(int code)
{
    switch (code) {
    case 1:
    case MQTTREASONCODE_UNSUPPORTED_PROTOCOL_VERSION:
        return TR_MQTT_ERR_PROTOCOL;
    case 4:
    case 5:
    case MQTTREASONCODE_BAD_USER_NAME_OR_PASSWORD:
    case MQTTREASONCODE_NOT_AUTHORIZED:
    case MQTTREASONCODE_BAD_AUTHENTICATION_METHOD:
    case MQTTREASONCODE_BANNED:
        return TR_MQTT_ERR_AUTH;
    default:
        return TR_MQTT_ERR_REFUSED;
    }
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = strdup(src);
    return *dst ? 0 : -1;
}

int tr_mqtt_check_options(const struct tr_mqtt_options *o)
{
    if (!o || !o->host || !o->host[0] || !o->client_id || !o->client_id[0])
        return TR_MQTT_ERR_INVALID;
    if (o->port < 1 || o->port > 65535 || o->keepalive_s < 0 || o->connect_timeout_s < 0)
        return TR_MQTT_ERR_INVALID;
    if (o->protocol != TR_MQTT_PROTO_AUTO && o->protocol != TR_MQTT_PROTO_V5 &&
        o->protocol != TR_MQTT_PROTO_V311)
        return TR_MQTT_ERR_INVALID;
    if (o->will_topic && (!o->will_topic[0] || o->will_qos < 0 || o->will_qos > 1 ||
                          o->will_len > 65535 || (o->will_len && !o->will_payload)))
        return TR_MQTT_ERR_INVALID;
    if (o->reconnect_min_ms < 0 || o->reconnect_max_ms < 0 || o->reconnect_jitter_pct < 0 ||
        o->reconnect_jitter_pct > 100 || o->max_inflight < 0 || o->max_queued < 0)
        return TR_MQTT_ERR_INVALID;
    return TR_MQTT_OK;
}

int tr_mqtt_copy_options(struct tr_mqtt *m, const struct tr_mqtt_options *o)
{
    size_t ulen = strlen(o->host) + 32;

    if (dup_opt(&m->host, o->host) || dup_opt(&m->client_id, o->client_id) ||
        dup_opt(&m->username, o->username) || dup_opt(&m->password, o->password) ||
        dup_opt(&m->ca_file, o->ca_file) || dup_opt(&m->cert_file, o->cert_file) ||
        dup_opt(&m->key_file, o->key_file) || dup_opt(&m->will_topic, o->will_topic))
        return TR_MQTT_ERR_NOMEM;
    if (o->will_topic && o->will_len) {
        if (!(m->will_payload = malloc(o->will_len)))
            return TR_MQTT_ERR_NOMEM;
        memcpy(m->will_payload, o->will_payload, o->will_len);
        m->will_len = o->will_len;
    }
    if (!(m->uri = malloc(ulen)))
        return TR_MQTT_ERR_NOMEM;
    /* IPv6 literals need brackets in paho's URI */
    snprintf(m->uri, ulen, strchr(o->host, ':') ? "%s://[%s]:%d" : "%s://%s:%d",
             o->tls ? "ssl" : "tcp", o->host, o->port);
    m->port = o->port;
    m->tls = o->tls;
    m->tls_skip_verify = o->tls_skip_verify;
    m->keepalive_s = o->keepalive_s ? o->keepalive_s : DEF_KEEPALIVE_S;
    m->connect_timeout_s = o->connect_timeout_s ? o->connect_timeout_s : DEF_CONNECT_TIMEOUT;
    m->persistent = o->persistent;
    m->session_expiry_s = o->session_expiry_s ? o->session_expiry_s : DEF_SESSION_EXPIRY;
    m->protocol = o->protocol;
    m->will_qos = o->will_qos;
    m->will_retain = o->will_retain;
    m->backoff_min_ms = o->reconnect_min_ms ? o->reconnect_min_ms : DEF_BACKOFF_MIN_MS;
    m->backoff_max_ms = o->reconnect_max_ms ? o->reconnect_max_ms : DEF_BACKOFF_MAX_MS;
    if (m->backoff_max_ms < m->backoff_min_ms)
        m->backoff_max_ms = m->backoff_min_ms;
    m->jitter_pct = o->reconnect_jitter_pct ? o->reconnect_jitter_pct : DEF_JITTER_PCT;
    m->max_inflight = o->max_inflight ? o->max_inflight : DEF_MAX_INFLIGHT;
    m->max_queued = o->max_queued ? o->max_queued : DEF_MAX_QUEUED;
    m->tcp_nodelay = o->tcp_nodelay >= 0 ? 1 : 0;
    return TR_MQTT_OK;
}

int tr_mqtt_is_connected(const struct tr_mqtt *m)
{
    return m ? atomic_load(&m->connected) : 0;
}

int tr_mqtt_protocol_version(const struct tr_mqtt *m)
{
    return m ? atomic_load(&m->version) : 0;
}

int tr_mqtt_last_error(const struct tr_mqtt *m)
{
    struct tr_mqtt *mm = (struct tr_mqtt *)m; /* the mutex is not const */
    int rc;

    if (!m)
        return TR_MQTT_ERR_INVALID;
    pthread_mutex_lock(&mm->mu);
    rc = mm->last_error;
    pthread_mutex_unlock(&mm->mu);
    return rc;
}

void tr_mqtt_get_stats(const struct tr_mqtt *m, struct tr_mqtt_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!m)
        return;
    out->published = atomic_load(&m->st.published);
    out->delivered = atomic_load(&m->st.delivered);
    out->undelivered = atomic_load(&m->st.undelivered);
    out->received = atomic_load(&m->st.received);
    out->connects = atomic_load(&m->st.connects);
    out->reconnects = atomic_load(&m->st.reconnects);
    out->connect_attempts = atomic_load(&m->st.attempts);
    out->connect_failures = atomic_load(&m->st.failures);
}

const char *tr_mqtt_strerror(int err)
{
    switch (err) {
    case TR_MQTT_OK:
        return "success";
    case TR_MQTT_ERR_INVALID:
        return "invalid argument or option";
    case TR_MQTT_ERR_NOMEM:
        return "out of memory";
    case TR_MQTT_ERR_NOT_CONNECTED:
        return "not connected (keep the message and retry)";
    case TR_MQTT_ERR_BUSY:
        return "too many messages queued (retry later)";
    case TR_MQTT_ERR_TIMEOUT:
        return "timed out";
    case TR_MQTT_ERR_AUTH:
        return "broker refused: bad user name or password, or not authorised";
    case TR_MQTT_ERR_REFUSED:
        return "broker refused the connection";
    case TR_MQTT_ERR_PROTOCOL:
        return "broker refused the MQTT protocol version";
    case TR_MQTT_ERR_CONNECT:
        return "cannot connect to the broker, or connection lost";
    case TR_MQTT_ERR_SUBSCRIBE:
        return "broker refused a subscription";
    case TR_MQTT_ERR_THREAD:
        return "cannot start a thread";
    case TR_MQTT_ERR_TLS:
        return "cannot initialise TLS (OpenSSL)";
    case TR_MQTT_ERR_PAHO:
        return "paho-mqtt error";
    case TR_MQTT_ERR_STATE:
        return "not allowed in the session's current state";
    default:
        return "unknown mqtt error";
    }
}
