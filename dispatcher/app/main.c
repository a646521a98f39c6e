/*
 * dispatcher/app/main.c: truckrolld, the dispatcher daemon's shell.
 *
 * Wires the config table, the MQTT session (common/mqtt) and the topic router
 * (dispatcher/bus/route) together: subscribes to every agent's state, loc and
 * event topics, decodes and checks each message, counts it, logs it, and
 * answers a rejected message with an `error` on the sender's inbox (rate
 * limited). Publishes its own retained state with a last will.
 *
 * This file is the only place with mutable statics (the signal flag).
 * Matching, the job lifecycle and the SQLite store are added by the
 * dispatcher issue; this shell is what they plug into.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/mqtt.h"
#include "common/msg.h"
#include "dispatcher/bus/route.h"

#define DEFAULT_CONFIG "/etc/truckroll/truckrolld.conf"

struct settings {
    char broker_host[256];
    int broker_port;
    char broker_user[65];
    char broker_password_file[512];
    bool broker_tls;
    char broker_ca_file[512];
    char client_id[65];
    int log_level;
    int stats_interval_s;
    int error_replies_per_s;
};

static const struct tr_config_option options[] = {
    { "broker.host", TR_CFG_STRING_AT(struct settings, broker_host), "127.0.0.1",
      .help = "MQTT broker host name or address" },
    { "broker.port", TR_CFG_INT_AT(struct settings, broker_port), "1883", .min = 1, .max = 65535,
      .help = "MQTT broker port" },
    { "broker.username", TR_CFG_STRING_AT(struct settings, broker_user), "dispatcher",
      .help = "broker user name (the ACL gives it truckroll/v1/#)" },
    { "broker.password_file", TR_CFG_STRING_AT(struct settings, broker_password_file), "",
      .help = "file whose first line is the broker password (empty: no password)" },
    { "broker.tls", TR_CFG_BOOL_AT(struct settings, broker_tls), "false",
      .help = "connect with TLS (required on any listener outside loopback)" },
    { "broker.ca_file", TR_CFG_STRING_AT(struct settings, broker_ca_file), "",
      .help = "PEM CA bundle to verify the broker (empty: the system's)" },
    { "broker.client_id", TR_CFG_STRING_AT(struct settings, client_id), "truckrolld",
      .help = "MQTT client id (unique per broker)" },
    { "log.level", TR_CFG_ENUM_AT(struct settings, log_level), "info",
      .choices = "error|warn|info|debug", .help = "log threshold" },
    { "stats.interval_s", TR_CFG_INT_AT(struct settings, stats_interval_s), "10", .min = 0,
      .max = 3600, .help = "seconds between counter lines in the log (0: never)" },
    { "errors.replies_per_s", TR_CFG_INT_AT(struct settings, error_replies_per_s), "50", .min = 0,
      .max = 100000, .help = "error replies sent to senders per second, at most" },
};
#define N_OPTIONS (sizeof options / sizeof options[0])

struct counters {
    _Atomic unsigned long received;
    _Atomic unsigned long accepted;
    _Atomic unsigned long rejected[TR_ROUTE_ERR_COUNT];
    _Atomic unsigned long by_kind[5];
    _Atomic unsigned long fixes;
    _Atomic unsigned long error_replies;
    _Atomic unsigned long error_replies_dropped;
};

/* Error replies wait here until paho takes them (it refuses with BUSY while
 * its in-flight window is full). Bounded: past it replies are dropped and
 * counted. The MQTT callback adds, the main loop drains. */
#define REPLY_QUEUE 1024
struct reply {
    char topic[160];
    char *json;
    size_t len;
};

struct reply_queue {
    pthread_mutex_t lock;
    struct reply r[REPLY_QUEUE];
    size_t head, count;
};

struct app {
    struct settings set;
    struct reply_queue replies;
    struct tr_mqtt *mqtt;
    struct counters n;
    _Atomic unsigned long msg_counter;
    char boot_id[33];
    /* error-reply rate limit: a one-second window, touched only on paho's thread */
    time_t reply_window;
    int replies_in_window;
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void next_msgid(struct app *a, char out[65])
{
    unsigned long n = atomic_fetch_add(&a->msg_counter, 1) + 1;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "d-%.16s", a->boot_id);
    tr_ids_msgid(out, prefix, n);
}

