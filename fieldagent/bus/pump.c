/*
 * fieldagent/bus/pump.c: the outbox -> MQTT pump (see pump.h): PUBACKs,
 * undelivered publishes, connection changes and the publish window.
 * and small helpers for the callers' callback queues and presence. No
 * inbox, no session set-up, no timers: those stay with the callers.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/log.h"
#include "common/msg.h"
#include "fieldagent/bus/pump.h"

#define WHO(p) (p)->log_id ? (p)->log_id : "", (p)->log_id ? ": " : ""

void tr_pump_init(struct tr_pump *p, const char *agent_id, const char *loc_topic,
                  const char *log_id, int window)
{
    memset(p, 0, sizeof *p);
    p->agent_id = agent_id;
    p->loc_topic = loc_topic;
    p->log_id = log_id;
    p->window = window;
    p->pump = true;
    p->ack_timeout_ms = TR_PUMP_ACK_TIMEOUT_MS;
}

void tr_pump_free(struct tr_pump *p)
{
    if (!p)
        return;
    free(p->held_payload);
    p->held_payload = NULL;
    p->held = false;
}

static enum tr_pump_cookie cookie_kind(uint64_t cookie)
{
    if (cookie == TR_PUMP_COOKIE_PRESENCE)
        return TR_PUMP_PRESENCE;
    if (cookie == TR_PUMP_COOKIE_SHUTDOWN)
        return TR_PUMP_SHUTDOWN;
    return TR_PUMP_ITEM;
}

enum tr_pump_cookie tr_pump_delivered(struct tr_pump *p, struct tr_outbox *ob, uint64_t cookie)
{
    enum tr_pump_cookie k = cookie_kind(cookie);

    if (k == TR_PUMP_SHUTDOWN)
        p->shutdown_acked = true;
    if (k != TR_PUMP_ITEM)
        return k;
    if (p->inflight > 0)
        p->inflight--;
    p->pump = true; /* room in the window */
    p->acked++;
    if (tr_outbox_ack(ob, cookie) != TR_OUTBOX_OK) {
        p->outbox_errors++;
        tr_log_warn("%s%soutbox ack: %s", WHO(p), tr_outbox_last_error(ob));
    }
    return k;
}

enum tr_pump_cookie tr_pump_undelivered(struct tr_pump *p, uint64_t cookie)
{
    enum tr_pump_cookie k = cookie_kind(cookie);

    if (k != TR_PUMP_ITEM)
        return k;
    if (p->inflight > 0)
        p->inflight--;
    p->requeue = true;
    return k;
}

bool tr_pump_connection(struct tr_pump *p, bool up, bool session_present)
{
    bool was = p->connected;

    if (up) {
        p->connected = true;
        p->pump = true;
        if (!session_present)
            p->requeue = true;
    } else {
        p->connected = false;
        p->requeue = true;
        p->inflight = 0;
    }
    return was;
}

/* Publish the held item. TR_MQTT_OK, or the error (item stays held). */
static int publish_held(struct tr_pump *p, struct tr_mqtt *mq, int64_t now)
{
    struct tr_mqtt_pub pub = { .qos = 1, .cookie = p->item.cookie };
    struct tr_msg m;
    char *json = NULL;
    size_t len = 0;
    int rc;

    if (p->item.kind == TR_OUTBOX_EVENT)
        return tr_mqtt_publish(mq, p->item.topic, p->held_payload, p->item.len, &pub);
    if (tr_outbox_item_loc(&p->item, p->agent_id, now, &m) != TR_OUTBOX_OK ||
        tr_msg_encode(&m, &json, &len, NULL) != TR_MSG_OK) {
        free(json);
        return TR_MQTT_ERR_INVALID;
    }
    rc = tr_mqtt_publish(mq, p->loc_topic, json, len, &pub);
    free(json);
    return rc;
}

/* Take the next item into p->item (an event's payload copied). 1: held,
 * 0: nothing to send (or an error, logged). */
static int take_next(struct tr_pump *p, struct tr_outbox *ob)
{
    int rc = tr_outbox_next(ob, &p->item);

    if (rc == TR_OUTBOX_ERR_EMPTY) {
        p->pump = false; /* until the next put, ack or requeue */
        return 0;
    }
    if (rc != TR_OUTBOX_OK) {
        p->outbox_errors++;
        tr_log_warn("%s%soutbox next: %s", WHO(p), tr_outbox_last_error(ob));
        return 0;
    }
    if (p->item.kind == TR_OUTBOX_EVENT) {
        char *q = realloc(p->held_payload, p->item.len ? p->item.len : 1);
        if (!q) {
            p->requeue = true;
            return 0;
        }
        memcpy(q, p->item.payload, p->item.len);
        p->held_payload = q;
    }
    p->held = true;
    return 1;
}

