/*
 * fieldagent/sim/simagent_io.c: the simulated agents' MQTT side, as in the
 * real agent (fieldagent/app/agent_io.c): paho's thread only appends to the
 * run's queue; on the loop's thread PUBACKs delete outbox items, a lost
 * connection or a reconnect without a session puts every unacknowledged
 * item back (the outbox, not paho, is the source of truth), presence is
 * retained with a last will, and the pump moves outbox items to
 * tr_mqtt_publish within a window of unacknowledged messages (the pump's
 * logic is fieldagent/bus/pump.c, shared with truckroll-agent).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "fieldagent/sim/simagent_int.h"

/* ------------------------------------------------------------ the queue */

int tr_sim_queue_init(struct tr_sim_queue *q)
{
    memset(q, 0, sizeof *q);
    return tr_pump_wake_init(&q->pipe_rd, &q->pipe_wr, &q->mu);
}

void tr_sim_ev_clear(struct tr_sim_ev *e)
{
    free(e->topic);
    free(e->payload);
    e->topic = e->payload = NULL;
}

void tr_sim_queue_destroy(struct tr_sim_queue *q)
{
    if (q->pipe_rd < 0)
        return;
    for (size_t i = 0; i < q->n; i++)
        tr_sim_ev_clear(&q->ev[i]);
    free(q->ev);
    close(q->pipe_rd);
    close(q->pipe_wr);
    q->pipe_rd = q->pipe_wr = -1;
    pthread_mutex_destroy(&q->mu);
}

size_t tr_sim_queue_take(struct tr_sim_queue *q, struct tr_sim_ev **out)
{
    char sink[256];
    size_t n;
    while (read(q->pipe_rd, sink, sizeof sink) > 0) {
    }
    pthread_mutex_lock(&q->mu);
    *out = q->ev;
    n = q->n;
    q->ev = NULL;
    q->n = q->cap = 0;
    pthread_mutex_unlock(&q->mu);
    return n;
}

static void push(struct tr_sim_queue *q, struct tr_sim_ev *e)
{
    bool wake;
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 256;
        struct tr_sim_ev *ne = realloc(q->ev, nc * sizeof *ne);
        if (!ne) {
            q->dropped++;
            pthread_mutex_unlock(&q->mu);
            tr_sim_ev_clear(e);
            return;
        }
        q->ev = ne;
        q->cap = nc;
    }
    q->ev[q->n++] = *e;
    wake = q->n == 1;
    pthread_mutex_unlock(&q->mu);
    if (wake)
        (void)!write(q->pipe_wr, "x", 1); /* EAGAIN: a wakeup is pending anyway */
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct tr_sim_agent *a = user;
    struct tr_sim_ev e = { .agent = a->index, .kind = TR_SIM_EV_MESSAGE, .len = len };
    (void)props;
    if (tr_pump_copy_msg(topic, payload, len, &e.topic, &e.payload) != 0) {
        pthread_mutex_lock(&a->q->mu);
        a->q->dropped++;
        pthread_mutex_unlock(&a->q->mu);
        return;
    }
    push(a->q, &e);
}

static void on_delivered(void *user, uint64_t cookie)
{
    struct tr_sim_agent *a = user;
    struct tr_sim_ev e = { .agent = a->index, .kind = TR_SIM_EV_DELIVERED, .cookie = cookie };
    push(a->q, &e);
}

static void on_undelivered(void *user, uint64_t cookie)
{
    struct tr_sim_agent *a = user;
    struct tr_sim_ev e = { .agent = a->index, .kind = TR_SIM_EV_UNDELIVERED, .cookie = cookie };
    push(a->q, &e);
}

static void on_connection(void *user, int up, int session_present)
{
    struct tr_sim_agent *a = user;
    struct tr_sim_ev e = {
        .agent = a->index, .kind = TR_SIM_EV_CONN, .up = up, .session_present = session_present
    };
    push(a->q, &e);
}

