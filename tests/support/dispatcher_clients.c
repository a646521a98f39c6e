/*
 * tests/support/dispatcher_clients.c: the fake agents and consoles of
 * dispatcher_harness.h. Each is one tr_mqtt session; what arrives is decoded
 * with the real codec and kept under a mutex for the test's thread.
 */
#include "tests/support/dispatcher_harness.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/ids.h"
#include "common/mqtt.h"

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct box {
    struct tr_msg m;
    bool taken;
};

struct inbox {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct box *b;
    size_t n, cap;
};

static void inbox_init(struct inbox *in)
{
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->cv, NULL);
}

static void inbox_free(struct inbox *in)
{
    for (size_t i = 0; i < in->n; i++)
        tr_msg_free(&in->b[i].m);
    free(in->b);
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->cv);
}

static void inbox_add(struct inbox *in, const void *payload, size_t len)
{
    struct tr_msg m;
    if (tr_msg_decode(payload, len, &m, NULL) != TR_MSG_OK)
        return;
    pthread_mutex_lock(&in->mu);
    if (in->n == in->cap) {
        size_t cap = in->cap ? in->cap * 2 : 16;
        struct box *b = realloc(in->b, cap * sizeof(*b));
        if (!b) {
            pthread_mutex_unlock(&in->mu);
            tr_msg_free(&m);
            return;
        }
        in->b = b;
        in->cap = cap;
    }
    in->b[in->n].m = m;
    in->b[in->n].taken = false;
    in->n++;
    pthread_cond_broadcast(&in->cv);
    pthread_mutex_unlock(&in->mu);
}

static const char *job_of(const struct tr_msg *m)
{
    switch (m->type) {
    case TR_MSG_OFFER:
        return m->u.offer.job_id;
    case TR_MSG_ASSIGNMENT:
        return m->u.assignment.job_id;
    case TR_MSG_CANCELLATION:
        return m->u.cancellation.job_id;
    case TR_MSG_RESPONSE:
        return m->u.response.corr;
    case TR_MSG_ERROR:
        return m->u.error.corr;
    default:
        return "";
    }
}

static bool matches(const struct tr_msg *m, enum tr_msg_type type, const char *key)
{
    if (type != TR_MSG_NONE && m->type != type)
        return false;
    return !key || strcmp(job_of(m), key) == 0;
}

/* Wait for an untaken message of type (any type when TR_MSG_NONE) whose job
 * (or corr) is key. */
static int inbox_wait(struct inbox *in, enum tr_msg_type type, const char *key, struct tr_msg *out,
                      int timeout_ms)
{
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += timeout_ms / 1000;
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&in->mu);
    for (;;) {
        for (size_t i = 0; i < in->n; i++) {
            struct box *b = &in->b[i];
            if (b->taken || !matches(&b->m, type, key))
                continue;
            b->taken = true;
            if (out) {
                *out = b->m; /* the heap parts move to the caller */
                if (b->m.type == TR_MSG_RESPONSE)
                    memset(&b->m.u.response.result, 0, sizeof(b->m.u.response.result));
            }
            pthread_mutex_unlock(&in->mu);
            return 0;
        }
        if (pthread_cond_timedwait(&in->cv, &in->mu, &dl) != 0) {
            pthread_mutex_unlock(&in->mu);
            return -1;
        }
    }
}

static int publish_retry(struct tr_mqtt *m, const char *topic, const void *p, size_t len,
                         const struct tr_mqtt_pub *pub)
{
    for (int i = 0; i < 2500; i++) {
        int rc = tr_mqtt_publish(m, topic, p, len, pub);
        if (rc != TR_MQTT_ERR_BUSY && rc != TR_MQTT_ERR_NOT_CONNECTED)
            return rc;
        trt_sleep_ms(2);
    }
    return TR_MQTT_ERR_TIMEOUT;
}

/* ------------------------------------------------------------ agents */

struct trd_agent {
    char id[TR_MSG_ID_SIZE];
    char boot[33];
    uint64_t msgno;
    int64_t seq, last_t;
    struct tr_mqtt *m;
    struct inbox in;
};

static void agent_message(void *user, const char *topic, const void *payload, size_t len,
                          const struct tr_mqtt_msg_props *props)
{
    struct trd_agent *ag = user;
    (void)topic;
    (void)props;
    inbox_add(&ag->in, payload, len);
}

