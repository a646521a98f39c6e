/*
 * dispatcher/app/app.c: bringing truckrolld up and down in order, the clock
 * and message ids, and the counter lines.
 *
 * Up: store -> engine, time zones, boundaries, caches -> recovery (main
 * thread, nothing else running) -> MQTT session (subscriptions, will) ->
 * positions writer -> worker -> retained "online". Down: the reverse, each
 * part flushing what it holds. It does not parse the command line (main.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ids.h"
#include "common/log.h"
#include "dispatcher/app/app.h"

#define STATE_TOPIC TR_TOPIC_PREFIX "dispatcher/state"

int64_t tr_app_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tr_app_msgid(struct app *a, char out[TR_MSG_ID_SIZE])
{
    char prefix[24];
    snprintf(prefix, sizeof(prefix), "d-%.16s", a->boot_id);
    tr_ids_msgid(out, prefix, ++a->msg_counter);
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

static int open_parts(struct app *a)
{
    char err[512];
    struct tr_engine_params ep;
    int rc = tr_store_open(a->set.db_path, TR_STORE_CREATE, &a->store, err, sizeof(err));
    if (rc != TR_STORE_OK) {
        tr_log_error("cannot open the store %s: %s", a->set.db_path, err);
        return -1;
    }
    if (tr_app_engine_params(&a->set, &ep, err, sizeof(err)) != 0) {
        tr_log_error("%s", err);
        return -1;
    }
    if ((rc = tr_engine_new(&ep, &a->eng)) != TR_ENGINE_OK) {
        tr_log_error("cannot start the engine: %s", tr_engine_strerror(rc));
        return -1;
    }
    if (tr_tz_set_new(a->set.zoneinfo_dir[0] ? a->set.zoneinfo_dir : NULL, &a->tz) != TR_TZ_OK) {
        tr_log_error("cannot set up time zones");
        return -1;
    }
    if (strcmp(a->set.geo_data, "none") != 0) {
        const char *path = tr_boundaries_data_path(a->set.geo_data[0] ? a->set.geo_data : NULL);
        rc = tr_boundaries_load(path, &a->geo);
        if (rc != TR_GEO_OK) {
            tr_log_warn("boundaries %s not loaded (%s): no region tagging", path,
                        tr_geo_strerror(rc));
            a->geo = NULL;
        }
    }
    if (tr_agents_new((size_t)a->set.max_senders, &a->senders) != TR_AGENTS_OK ||
        tr_lru_new((size_t)a->set.request_cache, (size_t)64 << 20, &a->answers) != TR_LRU_OK ||
        tr_shifts_new(&a->shifts) != 0 || tr_publisher_new(a, &a->pub) != 0 ||
        tr_fleetfeed_new(&a->ff) != 0 || tr_ingest_init(&a->in, (size_t)a->set.ingest_queue) != 0) {
        tr_log_error("out of memory");
        return -1;
    }
    return 0;
}

static int connect_bus(struct app *a, const char *password)
{
    static const char *const filters[] = {
        TR_TOPIC_PREFIX "agent/+/state",
        TR_TOPIC_PREFIX "agent/+/loc",
        TR_TOPIC_PREFIX "agent/+/event",
        TR_TOPIC_PREFIX "dispatcher/req",
    };
    static const enum tr_mqtt_protocol protos[] = { TR_MQTT_PROTO_AUTO, TR_MQTT_PROTO_V5,
                                                    TR_MQTT_PROTO_V311 };
    char will[96];
    int rc;
    snprintf(will, sizeof(will), "{\"online\":false,\"ts\":%lld}", (long long)tr_app_now_ms());
    struct tr_mqtt_options mo = {
        .host = a->set.broker_host,
        .port = a->set.broker_port,
        .client_id = a->set.client_id,
        .username = a->set.broker_user[0] ? a->set.broker_user : NULL,
        .password = password[0] ? password : NULL,
        .tls = a->set.broker_tls,
        .ca_file = a->set.broker_ca_file[0] ? a->set.broker_ca_file : NULL,
        .persistent = 1,
        .protocol = protos[a->set.broker_protocol],
        .will_topic = STATE_TOPIC,
        .will_payload = will,
        .will_len = strlen(will),
        .will_qos = 1,
        .will_retain = 1,
        .max_inflight = a->set.max_inflight,
    };
    a->mqtt = tr_mqtt_new(&mo, &tr_ingest_callbacks, a, &rc);
    if (!a->mqtt) {
        tr_log_error("cannot create the MQTT session: %s", tr_mqtt_strerror(rc));
        return -1;
    }
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
        tr_mqtt_subscribe(a->mqtt, filters[i], 1);
    tr_mqtt_connect(a->mqtt);
    rc = tr_mqtt_wait_connected(a->mqtt, 10000);
    if (rc == TR_MQTT_ERR_AUTH || rc == TR_MQTT_ERR_REFUSED) {
        tr_log_error("broker %s:%d refused the connection: %s", a->set.broker_host,
                     a->set.broker_port, tr_mqtt_strerror(rc));
        return -1;
    }
    if (rc != TR_MQTT_OK)
        tr_log_warn("broker %s:%d not reachable yet (%s); retrying in the background",
                    a->set.broker_host, a->set.broker_port, tr_mqtt_strerror(rc));
    else if (tr_mqtt_wait_subscribed(a->mqtt, 10000) != TR_MQTT_OK)
        tr_log_warn("subscriptions not confirmed yet");
    return 0;
}

void tr_app_publish_state(struct app *a, bool online)
{
    char buf[96];
    struct tr_mqtt_pub pub = { .qos = 1, .retain = 1, .cookie = UINT64_C(1) << 62 };
    snprintf(buf, sizeof(buf), "{\"online\":%s,\"ts\":%lld}", online ? "true" : "false",
             (long long)tr_app_now_ms());
    for (int i = 0; i < 100; i++) {
        int rc = tr_mqtt_publish(a->mqtt, STATE_TOPIC, buf, strlen(buf), &pub);
        if (rc != TR_MQTT_ERR_BUSY)
            break;
        struct timespec t = { 0, 10 * 1000000L };
        nanosleep(&t, NULL);
    }
}

int tr_app_start(struct app *a)
{
    char password[256] = "";
    int rc = -1;
    if (a->set.broker_password_file[0] &&
        read_password(a->set.broker_password_file, password, sizeof(password)) != 0) {
        tr_log_error("cannot read broker.password_file %s: %s", a->set.broker_password_file,
                     strerror(errno));
        return -1;
    }
    tr_ids_boot_id(a->boot_id);
    if (open_parts(a) != 0 || tr_recovery_run(a, tr_app_now_ms()) != 0 || tr_journal_open(a) != 0)
        goto out;
    if (connect_bus(a, password) != 0)
        goto out;
    if (tr_poswriter_start(a, &a->pw) != 0 || tr_worker_start(a) != 0) {
        tr_log_error("cannot start threads");
        goto out;
    }
    tr_app_publish_state(a, true);
    tr_log_info("truckrolld %s serving (boot %s, store %s)", TR_VERSION, a->boot_id,
                a->set.db_path);
    rc = 0;
out:
    memset(password, 0, sizeof(password));
    return rc;
}

void tr_app_stop(struct app *a)
{
    tr_worker_stop(a);
    tr_poswriter_stop(a->pw);
    a->pw = NULL;
    if (a->mqtt && tr_mqtt_is_connected(a->mqtt)) {
        tr_app_publish_state(a, false);
        struct timespec grace = { 0, 200 * 1000000L };
        nanosleep(&grace, NULL);
    }
    if (a->in.ring)
        atomic_store(&a->in.stop, true);
    if (a->in.ring) {
        pthread_mutex_lock(&a->in.mu);
        pthread_cond_broadcast(&a->in.not_full);
        pthread_mutex_unlock(&a->in.mu);
    }
    tr_mqtt_free(a->mqtt);
    a->mqtt = NULL;
    tr_journal_close(&a->in.j);
    tr_ingest_destroy(&a->in);
    tr_publisher_free(a->pub);
    tr_fleetfeed_free(a->ff);
    a->ff = NULL;
    tr_shifts_free(a->shifts);
    tr_lru_free(a->answers);
    tr_agents_free(a->senders);
    tr_boundaries_free(a->geo);
    tr_tz_set_free(a->tz);
    tr_engine_free(a->eng);
    tr_store_close(a->store);
    a->pub = NULL;
    a->shifts = NULL;
    a->answers = NULL;
    a->senders = NULL;
    a->geo = NULL;
    a->tz = NULL;
    a->eng = NULL;
    a->store = NULL;
}

void tr_app_log_stats(struct app *a, const char *what)
{
    unsigned long rej = 0;
    struct counters *n = &a->n;
    for (int i = 1; i < TR_ROUTE_ERR_COUNT; i++)
        rej += atomic_load(&n->rejected[i]);
    tr_log_info(
        "%s: received %lu accepted %lu rejected %lu (decode %lu type %lu spoof %lu "
        "topic %lu) presence %lu loc %lu fixes %lu events %lu requests %lu "
        "duplicates %lu refused %lu error_replies %lu agent_configs %lu",
        what, atomic_load(&n->received), atomic_load(&n->accepted), rej,
        atomic_load(&n->rejected[TR_ROUTE_ERR_DECODE]),
        atomic_load(&n->rejected[TR_ROUTE_ERR_TYPE]), atomic_load(&n->rejected[TR_ROUTE_ERR_SPOOF]),
        atomic_load(&n->rejected[TR_ROUTE_ERR_TOPIC]),
        atomic_load(&n->by_kind[TR_ROUTE_AGENT_STATE]),
        atomic_load(&n->by_kind[TR_ROUTE_AGENT_LOC]), atomic_load(&n->fixes),
        atomic_load(&n->by_kind[TR_ROUTE_AGENT_EVENT]), atomic_load(&n->by_kind[TR_ROUTE_REQUEST]),
        atomic_load(&n->duplicates), atomic_load(&n->refused), atomic_load(&n->error_replies),
        atomic_load(&n->agent_configs));
    tr_log_info("%s: jobs created %lu assigned %lu completed %lu failed %lu cancelled %lu "
                "unassigned %lu open %lu; transitions %lu commit_failures %lu; outbox published "
                "%lu delivered %lu expired %lu; positions stored %lu",
                what, atomic_load(&n->jobs_created), atomic_load(&n->jobs_assigned),
                atomic_load(&n->jobs_completed), atomic_load(&n->jobs_failed),
                atomic_load(&n->jobs_cancelled), atomic_load(&n->jobs_unassigned_now),
                atomic_load(&n->jobs_open_now), atomic_load(&n->transitions),
                atomic_load(&n->commit_failures), atomic_load(&n->outbox_published),
                atomic_load(&n->outbox_delivered), atomic_load(&n->outbox_expired),
                atomic_load(&n->positions_written));
}
