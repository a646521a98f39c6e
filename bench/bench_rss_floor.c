/*
 * bench/bench_rss_floor.c: the memory floor under the agent. A program that
 * links the agent's libraries the way the agent does (libgps, libsqlite3,
 * libpaho-mqtt3as, libcjson, dynamically, from Debian's packages) and does
 * the least an agent built on them must do, with the same economies the
 * agent uses (paho leaves OpenSSL alone and traces only errors; SQLite with
 * a small lookaside and cache, no mmap, exclusive locking, WAL):
 *
 *   - connects to the broker with a user name and password, MQTT v5, and
 *     subscribes to its inbox;
 *   - ten times a second builds a position message with cJSON, writes it
 *     into a SQLite outbox file in its own transaction, publishes it at
 *     QoS 1, and deletes the rows the broker has acknowledged;
 *   - parses every inbox message with cJSON.
 *
 * It reads no GPS (neither does the agent in bench/footprint.sh, which
 * replays a GPX track): libgps is loaded, as in the agent, and asked for one
 * error string. bench/footprint.sh runs it beside the agent against the same
 * private broker and reports the difference: what the agent's own code and
 * data cost above what its libraries cost.
 *
 * Two variants show what each library costs: bench_rss_floor_no_gps
 * (TR_FLOOR_NO_GPS: libgps not linked) and bench_rss_floor_no_gps_no_tls
 * (also paho-mqtt3a, paho without OpenSSL, instead of paho-mqtt3as). The
 * agent can have neither: it reads GPS through libgps, and SPEC.md wants TLS
 * on every listener outside loopback.
 *
 * Usage: bench_rss_floor --port P --user U --password-file F --db PATH
 *                        [--host H] [--seconds N]
 * Prints "connected" on stdout once the broker has accepted it. Exits 0
 * after N seconds (default 10), 1 on an error. Not a test: asserts nothing.
 */
#include <MQTTAsync.h>
#include <cjson/cJSON.h>
#ifndef TR_FLOOR_NO_GPS
#include <gps.h>
#endif
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int connected;
static atomic_llong acked_upto; /* highest outbox row id the broker acknowledged */
static atomic_long inbox_msgs;
static char inbox_topic[160];

static void on_sent(void *ctx, MQTTAsync_successData5 *d)
{
    long long id = (long long)(intptr_t)ctx;
    long long cur = atomic_load(&acked_upto);

    (void)d;
    while (id > cur && !atomic_compare_exchange_weak(&acked_upto, &cur, id)) {
    }
}

static void on_subscribed(void *ctx, MQTTAsync_successData5 *d)
{
    (void)ctx;
    (void)d;
    atomic_store(&connected, 1);
}

static void on_connected(void *ctx, MQTTAsync_successData5 *d)
{
    MQTTAsync cli = ctx;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

    (void)d;
    ro.onSuccess5 = on_subscribed;
    if (MQTTAsync_subscribe(cli, inbox_topic, 1, &ro) != MQTTASYNC_SUCCESS)
        atomic_store(&connected, -1);
}

static void on_connect_failed(void *ctx, MQTTAsync_failureData5 *d)
{
    (void)ctx;
    fprintf(stderr, "bench_rss_floor: connect failed (%d)\n", d ? d->code : 0);
    atomic_store(&connected, -1);
}

static int on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
    cJSON *j = cJSON_ParseWithLength(m->payload, (size_t)m->payloadlen);

    (void)ctx;
    (void)tlen;
    cJSON_Delete(j);
    atomic_fetch_add(&inbox_msgs, 1);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_rss_floor: %s: %s\n", sql, err ? err : "?");
        sqlite3_free(err);
        return -1;
    }
    return 0;
}