/* Create and start connecting (paho connects in the background). */
static struct trd_agent *agent_begin(struct trd *d, const char *id)
{
    struct trd_agent *ag = calloc(1, sizeof(*ag));
    char topic[128];
    int rc;
    if (!ag)
        return NULL;
    snprintf(ag->id, sizeof(ag->id), "%s", id);
    tr_ids_boot_id(ag->boot);
    inbox_init(&ag->in);
    struct tr_mqtt_options mo = {
        .host = "127.0.0.1", .port = d->broker.port, .client_id = ag->id, .username = ag->id
    };
    struct tr_mqtt_callbacks cb = { .on_message = agent_message };
    ag->m = tr_mqtt_new(&mo, &cb, ag, &rc);
    if (!ag->m) {
        inbox_free(&ag->in);
        free(ag);
        return NULL;
    }
    snprintf(topic, sizeof(topic), "truckroll/v1/agent/%s/inbox", ag->id);
    tr_mqtt_subscribe(ag->m, topic, 1);
    tr_mqtt_connect(ag->m);
    return ag;
}

static int agent_finish(struct trd_agent *ag)
{
    return tr_mqtt_wait_connected(ag->m, 15000) == TR_MQTT_OK &&
                   tr_mqtt_wait_subscribed(ag->m, 15000) == TR_MQTT_OK
               ? 0
               : -1;
}

struct trd_agent *trd_agent_new(struct trd *d, const char *id)
{
    struct trd_agent *ag = agent_begin(d, id);
    if (ag && agent_finish(ag) != 0) {
        trd_agent_free(ag);
        return NULL;
    }
    return ag;
}

int trd_agents_new(struct trd *d, const char *const *ids, size_t n, struct trd_agent **out)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        out[i] = agent_begin(d, ids[i]);
    for (size_t i = 0; i < n; i++) {
        if (out[i] && agent_finish(out[i]) != 0) {
            trd_agent_free(out[i]);
            out[i] = NULL;
        }
        if (!out[i])
            rc = -1;
    }
    return rc;
}

void trd_agent_free(struct trd_agent *ag)
{
    if (!ag)
        return;
    tr_mqtt_free(ag->m);
    inbox_free(&ag->in);
    free(ag);
}

const char *trd_agent_id(const struct trd_agent *ag)
{
    return ag->id;
}

const char *trd_agent_boot(const struct trd_agent *ag)
{
    return ag->boot;
}

void trd_agent_msgid(struct trd_agent *ag, char out[TR_MSG_ID_SIZE])
{
    char prefix[48];
    snprintf(prefix, sizeof(prefix), "%.30s-%.8s", ag->id, ag->boot);
    tr_ids_msgid(out, prefix, ++ag->msgno);
}

int trd_agent_raw(struct trd_agent *ag, const char *topic_agent, const char *leaf,
                  const void *payload, size_t len)
{
    char topic[160];
    struct tr_mqtt_pub pub = { .qos = 1 };
    snprintf(topic, sizeof(topic), "truckroll/v1/agent/%s/%s", topic_agent, leaf);
    return publish_retry(ag->m, topic, payload, len, &pub);
}

int trd_agent_send(struct trd_agent *ag, const char *leaf, struct tr_msg *m)
{
    char *json = NULL;
    size_t len = 0;
    struct tr_msg_error err;
    if (!m->id[0])
        trd_agent_msgid(ag, m->id);
    if (!m->ts)
        m->ts = wall_ms();
    if (tr_msg_encode(m, &json, &len, &err) != TR_MSG_OK) {
        fprintf(stderr, "trd: cannot encode %s: %s: %s\n", tr_msg_type_name(m->type), err.field,
                err.reason);
        return -1;
    }
    char topic[160];
    struct tr_mqtt_pub pub = { .qos = 1, .retain = m->type == TR_MSG_PRESENCE };
    snprintf(topic, sizeof(topic), "truckroll/v1/agent/%s/%s", ag->id, leaf);
    int rc = publish_retry(ag->m, topic, json, len, &pub);
    free(json);
    return rc == TR_MQTT_OK ? 0 : -1;
}

int trd_agent_presence(struct trd_agent *ag, bool online, bool available)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_PRESENCE);
    struct tr_presence *p = &m.u.presence;
    snprintf(p->agent_id, sizeof(p->agent_id), "%s", ag->id);
    snprintf(p->boot_id, sizeof(p->boot_id), "%s", ag->boot);
    p->online = online;
    if (online) {
        p->has_available = p->has_on_shift = p->has_mode = p->has_active_jobs = true;
        p->available = available;
        p->on_shift = true;
        p->mode = TR_MODE_IDLE;
    } else {
        p->has_reason = true;
        p->reason = TR_PRESENCE_WILL;
    }
    return trd_agent_send(ag, "state", &m);
}

