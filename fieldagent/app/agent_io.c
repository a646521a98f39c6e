/*
 * fieldagent/app/agent_io.c: the agent's MQTT side.
 *
 * paho's thread runs the callbacks below; they only copy what arrived into
 * struct agent_queue (a small locked ring) and write one byte to a pipe the
 * loop polls. They run under paho's own lock, so they never wait for the
 * loop (which publishes through that lock): a flood of inbox messages past
 * AGENT_QUEUE_MSGS is dropped and counted, and the ring grows instead for
 * the PUBACKs and connection changes, which must not be lost. Everything
 * else happens on the loop's thread: inbox messages, PUBACKs
 * (-> tr_outbox_ack), connection changes (-> tr_outbox_requeue_all: the
 * outbox, not paho, is the source of truth), presence, and the pump that
 * moves outbox items to tr_mqtt_publish within a window of unacked
 * messages (the pump's logic is fieldagent/bus/pump.c, shared with
 * truckroll-sim).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "fieldagent/app/agent.h"

int agent_queue_init(struct agent_queue *q)
{
    memset(q, 0, sizeof *q);
    q->pipe_rd = q->pipe_wr = -1;
    q->cap = AGENT_QUEUE_MSGS + 32;
    if (!(q->ev = calloc(q->cap, sizeof *q->ev)))
        return -1;
    if (tr_pump_wake_init(&q->pipe_rd, &q->pipe_wr, &q->mu) != 0) {
        free(q->ev);
        q->ev = NULL;
        return -1;
    }
    return 0;
}

void agent_queue_destroy(struct agent_queue *q)
{
    if (q->pipe_rd < 0)
        return;
    for (size_t i = 0; i < q->n; i++) {
        struct agent_ev *e = &q->ev[(q->head + i) % q->cap];
        free(e->topic);
        free(e->payload);
    }
    free(q->ev);
    q->ev = NULL;
    close(q->pipe_rd);
    close(q->pipe_wr);
    q->pipe_rd = q->pipe_wr = -1;
    pthread_mutex_destroy(&q->mu);
}

/* Double the ring, its events in order from index 0. Under q->mu. */
static bool grow(struct agent_queue *q)
{
    size_t cap = q->cap * 2;
    struct agent_ev *ev = malloc(cap * sizeof *ev);
    if (!ev)
        return false;
    for (size_t i = 0; i < q->n; i++)
        ev[i] = q->ev[(q->head + i) % q->cap];
    free(q->ev);
    q->ev = ev;
    q->cap = cap;
    q->head = 0;
    return true;
}

static void push(struct agent_queue *q, struct agent_ev *e)
{
    bool msg = e->kind == AGENT_EV_MESSAGE;
    pthread_mutex_lock(&q->mu);
    if ((msg && q->n_msgs >= AGENT_QUEUE_MSGS) || (q->n == q->cap && !grow(q))) {
        q->dropped++;
        pthread_mutex_unlock(&q->mu);
        free(e->topic);
        free(e->payload);
        return;
    }
    q->ev[(q->head + q->n) % q->cap] = *e;
    q->n++;
    q->n_msgs += msg;
    pthread_mutex_unlock(&q->mu);
    (void)!write(q->pipe_wr, "x", 1); /* EAGAIN: a wakeup is pending anyway */
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct agent *a = user;
    struct agent_ev e = { .kind = AGENT_EV_MESSAGE, .len = len };
    (void)props;
    if (tr_pump_copy_msg(topic, payload, len, &e.topic, &e.payload) != 0) {
        pthread_mutex_lock(&a->q.mu);
        a->q.dropped++;
        pthread_mutex_unlock(&a->q.mu);
        return;
    }
    push(&a->q, &e);
}

static void on_delivered(void *user, uint64_t cookie)
{
    struct agent *a = user;
    struct agent_ev e = { .kind = AGENT_EV_DELIVERED, .cookie = cookie };
    push(&a->q, &e);
}

static void on_undelivered(void *user, uint64_t cookie)
{
    struct agent *a = user;
    struct agent_ev e = { .kind = AGENT_EV_UNDELIVERED, .cookie = cookie };
    push(&a->q, &e);
}

static void on_connection(void *user, int up, int session_present)
{
    struct agent *a = user;
    struct agent_ev e = { .kind = AGENT_EV_CONN, .up = up, .session_present = session_present };
    push(&a->q, &e);
}