/* ------------------------------------------------------------ messages */

void sim_msgid(struct tr_sim_agent *a, char out[TR_MSG_ID_SIZE], char kind)
{
    tr_pump_msgid(out, a->boot_id, kind, &a->msg_counter);
}

enum tr_agent_mode sim_mode(const struct tr_sim_agent *a)
{
    return tr_jobs_mode(&a->jobs, a->on_shift);
}

static int presence_encode(struct tr_sim_agent *a, bool online, enum tr_presence_reason reason,
                           int64_t now, char *buf, size_t cap, size_t *len)
{
    struct tr_msg m;
    struct tr_pump_presence pr = {
        .agent_id = a->m.id,
        .boot_id = a->boot_id,
        .version = TR_VERSION "-sim",
        .online = online,
        .reason = reason,
        .available = true,
        .on_shift = a->on_shift,
        .mode = sim_mode(a),
        .active_jobs = (int)a->jobs.n_jobs,
    };
    tr_pump_presence_msg(&m, &pr);
    sim_msgid(a, m.id, 'p');
    m.ts = now;
    return tr_msg_encode_buf(&m, buf, cap, len, NULL);
}

int sim_mqtt_start(struct tr_sim_agent *a, const char *password)
{
    char will[512];
    size_t will_len = 0;
    int err = 0;
    int64_t now = 0; /* the will's ts is refreshed by nothing: the broker sends it as is */

    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    if (presence_encode(a, false, TR_PRESENCE_WILL, now, will, sizeof will, &will_len) !=
        TR_MSG_OK) {
        tr_log_error("%s: cannot encode the last will", a->m.id);
        return -1;
    }
    struct tr_mqtt_options mo = {
        .host = a->o->host,
        .port = a->o->port,
        .client_id = a->m.id,
        .username = a->m.id,
        .password = password && password[0] ? password : NULL,
        .tls = a->o->tls,
        .ca_file = a->o->ca_file,
        .keepalive_s = a->o->keepalive_s,
        .reconnect_max_ms = 10000,
    };
    tr_pump_mqtt_will(&mo, tr_bus_topic(&a->bus, TR_BUS_STATE), will, will_len);
    struct tr_mqtt_callbacks cb = { on_message, on_delivered, on_undelivered, on_connection };
    a->mq = tr_mqtt_new(&mo, &cb, a, &err);
    if (!a->mq) {
        tr_log_error("%s: mqtt: %s", a->m.id, tr_mqtt_strerror(err));
        return -1;
    }
    tr_mqtt_subscribe(a->mq, tr_bus_topic(&a->bus, TR_BUS_INBOX), 1);
    if ((err = tr_mqtt_connect(a->mq)) != TR_MQTT_OK) {
        tr_log_error("%s: mqtt: %s", a->m.id, tr_mqtt_strerror(err));
        return -1;
    }
    return 0;
}

int sim_store_event(struct tr_sim_agent *a, struct tr_msg *m, int64_t now)
{
    char buf[4096];
    size_t len;
    struct tr_msg_error e;

    sim_msgid(a, m->id, 'e');
    m->ts = now;
    if (tr_msg_encode_buf(m, buf, sizeof buf, &len, &e) != TR_MSG_OK) {
        tr_log_warn("%s: cannot encode %s: %s at %s", a->m.id, tr_msg_type_name(m->type), e.reason,
                    e.field);
        return -1;
    }
    if (tr_outbox_put_event(a->ob, tr_bus_topic(&a->bus, TR_BUS_EVENT), buf, len, NULL) !=
        TR_OUTBOX_OK) {
        a->st.outbox_errors++;
        tr_log_error("%s: outbox: event not stored: %s", a->m.id, tr_outbox_last_error(a->ob));
        return -1;
    }
    a->p.pump = true;
    return 0;
}

/* ------------------------------------------------------------ events */