int trd_agent_fix(struct trd_agent *ag, double lat, double lon)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_LOC);
    struct tr_loc *l = &m.u.loc;
    snprintf(l->agent_id, sizeof(l->agent_id), "%s", ag->id);
    snprintf(l->boot_id, sizeof(l->boot_id), "%s", ag->boot);
    l->n_fixes = 1;
    int64_t t = wall_ms();
    if (t <= ag->last_t)
        t = ag->last_t + 1;
    ag->last_t = t;
    l->fixes[0] = (struct tr_fix){ .seq = ++ag->seq, .t = t, .lat = lat, .lon = lon, .mode = 3 };
    return trd_agent_send(ag, "loc", &m);
}

int trd_agent_answer(struct trd_agent *ag, const char *job_id, const char *offer_id, bool accept,
                     enum tr_decline_reason why)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_OFFER_ANSWER);
    struct tr_offer_answer *a = &m.u.offer_answer;
    snprintf(a->agent_id, sizeof(a->agent_id), "%s", ag->id);
    snprintf(a->job_id, sizeof(a->job_id), "%s", job_id);
    snprintf(a->offer_id, sizeof(a->offer_id), "%s", offer_id);
    a->answer = accept ? TR_ANSWER_ACCEPT : TR_ANSWER_DECLINE;
    if (!accept) {
        a->has_reason = true;
        a->reason = why;
    }
    return trd_agent_send(ag, "event", &m);
}

int trd_agent_event(struct trd_agent *ag, const char *job_id, enum tr_event_kind ev,
                    const char *note)
{
    struct tr_msg m;
    tr_msg_init(&m, TR_MSG_JOB_EVENT);
    struct tr_job_event *e = &m.u.job_event;
    snprintf(e->agent_id, sizeof(e->agent_id), "%s", ag->id);
    snprintf(e->job_id, sizeof(e->job_id), "%s", job_id);
    e->event = ev;
    if (note) {
        e->has_note = true;
        snprintf(e->note, sizeof(e->note), "%s", note);
    }
    return trd_agent_send(ag, "event", &m);
}

int trd_agent_wait(struct trd_agent *ag, enum tr_msg_type type, const char *job_id,
                   struct tr_msg *out, int timeout_ms)
{
    return inbox_wait(&ag->in, type, job_id, out, timeout_ms);
}

int trd_agent_count(struct trd_agent *ag, enum tr_msg_type type, const char *job_id)
{
    int n = 0;
    pthread_mutex_lock(&ag->in.mu);
    for (size_t i = 0; i < ag->in.n; i++)
        n += ag->in.b[i].m.type == type && (!job_id || strcmp(job_of(&ag->in.b[i].m), job_id) == 0);
    pthread_mutex_unlock(&ag->in.mu);
    return n;
}

int trd_agent_drain(struct trd_agent *ag, enum tr_msg_type type)
{
    int n = 0;
    pthread_mutex_lock(&ag->in.mu);
    for (size_t i = 0; i < ag->in.n; i++) {
        if (!ag->in.b[i].taken && ag->in.b[i].m.type == type) {
            ag->in.b[i].taken = true;
            n++;
        }
    }
    pthread_mutex_unlock(&ag->in.mu);
    return n;
}

/* ------------------------------------------------------------ consoles */

struct trd_console {
    char user[TR_MSG_ID_SIZE];
    char topic[128];
    bool v311;
    uint64_t n;
    char prefix[24];
    struct tr_mqtt *m;
    struct inbox in;
};

static void console_message(void *user, const char *topic, const void *payload, size_t len,
                            const struct tr_mqtt_msg_props *props)
{
    struct trd_console *c = user;
    (void)topic;
    (void)props;
    inbox_add(&c->in, payload, len);
}

