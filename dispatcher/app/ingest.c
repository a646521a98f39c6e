/*
 * dispatcher/app/ingest.c: the hand-off from paho's receive thread to the
 * worker thread.
 *
 * The tr_mqtt callbacks run on paho's thread and do no more than copy: a
 * received message (topic, payload, v5 response topic and correlation data)
 * goes into one allocation pushed on a bounded ring; a PUBACK cookie or a
 * failed delivery goes on a list; a connection change sets a flag. Each wakes
 * the worker when it sleeps. When the ring is full the callback waits for
 * room, which stalls paho's socket reads and so slows the broker down
 * (TCP back-pressure) rather than dropping anything; at shutdown it stops
 * waiting and drops.
 *
 * Wake-ups are batched: a wake-up costs a futex call on paho's thread and two
 * context switches on a 2-core machine shared with the broker, more than
 * handling a position. So the worker is woken at once for anything that is
 * not a position (job events, presence, requests, PUBACKs, connection
 * changes) and for the first message queued while it sleeps; positions alone
 * then let it sleep on until WAKE_BATCH of them are queued or the oldest has
 * waited LINGER_MS (tr_ingest_wait). A job transition never waits behind
 * positions: it ends the wait and is handled in the same batch.
 *
 * It does not parse, log per message, or touch SQLite or the engine.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

#define WAKE_BATCH 64 /* positions that end the worker's wait */
#define LINGER_MS  2  /* the longest a position waits for company */

/* A position (truckroll/v1/agent/{id}/loc): the only message that may wait. */
static bool is_position(const char *topic)
{
    size_t n = strlen(topic);
    return n >= 4 && memcmp(topic + n - 4, "/loc", 4) == 0;
}

/* Under q->mu: wake the worker if it sleeps, once (until it sleeps again). */
static void wake(struct ingest *q)
{
    if (q->worker_waiting) {
        q->worker_waiting = false;
        pthread_cond_signal(&q->wake);
    }
}

static int64_t realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tr_ingest_init(struct ingest *q, size_t cap)
{
    memset(q, 0, sizeof(*q));
    q->j.fd = -1;
    q->ring = calloc(cap, sizeof(*q->ring));
    if (!q->ring)
        return -1;
    q->cap = cap;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->wake, NULL);
    pthread_cond_init(&q->not_full, NULL);
    atomic_store(&q->stop, false);
    return 0;
}

void tr_ingest_destroy(struct ingest *q)
{
    if (!q->ring)
        return;
    for (size_t i = 0; i < q->count; i++)
        free(q->ring[(q->head + i) % q->cap]);
    free(q->ring);
    free(q->done);
    q->ring = NULL;
    q->done = NULL;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->wake);
    pthread_cond_destroy(&q->not_full);
}

struct inmsg *tr_inmsg_new(const char *topic, const void *payload, size_t len, const char *rt,
                           size_t rt_len, const void *corr, size_t corr_len)
{
    size_t tl = strlen(topic);
    size_t rl = rt ? rt_len : 0;
    size_t cl = corr ? corr_len : 0;
    struct inmsg *m = malloc(sizeof(*m) + tl + 1 + len + 1 + rl + 1 + cl);
    if (!m)
        return NULL;
    char *p = (char *)(m + 1);
    m->topic = p;
    memcpy(p, topic, tl + 1);
    p += tl + 1;
    m->payload = p;
    if (len)
        memcpy(p, payload, len);
    p[len] = '\0';
    m->len = len;
    p += len + 1;
    m->resp_topic = NULL;
    if (rt) {
        m->resp_topic = p;
        memcpy(p, rt, rl);
        p[rl] = '\0';
    }
    p += rl + 1;
    m->corr = NULL;
    m->corr_len = cl;
    if (cl) {
        m->corr = p;
        memcpy(p, corr, cl);
    }
    m->received_ms = realtime_ms();
    m->jseq = 0;
    return m;
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct app *a = user;
    struct ingest *q = &a->in;
    atomic_fetch_add(&a->n.received, 1);
    struct inmsg *m =
        tr_inmsg_new(topic, payload, len, props ? props->response_topic : NULL,
                     props ? props->response_topic_len : 0, props ? props->correlation : NULL,
                     props ? props->correlation_len : 0);
    if (!m) {
        tr_log_error("out of memory: a message on %s was dropped", topic);
        return;
    }
    pthread_mutex_lock(&q->mu);
    tr_journal_append(&q->j, m); /* before any wait: paho has acknowledged it */
    while (q->count == q->cap && !atomic_load(&q->stop)) {
        atomic_fetch_add(&a->n.queue_waits, 1);
        wake(q);
        pthread_cond_wait(&q->not_full, &q->mu);
    }
    if (q->count == q->cap) {
        pthread_mutex_unlock(&q->mu);
        free(m);
        return;
    }
    q->ring[(q->head + q->count) % q->cap] = m;
    if (q->count++ == 0)
        q->since_ms = m->received_ms;
    if (!is_position(topic))
        q->urgent = true;
    if (q->urgent || q->count == 1 || q->count >= WAKE_BATCH)
        wake(q);
    pthread_mutex_unlock(&q->mu);
}

