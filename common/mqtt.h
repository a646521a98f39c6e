/*
 * common/mqtt.h: one MQTT session on top of paho-mqtt-c's MQTTAsync API.
 *
 * This is the only interface to MQTT in truckroll: nothing else includes
 * paho's headers. A session owns one paho client and one small reconnect
 * thread of its own. It does:
 *   - connect (plain TCP or TLS), MQTT v5 first with an automatic fallback to
 *     3.1.1 when the broker refuses v5 (or a forced protocol);
 *   - reconnect by itself after any loss, with exponential backoff and jitter;
 *   - clean or persistent sessions (v5: clean start 0 + session expiry;
 *     3.1.1: cleansession 0), a last will, keepalive, a cap on in-flight QoS>0;
 *   - re-subscribe every filter after a connect that found no session;
 *   - QoS 0/1 publishes with a per-message cookie reported back when the
 *     broker acknowledged it (PUBACK), tracked through paho's completion
 *     callbacks, never MQTTAsync_waitForCompletion per message;
 *   - v5 message expiry, response topic and correlation data, both ways;
 *   - TCP_NODELAY on paho's socket after each connect (see tcp_nodelay).
 * It does not buffer messages: paho's offline buffer is disabled and its
 * queue while connected is bounded (max_queued). A publish that cannot be
 * handed to paho returns TR_MQTT_ERR_NOT_CONNECTED or TR_MQTT_ERR_BUSY and the
 * caller keeps the message in its SQLite outbox, which is the source of truth
 * (SPEC.md "Known traps": paho drops in-flight QoS 1 messages when a reconnect
 * answers sessionPresent=0, and its own buffer holds only 100 by default).
 *
 * Threads. The tr_mqtt_* functions are thread-safe. The callbacks run on
 * paho's internal threads (one receive thread shared by every session in the
 * process), never two at once for one session. A callback may call
 * tr_mqtt_publish, tr_mqtt_subscribe, tr_mqtt_is_connected,
 * tr_mqtt_protocol_version and tr_mqtt_get_stats; it must NOT call
 * tr_mqtt_free, tr_mqtt_wait_connected or tr_mqtt_wait_subscribed (they wait
 * for that same thread), and it should return quickly: while it runs no
 * session in the process receives anything. Hand heavy work (JSON parsing,
 * SQLite) to a thread of your own.
 *
 * Credentials are never logged.
 */
#ifndef TR_MQTT_H
#define TR_MQTT_H

#include <stddef.h>
#include <stdint.h>

struct tr_mqtt;

enum tr_mqtt_err {
    TR_MQTT_OK = 0,
    TR_MQTT_ERR_INVALID = 1,       /* bad argument or option */
    TR_MQTT_ERR_NOMEM = 2,         /* out of memory */
    TR_MQTT_ERR_NOT_CONNECTED = 3, /* no connection now: keep the message, retry later */
    TR_MQTT_ERR_BUSY = 4,          /* in-flight window or paho's queue full: retry later */
    TR_MQTT_ERR_TIMEOUT = 5,       /* a bounded wait ran out */
    TR_MQTT_ERR_AUTH = 6,          /* broker refused: bad user name/password or not authorised */
    TR_MQTT_ERR_REFUSED = 7,       /* broker refused the connection for another reason */
    TR_MQTT_ERR_PROTOCOL = 8,      /* broker refused the MQTT protocol version */
    TR_MQTT_ERR_CONNECT = 9,       /* TCP or TLS connection failed or was lost */
    TR_MQTT_ERR_SUBSCRIBE = 10,    /* broker refused a subscription */
    TR_MQTT_ERR_THREAD = 11,       /* could not start the reconnect thread */
    TR_MQTT_ERR_PAHO = 12,         /* any other paho error */
    TR_MQTT_ERR_STATE = 13,        /* call not allowed now (connect twice, ...) */
    TR_MQTT_ERR_TLS = 14,          /* OpenSSL could not be initialised for a TLS session */
};

enum tr_mqtt_protocol {
    TR_MQTT_PROTO_AUTO = 0, /* v5, falling back to 3.1.1 if the broker refuses v5 */
    TR_MQTT_PROTO_V5 = 5,
    TR_MQTT_PROTO_V311 = 4,
};

struct tr_mqtt_options {
    const char *host;      /* required; name or address */
    int port;              /* required, 1..65535 */
    const char *client_id; /* required; must be unique per broker */
    const char *username;  /* optional */
    const char *password;  /* optional; never logged */