static void reply_error(struct app *a, const struct tr_route_msg *rm, int rc,
                        const struct tr_msg_error *err)
{
    struct tr_msg reply;
    struct tr_msg_error eerr;
    char topic[160];
    char *json = NULL;
    size_t len = 0;
    time_t now = time(NULL);

    if (rm->agent_id[0] == '\0')
        return; /* nobody we can answer */
    if (now != a->reply_window) {
        a->reply_window = now;
        a->replies_in_window = 0;
    }
    if (a->replies_in_window >= a->set.error_replies_per_s) {
        atomic_fetch_add(&a->n.error_replies_dropped, 1);
        return;
    }
    a->replies_in_window++;
    tr_msg_init(&reply, TR_MSG_ERROR);
    tr_msg_error_reply(&reply, rm->msg.id, err);
    reply.u.error.code = tr_route_err_wire_code(rc, err);
    next_msgid(a, reply.id);
    reply.ts = now_ms();
    if (tr_msg_encode(&reply, &json, &len, &eerr) != TR_MSG_OK) {
        tr_log_error("cannot encode error reply: %s at %s", eerr.reason, eerr.field);
        return;
    }
    snprintf(topic, sizeof topic, TR_TOPIC_PREFIX "agent/%s/inbox", rm->agent_id);
    pthread_mutex_lock(&a->replies.lock);
    if (a->replies.count < REPLY_QUEUE) {
        struct reply *r = &a->replies.r[(a->replies.head + a->replies.count) % REPLY_QUEUE];
        snprintf(r->topic, sizeof r->topic, "%s", topic);
        r->json = json;
        r->len = len;
        a->replies.count++;
        json = NULL;
    } else {
        atomic_fetch_add(&a->n.error_replies_dropped, 1);
    }
    pthread_mutex_unlock(&a->replies.lock);
    free(json);
}

/* Hand queued error replies to paho until it is busy or the queue is empty.
 * Our lock is never held across tr_mqtt_publish: paho's thread may be in
 * on_message waiting for it while holding paho's own locks. Only this (main)
 * thread removes entries, so the head entry stays put while unlocked. */
static void drain_replies(struct app *a)
{
    struct tr_mqtt_pub pub = { .qos = 1 };
    for (;;) {
        struct reply r;
        pthread_mutex_lock(&a->replies.lock);
        if (a->replies.count == 0) {
            pthread_mutex_unlock(&a->replies.lock);
            return;
        }
        r = a->replies.r[a->replies.head];
        pthread_mutex_unlock(&a->replies.lock);

        int rc = tr_mqtt_publish(a->mqtt, r.topic, r.json, r.len, &pub);
        if (rc == TR_MQTT_ERR_BUSY || rc == TR_MQTT_ERR_NOT_CONNECTED)
            return; /* keep it at the head; retry on the next tick */
        if (rc == TR_MQTT_OK)
            atomic_fetch_add(&a->n.error_replies, 1);
        else
            atomic_fetch_add(&a->n.error_replies_dropped, 1);
        free(r.json);
        pthread_mutex_lock(&a->replies.lock);
        a->replies.r[a->replies.head].json = NULL;
        a->replies.head = (a->replies.head + 1) % REPLY_QUEUE;
        a->replies.count--;
        pthread_mutex_unlock(&a->replies.lock);
    }
}

static const char *event_name(enum tr_event_kind e)
{
    static const char *const names[] = { "en_route", "on_site",  "completed",
                                         "failed",   "escalate", "release" };
    return (unsigned)e < sizeof names / sizeof names[0] ? names[e] : "?";
}