void agent_msgid(struct agent *a, char out[TR_MSG_ID_SIZE], char kind)
{
    tr_pump_msgid(out, a->boot_id, kind, &a->msg_counter);
}

enum tr_agent_mode agent_mode(const struct agent *a)
{
    return tr_jobs_mode(&a->jobs, a->on_shift);
}

static int presence_encode(struct agent *a, bool online, enum tr_presence_reason reason, char *buf,
                           size_t cap, size_t *len)
{
    struct tr_msg m;
    struct tr_pump_presence pr = {
        .agent_id = a->s.agent_id,
        .boot_id = a->boot_id,
        .version = TR_VERSION,
        .online = online,
        .reason = reason,
        .available = a->available,
        .on_shift = a->on_shift,
        .mode = agent_mode(a),
        .active_jobs = (int)a->jobs.n_jobs,
    };
    tr_pump_presence_msg(&m, &pr);
    agent_msgid(a, m.id, 'p');
    m.ts = agent_now_ms();
    return tr_msg_encode_buf(&m, buf, cap, len, NULL);
}

static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f;
    out[0] = '\0';
    if (!path[0])
        return 0;
    if (!(f = fopen(path, "r")))
        return -1;
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

int agent_mqtt_start(struct agent *a)
{
    char will[512], password[256];
    size_t will_len = 0;
    int err = 0;

    if (read_password(a->s.broker_password_file, password, sizeof password) != 0) {
        tr_log_error("broker.password_file %s: cannot read it", a->s.broker_password_file);
        return -1;
    }
    if (presence_encode(a, false, TR_PRESENCE_WILL, will, sizeof will, &will_len) != TR_MSG_OK) {
        tr_log_error("cannot encode the last will");
        return -1;
    }
    struct tr_mqtt_options o = {
        .host = a->s.broker_host,
        .port = a->s.broker_port,
        .client_id = a->s.agent_id,
        .username = a->s.broker_user[0] ? a->s.broker_user : a->s.agent_id,
        .password = password[0] ? password : NULL,
        .tls = a->s.broker_tls,
        .ca_file = a->s.broker_ca_file[0] ? a->s.broker_ca_file : NULL,
        .keepalive_s = a->s.broker_keepalive_s,
        .reconnect_max_ms = a->s.broker_reconnect_max_s * 1000,
    };
    tr_pump_mqtt_will(&o, tr_bus_topic(&a->bus, TR_BUS_STATE), will, will_len);
    struct tr_mqtt_callbacks cb = { on_message, on_delivered, on_undelivered, on_connection };
    a->mq = tr_mqtt_new(&o, &cb, a, &err);
    memset(password, 0, sizeof password);
    if (!a->mq) {
        tr_log_error("mqtt: %s", tr_mqtt_strerror(err));
        return -1;
    }
    tr_mqtt_subscribe(a->mq, tr_bus_topic(&a->bus, TR_BUS_INBOX), 1);
    if ((err = tr_mqtt_connect(a->mq)) != TR_MQTT_OK) {
        tr_log_error("mqtt: %s", tr_mqtt_strerror(err));
        return -1;
    }
    tr_log_info("connecting to %s:%d as %s", a->s.broker_host, a->s.broker_port, o.username);
    return 0;
}

static void handle_event(struct agent *a, struct agent_ev *e)
{
    switch (e->kind) {
    case AGENT_EV_MESSAGE:
        agent_on_inbox(a, e->topic, e->payload, e->len);
        break;
    case AGENT_EV_DELIVERED:
        tr_pump_delivered(&a->p, a->ob, e->cookie);
        break;
    case AGENT_EV_UNDELIVERED:
        if (tr_pump_undelivered(&a->p, e->cookie) != TR_PUMP_ITEM)
            a->presence_dirty = true;
        break;
    case AGENT_EV_CONN:
        if (e->up) {
            a->presence_dirty = true; /* replace the will's retained copy */
            tr_log_info("connected to the broker (session %s)",
                        e->session_present ? "resumed" : "new");
        } else if (a->p.connected) {
            tr_log_warn("lost the broker connection: %s",
                        tr_mqtt_strerror(tr_mqtt_last_error(a->mq)));
        }
        tr_pump_connection(&a->p, e->up, e->session_present);
        break;
    }
}

