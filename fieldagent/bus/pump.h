/*
 * fieldagent/bus/pump.h: the outbox -> MQTT pump shared by truckroll-agent
 * (fieldagent/app) and truckroll-sim run's simulated agents (fieldagent/sim).
 *
 * It moves outbox items to tr_mqtt_publish within a window of
 * unacknowledged messages, deletes items on their PUBACK, and puts every
 * unacknowledged item back when the connection is lost or comes back
 * without a session (the outbox, not paho, is the source of truth). It
 * keeps that state in struct tr_pump, which the caller embeds; the outbox
 * and the session are the caller's and are passed in. Everything runs on
 * the caller's loop thread.
 *
 * It does not own the MQTT session or its callbacks, encode presence, or
 * decide when to stop: the caller does, and tells the pump.
 */
#ifndef TR_AGENT_PUMP_H
#define TR_AGENT_PUMP_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/mqtt.h"
#include "common/msg.h"
#include "fieldagent/store/outbox.h"

/* Publish cookies that are not outbox items (outbox cookies are neither). */
#define TR_PUMP_COOKIE_PRESENCE UINT64_C(0)
#define TR_PUMP_COOKIE_SHUTDOWN (UINT64_C(1) << 62)

/* What a PUBACK / an undelivered publish was about. */
enum tr_pump_cookie { TR_PUMP_ITEM, TR_PUMP_PRESENCE, TR_PUMP_SHUTDOWN };

struct tr_pump {
    /* set by tr_pump_init, borrowed (must outlive the pump) */
    const char *agent_id;   /* loc messages' agent_id */
    const char *loc_topic;  /* where positions go */
    const char *log_id;     /* log line prefix ("<log_id>: "), or NULL */
    int window;             /* unacknowledged publishes at most */
    int64_t ack_timeout_ms; /* tr_pump_ack_overdue: 0 never (default TR_PUMP_ACK_TIMEOUT_MS) */

    bool connected;      /* the session is up */
    bool requeue;        /* requeue_all before the next pump */
    bool pump;           /* the outbox may hold something to send */
    bool held;           /* an item taken from the outbox waits to be published */
    bool stopping;       /* the caller is shutting down: publish nothing more */
    bool shutdown_acked; /* the shutdown presence was acknowledged */
    int inflight;
    char *held_payload; /* the held event's payload (copy), owned */
    struct tr_outbox_item item;

    uint64_t published;     /* outbox items handed to MQTT */
    uint64_t acked;         /* ... acknowledged */
    uint64_t requeues;      /* tr_outbox_requeue_all calls */
    uint64_t outbox_errors; /* outbox calls of the pump that failed */
    uint64_t ack_timeouts;  /* tr_pump_ack_overdue said so */
    int64_t progress_ms;    /* last seen nothing in flight, or a new ack */
    uint64_t progress_acked;
};

#define TR_PUMP_ACK_TIMEOUT_MS 60000

void tr_pump_init(struct tr_pump *p, const char *agent_id, const char *loc_topic,
                  const char *log_id, int window);
/* Frees the held payload; NULL is a no-op. */
void tr_pump_free(struct tr_pump *p);

/* A PUBACK came for cookie: an outbox item is deleted (ob), the shutdown
 * presence sets shutdown_acked. Returns what the cookie was. */
enum tr_pump_cookie tr_pump_delivered(struct tr_pump *p, struct tr_outbox *ob, uint64_t cookie);
/* A publish was given up on: an outbox item is put back on the next pump.
 * Returns what the cookie was (presence: the caller marks it dirty). */
enum tr_pump_cookie tr_pump_undelivered(struct tr_pump *p, uint64_t cookie);
/* The session went up or down (session_present: up with a resumed
 * session). Returns whether it was connected before. */
bool tr_pump_connection(struct tr_pump *p, bool up, bool session_present);

/* Requeue if asked, then publish outbox items while connected, not stopping
 * and within the window. now: the loc messages' ts (ms). When
 * tr_pump_ack_overdue says the session is stuck, log it and
 * tr_mqtt_reconnect instead. Call once per loop turn. */
void tr_pump_run(struct tr_pump *p, struct tr_outbox *ob, struct tr_mqtt *mq, int64_t now);

/* tr_pump_run's watch (now: any ms clock). True, once per ack_timeout_ms,
 * while the session is up with publishes in flight and not one of them has
 * been acknowledged for that long: a broker must acknowledge a QoS 1
 * publish, so the session is stuck (seen with paho under a flood of
 * incoming messages) and is reconnected (tr_mqtt_reconnect: everything
 * unacknowledged is sent again; receivers drop duplicates by id and seq). */
bool tr_pump_ack_overdue(struct tr_pump *p, int64_t now);

/* ---- helpers for the callers' MQTT side (callback queue, presence) ---- */

/* A callback queue's wake-up pipe (non-blocking, close-on-exec; *rd and
 * *wr are -1 on failure) and its mutex. 0, or -1 with errno. */
int tr_pump_wake_init(int *rd, int *wr, pthread_mutex_t *mu);
/* A message id "<boot_id's first 16>-<kind><++*counter>". */
void tr_pump_msgid(char out[TR_MSG_ID_SIZE], const char *boot_id, char kind, uint64_t *counter);
/* The session options every agent shares: persistent, a retained QoS 1
 * last will (will, len) on will_topic, 20 in flight, TCP_NODELAY. */
void tr_pump_mqtt_will(struct tr_mqtt_options *o, const char *will_topic, const char *will,
                       size_t len);
/* malloc'ed copies of an arrived message's topic and payload (payload:
 * at least 1 byte). 0, or -1 (out of memory; nothing allocated). */
int tr_pump_copy_msg(const char *topic, const void *payload, size_t len, char **topic_out,
                     char **payload_out);

/* What a presence message says. */
struct tr_pump_presence {
    const char *agent_id, *boot_id;
    const char *version; /* e.g. TR_VERSION */
    bool online;
    enum tr_presence_reason reason; /* offline */
    bool available, on_shift;       /* online: the state */
    enum tr_agent_mode mode;
    int active_jobs;
};
/* Fill m as that presence (m->id and m->ts are left for the caller). */
void tr_pump_presence_msg(struct tr_msg *m, const struct tr_pump_presence *pr);

#endif