static void log_accepted(const struct tr_route_msg *rm)
{
    const struct tr_msg *m = &rm->msg;
    switch (m->type) {
    case TR_MSG_PRESENCE:
        if (m->u.presence.online)
            tr_log_info("agent %s online: %s, %s, mode %s, %d active job(s)", rm->agent_id,
                        m->u.presence.available ? "available" : "unavailable",
                        m->u.presence.on_shift ? "on shift" : "off shift",
                        tr_msg_agent_mode_name(m->u.presence.mode), m->u.presence.active_jobs);
        else
            tr_log_info("agent %s offline%s", rm->agent_id,
                        !m->u.presence.has_reason                  ? ""
                        : m->u.presence.reason == TR_PRESENCE_WILL ? " (last will: connection lost)"
                                                                   : " (shut down)");
        break;
    case TR_MSG_LOC: {
        const struct tr_fix *f = &m->u.loc.fixes[m->u.loc.n_fixes - 1];
        tr_log_info("agent %s position: %zu fix(es), last %.5f,%.5f seq %lld", rm->agent_id,
                    m->u.loc.n_fixes, f->lat, f->lon, (long long)f->seq);
        break;
    }
    case TR_MSG_OFFER_ANSWER:
        tr_log_info("agent %s %s offer %s for job %s", rm->agent_id,
                    m->u.offer_answer.answer == TR_ANSWER_ACCEPT ? "accepted" : "declined",
                    m->u.offer_answer.offer_id, m->u.offer_answer.job_id);
        break;
    case TR_MSG_JOB_EVENT:
        tr_log_info("agent %s job %s: %s", rm->agent_id, m->u.job_event.job_id,
                    event_name(m->u.job_event.event));
        break;
    default:
        tr_log_info("%s message %s", tr_msg_type_name(m->type), m->id);
        break;
    }
}

static void on_message(void *user, const char *topic, const void *payload, size_t len,
                       const struct tr_mqtt_msg_props *props)
{
    struct app *a = user;
    struct tr_route_msg rm;
    struct tr_msg_error err;
    int rc;

    (void)props;
    atomic_fetch_add(&a->n.received, 1);
    rc = tr_route_decode(topic, payload, len, &rm, &err);
    if (rc == TR_ROUTE_ERR_EMPTY && rm.kind == TR_ROUTE_AGENT_STATE) {
        /* an operator cleared a retained state: not an error */
        atomic_fetch_add(&a->n.accepted, 1);
        return;
    }
    if (rc != TR_ROUTE_OK) {
        atomic_fetch_add(&a->n.rejected[rc], 1);
        tr_log_warn("rejected message on %s: %s: %s%s%s", topic, tr_route_strerror(rc),
                    err.field[0] ? err.field : "", err.field[0] ? ": " : "", err.reason);
        reply_error(a, &rm, rc, &err);
        return;
    }
    atomic_fetch_add(&a->n.accepted, 1);
    atomic_fetch_add(&a->n.by_kind[rm.kind], 1);
    if (rm.msg.type == TR_MSG_LOC)
        atomic_fetch_add(&a->n.fixes, rm.msg.u.loc.n_fixes);
    log_accepted(&rm);
    tr_route_msg_free(&rm);
}

static void on_connection(void *user, int up, int session_present)
{
    struct app *a = user;
    if (up)
        tr_log_info("connected to %s:%d (MQTT %s, session %s)", a->set.broker_host,
                    a->set.broker_port, tr_mqtt_protocol_version(a->mqtt) == 5 ? "v5" : "3.1.1",
                    session_present ? "resumed" : "new");
    else
        tr_log_warn("connection to the broker lost; reconnecting");
}

static void log_stats(struct app *a, const char *what)
{
    unsigned long rej = 0;
    for (int i = 1; i < TR_ROUTE_ERR_COUNT; i++)
        rej += atomic_load(&a->n.rejected[i]);
    tr_log_info("%s: received %lu accepted %lu rejected %lu (decode %lu type %lu spoof %lu "
                "topic %lu) presence %lu loc %lu fixes %lu events %lu error_replies %lu",
                what, atomic_load(&a->n.received), atomic_load(&a->n.accepted), rej,
                atomic_load(&a->n.rejected[TR_ROUTE_ERR_DECODE]),
                atomic_load(&a->n.rejected[TR_ROUTE_ERR_TYPE]),
                atomic_load(&a->n.rejected[TR_ROUTE_ERR_SPOOF]),
                atomic_load(&a->n.rejected[TR_ROUTE_ERR_TOPIC]),
                atomic_load(&a->n.by_kind[TR_ROUTE_AGENT_STATE]),
                atomic_load(&a->n.by_kind[TR_ROUTE_AGENT_LOC]), atomic_load(&a->n.fixes),
                atomic_load(&a->n.by_kind[TR_ROUTE_AGENT_EVENT]), atomic_load(&a->n.error_replies));
}