static sqlite3 *open_outbox(const char *path, sqlite3_stmt **ins, sqlite3_stmt **del)
{
    sqlite3 *db = NULL;

    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_rss_floor: %s: %s\n", path, db ? sqlite3_errmsg(db) : "no memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 128, 32); /* as the agent */
    if (exec_sql(db,
                 "PRAGMA locking_mode=EXCLUSIVE; PRAGMA mmap_size=0; PRAGMA temp_store=FILE;"
                 "PRAGMA cache_size=-64; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE IF NOT EXISTS outbox(id INTEGER PRIMARY KEY, body BLOB NOT NULL)") ||
        sqlite3_prepare_v2(db, "INSERT INTO outbox(id, body) VALUES(?1, ?2)", -1, ins, NULL) ||
        sqlite3_prepare_v2(db, "DELETE FROM outbox WHERE id <= ?1", -1, del, NULL)) {
        fprintf(stderr, "bench_rss_floor: %s: %s\n", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int step_once(sqlite3 *db, sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);

    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "bench_rss_floor: %s\n", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

/* A position message as the agent publishes it, for row id `id`. */
static char *position_json(const char *agent, long long id)
{
    cJSON *o = cJSON_CreateObject();
    char *s;

    cJSON_AddNumberToObject(o, "v", 1);
    cJSON_AddStringToObject(o, "agent_id", agent);
    cJSON_AddStringToObject(o, "boot", "0123456789abcdef0123456789abcdef");
    cJSON_AddNumberToObject(o, "seq", (double)id);
    cJSON_AddNumberToObject(o, "t", 1.7e12 + (double)id * 100.0);
    cJSON_AddNumberToObject(o, "lat", 40.7128 + (double)(id % 1000) * 1e-5);
    cJSON_AddNumberToObject(o, "lon", -74.006 - (double)(id % 777) * 1e-5);
    cJSON_AddNumberToObject(o, "speed", 5.1);
    cJSON_AddNumberToObject(o, "heading", 87.5);
    s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return s;
}

static int read_password(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f || !fgets(buf, (int)size, f)) {
        fprintf(stderr, "bench_rss_floor: cannot read %s\n", path);
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    n = strcspn(buf, "\r\n");
    buf[n] = '\0';
    return n ? 0 : -1;
}

static int run(MQTTAsync cli, sqlite3 *db, sqlite3_stmt *ins, sqlite3_stmt *del, const char *user,
               const char *topic, int seconds)
{
    struct timespec tick = { 0, 100 * 1000 * 1000 };
    long long id = 0, deleted = 0;
    int said = 0;

    for (int i = 0; i < seconds * 10; i++) {
        long long acked = atomic_load(&acked_upto);
        int c = atomic_load(&connected);

        if (c < 0)
            return -1;
        if (c > 0 && !said) {
            printf("connected\n");
            fflush(stdout);
            said = 1;
        }
        if (acked > deleted) {
            sqlite3_bind_int64(del, 1, acked);
            if (step_once(db, del))
                return -1;
            deleted = acked;
        }
        if (c > 0) {
            char *body = position_json(user, ++id);
            MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
            MQTTAsync_message m = MQTTAsync_message_initializer;
            int rc;

            sqlite3_bind_int64(ins, 1, id);
            sqlite3_bind_blob(ins, 2, body, (int)strlen(body), SQLITE_TRANSIENT);
            rc = step_once(db, ins);
            m.payload = body;
            m.payloadlen = (int)strlen(body);
            m.qos = 1;
            ro.onSuccess5 = on_sent;
            ro.context = (void *)(intptr_t)id;
            if (!rc && MQTTAsync_sendMessage(cli, topic, &m, &ro) != MQTTASYNC_SUCCESS)
                rc = -1;
            cJSON_free(body);
            if (rc)
                return -1;
        }
        nanosleep(&tick, NULL);
    }
    fprintf(stderr, "bench_rss_floor: published %lld, acknowledged %lld, inbox %ld\n", id,
            (long long)atomic_load(&acked_upto), (long)atomic_load(&inbox_msgs));
    return 0;
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1", *port = NULL, *user = NULL, *pwfile = NULL, *dbpath = NULL;
    int seconds = 10, rc = 1;
    char uri[128], topic[160], password[256];
    MQTTAsync cli = NULL;
    MQTTAsync_init_options io = MQTTAsync_init_options_initializer;
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer5;
    MQTTAsync_connectOptions cn = MQTTAsync_connectOptions_initializer5;
    sqlite3 *db;
    sqlite3_stmt *ins = NULL, *del = NULL;

    for (int i = 1; i < argc; i += 2) { /* --name value pairs */
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: bench_rss_floor --port P --user U --password-file F --db PATH\n"
                   "                       [--host H] [--seconds N]\n"
                   "The agent's libraries doing the least an agent must do (see the source).\n");
            return 0;
        }
        if (!v) {
            fprintf(stderr, "bench_rss_floor: %s needs a value (try --help)\n", argv[i]);
            return 2;
        }
        if (!strcmp(argv[i], "--host"))
            host = v;
        else if (!strcmp(argv[i], "--port"))
            port = v;
        else if (!strcmp(argv[i], "--user"))
            user = v;
        else if (!strcmp(argv[i], "--password-file"))
            pwfile = v;
        else if (!strcmp(argv[i], "--db"))
            dbpath = v;
        else if (!strcmp(argv[i], "--seconds"))
            seconds = atoi(v);
        else {
            fprintf(stderr, "bench_rss_floor: unknown argument '%s' (try --help)\n", argv[i]);
            return 2;
        }
    }
    if (!port || !user || !pwfile || !dbpath || seconds < 1 || seconds > 3600) {
        fprintf(stderr, "bench_rss_floor: --port, --user, --password-file and --db are needed, "
                        "--seconds 1..3600 (try --help)\n");
        return 2;
    }
    if (read_password(pwfile, password, sizeof password))
        return 1;
#ifndef TR_FLOOR_NO_GPS
    /* libgps is loaded as in the agent; it reads no GPS here (nor does the
     * agent in bench/footprint.sh) */
    if (!gps_errstr(0))
        return 1;
#endif
    if (!(db = open_outbox(dbpath, &ins, &del)))
        return 1;

    io.do_openssl_init = 0; /* as common/mqtt_init.c */
    MQTTAsync_global_init(&io);
    MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
    snprintf(uri, sizeof uri, "tcp://%s:%s", host, port);
    snprintf(topic, sizeof topic, "truckroll/v1/agent/%s/loc", user);
    snprintf(inbox_topic, sizeof inbox_topic, "truckroll/v1/agent/%s/inbox", user);
    if (MQTTAsync_createWithOptions(&cli, uri, user, MQTTCLIENT_PERSISTENCE_NONE, NULL, &co) !=
            MQTTASYNC_SUCCESS ||
        MQTTAsync_setCallbacks(cli, NULL, NULL, on_message, NULL) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "bench_rss_floor: cannot create a client for %s\n", uri);
        goto out;
    }
    cn.username = user;
    cn.password = password;
    cn.keepAliveInterval = 30;
    cn.cleanstart = 1;
    cn.onSuccess5 = on_connected;
    cn.onFailure5 = on_connect_failed;
    cn.context = cli;
    if (MQTTAsync_connect(cli, &cn) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "bench_rss_floor: cannot connect to %s\n", uri);
        goto out;
    }
    rc = run(cli, db, ins, del, user, topic, seconds) ? 1 : 0;
    MQTTAsync_disconnect(cli, NULL);
out:
    MQTTAsync_destroy(&cli);
    sqlite3_finalize(ins);
    sqlite3_finalize(del);
    sqlite3_close(db);
    return rc;
}