void tr_sim_agent_handle(struct tr_sim_agent *a, const struct tr_sim_ev *e, int64_t now)
{
    switch (e->kind) {
    case TR_SIM_EV_MESSAGE:
        sim_on_inbox(a, e->topic, e->payload, e->len, now);
        break;
    case TR_SIM_EV_DELIVERED:
        tr_pump_delivered(&a->p, a->ob, e->cookie);
        break;
    case TR_SIM_EV_UNDELIVERED:
        if (tr_pump_undelivered(&a->p, e->cookie) != TR_PUMP_ITEM)
            a->presence_dirty = true;
        break;
    case TR_SIM_EV_CONN:
        if (e->up) {
            a->presence_dirty = true; /* replace the will's retained copy */
            tr_log_debug("%s: connected (session %s)", a->m.id,
                         e->session_present ? "resumed" : "new");
        } else if (a->p.connected && !a->p.stopping) {
            tr_log_warn("%s: lost the broker connection: %s", a->m.id,
                        tr_mqtt_strerror(tr_mqtt_last_error(a->mq)));
        }
        tr_pump_connection(&a->p, e->up, e->session_present);
        break;
    }
}

/* ------------------------------------------------------------ the pump */

void sim_pump(struct tr_sim_agent *a, int64_t now)
{
    tr_pump_run(&a->p, a->ob, a->mq, now);
}

/* ------------------------------------------------------------ presence */

void sim_presence_maybe(struct tr_sim_agent *a, int64_t now)
{
    char buf[512];
    size_t len;
    struct tr_mqtt_pub pub = { .qos = 1, .retain = 1, .cookie = TR_PUMP_COOKIE_PRESENCE };
    enum tr_agent_mode mode = sim_mode(a);

    if (!a->pres_valid || a->pres_on_shift != a->on_shift || a->pres_mode != mode ||
        a->pres_jobs != (int)a->jobs.n_jobs)
        a->presence_dirty = true;
    if (!a->p.connected || a->p.stopping || (!a->presence_dirty && now < a->presence_next_ms))
        return;
    if (presence_encode(a, true, TR_PRESENCE_SHUTDOWN, now, buf, sizeof buf, &len) != TR_MSG_OK)
        return;
    if (tr_mqtt_publish(a->mq, tr_bus_topic(&a->bus, TR_BUS_STATE), buf, len, &pub) != TR_MQTT_OK)
        return; /* stays dirty */
    a->st.presence_sent++;
    a->presence_dirty = false;
    a->pres_valid = true;
    a->pres_on_shift = a->on_shift;
    a->pres_mode = mode;
    a->pres_jobs = (int)a->jobs.n_jobs;
    a->presence_next_ms = now + (int64_t)a->presence_heartbeat_s * 1000;
}

void tr_sim_agent_stop(struct tr_sim_agent *a)
{
    char buf[512];
    size_t len;
    struct tr_mqtt_pub pub = { .qos = 1, .retain = 1, .cookie = TR_PUMP_COOKIE_SHUTDOWN };
    struct timespec ts;

    if (!a || a->p.stopping)
        return;
    a->p.stopping = true;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (!a->mq || !a->p.connected ||
        presence_encode(a, false, TR_PRESENCE_SHUTDOWN,
                        (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, buf, sizeof buf,
                        &len) != TR_MSG_OK ||
        tr_mqtt_publish(a->mq, tr_bus_topic(&a->bus, TR_BUS_STATE), buf, len, &pub) != TR_MQTT_OK)
        a->p.shutdown_acked = true; /* nothing to wait for */
}

bool tr_sim_agent_stopped(const struct tr_sim_agent *a)
{
    return !a || a->p.shutdown_acked || !a->p.connected;
}

void tr_sim_agent_commit(struct tr_sim_agent *a)
{
    if (a && a->ob && tr_outbox_commit(a->ob) != TR_OUTBOX_OK)
        a->st.outbox_errors++;
}
