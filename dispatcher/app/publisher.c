/*
 * dispatcher/app/publisher.c: getting messages from the dispatcher to the
 * broker (worker thread only).
 *
 * Two sources:
 *   - the durable outbox in SQLite (job transitions' messages). A cursor
 *     walks it in id order; a row handed to paho is in flight (cookie = row
 *     id) until its PUBACK, when it is deleted (in batches). After a restart
 *     the cursor starts at 0 so everything not yet deleted is published again;
 *     after a connect that found no session (paho dropped its in-flight
 *     copies) or a failed delivery, the cursor rewinds likewise. Receivers drop
 *     the duplicates by message id. A row past its expiry (an offer whose
 *     deadline passed) is deleted unsent; an offer carries the MQTT v5 message
 *     expiry = whole seconds left to its deadline.
 *   - transient messages (console responses, error replies): a bounded FIFO,
 *     QoS 1, not durable (a console retries with the same request id).
 * Outbox rows go first. paho refuses with BUSY when the in-flight window is
 * full: the rest waits for the next PUBACK.
 *
 * It does not decide what to send (actions.c, requests*.c) or log per
 * message.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

#define TRANSIENT_MAX  4096
#define TRANSIENT_FLAG (UINT64_C(1) << 62)
#define FETCH          256
#define INFLIGHT_MAX   4096

struct transient {
    char topic[TR_BUS_TOPIC_SIZE];
    char *payload;
    size_t len;
    char *corr;
    size_t corr_len;
};

struct publisher {
    struct app *a;
    int64_t cursor; /* last outbox id handed to paho */
    bool dirty;     /* the outbox may hold rows after the cursor */
    int64_t inflight[INFLIGHT_MAX];
    size_t n_inflight;
    int64_t *acked;
    size_t n_acked, cap_acked;
    struct transient *tq;
    size_t tq_head, tq_count;
    uint64_t tq_seq;
};

int tr_publisher_new(struct app *a, struct publisher **out)
{
    struct publisher *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    p->tq = calloc(TRANSIENT_MAX, sizeof(*p->tq));
    if (!p->tq) {
        free(p);
        return -1;
    }
    p->a = a;
    p->dirty = true; /* whatever a previous run left */
    *out = p;
    return 0;
}

void tr_publisher_free(struct publisher *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->tq_count; i++) {
        struct transient *t = &p->tq[(p->tq_head + i) % TRANSIENT_MAX];
        free(t->payload);
        free(t->corr);
    }
    free(p->tq);
    free(p->acked);
    free(p);
}

size_t tr_publisher_inflight(const struct publisher *p)
{
    return p ? p->n_inflight : 0;
}

void tr_publisher_outbox_changed(struct publisher *p)
{
    p->dirty = true;
}

void tr_publisher_transient(struct publisher *p, const char *topic, const char *payload, size_t len,
                            const void *corr, size_t corr_len)
{
    if (p->tq_count == TRANSIENT_MAX) {
        atomic_fetch_add(&p->a->n.error_replies_dropped, 1);
        return;
    }
    struct transient *t = &p->tq[(p->tq_head + p->tq_count) % TRANSIENT_MAX];
    memset(t, 0, sizeof(*t));
    snprintf(t->topic, sizeof(t->topic), "%s", topic);
    t->payload = malloc(len + 1);
    t->corr = corr_len ? malloc(corr_len) : NULL;
    if (!t->payload || (corr_len && !t->corr)) {
        free(t->payload);
        free(t->corr);
        return;
    }
    memcpy(t->payload, payload, len);
    t->payload[len] = '\0';
    t->len = len;
    if (corr_len)
        memcpy(t->corr, corr, corr_len);
    t->corr_len = corr_len;
    p->tq_count++;
}

static bool inflight_remove(struct publisher *p, int64_t id)
{
    for (size_t i = 0; i < p->n_inflight; i++) {
        if (p->inflight[i] == id) {
            p->inflight[i] = p->inflight[--p->n_inflight];
            return true;
        }
    }
    return false;
}

static bool inflight_has(const struct publisher *p, int64_t id)
{
    for (size_t i = 0; i < p->n_inflight; i++)
        if (p->inflight[i] == id)
            return true;
    return false;
}

static void ack_push(struct publisher *p, int64_t id)
{
    if (p->n_acked == p->cap_acked) {
        size_t cap = p->cap_acked ? p->cap_acked * 2 : 256;
        int64_t *d = realloc(p->acked, cap * sizeof(*d));
        if (!d)
            return; /* published again after a restart: receivers dedupe */
        p->acked = d;
        p->cap_acked = cap;
    }
    p->acked[p->n_acked++] = id;
}