    int tls;               /* 0: tcp://, 1: ssl:// */
    const char *ca_file;   /* PEM trust store; NULL: the system's */
    const char *cert_file; /* optional client certificate chain (PEM) */
    const char *key_file;  /* optional client key (PEM), if not in cert_file */
    int tls_skip_verify;   /* 1: do not verify the broker's certificate (tests only) */

    int keepalive_s;           /* 0 -> 30 */
    int connect_timeout_s;     /* 0 -> 10 */
    int persistent;            /* 0: clean session; 1: keep the session at the broker */
    uint32_t session_expiry_s; /* v5 persistent session lifetime; 0 -> 7 days */
    enum tr_mqtt_protocol protocol;

    /* Last will, published by the broker when the connection dies without a
     * DISCONNECT. will_topic NULL: no will. */
    const char *will_topic;
    const void *will_payload;
    size_t will_len;
    int will_qos;
    int will_retain;

    /* Reconnect delay after a failed attempt or a lost connection: starts at
     * min, doubles up to max, then each delay is shortened by a random part
     * of up to jitter_pct percent. 0 -> defaults 500 ms, 30 s, 20 %. */
    int reconnect_min_ms;
    int reconnect_max_ms;
    int reconnect_jitter_pct;

    /* QoS 1 messages published but not yet acknowledged (also capped by a v5
     * broker's Receive Maximum; mosquitto's default is 20). Past it
     * tr_mqtt_publish returns TR_MQTT_ERR_BUSY instead of queueing inside
     * paho: paho 1.3.12 does not wake its send thread when a PUBACK frees a
     * slot, so a queued QoS 1 publish waited ~1 s (20 msg/s measured). 0 -> 20 */
    int max_inflight;
    int max_queued; /* QoS 0 publishes queued inside paho while connected; 0 -> 1000 */

    /* 0 or 1: set TCP_NODELAY on paho's socket after each connect; -1: don't.
     * paho exposes no socket hook, so mqtt_nodelay.c scans /proc/self/fd for
     * TCP sockets whose peer is the broker. Nagle held QoS 0 messages ~17 ms
     * p50 at 10k msg/s; ~40 us with this AND `set_tcp_nodelay true` in
     * mosquitto.conf (the broker -> subscriber hop Nagles too, and mosquitto
     * 2.0 defaults to false): see bench/bench_mqtt_latency. */
    int tcp_nodelay;
};

/* Properties of a received message; pointers valid only during the call. */
struct tr_mqtt_msg_props {
    int qos;
    int retained;
    int has_expiry;             /* v5: a message expiry interval was present */
    uint32_t expiry_s;          /* v5: remaining lifetime in seconds */
    const char *response_topic; /* v5; NULL when absent; NOT NUL-terminated */
    size_t response_topic_len;
    const void *correlation; /* v5; NULL when absent */
    size_t correlation_len;
};

/* Everything a publish can carry besides topic and payload. Zero = defaults. */
struct tr_mqtt_pub {
    int qos; /* 0 or 1 (2 is refused: nothing here needs it) */
    int retain;
    uint32_t expiry_s;          /* v5 message expiry; 0 = none; ignored on 3.1.1 */
    const char *response_topic; /* v5, NUL-terminated; NULL = none; ignored on 3.1.1 */
    const void *correlation;    /* v5; NULL = none; ignored on 3.1.1 */
    size_t correlation_len;
    uint64_t cookie; /* handed back to on_delivered / on_undelivered */
};

struct tr_mqtt_callbacks {
    /* A message arrived. topic is NUL-terminated; payload is NOT, and like
     * props it is valid only during the call (copy what you keep). */
    void (*on_message)(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props);
    /* A QoS 1 publish was acknowledged by the broker (PUBACK). QoS 0
     * publishes are never reported (their cookie is unused). */
    void (*on_delivered)(void *user, uint64_t cookie);
    /* A publish accepted by tr_mqtt_publish will not be acknowledged: the
     * connection was lost and the session was not resumed, or the broker
     * refused it (v5 reason code). Keep or resend it from your outbox.
     * Optional (NULL). Not called while tr_mqtt_free runs. */
    void (*on_undelivered)(void *user, uint64_t cookie);
    /* The connection came up (up=1) or went down (up=0). On up with
     * session_present=0 the broker has no session for us: every QoS 1
     * message not yet reported delivered must be published again from the
     * outbox (paho has dropped its in-flight copies). Filters given to
     * tr_mqtt_subscribe are re-subscribed by the session itself. */
    void (*on_connection)(void *user, int up, int session_present);
};