void tr_ingest_wait(struct ingest *q, int64_t now_ms, int64_t until_ms)
{
    for (;;) {
        if (q->n_done > 0 || q->conn_events > 0 || q->urgent || q->count >= WAKE_BATCH)
            return;
        int64_t until = until_ms;
        if (q->count > 0 && q->since_ms + LINGER_MS < until)
            until = q->since_ms + LINGER_MS;
        if (now_ms >= until)
            return;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t wait = until - now_ms;
        ts.tv_sec += (time_t)(wait / 1000);
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        q->worker_waiting = true;
        (void)pthread_cond_timedwait(&q->wake, &q->mu, &ts);
        q->worker_waiting = false;
        /* woken by the first position: sleep on while it lingers; with
         * nothing queued (a stop, a timer), back to the caller */
        if (q->count == 0)
            return;
        now_ms = realtime_ms();
    }
}

size_t tr_ingest_take(struct ingest *q, struct inmsg **out, size_t max)
{
    size_t n = 0;
    while (n < max && q->count > 0) {
        out[n++] = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
        q->count--;
    }
    if (q->count == 0)
        q->urgent = false; /* else it stays set: the next turn does not wait */
    else
        q->since_ms = q->ring[q->head]->received_ms;
    if (n)
        pthread_cond_broadcast(&q->not_full);
    return n;
}

static void push_done(struct app *a, uint64_t v)
{
    struct ingest *q = &a->in;
    pthread_mutex_lock(&q->mu);
    if (q->n_done == q->cap_done) {
        size_t cap = q->cap_done ? q->cap_done * 2 : 256;
        uint64_t *d = realloc(q->done, cap * sizeof(*d));
        if (!d) {
            /* the row stays in the outbox and is sent again after a restart */
            pthread_mutex_unlock(&q->mu);
            return;
        }
        q->done = d;
        q->cap_done = cap;
    }
    q->done[q->n_done++] = v;
    wake(q);
    pthread_mutex_unlock(&q->mu);
}

static void on_delivered(void *user, uint64_t cookie)
{
    push_done(user, cookie & ~(UINT64_C(1) << 63));
}

static void on_undelivered(void *user, uint64_t cookie)
{
    push_done(user, cookie | (UINT64_C(1) << 63));
}

static void on_connection(void *user, int up, int session_present)
{
    struct app *a = user;
    struct ingest *q = &a->in;
    if (up)
        tr_log_info("connected to %s:%d (MQTT %s, session %s)", a->set.broker_host,
                    a->set.broker_port, tr_mqtt_protocol_version(a->mqtt) == 5 ? "v5" : "3.1.1",
                    session_present ? "resumed" : "new");
    else
        tr_log_warn("connection to the broker lost; reconnecting");
    pthread_mutex_lock(&q->mu);
    q->conn_events++;
    q->reconnected = q->reconnected || up;
    if (up && !session_present)
        q->session_lost = true;
    wake(q);
    pthread_mutex_unlock(&q->mu);
}

const struct tr_mqtt_callbacks tr_ingest_callbacks = {
    .on_message = on_message,
    .on_delivered = on_delivered,
    .on_undelivered = on_undelivered,
    .on_connection = on_connection,
};