void tr_publisher_delivered(struct publisher *p, uint64_t cookie, bool ok)
{
    if (cookie & TRANSIENT_FLAG)
        return; /* responses are not retried */
    int64_t id = (int64_t)cookie;
    inflight_remove(p, id);
    if (ok) {
        ack_push(p, id);
        atomic_fetch_add(&p->a->n.outbox_delivered, 1);
    } else {
        /* not acknowledged: publish it (and what follows) again */
        if (id - 1 < p->cursor)
            p->cursor = id - 1;
        p->dirty = true;
        atomic_fetch_add(&p->a->n.republished, 1);
    }
}

void tr_publisher_session_lost(struct publisher *p)
{
    if (p->n_inflight > 0 || p->cursor > 0)
        tr_log_info("broker has no session for us: publishing the outbox again from the start");
    p->n_inflight = 0;
    p->cursor = 0;
    p->dirty = true;
}

static void flush_acked(struct publisher *p)
{
    if (p->n_acked == 0)
        return;
    int rc = tr_store_outbox_delete(p->a->store, p->acked, p->n_acked);
    if (rc != TR_STORE_OK)
        tr_log_error("outbox delete failed: %s (rows are sent again later)",
                     tr_store_errmsg(p->a->store));
    p->n_acked = 0;
}

/* Publish outbox rows after the cursor; false when paho is busy. */
static bool run_outbox(struct publisher *p, int64_t now_ms)
{
    struct app *a = p->a;
    while (p->dirty) {
        struct tr_store_outbox_row *rows = NULL;
        size_t n = 0, bad = 0;
        int rc = tr_store_outbox_pending(a->store, p->cursor, FETCH, &rows, &n, &bad);
        if (rc != TR_STORE_OK) {
            tr_log_error("outbox read failed: %s", tr_store_errmsg(a->store));
            return true;
        }
        if (bad)
            tr_log_warn("outbox: %zu damaged row(s) skipped", bad);
        bool busy = false;
        size_t i = 0;
        for (; i < n; i++) {
            struct tr_store_outbox_row *r = &rows[i];
            if (inflight_has(p, r->id)) {
                p->cursor = r->id;
                continue;
            }
            if (r->expiry_at > 0 && r->expiry_at <= now_ms) {
                ack_push(p, r->id); /* not worth sending: delete */
                atomic_fetch_add(&a->n.outbox_expired, 1);
                p->cursor = r->id;
                continue;
            }
            if (p->n_inflight == INFLIGHT_MAX) {
                busy = true;
                break;
            }
            struct tr_mqtt_pub pub = { .qos = r->qos > 1 ? 1 : r->qos,
                                       .retain = r->retain,
                                       .expiry_s = tr_bus_expiry_s(r->expiry_at, now_ms),
                                       .cookie = (uint64_t)r->id };
            rc = tr_mqtt_publish(a->mqtt, r->topic, r->payload, r->len, &pub);
            if (rc == TR_MQTT_ERR_BUSY || rc == TR_MQTT_ERR_NOT_CONNECTED) {
                busy = true;
                break;
            }
            if (rc != TR_MQTT_OK) {
                tr_log_error("publish to %s failed: %s (dropped)", r->topic, tr_mqtt_strerror(rc));
                ack_push(p, r->id);
            } else if (pub.qos == 0) {
                ack_push(p, r->id);
            } else {
                p->inflight[p->n_inflight++] = r->id;
            }
            atomic_fetch_add(&a->n.outbox_published, 1);
            p->cursor = r->id;
        }
        tr_store_outbox_rows_free(rows, n);
        if (busy)
            return false;
        if (n < FETCH)
            p->dirty = false;
    }
    return true;
}

static void run_transient(struct publisher *p)
{
    struct app *a = p->a;
    while (p->tq_count > 0) {
        struct transient *t = &p->tq[p->tq_head];
        struct tr_mqtt_pub pub = { .qos = 1,
                                   .correlation = t->corr,
                                   .correlation_len = t->corr_len,
                                   .cookie = TRANSIENT_FLAG | ++p->tq_seq };
        int rc = tr_mqtt_publish(a->mqtt, t->topic, t->payload, t->len, &pub);
        if (rc == TR_MQTT_ERR_BUSY || rc == TR_MQTT_ERR_NOT_CONNECTED)
            return;
        if (rc != TR_MQTT_OK)
            tr_log_warn("reply to %s failed: %s (dropped)", t->topic, tr_mqtt_strerror(rc));
        free(t->payload);
        free(t->corr);
        t->payload = t->corr = NULL;
        p->tq_head = (p->tq_head + 1) % TRANSIENT_MAX;
        p->tq_count--;
    }
}

void tr_publisher_run(struct publisher *p, int64_t now_ms)
{
    if (tr_mqtt_is_connected(p->a->mqtt)) {
        run_outbox(p, now_ms);
        run_transient(p);
    }
    flush_acked(p);
}