struct tr_mqtt_stats {
    uint64_t published;        /* publishes accepted by paho */
    uint64_t delivered;        /* on_delivered calls */
    uint64_t undelivered;      /* on_undelivered calls (or would-be calls) */
    uint64_t received;         /* on_message calls */
    uint64_t connects;         /* successful connects */
    uint64_t reconnects;       /* successful connects after the first */
    uint64_t connect_attempts; /* every MQTTAsync_connect issued */
    uint64_t connect_failures; /* attempts that failed or were refused */
};

/* Once per process, from main() before the first tr_mqtt_new and while no
 * other thread uses MQTT (paho's global init re-creates its global mutexes):
 * tell paho not to initialise OpenSSL. tr_mqtt_new then initialises it only
 * for a session with tls set; a process that never uses TLS never loads
 * OpenSSL's algorithms, error strings or openssl.cnf (~1 MB of heap on the
 * agent, see common/mqtt_init.c), and keep paho's own trace ring at errors
 * only. Optional: without it paho initialises OpenSSL at the first session,
 * TLS or not, and traces every packet. Both daemons call it. */
void tr_mqtt_global_init(void);

/* Create a session (does not connect). Strings in opts are copied. callbacks
 * may be NULL; user is passed to every callback. Returns NULL and sets *err
 * (if err) on failure. */
struct tr_mqtt *tr_mqtt_new(const struct tr_mqtt_options *opts, const struct tr_mqtt_callbacks *cb,
                            void *user, int *err);

/* Disconnect cleanly (no will), stop the reconnect thread, free. NULL ok.
 * Not from a callback. */
void tr_mqtt_free(struct tr_mqtt *m);

/* Start connecting in the background and keep the connection up until
 * tr_mqtt_free. Returns at once. TR_MQTT_ERR_STATE if already started. */
int tr_mqtt_connect(struct tr_mqtt *m);

/* Close the connection (DISCONNECT, no will) and connect again through the
 * usual backoff, as after a loss: on_connection(0), then (1). For a session
 * that looks up but has stopped acknowledging what it was sent. Returns at
 * once; TR_MQTT_ERR_NOT_CONNECTED when there is no connection to close. Not
 * from a callback. */
int tr_mqtt_reconnect(struct tr_mqtt *m);

/* Wait until connected. Returns TR_MQTT_OK, or early with TR_MQTT_ERR_AUTH /
 * TR_MQTT_ERR_REFUSED when the broker refused the last attempt for good
 * reasons (retries go on in the background), or TR_MQTT_ERR_TIMEOUT. */
int tr_mqtt_wait_connected(struct tr_mqtt *m, int timeout_ms);

/* Add a subscription (kept and re-subscribed after every connect without a
 * session). Sent now if connected. qos 0 or 1. */
int tr_mqtt_subscribe(struct tr_mqtt *m, const char *filter, int qos);

/* Wait until every filter added so far was acknowledged on the current
 * connection. TR_MQTT_ERR_SUBSCRIBE if the broker refused one,
 * TR_MQTT_ERR_TIMEOUT otherwise. */
int tr_mqtt_wait_subscribed(struct tr_mqtt *m, int timeout_ms);

/* Publish. pub may be NULL (QoS 0, no retain, no properties, cookie 0).
 * Returns TR_MQTT_OK when paho took it; on_delivered or on_undelivered will
 * follow for QoS 1. TR_MQTT_ERR_NOT_CONNECTED / TR_MQTT_ERR_BUSY mean nothing
 * was queued: keep the message in the outbox and publish it again later
 * (NOT_CONNECTED: after on_connection up; BUSY: after an on_delivered). */
int tr_mqtt_publish(struct tr_mqtt *m, const char *topic, const void *payload, size_t len,
                    const struct tr_mqtt_pub *pub);

int tr_mqtt_is_connected(const struct tr_mqtt *m);
/* 5 or 4 (3.1.1) for the current or last connection, 0 before any. */
int tr_mqtt_protocol_version(const struct tr_mqtt *m);
/* Why the last connect attempt failed or the connection dropped (TR_MQTT_OK
 * if it never did). */
int tr_mqtt_last_error(const struct tr_mqtt *m);
void tr_mqtt_get_stats(const struct tr_mqtt *m, struct tr_mqtt_stats *out);
const char *tr_mqtt_strerror(int err);

#endif