void agent_drain_queue(struct agent *a)
{
    char sink[64];
    struct agent_ev batch[32];
    size_t n;
    uint64_t dropped;

    while (read(a->q.pipe_rd, sink, sizeof sink) > 0) {
    }
    do {
        pthread_mutex_lock(&a->q.mu);
        n = a->q.n < 32 ? a->q.n : 32;
        for (size_t i = 0; i < n; i++) {
            batch[i] = a->q.ev[(a->q.head + i) % a->q.cap];
            a->q.n_msgs -= batch[i].kind == AGENT_EV_MESSAGE;
        }
        a->q.head = (a->q.head + n) % a->q.cap;
        a->q.n -= n;
        dropped = a->q.dropped;
        pthread_mutex_unlock(&a->q.mu);
        for (size_t i = 0; i < n; i++) {
            handle_event(a, &batch[i]);
            free(batch[i].topic);
            free(batch[i].payload);
        }
    } while (n == 32);
    int64_t now = agent_now_ms(); /* say so at most every 10 s */
    if (dropped != a->q.dropped_seen &&
        (now - a->q.dropped_said_ms >= 10000 || now < a->q.dropped_said_ms)) {
        a->q.dropped_said_ms = now;
        tr_log_warn("inbox: %llu message(s) dropped: over %d waiting at once (a flood?)",
                    (unsigned long long)(dropped - a->q.dropped_seen), AGENT_QUEUE_MSGS);
        a->q.dropped_seen = dropped;
    }
}

void agent_pump(struct agent *a)
{
    tr_pump_run(&a->p, a->ob, a->mq, agent_now_ms());
}

static bool presence_changed(const struct agent *a)
{
    return !a->pres_sent_valid || a->pres_available != a->available ||
           a->pres_on_shift != a->on_shift || a->pres_mode != agent_mode(a) ||
           a->pres_jobs != (int)a->jobs.n_jobs;
}

void agent_presence_maybe(struct agent *a, int64_t now)
{
    char buf[512];
    size_t len;
    struct tr_mqtt_pub pub = { .qos = 1, .retain = 1, .cookie = TR_PUMP_COOKIE_PRESENCE };

    if (presence_changed(a))
        a->presence_dirty = true;
    if (a->presence_next_ms - now > (int64_t)a->presence_heartbeat_s * 1000)
        a->presence_next_ms = now; /* the clock went back: do not wait that long */
    if (!a->p.connected || (!a->presence_dirty && now < a->presence_next_ms))
        return;
    if (presence_encode(a, true, TR_PRESENCE_SHUTDOWN, buf, sizeof buf, &len) != TR_MSG_OK)
        return;
    if (tr_mqtt_publish(a->mq, tr_bus_topic(&a->bus, TR_BUS_STATE), buf, len, &pub) != TR_MQTT_OK)
        return; /* stays dirty: retried on the next turn */
    a->c.presence_sent++;
    a->presence_dirty = false;
    a->pres_sent_valid = true;
    a->pres_available = a->available;
    a->pres_on_shift = a->on_shift;
    a->pres_mode = agent_mode(a);
    a->pres_jobs = (int)a->jobs.n_jobs;
    a->presence_next_ms = now + (int64_t)a->presence_heartbeat_s * 1000;
    tr_log_debug("presence: %s, %s, %s, %d job(s)", a->available ? "available" : "unavailable",
                 a->on_shift ? "on shift" : "off shift", tr_msg_agent_mode_name(a->pres_mode),
                 a->pres_jobs);
}

void agent_mqtt_stop(struct agent *a)
{
    char buf[512];
    size_t len;
    struct tr_mqtt_pub pub = { .qos = 1, .retain = 1, .cookie = TR_PUMP_COOKIE_SHUTDOWN };

    if (!a->mq)
        return;
    if (a->p.connected &&
        presence_encode(a, false, TR_PRESENCE_SHUTDOWN, buf, sizeof buf, &len) == TR_MSG_OK &&
        tr_mqtt_publish(a->mq, tr_bus_topic(&a->bus, TR_BUS_STATE), buf, len, &pub) == TR_MQTT_OK) {
        /* wait (bounded) for its PUBACK, handling what else arrives */
        for (int i = 0; i < 300 && !a->p.shutdown_acked && a->p.connected; i++) {
            struct pollfd p = { .fd = a->q.pipe_rd, .events = POLLIN };
            poll(&p, 1, 10);
            agent_drain_queue(a);
        }
    }
    tr_mqtt_free(a->mq);
    a->mq = NULL;
    agent_drain_queue(a); /* acks that came in meanwhile */
}
