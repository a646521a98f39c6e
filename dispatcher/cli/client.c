/*
 * dispatcher/cli/client.c: the console's connection to the dispatcher
 * (client.h): connect, one request and its correlated answer, queued
 * messages of followed topics (printing is in client_print.c).
 *
 * paho's thread (on_message) only copies messages into two queues (answers
 * on our response topic, events on the other filters) and notes the
 * dispatcher's retained state; decoding happens on the caller's thread.
 * It does not print tables (the subcommands do) or retry requests.
 */
#include "dispatcher/cli/client_int.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ids.h"
#include "dispatcher/cli/table.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t tr_cli_deadline(const struct tr_cli *c, int64_t ms)
{
    if (ms < 0)
        ms = (int64_t)ceil(c->set.timeout_s * 1000.0);
    return mono_ms() + ms;
}

static void queue_clear(struct tr_cli_queue *q)
{
    struct tr_cli_item *it = q->head;
    while (it) {
        struct tr_cli_item *next = it->next;
        free(it->topic);
        free(it->payload);
        free(it);
        it = next;
    }
    q->head = q->tail = NULL;
    q->count = 0;
}

void tr_cli_free(struct tr_cli *c)
{
    if (!c)
        return;
    tr_mqtt_free(c->mqtt);
    queue_clear(&c->answers);
    queue_clear(&c->events);
    for (size_t i = 0; i < c->n_filters; i++)
        free(c->filters[i]);
    tr_config_free(c->cfg);
    pthread_cond_destroy(&c->cond);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void tr_cli_answer_free(struct tr_cli_answer *a)
{
    if (!a)
        return;
    tr_msg_free(&a->msg);
    free(a->raw);
    a->raw = NULL;
    a->raw_len = 0;
}

void tr_cli_event_free(struct tr_cli_event *e)
{
    if (!e)
        return;
    free(e->topic);
    free(e->payload);
    e->topic = e->payload = NULL;
}

/* {"online": bool, "ts": time_ms} on truckroll/v1/dispatcher/state. */
static void note_state(struct tr_cli *c, const void *payload, size_t len)
{
    cJSON *o = cJSON_ParseWithLength(payload, len);
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(o, "online");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(o, "ts");
    if (cJSON_IsBool(on)) {
        c->disp_state = cJSON_IsTrue(on) ? 1 : 0;
        c->disp_ts = cJSON_IsNumber(ts) ? (int64_t)ts->valuedouble : 0;
    }
    cJSON_Delete(o);
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct tr_cli *c = user;
    struct tr_cli_queue *q;
    struct tr_cli_item *it;
    pthread_mutex_lock(&c->lock);
    if (strcmp(topic, TR_CLI_TOPIC_STATE) == 0) {
        note_state(c, payload, len);
        goto done;
    }
    q = strcmp(topic, c->resp_topic) == 0 ? &c->answers : &c->events;
    if (q->count >= TR_CLI_MAX_QUEUED || len > TR_MSG_MAX_BYTES) {
        q->dropped++;
        goto done;
    }
    it = calloc(1, sizeof *it);
    if (!it || !(it->topic = strdup(topic)) || !(it->payload = malloc(len + 1))) {
        if (it)
            free(it->topic);
        free(it);
        q->dropped++;
        goto done;
    }
    memcpy(it->payload, payload, len);
    it->payload[len] = '\0';
    it->len = len;
    it->retained = props && props->retained;
    if (props && props->correlation && props->correlation_len < sizeof it->corr) {
        memcpy(it->corr, props->correlation, props->correlation_len);
        it->corr[props->correlation_len] = '\0';
    }
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->count++;
    pthread_cond_broadcast(&c->cond);
done:
    pthread_mutex_unlock(&c->lock);
}

/* Pop the head of q, waiting until deadline. c->lock is NOT held. */
static int pop(struct tr_cli *c, struct tr_cli_queue *q, int64_t deadline, struct tr_cli_item **out)
{
    int rc = TR_CLI_OK;
    pthread_mutex_lock(&c->lock);
    while (!q->head) {
        int64_t now = mono_ms(), until;
        if (tr_cli_interrupted(c)) {
            rc = TR_CLI_INTERRUPTED;
            break;
        }
        if (now >= deadline) {
            rc = TR_CLI_UNREACHABLE;
            break;
        }
        /* short slices, so a signal is noticed even without a message */
        until = deadline - now > 100 ? now + 100 : deadline;
        struct timespec ts = { .tv_sec = (time_t)(until / 1000),
                               .tv_nsec = (long)(until % 1000) * 1000000L };
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    if (rc == TR_CLI_OK) {
        *out = q->head;
        q->head = q->head->next;
        if (!q->head)
            q->tail = NULL;
        q->count--;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int tr_cli_subscribe(struct tr_cli *c, const char *filter)
{
    if (c->n_filters >= TR_CLI_MAX_FILTERS || !(c->filters[c->n_filters] = strdup(filter)))
        return TR_CLI_FAIL;
    c->n_filters++;
    if (c->mqtt && tr_mqtt_subscribe(c->mqtt, filter, 1) != TR_MQTT_OK)
        return TR_CLI_FAIL;
    return TR_CLI_OK;
}

static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    int ok;
    if (!f)
        return -1;
    ok = fgets(out, (int)cap, f) != NULL;
    fclose(f);
    if (!ok)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int connect_fail(struct tr_cli *c, int rc)
{
    const struct tr_cli_settings *s = &c->set;
    if (rc == TR_MQTT_ERR_AUTH)
        fprintf(stderr,
                "%s: the broker at %s:%d refused user '%s': bad user name or "
                "password, or not authorised\n",
                c->prog, s->broker_host, s->broker_port, s->broker_user);
    else if (rc == TR_MQTT_ERR_TIMEOUT)
        fprintf(stderr, "%s: cannot reach the broker at %s:%d within %g s (%s)\n", c->prog,
                s->broker_host, s->broker_port, s->timeout_s,
                tr_mqtt_last_error(c->mqtt) ? tr_mqtt_strerror(tr_mqtt_last_error(c->mqtt))
                                            : "no answer");
    else
        fprintf(stderr, "%s: broker %s:%d: %s\n", c->prog, s->broker_host, s->broker_port,
                tr_mqtt_strerror(rc));
    return TR_CLI_UNREACHABLE;
}

int tr_cli_connect(struct tr_cli *c)
{
    const struct tr_cli_settings *s = &c->set;
    char password[256] = "", client_id[96], boot[33];
    int rc, timeout_ms = (int)ceil(s->timeout_s * 1000.0);
    static const enum tr_mqtt_protocol protos[] = { TR_MQTT_PROTO_AUTO, TR_MQTT_PROTO_V5,
                                                    TR_MQTT_PROTO_V311 };
    if (s->broker_password_file[0] &&
        read_password(s->broker_password_file, password, sizeof password) != 0) {
        fprintf(stderr, "%s: cannot read the password file %s: %s\n", c->prog,
                s->broker_password_file, strerror(errno));
        return TR_CLI_USAGE;
    }
    if (tr_ids_boot_id(boot) != TR_IDS_OK) {
        fprintf(stderr, "%s: no random numbers for a client id\n", c->prog);
        return TR_CLI_FAIL;
    }
    snprintf(c->id_prefix, sizeof c->id_prefix, "con-%.16s", boot);
    snprintf(client_id, sizeof client_id, "truckroll-%.40s-%.8s", c->user, boot + 16);
    struct tr_mqtt_options mo = {
        .host = s->broker_host,
        .port = s->broker_port,
        .client_id = client_id,
        .username = s->broker_user[0] ? s->broker_user : NULL,
        .password = password[0] ? password : NULL,
        .tls = s->broker_tls,
        .ca_file = s->broker_ca_file[0] ? s->broker_ca_file : NULL,
        .connect_timeout_s = (int)ceil(s->timeout_s),
        .protocol = protos[s->broker_protocol],
        .tcp_nodelay = 1,
    };
    struct tr_mqtt_callbacks cb = { .on_message = on_message };
    c->mqtt = tr_mqtt_new(&mo, &cb, c, &rc);
    memset(password, 0, sizeof password);
    if (!c->mqtt) {
        fprintf(stderr, "%s: cannot set up MQTT: %s\n", c->prog, tr_mqtt_strerror(rc));
        return TR_CLI_USAGE;
    }
    tr_mqtt_subscribe(c->mqtt, c->resp_topic, 1);
    tr_mqtt_subscribe(c->mqtt, TR_CLI_TOPIC_STATE, 1);
    for (size_t i = 0; i < c->n_filters; i++)
        tr_mqtt_subscribe(c->mqtt, c->filters[i], 1);
    tr_mqtt_connect(c->mqtt);
    rc = tr_mqtt_wait_connected(c->mqtt, timeout_ms);
    if (rc != TR_MQTT_OK)
        return connect_fail(c, rc);
    rc = tr_mqtt_wait_subscribed(c->mqtt, timeout_ms);
    if (rc != TR_MQTT_OK) {
        fprintf(stderr,
                "%s: the broker did not grant the subscriptions (%s): is '%s' a "
                "console account in its ACL?\n",
                c->prog, tr_mqtt_strerror(rc), s->broker_user);
        return TR_CLI_UNREACHABLE;
    }
    /* The retained dispatcher state follows the SUBACK at once: give it a moment, so
     * a request is not sent to a dispatcher known to be down. */
    int64_t until = tr_cli_deadline(c, timeout_ms < 300 ? timeout_ms : 300);
    pthread_mutex_lock(&c->lock);
    while (c->disp_state < 0 && mono_ms() < until) {
        struct timespec ts = { .tv_sec = (time_t)(until / 1000),
                               .tv_nsec = (long)(until % 1000) * 1000000L };
        pthread_cond_timedwait(&c->cond, &c->lock, &ts);
    }
    pthread_mutex_unlock(&c->lock);
    return TR_CLI_OK;
}

static void describe_state(struct tr_cli *c, char *buf, size_t cap)
{
    char t[40];
    pthread_mutex_lock(&c->lock);
    if (c->disp_state < 0)
        snprintf(buf, cap, "its state topic is empty: is truckrolld running?");
    else if (c->disp_state == 0)
        snprintf(buf, cap, "the dispatcher is offline since %s",
                 tr_cli_fmt_time(c->disp_ts, t, sizeof t));
    else
        snprintf(buf, cap, "the dispatcher says it is online: it may be overloaded");
    pthread_mutex_unlock(&c->lock);
}

int tr_cli_send(struct tr_cli *c, struct tr_msg *req)
{
    struct tr_msg_error err;
    char *json = NULL;
    size_t len = 0;
    int rc, offline;
    char why[160];
    pthread_mutex_lock(&c->lock);
    offline = c->disp_state == 0;
    pthread_mutex_unlock(&c->lock);
    if (offline) {
        describe_state(c, why, sizeof why);
        fprintf(stderr, "%s: not sent: %s\n", c->prog, why);
        return TR_CLI_UNREACHABLE;
    }
    tr_ids_msgid(req->id, c->id_prefix, ++c->next_id);
    req->ts = tr_cli_now_ms();
    req->has_reply_to = true;
    snprintf(req->reply_to, sizeof req->reply_to, "%s", c->resp_topic);
    if ((rc = tr_msg_encode(req, &json, &len, &err)) != TR_MSG_OK) {
        const char *f = strncmp(err.field, "args.", 5) == 0 ? err.field + 5 : err.field;
        fprintf(stderr, "%s: invalid request: %s%s%s (try '%s --help')\n", c->prog, f,
                f[0] ? ": " : "", err.reason, c->prog);
        return TR_CLI_USAGE;
    }
    struct tr_mqtt_pub pub = {
        .qos = 1,
        .expiry_s = (uint32_t)ceil(c->set.timeout_s),
        .response_topic = c->resp_topic,
        .correlation = req->id,
        .correlation_len = strlen(req->id),
    };
    int64_t deadline = tr_cli_deadline(c, -1);
    while ((rc = tr_mqtt_publish(c->mqtt, TR_CLI_TOPIC_REQ, json, len, &pub)) == TR_MQTT_ERR_BUSY ||
           rc == TR_MQTT_ERR_NOT_CONNECTED) {
        if (mono_ms() >= deadline || tr_cli_interrupted(c))
            break;
        struct timespec pause = { 0, 2 * 1000000L };
        nanosleep(&pause, NULL);
    }
    free(json);
    if (rc != TR_MQTT_OK) {
        fprintf(stderr, "%s: cannot publish the request: %s\n", c->prog, tr_mqtt_strerror(rc));
        return tr_cli_interrupted(c) ? TR_CLI_INTERRUPTED : TR_CLI_UNREACHABLE;
    }
    return TR_CLI_OK;
}

/* Ours: "<id_prefix>-<n>". */
static bool our_id(const struct tr_cli *c, const char *id)
{
    size_t n = strlen(c->id_prefix);
    return strncmp(id, c->id_prefix, n) == 0 && id[n] == '-';
}

int tr_cli_recv(struct tr_cli *c, int64_t deadline, struct tr_cli_answer *ans)
{
    memset(ans, 0, sizeof *ans);
    for (;;) {
        struct tr_cli_item *it = NULL;
        struct tr_msg_error err;
        int rc = pop(c, &c->answers, deadline, &it);
        if (rc != TR_CLI_OK)
            return rc;
        rc = tr_msg_decode(it->payload, it->len, &ans->msg, &err);
        const char *corr = rc != TR_MSG_OK                    ? it->corr
                           : ans->msg.type == TR_MSG_RESPONSE ? ans->msg.u.response.corr
                           : ans->msg.type == TR_MSG_ERROR && ans->msg.u.error.has_corr
                               ? ans->msg.u.error.corr
                               : it->corr;
        if (!our_id(c, corr) || (rc == TR_MSG_OK && ans->msg.type != TR_MSG_RESPONSE &&
                                 ans->msg.type != TR_MSG_ERROR)) {
            /* another console's answer on the shared topic, or not an answer */
            tr_msg_free(&ans->msg);
            free(it->topic);
            free(it->payload);
            free(it);
            continue;
        }
        free(it->topic);
        ans->raw = it->payload;
        ans->raw_len = it->len;
        free(it);
        if (rc != TR_MSG_OK) {
            fprintf(stderr, "%s: unreadable answer from the dispatcher: %s%s%s\n", c->prog,
                    err.field, err.field[0] ? ": " : "", err.reason);
            tr_cli_answer_free(ans);
            return TR_CLI_FAIL;
        }
        return TR_CLI_OK;
    }
}

int tr_cli_call(struct tr_cli *c, struct tr_msg *req, struct tr_cli_answer *ans)
{
    int64_t deadline;
    int rc = tr_cli_send(c, req);
    memset(ans, 0, sizeof *ans);
    if (rc != TR_CLI_OK)
        return rc;
    deadline = tr_cli_deadline(c, -1);
    for (;;) {
        rc = tr_cli_recv(c, deadline, ans);
        if (rc == TR_CLI_UNREACHABLE) {
            char why[160];
            describe_state(c, why, sizeof why);
            fprintf(stderr, "%s: no answer from the dispatcher within %g s: %s\n", c->prog,
                    c->set.timeout_s, why);
            return rc;
        }
        if (rc == TR_CLI_INTERRUPTED)
            fprintf(stderr, "%s: interrupted\n", c->prog);
        if (rc != TR_CLI_OK)
            return rc;
        const char *corr =
            ans->msg.type == TR_MSG_RESPONSE ? ans->msg.u.response.corr : ans->msg.u.error.corr;
        if (strcmp(corr, req->id) != 0) {
            tr_cli_answer_free(ans);
            continue;
        }
        if (ans->msg.type == TR_MSG_ERROR) {
            tr_cli_print_error(c, &ans->msg);
            tr_cli_answer_free(ans);
            return TR_CLI_FAIL;
        }
        return TR_CLI_OK;
    }
}

int tr_cli_next_event(struct tr_cli *c, int64_t deadline, struct tr_cli_event *ev)
{
    struct tr_cli_item *it = NULL;
    int rc = pop(c, &c->events, deadline, &it);
    memset(ev, 0, sizeof *ev);
    if (rc != TR_CLI_OK)
        return rc;
    ev->topic = it->topic;
    ev->payload = it->payload;
    ev->len = it->len;
    ev->retained = it->retained;
    free(it);
    return TR_CLI_OK;
}

void tr_cli_sleep_until(struct tr_cli *c, int64_t deadline)
{
    while (!tr_cli_interrupted(c)) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct timespec ts = { 0, (long)(left > 100 ? 100 : left) * 1000000L };
        nanosleep(&ts, NULL);
    }
}
