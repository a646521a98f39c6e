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
 * It does not parse, log per message, or touch SQLite or the engine.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "dispatcher/app/app.h"

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
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    m->received_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
        if (q->worker_waiting)
            pthread_cond_signal(&q->wake);
        pthread_cond_wait(&q->not_full, &q->mu);
    }
    if (q->count == q->cap) {
        pthread_mutex_unlock(&q->mu);
        free(m);
        return;
    }
    q->ring[(q->head + q->count) % q->cap] = m;
    q->count++;
    if (q->worker_waiting)
        pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
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
    if (q->worker_waiting)
        pthread_cond_signal(&q->wake);
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
    if (up && !session_present)
        q->session_lost = true;
    if (q->worker_waiting)
        pthread_cond_signal(&q->wake);
    pthread_mutex_unlock(&q->mu);
}

const struct tr_mqtt_callbacks tr_ingest_callbacks = {
    .on_message = on_message,
    .on_delivered = on_delivered,
    .on_undelivered = on_undelivered,
    .on_connection = on_connection,
};