static int read_password(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    if (!fgets(out, (int)cap, f)) {
        fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: truckrolld [OPTIONS] [--KEY=VALUE ...]\n"
                 "\n"
                 "The truckroll dispatcher daemon: tracks every field agent's presence and\n"
                 "position over MQTT and checks every message against the v1 wire contract.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   config file (default " DEFAULT_CONFIG ", optional)\n"
                 "  -p, --port N        broker port (same as --broker.port=N)\n"
                 "      --print-config  print the effective configuration and exit\n"
                 "      --json          with --print-config: as JSON\n"
                 "  -V, --version       print the version and exit\n"
                 "  -h, --help          this help\n"
                 "\n"
                 "Every setting below can also come from the config file (key = value),\n"
                 "or the environment (TRUCKROLL_BROKER_PORT=1884 for broker.port);\n"
                 "the command line wins over the environment, which wins over the file.\n"
                 "\n");
    tr_config_usage(options, N_OPTIONS, "TRUCKROLL_", out);
    fprintf(out, "\nSignals: SIGINT/SIGTERM stop cleanly (retained state set offline).\n"
                 "Exit status: 0 after a clean stop, 1 on a runtime error, 2 on bad usage.\n");
}

int main(int argc, char **argv)
{
    static struct app app; /* large, and referenced from paho's thread */
    struct tr_config *cfg = NULL;
    char err[512];
    const char *config_path = DEFAULT_CONFIG;
    bool config_given = false, print_config = false, as_json = false;
    char password[256] = "";
    char state_topic[] = TR_TOPIC_PREFIX "dispatcher/state";
    char will[128], online[128];
    int rc, opt, status = 1;

    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },
        { "port", required_argument, NULL, 'p' },
        { "print-config", no_argument, NULL, 'P' },
        { "json", no_argument, NULL, 'J' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };

    tr_log_set_ident("truckrolld");
    if (tr_config_new(&cfg, options, N_OPTIONS, &app.set, sizeof app.set, "TRUCKROLL_", err,
                      sizeof err) != TR_CONFIG_OK ||
        tr_config_load_args(cfg, &argc, argv, err, sizeof err) != TR_CONFIG_OK) {
        fprintf(stderr, "truckrolld: %s\n", err);
        tr_config_free(cfg);
        return 2;
    }
    while ((opt = getopt_long(argc, argv, "c:p:Vh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            config_path = optarg;
            config_given = true;
            break;
        case 'p':
            if (tr_config_set(cfg, "broker.port", optarg, TR_CONFIG_SRC_CLI, err, sizeof err)) {
                fprintf(stderr, "truckrolld: %s\n", err);
                goto usage_error;
            }
            break;
        case 'P':
            print_config = true;
            break;
        case 'J':
            as_json = true;
            break;
        case 'V':
            printf("truckrolld %s\n", TR_VERSION);
            tr_config_free(cfg);
            return 0;
        case 'h':
            usage(stdout);
            tr_config_free(cfg);
            return 0;
        default:
            goto usage_error;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "truckrolld: unexpected argument '%s' (try --help)\n", argv[optind]);
        goto usage_error;
    }
    if (tr_config_load_file(cfg, config_path, config_given ? 0 : TR_CONFIG_MISSING_OK, err,
                            sizeof err) != TR_CONFIG_OK ||
        tr_config_load_env(cfg, err, sizeof err) != TR_CONFIG_OK) {
        fprintf(stderr, "truckrolld: %s\n", err);
        goto usage_error;
    }
    if (print_config) {
        if (as_json)
            tr_config_print_json(cfg, stdout);
        else
            tr_config_print(cfg, stdout);
        tr_config_free(cfg);
        return 0;
    }
    tr_log_set_level((enum tr_log_level)app.set.log_level);
    if (app.set.broker_password_file[0] &&
        read_password(app.set.broker_password_file, password, sizeof password) != 0) {
        tr_log_error("cannot read broker.password_file %s: %s", app.set.broker_password_file,
                     strerror(errno));
        goto out;
    }
    tr_ids_boot_id(app.boot_id);
    pthread_mutex_init(&app.replies.lock, NULL);

    snprintf(will, sizeof will, "{\"online\":false,\"ts\":%lld}", (long long)now_ms());
    struct tr_mqtt_options mo = {
        .host = app.set.broker_host,
        .port = app.set.broker_port,
        .client_id = app.set.client_id,
        .username = app.set.broker_user[0] ? app.set.broker_user : NULL,
        .password = password[0] ? password : NULL,
        .tls = app.set.broker_tls,
        .ca_file = app.set.broker_ca_file[0] ? app.set.broker_ca_file : NULL,
        .persistent = 1,
        .will_topic = state_topic,
        .will_payload = will,
        .will_len = strlen(will),
        .will_qos = 1,
        .will_retain = 1,
    };
    struct tr_mqtt_callbacks cb = { .on_message = on_message, .on_connection = on_connection };
    app.mqtt = tr_mqtt_new(&mo, &cb, &app, &rc);
    if (!app.mqtt) {
        tr_log_error("cannot create the MQTT session: %s", tr_mqtt_strerror(rc));
        goto out;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    tr_mqtt_subscribe(app.mqtt, TR_TOPIC_PREFIX "agent/+/state", 1);
    tr_mqtt_subscribe(app.mqtt, TR_TOPIC_PREFIX "agent/+/loc", 1);
    tr_mqtt_subscribe(app.mqtt, TR_TOPIC_PREFIX "agent/+/event", 1);
    tr_mqtt_connect(app.mqtt);
    rc = tr_mqtt_wait_connected(app.mqtt, 10000);
    if (rc == TR_MQTT_ERR_AUTH || rc == TR_MQTT_ERR_REFUSED) {
        tr_log_error("broker %s:%d refused the connection: %s", app.set.broker_host,
                     app.set.broker_port, tr_mqtt_strerror(rc));
        goto out;
    }
    if (rc != TR_MQTT_OK)
        tr_log_warn("broker %s:%d not reachable yet (%s); retrying in the background",
                    app.set.broker_host, app.set.broker_port, tr_mqtt_strerror(rc));
    snprintf(online, sizeof online, "{\"online\":true,\"ts\":%lld}", (long long)now_ms());
    struct tr_mqtt_pub retained = { .qos = 1, .retain = 1 };
    tr_mqtt_publish(app.mqtt, state_topic, online, strlen(online), &retained);
    tr_log_info("truckrolld %s serving (boot %s)", TR_VERSION, app.boot_id);

    time_t last_stats = time(NULL);
    while (!stop_requested) {
        struct timespec tick = { 0, 10 * 1000000L };
        nanosleep(&tick, NULL);
        drain_replies(&app);
        if (app.set.stats_interval_s > 0 && time(NULL) - last_stats >= app.set.stats_interval_s) {
            last_stats = time(NULL);
            log_stats(&app, "counters");
        }
    }
    tr_log_info("stopping");
    snprintf(online, sizeof online, "{\"online\":false,\"ts\":%lld}", (long long)now_ms());
    if (tr_mqtt_publish(app.mqtt, state_topic, online, strlen(online), &retained) == TR_MQTT_OK) {
        struct timespec grace = { 0, 200 * 1000000L };
        nanosleep(&grace, NULL);
    }
    status = 0;
out:
    tr_mqtt_free(app.mqtt);
    for (size_t i = 0; i < app.replies.count; i++)
        free(app.replies.r[(app.replies.head + i) % REPLY_QUEUE].json);
    log_stats(&app, "final counters");
    tr_config_free(cfg);
    memset(password, 0, sizeof password);
    return status;
usage_error:
    tr_config_free(cfg);
    return 2;
}