struct trd_console *trd_console_new(struct trd *d, const char *user, bool v311)
{
    struct trd_console *c = calloc(1, sizeof(*c));
    char cid[96];
    char boot[33];
    int rc;
    if (!c)
        return NULL;
    snprintf(c->user, sizeof(c->user), "%s", user);
    snprintf(c->topic, sizeof(c->topic), "truckroll/v1/console/%s/resp", user);
    tr_ids_boot_id(boot);
    snprintf(c->prefix, sizeof(c->prefix), "r%.8s", boot);
    c->v311 = v311;
    inbox_init(&c->in);
    snprintf(cid, sizeof(cid), "con-%s-%d", user, (int)getpid());
    struct tr_mqtt_options mo = { .host = "127.0.0.1",
                                  .port = d->broker.port,
                                  .client_id = cid,
                                  .protocol = v311 ? TR_MQTT_PROTO_V311 : TR_MQTT_PROTO_V5 };
    struct tr_mqtt_callbacks cb = { .on_message = console_message };
    c->m = tr_mqtt_new(&mo, &cb, c, &rc);
    if (!c->m) {
        inbox_free(&c->in);
        free(c);
        return NULL;
    }
    tr_mqtt_subscribe(c->m, c->topic, 1);
    tr_mqtt_connect(c->m);
    if (tr_mqtt_wait_connected(c->m, 10000) != TR_MQTT_OK ||
        tr_mqtt_wait_subscribed(c->m, 10000) != TR_MQTT_OK) {
        trd_console_free(c);
        return NULL;
    }
    return c;
}

void trd_console_free(struct trd_console *c)
{
    if (!c)
        return;
    tr_mqtt_free(c->m);
    inbox_free(&c->in);
    free(c);
}

int trd_request_id(struct trd_console *c, const char *id, const char *type, const char *args,
                   struct tr_msg *out, int timeout_ms)
{
    size_t cap = strlen(args) + 512;
    char *buf = malloc(cap);
    if (!buf)
        return -1;
    int len = snprintf(buf, cap, "{\"type\":\"%s\",\"id\":\"%s\",\"ts\":%lld,\"args\":%s", type, id,
                       (long long)wall_ms(), args);
    if (c->v311)
        len += snprintf(buf + len, cap - (size_t)len, ",\"reply_to\":\"%s\"", c->topic);
    len += snprintf(buf + len, cap - (size_t)len, "}");
    struct tr_mqtt_pub pub = { .qos = 1,
                               .response_topic = c->v311 ? NULL : c->topic,
                               .correlation = c->v311 ? NULL : id,
                               .correlation_len = c->v311 ? 0 : strlen(id) };
    int rc = publish_retry(c->m, "truckroll/v1/dispatcher/req", buf, (size_t)len, &pub);
    free(buf);
    if (rc != TR_MQTT_OK)
        return -1;
    return inbox_wait(&c->in, TR_MSG_NONE, id, out, timeout_ms);
}

int trd_console_count(struct trd_console *c, enum tr_msg_type type)
{
    int n = 0;
    pthread_mutex_lock(&c->in.mu);
    for (size_t i = 0; i < c->in.n; i++)
        n += c->in.b[i].m.type == type;
    pthread_mutex_unlock(&c->in.mu);
    return n;
}

int trd_console_send(struct trd_console *c, const void *payload, size_t len)
{
    struct tr_mqtt_pub pub = { .qos = 1, .response_topic = c->v311 ? NULL : c->topic };
    return publish_retry(c->m, "truckroll/v1/dispatcher/req", payload, len, &pub);
}

int trd_request(struct trd_console *c, const char *type, const char *args, struct tr_msg *out,
                char id_out[TR_MSG_ID_SIZE], int timeout_ms)
{
    char id[TR_MSG_ID_SIZE];
    tr_ids_msgid(id, c->prefix, ++c->n);
    if (id_out)
        memcpy(id_out, id, sizeof(id));
    return trd_request_id(c, id, type, args, out, timeout_ms);
}

static void skills_json(const char *csv, char *out, size_t cap)
{
    size_t o = 0;
    o += (size_t)snprintf(out + o, cap - o, "[");
    const char *p = csv;
    while (p && *p && o < cap) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        o += (size_t)snprintf(out + o, cap - o, "%s\"%.*s\"", p == csv ? "" : ",", (int)n, p);
        p = e ? e + 1 : NULL;
    }
    if (o < cap)
        snprintf(out + o, cap - o, "]");
}

int trd_job_create(struct trd_console *c, double lat, double lon, const char *skills,
                   const char *lang, double max_radius_km, char id[TR_MSG_ID_SIZE])
{
    char sk[600], args[1200], extra[200] = "";
    struct tr_msg r;
    skills_json(skills, sk, sizeof(sk));
    size_t o = 0;
    if (lang)
        o += (size_t)snprintf(extra + o, sizeof(extra) - o, ",\"language\":\"%s\"", lang);
    if (max_radius_km > 0)
        snprintf(extra + o, sizeof(extra) - o, ",\"max_radius_km\":%.3f", max_radius_km);
    snprintf(args, sizeof(args),
             "{\"title\":\"Test job\",\"skills\":%s,\"site\":{\"lat\":%.7f,\"lon\":%.7f}%s}", sk,
             lat, lon, extra);
    if (trd_request(c, "job.create", args, &r, NULL, 10000) != 0)
        return -1;
    int rc = r.type == TR_MSG_RESPONSE ? 0 : -1;
    if (rc == 0)
        snprintf(id, TR_MSG_ID_SIZE, "%s", r.u.response.result.job.job_id);
    else if (r.type == TR_MSG_ERROR)
        fprintf(stderr, "trd: job.create: %s\n", r.u.error.message);
    tr_msg_free(&r);
    return rc;
}