void tr_pump_run(struct tr_pump *p, struct tr_outbox *ob, struct tr_mqtt *mq, int64_t now)
{
    int rc;

    if (tr_pump_ack_overdue(p, now)) {
        tr_log_warn("%s%sno PUBACK for %lld s with %d message(s) in flight: reconnecting", WHO(p),
                    (long long)(p->ack_timeout_ms / 1000), p->inflight);
        (void)tr_mqtt_reconnect(mq);
        return; /* the connection goes down; everything in flight is requeued */
    }
    if (p->requeue) {
        p->requeue = false;
        p->held = false;
        p->pump = true;
        p->requeues++;
        if (tr_outbox_requeue_all(ob) != TR_OUTBOX_OK) {
            p->outbox_errors++;
            tr_log_warn("%s%soutbox requeue: %s", WHO(p), tr_outbox_last_error(ob));
        }
    }
    while (p->connected && !p->stopping && p->inflight < p->window && (p->pump || p->held)) {
        if (!p->held && !take_next(p, ob))
            return;
        rc = publish_held(p, mq, now);
        if (rc == TR_MQTT_OK) {
            p->held = false;
            p->inflight++;
            p->published++;
        } else if (rc == TR_MQTT_ERR_BUSY || rc == TR_MQTT_ERR_NOT_CONNECTED) {
            return; /* keep it held; retried after an ack or a reconnect */
        } else {
            tr_log_warn("%s%spublish: %s (item requeued)", WHO(p), tr_mqtt_strerror(rc));
            p->requeue = true;
            return;
        }
    }
}

bool tr_pump_ack_overdue(struct tr_pump *p, int64_t now)
{
    if (!p->connected || p->inflight == 0 || p->acked != p->progress_acked ||
        now < p->progress_ms) {
        p->progress_ms = now; /* progress, or nothing to wait for */
        p->progress_acked = p->acked;
        return false;
    }
    if (p->ack_timeout_ms <= 0 || now - p->progress_ms < p->ack_timeout_ms)
        return false;
    p->progress_ms = now; /* once per timeout */
    p->ack_timeouts++;
    return true;
}

int tr_pump_wake_init(int *rd, int *wr, pthread_mutex_t *mu)
{
    int p[2];
    *rd = *wr = -1;
    if (pipe(p) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
    }
    *rd = p[0];
    *wr = p[1];
    pthread_mutex_init(mu, NULL);
    return 0;
}

void tr_pump_msgid(char out[TR_MSG_ID_SIZE], const char *boot_id, char kind, uint64_t *counter)
{
    char prefix[24];
    snprintf(prefix, sizeof prefix, "%.16s-%c", boot_id, kind);
    tr_ids_msgid(out, prefix, ++*counter);
}

void tr_pump_mqtt_will(struct tr_mqtt_options *o, const char *will_topic, const char *will,
                       size_t len)
{
    o->persistent = 1;
    o->will_topic = will_topic;
    o->will_payload = will;
    o->will_len = len;
    o->will_qos = 1;
    o->will_retain = 1;
    o->max_inflight = 20;
    o->tcp_nodelay = 1;
}

int tr_pump_copy_msg(const char *topic, const void *payload, size_t len, char **topic_out,
                     char **payload_out)
{
    char *t = strdup(topic);
    char *b = malloc(len ? len : 1);
    if (!t || !b) {
        free(t);
        free(b);
        return -1;
    }
    if (len)
        memcpy(b, payload, len);
    *topic_out = t;
    *payload_out = b;
    return 0;
}

void tr_pump_presence_msg(struct tr_msg *m, const struct tr_pump_presence *pr)
{
    struct tr_presence *p = &m->u.presence;
    tr_msg_init(m, TR_MSG_PRESENCE);
    snprintf(p->agent_id, sizeof p->agent_id, "%s", pr->agent_id);
    snprintf(p->boot_id, sizeof p->boot_id, "%s", pr->boot_id);
    p->online = pr->online;
    if (pr->online) {
        p->has_available = p->has_on_shift = p->has_mode = p->has_active_jobs = true;
        p->available = pr->available;
        p->on_shift = pr->on_shift;
        p->mode = pr->mode;
        p->active_jobs = pr->active_jobs;
    } else {
        p->has_reason = true;
        p->reason = pr->reason;
    }
    p->has_version = true;
    snprintf(p->version, sizeof p->version, "%s", pr->version);
}