int trd_job_show(struct trd_console *c, const char *job_id, struct tr_job *job)
{
    char args[200];
    struct tr_msg r;
    snprintf(args, sizeof(args), "{\"job_id\":\"%s\"}", job_id);
    if (trd_request(c, "job.show", args, &r, NULL, 10000) != 0)
        return -1;
    int rc = r.type == TR_MSG_RESPONSE ? 0 : -1;
    if (rc == 0 && job)
        *job = r.u.response.result.job;
    tr_msg_free(&r);
    return rc;
}

int trd_contractor_add(struct trd_console *c, const char *id, const char *skills, const char *langs,
                       const char *tz_name, const char *extra)
{
    char sk[600], lg[300], args[2400];
    struct tr_msg r;
    skills_json(skills, sk, sizeof(sk));
    skills_json(langs, lg, sizeof(lg));
    snprintf(args, sizeof(args),
             "{\"contractor_id\":\"%s\",\"name\":\"Tech %s\",\"skills\":%s,\"languages\":%s,"
             "\"timezone\":\"%s\"%s%s}",
             id, id, sk, lg, tz_name, extra ? "," : "", extra ? extra : "");
    if (trd_request(c, "contractor.add", args, &r, NULL, 10000) != 0)
        return -1;
    int rc = r.type == TR_MSG_RESPONSE ? 0 : -1;
    if (rc != 0 && r.type == TR_MSG_ERROR)
        fprintf(stderr, "trd: contractor.add %s: %s\n", id, r.u.error.message);
    tr_msg_free(&r);
    return rc;
}

int trd_wait_state(struct trd_console *c, const char *job_id, enum tr_job_state state,
                   int timeout_ms, enum tr_job_state *last)
{
    struct tr_job j;
    long long end = trt_now_ms() + timeout_ms;
    do {
        if (trd_job_show(c, job_id, &j) == 0) {
            if (last)
                *last = j.state;
            if (j.state == state)
                return 0;
        }
        trt_sleep_ms(50);
    } while (trt_now_ms() < end);
    return -1;
}

int trd_wait_available(struct trd_console *c, const char *id, bool available, int timeout_ms)
{
    long long end = trt_now_ms() + timeout_ms;
    do {
        struct tr_msg r;
        if (trd_request(c, "contractor.list", "{\"limit\":1000}", &r, NULL, 10000) == 0) {
            bool hit = false;
            if (r.type == TR_MSG_RESPONSE) {
                const struct tr_result *x = &r.u.response.result;
                for (size_t i = 0; i < x->n_contractors; i++)
                    hit = hit || (strcmp(x->contractors[i].c.contractor_id, id) == 0 &&
                                  x->contractors[i].has_available &&
                                  x->contractors[i].available == available);
            }
            tr_msg_free(&r);
            if (hit)
                return 0;
        }
        trt_sleep_ms(30);
    } while (trt_now_ms() < end);
    return -1;
}

int trd_enroll(struct trd_console *c, struct trd_agent *ag, const char *skills, const char *langs,
               const char *tz_name, const char *extra, double lat, double lon)
{
    if (!ag || trd_contractor_add(c, ag->id, skills, langs, tz_name ? tz_name : "UTC", extra) != 0)
        return -1;
    if (trd_agent_presence(ag, true, true) != 0 || trd_agent_fix(ag, lat, lon) != 0 ||
        trd_wait_available(c, ag->id, true, 10000) != 0) {
        fprintf(stderr, "trd: %s did not become available\n", ag->id);
        return -1;
    }
    return 0;
}

struct trd_agent *trd_ready(struct trd *d, struct trd_console *c, const char *id,
                            const char *skills, const char *langs, const char *tz_name,
                            const char *extra, double lat, double lon)
{
    struct trd_agent *ag = trd_agent_new(d, id);
    if (ag && trd_enroll(c, ag, skills, langs, tz_name, extra, lat, lon) != 0) {
        trd_agent_free(ag);
        return NULL;
    }
    return ag;
}
